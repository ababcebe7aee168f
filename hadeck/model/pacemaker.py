"""What Pacemaker says: the cluster, nodes, resources, constraints, operations.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import ClusterInfo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
