"""Root causes: the one problem an operator acts on, with what it caused folded under it.

A node that reaches no ping node makes Pacemaker stop or move every resource a
``pingd`` location rule guards; a partition without quorum stops everything under
``no-quorum-policy=stop``; a node that crashed takes its DRBD peers, corosync links and
ssh reads with it; a blocked stop leaves a guest where its DRBD is no longer Primary.
Judged object by object that is one line per consequence (44 for one node down in a
9-node lab), with the cause sorted anywhere among them. :func:`find_causes` reads the
same state the rules judged — node states, Pacemaker's constraints and rules, its
``no-quorum-policy`` — and groups the verdicts into :class:`Problem` s: the cause is the
headline, its effects fold under it, and the group's health is the worst of them.

Every verdict belongs to at most one group, claimed in this order: a blocked or failed
resource, a node down, lost ping nodes, lost quorum, then the verdicts left on one
resource. What no rule explains stays a problem of its own (a :class:`Problem` without
effects): nothing is hidden, only folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hadeck.health.verdict import OK, Kind, Subject, Verdict, rank, worst
from hadeck.model import Health

if TYPE_CHECKING:
    # A check plugin of another area groups its problems here too: Pacemaker's model is
    # loaded only where a Pacemaker state is grouped (issue 15, the plugins' imports).
    from hadeck.model import ClusterState, PacemakerState, Resource


@dataclass(frozen=True)
class Problem:
    """One thing to act on: its cause, and what it caused.

    Attributes:
        kind: which rule grouped it: ``blocked``, ``failed``, ``node-down``,
            ``ping-lost``, ``no-quorum``, ``resource`` (several verdicts on one resource),
            ``real-server`` (a real server gone from its services, on every director),
            or ``single`` (a problem no rule explains).
        subject: what the headline is about, as operators name it (``jupiter1``,
            ``quorum``, ``vm1``).
        reason: the headline: the cause, then ``→`` what it caused.
        causes: the verdicts that say the cause (never empty).
        effects: the verdicts it explains, worst first.
        advice: what an operator would do about it, with the command where there is one
            (empty when hadeck has nothing better to say than the reason).
        health: the worst of all of them.
    """

    kind: str
    subject: str
    reason: str
    causes: tuple[Verdict, ...]
    effects: tuple[Verdict, ...] = ()
    advice: str = ""
    health: Health = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "health", worst(v.health for v in self.verdicts))

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """The causes, then the effects."""
        return self.causes + self.effects

    @property
    def since(self) -> float | None:
        """The earliest time the cluster gives for any of its verdicts (None: none)."""
        times = [v.since for v in self.verdicts if v.since is not None]
        return min(times) if times else None

    @property
    def area(self) -> str:
        """The area of its (first) cause."""
        return self.causes[0].area

    @property
    def node(self) -> str | None:
        """The node of its (first) cause."""
        return self.causes[0].node


def single(v: Verdict) -> Problem:
    """A problem that stands alone: the verdict itself."""
    return Problem("single", v.subject, v.reason, (v,))


def order(problems: Iterable[Problem], areas: Sequence[str]) -> list[Problem]:
    """Worst first; among equals a root cause (with effects) before a lone problem, then
    in area order."""
    return sorted(problems, key=lambda p: (-rank(p.health), not p.effects,
                                           areas.index(p.area) if p.area in areas else 99))


# --------------------------------------------------------------------------- finding


_STOP_POLICIES = ("stop", "demote", "suicide")


class _Claims:
    """The verdicts not OK, each claimed by at most one problem."""

    def __init__(self, verdicts: Iterable[Verdict]) -> None:
        self.bad = [v for v in verdicts if v.health != OK]
        self.taken: set[int] = set()

    def take(self, wanted: Iterable[Verdict]) -> tuple[Verdict, ...]:
        out = []
        for v in wanted:
            if id(v) not in self.taken:
                self.taken.add(id(v))
                out.append(v)
        out.sort(key=lambda v: -rank(v.health))
        return tuple(out)

    def free(self) -> list[Verdict]:
        return [v for v in self.bad if id(v) not in self.taken]


class _Tree:
    """The resource tree as lookups: a resource by id, and the top-level one it is in."""

    def __init__(self, pcmk: PacemakerState) -> None:
        self.by_id: dict[str, Resource] = {}
        self.top: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        for rsc in pcmk.resources:
            self._walk(rsc, rsc.id, None)
        self.disabled_ids = {r.id for r in self.by_id.values()
                             if r.disabled or r.target_role in ("Stopped", "stopped")}

    def _walk(self, rsc: Resource, top: str, parent: str | None) -> None:
        self.by_id.setdefault(rsc.id, rsc)
        self.top.setdefault(rsc.id, top)
        if parent is not None:
            self.parent.setdefault(rsc.id, parent)
        for child in rsc.children:
            self._walk(child, top, rsc.id)

    def stopped(self, rid: str) -> bool:
        """Runs nowhere, and nothing asked it to stop."""
        rsc = self.by_id.get(rid)
        if rsc is None or rsc.running_on:
            return False
        chain = [rid]
        while chain[-1] in self.parent:
            chain.append(self.parent[chain[-1]])
        return not any(r in self.disabled_ids for r in chain)

    def within(self, rid: str, roots: set[str]) -> bool:
        """``rid`` is one of ``roots`` or inside one of them (a group's member)."""
        while True:
            if rid in roots:
                return True
            if rid not in self.parent:
                return False
            rid = self.parent[rid]


def find_causes(state: ClusterState, verdicts: Sequence[Verdict]) -> tuple[Problem, ...]:
    """The root causes among ``verdicts``, each with the verdicts it explains.

    Only groups are returned (a problem with effects, or a cause that several verdicts
    say); :meth:`~hadeck.health.verdict.Judgement.grouped` adds the lone problems.
    """
    claims = _Claims(verdicts)
    pcmk = state.pacemaker
    if pcmk is None:
        return tuple(_same_drbd(claims) + _dead_real_servers(state, claims)
                     + _same_service(state, claims))
    tree = _Tree(pcmk)
    found: list[Problem] = []
    found += _blocked(state, pcmk, tree, claims)
    found += _nodes_down(state, pcmk, tree, claims)
    found += _ping_lost(pcmk, tree, claims)
    found += _no_quorum(pcmk, tree, claims)
    found += _same_resource(claims)
    found += _same_drbd(claims)
    found += _dead_real_servers(state, claims)
    found += _same_service(state, claims)
    return tuple(found)


def _resource_verdicts(claims: _Claims, rid: str) -> list[Verdict]:
    return [v for v in claims.free() if v.area == "resources" and v.key.name == rid]


def _names(items: Iterable[str], most: int = 4) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= most:
        return ", ".join(items)
    return f"{', '.join(items[:most])} and {len(items) - most} more"


# ----------------------------------------------------------------- a blocked resource


def _blocked(state: ClusterState, pcmk: PacemakerState, tree: _Tree,
             claims: _Claims) -> list[Problem]:
    from hadeck.model import ResourceKind

    out: list[Problem] = []
    guests_of: dict[str, list[Subject]] = {}
    for g in state.guests:
        if g.resource:
            guests_of.setdefault(g.resource, []).append(Subject(Kind.GUEST, g.name, g.node))
    # Every primitive, clone instances included (they share one id: the failed one is
    # not always the first).
    failing = [p for top in pcmk.resources for p in top.primitives() if p.blocked or p.failed]
    for rsc in failing:
        rid = rsc.id
        own = _resource_verdicts(claims, rid)
        if not own:
            continue
        causes = claims.take(v for v in own if v.reason.startswith(("blocked", "failed")))
        if not causes:
            causes = claims.take(own[:1])
        guest_keys = set(guests_of.get(rid, ()))
        # What cannot run without it: the group members after it, what is colocated with
        # it (or with its group): stopped because of it.
        group = tree.parent.get(rid)
        held = _dependants(pcmk, {rid} | ({group} if group else set()))
        if group and tree.by_id[group].kind == ResourceKind.GROUP:
            members = [c.id for c in tree.by_id[group].children]
            held |= set(members[members.index(rid) + 1:]) if rid in members else set()
        effects = claims.take(
            v for v in claims.free()
            if (v.area == "resources" and v.key.name == rid)
            or (v.area == "guests" and v.key in guest_keys)
            or (v.area == "resources" and "colocation" in v.reason
                and rid in {word.strip(",.:;()") for word in v.reason.split()})
            or (v.area == "resources" and tree.within(v.key.name, held)
                and tree.stopped(v.key.name)))
        kind = "blocked" if rsc.blocked else "failed"
        where = rsc.nodes[0] if rsc.nodes else (causes[0].node or "")
        reason = causes[0].reason
        if rsc.blocked:
            # The headline says it in the fewest words; the verdict keeps the long form.
            reason = (f"blocked{' on ' + where if where else ''}"
                      f"{' (stop failed, not fenced)' if rsc.failed else ''}: Pacemaker "
                      "will do nothing until someone acts")
        broken = [v for v in effects if "colocation" in v.reason and v.key.name == rid]
        if broken:
            reason += f" → it {broken[0].reason}"
        kept = [v.key.name for v in effects if v.key.name != rid and tree.stopped(v.key.name)]
        if kept:
            reason += f" → {_names(kept)} stopped"
        cleanup = f"crm_resource --cleanup -r {rid}" + (f" -N {where}" if where else "")
        if rsc.blocked:
            advice = (f"Find why the stop failed (the failed action's exit reason, the "
                      f"agent's log on {where or 'the node'}); make sure {rid} is really "
                      f"stopped there, or fence {where or 'the node'}; then {cleanup} lets "
                      "Pacemaker act again.")
        else:
            advice = f"Fix the cause, then {cleanup}."
        out.append(Problem(kind, rid, reason, causes, effects, advice))
    return out


# ----------------------------------------------------------------- a node down


def _nodes_down(state: ClusterState, pcmk: PacemakerState, tree: _Tree,
                claims: _Claims) -> list[Problem]:
    out: list[Problem] = []
    for node in pcmk.nodes:
        if node.type != "member" or (node.online and not node.unclean):
            continue
        key = Subject(Kind.NODE, node.name)
        causes = claims.take(v for v in claims.free() if v.area == "nodes" and v.key == key)
        if not causes:
            continue
        # Out of the cluster but still running (corosync killed): that verdict says more
        # than "offline", and what runs twice because of it is its consequence.
        causes = tuple(sorted(causes, key=lambda v: "not in the cluster" not in v.reason))
        split = "not in the cluster" in causes[0].reason
        effects = claims.take(v for v in claims.free() if _on_node(v, node.name)
                              or _clone_short_of(v, node.name, tree)
                              or (split and _twice_with(v, node.name)))
        reason = causes[0].reason
        moved = [] if split else _moved_away(pcmk, tree, node.name)
        told = _consequences(effects, tree)
        targets: dict[str, list[str]] = {}
        for rid, there in moved:
            targets.setdefault(there, []).append(rid)
        told[0:0] = [f"{_names(rids)} moved to {there}" for there, rids in targets.items()]
        if told:
            reason += " → " + "; ".join(told)
        advice = (f"Fence {node.name} (or stop its guests and demote its DRBD by hand) "
                  "before it rejoins: the cluster runs them elsewhere too."
                  if split else
                  f"Bring {node.name} back (power, network, corosync), or if it cannot "
                  f"come back, fence it so that its resources are safe to start elsewhere."
                  if node.expected_up else
                  f"{node.name} was shut down on purpose; start the cluster on it "
                  "(pacemaker) to bring back its redundancy.")
        out.append(Problem("node-down", node.name, reason, causes, effects, advice))
    return out


def _on_node(v: Verdict, node: str) -> bool:
    """Said of something on ``node`` or of a link to it."""
    if v.area in ("sources", "guests", "host", "drbd", "lvs") and v.key.node == node:
        return True
    return v.key.peer == node


def _twice_with(v: Verdict, node: str) -> bool:
    """A guest running twice or a DRBD resource Primary twice, once on ``node``."""
    named = node in v.reason.replace(",", " ").split()
    return named and (("at once" in v.reason and v.area == "guests")
                      or (v.area == "drbd" and v.key.node is None and "Primary on" in v.reason))


def _clone_short_of(v: Verdict, node: str, tree: _Tree) -> bool:
    """A clone verdict about missing instances, none of which runs on ``node``."""
    from hadeck.model import ResourceKind

    if v.area != "resources":
        return False
    rsc = tree.by_id.get(v.key.name)
    return (rsc is not None and rsc.kind == ResourceKind.CLONE and bool(rsc.running_on)
            and node not in rsc.running_on)


def _moved_away(pcmk: PacemakerState, tree: _Tree, node: str) -> list[tuple[str, str]]:
    """Resources that prefer ``node`` (a positive location score) and run elsewhere."""
    from hadeck.model import ResourceKind

    moved: list[tuple[str, str]] = []
    for loc in pcmk.locations:
        if loc.node != node or loc.is_ban or loc.has_rules or loc.from_cli:
            continue
        rsc = tree.by_id.get(loc.resource)
        if rsc is None or rsc.kind == ResourceKind.CLONE:
            continue
        there = [n for n in rsc.running_on if n != node]
        if there:
            moved.append((rsc.id, there[0]))
    return moved


def _consequences(effects: Sequence[Verdict], tree: _Tree) -> list[str]:
    """What the effects are, in a few words each: ``vm1, vm2 stopped``,
    ``DRBD r1, r2 without their peer`` …"""
    from hadeck.model import ResourceKind

    stopped: list[str] = []
    short: list[str] = []
    drbd: list[str] = []
    links = 0
    unread: list[str] = []
    other = 0
    for v in effects:
        if v.area == "resources" and tree.stopped(v.key.name):
            stopped.append(v.key.name)
        elif v.area == "resources" and v.key.name in tree.by_id \
                and tree.by_id[v.key.name].kind == ResourceKind.CLONE:
            short.append(v.key.name)
        elif v.area == "drbd" and v.key.peer is not None:
            drbd.append(v.key.name)
        elif v.key.kind == Kind.LINK:
            links += 1
        elif v.area == "sources":
            unread.append("unreachable over ssh" if v.key.name == "node"
                          else f"{v.key.name} cannot be read")
        else:
            other += 1
    told = []
    if stopped:
        told.append(f"{_names(stopped)} stopped")
    if short:
        told.append(f"{_names(short)} short of an instance")
    if drbd:
        told.append(f"DRBD {_names(drbd)} without {'its' if len(set(drbd)) == 1 else 'their'}"
                    " peer")
    if links:
        told.append(f"{links} corosync link{'s' if links > 1 else ''} down")
    told += list(dict.fromkeys(unread))
    if other:
        told.append(f"{other} more")
    return told


# ----------------------------------------------------------------- lost ping nodes


def _ping_lost(pcmk: PacemakerState, tree: _Tree, claims: _Claims) -> list[Problem]:
    lost = [v for v in claims.free() if v.key.kind == Kind.PINGD and v.key.node
            and ("reaches no ping node" in v.reason or "no " in v.reason)]
    if not lost:
        return []
    names = {v.key.name for v in lost}
    rules = [loc for loc in pcmk.locations
             if loc.is_ban and names.intersection(loc.rule_attributes)]
    guarded = {loc.resource for loc in rules}
    guarded |= _dependants(pcmk, guarded)
    causes = claims.take(lost)
    effects = claims.take(v for v in claims.free() if v.area == "resources"
                          and tree.within(v.key.name, guarded) and tree.stopped(v.key.name))
    nodes = [v.key.node or "" for v in causes]
    said = list(dict.fromkeys(v.reason for v in causes))
    if all("reaches no ping node" in v.reason for v in causes):
        reason = f"reach{'es' if len(nodes) == 1 else ''} no ping node"
    elif len(said) == 1:
        reason = said[0]  # the subject names the nodes: their one reason once
    else:
        reason = "; ".join(f"{v.key.node}: {v.reason}" for v in causes)
    rule_ids = _names((loc.id for loc in rules), 2)
    plural = "s" if len(rules) > 1 else ""
    top = [tree.top.get(v.key.name, v.key.name) for v in effects]
    if effects:
        reason += f" → {_names(top)} stopped (location rule{plural} {rule_ids})"
    elif rules:
        reason += (f" → {_names(dict.fromkeys(loc.resource for loc in rules))} cannot run "
                   f"there (location rule{plural} {rule_ids})")
    advice = (f"Check the network from {_names(nodes)} to the ping nodes (the ping "
              "resource's host_list); the resources come back by themselves once they "
              "answer.")
    return [Problem("ping-lost", _names(nodes), reason, causes, effects, advice)]


def _dependants(pcmk: PacemakerState, roots: set[str]) -> set[str]:
    """Resources colocated (INFINITY) with any of ``roots``, directly or through others."""
    found: set[str] = set()
    todo = set(roots)
    while todo:
        rid = todo.pop()
        for col in pcmk.colocations:
            if col.with_resource == rid and col.score in ("INFINITY", "+INFINITY") \
                    and col.resource not in found and col.resource not in roots:
                found.add(col.resource)
                todo.add(col.resource)
    return found


# ----------------------------------------------------------------- no quorum


def _no_quorum(pcmk: PacemakerState, tree: _Tree, claims: _Claims) -> list[Problem]:
    if pcmk.cluster.have_quorum is not False:
        return []
    causes = claims.take(v for v in claims.free()
                         if (v.area == "cluster" and v.key.name == "quorum")
                         or v.key.kind == Kind.QUORUM)
    if not causes:
        return []
    policy = pcmk.cluster.no_quorum_policy or "stop"
    reason = "partition has no quorum"
    votes = [v.reason for v in causes if v.key.kind == Kind.QUORUM and "votes" in v.reason]
    if votes:
        reason += " (" + votes[0].rsplit("(", 1)[-1]
    effects: tuple[Verdict, ...] = ()
    if policy in _STOP_POLICIES or policy == "freeze":
        effects = claims.take(v for v in claims.free() if v.area == "resources"
                              and tree.stopped(v.key.name))
    if effects:
        hit = {tree.top.get(v.key.name, v.key.name) for v in effects}
        tops = [r.id for r in pcmk.resources if r.id in hit]  # in the CIB's order
        verb = "kept stopped" if policy == "freeze" else "stopped"
        count = f"{len(tops)} resource{'s' if len(tops) > 1 else ''}"
        reason += f" → {count} {verb} by no-quorum-policy={policy}: {_names(tops)}"
    elif policy == "freeze":
        reason += " → resources frozen where they run (no-quorum-policy=freeze)"
    elif policy == "ignore":
        reason += " → resources go on running (no-quorum-policy=ignore)"
    advice = ("Bring the lost nodes back (corosync-quorumtool -s shows the votes); "
              "never force quorum while the other partition may be running.")
    return [Problem("no-quorum", "quorum", reason, causes, effects, advice)]


# ----------------------------------------------------------------- one resource


def _same_resource(claims: _Claims) -> list[Problem]:
    """Several verdicts left on one resource (failed action, fail count, …): one problem."""
    by_rsc: dict[str, list[Verdict]] = {}
    for v in claims.free():
        if v.area == "resources":
            by_rsc.setdefault(v.key.name, []).append(v)
    out = []
    for rid, found in by_rsc.items():
        if len(found) < 2:
            continue
        taken = claims.take(found)
        out.append(Problem("resource", rid, taken[0].reason, taken[:1], taken[1:]))
    return out


def _same_drbd(claims: _Claims) -> list[Problem]:
    """Several verdicts left on one DRBD resource (a resync seen from both of its nodes,
    the syncing disk): one problem, headed by its worst (a resync by its progress)."""
    by_name: dict[str, list[Verdict]] = {}
    for v in claims.free():
        if v.area == "drbd" and v.key.kind == Kind.DRBD:
            by_name.setdefault(v.key.name, []).append(v)
    out = []
    for name, found in by_name.items():
        if len(found) < 2:
            continue
        # The connection's verdict (SyncSource 25 %, ETA 0:30) says the most.
        found.sort(key=lambda v: (-rank(v.health), v.key.peer is None))
        taken = claims.take(found)
        head = next((v for v in taken if v.key.peer is not None and v.health == taken[0].health),
                    taken[0])
        rest = tuple(v for v in taken if v is not head)
        where = (f"{head.key.node} → {head.key.peer}: " if head.key.node and head.key.peer
                 else f"{head.subject}: ")
        out.append(Problem("drbd", name, where + head.reason, (head,), rest))
    return out


def _same_service(state: ClusterState, claims: _Claims) -> list[Problem]:
    """One virtual service judged on both directors: one problem, as the MASTER sees it.

    keepalived programs the same IPVS table on every director, so a dead real server
    shows on the BACKUP too; the MASTER's table is the one serving.
    """
    masters = {d.node for d in state.lvs for i in d.vrrp if i.state == "MASTER"}
    by_key: dict[str, list[Verdict]] = {}
    for v in claims.free():
        if v.area == "lvs" and v.key.kind == Kind.SERVICE:
            by_key.setdefault(v.key.name, []).append(v)
    out = []
    for key, found in by_key.items():
        if len(found) < 2:
            continue
        found.sort(key=lambda v: (-rank(v.health), v.key.node not in masters))
        taken = claims.take(found)
        head = next((v for v in taken if v.key.node in masters and v.health == taken[0].health),
                    taken[0])
        rest = tuple(v for v in taken if v is not head)
        role = " (MASTER)" if head.key.node in masters else ""
        same = all(v.reason == head.reason for v in rest)
        others = ", ".join(v.key.node or "" for v in rest)
        reason = (f"{head.reason}, on {head.key.node}{role}"
                  + (f"; the same on {others}" if same else f"; see {others}"))
        out.append(Problem("service", key, reason, (head,), rest))
    return out


def _host(real_server: str) -> str:
    """``192.0.2.22`` of ``192.0.2.22:80``, ``2001:db8::22`` of ``[2001:db8::22]:80``."""
    host = real_server.rpartition(":")[0] or real_server
    return host[1:-1] if host.startswith("[") else host


def _dead_real_servers(state: ClusterState, claims: _Claims) -> list[Problem]:
    """One dead real server, one problem: every service it is gone from, on every
    director, folds under it (the MASTER's view first; the BACKUP runs the same checks).

    keepalived removes a real server that fails its check from each service it serves
    (``www`` on :80 and ``ssh`` on :22 are one machine); the server is the cause.
    """
    masters = {d.node for d in state.lvs for i in d.vrrp if i.state == "MASTER"}
    gone: dict[tuple[str, str], tuple[str, ...]] = {
        (svc.director or d.node, svc.key): svc.gone
        for d in state.lvs for svc in d.services if svc.gone}
    by_host: dict[str, list[Verdict]] = {}
    for v in claims.free():
        if v.area == "lvs" and v.key.kind == Kind.SERVICE:
            for rs in gone.get((v.key.node or "", v.key.name), ()):
                by_host.setdefault(_host(rs), []).append(v)
    out = []
    for host, found in by_host.items():
        found.sort(key=lambda v: (-rank(v.health), v.key.node not in masters, v.key.name))
        taken = claims.take(found)
        if not taken:
            continue
        head = next((v for v in taken if v.key.node in masters and v.health == taken[0].health),
                    taken[0])
        services = sorted({v.key.name for v in taken})
        directors = sorted({v.key.node or "" for v in taken},
                           key=lambda n: (n not in masters, n))
        where = ", ".join(f"{n} (MASTER)" if n in masters else n for n in directors)
        reason = (f"real server {host} down (gone from the IPVS table) → out of "
                  f"{_names(services)} on {where}")
        rest = tuple(v for v in taken if v is not head)
        out.append(Problem("real-server", host, reason, (head,), rest))
    return out
