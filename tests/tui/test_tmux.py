"""``hadeck --lab`` in a real terminal (tmux, 80×24), read back as a person sees it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab

pytestmark = [
    pytest.mark.pacemaker,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Callable[..., str]]:
    # A private server (-L), so the test never touches a user's tmux sessions.
    socket = f"hadeck-test-{os.getpid()}"

    def run(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                              timeout=10).stdout

    yield run
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)


def wait_for(tmux: Callable[..., str], needle: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "dash")
        if needle in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not on screen after {timeout} s:\n{screen}")


def test_dashboard_in_tmux(lab: Lab, tmux: Callable[..., str], tmp_path: Path) -> None:
    env = {"HADECK_INTERVAL": "1", "HADECK_EVENTS_FILE": str(tmp_path / "events.log"),
           "TERM": "xterm-256color"}
    command = " ".join([*(f"{k}={v}" for k, v in env.items()), sys.executable, "-m",
                        "hadeck.cli", "--lab", str(lab.directory)])
    tmux("new-session", "-d", "-s", "dash", "-x", "80", "-y", "24", "-c", str(ROOT), command)
    screen = wait_for(tmux, "jupiter2", timeout=60)  # a cold start on a busy machine
    assert "Overview" in screen and "no problems" in screen
    for node in ("jupiter1", "jupiter2", "sun"):
        assert node in screen
    assert "q quit" in screen  # the footer, with the keys

    faults.fail_node(lab, "jupiter1")
    screen = wait_for(tmux, "✖ offline")
    assert "✖ CRITICAL" in screen and "jupiter1" in screen

    tmux("send-keys", "-t", "dash", "e")
    screen = wait_for(tmux, "jupiter1 offline (was online)")
    tmux("send-keys", "-t", "dash", "q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "dash" in tmux("list-sessions"):
        time.sleep(0.2)
    assert "dash" not in tmux("list-sessions")
    assert "jupiter1 offline" in (tmp_path / "events.log").read_text()
