"""DRBD through the events2 stream: a change shows without waiting for the next poll."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.model import SourceStatus
from hadeck.runner import LineStream, Runner
from hadeck.snapshot import RecordingAccess
from hadeck.tui.drbdstream import DrbdStreams, follow, streamable
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.conftest import sample
from tests.tui.conftest import bundle_app, lab_app
from tests.tui.helpers import aio, rows, settle, status

pytestmark = pytest.mark.pacemaker


class _Lines(LineStream):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(("drbdsetup", "events2"))
        self._lines = iter(lines)

    def __next__(self) -> str:
        return next(self._lines)


def test_follow_reports_after_the_dump_and_on_every_change() -> None:
    text = sample("drbd-events2", "event-stream-disconnect-resync.txt")
    seen: list[str] = []
    why = follow(_Lines(text.splitlines(keepends=True)), "alpha",
                 lambda res: seen.append(res[0].connections[0].state if res and
                                         res[0].connections else "-"))
    assert seen[0] == "Connected"  # once, after "exists -"
    assert "NetworkFailure" in seen and seen[-1] == "-"
    assert why == "the events2 stream ended"


def test_follow_gives_up_on_garbage_before_the_dump() -> None:
    seen: list[object] = []
    why = follow(_Lines(["\x1b[7m%% garbage\n", "exists -\n"]), "alpha", seen.append)
    assert why is not None and why.startswith("cannot parse the events2 stream")
    assert seen == []


def test_only_a_drbd9_events2_read_is_followed() -> None:
    ok = SourceStatus("drbd", "a", 0.0, 0.0,
                      detail="drbdsetup events2 --now --statistics (DRBD 9.2.5)")
    assert streamable(ok)
    for detail in ("/lib/drbd/drbdsetup-84 events2 --now --statistics (DRBD 8.4.11)",
                   "drbdsetup status --json (DRBD 9.2.5); not read: …",
                   "no DRBD module loaded"):
        assert not streamable(SourceStatus("drbd", "a", 0.0, 0.0, detail=detail))
    assert not streamable(SourceStatus("drbd", "a", 0.0, 0.0, error="x", detail=ok.detail))


def test_a_runner_that_cannot_stream_falls_back_quietly() -> None:
    ended: list[tuple[str, str | None]] = []
    done = threading.Event()

    def on_end(node: str, why: str | None) -> None:
        ended.append((node, why))
        done.set()

    streams = DrbdStreams(lambda *a: None, on_end)
    ok = SourceStatus("drbd", "a", 0.0, 0.0,
                      detail="drbdsetup events2 --now --statistics (DRBD 9.2.5)")
    assert streams.wanted((ok,)) == ["a"]
    streams.start("a", Runner())
    assert done.wait(5)
    assert ended == [("a", "Runner cannot stream commands")]
    assert streams.wanted((ok,)) == []  # not again until RETRY_AFTER


def test_poller_applies_the_stream_and_a_poll_does_not_undo_it(lab: Lab) -> None:
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None))
    first = poller.poll()
    mine = tuple(r for r in first.state.drbd if r.node == "jupiter2")
    faults.cut_drbd(lab, "r1")
    later = poller.poll()
    cut = tuple(r for r in later.state.drbd if r.node == "jupiter2")
    faults.heal_drbd(lab, "r1")  # the poll below would read r1 connected again …
    snap = poller.apply_drbd("jupiter2", cut, at=later.state.taken_at + 1)
    assert snap is not None and "jupiter2" in snap.streamed
    assert snap.state.taken_at == later.state.taken_at  # the other sources are no newer
    status = next(s for s in snap.state.sources if (s.source, s.node) == ("drbd", "jupiter2"))
    assert "live stream" in (status.detail or "")
    again = poller.poll()  # … but while the stream is live, the stream has the last word
    assert tuple(r for r in again.state.drbd if r.node == "jupiter2") == cut
    poller.stream_ended("jupiter2")
    assert tuple(r for r in poller.poll().state.drbd if r.node == "jupiter2") != cut
    assert mine


def test_a_poll_reads_no_drbd_where_a_stream_is_live(lab: Lab) -> None:
    accesses: list[RecordingAccess] = []

    def access() -> RecordingAccess:
        accesses.append(RecordingAccess(LabAccess(lab)))
        return accesses[-1]

    def drbd_read_on(node: str) -> bool:
        return any(r.node == node and r.command.name.startswith("drbd/")
                   for r in accesses[-1].records)

    poller = Poller(access, log=EventLog(None))
    first = poller.poll()
    assert drbd_read_on("jupiter2")
    mine = tuple(r for r in first.state.drbd if r.node == "jupiter2")
    poller.apply_drbd("jupiter2", mine)
    live = poller.poll()
    assert not drbd_read_on("jupiter2") and drbd_read_on("jupiter1")
    assert tuple(r for r in live.state.drbd if r.node == "jupiter2") == mine
    status = next(s for s in live.state.sources if (s.source, s.node) == ("drbd", "jupiter2"))
    assert status.ok and "live stream" in (status.detail or "")
    # A stream that ends while a poll runs: that poll did not read the node, and takes
    # the stream's last state rather than show the node without DRBD (and log it gone).
    original = poller.access

    def ending_mid_poll() -> RecordingAccess:
        poller.stream_ended("jupiter2")
        return access()

    poller.access = ending_mid_poll  # type: ignore[method-assign]
    racing = poller.poll()
    assert not drbd_read_on("jupiter2")
    assert tuple(r for r in racing.state.drbd if r.node == "jupiter2") == mine
    assert not [e for e in racing.events if "jupiter2" in e.text and "r1" in e.text]
    poller.access = original  # type: ignore[method-assign]
    assert poller.poll() and drbd_read_on("jupiter2")  # no stream: read again


@aio
async def test_cut_drbd_shows_through_the_stream_without_a_poll(lab: Lab) -> None:
    app = lab_app(lab, stream_drbd=True)  # polls once, at start; interval 3600 s
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        deadline = time.monotonic() + 5
        # The app's snapshot, not the poller's: a stream's update is judged in a worker
        # thread and reaches the screen a moment after the poller has it.
        while app.streams.running() != {"jupiter1", "jupiter2"} or \
                app.snapshot is None or len(app.snapshot.streamed) < 2:
            assert time.monotonic() < deadline, app.streams.failures()
            await asyncio.sleep(0.05)
        await pilot.press("d")
        await pilot.pause()
        assert "DRBD live" in status(app)
        before = rows(app, "drbd")
        assert not any("Connecting" in r for r in before)
        polls = app.polls

        faults.cut_drbd(lab, "r1")
        start = time.monotonic()

        def cut_shown() -> bool:
            # Each node's stream sees the cut on its own tick (0.25 s apart at most):
            # wait for jupiter1's side, the one checked below.
            shown = rows(app, "drbd")
            at = [i for i, r in enumerate(shown) if "r1@jupiter1" in r]
            return bool(at) and at[0] + 1 < len(shown) and "Connecting" in shown[at[0] + 1]

        while not cut_shown():
            assert time.monotonic() - start < 2.0, rows(app, "drbd")
            await asyncio.sleep(0.05)
        # The lab looks every 0.25 s, the app holds a change 50 ms: well within 0.5 s
        # here; the bound above leaves room for a loaded test machine.
        assert app.polls == polls  # no poll ran: the stream brought it
        shown = rows(app, "drbd")
        r1 = shown.index(next(r for r in shown if "r1@jupiter1" in r))
        assert "→ jupiter2" in shown[r1 + 1] and "Connecting" in shown[r1 + 1]
        await pilot.press("e")
        await pilot.pause()
        assert any("r1@jupiter1 → jupiter2" in e and "was Connected" in e
                   for e in rows(app, "events"))
    # Leaving the app stops the streams.
    deadline = time.monotonic() + 5
    while app.streams.running():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


@aio
async def test_a_bundle_is_not_followed() -> None:
    app = bundle_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.streams.running() == set() and not app.stream_drbd
