"""The refresh stretches with what a poll costs, so a big cluster's dashboard stays under
10 % of a core; a small one keeps its interval."""

from __future__ import annotations

import pytest

from hadeck.watch.poller import CPU_BUDGET, MAX_STRETCH, refresh_delay


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
