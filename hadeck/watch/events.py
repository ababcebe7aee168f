"""Events: what changed between two cluster states, as lines an operator reads later.

:func:`diff` is pure: two :class:`~hadeck.model.ClusterState` in, a list of
:class:`Event` out ("jupiter1 offline", "vm1 moved jupiter1 → jupiter2", "r1@jupiter2
SyncTarget 45 %, ETA 3:00"). The dashboard runs it in its poll worker on each pair of
consecutive states and keeps the result in :class:`~hadeck.watch.eventlog.EventLog`.

Specific rules cover what moves in a failover (nodes, DC, quorum, resources, DRBD, guests,
LVS, VRRP, sources); the areas without one (corosync links, host) are reported by their
verdict's health changing, so that no change the health rules see goes unlogged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from hadeck.health import Judgement, format_duration, judge, worst
from hadeck.model import (
    ClusterState,
    DrbdPeerVolume,
    Health,
    PacemakerState,
    Resource,
    ResourceKind,
)

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN

PROGRESS_STEP = 25.0
"""A running resync is logged when it starts and each time it crosses this many percent."""

_GENERIC_AREAS = ("connectivity", "host", "storage", "backups")
"""Areas without a specific rule: their verdicts' health changes become events."""


@dataclass(frozen=True)
class Event:
    """One change, at the time of the newer state."""

    at: float
    health: Health
    """How bad the new situation is: OK for a recovery, CRITICAL for a node lost."""
    area: str
    subject: str
    text: str


def diff(
    old: ClusterState | None,
    new: ClusterState,
    old_judgement: Judgement | None = None,
    new_judgement: Judgement | None = None,
) -> list[Event]:
    """Every change from ``old`` to ``new``; nothing for the first state (``old`` None).

    Args:
        old: the previous state, or None.
        new: the current state.
        old_judgement: ``judge(old)`` if the caller has it (saves judging again).
        new_judgement: ``judge(new)`` likewise.
    """
    if old is None:
        return []
    at = new.taken_at
    out: list[Event] = []

    def add(health: Health, area: str, subject: str, text: str) -> None:
        out.append(Event(at, health, area, subject, text))

    _sources(old, new, add)
    _pacemaker(old.pacemaker, new.pacemaker, add)
    _drbd(old, new, add)
    _guests(old, new, add)
    _lvs(old, new, add)
    _generic(old_judgement or judge(old), new_judgement or judge(new), add)
    return out


class _Add(Protocol):
    """Records one event (the collecting closure in :func:`diff`)."""

    def __call__(self, health: Health, area: str, subject: str, text: str) -> None: ...


# --------------------------------------------------------------------------- sources


def _sources(old: ClusterState, new: ClusterState, add: _Add) -> None:
    before = {(s.source, s.node): s.error for s in old.sources}
    after = {(s.source, s.node): s.error for s in new.sources}
    # A dead node reads as one "node" source instead of host/drbd/guests/…: report the
    # node becoming unreachable once, and its sources coming back once.
    down_before = {node for (src, node), err in before.items() if src == "node" and err}
    down_after = {node for (src, node), err in after.items() if src == "node" and err}
    for node in sorted(down_after - down_before):
        add(CRITICAL, "sources", node, f"{node} unreachable: {after[('node', node)]}")
    for node in sorted(down_before - down_after):
        add(OK, "sources", node, f"{node} reachable again")
    for key in sorted(set(before) | set(after)):
        src, node = key
        if src == "node" or node in down_before | down_after:
            continue
        was, now = before.get(key), after.get(key)
        if now and not was:
            add(UNKNOWN, "sources", f"{src}@{node}", f"{src}@{node} read failed: {now}")
        elif was and not now and key in after:
            add(OK, "sources", f"{src}@{node}", f"{src}@{node} readable again")


# --------------------------------------------------------------------------- pacemaker


def _pacemaker(old: PacemakerState | None, new: PacemakerState | None, add: _Add) -> None:
    if old is None or new is None:
        if old is None and new is not None:
            add(OK, "cluster", "pacemaker", "Pacemaker readable again")
        elif old is not None and new is None:
            add(UNKNOWN, "cluster", "pacemaker", "Pacemaker could not be read")
        return
    if old.cluster.dc != new.cluster.dc:
        if new.cluster.dc is None:
            add(CRITICAL, "cluster", "DC", f"no DC (was {old.cluster.dc})")
        else:
            add(OK, "cluster", "DC", f"DC {old.cluster.dc or 'none'} → {new.cluster.dc}")
    if old.cluster.have_quorum != new.cluster.have_quorum:
        if new.cluster.have_quorum is False:
            add(CRITICAL, "cluster", "quorum", "quorum lost")
        elif new.cluster.have_quorum:
            add(OK, "cluster", "quorum", "quorum regained")
    if old.cluster.maintenance_mode != new.cluster.maintenance_mode:
        on = new.cluster.maintenance_mode
        add(WARNING if on else OK, "cluster", "maintenance-mode",
            "maintenance mode " + ("ON" if on else "off"))
    _nodes(old, new, add)
    _resources(old, new, add)
    if old.failed_actions is not new.failed_actions:
        seen = {(f.op_key, f.node) for f in old.failed_actions}
        for fa in new.failed_actions:
            if (fa.op_key, fa.node) not in seen:
                why = fa.exit_reason or fa.exit_status or f"rc {fa.exit_code}"
                add(WARNING, "resources", fa.resource,
                    f"{fa.resource} {fa.task or fa.op_key} failed on {fa.node}: {why}")
    if old.locations is new.locations:
        return  # the same parse (crm_mon printed the same): ~2,500 constraints at 500 guests
    old_cli = {c.id for c in old.locations if c.from_cli}
    for loc in new.locations:
        if loc.from_cli and loc.id not in old_cli:
            add(WARNING, "resources", loc.resource, f"constraint {loc.id} added")
    new_cli = {c.id for c in new.locations if c.from_cli}
    for cid in sorted(old_cli - new_cli):
        add(OK, "resources", cid, f"constraint {cid} cleared")


_NODE_HEALTH = {"online": OK, "offline": CRITICAL, "unclean": CRITICAL}


def _nodes(old: PacemakerState, new: PacemakerState, add: _Add) -> None:
    before = {n.name: n for n in old.nodes}
    for node in new.nodes:
        was = before.get(node.name)
        if was is None:
            add(OK, "nodes", node.name, f"{node.name} joined the configuration ({node.state})")
        elif was.state != node.state:
            health = _NODE_HEALTH.get(node.state, WARNING)
            how = ""
            if node.state == "offline":
                # A clean shutdown (expected down) is not a crash: another event.
                how = "" if node.expected_up else ": shut down cleanly"
                health = CRITICAL if node.expected_up else WARNING
            add(health, "nodes", node.name, f"{node.name} {node.state} (was {was.state}){how}")
    names = {n.name for n in new.nodes}
    for name in sorted(set(before) - names):
        add(WARNING, "nodes", name, f"{name} removed from the configuration")


def _placements(resources: Iterable[Resource]) -> dict[str, tuple[str, ...]]:
    """Where each resource outside a clone runs; for clones, where they are promoted."""
    out: dict[str, tuple[str, ...]] = {}

    def walk(rsc: Resource) -> None:
        if rsc.kind == ResourceKind.CLONE:
            if rsc.promotable:
                out[rsc.id] = tuple(sorted(n for p in rsc.primitives() if p.role == "Promoted"
                                           for n in p.nodes))
            return
        if rsc.kind == ResourceKind.PRIMITIVE:
            out[rsc.id] = tuple(rsc.nodes) if rsc.active else ()
            return
        for child in rsc.children:
            walk(child)

    for rsc in resources:
        walk(rsc)
    return out


def _resources(old: PacemakerState, new: PacemakerState, add: _Add) -> None:
    if old.resources is new.resources:
        return  # the same parse (crm_mon printed the same): nothing moved
    before, after = _placements(old.resources), _placements(new.resources)
    promotable = {r.id for r in new.resources if r.kind == ResourceKind.CLONE and r.promotable}
    for rid, nodes in after.items():
        was = before.get(rid)
        if was is None or was == nodes:
            continue
        a, b = ", ".join(was), ", ".join(nodes)
        if rid in promotable:
            if nodes:
                add(OK, "resources", rid, f"{rid} promoted on {b}" + (f" (was {a})" if a else ""))
            else:
                add(CRITICAL, "resources", rid, f"{rid} promoted nowhere (was {a})")
        elif was and nodes:
            add(WARNING, "resources", rid, f"{rid} moved {a} → {b}")
        elif nodes:
            add(OK, "resources", rid, f"{rid} started on {b}")
        else:
            add(CRITICAL, "resources", rid, f"{rid} stopped (was on {a})")


# --------------------------------------------------------------------------- DRBD


def _drbd(old: ClusterState, new: ClusterState, add: _Add) -> None:
    before = {(r.name, r.node): r for r in old.drbd}
    for res in new.drbd:
        was = before.get((res.name, res.node))
        if was is None or was is res:  # the same object: a live stream saw no change
            continue
        label = f"{res.name}@{res.node}" if res.node else res.name
        if was.role != res.role:
            add(OK, "drbd", label, f"{label} {res.role} (was {was.role})")
        old_disks = {v.volume: v.disk for v in was.volumes}
        for vol in res.volumes:
            prev = old_disks.get(vol.volume)
            if prev is not None and prev != vol.disk:
                add(OK if vol.disk == "UpToDate" else WARNING, "drbd", label,
                    f"{label} disk {vol.disk} (was {prev})")
        old_conns = {c.peer: c for c in was.connections}
        for conn in res.connections:
            prev_conn = old_conns.get(conn.peer)
            subject = f"{label} → {conn.peer}"
            if prev_conn is None:
                continue
            if prev_conn.state != conn.state:
                add(OK if conn.state == "Connected" else CRITICAL, "drbd", subject,
                    f"{subject} {conn.state} (was {prev_conn.state})")
            old_pvs = {pv.volume: pv for pv in prev_conn.peer_volumes}
            for pv in conn.peer_volumes:
                _peer_volume(subject, old_pvs.get(pv.volume), pv, add)


def _peer_volume(subject: str, was: DrbdPeerVolume | None, pv: DrbdPeerVolume,
                 add: _Add) -> None:
    if was is None:
        return
    if pv.syncing:
        started = not was.syncing or was.replication != pv.replication
        crossed = (pv.done_percent is not None and was.done_percent is not None
                   and pv.done_percent // PROGRESS_STEP > was.done_percent // PROGRESS_STEP)
        if started or crossed:
            add(WARNING, "drbd", subject, f"{subject} {_progress(pv)}")
    elif was.syncing:
        add(OK, "drbd", subject, f"{subject} resync done, peer disk {pv.peer_disk}")
    elif was.replication != pv.replication:
        add(WARNING, "drbd", subject, f"{subject} {pv.replication} (was {was.replication})")


def _progress(pv: DrbdPeerVolume) -> str:
    """``SyncTarget 45 %, ETA 3:00``, with whole percents (a log line, not a gauge)."""
    text = pv.replication
    if pv.done_percent is not None:
        text += f" {pv.done_percent:.0f} %"
    if pv.eta_seconds is not None:
        text += f", ETA {format_duration(pv.eta_seconds)}"
    return text


# --------------------------------------------------------------------------- guests


def _guests(old: ClusterState, new: ClusterState, add: _Add) -> None:
    read_before = {s.node for s in old.sources if s.source == "guests" and s.ok}
    read_after = {s.node for s in new.sources if s.source == "guests" and s.ok}
    before = {(g.name, g.node): g for g in old.guests}
    after = {(g.name, g.node): g for g in new.guests}
    for key, guest in after.items():
        was = before.get(key)
        label = f"{guest.name}@{guest.node}"
        if was is None:
            if guest.node in read_before:
                add(OK if guest.running else WARNING, "guests", label,
                    f"{label} appeared ({guest.state})")
        elif was.state != guest.state:
            add(OK if guest.running else WARNING, "guests", label,
                f"{label} {guest.state} (was {was.state})")
    for key in sorted(set(before) - set(after)):
        name, node = key
        # Only where the node was read both times: a lost node is its own event.
        if node in read_after:
            add(WARNING, "guests", f"{name}@{node}", f"{name}@{node} gone")


# --------------------------------------------------------------------------- LVS


def _lvs(old: ClusterState, new: ClusterState, add: _Add) -> None:
    before = {(d.node, s.key): s for d in old.lvs for s in d.services}
    for director in new.lvs:
        for svc in director.services:
            was = before.get((director.node, svc.key))
            if was is None:
                continue
            label = f"{svc.key}@{director.node}"
            old_rs = {rs.key: rs for rs in was.real_servers}
            new_rs = {rs.key: rs for rs in svc.real_servers}
            for key in sorted(set(old_rs) - set(new_rs)):
                add(WARNING, "lvs", label, f"real server {key} removed from {label}")
            for key in sorted(set(new_rs) - set(old_rs)):
                add(OK, "lvs", label, f"real server {key} added to {label}")
            for key in sorted(set(new_rs) & set(old_rs)):
                if old_rs[key].weight != new_rs[key].weight:
                    w = new_rs[key].weight
                    add(WARNING if w == 0 else OK, "lvs", label,
                        f"real server {key} weight {old_rs[key].weight} → {w} in {label}")
    roles = {(d.node, v.name): v.state for d in old.lvs for v in d.vrrp}
    for director in new.lvs:
        for inst in director.vrrp:
            was_role = roles.get((director.node, inst.name))
            if was_role is not None and was_role != inst.state:
                add(CRITICAL if inst.state == "FAULT" else OK, "lvs",
                    f"VRRP {inst.name}@{director.node}",
                    f"{director.node} VRRP {inst.name} {was_role} → {inst.state}")


# --------------------------------------------------------------------------- the rest


_Generic = dict[tuple[str, str], tuple[Health, str]]
_by_subject_seen: list[tuple[Judgement, _Generic]] = []
"""The last two judgements' generic verdicts by subject: a poll's new judgement is the
next poll's old one, so each is walked once (a walk of every verdict, ~2 ms at 500
guests)."""


def _by_subject(j: Judgement) -> _Generic:
    for seen, table in _by_subject_seen:
        if seen is j:
            return table
    out: _Generic = {}
    for v in j.verdicts:
        if v.area in _GENERIC_AREAS:
            key = (v.area, v.subject)
            health = worst([out[key][0], v.health]) if key in out else v.health
            reason = v.reason if health == v.health else out[key][1]
            out[key] = (health, reason)
    _by_subject_seen[:] = [*_by_subject_seen[-1:], (j, out)]
    return out


def _generic(old: Judgement, new: Judgement, add: _Add) -> None:
    before, after = _by_subject(old), _by_subject(new)
    for key, (health, reason) in after.items():
        was = before.get(key)
        if was is None or was[0] == health:
            continue
        area, subject = key
        text = f"{subject}: {reason}" if health != OK else f"{subject} OK again: {reason}"
        add(health, area, subject, text)
