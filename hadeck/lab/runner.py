"""The lab at the runner boundary: each lab node answers the real commands.

A :class:`LabRunner` is a :class:`~hadeck.runner.Runner` for one lab node. Reads are
answered in the real tools' exact formats (Pacemaker's by the real ``crm_mon`` and
``cibadmin`` against the lab's CIB; DRBD, guests, LVS, corosync and host from the lab's
world through :mod:`hadeck.lab.formats`), so the sources and parsers that read a real
cluster read the lab unchanged. Writes — the operator commands an action would run — change
the lab as they would change a real cluster: Pacemaker commands run for real against the
CIB and the scheduler converges; ``drbdadm`` and ``ipvsadm`` change the world.

A failed node answers nothing, the way an unreachable ssh host does; injected tool faults
make one tool hang, print garbage or be missing.

:meth:`LabRunner.stream` follows ``drbdsetup events2 [--statistics]`` as the real command
does without ``--now``: the ``exists`` dump, ``exists -``, then ``create``/``change``/
``destroy`` lines whenever the node's rendered DRBD state changes (the world is looked at
every 0.25 s). A ``change`` line carries the identity keys and only the groups that
changed, as DRBD prints them (:func:`events2_changes`).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hadeck.collect import Access
from hadeck.lab import derive, provision
from hadeck.lab import storage as lab_storage
from hadeck.lab.errors import LabError
from hadeck.lab.formats import corosync as corosync_fmt
from hadeck.lab.formats import drbd as drbd_fmt
from hadeck.lab.formats import guests as guests_fmt
from hadeck.lab.formats import host as host_fmt
from hadeck.lab.formats import keepalived as keepalived_fmt
from hadeck.lab.formats import lvs as lvs_fmt
from hadeck.lab.formats import ping as ping_fmt
from hadeck.lab.formats import storage as storage_fmt
from hadeck.lab.world import Lab, LabState, drbd_connected, resync_progress
from hadeck.model import HostMetrics
from hadeck.probes import ping as ping_batch
from hadeck.runner import (
    DEFAULT_TIMEOUT,
    CommandResult,
    LineStream,
    Runner,
    failure,
    not_found,
)
from hadeck.sources import host as host_source
from hadeck.sources import lvm as lvm_source

if TYPE_CHECKING:
    from hadeck.snmp.agent import SnmpAgent
    from hadeck.snmp.poller import Answers

GARBAGE = "\x1b[7m%%%% lab: garbage %%%%\n\x00\x01\x02 not the tool's output }{\n"
MAX_HANG = 3600.0

PACEMAKER_WRITERS = ("crm_resource", "crm_attribute", "crm_standby", "crm_failcount")
CIBADMIN_WRITES = ("--patch", "-P", "--create", "-C", "--modify", "-M", "--replace", "-R",
                   "--delete", "-D", "--delete-all", "-d", "--erase", "-E")
"""cibadmin's writing commands: the lab converges after them as after crm_resource."""
READ_ONLY_FLAGS = {
    "crm_resource": ("--locate", "-W", "--why", "-Y", "--constraints", "-a", "--list", "-l",
                     "--query-xml", "-q", "--list-raw", "-O", "--list-operations",
                     "--list-agents", "--list-standards", "--get-parameter", "-g"),
    "crm_attribute": ("-G", "--query"),
    "crm_standby": ("-G", "--query"),
    "crm_failcount": ("-G", "--query"),
}
"""Options that make a Pacemaker command a query: those need no scheduler run."""
PACEMAKER_READERS = ("crm_mon", "cibadmin", "crm_simulate", "crm_verify")

VERSIONS = {
    ("corosync", "-v"): "Corosync Cluster Engine, version '3.1.7'\n",
    ("drbdadm", "--version"): "DRBDADM_BUILDTAG=GIT-hash:\\ lab\nDRBDADM_API_VERSION=2\n"
                              "DRBD_KERNEL_VERSION_CODE=0x090205\nDRBD_KERNEL_VERSION=9.2.5\n"
                              "DRBDADM_VERSION_CODE=0x091a00\nDRBDADM_VERSION=9.26.0\n",
    ("ipvsadm", "--version"): "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n",
    ("virsh", "--version"): "9.0.0\n",
    ("keepalived", "--version"): "Keepalived v2.2.7 (01/16,2022)\n",
    ("uname", "-r"): "6.1.0-lab-amd64\n",
}


def _crm_mon_down(args: tuple[str, ...]) -> tuple[str, str, int]:
    if any(a in ("--output-as=xml", "--as-xml") for a in args):
        # Pacemaker 2.1.5's crm_mon on a node whose cluster stack is not running.
        request = " ".join(args)
        return (f'<pacemaker-result api-version="2.25" request="{request}">\n'
                '  <status code="102" message="Not connected">\n'
                "    <errors>\n"
                "      <error>error: Could not connect to launcher: Connection refused</error>\n"
                "      <error>crm_mon: Connection to cluster failed: Connection refused</error>\n"
                "    </errors>\n  </status>\n</pacemaker-result>\n", "", 102)
    return "", "crm_mon: Connection to cluster failed: Connection refused\n", 102


_PACEMAKER_DOWN = ("", "Could not connect to the CIB: Transport endpoint is not connected\n"
                       "Init failed, could not perform requested operations\n", 102)

STACK_DOWN: dict[str, Callable[[tuple[str, ...]], tuple[str, str, int]]] = {
    "crm_mon": _crm_mon_down,
    **{tool: lambda args: _PACEMAKER_DOWN
       for tool in ("cibadmin", *PACEMAKER_WRITERS, "crm_node")},
    "corosync-cfgtool": lambda args: (
        "", "Could not initialize corosync configuration API error 2\n", 1),
    "corosync-quorumtool": lambda args: ("", "Cannot initialize CMAP service\n", 1),
}
"""What the cluster tools answer on a node whose corosync was killed (stdout, stderr,
exit), as the real ones do with no corosync (captured on Debian 12: corosync 3.1.7,
Pacemaker 2.1.5)."""


class LabRunner(Runner):
    """One node of the lab."""

    def __init__(self, lab: Lab, node: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.lab = lab
        self.node = node
        self.timeout = timeout

    # ------------------------------------------------------------------ boundary

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = tuple(argv)
        timeout = self.limit(timeout)
        start = time.monotonic()
        state = self.lab.read()
        refused = self._refuse(state, args[0], args, timeout)
        if refused is not None:
            return refused
        try:
            result = self._answer(state, args, timeout, input)
        except LabError as exc:
            result = CommandResult(args, "", f"{exc}\n", 1)
        return dataclasses.replace(result, duration=time.monotonic() - start)

    def stream(self, argv: Sequence[str]) -> LineStream:
        """Follow ``drbdsetup events2 [--statistics]`` (no ``--now``) on this node.

        Anything else cannot be followed in the lab: the stream ends at once, with the
        reason in ``error``.
        """
        args = tuple(argv)
        if args not in STREAMS:
            return LineStream(args, error=f"{args[0]}: the lab follows only "
                                          "'drbdsetup events2 [--statistics]'")
        return LabStream(self, args)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        args = ("cat", path)
        timeout = self.limit(timeout)
        state = self.lab.read()
        refused = self._refuse(state, path, args, timeout)
        if refused is not None:
            return refused
        answer = self._file(state, path)
        if answer is None:
            return failure(args, "missing", f"{path}: no such file")
        return CommandResult(args, answer)

    def _refuse(
        self, state: LabState, tool: str, args: tuple[str, ...], timeout: float
    ) -> CommandResult | None:
        """A failed node, or an injected fault of this tool; None when it may answer."""
        if self.node not in state.all_nodes():
            return failure(args, "unreachable", (
                f"ssh {self.node}: ssh: Could not resolve hostname {self.node}: "
                "Name or service not known"))
        if not state.up(self.node):
            return failure(args, "unreachable", (
                f"ssh {self.node}: ssh: connect to host {self.node} port 22: "
                "No route to host"))
        if self.node in state.corosync_killed:
            stack_down = STACK_DOWN.get(tool)
            if stack_down is not None:
                return CommandResult(args, *stack_down(args))
        fault = state.fault(self.node, tool)
        if fault == "missing":
            if tool.startswith("/"):
                return failure(args, "missing", f"{tool}: no such file")
            return not_found((tool, *args[1:]))
        if fault == "hang":
            time.sleep(min(timeout, MAX_HANG))
            return failure(args, "timeout", f"{args[0]}: timed out after {timeout:g} s")
        if fault == "garbage":
            return CommandResult(args, GARBAGE)
        return None

    # ------------------------------------------------------------------ commands

    def _answer(
        self, state: LabState, args: tuple[str, ...], timeout: float, input: str | None
    ) -> CommandResult:
        tool = args[0]
        if args in VERSIONS:
            return CommandResult(args, VERSIONS[args])
        if tool in PACEMAKER_READERS or tool in PACEMAKER_WRITERS:
            return self._pacemaker(state, args, timeout, input)
        handler = _READS.get(args)
        if handler is not None:
            text = handler(self, state)
            if text is None:
                return _not_found(args)
            return CommandResult(args, text, "", 0)
        if tool == "corosync-quorumtool" and args[1:] == ("-s",):
            status = derive.corosync(state, self.node)
            if status is None or status.quorum is None:
                return _not_found(args)
            return CommandResult(args, corosync_fmt.quorumtool(status.quorum, state.now),
                                 "", 0 if status.quorum.quorate else 2)
        if tool == "drbdadm":
            return self._drbdadm(state, args)
        if tool in ("lvcreate", "lvremove"):
            return provision.lvm(self.lab, state, self.node, args)
        if tool == "dd":
            return provision.write(self.lab, state, self.node, args, input)
        if tool == "rm" and args[1:2] == ("--",) and len(args) == 3:
            return provision.remove(self.lab, state, self.node, args)
        if tool == "ipvsadm":
            return self._ipvsadm(state, args)
        if tool == "virsh" and len(args) > 1 and args[1] == "migrate":
            return self._migrate(state, args)
        if tool == "ping":
            return self._ping(state, args)
        if tool in ("rdiff-backup", "find", "zcat"):
            return self._backup(state, args)
        if args[:4] == ("sh", "-c", ping_batch.BATCH, "hadeck-ping") and len(args) >= 7:
            return self._ping_batch(state, args)
        return _not_found(args)

    def _ping_batch(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """The probes' batched ping (:data:`hadeck.probes.ping.BATCH`): each host's
        ``ping`` answer after its ``== hadeck-ping N EXIT`` line, as the script prints."""
        count, wait, interval, hosts = args[4], args[5], args[6], args[7:]
        parts = []
        for number, host in enumerate(hosts, start=1):
            one = self._ping(state, ("ping", "-n", "-c", count, "-W", wait, "-i", interval,
                                     "--", host))
            parts.append(f"== hadeck-ping {number} {one.returncode}\n{one.stdout}{one.stderr}")
        return CommandResult(args, "".join(parts))

    def _ping(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """``ping -n -c N … HOST``: the ping nodes answer unless ``ping-lost`` cut them off
        from this node; a node's corosync address answers while that node is up."""
        host = args[-1]
        try:
            count = int(_option(args, "-c", "--count") or "3")
            interval = float(_option(args, "-i", "--interval") or "1")
        except ValueError:
            return CommandResult(args, "", "ping: invalid argument\n", 2)
        owner = next((n for n, a in state.topology.node_addresses.items() if a == host), None)
        if host in state.topology.ping_nodes:
            answers = self.node not in state.world["ping_lost"]
        else:
            answers = owner is not None and state.up(owner)
        rtts = [0.25 + 0.01 * (i % 3) for i in range(count)] if answers else []
        text, code = ping_fmt.ping(host, count, rtts, interval)
        return CommandResult(args, text, "", code)

    def _migrate(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """``virsh migrate [--live] [options] DOMAIN DESTURI``: the guest moves, behind
        Pacemaker's back, as it would on a real cluster."""
        words = [a for a in args[2:] if not a.startswith("-")]
        if len(words) < 2:
            return CommandResult(args, "", "error: command 'migrate' requires <domain> and "
                                           "<desturi> options\n", 1)
        name, uri = words[0], words[1]
        dest = uri.split("://", 1)[-1].split("/", 1)[0].split("@")[-1]
        guests = {str(g["name"]): g for g in state.topology.guests}
        if name not in guests or state.guest_node(name) != self.node:
            return CommandResult(args, "", f"error: failed to get domain '{name}'\n", 1)
        if dest not in state.drbd_nodes(str(guests[name]["drbd"])) or not state.up(dest):
            return CommandResult(args, "", f"error: unable to connect to server at "
                                           f"'{dest}:22': No route to host\n", 1)
        with self.lab.changing() as world:
            world.setdefault("guest_at", {})[name] = dest
        return CommandResult(args, "")

    def _pacemaker(
        self, state: LabState, args: tuple[str, ...], timeout: float, input: str | None
    ) -> CommandResult:
        if self.node not in state.topology.cluster_nodes:
            return _not_found(args)
        scenario = self.lab.scenario
        writes = (args[0] in PACEMAKER_WRITERS and not any(
            flag in args for flag in READ_ONLY_FLAGS[args[0]])) or (
            args[0] == "cibadmin" and any(flag in args for flag in CIBADMIN_WRITES))
        if not writes:
            with self.lab._locked(exclusive=False):
                # The real crm_mon on the lab's CIB, with this node's timeout as on a
                # real node: a big CIB takes seconds (see LabAccess).
                return scenario.runner.run(args, timeout=timeout, input=input)
        if args[0] == "crm_resource" and any(a in args for a in ("--cleanup", "-C",
                                                                 "--refresh", "-R")):
            rsc = _option(args, "-r", "--resource")
            node = _option(args, "-N", "--node")
            with self.lab.changing():
                scenario.cleanup(rsc, node)
            return CommandResult(args, f"Cleaned up {rsc or 'all resources'}"
                                       f"{' on ' + node if node else ''}\n")
        if args[0] == "crm_resource" and "--wait" in args:
            with self.lab.changing():
                scenario.converge()
            return CommandResult(args, "")
        with self.lab.changing() as world:
            result = scenario.runner.run(args, timeout=timeout, input=input)
            if result.ok:
                # A new guest's DRBD clone: the scores its agent would set, so that the
                # scheduler promotes it (hadeck new-guest adds the CIB last).
                for node, attrs in provision.after_cib_change(
                        world, scenario.cib.read_text()).items():
                    scenario.add_agent_attributes(node, attrs)
                scenario.converge()
                _forget_manual_changes(world)
        return result

    def _backup(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """rdiff-backup's session list, the ``find`` of rdiff-backup-data's markers and
        logs, and ``zcat`` of its error log, for the lab's repositories
        (:mod:`hadeck.lab.storage`)."""
        path = args[1] if args[0] == "find" and len(args) > 1 else args[-1]
        found = lab_storage.backup(state, self.node, path.split("/rdiff-backup-data")[0])
        if args[0] == "rdiff-backup" and args[1:-1] in (
                ("--parsable-output", "list", "increments"), ("--parsable-output", "-l")):
            if found is None:  # rdiff-backup 2.2.2's words, exit 1
                return CommandResult(args, "", (
                    f"ERROR: Path '{path}' couldn't be identified as being within an "
                    "existing backup repository\nERROR: Action list failed on step check\n"),
                    1)
            return CommandResult(args, storage_fmt.increments(found[0]))
        if args[0] == "find" and path.endswith("/rdiff-backup-data"):
            if found is None:  # GNU find's words, exit 1
                return CommandResult(args, "", f"find: '{path}': No such file or "
                                               "directory\n", 1)
            return CommandResult(args, storage_fmt.data_dir(*found))
        if args[0] == "zcat" and len(args) == 2 and found is not None \
                and "/rdiff-backup-data/error_log." in path:
            return CommandResult(args, found[1])
        return _not_found(args)

    def _file(self, state: LabState, path: str) -> str | None:
        node = self.node
        if "/rdiff-backup-data/error_log." in path:
            found = lab_storage.backup(state, node, path.split("/rdiff-backup-data")[0])
            return found[1] if found is not None else None
        if path == "/proc/drbd":
            return drbd_fmt.proc_drbd_9() if node in state.topology.guest_nodes else None
        if path == "/proc/mdstat":
            return host_fmt.mdstat(derive.host(state, node).md_arrays)
        proc = _PROC_HOST.get(path)
        if proc is not None:
            return proc(derive.host(state, node))
        director = derive.director(state, node)
        if path == "/proc/net/ip_vs":
            return lvs_fmt.proc_ip_vs(director.services) if director else None
        if path == "/proc/net/ip_vs_stats":
            if director is None or director.totals is None:
                return None
            return lvs_fmt.proc_ip_vs_stats(director.totals)
        if path == "/tmp/keepalived.json":
            instances = derive.vrrp(state, node)
            return keepalived_fmt.json_dump(instances) if instances else None
        if path == "/etc/keepalived/keepalived.conf":
            instances = derive.vrrp(state, node)
            if not instances:
                return None
            first = state.topology.directors[0] == node
            return keepalived_fmt.config(
                state.topology.services, state.topology.vrrp_instance,
                instances[0].priority or 100, instances[0].virtual_ips,
                "MASTER" if first else "BACKUP")
        return None

    # ------------------------------------------------------------------ DRBD

    def _drbdadm(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        words = [a for a in args[1:] if not a.startswith("-")]
        if not words:
            return CommandResult(args, "", "USAGE: drbdadm COMMAND [OPTION...] "
                                           "{all|RESOURCE...}\n", 20)
        verb, targets = words[0], words[1:]
        # RES, RES:PEER (a DRBD 9 connection), RES/VOL: the resource is what precedes.
        names = [re.split(r"[:/]", t, maxsplit=1)[0] for t in targets]
        if verb == "dump" and names in ([], ["all"]):
            return self._drbdadm_dump(state, args)
        if names:
            made = provision.drbdadm(self.lab, state, self.node, verb, names[0], args)
            if made is not None:
                return made
        if verb == "status":
            mine = derive.drbd_resources(state, self.node)
            if names:
                mine = tuple(r for r in mine if r.name in names)
            return CommandResult(args, drbd_fmt.drbdadm_status(mine))
        if not names:
            return CommandResult(args, "", f"drbdadm {verb}: missing resource name\n", 20)
        for name in names:
            if name not in state.world["drbd"] or self.node not in state.drbd_nodes(name):
                return CommandResult(args, "", f"'{name}' not defined in your config (for this "
                                               f"host).\n", 10)
        if verb == "dump":
            return CommandResult(args, "".join(self._drbd_dump(state, n) for n in names))
        if verb not in _DRBDADM_VERBS:
            return CommandResult(args, "", f"drbdadm: Unknown command '{verb}'\n", 20)
        if "-d" in args or "--dry-run" in args:
            return CommandResult(args, "".join(self._drbd_dry(state, verb, n, args)
                                               for n in names))
        return self._drbd_change(state, args, verb, names)

    def _drbdadm_dump(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """``drbdadm dump all``: every resource as ``drbdadm dump RES`` prints it, then the
        resource files written since (``hadeck new-guest``) not up yet."""
        written = {r.name for r in provision.written(state, self.node)}
        dumps = [self._drbd_dump(state, str(g["drbd"])) for g in state.topology.guests
                 if str(g["drbd"]) not in written]
        return CommandResult(args, "# /etc/drbd.conf\n" + "".join(dumps)
                             + provision.written_dumps(state, self.node))

    def _drbd_peer(self, state: LabState, name: str) -> tuple[str, int, int]:
        """(peer node, its DRBD node-id, the local minor) of resource ``name``."""
        a, b = state.drbd_nodes(name)
        peer = b if self.node == a else a
        minor = int(state.guest_of_drbd(name)["minor"])
        return peer, state.topology.cluster_nodes.index(peer), minor

    def _drbd_dump(self, state: LabState, name: str) -> str:
        """``drbdadm dump RES``: the configuration as drbdadm re-prints it."""
        minor = int(state.guest_of_drbd(name)["minor"])
        topo = state.topology.cluster_nodes
        hosts = "".join(
            f"    on {n} {{\n        node-id {topo.index(n)};\n"
            f"        volume 0 {{\n            device       minor {minor};\n"
            f"            disk         /dev/vg_drbd/{name};\n"
            f"            meta-disk    internal;\n        }}\n"
            f"        address          ipv4 10.0.0.{topo.index(n) + 1}:{7788 + minor};\n"
            f"    }}\n" for n in state.drbd_nodes(name))
        return (f"# resource {name} on {self.node}: not ignored, not stacked\n"
                f"# defined at /etc/drbd.d/{name}.res:1\nresource {name} {{\n{hosts}"
                f"    net {{\n        protocol           C;\n"
                f"        after-sb-0pri    disconnect;\n    }}\n}}\n\n")

    def _drbd_dry(self, state: LabState, verb: str, name: str,
                  args: tuple[str, ...]) -> str:
        """What ``drbdadm -d VERB RES`` prints on DRBD 9: the drbdsetup commands."""
        _, peer_id, minor = self._drbd_peer(state, name)
        info = state.world["drbd"][name]
        discard = " --discard-my-data" if "--discard-my-data" in args else ""
        if verb == "adjust":
            standalone = info["split_brain"] or self.node in info["standalone_on"]
            return f"drbdsetup connect {name} {peer_id}\n" if standalone else ""
        return {
            "connect": f"drbdsetup connect {name} {peer_id}{discard}\n",
            "disconnect": f"drbdsetup disconnect {name} {peer_id}\n",
            "primary": f"drbdsetup primary {name}{' --force' if '--force' in args else ''}\n",
            "secondary": f"drbdsetup secondary {name}\n",
            "verify": f"drbdsetup verify {name} {peer_id} 0\n",
            "invalidate": f"drbdsetup invalidate {minor}\n",
            "pause-sync": f"drbdsetup pause-sync {name} {peer_id} 0\n",
            "resume-sync": f"drbdsetup resume-sync {name} {peer_id} 0\n",
            "up": f"drbdsetup new-resource {name} {self.node}\n",
            "down": f"drbdsetup down {name}\n",
            "attach": f"drbdsetup attach {minor} /dev/vg_drbd/{name} "
                      f"/dev/vg_drbd/{name} internal\n",
            "detach": f"drbdsetup detach {minor}\n",
        }[verb]

    def _drbd_change(
        self, state: LabState, args: tuple[str, ...], verb: str, names: list[str]
    ) -> CommandResult:
        node = self.node
        for name in names:
            a, b = state.drbd_nodes(name)
            peer = b if node == a else a
            if verb == "primary" and state.drbd_role(name, peer) == "Primary" \
                    and state.drbd_role(name, node) != "Primary" and "--force" not in args:
                minor = state.guest_of_drbd(name)["minor"]
                return CommandResult(args, "", (
                    f"{name}: State change failed: (-1) Multiple primaries not allowed by "
                    f"config\nCommand 'drbdsetup primary {name}' terminated with exit code "
                    f"11\n" if minor is not None else ""), 11)
            guest = str(state.guest_of_drbd(name)["name"])
            if verb == "secondary" and state.drbd_role(name, node) == "Primary" \
                    and state.guest_node(guest) == node:
                return CommandResult(args, "", (
                    f"{name}: State change failed: (-12) Device is held open by someone\n"
                    f"Command 'drbdsetup secondary {name}' terminated with exit code 11\n"),
                    11)
            connected = drbd_connected(state, name)
            info = state.world["drbd"][name]
            peer_id = state.topology.cluster_nodes.index(peer)
            if verb in ("verify", "invalidate") and not connected:
                return CommandResult(args, "", (
                    f"{name}: State change failed: (-15) Need a connection to start verify "
                    f"or resync\nCommand 'drbdsetup {verb} {name} {peer_id}' terminated "
                    f"with exit code 11\n"), 11)
            resync = info.get("resync") or {}
            syncing = connected and resync_progress(info, state.now) is not None
            if verb == "pause-sync" and (not syncing or resync.get("paused_at") is not None):
                return CommandResult(args, "", (
                    f"{name}: State change failed: (-11) Resync pause flag is already set\n"
                    if syncing else f"{name}: no resync running\n"), 11 if syncing else 10)
            if verb == "resume-sync" and resync.get("paused_at") is None:
                return CommandResult(args, "", (
                    f"{name}: State change failed: (-12) Resync pause flag is already "
                    f"cleared\n"), 11)
            if verb == "connect" and not (info["split_brain"] or node in info["standalone_on"]):
                return CommandResult(args, "", (
                    f"{name}: Failure: (125) Device has a net-config (use disconnect first)\n"
                    f"additional info from kernel:\nconnection exists\nCommand 'drbdsetup "
                    f"connect {name} {peer_id}' terminated with exit code 10\n"), 10)
        with self.lab.changing() as world:
            for name in names:
                self._drbd_apply(world, state, verb, name, args)
        return CommandResult(args, "")

    def _drbd_apply(self, world: dict[str, Any], state: LabState, verb: str, name: str,
                    args: tuple[str, ...]) -> None:
        """Change the world as ``drbdadm VERB NAME`` changes the kernel's state."""
        node = self.node
        a, b = state.drbd_nodes(name)
        peer = b if node == a else a
        info = world["drbd"][name]
        if verb == "disconnect":
            if node not in info["standalone_on"]:
                info["standalone_on"].append(node)
            connecting = info.setdefault("sb_connecting", [])
            if node in connecting:
                connecting.remove(node)
        elif verb in ("connect", "adjust"):
            info["standalone_on"] = [n for n in info["standalone_on"] if n != node]
            if info["split_brain"]:
                connecting = info.setdefault("sb_connecting", [])
                if "--discard-my-data" in args:
                    # The victim gives up its changes: the split is over once the peer
                    # connects too (it may already wait, Connecting).
                    info["split_brain"] = False
                    info["discard_on"] = node
                    if peer not in connecting:
                        info["standalone_on"].append(peer)
                    info["sb_connecting"] = []
                elif peer in connecting:
                    # Both connect keeping their data: DRBD finds the split brain again
                    # and both drop back to StandAlone.
                    info["sb_connecting"] = []
                elif node not in connecting:
                    connecting.append(node)
        elif verb in ("primary", "secondary"):
            # Held until Pacemaker acts again: its next transition re-asserts the roles it
            # wants, as the DRBD agent would.
            info.setdefault("manual_roles", {})[node] = verb.capitalize()
        elif verb == "verify":
            size = int(state.guest_of_drbd(name)["size_kib"])
            info["verify"] = {"source": node, "started": state.now, "total_kib": size,
                              "found_kib": int(info.get("verify_finds_kib", 0))}
        elif verb == "invalidate":
            # The local data is thrown away: a full resync from the peer.
            size = int(state.guest_of_drbd(name)["size_kib"])
            info["resync"] = {"source": peer, "total_kib": size, "started": state.now}
            info["verify"] = None
        elif verb == "pause-sync":
            info["resync"]["paused_at"] = state.now
        elif verb == "resume-sync":
            resync = info["resync"]
            resync["started"] += state.now - resync.pop("paused_at")

    # ------------------------------------------------------------------ LVS

    def _ipvsadm(self, state: LabState, args: tuple[str, ...]) -> CommandResult:
        """``ipvsadm -a/-e/-d`` as ipvsadm 1.31 and the kernel answer them: on this
        director's table only; what the command line leaves out takes ipvsadm's defaults
        (weight 1, direct routing); errors on stderr with exit 255 (captured on a real
        kernel: tests/fixtures/vmlab). A weight set to 0 starts a drain: the server's
        active connections finish over :data:`DRAIN_S` seconds of lab time."""
        if self.node not in state.topology.directors:
            return _not_found(args)
        op = args[1] if len(args) > 1 else ""
        if op not in ("-e", "-d", "-a", "--edit-server", "--delete-server", "--add-server"):
            return CommandResult(args, "", "ipvsadm: lab answers -Ln, --stats, --rate, "
                                           "-a/-e/-d only\n", 2)
        protocol = "UDP" if _option(args, "-u", "--udp-service") else "TCP"
        vip = _option(args, "-t", "--tcp-service") or _option(args, "-u", "--udp-service")
        rs = _option(args, "-r", "--real-server")
        weight = _option(args, "-w", "--weight")
        forward = ("Masq" if {"-m", "--masquerading"} & set(args) else
                   "Tunnel" if {"-i", "--ipip"} & set(args) else "Route")
        service = next((s for s in state.topology.services
                        if f"{s.vip}:{s.port}" == vip and s.protocol == protocol), None)
        if service is None or rs is None:
            return CommandResult(args, "", "Service not defined\n", 255)
        if forward in ("Route", "Tunnel") and op not in ("-d", "--delete-server"):
            # ipvsadm -a/-e give a directly routed or tunnelled server the service's port.
            rs = f"{rs.rpartition(':')[0] or rs}:{service.port}"
        key = f"{service.name}/{rs}"
        here = f"{self.node}|{key}"
        table = derive.director(state, self.node)
        row = next((r for s in (table.services if table else ()) for r in s.real_servers
                    if s.port == service.port and s.address == service.vip
                    and f"{service.name}/{r.key}" == key), None)
        with self.lab.changing() as world:
            weights = world["rs_weight"]
            forwards = world.setdefault("rs_forward", {})
            drained = world.setdefault("rs_drained", {})
            if op in ("-d", "--delete-server"):
                if row is None:
                    return CommandResult(args, "", "No such destination\n", 255)
                world["rs_removed"].append(here)
                world["rs_added"] = [a for a in world.get("rs_added", [])
                                     if not (a.get("director") == self.node and
                                             f"{a['service']}/{a['address']}:{a['port']}"
                                             == key)]
                drained.pop(here, None)
            elif op in ("-a", "--add-server"):
                if row is not None:
                    return CommandResult(args, "", "Destination already exists\n", 255)
                known = any(f"{service.name}/{r['address']}:{r['port']}" == key
                            for r in service.real_servers)
                if here in world["rs_removed"]:
                    world["rs_removed"].remove(here)
                if not known:
                    address, _, port = rs.rpartition(":")
                    world.setdefault("rs_added", []).append(
                        {"service": service.name, "address": address, "port": int(port),
                         "weight": int(weight or 1), "forward": forward,
                         "director": self.node})
                weights[here] = int(weight or 1)
                forwards[here] = forward
            else:
                if row is None:
                    return CommandResult(args, "", "No such destination\n", 255)
                new = int(weight or 1)
                if new == 0 and row.weight > 0:
                    drained[here] = {"at": state.now, "active": row.active_conns,
                                     "inactive": row.inactive_conns}
                elif new > 0:
                    drained.pop(here, None)
                weights[here] = new
                forwards[here] = forward
                for added in world.get("rs_added", []):
                    if added.get("director") == self.node and \
                            f"{added['service']}/{added['address']}:{added['port']}" == key:
                        added["weight"], added["forward"] = new, forward
        return CommandResult(args, "")


_DRBDADM_VERBS = ("connect", "disconnect", "adjust", "primary", "secondary", "verify",
                  "invalidate", "pause-sync", "resume-sync", "up", "down", "attach", "detach")
"""What the lab's drbdadm changes (besides ``status`` and ``dump``, which read)."""

STREAMS = (("drbdsetup", "events2", "--statistics"), ("drbdsetup", "events2"))
"""The commands :meth:`LabRunner.stream` follows."""
STREAM_TICK = 0.25
"""Seconds between two looks at the lab world while following events2."""


class LabStream(LineStream):
    """``drbdsetup events2`` without ``--now``, on a lab node (see the module docstring).

    A node that fails ends the stream the way a dropped ssh connection does; ``hang``
    prints nothing; ``garbage`` prints the garbage once, then nothing; ``missing`` (or a
    node without DRBD) cannot start.
    """

    def __init__(self, runner: LabRunner, argv: tuple[str, ...],
                 tick: float = STREAM_TICK) -> None:
        super().__init__(argv)
        self._runner = runner
        self._statistics = "--statistics" in argv
        self._tick = tick
        self._lines: deque[str] = deque()
        self._shown: str | None = None
        self._garbled = False
        self._step()

    def __next__(self) -> str:
        while not self._lines:
            if self.closed or self.error is not None:
                raise StopIteration
            self._closed.wait(self._tick)
            if not self.closed:
                self._step()
        return self._lines.popleft()

    def _step(self) -> None:
        runner = self._runner
        node = runner.node
        state = runner.lab.read()
        if node not in state.all_nodes() or not state.up(node):
            refused = runner._refuse(state, "drbdsetup", self.argv, 0.0)
            self.error = refused.error if refused is not None else None
            return
        fault = state.fault(node, "drbdsetup")
        if fault == "hang":
            return
        if fault == "garbage":
            if not self._garbled:
                self._garbled = True
                self._lines.extend(GARBAGE.splitlines(keepends=True))
            return
        if fault == "missing" or node not in state.topology.guest_nodes:
            self.error = "drbdsetup: command not found"
            return
        text = drbd_fmt.events2(derive.drbd_resources(state, node), self._statistics)
        if self._shown is None:
            self._lines.extend(text.splitlines(keepends=True))
        elif text != self._shown:
            self._lines.extend(f"{line}\n" for line in events2_changes(self._shown, text))
        self._shown = text


_IDENTITY: dict[str, tuple[str, ...]] = {
    "resource": ("name",),
    "connection": ("name", "peer-node-id", "conn-name"),
    "path": ("name", "peer-node-id", "conn-name", "local", "peer"),
    "device": ("name", "volume"),
    "peer-device": ("name", "peer-node-id", "conn-name", "volume"),
}
_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "resource": (("role",), ("suspended",), ("force-io-failures",), ("write-ordering",),
                 ("may_promote", "promotion_score")),
    "connection": (("connection",), ("role",), ("congested", "ap-in-flight", "rs-in-flight")),
    "path": (("established",),),
    "device": (("minor",), ("backing_dev", "disk", "client", "open", "quorum"),
               ("size", "read", "written", "al-writes", "bm-writes", "upper-pending",
                "lower-pending", "al-suspended", "blocked")),
    "peer-device": (("replication",), ("peer-disk", "peer-client"), ("resync-suspended",),
                    ("done", "received", "sent", "out-of-sync", "pending", "unacked",
                     "dbdt1", "eta")),
}
"""Keys DRBD prints together in a ``change`` line (drbd-utils ``drbdsetup_events2.c``;
the upstream ``events2-*.test`` outputs): a group is printed whole when one of its keys
changed, and only the identity keys otherwise."""

_Object = tuple[str, tuple[str, ...]]


def _e2_objects(text: str) -> dict[_Object, list[tuple[str, str]]]:
    objects: dict[_Object, list[tuple[str, str]]] = {}
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 3 or tokens[0] != "exists":
            continue
        # Split at the first colon: values such as ``local:ipv4:10.0.0.1:7000`` have more.
        pairs = [(key, value) for key, _, value in (t.partition(":") for t in tokens[2:])]
        values = dict(pairs)
        ident = tuple(values.get(k, "") for k in _IDENTITY.get(tokens[1], ("name",)))
        objects[(tokens[1], ident)] = pairs
    return objects


def events2_changes(before: str, after: str) -> list[str]:
    """The events2 lines that take a node from one ``exists`` dump to another.

    Args:
        before: ``drbdsetup events2 --now`` output (as rendered) the follower has seen.
        after: the current one.

    Returns:
        ``create`` lines for new objects (every key), ``change`` lines with the identity
        keys and the changed groups, then ``destroy`` lines (identity keys only, in the
        upstream order: paths, peer devices, connections, devices, resources), without
        line ends.
    """
    old, new = _e2_objects(before), _e2_objects(after)
    out: list[str] = []
    for (kind, ident), pairs in new.items():
        known = old.get((kind, ident))
        if known is None:
            out.append(" ".join(["create", kind, *(f"{k}:{v}" for k, v in pairs)]))
            continue
        was = dict(known)
        now = dict(pairs)
        changed: set[str] = set()
        for group in _GROUPS.get(kind, ()):
            if any(was.get(k) != now.get(k) for k in group):
                changed.update(group)
        # A key of a kind or group this table does not know: print it when it changed.
        changed.update(k for k in now if k not in _IDENTITY.get(kind, ())
                       and was.get(k) != now[k] and not any(k in g for g in
                                                           _GROUPS.get(kind, ())))
        if changed:
            keep = set(_IDENTITY.get(kind, ("name",))) | changed
            out.append(" ".join(["change", kind, *(f"{k}:{v}" for k, v in pairs
                                                  if k in keep)]))
    order = ("path", "peer-device", "connection", "device", "resource")
    gone = sorted((key for key in old if key not in new),
                  key=lambda key: order.index(key[0]) if key[0] in order else -1)
    for key in gone:
        kind = key[0]
        identity = set(_IDENTITY.get(kind, ("name",)))
        out.append(" ".join(["destroy", kind, *(f"{k}:{v}" for k, v in old[key]
                                                if k in identity)]))
    return out


def _forget_manual_changes(world: dict[str, object]) -> None:
    """Pacemaker acted: it re-asserts DRBD roles and guest placement it decided."""
    world.pop("guest_at", None)
    for info in world["drbd"].values():  # type: ignore[attr-defined]
        info.pop("manual_roles", None)


def _option(args: tuple[str, ...], short: str, long: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in (short, long) and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(long + "="):
            return arg.split("=", 1)[1]
    return None


def _not_found(args: tuple[str, ...]) -> CommandResult:
    return not_found(args)


def _drbd_text(render: Callable[..., str]) -> Callable[[LabRunner, LabState], str | None]:
    def answer(runner: LabRunner, state: LabState) -> str | None:
        if runner.node not in state.topology.guest_nodes:
            return None
        return render(derive.drbd_resources(state, runner.node))
    return answer


def _guests_text(render: Callable[..., str], kind: str) -> Callable[[LabRunner, LabState],
                                                                     str | None]:
    def answer(runner: LabRunner, state: LabState) -> str | None:
        if runner.node not in state.topology.guest_nodes:
            return None
        guests = [g for g in derive.guests_on(state, runner.node)
                  if (g.hypervisor == "xen") == (kind == "xen")]
        return render(guests)
    return answer


def _director_text(render: Callable[..., str]) -> Callable[[LabRunner, LabState], str | None]:
    def answer(runner: LabRunner, state: LabState) -> str | None:
        director = derive.director(state, runner.node)
        return render(director.services) if director else None
    return answer


def _cfgtool(runner: LabRunner, state: LabState) -> str | None:
    status = derive.corosync(state, runner.node)
    return corosync_fmt.cfgtool(status) if status else None


def _facts(runner: LabRunner, state: LabState) -> str | None:
    return host_fmt.facts_json(derive.host(state, runner.node))


_READS: dict[tuple[str, ...], Callable[[LabRunner, LabState], str | None]] = {
    ("drbdsetup", "events2", "--now", "--statistics"): _drbd_text(drbd_fmt.events2),
    ("drbdsetup", "status", "--json"): _drbd_text(drbd_fmt.status_json),
    ("virsh", "list", "--all"): _guests_text(guests_fmt.virsh_list, "kvm"),
    ("virsh", "list", "--all", "--name", "--autostart"):
        _guests_text(guests_fmt.virsh_autostart, "kvm"),
    ("virsh", "domstats", "--state", "--cpu-total", "--balloon", "--vcpu", "--nowait"):
        _guests_text(guests_fmt.virsh_domstats, "kvm"),
    ("virsh", "uri"): lambda runner, state: (
        "qemu:///system\n\n" if runner.node in state.topology.guest_nodes else None),
    ("xl", "list"): _guests_text(guests_fmt.xl_list, "xen"),
    ("ipvsadm", "-Ln"): _director_text(lvs_fmt.ipvsadm_ln),
    ("ipvsadm", "-Ln", "--stats", "--exact"): _director_text(
        lambda services: lvs_fmt.ipvsadm_stats(services, exact=True)),
    ("ipvsadm", "-Ln", "--rate"): _director_text(lvs_fmt.ipvsadm_rate),
    ("corosync-cfgtool", "-s"): _cfgtool,
    ("python3", "-m", "hadeck.sources.host"): _facts,
    host_source.PROC_STAT.argv: lambda runner, state: host_fmt.proc_stat(
        derive.host(state, runner.node)),
    host_source.DF.argv: lambda runner, state: host_fmt.df(derive.host(state, runner.node)),
    lvm_source.VGS.argv: lambda runner, state: _lvm(runner, state, 0),
    lvm_source.LVS.argv: lambda runner, state: _lvm(runner, state, 1),
}


def _lvm(runner: LabRunner, state: LabState, which: int) -> str | None:
    found = lab_storage.lvm(state, runner.node)
    if found is None:
        return None
    return storage_fmt.vgs_json(found[0]) if which == 0 else storage_fmt.lvs_json(found[1])

_PROC_HOST: dict[str, Callable[[HostMetrics], str]] = {
    str(command.path): render for command, render in (
        (host_source.PROC_LOADAVG, host_fmt.loadavg), (host_source.PROC_MEMINFO, host_fmt.meminfo),
        (host_source.PROC_UPTIME, host_fmt.uptime), (host_source.PROC_MOUNTS, host_fmt.mounts))
}
"""A peer's /proc files that hadeck reads for its host facts (:mod:`hadeck.sources.host`)."""


class LabAccess(Access):
    """The lab seen from one of its nodes, as an operator logged in there sees it.

    Args:
        lab: the lab.
        node: the node it is seen from (default: the first cluster node that is up).
        timeout: seconds each command may take, as ``[cluster] timeout`` on a real
            cluster; the real crm_mon on the lab's CIB gets it too. Not scaled by the
            lab's size, as it is not on a real cluster (where the size is learned from the
            very command that would need it): the real crm_mon on a 16-node, 500-guest CIB
            (2.5 MB of XML) took 10–21 s on a loaded 2-core machine, and a cluster that
            size needs the setting raised, in the lab as in production.
    """

    origin = "lab"

    def __init__(self, lab: Lab, node: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.lab = lab
        self.timeout = timeout
        state = lab.read()
        if node is None:
            node = next((n for n in state.topology.cluster_nodes if state.up(n)),
                        state.topology.cluster_nodes[0])
        self._runners: dict[str, LabRunner] = {}
        super().__init__(self.runner(node))

    def runner(self, node: str) -> Runner:
        if node not in self._runners:
            self._runners[node] = LabRunner(self.lab, node, self.timeout)
        return self._runners[node]

    def nodes(self) -> tuple[str, ...]:
        return tuple(self.lab.read().all_nodes())

    def snmp_answers(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        """The lab's hosts answer SNMP from its world, as net-snmp would
        (:mod:`hadeck.lab.snmp`): no traffic, no pysnmp; an agent elsewhere is polled."""
        from hadeck.lab import snmp as lab_snmp

        return lab_snmp.answers(self.lab.read(), agents, super().snmp_answers)
