"""The state model: one frozen snapshot of a whole cluster.

Every face (dashboard, check plugins, ``hadeck status``) reads a :class:`ClusterState`;
every source (Pacemaker, DRBD, LVS, guests, corosync, host) contributes part of one. The
classes are frozen dataclasses of plain values, tuples and nested dataclasses so that a
state can be compared, diffed between two polls and written to JSON and back
(:mod:`hadeck.serial`).

State words from the real tools (DRBD disk states, Pacemaker roles, virsh states) are kept
as the text the tool printed. A word hadeck has never seen therefore survives parsing and
is judged UNKNOWN by :mod:`hadeck.health` instead of crashing a parser or being dropped.
The few normalisations (``Master`` → ``Promoted``) are documented where they happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Health(IntEnum):
    """A verdict; the values are the Nagios exit codes.

    Combine verdicts with :func:`hadeck.health.worst`, not ``max()``: it ranks CRITICAL
    above UNKNOWN, so that a source that could not be read never hides a known failure.
    """

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceStatus:
    """How one source was read: when, how long it took, and why it failed if it did."""

    source: str
    """Source name, e.g. ``pacemaker``, ``drbd``, ``lvs``, ``guests``, ``host``."""
    node: str
    """The node the source was read on (the local hostname for cluster-wide sources)."""
    read_at: float
    """Unix time at which the read started."""
    duration: float
    """Seconds the commands took, all together."""
    error: str | None = None
    """Why the source gave no (or partial) data; None when it read cleanly."""
    detail: str | None = None
    """Which variant was read, e.g. ``drbdsetup events2`` or ``/proc/drbd``."""
    tools: tuple[str, ...] = ()
    """The tools that were there to ask, where a rule must tell "not there" from "could
    not look" (guests: ``virsh``, ``xl``, ``vzlist``); empty for other sources."""

    @property
    def ok(self) -> bool:
        return self.error is None


# --------------------------------------------------------------------------- pacemaker


@dataclass(frozen=True)
class ClusterInfo:
    """The ``<summary>`` of crm_mon: who is DC, quorum, global options."""

    stack: str | None = None
    pacemaker_version: str | None = None
    dc: str | None = None
    """Name of the Designated Controller; None when there is none."""
    have_quorum: bool | None = None
    """None when crm_mon cannot tell (no DC)."""
    maintenance_mode: bool = False
    stonith_enabled: bool | None = None
    no_quorum_policy: str | None = None
    last_update: str | None = None
    last_change: str | None = None
    last_change_by: str | None = None
    nodes_configured: int = 0
    resources_configured: int = 0
    resources_disabled: int = 0
    resources_blocked: int = 0
    crm_mon_format: str = ""
    """``pacemaker-result 2.25`` or ``crm_mon 1.1.24``: which XML dialect was parsed."""


@dataclass(frozen=True)
class NodeAttribute:
    name: str
    value: str
    expected: str | None = None
    """crm_mon's ``expected``: for pingd, multiplier × number of ping hosts."""


@dataclass(frozen=True)
class Node:
    """A cluster node as Pacemaker sees it."""

    name: str
    id: str = ""
    online: bool = False
    standby: bool = False
    standby_onfail: bool = False
    maintenance: bool = False
    pending: bool = False
    unclean: bool = False
    shutdown: bool = False
    expected_up: bool = False
    is_dc: bool = False
    resources_running: int = 0
    type: str = "member"
    """``member``, ``remote``, ``ping`` or what crm_mon printed."""
    health: str | None = None
    """Pacemaker's node health colour (green / yellow / red) where reported."""
    attributes: tuple[NodeAttribute, ...] = ()

    @property
    def state(self) -> str:
        """One word for the node, worst first: unclean, offline, pending, … online."""
        if self.unclean:
            return "unclean"
        if not self.online:
            return "offline"
        if self.pending:
            return "pending"
        if self.maintenance:
            return "maintenance"
        if self.standby:
            return "standby"
        return "online"

    def attribute(self, name: str) -> NodeAttribute | None:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None


class ResourceKind:
    """The kinds of entries in crm_mon's ``<resources>`` tree (plain strings)."""

    PRIMITIVE = "primitive"
    GROUP = "group"
    CLONE = "clone"
    BUNDLE = "bundle"
    REPLICA = "replica"


@dataclass(frozen=True)
class Resource:
    """One entry of the resource tree: a primitive, or a group / clone / bundle of them.

    A clone's children are its instances (crm_mon lists one ``<resource>`` per instance,
    all with the same id, inactive ones with role Stopped). Roles are normalised to the
    Pacemaker 2.1 names: ``Master`` → ``Promoted``, ``Slave`` → ``Unpromoted``.
    """

    id: str
    kind: str = ResourceKind.PRIMITIVE
    agent: str | None = None
    """``ocf:heartbeat:VirtualDomain`` and the like; primitives only."""
    role: str | None = None
    """Current role of a primitive (Started, Stopped, Promoted, Unpromoted, Starting …)."""
    target_role: str | None = None
    active: bool = False
    orphaned: bool = False
    blocked: bool = False
    managed: bool = True
    failed: bool = False
    failure_ignored: bool = False
    disabled: bool = False
    promotable: bool = False
    unique: bool = False
    nodes: tuple[str, ...] = ()
    """Where this primitive runs; more than one means multiply active."""
    pending: str | None = None
    """An operation in flight (``Starting``, ``Migrating`` …)."""
    locked_to: str | None = None
    children: tuple[Resource, ...] = ()

    def primitives(self) -> tuple[Resource, ...]:
        """Every primitive in this subtree, in crm_mon order."""
        if self.kind == ResourceKind.PRIMITIVE:
            return (self,)
        found: list[Resource] = []
        for child in self.children:
            found.extend(child.primitives())
        return tuple(found)

    @property
    def running_on(self) -> tuple[str, ...]:
        """Nodes where any primitive of this subtree runs, without duplicates."""
        seen: dict[str, None] = {}
        for prim in self.primitives():
            for node in prim.nodes:
                seen[node] = None
        return tuple(seen)


@dataclass(frozen=True)
class FailedAction:
    """One entry of crm_mon's ``<failures>``."""

    op_key: str
    node: str
    resource: str
    task: str = ""
    interval_ms: int = 0
    exit_status: str = ""
    exit_code: int | None = None
    exit_reason: str = ""
    status: str = ""
    last_rc_change: str = ""


@dataclass(frozen=True)
class Operation:
    """One entry of crm_mon's operation history (``<node_history>``): what the cluster
    last ran for a resource on a node, and how it ended."""

    resource: str
    node: str
    task: str
    call: int | None = None
    rc: int | None = None
    rc_text: str = ""
    interval_ms: int = 0
    last_rc_change: str = ""
    exec_ms: int | None = None


@dataclass(frozen=True)
class FailCount:
    resource: str
    node: str
    count: int
    """INFINITY is 1000000, as Pacemaker prints it."""
    migration_threshold: int | None = None
    last_failure: str | None = None


@dataclass(frozen=True)
class LocationConstraint:
    """A location constraint from the CIB, with the ``cli-`` ones that operators leave behind.

    ``crm_resource --move`` writes ``cli-prefer-<rsc>`` (positive, invisible in crm_mon's
    bans) and ``--ban`` writes ``cli-ban-<rsc>-on-<node>``; both stay until cleared.
    """

    id: str
    resource: str
    node: str | None
    score: str
    """As written: ``INFINITY``, ``-INFINITY``, ``50`` …"""
    role: str | None = None
    has_rules: bool = False
    lifetime: str | None = None
    """The rule's end date for ``--lifetime`` moves (``date_expression`` ``lt``)."""
    rule_attributes: tuple[str, ...] = ()
    """The node attributes its rules test (``pingd`` for a connectivity rule), ``#uname``
    left out: what says why a rule bans a resource from a node."""

    @property
    def from_cli(self) -> bool:
        return self.id.startswith(("cli-prefer-", "cli-ban-"))

    @property
    def is_ban(self) -> bool:
        return self.score.startswith("-")


@dataclass(frozen=True)
class Colocation:
    id: str
    resource: str
    with_resource: str
    score: str
    resource_role: str | None = None
    with_role: str | None = None


@dataclass(frozen=True)
class Order:
    """An order constraint from the CIB: ``first`` (its ``first_action``) before ``then``."""

    id: str
    first: str
    then: str
    kind: str = "Mandatory"
    """``Mandatory``, ``Optional`` or ``Serialize`` (a score of 0 is Optional, as written
    by old CIBs)."""
    first_action: str = "start"
    then_action: str = "start"


@dataclass(frozen=True)
class PrimitiveConfig:
    """A primitive as configured in the CIB: its agent and instance parameters.

    crm_mon does not print parameters; the guest join needs VirtualDomain ``config``,
    Xen ``xmfile``, ManageVE ``veid`` and the DRBD agent's ``drbd_resource``.
    """

    id: str
    agent: str
    params: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    parent: str | None = None
    """The group or clone that contains it, if any."""


@dataclass(frozen=True)
class Ban:
    """crm_mon's ``<bans>`` (negative location scores only)."""

    id: str
    resource: str
    node: str
    weight: int
    promoted_only: bool = False


# --------------------------------------------------------------------------- DRBD


@dataclass(frozen=True)
class DrbdVolume:
    """A local DRBD device (DRBD 9 calls it a device; 8.x a minor)."""

    volume: int
    minor: int | None = None
    disk: str = "DUnknown"
    client: bool | None = None
    open: bool | None = None
    quorum: bool | None = None
    backing_dev: str | None = None
    size_kib: int | None = None
    read_kib: int | None = None
    written_kib: int | None = None
    blocked: str | None = None


@dataclass(frozen=True)
class DrbdPeerVolume:
    """One volume as seen towards one peer (DRBD 9's peer-device)."""

    volume: int
    replication: str = "Off"
    """DRBD 9 replication state; for 8.x the replication part of ``cs:`` (``Established``
    when ``cs:Connected``)."""
    peer_disk: str = "DUnknown"
    peer_client: bool | None = None
    resync_suspended: str = "no"
    out_of_sync_kib: int | None = None
    done_percent: float | None = None
    """Resync or verify progress while one runs."""
    rate_kib_s: float | None = None
    """Current resync speed (DRBD's dbdt1, or /proc/drbd's speed), KiB/s."""
    eta_seconds: float | None = None
    """None when DRBD does not know yet (``eta:nan``)."""
    received_kib: int | None = None
    sent_kib: int | None = None

    @property
    def syncing(self) -> bool:
        return self.done_percent is not None or self.replication.startswith(
            ("Sync", "PausedSync", "StartingSync", "Verify")
        )


@dataclass(frozen=True)
class DrbdConnection:
    """A connection from the local node to one peer."""

    peer: str
    """The peer's connection name (DRBD 9 conn-name, normally its hostname); ``peer``
    for DRBD 8.x, which does not name it."""
    state: str = "StandAlone"
    """DRBD 9 connection state (Connected, Connecting, StandAlone …); for 8.x the
    connection part of ``cs:`` (WFConnection, Connected …)."""
    peer_role: str = "Unknown"
    peer_node_id: int | None = None
    congested: bool | None = None
    peer_volumes: tuple[DrbdPeerVolume, ...] = ()


@dataclass(frozen=True)
class DrbdResource:
    """One DRBD resource as the reporting node sees it."""

    name: str
    node: str = ""
    """The node that reported it."""
    role: str = "Unknown"
    suspended: str = "no"
    """``no``, or DRBD's comma list (``user,no-data,fencing,quorum``)."""
    write_ordering: str | None = None
    may_promote: bool | None = None
    promotion_score: int | None = None
    volumes: tuple[DrbdVolume, ...] = ()
    connections: tuple[DrbdConnection, ...] = ()
    version: str = "9"
    """``9`` or ``8.4`` / ``8.3``: which DRBD the reading came from."""

    @property
    def quorum(self) -> bool | None:
        """False when any local volume lost quorum; None when DRBD does not say."""
        seen = [v.quorum for v in self.volumes if v.quorum is not None]
        if not seen:
            return None
        return all(seen)


# --------------------------------------------------------------------------- guests


@dataclass(frozen=True)
class Guest:
    """A virtual machine or container on one node."""

    name: str
    node: str
    hypervisor: str
    """``kvm`` / ``qemu`` (libvirt), ``xen`` (xl), ``openvz`` (vzlist), ``lxc``."""
    state: str
    """As the tool prints it (virsh: ``running``, ``shut off``, ``paused`` …; xl flags are
    turned into the same words)."""
    id: str | None = None
    """Domain id or container id; None for inactive libvirt domains."""
    vcpus: int | None = None
    memory_kib: int | None = None
    cpu_time_s: float | None = None
    autostart: bool | None = None
    resource: str | None = None
    """The Pacemaker resource that manages this guest, once joined."""
    drbd: tuple[str, ...] = ()
    """DRBD resources the guest's resource depends on, once joined."""

    @property
    def running(self) -> bool:
        return self.state in ("running", "idle", "blocked")


# --------------------------------------------------------------------------- LVS


@dataclass(frozen=True)
class LvsCounters:
    """Cumulative counters (``--stats``) or per-second rates (``--rate``)."""

    conns: int = 0
    in_packets: int = 0
    out_packets: int = 0
    in_bytes: int = 0
    out_bytes: int = 0


@dataclass(frozen=True)
class RealServer:
    address: str
    port: int
    forward: str = "Route"
    """``Route`` (direct routing), ``Masq`` (NAT), ``Tunnel``, ``Local``."""
    weight: int = 0
    active_conns: int = 0
    inactive_conns: int = 0
    persistent_conns: int | None = None
    stats: LvsCounters | None = None
    rates: LvsCounters | None = None
    configured_weight: int | None = None
    """The weight the director's keepalived.conf gives it (None: not known). A kernel
    weight that differs is drift: a manual ipvsadm change keepalived will set back."""

    @property
    def key(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class VirtualService:
    protocol: str
    """``TCP``, ``UDP``, ``SCTP`` or ``FWM``."""
    address: str
    """The virtual IP, or the firewall mark (as text) for FWM services."""
    port: int = 0
    scheduler: str = ""
    ipv6: bool = False
    flags: tuple[str, ...] = ()
    persistent_s: int | None = None
    netmask: str | None = None
    pe: str | None = None
    one_packet: bool = False
    real_servers: tuple[RealServer, ...] = ()
    stats: LvsCounters | None = None
    rates: LvsCounters | None = None
    director: str = ""
    managed_by: str | None = None
    """``keepalived`` (or ``ldirectord``) when the director's keepalived.conf
    (ldirectord.cf) configures this service: its weights are that daemon's, and a manual
    ipvsadm change lasts until a check or a reload sets them back. None: not known."""
    gone: tuple[str, ...] = ()
    """Real servers (``192.0.2.22:80``) known to belong here that the table no longer
    holds: keepalived removes a real server whose health check fails, so a dead one
    vanishes instead of showing as down. Known from an earlier read (the dashboard);
    empty when nothing earlier is known."""

    @property
    def key(self) -> str:
        """``TCP 192.0.2.10:80``, ``FWM 1``: how ipvsadm names the service."""
        if self.protocol == "FWM":
            return f"FWM {self.address}" + (" IPv6" if self.ipv6 else "")
        host = f"[{self.address}]" if self.ipv6 else self.address
        return f"{self.protocol} {host}:{self.port}"

    @property
    def weighted(self) -> tuple[RealServer, ...]:
        """Real servers that receive new connections (weight above 0)."""
        return tuple(rs for rs in self.real_servers if rs.weight > 0)


@dataclass(frozen=True)
class VrrpInstance:
    """A keepalived VRRP instance on one director."""

    name: str
    state: str
    """MASTER, BACKUP, FAULT, INIT, STOP …"""
    director: str = ""
    priority: int | None = None
    effective_priority: int | None = None
    virtual_router_id: int | None = None
    interface: str | None = None
    master_router: str | None = None
    virtual_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class LvsDirector:
    """One LVS director: its IPVS table and its keepalived VRRP instances."""

    node: str
    version: str | None = None
    """IPVS version from the table header (``1.2.1``)."""
    services: tuple[VirtualService, ...] = ()
    vrrp: tuple[VrrpInstance, ...] = ()
    totals: LvsCounters | None = None
    """Whole-table counters from /proc/net/ip_vs_stats."""


# --------------------------------------------------------------------------- corosync


@dataclass(frozen=True)
class CorosyncLinkPeer:
    node_id: int
    state: str
    """``localhost``, ``connected``, ``disconnected`` (3.x), or the corosync 2 ring
    status text."""
    name: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class CorosyncLink:
    link_id: int
    transport: str | None = None
    address: str | None = None
    peers: tuple[CorosyncLinkPeer, ...] = ()
    faulty: bool = False
    """corosync 2 RRP: the ring was marked FAULTY."""
    status: str | None = None
    """corosync 2 ring status line, or the brief status string."""


@dataclass(frozen=True)
class QuorumMember:
    node_id: int
    votes: int | None
    name: str
    local: bool = False
    qdevice: str | None = None


@dataclass(frozen=True)
class CorosyncQuorum:
    provider: str | None = None
    nodes: int | None = None
    node_id: int | None = None
    ring_id: str | None = None
    quorate: bool | None = None
    expected_votes: int | None = None
    highest_expected: int | None = None
    total_votes: int | None = None
    quorum: int | None = None
    blocked: bool = False
    """``Quorum: N Activity blocked``."""
    flags: tuple[str, ...] = ()
    members: tuple[QuorumMember, ...] = ()
    qdevice_name: str | None = None
    """The quorum device's own membership line (node id 0), when one is registered."""
    qdevice_votes: int | None = None
    """Votes the quorum device casts for this node now: 0 when it does not vote here."""


@dataclass(frozen=True)
class CorosyncStatus:
    """Corosync as one node sees it."""

    node: str
    local_node_id: int | None = None
    transport: str | None = None
    links: tuple[CorosyncLink, ...] = ()
    quorum: CorosyncQuorum | None = None


# --------------------------------------------------------------------------- SNMP
# (DiskUsage is defined with the host facts, below.)


@dataclass(frozen=True)
class SnmpInterface:
    """One row of IF-MIB: a network interface's counters as the agent reports them."""

    index: int
    name: str
    """``ifName`` (IF-MIB ifXTable), else ``ifDescr``."""
    oper_status: str | None = None
    """``up``, ``down``, ``testing``, ``unknown``, ``dormant``, ``notPresent``,
    ``lowerLayerDown``; the number as text when it is none of those."""
    in_octets: int | None = None
    """``ifHCInOctets`` (64-bit) when the agent has it, else ``ifInOctets``."""
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None


@dataclass(frozen=True)
class SnmpReading:
    """What one SNMP agent answered in one poll (or why it did not).

    Used for hosts hadeck has no ssh to: LVS real servers (their load beside their row,
    and the weights computed from it) and nodes configured to be read by SNMP. Each
    value is None when the agent does not serve it (a MIB not compiled in, a
    ``disk`` line missing from snmpd.conf): not knowing is not zero.
    """

    agent: str
    """The agent's name in the configuration (``[snmp.agents.NAME]``)."""
    address: str
    """Where it was asked: the host or address, without the port."""
    read_at: float
    """Unix time at which the poll started."""
    duration: float = 0.0
    """Seconds the poll took, all requests together."""
    error: str | None = None
    """Why the agent gave no (or partial) answers, said for an operator; None when it
    answered. Never holds a community or a password."""
    error_kind: str | None = None
    """``timeout`` (no answer: agent down, filtered, or a wrong v2c community, which an
    agent answers with silence), ``auth`` (SNMPv3 user or password refused), or
    ``failed`` (anything else); None when ``error`` is None."""
    uptime_s: float | None = None
    """The agent's ``sysUpTime`` in seconds (it restarts with snmpd, not the host)."""
    host_uptime_s: float | None = None
    """HOST-RESOURCES-MIB ``hrSystemUptime`` in seconds: the host's own uptime."""
    load: tuple[float, float, float] | None = None
    """UCD-SNMP-MIB ``laLoad`` 1, 5 and 15 minutes."""
    cpu_count: int | None = None
    """Rows of HOST-RESOURCES-MIB ``hrProcessorTable``."""
    cpu_percent: float | None = None
    """The mean of ``hrProcessorLoad`` (each a 1-minute average, 0–100)."""
    memory_total: int | None = None
    """Bytes (UCD ``memTotalReal``)."""
    memory_available: int | None = None
    """Bytes: UCD ``memSysAvail`` (the kernel's MemAvailable) when served, else
    ``memAvailReal`` + ``memBuffer`` + ``memCached``."""
    swap_total: int | None = None
    swap_used: int | None = None
    disks: tuple[DiskUsage, ...] = ()
    """UCD ``dskTable`` (the ``disk`` lines of snmpd.conf), else the fixed disks of
    HOST-RESOURCES-MIB ``hrStorageTable``."""
    interfaces: tuple[SnmpInterface, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def load_per_cpu(self) -> float | None:
        """The 1-minute load divided by the processors (the load itself when the agent
        does not say how many there are)."""
        if self.load is None:
            return None
        return self.load[0] / (self.cpu_count or 1)

    @property
    def memory_used_percent(self) -> float | None:
        if not self.memory_total or self.memory_available is None:
            return None
        return 100.0 * (self.memory_total - self.memory_available) / self.memory_total


# --------------------------------------------------------------------------- host


@dataclass(frozen=True)
class DiskUsage:
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    used_bytes: int
    free_bytes: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class MdMember:
    name: str
    index: int
    flags: tuple[str, ...] = ()
    """``F`` faulty, ``S`` spare, ``W`` write-mostly, ``R`` replacement, ``J`` journal."""


@dataclass(frozen=True)
class MdArray:
    """A Linux software RAID array from /proc/mdstat."""

    name: str
    active: bool
    level: str | None = None
    read_only: str | None = None
    members: tuple[MdMember, ...] = ()
    blocks: int | None = None
    raid_disks: int | None = None
    working_disks: int | None = None
    status_map: str | None = None
    """``UU``, ``U_``: one character per slot, ``_`` missing or not in sync."""
    action: str | None = None
    """``resync``, ``recovery``, ``check``, ``repair``, ``reshape`` while one runs."""
    progress_percent: float | None = None
    finish_minutes: float | None = None
    speed_kib_s: int | None = None
    pending: str | None = None
    """``DELAYED`` or ``PENDING`` when a resync waits."""

    @property
    def degraded(self) -> bool:
        if self.raid_disks is None or self.working_disks is None:
            return False
        return self.working_disks < self.raid_disks


@dataclass(frozen=True)
class HostMetrics:
    node: str
    load: tuple[float, float, float] | None = None
    cpu_count: int | None = None
    cpu_percent: float | None = None
    memory_total: int | None = None
    memory_available: int | None = None
    swap_total: int | None = None
    swap_used: int | None = None
    uptime_s: float | None = None
    disks: tuple[DiskUsage, ...] = ()
    md_arrays: tuple[MdArray, ...] = ()

    @property
    def memory_used_percent(self) -> float | None:
        if not self.memory_total or self.memory_available is None:
            return None
        return 100.0 * (self.memory_total - self.memory_available) / self.memory_total


# --------------------------------------------------------------------------- probes


@dataclass(frozen=True)
class PingProbe:
    """ICMP echoes hadeck sent itself from one node to one host, and what came back.

    A measurement, not something a cluster tool reported: :mod:`hadeck.probes` makes it
    (in process, or with the system ``ping`` on the node). The health rules compare it
    with the ``pingd`` score Pacemaker holds and with corosync's link states.
    """

    node: str
    """The node the echoes were sent from."""
    host: str
    """The address (or name) pinged, as the CIB or the configuration names it."""
    sent: int = 0
    received: int = 0
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    method: str = ""
    """How: ``icmp-dgram`` (unprivileged ICMP socket), ``icmp-raw`` (raw socket, root),
    ``ping`` (the system ping, locally, over ssh or in the lab), or ``resolve`` (the
    name did not resolve: nothing was sent)."""
    error: str | None = None
    """Why nothing could be measured (no route, a name that does not resolve, ssh);
    None when echoes went out, answered or not."""
    roles: tuple[str, ...] = ()
    """Why this host was probed: ``ping node of p_ping``, ``configured``,
    ``corosync link 0 to jupiter2``."""
    since: float | None = None
    """Unix time from which this host has been reached (or not) without a change, as
    far as the prober that made it remembers; None for a single measurement."""

    @property
    def reached(self) -> bool:
        """Whether any echo came back: the ping agent counts such a host as reached."""
        return self.received > 0

    @property
    def loss_percent(self) -> float | None:
        """Lost echoes in percent; None when none were sent."""
        if self.sent <= 0:
            return None
        return 100.0 * (self.sent - min(self.received, self.sent)) / self.sent


# --------------------------------------------------------------------------- the whole


@dataclass(frozen=True)
class PacemakerState:
    """Everything Pacemaker told us: crm_mon plus the CIB configuration."""

    cluster: ClusterInfo = field(default_factory=ClusterInfo)
    nodes: tuple[Node, ...] = ()
    resources: tuple[Resource, ...] = ()
    failed_actions: tuple[FailedAction, ...] = ()
    fail_counts: tuple[FailCount, ...] = ()
    bans: tuple[Ban, ...] = ()
    locations: tuple[LocationConstraint, ...] = ()
    colocations: tuple[Colocation, ...] = ()
    primitives: tuple[PrimitiveConfig, ...] = ()
    orders: tuple[Order, ...] = ()
    operations: tuple[Operation, ...] = ()
    """crm_mon's operation history, per resource and node, in its order."""

    def node(self, name: str) -> Node | None:
        for node in self.nodes:
            if node.name == name:
                return node
        return None

    def find(self, resource_id: str) -> Resource | None:
        """The first resource (at any depth) with this id."""
        stack = list(self.resources)
        while stack:
            rsc = stack.pop(0)
            if rsc.id == resource_id:
                return rsc
            stack[0:0] = rsc.children
        return None


@dataclass(frozen=True)
class ClusterState:
    """One snapshot of a whole cluster, as every face sees it."""

    taken_at: float
    local_node: str
    pacemaker: PacemakerState | None = None
    """None when Pacemaker could not be read (see ``sources``)."""
    drbd: tuple[DrbdResource, ...] = ()
    guests: tuple[Guest, ...] = ()
    lvs: tuple[LvsDirector, ...] = ()
    corosync: tuple[CorosyncStatus, ...] = ()
    hosts: tuple[HostMetrics, ...] = ()
    snmp: tuple[SnmpReading, ...] = ()
    """What each configured SNMP agent answered (:mod:`hadeck.snmp`), when polled."""
    sources: tuple[SourceStatus, ...] = ()
    origin: str = "live"
    """``live``, ``lab``, or ``bundle:<path>``: where the raw outputs came from."""
    pings: tuple[PingProbe, ...] = ()
    """hadeck's own ICMP probes of the ping nodes and peers (:mod:`hadeck.probes`),
    when they were run (``--probe``, or ``[probes] ping`` in the configuration)."""

    def source_errors(self) -> tuple[SourceStatus, ...]:
        return tuple(s for s in self.sources if s.error is not None)
