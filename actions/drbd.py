"""DRBD on the action path: ``drbdadm`` on the node that holds the resource.

The preview is what will happen in the operator's words, each side of the resource as
read, and the real tool's own dry run: ``drbdadm -d VERB RES`` prints the ``drbdsetup``
commands it would run and runs none. For a promotion it also reads ``drbdadm dump RES``
(does the configuration allow two primaries?). The change has settled when DRBD's
states, read again, show it: connected, the role asked for, a resync or verify done —
or, when the wait is over first, still progressing (the dashboard follows it on).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hadeck.actions import drbd_checks
from hadeck.actions.checks import Check
from hadeck.actions.drbd_plan import (
    VERBS,
    Side,
    guests_on,
    pacemaker_of,
    peer_nodes,
    plan,
    sides,
)
from hadeck.actions.plan import Plan
from hadeck.actions.preview import Preview
from hadeck.health.drbd import format_duration

if TYPE_CHECKING:
    from hadeck.actions.request import Request
    from hadeck.model import ClusterState, DrbdPeerVolume, DrbdResource
    from hadeck.opening import Opened

POLL = 1.0
"""Seconds between two reads of DRBD while following a change."""
_TWO_PRIMARIES = re.compile(r"^\s*allow-two-primaries(\s+(yes|on|true))?\s*;", re.M)


@dataclass(frozen=True)
class DrbdPreview(Preview):
    """A DRBD preview: ``text`` in words, ``transition`` drbdadm's own dry run.

    Attributes:
        two_primaries: whether ``drbdadm dump`` shows allow-two-primaries (read for a
            promotion only; None: not read, or unreadable).
    """

    two_primaries: bool | None = None


class _Drbd:
    name: str = "drbd"
    verbs: tuple[str, ...] = VERBS

    def unreadable(self, state: ClusterState) -> str | None:
        if state.drbd:
            return None
        reasons = "; ".join(f"{s.source}@{s.node}: {s.error}" for s in state.sources
                            if s.source == "drbd" and s.error)
        return reasons or "no node reported a DRBD resource"

    def plan(self, request: Request, state: ClusterState) -> Plan:
        return plan(request, state)

    def preview(self, plan: Plan, opened: Opened, state: ClusterState
                ) -> tuple[Preview | None, Check]:
        lines: list[str] = []
        for step in plan.steps:
            argv = ("drbdadm", "-d", *step.argv[1:])
            got = opened.access.runner(step.node).run(argv, timeout=30)
            if not got.ok:
                return None, Check("preview", False, f"no preview: {' '.join(argv)} on "
                                   f"{step.node}: {got.reason()}", overridable=True)
            out = [ln for ln in got.stdout.splitlines() if ln.strip()]
            lines += [f"{step.node}: {ln}" for ln in out] or \
                [f"{step.node}: ({' '.join(step.argv)}: nothing to change)"]
        two: bool | None = None
        if plan.request.verb == "drbd-primary" and plan.steps:
            got = opened.access.runner(plan.steps[0].node).run(
                ("drbdadm", "dump", plan.request.target), timeout=30)
            two = bool(_TWO_PRIMARIES.search(got.stdout)) if got.ok else None
        text = "\n".join([*words(plan, state), "drbdadm's dry run (drbdadm -d):",
                          *(f"  {ln}" for ln in lines)])
        return (DrbdPreview((), (), text, transition=tuple(lines), two_primaries=two),
                Check("preview", True, "drbdadm -d: the commands drbdadm would run"))

    def precheck(self, plan: Plan, state: ClusterState, preview: Preview | None
                 ) -> tuple[Check, ...]:
        two = preview.two_primaries if isinstance(preview, DrbdPreview) else None
        return drbd_checks.precheck(plan, state, preview, two)

    def settle(self, plan: Plan, opened: Opened, deadline: float,
               say: Callable[[str], None]) -> bool:
        """Read DRBD on the nodes concerned until the change shows and any resync or
        verify it started has finished; at the deadline, settled if it is progressing.

        Only DRBD is read, only on the nodes the plan ran on (each sees its peers'
        states): a poll a second must stay light over ssh. :func:`perform.execute`
        verifies on a whole reading afterwards."""
        from hadeck.model import ClusterState
        from hadeck.sources import drbd as drbd_source

        nodes = list(dict.fromkeys(s.node for s in plan.steps))
        last = ""
        alone = 0
        while True:
            found: list[DrbdResource] = []
            for node in nodes:
                found += drbd_source.read(opened.access.runner(node)).value or ()
            state = ClusterState(taken_at=time.time(), local_node=nodes[0],
                                 drbd=tuple(found))
            _, unmet = self.expectations(plan, None, state)
            running = progress(plan, state)
            if not unmet and running is None:
                return True
            # A connect leaves StandAlone at once (to Connecting); StandAlone again, twice
            # running, is DRBD giving up (a split brain found): no use waiting on.
            alone = alone + 1 if any("is StandAlone" in u for u in unmet) \
                and plan.request.verb in ("drbd-connect", "drbd-resolve") else 0
            if alone >= 2:
                say("; ".join(unmet))
                return False
            line = "; ".join(unmet) or running or ""
            if line != last:
                say(line)
                last = line
            if time.monotonic() >= deadline:
                if not unmet:
                    say(f"still running when the wait ended: {running} (the dashboard "
                        "follows it)")
                return not unmet
            time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))

    def expectations(self, plan: Plan, preview: Preview | None, state: ClusterState
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return expectations(plan, state)


def expectations(planned: Plan, state: ClusterState
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What was asked for, in DRBD's states read afterwards: (holds, does not)."""
    good: list[str] = []
    bad: list[str] = []
    req = planned.request
    name = req.target
    by_node = {s.node: s for s in sides(state, name)}
    verb = req.verb

    def expect(holds: bool, yes: str, no: str) -> None:
        (good if holds else bad).append(yes if holds else no)

    nodes = list(dict.fromkeys(s.node for s in planned.steps))
    if verb == "drbd-resolve" and planned.node:
        nodes = [planned.node]
    for node in nodes:
        side = by_node.get(node)
        if side is None:
            bad.append(f"{name} could not be read on {node}")
            continue
        conns = [c for c in side.res.connections
                 if req.option is None or c.peer == req.option]
        states = ", ".join(f"{c.state}" for c in conns) or "no connection"
        if verb in ("drbd-connect", "drbd-resolve", "drbd-verify", "drbd-invalidate"):
            expect(bool(conns) and all(c.state == "Connected" for c in conns),
                   f"{name} connected on {node}",
                   f"{name} is {states} on {node}"
                   + (" (split brain again? `hadeck drbd resolve`)"
                      if verb == "drbd-connect" and "StandAlone" in states else ""))
        if verb == "drbd-disconnect":
            expect(all(c.state == "StandAlone" for c in conns),
                   f"{name} StandAlone on {node}", f"{name} is {states} on {node}")
        if verb in ("drbd-primary", "drbd-secondary"):
            want = verb.removeprefix("drbd-").capitalize()
            expect(side.res.role == want, f"{name} {want} on {node}",
                   f"{name} is {side.res.role} on {node}, not {want}")
        if verb == "drbd-resolve":
            expect(side.res.role != "Primary", f"{name} Secondary on {node}",
                   f"{name} still Primary on {node}")
        if verb in ("drbd-pause-sync", "drbd-resume-sync"):
            paused = any("user" in pv.resync_suspended for c in conns
                         for pv in c.peer_volumes)
            pausing = verb == "drbd-pause-sync"
            running = any(pv.syncing for c in conns for pv in c.peer_volumes)
            if pausing or running:
                expect(paused == pausing,
                       f"resync of {name} {'paused' if pausing else 'resumed'} on {node}",
                       f"resync of {name} is {'not ' if pausing else 'still '}paused on "
                       f"{node}")
            else:
                good.append(f"resync of {name} finished ({node})")
        if verb == "drbd-verify":
            pvs = [pv for c in conns for pv in c.peer_volumes]
            if any(pv.replication.startswith("Verify") for pv in pvs):
                good.append(f"online verify of {name} running from {node}: "
                            f"{_percent(pvs)}")
            elif all(c.state == "Connected" for c in conns):
                oos = sum(pv.out_of_sync_kib or 0 for pv in pvs)
                good.append(f"online verify of {name} finished: {oos} KiB out of sync"
                            + ("" if not oos else " — disconnect and connect to resync "
                               "them"))
        if verb == "drbd-adjust":
            good.append(f"{name} on {node}: {side.res.role}, {'/'.join(side.disks)}, "
                        f"{states}")
    if verb in ("drbd-connect", "drbd-resolve", "drbd-invalidate") and not bad:
        good.extend(_sync_facts(planned, state))
    return tuple(good), tuple(bad)


def _sync_facts(planned: Plan, state: ClusterState) -> list[str]:
    name = planned.request.target
    out = []
    for side in sides(state, name):
        for conn in side.res.connections:
            for pv in conn.peer_volumes:
                if pv.syncing:
                    out.append(f"{name} {pv.replication} on {side.node}: {_one(pv)}")
    if not out and all(s.up_to_date for s in sides(state, name)):
        out.append(f"{name} UpToDate/UpToDate")
    return out[:2] if out else out


def progress(planned: Plan, state: ClusterState) -> str | None:
    """A resync or verify that the plan started and that still runs, in one line."""
    if planned.request.verb not in ("drbd-connect", "drbd-resolve", "drbd-invalidate",
                                    "drbd-verify", "drbd-resume-sync", "drbd-adjust"):
        return None
    name = planned.request.target
    for side in sides(state, name):
        for conn in side.res.connections:
            for pv in conn.peer_volumes:
                if pv.syncing and "user" not in pv.resync_suspended:
                    return f"{name} {pv.replication} on {side.node}: {_one(pv)}"
    return None


def _one(pv: DrbdPeerVolume) -> str:
    parts = [f"{pv.done_percent:.1f}% done" if pv.done_percent is not None else "started"]
    if pv.out_of_sync_kib is not None:
        parts.append(f"{pv.out_of_sync_kib} KiB out of sync")
    if pv.eta_seconds is not None:
        parts.append(f"ETA {format_duration(pv.eta_seconds)}")
    return ", ".join(parts)


def _percent(pvs: list[DrbdPeerVolume]) -> str:
    return "; ".join(_one(pv) for pv in pvs if pv.syncing) or "started"


# --------------------------------------------------------------------------- words


def words(planned: Plan, state: ClusterState) -> list[str]:
    """What the plan will do, in the operator's words, then the sides as read."""
    req = planned.request
    name = req.target
    all_sides = sides(state, name)
    out: list[str] = []
    if req.verb == "drbd-resolve":
        out += split_brain_table(state, name, planned.node)
        out.append(f"{planned.node}'s writes since the split are lost; the survivor's "
                   "data is resynced over them until UpToDate/UpToDate")
        return out
    for side in all_sides:
        out.append(side_line(side))
    return out


def side_line(side: Side) -> str:
    conns = ", ".join(f"→ {c.peer} {c.state} ({c.peer_role}/"
                      f"{'/'.join(pv.peer_disk for pv in c.peer_volumes) or '?'})"
                      for c in side.res.connections) or "no connection"
    return f"now on {side.node}: {side.res.role}, {'/'.join(side.disks)}, {conns}"


def split_brain_table(state: ClusterState, name: str, victim: str | None) -> list[str]:
    """Both sides of a split resource, one row per fact, one column per node: what the
    operator weighs to choose the victim."""
    all_sides = sides(state, name)
    pm = pacemaker_of(state, name)
    heads = [f"{s.node}{' (victim)' if s.node == victim else ''}" for s in all_sides]

    def oos(side: Side) -> str:
        vals = [pv.out_of_sync_kib for c in side.res.connections for pv in c.peer_volumes
                if pv.out_of_sync_kib is not None]
        return f"{sum(vals)} KiB" if vals else "-"

    def written(side: Side) -> str:
        vals = [v.written_kib for v in side.res.volumes if v.written_kib is not None]
        return f"{sum(vals)} KiB since attach" if vals else "(not reported)"

    rows = [
        ("role", [s.res.role for s in all_sides]),
        ("disk", ["/".join(s.disks) for s in all_sides]),
        ("connection", [", ".join(f"{c.state}" for c in s.res.connections) or "-"
                        for s in all_sides]),
        ("Pacemaker", [("wants Primary" if s.node in pm.promoted else "wants Secondary")
                       if pm.clone else "not managed" for s in all_sides]),
        ("guest", [", ".join(f"{g} writes to it" for g in guests_on(state, name, s.node))
                   or "-" for s in all_sides]),
        ("out of sync", [oos(s) for s in all_sides]),
        ("written", [written(s) for s in all_sides]),
    ]
    width = max(len(h) for h in ["", *heads, *(v for _, vs in rows for v in vs)]) + 2
    lines = ["".ljust(13) + "".join(h.ljust(width) for h in heads).rstrip()]
    lines += [label.ljust(13) + "".join(v.ljust(width) for v in vals).rstrip()
              for label, vals in rows]
    missing = [n for s in all_sides for n in peer_nodes(state, s)
               if n not in {x.node for x in all_sides}]
    if missing:
        lines.append(f"(not read: {', '.join(sorted(set(missing)))})")
    lines.append("DRBD does not record when the last write happened: the written "
                 "counters and the guest show who wrote")
    return lines


def split_sides(state: ClusterState, name: str) -> tuple[str, ...]:
    """The nodes of ``name`` that are StandAlone towards a peer that is StandAlone
    towards them: where the split-brain recovery applies (empty: none)."""
    from hadeck.actions.drbd_plan import split

    all_sides = sides(state, name)
    return tuple(s.node for s in all_sides
                 if any(split(s, o) for o in all_sides if o is not s))


DRBD = _Drbd()
"""The DRBD domain (:class:`~hadeck.actions.domain.Domain`)."""
