"""LVS source: ipvsadm and /proc/net/ip_vs* parsers, merging, and the reader's fallbacks."""

from __future__ import annotations

import pytest

from hadeck.model import LvsCounters, RealServer, VirtualService
from hadeck.record import replace
from hadeck.runner import CommandResult
from hadeck.sources import lvs
from hadeck.sources.base import ParseError
from tests.conftest import SAMPLES, captured, sample
from tests.fakes import ScriptedRunner

HEADER = "IP Virtual Server version 1.2.1 (size=4096)\n"
TABLE_TITLES = (
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
)


def services(text: str) -> tuple[VirtualService, ...]:
    return lvs.parse_ipvsadm(text)[1]


def by_key(found: tuple[VirtualService, ...]) -> dict[str, VirtualService]:
    return {svc.key: svc for svc in found}


def servers(svc: VirtualService) -> dict[str, tuple[str, int, int, int]]:
    return {
        rs.key: (rs.forward, rs.weight, rs.active_conns, rs.inactive_conns)
        for rs in svc.real_servers
    }


def rs_line(name: str, forward: str, weight: int, active: int, inactive: int) -> str:
    """A real-server line exactly as ipvsadm prints it: ``  -> %-28s %-7s %-6d %-10u %-10u``."""
    return f"  -> {name:<28} {forward:<7} {weight:<6} {active:<10} {inactive:<10}\n"


# --------------------------------------------------------------------------- ipvsadm -Ln


def test_direct_routing_with_persistence() -> None:
    version, found = lvs.parse_ipvsadm(sample("ipvsadm-Ln", "dr-http-https-persistent.txt"))
    assert version == "1.2.1"
    assert [svc.key for svc in found] == ["TCP 192.168.10.100:80", "TCP 192.168.10.100:443"]
    http, https = found
    assert (http.scheduler, http.persistent_s, http.netmask) == ("wlc", None, None)
    assert (https.scheduler, https.persistent_s) == ("wlc", 300)
    assert servers(http) == {
        "192.168.10.11:80": ("Route", 1, 37, 112),
        "192.168.10.12:80": ("Route", 1, 35, 120),
    }
    assert servers(https) == {
        "192.168.10.11:443": ("Route", 1, 210, 533),
        "192.168.10.12:443": ("Route", 1, 198, 540),
    }


def test_nat_udp_local_and_quiesced_server() -> None:
    found = by_key(services(sample("ipvsadm-Ln", "nat-udp-dns-and-quiesced.txt")))
    smtp = found["TCP 10.0.0.25:25"]
    assert smtp.scheduler == "lc"
    assert servers(smtp) == {
        "172.16.0.21:25": ("Masq", 1, 4, 19),
        "172.16.0.22:25": ("Masq", 0, 1, 7),
    }
    # Weight 0 is quiesced: it keeps its connections but gets no new ones.
    assert [rs.key for rs in smtp.weighted] == ["172.16.0.21:25"]
    web = found["TCP 10.0.0.80:8080"]
    assert web.scheduler == "wrr"
    assert servers(web)["172.16.0.5:8080"] == ("Local", 1, 0, 0)
    assert servers(web)["172.16.0.31:8080"] == ("Masq", 3, 12, 40)
    dns = found["UDP 10.0.0.53:53"]
    assert (dns.protocol, dns.port, dns.scheduler) == ("UDP", 53, "rr")
    assert [rs.inactive_conns for rs in dns.real_servers] == [311, 305, 298]


def test_tunnel_and_firewall_mark() -> None:
    found = by_key(services(sample("ipvsadm-Ln", "tunnel-and-fwmark.txt")))
    assert set(found) == {"TCP 203.0.113.10:80", "FWM 1"}
    tunnel = found["TCP 203.0.113.10:80"]
    assert tunnel.scheduler == "sh"
    assert servers(tunnel) == {
        "198.51.100.21:80": ("Tunnel", 1, 5, 2),
        "198.51.100.22:80": ("Tunnel", 1, 7, 1),
    }
    fwm = found["FWM 1"]
    assert (fwm.protocol, fwm.address, fwm.port, fwm.ipv6) == ("FWM", "1", 0, False)
    assert (fwm.scheduler, fwm.persistent_s) == ("wlc", 600)
    assert servers(fwm) == {
        "192.168.20.11:0": ("Route", 10, 120, 14),
        "192.168.20.12:0": ("Route", 10, 118, 9),
        "192.168.20.13:0": ("Route", 5, 61, 3),
    }


def test_service_without_real_servers_is_valid() -> None:
    mysql, redis = services(sample("ipvsadm-Ln", "zero-real-servers.txt"))
    assert mysql.key == "TCP 192.168.30.100:3306"
    assert (mysql.persistent_s, mysql.real_servers) == (50, ())
    assert servers(redis) == {"192.168.30.21:6379": ("Route", 0, 0, 0)}
    assert redis.weighted == ()


@pytest.mark.parametrize(
    "text",
    [sample("ipvsadm-Ln", "empty-table.txt"), captured("ipvsadm_-Ln__empty.txt")],
    ids=["sample", "captured"],
)
def test_empty_table(text: str) -> None:
    assert lvs.parse_ipvsadm(text) == ("1.2.1", ())


def test_captured_one_real_server() -> None:
    (svc,) = services(captured("ipvsadm_-Ln__one_rs.txt"))
    assert (svc.key, svc.scheduler, svc.persistent_s) == ("TCP 10.0.0.10:80", "wlc", None)
    assert servers(svc) == {"10.0.0.2:80": ("Masq", 3, 0, 0)}


def test_captured_drained_real_server() -> None:
    (svc,) = services(captured("ipvsadm_-Ln__drained.txt"))
    assert servers(svc) == {
        "10.0.0.2:80": ("Masq", 3, 0, 9),
        "10.0.0.3:80": ("Masq", 0, 0, 3),
    }
    assert [rs.key for rs in svc.weighted] == ["10.0.0.2:80"]


def test_ipv6_flags_mask_pe_ops_and_sctp() -> None:
    # Rendered from ipvsadm 1.31's print_service_entry format strings (FORMATS.md (e)).
    text = (
        HEADER + TABLE_TITLES
        + "TCP  192.168.40.100:80 sh (sh-fallback,sh-port) persistent 120 mask 255.255.255.0\n"
        + rs_line("192.168.40.11:80", "Route", 1, 3, 4)
        + "UDP  192.168.40.100:5060 rr persistent 360 pe sip ops\n"
        + rs_line("192.168.40.21:5060", "Masq", 2, 0, 8)
        + "SCTP 192.168.40.100:3868 mh (mh-fallback) newflag\n"
        + "TCP  [2001:db8::80]:443 wlc persistent 60 mask 64\n"
        + "  -> [2001:db8::11]:443            Route   1      5          6         \n"
        + "FWM  7 IPv6 lc\n"
        + "  -> [2001:db8::12]:0              Tunnel  4      0          0         \n"
    )
    found = by_key(services(text))
    assert set(found) == {
        "TCP 192.168.40.100:80", "UDP 192.168.40.100:5060", "SCTP 192.168.40.100:3868",
        "TCP [2001:db8::80]:443", "FWM 7 IPv6",
    }
    sh = found["TCP 192.168.40.100:80"]
    assert sh.flags == ("sh-fallback", "sh-port")
    assert (sh.persistent_s, sh.netmask) == (120, "255.255.255.0")
    sip = found["UDP 192.168.40.100:5060"]
    assert (sip.persistent_s, sip.pe, sip.one_packet) == (360, "sip", True)
    assert servers(sip) == {"192.168.40.21:5060": ("Masq", 2, 0, 8)}
    sctp = found["SCTP 192.168.40.100:3868"]
    assert (sctp.scheduler, sctp.one_packet) == ("mh", False)
    assert sctp.flags == ("mh-fallback", "newflag")  # an unknown word is kept
    v6 = found["TCP [2001:db8::80]:443"]
    assert (v6.ipv6, v6.address, v6.port, v6.netmask) == (True, "2001:db8::80", 443, "64")
    assert servers(v6) == {"[2001:db8::11]:443": ("Route", 1, 5, 6)}
    fwm6 = found["FWM 7 IPv6"]
    assert (fwm6.address, fwm6.ipv6, fwm6.scheduler) == ("7", True, "lc")
    assert servers(fwm6) == {"[2001:db8::12]:0": ("Tunnel", 4, 0, 0)}


def test_unknown_forward_method_is_kept() -> None:
    text = HEADER + TABLE_TITLES + "TCP  10.0.0.10:80 wlc\n" + rs_line("10.0.0.2:80", "?", 1, 0, 0)
    (svc,) = services(text)
    assert svc.real_servers[0].forward == "?"


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize(
    ("source", "case", "variant"),
    [
        ("ipvsadm-Ln", "dr-http-https-persistent.txt", lvs.TABLE),
        ("ipvsadm-Ln-stats", "dr-http-https.txt", lvs.STATS),
        ("ipvsadm-Ln-stats-exact", "dr-http-https.txt", lvs.STATS),
        ("ipvsadm-Ln-rate", "dr-http-https.txt", lvs.RATE),
        ("ipvsadm-Ln-persistent-conn", "dr-http-https.txt", lvs.PERSISTENT_CONN),
    ],
)
def test_variant_from_header(source: str, case: str, variant: str) -> None:
    assert lvs.ipvsadm_variant(sample(source, case)) == variant


def test_stats_with_largenum_suffixes() -> None:
    found = by_key(services(sample("ipvsadm-Ln-stats", "dr-http-https.txt")))
    http = found["TCP 192.168.10.100:80"]
    assert http.scheduler == ""
    # 250558K: print_largenum divides by 1000 and truncates.
    assert http.stats == LvsCounters(96330, 3864432, 0, 250_558_000, 0)
    https = found["TCP 192.168.10.100:443"]
    assert https.stats == LvsCounters(19602, 195_754_000, 0, 22_432_000_000, 0)
    assert https.stats.in_bytes > 10**8
    rs = {r.key: r for r in https.real_servers}
    assert rs["192.168.10.11:443"].stats == LvsCounters(9812, 98110442, 0, 11_234_000_000, 0)
    assert rs["192.168.10.12:443"].stats == LvsCounters(9790, 97644312, 0, 11_198_000_000, 0)
    assert rs["192.168.10.11:443"].forward == ""  # not in this variant: merge with -Ln


def test_stats_exact_gives_full_numbers() -> None:
    found = by_key(services(sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt")))
    https = found["TCP 192.168.10.100:443"]
    assert https.stats == LvsCounters(19602, 195754754, 0, 22432569124, 0)
    rs = {r.key: r.stats for r in https.real_servers}
    assert rs["192.168.10.11:443"] == LvsCounters(9812, 98110442, 0, 11234567890, 0)


def test_suffixed_stats_are_exact_values_truncated() -> None:
    rounded = by_key(services(sample("ipvsadm-Ln-stats", "dr-http-https.txt")))
    exact = by_key(services(sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt")))
    assert rounded.keys() == exact.keys()
    for key, svc in exact.items():
        for field in ("conns", "in_packets", "out_packets", "in_bytes", "out_bytes"):
            precise = getattr(svc.stats, field)
            shown = getattr(rounded[key].stats, field)
            assert shown <= precise < shown + max(1, shown // 1000), (key, field)


def test_rate_columns() -> None:
    found = by_key(services(sample("ipvsadm-Ln-rate", "dr-http-https.txt")))
    https = found["TCP 192.168.10.100:443"]
    assert https.rates == LvsCounters(5, 4398, 0, 3644554, 0)
    assert {r.key: r.rates for r in https.real_servers}["192.168.10.12:443"] == LvsCounters(
        2, 2187, 0, 1801334, 0
    )


def test_captured_stats_and_rate() -> None:
    (stats,) = services(captured("ipvsadm_-Ln_--stats__after_traffic_settled.txt"))
    assert stats.stats == LvsCounters(12, 77, 64, 4964, 6208)
    assert {r.key: r.stats.conns for r in stats.real_servers if r.stats} == {
        "10.0.0.2:80": 9, "10.0.0.3:80": 3,
    }
    (rate,) = services(captured("ipvsadm_-Ln_--rate__after_traffic.txt"))
    assert rate.rates == LvsCounters(1, 7, 6, 429, 534)
    assert {r.key: r.rates for r in rate.real_servers}["10.0.0.3:80"] == LvsCounters(
        0, 2, 1, 107, 129
    )


def test_persistent_conn_columns() -> None:
    found = by_key(services(sample("ipvsadm-Ln-persistent-conn", "dr-http-https.txt")))
    https = found["TCP 192.168.10.100:443"]
    assert (https.scheduler, https.persistent_s) == ("wlc", 300)
    rs = {r.key: r for r in https.real_servers}["192.168.10.11:443"]
    assert (rs.weight, rs.persistent_conns, rs.active_conns, rs.inactive_conns) == (1, 0, 210, 533)


def test_thresholds_columns() -> None:
    # ipvsadm.c print_title / print_service_entry for --thresholds.
    text = (
        HEADER
        + f"{'Prot LocalAddress:Port':<33} {'Uthreshold':<10} {'Lthreshold':<10} "
        + f"{'ActiveConn':<10} {'InActConn':<10}\n"
        + "  -> RemoteAddress:Port\n"
        + "TCP  10.0.0.10:80 wlc\n"
        + f"  -> {'10.0.0.2:80':<28} {500:<10} {400:<10} {17:<10} {4:<10}\n"
    )
    assert lvs.ipvsadm_variant(text) == lvs.THRESHOLDS
    (svc,) = services(text)
    rs = svc.real_servers[0]
    assert (rs.key, rs.active_conns, rs.inactive_conns) == ("10.0.0.2:80", 17, 4)


# --------------------------------------------------------------------------- merging


def _reordered(text: str) -> str:
    """The same ipvsadm output with services and real servers in reverse order."""
    lines = text.splitlines(keepends=True)
    blocks: list[list[str]] = []
    for line in lines[3:]:
        if line.startswith("  ->"):
            blocks[-1].insert(1, line)
        else:
            blocks.append([line])
    return "".join(lines[:3]) + "".join(line for block in reversed(blocks) for line in block)


def test_merge_puts_stats_and_rates_on_the_right_real_server() -> None:
    table = services(sample("ipvsadm-Ln", "dr-http-https-persistent.txt"))
    stats_text = _reordered(sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt"))
    rate_text = _reordered(sample("ipvsadm-Ln-rate", "dr-http-https.txt"))
    stats, rates = services(stats_text), services(rate_text)
    assert [s.key for s in stats] != [s.key for s in table]  # the orders really differ
    merged = by_key(lvs.merge_lvs(table, stats, rates))
    assert [s.key for s in lvs.merge_lvs(table, stats, rates)] == [s.key for s in table]
    https = merged["TCP 192.168.10.100:443"]
    assert https.stats == LvsCounters(19602, 195754754, 0, 22432569124, 0)
    assert https.rates == LvsCounters(5, 4398, 0, 3644554, 0)
    assert https.scheduler == "wlc" and https.persistent_s == 300
    rs = {r.key: r for r in https.real_servers}
    assert rs["192.168.10.11:443"].stats == LvsCounters(9812, 98110442, 0, 11234567890, 0)
    assert rs["192.168.10.12:443"].stats == LvsCounters(9790, 97644312, 0, 11198001234, 0)
    assert rs["192.168.10.11:443"].rates == LvsCounters(3, 2211, 0, 1843220, 0)
    assert rs["192.168.10.12:443"].rates == LvsCounters(2, 2187, 0, 1801334, 0)
    assert (rs["192.168.10.12:443"].forward, rs["192.168.10.12:443"].active_conns) == ("Route", 198)
    http_rs = {r.key: r for r in merged["TCP 192.168.10.100:80"].real_servers}
    assert http_rs["192.168.10.12:80"].stats == LvsCounters(48119, 1930022, 0, 125114877, 0)


def test_merge_captured_scenario() -> None:
    table = services(captured("ipvsadm_-Ln__drained.txt"))
    stats = services(captured("ipvsadm_-Ln_--stats__after_traffic_settled.txt"))
    rates = services(captured("ipvsadm_-Ln_--rate__after_traffic.txt"))
    (svc,) = lvs.merge_lvs(table, stats, rates)
    rs = {r.key: r for r in svc.real_servers}
    assert rs["10.0.0.3:80"].weight == 0
    assert rs["10.0.0.3:80"].stats == LvsCounters(3, 19, 15, 1228, 1500)
    assert rs["10.0.0.2:80"].rates == LvsCounters(1, 5, 4, 321, 405)


def test_merge_keeps_the_table_as_the_truth() -> None:
    table = (
        VirtualService("TCP", "10.0.0.10", 80, "wlc", real_servers=(RealServer("10.0.0.2", 80),)),
    )
    stats = (
        VirtualService("TCP", "10.0.0.10", 80, stats=LvsCounters(conns=5), real_servers=(
            RealServer("10.0.0.9", 80, stats=LvsCounters(conns=5)),
        )),
        VirtualService("TCP", "10.0.0.11", 80, stats=LvsCounters(conns=1)),
    )
    (svc,) = lvs.merge_lvs(table, stats)
    assert svc.stats == LvsCounters(conns=5)
    assert svc.rates is None
    assert [(r.key, r.stats) for r in svc.real_servers] == [("10.0.0.2:80", None)]
    assert lvs.merge_lvs(table) == table


# --------------------------------------------------------------------------- /proc


def _shape(found: tuple[VirtualService, ...]) -> dict[str, tuple[object, ...]]:
    return {
        svc.key: (
            svc.scheduler, svc.persistent_s, svc.netmask, svc.one_packet, svc.flags,
            servers(svc),
        )
        for svc in found
    }


@pytest.mark.parametrize(
    ("ipvsadm_text", "proc_text"),
    [
        (sample("ipvsadm-Ln", "dr-http-https-persistent.txt"),
         sample("proc-net-ip_vs", "dr-http-https-persistent.txt")),
        (sample("ipvsadm-Ln", "tunnel-and-fwmark.txt"),
         sample("proc-net-ip_vs", "tunnel-and-fwmark.txt")),
        (captured("ipvsadm_-Ln__one_rs.txt"), captured("proc_net_ip_vs__one_rs.txt")),
    ],
    ids=["dr-http-https-persistent", "tunnel-and-fwmark", "captured-one_rs"],
)
def test_proc_and_ipvsadm_agree(ipvsadm_text: str, proc_text: str) -> None:
    version, from_proc = lvs.parse_proc_ip_vs(proc_text)
    assert version == "1.2.1"
    assert _shape(from_proc) == _shape(services(ipvsadm_text))


def test_proc_keeps_kernel_hash_order() -> None:
    _, found = lvs.parse_proc_ip_vs(sample("proc-net-ip_vs", "dr-http-https-persistent.txt"))
    assert [svc.key for svc in found] == ["TCP 192.168.10.100:443", "TCP 192.168.10.100:80"]
    _, found = lvs.parse_proc_ip_vs(captured("proc_net_ip_vs__two_rs.txt"))
    (svc,) = found
    assert [rs.key for rs in svc.real_servers] == ["10.0.0.3:80", "10.0.0.2:80"]
    assert servers(svc) == {"10.0.0.3:80": ("Masq", 1, 0, 3), "10.0.0.2:80": ("Masq", 3, 0, 9)}


def test_proc_ipv6_ops_mask_and_fwmark() -> None:
    # Rendered from ip_vs_ctl.c ip_vs_info_seq_show's format strings (FORMATS.md (e)).
    text = (
        HEADER
        + "Prot LocalAddress:Port Scheduler Flags\n"
        + "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
        + "UDP  0A0A0064:13C4 rr ops persistent 360 FFFFFF00\n"
        + "  -> AC10000B:13C4      Masq    1      0          311       \n"
        + "TCP  [2001:0db8:0100:0000:0000:0000:0000:0080]:0050 rr \n"
        + "  -> [2001:0db8:0100:0000:0000:0000:0000:0011]:0050      Route   2      7          1"
        + "         \n"
        + "TCP  [2001:0db8:0000:0000:0000:0000:0000:0443]:01BB wlc persistent 300 40000000\n"
        + "FWM  00000014 wlc persistent 1800 FFFFFFFF\n"
        + "  -> C0A8140B:0000      Route   10     120        14        \n"
    )
    found = by_key(lvs.parse_proc_ip_vs(text)[1])
    assert set(found) == {
        "UDP 10.10.0.100:5060", "TCP [2001:db8:100::80]:80", "TCP [2001:db8::443]:443", "FWM 20",
    }
    sip = found["UDP 10.10.0.100:5060"]
    assert (sip.one_packet, sip.persistent_s, sip.netmask) == (True, 360, "255.255.255.0")
    assert servers(sip) == {"172.16.0.11:5060": ("Masq", 1, 0, 311)}
    v6 = found["TCP [2001:db8:100::80]:80"]
    assert (v6.ipv6, v6.persistent_s) == (True, None)
    assert servers(v6) == {"[2001:db8:100::11]:80": ("Route", 2, 7, 1)}
    # ntohl() of prefix length 64 on a little-endian host.
    assert found["TCP [2001:db8::443]:443"].netmask == "64"
    fwm = found["FWM 20"]
    assert (fwm.persistent_s, fwm.netmask) == (1800, None)
    assert servers(fwm) == {"192.168.20.11:0": ("Route", 10, 120, 14)}


def test_proc_stats_totals_are_hex() -> None:
    busy = lvs.parse_proc_ip_vs_stats(sample("proc-net-ip_vs_stats", "busy.txt"))
    assert busy == LvsCounters(0x16AA370, 0xE33656E5, 0, 0x51D8C8883AB3, 0)
    assert busy.in_packets > 10**9
    idle = lvs.parse_proc_ip_vs_stats(sample("proc-net-ip_vs_stats", "idle.txt"))
    assert idle == LvsCounters()


# --------------------------------------------------------------------------- not a table


@pytest.mark.parametrize(
    "text",
    [
        sample("ipvsadm-Sn", "dr-http-https-persistent.txt"),
        sample("ipvsadm-Sn", "nat-and-fwmark.txt"),
        sample("ipvsadm-Lnc", "established-and-templates.txt"),
        captured("ipvsadm_-d_missing_rs.txt"),
        captured("proc_net_ip_vs__before_modprobe.txt"),
        sample("proc-net-ip_vs", "dr-http-https-persistent.txt"),  # hex, not ipvsadm's
        sample("proc-net-ip_vs_stats", "busy.txt"),
        "",
        "\n\n",
        "garbage\x00\xff\nmore garbage\n",
        HEADER,
        HEADER + "Prot LocalAddress:Port Scheduler Flags\n",
        HEADER + TABLE_TITLES + "  -> 10.0.0.2:80                  Masq    3      0          0\n",
        HEADER + TABLE_TITLES + "TCP  10.0.0.10:80 wlc\n  -> 10.0.0.2:80         Masq    3",
        HEADER + TABLE_TITLES + "TCP  10.0.0.10:80 wlc persistent\n",
        HEADER + TABLE_TITLES + "TCP  10.0.0.10:80\n",
        HEADER + TABLE_TITLES + "TCP  web.example.com:http wlc\n",
    ],
)
def test_parse_ipvsadm_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        lvs.parse_ipvsadm(text)


@pytest.mark.parametrize(
    "text",
    [
        sample("ipvsadm-Ln", "dr-http-https-persistent.txt"),
        sample("ipvsadm-Ln-stats", "dr-http-https.txt"),
        captured("proc_net_ip_vs__before_modprobe.txt"),
        "",
        HEADER + "Prot LocalAddress:Port Scheduler Flags\n",
    ],
)
def test_parse_proc_ip_vs_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        lvs.parse_proc_ip_vs(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        sample("proc-net-ip_vs", "tunnel-and-fwmark.txt"),
        "   Total Incoming Outgoing         Incoming         Outgoing\n"
        "   Conns  Packets  Packets            Bytes            Bytes\n"
        " 16AA370 E33656E5        0\n",
        "   Total Incoming Outgoing         Incoming         Outgoing\n"
        "   Conns  Packets  Packets            Bytes            Bytes\n"
        "       x        0        0                0                0\n",
    ],
)
def test_parse_proc_ip_vs_stats_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        lvs.parse_proc_ip_vs_stats(text)


LVS_SAMPLES = {
    f"{path.parent.name}/{path.name}": path
    for pattern in ("ipvsadm-*/*", "proc-net-ip_vs*/*")
    for path in SAMPLES.glob(pattern)
}


@pytest.mark.parametrize("name", sorted(LVS_SAMPLES))
def test_every_cut_parses_or_raises_parse_error(name: str) -> None:
    text = LVS_SAMPLES[name].read_text()
    parsers = (
        lvs.parse_ipvsadm, lvs.parse_proc_ip_vs, lvs.parse_proc_ip_vs_stats, lvs.ipvsadm_variant,
    )
    for end in range(len(text)):
        for parser in parsers:
            try:
                parser(text[:end])
            except ParseError:
                pass


# --------------------------------------------------------------------------- reader


PERMISSION_DENIED = CommandResult(
    ("ipvsadm", "-Ln"),
    stderr="Can't initialize ipvs: Permission denied (you must be root)\n"
    "Are you sure that IP Virtual Server is built in the kernel or as module?\n",
    returncode=2,
)


def full_director(override: dict[str, str | CommandResult] | None = None) -> ScriptedRunner:
    """A director answering every LVS command with the captured drained scenario."""
    answers: dict[tuple[str, ...] | str, str | CommandResult] = {
        "/proc/net/ip_vs": captured("proc_net_ip_vs__two_rs.txt"),
        "/proc/net/ip_vs_stats": sample("proc-net-ip_vs_stats", "busy.txt"),
        lvs.IPVSADM_LIST.argv: captured("ipvsadm_-Ln__drained.txt"),
        lvs.IPVSADM_STATS.argv: captured("ipvsadm_-Ln_--stats__after_traffic_settled.txt"),
        lvs.IPVSADM_RATE.argv: captured("ipvsadm_-Ln_--rate__after_traffic.txt"),
    }
    answers.update(override or {})
    return ScriptedRunner(answers, node="lvs-a")


def test_commands() -> None:
    assert lvs.IPVSADM_LIST.argv == ("ipvsadm", "-Ln")
    assert lvs.IPVSADM_STATS.argv == ("ipvsadm", "-Ln", "--stats", "--exact")
    assert lvs.IPVSADM_RATE.argv == ("ipvsadm", "-Ln", "--rate")
    assert lvs.PROC_IP_VS.path == "/proc/net/ip_vs"
    assert lvs.PROC_IP_VS_STATS.path == "/proc/net/ip_vs_stats"
    names = [c.name for c in lvs.COMMANDS]
    assert "lvs/ipvsadm-Ln.txt" in names
    assert "lvs/keepalived.conf" in names
    assert len(set(names)) == len(names) == 7


def test_read_full_director() -> None:
    reading = lvs.read(full_director())
    assert reading.status.ok, reading.status.error
    assert reading.status.source == "lvs" and reading.status.node == "lvs-a"
    director = reading.value
    assert director is not None
    assert (director.node, director.version) == ("lvs-a", "1.2.1")
    assert director.totals == lvs.parse_proc_ip_vs_stats(sample("proc-net-ip_vs_stats", "busy.txt"))
    (svc,) = director.services
    assert svc.director == "lvs-a"
    assert svc.stats == LvsCounters(12, 77, 64, 4964, 6208)
    rs = {r.key: r for r in svc.real_servers}
    assert (rs["10.0.0.3:80"].weight, rs["10.0.0.3:80"].forward) == (0, "Masq")  # from -Ln
    assert rs["10.0.0.3:80"].stats == LvsCounters(3, 19, 15, 1228, 1500)
    assert rs["10.0.0.2:80"].rates == LvsCounters(1, 5, 4, 321, 405)
    assert reading.status.detail == "ipvsadm -Ln"


def test_read_stats_and_rates_are_best_effort() -> None:
    runner = full_director({"/proc/net/ip_vs_stats": "nonsense"})
    runner.answers.pop(lvs.IPVSADM_RATE.argv)
    runner.answers[lvs.IPVSADM_STATS.argv] = captured("ipvsadm_-Ln__drained.txt")  # wrong one
    reading = lvs.read(runner)
    assert reading.status.ok
    assert reading.value is not None
    (svc,) = reading.value.services
    assert len(svc.real_servers) == 2
    assert svc.stats is None and svc.rates is None and reading.value.totals is None
    detail = reading.status.detail or ""
    assert "no stats" in detail and "no rate" in detail and "no totals" in detail


def test_read_without_ipvsadm_falls_back_to_proc() -> None:
    runner = full_director()
    for command in (lvs.IPVSADM_LIST, lvs.IPVSADM_STATS, lvs.IPVSADM_RATE):
        runner.answers.pop(command.argv)
    reading = lvs.read(runner)
    assert reading.status.ok
    assert reading.value is not None
    (svc,) = reading.value.services
    assert (svc.key, svc.director) == ("TCP 10.0.0.10:80", "lvs-a")
    assert servers(svc) == {"10.0.0.3:80": ("Masq", 1, 0, 3), "10.0.0.2:80": ("Masq", 3, 0, 9)}
    assert reading.value.totals is not None
    detail = reading.status.detail or ""
    assert "/proc/net/ip_vs" in detail and "ipvsadm not installed" in detail


@pytest.mark.parametrize(
    "missing",
    [
        CommandResult(("cat", "/proc/net/ip_vs"), returncode=None,
                      error="/proc/net/ip_vs: no such file", error_kind="missing"),
        # `cat` over ssh on a node without the module (real capture, busybox wording).
        CommandResult(("cat", "/proc/net/ip_vs"), returncode=1,
                      stderr=captured("proc_net_ip_vs__before_modprobe.txt")),
    ],
    ids=["local", "over-ssh"],
)
def test_read_without_ipvs_is_not_an_error(missing: CommandResult) -> None:
    runner = full_director({"/proc/net/ip_vs": missing})
    reading = lvs.read(runner)
    assert reading.status.ok
    assert reading.status.detail == "no IPVS"
    assert reading.value is not None
    assert (reading.value.node, reading.value.services) == ("lvs-a", ())
    # ipvsadm as root would modprobe ip_vs: a reader must not load a kernel module.
    assert lvs.IPVSADM_LIST.argv not in runner.calls


def test_read_with_nothing_at_all() -> None:
    reading = lvs.read(ScriptedRunner({}, node="web1"))
    assert reading.status.ok
    assert reading.status.detail == "no IPVS"
    assert reading.value is not None and reading.value.services == ()


def test_read_permission_denied_says_so_and_uses_proc() -> None:
    runner = full_director()
    runner.answers[lvs.IPVSADM_LIST.argv] = PERMISSION_DENIED
    reading = lvs.read(runner)
    assert reading.status.error is not None
    assert "permission denied" in reading.status.error
    assert "root" in reading.status.error
    assert reading.value is not None
    (svc,) = reading.value.services
    assert len(svc.real_servers) == 2
    detail = reading.status.detail or ""
    assert "/proc/net/ip_vs" in detail and "stats from /proc/net/ip_vs_stats" in detail
    assert reading.value.totals is not None


def test_read_garbage_names_the_tool() -> None:
    runner = full_director()
    runner.answers[lvs.IPVSADM_LIST.argv] = "Segmentation fault\n"
    reading = lvs.read(runner)
    assert reading.status.error is not None
    assert reading.status.error.startswith("cannot parse ipvsadm output")


def test_read_garbage_everywhere_is_an_error() -> None:
    runner = full_director({"/proc/net/ip_vs": "garbage\n"})
    runner.answers.pop(lvs.IPVSADM_LIST.argv)
    reading = lvs.read(runner)
    assert reading.value is None
    assert reading.status.error is not None and "/proc/net/ip_vs" in reading.status.error


def test_read_ipvsadm_timeout() -> None:
    runner = full_director()
    runner.answers[lvs.IPVSADM_LIST.argv] = CommandResult(
        lvs.IPVSADM_LIST.argv, returncode=None, error="ipvsadm: timed out after 10 s"
    )
    reading = lvs.read(runner)
    assert reading.status.error == "ipvsadm: timed out after 10 s"
    assert reading.value is not None and len(reading.value.services) == 1


def test_ipv6_firewall_mark_from_proc_is_ipv6() -> None:
    # /proc/net/ip_vs prints "FWM  00000001 rr" whatever the family (issue 12: an IPv6
    # mark was reported as IPv4); its IPv6 real servers say which it is, as ipvsadm does.
    from hadeck.lab.formats import lvs as render
    from hadeck.model import RealServer, VirtualService
    from hadeck.sources.lvs import parse_ipvsadm, parse_proc_ip_vs

    service = VirtualService(protocol="FWM", address="1", ipv6=True, scheduler="rr",
                             real_servers=(RealServer("2001:db8::11", 0),
                                           RealServer("2001:db8::12", 0)))
    proc = render.proc_ip_vs([service], "1.2.1")
    assert "FWM  00000001 rr" in proc and "IPv6" not in proc
    _, parsed = parse_proc_ip_vs(proc)
    assert [s.key for s in parsed] == ["FWM 1 IPv6"]
    _, listed = parse_ipvsadm(render.ipvsadm_ln([service], "1.2.1"))
    assert [s.key for s in listed] == [s.key for s in parsed]
    v4 = VirtualService(protocol="FWM", address="1", scheduler="rr",
                        real_servers=(RealServer("192.0.2.11", 0),))
    assert [s.key for s in parse_proc_ip_vs(render.proc_ip_vs([v4], "1.2.1"))[1]] == ["FWM 1"]


def test_configured_weights_from_keepalived_conf_else_ldirectord_cf() -> None:
    keepalived = ("virtual_server 10.0.0.10 80 {\n  lb_kind NAT\n"
                  "  real_server 10.0.0.2 80 {\n    weight 3\n  }\n}\n")
    director = lvs.read(full_director({"/etc/keepalived/keepalived.conf": keepalived})).value
    assert director is not None
    (svc,) = [s for s in director.services if s.port == 80]
    assert svc.managed_by == "keepalived"
    assert {r.key: r.configured_weight for r in svc.real_servers}["10.0.0.2:80"] == 3
    ldirectord = "virtual=10.0.0.10:80\n\treal=10.0.0.2:80 masq 4\n"
    director = lvs.read(full_director({"/etc/ha.d/ldirectord.cf": ldirectord})).value
    assert director is not None
    (svc,) = [s for s in director.services if s.port == 80]
    assert (svc.managed_by, svc.real_servers[0].configured_weight) == ("ldirectord", 4)
    # Neither file: nothing is known, nothing is an error.
    reading = lvs.read(full_director())
    assert reading.status.ok and all(s.managed_by is None for s in reading.value.services)
    broken = lvs.read(full_director({"/etc/keepalived/keepalived.conf": "virtual_server {"}))
    assert broken.status.ok and "keepalived.conf:" in (broken.status.detail or "")


@pytest.mark.parametrize("stats_text", [
    "reordered", "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port\n",
    "garbage\n"])
def test_read_joins_the_counters_as_merge_lvs_does(stats_text: str) -> None:
    """The read takes only the counters of the --stats and --rate tables (it builds no
    service or real server for them): what it shows is what :func:`lvs.merge_lvs` makes of
    the three tables parsed whole, and a table it cannot use is the same note."""
    table_text = sample("ipvsadm-Ln", "dr-http-https-persistent.txt")
    if stats_text == "reordered":
        stats_text = _reordered(sample("ipvsadm-Ln-stats-exact", "dr-http-https.txt"))
    rate_text = _reordered(sample("ipvsadm-Ln-rate", "dr-http-https.txt"))
    reading = lvs.read(full_director({lvs.IPVSADM_LIST.argv: table_text,
                                      lvs.IPVSADM_STATS.argv: stats_text,
                                      lvs.IPVSADM_RATE.argv: rate_text}))
    assert reading.value is not None
    try:
        stats: tuple[VirtualService, ...] | None = services(stats_text)
    except ParseError as exc:
        stats = None
        assert f"no stats: {exc}" in (reading.status.detail or "")
    merged = lvs.merge_lvs(services(table_text), stats, services(rate_text))
    assert reading.value.services == tuple(replace(s, director="lvs-a") for s in merged)
