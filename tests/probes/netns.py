"""A small real network for the ping probes: network namespaces joined by a bridge.

    hdp<id>s (the prober: 10.77.0.1, fd77::1) ─┐
    hdp<id>h1 (10.77.0.11, fd77::11) ──────────┤  bridge br0 in hdp<id>b
    hdp<id>h2 …                               ─┘

Every host has its own namespace and veth to the bridge, so one is "lost" by setting its
link down (:meth:`Net.lose`). Nothing leaves these namespaces: none has a default route.
The probes run in a subprocess inside the prober's namespace (``ip netns exec``; the
test process stays where it is), as root or as ``nobody`` (``runuser``), and print their
results as JSON. Needs root and iproute2; :func:`why_not` says why not when not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SSHD = "/usr/sbin/sshd"
SUBNET4 = "10.77.0"
SUBNET6 = "fd77::"

PROBE = """
import json, sys
from hadeck.probes.ping import PingSettings, Target, ping
from hadeck.runner import LocalRunner
from hadeck.ssh import SshRunner
from hadeck.serial import to_data
args = json.loads(sys.argv[1])
runner = (SshRunner("peer", host="127.0.0.1", options=args["ssh"]) if args["ssh"]
          else LocalRunner(node="prober"))
probes = ping(runner, [Target(h) for h in args["hosts"]], PingSettings(**args["settings"]))
print(json.dumps(to_data(probes)))
"""


def why_not() -> str | None:
    """Why namespaces cannot be made here (a skip reason), or None."""
    if os.geteuid() != 0:
        return "needs root: the test makes network namespaces (ip netns add)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


class Net:
    """The namespaces, made by :meth:`up` and removed by :meth:`down` (always)."""

    def __init__(self, hosts: int) -> None:
        self.tag = f"hdp{os.getpid() % 100000}"
        self.prober = f"{self.tag}s"
        self.hub = f"{self.tag}b"
        self.hosts = [f"{self.tag}h{i}" for i in range(1, hosts + 1)]
        self.made: list[str] = []

    def v4(self, index: int) -> str:
        """Host ``index``'s IPv4 address (from 1)."""
        return f"{SUBNET4}.{10 + index}"

    def v6(self, index: int) -> str:
        return f"{SUBNET6}{10 + index:x}"

    dead4 = f"{SUBNET4}.250"
    """An address in the subnet that nobody has: ARP goes unanswered."""
    dead6 = f"{SUBNET6}fa"

    def up(self) -> Net:
        for name in (self.hub, self.prober, *self.hosts):
            _ip("netns", "add", name)
            self.made.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        self._attach(self.prober, "p", f"{SUBNET4}.1", f"{SUBNET6}1")
        for index, name in enumerate(self.hosts, start=1):
            self._attach(name, f"h{index}", self.v4(index), self.v6(index))
        return self

    def _attach(self, ns: str, port: str, v4: str, v6: str) -> None:
        _ip("-n", self.hub, "link", "add", port, "type", "veth", "peer", "name", "eth0",
            "netns", ns)
        _ip("-n", self.hub, "link", "set", port, "master", "br0")
        _ip("-n", self.hub, "link", "set", port, "up")
        _ip("-n", ns, "addr", "add", f"{v4}/24", "dev", "eth0")
        _ip("-n", ns, "addr", "add", f"{v6}/64", "dev", "eth0", "nodad")
        _ip("-n", ns, "link", "set", "eth0", "up")

    def lose(self, index: int) -> None:
        """Host ``index`` (from 1) drops off: its port on the bridge goes down."""
        _ip("-n", self.hub, "link", "set", f"h{index}", "down")

    def allow_unprivileged(self, gid: int) -> None:
        """Let group ``gid`` open ICMP datagram sockets in the prober's namespace."""
        subprocess.run(["ip", "netns", "exec", self.prober, "sysctl", "-qw",
                        f"net.ipv4.ping_group_range={gid} {gid}"], check=True,
                       capture_output=True, timeout=20)

    def sshd(self, where: Path) -> tuple[subprocess.Popen[str], tuple[str, ...]]:
        """A real sshd on the prober namespace's 127.0.0.1 that lets root in with a
        throwaway key; the server (the caller stops it) and the client's options."""
        for name in ("host", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            str(where / name)], check=True)
        (where / "authorized_keys").write_text((where / "client.pub").read_text())
        (where / "sshd_config").write_text(
            f"Port 22\nListenAddress 127.0.0.1\nHostKey {where / 'host'}\n"
            f"AuthorizedKeysFile {where / 'authorized_keys'}\n"
            f"PidFile {where / 'sshd.pid'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
            "StrictModes no\nLogLevel ERROR\n")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        server = subprocess.Popen(["ip", "netns", "exec", self.prober, SSHD, "-D", "-e",
                                   "-f", str(where / "sshd_config")],
                                  stderr=subprocess.PIPE, text=True)
        options = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-i",
                   str(where / "client"), "-o", "IdentitiesOnly=yes",
                   "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                   "-o", "LogLevel=ERROR")
        for _ in range(100):
            up = subprocess.run(["ip", "netns", "exec", self.prober, "ssh", *options,
                                 "127.0.0.1", "true"], capture_output=True, timeout=20)
            if up.returncode == 0 or server.poll() is not None:
                break
            time.sleep(0.1)
        return server, options

    def down(self) -> None:
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)
        self.made.clear()

    def probe(self, hosts: Sequence[str], user: str | None = None,
              within: float = 30.0, ssh: Sequence[str] = (),
              **settings: Any) -> list[dict[str, Any]]:
        """Run :func:`hadeck.probes.ping.ping` in the prober's namespace; its probes.

        With ``ssh`` (the client's options), through an :class:`SshRunner` to the
        namespace's own 127.0.0.1, where :meth:`sshd` listens: the way a peer is probed.
        """
        argv = ["ip", "netns", "exec", self.prober]
        if user is not None:
            argv += ["runuser", "-u", user, "--"]
        argv += [sys.executable, "-c", PROBE,
                 json.dumps({"hosts": list(hosts), "settings": settings, "ssh": list(ssh)})]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=within, cwd="/")
        assert done.returncode == 0, done.stderr
        result: list[dict[str, Any]] = json.loads(done.stdout)
        return result
