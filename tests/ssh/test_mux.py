"""One ssh master per peer, owned by hadeck, against a real sshd (tests/ssh/conftest.py).

What an operator checks: a poll of three peers starts one ssh master each and, after the
first poll, exactly one ssh client per peer; the control sockets sit in a private
directory; nothing is left running, here or on the peer, once hadeck has closed (or its
process is gone); the operator's ssh_config, keys and known_hosts are what is used.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from hadeck.collect import LiveAccess, collect, node_commands
from hadeck.config import Config
from hadeck.runner import LocalRunner
from hadeck.sources import host
from hadeck.ssh import ControlDir, SshRunner
from tests.ssh.conftest import PEERS, Sshd, SshLog


def pgrep(pattern: str) -> list[str]:
    done = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if "pgrep" not in line]


def gone(pattern: str, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while pgrep(pattern):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def peers(sshd: Sshd, log: SshLog, control: ControlDir) -> list[SshRunner]:
    return [SshRunner(name, options=sshd.options, via=log.runner, control=control)
            for name in PEERS]


def test_one_master_per_peer_and_one_ssh_per_peer_per_poll(sshd: Sshd, ssh_log: SshLog
                                                           ) -> None:
    control = ControlDir()
    try:
        runners = peers(sshd, ssh_log, control)
        mode = stat.S_IMODE(os.stat(control.path).st_mode)
        assert mode == 0o700
        for poll in range(3):
            ssh_log.clear()
            for runner in runners:
                read = runner.prefetch(node_commands())
                reading = host.read(read)
                assert reading.status.error is None, reading.status.error
                assert reading.value is not None and reading.value.memory_total
            started = ssh_log.lines()
            masters = [line for line in started if " -M " in f" {line} "]
            assert len(masters) == (3 if poll == 0 else 0)
            assert len(started) - len(masters) == 3, started  # one batch per peer
        assert [r.master.connects for r in runners if r.master] == [1, 1, 1]
        # Three master connections reach the sshd: one per peer, not one per command.
        assert len(pgrep(f"ssh .*-M -S {control.path}/")) == 3
    finally:
        control.close()
    assert gone(f"-S {control.path}/"), "an ssh master outlived close()"
    assert not Path(control.path).exists()


def test_a_cluster_read_is_one_ssh_per_peer_per_poll(sshd: Sshd, ssh_log: SshLog,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Every source of every peer (host, DRBD, guests, corosync, LVS, keepalived).
    monkeypatch.setenv("PATH", ssh_log.runner.env["PATH"])
    config = Config(extra_nodes=PEERS, ssh_options=sshd.options, timeout=5)
    access = LiveAccess(config, local=LocalRunner(node="hds-here", timeout=5))
    try:
        for poll in range(3):
            ssh_log.clear()
            state = collect(access, config)
            assert {h.node for h in state.hosts} >= set(PEERS)
            started = ssh_log.lines()
            masters = [line for line in started if " -M " in f" {line} "]
            assert len(masters) == (len(PEERS) if poll == 0 else 0)
            assert len(started) - len(masters) == len(PEERS), started
    finally:
        access.close()
