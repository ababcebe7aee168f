"""The lab answers SNMP: its real servers' load reaches every face, its faults reach SNMP.

The lab has no snmpd (it is simulated); its hosts answer at the poller's boundary with the
text net-snmp prints (hadeck/lab/formats/snmp.py). What an operator checks: ``hadeck --lab
status`` shows each real server's load from SNMP, a real server the lab killed does not
answer (a timeout, the others still do), ``hadeck --lab weights`` computes a weight for
every real server that answers, the dashboard's poll carries the readings, and the lab's
lines have the shapes of a real snmpd's (tests/fixtures/snmp/net-snmp-5.9-walk.txt).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hadeck.cli.main import main
from hadeck.lab import faults
from hadeck.lab.snmp import CPUS, answer, lab_agents
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.snmp.answers import parse
from hadeck.snmp.poller import reading
from hadeck.watch.poller import Poller

CAPTURE = Path(__file__).parents[1] / "fixtures" / "snmp" / "net-snmp-5.9-walk.txt"
REAL_SERVERS = ("192.0.2.21", "192.0.2.22", "192.0.2.23")


def status(lab: Lab, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    main(["--lab", str(lab.directory), "status", "--json"])
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    return doc


def test_status_shows_each_real_servers_load_from_snmp(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    doc = status(lab, capsys)
    readings = {r["agent"]: r for r in doc["state"]["snmp"]}  # type: ignore[index]
    assert set(readings) == set(REAL_SERVERS)
    for r in readings.values():
        assert r["error"] is None
        assert r["cpu_count"] == CPUS
        assert 0 < r["load"][0] < CPUS
        assert 0 < r["memory_available"] < r["memory_total"]


def test_a_killed_real_server_stops_answering_and_the_others_do_not(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    faults.kill_rs(lab, "192.0.2.22")
    doc = status(lab, capsys)
    readings = {r["agent"]: r for r in doc["state"]["snmp"]}  # type: ignore[index]
    assert readings["192.0.2.22"]["error_kind"] == "timeout"
    assert "no answer from 192.0.2.22" in readings["192.0.2.22"]["error"]
    assert all(readings[a]["error"] is None for a in ("192.0.2.21", "192.0.2.23"))
    faults.restore_rs(lab, "192.0.2.22")
    again = {r["agent"]: r for r in status(lab, capsys)["state"]["snmp"]}  # type: ignore[index]
    assert again["192.0.2.22"]["error"] is None


def test_more_weight_more_load(lab: Lab) -> None:
    # keepalived sends 192.0.2.21 weight 2 + 1 and 192.0.2.22 weight 1 + 1: its traffic,
    # and so its load, is higher whatever the noise (0.8–1.2 of the traffic's share).
    state = lab.read()
    agents = {a.name: a for a in lab_agents(state.topology)}
    busy = {name: reading(answer(state, agents[name])).load for name in agents}
    assert busy["192.0.2.21"] is not None and busy["192.0.2.22"] is not None
    assert busy["192.0.2.21"][0] > busy["192.0.2.22"][0]


def test_weights_on_the_lab_come_from_its_snmp_answers(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--lab", str(lab.directory), "weights", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rows, "no weight rows"
    assert {row["agent"] for row in rows} == set(REAL_SERVERS)
    assert all(row["load"] is not None and row["computed"] is not None
               and row["error"] is None for row in rows), rows


def test_the_dashboards_poll_carries_the_readings(lab: Lab) -> None:
    with open_cluster(lab=str(lab.directory)) as opened:
        snapshot = Poller(opened.access, opened.config).poll()
    assert {r.agent for r in snapshot.state.snmp} == set(REAL_SERVERS)
    assert all(r.ok for r in snapshot.state.snmp)


def test_a_lab_node_answers_its_host_metrics(lab: Lab) -> None:
    from hadeck.lab.derive import host
    from hadeck.snmp.agent import SnmpAgent
    from hadeck.snmp.parse import host_metrics

    state = lab.read()
    got = host_metrics("jupiter1", reading(answer(state, SnmpAgent("jupiter1", "10.0.0.1",
                                                                    role="node"))))
    want = host(state, "jupiter1")
    assert (got.load, got.cpu_count, got.memory_total) == \
        (want.load, want.cpu_count, want.memory_total)
    assert [(d.mountpoint, d.total_bytes) for d in got.disks] == \
        [(d.mountpoint, d.total_bytes) for d in want.disks]


def _shapes(text: str) -> dict[str, str]:
    """OID (its column for a table row) → the shape of its value: the type word, and
    for Timeticks and strings the way they are written."""
    found = {}
    for line in text.splitlines():
        oid, _, rest = line.partition(" = ")
        shape = re.sub(r"\d+", "9", rest.split(": ", 1)[0] if ": " in rest else rest)
        if rest.startswith("Timeticks: "):
            shape = re.sub(r"\d+", "9", rest)
        if rest.startswith('STRING: "'):
            shape = 'STRING: "…"'
        found[oid.rsplit(".", 1)[0] if oid.count(".") > 9 else oid] = shape
    return found


def test_the_lab_writes_what_a_real_snmpd_prints() -> None:
    from hadeck.lab.formats.snmp import answers

    lab_text = answers((1.5, 1.25, 0.75), 2, 12.0, 8_000_000, 5_000_000, 2_000_000,
                       2_000_000, 60.0, 57.0, disks=(("/", "/dev/vda", 264212084,
                                                       80963684, 25427228),))
    real = _shapes(CAPTURE.read_text())
    lab_shapes = _shapes(lab_text)
    for oid, shape in real.items():
        if "No Such" in shape:
            continue  # hrProcessorLoad in snmpd's first minute
        assert lab_shapes.get(oid) == shape, (oid, shape, lab_shapes.get(oid))
    # and both read back alike
    real_values, lab_values = parse(CAPTURE.read_text()), parse(lab_text)
    assert {o for o in real_values if real_values[o] is not None} <= set(lab_values)
