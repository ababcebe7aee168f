"""Placement against the constraints: what runs where it must not.

Pacemaker's scheduler keeps every ``INFINITY`` colocation — until it cannot act: after a
stop that failed without fencing the resource is blocked where it is, and the scheduler
still moves what it depends on (seen with the real scheduler: ``vm1`` kept running on
jupiter1 while ``ms_drbd_vm1`` was promoted on jupiter2). Nothing in crm_mon says so; it
is only seen by comparing where things run with the constraints (colocations by node,
mandatory orders cluster-wide). A guest running on a
node where its DRBD device is not Primary is the same danger read from DRBD's side: it
writes to a disk that is not the one being replicated from. Both are CRITICAL.
"""

from __future__ import annotations

from collections.abc import Iterable

from hadeck.health.verdict import CRITICAL, WARNING, Kind, Subject, Verdict
from hadeck.model import DrbdResource, Guest, PacemakerState, Resource

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
