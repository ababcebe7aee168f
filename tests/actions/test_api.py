"""The Python API the dashboard uses: prepare / execute, the plan, actions_for."""

from __future__ import annotations

from hadeck.actions.contract import Selection, actions_for, selection_of
from hadeck.actions.perform import READ_ONLY, execute, prepare
from hadeck.actions.plan import plan
from hadeck.actions.request import Request
from hadeck.collect import collect
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster

from .conftest import crm_mon, node, running_on


def test_prepare_then_execute(lab: Lab) -> None:
    opened = open_cluster(lab=str(lab.directory))
    prepared = prepare(Request("standby", "jupiter2"), opened)
    assert prepared.refused is None and prepared.exit_code == 0
    assert prepared.plan is not None
    assert prepared.plan.destructive and prepared.plan.confirm_word == "jupiter2"
    assert node(crm_mon(lab), "jupiter2").get("standby") == "false"   # nothing ran yet
    seen: list[str] = []
    outcome = execute(prepared, opened, wait=30, progress=seen.append)
    assert (outcome.ok, outcome.settled, outcome.exit_code) == (True, True, 0)
    assert seen[0] == "jupiter1: crm_attribute -N jupiter2 -n standby -v on -l forever"
    assert any(line.startswith("waiting for Pacemaker to settle") for line in seen)
    assert running_on(crm_mon(lab), "vm2") == ["jupiter1"]


def test_a_refused_preparation_is_not_executed(lab: Lab) -> None:
    opened = open_cluster(lab=str(lab.directory))
    prepared = prepare(Request("move", "vm1", "jupiter2"), opened, read_only=True)
    assert prepared.refused == READ_ONLY and prepared.exit_code == 1
    outcome = execute(prepared, opened)
    assert outcome.exit_code == 1 and not outcome.results
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]


def test_plans_are_pacemakers_own_commands(lab: Lab) -> None:
    opened = open_cluster(lab=str(lab.directory))
    state = collect(opened.access, opened.config)
    cases = {
        Request("move", "vm1", "jupiter2", lifetime="PT1H"):
            [("crm_resource", "--move", "-r", "vm1", "-N", "jupiter2", "--lifetime", "PT1H")],
        Request("ban", "vm2", "jupiter2"):
            [("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter2")],
        Request("node-maintenance", "sun", option="on"):
            [("crm_attribute", "-N", "sun", "-n", "maintenance", "-v", "on", "-l", "forever")],
        Request("cluster-maintenance", "cluster", option="on"):
            [("crm_attribute", "-t", "crm_config", "-n", "maintenance-mode", "-v", "true")],
        Request("unmanage", "vm2"):
            [("crm_resource", "-r", "vm2", "--meta", "-p", "is-managed", "-v", "false")],
        Request("stop", "vm2"):
            [("crm_resource", "-r", "vm2", "--meta", "-p", "target-role", "-v", "Stopped")],
        Request("cleanup", "vm2", "jupiter2"):
            [("crm_resource", "--cleanup", "-r", "vm2", "-N", "jupiter2")],
        Request("move", "vm1", "jupiter2"):
            [("crm_resource", "--move", "-r", "vm1", "-N", "jupiter2"),
             ("crm_resource", "--clear", "-r", "vm1", "-N", "jupiter2")],
    }
    for request, argv in cases.items():
        assert list(plan(request, state).argv) == argv, request
    # Not destructive, unless forced: then the name must be typed.
    assert plan(Request("ban", "vm2", "jupiter2"), state).confirm_word is None
    assert plan(Request("ban", "vm2", "jupiter2", force=True), state).confirm_word == "vm2"
    # Maintenance of a node that carries resources (sun runs a ping instance) is.
    assert plan(Request("node-maintenance", "sun", option="on"), state).confirm_word == "sun"
    assert plan(Request("cluster-maintenance", "cluster", option="on"),
                state).confirm_word == "cluster"


def test_actions_for_a_node_and_a_guest(lab: Lab) -> None:
    opened = open_cluster(lab=str(lab.directory))
    state = collect(opened.access, opened.config)
    assert state.pacemaker is not None
    jupiter1 = state.pacemaker.node("jupiter1")
    selection = selection_of("node:jupiter1", jupiter1)
    assert selection is not None
    listed = {a.label: a for a in actions_for(selection, state)}
    assert listed["Standby jupiter1"].unavailable is None
    assert listed["Standby jupiter1"].request == Request("standby", "jupiter1")
    assert listed["Online jupiter1"].unavailable == "jupiter1 is not in standby"
    assert listed["Cluster maintenance-mode on"].request == Request(
        "cluster-maintenance", "cluster", option="on")
    vm1 = next(g for g in state.guests if g.name == "vm1")
    guest = selection_of("guest:vm1@jupiter1", vm1)
    assert guest is not None
    offered = {a.label: a for a in actions_for(guest, state)}
    assert offered["Migrate vm1 to jupiter2"].request == Request("migrate", "vm1", "jupiter2")
    assert offered["Start vm1"].unavailable is not None
    # The arbiter can never run it (the CIB's loc_vm1_not_sun): greyed with that reason,
    # not offered to fail in the preview.
    assert offered["Move vm1 to sun"].unavailable == (
        "vm1 never runs on sun: location loc_vm1_not_sun (-INFINITY)")
    assert offered["Migrate vm1 to sun"].unavailable is not None
    assert offered["Move vm1 to jupiter2"].unavailable is None
    # Read-only: everything listed, nothing available, the reason given.
    frozen = actions_for(guest, state, read_only=True)
    assert frozen and {a.unavailable for a in frozen} == {READ_ONLY}
    # Without a state nothing is offered (the dashboard before its first poll).
    assert actions_for(Selection("node", "jupiter1", "jupiter1")) == []


def test_a_guest_stands_for_its_resource() -> None:
    from hadeck.model import ClusterState, Guest, Node, PacemakerState, Resource

    state = ClusterState(
        taken_at=0.0, local_node="n1",
        pacemaker=PacemakerState(
            nodes=(Node("n1", online=True), Node("n2", online=True)),
            resources=(Resource("p_vm_web", agent="ocf:heartbeat:VirtualDomain",
                                role="Started", active=True, nodes=("n1",)),)),
        guests=(Guest("web", "n1", "kvm", "running", resource="p_vm_web"),))
    assert plan(Request("move", "web", "n2"), state).argv[0] == (
        "crm_resource", "--move", "-r", "p_vm_web", "-N", "n2")
