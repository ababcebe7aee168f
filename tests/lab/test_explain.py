"""hadeck explain on the lab: the real crm_simulate's scores on the lab's CIB, and the
reasons hadeck names for them, for every resource of the seed and after faults."""

from __future__ import annotations

import pytest

from hadeck.collect import collect
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.placement import INFINITY, ExplainError, Explanation, read_explanation
from hadeck.placement.rules import parse_date

pytestmark = pytest.mark.pacemaker

SEED_RESOURCES = ("vm1", "vm2", "ms_drbd_vm1", "ms_drbd_vm2", "g_services", "fs_data",
                  "ip_service", "svc_dummy", "cl_ping")


def why(lab: Lab, resource: str, at: float | None = None) -> Explanation:
    return read_explanation(LabAccess(lab).local, resource, at=at)


def reasons(explained: Explanation, node: str) -> list[str]:
    placement = explained.node(node)
    assert placement is not None, f"{node} not in {explained.nodes}"
    return list(placement.reasons)


def running(lab: Lab, resource: str) -> tuple[str, ...]:
    state = collect(LabAccess(lab))
    assert state.pacemaker is not None
    found = state.pacemaker.find(resource)
    assert found is not None
    return found.running_on


@pytest.mark.parametrize("resource", SEED_RESOURCES)
def test_every_seed_resource_is_explained_on_every_node(lab: Lab, resource: str) -> None:
    explained = why(lab, resource)
    assert explained.running_on == running(lab, resource)
    assert {p.node for p in explained.nodes} == {"jupiter1", "jupiter2", "sun"}
    for placement in explained.nodes:
        # Every node has the scheduler's score and at least one reason in words.
        assert placement.score is not None, placement
        assert placement.reasons, placement
        if placement.runs_here:
            assert placement.score >= 0
    assert explained.stickiness == "100 (from rsc_defaults)"


def test_vm1_why_here_and_why_not_there(lab: Lab) -> None:
    explained = why(lab, "vm1")
    assert explained.summary == "vm1 runs on jupiter1 (Started)"
    here = explained.node("jupiter1")
    assert here is not None and here.role == "Started" and here.score == 10400
    assert reasons(explained, "jupiter1") == [
        "stickiness 100: it runs here",
        "50 from location loc_vm1_prefers_jupiter1",
        "with ms_drbd_vm1 Promoted here (colocation col_vm1_on_drbd, score INFINITY)",
    ]
    assert reasons(explained, "jupiter2") == [
        "must run where ms_drbd_vm1 is Promoted (colocation col_vm1_on_drbd): jupiter1"]
    assert reasons(explained, "sun")[0] == "banned by location loc_vm1_not_sun"
    ids = [c.id for c in explained.constraints]
    assert ids == ["loc_vm1_prefers_jupiter1", "loc_vm1_not_sun", "loc_vm1_connected",
                   "col_vm1_on_drbd", "ord_ms_drbd_vm1_before_vm1"]
    ping = next(c for c in explained.constraints if c.id == "loc_vm1_connected")
    assert ping.text == "vm1: -INFINITY where pingd not_defined or pingd lte 0"


def test_promotable_clone_names_its_promotion_scores(lab: Lab) -> None:
    explained = why(lab, "ms_drbd_vm1")
    assert explained.kind == "promotable clone"
    assert explained.summary == "ms_drbd_vm1 is promoted on jupiter1, unpromoted on jupiter2"
    assert "promotion score 10300 against 10000 on jupiter2" in reasons(explained, "jupiter1")
    assert "not promoted here: promotion score 10000 against 10300 on jupiter1" in reasons(
        explained, "jupiter2")
    assert reasons(explained, "sun") == ["banned by location loc_ms_drbd_vm1_not_sun"]


def test_a_clone_primitive_is_explained_as_its_clone(lab: Lab) -> None:
    explained = why(lab, "p_drbd_vm2")
    assert explained.resource == "ms_drbd_vm2"
    assert explained.to_dict()["asked"] == "p_drbd_vm2"
    assert explained.notes[0].startswith("p_drbd_vm2 is part of ms_drbd_vm2")


def test_group_members_follow_the_group(lab: Lab) -> None:
    group = why(lab, "g_services")
    assert reasons(group, "jupiter2") == ["lower score: 0 against 350 on jupiter1"]
    member = why(lab, "ip_service")
    assert "group g_services: runs with fs_data, on jupiter1" in reasons(member, "jupiter2")
    assert "banned by location loc_g_services_not_sun (on g_services)" in reasons(member, "sun")


def test_ping_lost_names_the_pingd_rule(lab: Lab) -> None:
    faults.ping_lost(lab, "jupiter1")
    explained = why(lab, "vm1")
    assert explained.running_on == ("jupiter2",)
    assert reasons(explained, "jupiter1")[0] == (
        "-INFINITY from location rule loc_vm1_connected (pingd lte 0; pingd is 0)")
    node = explained.node("jupiter1")
    assert node is not None and node.score == -INFINITY
    assert reasons(why(lab, "g_services"), "jupiter1") == [
        "-INFINITY from location rule loc_g_services_connected (pingd lte 0; pingd is 0)"]


def test_node_down_is_the_first_reason(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter2")
    explained = why(lab, "vm2")
    assert explained.running_on == ("jupiter1",)
    assert reasons(explained, "jupiter2")[0] == "offline"
    node = explained.node("jupiter2")
    assert node is not None and node.state == "offline" and node.score == -INFINITY
    assert reasons(why(lab, "cl_ping"), "jupiter2") == ["offline"]


def test_cli_prefer_with_lifetime_and_cli_ban(lab: Lab) -> None:
    node = LabAccess(lab).local
    moved = node.run(("crm_resource", "--move", "-r", "g_services", "-N", "jupiter2",
                      "--lifetime", "PT1H"))
    assert moved.ok, moved
    banned = node.run(("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter2"))
    assert banned.ok, banned

    group = why(lab, "g_services")
    assert group.running_on == ("jupiter2",)
    [pinned] = [r for r in reasons(group, "jupiter2") if "cli-prefer" in r]
    assert pinned.startswith("pinned here by cli-prefer-g_services until ")
    assert pinned.endswith(": hadeck clear g_services")
    assert reasons(group, "jupiter1")[0] == (
        "cli-prefer-g_services pins it to jupiter2: hadeck clear g_services")
    [applied] = [c for c in group.constraints if c.from_cli]
    assert applied.id == "cli-prefer-g_services" and not applied.expired
    assert applied.expires is not None and parse_date(applied.expires) is not None

    vm2 = why(lab, "vm2")
    assert vm2.running_on == ("jupiter1",)
    assert reasons(vm2, "jupiter2")[0] == "banned by cli-ban-vm2-on-jupiter2: hadeck clear vm2"

    # Two hours on, the scheduler no longer applies the move: it is listed as expired.
    end = parse_date(applied.expires)
    assert end is not None
    later = why(lab, "g_services", at=end + 3600)
    [expired] = [c for c in later.constraints if c.from_cli]
    assert expired.expired and "no longer applies" in expired.text
    assert not any("cli-prefer" in r for r in reasons(later, "jupiter1"))
    jupiter2 = later.node("jupiter2")
    assert jupiter2 is not None and jupiter2.score is not None and jupiter2.score < INFINITY


def test_fail_count_at_migration_threshold(lab: Lab) -> None:
    node = LabAccess(lab).local
    result = node.run(("crm_attribute", "-N", "jupiter2", "-n", "fail-count-vm1#monitor_30000",
                       "-v", "INFINITY", "-l", "reboot"))
    assert result.ok, result
    explained = why(lab, "vm1")
    assert reasons(explained, "jupiter2")[0] == (
        "fail count INFINITY of vm1 ≥ migration-threshold INFINITY: hadeck cleanup vm1")
    assert ("vm1", "jupiter2", INFINITY) in explained.fail_counts


def test_unknown_resource_says_what_there_is(lab: Lab) -> None:
    with pytest.raises(ExplainError, match="no resource 'vm9' in the CIB; its resources "
                                           "are ms_drbd_vm1, vm1, ms_drbd_vm2, vm2"):
        why(lab, "vm9")


def test_json_form(lab: Lab) -> None:
    doc = why(lab, "vm1").to_dict()
    assert doc["running_on"] == ["jupiter1"]
    sun = next(n for n in doc["nodes"] if n["node"] == "sun")
    assert sun["score"] == "-INFINITY" and sun["role"] is None
    assert sun["reasons"][0] == "banned by location loc_vm1_not_sun"


def test_stopped_everywhere_and_disabled(lab: Lab) -> None:
    node = LabAccess(lab).local
    for argv in (("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter1"),
                 ("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter2"),
                 ("crm_resource", "-r", "g_services", "--meta", "-p", "target-role",
                  "-v", "Stopped")):
        assert node.run(argv).ok, argv
    vm2 = why(lab, "vm2")
    assert vm2.running_on == ()
    assert vm2.summary == "vm2 is stopped: no node can run it (see each node below)"
    assert reasons(vm2, "jupiter1")[0] == "banned by cli-ban-vm2-on-jupiter1: hadeck clear vm2"
    member = why(lab, "ip_service")
    assert member.summary == "ip_service is stopped: disabled (target-role Stopped)"
    assert reasons(member, "jupiter1")[0] == "disabled: target-role Stopped (on g_services)"


@pytest.mark.parametrize(("tool", "mode", "message"), [
    ("crm_simulate", "missing", "the scheduler's scores could not be computed: crm_simulate"),
    ("cibadmin", "garbage", "cannot parse the CIB: cibadmin: not well-formed XML"),
    ("cibadmin", "missing", "no whole CIB to read"),
    ("crm_mon", "garbage", "cannot parse crm_mon output"),
])
def test_a_broken_tool_is_one_reason(lab: Lab, tool: str, mode: str, message: str) -> None:
    faults.tool_fault(lab, "*", tool, mode)
    with pytest.raises(ExplainError) as raised:
        why(lab, "vm1")
    assert str(raised.value).startswith(message), raised.value
    assert "\n" not in str(raised.value)


def test_a_score_attribute_rule_scores_with_the_nodes_own_value(lab: Lab) -> None:
    rule = ('<rsc_location id="loc_vm2_pingd" rsc="vm2"><rule id="loc_vm2_pingd-rule" '
            'score-attribute="pingd"><expression id="loc_vm2_pingd-e" attribute="pingd" '
            'operation="defined"/></rule></rsc_location>')
    with lab.changing():
        lab.scenario.run(("cibadmin", "-C", "-o", "constraints", "-X", rule))
        lab.scenario.converge()
    explained = why(lab, "vm2")
    assert "100 (its pingd) from location rule loc_vm2_pingd (pingd defined; pingd is 100)" \
        in reasons(explained, "jupiter2")
    group = why(lab, "g_services")
    assert reasons(group, "jupiter1")[0] == "stickiness 100 for each of its 3 members: it runs here"
