"""The lab's world: topology, faults and clock of a simulated cluster, kept in a directory.

The Pacemaker side is a real CIB driven by the real scheduler (:mod:`hadeck.lab.scenario`);
this module holds everything else and derives it from Pacemaker's placement at the
current lab time: which node is DRBD Primary (where the promotable clone is Promoted), how
far a resync has come, where each guest runs, which LVS director is MASTER and how many
connections each real server carries. :mod:`hadeck.lab.runner` renders that as the real
tools' output.

The directory holds ``world.json`` (this state), the CIB files, and ``placement.json``
(Pacemaker's placement, refreshed after every change so that reads need no scheduler
run). Every change happens under an exclusive ``flock`` so that ``hadeck --lab`` in one
terminal and ``hadeck lab fail-node`` in another see one cluster.

Lab time is wall time plus an offset, so a resync progresses while the dashboard
watches; ``hadeck lab step N`` moves it on, and tests can freeze it. The seed makes the
numbers (connections, loads) deterministic for a given lab time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hadeck.lab.errors import LabError
from hadeck.lab.scenario import CibScenario
from hadeck.sources.base import ParseError, parse_output
from hadeck.sources.pacemaker import parse_crm_mon

WORLD = "world.json"
PLACEMENT = "placement.json"
LOCK = "lock"
CIB_DIR = "pacemaker"

DEFAULT_LAB = "~/.local/share/hadeck/lab"
"""The lab's directory when neither ``--lab DIR`` (``--dir``) nor ``$HADECK_LAB`` names one."""


def lab_directory(text: str | Path | None = None) -> Path:
    """The lab's directory: ``text`` if given, else ``$HADECK_LAB``, else the default.

    ``$HADECK_LAB`` is read on every call, not at import, so that a long-lived process
    and a test see the same value a new command would.
    """
    chosen = text or os.environ.get("HADECK_LAB") or DEFAULT_LAB
    return Path(chosen).expanduser()

WRITE_RATE_KIB_S = 2048.0
"""How fast a Primary dirties blocks while its peer is gone: out-of-sync grows by this."""
BASE_DIRTY_KIB = 256 * 1024
"""Out-of-sync a disconnect starts with (the activity log's hot extents)."""
RESYNC_RATE_KIB_S = 8 * 1024.0
"""Resync speed: slow enough that a person sees the progress bar move."""
TOOLS_THAT_CAN_FAIL = (
    "crm_mon", "cibadmin", "drbdsetup", "drbdadm", "ipvsadm", "virsh", "xl",
    "corosync-cfgtool", "corosync-quorumtool", "python3", "/proc/drbd", "/proc/mdstat",
    "/proc/net/ip_vs", "/tmp/keepalived.json",
    # A node's host facts: /proc/stat is read by "sh" (two samples), the others as files.
    "df", "sh", "/proc/loadavg", "/proc/meminfo", "/proc/uptime", "/proc/mounts",
)
FAULT_MODES = ("hang", "garbage", "missing")


@dataclass
class LabService:
    """A virtual service on the directors (the seed's www and ssh)."""

    name: str
    protocol: str
    vip: str
    port: int
    scheduler: str
    real_servers: list[dict[str, Any]]
    """Each ``{"address", "port", "weight", "forward"}``, as configured in keepalived."""
    persistent: int | None = None


@dataclass
class Topology:
    cluster_nodes: list[str]
    guest_nodes: list[str]
    arbiter: str | None
    guests: list[dict[str, Any]]
    """Each ``{"name", "kind": "kvm"|"xen", "drbd", "minor", "vcpus", "memory_kib",
    "size_kib"}``; the Pacemaker resource has the guest's name."""
    directors: list[str]
    services: list[LabService]
    ping_nodes: list[str]
    vrrp_instance: str = "VI_LVS"
    node_addresses: dict[str, str] = field(default_factory=dict)


def seed_topology(
    nodes: int = 2, guests: int = 2, services: int = 2, real_servers: int = 5,
    xen_guests: tuple[int, ...] = (2,),
) -> Topology:
    """The seed deployment, or a bigger one of the same shape.

    Args:
        nodes: guest nodes (jupiter1 … jupiterN); the arbiter sun comes on top.
        guests: guests, one DRBD resource each, alternating over the guest nodes.
        services: LVS virtual services; the first two are the seed's www and ssh.
        real_servers: real servers in all (the seed: www over 3, ssh over 2).
        xen_guests: which guest numbers are Xen guests (``xl``) rather than KVM.
    """
    guest_nodes = [f"jupiter{i}" for i in range(1, nodes + 1)]
    cluster = [*guest_nodes, "sun"]
    addresses = {n: f"10.0.0.{i}" for i, n in enumerate(cluster, start=1)}
    guest_list = [
        {"name": f"vm{i}", "kind": "xen" if i in xen_guests else "kvm", "drbd": f"r{i}",
         "minor": i - 1, "vcpus": 2 if i % 2 else 4, "memory_kib": (2 + 2 * (i % 3)) << 20,
         "size_kib": 20 << 20}
        for i in range(1, guests + 1)
    ]
    return Topology(
        cluster_nodes=cluster,
        guest_nodes=guest_nodes,
        arbiter="sun",
        guests=guest_list,
        directors=["lvs1", "lvs2"],
        services=_services(services, real_servers),
        ping_nodes=["192.0.2.254"],
        node_addresses=addresses,
    )


def _services(count: int, real_servers: int) -> list[LabService]:
    www = [("192.0.2.21", 2), ("192.0.2.22", 1), ("192.0.2.23", 3)]
    ssh = [("192.0.2.21", 1), ("192.0.2.22", 1)]
    seed = [
        LabService("www", "TCP", "192.0.2.80", 80, "wlc",
                   [{"address": a, "port": 80, "weight": w, "forward": "Route"} for a, w in www]),
        LabService("ssh", "TCP", "192.0.2.80", 22, "rr",
                   [{"address": a, "port": 22, "weight": w, "forward": "Route"} for a, w in ssh]),
    ]
    if count <= 2 and real_servers <= 5:
        return seed[:count]
    # A bigger lab for benchmarks: the real servers spread evenly over the services.
    per = max(1, real_servers // max(1, count))
    services = []
    for s in range(count):
        vip = f"198.51.100.{1 + s // 250}"
        port = 8000 + s % 250
        rss = [{"address": f"203.0.113.{1 + (s * per + r) % 250}", "port": 10000 + s * per + r,
                "weight": 1 + r % 3, "forward": "Masq"} for r in range(per)]
        services.append(LabService(f"svc{s}", "TCP", vip, port, "wlc", rss))
    return services


class Lab:
    """A lab directory: open it, read the world, change it under a lock."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).expanduser()
        if not (self.directory / WORLD).is_file():
            raise LabError(f"no lab in {self.directory}: run 'hadeck lab init' first")
        self.scenario = CibScenario.open(self.directory / CIB_DIR)

    # ------------------------------------------------------------------ creation

    @classmethod
    def init(
        cls, directory: Path | str, topology: Topology | None = None, seed: int = 1
    ) -> Lab:
        """Create a lab: seed the CIB with the real scheduler and write the world."""
        directory = Path(directory).expanduser()
        topology = topology or seed_topology()
        directory.mkdir(parents=True, exist_ok=True)
        xen = tuple(int(g["name"][2:]) for g in topology.guests if g["kind"] == "xen")
        CibScenario.seed(directory / CIB_DIR, guest_nodes=topology.guest_nodes,
                         arbiter=topology.arbiter, guests=len(topology.guests),
                         ping_host_count=len(topology.ping_nodes), xen_guests=xen)
        world = {
            "format": 1,
            "seed": seed,
            "created": time.time(),
            "clock": {"offset": 0.0, "frozen_at": None},
            "topology": _topology_data(topology),
            "failed_nodes": [],
            "failed_directors": [],
            "drbd": {g["drbd"]: _fresh_drbd() for g in topology.guests},
            "dead_rs": [],
            "rs_weight": {},
            "rs_removed": [],
            "ping_lost": [],
            "faults": {},
        }
        _write_json(directory / WORLD, world)
        lab = cls(directory)
        # Leaving changing() records the placement: one crm_mon run (4 s at 500 guests).
        with lab.changing():
            pass
        return lab

    # ------------------------------------------------------------------ state

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        with open(self.directory / LOCK, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> LabState:
        """A consistent view of the world and Pacemaker's placement."""
        with self._locked(exclusive=False):
            world = json.loads((self.directory / WORLD).read_text())
            placement = json.loads((self.directory / PLACEMENT).read_text())
        return LabState(world, placement)

    @contextlib.contextmanager
    def changing(self) -> Iterator[dict[str, Any]]:
        """Change the world under the lock; bookkeeping of DRBD links follows the change."""
        with self._locked(exclusive=True):
            world = json.loads((self.directory / WORLD).read_text())
            before = _links(LabState(world, self._placement_or_empty()))
            yield world
            self.refresh_placement(world)
            state = LabState(world, json.loads((self.directory / PLACEMENT).read_text()))
            _track_links(world, before, _links(state), state)
            _write_json(self.directory / WORLD, world)

    def _placement_or_empty(self) -> dict[str, Any]:
        path = self.directory / PLACEMENT
        return json.loads(path.read_text()) if path.is_file() else {"resources": {}}

    def refresh_placement(self, world: dict[str, Any]) -> None:
        """Record where Pacemaker runs what (read once per change, not per poll)."""
        xml = self.scenario.crm_mon_xml()
        try:
            pcmk = parse_output(parse_crm_mon, xml)
        except ParseError as exc:  # the real crm_mon printed something we cannot read
            raise LabError(f"crm_mon output of the lab: {exc}") from None
        resources: dict[str, list[list[str]]] = {}
        for top in pcmk.resources:
            for prim in top.primitives():
                for node in prim.nodes:
                    resources.setdefault(prim.id, []).append([node, prim.role or "Started"])
        nodes = {n.name: {"online": n.online, "standby": n.standby} for n in pcmk.nodes}
        _write_json(self.directory / PLACEMENT, {"resources": resources, "nodes": nodes,
                                                 "dc": pcmk.cluster.dc,
                                                 "quorum": pcmk.cluster.have_quorum})


def _topology_data(topology: Topology) -> dict[str, Any]:
    data = asdict(topology)
    return data


def topology_of(world: dict[str, Any]) -> Topology:
    data = dict(world["topology"])
    data["services"] = [LabService(**s) for s in data["services"]]
    return Topology(**data)


def expected_real_servers(topology: Topology) -> dict[str, int]:
    """Real servers per virtual service as the lab's keepalived is configured, by the
    service key health rules use (``TCP 192.0.2.80:80``)."""
    return {f"{s.protocol} {s.vip}:{s.port}": len(s.real_servers) for s in topology.services}


def _fresh_drbd() -> dict[str, Any]:
    return {"cut": False, "split_brain": False, "disconnected_at": None,
            "resync": None, "standalone_on": []}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- derived state


class LabState:
    """The world at one lab time: what every derived fact is computed from."""

    def __init__(self, world: dict[str, Any], placement: dict[str, Any]) -> None:
        self.world = world
        self.placement = placement
        self.topology = topology_of(world)
        clock = world["clock"]
        self.now = clock["frozen_at"] if clock.get("frozen_at") is not None \
            else time.time() + clock["offset"]

    # --- nodes

    def up(self, node: str) -> bool:
        return node not in self.world["failed_nodes"] and \
            node not in self.world["failed_directors"]

    def member(self, node: str) -> bool:
        """Up and in the cluster: not failed, and corosync not killed there."""
        return self.up(node) and node not in self.corosync_killed

    @property
    def corosync_killed(self) -> dict[str, Any]:
        """Node → what it ran when its corosync was killed (``{"guests": [...],
        "drbd": {resource: role}}``): it still runs that, out of the cluster."""
        killed: dict[str, Any] = self.world.get("corosync_killed", {})
        return killed

    def runs_guest(self, name: str, node: str) -> bool:
        """Whether ``node``'s hypervisor runs the guest: where the cluster runs it, or a
        node out of the cluster that ran it when its corosync died."""
        if node in self.corosync_killed:
            return name in self.corosync_killed[node]["guests"]
        return self.guest_node(name) == node

    def all_nodes(self) -> list[str]:
        return [*self.topology.cluster_nodes, *self.topology.directors]

    def fault(self, node: str, tool: str) -> str | None:
        faults: dict[str, str] = self.world["faults"]
        return faults.get(f"{node}/{tool}") or faults.get(f"*/{tool}")

    def noise(self, *key: object, bucket: float = 10.0) -> float:
        """A deterministic number in [0, 1) for this key, changing every ``bucket`` s."""
        text = f"{self.world['seed']}|{int(self.now // bucket)}|" + "|".join(map(str, key))
        return int(hashlib.blake2b(text.encode(), digest_size=4).hexdigest(), 16) / 2**32

    # --- pacemaker placement

    def where(self, resource: str) -> list[tuple[str, str]]:
        """(node, role) pairs Pacemaker runs ``resource`` on."""
        return [(n, r) for n, r in self.placement["resources"].get(resource, [])]

    def drbd_role(self, drbd: str, node: str) -> str | None:
        """DRBD role on ``node``: Primary where the clone is Promoted; None if not running.

        A role set by hand (``drbdadm primary|secondary``) wins until Pacemaker acts again.
        """
        if node in self.corosync_killed:
            # Out of the cluster: the roles it had, which no Pacemaker changes any more.
            kept = self.corosync_killed[node]["drbd"].get(drbd)
            return str(kept) if kept else None
        guest = self.guest_of_drbd(drbd)
        for where, role in self.where(f"p_drbd_{guest['name']}"):
            if where == node:
                manual = self.world["drbd"][drbd].get("manual_roles", {}).get(node)
                if manual:
                    return str(manual)
                return "Primary" if role in ("Promoted", "Master") else "Secondary"
        return None

    def guest_node(self, name: str) -> str | None:
        """Where a guest runs: moved by hand (``virsh migrate``), else where Pacemaker
        runs its resource."""
        moved = self.world.get("guest_at", {}).get(name)
        if moved:
            return str(moved)
        return next((n for n, _ in self.where(name)), None)

    def guest_of_drbd(self, drbd: str) -> dict[str, Any]:
        return next(g for g in self.topology.guests if g["drbd"] == drbd)

    def drbd_nodes(self, drbd: str) -> list[str]:
        """The two nodes a DRBD resource replicates between (the guest's node pair)."""
        guests = self.topology.guests
        index = next(i for i, g in enumerate(guests) if g["drbd"] == drbd)
        nodes = self.topology.guest_nodes
        return [nodes[index % len(nodes)], nodes[(index + 1) % len(nodes)]]


# --------------------------------------------------------------------------- DRBD links


def _links(state: LabState) -> dict[str, bool]:
    """Which DRBD resources are connected right now."""
    return {name: drbd_connected(state, name) for name in state.world["drbd"]}


def drbd_connected(state: LabState, name: str) -> bool:
    info = state.world["drbd"][name]
    a, b = state.drbd_nodes(name)
    if info["cut"] or info["split_brain"] or info["standalone_on"]:
        return False
    if not (state.up(a) and state.up(b)):
        return False
    if a in state.corosync_killed or b in state.corosync_killed:
        # The survivors promoted their side; DRBD refuses a second Primary's connection.
        return False
    return state.drbd_role(name, a) is not None and state.drbd_role(name, b) is not None


def _track_links(
    world: dict[str, Any], before: dict[str, bool], after: dict[str, bool], state: LabState
) -> None:
    """Start the out-of-sync clock on a disconnect and a resync on a reconnect."""
    for name, connected in after.items():
        info = world["drbd"][name]
        if before.get(name, True) and not connected and info["disconnected_at"] is None:
            info["disconnected_at"] = state.now
            info["resync"] = None
        elif connected and info["disconnected_at"] is not None:
            source = _sync_source(state, name)
            discarded = info.pop("discard_on", None)
            if discarded is not None:
                # connect --discard-my-data: the victim becomes the SyncTarget.
                a, b = state.drbd_nodes(name)
                source = b if discarded == a else a
            total = out_of_sync_while_disconnected(info, state.now)
            info["resync"] = {"source": source, "total_kib": total, "started": state.now}
            info["disconnected_at"] = None


def _sync_source(state: LabState, name: str) -> str:
    """The node whose data wins: the Primary, else the node that stayed up."""
    a, b = state.drbd_nodes(name)
    if state.drbd_role(name, b) == "Primary":
        return b
    if state.drbd_role(name, a) == "Primary":
        return a
    return a


def out_of_sync_while_disconnected(info: dict[str, Any], now: float) -> int:
    since = info["disconnected_at"]
    if since is None:
        return 0
    return int(BASE_DIRTY_KIB + WRITE_RATE_KIB_S * max(0.0, now - since))


def resync_progress(info: dict[str, Any], now: float) -> tuple[int, int] | None:
    """(done KiB, total KiB) of a running resync; None when none runs (or it finished).

    A resync paused by hand (``drbdadm pause-sync``) stands still from then on."""
    resync = info.get("resync")
    if not resync:
        return None
    total = int(resync["total_kib"])
    if resync.get("paused_at") is not None:
        now = float(resync["paused_at"])
    done = int(min(total, RESYNC_RATE_KIB_S * max(0.0, now - resync["started"])))
    if done >= total:
        return None
    return done, total


VERIFY_RATE_KIB_S = 512 * 1024.0
"""How fast the lab's online verify reads (both sides read and compare checksums;
nothing but checksums crosses the link, so it is far faster than a resync)."""


def verify_progress(info: dict[str, Any], now: float) -> tuple[int, int] | None:
    """(done KiB, total KiB) of a running online verify; None when none runs (or it
    finished: ``verify["found_kib"]`` then says what it found out of sync)."""
    verify = info.get("verify")
    if not verify:
        return None
    total = int(verify["total_kib"])
    done = int(min(total, VERIFY_RATE_KIB_S * max(0.0, now - verify["started"])))
    if done >= total:
        return None
    return done, total
