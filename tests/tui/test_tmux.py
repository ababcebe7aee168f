"""``hadeck --lab`` in a real terminal (tmux, 80×24), read back as a person sees it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from tests.tui.terminal import Terminal

pytestmark = pytest.mark.pacemaker


def test_dashboard_in_tmux(lab: Lab, terminal: Terminal, tmp_path: Path) -> None:
    env = {"HADECK_INTERVAL": "1", "HADECK_EVENTS_FILE": str(tmp_path / "events.log"),
           "TERM": "xterm-256color"}
    command = " ".join([*(f"{k}={v}" for k, v in env.items()), sys.executable, "-m",
                        "hadeck.cli", "--lab", str(lab.directory)])
    terminal.start(command)
    screen = terminal.wait_for("jupiter2", timeout=60)  # a cold start on a busy machine
    assert "Overview" in screen and "no problems" in screen
    for node in ("jupiter1", "jupiter2", "sun"):
        assert node in screen
    assert "q quit" in screen  # the footer, with the keys

    faults.fail_node(lab, "jupiter1")
    screen = terminal.wait_for("✖ offline")
    assert "✖ CRITICAL" in screen and "jupiter1" in screen

    terminal.keys("e")
    screen = terminal.wait_for("jupiter1 offline (was online)")
    terminal.keys("q")
    assert terminal.wait_until_ended() == "exit 0"
    assert "jupiter1 offline" in (tmp_path / "events.log").read_text()
