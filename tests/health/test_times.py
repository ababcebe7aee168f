"""Honest times (issue 12): the cluster's own time where it records one, "seen since"
(a lower bound) where it does not, and a replay's durations measured to its bundle."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hadeck.dates import cluster_time
from hadeck.health import Judgement, Kind, Subject, judge_resources
from hadeck.health.causes import find_causes
from hadeck.model import ClusterState
from hadeck.sources.pacemaker import parse_crm_mon
from hadeck.tui.screen_overview import _problems
from hadeck.tui.tables import Row
from hadeck.watch.poller import problem_keys
from tests.conftest import FIXTURES

BLOCKED = (FIXTURES / "pacemaker" / "2.1.5" / "blocked-stop.xml").read_text()
FAILED_AT = dt.datetime(2026, 11, 22, 2, 39, 59, tzinfo=dt.UTC).timestamp()
"""``last-rc-change="2026-11-22 02:39:59Z"`` of vm1's stop in the capture."""


def test_crm_mon_times_are_read() -> None:
    assert cluster_time("2026-11-22 02:39:59Z") == FAILED_AT
    assert cluster_time("Sun Nov 22 02:39:59 2026") is not None
    assert cluster_time("Tue Mar  2 10:09:12 2021") is not None  # 1.1's ctime, two blanks
    assert cluster_time("") is None and cluster_time("soon") is None


def test_a_blocked_stop_is_dated_by_its_failure() -> None:
    pcmk = parse_crm_mon(BLOCKED)
    vm1 = [v for v in judge_resources(pcmk) if v.key == Subject(Kind.RESOURCE, "vm1")]
    blocked = next(v for v in vm1 if v.reason.startswith("blocked"))
    assert blocked.since == FAILED_AT
    failed_op = next(v for v in vm1 if v.reason.startswith("stop failed"))
    assert failed_op.since == FAILED_AT


def since_by_subject(rows: list[Row]) -> dict[str, object]:
    """The overview's problem rows: subject → Since cell."""
    return {str(getattr(r.cells[1], "plain", r.cells[1])).split(" +")[0]: r.cells[3]
            for r in rows}


def judgement_of(state: ClusterState) -> Judgement:
    assert state.pacemaker is not None
    verdicts = judge_resources(state.pacemaker)
    return Judgement(tuple(verdicts), find_causes(state, verdicts))


def test_overview_says_cluster_time_or_seen_since() -> None:
    state = ClusterState(taken_at=FAILED_AT + 600, local_node="jupiter1",
                         pacemaker=parse_crm_mon(BLOCKED))
    judgement = judgement_of(state)
    # hadeck has only just started watching: seen 6 s ago.
    first_seen = dict.fromkeys(problem_keys(judgement), state.taken_at - 6)
    rows = _problems(judgement, first_seen, state.taken_at)
    cells = since_by_subject(rows)
    assert cells["vm1"] == "10m"  # the failure's own time, not the 6 s of this session
    # A problem without a cluster time is shown as a lower bound.
    pcmk = state.pacemaker
    assert pcmk is not None
    undated = dataclasses.replace(state, pacemaker=dataclasses.replace(
        pcmk, failed_actions=(), fail_counts=()))
    judgement = judgement_of(undated)
    first_seen = dict.fromkeys(problem_keys(judgement), state.taken_at - 6)
    cells = since_by_subject(_problems(judgement, first_seen, state.taken_at))
    assert cells["vm1"] == "≥6s"


def test_a_replay_measures_to_its_bundle_not_to_today() -> None:
    from hadeck.tui.screen_overview import OverviewScreen
    from hadeck.tui.view import View
    from hadeck.watch.poller import Snapshot

    state = ClusterState(taken_at=FAILED_AT + 600, local_node="jupiter1",
                         pacemaker=parse_crm_mon(BLOCKED))
    judgement = judgement_of(state)
    snap = Snapshot(state, judgement, dict.fromkeys(problem_keys(judgement), state.taken_at))
    # Replayed a day after it was recorded: still 10 minutes after the failure.
    view = View(snap, now=state.taken_at + 86400, interval=2.0, frozen=True)
    screen = OverviewScreen.__new__(OverviewScreen)
    rows = OverviewScreen.build(screen, view)["problems"]
    assert since_by_subject(rows)["vm1"] == "10m"
