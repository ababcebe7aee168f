"""The weight formula: bounded, with hysteresis; servers that cannot be measured kept."""

from __future__ import annotations

import pytest

from hadeck.model import SnmpReading
from hadeck.weights import Decision, WeightRule, compute, free_capacity

RULE = WeightRule()  # base 100, floor 10 %, ceiling 100 %, hysteresis 10 %, full_load 1


def answered(load: float, cpus: int | None = 4, total: int | None = 1000,
             available: int | None = 900) -> SnmpReading:
    return SnmpReading(agent="web1", address="192.0.2.21", read_at=0.0,
                       load=(load, load, load), cpu_count=cpus, memory_total=total,
                       memory_available=available)


@pytest.mark.parametrize("load, expected", [
    (0.0, 90),    # idle CPU: memory (90 % free) is the scarcer
    (1.0, 75),    # 1 of 4 CPUs busy
    (2.0, 50),
    (3.6, 10),    # 90 % busy: 10
    (8.0, 10),    # overloaded: the floor, never 0
])
def test_weight_follows_the_scarcer_free_capacity(load: float, expected: int) -> None:
    assert compute(RULE, 100, None, answered(load)).computed == expected


def test_floor_is_at_least_one_and_ceiling_bounds() -> None:
    rule = WeightRule(floor=0, ceiling=80)
    assert compute(rule, 100, None, answered(50.0)).computed == 1
    assert compute(rule, 100, None, answered(0.0, available=1000)).computed == 80
    assert compute(RULE, 3, None, answered(50.0)).computed == 1


def test_hysteresis_keeps_small_changes_out() -> None:
    assert compute(RULE, 100, 50, answered(1.8)).computed == 50   # 55: within 10
    assert compute(RULE, 100, 50, answered(1.4)).computed == 65   # 65: past it
    decision = compute(RULE, 100, 50, answered(1.8))
    assert not decision.changes and decision.free == pytest.approx(0.55)


def test_a_bound_is_always_reached() -> None:
    """An idle server gets back to its full weight even when the step is small."""
    assert compute(RULE, 100, 95, answered(0.0, available=1000)).computed == 100
    assert compute(RULE, 100, 15, answered(9.0)).computed == 10


def test_full_load_sets_where_a_server_counts_as_full() -> None:
    rule = WeightRule(full_load=2.0)  # a server is full at load 2 per CPU
    assert compute(rule, 100, None, answered(4.0, available=1000)).computed == 50


@pytest.mark.parametrize("reading, flag", [
    (SnmpReading(agent="w", address="a", read_at=0, error="no answer …",
                 error_kind="timeout"), "no answer (timeout): kept"),
    (SnmpReading(agent="w", address="a", read_at=0, error="auth …", error_kind="auth"),
     "no answer (auth): kept"),
    (SnmpReading(agent="w", address="a", read_at=0), "agent serves neither load nor memory: kept"),
    (None, "no SNMP agent configured: kept"),
])
def test_a_server_that_cannot_be_measured_keeps_its_weight_and_is_flagged(
        reading: SnmpReading | None, flag: str) -> None:
    assert compute(RULE, 100, 37, reading) == Decision(100, 37, 37, flag=flag)


def test_a_server_taken_out_is_left_out() -> None:
    decision = compute(RULE, 100, 0, answered(0.0))
    assert decision.computed == 0
    assert decision.flag == "out of service (weight 0): left to the health checker"


def test_without_cpu_count_the_load_is_for_one_cpu() -> None:
    assert free_capacity(answered(0.5, cpus=None, total=None)) == pytest.approx(0.5)
    assert free_capacity(answered(0.5, total=None)) == pytest.approx(0.875)
