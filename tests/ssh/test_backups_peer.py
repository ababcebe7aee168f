"""A peer's LVM and rdiff-backup repositories over real ssh: within the node's one
batched round trip per poll, and judged as locally."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hadeck.collect import LiveAccess, collect
from hadeck.config import Config
from hadeck.health import OK, judge_backup
from hadeck.runner import LocalRunner
from hadeck.sources.backups import RepoSpec
from tests.ssh.conftest import PEERS, Sshd, SshLog


def test_a_peers_backups_are_read_in_its_one_round_trip(
        sshd: Sshd, ssh_log: SshLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("rdiff-backup") is None:
        pytest.skip("rdiff-backup not installed: apt-get install rdiff-backup")
    source, repo = tmp_path / "src", tmp_path / "repo"
    source.mkdir()
    (source / "data").write_text("x\n")
    made = int(time.time()) - 3600
    subprocess.run(["rdiff-backup", "--current-time", str(made), "backup", str(source),
                    str(repo)], check=True, capture_output=True, timeout=120)
    monkeypatch.setenv("PATH", ssh_log.runner.env["PATH"])
    peer = PEERS[0]
    config = Config(extra_nodes=(peer,), ssh_options=sshd.options, timeout=10,
                    backup_repos=(RepoSpec("vm1", str(repo), node=peer, guest="vm1"),))
    access = LiveAccess(config, local=LocalRunner(node="hds-here", timeout=10))
    try:
        for poll in range(2):
            ssh_log.clear()
            state = collect(access, config)
            (read,) = state.backups
            assert (read.name, read.node, read.guest) == ("vm1", peer, "vm1")
            assert read.error is None and read.last == made and read.increments == 0
            assert judge_backup(read, state.taken_at).health == OK
            assert any(s.source == "lvm" and s.node == peer for s in state.sources)
            started = ssh_log.lines()
            masters = [line for line in started if " -M " in f" {line} "]
            assert len(masters) == (1 if poll == 0 else 0)
            # rdiff-backup, the find and LVM rode in the peer's one batch.
            assert len(started) - len(masters) == 1, started
    finally:
        access.close()
