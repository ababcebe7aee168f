"""SshRunner against a real OpenSSH server on 127.0.0.1, started by the test (more in
tests/ssh/: masters, batches, peers that are down or changed).

The dashboard follows ``drbdsetup events2`` on every node through one ssh connection per
node. When it quits, the remote command must end too, not linger until its next write
(on a quiet cluster, hours). These tests run the real client against a real sshd with
throwaway keys, on loopback only, and look at the remote processes themselves.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadeck.runner import SSH_OPTIONS
from hadeck.ssh import ControlDir, SshRunner

SSHD = "/usr/sbin/sshd"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("ssh-keygen")
         and os.geteuid() == 0),
    reason="needs openssh-server and openssh-client, and root to run sshd")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshRunner]:
    """A node reachable over ssh: a real sshd on 127.0.0.1 that lets this user in."""
    where = tmp_path_factory.mktemp("sshd")
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(where / name)], check=True)
    (where / "authorized_keys").write_text((where / "client.pub").read_text())
    port = _free_port()
    (where / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {where / 'host'}\n"
        f"AuthorizedKeysFile {where / 'authorized_keys'}\nPidFile {where / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(where / "sshd_config")],
                              stderr=subprocess.PIPE, text=True)
    # The host key is known, as an operator's known_hosts would hold it: checking stays on.
    (where / "known_hosts").write_text(f"[127.0.0.1]:{port} {(where / 'host.pub').read_text()}")
    options = (*SSH_OPTIONS, "-p", str(port), "-i", str(where / "client"),
               "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={where / 'known_hosts'}",
               "-o", "LogLevel=ERROR")
    control = ControlDir()  # as hadeck runs it: over one master connection
    runner = SshRunner("jupiter2", host="127.0.0.1", options=options, control=control)
    try:
        # Listening first: a peer found down is retried only every few seconds.
        deadline = time.monotonic() + 10
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                why = server.stderr.read() if server.stderr else ""
                pytest.fail(f"sshd did not come up: {why}")
            time.sleep(0.1)
        assert runner.run(["true"]).returncode == 0
        yield runner
    finally:
        control.close()
        server.terminate()
        server.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _running(marker: str) -> bool:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0


def _gone(marker: str, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while _running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_run_over_real_ssh_keeps_names_as_data(node: SshRunner) -> None:
    name = "it's; echo injected $HOME"
    result = node.run(["printf", "%s\\n", name])
    assert result.returncode == 0 and result.stdout == f"{name}\n"
    missing = node.run(["hadeck-no-such-tool"])
    assert missing.error == "hadeck-no-such-tool: command not found on jupiter2"
    assert missing.error_kind == "missing"


def test_error_kinds_over_real_ssh(node: SshRunner, tmp_path: Path) -> None:
    # cat over ssh: a missing file reads as a local one does, so sources test one kind.
    absent = node.read_file(str(tmp_path / "no-such-file"))
    assert absent.error_kind == "missing"
    assert absent.error == f"{tmp_path}/no-such-file: no such file"
    present = tmp_path / "mdstat"
    present.write_text("Personalities : \n")
    assert node.read_file(str(present)).stdout == "Personalities : \n"


def test_closing_a_stream_ends_the_remote_command(node: SshRunner) -> None:
    # Like drbdsetup events2 on a quiet cluster: one line, then silence.
    marker = f"sleep {300 + os.getpid() % 1000}.{time.time_ns() % 10**6}"
    stream = node.stream(["sh", "-c", f"echo ready; exec {marker}"])
    assert next(stream) == "ready\n"
    assert _running(marker)
    stream.close()
    assert list(stream) == []
    assert _gone(marker), "the remote command outlived the closed stream"
    assert stream.error is None


def test_a_stream_reports_lines_exit_and_missing_tools(node: SshRunner) -> None:
    with node.stream(["sh", "-c", "printf 'a\\nb\\n'; echo oops >&2; exit 3"]) as stream:
        assert list(stream) == ["a\n", "b\n"]  # stderr stays out of the lines
    assert stream.returncode == 3 and stream.error == "sh exited 3: oops"
    missing = node.stream(["hadeck-no-such-tool"])
    assert list(missing) == []
    assert missing.error == "hadeck-no-such-tool: command not found on jupiter2"
