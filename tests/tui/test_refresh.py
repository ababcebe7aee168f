"""The refresh stretches with what a poll costs, so a big cluster's dashboard stays under
10 % of a core; a small one keeps its interval."""

from __future__ import annotations

import gc

import pytest

from hadeck.tui.app import YOUNG_OBJECTS
from hadeck.watch.poller import CPU_BUDGET, MAX_STRETCH, refresh_delay
from tests.tui.conftest import bundle_app
from tests.tui.helpers import aio, screen_text, settle


def test_a_cheap_poll_keeps_the_interval() -> None:
    # The seed lab: a few milliseconds of CPU a poll.
    assert refresh_delay(1.0, cycle_cpu=0.008, cycle_wall=0.05) == 1.0
    assert refresh_delay(2.0, cycle_cpu=0.15, cycle_wall=0.3) == 2.0


@pytest.mark.parametrize("cpu", [0.15, 0.3, 0.45])
def test_a_costly_poll_stretches_the_refresh_to_the_budget(cpu: float) -> None:
    # 16 nodes / 500 guests: ~150 ms a poll, 15 % of a core at 1 s.
    wall = 0.4
    delay = refresh_delay(1.0, cycle_cpu=cpu, cycle_wall=wall)
    assert delay > 1.0
    assert cpu / (wall + delay) == pytest.approx(CPU_BUDGET)


def test_the_stretch_is_bounded() -> None:
    assert refresh_delay(1.0, cycle_cpu=60.0, cycle_wall=1.0) == MAX_STRETCH * 1.0


@aio
async def test_the_collector_runs_less_often_while_the_dashboard_runs() -> None:
    # After the first poll the youngest generation is collected once per YOUNG_OBJECTS
    # new objects (a poll's state lives a poll or two and goes by reference counting);
    # the process gets its thresholds back when the dashboard ends.
    before = gc.get_threshold()
    app = bundle_app()
    async with app.run_test() as pilot:
        await settle(app, pilot)
        assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
        assert "Overview" in screen_text(app)
    assert gc.get_threshold() == before
