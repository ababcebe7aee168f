"""Why a resource runs where it runs, and why not elsewhere: :func:`explain`.

The scheduler decides; hadeck reads its decision and names its reasons. The numbers are
the scheduler's own allocation (and promotion) scores (:mod:`hadeck.placement.scores`);
where the resource runs and the state of each node come from crm_mon
(:class:`~hadeck.model.PacemakerState`); the reasons are the CIB's constraints, rules,
stickiness and fail counts that apply to the resource, its group or clone
(:mod:`hadeck.placement.cib`), each said in words on the node it acts on:

    jupiter2: -INFINITY from location rule loc_vm1_connected (pingd lte 0; pingd is 0)
    sun: banned by location loc_vm1_not_sun
    jupiter2: fail count INFINITY ≥ migration-threshold 3 (hadeck cleanup vm1)

A node whose score is -INFINITY for a reason hadeck cannot name (a chain of
dependencies) says so, with the command that asks Pacemaker (``crm_resource --why``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadeck.model import PacemakerState, Resource
from hadeck.placement.cib import Cib, Location
from hadeck.placement.rules import evaluate, matching, parse_date
from hadeck.placement.scores import INFINITY, Scores, score_text, score_value
from hadeck.sources.base import ParseError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any


class ExplainError(Exception):
    """The resource cannot be explained (unknown id, nothing the scheduler printed)."""


@dataclass(frozen=True)
class Applied:
    """A constraint that concerns the resource, in words."""

    kind: str
    """``location``, ``colocation`` or ``order``."""
    id: str
    text: str
    from_cli: bool = False
    expires: str | None = None
    """The end of a ``--lifetime`` (``date lt``), as written in the CIB."""
    expired: bool = False
    """The lifetime has passed: Pacemaker no longer applies it (it stays in the CIB)."""


@dataclass(frozen=True)
class NodePlacement:
    """One node, as the scheduler scored it for the resource."""

    node: str
    state: str
    """``online``, ``standby``, ``offline`` … (crm_mon)."""
    score: int | None
    """The allocation score (a clone: its best instance's); None if none was printed."""
    promotion: int | None = None
    """A promotable clone's best promotion score here."""
    role: str | None = None
    """Where it runs: ``Started``, ``Promoted``, ``Unpromoted``; None elsewhere."""
    reasons: tuple[str, ...] = ()
    """Where it runs: why here; elsewhere: why not here."""

    @property
    def runs_here(self) -> bool:
        return self.role is not None


@dataclass(frozen=True)
class Explanation:
    """Where a resource runs and why; for every other node, why not there."""

    resource: str
    kind: str
    """``primitive``, ``group``, ``clone``, ``promotable clone`` or ``bundle``."""
    summary: str
    running_on: tuple[str, ...]
    nodes: tuple[NodePlacement, ...]
    constraints: tuple[Applied, ...]
    stickiness: str
    migration_threshold: str
    fail_counts: tuple[tuple[str, str, int], ...] = ()
    """(resource, node, count) for this resource and what it contains."""
    notes: tuple[str, ...] = ()
    asked: str = ""
    """The id the operator asked about, when it is a clone's primitive (explained as
    the clone)."""
    parent: str | None = None
    members: tuple[str, ...] = ()

    def node(self, name: str) -> NodePlacement | None:
        for placement in self.nodes:
            if placement.node == name:
                return placement
        return None

    def lines(self) -> list[str]:
        """The explanation as plain lines, for a face without tables (the dashboard's
        detail view): the summary, the facts, one line per node and per reason, the
        constraints and notes."""
        facts = [self.kind, f"stickiness {self.stickiness}",
                 f"migration-threshold {self.migration_threshold}"]
        out = [self.summary, " · ".join(facts)]
        for p in sorted(self.nodes, key=lambda p: (not p.runs_here, p.node)):
            score = "?" if p.score is None else score_text(p.score)
            promoted = "" if p.promotion is None else f", promotion {score_text(p.promotion)}"
            mark = f"● {p.role}" if p.runs_here else "not here"
            out.append(f"{p.node} ({p.state}, score {score}{promoted}): {mark}")
            out += [f"    {reason}" for reason in p.reasons]
        if self.constraints:
            out.append("constraints:")
            out += [f"    {c.kind} {c.id}: {c.text}" for c in self.constraints]
        out += [f"fail count {rsc} on {node}: {score_text(count)}"
                for rsc, node, count in self.fail_counts]
        out += [f"note: {note}" for note in self.notes]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (``hadeck explain --json``)."""
        return {
            "resource": self.resource,
            "asked": self.asked or self.resource,
            "kind": self.kind,
            "parent": self.parent,
            "members": list(self.members),
            "summary": self.summary,
            "running_on": list(self.running_on),
            "stickiness": self.stickiness,
            "migration_threshold": self.migration_threshold,
            "nodes": [{"node": p.node, "state": p.state,
                       "score": None if p.score is None else score_text(p.score),
                       "promotion_score": None if p.promotion is None
                       else score_text(p.promotion),
                       "role": p.role, "reasons": list(p.reasons)} for p in self.nodes],
            "constraints": [{"kind": c.kind, "id": c.id, "text": c.text,
                             "from_cli": c.from_cli, "expires": c.expires,
                             "expired": c.expired} for c in self.constraints],
            "fail_counts": [{"resource": r, "node": n,
                             "count": score_text(c)} for r, n, c in self.fail_counts],
            "notes": list(self.notes),
        }


def explain(resource: str, cib: Cib, scores: Scores, pcmk: PacemakerState,
            now: float) -> Explanation:
    """Explain one resource's placement.

    Args:
        resource: its id: a primitive, group or clone (a clone's primitive is explained
            as its clone).
        cib: the parsed CIB (:func:`~hadeck.placement.cib.parse_cib`).
        scores: the scheduler's scores on the same CIB
            (:func:`~hadeck.placement.scores.parse_scores`).
        pcmk: crm_mon's state: nodes and where everything runs.
        now: the scheduler's now (seconds since the epoch), for rule lifetimes.

    Raises:
        ExplainError: no such resource in the CIB.
    """
    return _Explainer(resource, cib, scores, pcmk, now).run()


def _score(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return score_value(text)
    except ParseError:
        return None


class _Explainer:
    def __init__(self, asked: str, cib: Cib, scores: Scores, pcmk: PacemakerState,
                 now: float) -> None:
        definition = cib.resource(asked)
        if definition is None:
            known = ", ".join(r.id for r in cib.resources if r.parent is None)
            raise ExplainError(f"no resource {asked!r} in the CIB; its resources are "
                               f"{known or 'none'}")
        self.asked = asked
        # A clone's primitive (or cloned group) is placed as the clone: explain that.
        clones = [a for a in cib.ancestors(asked)
                  if (d := cib.resource(a)) is not None and d.kind in ("clone", "bundle")]
        self.rid = clones[-1] if clones else asked
        self.cib, self.scores, self.pcmk, self.now = cib, scores, pcmk, now
        self.rsc = cib.resource(self.rid) or definition
        self.chain = (self.rid, *cib.ancestors(self.rid))
        self.inner = cib.descendants(self.rid)
        self.concerned = set(self.chain) | set(self.inner)
        self.primitives = [r for r in (self.rid, *self.inner)
                           if (d := cib.resource(r)) is not None and d.kind == "primitive"]
        self.state = pcmk.find(self.rid)

    # ------------------------------------------------------------------ the whole

    def run(self) -> Explanation:
        kind = "promotable clone" if self.rsc.promotable else self.rsc.kind
        roles = self._roles()
        node_scores = self._node_scores()
        promotions = self._promotions()
        names = [n.name for n in self.pcmk.nodes if n.type != "ping"] or list(self.cib.nodes)
        eligible = {n: s for n, s in node_scores.items() if s >= 0 and self._usable(n)}
        best = max(eligible.values()) if eligible else None
        best_nodes = [n for n, s in eligible.items() if s == best]
        placements = []
        for name in names:
            role = roles.get(name)
            reasons = (self._why_here(name, role) if role is not None
                       else self._why_not(name, node_scores, best, best_nodes))
            placements.append(NodePlacement(
                node=name, state=self._node_state(name), score=node_scores.get(name),
                promotion=promotions.get(name), role=role, reasons=tuple(reasons)))
        running = tuple(n for n in names if n in roles)
        return Explanation(
            resource=self.rid,
            asked=self.asked if self.asked != self.rid else "",
            kind=kind,
            parent=self.rsc.parent,
            members=self.rsc.children,
            summary=self._summary(kind, roles, running),
            running_on=running,
            nodes=tuple(placements),
            constraints=tuple(self._constraints()),
            stickiness=self._meta_text("resource-stickiness", "0 (not set)"),
            migration_threshold=self._meta_text("migration-threshold",
                                                "INFINITY (not set)"),
            fail_counts=tuple(sorted((r, n, c) for (r, n), c in self.cib.fail_counts.items()
                                     if r in self.concerned)),
            notes=tuple(self._notes(running, best_nodes, roles)),
        )

    def _summary(self, kind: str, roles: dict[str, str], running: tuple[str, ...]) -> str:
        name = self.rid
        if not running:
            role = self._meta_value("target-role")
            if role is not None and role[0].lower() == "stopped":
                return f"{name} is stopped: disabled (target-role Stopped)"
            return f"{name} is stopped: no node can run it (see each node below)"
        if kind == "promotable clone":
            promoted = [n for n in running if roles[n] == "Promoted"]
            others = [n for n in running if roles[n] != "Promoted"]
            text = f"{name} is promoted on {', '.join(promoted) or 'no node'}"
            return text + (f", unpromoted on {', '.join(others)}" if others else "")
        if kind in ("clone", "bundle"):
            return f"{name} runs on {', '.join(running)}"
        return f"{name} runs on {', '.join(running)} ({roles[running[0]]})"

    def _notes(self, running: tuple[str, ...], best_nodes: list[str],
               roles: dict[str, str]) -> list[str]:
        notes = []
        if self.asked != self.rid:
            notes.append(f"{self.asked} is part of {self.rid}, which is placed as one: "
                         "explained as that")
        if self.rsc.kind in ("primitive", "group") and best_nodes and running \
                and running[0] not in best_nodes:
            notes.append(f"the scheduler now prefers {', '.join(best_nodes)}: a move is "
                         "pending or blocked (crm_mon shows it)")
        managed = self._meta_value("is-managed")
        if managed is not None and managed[0].lower() in ("false", "no", "off", "0"):
            notes.append(f"unmanaged (is-managed=false on {managed[1]}): Pacemaker leaves "
                         "it as it is")
        if self.pcmk.cluster.maintenance_mode:
            notes.append("the cluster is in maintenance mode: Pacemaker moves nothing")
        if not running:
            for order in self.cib.orders:
                if order.then in self.chain and order.kind == "Mandatory":
                    first = self.pcmk.find(order.first)
                    if first is not None and not first.running_on:
                        notes.append(f"it waits for {order.first} to {order.first_action} "
                                     f"(order {order.id}), which runs nowhere")
        return notes

    # ------------------------------------------------------------------ facts

    def _roles(self) -> dict[str, str]:
        return running_roles(self.state) if self.state is not None else {}

    def _node_scores(self) -> dict[str, int]:
        if self.rsc.kind in ("clone", "bundle"):
            best: dict[str, int] = {}
            for prim in self.primitives:
                for inst in self.scores.instances(prim):
                    for node, value in self.scores.allocation(inst).items():
                        best[node] = max(value, best.get(node, -INFINITY))
            return best or self.scores.allocation(self.rid)
        if self.rsc.kind == "group" and self.primitives:
            # The group's first member carries the whole group's scores.
            first = self.scores.allocation(self.primitives[0])
            if first:
                return first
        return self.scores.allocation(self.rid)

    def _promotions(self) -> dict[str, int]:
        if not self.rsc.promotable:
            return {}
        best: dict[str, int] = {}
        for prim in self.primitives:
            for node, value in self.scores.promotion(prim).items():
                best[node] = max(value, best.get(node, -INFINITY))
        return best

    def _node_state(self, name: str) -> str:
        node = self.pcmk.node(name)
        return node.state if node is not None else "unknown"

    def _usable(self, name: str) -> bool:
        node = self.pcmk.node(name)
        return node is None or node.state == "online"

    def _meta_value(self, name: str) -> tuple[str, str] | None:
        return self.cib.meta(self.rid, name)

    def _meta_text(self, name: str, unset: str) -> str:
        found = self.cib.meta(self.rid, name)
        if found is None:
            return unset
        value, owner = found
        return value if owner == self.rid else f"{value} (from {owner})"

    def _threshold(self, rid: str) -> int:
        found = self.cib.meta(rid, "migration-threshold")
        value = _score(found[0]) if found else None
        # 0 turns the threshold off, as unset does.
        return INFINITY if not value or value <= 0 else value

    def _where(self, rid: str, role: str | None) -> list[str]:
        found = self.pcmk.find(rid)
        if found is None:
            return []
        nodes: dict[str, None] = {}
        for prim in found.primitives():
            if prim.active and (role is None or prim.role == role
                                or (role == "Started" and prim.role in
                                    ("Started", "Promoted", "Unpromoted"))):
                for n in prim.nodes:
                    nodes[n] = None
        return list(nodes)

    def _clear(self, loc: Location) -> str:
        return f"hadeck clear {loc.resources[0] if loc.resources else self.rid}"

    # ------------------------------------------------------------------ constraints

    def _locations(self) -> list[Location]:
        out = []
        for loc in self.cib.locations:
            if self.concerned & set(loc.resources):
                out.append(loc)
            elif loc.pattern:
                try:
                    pattern = re.compile(loc.pattern)
                except re.error:
                    continue
                if any(pattern.search(r) for r in self.concerned):
                    out.append(loc)
        return out

    def _location_effects(self, loc: Location, node: str) -> list[tuple[int | None, str]]:
        """What a location constraint does on one node: (score, words) per match."""
        who = "" if set(loc.resources) & {self.rid} or not loc.resources else \
            f" (on {', '.join(loc.resources)})"
        # crm_resource writes role="Started" on every cli- constraint: only others say much.
        role = f", role {loc.role}" if loc.role and loc.role != "Started" else ""
        expires = loc.lifetime()
        if loc.node is not None:
            if loc.node != node:
                return []
            score = _score(loc.score)
            if loc.from_cli:
                what = "banned by" if (score or 0) < 0 else "pinned here by"
                return [(score, f"{what} {loc.id}{who}{role}: {self._clear(loc)}")]
            if score is not None and score <= -INFINITY:
                return [(score, f"banned by location {loc.id}{who}{role}")]
            return [(score, f"{loc.score} from location {loc.id}{who}{role}")]
        attrs = self.cib.node_attributes.get(node, {"#uname": node})
        effects: list[tuple[int | None, str]] = []
        for rule in loc.rules:
            holds = evaluate(rule, attrs, self.now)
            score_word = rule.score or loc.score or "0"
            score = _score(score_word)
            if not rule.score and rule.score_attribute:
                # The node's own attribute is the score (pingd as a preference).
                value = attrs.get(rule.score_attribute)
                score = _score(value) if value is not None else 0
                score_word = f"{score_text(score) if score is not None else value} " \
                    f"(its {rule.score_attribute})"
            rule_role = f", role {rule.role}" if rule.role not in (None, "Started") \
                and not loc.role else ""
            if holds is None:
                effects.append((None, f"location rule {loc.id} ({rule.describe()}) may "
                                      f"apply: hadeck cannot evaluate it"))
                continue
            if not holds:
                continue
            if loc.from_cli:
                what = "banned by" if (score or 0) < 0 else "pinned here by"
                until = f" until {expires}" if expires else ""
                effects.append((score, f"{what} {loc.id}{until}{who}{role}{rule_role}: "
                                       f"{self._clear(loc)}"))
                continue
            matched = matching(rule, attrs, self.now) if rule.boolean_op == "or" \
                else rule.expressions
            values = [f"{e.attribute} is {attrs[e.attribute]}" for e in matched
                      if e.kind == "attribute" and e.attribute in attrs
                      and not e.attribute.startswith("#")]
            why = "; ".join([" or ".join(e.describe() for e in matched), *values])
            effects.append((score, f"{score_word} from location rule {loc.id} ({why})"
                                   f"{who}{role}{rule_role}"))
        return effects

    def _pinned_elsewhere(self, node: str) -> list[str]:
        """Mandatory positive locations (a cli-prefer) that name another node."""
        out = []
        for loc in self._locations():
            if loc.pattern or self._expired(loc):
                continue
            target = loc.node or next((r.node() for r in loc.rules if r.node()), None)
            score = _score(loc.score) if loc.node else next(
                (_score(r.score) for r in loc.rules if r.score), None)
            if target is None or target == node or score is None or score < INFINITY:
                continue
            text = f"{loc.id} pins it to {target}"
            out.append(f"{text}: {self._clear(loc)}" if loc.from_cli else text)
        return out

    def _expired(self, loc: Location) -> bool:
        end = loc.lifetime()
        when = parse_date(end) if end else None
        return when is not None and when <= self.now

    def _colocation_effects(self, node: str) -> list[str]:
        out = []
        for col in self.cib.colocations:
            if col.resource not in self.chain:
                continue
            score = _score(col.score)
            if score is None:
                continue
            where = self._where(col.with_resource, col.with_role)
            state = col.with_role or "running"
            if score >= INFINITY and node not in where:
                out.append(f"must run where {col.with_resource} is {state} (colocation "
                           f"{col.id}): {', '.join(where) or 'no node'}")
            elif score <= -INFINITY and node in where:
                out.append(f"must not run where {col.with_resource} is {state} (colocation "
                           f"{col.id}), as it is here")
        return out

    def _group_effects(self, node: str) -> list[str]:
        """A group member runs with the member before it."""
        if self.rsc.parent is None:
            return []
        group = self.cib.resource(self.rsc.parent)
        if group is None or group.kind != "group" or self.rid not in group.children:
            return []
        index = group.children.index(self.rid)
        if index == 0:
            return []
        before = group.children[index - 1]
        where = self._where(before, None)
        if node in where:
            return []
        return [f"group {group.id}: runs with {before}, on {', '.join(where) or 'no node'}"]

    def _fail_effects(self, node: str) -> list[str]:
        out = []
        for prim in self.primitives:
            count = self.cib.fail_counts.get((prim, node))
            if count is None:
                found = next((fc for fc in self.pcmk.fail_counts
                              if fc.resource == prim and fc.node == node), None)
                count = found.count if found is not None else None
            if not count:
                continue
            threshold = self._threshold(prim)
            if count >= threshold:
                out.append(f"fail count {score_text(count)} of {prim} ≥ migration-threshold "
                           f"{score_text(threshold)}: hadeck cleanup {prim}")
        return out

    # ------------------------------------------------------------------ per node

    def _why_not(self, node: str, scores: dict[str, int], best: int | None,
                 best_nodes: list[str]) -> list[str]:
        reasons: list[str] = []
        state = self._node_state(node)
        if state != "online":
            reasons.append({"unclean": "unclean: must be fenced first",
                            "offline": "offline", "pending": "pending: still joining",
                            "maintenance": "in maintenance: Pacemaker starts nothing here",
                            "standby": "standby: runs no resources"}.get(state, state))
        disabled = self._meta_value("target-role")
        if disabled is not None and disabled[0].lower() == "stopped":
            reasons.append("disabled: target-role Stopped"
                           + (f" (on {disabled[1]})" if disabled[1] != self.rid else ""))
        reasons += self._fail_effects(node)
        soft: list[str] = []
        for loc in self._locations():
            for score, text in self._location_effects(loc, node):
                if score is None or score < 0:
                    (reasons if score is None or score <= -INFINITY else soft).append(text)
        reasons += self._pinned_elsewhere(node)
        reasons += self._colocation_effects(node)
        reasons += self._group_effects(node)
        if not self.cib.symmetric and not any(
                (s or 0) > 0 for loc in self._locations()
                for s, _ in self._location_effects(loc, node)):
            reasons.append("symmetric-cluster is false and no location constraint "
                           "allows it here")
        if self.rsc.kind in ("clone", "bundle") and not reasons:
            reasons += self._clone_full(node)
        reasons += soft
        score = scores.get(node)
        if score is not None and score <= -INFINITY and not reasons:
            reasons.append(f"-INFINITY from the scheduler through a dependency hadeck "
                           f"cannot name: crm_resource --why -r {self.rid}")
        elif score is not None and best is not None and score < best and \
                not any(r for r in reasons if "INFINITY" in r or "banned" in r):
            if not reasons or score >= 0:
                reasons.append(f"lower score: {score_text(score)} against "
                               f"{score_text(best)} on {', '.join(best_nodes)}")
        if score is None and not reasons:
            reasons.append("the scheduler printed no score here")
        return reasons

    def _clone_full(self, node: str) -> list[str]:
        limit = _score(self.rsc.meta.get("clone-max"))
        running = self._where(self.rid, None)
        if limit is not None and len(running) >= limit:
            return [f"clone-max {limit} reached: instances run on {', '.join(running)}"]
        return []

    def _why_here(self, node: str, role: str) -> list[str]:
        reasons: list[str] = []
        stickiness = self.cib.meta(self.rid, "resource-stickiness")
        if stickiness is not None and (_score(stickiness[0]) or 0) != 0:
            members = [p for p in self.primitives if p != self.rid]
            each = f" for each of its {len(members)} members" \
                if self.rsc.kind == "group" and len(members) > 1 else ""
            reasons.append(f"stickiness {stickiness[0]}{each}: it runs here")
        for loc in self._locations():
            for score, text in self._location_effects(loc, node):
                if score is not None and score > 0:
                    reasons.append(text)
        for col in self.cib.colocations:
            if col.resource in self.chain and node in self._where(col.with_resource,
                                                                  col.with_role):
                role_text = f" {col.with_role}" if col.with_role else ""
                reasons.append(f"with {col.with_resource}{role_text} here "
                               f"(colocation {col.id}, score {col.score})")
        promotions = self.scores.promotion(self.primitives[0]) if self.rsc.promotable \
            and self.primitives else {}
        if role == "Promoted" and promotions:
            others = {n: s for n, s in promotions.items() if n != node}
            here = promotions.get(node)
            if here is not None:
                against = ", ".join(f"{score_text(s)} on {n}" for n, s in others.items())
                reasons.append(f"promotion score {score_text(here)}"
                               + (f" against {against}" if against else ""))
            for col in self.cib.colocations:
                if col.with_resource in self.chain and col.with_role == "Promoted":
                    reasons.append(f"{col.resource} must run with its Promoted instance "
                                   f"(colocation {col.id}): its preferences count")
        elif role == "Unpromoted" and promotions:
            here = promotions.get(node)
            best = max(promotions.items(), key=lambda item: item[1])
            if here is not None and best[0] != node:
                reasons.append(f"not promoted here: promotion score {score_text(here)} "
                               f"against {score_text(best[1])} on {best[0]}")
            elif here is not None:
                reasons.append(f"not promoted here: promotion score {score_text(here)}")
        reasons += [f"{r} (it runs here anyway)" for r in self._fail_effects(node)]
        return reasons

    # ------------------------------------------------------------------ listing

    def _constraints(self) -> list[Applied]:
        out = []
        for loc in self._locations():
            who = ", ".join(loc.resources) or f"/{loc.pattern}/"
            role = f" (role {loc.role})" if loc.role and loc.role != "Started" else ""
            cli_node = next((r.node() for r in loc.rules if r.node()), None) \
                if loc.from_cli else None
            if loc.node is not None:
                text = f"{who}{role}: {loc.score} on {loc.node}"
            elif cli_node is not None:
                # crm_resource --lifetime's rule: "#uname eq N and date lt END".
                text = f"{who}{role}: {loc.rules[0].score or loc.score} on {cli_node}"
            else:
                text = f"{who}{role}: " + "; ".join(
                    f"{r.score or r.score_attribute or loc.score} where {r.describe()}"
                    for r in loc.rules)
            expires = loc.lifetime()
            expired = self._expired(loc)
            if expires:
                text += f" (expired at {expires}: no longer applies)" if expired \
                    else f" (until {expires})"
            if loc.from_cli:
                text += f"; left by crm_resource --move/--ban: {self._clear(loc)}"
            out.append(Applied("location", loc.id, text, loc.from_cli, expires, expired))
        for col in self.cib.colocations:
            if col.resource in self.concerned or col.with_resource in self.concerned:
                a = f"{col.resource}{' ' + col.resource_role if col.resource_role else ''}"
                b = f"{col.with_resource}{' ' + col.with_role if col.with_role else ''}"
                out.append(Applied("colocation", col.id, f"{a} with {b}, score {col.score}"))
        for order in self.cib.orders:
            if order.first in self.concerned or order.then in self.concerned:
                out.append(Applied("order", order.id,
                                   f"{order.first} {order.first_action} before {order.then} "
                                   f"{order.then_action} ({order.kind})"))
        return out


def running_roles(rsc: Resource) -> dict[str, str]:
    """Node → role of a crm_mon resource subtree (Promoted wins over the others)."""
    roles: dict[str, str] = {}
    for prim in rsc.primitives():
        if prim.active:
            for node in prim.nodes:
                if roles.get(node) != "Promoted":
                    roles[node] = prim.role or "Started"
    return roles
