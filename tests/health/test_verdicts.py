"""Wrong or missing verdicts of issue 12, each on the input that showed it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hadeck.health import (
    CRITICAL,
    OK,
    WARNING,
    Kind,
    Subject,
    judge_colocations,
    judge_drbd,
    judge_orders,
    judge_primaries,
    judge_resources,
)
from hadeck.health.pacemaker import judge_node
from hadeck.lab import faults
from hadeck.lab.scenario import CibScenario
from hadeck.lab.world import Lab
from hadeck.model import FailCount, Node, Resource
from hadeck.sources.drbd import parse_events2
from hadeck.sources.drbd_proc import parse_proc_drbd
from hadeck.sources.pacemaker import parse_cib_configuration, parse_cib_orders, parse_crm_mon
from tests.conftest import FIXTURES, captured, sample
from tests.health.conftest import Read


def reasons(judgement: object, area: str, subject: Subject) -> list[tuple[object, str]]:
    return [(v.health, v.reason) for v in judgement.area(area)  # type: ignore[attr-defined]
            if v.key == subject]


@pytest.mark.pacemaker
def test_blocked_stop_breaks_the_drbd_colocation_and_the_guest_disk(
        lab: Lab, read: Read) -> None:
    # The real scheduler promotes ms_drbd_vm1 on jupiter2 while vm1 stays blocked on
    # jupiter1: crm_mon says nothing of it.
    faults.fail_resource(lab, "vm1", "stop", "jupiter1")
    faults.step(lab, 10)
    _, judgement = read()
    vm1 = reasons(judgement, "resources", Subject(Kind.RESOURCE, "vm1"))
    assert (CRITICAL, "runs on jupiter1, but colocation col_vm1_on_drbd needs it with "
                      "ms_drbd_vm1 Promoted, which is on jupiter2") in vm1
    guest = reasons(judgement, "guests", Subject(Kind.GUEST, "vm1", "jupiter1"))
    assert (CRITICAL, "runs on jupiter1, where its DRBD r1 is Secondary, not Primary: it is "
                      "not writing to the replicated disk") in guest


@pytest.mark.pacemaker
def test_healthy_lab_breaks_no_colocation(read: Read) -> None:
    _, judgement = read()
    assert not [v for v in judgement.verdicts if "colocation" in v.reason]
    assert not [v for v in judgement.area("guests") if "not Primary" in v.reason]


def test_two_primaries_while_partitioned_are_critical() -> None:
    # A real DRBD 8.4 capture: Primary, WFConnection (peer unreachable); seen on both sides.
    one = parse_proc_drbd(captured("proc_drbd__a__WFConnection_primary.txt"))
    both = [dataclasses.replace(r, node=node) for node in ("alpha", "bravo") for r in one]
    verdicts = judge_primaries(both)
    assert [(v.health, v.subject) for v in verdicts] == [(CRITICAL, "drbd0")]
    assert verdicts[0].reason.startswith("Primary on alpha and bravo, which are not "
                                         "connected: both write on their own (split brain)")
    # One side alone is no split: nothing said.
    assert judge_primaries(both[:1]) == []


def test_two_primaries_connected_are_allowed() -> None:
    # Connected Primary/Primary is what allow-two-primaries permits (live migration).
    base = parse_events2(sample("drbd-events2", "healthy-primary-2node.txt"))[0]
    alpha = dataclasses.replace(base, node="alpha")
    bravo = dataclasses.replace(base, node="bravo", connections=tuple(
        dataclasses.replace(c, peer="alpha") for c in base.connections))
    alpha = dataclasses.replace(alpha, connections=tuple(
        dataclasses.replace(c, peer="bravo") for c in base.connections))
    assert judge_primaries([alpha, bravo]) == []


@pytest.mark.parametrize("state", ["WFSyncUUID", "WFBitMapT"])
def test_resync_start_is_syncing_not_critical(state: str) -> None:
    # The first states of every resync (DRBD's drbd_strings.c), before SyncTarget.
    text = sample("drbd-events2", "synctarget-inconsistent.txt").replace(
        "replication:SyncTarget", f"replication:{state}")
    verdicts = judge_drbd(parse_events2(text))
    assert all(v.health != CRITICAL for v in verdicts), verdicts
    disk = [v for v in verdicts if v.key.peer is None]
    assert [(v.health, v.reason) for v in disk] == [
        (WARNING, "local disk Inconsistent, resync running")]


def test_clean_shutdown_is_not_a_crash() -> None:
    crashed = judge_node(Node("jupiter1", online=False, expected_up=True))
    stopped = judge_node(Node("jupiter1", online=False, expected_up=False))
    assert (crashed.health, crashed.reason) == (
        CRITICAL, "offline: crashed or cut off (expected up)")
    assert (stopped.health, stopped.reason) == (
        WARNING, "offline: shut down cleanly (not expected up)")


def test_crm_mon_node_failed_capture_reads_as_a_crash() -> None:
    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "node-failed.xml").read_text())
    node = pcmk.node("jupiter1")
    assert node is not None
    assert judge_node(node).reason == "offline: crashed or cut off (expected up)"


def test_infinity_fail_count_where_it_no_longer_runs_is_a_warning_with_cleanup() -> None:
    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "all-up.xml").read_text())
    vm2 = pcmk.find("vm2")
    assert vm2 is not None and vm2.running_on == ("jupiter2",)
    pcmk = dataclasses.replace(pcmk, fail_counts=(
        FailCount("vm2", "jupiter1", 1000000, migration_threshold=1000000),))
    verdicts = [v for v in judge_resources(pcmk) if "fail count" in v.reason]
    assert [(v.health, v.reason) for v in verdicts] == [(
        WARNING, "fail count INFINITY on jupiter1: it runs on jupiter2, and cannot go back "
                 "to jupiter1 until cleaned up: crm_resource --cleanup -r vm2 -N jupiter1")]


def test_pending_monitor_is_no_problem_but_a_start_is() -> None:
    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "all-up.xml").read_text())

    def judged(pending: str) -> tuple[object, str]:
        vm2 = dataclasses.replace(pcmk.find("vm2"), pending=pending)  # type: ignore[arg-type]
        tops = tuple(vm2 if r.id == "vm2" else r for r in pcmk.resources)
        verdict = next(v for v in judge_resources(dataclasses.replace(pcmk, resources=tops))
                       if v.key.name == "vm2")
        return verdict.health, verdict.reason

    assert judged("Monitoring") == (OK, "Started on jupiter2")
    assert judged("Starting")[0] == WARNING


def test_stopped_without_target_role_says_no_target_role() -> None:
    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "all-up.xml").read_text())
    stopped = Resource("vm9", agent="ocf:heartbeat:VirtualDomain", role="Stopped")
    with_role = dataclasses.replace(stopped, target_role="Started")
    for rsc, said in ((stopped, "stopped"), (with_role, "stopped, target role Started")):
        out = judge_resources(dataclasses.replace(pcmk, resources=(rsc,)))
        assert [(v.health, v.reason) for v in out if v.key.name == "vm9"] == [(CRITICAL, said)]


@pytest.mark.pacemaker
def test_group_shows_the_worst_of_its_members(lab: Lab, read: Read) -> None:
    faults.ping_lost(lab)
    state, judgement = read()
    assert state.pacemaker is not None
    group = state.pacemaker.find("g_services")
    assert group is not None and not group.running_on
    assert judgement.of("resources", Subject(Kind.RESOURCE, "g_services")) == OK
    assert judgement.resource_health(group) == CRITICAL


def test_stopped_clone_instances_are_not_flagged_orphaned() -> None:
    from hadeck.tui.fmt import flags

    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "all-up.xml").read_text())
    clone = pcmk.find("ms_drbd_vm1")
    assert clone is not None
    stopped = [c for c in clone.children if c.role == "Stopped"]
    assert stopped and all(c.orphaned for c in stopped)  # what the XML says
    assert [flags(c) for c in stopped] == [""]
    assert flags(Resource("old_vm", role="Started", active=True, orphaned=True)) == "orphaned"


def test_a_timed_out_operation_could_not_be_executed() -> None:
    # crm_mon's <failure ... exitstatus="error" status="Timed Out">: no result, not "error".
    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "failed-monitor.xml").read_text())
    fa = pcmk.failed_actions[0]
    timed_out = dataclasses.replace(fa, status="Timed Out", exit_reason="")
    out = judge_resources(dataclasses.replace(pcmk, failed_actions=(timed_out,)))
    said = [v.reason for v in out if "could not be executed" in v.reason]
    assert said == [f"monitor could not be executed (Timed Out) on {fa.node} "
                    f"(at {fa.last_rc_change}; clean up when fixed)"]


@pytest.mark.pacemaker
def test_unmanaged_guest_over_a_demoted_drbd_breaks_colocation_and_order(
        tmp_path: Path) -> None:
    # The real scheduler: vm1 unmanaged (left running), its DRBD told to stay Unpromoted.
    scenario = CibScenario.seed(tmp_path / "cib")
    scenario.set_managed("vm1", False)
    scenario.set_target_role("ms_drbd_vm1", "Unpromoted")
    config = scenario.cib_configuration_xml()
    locations, colocations, primitives = parse_cib_configuration(config)
    pcmk = dataclasses.replace(parse_crm_mon(scenario.crm_mon_xml()), locations=locations,
                               colocations=colocations, primitives=primitives,
                               orders=parse_cib_orders(config))
    said = [(v.health, v.reason) for v in judge_colocations(pcmk) + judge_orders(pcmk)]
    assert said == [
        (CRITICAL, "runs on jupiter1, but colocation col_vm1_on_drbd needs it with "
                   "ms_drbd_vm1 Promoted, which is Promoted nowhere"),
        (CRITICAL, "runs on jupiter1, but order ord_ms_drbd_vm1_before_vm1 needs "
                   "ms_drbd_vm1 promoted first, and it is promoted nowhere")]
    # The healthy seed keeps both.
    seed = CibScenario.seed(tmp_path / "seed")
    config = seed.cib_configuration_xml()
    _, colocations, _ = parse_cib_configuration(config)
    healthy = dataclasses.replace(parse_crm_mon(seed.crm_mon_xml()), colocations=colocations,
                                  orders=parse_cib_orders(config))
    assert judge_colocations(healthy) == [] and judge_orders(healthy) == []


def test_events_say_a_crash_apart_from_a_clean_shutdown() -> None:
    from hadeck.model import ClusterState, PacemakerState
    from hadeck.watch.events import diff

    def state(node: Node) -> ClusterState:
        return ClusterState(taken_at=1.0, local_node="jupiter2",
                            pacemaker=PacemakerState(nodes=(node,)))

    up = Node("jupiter1", online=True, expected_up=True)
    crashed = diff(state(up), state(Node("jupiter1", expected_up=True)))
    stopped = diff(state(up), state(Node("jupiter1", expected_up=False)))
    assert [(e.health, e.text) for e in crashed if e.area == "nodes"] == [
        (CRITICAL, "jupiter1 offline (was online)")]
    assert [(e.health, e.text) for e in stopped if e.area == "nodes"] == [
        (WARNING, "jupiter1 offline (was online): shut down cleanly")]


def test_a_guest_being_started_is_not_lost() -> None:
    from hadeck.health import judge_guests

    pcmk = parse_crm_mon((FIXTURES / "pacemaker" / "2.1.5" / "all-up.xml").read_text())
    vm2 = pcmk.find("vm2")
    assert vm2 is not None
    read = frozenset({"jupiter2"})
    lost = judge_guests((), pcmk, read)
    assert [(v.health, v.reason) for v in lost if v.key.node == "jupiter2"] == [
        (CRITICAL, "Pacemaker runs vm2 on jupiter2, but no such guest runs there")]
    starting = dataclasses.replace(vm2, role="Starting", pending="Starting")
    pcmk = dataclasses.replace(pcmk, resources=tuple(
        starting if r.id == "vm2" else r for r in pcmk.resources))
    said = [(v.health, v.reason) for v in judge_guests((), pcmk, read)
            if v.key.node == "jupiter2"]
    assert said == [(WARNING, "Pacemaker is starting vm2 on jupiter2: not running there yet")]


@pytest.mark.parametrize("state", ["WFSyncUUID", "WFBitMapT"])
def test_resync_start_from_drbd84_proc_is_syncing(state: str) -> None:
    # DRBD 8.4's /proc/drbd, the real 8.4.7 SyncTarget sample at the resync's first state.
    text = sample("proc-drbd", "84-synctarget.txt").replace("cs:SyncTarget", f"cs:{state}")
    verdicts = judge_drbd(parse_proc_drbd(text))
    assert all(v.health != CRITICAL for v in verdicts), verdicts
