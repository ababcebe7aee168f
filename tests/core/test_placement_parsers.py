"""The placement parsers on their own: crm_simulate's score lines, rules, dates, the CIB."""

from __future__ import annotations

import pytest

from hadeck.placement import INFINITY, parse_cib, parse_date, parse_scores
from hadeck.placement.rules import evaluate, timegm
from hadeck.sources.base import ParseError

# crm_simulate 2.1.5 -s without -Q: the status first, then the scores.
SCORES_215 = """\
[ jupiter1 jupiter2 sun ]

Promoted: [ jupiter1 ]
vm1\t(ocf:heartbeat:VirtualDomain):\t Started jupiter1

pcmk__clone_allocate: p_drbd_vm1:0 allocation score on jupiter1: 10100
pcmk__primitive_assign: p_drbd_vm1:0 allocation score on jupiter1: 10250
pcmk__primitive_assign: p_drbd_vm1:1 allocation score on jupiter2: 10100
p_drbd_vm1:0 promotion score on jupiter1: 10300
p_drbd_vm1:1 promotion score on jupiter2: 10000
p_drbd_vm1:2 promotion score on none: 0
pcmk__primitive_assign: vm1 allocation score on jupiter1: 10400
pcmk__primitive_assign: vm1 allocation score on jupiter2: -INFINITY
pcmk__group_assign: fs_data allocation score on jupiter1: 150
pcmk__primitive_assign: fs_data allocation score on jupiter1: 350
"""

# Pacemaker 1.1 / 2.0 name the steps native_color, clone_color, group_color.
SCORES_11 = """\
native_color: vm1 allocation score on node1: INFINITY
native_color: vm1 allocation score on node2: -INFINITY
clone_color: ms_drbd:0 allocation score on node1: 0
"""


def test_scores_of_2_1_5_with_the_status_before() -> None:
    scores = parse_scores(SCORES_215)
    assert scores.allocation("vm1") == {"jupiter1": 10400, "jupiter2": -INFINITY}
    # The primitive step wins over the group step for a group member.
    assert scores.allocation("fs_data") == {"jupiter1": 350}
    assert scores.instances("p_drbd_vm1") == ("p_drbd_vm1:0", "p_drbd_vm1:1")
    assert scores.promotion("p_drbd_vm1") == {"jupiter1": 10300, "jupiter2": 10000}


def test_scores_of_1_1() -> None:
    scores = parse_scores(SCORES_11)
    assert scores.allocation("vm1") == {"node1": INFINITY, "node2": -INFINITY}
    assert scores.allocation("ms_drbd:0") == {"node1": 0}


@pytest.mark.parametrize("text", ["", "garbage\n", "\x00\x01",
                                  "native_color: vm1 allocation score on n1: lots\n"])
def test_scores_refuse_what_is_not_crm_simulate(text: str) -> None:
    with pytest.raises(ParseError):
        parse_scores(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-02 09:18:33Z", 1796203113.0),
    ("2026-12-02T09:18:33Z", 1796203113.0),
    ("2026-12-02 10:18:33 +01:00", 1796203113.0),
    ("2026-12-02 09:18:33", 1796203113.0),
    ("2026-12-02", 1796169600.0),
    ("2026-13-40 99:99:99Z", None),
    ("tomorrow", None),
])
def test_dates(text: str, expected: float | None) -> None:
    assert parse_date(text) == expected


def test_timegm_is_calendars() -> None:
    """``rules.timegm`` (no calendar import on a plugin's path, issue 15) gives what
    ``calendar.timegm`` gives, carries and errors included, over the years it takes."""
    import calendar
    import random

    rng = random.Random(15)
    years = [*range(1, 30), *range(1580, 2500), *range(9970, 10000)]
    for year in years:
        for month in range(1, 13):
            for day in (0, 1, 28, 29, 30, 31, 99):
                fields = (year, month, day, rng.randrange(100), rng.randrange(100),
                          rng.randrange(100))
                assert timegm(*fields) == calendar.timegm((*fields, 0, 0, 0)), fields
    for year, month in ((0, 1), (10000, 1), (2000, 0), (2000, 13)):
        with pytest.raises(ValueError):
            calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
        with pytest.raises(ValueError):
            timegm(year, month, 1)


CIB = """\
<cib><configuration>
  <crm_config><cluster_property_set id="o">
    <nvpair id="o1" name="symmetric-cluster" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"><instance_attributes id="n1">
    <nvpair id="n1a" name="rack" value="r1"/></instance_attributes></node>
    <node id="2" uname="b"/></nodes>
  <resources>
    <group id="g"><primitive id="p1" class="ocf" provider="heartbeat" type="Dummy"/>
      <primitive id="p2" class="ocf" provider="heartbeat" type="Dummy"/></group>
    <master id="ms"><meta_attributes id="m"><nvpair id="m1" name="migration-threshold"
      value="3"/></meta_attributes><primitive id="d" class="ocf" provider="linbit"
      type="drbd"/></master>
  </resources>
  <constraints>
    <rsc_location id="l1" rsc="g"><rule id="r1" score="-INFINITY" boolean-op="or">
      <expression id="e1" attribute="pingd" operation="not_defined"/>
      <rule id="r2" boolean-op="and"><expression id="e2" attribute="pingd" operation="lt"
        value="100" type="number"/><expression id="e3" attribute="rack" operation="eq"
        value="r1"/></rule></rule></rsc_location>
    <rsc_location id="l2" rsc="g"><rule id="r3" score="10">
      <date_expression id="d1" operation="date_spec"/></rule></rsc_location>
    <rsc_colocation id="c1" score="INFINITY"><resource_set id="s1"><resource_ref id="g"/>
      </resource_set><resource_set id="s2"><resource_ref id="ms"/></resource_set>
    </rsc_colocation>
    <rsc_order id="o1" first="ms" first-action="promote" then="g"/>
  </constraints>
</configuration>
<status><node_state id="1" uname="a"><transient_attributes id="1"><instance_attributes
  id="s1"><nvpair id="t1" name="pingd" value="50"/>
  <nvpair id="t2" name="fail-count-d:0#monitor_10000" value="2"/>
  <nvpair id="t3" name="fail-count-d#start_0" value="INFINITY"/>
</instance_attributes></transient_attributes></node_state></status></cib>
"""


def test_cib_tree_constraints_attributes_and_fail_counts() -> None:
    cib = parse_cib(CIB)
    assert cib.ancestors("p2") == ("g",)
    assert cib.descendants("g") == ("p1", "p2")
    assert cib.resource("ms") is not None and cib.resource("ms").promotable  # type: ignore[union-attr]
    assert cib.meta("d", "migration-threshold") == ("3", "ms")
    assert not cib.symmetric
    assert cib.node_attributes["a"] == {"#uname": "a", "#id": "1", "rack": "r1",
                                        "pingd": "50", "fail-count-d:0#monitor_10000": "2",
                                        "fail-count-d#start_0": "INFINITY"}
    assert cib.fail_counts == {("d", "a"): INFINITY}
    [col] = cib.colocations
    assert (col.resource, col.with_resource, col.score) == ("ms", "g", "INFINITY")
    [order] = cib.orders
    assert (order.first, order.first_action, order.then, order.then_action) == (
        "ms", "promote", "g", "promote")


def test_rules_nested_and_what_cannot_be_evaluated() -> None:
    cib = parse_cib(CIB)
    ping, spec = cib.locations
    rule = ping.rules[0]
    assert rule.describe() == "pingd not_defined or (pingd lt 100 and rack eq r1)"
    assert evaluate(rule, cib.node_attributes["a"], 0) is True
    assert evaluate(rule, {"#uname": "b", "pingd": "100"}, 0) is False
    assert evaluate(rule, {"#uname": "b"}, 0) is True
    # A date_spec is not evaluated: "cannot tell", never a guess.
    assert evaluate(spec.rules[0], {"#uname": "a"}, 0) is None


@pytest.mark.parametrize("text", ["", "<html/>", "<cib/>", "<cib><configuration>",
                                  "<configuration><resources>" + '<group id="g">' * 100
                                  + "</group>" * 100 + "</resources></configuration>"])
def test_cib_refuses_what_is_not_one(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cib(text)


def test_explain_on_real_captures_without_pacemaker() -> None:
    """The pure path on Pacemaker 2.1.5's own outputs: vm1 moved with a lifetime."""
    from hadeck.placement import explain
    from hadeck.sources.pacemaker import parse_crm_mon
    from tests.conftest import FIXTURES

    here = FIXTURES / "pacemaker" / "2.1.5"
    cib = parse_cib((here / "moved-with-lifetime.cib.xml").read_text())
    scores = parse_scores((here / "moved-with-lifetime.scores.txt").read_text())
    pcmk = parse_crm_mon((here / "moved-with-lifetime.xml").read_text())
    [prefer] = [loc for loc in cib.locations if loc.from_cli]
    end = parse_date(prefer.lifetime() or "")
    assert end is not None
    explained = explain("vm1", cib, scores, pcmk, end - 60)
    assert explained.running_on == ("jupiter2",)
    jupiter1 = explained.node("jupiter1")
    assert jupiter1 is not None and jupiter1.score == -INFINITY
    assert jupiter1.reasons[0] == "cli-prefer-vm1 pins it to jupiter2: hadeck clear vm1"
    [applied] = [c for c in explained.constraints if c.from_cli]
    assert not applied.expired
    later = explain("vm1", cib, scores, pcmk, end + 60)
    assert [c.expired for c in later.constraints if c.from_cli] == [True]
