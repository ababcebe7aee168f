"""DRBD plans: a ``drbd-*`` request and the cluster as read → the ``drbdadm`` argv per node.

Pure: it reads the :class:`~hadeck.model.ClusterState` only. Every command is ``drbdadm``
run on the node it changes (DRBD has no cluster-wide tool: each node's kernel is asked
on that node), as an argv list. A request that makes no sense — an unknown resource, a
node that does not hold it, a connect of what is connected — is :class:`Refused` here;
the guard rails (Pacemaker's resources, a second Primary, the only UpToDate copy) are
pre-checks (:mod:`hadeck.actions.drbd_checks`), so the operator sees them with the
preview.

DRBD 8.4 and 9: ``drbdadm VERB RES`` is the same in both. DRBD 9 names a connection
``RES:PEER`` (its connection name, normally the peer's host name); hadeck uses that form
only where the node has several connections (three-node DRBD 9), where the plain form
would act on every peer, and for the split-brain recovery towards the survivor. DRBD
8.4 has one peer per resource and knows no such form.
"""

from __future__ import annotations

from dataclasses import dataclass

from hadeck.actions.plan import Plan, Refused, Step
from hadeck.actions.request import Request
from hadeck.join import DRBD_AGENTS
from hadeck.model import ClusterState, DrbdConnection, DrbdResource, Resource

VERBS = ("drbd-connect", "drbd-disconnect", "drbd-adjust", "drbd-primary", "drbd-secondary",
         "drbd-verify", "drbd-invalidate", "drbd-pause-sync", "drbd-resume-sync",
         "drbd-resolve")
"""The DRBD domain's verbs, in the order the faces list them."""
MANAGED_VERBS = ("drbd-primary", "drbd-secondary", "drbd-disconnect")
"""What Pacemaker's DRBD agent does itself: refused on a resource it manages."""
UP_TO_DATE = "UpToDate"


@dataclass(frozen=True)
class Side:
    """One node's view of a DRBD resource."""

    node: str
    res: DrbdResource

    @property
    def disks(self) -> tuple[str, ...]:
        return tuple(v.disk for v in self.res.volumes) or ("DUnknown",)

    @property
    def up_to_date(self) -> bool:
        return all(d == UP_TO_DATE for d in self.disks)

    def towards(self, peer: str | None) -> DrbdConnection | None:
        """The connection to ``peer``: by name (DRBD 9), the only one (8.4, or one
        peer); None when there is none or ``peer`` does not say which of several."""
        conns = self.res.connections
        for conn in conns:
            if peer is not None and conn.peer == peer:
                return conn
        return conns[0] if len(conns) == 1 else None


def sides(state: ClusterState, name: str) -> tuple[Side, ...]:
    """Every node's view of resource ``name``, in the order they were read."""
    return tuple(Side(r.node, r) for r in state.drbd if r.name == name and r.node)


def peer_nodes(state: ClusterState, side: Side) -> tuple[str, ...]:
    """The nodes ``side`` replicates with: its connections' names (DRBD 9), or the
    other nodes that report the resource (8.4 calls its one peer ``peer``)."""
    others = tuple(s.node for s in sides(state, side.res.name) if s.node != side.node)
    named = tuple(c.peer for c in side.res.connections if c.peer in others)
    if side.res.version.startswith("8") or not named:
        return others
    return named


def connection_arg(side: Side, peer: str | None) -> str:
    """``RES``, or DRBD 9's ``RES:PEER`` where the node has several connections."""
    name = side.res.name
    if peer and not side.res.version.startswith("8") and len(side.res.connections) > 1:
        return f"{name}:{peer}"
    return name


@dataclass(frozen=True)
class Pacemaker:
    """What Pacemaker says about a DRBD resource."""

    clone: str | None
    """The promotable clone of its ``ocf:linbit:drbd`` primitive; None: not managed."""
    managed: bool
    """Pacemaker acts on it now (not unmanaged, not in maintenance, nor the cluster)."""
    promoted: tuple[str, ...]
    """Where Pacemaker has it Promoted (wants it Primary)."""


def pacemaker_of(state: ClusterState, name: str) -> Pacemaker:
    """Whether Pacemaker manages DRBD resource ``name``, and where it wants it Primary."""
    pcmk = state.pacemaker
    if pcmk is None:
        return Pacemaker(None, False, ())
    prim = next((p for p in pcmk.primitives if p.agent in DRBD_AGENTS
                 and p.params.get("drbd_resource") == name), None)
    if prim is None:
        return Pacemaker(None, False, ())
    top = prim.parent or prim.id
    rsc = pcmk.find(top)
    instances: tuple[Resource, ...] = rsc.primitives() if rsc is not None else ()
    promoted = tuple(sorted({n for r in instances if r.role in ("Promoted", "Master")
                             for n in r.nodes}))
    managed = not pcmk.cluster.maintenance_mode and any(r.managed for r in instances) \
        and str(prim.meta.get("maintenance", "")).lower() not in ("true", "yes", "1")
    return Pacemaker(top, managed, promoted)


def guests_on(state: ClusterState, name: str, node: str) -> tuple[str, ...]:
    """Running guests on ``node`` whose storage is DRBD resource ``name``."""
    return tuple(g.name for g in state.guests if g.node == node and g.running
                 and name in g.drbd)


def split(side: Side, peer: Side) -> bool:
    """Whether the two sides are apart and neither connects: StandAlone on both ends
    of their connection (what DRBD does when it detects a split brain)."""
    mine, theirs = side.towards(peer.node), peer.towards(side.node)
    return mine is not None and theirs is not None and mine.state == "StandAlone" \
        and theirs.state == "StandAlone"


def plan(request: Request, state: ClusterState) -> Plan:
    """The ``drbdadm`` commands for a ``drbd-*`` request.

    Raises:
        Refused: an unknown verb or resource, a node that does not hold it, or a
            request with nothing to do (connect what is connected …).
    """
    verb = request.verb
    if verb not in VERBS:
        raise Refused(f"unknown DRBD action {verb!r}")
    name = request.target
    all_sides = sides(state, name)
    if not all_sides:
        known = sorted({r.name for r in state.drbd})
        raise Refused(f"no DRBD resource {name!r} is up on any node read (resources: "
                      f"{', '.join(known) or 'none'})")
    if request.node is not None and request.node not in {s.node for s in all_sides}:
        raise Refused(f"{name} is not up on {request.node} (it is on "
                      f"{', '.join(s.node for s in all_sides)})")
    if verb == "drbd-resolve":
        return _resolve(request, state, all_sides)
    chosen = _nodes(request, state, all_sides)
    steps = []
    for side in chosen:
        word = verb.removeprefix("drbd-")
        arg = name
        if word in ("connect", "disconnect", "verify", "pause-sync", "resume-sync"):
            arg = connection_arg(side, request.option)
        steps.append(Step(side.node, ("drbdadm", word, arg), _why(word, side)))
    where = ", ".join(s.node for s in chosen)
    summary = {
        "drbd-connect": f"connect {name} on {where}: it resyncs what changed meanwhile",
        "drbd-disconnect": f"disconnect {name} on {where}: replication stops until a "
                           "connect",
        "drbd-adjust": f"adjust {name} on {where} to its configuration file",
        "drbd-primary": f"promote {name} to Primary on {where}",
        "drbd-secondary": f"demote {name} to Secondary on {where}",
        "drbd-verify": f"online verify of {name} from {where}: compare every block with "
                       "the peer",
        "drbd-invalidate": f"invalidate {name} on {where}: discard its data, full resync "
                           "from the peer",
        "drbd-pause-sync": f"pause the resync of {name} on {where}",
        "drbd-resume-sync": f"resume the resync of {name} on {where}",
    }[verb]
    destructive = verb == "drbd-invalidate" or request.force
    confirm = chosen[0].node if destructive else None
    return Plan(request, tuple(steps), summary, destructive, confirm, (), name,
                chosen[0].node if len(chosen) == 1 else None)


def _why(word: str, side: Side) -> str:
    return {
        "connect": "connect to the peer", "disconnect": "drop the connection (StandAlone)",
        "adjust": "apply the configuration file to the kernel",
        "primary": "promote", "secondary": "demote", "verify": "start the online verify",
        "invalidate": "mark the local data Inconsistent: full resync from the peer",
        "pause-sync": "pause the resync", "resume-sync": "resume the resync",
    }[word] + f" ({side.node})"


def _nodes(request: Request, state: ClusterState, all_sides: tuple[Side, ...]
           ) -> tuple[Side, ...]:
    """The sides a request acts on: ``--node``, or the ones its verb implies."""
    verb, name = request.verb, request.target
    picked = tuple(s for s in all_sides if s.node == request.node) if request.node \
        else None
    if verb == "drbd-connect":
        cands = picked or tuple(s for s in all_sides if any(
            c.state == "StandAlone" for c in s.res.connections))
        if not cands or all(all(c.state != "StandAlone" for c in s.res.connections)
                            for s in cands):
            states = ", ".join(f"{s.node}: {c.peer} {c.state}" for s in (picked or all_sides)
                               for c in s.res.connections)
            raise Refused(f"{name} is not StandAlone, nothing to connect ({states})")
        return cands
    if verb == "drbd-disconnect":
        side = picked[0] if picked else _default(state, all_sides)
        if all(c.state == "StandAlone" for c in side.res.connections):
            raise Refused(f"{name} is already StandAlone on {side.node}")
        return (side,)
    if verb == "drbd-adjust":
        return picked or all_sides
    if verb == "drbd-primary":
        if picked is None:
            cands = tuple(s for s in all_sides if s.res.role != "Primary")
            if len(cands) != 1:
                raise Refused(f"primary: which node? --node one of "
                              f"{', '.join(s.node for s in all_sides)}")
            picked = cands
        if picked[0].res.role == "Primary":
            raise Refused(f"{name} is already Primary on {picked[0].node}")
        return picked
    if verb == "drbd-secondary":
        if picked is None:
            cands = tuple(s for s in all_sides if s.res.role == "Primary")
            if len(cands) != 1:
                raise Refused(f"{name} is Primary on no node" if not cands else
                              f"secondary: which node? --node one of "
                              f"{', '.join(s.node for s in cands)}")
            picked = cands
        if picked[0].res.role != "Primary":
            raise Refused(f"{name} is already {picked[0].res.role} on {picked[0].node}")
        return picked
    if verb == "drbd-invalidate":
        if picked is None:
            raise Refused(f"invalidate discards a node's data: say which, --node one of "
                          f"{', '.join(s.node for s in all_sides)}")
        return picked
    side = picked[0] if picked else _default(state, all_sides, verb)
    conns = [c for c in side.res.connections
             if request.option is None or c.peer == request.option]
    if verb == "drbd-verify":
        if not any(c.state == "Connected" for c in conns):
            raise Refused(f"{name} is not connected on {side.node}: verify compares with "
                          "a connected peer")
        if any(pv.syncing for c in conns for pv in c.peer_volumes):
            raise Refused(f"{name} is resyncing or verifying on {side.node} already")
    if verb == "drbd-pause-sync":
        if not any(pv.syncing and pv.resync_suspended in ("no", "")
                   for c in conns for pv in c.peer_volumes):
            raise Refused(f"no resync of {name} runs on {side.node} to pause")
    if verb == "drbd-resume-sync":
        if not any("user" in pv.resync_suspended for c in conns for pv in c.peer_volumes):
            raise Refused(f"no resync of {name} is paused on {side.node}")
    return (side,)


def _default(state: ClusterState, all_sides: tuple[Side, ...], verb: str = "") -> Side:
    """The node to act on when none is named: where a resync or verify runs (pause /
    resume), else the one hadeck reads from, else the first."""
    if verb in ("drbd-pause-sync", "drbd-resume-sync"):
        for side in all_sides:
            if any(pv.syncing for c in side.res.connections for pv in c.peer_volumes):
                return side
    return next((s for s in all_sides if s.node == state.local_node), all_sides[0])


def _resolve(request: Request, state: ClusterState, all_sides: tuple[Side, ...]) -> Plan:
    """Split-brain recovery: the victim's changes since the split are discarded.

    On the victim ``drbdadm secondary`` then ``drbdadm connect --discard-my-data``
    (after a ``disconnect`` if it is not StandAlone: DRBD connects only from there); on
    each survivor that is StandAlone, ``drbdadm connect``. The DRBD User's Guide,
    "Manual split brain recovery".
    """
    name, victim_node = request.target, request.node
    if victim_node is None:
        raise Refused(f"resolve: which node's changes to discard? --victim one of "
                      f"{', '.join(s.node for s in all_sides)}")
    victim = next(s for s in all_sides if s.node == victim_node)
    survivors = [s for s in all_sides if s.node != victim_node]
    if not survivors:
        raise Refused(f"only {victim_node}'s side of {name} could be read: the survivor "
                      "must be up to resync from")
    apart = [s for s in survivors
             if (c := victim.towards(s.node)) is not None and c.state != "Connected"]
    if not apart:
        raise Refused(f"{name} is connected on {victim_node}: no split brain to resolve")
    steps = [Step(victim_node, ("drbdadm", "secondary", name),
                  f"demote the victim ({victim_node})")]
    for surv in apart:
        arg = connection_arg(victim, surv.node)
        conn = victim.towards(surv.node)
        if conn is not None and conn.state != "StandAlone":
            steps.append(Step(victim_node, ("drbdadm", "disconnect", arg),
                              f"StandAlone first: DRBD connects from there ({victim_node})"))
        steps.append(Step(victim_node, ("drbdadm", "connect", "--discard-my-data", arg),
                          f"connect, discarding {victim_node}'s changes since the split"))
    for surv in apart:
        conn = surv.towards(victim_node)
        if conn is None or conn.state == "StandAlone":
            steps.append(Step(surv.node, ("drbdadm", "connect",
                                          connection_arg(surv, victim_node)),
                              f"connect the survivor ({surv.node}): it resyncs the victim"))
    kept = ", ".join(s.node for s in apart)
    summary = (f"resolve the split brain of {name}: discard {victim_node}'s changes since "
               f"the split, resync it from {kept}")
    return Plan(request, tuple(steps), summary, True, victim_node, (), name, victim_node)
