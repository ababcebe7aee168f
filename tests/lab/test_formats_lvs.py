"""The lab's LVS and keepalived renderers are the exact inverse of the real parsers.

What keeps the lab from drifting away from the real tools:

1. every sample and capture whose content the model holds fully is parsed with the real
   parser, rendered again, and must come back byte for byte (trailing blanks included);
2. ``--stats`` without ``--exact`` cuts large numbers exactly as ``print_largenum``;
3. keepalived dumps read back to the same instances, and keep the captured layout;
4. generated tables (protocols, IPv6, firewall marks, weights from 0, persistence, flags)
   read back to the same model, field for field, wherever the format carries the field.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from hadeck.lab.formats import keepalived as ka_render
from hadeck.lab.formats import lvs as render
from hadeck.model import LvsCounters, RealServer, VirtualService, VrrpInstance
from hadeck.sources import keepalived as ka_parse
from hadeck.sources import lvs as parse
from hadeck.sources.base import ParseError
from tests.conftest import CAPTURED, SAMPLES, captured, sample

# --------------------------------------------------------------------------- round trips


def _files(folder: Path, pattern: str = "*.txt") -> list[Path]:
    return sorted(folder.glob(pattern))


TABLES = [
    *_files(SAMPLES / "ipvsadm-Ln"),
    *_files(CAPTURED, "ipvsadm_-Ln__*.txt"),
]
PROC_TABLES = [
    *_files(SAMPLES / "proc-net-ip_vs"),
    CAPTURED / "proc_net_ip_vs__one_rs.txt",
    CAPTURED / "proc_net_ip_vs__two_rs.txt",
]


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", TABLES, ids=_id)
def test_ipvsadm_ln_round_trip_is_byte_exact(path: Path) -> None:
    text = path.read_text()
    version, services = parse.parse_ipvsadm(text)
    assert version is not None
    assert render.ipvsadm_ln(services, version) == text
    # ipvsadm sorts: the order the model comes in must not matter.
    shuffled = [replace(s, real_servers=s.real_servers[::-1]) for s in services[::-1]]
    assert render.ipvsadm_ln(shuffled, version) == text


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        (sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt"), True),
        # The suffixed sample reads back to truncated values, which cut the same way.
        (sample("ipvsadm-Ln-stats", "dr-http-https.txt"), False),
        (captured("ipvsadm_-Ln_--stats__after_traffic_settled.txt"), False),
        (captured("ipvsadm_-Ln_--stats__after_traffic_settled.txt"), True),
    ],
    ids=["sample-exact", "sample-suffixed", "captured", "captured-as-exact"],
)
def test_ipvsadm_stats_round_trip_is_byte_exact(text: str, exact: bool) -> None:
    version, services = parse.parse_ipvsadm(text)
    assert render.ipvsadm_stats(services[::-1], exact, version=version or "") == text


@pytest.mark.parametrize(
    "text",
    [
        sample("ipvsadm-Ln-rate", "dr-http-https.txt"),
        captured("ipvsadm_-Ln_--rate__after_traffic.txt"),
    ],
    ids=["sample", "captured"],
)
def test_ipvsadm_rate_round_trip_is_byte_exact(text: str) -> None:
    _, services = parse.parse_ipvsadm(text)
    assert render.ipvsadm_rate(services[::-1]) == text


@pytest.mark.parametrize("path", PROC_TABLES, ids=_id)
def test_proc_ip_vs_round_trip_is_byte_exact(path: Path) -> None:
    text = path.read_text()
    version, services = parse.parse_proc_ip_vs(text)
    assert version is not None
    # The kernel's hash order is kept as given (the lab chooses it).
    assert render.proc_ip_vs(services, version) == text


def _proc_rates(text: str) -> LvsCounters:
    # The parser does not read the rate line (ipvsadm --rate gives rates per service);
    # read it here so that the whole file can be compared.
    words = [int(word, 16) for word in text.splitlines()[5].split()]
    return LvsCounters(*words)


@pytest.mark.parametrize("case", ["busy.txt", "idle.txt"])
def test_proc_ip_vs_stats_round_trip_is_byte_exact(case: str) -> None:
    text = sample("proc-net-ip_vs_stats", case)
    totals = parse.parse_proc_ip_vs_stats(text)
    assert render.proc_ip_vs_stats(totals, _proc_rates(text)) == text
    # What the parser keeps (the totals) survives without the rates too.
    assert parse.parse_proc_ip_vs_stats(render.proc_ip_vs_stats(totals)) == totals


def test_empty_table_variants() -> None:
    assert render.ipvsadm_ln([]) == sample("ipvsadm-Ln", "empty-table.txt")
    stats_titles = sample("ipvsadm-Ln-stats", "dr-http-https.txt").splitlines(keepends=True)
    assert render.ipvsadm_stats([]) == "".join(stats_titles[:3])
    assert parse.parse_ipvsadm(render.ipvsadm_rate([])) == ("1.2.1", ())
    assert parse.parse_proc_ip_vs(render.proc_ip_vs([], "1.2.0", 65536)) == ("1.2.0", ())
    assert render.ipvsadm_ln([], "1.2.0", 65536).startswith(
        "IP Virtual Server version 1.2.0 (size=65536)\n"
    )


# --------------------------------------------------------------------------- print_largenum


def test_stats_without_exact_cuts_like_the_sample() -> None:
    _, exact = parse.parse_ipvsadm(sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt"))
    assert max(s.stats.in_bytes for s in exact if s.stats) > 10**10
    suffixed = sample("ipvsadm-Ln-stats", "dr-http-https.txt")
    assert render.ipvsadm_stats(exact, exact=False) == suffixed


@pytest.mark.parametrize(
    ("value", "cut", "wide"),
    [
        (0, "        0", "        0"),
        (99_999_999, " 99999999", " 99999999"),
        (100_000_000, "  100000K", " 100000000"),
        (999_999_999, "  999999K", " 999999999"),
        (1_000_000_000, "    1000M", " 1000000000"),
        (99_999_999_999, "   99999M", " 99999999999"),
        (100_000_000_000, "     100G", " 100000000000"),
        (99_999_999_999_999, "   99999G", " 99999999999999"),
        (100_000_000_000_000, "     100T", " 100000000000000"),
        (2**64 - 1, "18446744T", " 18446744073709551615"),
    ],
)
def test_largenum_suffixes_and_exact_widths(value: int, cut: str, wide: str) -> None:
    svc = VirtualService("TCP", "192.0.2.1", 80, stats=LvsCounters(value, 0, 0, 0, 0))
    assert _first_counter(render.ipvsadm_stats([svc], exact=False)) == cut
    assert _first_counter(render.ipvsadm_stats([svc], exact=True)) == wide
    # The cut is a truncation: the parser gets the value rounded down to its unit.
    (read,) = parse.parse_ipvsadm(render.ipvsadm_stats([svc], exact=False))[1]
    assert read.stats is not None
    assert read.stats.conns == _truncated(value)


def _first_counter(text: str) -> str:
    line = text.splitlines()[3]
    return line[33:-36]  # the other four counters are zeros, 9 wide each


def _truncated(value: int) -> int:
    for limit, unit in ((10**8, 1), (10**9, 10**3), (10**11, 10**6), (10**14, 10**9)):
        if value < limit:
            return value // unit * unit
    return value // 10**12 * 10**12


def test_rate_real_servers_never_cut_the_first_three_columns() -> None:
    big = 123_456_789
    rs = RealServer("192.0.2.11", 80, rates=LvsCounters(big, big, big, big, big))
    svc = VirtualService("TCP", "192.0.2.1", 80, rates=rs.rates, real_servers=(rs,))
    lines = render.ipvsadm_rate([svc]).splitlines()
    assert lines[3].split()[2:] == ["123456K"] * 5
    assert lines[4].split()[2:] == ["123456789", "123456789", "123456789", "123456K", "123456K"]


# --------------------------------------------------------------------------- sort order


def test_sort_order_matches_ipvsadm_save_including_the_overflow() -> None:
    # ipvsadm-Sn/nat-and-fwmark.txt lists these services in ipvsadm's order:
    # 203.0.113.10 before 10.0.0.25 (the overflowing subtraction), UDP after TCP, FWM last.
    _, tunnel = parse.parse_ipvsadm(sample("ipvsadm-Ln", "tunnel-and-fwmark.txt"))
    _, nat = parse.parse_ipvsadm(sample("ipvsadm-Ln", "nat-udp-dns-and-quiesced.txt"))
    text = render.ipvsadm_ln([*nat, *tunnel])
    keys = [svc.key for svc in parse.parse_ipvsadm(text)[1]]
    saved = sample("ipvsadm-Sn", "nat-and-fwmark.txt")
    expected = [
        _saved_key(line) for line in saved.splitlines() if line.startswith("-A ")
    ]
    assert keys == expected == [
        "TCP 203.0.113.10:80", "TCP 10.0.0.25:25", "TCP 10.0.0.80:8080",
        "UDP 10.0.0.53:53", "FWM 1",
    ]


def _saved_key(line: str) -> str:
    words = line.split()
    proto = {"-t": "TCP", "-u": "UDP", "-f": "FWM"}[words[1]]
    return f"{proto} {words[2]}"


def test_sort_order_fields() -> None:
    v4 = [
        VirtualService("UDP", "10.0.0.1", 53, "rr"),
        VirtualService("SCTP", "10.0.0.1", 3868, "rr"),
        VirtualService("TCP", "10.0.0.1", 443, "rr"),
        VirtualService("TCP", "10.0.0.1", 80, "rr"),
        VirtualService("TCP", "2001:db8::1", 80, "rr", ipv6=True),
        VirtualService("FWM", "2", scheduler="rr"),
        VirtualService("FWM", "1", scheduler="rr", ipv6=True),
        VirtualService("FWM", "1", scheduler="rr"),
        VirtualService("TCP", "10.0.0.0", 80, "rr"),
    ]
    assert [svc.key for svc in render.sort_services(v4)] == [
        "TCP 10.0.0.0:80", "TCP 10.0.0.1:80", "TCP 10.0.0.1:443", "UDP 10.0.0.1:53",
        "SCTP 10.0.0.1:3868", "TCP [2001:db8::1]:80", "FWM 1", "FWM 1 IPv6", "FWM 2",
    ]
    servers = [
        RealServer("203.0.113.10", 80), RealServer("10.0.0.25", 81), RealServer("10.0.0.25", 80),
    ]
    assert [rs.key for rs in render.sort_real_servers(servers)] == [
        "203.0.113.10:80", "10.0.0.25:80", "10.0.0.25:81",
    ]


def test_sort_within_half_the_address_space_is_a_plain_sort() -> None:
    # Addresses less than 2**31 apart never overflow: the comparison is then a total
    # order, and the result must be Python's own sort by the same fields.
    rng = random.Random(7)
    services = [
        VirtualService(
            rng.choice(["TCP", "UDP"]), str(ipaddress.IPv4Address(rng.randrange(2**31))),
            rng.randrange(65536), "rr",
        )
        for _ in range(200)
    ]
    expected = sorted(
        services,
        key=lambda s: (s.protocol != "TCP", int(ipaddress.IPv4Address(s.address)), s.port),
    )
    assert render.sort_services(services) == expected


# --------------------------------------------------------------------------- details


def test_service_options_as_ipvsadm_prints_them() -> None:
    services = [
        VirtualService(
            "TCP", "192.168.40.100", 80, "sh", flags=("sh-port", "sh-fallback"),
            persistent_s=120, netmask="255.255.255.0",
        ),
        VirtualService("UDP", "192.168.40.100", 5060, "rr", persistent_s=360, pe="sip",
                       one_packet=True),
        VirtualService("UDP", "192.168.40.100", 53, "rr", one_packet=True, pe="sip"),
        VirtualService("SCTP", "192.168.40.100", 3868, "mh", flags=("mh-fallback",)),
        VirtualService("TCP", "2001:db8::80", 443, "wlc", ipv6=True, persistent_s=60,
                       netmask="64"),
        VirtualService("TCP", "2001:db8::81", 443, "wlc", ipv6=True, persistent_s=60,
                       netmask="128"),
        VirtualService("FWM", "7", scheduler="lc", ipv6=True, real_servers=(
            RealServer("2001:db8::12", 0, "Tunnel", 4),
        )),
    ]
    lines = render.ipvsadm_ln(services).splitlines()[3:]
    assert lines == [
        "TCP  192.168.40.100:80 sh (sh-fallback,sh-port) persistent 120 mask 255.255.255.0",
        # pe is printed inside the persistence block only, as ipvsadm does.
        "UDP  192.168.40.100:53 rr ops",
        "UDP  192.168.40.100:5060 rr persistent 360 pe sip ops",
        "SCTP 192.168.40.100:3868 mh (mh-fallback)",
        "TCP  [2001:db8::80]:443 wlc persistent 60 mask 64",
        "TCP  [2001:db8::81]:443 wlc persistent 60",
        "FWM  7 IPv6 lc",
        "  -> [2001:db8::12]:0             Tunnel  4      0          0         ",
    ]


def test_long_ipv6_names_push_the_columns_right() -> None:
    address = "2001:db8:1234:5678:9abc:def0:1234:5678"
    rs = RealServer(address, 65535, "Route", 1, 2, 3, stats=LvsCounters(1, 2, 3, 4, 5))
    svc = VirtualService("TCP", address, 443, "rr", ipv6=True, real_servers=(rs,),
                         stats=LvsCounters(1, 2, 3, 4, 5))
    line = render.ipvsadm_ln([svc]).splitlines()[4]
    assert line == f"  -> [{address}]:65535 Route   1      2          3         "
    stats = render.ipvsadm_stats([svc]).splitlines()
    assert stats[3] == f"TCP  [{address}]:443" + "".join(f"{n:9d}" for n in range(1, 6))
    assert parse.parse_ipvsadm(render.ipvsadm_ln([svc]))[1][0].real_servers == (
        replace(rs, stats=None),
    )


def test_ipv6_addresses_print_as_inet_ntop_does() -> None:
    cases = {
        "::": "::", "::1": "::1", "2001:db8::": "2001:db8::",
        "2001:db8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1",  # one zero word is not compressed
        "2001:0:0:1::1": "2001:0:0:1::1",  # the longest run wins, the first on a tie
        "::ffff:192.0.2.1": "::ffff:192.0.2.1",  # IPv4-mapped keeps its dotted tail
        "::192.0.2.1": "::192.0.2.1",
    }
    for address, printed in cases.items():
        assert render._inet_ntop6(address) == printed
        svc = VirtualService("TCP", str(ipaddress.IPv6Address(address)), 80, "rr", ipv6=True)
        (read,) = parse.parse_ipvsadm(render.ipvsadm_ln([svc]))[1]
        assert read == svc


def test_proc_lines_as_the_kernel_prints_them() -> None:
    services = [
        VirtualService("UDP", "10.10.0.100", 5060, "rr", one_packet=True, persistent_s=360,
                       netmask="255.255.255.0",
                       real_servers=(RealServer("172.16.0.11", 5060, "Masq", 1, 0, 311),)),
        VirtualService("TCP", "2001:db8:100::80", 80, "rr", ipv6=True, real_servers=(
            RealServer("2001:db8:100::11", 80, "Route", 2, 7, 1),
        )),
        VirtualService("TCP", "2001:db8::443", 443, "wlc", ipv6=True, persistent_s=300,
                       netmask="64"),
        VirtualService("FWM", "20", scheduler="wlc", persistent_s=1800),
        VirtualService("FWM", "21", scheduler="wlc", one_packet=True),
    ]
    assert render.proc_ip_vs(services).splitlines()[3:] == [
        "UDP  0A0A0064:13C4 rr ops  persistent 360 FFFFFF00",
        "  -> AC10000B:13C4      Masq    1      0          311       ",
        "TCP  [2001:0db8:0100:0000:0000:0000:0000:0080]:0050 rr ",
        "  -> [2001:0db8:0100:0000:0000:0000:0000:0011]:0050      Route   2      7          1"
        "         ",
        # ntohl() of prefix length 64 on a little-endian host.
        "TCP  [2001:0db8:0000:0000:0000:0000:0000:0443]:01BB wlc persistent 300 40000000",
        "FWM  00000014 wlc persistent 1800 FFFFFFFF",
        "FWM  00000015 wlc ops ",
    ]


def test_proc_drops_what_the_kernel_does_not_print() -> None:
    # /proc/net/ip_vs has no scheduler flags, no persistence engine, no ops on IPv6, and
    # no address family on a firewall mark: those read back as absent (or IPv4).
    services = (
        VirtualService("TCP", "192.0.2.1", 80, "sh", flags=("sh-port",), persistent_s=60,
                       pe="sip"),
        VirtualService("UDP", "2001:db8::1", 53, "rr", ipv6=True, one_packet=True),
        VirtualService("FWM", "3", scheduler="rr", ipv6=True),
    )
    _, read = parse.parse_proc_ip_vs(render.proc_ip_vs(services))
    assert read == (
        replace(services[0], flags=(), pe=None),
        replace(services[1], one_packet=False),
        replace(services[2], ipv6=False),
    )
    # What is lost is only what the format lacks: a second trip changes nothing.
    assert parse.parse_proc_ip_vs(render.proc_ip_vs(read))[1] == read


def test_fwmark_above_2_31_prints_negative() -> None:
    svc = VirtualService("FWM", str(2**32 - 1), scheduler="rr")
    text = render.ipvsadm_ln([svc])
    assert text.splitlines()[3] == "FWM  -1 rr"
    assert parse.parse_ipvsadm(text)[1][0].address == str(2**32 - 1)


@pytest.mark.xfail(
    reason="parser limitation: without --exact, a counter of 10**19 or more prints as 8 "
    "digits and a suffix, 9 characters with no blank before it, so it runs into the "
    "previous column and hadeck.sources.lvs._counters (split on blanks) finds too few",
    raises=ParseError,
    strict=True,
)
def test_suffixed_counters_of_ten_exabytes_touch_each_other() -> None:
    huge = 2**64 - 1
    svc = VirtualService("TCP", "192.0.2.1", 80, stats=LvsCounters(0, 0, 0, huge, huge))
    text = render.ipvsadm_stats([svc], exact=False)
    assert text.splitlines()[3].endswith("        0        018446744T18446744T")
    parse.parse_ipvsadm(text)


def test_counters_and_rates_of_none_print_zeros() -> None:
    svc = VirtualService("TCP", "192.0.2.1", 80, "rr", real_servers=(RealServer("192.0.2.2", 80),))
    for text in (render.ipvsadm_stats([svc]), render.ipvsadm_rate([svc])):
        read = parse.parse_ipvsadm(text)[1][0]
        rs = read.real_servers[0]
        assert [read.stats or read.rates, rs.stats or rs.rates] == [LvsCounters(), LvsCounters()]


# --------------------------------------------------------------------------- generated


_SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo")
_FLAGS = {
    "sh": ("sh-fallback", "sh-port", "flag-3"),
    "mh": ("mh-fallback", "mh-port", "flag-3"),
}
_FORWARDS = ("Route", "Masq", "Tunnel", "Local")


def _address(rng: random.Random, ipv6: bool) -> str:
    if not ipv6:
        return str(ipaddress.IPv4Address(rng.randrange(2**32)))
    kind = rng.randrange(4)
    if kind == 0:  # zero runs of every length
        words = [rng.choice([0, 0, rng.randrange(65536)]) for _ in range(8)]
        value = sum(w << (16 * (7 - i)) for i, w in enumerate(words))
    elif kind == 1:
        value = 0xFFFF_0000_0000 | rng.randrange(2**32)  # IPv4-mapped
    else:
        value = rng.randrange(2**128)
    return str(ipaddress.IPv6Address(value))


def _counters(rng: random.Random) -> LvsCounters:
    def one() -> int:
        # Below 10**19: above it a cut number fills all 9 columns (see the xfail below).
        return rng.choice([0, rng.randrange(10**4), rng.randrange(10**9), rng.randrange(10**19)])

    return LvsCounters(one(), one(), one(), one(), one())


def _service(rng: random.Random, protocol: str) -> VirtualService:
    ipv6 = rng.random() < 0.35
    scheduler = rng.choice(_SCHEDULERS)
    choices = _FLAGS.get(scheduler, ("flag-1", "flag-2", "flag-3"))
    flags = tuple(f for f in choices if rng.random() < 0.2)  # in print_sched_flags order
    persistent = rng.choice([None, rng.randrange(1, 86400)])
    netmask = None
    if persistent is not None and rng.random() < 0.5:
        plen = rng.randrange(0, 128 if ipv6 else 32)
        netmask = str(plen) if ipv6 else str(ipaddress.IPv4Network(f"0.0.0.0/{plen}").netmask)
    servers: dict[str, RealServer] = {}
    for _ in range(rng.randrange(6)):
        rs = RealServer(
            _address(rng, ipv6),
            0 if protocol == "FWM" else rng.randrange(65536),
            rng.choice(_FORWARDS),
            rng.choice([0, 0, 1, rng.randrange(65536)]),
            rng.randrange(10**6),
            rng.randrange(10**6),
            stats=_counters(rng),
            rates=_counters(rng),
        )
        servers[rs.key] = rs
    return VirtualService(
        protocol,
        str(rng.randrange(1, 2**31)) if protocol == "FWM" else _address(rng, ipv6),
        0 if protocol == "FWM" else rng.randrange(65536),
        scheduler,
        ipv6,
        flags,
        persistent,
        netmask,
        rng.choice([None, "sip"]) if persistent is not None else None,
        rng.random() < 0.2,
        tuple(servers.values()),
        stats=_counters(rng),
        rates=_counters(rng),
    )


def _table(seed: int) -> list[VirtualService]:
    rng = random.Random(seed)
    found: dict[str, VirtualService] = {}
    for _ in range(rng.randrange(1, 12)):
        svc = _service(rng, rng.choice(["TCP", "TCP", "UDP", "SCTP", "FWM"]))
        found.setdefault(svc.key, svc)
    return list(found.values())


def _sorted_model(services: list[VirtualService]) -> list[VirtualService]:
    return [
        replace(s, real_servers=tuple(render.sort_real_servers(s.real_servers)))
        for s in render.sort_services(services)
    ]


def _only(svc: VirtualService, rs_fields: str, svc_fields: str) -> VirtualService:
    """Keep the fields a format carries; set the others to what its parser gives."""
    empty_svc = VirtualService(svc.protocol, svc.address, svc.port, ipv6=svc.ipv6)
    empty_rs = [RealServer(rs.address, rs.port, forward="") for rs in svc.real_servers]
    servers = tuple(
        replace(blank, **{f: getattr(rs, f) for f in rs_fields.split()})
        for blank, rs in zip(empty_rs, svc.real_servers, strict=True)
    )
    fields = {f: getattr(svc, f) for f in svc_fields.split()}
    return replace(empty_svc, real_servers=servers, **fields)


SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_table_reads_back(seed: int) -> None:
    services = _table(seed)
    _, read = parse.parse_ipvsadm(render.ipvsadm_ln(services))
    expected = [
        _only(s, "forward weight active_conns inactive_conns",
              "scheduler flags persistent_s netmask pe one_packet")
        for s in _sorted_model(services)
    ]
    assert list(read) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_stats_read_back(seed: int) -> None:
    services = _table(seed)
    _, read = parse.parse_ipvsadm(render.ipvsadm_stats(services, exact=True))
    assert list(read) == [_only(s, "stats", "stats") for s in _sorted_model(services)]
    _, cut = parse.parse_ipvsadm(render.ipvsadm_stats(services, exact=False))
    assert [_cut_counters(s.stats) for s in cut] == [
        _cut_counters(s.stats) for s in _sorted_model(services)
    ]
    assert [_cut_counters(s.stats) for s in cut] == [s.stats for s in cut]


def _cut_counters(c: LvsCounters | None) -> LvsCounters | None:
    if c is None:
        return None
    return LvsCounters(*(_truncated(n) for n in (
        c.conns, c.in_packets, c.out_packets, c.in_bytes, c.out_bytes
    )))


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_rates_read_back(seed: int) -> None:
    services = _table(seed)
    _, read = parse.parse_ipvsadm(render.ipvsadm_rate(services, exact=True))
    assert list(read) == [_only(s, "rates", "rates") for s in _sorted_model(services)]


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_proc_reads_back(seed: int) -> None:
    # Firewall marks are taken as IPv4 by the parser: the file does not say (see above).
    services = [s for s in _table(seed) if not (s.protocol == "FWM" and s.ipv6)]
    _, read = parse.parse_proc_ip_vs(render.proc_ip_vs(services))
    expected = [
        replace(
            _only(s, "forward weight active_conns inactive_conns",
                  "scheduler persistent_s netmask one_packet"),
            one_packet=s.one_packet and not s.ipv6,
        )
        for s in services
    ]
    assert list(read) == expected


@pytest.mark.parametrize("seed", range(20))
def test_generated_proc_stats_read_back(seed: int) -> None:
    rng = random.Random(seed)
    totals, rates = _counters(rng), _counters(rng)
    text = render.proc_ip_vs_stats(totals, rates)
    assert parse.parse_proc_ip_vs_stats(text) == totals
    assert _proc_rates(text) == rates


# --------------------------------------------------------------------------- keepalived


MASTER = VrrpInstance(
    name="VI_WEB", state="MASTER", priority=150, effective_priority=150,
    virtual_router_id=51, interface="v0", virtual_ips=("10.99.0.100/24", "2001:db8::64/64"),
)
BACKUP = VrrpInstance(
    name="VI_DB", state="BACKUP", priority=90, effective_priority=80, virtual_router_id=52,
    interface="v1", master_router="10.99.0.2", virtual_ips=("10.99.0.101/24",),
)
KEEPALIVED_JSON = sample("keepalived", "json-dump.txt")
KEEPALIVED_DATA = sample("keepalived", "data-dump-master-and-backup.txt")


@pytest.mark.parametrize(
    "instances",
    [(MASTER,), (BACKUP,), (MASTER, BACKUP), (BACKUP, replace(MASTER, interface="v1")), ()],
    ids=["master", "backup", "both", "same-interface", "none"],
)
def test_keepalived_dumps_read_back(instances: tuple[VrrpInstance, ...]) -> None:
    assert ka_parse.parse_data_dump(ka_render.data_dump(instances)) == instances
    # The JSON dump has no master router: that is the one detail it loses.
    assert ka_parse.parse_json_dump(ka_render.json_dump(instances)) == tuple(
        replace(i, master_router=None) for i in instances
    )


@pytest.mark.parametrize("state", ["INIT", "BACKUP", "MASTER", "FAULT", "STOP", "DELETED"])
def test_keepalived_states_read_back(state: str) -> None:
    inst = replace(MASTER, state=state)
    (from_json,) = ka_parse.parse_json_dump(ka_render.json_dump([inst]))
    assert from_json.state == state
    (from_data,) = ka_parse.parse_data_dump(ka_render.data_dump([inst]))
    assert from_data.state == state


def test_keepalived_json_numeric_states_and_escapes() -> None:
    text = ka_render.json_dump([MASTER, BACKUP])
    assert text.endswith("}]\n") and "\n" not in text[:-1]
    assert '"10.99.0.100\\/24 dev v0 scope global set"' in text
    assert '"10.99.0.101\\/24 dev v1 scope global"' in text
    assert [e["data"]["state"] for e in json.loads(text)] == [2, 1]


def test_keepalived_json_has_the_sample_keys_in_order() -> None:
    rendered = json.loads(ka_render.json_dump([MASTER, BACKUP]))
    captured_entries = json.loads(KEEPALIVED_JSON)
    for mine, real in zip(rendered, captured_entries, strict=True):
        assert list(mine) == list(real) == ["data", "stats"]
        assert list(mine["data"]) == list(real["data"])
        assert list(mine["stats"]) == list(real["stats"])


def test_keepalived_json_of_the_sample_instances_matches_the_capture() -> None:
    instances = ka_parse.parse_json_dump(KEEPALIVED_JSON)
    text = ka_render.json_dump(instances, master_priorities={"VI_DB": 120})
    assert ka_parse.parse_json_dump(text) == instances
    # Every value but the transition time (one per instance in the capture) is the same.
    mine, real = json.loads(text), json.loads(KEEPALIVED_JSON)
    for entry in (*mine, *real):
        del entry["data"]["last_transition"]
    assert mine == real
    assert KEEPALIVED_JSON.replace("1795312822.135471", "1795312821.001821") == text


def _without_times(text: str) -> list[str]:
    # The capture's instances changed state at different moments; the renderer has one
    # dump time. Everything else must be line for line the same.
    return [
        re.sub(r"= [0-9.]+ \(.*\)$", "= <time>", line)
        if line.startswith(("   Last transition", "   Read timeout")) else line
        for line in text.splitlines()
    ]


def test_keepalived_data_dump_keeps_the_captured_layout() -> None:
    instances = ka_parse.parse_data_dump(KEEPALIVED_DATA)
    text = ka_render.data_dump(
        instances, router_id="lvs-a", src_ip="10.99.0.1", master_priorities={"VI_DB": 120}
    )
    assert ka_parse.parse_data_dump(text) == instances
    assert _without_times(text) == _without_times(KEEPALIVED_DATA)
    assert text.count("   State = UP, RUNNING") == 2  # the Interfaces lines the parser skips


def test_keepalived_data_dump_times_and_timers() -> None:
    text = ka_render.data_dump([MASTER, BACKUP], now=1795312821.001821)
    assert "   Last transition = 1795312821.001821 (Sun Nov 22 02:00:21.001821 2026)" in text
    # ms_down_timer = 3 * advert + (256 - effective priority) * advert / 256
    assert "   Master down timer = 3414062 usecs" in text
    assert "   Master down timer = 3687500 usecs" in text
    assert "   Master priority = 81" in text  # one above ours when not given
    lines = text.splitlines()
    assert lines[0] == "------< Global definitions >------"
    assert "------< VRRP Sockpool >------" in lines
    assert lines.index("------< VRRP Topology >------") < lines.index("------< Interfaces >------")


def test_keepalived_defaults_for_what_the_model_lacks() -> None:
    bare = VrrpInstance(name="VI_X", state="BACKUP")
    filled = replace(bare, priority=100, effective_priority=100, virtual_router_id=51,
                     interface="eth0")
    assert ka_parse.parse_data_dump(ka_render.data_dump([bare])) == (filled,)
    assert ka_parse.parse_json_dump(ka_render.json_dump([bare])) == (filled,)
    # A MASTER shows no master router (keepalived prints it for a BACKUP only).
    (read,) = ka_parse.parse_data_dump(ka_render.data_dump([replace(MASTER, master_router="x")]))
    assert read == MASTER
