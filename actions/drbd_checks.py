"""DRBD guard rails: definite verdicts on a DRBD plan, before anything runs.

None of these may be forced: each one stops what would lose data or fight Pacemaker.

- ``drbdadm primary|secondary|disconnect`` on a resource whose ``ocf:linbit:drbd``
  clone Pacemaker manages: its agent promotes, demotes and connects it, and would undo
  (or fence) a change by hand. Use ``hadeck move`` for what runs on it, or unmanage the
  clone (or maintenance) first.
- No second Primary unless the resource allows two primaries (``allow-two-primaries``
  in its ``net`` section, as ``drbdadm dump`` prints it).
- No promotion of data that is not UpToDate (DRBD refuses it too, unless forced).
- No demotion under a running guest (its device is open: DRBD refuses it).
- Never invalidate the only UpToDate copy: a connected UpToDate peer must be there to
  resync from.
- Never ``--discard-my-data`` on the side that holds the only UpToDate data of a volume.
"""

from __future__ import annotations

from hadeck.actions.checks import Check
from hadeck.actions.drbd_plan import (
    MANAGED_VERBS,
    UP_TO_DATE,
    Side,
    guests_on,
    pacemaker_of,
    sides,
)
from hadeck.actions.plan import Plan
from hadeck.actions.preview import Preview
from hadeck.model import ClusterState


def precheck(plan: Plan, state: ClusterState, preview: Preview | None,
             two_primaries: bool | None = None) -> tuple[Check, ...]:
    """Every DRBD guard rail that applies to ``plan``.

    Args:
        plan: the DRBD plan.
        state: the cluster as read just before.
        preview: the preview (unused here; the domain passes what it learnt from it).
        two_primaries: whether the resource's configuration allows two primaries (from
            ``drbdadm dump``); None when it could not be read (taken as no).
    """
    verb = plan.request.verb
    name = plan.request.target
    all_sides = sides(state, name)
    by_node = {s.node: s for s in all_sides}
    acting = [by_node[n] for n in dict.fromkeys(s.node for s in plan.steps) if n in by_node]
    checks: list[Check] = []
    pm = pacemaker_of(state, name)
    victim = by_node.get(plan.node or "") if verb == "drbd-resolve" else None
    if verb in MANAGED_VERBS or (victim is not None and victim.res.role == "Primary"):
        checks.append(_pacemaker(pm.clone, pm.managed, name, state))
    if verb == "drbd-primary":
        for side in acting:
            checks.append(_second_primary(side, all_sides, two_primaries))
            checks.append(Check(f"disk on {side.node}", side.up_to_date,
                                f"{name} on {side.node} is {'/'.join(side.disks)}"
                                + ("" if side.up_to_date else
                                   ": DRBD promotes only UpToDate data")))
    if verb == "drbd-secondary" or (victim is not None and victim.res.role == "Primary"):
        for side in ([victim] if victim is not None else acting):
            checks.append(_in_use(state, name, side))
    if verb == "drbd-invalidate":
        checks.extend(_peer_to_sync_from(side) for side in acting)
    if victim is not None:
        checks.append(_only_copy(victim, [s for s in all_sides if s is not victim]))
        if pm.managed and victim.node in pm.promoted:
            checks.append(Check("Pacemaker's Primary", True, f"Pacemaker wants {name} Primary on "
                                f"{victim.node}, the victim: it may promote it again once "
                                "resynced"))
    return tuple(checks)


def _pacemaker(clone: str | None, managed: bool, name: str, state: ClusterState) -> Check:
    if clone is None:
        return Check("Pacemaker", True, f"{name} is not managed by Pacemaker")
    if not managed:
        return Check("Pacemaker", True, f"{clone} is unmanaged or in maintenance: "
                                        "Pacemaker will not undo this")
    guests = sorted({g.resource or g.name for g in state.guests if name in g.drbd})
    move = f"`hadeck move {guests[0]} NODE`" if guests else "`hadeck move`"
    return Check("Pacemaker", False,
                 f"{name} is managed by Pacemaker ({clone}): its DRBD agent sets roles and "
                 f"connections and would undo this; use {move}, or `hadeck unmanage "
                 f"{clone}` (or maintenance) first")


def _second_primary(side: Side, all_sides: tuple[Side, ...],
                    two_primaries: bool | None) -> Check:
    name = side.res.name
    others = sorted({s.node for s in all_sides if s.node != side.node
                     and s.res.role == "Primary"}
                    | {c.peer for c in side.res.connections if c.peer_role == "Primary"})
    if not others:
        return Check("second Primary", True, f"{name} is Primary nowhere else")
    if two_primaries:
        return Check("second Primary", True, f"{name} is Primary on {', '.join(others)}; "
                                             "its configuration allows two primaries")
    why = "does not" if two_primaries is False else "could not be read to say it does"
    return Check("second Primary", False,
                 f"{name} is Primary on {', '.join(others)} already; a second Primary "
                 f"needs allow-two-primaries, which its configuration {why}")


def _in_use(state: ClusterState, name: str, side: Side) -> Check:
    running = guests_on(state, name, side.node)
    if not running:
        return Check(f"in use on {side.node}", True, f"no guest runs on {name} there")
    return Check(f"in use on {side.node}", False,
                 f"{', '.join(running)} runs on {side.node} from {name} (the device is "
                 f"open): move or stop it first (`hadeck move {running[0]} NODE`)")


def _peer_to_sync_from(side: Side) -> Check:
    name = side.res.name
    good = [c.peer for c in side.res.connections if c.state == "Connected"
            and c.peer_volumes and all(pv.peer_disk == UP_TO_DATE for pv in c.peer_volumes)]
    if good:
        return Check("only UpToDate copy", True,
                     f"{side.node}'s {name} resyncs from {', '.join(good)} (UpToDate, "
                     "connected)")
    peers = ", ".join(f"{c.peer} {c.state}/"
                      f"{'/'.join(pv.peer_disk for pv in c.peer_volumes) or 'DUnknown'}"
                      for c in side.res.connections) or "no peer"
    if side.up_to_date:
        why = (f"{side.node} holds the only UpToDate copy of {name} within reach ({peers}): "
               "invalidating it would leave no good data")
    else:
        why = f"no connected UpToDate peer of {name} to resync {side.node} from ({peers})"
    return Check("only UpToDate copy", False, why)


def _only_copy(victim: Side, survivors: list[Side]) -> Check:
    name = victim.res.name
    for index, disk in enumerate(victim.disks):
        theirs = [s.disks[index] if index < len(s.disks) else "DUnknown" for s in survivors]
        if disk == UP_TO_DATE and UP_TO_DATE not in theirs:
            return Check("discard-my-data", False,
                         f"{victim.node} holds the only UpToDate data of {name} volume "
                         f"{index} (the others: {', '.join(theirs) or 'none'}): discarding "
                         "it would keep the worse copy; choose the other side as victim")
    kept = ", ".join(f"{s.node} {'/'.join(s.disks)}" for s in survivors)
    return Check("discard-my-data", True, f"the survivor holds UpToDate data ({kept})")
