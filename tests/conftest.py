"""Shared test helpers: where the real-format captures live; the Pacemaker skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab

pytest_plugins = ["pytester"]  # tests/test_suite.py runs the hooks below on a small suite

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "formats" / "samples"
CAPTURED = FIXTURES / "formats" / "captured"


def sample(source: str, case: str) -> str:
    """The exact text of ``samples/<source>/<case>``, trailing blanks and all."""
    return (SAMPLES / source / case).read_text()


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES


# --------------------------------------------------------------------------- Pacemaker

PACEMAKER_TOOLS = ("crm_mon", "crm_simulate", "cibadmin")
"""What the ``pacemaker``-marked tests and the lab run: Debian's pacemaker-cli-utils."""

PACEMAKER_FIXTURES = frozenset({"pristine", "seed_scenario"})
"""Fixtures that seed a lab or a scenario with crm_simulate, marked or not."""


def pacemaker_missing() -> str | None:
    """Why the Pacemaker tests cannot run here (a clear skip reason), or None if they can.

    Looked up as hadeck's runner looks (the sbin directories after PATH's own).
    """
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin",
                            "/sbin"])
    missing = [tool for tool in PACEMAKER_TOOLS if shutil.which(tool, path=path) is None]
    if not missing:
        return None
    return (f"the Pacemaker CLI is not installed ({', '.join(missing)} not found): "
            "apt-get install pacemaker-cli-utils, or run scripts/setup --test")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-install", action="store_true",
                     help="also run the install tests: scripts/setup from a fresh clone into "
                          "a new virtual environment (about a minute; needs the package "
                          "index). scripts/test passes it.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "install: installs hadeck from a fresh clone; only with --run-install")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason, every test that needs the Pacemaker CLI when it is missing:
    marked ``pacemaker``, or using a fixture that seeds a lab (instead of an error in the
    fixture). Skip the install tests unless ``--run-install`` asks for them."""
    if not config.getoption("--run-install", default=False):
        later = pytest.mark.skip(reason="an install test: run with --run-install "
                                        "(scripts/test does)")
        for item in items:
            if item.get_closest_marker("install"):
                item.add_marker(later)
    reason = pacemaker_missing()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        needs = PACEMAKER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("pacemaker") or needs:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed lab with its clock frozen, so lab time moves only with faults.step (one
    per session: seeding runs the real scheduler). The dashboard's tests and the faces'
    agreement test seed their own."""
    directory = tmp_path_factory.mktemp("lab") / "seed"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


@pytest.fixture
def lab(pristine: Path, tmp_path: Path) -> Iterator[Lab]:
    """A private copy of the seed lab for one test."""
    target = tmp_path / "lab"
    shutil.copytree(pristine, target)
    yield Lab(target)
