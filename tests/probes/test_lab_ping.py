"""The lab answers ``ping`` as iputils prints it, consistent with its faults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.config import override
from hadeck.health import judge
from hadeck.lab import faults
from hadeck.lab.formats.ping import ping as render
from hadeck.lab.world import Lab
from hadeck.model import Health
from hadeck.opening import open_cluster
from hadeck.probes.ping_output import parse_ping
from hadeck.probes.prober import probe_state
from hadeck.watch.poller import Poller
from tests.conftest import FIXTURES
from tests.tui.labdata import FIXTURE as BUNDLE


@pytest.mark.parametrize("rtts", [[0.25, 0.26, 0.27], [0.3], [], [1.5, 0.2]])
def test_render_parses_back(rtts: list[float]) -> None:
    text, code = render("192.0.2.254", 3, rtts, 0.2)
    counts = parse_ping(text, "", code)
    assert (counts.sent, counts.received, code) == (3, len(rtts), 0 if rtts else 1)
    if rtts:
        assert counts.rtt_max_ms == round(max(rtts), 3)


def test_render_has_the_layout_of_the_capture() -> None:
    real = (FIXTURES / "ping" / "iputils-20221126" / "dead-v4.txt").read_text()
    text, _ = render("198.51.100.9", 3, [], 0.2)
    assert [line.split(",")[0] for line in text.splitlines()] == \
        [line.split(",")[0] for line in real.splitlines()]


@pytest.mark.pacemaker
def test_ping_lost_silences_the_ping_node_from_that_node(tmp_path: Path) -> None:
    lab = Lab.init(tmp_path / "lab")
    faults.ping_lost(lab, "jupiter1")
    opened = open_cluster(None, lab=str(tmp_path / "lab"))
    state = probe_state(collect(opened.access, opened.config), opened.access, opened.config)
    reached = {(p.node, p.host): p.reached for p in state.pings}
    assert reached[("jupiter1", "192.0.2.254")] is False
    assert reached[("jupiter2", "192.0.2.254")] is True
    assert reached[("jupiter1", "10.0.0.2")] is True  # a peer's corosync address answers
    verdicts = {v.subject: v for v in judge(state).verdicts}
    lost = verdicts["ping 192.0.2.254 from jupiter1"]
    assert lost.health == Health.WARNING and lost.reason.startswith("no answer")
    assert verdicts["pingd jupiter2 (probe)"].health == Health.OK


@pytest.mark.pacemaker
def test_the_poller_pings_every_poll_and_logs_a_lost_ping_node(tmp_path: Path) -> None:
    lab = Lab.init(tmp_path / "lab")
    opened = open_cluster(None, lab=str(tmp_path / "lab"))
    poller = Poller(opened.access, override(opened.config, "probes.ping", True, "test"))
    first = poller.poll()
    before = {(p.node, p.host): p for p in first.state.pings}
    assert before[("jupiter1", "192.0.2.254")].reached
    seen_at = before[("jupiter1", "192.0.2.254")].since
    assert seen_at is not None
    faults.ping_lost(lab, "jupiter1")
    second = poller.poll()
    after = {(p.node, p.host): p for p in second.state.pings}
    lost = after[("jupiter1", "192.0.2.254")]
    assert not lost.reached and lost.since is not None and lost.since >= seen_at
    assert after[("jupiter2", "192.0.2.254")].since == seen_at  # unchanged since first seen
    events = {(e.subject, e.health) for e in second.events}
    assert ("ping 192.0.2.254 from jupiter1", Health.WARNING) in events


PLUGIN = Path(sys.executable).parent / "check_hadeck_pingd"


def plugin(*args: str) -> tuple[int, str]:
    done = subprocess.run([str(PLUGIN), *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout


@pytest.mark.pacemaker
def test_check_pingd_probe_on_the_lab(tmp_path: Path) -> None:
    Lab.init(tmp_path / "lab")
    code, out = plugin("--lab", str(tmp_path / "lab"), "--node", "jupiter2", "--probe", "-v")
    assert code == 0, out
    assert "OK: pingd jupiter2 (probe): pingd 100 agrees with the probe (1 of 1 ping nodes " \
           "reached)" in out
    assert "'loss_192.0.2.254'=0%;;;0;100 'rtt_192.0.2.254'=0.26ms;;;0 " \
           "pingd_expected_jupiter2=100;;;0;100" in out


def test_check_pingd_probe_on_a_bundle_says_it_cannot() -> None:
    code, out = plugin("--from", str(BUNDLE), "--probe")
    assert code == 3, out
    assert "--probe: a bundle is not probed" in out


@pytest.mark.pacemaker
def test_garbage_instead_of_pings_output_is_unknown_with_a_reason(tmp_path: Path) -> None:
    # The node's shell prints something else than the batch (a wrapper, a login banner):
    # each host pinged from there is UNKNOWN and says so; the other nodes' pings stand.
    lab = Lab.init(tmp_path / "lab")
    faults.tool_fault(lab, "jupiter1", "sh", "garbage")
    run = subprocess.run([sys.executable, "-m", "hadeck.cli", "status", "--probe", "--json",
                          "--lab", str(tmp_path / "lab")], capture_output=True, text=True,
                         timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    verdicts = {v["subject"]: v for v in json.loads(run.stdout)["verdicts"]}
    lost = verdicts["ping 192.0.2.254 from jupiter1"]
    assert lost["health"] == "UNKNOWN"
    assert "not ping's output: '\\x1b[7m%%%% lab: garbage %%%%'" in lost["reason"]
    assert verdicts["ping 192.0.2.254 from jupiter2"]["health"] == "OK"
