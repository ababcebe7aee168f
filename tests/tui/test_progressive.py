"""The dashboard shows each node as it arrives: a slow peer holds back only its own rows.

The slow peer is the lab's runner for jupiter2 held at the runner boundary
(:class:`tests.fakes.HeldRunner`) until the test lets it go; everything else is real: the
lab's real-format outputs, crm_mon, the poller and the app.
"""

from __future__ import annotations

import threading
import time

import pytest
from textual.pilot import Pilot

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller, Snapshot
from tests.fakes import SlowPeerAccess
from tests.tui.helpers import aio, rows, settle

pytestmark = pytest.mark.pacemaker

SLOW = "jupiter2"


def node_row(app: HadeckApp, node: str) -> str:
    return next(r for r in rows(app, "nodes") if r.split()[0] == node)


async def until(pilot: Pilot[None], check: object, seconds: float = 8.0) -> bool:
    """Let the app run until ``check()`` holds (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return True
        except (StopIteration, LookupError):
            pass
        await pilot.pause(0.05)
    return False


@aio
async def test_local_pacemaker_rows_show_before_a_slow_peer_answers(lab: Lab) -> None:
    release = threading.Event()
    release.set()
    access = SlowPeerAccess(lab, "jupiter1", SLOW, release)
    app = HadeckApp(Poller(access, log=EventLog(None, "lab")), interval=3600,
                    auto_refresh=False, stream_drbd=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        before = node_row(app, SLOW)
        assert " 100/100 " in before and "reading" not in before
        load = before.split()[-1]

        # jupiter2 now answers slowly; meanwhile Pacemaker (read on jupiter1) sees
        # jupiter2 lose its ping node.
        release.clear()
        faults.ping_lost(lab, SLOW)
        app.poll_now()
        shown = await until(pilot, lambda: " 0/100 " in node_row(app, SLOW))
        assert shown, rows(app, "nodes")
        assert not release.is_set() and app._polling  # still waiting for jupiter2
        assert app.snapshot is not None and SLOW in app.snapshot.pending
        row = node_row(app, SLOW)
        # Its own facts: the last good ones, marked as not yet read by this poll.
        assert "⌛ reading" in row and load in row.split()
        kept = str(app.screen.query_one("#kept").render())
        assert f"host@{SLOW}" in kept and "still reading" in kept
        assert app.polls == 1  # a partial snapshot is not a poll

        # Then jupiter2 answers and fills in.
        release.set()
        await settle(app, pilot)
        row = node_row(app, SLOW)
        assert " 0/100 " in row and "reading" not in row
        assert app.snapshot is not None and not app.snapshot.pending
        assert not app.screen.query_one("#kept").display
        assert app.polls == 2
    assert access.held is not None and access.held.held_until_released


def test_poller_partial_snapshots_keep_the_slow_peer_and_log_each_event_once(
        lab: Lab) -> None:
    clock = {"t": 1000.0}
    release = threading.Event()
    release.set()
    log = EventLog(None, "lab")
    poller = Poller(SlowPeerAccess(lab, "jupiter1", SLOW, release), log=log,
                    clock=lambda: clock["t"])
    first = poller.poll()
    good = {(s.source, s.node): s.read_at for s in first.state.sources if s.node == SLOW}
    guests = sorted(g.name for g in first.state.guests if g.node == SLOW)
    assert guests

    release.clear()
    faults.ping_lost(lab, SLOW)
    faults.step(lab, 10)
    clock["t"] += 10
    partials: list[Snapshot] = []

    def arrived(snapshot: Snapshot) -> None:
        partials.append(snapshot)
        release.set()  # jupiter2 answers once the rest is on screen

    final = poller.poll(on_partial=arrived)

    partial = partials[0]
    assert partial.pending == {SLOW}
    # The slow peer's last good data, kept with when it was read; its sources listed.
    assert sorted(g.name for g in partial.state.guests if g.node == SLOW) == guests
    assert {k: v for k, v in partial.kept.items() if k[1] == SLOW} == good
    assert ("host", SLOW) in {(s.source, s.node) for s in partial.state.sources}
    # Kept is no change: no event about the slow peer's guests until it answers.
    assert not [e for e in partial.events if e.area == "guests" and SLOW in e.subject]
    # The local Pacemaker view is this poll's: jupiter2 lost its ping node.
    ping = [e for e in partial.events if "pingd" in e.text and SLOW in e.subject]
    assert ping, [e.text for e in partial.events]
    # The complete snapshot: nothing pending or kept, no event twice, CPU rates of
    # every node over the whole interval (not over the partial's zero seconds).
    assert not final.pending and not final.kept
    assert not [e for e in final.events if "pingd" in e.text and SLOW in e.subject]
    assert [e.text for e in log.events()].count(ping[0].text) == 1
    stayed = {f"{g.name}@{g.node}" for g in final.state.guests if g.cpu_time_s is not None} \
        & {f"{g.name}@{g.node}" for g in first.state.guests}
    assert stayed and set(final.guest_cpu) == stayed
