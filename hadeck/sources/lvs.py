"""LVS: the IPVS table of a director, from ``ipvsadm`` or from ``/proc/net/ip_vs*``.

Parsers:

- :func:`parse_ipvsadm` reads ``ipvsadm -Ln`` and the variants that change its columns
  (``--stats``, ``--stats --exact``, ``--rate``, ``--persistent-conn``, ``--thresholds``);
  the variant is told by the column header. Only numeric output (``-n``) is accepted: with
  names instead of addresses, a service key could not be matched with the other readings.
- :func:`merge_lvs` joins the table with a ``--stats`` and a ``--rate`` reading by service
  key and real-server key. The three are separate commands run at separate moments, and
  ipvsadm's sort order is not reliable (it compares addresses with an overflowing
  subtraction), so position means nothing.
- :func:`parse_proc_ip_vs` reads the kernel's ``/proc/net/ip_vs`` (hexadecimal, hash
  order, no statistics) into the same shape, and :func:`parse_proc_ip_vs_stats` the
  whole-table counters of ``/proc/net/ip_vs_stats``.

Counters from ``--stats`` without ``--exact`` are cut by ``print_largenum``: ``250558K``
means at least 250 558 000. They are turned back into integers, which are therefore
lower bounds rounded down to the unit of the suffix. The reader asks for ``--exact``.

The reader (:func:`read`) looks at ``/proc/net/ip_vs`` *before* running ipvsadm: run as
root on a node without the ip_vs module, ``ipvsadm`` loads it (it calls ``modprobe ip_vs``
when it cannot talk to IPVS), and a reader must not change the node. Without that file the
node is simply not a director. Otherwise ipvsadm gives the table; when it is not installed,
or fails (it needs root), the world-readable ``/proc`` files stand in, without per-service
counters, and the reading says so.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable

from hadeck.model import LvsCounters, LvsDirector, RealServer, VirtualService
from hadeck.record import replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import (
    Clock,
    LastParses,
    ParseError,
    Reading,
    never_raises,
    parse_output,
    whole,
)
from hadeck.sources.keepalived_conf import KEEPALIVED_CONF, LvsConfig, parse_keepalived_conf
from hadeck.sources.ldirectord_conf import LDIRECTORD_CF, parse_ldirectord_cf

IPVSADM_LIST = Command("lvs/ipvsadm-Ln.txt", argv=("ipvsadm", "-Ln"))
IPVSADM_STATS = Command(
    "lvs/ipvsadm-Ln-stats-exact.txt", argv=("ipvsadm", "-Ln", "--stats", "--exact")
)
IPVSADM_RATE = Command("lvs/ipvsadm-Ln-rate.txt", argv=("ipvsadm", "-Ln", "--rate"))
PROC_IP_VS = Command("lvs/proc-net-ip_vs.txt", path="/proc/net/ip_vs")
PROC_IP_VS_STATS = Command("lvs/proc-net-ip_vs_stats.txt", path="/proc/net/ip_vs_stats")

COMMANDS: tuple[Command, ...] = (
    PROC_IP_VS,
    IPVSADM_LIST,
    IPVSADM_STATS,
    IPVSADM_RATE,
    PROC_IP_VS_STATS,
    KEEPALIVED_CONF,
    LDIRECTORD_CF,
)

TABLE = "table"
STATS = "stats"
RATE = "rate"
THRESHOLDS = "thresholds"
PERSISTENT_CONN = "persistent-conn"

# The column titles after "Prot LocalAddress:Port", per variant (ipvsadm.c print_title).
_VARIANTS: dict[tuple[str, ...], str] = {
    ("Scheduler", "Flags"): TABLE,
    ("Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"): STATS,
    ("CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"): RATE,
    ("Uthreshold", "Lthreshold", "ActiveConn", "InActConn"): THRESHOLDS,
    ("Weight", "PersistConn", "ActiveConn", "InActConn"): PERSISTENT_CONN,
}
_TABLE_RS_TITLES = ("Forward", "Weight", "ActiveConn", "InActConn")

_VERSION_RE = re.compile(r"^IP Virtual Server version (\S+) \(size=\d+\)\s*$")
_LARGENUM_RE = re.compile(r"^([0-9]{1,20})([KMGT]?)$")
_MAX_PORT = 65535
_MAX_MARK = 0xFFFFFFFF
_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}

ServiceTable = tuple[str | None, tuple[VirtualService, ...]]
"""The IPVS version from the header, and the services in the order printed."""


# --------------------------------------------------------------------------- ipvsadm


def ipvsadm_variant(text: str) -> str:
    """Which ``ipvsadm -L`` variant a text is, from its column header.

    Args:
        text: the output of ``ipvsadm -Ln`` with or without column options.

    Returns:
        ``table``, ``stats`` (also with ``--exact``), ``rate``, ``thresholds`` or
        ``persistent-conn``.

    Raises:
        ParseError: the text does not start with an ipvsadm table header.
    """
    lines = text.splitlines()
    _version(lines)
    return _variant(lines)


def parse_ipvsadm(text: str) -> ServiceTable:
    """Parse ``ipvsadm -Ln`` or one of its column variants.

    The plain table fills scheduler, flags, persistence and each real server's forward
    method, weight and connection counts. ``--stats`` fills ``stats`` and ``--rate``
    fills ``rates`` on services and real servers, and leaves the rest empty (scheduler
    ``""``, forward ``""``, weight 0): join them onto the table with :func:`merge_lvs`.
    ``--persistent-conn`` adds ``persistent_conns``. ``--thresholds`` gives the
    connection counts; the upper/lower thresholds are not kept.

    Args:
        text: the exact output, trailing blanks and all.

    Returns:
        The IPVS version from the header and the services in the order printed.

    Raises:
        ParseError: not an ipvsadm table (``-Sn`` and ``-Lnc`` output included), a
            truncated line, or addresses that are not numeric.
    """
    lines = text.splitlines()
    version = _version(lines)
    variant = _variant(lines)
    kept = _real_server_lines
    if len(kept) > _KEEP_LINES:
        kept.clear()

    def real_server(tokens: list[str], lineno: int) -> RealServer:
        # A real server's line that reads as it did (most of them, poll after poll) is
        # the same frozen value: parsed once (~15 µs a line, 2,400 lines a poll at 400
        # real servers on two directors).
        key = (variant, *tokens)
        found = kept.get(key)
        if found is None:
            found = kept[key] = _ipvsadm_real_server(tokens, variant, lineno)
        return found

    return version, _walk(
        lines, lambda tokens, lineno: _ipvsadm_service(tokens, variant, lineno), real_server)


_real_server_lines: dict[tuple[str, ...], RealServer] = {}
"""Real-server lines of ipvsadm tables read before, by variant and words."""
_KEEP_LINES = 50_000
"""At most this many lines are remembered; past it the memory starts afresh."""


def _walk(
    lines: list[str],
    service: Callable[[list[str], int], VirtualService],
    real_server: Callable[[list[str], int], RealServer],
) -> tuple[VirtualService, ...]:
    """Service lines and their ``->`` real-server lines, after the three header lines;
    both ipvsadm and /proc/net/ip_vs lay their tables out this way."""
    services: list[VirtualService] = []
    servers: list[list[RealServer]] = []
    for lineno, line in enumerate(lines[3:], start=4):
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] == "->":
            if not services:
                raise ParseError(f"line {lineno}: a real server before any service")
            servers[-1].append(real_server(tokens[1:], lineno))
        elif line[0].isspace():
            raise ParseError(f"line {lineno}: unexpected indented line {line.strip()!r}")
        else:
            services.append(service(tokens, lineno))
            servers.append([])
    return _attach(services, servers)


def _version(lines: list[str]) -> str:
    if not lines:
        raise ParseError("empty output, expected an IPVS table")
    match = _VERSION_RE.match(lines[0])
    if match is None:
        raise ParseError(f"not an IPVS table: first line is {lines[0].strip()[:80]!r}")
    return match.group(1)


def _variant(lines: list[str]) -> str:
    if len(lines) < 3:
        raise ParseError("truncated IPVS table: the column header is missing")
    titles = lines[1].split()
    if titles[:2] != ["Prot", "LocalAddress:Port"] or tuple(titles[2:]) not in _VARIANTS:
        raise ParseError(f"unknown IPVS column header {lines[1].strip()!r}")
    variant = _VARIANTS[tuple(titles[2:])]
    rs_titles = lines[2].split()
    expected = _TABLE_RS_TITLES if variant == TABLE else ()
    if rs_titles[:2] != ["->", "RemoteAddress:Port"] or tuple(rs_titles[2:]) != expected:
        raise ParseError(f"unknown IPVS real-server header {lines[2].strip()!r}")
    return variant


def _attach(
    services: list[VirtualService], servers: list[list[RealServer]]
) -> tuple[VirtualService, ...]:
    return tuple(
        replace(svc, real_servers=tuple(rs)) for svc, rs in zip(services, servers, strict=True)
    )


def _ipvsadm_service(tokens: list[str], variant: str, lineno: int) -> VirtualService:
    service, rest = _service_identity(tokens, lineno)
    if variant == STATS:
        return replace(service, stats=_counters(rest, lineno))
    if variant == RATE:
        return replace(service, rates=_counters(rest, lineno))
    return _service_options(service, rest, lineno)


def _service_identity(tokens: list[str], lineno: int) -> tuple[VirtualService, list[str]]:
    """The protocol and address (or firewall mark) that open a service line."""
    if len(tokens) < 2:
        raise ParseError(f"line {lineno}: truncated service line {' '.join(tokens)!r}")
    protocol = tokens[0]
    if protocol == "FWM":
        # ipvsadm prints the mark with %d: marks of 2**31 and above come out negative.
        signed = tokens[1].startswith("-")
        mark = _int(tokens[1][1:] if signed else tokens[1], "firewall mark", lineno,
                    _MAX_MARK)
        if signed:
            mark = -mark & 0xFFFFFFFF
        ipv6 = len(tokens) > 2 and tokens[2] == "IPv6"
        rest = tokens[3:] if ipv6 else tokens[2:]
        return VirtualService(protocol="FWM", address=str(mark), ipv6=ipv6), rest
    address, port, ipv6 = _host_port(tokens[1], lineno)
    return VirtualService(protocol=protocol, address=address, port=port, ipv6=ipv6), tokens[2:]


def _service_options(service: VirtualService, words: list[str], lineno: int) -> VirtualService:
    """Scheduler, then ``(flags)``, ``persistent N``, ``mask M``, ``pe NAME``, ``ops``."""
    if not words:
        raise ParseError(f"line {lineno}: service {service.key} has no scheduler")
    flags: list[str] = []
    persistent: int | None = None
    netmask: str | None = None
    pe: str | None = None
    one_packet = False
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("persistent", "mask", "pe"):
            if i + 1 >= len(words):
                raise ParseError(f"line {lineno}: {word!r} without a value")
            value = words[i + 1]
            if word == "persistent":
                persistent = _int(value, "persistence timeout", lineno)
            elif word == "mask":
                netmask = value
            else:
                pe = value
            i += 2
            continue
        if word == "ops":
            one_packet = True
        elif word.startswith("(") and word.endswith(")"):
            flags.extend(f for f in word[1:-1].split(",") if f)
        else:
            flags.append(word)  # a word from a newer ipvsadm: kept, not dropped
        i += 1
    return replace(
        service,
        scheduler=words[0],
        flags=tuple(flags),
        persistent_s=persistent,
        netmask=netmask,
        pe=pe,
        one_packet=one_packet,
    )


def _ipvsadm_real_server(fields: list[str], variant: str, lineno: int) -> RealServer:
    if variant in (STATS, RATE):
        _expect(fields, 6, lineno)
        address, port, _ = _host_port(fields[0], lineno)
        counters = _counters(fields[1:], lineno)
        if variant == STATS:
            return RealServer(address, port, forward="", stats=counters)
        return RealServer(address, port, forward="", rates=counters)
    _expect(fields, 5, lineno)
    address, port, _ = _host_port(fields[0], lineno)
    active = _int(fields[3], "ActiveConn", lineno)
    inactive = _int(fields[4], "InActConn", lineno)
    if variant == PERSISTENT_CONN:
        return RealServer(
            address, port, forward="",
            weight=_int(fields[1], "Weight", lineno),
            persistent_conns=_int(fields[2], "PersistConn", lineno),
            active_conns=active, inactive_conns=inactive,
        )
    if variant == THRESHOLDS:
        _int(fields[1], "Uthreshold", lineno)
        _int(fields[2], "Lthreshold", lineno)
        return RealServer(address, port, forward="", active_conns=active, inactive_conns=inactive)
    return RealServer(
        address, port, forward=fields[1], weight=_weight(fields[2], lineno),
        active_conns=active, inactive_conns=inactive,
    )


def _host_port(text: str, lineno: int) -> tuple[str, int, bool]:
    """``192.0.2.1:80`` or ``[2001:db8::1]:80`` → (address, port, is IPv6)."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep:
        raise ParseError(f"line {lineno}: {text!r} is not address:port")
    try:
        address, v6 = _canonical(host)
    except ValueError:
        raise ParseError(f"line {lineno}: {host!r} is not a numeric address (use -n)") from None
    return address, _int(port, "port", lineno, _MAX_PORT), v6


@functools.lru_cache(maxsize=4096)
def _canonical(host: str) -> tuple[str, bool]:
    """An address as ipaddress writes it, and whether it is IPv6. Remembered: a director's
    few hundred addresses come back in every table of every poll (~15 ms a poll)."""
    address = ipaddress.ip_address(host)
    return str(address), address.version == 6


def _counters(words: list[str], lineno: int) -> LvsCounters:
    _expect(words, 5, lineno)
    conns, in_packets, out_packets, in_bytes, out_bytes = (
        _largenum(w, lineno) for w in words
    )
    return LvsCounters(conns, in_packets, out_packets, in_bytes, out_bytes)


def _largenum(word: str, lineno: int) -> int:
    """A ``print_largenum`` number: ``96330``, or ``250558K`` (truncated: 250 558 000)."""
    if word.isdigit() and word.isascii() and len(word) <= 20:
        return int(word)  # the common case, without the pattern
    match = _LARGENUM_RE.match(word)
    if match is None:
        raise ParseError(f"line {lineno}: {word!r} is not a counter")
    return int(match.group(1)) * _SUFFIX[match.group(2)]


def _expect(fields: list[str], count: int, lineno: int) -> None:
    if len(fields) != count:
        raise ParseError(
            f"line {lineno}: expected {count} columns, found {len(fields)}: {' '.join(fields)!r}"
        )


def _int(word: str, what: str, lineno: int, limit: int | None = None) -> int:
    number = whole(word, f"line {lineno}: {what}")
    if limit is not None and number > limit:
        raise ParseError(f"line {lineno}: {what} {number} is above {limit}")
    return number


def _weight(word: str, lineno: int) -> int:
    # Printed with %d, not %u: keep a sign rather than call the line garbage.
    return whole(word, f"line {lineno}: Weight", signed=True)


# --------------------------------------------------------------------------- merging


def merge_lvs(
    table: tuple[VirtualService, ...],
    stats: tuple[VirtualService, ...] | None = None,
    rates: tuple[VirtualService, ...] | None = None,
) -> tuple[VirtualService, ...]:
    """Put counters and rates from separate readings onto the table.

    Services are matched by :attr:`VirtualService.key` and real servers by
    :attr:`RealServer.key`, never by position. The table decides what exists: a service
    or real server only in ``stats``/``rates`` (added between the commands) is dropped,
    and one missing there keeps ``None``.

    Args:
        table: services from ``ipvsadm -Ln`` (or ``/proc/net/ip_vs``).
        stats: services from ``ipvsadm -Ln --stats [--exact]``.
        rates: services from ``ipvsadm -Ln --rate``.

    Returns:
        The table's services, in the table's order, with ``stats`` and ``rates`` set.
    """
    return _joined(table, _counters_of(stats, "stats"), _counters_of(rates, "rates"))


Counted = dict[str, tuple[LvsCounters | None, dict[tuple[str, int], LvsCounters | None]]]
"""A ``--stats`` or ``--rate`` reading: service key → the service's counters and its real
servers' counters by (address, port); a key or real server printed twice, its last."""


def _counters_of(services: tuple[VirtualService, ...] | None, which: str) -> Counted | None:
    if services is None:
        return None
    return {svc.key: (getattr(svc, which),
                      {(rs.address, rs.port): getattr(rs, which) for rs in svc.real_servers})
            for svc in services}


def _joined(
    table: tuple[VirtualService, ...],
    stats: Counted | None = None,
    rates: Counted | None = None,
    config: LvsConfig | None = None,
    manager: str = "",
    director: str | None = None,
) -> tuple[VirtualService, ...]:
    """:func:`merge_lvs`, then the weights ``config`` gives (:func:`_with_weights`), then
    the ``director`` named on each service — in one pass, each real server built once (it
    was built twice more, ~20 ms a poll at 800 real servers)."""
    out = []
    for svc in table:
        key = svc.key
        svc_stats = stats.get(key) if stats else None
        svc_rates = rates.get(key) if rates else None
        weights = config.weights(key) if config is not None else None
        # Real servers are matched by (address, port): what their key is made of.
        rs_stats = svc_stats[1] if svc_stats else {}
        rs_rates = svc_rates[1] if svc_rates else {}
        servers = []
        for rs in svc.real_servers:
            at = (rs.address, rs.port)
            rs_stat = rs_stats.get(at, rs.stats)
            rs_rate = rs_rates.get(at, rs.rates)
            configured = weights.get(rs.key) if weights is not None else rs.configured_weight
            if (rs_stat is rs.stats and rs_rate is rs.rates
                    and configured == rs.configured_weight):
                servers.append(rs)
                continue
            servers.append(RealServer(
                rs.address, rs.port, rs.forward, rs.weight, rs.active_conns,
                rs.inactive_conns, rs.persistent_conns, rs_stat, rs_rate, configured))
        changes: dict[str, object] = {
            "stats": svc_stats[0] if svc_stats else svc.stats,
            "rates": svc_rates[0] if svc_rates else svc.rates,
            "real_servers": tuple(servers),
        }
        if weights is not None:
            # keepalived removes a real server whose check fails from the table: one the
            # file configures and the table lacks is named, as gone (a one-shot read
            # cannot remember it as the dashboard does; an operator's ipvsadm -d looks the
            # same).
            present = {rs.key for rs in svc.real_servers}
            changes["managed_by"] = manager
            changes["gone"] = tuple(k for k in weights if k not in present)
        if director is not None:
            changes["director"] = director
        out.append(replace(svc, **changes))
    return tuple(out)


# --------------------------------------------------------------------------- /proc


def parse_proc_ip_vs(text: str) -> ServiceTable:
    """Parse the kernel's ``/proc/net/ip_vs``.

    Addresses and ports are hexadecimal (IPv6 in full form) and are turned into the same
    text ipvsadm prints, so the services compare equal to :func:`parse_ipvsadm`'s. The
    persistence netmask is kept as ipvsadm shows it (``None`` for a full mask). A
    firewall-mark line does not say its address family: it is IPv6 when its real servers
    are (ipvsadm prints ``FWM 1 IPv6``), IPv4 otherwise. The order is the kernel's hash
    order.

    Args:
        text: the file's exact text.

    Returns:
        The IPVS version from the header and the services in file order.

    Raises:
        ParseError: not the file's format (ipvsadm's decimal output included) or truncated.
    """
    lines = text.splitlines()
    version = _version(lines)
    if _variant(lines) != TABLE:
        raise ParseError("not /proc/net/ip_vs: wrong column header")
    return version, tuple(_fwm_family(svc) for svc in
                          _walk(lines, _proc_service, _proc_real_server))


def _fwm_family(service: VirtualService) -> VirtualService:
    """A firewall-mark service whose real servers are IPv6 is an IPv6 service."""
    if service.protocol != "FWM" or service.ipv6 or not service.real_servers:
        return service
    if all(":" in rs.address for rs in service.real_servers):
        return replace(service, ipv6=True)
    return service


def _proc_service(tokens: list[str], lineno: int) -> VirtualService:
    if len(tokens) < 3:
        raise ParseError(f"line {lineno}: truncated service line {' '.join(tokens)!r}")
    if tokens[0] == "FWM":
        service = VirtualService(
            protocol="FWM", address=str(_hex(tokens[1], "firewall mark", lineno, _MAX_MARK))
        )
    else:
        address, port, ipv6 = _hex_host_port(tokens[1], lineno)
        service = VirtualService(protocol=tokens[0], address=address, port=port, ipv6=ipv6)
    service = replace(service, scheduler=tokens[2])
    flags: list[str] = []
    rest = tokens[3:]
    while rest:
        word = rest.pop(0)
        if word == "ops":
            service = replace(service, one_packet=True)
        elif word == "persistent":
            if len(rest) < 2:
                raise ParseError(f"line {lineno}: truncated persistence {' '.join(tokens)!r}")
            timeout, mask = rest.pop(0), rest.pop(0)
            service = replace(
                service,
                persistent_s=_int(timeout, "persistence timeout", lineno),
                netmask=_proc_netmask(mask, service.ipv6, lineno),
            )
        else:
            flags.append(word)  # unknown to us: kept as text
    return replace(service, flags=tuple(flags))


def _proc_netmask(word: str, ipv6: bool, lineno: int) -> str | None:
    value = _hex(word, "netmask", lineno)
    if not ipv6:
        mask = str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
        return None if mask == "255.255.255.255" else mask
    # The kernel runs ntohl() over an IPv6 prefix length, so on little-endian hosts
    # 128 reads 80000000: take whichever byte order gives a prefix length.
    if value > 128:
        value = int.from_bytes((value & 0xFFFFFFFF).to_bytes(4, "big"), "little")
    if value > 128:
        raise ParseError(f"line {lineno}: {word!r} is not an IPv6 prefix length")
    return None if value == 128 else str(value)


def _proc_real_server(fields: list[str], lineno: int) -> RealServer:
    _expect(fields, 5, lineno)
    address, port, _ = _hex_host_port(fields[0], lineno)
    return RealServer(
        address, port, forward=fields[1], weight=_weight(fields[2], lineno),
        active_conns=_int(fields[3], "ActiveConn", lineno),
        inactive_conns=_int(fields[4], "InActConn", lineno),
    )


def _hex_host_port(text: str, lineno: int) -> tuple[str, int, bool]:
    """``C0A80A64:01BB`` or ``[2001:0db8:…:0080]:0050`` → (address, port, is IPv6)."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise ParseError(f"line {lineno}: {text!r} is not [address]:port")
        try:
            address = str(ipaddress.IPv6Address(host))
        except ValueError:
            raise ParseError(f"line {lineno}: {host!r} is not an IPv6 address") from None
        return address, _hex(port, "port", lineno, _MAX_PORT), True
    host, sep, port = text.partition(":")
    if not sep or len(host) != 8:
        raise ParseError(f"line {lineno}: {text!r} is not a hex address:port")
    return str(ipaddress.IPv4Address(_hex(host, "address", lineno))), _hex(
        port, "port", lineno, _MAX_PORT
    ), False


_HEX_RE = re.compile(r"[0-9A-Fa-f]{1,16}")


def _hex(word: str, what: str, lineno: int, limit: int = 2**64 - 1) -> int:
    # Not int(word, 16) alone: it takes "0x1f", "1_f", "+1f" and numbers of any size.
    if _HEX_RE.fullmatch(word) is None:
        raise ParseError(f"line {lineno}: {what} {word[:40]!r} is not hexadecimal")
    number = int(word, 16)
    if number > limit:
        raise ParseError(f"line {lineno}: {what} {word!r} is above {limit}")
    return number


def parse_proc_ip_vs_stats(text: str) -> LvsCounters:
    """Parse the whole-table totals of ``/proc/net/ip_vs_stats`` (all hexadecimal).

    The file's second block (rates) is not read: ``ipvsadm --rate`` gives them per service.

    Args:
        text: the file's exact text.

    Returns:
        Connections, packets and bytes since the module was loaded (or last zeroed).

    Raises:
        ParseError: not the file's format, or truncated.
    """
    lines = text.splitlines()
    if len(lines) < 3:
        raise ParseError("truncated /proc/net/ip_vs_stats: no totals line")
    if lines[0].split()[:1] != ["Total"] or lines[1].split()[:1] != ["Conns"]:
        raise ParseError(f"not /proc/net/ip_vs_stats: first line is {lines[0].strip()[:80]!r}")
    words = lines[2].split()
    _expect(words, 5, 3)
    conns, in_packets, out_packets, in_bytes, out_bytes = (
        _hex(w, "counter", 3) for w in words
    )
    return LvsCounters(conns, in_packets, out_packets, in_bytes, out_bytes)


# --------------------------------------------------------------------------- reader


@never_raises("lvs")
def read(runner: Runner) -> Reading[LvsDirector]:
    """Read the IPVS table of one node; never raises.

    Args:
        runner: runs the commands on the node (``runner.node`` names the director).

    Returns:
        The director with its services (each with ``director`` set), counters and rates.
        A node without IPVS gives a director with no services and detail ``no IPVS``.
        When ipvsadm fails (it needs root) the error says why and the value, if any,
        comes from ``/proc``; when it is not installed ``/proc`` is used without error.
    """
    clock = Clock("lvs", runner.node)
    proc = runner.fetch(PROC_IP_VS)
    if proc.missing:
        return clock.done(LvsDirector(node=runner.node), detail="no IPVS")
    table = runner.fetch(IPVSADM_LIST)
    if table.missing:
        return _from_proc(runner, clock, proc, error=None, why="ipvsadm not installed")
    if _permission_denied(table):
        error = "ipvsadm: permission denied (it needs root)"
        return _from_proc(runner, clock, proc, error=error, why="ipvsadm needs root")
    if not table.ok:
        return _from_proc(runner, clock, proc, error=table.reason(), why="ipvsadm failed")
    try:
        version, services = parse_output(parse_ipvsadm, table.stdout)
    except ParseError as exc:
        error = f"cannot parse ipvsadm output: {exc}"
        return _from_proc(runner, clock, proc, error=error, why="ipvsadm output unreadable")
    notes = ["ipvsadm -Ln"]
    stats = _optional_table(runner, IPVSADM_STATS, STATS, notes)
    rates = _optional_table(runner, IPVSADM_RATE, RATE, notes)
    totals = _totals(runner, notes)
    config, manager = _configuration(runner, notes)
    director = LvsDirector(
        node=runner.node, version=version, totals=totals,
        services=_joined(services, stats, rates, config, manager, runner.node))
    return Reading(director, clock.status(detail="; ".join(notes)))


_keepalived_conf = LastParses(parse_keepalived_conf, size=8)
_ldirectord_cf = LastParses(parse_ldirectord_cf, size=8)
"""A director's configuration file seldom changes: its last parses, by its text (one
per director; a 50 KB keepalived.conf is ~15 ms to parse)."""


def _configuration(runner: Runner, notes: list[str]) -> tuple[LvsConfig | None, str]:
    """The director's keepalived.conf (else ldirectord.cf) and which of the two, where it
    has one (best effort: without it, a note; weights stay "not known")."""
    for command, manager, parse in ((KEEPALIVED_CONF, "keepalived", _keepalived_conf),
                                    (LDIRECTORD_CF, "ldirectord", _ldirectord_cf)):
        result = runner.fetch(command)
        if result.missing:
            continue
        name = command.path.rsplit("/", 1)[-1] if command.path else manager
        if not result.ok:
            notes.append(f"no {name}: {result.reason()}")
            continue
        try:
            config: LvsConfig = parse_output(parse, result.stdout)
        except ParseError as exc:
            notes.append(f"{name}: {exc}")
            continue
        notes.append(name + (" (includes not followed)" if config.includes else ""))
        return config, manager
    return None, ""


def _with_weights(services: tuple[VirtualService, ...], config: LvsConfig, manager: str
                  ) -> tuple[VirtualService, ...]:
    """The services with the weights ``config`` (of ``manager``) gives their real servers;
    a service it does not name as it was."""
    return _joined(services, config=config, manager=manager)


def _from_proc(
    runner: Runner, clock: Clock, proc: CommandResult, error: str | None, why: str
) -> Reading[LvsDirector]:
    detail = f"/proc/net/ip_vs ({why})"
    if not proc.ok:
        reason = f"/proc/net/ip_vs: {proc.reason()}"
        return clock.failed(f"{error}; {reason}" if error else reason, detail)
    try:
        version, services = parse_output(parse_proc_ip_vs, proc.stdout)
    except ParseError as exc:
        reason = f"cannot parse /proc/net/ip_vs: {exc}"
        return clock.failed(f"{error}; {reason}" if error else reason, detail)
    notes = [detail]
    totals = _totals(runner, notes)
    if totals is not None:
        notes.append("stats from /proc/net/ip_vs_stats (totals only, none per service)")
    director = _director(runner.node, version, services, totals)
    return Reading(director, clock.status(error=error, detail="; ".join(notes)))


def _optional_table(
    runner: Runner, command: Command, variant: str, notes: list[str]
) -> Counted | None:
    """A best-effort extra reading: on failure, a note instead of an error."""
    result = runner.fetch(command)
    if not result.ok:
        notes.append(f"no {variant}: {result.reason()}")
        return None
    try:
        return parse_output(lambda text: _counted(text, variant), result.stdout)
    except ParseError as exc:
        notes.append(f"no {variant}: {exc}")
        return None


def _counted(text: str, variant: str) -> Counted:
    """The counters of an ``ipvsadm -Ln --stats`` or ``--rate`` table: what
    ``parse_ipvsadm(text)`` holds of them, and its errors, without building its services
    and real servers (only their counters are joined onto the plain table).

    Raises:
        ParseError: as :func:`parse_ipvsadm`; or the table is of another variant.
    """
    lines = text.splitlines()
    _version(lines)
    found = _variant(lines)
    if found != variant:
        raise ParseError(f"got the {found} variant")
    kept = _counter_lines
    if len(kept) > _KEEP_LINES:
        kept.clear()
    counted: Counted = {}
    servers: dict[tuple[str, int], LvsCounters | None] | None = None
    for lineno, line in enumerate(lines[3:], start=4):
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] == "->":
            if servers is None:
                raise ParseError(f"line {lineno}: a real server before any service")
            key = (variant, *tokens)
            known = kept.get(key)
            if known is None:
                fields = tokens[1:]
                _expect(fields, 6, lineno)
                address, port, _ = _host_port(fields[0], lineno)
                known = kept[key] = ((address, port), _counters(fields[1:], lineno))
            servers[known[0]] = known[1]
        elif line[0].isspace():
            raise ParseError(f"line {lineno}: unexpected indented line {line.strip()!r}")
        else:
            service, rest = _service_identity(tokens, lineno)
            servers = {}
            counted[service.key] = (_counters(rest, lineno), servers)
    return counted


_counter_lines: dict[tuple[str, ...], tuple[tuple[str, int], LvsCounters]] = {}
"""Real-server lines of ``--stats`` and ``--rate`` tables read before, by variant and
words: their (address, port) and counters (an idle real server's read as before)."""


def _totals(runner: Runner, notes: list[str]) -> LvsCounters | None:
    result = runner.fetch(PROC_IP_VS_STATS)
    if not result.ok:
        notes.append(f"no totals: {result.reason()}")
        return None
    try:
        return parse_output(parse_proc_ip_vs_stats, result.stdout)
    except ParseError as exc:
        notes.append(f"no totals: {exc}")
        return None


def _director(
    node: str,
    version: str | None,
    services: tuple[VirtualService, ...],
    totals: LvsCounters | None,
) -> LvsDirector:
    return LvsDirector(
        node=node,
        version=version,
        services=tuple(replace(svc, director=node) for svc in services),
        totals=totals,
    )


def _permission_denied(result: CommandResult) -> bool:
    # ipvsadm as a user: "Can't initialize ipvs: Permission denied (you must be root)".
    if result.ok:
        return False
    if result.error_kind == "permission":
        return True
    text = f"{result.error or ''} {result.stderr}".lower()
    return "permission denied" in text or "must be root" in text
