"""Fixtures for the dashboard tests: a lab per session, copied per test; app factories."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.snapshot import BundleAccess
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.labdata import FIXTURE, FROZEN_AT, seed_lab
from tests.tui.terminal import Terminal

BUNDLE_CLOCK = FROZEN_AT + 45
"""The injected 'now' of replayed snapshots: five seconds after the bundle was taken."""


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tui-lab") / "seed"
    seed_lab(directory)
    return directory


@pytest.fixture
def lab(pristine: Path, tmp_path: Path) -> Lab:
    target = tmp_path / "lab"
    shutil.copytree(pristine, target)
    return Lab(target)


def lab_app(lab: Lab, log: EventLog | None = None, stream_drbd: bool = False) -> HadeckApp:
    """The dashboard on the lab, refreshed only when a test says so (``app.poll_now``).

    DRBD is not followed live unless asked: a test's fault would otherwise reach the
    screen through the stream at a moment the test does not control.
    """
    poller = Poller(lambda: LabAccess(lab), log=log or EventLog(None, "lab"))
    return HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=stream_drbd)


def bundle_app(path: Path = FIXTURE) -> HadeckApp:
    poller = Poller(BundleAccess(path), log=EventLog(None), clock=lambda: BUNDLE_CLOCK,
                    frozen=True)
    return HadeckApp(poller, clock=lambda: BUNDLE_CLOCK)


@pytest.fixture
def make_lab_app(lab: Lab) -> Callable[..., HadeckApp]:
    return lambda **kw: lab_app(lab, **kw)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """A real terminal (tmux, a private server), killed afterwards."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    window = Terminal(tmp_path)
    yield window
    window.close()
