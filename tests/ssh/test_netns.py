"""A peer that stops answering: an sshd in a network namespace of its own (prefix hds),
whose packets are then dropped (its address taken away inside the namespace, the reading
side's neighbour entry pinned, so nothing answers: no reset, no ICMP).

What an operator expects: the first read that finds the peer silent costs one timeout,
and every read after that says at once that the peer is unreachable, and since when.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hadeck.runner import SSH_OPTIONS
from hadeck.sources import host
from hadeck.ssh import ControlDir, SshRunner
from tests.ssh.conftest import Sshd, start_sshd, stop


def ip(*args: str, netns: str | None = None) -> None:
    argv = ["ip", *args] if netns is None else ["ip", "-n", netns, *args]
    subprocess.run(argv, check=True, capture_output=True)


@dataclass
class Island:
    netns: str
    outside: str
    inside: str
    address: str
    server: subprocess.Popen[str]


@pytest.fixture
def island(sshd: Sshd) -> Iterator[Island]:
    """An sshd alone in namespace hds-ssh-PID, reached over a veth pair."""
    tag = os.getpid() % 10000
    netns, outside, inside = f"hds-ssh-{tag}", f"hds-o{tag}", f"hds-i{tag}"
    net = f"10.213.{tag % 250}"
    try:
        ip("netns", "add", netns)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot make a network namespace here: {exc}")
    server = None
    try:
        ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", netns)
        ip("addr", "add", f"{net}.1/30", "dev", outside)
        ip("link", "set", outside, "up")
        ip("addr", "add", f"{net}.2/30", "dev", inside, netns=netns)
        ip("link", "set", inside, "up", netns=netns)
        ip("link", "set", "lo", "up", netns=netns)
        server = start_sshd(sshd.where, 22, sshd.where / "host", listen=f"{net}.2",
                            netns=netns)
        yield Island(netns, outside, inside, f"{net}.2", server)
    finally:
        if server is not None:
            stop(server)
        subprocess.run(["ip", "link", "del", outside], capture_output=True)
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def drop(island: Island) -> None:
    """From now on the peer's packets go nowhere and nothing answers."""
    mac = subprocess.run(["ip", "-n", island.netns, "-br", "link", "show", island.inside],
                         capture_output=True, text=True, check=True).stdout.split()[2]
    ip("neigh", "replace", island.address, "lladdr", mac, "dev", island.outside,
       "nud", "permanent")
    ip("addr", "flush", "dev", island.inside, netns=island.netns)


def runner_for(sshd: Sshd, island: Island, control: ControlDir) -> SshRunner:
    known = sshd.where / f"known-{island.netns}"
    known.write_text(f"{island.address} {(sshd.where / 'host.pub').read_text()}")
    options = (*SSH_OPTIONS, "-o", "ConnectTimeout=2", "-i", str(sshd.where / "client"),
               "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={known}",
               "-o", "ServerAliveInterval=2")
    return SshRunner("hds-island", host=island.address, options=options, control=control,
                     timeout=2)


def test_a_peer_that_stops_answering_costs_one_timeout(sshd: Sshd, island: Island) -> None:
    control = ControlDir()
    try:
        runner = runner_for(sshd, island, control)
        assert host.read(runner.prefetch([host.PROC_LOADAVG])).value is not None
        drop(island)
        start = time.monotonic()
        first = runner.batch([host.PROC_LOADAVG])[host.PROC_LOADAVG]
        took = time.monotonic() - start
        assert first.error_kind == "unreachable", first
        assert took < 15
        start = time.monotonic()
        for _ in range(3):
            again = runner.batch([host.PROC_LOADAVG])[host.PROC_LOADAVG]
            assert again.error_kind == "unreachable"
            assert "unreachable since" in (again.error or "")
        assert time.monotonic() - start < 1.0, "a read waited on a silent peer again"
    finally:
        control.close()


def test_a_silent_peer_from_the_start(sshd: Sshd, island: Island) -> None:
    drop(island)
    control = ControlDir()
    try:
        runner = runner_for(sshd, island, control)
        start = time.monotonic()
        first = runner.run(["true"])
        assert first.error_kind == "unreachable"
        assert time.monotonic() - start < 8  # ConnectTimeout=2, not the default minutes
        start = time.monotonic()
        again = runner.run(["true"])
        assert "unreachable since" in (again.error or "")
        assert time.monotonic() - start < 0.5
    finally:
        control.close()
