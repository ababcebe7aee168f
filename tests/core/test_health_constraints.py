"""Leftover cli- constraints as health verdicts (hadeck.health.pacemaker.judge_constraints)."""

from __future__ import annotations

from hadeck.health import WARNING, Kind, Subject, judge, judge_constraints
from hadeck.model import (
    ClusterState,
    LocationConstraint,
    PacemakerState,
)
from hadeck.placement import parse_date

END = "2026-12-02 09:18:33Z"
BEFORE = (parse_date(END) or 0) - 60
AFTER = (parse_date(END) or 0) + 60

LOCATIONS = (
    LocationConstraint("loc_vm1_prefers_jupiter1", "vm1", "jupiter1", "50"),
    LocationConstraint("cli-prefer-vm1", "vm1", "jupiter2", "INFINITY", "Started",
                       has_rules=True, lifetime=END),
    LocationConstraint("cli-ban-vm2-on-jupiter2", "vm2", "jupiter2", "-INFINITY", "Started"),
    LocationConstraint("cli-ban-ms_drbd_vm1-on-jupiter1", "ms_drbd_vm1", "jupiter1",
                       "-INFINITY", "Promoted"),
)


def test_each_cli_constraint_is_a_warning_naming_the_clear_command() -> None:
    verdicts = judge_constraints(PacemakerState(locations=LOCATIONS), BEFORE)
    assert [(v.health, v.key, v.node, v.reason) for v in verdicts] == [
        (WARNING, Subject(Kind.RESOURCE, "vm1"), "jupiter2",
         f"pinned to jupiter2 by cli-prefer-vm1 until {END}; hadeck clear vm1"),
        (WARNING, Subject(Kind.RESOURCE, "vm2"), "jupiter2",
         "banned from jupiter2 by cli-ban-vm2-on-jupiter2 with no lifetime: it stays until "
         "cleared; hadeck clear vm2"),
        (WARNING, Subject(Kind.RESOURCE, "ms_drbd_vm1"), "jupiter1",
         "banned from jupiter1 by cli-ban-ms_drbd_vm1-on-jupiter1 (role Promoted) with no "
         "lifetime: it stays until cleared; hadeck clear ms_drbd_vm1"),
    ]


def test_an_expired_lifetime_says_it_no_longer_applies() -> None:
    [verdict, *_] = judge_constraints(PacemakerState(locations=LOCATIONS), AFTER)
    assert verdict.health == WARNING
    assert verdict.reason == (f"pinned to jupiter2 by cli-prefer-vm1, expired {END}: no "
                              "longer applies but is still in the CIB; hadeck clear vm1")


def test_judge_lists_each_once() -> None:
    state = ClusterState(taken_at=BEFORE, local_node="jupiter1",
                         pacemaker=PacemakerState(locations=LOCATIONS))
    problems = [v for v in judge(state).problems() if "hadeck clear" in v.reason]
    assert len(problems) == 3
