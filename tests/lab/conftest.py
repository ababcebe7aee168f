"""One seeded lab per test session, copied for each test (seeding runs the scheduler)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed lab with its clock frozen, so lab time moves only with faults.step."""
    directory = tmp_path_factory.mktemp("lab") / "seed"
    lab = Lab.init(directory)
    faults.freeze(lab, at=1_800_000_000.0)
    return directory


@pytest.fixture
def lab(pristine: Path, tmp_path: Path) -> Iterator[Lab]:
    """A private copy of the seed lab for one test."""
    target = tmp_path / "lab"
    shutil.copytree(pristine, target)
    yield Lab(target)
