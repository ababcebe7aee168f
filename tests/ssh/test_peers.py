"""Peers over a real sshd: what an operator sees when a peer is there, down, changed or
gone, and that hadeck leaves nothing running behind it (tests/ssh/conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hadeck.ssh
from hadeck.collect import LiveAccess, collect, node_commands
from hadeck.config import Config
from hadeck.runner import SSH_OPTIONS, Command, LocalRunner
from hadeck.sources import host
from hadeck.ssh import ControlDir, SshRunner
from tests.ssh.conftest import DOWN, PEERS, Sshd, SshLog, free_port, keygen, start_sshd, stop


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the sshd's sessions and what they run)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def settled(pid: int, baseline: set[int], within: float = 8.0) -> set[int]:
    """What is still running below ``pid`` beyond ``baseline`` after ``within`` s."""
    deadline = time.monotonic() + within
    while (extra := descendants(pid) - baseline) and time.monotonic() < deadline:
        time.sleep(0.1)
    return extra


def commands(pid: int, pids: set[int]) -> list[str]:
    found = []
    for p in pids:
        try:
            found.append(Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return found


@pytest.fixture
def control() -> Iterator[ControlDir]:
    made = ControlDir()
    yield made
    made.close()


# --------------------------------------------------------------------------- reachable


def test_a_hung_command_costs_its_timeout_and_the_rest_answer(sshd: Sshd, control: ControlDir
                                                              ) -> None:
    runner = SshRunner(PEERS[0], options=sshd.options, control=control, timeout=1.0)
    hung = Command("test/hung.txt", ("sleep", "60"))
    name = Command("test/name.txt", ("printf", "%s", "vm'; echo $HOME"))
    start = time.monotonic()
    results = runner.batch([hung, name, host.PROC_LOADAVG, host.MDSTAT])
    assert time.monotonic() - start < 6
    assert results[hung].error_kind == "timeout"
    assert results[hung].error == "sleep: timed out after 1 s"
    assert results[name].ok and results[name].stdout == "vm'; echo $HOME"
    assert results[host.PROC_LOADAVG].ok
    # A missing file reads as it does locally and did with one ssh per command.
    assert results[host.MDSTAT].error == "/proc/mdstat: no such file"
    assert results[host.MDSTAT].error_kind == "missing"


def test_nothing_of_hadeck_is_asked_of_a_peer(sshd: Sshd, ssh_log: SshLog,
                                              control: ControlDir) -> None:
    runner = SshRunner(PEERS[0], options=sshd.options, via=ssh_log.runner, control=control)
    reading = host.read(runner.prefetch(node_commands()))
    assert reading.value is not None and reading.value.cpu_count
    refused = runner.fetch(host.HOST_FACTS)
    assert refused.error_kind == "missing" and "not run on hds-peer1" in (refused.error or "")
    assert not any("hadeck.sources" in line or "python" in line for line in ssh_log.lines())


def test_a_stream_over_the_master_ends_on_the_peer_when_closed(sshd: Sshd,
                                                               control: ControlDir) -> None:
    runner = SshRunner(PEERS[1], options=sshd.options, control=control)
    baseline = descendants(sshd.process.pid)
    marker = f"sleep {400 + os.getpid() % 1000}.{time.time_ns() % 10**6}"
    stream = runner.stream(["sh", "-c", f"echo ready; exec {marker}"])
    assert next(stream) == "ready\n"
    stream.close()
    assert list(stream) == [] and stream.error is None
    left = settled(sshd.process.pid, baseline | _master_sessions(sshd, baseline))
    assert not any(marker in c for c in commands(sshd.process.pid, left))


def _master_sessions(sshd: Sshd, baseline: set[int]) -> set[int]:
    # The master's own session (cat) stays while the master does.
    return descendants(sshd.process.pid) - baseline


def test_the_cluster_read_uses_ssh_config_names(sshd: Sshd, tmp_path: Path) -> None:
    config = Config(extra_nodes=PEERS, ssh_options=sshd.options, timeout=5)
    access = LiveAccess(config, local=LocalRunner(node="hds-here", timeout=5))
    try:
        for _ in range(2):
            state = collect(access, config)
            hosts = {h.node: h for h in state.hosts}
            assert set(PEERS) <= set(hosts)
            for peer in PEERS:
                assert hosts[peer].memory_total and hosts[peer].disks
            errors = [s for s in state.sources if s.node in PEERS and s.source == "node"]
            assert errors == []
    finally:
        access.close()


def test_a_down_peer_is_one_reason_and_does_not_stall_the_next_reads(sshd: Sshd) -> None:
    config = Config(extra_nodes=(PEERS[0], DOWN), ssh_options=sshd.options, timeout=5)
    access = LiveAccess(config, local=LocalRunner(node="hds-here", timeout=5))
    try:
        first = collect(access, config)
        (down,) = [s for s in first.sources if s.node == DOWN]
        assert down.source == "node" and "Connection refused" in (down.error or "")
        assert PEERS[0] in {h.node for h in first.hosts}
        for _ in range(2):
            again = collect(access, config)
            (down,) = [s for s in again.sources if s.node == DOWN]
            assert "unreachable since" in (down.error or "")
            assert down.duration < 0.5  # answered at once, not a connect timeout each time
    finally:
        access.close()


def test_a_bundle_taken_over_ssh_replays_the_same(sshd: Sshd, tmp_path: Path) -> None:
    from hadeck.snapshot import BundleAccess, RecordingAccess, write_bundle

    config = Config(extra_nodes=(PEERS[0],), ssh_options=sshd.options, timeout=5)
    live = LiveAccess(config, local=LocalRunner(node="hds-here", timeout=5))
    recording = RecordingAccess(live)
    try:
        collect(recording, config)  # the first read: everything in the batch
        recording.records.clear()
        state = collect(recording, config)  # a later one: what the sources asked for
    finally:
        live.close()
    path = write_bundle(tmp_path / "b.tar.gz", recording.records, "hds-here", state.taken_at)
    names = {f"{r.node}/{r.command.name}" for r in recording.records}
    # The file names sources have always used, one per command; no batch in sight.
    assert {f"{PEERS[0]}/{c.name}" for c in host.PEER_COMMANDS} <= names
    assert f"{PEERS[0]}/host/facts.json" not in names
    assert not any("batch" in name for name in names)
    replayed = collect(BundleAccess(path), config)
    (peer_live,) = [h for h in state.hosts if h.node == PEERS[0]]
    (peer_replayed,) = [h for h in replayed.hosts if h.node == PEERS[0]]
    assert peer_replayed == peer_live


# --------------------------------------------------------------------------- nothing left


def test_nothing_left_running_after_hadeck_status(sshd: Sshd, tmp_path: Path) -> None:
    config = tmp_path / "hadeck.toml"
    config.write_text(f"[cluster]\nextra_nodes = {json.dumps(list(PEERS))}\ntimeout = 5\n"
                      f"[ssh]\noptions = {json.dumps(list(sshd.options))}\n")
    baseline = descendants(sshd.process.pid)
    done = subprocess.run([sys.executable, "-m", "hadeck.cli.main", "status", "--json",
                           "--config", str(config)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)},
                          cwd=tmp_path)
    document = json.loads(done.stdout)
    hosts = {h["node"]: h for h in document["state"]["hosts"]}
    assert set(hosts) >= set(PEERS), done.stderr
    assert all(hosts[p]["memory_total"] for p in PEERS)
    left = settled(sshd.process.pid, baseline)
    assert not left, commands(sshd.process.pid, left)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("hadeck-ssh-")]
    ours = subprocess.run(["pgrep", "-af", f"{tmp_path}/hadeck-ssh-"], capture_output=True,
                          text=True).stdout
    assert ours == ""


def test_a_killed_hadeck_leaves_no_master_behind(sshd: Sshd, tmp_path: Path) -> None:
    # SIGKILL: no atexit, no close. The master's session reads a pipe only hadeck holds.
    script = textwrap.dedent(f"""
        import sys, time
        from hadeck.ssh import ControlDir, SshRunner
        control = ControlDir()
        runner = SshRunner({PEERS[2]!r}, options={sshd.options!r}, control=control)
        print(runner.run(["echo", "up"]).stdout.strip(), control.path, flush=True)
        time.sleep(600)
    """)
    baseline = descendants(sshd.process.pid)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    answer, path = proc.stdout.readline().split()
    assert answer == "up"
    assert descendants(sshd.process.pid) - baseline, "no session on the peer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = settled(sshd.process.pid, baseline)
    assert not left, commands(sshd.process.pid, left)
    deadline = time.monotonic() + 5
    while subprocess.run(["pgrep", "-f", f"-S {path}/"], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the ssh master outlived a killed hadeck"
        time.sleep(0.1)
    # Only the empty directory is left (nobody was there to remove it): no socket.
    assert list(Path(path).iterdir()) == []
    Path(path).rmdir()


# --------------------------------------------------------------------------- not reachable


def test_connection_refused_costs_one_try_then_background_retries(
        sshd: Sshd, ssh_log: SshLog, control: ControlDir, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hadeck.ssh, "RETRY_S", 0.5)
    port = free_port()  # nothing listens here yet
    known = tmp_path / "known"
    known.write_text(sshd.host_key_line(sshd.where / "host").replace(str(sshd.port), str(port)))
    runner = SshRunner(PEERS[0], via=ssh_log.runner, control=control, options=(
        *sshd.options, "-p", str(port), "-o", f"UserKnownHostsFile={known}"))
    first = runner.run(["true"])
    assert first.error_kind == "unreachable"
    assert first.error is not None and "Connection refused" in first.error
    # Later reads answer at once, say since when, and start no connection themselves.
    ssh_log.clear()
    start = time.monotonic()
    for _ in range(5):
        again = runner.batch([host.PROC_LOADAVG])[host.PROC_LOADAVG]
        assert again.error_kind == "unreachable"
        assert "unreachable since" in (again.error or "")
    assert time.monotonic() - start < 1.0
    assert len(ssh_log.lines()) <= 1  # at most the background retry
    # The peer comes up: a background retry reconnects it, no read waits for that.
    server = start_sshd(sshd.where, port, sshd.where / "host")
    try:
        deadline = time.monotonic() + 15
        while not runner.run(["true"]).ok:
            assert time.monotonic() < deadline, "the peer was not reconnected"
            time.sleep(0.2)
    finally:
        stop(server)


def test_a_changed_host_key_is_refused_with_a_clear_message(
        sshd: Sshd, control: ControlDir, tmp_path: Path) -> None:
    keygen(tmp_path / "other-host")
    port = free_port()
    server = start_sshd(sshd.where, port, tmp_path / "other-host")
    try:
        # known_hosts remembers this address with another key: the peer's key changed.
        (tmp_path / "known").write_text(f"[127.0.0.1]:{port} "
                                        f"{(sshd.where / 'host.pub').read_text()}")
        options = (*sshd.options, "-p", str(port),
                   "-o", f"UserKnownHostsFile={tmp_path / 'known'}")
        changed = SshRunner(PEERS[0], options=options, control=control).run(["true"])
        assert changed.error_kind == "unreachable"
        assert changed.error is not None and changed.error.startswith(
            "ssh hds-peer1: the host key has changed: refused")
        # Not known at all: refused too (BatchMode never asks), and said so.
        (tmp_path / "empty").write_text("")
        options = (*sshd.options, "-p", str(port),
                   "-o", f"UserKnownHostsFile={tmp_path / 'empty'}")
        unknown = SshRunner(PEERS[1], options=options, control=control).run(["true"])
        assert unknown.error is not None and unknown.error.startswith(
            "ssh hds-peer2: the host key is not in known_hosts, or not accepted: refused")
    finally:
        stop(server)


def test_default_options_never_weaken_host_key_checking() -> None:
    joined = " ".join(SSH_OPTIONS).lower()
    assert "stricthostkeychecking" not in joined and "knownhostsfile" not in joined


@pytest.mark.parametrize("face", [["status", "--json"], ["snapshot", "BUNDLE"]])
def test_each_face_closes_its_masters_when_done_not_at_exit(
        sshd: Sshd, tmp_path: Path, face: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process: atexit has not run when the face returns, so only the face's own
    # close can have ended the masters and their sessions on the peers.
    from hadeck.cli.main import main

    config = tmp_path / "hadeck.toml"
    config.write_text(f"[cluster]\nextra_nodes = {json.dumps(list(PEERS))}\ntimeout = 5\n"
                      f"[ssh]\noptions = {json.dumps(list(sshd.options))}\n")
    baseline = descendants(sshd.process.pid)
    argv = [str(tmp_path / "b.tar.gz") if word == "BUNDLE" else word for word in face]
    main([*argv, "--config", str(config)])
    assert PEERS[0] in capsys.readouterr().out or face[0] == "snapshot"
    left = settled(sshd.process.pid, baseline)
    assert not left, commands(sshd.process.pid, left)
    masters = [p for p in descendants(os.getpid())
               if "ControlMaster" in Path(f"/proc/{p}/cmdline").read_bytes().decode(
                   errors="replace").replace("\0", " ")]
    assert masters == []
