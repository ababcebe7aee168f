"""Pacemaker's view: the cluster (DC, quorum, maintenance), its nodes and resources."""

from __future__ import annotations

from collections.abc import Iterable
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
    ClusterState,
    DrbdResource,
    Guest,
    Health,
    LocationConstraint,
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
    :func:`judge_constraints`)."""
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


# --------------------------------------------------------------------------- constraints
#
# Leftover ``cli-`` constraints: moves and bans nobody cleared.
#
# ``crm_resource --move`` (``pcs resource move``, ``crm resource move``) leaves
# ``cli-prefer-<rsc>`` behind, pinning the resource to a node with INFINITY; ``--ban``
# leaves ``cli-ban-<rsc>-on-<node>``, -INFINITY. Both stay until cleared: the next failover
# then cannot use that node, or the resource cannot move back. Each one is a WARNING
# about the resource, with the node, its lifetime (the ``--lifetime`` end date, or that it
# has none), and the command that clears it, ``hadeck clear RESOURCE``. A lifetime that has
# passed no longer applies (the scheduler ignores the rule), but the constraint stays in the
# CIB until cleared: still a WARNING, saying so.
#
# The CIB does not record when a constraint was made, so a one-shot read cannot give its
# age; the dashboard's overview shows for how long it has seen each problem.


def judge_constraints(pcmk: PacemakerState, now: float | None = None) -> list[Verdict]:
    """A WARNING for every ``cli-prefer-*`` / ``cli-ban-*`` location constraint.

    Args:
        pcmk: Pacemaker's state, with the CIB's location constraints.
        now: when the state was read (seconds since the epoch), to tell an expired
            lifetime; None: never expired.
    """
    return [_verdict(loc, now) for loc in pcmk.locations if loc.from_cli]


def _verdict(loc: LocationConstraint, now: float | None) -> Verdict:
    rsc = loc.resource
    node = loc.node or "a node"
    if loc.is_ban:
        what = f"banned from {node} by {loc.id}"
    else:
        what = f"pinned to {node} by {loc.id}"
    if loc.role and loc.role not in ("Started", "Slave", "Unpromoted"):
        what += f" (role {loc.role})"
    end = None
    if loc.lifetime:
        from hadeck.dates import parse_date  # only a constraint with a lifetime reads one

        end = parse_date(loc.lifetime)
    if loc.lifetime is None:
        lifetime = " with no lifetime: it stays until cleared"
    elif end is not None and now is not None and end <= now:
        lifetime = f", expired {loc.lifetime}: no longer applies but is still in the CIB"
    else:
        lifetime = f" until {loc.lifetime}"
    return Verdict(WARNING, "resources", Subject(Kind.RESOURCE, rsc),
                   f"{what}{lifetime}; hadeck clear {rsc}", loc.node)


# --------------------------------------------------------------------------- membership
#
# Membership: a node that is up but out of the cluster while it still runs guests.
#
# corosync killed (or crashed) on a node takes the node out of the cluster without
# stopping what runs there: its guests and DRBD Primaries go on, while the other nodes
# see it lost and, without fencing, start its resources again elsewhere. That is the worst
# state a cluster can be in short of data loss (two copies of one guest writing, one
# service address on two nodes), and each source alone reads as something milder: on the
# node itself crm_mon and corosync's tools merely fail (UNKNOWN), elsewhere it is "offline"
# like any crashed node. Together they are CRITICAL.
#
# Evidence that a node is out of the cluster, in order:
#
# - Pacemaker, read on another node, sees it offline, yet the node answered this read;
# - no Pacemaker view at all (crm_mon failed) and corosync's tools fail on the node too:
#   neither half of the cluster stack answers there.


def out_of_cluster(state: ClusterState) -> dict[str, str]:
    """The nodes that answered this read but are not cluster members, with the evidence."""
    answered = {s.node for s in state.sources if s.source != "node"}
    pcmk = state.pacemaker
    out: dict[str, str] = {}
    if pcmk is not None:
        for node in pcmk.nodes:
            if node.type == "member" and not node.online and node.name in answered:
                out[node.name] = f"Pacemaker on {state.local_node} sees it offline"
        return out
    read = {s.node for s in state.corosync}
    for s in state.sources:
        if s.source == "corosync" and s.error is not None and s.node not in read:
            out[s.node] = "neither crm_mon nor corosync's tools answer there"
    return out


def judge_membership(state: ClusterState) -> list[Verdict]:
    """CRITICAL for a node out of the cluster that still runs guests or DRBD Primaries.

    Nothing is said of a node out of the cluster that runs nothing: Pacemaker's
    "offline" and the failed sources already say it.
    """
    out: list[Verdict] = []
    for node, why in sorted(out_of_cluster(state).items()):
        guests = sorted({g.name for g in state.guests if g.node == node and g.running})
        primaries = sorted({r.name for r in state.drbd
                            if r.node == node and r.role == "Primary"})
        if not guests and not primaries:
            continue
        held = ", ".join(guests) if guests else "no guest"
        text = f"{node} is not in the cluster ({why}) but still runs {held}"
        if primaries:
            text += f" and is DRBD Primary of {', '.join(primaries)}"
        twice = _elsewhere(state, node, guests, primaries)
        if twice:
            text += f" — the cluster runs {'; '.join(twice)} too: split brain risk"
        else:
            text += ": the cluster may start them elsewhere (split brain risk)"
        out.append(Verdict(CRITICAL, "nodes", Subject(Kind.NODE, node), text, node))
    return out


def _elsewhere(state: ClusterState, node: str, guests: list[str],
               primaries: list[str]) -> list[str]:
    """``vm1 on jupiter2``: what the node holds that runs on another node as well."""
    where: dict[str, set[str]] = {}
    for g in state.guests:
        if g.name in guests and g.node != node and g.running:
            where.setdefault(g.name, set()).add(g.node)
    for r in state.drbd:
        if r.name in primaries and r.node != node and r.role == "Primary":
            where.setdefault(r.name, set()).add(r.node)
    pcmk = state.pacemaker
    if pcmk is not None:
        managed = {g.name: g.resource or g.name for g in state.guests if g.node == node}
        for name in guests:
            rsc = pcmk.find(managed.get(name, name))
            if rsc is not None:
                where.setdefault(name, set()).update(n for p in rsc.primitives()
                                                     for n in p.nodes if n != node)
    order = {name: i for i, name in enumerate([*guests, *primaries])}
    return [f"{name} on {', '.join(sorted(nodes))}"
            for name, nodes in sorted(where.items(), key=lambda item: order[item[0]])
            if nodes]


# --------------------------------------------------------------------------- placement
#
# Placement against the constraints: what runs where it must not.
#
# Pacemaker's scheduler keeps every ``INFINITY`` colocation — until it cannot act: after a
# stop that failed without fencing the resource is blocked where it is, and the scheduler
# still moves what it depends on (seen with the real scheduler: ``vm1`` kept running on
# jupiter1 while ``ms_drbd_vm1`` was promoted on jupiter2). Nothing in crm_mon says so; it
# is only seen by comparing where things run with the constraints (colocations by node,
# mandatory orders cluster-wide). A guest running on a
# node where its DRBD device is not Primary is the same danger read from DRBD's side: it
# writes to a disk that is not the one being replicated from. Both are CRITICAL.


_MANDATORY = ("INFINITY", "+INFINITY")


def judge_colocations(pcmk: PacemakerState) -> list[Verdict]:
    """CRITICAL for each ``INFINITY`` / ``-INFINITY`` colocation the placement breaks.

    Only what runs is compared: a dependent resource that is stopped keeps its
    colocation (the stop is judged on its own).
    """
    out: list[Verdict] = []
    find = resource_index(pcmk).get
    for col in pcmk.colocations:
        if col.score not in _MANDATORY and col.score != "-INFINITY":
            continue
        rsc = find(col.resource)
        other = find(col.with_resource)
        if rsc is None or other is None:
            continue  # a resource set, or a resource not in crm_mon's view
        here = _placed(rsc, col.resource_role)
        there = _placed(other, col.with_role)
        with_what = col.with_resource + (f" {col.with_role}" if col.with_role else "")
        if col.score == "-INFINITY":
            both = sorted(set(here) & set(there))
            if both:
                out.append(Verdict(
                    CRITICAL, "resources", Subject(Kind.RESOURCE, col.resource),
                    f"runs on {', '.join(both)} with {with_what}, but colocation {col.id} "
                    f"says never together (-INFINITY)", both[0]))
            continue
        wrong = [n for n in here if n not in there]
        if not wrong:
            continue
        where = (f"which is on {', '.join(there)}" if there
                 else f"which is {col.with_role} nowhere" if col.with_role
                 else "which runs nowhere")
        out.append(Verdict(
            CRITICAL, "resources", Subject(Kind.RESOURCE, col.resource),
            f"runs on {', '.join(wrong)}, but colocation {col.id} needs it with {with_what}, "
            f"{where}", wrong[0]))
    return out


_DONE_BY = {"start": None, "promote": "Promoted", "demote": "Unpromoted"}
"""The state an order's action leaves a resource in (None: running, any role)."""


def judge_orders(pcmk: PacemakerState, busy: bool = False) -> list[Verdict]:
    """CRITICAL for each mandatory order whose ``then`` is done while its ``first`` is not:
    ``vm1`` running while the DRBD it is ordered after is promoted nowhere.

    Orders are cluster-wide (not per node). While a transition is in progress (``busy``)
    it is a WARNING: Pacemaker may be on its way to keeping it.
    """
    out: list[Verdict] = []
    find = resource_index(pcmk).get
    for order in pcmk.orders:
        if order.kind != "Mandatory" or order.first_action not in _DONE_BY \
                or order.then_action not in _DONE_BY:
            continue
        first = find(order.first)
        then = find(order.then)
        if first is None or then is None:
            continue
        then_on = _placed(then, _DONE_BY[order.then_action])
        if not then_on or _placed(first, _DONE_BY[order.first_action]):
            continue
        done = {"start": "runs", "promote": "is promoted", "demote": "is demoted"}
        need = {"start": "running", "promote": "promoted", "demote": "demoted"}
        out.append(Verdict(
            WARNING if busy else CRITICAL, "resources", Subject(Kind.RESOURCE, order.then),
            f"{done[order.then_action]} on {', '.join(then_on)}, but order {order.id} needs "
            f"{order.first} {need[order.first_action]} first, and it is "
            f"{need[order.first_action]} nowhere", then_on[0]))
    return out


def resource_index(pcmk: PacemakerState) -> dict[str, Resource]:
    """Every resource by id, at any depth (the first of an id wins, as
    :meth:`~hadeck.model.PacemakerState.find` answers): one walk, where a ``find`` per
    constraint walked the whole tree each time (4,000 constraints × 4,000 resources at
    32 nodes / 1,000 guests: ~3 s of a ``hadeck status``)."""
    index: dict[str, Resource] = {}
    stack = list(reversed(pcmk.resources))
    while stack:
        rsc = stack.pop()
        index.setdefault(rsc.id, rsc)
        stack.extend(reversed(rsc.children))
    return index


def _placed(rsc: Resource, role: str | None) -> list[str]:
    """The nodes where ``rsc`` runs (in ``role``, when one is named)."""
    if role in (None, "Started"):
        return list(rsc.running_on)
    nodes: dict[str, None] = {}
    for prim in rsc.primitives():
        if prim.role == role:
            nodes.update(dict.fromkeys(prim.nodes))
    return list(nodes)


def judge_guest_disks(guests: Iterable[Guest], drbd: Iterable[DrbdResource]) -> list[Verdict]:
    """CRITICAL for a running guest whose DRBD resource on its node is not Primary.

    Only where DRBD was read on the guest's node: a resource not seen there says nothing.
    """
    roles = {(r.name, r.node): r.role for r in drbd}
    out: list[Verdict] = []
    for g in guests:
        if not g.running:
            continue
        for name in g.drbd:
            role = roles.get((name, g.node))
            if role is None or role == "Primary":
                continue
            out.append(Verdict(
                CRITICAL, "guests", Subject(Kind.GUEST, g.name, g.node),
                f"runs on {g.node}, where its DRBD {name} is {role}, not Primary: it is not "
                "writing to the replicated disk", g.node))
    return out
