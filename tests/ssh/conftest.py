"""A real OpenSSH server on 127.0.0.1 for the ssh tests, and peers that reach it.

The sshd runs in the foreground (``-D``) with its own config, a throwaway host key and a
throwaway user key, on a free high port of loopback; it is killed when the session ends.
The client side is configured as an operator would: an ssh_config file (``-F``) names
three peers (``hds-peer1`` …) that all reach this sshd, with the user key and a
known_hosts file holding the real host key. Nothing weakens host key checking.

Every test here skips, with the reason, when sshd cannot run (no openssh-server, or not
root: sshd needs root for its privilege separation).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadeck.runner import SSH_OPTIONS, LocalRunner

SSHD = "/usr/sbin/sshd"
PEERS = ("hds-peer1", "hds-peer2", "hds-peer3")
DOWN = "hds-down"
"""A peer in the ssh_config whose port nothing listens on (connection refused)."""


def sshd_missing() -> str | None:
    """Why sshd cannot run here; None when it can."""
    if not os.path.exists(SSHD):
        return "needs openssh-server (/usr/sbin/sshd)"
    if not (shutil.which("ssh") and shutil.which("ssh-keygen")):
        return "needs openssh-client"
    if os.geteuid() != 0:
        return "needs root to run sshd"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sshd:
    """A running sshd and the client files that reach it."""

    where: Path
    port: int
    process: subprocess.Popen[str]
    config: Path
    """The client's ssh_config: Host entries for :data:`PEERS`."""

    @property
    def options(self) -> tuple[str, ...]:
        """hadeck's ssh options, plus the test's ssh_config."""
        return (*SSH_OPTIONS, "-F", str(self.config))

    def host_key_line(self, key: Path) -> str:
        return f"[127.0.0.1]:{self.port} {key.with_suffix('.pub').read_text().strip()}\n"


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hds-test",
                    "-f", str(path)], check=True)


def start_sshd(where: Path, port: int, host_key: Path, listen: str = "127.0.0.1",
               netns: str | None = None) -> subprocess.Popen[str]:
    """An sshd in the foreground on ``listen:port`` with ``host_key``; waits for it."""
    config = where / f"sshd_config-{port}"
    config.write_text(
        f"Port {port}\nListenAddress {listen}\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {where / 'authorized_keys'}\nPidFile none\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n"
        "MaxSessions 50\nMaxStartups 50\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    argv = [SSHD, "-D", "-e", "-f", str(config)]
    if netns is not None:
        argv = ["ip", "netns", "exec", netns, *argv]
    server = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not _listening(listen, port, netns):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            why = server.stderr.read() if server.stderr else ""
            pytest.fail(f"sshd did not come up: {why}")
        time.sleep(0.05)
    return server


def _listening(address: str, port: int, netns: str | None) -> bool:
    argv = ["ss", "-Hltn", f"src {address}:{port}"]
    if netns is not None:
        argv = ["ip", "netns", "exec", netns, *argv]
    done = subprocess.run(argv, capture_output=True, text=True)
    return bool(done.stdout.strip())


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 that lets this user in with a throwaway key."""
    missing = sshd_missing()
    if missing:
        pytest.skip(missing)
    where = tmp_path_factory.mktemp("sshd")
    keygen(where / "host")
    keygen(where / "client")
    (where / "authorized_keys").write_text((where / "client.pub").read_text())
    port = free_port()
    server = start_sshd(where, port, where / "host")
    running = Sshd(where, port, server, where / "ssh_config")
    (where / "known_hosts").write_text(running.host_key_line(where / "host"))
    running.config.write_text(
        f"Host {' '.join(PEERS)}\n"
        f"    HostName 127.0.0.1\n    Port {port}\n    User {os.environ.get('USER', 'root')}\n"
        f"    IdentityFile {where / 'client'}\n    IdentitiesOnly yes\n"
        f"    UserKnownHostsFile {where / 'known_hosts'}\n    GlobalKnownHostsFile /dev/null\n"
        f"Host {DOWN}\n    HostName 127.0.0.1\n    Port {free_port()}\n"
        f"    IdentityFile {where / 'client'}\n    IdentitiesOnly yes\n")
    try:
        yield running
    finally:
        stop(server)


class SshLog:
    """Counts the ssh client processes hadeck starts: an ``ssh`` first on PATH that
    writes its arguments to a log, then runs the real client."""

    def __init__(self, where: Path) -> None:
        self.log = where / "ssh.log"
        self.log.write_text("")
        wrapper = where / "ssh"
        real = shutil.which("ssh")
        # One line per ssh started, whatever its arguments hold (a batch's script), in
        # one write: ssh clients start at once.
        wrapper.write_text(f'#!/bin/sh\nline=$(printf "%s " "$@" | tr "\\n" " ")\n'
                           f'printf "%s\\n" "$line" >>{self.log}\nexec {real} "$@"\n')
        wrapper.chmod(0o755)
        self.runner = LocalRunner(env={"PATH": f"{where}:{os.environ.get('PATH', '')}"})

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def clear(self) -> None:
        self.log.write_text("")


@pytest.fixture
def ssh_log(tmp_path: Path) -> SshLog:
    return SshLog(tmp_path)
