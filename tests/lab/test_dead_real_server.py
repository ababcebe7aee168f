"""A killed real server: keepalived takes it out of the IPVS table on both directors. The
dashboard names it, shows it as a down row, and makes it one problem."""

from __future__ import annotations

import io
import re

from rich.console import Console

from hadeck.cli.status_view import print_status
from hadeck.health import WARNING, judge
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.model import ClusterState
from hadeck.opening import open_cluster
from hadeck.tui.screen_lvs import lvs_rows
from hadeck.tui.view import View
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller, remember_real_servers


def gone(state: ClusterState) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(d.node, s.key): s.gone for d in state.lvs for s in d.services if s.gone}


def test_dead_real_server_is_one_named_problem(lab: Lab) -> None:
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None))
    first = poller.poll()
    assert not gone(first.state)
    assert not [p for p in first.judgement.grouped() if p.area == "lvs"]

    faults.kill_rs(lab, "192.0.2.22")
    snap = poller.poll()
    # Gone from the table of both services on both directors, and named there.
    assert gone(snap.state) == {
        ("lvs1", "TCP 192.0.2.80:22"): ("192.0.2.22:22",),
        ("lvs1", "TCP 192.0.2.80:80"): ("192.0.2.22:80",),
        ("lvs2", "TCP 192.0.2.80:22"): ("192.0.2.22:22",),
        ("lvs2", "TCP 192.0.2.80:80"): ("192.0.2.22:80",),
    }
    problems = [p for p in snap.judgement.grouped() if p.area == "lvs"]
    assert len(problems) == 1, [p.reason for p in problems]
    (problem,) = problems
    assert problem.kind == "real-server"
    assert problem.subject == "192.0.2.22"
    assert problem.health == WARNING
    assert problem.reason == ("real server 192.0.2.22 down (gone from the IPVS table) → out "
                              "of TCP 192.0.2.80:22, TCP 192.0.2.80:80 on lvs1 (MASTER), lvs2")
    # The MASTER's view heads it; the BACKUP's and the other service fold under it.
    assert problem.causes[0].key.node == "lvs1"
    assert len(problem.effects) == 3
    assert problem.causes[0].reason.startswith("real server 192.0.2.22:")

    # The status view shows it as a row of its own, down.
    out = io.StringIO()
    print_status(snap.state, snap.judgement, ("lvs",),
                 Console(file=out, width=200, emoji=False, highlight=False))
    text = out.getvalue()
    assert text.count("192.0.2.22 down (gone from the IPVS table) → out of") == 1, text
    rows = [line for line in text.splitlines() if re.search(r"│ 192\.0\.2\.22:\d+ ", line)]
    assert len(rows) == 4 and all("✖ down" in line for line in rows), text

    # The dashboard's LVS screen too: one down row per service and director.
    down = [r for r in lvs_rows(View(snap, snap.state.taken_at, 2.0))
            if "192.0.2.22" in r.key]
    assert [r.key for r in down] == [
        "rs:TCP 192.0.2.80:22@lvs1/192.0.2.22:22", "rs:TCP 192.0.2.80:80@lvs1/192.0.2.22:80",
        "rs:TCP 192.0.2.80:22@lvs2/192.0.2.22:22", "rs:TCP 192.0.2.80:80@lvs2/192.0.2.22:80"]
    assert all("down" in r.text() for r in down)

    faults.restore_rs(lab, "192.0.2.22")
    again = poller.poll()
    assert not gone(again.state)
    assert not [p for p in again.judgement.grouped() if p.area == "lvs"]


def test_one_read_names_what_keepalived_conf_configures(lab: Lab) -> None:
    """One read (hadeck status) has no earlier table to remember: the directors'
    keepalived.conf names the real servers, so one it configures and the table lacks is
    named as down from the first read; a service the file does not name invents nothing."""
    faults.kill_rs(lab, "192.0.2.22")
    config = open_cluster(None, lab=str(lab.directory)).config  # the lab's expected counts
    snap = Poller(lambda: LabAccess(lab), config, log=EventLog(None)).poll()
    assert gone(snap.state) == {
        (d, f"TCP 192.0.2.80:{port}"): (f"192.0.2.22:{port}",)
        for d in ("lvs1", "lvs2") for port in (22, 80)}
    reasons = [p.reason for p in snap.judgement.grouped() if p.area == "lvs"]
    assert reasons == ["real server 192.0.2.22 down (gone from the IPVS table) → out of "
                       "TCP 192.0.2.80:22, TCP 192.0.2.80:80 on lvs1 (MASTER), lvs2"]


def test_a_service_keepalived_conf_does_not_name_invents_nothing() -> None:
    from hadeck.model import RealServer, VirtualService
    from hadeck.sources.keepalived_conf import parse_keepalived_conf
    from hadeck.sources.lvs import _with_weights

    svc = VirtualService(protocol="TCP", address="192.0.2.80", port=80, scheduler="wlc",
                         real_servers=(RealServer(address="192.0.2.21", port=80),))
    config = parse_keepalived_conf("virtual_server 192.0.2.99 80 {\n  real_server "
                                   "192.0.2.21 80 {\n    weight 2\n  }\n}\n")
    assert _with_weights((svc,), config, "keepalived") == (svc,)
    named = parse_keepalived_conf("virtual_server 192.0.2.80 80 {\n  real_server "
                                  "192.0.2.21 80 {\n    weight 2\n  }\n  real_server "
                                  "192.0.2.22 80 {\n    weight 1\n  }\n}\n")
    (seen,) = _with_weights((svc,), named, "keepalived")
    assert seen.gone == ("192.0.2.22:80",) and seen.managed_by == "keepalived"


def test_remembered_rows_are_per_director_and_service(lab: Lab) -> None:
    before = Poller(lambda: LabAccess(lab), log=EventLog(None)).poll().state
    _, known = remember_real_servers({}, before)
    assert known[("lvs1", "TCP 192.0.2.80:80")] == ("192.0.2.21:80", "192.0.2.22:80",
                                                    "192.0.2.23:80")
    faults.kill_rs(lab, "192.0.2.23")
    after = Poller(lambda: LabAccess(lab), log=EventLog(None)).poll().state
    state, known2 = remember_real_servers(known, after)
    assert gone(state) == {("lvs1", "TCP 192.0.2.80:80"): ("192.0.2.23:80",),
                           ("lvs2", "TCP 192.0.2.80:80"): ("192.0.2.23:80",)}
    assert known2 == known  # still known: it comes back as it was
    verdicts = [v for v in judge(state).verdicts if v.area == "lvs" and v.node == "lvs1"
                and v.key.name == "TCP 192.0.2.80:80"]
    assert [v.reason for v in verdicts] == [
        "real server 192.0.2.23:80 down (gone from the IPVS table); 2 of 3 real servers "
        "in service"]
