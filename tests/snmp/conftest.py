"""A real snmpd (Debian's net-snmp) on 127.0.0.1, started per test with throwaway secrets.

Each agent gets its own snmpd.conf in a temporary directory, a free UDP port, a random v2c
community and random SNMPv3 users (``createUser``): ``hauth`` (authNoPriv, SHA) and
``hpriv`` (authPriv, SHA/AES), and for the other protocols ``hmd5`` (MD5/AES),
``hsha256`` (SHA-256/AES), ``hsha512`` (authNoPriv, SHA-512), ``hdes`` (SHA/DES), and
AES-192/256 with a key longer than the hash, so extended: ``haes256`` (SHA/AES256) and
``haes192`` (MD5/AES192) as net-snmp extends it (draft-blumenthal-aes-usm), ``haes256c``
(SHA/AES256C) and ``haes192c`` (MD5/AES192C) as Cisco does, ``hsha256x256``
(SHA-256/AES256: no extension); all with the same two passwords. Nothing is sent
anywhere but loopback.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadeck.snmp.agent import SnmpAgent

SNMPD = shutil.which("snmpd") or ("/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists()
                                  else None)


@dataclass
class Snmpd:
    """One running snmpd and the throwaway credentials it accepts."""

    port: int
    community: str
    auth_password: str
    priv_password: str
    process: subprocess.Popen[bytes]
    directory: Path

    def agent(self, name: str = "rs1", **changes: object) -> SnmpAgent:
        """An agent polling this snmpd over v2c (``changes`` override any field)."""
        fields: dict[str, object] = {"name": name, "address": "127.0.0.1", "port": self.port,
                                     "community": self.community, "timeout": 0.5,
                                     "retries": 1}
        fields.update(changes)
        return SnmpAgent(**fields)  # type: ignore[arg-type]

    def v3(self, name: str = "rs1", privacy: bool = True, **changes: object) -> SnmpAgent:
        """An agent polling this snmpd over SNMPv3 (authPriv SHA/AES, or authNoPriv)."""
        fields: dict[str, object] = {
            "version": "3", "community": "", "user": "hpriv" if privacy else "hauth",
            "auth_protocol": "SHA", "auth_password": self.auth_password,
            "priv_protocol": "AES" if privacy else "",
            "priv_password": self.priv_password if privacy else ""}
        fields.update(changes)
        return self.agent(name, **fields)

    def secrets(self) -> tuple[str, ...]:
        return (self.community, self.auth_password, self.priv_password)

    def restart(self, new_engine_id: bool = False) -> None:
        """Stop snmpd and start it again on the same port, with the same users and
        SNMPv3 engine ID (its clock starts again), or, with ``new_engine_id``, a new one
        (as a reinstalled host has)."""
        self.stop()
        if new_engine_id:
            conf = self.directory / "snmpd.conf"
            conf.write_text(re.sub(r"(?m)^engineID .*$", f"engineID hadeck-{secrets.token_hex(4)}",
                                   conf.read_text()))
        self.process = launch(self.directory, "restart")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_snmpd(directory: Path, addresses: tuple[str, ...] = ("127.0.0.1",)) -> Snmpd:
    """Start snmpd in the foreground on a free port; return once it answers."""
    if SNMPD is None:
        pytest.skip("snmpd is not installed (apt-get install snmpd; scripts/setup --test)")
    directory.mkdir(parents=True, exist_ok=True)
    community = "c-" + secrets.token_hex(8)
    auth_password, priv_password = "a-" + secrets.token_hex(8), "p-" + secrets.token_hex(8)
    for attempt in range(5):
        port = free_udp_port()
        listen = ",".join(f"udp:{a}:{port}" for a in addresses)
        (directory / "snmpd.conf").write_text(
            f"agentAddress {listen}\n"
            f"engineID hadeck-{secrets.token_hex(4)}\n"
            f"rocommunity {community} 127.0.0.0/8\n"
            f'createUser hauth SHA "{auth_password}"\n'
            f'createUser hpriv SHA "{auth_password}" AES "{priv_password}"\n'
            # The other protocols hadeck's own SNMPv3 signs and encrypts (MD5, SHA-2, DES;
            # tests/snmp/test_poller.py).
            f'createUser hmd5 MD5 "{auth_password}" AES "{priv_password}"\n'
            f'createUser hsha256 SHA-256 "{auth_password}" AES "{priv_password}"\n'
            f'createUser hsha512 SHA-512 "{auth_password}"\n'
            f'createUser hdes SHA "{auth_password}" DES "{priv_password}"\n'
            # AES-192/256 whose key is extended (longer than the hash), both ways.
            f'createUser haes256 SHA "{auth_password}" AES256 "{priv_password}"\n'
            f'createUser haes192 MD5 "{auth_password}" AES192 "{priv_password}"\n'
            f'createUser haes256c SHA "{auth_password}" AES256C "{priv_password}"\n'
            f'createUser haes192c MD5 "{auth_password}" AES192C "{priv_password}"\n'
            # ... and one whose key needs no extension (SHA-256's is 256 bits already).
            f'createUser hsha256x256 SHA-256 "{auth_password}" AES256 "{priv_password}"\n'
            "rouser hauth auth\n"
            "rouser hpriv priv\n"
            "rouser hmd5 priv\n"
            "rouser hsha256 priv\n"
            "rouser hsha512 auth\n"
            "rouser hdes priv\n"
            "rouser haes256 priv\nrouser haes192 priv\n"
            "rouser haes256c priv\nrouser haes192c priv\nrouser hsha256x256 priv\n"
            "disk /\n")
        (directory / "snmpd.conf").chmod(0o600)
        log = directory / f"snmpd-{attempt}.log"
        process = launch(directory, str(attempt))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if "NET-SNMP version" in text:
                return Snmpd(port, community, auth_password, priv_password, process, directory)
            if process.poll() is not None:
                break  # the port was taken in between: try another one
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
    pytest.fail(f"snmpd did not start: {log.read_text(errors='replace')[-500:]}")


def launch(directory: Path, name: str) -> subprocess.Popen[bytes]:
    """Start snmpd on the configuration in ``directory``, its log in snmpd-NAME.log;
    when ``name`` is ``restart``, return once it answers."""
    assert SNMPD is not None
    log = directory / f"snmpd-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [SNMPD, "-f", "-Lo", "-C", "-c", str(directory / "snmpd.conf"),
             "-M", "/dev/null", "-m", "",
             f"--persistentDir={directory / 'persist'}",
             "-p", str(directory / "snmpd.pid")],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(directory)})
    deadline = time.monotonic() + 10
    while name == "restart" and "NET-SNMP version" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"snmpd did not start again: {log.read_text(errors='replace')[-500:]}")
        time.sleep(0.05)
    return process


@pytest.fixture
def snmpd_factory(tmp_path: Path) -> Iterator[Callable[..., Snmpd]]:
    """Start as many snmpd as a test needs; all are stopped at the end."""
    started: list[Snmpd] = []

    def start(addresses: tuple[str, ...] = ("127.0.0.1",)) -> Snmpd:
        agent = start_snmpd(tmp_path / f"snmpd{len(started)}", addresses)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()


@pytest.fixture
def snmpd(snmpd_factory: Callable[..., Snmpd]) -> Snmpd:
    """One real snmpd on 127.0.0.1."""
    return snmpd_factory()
