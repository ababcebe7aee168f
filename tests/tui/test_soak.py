"""A dashboard left open: many polls, faults coming and going, screens switched — and the
memory it keeps stays put (bench/soak.py measures the same for minutes, by RSS).

Counted, not timed: after a warm-up (every screen drawn, every fault seen, the render
caches filled) the objects alive must not keep growing with the polls. A widget that is
replaced but never freed (Textual's footer keys, ~10 per screen switch), an event list
or a rate series without a bound, a cache keyed by something new each poll: each of them
adds objects with every poll or switch, and 100 more polls make that plain.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widget import Widget

from hadeck.collect import collect
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.snapshot import BundleAccess, RecordingAccess, write_bundle
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import aio, refresh

pytestmark = pytest.mark.pacemaker

FAULTS = (
    lambda lab: None,
    lambda lab: faults.fail_node(lab, "jupiter2"),
    lambda lab: faults.cut_drbd(lab, "r1"),
    lambda lab: faults.kill_rs(lab, "192.0.2.22"),
    lambda lab: faults.recover_node(lab, "jupiter2"),
    lambda lab: faults.heal_drbd(lab, "r1"),
    lambda lab: faults.restore_rs(lab, "192.0.2.22"),
)
"""One cycle of the lab, a reading after each step: every fault comes and goes."""

SCREENS = "ogdlrce"
SWITCH_EVERY = 5
"""Polls between two screen switches (a switch costs ~0.4 s of a Pilot test)."""
WARM_UP, MIDDLE, POLLS = 170, 205, 275
"""Where the objects are counted: on the same screen each time (the events screen: every
35 polls the cycle of screens comes back to it), so the counts differ by what the
dashboard keeps, not by what one screen shows more than another. The warm-up is long
enough for Textual's bounded render caches (DataTable's cells, lines and rows, each
widget's box models) to have seen the content's every size: counted at 100 polls, on
another screen than at 200, they were still filling (+3,400 objects, nearly all LRU
cache entries keyed by content heights), and from 170 to 240 on one screen they grew by
800."""
KEEP = 200
"""Events the log keeps: its bound, reached during the warm-up (the dashboard's is 5,000)."""


@pytest.fixture(scope="module")
def readings(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The lab read after each step of :data:`FAULTS`, as bundles (replayed in turn: a
    live lab would make 300 polls take minutes, and the dashboard's memory is the point)."""
    import shutil

    tmp = tmp_path_factory.mktemp("soak")
    shutil.copytree(pristine, tmp / "lab")
    lab = Lab(tmp / "lab")
    bundles = []
    for i, fault in enumerate(FAULTS):
        fault(lab)
        faults.step(lab, 20)  # resyncs move on, so DRBD changes between readings too
        access = RecordingAccess(LabAccess(lab))
        state = collect(access)
        bundles.append(write_bundle(tmp / f"reading{i}", access.records, state.local_node,
                                    state.taken_at))
    return bundles


def _alive(log: EventLog) -> tuple[int, int, int]:
    """(objects the collector tracks, widgets, events in the log) alive now."""
    gc.collect()
    objects = gc.get_objects()
    return len(objects), sum(isinstance(o, Widget) for o in objects), len(log.events())


ALONE = "HADECK_SOAK_ALONE"
"""Set in the interpreter the soak runs in by itself (see the test below)."""


def test_a_long_run_keeps_what_it_holds_bounded() -> None:
    r"""The soak, in an interpreter of its own.

    Counted inside a whole test session, the objects alive also move with what earlier
    tests left in process-wide bounded caches (rich's and Textual's ``lru_cache``\s, half
    filled by other content) and with their stragglers: the same dashboard counted +900
    objects alone and +3,600 at the end of the suite. Alone, the count is the
    dashboard's.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{__file__}::test_the_soak_itself"],
        capture_output=True, text=True, timeout=900, cwd=Path(__file__).parents[2],
        env={**os.environ, ALONE: "1"})
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
    assert done.returncode == 0, tail
    assert "1 passed" in done.stdout, tail


@pytest.mark.skipif(not os.environ.get(ALONE), reason="run alone by the test above")
@aio
async def test_the_soak_itself(readings: list[Path]) -> None:
    accesses = [BundleAccess(path) for path in readings]
    polls = iter(range(10**9))
    poller = Poller(lambda: accesses[next(polls) % len(accesses)],
                    log=EventLog(None, keep=KEEP))
    app = HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False)
    seen: dict[int, tuple[int, int, int]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for n in range(1, POLLS + 1):
            # Screens switched, and now and then a row's detail view opened and
            # closed: what an operator does over a night, compressed.
            if n % SWITCH_EVERY == 0:
                await pilot.press(SCREENS[n // SWITCH_EVERY % len(SCREENS)])
            if n % (5 * SWITCH_EVERY) == 0:
                await pilot.press("enter", "escape")
            await refresh(app, pilot)
            if n in (WARM_UP, MIDDLE, POLLS):
                seen[n] = _alive(poller.log)
    (objects0, widgets0, events0), (_, widgets1, _), (objects2, widgets2, events2) = (
        seen[WARM_UP], seen[MIDDLE], seen[POLLS])
    assert poller.log.count > KEEP + POLLS, "the faults must come and go, as events"
    assert events0 == events2 == KEEP, "the log keeps its newest events, no more"
    # Widgets: the screens' own, and nothing more however many switches.
    assert widgets2 <= widgets0 + 20 and widgets1 <= widgets0 + 20, (
        f"widgets alive after {WARM_UP}, {MIDDLE}, {POLLS} polls: {widgets0}, {widgets1}, "
        f"{widgets2}: removed widgets are kept alive")
    # Objects: some slack for what moves with the cluster's state (the last snapshot,
    # the rows on screen), but no growth per poll or switch.
    slack = 3000
    assert objects2 <= objects0 + slack, (
        f"{objects2 - objects0} more objects alive after {POLLS} polls than after "
        f"{WARM_UP} (allowed {slack})")

