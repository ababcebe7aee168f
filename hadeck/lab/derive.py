"""What each lab node's tools would report, as model objects, at the current lab time.

These are the facts the real tools print; :mod:`hadeck.lab.formats` renders them as the
tools' exact text, and the real parsers read that text back. Everything follows
Pacemaker's placement: the node where a DRBD clone is Promoted is Primary, a guest runs
where its resource is Started, and a failed node's peers see it gone.
"""

from __future__ import annotations

from hadeck.lab.world import (
    RESYNC_RATE_KIB_S,
    VERIFY_RATE_KIB_S,
    LabState,
    drbd_connected,
    out_of_sync_while_disconnected,
    resync_progress,
    verify_progress,
)
from hadeck.model import (
    CorosyncLink,
    CorosyncLinkPeer,
    CorosyncQuorum,
    CorosyncStatus,
    DiskUsage,
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    DrbdVolume,
    Guest,
    HostMetrics,
    LvsCounters,
    LvsDirector,
    MdArray,
    MdMember,
    QuorumMember,
    RealServer,
    VirtualService,
    VrrpInstance,
)

GIB = 1024**3

# --------------------------------------------------------------------------- DRBD


def drbd_resources(state: LabState, node: str) -> tuple[DrbdResource, ...]:
    """The DRBD resources configured (up) on ``node``, as drbdsetup would show them."""
    out = []
    for guest in state.topology.guests:
        name = guest["drbd"]
        if node not in state.drbd_nodes(name):
            continue
        role = state.drbd_role(name, node)
        if role is None:
            continue  # the DRBD agent is stopped here: the resource is down
        out.append(_drbd_resource(state, guest, node, role))
    return tuple(out)


def _drbd_resource(state: LabState, guest: dict[str, object], node: str,
                   role: str) -> DrbdResource:
    name = str(guest["drbd"])
    info = state.world["drbd"][name]
    a, b = state.drbd_nodes(name)
    peer = b if node == a else a
    connected = drbd_connected(state, name)
    progress = resync_progress(info, state.now) if connected else None
    resync = info.get("resync") or {}
    size = int(guest["size_kib"])  # type: ignore[call-overload]
    minor = int(guest["minor"])  # type: ignore[call-overload]
    disk = "UpToDate"
    peer_disk = "UpToDate"
    replication = "Established"
    done = rate = eta = None
    suspended = "no"
    oos = 0
    if connected and progress is not None:
        done_kib, total = progress
        left = total - done_kib
        source = resync.get("source") == node
        replication = "SyncSource" if source else "SyncTarget"
        disk = "UpToDate" if source else "Inconsistent"
        peer_disk = "Inconsistent" if source else "UpToDate"
        done = round(100.0 * done_kib / total, 2) if total else 100.0
        rate = RESYNC_RATE_KIB_S
        eta = float(round(left / RESYNC_RATE_KIB_S))
        oos = left
        if resync.get("paused_at") is not None:
            # drbdadm pause-sync: the resync stands still, DRBD says the user paused it.
            replication = "PausedSyncS" if source else "PausedSyncT"
            suspended = "user"
            rate = 0.0
            eta = None
    verify = info.get("verify") or {}
    checking = verify_progress(info, state.now) if connected and progress is None else None
    if checking is not None:
        done_kib, total = checking
        replication = "VerifyS" if verify.get("source") == node else "VerifyT"
        done = round(100.0 * done_kib / total, 2) if total else 100.0
        rate = VERIFY_RATE_KIB_S
        eta = float(round((total - done_kib) / VERIFY_RATE_KIB_S))
        oos = int(int(verify.get("found_kib", 0)) * done_kib / total) if total else 0
    elif connected and progress is None and verify:
        oos = int(verify.get("found_kib", 0))  # what the last verify found stays counted
    if not connected:
        replication = "Off"
        peer_disk = "DUnknown"
        if role == "Primary" or not state.up(peer):
            oos = out_of_sync_while_disconnected(info, state.now)
        if info["cut"] and role == "Secondary":
            # Resource-level fencing outdates the Secondary when the link is cut.
            disk = "Outdated"
    standalone = (info["split_brain"] and node not in info.get("sb_connecting", [])) \
        or node in info["standalone_on"]
    conn_state = "Connected" if connected else ("StandAlone" if standalone else "Connecting")
    peer_role = (state.drbd_role(name, peer) or "Unknown") if connected else "Unknown"
    volume = DrbdVolume(
        volume=0, minor=minor, disk=disk, client=False, open=role == "Primary",
        quorum=True, backing_dev=f"/dev/vg_drbd/{name}", size_kib=size,
        read_kib=int(size * 0.01), blocked="no",
        # A Primary cut off from its peer keeps writing: what it wrote shows here.
        written_kib=int(size * 0.02) + (oos if role == "Primary" and not connected else 0),
    )
    peer_volume = DrbdPeerVolume(
        volume=0, replication=replication, peer_disk=peer_disk, peer_client=False,
        resync_suspended=suspended, out_of_sync_kib=oos, done_percent=done, rate_kib_s=rate,
        eta_seconds=eta, received_kib=0, sent_kib=int(size * 0.02),
    )
    connection = DrbdConnection(
        peer=peer, state=conn_state, peer_role=peer_role,
        peer_node_id=state.topology.cluster_nodes.index(peer), congested=False,
        peer_volumes=(peer_volume,),
    )
    return DrbdResource(
        name=name, node=node, role=role, suspended="no", write_ordering="flush",
        may_promote=role == "Secondary" and disk == "UpToDate" and not connected,
        promotion_score=10102 if disk == "UpToDate" else 0,
        volumes=(volume,), connections=(connection,), version="9",
    )


# --------------------------------------------------------------------------- guests


def guests_on(state: LabState, node: str) -> tuple[Guest, ...]:
    """Guests libvirt (and xl) list on ``node``: running where Pacemaker runs them.

    libvirt keeps every cluster guest defined on both of its nodes, shut off where it is
    not running; ``xl list`` shows running Xen domains only.
    """
    out = []
    for guest in state.topology.guests:
        name = str(guest["name"])
        running_here = state.runs_guest(name, node)
        if node not in state.drbd_nodes(str(guest["drbd"])):
            continue
        kind = str(guest["kind"])
        if kind == "xen" and not running_here:
            continue
        cpu = None
        if running_here:
            cpu = round(60.0 + (state.now - state.world["created"]) *
                        (0.05 + 0.2 * state.noise(name, "cpu")), 1)
        out.append(Guest(
            name=name, node=node, hypervisor="xen" if kind == "xen" else "kvm",
            state="running" if running_here else "shut off",
            id=str(1 + state.topology.guests.index(guest)) if running_here else None,
            vcpus=int(guest["vcpus"]),
            memory_kib=int(guest["memory_kib"]),
            cpu_time_s=cpu, autostart=False,
        ))
    return tuple(out)


# --------------------------------------------------------------------------- LVS


def master_director(state: LabState) -> str | None:
    """keepalived's MASTER: the first director (highest priority) still up."""
    return next((d for d in state.topology.directors if state.up(d)), None)


def director(state: LabState, node: str) -> LvsDirector | None:
    """The IPVS table keepalived keeps on a director; None on other nodes."""
    if node not in state.topology.directors:
        return None
    master = master_director(state) == node
    world = state.world
    weights, forwards = world["rs_weight"], world.get("rs_forward", {})
    services = []
    for svc in state.topology.services:
        rss = []
        for rs in svc.real_servers:
            key = f"{svc.name}/{rs['address']}:{rs['port']}"
            here = f"{node}|{key}"
            if key in world["dead_rs"] or key in world["rs_removed"] \
                    or here in world["rs_removed"]:
                continue  # keepalived's health check (or ipvsadm -d) took it out
            # An ipvsadm change is this director's own; keepalived's config is both's.
            weight = int(weights.get(here, weights.get(key, rs["weight"])))
            shown = {**rs, "forward": forwards.get(here, rs.get("forward", "Route"))}
            rss.append(_real_server(state, key, shown, weight, master, here))
        for extra in world.get("rs_added", []):
            if extra["service"] == svc.name and extra.get("director", node) == node:
                key = f"{svc.name}/{extra['address']}:{extra['port']}"
                rss.append(_real_server(state, key, extra, int(extra["weight"]), master,
                                        f"{node}|{key}"))
        services.append(VirtualService(
            protocol=svc.protocol, address=svc.vip, port=svc.port, scheduler=svc.scheduler,
            persistent_s=svc.persistent, real_servers=tuple(rss), director=node,
            stats=_sum(rs.stats for rs in rss), rates=_sum(rs.rates for rs in rss),
        ))
    totals = _sum(s.stats for s in services)
    return LvsDirector(node=node, version="1.2.1", services=tuple(services), totals=totals)


DRAIN_S = 8.0
"""Lab seconds a drained real server's active connections take to finish."""


def _real_server(state: LabState, key: str, rs: dict[str, object], weight: int,
                 master: bool, here: str = "") -> RealServer:
    # Connections follow weight on the MASTER; the BACKUP's table carries no traffic.
    load = weight * (3 + 4 * state.noise(key, "load")) if master else 0.0
    active, inactive = int(load * 4), int(load * 11)
    drain = state.world.get("rs_drained", {}).get(here) if weight == 0 else None
    if drain is not None:
        # Weight 0: no new connections; those it had finish (and linger as inactive).
        left = max(0.0, 1.0 - (state.now - float(drain["at"])) / DRAIN_S)
        active = int(int(drain["active"]) * left + 0.999)
        inactive = int(drain["inactive"]) + int(drain["active"]) - active
    age = max(0.0, state.now - state.world["created"])
    conns = int(age * weight * 2.5) if master else 0
    stats = LvsCounters(conns=conns, in_packets=conns * 40, out_packets=0,
                        in_bytes=conns * 2600, out_bytes=0)
    cps = round(weight * 2 * state.noise(key, "cps") + (weight if master else 0)) \
        if master else 0
    rates = LvsCounters(conns=cps, in_packets=cps * 33, out_packets=0, in_bytes=cps * 2150,
                        out_bytes=0)
    return RealServer(
        address=str(rs["address"]), port=int(rs["port"]),  # type: ignore[call-overload]
        forward=str(rs.get("forward", "Route")), weight=weight,
        active_conns=active, inactive_conns=inactive, stats=stats, rates=rates,
    )


def _sum(items: object) -> LvsCounters:
    total = LvsCounters()
    for c in items:  # type: ignore[attr-defined]
        if c is None:
            continue
        total = LvsCounters(total.conns + c.conns, total.in_packets + c.in_packets,
                            total.out_packets + c.out_packets, total.in_bytes + c.in_bytes,
                            total.out_bytes + c.out_bytes)
    return total


def vrrp(state: LabState, node: str) -> tuple[VrrpInstance, ...]:
    if node not in state.topology.directors:
        return ()
    master = master_director(state)
    index = state.topology.directors.index(node)
    priority = 150 - 50 * index
    return (VrrpInstance(
        name=state.topology.vrrp_instance,
        state="MASTER" if master == node else "BACKUP",
        director=node, priority=priority, effective_priority=priority,
        virtual_router_id=51, interface="eth0",
        master_router=None if master == node else _address(state, master),
        virtual_ips=tuple(sorted({s.vip for s in state.topology.services})),
    ),)


def _address(state: LabState, node: str | None) -> str | None:
    if node is None:
        return None
    if node in state.topology.directors:
        return f"10.0.1.{1 + state.topology.directors.index(node)}"
    return state.topology.node_addresses.get(node)


# --------------------------------------------------------------------------- corosync


def corosync(state: LabState, node: str) -> CorosyncStatus | None:
    nodes = state.topology.cluster_nodes
    if node not in nodes:
        return None
    peers = tuple(
        CorosyncLinkPeer(node_id=i, state="localhost" if n == node
                         else "connected" if state.member(n) else "disconnected", name=n)
        for i, n in enumerate(nodes, start=1)
    )
    link = CorosyncLink(link_id=0, transport="udp", address=state.topology.node_addresses[node],
                        peers=peers)
    up = [n for n in nodes if state.member(n)]
    quorum_votes = len(nodes) // 2 + 1
    quorate = len(up) >= quorum_votes
    members = tuple(
        QuorumMember(node_id=nodes.index(n) + 1, votes=1, name=n, local=n == node)
        for n in up
    )
    quorum = CorosyncQuorum(
        provider="corosync_votequorum", nodes=len(up), node_id=nodes.index(node) + 1,
        ring_id=f"1.{0x20 + len(state.world['failed_nodes']) * 4:x}", quorate=quorate,
        expected_votes=len(nodes), highest_expected=len(nodes), total_votes=len(up),
        quorum=quorum_votes, blocked=not quorate,
        flags=("Quorate",) if quorate else (), members=members,
    )
    return CorosyncStatus(node=node, local_node_id=nodes.index(node) + 1, transport="knet",
                          links=(link,), quorum=quorum)


# --------------------------------------------------------------------------- host


def host(state: LabState, node: str) -> HostMetrics:
    here = [g for g in state.topology.guests if state.runs_guest(str(g["name"]), node)]
    cpus = 2 if node in state.topology.directors or node == state.topology.arbiter else 16
    base = 0.2 + 0.6 * len(here)
    load = tuple(round(base + state.noise(node, "load", k) * 0.5, 2) for k in range(3))
    if cpus == 2:
        total = 4 * GIB
    else:
        # Sized, as an admin would, to carry its guests and its peer's after a failover.
        share = 2 * sum(int(g["memory_kib"]) for g in state.topology.guests) * 1024
        share //= max(1, len(state.topology.guest_nodes))
        total = max(64 * GIB, 1 << max(0, share - 1).bit_length())
    guest_bytes = sum(int(g["memory_kib"]) for g in here) * 1024
    # Whole KiB, as the kernel counts memory and df counts blocks: a peer's /proc and
    # df -P (hadeck/lab/formats/host.py) then read back as exactly these figures.
    used = _kib(total * (0.08 + 0.04 * state.noise(node, "mem"))) + guest_bytes
    disks: tuple[DiskUsage, ...] = (
        DiskUsage("/", "/dev/md0", "ext4", 40 * GIB, _kib(40 * GIB * 0.31),
                  _kib(40 * GIB * 0.69)),
    )
    if cpus != 2:
        disks += (DiskUsage("/var/lib/libvirt", "/dev/mapper/vg0-libvirt", "xfs", 200 * GIB,
                            _kib(200 * GIB * 0.42), _kib(200 * GIB * 0.58)),)
    return HostMetrics(
        node=node, load=(load[0], load[1], load[2]), cpu_count=cpus,
        cpu_percent=round(min(100.0, base * 100 / cpus + 3 * state.noise(node, "cpu")), 1),
        memory_total=total, memory_available=total - used, swap_total=2 * GIB, swap_used=0,
        uptime_s=round(86400 * 12 + state.now - state.world["created"], 1), disks=disks,
        md_arrays=(md0(),),
    )


def _kib(size: float) -> int:
    """``size`` bytes rounded down to whole KiB."""
    return int(size) // 1024 * 1024


def md0() -> MdArray:
    """Every lab node boots from a healthy two-disk RAID 1."""
    return MdArray(
        name="md0", active=True, level="raid1",
        members=(MdMember("sdb1", 1), MdMember("sda1", 0)), blocks=41909248,
        raid_disks=2, working_disks=2, status_map="UU",
    )
