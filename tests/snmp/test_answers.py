"""Answers as text, and the model read from them: pure, on net-snmp's own format."""

from __future__ import annotations

import pytest

from hadeck.snmp import oids
from hadeck.snmp.answers import AnswerError, line, parse
from hadeck.snmp.parse import parse_reading
from hadeck.snmp.poller import Answers, reading

# Lines as Debian's snmpwalk 5.9.3 -On printed them for this host's snmpd.
NET_SNMP = """\
.1.3.6.1.2.1.1.3.0 = Timeticks: (16136) 0:02:41.36
.1.3.6.1.4.1.2021.10.1.3.1 = STRING: "3.09"
.1.3.6.1.4.1.2021.10.1.3.2 = STRING: "1.85"
.1.3.6.1.4.1.2021.10.1.3.3 = STRING: "1.33"
.1.3.6.1.4.1.2021.4.3.0 = INTEGER: 1048572
.1.3.6.1.4.1.2021.4.4.0 = INTEGER: 1048000
.1.3.6.1.4.1.2021.4.5.0 = INTEGER: 24683584
.1.3.6.1.4.1.2021.4.6.0 = INTEGER: 21084036
.1.3.6.1.4.1.2021.4.27.0 = Counter64: 23466708
.1.3.6.1.2.1.25.3.3.1.1.196608 = OID: .0.0
.1.3.6.1.2.1.25.3.3.1.1.196609 = OID: .0.0
.1.3.6.1.2.1.25.3.3.1.2.196608 = INTEGER: 94
.1.3.6.1.2.1.25.3.3.1.2.196609 = INTEGER: 88
.1.3.6.1.4.1.2021.9.1.2.1 = STRING: "/"
.1.3.6.1.4.1.2021.9.1.3.1 = STRING: "/dev/vda"
.1.3.6.1.4.1.2021.9.1.11.1 = Gauge32: 264212084
.1.3.6.1.4.1.2021.9.1.12.1 = Gauge32: 1
.1.3.6.1.4.1.2021.9.1.13.1 = Gauge32: 81493708
.1.3.6.1.4.1.2021.9.1.14.1 = Gauge32: 0
.1.3.6.1.4.1.2021.9.1.15.1 = Gauge32: 24897204
.1.3.6.1.4.1.2021.9.1.16.1 = Gauge32: 0
.1.3.6.1.2.1.31.1.1.1.1.1 = STRING: "lo"
.1.3.6.1.2.1.2.2.1.8.1 = INTEGER: 1
.1.3.6.1.2.1.31.1.1.1.6.1 = Counter64: 2522095
.1.3.6.1.2.1.31.1.1.1.1.4 = STRING: "eth0"
.1.3.6.1.2.1.2.2.1.8.4 = INTEGER: 7
.1.3.6.1.2.1.25.3.3.1.2.99 = No Such Instance currently exists at this OID
"""


def test_a_real_walk_reads_into_the_model() -> None:
    r = parse_reading(NET_SNMP, "web1", "192.0.2.21", 100.0, 0.01)
    assert r.uptime_s == 161.36
    assert r.load == (3.09, 1.85, 1.33)
    assert r.cpu_count == 2 and r.cpu_percent == 91.0
    assert r.memory_total == 24683584 * 1024
    assert r.memory_available == 23466708 * 1024  # memSysAvail, the kernel's MemAvailable
    assert (r.swap_total, r.swap_used) == (1048572 * 1024, 572 * 1024)
    (disk,) = r.disks
    # dskTotalHigh = 1: 2^32 KiB more than the low half says (a 4 TiB+ disk).
    assert disk.mountpoint == "/" and disk.total_bytes == ((1 << 32) + 264212084) * 1024
    assert [(i.name, i.oper_status, i.in_octets) for i in r.interfaces] == [
        ("lo", "up", 2522095), ("eth0", "lowerLayerDown", None)]
    assert r.load_per_cpu == pytest.approx(1.545)


def test_without_mem_sys_avail_available_is_free_plus_buffers_and_cache() -> None:
    text = "\n".join(line(oid, "INTEGER", v) for oid, v in (
        (oids.MEM_TOTAL_REAL, 1000), (oids.MEM_AVAIL_REAL, 300), (oids.MEM_BUFFER, 100),
        (oids.MEM_CACHED, 200)))
    assert parse_reading(text, "a", "a", 0).memory_available == 600 * 1024


def test_lines_written_read_back_exactly() -> None:
    tricky = 'a "quoted" \\ path\nwith a line break'
    text = "\n".join([line("1.2.3", "STRING", tricky), line("1.2.4", "STRING", b"\xff\x00"),
                      line("1.2.5", "Counter64", 2**64 - 1), line("1.2.6", "", None),
                      line("1.2.7", "Timeticks", 5), line("1.2.8", "OID", "1.3.6")])
    assert parse(text) == {"1.2.3": tricky, "1.2.4": "\ufffd\x00", "1.2.5": 2**64 - 1,
                           "1.2.6": None, "1.2.7": 5, "1.2.8": "1.3.6"}


def test_net_snmps_multi_line_string() -> None:
    assert parse('.1.2 = STRING: "first\nsecond"\n.1.3 = INTEGER: up(1)') == {
        "1.2": "first\nsecond", "1.3": 1}


@pytest.mark.parametrize("text", [
    "garbage", ".1.2 = INTEGER: many", ".1.2 = Timeticks: soon", ".1.2 = Hex-STRING: zz",
    ".1.2 = nothing typed",
])
def test_what_is_not_an_answer_is_refused(text: str) -> None:
    with pytest.raises(AnswerError):
        parse(text)


@pytest.mark.parametrize("text, says", [
    (f".{oids.MEM_TOTAL_REAL} = STRING: \"lots\"", "memTotalReal"),
    (f".{oids.LA_LOAD}.1 = STRING: \"high\"", "laLoad.1"),
    (f".{oids.LA_LOAD}.1 = STRING: \"-1\"\n.{oids.LA_LOAD}.2 = STRING: \"1\"\n"
     f".{oids.LA_LOAD}.3 = STRING: \"1\"", "not a load"),
    (f".{oids.HR_PROCESSOR_LOAD}.1 = INTEGER: 400", "not a percentage"),
])
def test_a_value_of_the_wrong_kind_is_the_readings_error_not_a_crash(text: str,
                                                                     says: str) -> None:
    with pytest.raises(AnswerError, match=says):
        parse_reading(text, "a", "a", 0)
    r = reading(Answers("web1", "192.0.2.21", 0.0, 0.1, text))
    assert r.error_kind == "failed"
    assert r.error is not None and r.error.startswith("unreadable answer:") and says in r.error
