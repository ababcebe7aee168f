"""One seeded lab per test session, copied for each test; and how a test reads it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.health import Judgement, judge
from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.model import ClusterState
from hadeck.opening import open_cluster


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed lab with its clock frozen (the real scheduler placed everything)."""
    directory = tmp_path_factory.mktemp("health") / "seed"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


@pytest.fixture
def lab(pristine: Path, tmp_path: Path) -> Iterator[Lab]:
    """A private copy of the seed lab for one test."""
    target = tmp_path / "lab"
    shutil.copytree(pristine, target)
    yield Lab(target)


Read = Callable[[], tuple[ClusterState, Judgement]]


@pytest.fixture
def read(lab: Lab) -> Read:
    """Read the lab as ``hadeck status --lab`` does (from its first node that is up)."""
    def reading() -> tuple[ClusterState, Judgement]:
        opened = open_cluster(lab=str(lab.directory), create_lab=False)
        state = collect(opened.access, opened.config)
        return state, judge(state, opened.config.policy)

    return reading
