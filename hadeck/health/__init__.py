"""Health rules: the one place where a state is judged.

:func:`judge` turns a whole :class:`~hadeck.model.ClusterState` into verdicts: one per
object (node, resource, DRBD connection and volume, guest, virtual service, link, array),
each OK / WARNING / CRITICAL / UNKNOWN with a reason a person can act on. The dashboard
colours what it says, the check plugins exit with it, and ``hadeck status`` returns it as
its exit code; none of them judges on its own.

Rules are grouped by area, one function per area, so that a check plugin can judge just
its area (with per-state overrides where the old Nagios plugins had them) and still agree
with the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial

from hadeck.model import (
    ClusterState,
    CorosyncStatus,
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    DrbdVolume,
    Guest,
    Health,
    HostMetrics,
    LvsDirector,
    Node,
    PacemakerState,
    Resource,
    ResourceKind,
    SourceStatus,
    VirtualService,
)

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN

AREAS = ("sources", "cluster", "nodes", "resources", "drbd", "guests", "lvs",
         "connectivity", "host")
"""Every area a verdict can belong to, in the order the faces show them."""

_RANK = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}


def worst(healths: Iterable[Health]) -> Health:
    """The worst of several verdicts: CRITICAL > UNKNOWN > WARNING > OK; OK if none."""
    result = OK
    for health in healths:
        if _RANK[health] > _RANK[result]:
            result = health
    return result


def rank(health: Health) -> int:
    """Sort key, higher is worse (UNKNOWN between WARNING and CRITICAL)."""
    return _RANK[health]


@dataclass(frozen=True)
class Verdict:
    """One object's health and why."""

    health: Health
    area: str
    subject: str
    """The object, as an operator names it: ``jupiter1``, ``vm1``, ``r0 → jupiter2``."""
    reason: str
    node: str | None = None


@dataclass(frozen=True)
class Judgement:
    """Every verdict of one state, and the overall health."""

    verdicts: tuple[Verdict, ...]
    overall: Health = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", worst(v.health for v in self.verdicts))

    def problems(self) -> tuple[Verdict, ...]:
        """Verdicts that are not OK, worst first, then in area order."""
        bad = [v for v in self.verdicts if v.health != OK]
        bad.sort(key=lambda v: (-rank(v.health), AREAS.index(v.area)))
        return tuple(bad)

    def area(self, area: str) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.area == area)

    def area_health(self, area: str) -> Health:
        return worst(v.health for v in self.verdicts if v.area == area)

    def of(self, area: str, subject: str) -> Health:
        """The worst verdict on one subject (OK when nothing was said about it)."""
        return worst(v.health for v in self.verdicts
                     if v.area == area and v.subject == subject)

    def summary(self) -> str:
        """The worst problem first, then how many more: for one status line."""
        problems = self.problems()
        if not problems:
            return "all OK"
        first = problems[0]
        text = f"{first.subject}: {first.reason}"
        if len(problems) > 1:
            text += f" (+{len(problems) - 1} more)"
        return text


@dataclass(frozen=True)
class Policy:
    """Site settings the rules need. The defaults suit the clusters hadeck was made for.

    Nagios thresholds stay in the check's command line; these are what the dashboard and
    ``hadeck status`` use.
    """

    drbd_states: Mapping[str, Health] = field(default_factory=dict)
    """Overrides by DRBD state word (connection, replication, disk or role), as the old
    check_drbd had: e.g. ``{"SyncTarget": Health.OK}``."""
    expected_real_servers: Mapping[str, int] = field(default_factory=dict)
    """Real servers each virtual service should have, by key (``TCP 192.0.2.10:80``)."""
    disk_warning_percent: float = 90.0
    disk_critical_percent: float = 95.0
    memory_warning_percent: float = 95.0
    load_warning_per_cpu: float = 4.0
    unmanaged_guests_ok: bool = False
    """Whether guests running outside cluster control are fine (WARNING otherwise)."""


DEFAULT_POLICY = Policy()


class Memo:
    """The verdicts of objects judged before, for a caller that judges every second.

    State objects are frozen, and most of a poll's are the very objects of the poll
    before: the Pacemaker parse is remembered while crm_mon prints the same, and a live
    DRBD stream hands over the same resources until they change. The same object gives
    the same verdicts, so they are looked up by identity instead of judged again (~45 ms
    a poll at 500 guests). Entries not used by one whole judgement are dropped. Not
    thread-safe: one judgement at a time (the dashboard's poller holds its lock).
    """

    def __init__(self) -> None:
        self._old: dict[int, tuple[object, object, list[Verdict]]] = {}
        self._new: dict[int, tuple[object, object, list[Verdict]]] = {}

    def get(self, obj: object, context: object, judge: Callable[[], list[Verdict]]
            ) -> list[Verdict]:
        """``judge()``, or what it returned for this very object in this very context."""
        key = id(obj)
        hit = self._new.get(key) or self._old.get(key)
        if hit is not None and hit[0] is obj and hit[1] == context:
            self._new[key] = hit
            return hit[2]
        verdicts = judge()
        self._new[key] = (obj, context, verdicts)
        return verdicts

    def turn(self) -> None:
        """One judgement is done: forget what it did not look at."""
        self._old, self._new = self._new, {}


def _memo(memo: Memo | None, obj: object, context: object,
          judge: Callable[[], list[Verdict]]) -> list[Verdict]:
    return judge() if memo is None else memo.get(obj, context, judge)


def judge(state: ClusterState, policy: Policy = DEFAULT_POLICY,
          memo: Memo | None = None) -> Judgement:
    """Judge a whole state: every area, every object.

    Args:
        state: what was read.
        policy: the site's thresholds and overrides.
        memo: verdicts of earlier judgements to reuse for unchanged objects.
    """
    verdicts: list[Verdict] = []
    verdicts += judge_sources(state.sources)
    if state.pacemaker is not None:
        verdicts += judge_cluster(state.pacemaker)
        verdicts += judge_nodes(state.pacemaker)
        verdicts += judge_resources(state.pacemaker, memo)
        verdicts += judge_pingd(state.pacemaker)
    verdicts += judge_drbd(state.drbd, policy.drbd_states, memo)
    verdicts += judge_guests(state.guests, state.pacemaker, _guest_nodes_read(state),
                             policy.unmanaged_guests_ok)
    verdicts += judge_lvs(state.lvs, policy.expected_real_servers)
    verdicts += judge_corosync(state.corosync)
    verdicts += judge_hosts(state.hosts, policy)
    if memo is not None:
        memo.turn()
    return Judgement(tuple(verdicts))


def _guest_nodes_read(state: ClusterState) -> frozenset[str]:
    return frozenset(s.node for s in state.sources if s.source == "guests" and s.ok)


# --------------------------------------------------------------------------- sources


def judge_sources(sources: Iterable[SourceStatus]) -> list[Verdict]:
    """A source that could not be read is UNKNOWN: hadeck cannot vouch for that part."""
    return [
        Verdict(UNKNOWN, "sources", f"{s.source}@{s.node}", s.error, s.node)
        for s in sources
        if s.error is not None
    ]


# --------------------------------------------------------------------------- pacemaker


def judge_cluster(pcmk: PacemakerState) -> list[Verdict]:
    info = pcmk.cluster
    out: list[Verdict] = []
    if info.dc is None:
        out.append(Verdict(CRITICAL, "cluster", "DC", "no Designated Controller elected"))
    else:
        out.append(Verdict(OK, "cluster", "DC", f"{info.dc} is DC"))
    if info.have_quorum is False:
        out.append(Verdict(CRITICAL, "cluster", "quorum", "partition has no quorum"))
    elif info.have_quorum:
        out.append(Verdict(OK, "cluster", "quorum", "quorate"))
    if info.maintenance_mode:
        out.append(Verdict(WARNING, "cluster", "maintenance-mode",
                           "cluster in maintenance mode: Pacemaker manages nothing"))
    return out


def judge_node(node: Node) -> Verdict:
    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "nodes", node.name, reason, node.name)

    if node.unclean:
        return verdict(CRITICAL, "unclean: must be fenced before its resources can move")
    if not node.online:
        return verdict(CRITICAL, "offline")
    if node.pending:
        return verdict(WARNING, "pending: joining the cluster")
    if node.health == "red":
        return verdict(CRITICAL, "node health red")
    if node.maintenance:
        return verdict(WARNING, "in maintenance: its resources are not managed")
    if node.standby:
        why = "standby (on fail)" if node.standby_onfail else "standby"
        return verdict(WARNING, f"{why}: runs no resources")
    if node.health == "yellow":
        return verdict(WARNING, "node health yellow")
    return verdict(OK, "online" + (", DC" if node.is_dc else ""))


def judge_nodes(pcmk: PacemakerState) -> list[Verdict]:
    return [judge_node(n) for n in pcmk.nodes if n.type != "ping"]


def judge_pingd(pcmk: PacemakerState, name: str = "pingd") -> list[Verdict]:
    """Connectivity scores the ping resource agent writes as a node attribute.

    Args:
        pcmk: Pacemaker's view.
        name: the attribute the ping agent writes (its ``name`` parameter; ``pingd``).
    """
    out: list[Verdict] = []
    scored = [n for n in pcmk.nodes if n.attribute(name) is not None]
    if not scored:
        if not _has_ping_resource(pcmk):
            return out  # no connectivity monitoring configured: nothing to judge
        # A ping resource that runs nowhere leaves every "pingd not_defined" rule true:
        # the guests it guards cannot run anywhere.
        return [Verdict(CRITICAL, "connectivity", f"{name} {n.name}",
                        f"no {name} score: the ping resource runs nowhere", n.name)
                for n in pcmk.nodes if n.online and n.type != "ping"]
    for node in pcmk.nodes:
        if not node.online or node.type == "ping":
            continue
        subject = f"{name} {node.name}"
        attr = node.attribute(name)
        if attr is None:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"no {name} score: ping resource not running here", node.name))
            continue
        value = _number(attr.value)
        expected = _number(attr.expected) if attr.expected else None
        if value is None:
            out.append(Verdict(UNKNOWN, "connectivity", subject,
                               f"{name} is {attr.value!r}, not a number", node.name))
        elif value <= 0:
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               f"{name} 0: reaches no ping node", node.name))
        elif expected is not None and value < expected:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"{name} {attr.value} of {attr.expected}: some ping nodes lost",
                               node.name))
        else:
            shown = f" of {attr.expected}" if attr.expected else ""
            out.append(Verdict(OK, "connectivity", subject, f"{name} {attr.value}{shown}",
                               node.name))
    return out


PING_AGENTS = ("ocf:pacemaker:ping", "ocf:heartbeat:pingd", "ocf:pacemaker:pingd")


def _has_ping_resource(pcmk: PacemakerState) -> bool:
    if any(p.agent in PING_AGENTS for p in pcmk.primitives):
        return True
    return any(p.agent in PING_AGENTS for r in pcmk.resources for p in r.primitives())


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def judge_resources(pcmk: PacemakerState, memo: Memo | None = None) -> list[Verdict]:
    """Every top-level resource, failed actions, fail counts and leftover cli constraints."""
    maintenance = pcmk.cluster.maintenance_mode
    out: list[Verdict] = []
    for rsc in pcmk.resources:
        out += _memo(memo, rsc, maintenance, partial(_judge_tree, rsc, maintenance))
    for fa in pcmk.failed_actions:
        why = fa.exit_reason or fa.exit_status or f"rc {fa.exit_code}"
        out.append(Verdict(WARNING, "resources", fa.resource,
                           f"{fa.task or fa.op_key} failed on {fa.node}: {why}"
                           f" (at {fa.last_rc_change}; clean up when fixed)", fa.node))
    for fc in pcmk.fail_counts:
        if fc.count <= 0:
            continue
        shown = "INFINITY" if fc.count >= 1000000 else str(fc.count)
        health = CRITICAL if (fc.migration_threshold and fc.count >= fc.migration_threshold) \
            else WARNING
        why = (f"fail count {shown} on {fc.node}: banned from it until cleaned up"
               if health == CRITICAL else f"fail count {shown} on {fc.node}")
        out.append(Verdict(health, "resources", fc.resource, why, fc.node))
    for loc in pcmk.locations:
        if not loc.from_cli:
            continue
        what = "banned from" if loc.is_ban else "pinned to"
        until = f" until {loc.lifetime}" if loc.lifetime else ""
        out.append(Verdict(WARNING, "resources", loc.resource,
                           f"{what} {loc.node or 'a node'} by {loc.id}{until}: "
                           f"crm_resource --clear -r {loc.resource} when done", loc.node))
    return out


_TRANSITIONAL = ("Starting", "Stopping", "Migrating", "Promoting", "Demoting")


def _judge_tree(rsc: Resource, maintenance: bool) -> list[Verdict]:
    if rsc.kind == ResourceKind.CLONE:
        return [_judge_clone(rsc, maintenance)] + [
            v for child in rsc.children for v in _judge_problems_only(child, maintenance)
        ]
    if rsc.kind == ResourceKind.PRIMITIVE:
        return [_judge_primitive(rsc, maintenance)]
    return [v for child in rsc.children for v in _judge_tree(child, maintenance)]


def _judge_problems_only(rsc: Resource, maintenance: bool) -> list[Verdict]:
    """Clone instances: only failures count one by one; the clone judges availability."""
    out = []
    for prim in rsc.primitives():
        verdict = _judge_primitive(prim, maintenance, inside_clone=True)
        if verdict.health != OK:
            out.append(verdict)
    return out


def _judge_primitive(rsc: Resource, maintenance: bool, inside_clone: bool = False) -> Verdict:
    where = ", ".join(rsc.nodes)

    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "resources", rsc.id, reason, rsc.nodes[0] if rsc.nodes else None)

    if rsc.failed:
        return verdict(CRITICAL, f"failed{' on ' + where if where else ''}")
    if rsc.blocked:
        return verdict(CRITICAL, "blocked: a stop failed and no fencing recovered it")
    if len(rsc.nodes) > 1 and not inside_clone:
        return verdict(CRITICAL, f"active on {len(rsc.nodes)} nodes: {where}")
    if not rsc.managed and not maintenance:
        return verdict(WARNING, f"unmanaged ({rsc.role or 'unknown role'})")
    if rsc.orphaned:
        if rsc.active:
            return verdict(WARNING, "orphaned: active but no longer configured")
        return verdict(OK, "orphaned, stopped")
    if rsc.pending:
        return verdict(WARNING, f"{rsc.pending.lower()} {where}".strip())
    role = rsc.role or "Unknown"
    if role in _TRANSITIONAL:
        return verdict(WARNING, f"{role.lower()} {where}".strip())
    if role == "Stopped" or not rsc.active:
        if _disabled(rsc):
            return verdict(OK, "disabled (target role Stopped)")
        if inside_clone:
            return verdict(OK, "instance stopped")
        return verdict(CRITICAL, f"stopped, target role {rsc.target_role or 'Started'}")
    if role in ("Started", "Promoted", "Unpromoted"):
        return verdict(OK, f"{role} on {where}" if where else role)
    return verdict(UNKNOWN, f"role {role!r} not known to hadeck")


def _disabled(rsc: Resource) -> bool:
    return rsc.disabled or rsc.target_role in ("Stopped", "stopped")


def _judge_clone(clone: Resource, maintenance: bool) -> Verdict:
    instances = [c for c in clone.children if not c.orphaned]
    prims = [p for c in instances for p in c.primitives()]
    running = [c for c in instances if any(p.active for p in c.primitives())]
    promoted = [p for p in prims if p.role == "Promoted"]

    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "resources", clone.id, reason)

    if _disabled(clone) and not running:
        return verdict(OK, "disabled (target role Stopped)")
    if not running:
        return verdict(CRITICAL, "no instance running")
    nodes = sorted({n for p in prims for n in p.nodes})
    counted = f"{len(running)} of {len(instances)} instances running"
    if clone.promotable:
        if not promoted and clone.target_role not in ("Unpromoted", "Slave"):
            return verdict(CRITICAL, f"no instance promoted ({counted})")
        promoted_on = ", ".join(n for p in promoted for n in p.nodes)
        if len(running) < len(instances):
            return verdict(WARNING, f"{counted}; promoted on {promoted_on}")
        return verdict(OK, f"promoted on {promoted_on}; {counted}")
    if len(running) < len(instances):
        return verdict(WARNING, f"{counted} ({', '.join(nodes)})")
    return verdict(OK, f"{counted} ({', '.join(nodes)})")


# --------------------------------------------------------------------------- DRBD

_DISK = {
    "UpToDate": OK,
    "Consistent": WARNING,
    "Attaching": WARNING,
    "Detaching": WARNING,
    "Negotiating": WARNING,
    "Inconsistent": CRITICAL,
    "Outdated": CRITICAL,
    "Failed": CRITICAL,
    "Diskless": CRITICAL,
    "DUnknown": WARNING,
}
_CONNECTION_OK = ("Connected",)
_CONNECTION_DOWN = (
    "StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe", "NetworkFailure",
    "ProtocolError", "TearDown", "Connecting", "WFConnection", "WFReportParams",
)
_REPLICATION_SYNC = (
    "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID", "SyncSource",
    "SyncTarget", "PausedSyncS", "PausedSyncT",
)


def judge_drbd(
    resources: Iterable[DrbdResource], overrides: Mapping[str, Health] | None = None,
    memo: Memo | None = None,
) -> list[Verdict]:
    """DRBD resources, their local volumes and every peer connection and volume."""
    rules = dict(overrides or {})
    out: list[Verdict] = []
    for res in resources:
        out += _memo(memo, res, rules, partial(_judge_drbd_resource, res, rules))
    return out


def _judge_drbd_resource(res: DrbdResource, overrides: Mapping[str, Health]) -> list[Verdict]:
    def verdict(health: Health, subject: str, reason: str) -> Verdict:
        return Verdict(health, "drbd", subject, reason, res.node or None)

    out: list[Verdict] = []
    subject = f"{res.name}@{res.node}" if res.node else res.name
    if res.suspended not in ("no", ""):
        out.append(verdict(CRITICAL, subject, f"I/O suspended ({res.suspended})"))
    if res.quorum is False:
        out.append(verdict(CRITICAL, subject, "lost quorum: I/O frozen or refused"))
    if res.role not in ("Primary", "Secondary"):
        out.append(_override(verdict(UNKNOWN, subject, f"role {res.role!r}"), res.role,
                             overrides))
    for vol in res.volumes:
        out.append(_override(_judge_volume(res, vol, subject), vol.disk, overrides))
    for conn in res.connections:
        out += _judge_connection(res, conn, subject, overrides)
    if not any(v.health != OK for v in out):
        out.append(verdict(OK, subject, f"{res.role}, " + _peers_summary(res)))
    return out


def _override(verdict: Verdict, word: str, overrides: Mapping[str, Health]) -> Verdict:
    if word in overrides:
        return Verdict(overrides[word], verdict.area, verdict.subject,
                       verdict.reason + " (health set by override)", verdict.node)
    return verdict


def _peers_summary(res: DrbdResource) -> str:
    if not res.connections:
        return "no peers configured"
    return ", ".join(f"{c.peer} {c.state}" for c in res.connections)


def _vol_label(subject: str, volume: int, count: int) -> str:
    return subject if count <= 1 else f"{subject}/{volume}"


def _judge_volume(res: DrbdResource, vol: DrbdVolume, subject: str) -> Verdict:
    label = _vol_label(subject, vol.volume, len(res.volumes))
    node = res.node or None
    if vol.disk == "Diskless" and vol.client:
        return Verdict(OK, "drbd", label, "diskless client", node)
    health = _DISK.get(vol.disk, UNKNOWN)
    if vol.disk == "Inconsistent" and _syncing_to_us(res, vol.volume):
        health = WARNING
    if health == OK:
        return Verdict(OK, "drbd", label, f"disk {vol.disk}", node)
    if health == UNKNOWN:
        return Verdict(UNKNOWN, "drbd", label, f"disk state {vol.disk!r} not known to hadeck",
                       node)
    detail = {
        "Diskless": "diskless: detached from its backing device",
        "Inconsistent": "local disk Inconsistent",
        "Outdated": "local disk Outdated: not safe to promote",
        "Failed": "local disk Failed (I/O error)",
        "DUnknown": "local disk state unknown",
    }.get(vol.disk, f"local disk {vol.disk}")
    return Verdict(health, "drbd", label, detail, node)


def _syncing_to_us(res: DrbdResource, volume: int) -> bool:
    return any(pv.volume == volume and pv.syncing
               for c in res.connections for pv in c.peer_volumes)


def _judge_connection(
    res: DrbdResource, conn: DrbdConnection, subject: str, overrides: Mapping[str, Health]
) -> list[Verdict]:
    label = f"{subject} → {conn.peer}"
    node = res.node or None
    if conn.state not in _CONNECTION_OK:
        if conn.state in _CONNECTION_DOWN:
            why = {
                "StandAlone": "StandAlone: not trying to connect (split brain, or "
                              "disconnected by an admin)",
            }.get(conn.state, f"peer not connected ({conn.state})")
            return [_override(Verdict(CRITICAL, "drbd", label, why, node), conn.state,
                              overrides)]
        return [_override(Verdict(UNKNOWN, "drbd", label,
                                  f"connection state {conn.state!r} not known to hadeck", node),
                          conn.state, overrides)]
    out = []
    for pv in conn.peer_volumes:
        verdict = _judge_peer_volume(res, pv, label)
        word = pv.replication if pv.replication != "Established" else pv.peer_disk
        out.append(_override(verdict, word, overrides))
    return out


def _judge_peer_volume(res: DrbdResource, pv: DrbdPeerVolume, label: str) -> Verdict:
    label = _vol_label(label, pv.volume, len(res.volumes))
    node = res.node or None
    if pv.replication in _REPLICATION_SYNC:
        return Verdict(WARNING, "drbd", label, sync_text(pv), node)
    if pv.replication.startswith("Verify"):
        return Verdict(OK, "drbd", label, "online verify running" + _progress(pv), node)
    if pv.replication in ("Ahead", "Behind"):
        return Verdict(WARNING, "drbd", label,
                       f"{pv.replication}: replication congested, peer lagging", node)
    if pv.replication not in ("Established", "Off"):
        return Verdict(UNKNOWN, "drbd", label,
                       f"replication state {pv.replication!r} not known to hadeck", node)
    if pv.peer_disk == "UpToDate":
        if pv.out_of_sync_kib:
            return Verdict(WARNING, "drbd", label,
                           f"{pv.out_of_sync_kib} KiB out of sync", node)
        return Verdict(OK, "drbd", label, "peer disk UpToDate", node)
    if pv.peer_disk == "Diskless" and pv.peer_client:
        return Verdict(OK, "drbd", label, "peer is a diskless client", node)
    health = _DISK.get(pv.peer_disk, UNKNOWN)
    if health == UNKNOWN:
        return Verdict(UNKNOWN, "drbd", label,
                       f"peer disk state {pv.peer_disk!r} not known to hadeck", node)
    return Verdict(max(health, WARNING), "drbd", label, f"peer disk {pv.peer_disk}", node)


def sync_text(pv: DrbdPeerVolume) -> str:
    """``SyncSource 43.6 % at 101.2 MiB/s, ETA 1:54``: a resync in one phrase."""
    return pv.replication + _progress(pv)


def _progress(pv: DrbdPeerVolume) -> str:
    parts = []
    if pv.done_percent is not None:
        parts.append(f" {pv.done_percent:.1f} %")
    if pv.rate_kib_s:
        parts.append(f" at {pv.rate_kib_s / 1024:.1f} MiB/s")
    if pv.eta_seconds is not None:
        parts.append(f", ETA {format_duration(pv.eta_seconds)}")
    elif pv.done_percent is not None:
        parts.append(", ETA unknown")
    return "".join(parts)


def format_duration(seconds: float) -> str:
    """``1:54``, ``2:03:10``: how DRBD and operators write remaining time."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --------------------------------------------------------------------------- guests

_GUEST_STATES = {
    "running": OK,
    "idle": OK,
    "blocked": OK,
    "shut off": OK,
    "stopped": OK,
    "paused": WARNING,
    "in shutdown": WARNING,
    "pmsuspended": WARNING,
    "mounted": WARNING,
    "suspended": WARNING,
    "saved": OK,
    "crashed": CRITICAL,
    "dying": WARNING,
    "no state": UNKNOWN,
}


def judge_guests(
    guests: Iterable[Guest],
    pcmk: PacemakerState | None,
    nodes_read: frozenset[str] | None = None,
    unmanaged_ok: bool = False,
) -> list[Verdict]:
    """Guests by their own state, and against where Pacemaker says they run.

    Args:
        guests: every guest seen, on every node read.
        pcmk: Pacemaker's view, to find guests that should run but do not, and guests
            running where the cluster does not know it.
        nodes_read: nodes whose guest list was read; a cluster guest is only missed
            where hadeck could look.
        unmanaged_ok: running guests without a cluster resource are fine.
    """
    guests = tuple(guests)
    out: list[Verdict] = []
    running_on: dict[str, list[str]] = {}
    for g in guests:
        if g.running:
            running_on.setdefault(g.name, []).append(g.node)
    for g in guests:
        subject = f"{g.name}@{g.node}"
        health = _GUEST_STATES.get(g.state, UNKNOWN)
        if health == UNKNOWN:
            reason = f"state {g.state!r} not known to hadeck"
        elif g.state == "paused":
            reason = "paused: not running"
        else:
            reason = g.state
        if g.running and len(running_on.get(g.name, ())) > 1:
            health, reason = CRITICAL, (
                f"running on {len(running_on[g.name])} nodes at once: "
                f"{', '.join(running_on[g.name])}")
        elif g.running and g.resource is None and pcmk is not None and not unmanaged_ok:
            health, reason = WARNING, "running outside cluster control (no resource)"
        elif g.resource and g.running:
            reason = f"running, resource {g.resource}"
        out.append(Verdict(health, "guests", subject, reason, g.node))
    if pcmk is not None and nodes_read:
        out += _missing_guests(guests, pcmk, nodes_read)
    return out


def _missing_guests(
    guests: tuple[Guest, ...], pcmk: PacemakerState, nodes_read: frozenset[str]
) -> list[Verdict]:
    """A resource Pacemaker says is Started whose guest is not running there."""
    out = []
    by_resource = {g.resource: g for g in guests if g.resource}
    # (resource, node) → the guests there: one pass, not a scan of all guests per resource.
    placed: dict[tuple[str, str], list[Guest]] = {}
    for g in guests:
        if g.resource:
            placed.setdefault((g.resource, g.node), []).append(g)
    for rsc in pcmk.resources:
        for prim in rsc.primitives():
            if prim.agent not in GUEST_AGENTS or not prim.active:
                continue
            for node in prim.nodes:
                if node not in nodes_read:
                    continue
                there = placed.get((prim.id, node), [])
                if any(g.running for g in there):
                    continue
                seen = by_resource.get(prim.id)
                state = there[0].state if there else None
                why = (f"Pacemaker runs {prim.id} on {node}, but the guest there is {state}"
                       if state else
                       f"Pacemaker runs {prim.id} on {node}, but no such guest runs there")
                subject = f"{seen.name if seen else prim.id}@{node}"
                out.append(Verdict(CRITICAL, "guests", subject, why, node))
    return out


GUEST_AGENTS = (
    "ocf:heartbeat:VirtualDomain",
    "ocf:heartbeat:Xen",
    "ocf:heartbeat:ManageVE",
    "ocf:heartbeat:lxc",
)
"""Resource agents that manage a guest; the join in :mod:`hadeck.join` reads their params."""


# --------------------------------------------------------------------------- LVS

_VRRP = {"MASTER": OK, "BACKUP": OK, "INIT": WARNING, "STOP": WARNING, "FAULT": CRITICAL}


def judge_lvs(
    directors: Iterable[LvsDirector], expected: Mapping[str, int] | None = None
) -> list[Verdict]:
    expected = expected or {}
    directors = tuple(directors)
    out: list[Verdict] = []
    for director in directors:
        for svc in director.services:
            out.append(judge_service(svc, expected.get(svc.key)))
    out += _judge_vrrp(directors)
    return out


def judge_service(svc: VirtualService, expected: int | None = None) -> Verdict:
    """A virtual service: CRITICAL with no weighted real server, WARNING when short."""
    weighted = svc.weighted
    total = len(svc.real_servers)
    subject = f"{svc.key}@{svc.director}" if svc.director else svc.key
    node = svc.director or None
    if not weighted:
        why = ("no real servers" if not total
               else f"all {total} real servers quiesced (weight 0)")
        return Verdict(CRITICAL, "lvs", subject, f"{why}: service is down", node)
    quiesced = total - len(weighted)
    if expected is not None and len(weighted) < expected:
        return Verdict(WARNING, "lvs", subject,
                       f"{len(weighted)} of {expected} real servers in service", node)
    if quiesced:
        return Verdict(WARNING, "lvs", subject,
                       f"{len(weighted)} of {total} real servers in service, "
                       f"{quiesced} quiesced (weight 0)", node)
    return Verdict(OK, "lvs", subject, f"{total} real servers in service", node)


def _judge_vrrp(directors: tuple[LvsDirector, ...]) -> list[Verdict]:
    out: list[Verdict] = []
    by_name: dict[str, list[tuple[str, str]]] = {}
    for director in directors:
        for inst in director.vrrp:
            by_name.setdefault(inst.name, []).append((director.node, inst.state))
            health = _VRRP.get(inst.state, UNKNOWN)
            reason = inst.state if health != UNKNOWN else \
                f"VRRP state {inst.state!r} not known to hadeck"
            out.append(Verdict(health, "lvs", f"VRRP {inst.name}@{director.node}", reason,
                               director.node))
    for name, seen in by_name.items():
        masters = [node for node, state in seen if state == "MASTER"]
        if not masters:
            out.append(Verdict(CRITICAL, "lvs", f"VRRP {name}",
                               "no director is MASTER: the virtual IPs are down"))
        elif len(masters) > 1:
            out.append(Verdict(CRITICAL, "lvs", f"VRRP {name}",
                               f"{len(masters)} directors MASTER at once: "
                               f"{', '.join(masters)}"))
        else:
            out.append(Verdict(OK, "lvs", f"VRRP {name}", f"MASTER on {masters[0]}"))
    return out


# --------------------------------------------------------------------------- corosync


def judge_corosync(statuses: Iterable[CorosyncStatus]) -> list[Verdict]:
    out: list[Verdict] = []
    for status in statuses:
        out += _judge_links(status)
        quorum = status.quorum
        if quorum is None:
            continue
        subject = f"corosync quorum@{status.node}"
        if quorum.quorate is False or quorum.blocked:
            votes = (f" ({quorum.total_votes} of {quorum.expected_votes} votes)"
                     if quorum.total_votes is not None else "")
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               f"not quorate, activity blocked{votes}", status.node))
        elif quorum.quorate:
            votes = (f", {quorum.total_votes} of {quorum.expected_votes} votes"
                     if quorum.total_votes is not None else "")
            out.append(Verdict(OK, "connectivity", subject, f"quorate{votes}", status.node))
    return out


def _judge_links(status: CorosyncStatus) -> list[Verdict]:
    out: list[Verdict] = []
    per_peer: dict[int, list[tuple[int, str]]] = {}
    names: dict[int, str] = {}
    for link in status.links:
        if link.faulty:
            health = WARNING if len(status.links) > 1 else CRITICAL
            out.append(Verdict(health, "connectivity", f"ring {link.link_id}@{status.node}",
                               f"ring {link.link_id} FAULTY: {link.status or ''}".strip(),
                               status.node))
        for peer in link.peers:
            if peer.state == "localhost":
                continue
            per_peer.setdefault(peer.node_id, []).append((link.link_id, peer.state))
            if peer.name:
                names[peer.node_id] = peer.name
    for node_id, links in sorted(per_peer.items()):
        name = names.get(node_id, f"node {node_id}")
        subject = f"link {status.node} → {name}"
        down = [lid for lid, state in links if state != "connected"]
        if not down:
            out.append(Verdict(OK, "connectivity", subject,
                               f"{len(links)} link(s) connected", status.node))
        elif len(down) == len(links):
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               "every corosync link down", status.node))
        else:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"link {', '.join(map(str, down))} down, "
                               f"{len(links) - len(down)} still up", status.node))
    return out


# --------------------------------------------------------------------------- host


def judge_hosts(hosts: Iterable[HostMetrics], policy: Policy = DEFAULT_POLICY) -> list[Verdict]:
    out: list[Verdict] = []
    for host in hosts:
        out += _judge_host(host, policy)
    return out


def _judge_host(host: HostMetrics, policy: Policy) -> list[Verdict]:
    out: list[Verdict] = []
    node = host.node
    for md in host.md_arrays:
        subject = f"{md.name}@{node}"
        if not md.active:
            out.append(Verdict(CRITICAL, "host", subject, "array inactive", node))
        elif md.degraded and md.action in ("recovery", "resync"):
            out.append(Verdict(WARNING, "host", subject,
                               f"degraded [{md.status_map}], {md.action} "
                               f"{md.progress_percent or 0:.1f} %"
                               + (f", {md.finish_minutes:g} min left"
                                  if md.finish_minutes is not None else ""), node))
        elif md.degraded:
            faulty = [m.name for m in md.members if "F" in m.flags]
            out.append(Verdict(CRITICAL, "host", subject,
                               f"degraded [{md.status_map}]: "
                               f"{md.working_disks} of {md.raid_disks} disks working"
                               + (f", {', '.join(faulty)} faulty" if faulty else ""), node))
        elif md.action in ("resync", "recovery", "reshape"):
            out.append(Verdict(WARNING, "host", subject,
                               f"{md.action} {md.progress_percent or 0:.1f} %", node))
        elif md.pending:
            out.append(Verdict(WARNING, "host", subject, f"resync {md.pending}", node))
        else:
            action = f", {md.action} running" if md.action else ""
            out.append(Verdict(OK, "host", subject,
                               f"[{md.status_map}]{action}" if md.status_map
                               else f"active{action}",
                               node))
    for disk in host.disks:
        pct = disk.percent
        health = (CRITICAL if pct >= policy.disk_critical_percent
                  else WARNING if pct >= policy.disk_warning_percent else OK)
        if health != OK:
            out.append(Verdict(health, "host", f"{disk.mountpoint}@{node}",
                               f"{pct:.0f} % full", node))
    mem = host.memory_used_percent
    if mem is not None and mem >= policy.memory_warning_percent:
        out.append(Verdict(WARNING, "host", f"memory@{node}", f"{mem:.0f} % used", node))
    if host.load and host.cpu_count:
        per_cpu = host.load[1] / host.cpu_count
        if per_cpu >= policy.load_warning_per_cpu:
            out.append(Verdict(WARNING, "host", f"load@{node}",
                               f"load {host.load[1]:.2f} on {host.cpu_count} CPUs", node))
    if not out:
        out.append(Verdict(OK, "host", node, "ok", node))
    return out
