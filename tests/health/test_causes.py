"""Root cause first (issue 12): the cause is the headline, what it caused folds under it.

Each case is a lab fault judged on what the real scheduler (crm_simulate) made of it:
one node losing its ping node, a partition without quorum, a node crash and a blocked
stop. The test reads what an operator reads: the first problem's subject and headline,
and that every verdict it explains is folded under it, not listed beside it.
"""

from __future__ import annotations

import pytest

from hadeck.health import CRITICAL, OK, WARNING, Problem
from hadeck.lab import faults
from hadeck.lab.world import Lab
from tests.health.conftest import Read

pytestmark = pytest.mark.pacemaker


def folded(problem: Problem) -> set[str]:
    return {f"{v.area} {v.subject}" for v in problem.effects}


def test_healthy_lab_has_no_problem(read: Read) -> None:
    _, judgement = read()
    assert judgement.grouped() == ()
    assert judgement.summary() == "all OK"


def test_ping_lost_on_one_node_is_one_problem_naming_its_rules(lab: Lab, read: Read) -> None:
    faults.ping_lost(lab, "jupiter1")
    _, judgement = read()
    grouped = judgement.grouped()
    assert len(grouped) == 1, [p.reason for p in grouped]
    first = grouped[0]
    assert (first.kind, first.subject, first.health) == ("ping-lost", "jupiter1", CRITICAL)
    # The resources moved to jupiter2: nothing stopped, the rules say why not jupiter1.
    assert first.reason == ("reaches no ping node → vm1, vm2, g_services cannot run there "
                            "(location rules loc_vm1_connected, loc_vm2_connected and 1 more)")


def test_ping_lost_everywhere_folds_the_stopped_resources(lab: Lab, read: Read) -> None:
    faults.ping_lost(lab)
    _, judgement = read()
    first = judgement.grouped()[0]
    assert first.kind == "ping-lost" and first.subject == "jupiter1, jupiter2, sun"
    assert first.reason.startswith("reach no ping node → vm1, vm2, g_services stopped "
                                   "(location rules loc_vm1_connected")
    assert {"resources vm1", "resources vm2", "resources fs_data", "resources ip_service",
            "resources svc_dummy"} <= folded(first)
    # Before, the cause sorted below five "stopped, target role Started" lines.
    assert not any(p.subject in ("vm1", "vm2", "fs_data") for p in judgement.grouped())
    assert not any("target role" in v.reason for v in judgement.problems())


def test_no_quorum_folds_what_no_quorum_policy_stopped(lab: Lab, read: Read) -> None:
    faults.fail_node(lab, "jupiter2")
    faults.fail_node(lab, "sun")
    _, judgement = read()
    grouped = judgement.grouped()
    first = grouped[0]
    assert (first.kind, first.subject) == ("no-quorum", "quorum")
    assert first.reason == ("partition has no quorum (1 of 3 votes) → 6 resources stopped "
                            "by no-quorum-policy=stop: ms_drbd_vm1, vm1, ms_drbd_vm2, vm2 "
                            "and 2 more")
    assert {"resources vm1", "resources vm2", "resources fs_data", "resources cl_ping",
            "resources ms_drbd_vm1"} <= folded(first)
    assert "connectivity corosync quorum@jupiter1" in {f"{v.area} {v.subject}"
                                                       for v in first.causes}
    # The two nodes down are problems of their own, with their links and ssh folded.
    assert [p.subject for p in grouped[1:]] == ["jupiter2", "sun"]
    assert len(grouped) == 3
    assert judgement.summary().startswith("quorum: partition has no quorum")


def test_node_crash_is_one_problem_with_its_consequences(lab: Lab, read: Read) -> None:
    faults.fail_node(lab, "jupiter2")
    _, judgement = read()
    grouped = judgement.grouped()
    assert len(grouped) == 1, [p.reason for p in grouped]
    first = grouped[0]
    assert (first.kind, first.subject, first.health) == ("node-down", "jupiter2", CRITICAL)
    assert first.reason == (
        "offline: crashed or cut off (expected up) → vm2 moved to jupiter1; ms_drbd_vm1, "
        "ms_drbd_vm2, cl_ping short of an instance; DRBD r1, r2 without their peer; "
        "2 corosync links down; unreachable over ssh")
    assert folded(first) == {
        "drbd r1@jupiter1 → jupiter2", "drbd r2@jupiter1 → jupiter2",
        "connectivity link jupiter1 → jupiter2", "connectivity link sun → jupiter2",
        "sources node@jupiter2", "resources ms_drbd_vm1", "resources ms_drbd_vm2",
        "resources cl_ping"}
    # Every problem verdict is in exactly one group.
    assert sum(len(p.verdicts) for p in grouped) == len(judgement.problems())


def test_blocked_stop_heads_its_failures_and_the_broken_colocation(
        lab: Lab, read: Read) -> None:
    faults.fail_resource(lab, "vm1", "stop", "jupiter1")
    faults.step(lab, 10)
    _, judgement = read()
    first = judgement.grouped()[0]
    assert (first.kind, first.subject, first.health) == ("blocked", "vm1", CRITICAL)
    assert first.reason == ("blocked on jupiter1 (stop failed, not fenced): Pacemaker will "
                            "do nothing until someone acts → it runs on "
                            "jupiter1, but colocation col_vm1_on_drbd needs it with "
                            "ms_drbd_vm1 Promoted, which is on jupiter2")
    reasons = [v.reason for v in first.effects]
    assert any(r.startswith("stop failed on jupiter1") for r in reasons)
    assert any("fail count INFINITY" in r for r in reasons)
    assert any("colocation col_vm1_on_drbd" in r for r in reasons)
    assert any("its DRBD r1 is Secondary" in r for r in reasons)  # vm1@jupiter1, folded


def test_group_health_is_the_worst_of_its_verdicts(lab: Lab, read: Read) -> None:
    faults.fail_node(lab, "jupiter2")
    _, judgement = read()
    first = judgement.grouped()[0]
    assert first.health == CRITICAL
    assert {v.health for v in first.effects} >= {CRITICAL, WARNING}
    assert all(v.health != OK for v in first.verdicts)


def test_corosync_killed_heads_with_the_split_brain_risk(lab: Lab, read: Read) -> None:
    faults.kill_corosync(lab, "jupiter2")
    _, judgement = read()
    grouped = judgement.grouped()
    first = grouped[0]
    assert (first.kind, first.subject) == ("node-down", "jupiter2")
    assert first.reason.startswith("jupiter2 is not in the cluster")
    assert "moved to" not in first.reason  # it runs on both nodes, it did not move
    # What runs twice because of it is folded under it.
    assert {"guests vm2@jupiter1", "guests vm2@jupiter2", "drbd r2"} <= folded(first)
    assert first.advice.startswith("Fence jupiter2")
    assert len(grouped) == 1, [p.reason for p in grouped]


def test_a_dead_real_server_is_one_problem_per_service(lab: Lab, read: Read) -> None:
    faults.kill_rs(lab, "192.0.2.22")
    _, judgement = read()
    grouped = judgement.grouped()
    # Before: four WARNINGs, two of them the BACKUP director's view of the same table. One
    # read names the server (keepalived.conf configures it; the table lacks it): one
    # problem, led by the MASTER's view, the services it left folded under it.
    assert [(p.kind, p.subject, p.reason) for p in grouped] == [
        ("real-server", "192.0.2.22",
         "real server 192.0.2.22 down (gone from the IPVS table) → out of TCP 192.0.2.80:22, "
         "TCP 192.0.2.80:80 on lvs1 (MASTER), lvs2")]
    assert len(grouped[0].verdicts) == 4


def test_a_blocked_group_member_heads_the_members_it_holds_stopped(
        lab: Lab, read: Read) -> None:
    from hadeck.lab.errors import LabError

    try:
        faults.fail_resource(lab, "fs_data", "stop", "jupiter1")
    except LabError:
        pass  # the real scheduler keeps wanting g_services started: it never settles
    _, judgement = read()
    first = judgement.grouped()[0]
    assert (first.kind, first.subject) == ("blocked", "fs_data")
    assert first.reason.endswith("→ ip_service, svc_dummy stopped")
    assert {"resources ip_service", "resources svc_dummy"} <= folded(first)
    assert len(judgement.grouped()) == 1, [p.reason for p in judgement.grouped()]
