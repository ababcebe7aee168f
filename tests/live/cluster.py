"""A real corosync 3 + Pacemaker 2.1 cluster of three nodes on this machine, in namespaces.

A Python port of ../shared/reference/live_cluster.sh (PACEMAKER.md §4–5) for the
end-to-end tests. Each node is a network namespace (``<prefix>-node1`` …) with a veth on a
bridge that lives in a namespace of its own (``<prefix>-sw``: nothing touches the host's
network), plus a mount and UTS namespace made by ``unshare`` in which
:mod:`tests.live.node_init` mounts the node's own corosync / Pacemaker directories and a
private ``/run``, and starts corosync and pacemakerd. A command runs inside a node with
``nsenter -t <init pid> -n -m -u``; crashing a node is a SIGKILL of every process in its
network namespace.

The CIB is seeded before the first start (no ``.sig`` is needed), so the cluster comes up
configured: stonith off, ``dc-deadtime`` 5 s (the 20 s default delays the first DC), and
resources shaped like the lab's: ``ms_drbd_vm1`` (an ``ocf:pacemaker:Stateful`` promotable
clone standing in for DRBD, never on the arbiter node3) with ``dummy_vm1`` colocated with
its Promoted role and started after its promotion, ``dummy_vm2`` and the group
``g_services`` (svc_a, svc_b), each ``ocf:pacemaker:Dummy`` with a location preference:

    node1  ms_drbd_vm1 Promoted, dummy_vm1
    node2  ms_drbd_vm1 Unpromoted, dummy_vm2
    node3  g_services

Corosync's token is 1000 ms (a crashed node is seen offline after ~4 s instead of ~8 s).

Each node also runs an OpenSSH server on its own address (port 22) when openssh-server is
installed, so hadeck reads its peers over ssh there as on a real cluster: a throwaway host
key (the same for every node, listed per address in a known_hosts file) and client key,
an ``ssh_config`` naming ``node1`` … by address, all under ``<state dir>/ssh``
(:attr:`LiveCluster.ssh_config`). A crash kills a node's sshd with the rest of it (a
powered-off peer); a revived node starts it again.

Everything this module creates carries the prefix (default ``hdl``, ``$HADECK_LIVE_PREFIX``)
and lives under ``/tmp/<prefix>-cluster`` (``$HADECK_LIVE_DIR``); the nodes' subnet
(``$HADECK_LIVE_NET``, default 10.213.78) exists only inside those namespaces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

PREFIX = os.environ.get("HADECK_LIVE_PREFIX", "hdl")
NET = os.environ.get("HADECK_LIVE_NET", "10.213.78")
STATE_DIR = Path(os.environ.get("HADECK_LIVE_DIR", f"/tmp/{PREFIX}-cluster"))
NODES = ("node1", "node2", "node3")
TOKEN_MS = 1000
START_TIMEOUT = 90.0
"""Seconds for the cluster to come up and settle (≈ 12 s on an idle machine)."""

SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS = ("ip", "nsenter", "unshare", "mount", "corosync", "corosync-cfgtool", "pacemakerd",
         "crm_mon", "crm_resource", "crm_attribute", "cibadmin", "crmadmin")
AGENTS = ("/usr/lib/ocf/resource.d/pacemaker/Dummy",
          "/usr/lib/ocf/resource.d/pacemaker/Stateful")
NODE_INIT = Path(__file__).with_name("node_init.py")
SSHD = "/usr/sbin/sshd"
ROOT_BASHRC = "/root/.bashrc"
DEBIAN_BASHRC = "/usr/share/base-files/dot.bashrc"
"""What Debian gives root as its .bashrc (base-files)."""

PRIMITIVES = ("p_drbd_vm1", "dummy_vm1", "dummy_vm2", "svc_a", "svc_b")
"""Every primitive of the seeded configuration (p_drbd_vm1 runs as two clone instances)."""

T = TypeVar("T")


class ClusterError(RuntimeError):
    """The live cluster did not do what was asked in time; the message says what it showed."""


# --------------------------------------------------------------------------- crm_mon, read
# The tests check hadeck against crm_mon, so crm_mon's XML is read here on its own, with
# ElementTree, not with hadeck's parser (the system under test).


@dataclass(frozen=True)
class Instance:
    """One ``<resource>`` element of crm_mon: a primitive, or one instance of a clone."""

    id: str
    role: str
    nodes: tuple[str, ...]
    active: bool
    failed: bool
    managed: bool
    parent: str | None


@dataclass(frozen=True)
class CrmMon:
    """What ``crm_mon --output-as=xml`` showed on one node, at one moment."""

    xml: str
    dc: str | None
    quorum: bool
    maintenance_mode: bool
    nodes: Mapping[str, Mapping[str, str]]
    """Each node's attributes as crm_mon gives them (``online``, ``standby`` …)."""
    instances: tuple[Instance, ...]
    failures: tuple[Mapping[str, str], ...]
    history: Mapping[tuple[str, str], tuple[tuple[int, str], ...]] = field(
        default_factory=dict)
    """(node, primitive) → its operations in crm_mon's node_history: (call id, task)."""

    def online(self) -> frozenset[str]:
        return frozenset(n for n, a in self.nodes.items() if a.get("online") == "true")

    def node_flag(self, node: str, flag: str) -> bool:
        return self.nodes.get(node, {}).get(flag) == "true"

    def where(self, rsc: str) -> frozenset[str]:
        """The nodes on which ``rsc`` (a primitive) is active."""
        return frozenset(node for i in self.instances if i.id == rsc and i.active
                         for node in i.nodes)

    def placements(self) -> frozenset[tuple[str, str, str]]:
        """(primitive, node, role) of every active instance."""
        return frozenset((i.id, node, i.role) for i in self.instances if i.active
                         for node in i.nodes)

    def role_on(self, rsc: str, role: str) -> frozenset[str]:
        return frozenset(node for i in self.instances if i.id == rsc and i.active
                         and i.role == role for node in i.nodes)

    def instance(self, rsc: str) -> Instance | None:
        return next((i for i in self.instances if i.id == rsc and i.active), None)

    def last_action(self, node: str, rsc: str) -> str | None:
        """The latest operation of ``rsc`` on ``node`` other than a monitor (``start``,
        ``migrate_from`` …), or None."""
        ops = [(call, task) for call, task in self.history.get((node, rsc), ())
               if task != "monitor"]
        return max(ops)[1] if ops else None

    def failures_of(self, rsc: str) -> tuple[Mapping[str, str], ...]:
        return tuple(f for f in self.failures
                     if f.get("op_key", "").startswith(f"{rsc}_"))


def parse_crm_mon(text: str) -> CrmMon:
    """Read ``crm_mon --output-as=xml``; raises ET.ParseError on a broken document."""
    root = ET.fromstring(text)
    dc_el = root.find("summary/current_dc")
    present = dc_el is not None and dc_el.get("present") == "true"
    options = root.find("summary/cluster_options")
    nodes = {n.get("name", ""): dict(n.attrib) for n in root.iterfind("nodes/node")}
    instances: list[Instance] = []

    def walk(parent: ET.Element, owner: str | None) -> None:
        for child in parent:
            if child.tag == "resource":
                instances.append(Instance(
                    id=child.get("id", ""), role=child.get("role", ""),
                    nodes=tuple(n.get("name", "") for n in child.iterfind("node")),
                    active=child.get("active") == "true",
                    failed=child.get("failed") == "true",
                    managed=child.get("managed") == "true", parent=owner))
            elif child.tag in ("clone", "group", "bundle"):
                walk(child, child.get("id"))

    resources = root.find("resources")
    if resources is not None:
        walk(resources, None)
    return CrmMon(
        xml=text,
        dc=dc_el.get("name") if present and dc_el is not None else None,
        quorum=present and dc_el is not None and dc_el.get("with_quorum") == "true",
        maintenance_mode=options is not None and options.get("maintenance-mode") == "true",
        nodes=nodes,
        instances=tuple(instances),
        failures=tuple(dict(f.attrib) for f in root.iterfind("failures/failure")),
        history={
            (node.get("name", ""), rsc.get("id", "")): tuple(
                (int(op.get("call", "-1")), op.get("task", ""))
                for op in rsc.iterfind("operation_history"))
            for node in root.iterfind("node_history/node")
            for rsc in node.iterfind("resource_history")},
    )


def is_baseline(mon: CrmMon, nodes: Iterable[str] = NODES) -> str | None:
    """Why ``mon`` is not the settled seed shape (every node up, everything running), or None.

    Placement is not part of it: after a failover, resources stay where they went.
    """
    wanted = set(nodes)
    if mon.dc is None:
        return "no DC"
    if not mon.quorum:
        return "no quorum"
    if not wanted <= mon.online():
        return f"nodes not online: {', '.join(sorted(wanted - mon.online()))}"
    if mon.maintenance_mode:
        return "cluster in maintenance-mode"
    for node in sorted(wanted):
        for flag in ("standby", "maintenance", "pending", "unclean", "shutdown"):
            if mon.node_flag(node, flag):
                return f"{node} is {flag}"
    for rsc in PRIMITIVES:
        inst = [i for i in mon.instances if i.id == rsc and i.active]
        if not inst:
            return f"{rsc} not active"
        if any(i.failed or not i.managed for i in inst):
            return f"{rsc} failed or unmanaged"
    if len(mon.role_on("p_drbd_vm1", "Promoted")) != 1:
        return "ms_drbd_vm1 has no single Promoted instance"
    if len(mon.role_on("p_drbd_vm1", "Unpromoted")) != 1:
        return "ms_drbd_vm1 has no single Unpromoted instance"
    return None


# --------------------------------------------------------------------------- the CIB seed


def _nvpairs(set_id: str, values: Mapping[str, str]) -> str:
    return "".join(f'<nvpair id="{set_id}-{name}" name="{name}" value="{value}"/>'
                   for name, value in values.items())


def _dummy(rsc: str, migrate: bool = False) -> str:
    meta = (f'<meta_attributes id="{rsc}-meta">{_nvpairs(f"{rsc}-meta", {"allow-migrate": "true"})}'
            "</meta_attributes>") if migrate else ""
    return (f'<primitive id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">{meta}'
            f'<operations><op id="{rsc}-monitor-5s" name="monitor" interval="5s" '
            'timeout="20s"/></operations></primitive>')


def seed_cib(dc_deadtime: str = "5s") -> str:
    """The CIB every node starts with: options, resources and constraints, empty status."""
    options = _nvpairs("cib-bootstrap-options", {
        "stonith-enabled": "false", "dc-deadtime": dc_deadtime,
        "cluster-recheck-interval": "1min", "no-quorum-policy": "stop"})
    clone_meta = _nvpairs("ms_drbd_vm1-meta", {
        "promotable": "true", "clone-max": "2", "clone-node-max": "1",
        "promoted-max": "1", "promoted-node-max": "1"})
    stateful = (
        '<primitive id="p_drbd_vm1" class="ocf" provider="pacemaker" type="Stateful">'
        "<operations>"
        '<op id="p_drbd_vm1-monitor-5s" name="monitor" interval="5s" role="Promoted" '
        'timeout="20s"/>'
        '<op id="p_drbd_vm1-monitor-6s" name="monitor" interval="6s" role="Unpromoted" '
        'timeout="20s"/>'
        "</operations></primitive>")
    resources = (
        f'<clone id="ms_drbd_vm1"><meta_attributes id="ms_drbd_vm1-meta">{clone_meta}'
        f"</meta_attributes>{stateful}</clone>"
        + _dummy("dummy_vm1", migrate=True) + _dummy("dummy_vm2", migrate=True)
        + f'<group id="g_services">{_dummy("svc_a")}{_dummy("svc_b")}</group>')
    constraints = (
        '<rsc_colocation id="col_dummy_vm1_on_drbd" score="INFINITY" rsc="dummy_vm1" '
        'with-rsc="ms_drbd_vm1" with-rsc-role="Promoted"/>'
        '<rsc_order id="ord_ms_drbd_vm1_before_dummy_vm1" kind="Mandatory" '
        'first="ms_drbd_vm1" first-action="promote" then="dummy_vm1" then-action="start"/>'
        '<rsc_location id="loc_dummy_vm1_prefers_node1" rsc="dummy_vm1" node="node1" '
        'score="50"/>'
        '<rsc_location id="loc_ms_drbd_vm1_not_node3" rsc="ms_drbd_vm1" node="node3" '
        'score="-INFINITY"/>'
        '<rsc_location id="loc_dummy_vm1_not_node3" rsc="dummy_vm1" node="node3" '
        'score="-INFINITY"/>'
        '<rsc_location id="loc_dummy_vm2_prefers_node2" rsc="dummy_vm2" node="node2" '
        'score="50"/>'
        '<rsc_location id="loc_g_services_prefers_node3" rsc="g_services" node="node3" '
        'score="50"/>')
    defaults = _nvpairs("rsc-options", {"resource-stickiness": "100"})
    return (
        '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.8" epoch="1" '
        'num_updates="0" admin_epoch="0"><configuration>'
        f'<crm_config><cluster_property_set id="cib-bootstrap-options">{options}'
        "</cluster_property_set></crm_config>"
        f"<nodes/><resources>{resources}</resources><constraints>{constraints}</constraints>"
        f'<rsc_defaults><meta_attributes id="rsc-options">{defaults}</meta_attributes>'
        "</rsc_defaults></configuration><status/></cib>\n")


def corosync_conf(nodes: Sequence[str], net: str, token_ms: int) -> str:
    """corosync.conf for ``nodes`` at ``net``.1, .2 … over knet, no crypto (a test net)."""
    lines = ["totem {", "    version: 2", "    cluster_name: hadecklive",
             "    transport: knet", "    crypto_cipher: none", "    crypto_hash: none",
             f"    token: {token_ms}", "}", "nodelist {"]
    for number, node in enumerate(nodes, start=1):
        lines += ["    node {", f"        ring0_addr: {net}.{number}",
                  f"        name: {node}", f"        nodeid: {number}", "    }"]
    lines += ["}", "quorum {", "    provider: corosync_votequorum", "}", "logging {",
              "    to_logfile: yes", "    logfile: /var/log/corosync/corosync.log",
              "    to_stderr: no", "    to_syslog: no", "    timestamp: on", "}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the cluster


def _env() -> dict[str, str]:
    """The host's environment with the sbin directories on PATH (the cluster tools)."""
    env = dict(os.environ)
    env["PATH"] = f"{env.get('PATH', '')}:{SBIN_PATH}".strip(":")
    return env


def _quiet(argv: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, env=_env(), check=False)


def unavailable(prefix: str = PREFIX) -> str | None:
    """Why a live cluster cannot run here (a skip reason), or None if it can.

    Tries what the cluster needs: root, the tools, the agents, a network namespace and a
    mount + UTS namespace inside it.
    """
    if os.geteuid() != 0:
        return "the live cluster needs root (network and mount namespaces, corosync)"
    path = _env()["PATH"]
    missing = [tool for tool in TOOLS if shutil.which(tool, path=path) is None]
    missing += [Path(agent).name for agent in AGENTS if not Path(agent).exists()]
    if missing:
        return (f"the live cluster needs {', '.join(missing)}: apt-get install corosync "
                "pacemaker pacemaker-cli-utils resource-agents, or scripts/setup --test")
    probe = f"{prefix}-probe"
    _quiet(["ip", "netns", "del", probe])
    made = _quiet(["ip", "netns", "add", probe])
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip() or made.returncode}"
    try:
        inside = _quiet(["ip", "netns", "exec", probe, "unshare", "-m", "-u",
                         "--propagation", "private", "--", "true"])
        if inside.returncode != 0:
            return ("cannot create mount/UTS namespaces: "
                    f"{inside.stderr.strip() or inside.returncode}")
    finally:
        _quiet(["ip", "netns", "del", probe])
    return None


def poll(what: str, probe: Callable[[], T | None], timeout: float,
         interval: float = 0.3, last: Callable[[], str] | None = None) -> T:
    """``probe()`` until it returns something other than None; ClusterError after ``timeout``.

    Args:
        what: what is awaited, for the error.
        probe: returns the awaited value, or None for "not yet".
        timeout: seconds.
        interval: seconds between tries.
        last: what to show when it times out (the last crm_mon, say).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            shown = f"\n{last()}" if last is not None else ""
            raise ClusterError(f"not within {timeout:.0f} s: {what}{shown}")
        time.sleep(interval)


@dataclass
class LiveCluster:
    """Three nodes of corosync + Pacemaker in namespaces; see the module's docstring."""

    base: Path = STATE_DIR
    prefix: str = PREFIX
    net: str = NET
    nodes: tuple[str, ...] = NODES
    token_ms: int = TOKEN_MS
    _inits: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _last_mon: str = field(default="", repr=False)
    _sshds: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ names

    @property
    def switch(self) -> str:
        return f"{self.prefix}-sw"

    def netns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def node_dir(self, node: str) -> Path:
        return self.base / node

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Remove what a crashed run left, start every node, wait until settled."""
        self.remove()
        self.base.mkdir(parents=True)
        (self.base / "corosync.conf").write_text(
            corosync_conf(self.nodes, self.net, self.token_ms))
        self._ip("netns", "add", self.switch)
        self._ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        self._ip("-n", self.switch, "link", "set", "br0", "up")
        self._make_ssh()
        for number, node in enumerate(self.nodes, start=1):
            self._make_node(node, number)
            self._launch(node)
        self.wait_settled(timeout)

    def remove(self) -> None:
        """Kill every process of our namespaces, delete them and the state directory.

        Also what a previous run left behind (found by the prefix), so a crashed session
        never blocks the next one.
        """
        listed = _quiet(["ip", "netns", "list"]).stdout.split("\n")
        ours = {line.split()[0] for line in listed
                if line.strip() and line.split()[0].startswith(f"{self.prefix}-")}
        for ns in sorted(ours):
            self._kill_netns(ns)
        for ns in sorted(ours):
            _quiet(["ip", "netns", "del", ns])
        for process in [*self._inits.values(), *self._sshds.values()]:
            _reap(process)
        self._inits.clear()
        self._sshds.clear()
        if self.base.exists():
            shutil.rmtree(self.base, ignore_errors=True)

    def crash(self, node: str) -> None:
        """Power loss: SIGKILL every process of ``node`` (corosync and all of Pacemaker)."""
        self._kill_netns(self.netns(node))
        for process in (self._inits.pop(node, None), self._sshds.pop(node, None)):
            if process is not None:
                _reap(process)
        (self.node_dir(node) / "init.pid").unlink(missing_ok=True)

    def revive(self, node: str) -> None:
        """Start a crashed node again in its network namespace; it rejoins by itself."""
        if self.pid(node) is not None:
            raise ClusterError(f"{node} is running")
        self._launch(node)

    # ------------------------------------------------------------------ ssh between nodes

    @property
    def ssh_dir(self) -> Path:
        return self.base / "ssh"

    @property
    def ssh_config(self) -> Path:
        """The client's ssh_config: ``Host node1`` … by address, with the throwaway key
        and the known_hosts file (host key checking stays on)."""
        return self.ssh_dir / "ssh_config"

    def address(self, node: str) -> str:
        return f"{self.net}.{self.nodes.index(node) + 1}"

    def ssh_missing(self) -> str | None:
        """Why the nodes run no sshd (a skip reason), or None when they do."""
        if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
            return "the nodes' sshd needs openssh-server and openssh-client"
        if not self.ssh_config.exists():
            return "the cluster was started without sshd"
        return None

    def _make_ssh(self) -> None:
        if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
            return  # no sshd on the nodes: the tests over ssh skip (ssh_missing)
        where = self.ssh_dir
        where.mkdir(mode=0o700)
        for name in ("host", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hdl-live",
                            "-f", str(where / name)], check=True, capture_output=True)
        (where / "authorized_keys").write_text((where / "client.pub").read_text())
        host_key = (where / "host.pub").read_text().strip()
        (where / "known_hosts").write_text(
            "".join(f"{self.address(node)} {host_key}\n" for node in self.nodes))
        self.ssh_config.write_text("".join(
            f"Host {node}\n    HostName {self.address(node)}\n    User root\n"
            f"    IdentityFile {where / 'client'}\n    IdentitiesOnly yes\n"
            f"    UserKnownHostsFile {where / 'known_hosts'}\n"
            "    GlobalKnownHostsFile /dev/null\n" for node in self.nodes))
        for node in self.nodes:
            (where / f"sshd_config-{node}").write_text(
                f"Port 22\nListenAddress {self.address(node)}\nHostKey {where / 'host'}\n"
                f"AuthorizedKeysFile {where / 'authorized_keys'}\nPidFile none\n"
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                "PermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n"
                "MaxSessions 50\nMaxStartups 50\n")

    def _start_sshd(self, node: str) -> None:
        """sshd in ``node``'s namespaces (its /run is private: the privilege separation
        directory is made there), waited for until it listens."""
        config = self.ssh_dir / f"sshd_config-{node}"
        if not config.exists():
            return
        made = self.run(node, ["mkdir", "-p", "-m", "0755", "/run/sshd"])
        if made.returncode != 0:
            raise ClusterError(f"mkdir /run/sshd on {node}: {made.stderr.strip()}")
        if Path(ROOT_BASHRC).exists() and Path(DEBIAN_BASHRC).exists():
            # A node's root has Debian's own .bashrc, not this machine's (which may run
            # `pyenv init`, 0.2–0.4 s per ssh channel: bash reads it for every command sshd
            # runs). Private to the node: its mount namespace is its own.
            self.run(node, ["mount", "--bind", DEBIAN_BASHRC, ROOT_BASHRC])
        with open(self.node_dir(node) / "sshd.log", "ab") as log:
            self._sshds[node] = subprocess.Popen(
                self.argv(node, [SSHD, "-D", "-e", "-f", str(config)]),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env=_env())
        server = self._sshds[node]

        def listening() -> bool | None:
            if server.poll() is not None:
                log_text = (self.node_dir(node) / "sshd.log").read_text(errors="replace")
                raise ClusterError(f"sshd on {node} exited {server.returncode}: "
                                   f"{log_text[-1000:]}")
            done = self.run(node, ["ss", "-Hltn", f"src {self.address(node)}:22"])
            return True if done.stdout.strip() else None
        poll(f"sshd on {node} listening", listening, 20, interval=0.05)

    # ------------------------------------------------------------------ inside a node

    def pid(self, node: str) -> int | None:
        """The pid of ``node``'s first process, or None if the node is down."""
        try:
            pid = int((self.node_dir(node) / "init.pid").read_text())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def argv(self, node: str, argv: Sequence[str]) -> list[str]:
        """``argv`` as run inside ``node``: its network, mount and UTS namespaces."""
        pid = self.pid(node)
        if pid is None:
            raise ClusterError(f"{node} is not running")
        return ["nsenter", "-t", str(pid), "-n", "-m", "-u", "--", *argv]

    def run(self, node: str, argv: Sequence[str], timeout: float = 60,
            env: Mapping[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside ``node`` (never through a shell); its output as text."""
        full = {**_env(), **(env or {})}
        return subprocess.run(self.argv(node, argv), capture_output=True, text=True,
                              timeout=timeout, env=full, check=False,
                              input=input, stdin=None if input is not None
                              else subprocess.DEVNULL)

    def crm_mon(self, node: str | None = None) -> CrmMon | None:
        """crm_mon on ``node`` (default: the first running node), or None if it fails."""
        node = node or self.up()[0]
        try:
            done = self.run(node, ["crm_mon", "--output-as=xml"], timeout=30)
        except (ClusterError, subprocess.TimeoutExpired):
            return None
        self._last_mon = done.stdout or done.stderr
        if done.returncode != 0:
            return None
        try:
            return parse_crm_mon(done.stdout)
        except ET.ParseError:
            return None

    def crm_mon_text(self, node: str | None = None) -> str:
        """crm_mon's text view (with fail counts), for messages when a test fails."""
        try:
            done = self.run(node or self.up()[0], ["crm_mon", "-1", "-r", "-f", "-A"],
                            timeout=30)
        except (ClusterError, subprocess.TimeoutExpired, IndexError) as err:
            return f"(crm_mon: {err})"
        return done.stdout + done.stderr

    def constraints(self, node: str | None = None) -> tuple[Mapping[str, str], ...]:
        """Every constraint of the live CIB, as its element's attributes plus ``tag``."""
        done = self.run(node or self.up()[0], ["cibadmin", "-Q", "-o", "constraints"])
        if done.returncode != 0:
            raise ClusterError(f"cibadmin -Q: {done.stderr.strip()}")
        root = ET.fromstring(done.stdout)
        return tuple({"tag": c.tag, **c.attrib} for c in root)

    def cli_constraints(self, node: str | None = None) -> tuple[Mapping[str, str], ...]:
        """The ``cli-prefer-*`` / ``cli-ban-*`` constraints that move / ban leave."""
        return tuple(c for c in self.constraints(node) if c.get("id", "").startswith("cli-"))

    def up(self) -> list[str]:
        """The nodes whose processes run (not crashed)."""
        return [node for node in self.nodes if self.pid(node) is not None]

    # ------------------------------------------------------------------ waiting

    def wait_for(self, what: str, check: Callable[[CrmMon], bool], timeout: float = 60,
                 node: str | None = None) -> CrmMon:
        """Poll crm_mon on ``node`` until ``check`` holds; ClusterError with the last view."""
        def probe() -> CrmMon | None:
            mon = self.crm_mon(node)
            return mon if mon is not None and check(mon) else None
        return poll(what, probe, timeout, last=lambda: self._last_mon)

    def wait_settled(self, timeout: float = START_TIMEOUT, node: str | None = None,
                     changed: bool = True) -> CrmMon:
        """Until every node is up and everything runs, then ``crm_resource --wait``.

        Args:
            timeout: seconds for all of it.
            node: where to look from (default: the first node up).
            changed: False when nothing was just changed: then a DC whose controller is
                idle (no transition running) is enough, and the 2 s that
                ``crm_resource --wait`` costs at the least are saved.
        """
        deadline = time.monotonic() + timeout
        mon = self.wait_for("every node online, every resource running",
                            lambda m: is_baseline(m, self.up()) is None, timeout, node)
        if not changed and self.dc_idle(mon, node):
            return mon
        left = max(5, int(deadline - time.monotonic()))
        done = self.run(node or self.up()[0],
                        ["crm_resource", "--wait", f"--timeout={left}s"], timeout=left + 10)
        if done.returncode != 0:
            raise ClusterError(f"crm_resource --wait: {done.stdout}{done.stderr}"
                               f"\n{self.crm_mon_text(node)}")
        return self.crm_mon(node) or mon

    def fail_monitor(self, rsc: str, timeout: float = 60) -> tuple[str, CrmMon]:
        """Make ``rsc``'s next monitor fail where it runs; wait for crm_mon's failure.

        ocf:pacemaker:Dummy answers "not running" once its state file is gone from the
        node's private /run. Pacemaker then records the failure (fail count 1) and
        recovers the resource in place.

        Returns:
            The node it failed on, and the crm_mon that shows the failure.
        """
        mon = self.wait_for(f"{rsc} running", lambda m: len(m.where(rsc)) == 1, timeout)
        (node,) = mon.where(rsc)
        gone = self.run(node, ["rm", "-f", f"/run/Dummy-{rsc}.state"])
        if gone.returncode != 0:
            raise ClusterError(f"rm on {node}: {gone.stderr.strip()}")
        return node, self.wait_for(f"a failed monitor of {rsc} on {node}",
                                   lambda m: bool(m.failures_of(rsc)), timeout)

    def dc_idle(self, mon: CrmMon, node: str | None = None) -> bool:
        """Whether the DC's controller is idle (S_IDLE: no transition in progress)."""
        if mon.dc is None:
            return False
        done = self.run(node or self.up()[0],
                        ["crmadmin", "--output-as=xml", "-S", mon.dc], timeout=30)
        try:
            crmd = ET.fromstring(done.stdout).find("crmd")
        except ET.ParseError:
            return False
        return crmd is not None and crmd.get("state") == "S_IDLE"

    # ------------------------------------------------------------------ back to the seed

    def restore(self, timeout: float = START_TIMEOUT) -> CrmMon:
        """Undo what a test left, with Pacemaker's own tools, and wait until settled.

        Crashed nodes revived; maintenance-mode, node standby / maintenance (both
        lifetimes), cli- constraints, target-role / is-managed meta attributes and
        failures removed. Only what is there is undone, so a clean cluster costs one read
        of crm_mon and one of the CIB. Placement is left as it is (stickiness keeps it).
        """
        revived = [node for node in self.nodes if self.pid(node) is None]
        for node in revived:
            self.revive(node)
        mon = self.wait_for("every node online", lambda m: set(self.nodes) <= m.online()
                            and m.dc is not None, timeout)
        at = self.nodes[0]
        fixes: list[list[str]] = []
        if mon.maintenance_mode:
            fixes.append(["crm_attribute", "-t", "crm_config", "-n", "maintenance-mode",
                          "-D"])
        for node in self.nodes:
            for flag in ("standby", "maintenance"):
                if mon.node_flag(node, flag):
                    fixes += [["crm_attribute", "-N", node, "-n", flag, "-D"],
                              ["crm_attribute", "-N", node, "-n", flag, "-l", "reboot",
                               "-D"]]
        for rsc in sorted({c.get("rsc", "") for c in self.cli_constraints(at)} - {""}):
            fixes.append(["crm_resource", "--clear", "-r", rsc])
        for rsc, name in self._meta_set(at):
            fixes.append(["crm_resource", "-r", rsc, "--meta", "-d", name])
        for argv in fixes:
            self.run(at, argv)
        if mon.failures or fixes:
            self.run(at, ["crm_resource", "--cleanup"])
        return self.wait_settled(timeout, at,
                                 changed=bool(revived or fixes or mon.failures))

    def _meta_set(self, node: str) -> list[tuple[str, str]]:
        """(resource, name) of each target-role / is-managed meta attribute in the CIB."""
        done = self.run(node, ["cibadmin", "-Q", "-o", "resources"])
        if done.returncode != 0:
            raise ClusterError(f"cibadmin -Q -o resources: {done.stderr.strip()}")
        root = ET.fromstring(done.stdout)
        found: list[tuple[str, str]] = []
        for owner in root.iter():
            if owner.tag not in ("primitive", "clone", "group"):
                continue
            for meta in owner.findall("meta_attributes"):
                for pair in meta.findall("nvpair"):
                    if pair.get("name") in ("target-role", "is-managed"):
                        found.append((owner.get("id", ""), pair.get("name", "")))
        return found

    # ------------------------------------------------------------------ internals

    def _ip(self, *args: str) -> None:
        done = _quiet(["ip", *args])
        if done.returncode != 0:
            raise ClusterError(f"ip {' '.join(args)}: {done.stderr.strip()}")

    def _make_node(self, node: str, number: int) -> None:
        d = self.node_dir(node)
        for sub in ("etc-corosync", "lib-corosync", "log-corosync", "log-pacemaker",
                    "lib-pacemaker/cib", "lib-pacemaker/pengine", "lib-pacemaker/blackbox",
                    "lib-pacemaker/cores", "lib-pacemaker/bundles"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(self.base / "corosync.conf", d / "etc-corosync" / "corosync.conf")
        (d / "lib-pacemaker" / "cib" / "cib.xml").write_text(seed_cib())
        for top in ("lib-pacemaker", "log-pacemaker"):
            subprocess.run(["chown", "-R", "hacluster:haclient", str(d / top)], check=True)
        for kept in (d / "lib-pacemaker").iterdir():
            kept.chmod(0o750)
        ns, peer = self.netns(node), f"{self.prefix}-v{number}"
        self._ip("netns", "add", ns)
        self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", peer,
                 "netns", self.switch)
        self._ip("-n", self.switch, "link", "set", peer, "master", "br0", "up")
        self._ip("-n", ns, "addr", "add", f"{self.net}.{number}/24", "dev", "eth0")
        self._ip("-n", ns, "link", "set", "eth0", "up")

    def _launch(self, node: str) -> None:
        d = self.node_dir(node)
        (d / "init.pid").unlink(missing_ok=True)
        with open(d / "init.log", "ab") as log:
            self._inits[node] = subprocess.Popen(
                ["ip", "netns", "exec", self.netns(node), "unshare", "-m", "-u",
                 "--propagation", "private", "--", sys.executable, str(NODE_INIT), node,
                 str(d)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env=_env())
        init = self._inits[node]

        def started() -> int | None:
            if init.poll() is not None:
                log_text = (d / "init.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"{node} did not start (exit {init.returncode}):\n"
                                   f"{log_text}")
            return self.pid(node)
        poll(f"{node} starting", started, 60, interval=0.1)
        self._start_sshd(node)

    def _kill_netns(self, ns: str) -> None:
        def pids() -> list[int]:
            out = _quiet(["ip", "netns", "pids", ns]).stdout
            return [int(p) for p in out.split() if p.isdigit()]

        def gone() -> bool | None:
            left = pids()
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return True if not left else None
        poll(f"every process of {ns} killed", gone, 30, interval=0.1)


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --------------------------------------------------------------------------- by hand

USAGE = """usage: python -m tests.live.cluster start | stop | status | crash NODE | revive NODE
                                  | exec NODE ARGV...

start: the seeded three-node cluster, left running (a crashed run's leftovers removed
first); stop: all of it removed; exec: ARGV inside NODE, e.g.
  python -m tests.live.cluster exec node1 $PWD/.venv/bin/python $PWD/bench/actions.py --live
(inside a node the working directory is /: give absolute paths)."""


def main(argv: Sequence[str]) -> int:
    """The cluster by hand, for a person or a benchmark; the tests use the fixture."""
    cluster = LiveCluster()
    match list(argv):
        case ["start"]:
            reason = unavailable()
            if reason is not None:
                print(f"cannot start: {reason}", file=sys.stderr)
                return 1
            cluster.start()
            print(cluster.crm_mon_text())
        case ["stop"]:
            cluster.remove()
        case ["status"]:
            for node in cluster.nodes:
                pid = cluster.pid(node)
                print(f"{node}: {f'up, pid {pid}' if pid else 'down'}")
            if cluster.up():
                print(cluster.crm_mon_text())
        case ["crash", node]:
            cluster.crash(node)
        case ["revive", node]:
            cluster.revive(node)
        case ["exec", node, *command] if command:
            return subprocess.run(cluster.argv(node, command), env=_env(),
                                  check=False).returncode
        case _:
            print(USAGE, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
