"""A converged Pacemaker cluster for the plugin tests, on the real scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.lab.scenario import CibScenario


@pytest.fixture(scope="session")
def seed_scenario(tmp_path_factory: pytest.TempPathFactory) -> CibScenario:
    """The lab's seed cluster (jupiter1, jupiter2, arbiter sun; vm1, vm2 on DRBD).

    Its tests skip without the Pacemaker CLI (tests/conftest.py: PACEMAKER_FIXTURES).
    """
    return CibScenario.seed(tmp_path_factory.mktemp("pcmk") / "seed")


@pytest.fixture
def scenario(seed_scenario: CibScenario, tmp_path: Path) -> CibScenario:
    """A copy of the seed cluster that a test may change."""
    return seed_scenario.copy(tmp_path / "cib")

