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
from hadeck.watch.poller import Poller
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
