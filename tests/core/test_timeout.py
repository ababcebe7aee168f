"""``[cluster] timeout`` reaches every command a configured access runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hadeck.checks.common import CheckRunner
from hadeck.collect import LiveAccess
from hadeck.config import load
from hadeck.runner import LocalRunner
from hadeck.sources import pacemaker


def one_second(tmp_path: Path) -> Path:
    path = tmp_path / "hadeck.toml"
    path.write_text('[cluster]\npeers = "none"\ntimeout = 1\n')
    return path


def hanging_tool(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``name`` on PATH is a script that sleeps 30 s."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / name
    tool.write_text("#!/bin/sh\nexec sleep 30\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_a_source_on_the_local_node_times_out_as_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging_tool(tmp_path, "crm_mon", monkeypatch)
    access = LiveAccess(load(str(one_second(tmp_path))))
    start = time.monotonic()
    reading = pacemaker.read(access.local)
    assert time.monotonic() - start < 8
    assert reading.value is None
    assert reading.status.error == "crm_mon: timed out after 1 s"


def test_a_peer_over_ssh_times_out_as_configured(tmp_path: Path) -> None:
    path = tmp_path / "hadeck.toml"
    # A real ssh whose connection never answers (a proxy that only sleeps): only the
    # configured timeout can end it.
    path.write_text('[cluster]\ntimeout = 1\n'
                    '[ssh]\noptions = ["-o", "BatchMode=yes", "-o", "ProxyCommand=sleep 30"]\n')
    peer = LiveAccess(load(str(path))).runner("peer-node")
    start = time.monotonic()
    result = peer.run(["true"])
    assert time.monotonic() - start < 8
    assert result.error == "ssh peer-node: ssh: timed out after 1 s"


def test_a_check_keeps_the_configured_timeout_within_its_deadline(tmp_path: Path) -> None:
    inner = LocalRunner(timeout=load(str(one_second(tmp_path))).timeout)
    far = CheckRunner(inner, {"pacemaker"}, deadline=time.monotonic() + 60)
    assert far.run(["sleep", "5"]).error == "sleep: timed out after 1 s"
    # A deadline nearer than the configured timeout still wins (-t of the plugin).
    near = CheckRunner(LocalRunner(timeout=30), {"pacemaker"},
                       deadline=time.monotonic() + 2.5)
    start = time.monotonic()
    result = near.run(["sleep", "5"])
    assert time.monotonic() - start < 2.5
    assert result.error is not None and result.error.startswith("sleep: timed out after")
