"""Guests: their own state, and against where Pacemaker says they run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hadeck.health.verdict import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Kind,
    Subject,
    Verdict,
    interned,
)
from hadeck.model import (
    Guest,
    PacemakerState,
    SourceStatus,
)

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


def guest_subject(name: str, node: str) -> Subject:
    """``vm1@jupiter1``: a guest on a node."""
    return interned(Kind.GUEST, name, node or None)


def judge_guests(
    guests: Iterable[Guest],
    pcmk: PacemakerState | None,
    nodes_read: frozenset[str] | None = None,
    unmanaged_ok: bool = False,
    tools: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Verdict]:
    """Guests by their own state, and against where Pacemaker says they run.

    Args:
        guests: every guest seen, on every node read.
        pcmk: Pacemaker's view, to find guests that should run but do not, and guests
            running where the cluster does not know it.
        nodes_read: nodes whose guest list was read; a cluster guest is only missed
            where hadeck could look.
        unmanaged_ok: running guests without a cluster resource are fine.
        tools: per node read, the hypervisor tools that were there to look
            (:attr:`~hadeck.model.SourceStatus.tools`): a guest whose agent needs a tool
            the node lacks is "cannot tell" (UNKNOWN), not "not running" (CRITICAL).
    """
    guests = tuple(guests)
    out: list[Verdict] = []
    running_on: dict[str, list[str]] = {}
    for g in guests:
        if g.running:
            running_on.setdefault(g.name, []).append(g.node)
    for g in guests:
        subject = guest_subject(g.name, g.node)
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
        out += _missing_guests(guests, pcmk, nodes_read, tools or {})
    return out


def _missing_guests(
    guests: tuple[Guest, ...], pcmk: PacemakerState, nodes_read: frozenset[str],
    tools: Mapping[str, tuple[str, ...]],
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
                blind = _cannot_see(prim.agent, tools.get(node))
                if blind and not there:
                    why = (f"Pacemaker runs {prim.id} on {node}, but {node} has no {blind} "
                           "to list it: cannot tell whether it runs")
                    out.append(Verdict(UNKNOWN, "guests", guest_subject(prim.id, node), why,
                                       node))
                    continue
                state = there[0].state if there else None
                subject = guest_subject(seen.name if seen else prim.id, node)
                if (prim.pending or prim.role or "") in _ON_THE_WAY:
                    # Pacemaker is starting or migrating it there: not up yet, not lost.
                    out.append(Verdict(WARNING, "guests", subject,
                                       f"Pacemaker is {(prim.pending or prim.role or '').lower()}"
                                       f" {prim.id} on {node}: not running there yet", node))
                    continue
                why = (f"Pacemaker runs {prim.id} on {node}, but the guest there is {state}"
                       if state else
                       f"Pacemaker runs {prim.id} on {node}, but no such guest runs there")
                out.append(Verdict(CRITICAL, "guests", subject, why, node))
    return out


_ON_THE_WAY = ("Starting", "Migrating")
"""An operation that brings a guest up where crm_mon already places it."""


_AGENT_TOOLS = {
    "ocf:heartbeat:VirtualDomain": ("virsh",),
    "ocf:heartbeat:Xen": ("xl", "virsh"),
    "ocf:heartbeat:ManageVE": ("vzlist",),
}
"""The tools that list each agent's guests (any one of them will do)."""


def _cannot_see(agent: str, there: tuple[str, ...] | None) -> str | None:
    """The tool a node lacks to list a guest of ``agent``; None when it can look (or when
    which tools it had is not known)."""
    needed = _AGENT_TOOLS.get(agent)
    if needed is None or there is None or any(t in there for t in needed):
        return None
    return " or ".join(needed)


GUEST_AGENTS = (
    "ocf:heartbeat:VirtualDomain",
    "ocf:heartbeat:Xen",
    "ocf:heartbeat:ManageVE",
    "ocf:heartbeat:lxc",
)
"""Resource agents that manage a guest; the join in :mod:`hadeck.join` reads their params."""


def judge_guests_on(
    node: str,
    guests: Iterable[Guest],
    pcmk: PacemakerState | None,
    nodes_read: frozenset[str],
    *,
    expect: Sequence[str] = (),
    unmanaged_ok: bool = False,
    tools: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Verdict]:
    """One node's guests, against Pacemaker or against a list of guests that must run.

    Args:
        node: the node.
        guests: its guests.
        pcmk: Pacemaker's view (not used with ``expect``).
        nodes_read: nodes whose guest list was read.
        expect: guests that must run here, instead of what Pacemaker says (for nodes
            outside a cluster): a listed guest not running is CRITICAL, a running guest
            not listed a WARNING (unless ``unmanaged_ok``).
        unmanaged_ok: running guests outside cluster control (or not in ``expect``) are
            fine.
        tools: the hypervisor tools each node had (see :func:`judge_guests`).
    """
    guests = tuple(guests)
    if not expect:
        return judge_guests(guests, pcmk, nodes_read, unmanaged_ok, tools)
    # Only the state rules: the list, not Pacemaker, says what belongs here.
    out = judge_guests(guests, None, nodes_read, True)
    if node in nodes_read:  # where the guests could not be listed, nothing is missing
        out += _judge_expected(guests, expect, node, unmanaged_ok)
    return out


def _judge_expected(guests: Sequence[Guest], expected: Sequence[str], node: str,
                    unmanaged_ok: bool) -> list[Verdict]:
    out = []
    for name in expected:
        found = [g for g in guests if g.name == name]
        if any(g.running for g in found):
            continue
        why = (f"expected running, but it is {found[0].state}" if found
               else "expected running, but no such guest here")
        out.append(Verdict(CRITICAL, "guests", guest_subject(name, node), why, node))
    if not unmanaged_ok:
        for g in guests:
            if g.running and g.name not in expected:
                out.append(Verdict(WARNING, "guests", guest_subject(g.name, node),
                                   "running, but not in --expect", node))
    return out


def guest_lists(
    sources: Iterable[SourceStatus],
) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The nodes whose guest list was read, and the hypervisor tools each had."""
    read = [s for s in sources if s.source == "guests" and s.ok]
    return frozenset(s.node for s in read), {s.node: s.tools for s in read}


def guests_expected_on(pcmk: PacemakerState | None, node: str) -> int:
    """How many guests Pacemaker runs on ``node`` (what should be running there)."""
    if pcmk is None:
        return 0
    return sum(1 for rsc in pcmk.resources for prim in rsc.primitives()
               if prim.agent in GUEST_AGENTS and prim.active and node in prim.nodes)
