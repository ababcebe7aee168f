"""Pacemaker's view: the cluster (DC, quorum, maintenance), its nodes and resources."""

from __future__ import annotations

from functools import partial

from hadeck.dates import cluster_time
from hadeck.health.verdict import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Kind,
    Memo,
    Subject,
    Verdict,
    memo_get,
)
from hadeck.model import (
    Health,
    Node,
    PacemakerState,
    Resource,
    ResourceKind,
)
from hadeck.record import replace

DC = Subject(Kind.CLUSTER, "DC")
QUORUM = Subject(Kind.CLUSTER, "quorum")
MAINTENANCE = Subject(Kind.CLUSTER, "maintenance-mode")


def judge_cluster(pcmk: PacemakerState) -> list[Verdict]:
    info = pcmk.cluster
    out: list[Verdict] = []
    if info.dc is None:
        out.append(Verdict(CRITICAL, "cluster", DC, "no Designated Controller elected"))
    else:
        out.append(Verdict(OK, "cluster", DC, f"{info.dc} is DC"))
    if info.have_quorum is False:
        out.append(Verdict(CRITICAL, "cluster", QUORUM, "partition has no quorum"))
    elif info.have_quorum:
        out.append(Verdict(OK, "cluster", QUORUM, "quorate"))
    if info.maintenance_mode:
        out.append(Verdict(WARNING, "cluster", MAINTENANCE,
                           "cluster in maintenance mode: Pacemaker manages nothing"))
    return out


def judge_node(node: Node) -> Verdict:
    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "nodes", Subject(Kind.NODE, node.name), reason, node.name)

    if node.unclean:
        return verdict(CRITICAL, "unclean: must be fenced before its resources can move")
    if not node.online:
        if not node.expected_up:
            # The controller records expected="down" for a node that left on purpose
            # (pacemaker stopped, a reboot): redundancy is lost, nothing crashed.
            return verdict(WARNING, "offline: shut down cleanly (not expected up)")
        return verdict(CRITICAL, "offline: crashed or cut off (expected up)")
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


def judge_resources(pcmk: PacemakerState, memo: Memo | None = None) -> list[Verdict]:
    """Every top-level resource, failed actions and fail counts (leftover cli- constraints:
    :mod:`hadeck.health.constraints`)."""
    maintenance = pcmk.cluster.maintenance_mode
    busy = in_transition(pcmk)
    out: list[Verdict] = []
    for rsc in pcmk.resources:
        out += memo_get(memo, rsc, (maintenance, busy),
                        partial(_judge_tree, rsc, maintenance, busy))
    began: dict[tuple[str, str], float] = {}
    for fa in pcmk.failed_actions:
        why = fa.exit_reason or fa.exit_status or f"rc {fa.exit_code}"
        failed = "failed"
        if fa.status and fa.status not in ("complete", "done"):
            # crm_mon: "could not be executed (Timed Out)": the agent gave no result, so
            # its exit status ("error") says nothing.
            failed = f"could not be executed ({fa.status})"
            why = fa.exit_reason or ""
        at = cluster_time(fa.last_rc_change)
        if at is not None:
            key = (fa.resource, fa.node)
            began[key] = min(at, began.get(key, at))
        out.append(Verdict(WARNING, "resources", Subject(Kind.RESOURCE, fa.resource),
                           f"{fa.task or fa.op_key} {failed} on {fa.node}"
                           f"{': ' + why if why else ''}"
                           f" (at {fa.last_rc_change}; clean up when fixed)", fa.node, at))
    if began:
        out = [_dated(v, began) for v in out]
    running = _running_nodes(pcmk)
    for fc in pcmk.fail_counts:
        if fc.count <= 0:
            continue
        shown = "INFINITY" if fc.count >= 1000000 else str(fc.count)
        banned = bool(fc.migration_threshold and fc.count >= fc.migration_threshold)
        elsewhere = [n for n in running.get(fc.resource, ()) if n != fc.node]
        cleanup = f"crm_resource --cleanup -r {fc.resource} -N {fc.node}"
        if banned and elsewhere:
            # The resource is fine where it runs; only the node is closed to it.
            health = WARNING
            why = (f"fail count {shown} on {fc.node}: it runs on {', '.join(elsewhere)}, "
                   f"and cannot go back to {fc.node} until cleaned up: {cleanup}")
        elif banned:
            health = CRITICAL
            why = f"fail count {shown} on {fc.node}: banned from it until cleaned up"
        else:
            health = WARNING
            why = f"fail count {shown} on {fc.node}"
        out.append(Verdict(health, "resources", Subject(Kind.RESOURCE, fc.resource), why,
                           fc.node, cluster_time(fc.last_failure)))
    return out


def _dated(v: Verdict, began: dict[tuple[str, str], float]) -> Verdict:
    """A failed or blocked resource's verdict, with when its failure happened."""
    if v.since is not None or v.health == OK or v.node is None:
        return v
    at = began.get((v.key.name, v.node))
    if at is None or not v.reason.startswith(("failed", "blocked")):
        return v
    return replace(v, since=at)


def _running_nodes(pcmk: PacemakerState) -> dict[str, tuple[str, ...]]:
    """Primitive id → every node an instance of it runs on (clone instances share ids)."""
    out: dict[str, dict[str, None]] = {}
    for rsc in pcmk.resources:
        for prim in rsc.primitives():
            out.setdefault(prim.id, {}).update(dict.fromkeys(prim.nodes))
    return {k: tuple(v) for k, v in out.items()}


_TRANSITIONAL = ("Starting", "Stopping", "Migrating", "Promoting", "Demoting")
_ROUTINE = ("Monitoring", "Monitor")
"""Pending operations that change nothing: a recurring monitor in flight (seen in 9 of
25 polls of a healthy cluster with a slow ping monitor) is no problem."""


def in_transition(pcmk: PacemakerState) -> bool:
    """Whether Pacemaker is carrying out a transition: an operation other than a
    recurring monitor is in flight somewhere (``pending``, or a role like Starting)."""
    return any((p.pending and p.pending not in _ROUTINE) or p.role in _TRANSITIONAL
               for rsc in pcmk.resources for p in rsc.primitives())


def _judge_tree(rsc: Resource, maintenance: bool, busy: bool = False) -> list[Verdict]:
    if rsc.kind == ResourceKind.CLONE:
        return [_judge_clone(rsc, maintenance, busy)] + [
            v for child in rsc.children for v in _judge_problems_only(child, maintenance)
        ]
    if rsc.kind == ResourceKind.PRIMITIVE:
        return [_judge_primitive(rsc, maintenance, busy=busy)]
    return [v for child in rsc.children for v in _judge_tree(child, maintenance, busy)]


def _judge_problems_only(rsc: Resource, maintenance: bool) -> list[Verdict]:
    """Clone instances: only failures count one by one; the clone judges availability."""
    out = []
    for prim in rsc.primitives():
        verdict = _judge_primitive(prim, maintenance, inside_clone=True)
        if verdict.health != OK:
            out.append(verdict)
    return out


def _judge_primitive(rsc: Resource, maintenance: bool, inside_clone: bool = False,
                     busy: bool = False) -> Verdict:
    where = ", ".join(rsc.nodes)

    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "resources", Subject(Kind.RESOURCE, rsc.id), reason,
                       rsc.nodes[0] if rsc.nodes else None)

    if rsc.blocked:
        # crm_mon: "FAILED jupiter1 (blocked)", "1 BLOCKED from further action".
        return verdict(CRITICAL, f"blocked{' on ' + where if where else ''}"
                       f"{': its stop failed' if rsc.failed else ''} and no fencing "
                       "recovered it: Pacemaker will do nothing until someone acts")
    if rsc.failed:
        return verdict(CRITICAL, f"failed{' on ' + where if where else ''}")
    if len(rsc.nodes) > 1 and not inside_clone:
        return verdict(CRITICAL, f"active on {len(rsc.nodes)} nodes: {where}")
    if not rsc.managed and not maintenance:
        return verdict(WARNING, f"unmanaged ({rsc.role or 'unknown role'})")
    if rsc.orphaned:
        if rsc.active:
            return verdict(WARNING, "orphaned: active but no longer configured")
        return verdict(OK, "orphaned, stopped")
    if rsc.pending and rsc.pending not in _ROUTINE:
        return verdict(WARNING, f"{rsc.pending.lower()} {where}".strip())
    role = rsc.role or "Unknown"
    if role in _TRANSITIONAL:
        return verdict(WARNING, f"{role.lower()} {where}".strip())
    if role == "Stopped" or not rsc.active:
        if _disabled(rsc):
            return verdict(OK, "disabled (target role Stopped)")
        if inside_clone:
            return verdict(OK, "instance stopped")
        if busy:
            # A planned move (standby, crm_resource --move) stops a resource before it
            # starts elsewhere, seconds apart: not down until the transition settles.
            return verdict(WARNING, "moving: stopped while Pacemaker carries out a "
                                    "transition (CRITICAL if still stopped once it settles)")
        if rsc.target_role:
            return verdict(CRITICAL, f"stopped, target role {rsc.target_role}")
        return verdict(CRITICAL, "stopped")
    if role in ("Started", "Promoted", "Unpromoted"):
        return verdict(OK, f"{role} on {where}" if where else role)
    return verdict(UNKNOWN, f"role {role!r} not known to hadeck")


def _disabled(rsc: Resource) -> bool:
    return rsc.disabled or rsc.target_role in ("Stopped", "stopped")


def _judge_clone(clone: Resource, maintenance: bool, busy: bool = False) -> Verdict:
    instances = [c for c in clone.children if not c.orphaned]
    prims = [p for c in instances for p in c.primitives()]
    running = [c for c in instances if any(p.active for p in c.primitives())]
    promoted = [p for p in prims if p.role == "Promoted"]

    def verdict(health: Health, reason: str) -> Verdict:
        return Verdict(health, "resources", Subject(Kind.RESOURCE, clone.id), reason)

    if _disabled(clone) and not running:
        return verdict(OK, "disabled (target role Stopped)")
    if not running:
        return verdict(CRITICAL, "no instance running")
    nodes = sorted({n for p in prims for n in p.nodes})
    counted = f"{len(running)} of {len(instances)} instances running"
    if clone.promotable:
        if not promoted and clone.target_role not in ("Unpromoted", "Slave"):
            if busy:
                return verdict(WARNING, f"no instance promoted yet, transition in progress "
                                        f"({counted})")
            return verdict(CRITICAL, f"no instance promoted ({counted})")
        promoted_on = ", ".join(n for p in promoted for n in p.nodes)
        if len(running) < len(instances):
            return verdict(WARNING, f"{counted}; promoted on {promoted_on}")
        return verdict(OK, f"promoted on {promoted_on}; {counted}")
    if len(running) < len(instances):
        return verdict(WARNING, f"{counted} ({', '.join(nodes)})")
    return verdict(OK, f"{counted} ({', '.join(nodes)})")
