"""Plan: a request and the state it acts on → the argv to run, per node (pure).

:func:`plan` decides nothing about safety (that is :mod:`hadeck.actions.checks`, with the
scheduler's preview in hand); it refuses only what makes no sense — an unknown resource
or node, a migration of something that cannot migrate live, a node put in standby that
already is — with :class:`Refused` and the reason. Every command is one of Pacemaker's
own operator tools (docs: shared PACEMAKER.md, "Operator actions"), as an argv list run
on the node hadeck reads the cluster from: Pacemaker carries the change to the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadeck.actions.request import ON_OFF, VERBS, Request
from hadeck.model import ClusterState, Node, PacemakerState, Resource, ResourceKind

CLUSTER = "cluster"
"""The target of cluster-wide requests (cluster-maintenance)."""

GUEST_AGENTS = ("ocf:heartbeat:VirtualDomain", "ocf:heartbeat:Xen", "ocf:heartbeat:ManageVE",
                "ocf:heartbeat:lxc")
"""Agents whose resources are guests (live migration is theirs)."""

_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
"""An ISO 8601 duration as crm_resource --lifetime takes it (PT1H, P1D, PT30M)."""


class Refused(Exception):
    """The request makes no sense for this cluster; the message says why, in one line."""


@dataclass(frozen=True)
class Step:
    """One command of a plan.

    Attributes:
        node: the node it runs on.
        argv: the command, never through a shell.
        why: what it does, in the operator's words.
    """

    node: str
    argv: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Plan:
    """What a request will run.

    Attributes:
        request: the request.
        steps: the commands that make the change, in order.
        summary: one line in the operator's words (``move vm1 from jupiter1 to jupiter2``).
        destructive: whether the operator must type ``confirm_word`` to confirm
            (standby or maintenance of a node carrying resources, cluster maintenance,
            stopping a resource, anything forced).
        confirm_word: what to type at the prompt (the object's name); None: yes/no.
        after: commands run once the change has settled (a move's ``cli-prefer``
            cleared, unless ``--keep`` or ``--lifetime``).
        resource: the resource acted on, None for node and cluster requests.
        node: the node acted on or towards, if any.
        remember: what the journal keeps of the cluster as it was, for a later action
            (an LVS drain: the weight before it, which ``lvs restore`` puts back).
    """

    request: Request
    steps: tuple[Step, ...]
    summary: str
    destructive: bool
    confirm_word: str | None
    after: tuple[Step, ...] = ()
    resource: str | None = None
    node: str | None = None
    remember: tuple[tuple[str, str], ...] = ()

    @property
    def argv(self) -> tuple[tuple[str, ...], ...]:
        """Every command, ``steps`` then ``after``."""
        return tuple(s.argv for s in (*self.steps, *self.after))


def plan(request: Request, state: ClusterState) -> Plan:
    """The commands that carry out ``request`` on the cluster ``state`` shows.

    Args:
        request: what the operator asked for.
        state: the cluster as last read (its Pacemaker part is needed).

    Returns:
        The plan; nothing has run.

    Raises:
        Refused: the request makes no sense here (unknown verb, resource or node; a
            migration of a resource that cannot migrate; a node already in that state).
    """
    if request.verb not in VERBS:
        raise Refused(f"unknown action {request.verb!r}; choose from {', '.join(VERBS)}")
    pcmk = state.pacemaker
    if pcmk is None:
        raise Refused("Pacemaker could not be read: nothing can be planned")
    if request.lifetime is not None and not _DURATION.match(request.lifetime):
        raise Refused(f"lifetime {request.lifetime!r} is not an ISO 8601 duration "
                      "(PT1H, PT30M, P1D)")
    if request.lifetime is not None and request.verb not in ("move", "migrate", "ban"):
        raise Refused(f"--lifetime applies to move, migrate and ban, not {request.verb}")
    if request.verb in ("node-maintenance", "cluster-maintenance") \
            and request.option not in ON_OFF:
        raise Refused(f"maintenance needs on or off, not {request.option!r}")
    at = state.local_node
    if request.verb in ("standby", "online", "node-maintenance"):
        return _node_plan(request, pcmk, at)
    if request.verb == "cluster-maintenance":
        on = request.option == "on"
        if pcmk.cluster.maintenance_mode == on:
            raise Refused(f"cluster maintenance-mode is already {request.option}")
        flag = ("crm_attribute", "-t", "crm_config", "-n", "maintenance-mode", "-v",
                "true" if on else "false")
        summary = ("cluster maintenance-mode on: Pacemaker stops managing every resource"
                   if on else "cluster maintenance-mode off: Pacemaker manages again")
        return _made(request, (Step(at, flag, summary),), summary, on, CLUSTER)
    if request.verb == "cleanup":
        return _cleanup_plan(request, pcmk, at, state)
    rsc = _resource(pcmk, _by_guest(state, request.target))
    verb = request.verb
    argv: tuple[str, ...]
    if verb in ("move", "migrate", "ban"):
        return _placement_plan(request, pcmk, rsc, at)
    if verb == "clear":
        return _clear_plan(request, pcmk, rsc, at)
    if verb in ("manage", "unmanage"):
        managed = verb == "manage"
        if rsc.managed == managed and not _any_child(rsc, lambda r: r.managed != managed):
            raise Refused(f"{rsc.id} is already {'managed' if managed else 'unmanaged'}")
        argv = ("crm_resource", "-r", rsc.id, "--meta", "-p", "is-managed", "-v",
                "true" if managed else "false")
        summary = (f"manage {rsc.id}: Pacemaker acts on it again" if managed else
                   f"unmanage {rsc.id}: Pacemaker leaves it as it is")
        return _made(request, (Step(at, argv, summary),), summary, False, None,
                     resource=rsc.id)
    # start / stop: the target-role meta attribute (pcs resource enable / disable).
    if verb == "stop":
        if rsc.target_role == "Stopped" or (not rsc.running_on and _stopped_by_role(rsc)):
            raise Refused(f"{rsc.id} is already stopped (target-role Stopped)")
        argv = ("crm_resource", "-r", rsc.id, "--meta", "-p", "target-role", "-v",
                "Stopped")
        summary = f"stop {rsc.id} (target-role Stopped)"
        return _made(request, (Step(at, argv, summary),), summary, True, rsc.id,
                     resource=rsc.id)
    if not _stopped_by_role(rsc):
        raise Refused(f"{rsc.id} has no target-role Stopped to lift: it is already "
                      "allowed to run")
    argv = ("crm_resource", "-r", rsc.id, "--meta", "-d", "target-role")
    summary = f"start {rsc.id} (target-role removed)"
    return _made(request, (Step(at, argv, summary),), summary, False, None, resource=rsc.id)


def _made(request: Request, steps: tuple[Step, ...], summary: str, destructive: bool,
          word: str | None, after: tuple[Step, ...] = (), resource: str | None = None,
          node: str | None = None) -> Plan:
    if request.force:
        destructive = True
        word = word or resource or node or request.target or CLUSTER
    return Plan(request, steps, summary, destructive, word if destructive else None,
                after, resource, node)


def _node(pcmk: PacemakerState, name: str | None, what: str) -> Node:
    if not name:
        raise Refused(f"{what}: which node?")
    node = pcmk.node(name)
    if node is None:
        known = ", ".join(n.name for n in pcmk.nodes) or "none"
        raise Refused(f"no node {name!r} in the cluster (nodes: {known})")
    return node


def _by_guest(state: ClusterState, name: str) -> str:
    """A guest's name stands for its resource (``web`` run by ``p_vm_web``) when no
    resource has that id."""
    pcmk = state.pacemaker
    if pcmk is None or not name or pcmk.find(name) is not None:
        return name
    for guest in state.guests:
        if guest.name == name and guest.resource:
            return guest.resource
    return name


def _resource(pcmk: PacemakerState, name: str) -> Resource:
    if not name:
        raise Refused("which resource?")
    rsc = _find_top(pcmk, name)
    if rsc is None:
        found = pcmk.find(name)
        if found is None:
            raise Refused(f"no resource {name!r} in the cluster")
        rsc = found
    return rsc


def _find_top(pcmk: PacemakerState, name: str) -> Resource | None:
    """The resource by id; a clone's instances carry the primitive's id, so the clone's
    own entry is preferred when the name is the clone's."""
    stack = list(pcmk.resources)
    while stack:
        rsc = stack.pop(0)
        if rsc.id == name:
            return rsc
        if rsc.kind != ResourceKind.CLONE:
            stack.extend(rsc.children)
    return None


def _parent_clone(pcmk: PacemakerState, name: str) -> Resource | None:
    for rsc in pcmk.resources:
        if rsc.kind == ResourceKind.CLONE and any(
                c.id == name or any(p.id == name for p in c.primitives())
                for c in rsc.children):
            return rsc
    return None


def _any_child(rsc: Resource, test: object) -> bool:
    return any(test(p) for p in rsc.primitives())  # type: ignore[operator]


def _stopped_by_role(rsc: Resource) -> bool:
    return rsc.target_role == "Stopped" or any(
        p.target_role == "Stopped" for p in rsc.primitives()) or rsc.disabled


def _node_plan(request: Request, pcmk: PacemakerState, at: str) -> Plan:
    node = _node(pcmk, request.target, request.verb)
    carrying = [r.id for r in _running_on(pcmk, node.name)]
    if request.verb == "node-maintenance":
        on = request.option == "on"
        if node.maintenance == on:
            raise Refused(f"{node.name} is already {'in' if on else 'out of'} maintenance")
        argv = ("crm_attribute", "-N", node.name, "-n", "maintenance", "-v",
                request.option or "", "-l", "forever")
        summary = (f"maintenance on {node.name}: Pacemaker stops managing what runs there"
                   if on else f"maintenance off on {node.name}: Pacemaker manages it again")
        return _made(request, (Step(at, argv, summary),), summary, on and bool(carrying),
                     node.name, node=node.name)
    on = request.verb == "standby"
    if node.standby == on:
        raise Refused(f"{node.name} is {'already' if on else 'not'} in standby")
    argv = ("crm_attribute", "-N", node.name, "-n", "standby", "-v", "on" if on else "off",
            "-l", "forever")
    summary = (f"standby {node.name}: Pacemaker moves its resources away" if on else
               f"online {node.name}: Pacemaker may place resources on it again")
    return _made(request, (Step(at, argv, summary),), summary, on and bool(carrying),
                 node.name, node=node.name)


def _running_on(pcmk: PacemakerState, node: str) -> list[Resource]:
    found: list[Resource] = []
    for top in pcmk.resources:
        for prim in top.primitives():
            if node in prim.nodes and prim.id not in (r.id for r in found):
                found.append(prim)
    return found


def _placement_plan(request: Request, pcmk: PacemakerState, rsc: Resource, at: str) -> Plan:
    verb = request.verb
    target = _node(pcmk, request.node, f"{verb} {rsc.id}")
    clone = rsc if rsc.kind == ResourceKind.CLONE else _parent_clone(pcmk, rsc.id)
    if clone is not None and verb != "ban":
        raise Refused(f"{clone.id} is a clone: it runs on several nodes; ban it from a "
                      "node instead")
    if clone is not None:
        rsc = clone
    if clone is None:
        parent = _group_of(pcmk, rsc.id)
        if parent is not None:
            raise Refused(f"{rsc.id} is in group {parent}: {verb} the group")
    running = rsc.running_on
    if verb in ("move", "migrate") and running == (target.name,):
        raise Refused(f"{rsc.id} already runs on {target.name}")
    if verb == "migrate":
        prim = next((p for p in pcmk.primitives if p.id == rsc.id), None)
        if rsc.kind != ResourceKind.PRIMITIVE or prim is None:
            raise Refused(f"{rsc.id} is not a guest: only a guest's resource migrates "
                          "live (use move)")
        if prim.meta.get("allow-migrate", "false").lower() not in ("true", "yes", "1", "on"):
            raise Refused(f"{rsc.id} does not allow live migration (meta allow-migrate is "
                          "not true): use move, which stops and starts it")
        if not running:
            raise Refused(f"{rsc.id} is not running: nothing to migrate live (use move)")
    lifetime = ("--lifetime", request.lifetime) if request.lifetime else ()
    if verb == "ban":
        argv = ("crm_resource", "--ban", "-r", rsc.id, "-N", target.name, *lifetime)
        summary = f"ban {rsc.id} from {target.name}"
        return _made(request, (Step(at, argv, summary),), summary, False, None,
                     resource=rsc.id, node=target.name)
    argv = ("crm_resource", "--move", "-r", rsc.id, "-N", target.name, *lifetime)
    source = ", ".join(running) or "nowhere"
    word = "migrate" if verb == "migrate" else "move"
    summary = f"{word} {rsc.id} from {source} to {target.name}"
    after: tuple[Step, ...] = ()
    if not request.keep and not request.lifetime:
        after = (Step(at, ("crm_resource", "--clear", "-r", rsc.id, "-N", target.name),
                      f"clear the cli-prefer-{rsc.id} constraint the move left"),)
    step = Step(at, argv, f"{summary} (a cli-prefer-{rsc.id} constraint)")
    return _made(request, (step,), summary, False, None, after, resource=rsc.id,
                 node=target.name)


def _group_of(pcmk: PacemakerState, name: str) -> str | None:
    for top in pcmk.resources:
        if top.kind == ResourceKind.GROUP and any(c.id == name for c in top.children):
            return top.id
    return None


def _clear_plan(request: Request, pcmk: PacemakerState, rsc: Resource, at: str) -> Plan:
    if request.node is not None:
        _node(pcmk, request.node, f"clear {rsc.id}")
    mine = [c for c in pcmk.locations if c.from_cli and c.resource == rsc.id
            and (request.node is None or c.node == request.node)]
    bans = [b for b in pcmk.bans if b.id.startswith("cli-") and b.resource == rsc.id
            and (request.node is None or b.node == request.node)]
    if not mine and not bans and pcmk.locations is not None and _configuration_read(pcmk):
        where = f" on {request.node}" if request.node else ""
        raise Refused(f"{rsc.id} has no cli-prefer or cli-ban constraint{where} to clear")
    extra = ("-N", request.node) if request.node else ()
    argv = ("crm_resource", "--clear", "-r", rsc.id, *extra)
    names = ", ".join(sorted({c.id for c in mine} | {b.id for b in bans})) or \
        "its cli- constraints"
    summary = f"clear {names}"
    return _made(request, (Step(at, argv, summary),), summary, False, None,
                 resource=rsc.id, node=request.node)


def _configuration_read(pcmk: PacemakerState) -> bool:
    # The CIB's configuration was read when its primitives are known; without it the
    # cli-prefer constraints (never in crm_mon) are unknown and nothing is refused.
    return bool(pcmk.primitives)


def _cleanup_plan(request: Request, pcmk: PacemakerState, at: str,
                  state: ClusterState) -> Plan:
    rsc_id = ""
    if request.target:
        rsc_id = _resource(pcmk, _by_guest(state, request.target)).id
    if request.node is not None:
        _node(pcmk, request.node, "cleanup")
    argv = ("crm_resource", "--cleanup", *(("-r", rsc_id) if rsc_id else ()),
            *(("-N", request.node) if request.node else ()))
    what = rsc_id or "every resource"
    where = f" on {request.node}" if request.node else ""
    summary = f"clean up {what}{where}: fail counts and failed operations forgotten"
    return _made(request, (Step(at, argv, summary),), summary, False, None,
                 resource=rsc_id or None, node=request.node)
