"""Pre-checks: definite verdicts on a plan, before anything runs.

Each :class:`Check` says what was looked at and why it passes or not. A failed check
refuses the action; ``--force`` overrides only the checks marked ``overridable`` — those
where an operator may know better (a guest restart instead of a live migration, the last
node that could run a service, a cluster without a DC) — never those where forcing
would only hurt: a guest onto DRBD that is not UpToDate and connected, a node that is
offline, in standby or unclean, a ping score of 0, or something the scheduler itself
would not do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hadeck.actions.plan import Plan
from hadeck.actions.preview import Preview
from hadeck.model import ClusterState, DrbdResource, Node, PacemakerState, ResourceKind

PINGD = "pingd"
"""The attribute the ping agent writes (its ``name`` parameter's default)."""
PLACING = ("move", "migrate")
"""Requests that send a resource to a node."""
_NO_QUORUM_OK = ("cluster-maintenance", "node-maintenance", "manage", "unmanage", "cleanup",
                 "online", "clear")
"""Requests an operator may need to run without quorum: forcing them is allowed."""


@dataclass(frozen=True)
class Check:
    """One pre-check's verdict.

    Attributes:
        name: what was checked (``quorum``, ``target node``, ``DRBD r1 on jupiter2`` …).
        ok: whether it passed.
        reason: why, in one line.
        overridable: whether ``--force`` may override it when it fails.
    """

    name: str
    ok: bool
    reason: str
    overridable: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason,
                "overridable": self.overridable}


def failed(checks: Sequence[Check], force: bool = False) -> tuple[Check, ...]:
    """The checks that refuse: every failed one, less the overridable ones if forced."""
    return tuple(c for c in checks if not c.ok and not (force and c.overridable))


def precheck(plan: Plan, state: ClusterState, preview: Preview | None) -> tuple[Check, ...]:
    """Every pre-check that applies to ``plan``.

    Args:
        plan: the plan.
        state: the cluster as read just before.
        preview: the scheduler's preview of the plan (None when it could not be made:
            :mod:`hadeck.actions.perform` adds that failure as a check of its own).

    Returns:
        The verdicts, passed and failed, in the order to show them.
    """
    pcmk = state.pacemaker
    if pcmk is None:
        return (Check("cluster", False, "Pacemaker could not be read"),)
    verb = plan.request.verb
    checks = [_quorum(pcmk, verb)]
    if verb in PLACING and plan.node is not None:
        checks.append(_target(pcmk, plan.node))
        checks.extend(_drbd(state, plan, plan.node))
        checks.extend(_pingd(pcmk, plan.node))
    if preview is not None:
        checks.extend(Check("scheduler", False, b) for b in preview.blocked)
        if verb == "migrate" and plan.resource and not preview.blocked:
            checks.append(_live(plan.resource, preview))
        if plan.after and plan.resource and plan.node and not preview.blocked:
            checks.append(_stays(plan.resource, plan.node, preview))
        if verb in ("standby", "node-maintenance") and plan.request.option != "off" \
                and verb != "online" and plan.node is not None:
            checks.extend(_last_node(pcmk, plan, preview))
        if verb not in ("standby", "cluster-maintenance", "node-maintenance"):
            checks.extend(_others_stop(plan, preview))
    return tuple(checks)


def _quorum(pcmk: PacemakerState, verb: str) -> Check:
    have = pcmk.cluster.have_quorum
    if have:
        return Check("quorum", True, "the cluster has quorum")
    why = ("the cluster has no quorum: Pacemaker stops or keeps resources by its "
           f"no-quorum-policy ({pcmk.cluster.no_quorum_policy or 'stop'})" if have is False
           else "quorum is not known (no DC)")
    return Check("quorum", False, why, overridable=verb in _NO_QUORUM_OK or have is None)


def _target(pcmk: PacemakerState, name: str) -> Check:
    node = pcmk.node(name)
    if node is None:
        return Check("target node", False, f"{name} is not a cluster node")
    state = _node_state(node)
    if state != "online":
        return Check("target node", False, f"{name} is {state}: Pacemaker places nothing "
                                           "there")
    return Check("target node", True, f"{name} is online")


def _node_state(node: Node) -> str:
    if node.unclean:
        return "unclean"
    if not node.online:
        return "offline"
    if node.pending:
        return "pending"
    if node.standby:
        return "in standby"
    if node.maintenance:
        return "in maintenance"
    return "online"


def _members(pcmk: PacemakerState, rsc: str) -> set[str]:
    found = pcmk.find(rsc)
    names = {rsc}
    if found is not None:
        names.update(p.id for p in found.primitives())
    return names


def _drbd(state: ClusterState, plan: Plan, node: str) -> list[Check]:
    pcmk = state.pacemaker
    assert pcmk is not None and plan.resource is not None
    members = _members(pcmk, plan.resource)
    names = list(dict.fromkeys(d for g in state.guests if g.resource in members
                               for d in g.drbd))
    checks = []
    for name in names:
        res = next((r for r in state.drbd if r.name == name and r.node == node), None)
        label = f"DRBD {name} on {node}"
        if res is None:
            if _drbd_read(state, node):
                checks.append(Check(label, False, f"{node} has no DRBD resource {name}: the "
                                                  "guest's disk is not there"))
            else:
                checks.append(Check(label, False, f"the DRBD of {name} on {node} could not "
                                                  "be read: cannot tell whether it is "
                                                  "UpToDate", overridable=True))
            continue
        bad = _drbd_problem(res)
        checks.append(Check(label, bad is None, bad or f"{name} on {node} is UpToDate and "
                                                       "connected"))
    return checks


def _drbd_read(state: ClusterState, node: str) -> bool:
    """Whether the node's DRBD was read without an error (then what is missing is not
    there)."""
    return any(s.source == "drbd" and s.node == node and s.error is None
               for s in state.sources)


def _drbd_problem(res: DrbdResource) -> str | None:
    """What makes this side of a DRBD resource unfit to carry its guest, or None."""
    problems: list[str] = []
    for vol in res.volumes:
        if vol.disk != "UpToDate":
            problems.append(f"disk {vol.disk}, not UpToDate")
            break
    if not res.connections:
        problems.append("no connection to its peer (StandAlone)")
    for conn in res.connections:
        if conn.state != "Connected":
            problems.append(f"connection to {conn.peer} is {conn.state}"
                            + (" (a split brain?)" if conn.state == "StandAlone" else ""))
            continue
        for pv in conn.peer_volumes:
            if pv.replication != "Established" or pv.peer_disk != "UpToDate":
                problems.append(f"replication with {conn.peer} {pv.replication}, peer "
                                f"disk {pv.peer_disk}")
                break
    return f"{res.name} on {res.node}: {', '.join(problems)}" if problems else None


def _pingd(pcmk: PacemakerState, name: str) -> list[Check]:
    node = pcmk.node(name)
    if node is None:
        return []
    attr = node.attribute(PINGD)
    if attr is None:
        if not any(p.agent.endswith(":ping") or p.agent.endswith(":pingd")
                   for p in pcmk.primitives):
            return []
        return [Check(f"pingd on {name}", False, f"{name} has no pingd score: its "
                                                 "connectivity is not known",
                      overridable=True)]
    try:
        value = float(attr.value)
    except ValueError:
        return [Check(f"pingd on {name}", False, f"pingd on {name} is {attr.value!r}",
                      overridable=True)]
    if value <= 0:
        return [Check(f"pingd on {name}", False,
                      f"pingd on {name} is {attr.value}: it reaches no ping node")]
    if attr.expected is not None:
        try:
            expected = float(attr.expected)
        except ValueError:
            expected = value
        if value < expected:
            return [Check(f"pingd on {name}", False,
                          f"pingd on {name} is {attr.value}, below its expected "
                          f"{attr.expected}: it reaches fewer ping nodes", overridable=True)]
    return [Check(f"pingd on {name}", True, f"pingd on {name} is {attr.value}")]


def _live(rsc: str, preview: Preview) -> Check:
    mine = preview.of(rsc)
    if any(c.verb == "migrate" for c in mine):
        return Check("live migration", True, f"the scheduler would migrate {rsc} live")
    how = next((c for c in mine if c.verb == "move"), None)
    reason = f" ({how.reason})" if how is not None and how.reason else ""
    return Check("live migration", False,
                 f"the scheduler would stop {rsc} and start it again (move, not a live "
                 f"migration){reason}: the guest restarts", overridable=True)


def _last_node(pcmk: PacemakerState, plan: Plan, preview: Preview) -> list[Check]:
    node = plan.node
    assert node is not None
    label = f"last node for {node}'s resources"
    standby = plan.request.verb == "standby"
    # Standby: the preview itself. Maintenance: what would happen if the node went.
    changes = preview.changes if standby else preview.if_gone
    started = {c.resource for c in changes if c.verb in ("start", "move", "migrate",
                                                         "promote")
               and c.node != node}
    stops = [c for c in changes if c.verb == "stop" and c.source == node
             and c.resource not in started and c.top not in _clone_tops(pcmk)]
    if stops:
        names = ", ".join(dict.fromkeys(c.top or c.resource for c in stops))
        if standby:
            return [Check(label, False, f"standby of {node} would stop {names}: no other "
                                        "node can run it", overridable=True)]
        return [Check(label, False, f"{node} is the last node that can run {names}",
                      overridable=True)]
    return [Check(label, True, f"what runs on {node} can run elsewhere")]


def _stays(rsc: str, node: str, preview: Preview) -> Check:
    away = [c for c in preview.afterwards if rsc in (c.top, c.resource)
            and c.source == node and c.verb in ("move", "migrate", "stop")]
    if away:
        return Check("after the constraint is cleared", False,
                     f"once cli-prefer-{rsc} is cleared the scheduler would move it again "
                     f"({'; '.join(c.words for c in away)}): use --keep, or --lifetime",
                     overridable=True)
    return Check("after the constraint is cleared", True,
                 f"{rsc} stays on {node} once cli-prefer-{rsc} is cleared")


def _clone_tops(pcmk: PacemakerState) -> set[str]:
    return {r.id for r in pcmk.resources if r.kind == ResourceKind.CLONE}


def _others_stop(plan: Plan, preview: Preview) -> list[Check]:
    mine = plan.resource
    stops = [c for c in preview.changes if c.verb in ("stop", "fence")
             and (mine is None or mine not in (c.top, c.resource))]
    if plan.request.verb == "ban" and mine is not None:
        stops += [c for c in preview.of(mine) if c.verb == "stop"]
    if not stops:
        return [Check("other resources", True, "the preview stops nothing else")]
    names = ", ".join(dict.fromkeys(c.words for c in stops))
    return [Check("other resources", False, f"the preview shows it would also stop: {names}",
                  overridable=True)]
