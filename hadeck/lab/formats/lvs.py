"""LVS renderers: the IPVS table as ``ipvsadm -Ln`` and ``/proc/net/ip_vs*`` print it.

The inverse of :mod:`hadeck.sources.lvs`. Each function takes model objects and returns
the exact text of the real tool, trailing blanks included, from the same format strings:

- ipvsadm 1.31 (``ipvsadm.c``): ``print_title``, ``print_service_entry``,
  ``print_largenum``, ``print_sched_flags``, ``addrport_to_anyname``; the sort of
  ``libipvs.c`` ``ipvs_cmp_services`` / ``ipvs_cmp_dests`` run by glibc ``qsort``.
- the kernel (``net/netfilter/ipvs/ip_vs_ctl.c``): ``ip_vs_info_seq_show`` and
  ``ip_vs_stats_show``.

**Order.** ipvsadm sorts, so :func:`ipvsadm_ln` and its variants sort the model's data
themselves and ignore the order they are given. The sort is reproduced exactly,
including its quirk: addresses are compared by a 32-bit subtraction that overflows, so
``10.0.0.25`` sorts after ``203.0.113.10``. That comparison is not a total order, so the
result depends on the sorting algorithm: glibc's ``qsort`` is a top-down merge sort
(``msort_with_tmp``; a switch to introsort during glibc 2.39 development was reverted
before release), reproduced by :func:`_msort`. ``/proc/net/ip_vs`` is in the kernel's
hash-table order, with each service's real servers newest first; that order cannot be
computed from the model (it depends on a kernel pointer), so :func:`proc_ip_vs` keeps
the order it is given and the caller (the lab) decides it.

**What a format cannot carry.** ``/proc/net/ip_vs`` has no scheduler flags and no
persistence engine, no ``ops`` on IPv6 services, and does not say a firewall mark's
address family. ipvsadm prints ``pe`` only on persistent services (as it does). Counters
missing from the model (``stats``/``rates`` of ``None``) are printed as zeros.

All functions are pure: no I/O, no clock.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import TypeVar

from hadeck.model import LvsCounters, RealServer, VirtualService

T = TypeVar("T")

DEFAULT_VERSION = "1.2.1"
"""IPVS version in the table header (``NVERSION(IP_VS_VERSION_CODE)``, 1.2.1 since 2005)."""
DEFAULT_SIZE = 4096
"""Connection hash table size in the header (``ip_vs_conn_tab_size``, the kernel default)."""

_AF_INET = 2
_AF_INET6 = 10
# IPPROTO_* numbers: the sort compares services by protocol number, not by name.
_PROTO_NUMBERS = {"TCP": 6, "UDP": 17, "SCTP": 132}

# print_sched_flags() prints the flags in bit order, whatever order they were set in.
_SCHED_FLAG_ORDER = {
    "flag-1": 1, "sh-fallback": 1, "mh-fallback": 1,
    "flag-2": 2, "sh-port": 2, "mh-port": 2,
    "flag-3": 3,
}

_TABLE_TITLES = (
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)
_PROC_TITLES = (
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
)


# --------------------------------------------------------------------------- ipvsadm


def ipvsadm_ln(
    services: Sequence[VirtualService],
    version: str = DEFAULT_VERSION,
    size: int = DEFAULT_SIZE,
) -> str:
    """Render ``ipvsadm -Ln`` exactly as ipvsadm 1.31 prints it.

    Args:
        services: the virtual services with their real servers, in any order.
        version: the IPVS version of the header line.
        size: the connection table size of the header line.

    Returns:
        The full output: header, column titles, then one line per service followed by
        its real servers (``  -> %-28s %-7s %-6d %-10u %-10u``, trailing blanks kept),
        sorted as ipvsadm sorts them.
    """
    out = [_header(version, size), _TABLE_TITLES]
    for svc in sort_services(services):
        out.append(f"{_service_name(svc)} {svc.scheduler}{_service_options(svc)}\n")
        for rs in sort_real_servers(svc.real_servers):
            out.append(
                f"  -> {_dest_name(rs):<28} {rs.forward:<7} {rs.weight:<6d} "
                f"{_u32(rs.active_conns):<10d} {_u32(rs.inactive_conns):<10d}\n"
            )
    return "".join(out)


def ipvsadm_stats(
    services: Sequence[VirtualService],
    exact: bool = True,
    *,
    version: str = DEFAULT_VERSION,
    size: int = DEFAULT_SIZE,
) -> str:
    """Render ``ipvsadm -Ln --stats [--exact]`` from ``svc.stats`` and ``rs.stats``.

    Args:
        services: the virtual services, in any order; a ``None`` counter prints zeros.
        exact: ``--exact``: full numbers, each at least one blank wider than itself.
            Without it, numbers of 100 million and more are cut to ``K``/``M``/``G``/``T``
            (``print_largenum``).
        version: the IPVS version of the header line.
        size: the connection table size of the header line.

    Returns:
        The full output, sorted as ipvsadm sorts.
    """
    out = [_header(version, size), _counter_titles("Conns", "InPkts", "OutPkts", "InBytes")]
    for svc in sort_services(services):
        out.append(f"{_service_name(svc):<33}{_largenums(svc.stats, exact)}\n")
        for rs in sort_real_servers(svc.real_servers):
            out.append(f"  -> {_dest_name(rs):<28}{_largenums(rs.stats, exact)}\n")
    return "".join(out)


def ipvsadm_rate(
    services: Sequence[VirtualService],
    exact: bool = False,
    *,
    version: str = DEFAULT_VERSION,
    size: int = DEFAULT_SIZE,
) -> str:
    """Render ``ipvsadm -Ln --rate [--exact]`` from ``svc.rates`` and ``rs.rates``.

    Service lines use ``print_largenum`` for all five rates; real-server lines print
    CPS, InPPS and OutPPS with a plain `` %8llu`` (never suffixed) and only the byte
    rates through ``print_largenum``, as ipvsadm does.

    Args:
        services: the virtual services, in any order; a ``None`` rate prints zeros.
        exact: ``--exact`` (rarely used with ``--rate``).
        version: the IPVS version of the header line.
        size: the connection table size of the header line.

    Returns:
        The full output, sorted as ipvsadm sorts.
    """
    out = [_header(version, size), _counter_titles("CPS", "InPPS", "OutPPS", "InBPS")]
    for svc in sort_services(services):
        out.append(f"{_service_name(svc):<33}{_largenums(svc.rates, exact)}\n")
        for rs in sort_real_servers(svc.real_servers):
            rates = rs.rates or LvsCounters()
            out.append(
                f"  -> {_dest_name(rs):<28} {rates.conns:8d} {rates.in_packets:8d} "
                f"{rates.out_packets:8d}{_largenum(rates.in_bytes, exact)}"
                f"{_largenum(rates.out_bytes, exact)}\n"
            )
    return "".join(out)


def _header(version: str, size: int) -> str:
    return f"IP Virtual Server version {version} (size={size})\n"


def _counter_titles(first: str, second: str, third: str, fourth: str) -> str:
    # "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n"; the fifth title is
    # OutBytes or OutBPS, which is the fourth with "In" turned to "Out".
    fifth = "Out" + fourth[2:]
    titles = " ".join(f"{t:>8}" for t in (first, second, third, fourth, fifth))
    return f"{'Prot LocalAddress:Port':<33} {titles}\n  -> RemoteAddress:Port\n"


def _service_name(svc: VirtualService) -> str:
    """``svc_name`` of print_service_entry: ``FWM  <mark>[ IPv6]`` or ``%-4s %s``."""
    if svc.protocol == "FWM":
        # sprintf("FWM  %d", fwmark) of an unsigned mark: 2**31 and above print negative.
        return f"FWM  {_i32(int(svc.address))}" + (" IPv6" if svc.ipv6 else "")
    name = f"{svc.protocol:<4} {_addrport(svc.address, svc.port, svc.ipv6)}"
    # ipvsadm cuts an IPv4 name at 33 bytes (svc_name[33] = '\0'); IPv6 names run on.
    return name if svc.ipv6 else name[:33]


def _service_options(svc: VirtualService) -> str:
    """Everything after the scheduler: ``(flags)``, persistence, ``pe``, ``ops``."""
    words = ""
    if svc.flags:
        ordered = sorted(svc.flags, key=lambda flag: _SCHED_FLAG_ORDER.get(flag, 4))
        words += f" ({','.join(ordered)})"
    if svc.persistent_s is not None:
        words += f" persistent {_u32(svc.persistent_s)}"
        if svc.ipv6:
            if svc.netmask is not None and svc.netmask != "128":
                words += f" mask {svc.netmask}"
        elif svc.netmask is not None and svc.netmask != "255.255.255.255":
            words += f" mask {svc.netmask}"
        # ipvsadm prints the persistence engine inside the persistence block only.
        if svc.pe:
            words += f" pe {svc.pe}"
    if svc.one_packet:
        words += " ops"
    return words


def _dest_name(rs: RealServer) -> str:
    ipv6 = _is_ipv6(rs.address)
    name = _addrport(rs.address, rs.port, ipv6)
    # dname[28] = '\0' for IPv4 only: an IPv6 name pushes the columns right.
    return name if ipv6 else name[:28]


def _addrport(address: str, port: int, ipv6: bool) -> str:
    """addrport_to_anyname() with FMT_NUMERIC: ``%s%s%s:%u``, IPv6 in brackets."""
    if ipv6:
        return f"[{_inet_ntop6(address)}]:{port}"
    return f"{address}:{port}"


def _largenums(counters: LvsCounters | None, exact: bool) -> str:
    c = counters or LvsCounters()
    return "".join(
        _largenum(n, exact)
        for n in (c.conns, c.in_packets, c.out_packets, c.in_bytes, c.out_bytes)
    )


def _largenum(value: int, exact: bool) -> str:
    """print_largenum(): ``%9llu``, or cut and suffixed; ``--exact`` widens instead."""
    value = _u64(value)
    if exact:
        digits = str(value)
        return digits.rjust(9 if len(digits) <= 8 else len(digits) + 1)
    if value < 100_000_000:
        return f"{value:9d}"
    if value < 1_000_000_000:
        return f"{value // 1000:8d}K"
    if value < 100_000_000_000:
        return f"{value // 1_000_000:8d}M"
    if value < 100_000_000_000_000:
        return f"{value // 1_000_000_000:8d}G"
    return f"{value // 1_000_000_000_000:8d}T"


# --------------------------------------------------------------------------- sorting


def sort_services(services: Sequence[VirtualService]) -> list[VirtualService]:
    """The services in the order ``ipvsadm -L`` prints them (``ipvs_cmp_services``).

    Args:
        services: in any order.

    Returns:
        Sorted by firewall mark, address family, protocol number, address (32-bit
        words compared by overflowing subtraction) and port, with glibc's merge sort.
    """
    return _msort(list(services), _cmp_services)


def sort_real_servers(servers: Sequence[RealServer]) -> list[RealServer]:
    """A service's real servers in ipvsadm's order (``ipvs_cmp_dests``).

    Args:
        servers: in any order.

    Returns:
        Sorted by address family, address (overflowing subtraction) and port.
    """
    return _msort(list(servers), _cmp_dests)


def _cmp_services(a: VirtualService, b: VirtualService) -> int:
    # Each step is a C subtraction: unsigned 32-bit fields wrap when stored in an int,
    # 16-bit fields (af, protocol, port) are promoted to int and do not.
    r = _i32(_fwmark(a) - _fwmark(b))
    if r:
        return r
    r = _af(a.ipv6) - _af(b.ipv6)
    if r:
        return r
    r = _PROTO_NUMBERS.get(a.protocol, 0) - _PROTO_NUMBERS.get(b.protocol, 0)
    if r:
        return r
    if a.protocol != "FWM":
        r = _cmp_words(_words(a.address, a.ipv6), _words(b.address, b.ipv6))
        if r:
            return r
        return a.port - b.port
    return 0


def _cmp_dests(a: RealServer, b: RealServer) -> int:
    a6, b6 = _is_ipv6(a.address), _is_ipv6(b.address)
    r = _af(a6) - _af(b6)
    if r:
        return r
    r = _cmp_words(_words(a.address, a6), _words(b.address, b6))
    if r:
        return r
    return a.port - b.port


def _cmp_words(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    # for (i = 0; !r && i < 4; i++) r = ntohl(a[i]) - ntohl(b[i]);
    r = 0
    for x, y in zip(a, b, strict=False):
        r = _i32(x - y)
        if r:
            break
    return r


def _msort(items: list[T], cmp: Callable[[T, T], int]) -> list[T]:
    """glibc ``msort_with_tmp``: split at n/2, sort both halves, merge taking left on <= 0.

    Reproduced rather than using :func:`sorted` because ipvsadm's comparison is not
    transitive (the overflowing subtraction), and with such a comparison the result
    depends on the algorithm.
    """
    if len(items) <= 1:
        return items
    half = len(items) // 2
    left, right = _msort(items[:half], cmp), _msort(items[half:], cmp)
    merged: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]


def _fwmark(svc: VirtualService) -> int:
    return int(svc.address) if svc.protocol == "FWM" else 0


def _af(ipv6: bool) -> int:
    return _AF_INET6 if ipv6 else _AF_INET


def _words(address: str, ipv6: bool) -> tuple[int, ...]:
    """The address as host-order 32-bit words: one for IPv4, four for IPv6."""
    if ipv6:
        value = int(ipaddress.IPv6Address(address))
        return tuple((value >> shift) & 0xFFFFFFFF for shift in (96, 64, 32, 0))
    return (int(ipaddress.IPv4Address(address)),)


def _is_ipv6(address: str) -> bool:
    return ":" in address


def _i32(value: int) -> int:
    """A C ``int`` holding ``value``: wraps to a signed 32-bit number."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


def _u64(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def _inet_ntop6(address: str) -> str:
    """glibc ``inet_ntop(AF_INET6)``: like :mod:`ipaddress`, except that ``::a.b.c.d``
    and ``::ffff:a.b.c.d`` keep their dotted IPv4 tail (the parser reads both)."""
    value = ipaddress.IPv6Address(address)
    words = [(int(value) >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    # The longest run of two or more zero words, the first one on a tie.
    best_base, best_len, base = -1, 0, -1
    for i, word in enumerate([*words, 1]):
        if word == 0 and base == -1:
            base = i
        elif word != 0 and base != -1:
            if i - base > best_len:
                best_base, best_len = base, i - base
            base = -1
    if best_len < 2:
        best_base = -1
    parts: list[str] = []
    for i, word in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                parts.append(":")
            continue
        if i != 0:
            parts.append(":")
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            parts.append(str(ipaddress.IPv4Address(int(value) & 0xFFFFFFFF)))
            break
        parts.append(f"{word:x}")
    if best_base != -1 and best_base + best_len == 8:
        parts.append(":")
    return "".join(parts)


# --------------------------------------------------------------------------- /proc


def proc_ip_vs(
    services: Sequence[VirtualService],
    version: str = DEFAULT_VERSION,
    size: int = DEFAULT_SIZE,
) -> str:
    """Render the kernel's ``/proc/net/ip_vs`` (``ip_vs_info_seq_show``).

    Addresses and ports are hexadecimal in host order, IPv6 addresses in full form
    (``%pI6``). An IPv4 service line is ``%s  %08X:%04X %s %s `` (the second ``%s`` is
    ``ops `` or empty), so it ends in two blanks when not persistent; IPv6 has no ops
    flag; a firewall mark is ``FWM  %08X %s %s``. Persistence adds
    ``persistent <timeout> <netmask %08X>``, the netmask through ``ntohl``: for IPv6 the
    prefix length, byte-swapped as on a little-endian host (128 reads ``80000000``).

    Args:
        services: in the order to print (the kernel's hash order is the caller's
            choice; real servers too, newest first in the kernel).
        version: the IPVS version of the header line.
        size: the connection table size of the header line.

    Returns:
        The file's full text.
    """
    out = [_header(version, size), _PROC_TITLES]
    for svc in services:
        out.append(_proc_service_line(svc))
        for rs in svc.real_servers:
            if _is_ipv6(rs.address):
                host = f"[{ipaddress.IPv6Address(rs.address).exploded}]"
            else:
                host = f"{int(ipaddress.IPv4Address(rs.address)):08X}"
            out.append(
                f"  -> {host}:{rs.port:04X}      {rs.forward:<7} {rs.weight:<6d} "
                f"{rs.active_conns:<10d} {rs.inactive_conns:<10d}\n"
            )
    return "".join(out)


def _proc_service_line(svc: VirtualService) -> str:
    ops = "ops " if svc.one_packet else ""
    if svc.protocol == "FWM":
        line = f"FWM  {_u32(int(svc.address)):08X} {svc.scheduler} {ops}"
    elif svc.ipv6:
        exploded = ipaddress.IPv6Address(svc.address).exploded
        line = f"{svc.protocol}  [{exploded}]:{svc.port:04X} {svc.scheduler} "
    else:
        address = int(ipaddress.IPv4Address(svc.address))
        line = f"{svc.protocol}  {address:08X}:{svc.port:04X} {svc.scheduler} {ops} "
    if svc.persistent_s is None:
        return line + "\n"
    return f"{line}persistent {svc.persistent_s} {_proc_netmask(svc):08X}\n"


def _proc_netmask(svc: VirtualService) -> int:
    if svc.ipv6:
        plen = int(svc.netmask) if svc.netmask is not None else 128
        # The kernel runs ntohl() over the prefix length: on x86 the bytes swap.
        return int.from_bytes(plen.to_bytes(4, "little"), "big")
    mask = svc.netmask if svc.netmask is not None else "255.255.255.255"
    return int(ipaddress.IPv4Address(mask))


def proc_ip_vs_stats(totals: LvsCounters, rates: LvsCounters | None = None) -> str:
    """Render the kernel's ``/proc/net/ip_vs_stats`` (``ip_vs_stats_show``).

    Args:
        totals: whole-table connections, packets and bytes.
        rates: whole-table rates (conns/s, packets/s, bytes/s); zeros when ``None``.

    Returns:
        The file's full text, all numbers in upper-case hexadecimal
        (``%8LX %8LX %8LX %16LX %16LX``).
    """
    rates = rates or LvsCounters()
    return (
        "   Total Incoming Outgoing         Incoming         Outgoing\n"
        "   Conns  Packets  Packets            Bytes            Bytes\n"
        f"{_hex_counters(totals)}\n"
        "\n"
        " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n"
        f"{_hex_counters(rates)}\n"
    )


def _hex_counters(c: LvsCounters) -> str:
    return (
        f"{_u64(c.conns):8X} {_u64(c.in_packets):8X} {_u64(c.out_packets):8X} "
        f"{_u64(c.in_bytes):16X} {_u64(c.out_bytes):16X}"
    )
