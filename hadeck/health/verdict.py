"""Verdicts and judgements: what the health rules say, and how it is looked up."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from hadeck.model import Health

if TYPE_CHECKING:
    from hadeck.health.causes import Problem
    from hadeck.model import Resource  # a type only: Pacemaker's classes load when used

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN

AREAS = ("sources", "cluster", "nodes", "resources", "drbd", "guests", "lvs",
         "connectivity", "host", "storage", "backups")
"""Every area a verdict can belong to, in the order the faces show them."""

_K = TypeVar("_K")

_RANK = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}


def worst(healths: Iterable[Health]) -> Health:
    """The worst of several verdicts: CRITICAL > UNKNOWN > WARNING > OK; OK if none."""
    result = OK
    for health in healths:
        if _RANK[health] > _RANK[result]:
            result = health
    return result


def rank(health: Health) -> int:
    """Sort key, higher is worse (UNKNOWN between WARNING and CRITICAL)."""
    return _RANK[health]


class Kind(StrEnum):
    """What sort of object a verdict is about; it decides how the subject is written."""

    SOURCE = "source"
    """A source read on a node: ``drbd@n1``."""
    CLUSTER = "cluster"
    """A cluster-wide fact: ``DC``, ``quorum``, ``maintenance-mode``."""
    NODE = "node"
    """A node as a whole: ``jupiter1``."""
    RESOURCE = "resource"
    """A Pacemaker resource: ``vm1``."""
    DRBD = "drbd"
    """A DRBD resource as one node sees it, or a peer or volume of it: ``r0@n1 → n2/0``."""
    GUEST = "guest"
    """A guest on a node: ``vm1@jupiter1``."""
    SERVICE = "service"
    """An LVS virtual service on a director: ``TCP 192.0.2.10:80@lvs1``."""
    VRRP = "vrrp"
    """A VRRP instance on a director, or the pair's: ``VRRP VI_1@lvs1``, ``VRRP VI_1``."""
    PINGD = "pingd"
    """A node's ping score attribute: ``pingd jupiter1``."""
    PINGD_PROBE = "pingd-probe"
    """A node's ping score against what hadeck's own probes say: ``pingd jupiter1 (probe)``."""
    PING = "ping"
    """A host hadeck pinged from a node: ``ping 192.0.2.254 from jupiter1``."""
    LINK = "link"
    """The corosync links from a node to a peer: ``link jupiter1 → jupiter2``; as hadeck's
    pings of the peer's link addresses see them: ``link jupiter1 → jupiter2 (probe)``."""
    RING = "ring"
    """A corosync ring (link) on a node: ``ring 0@jupiter1``."""
    QUORUM = "quorum"
    """corosync's quorum as a node sees it: ``corosync quorum@jupiter1``."""
    COROSYNC = "corosync"
    """corosync on a node as a whole: ``corosync@jupiter1``."""
    HOST = "host"
    """A host fact on a node: an MD array, a filesystem, ``memory``, ``load``, or the host
    itself (no name)."""
    LVM = "lvm"
    """A volume group or logical volume on a node: ``vg0@jupiter1``, ``vg0/pool@jupiter1``."""
    BACKUP = "backup"
    """An rdiff-backup repository on the node that holds it: ``backup web@backup1``."""


@dataclass(frozen=True)
class Subject:
    """What a verdict is about, as typed fields; :attr:`text` is how people read it.

    Faces look verdicts up by subject (``judgement.of("guests", Subject(Kind.GUEST,
    g.name, g.node))``) and never parse :attr:`text` back.

    Attributes:
        kind: what sort of object.
        name: its name (a resource, guest, service key, array …; empty where the kind
            and the node say it all).
        node: the node it is on or seen from.
        peer: the other end: a DRBD peer, a corosync peer.
        volume: a DRBD volume number.
    """

    kind: Kind
    name: str = ""
    node: str | None = None
    peer: str | None = None
    volume: int | None = None
    text: str = field(init=False, repr=False, compare=False)
    """``r0@n1 → n2/0``: the subject written as operators name it (JSON ``subject``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _render(self))
        object.__setattr__(self, "_hash", hash((self.kind, self.name, self.node, self.peer,
                                                self.volume)))

    def __hash__(self) -> int:
        # Computed once: a judgement's index and every row's lookup hash subjects
        # (~110,000 hashes a poll at 500 guests).
        return self._hash  # type: ignore[attr-defined, no-any-return]

    def __str__(self) -> str:
        return self.text

    @property
    def resource_view(self) -> Subject:
        """A DRBD subject without its peer and volume: the resource view it belongs to."""
        if self.peer is None and self.volume is None:
            return self
        return Subject(self.kind, self.name, self.node)


def _render(s: Subject) -> str:
    at = f"@{s.node}" if s.node else ""
    if s.kind == Kind.LINK:
        return f"link {s.node} → {s.peer}" + (f" ({s.name})" if s.name else "")
    if s.kind == Kind.PINGD:
        return f"{s.name} {s.node}" if s.node else s.name
    if s.kind == Kind.PINGD_PROBE:
        return f"{s.name} {s.node} (probe)"
    if s.kind == Kind.PING:
        return f"ping {s.name} from {s.node}"
    if s.kind == Kind.VRRP:
        return "VRRP" + (f" {s.name}" if s.name else "") + at
    if s.kind == Kind.RING:
        return f"ring {s.name}{at}"
    if s.kind == Kind.BACKUP:
        return f"backup {s.name}{at}"
    if s.kind == Kind.QUORUM:
        return f"corosync quorum{at}"
    if s.kind == Kind.HOST and not s.name:
        return s.node or ""
    text = s.name + at
    if s.peer is not None:
        text += f" → {s.peer}"
    if s.volume is not None:
        text += f"/{s.volume}"
    return text


@dataclass(frozen=True)
class Verdict:
    """One object's health and why."""

    health: Health
    area: str
    key: Subject
    """What it is about; :attr:`subject` is how it is written."""
    reason: str
    node: str | None = None
    """The node the verdict applies to (None: the cluster, or a pair of directors)."""
    since: float | None = None
    """When the cluster says the problem began (epoch seconds: a failed operation's
    ``last-rc-change``); None where it does not say (faces then show "seen since")."""

    @property
    def subject(self) -> str:
        """The object, as an operator names it: ``jupiter1``, ``vm1@jupiter1``,
        ``r0@jupiter1 → jupiter2``."""
        return self.key.text


class _Index:
    """Every question a face asks of a judgement, each answered by one dict lookup.

    Built once per judgement, on the first question: on a big cluster (500 guests, ~4,400
    verdicts) a scan per question made ``hadeck status`` and the dashboard's screens
    quadratic (~5–10 s to render the status view).
    """

    def __init__(self, verdicts: tuple[Verdict, ...]) -> None:
        self.of: dict[tuple[str, Subject], Health] = {}
        self.area: dict[str, list[Verdict]] = {}
        self.area_health: dict[str, Health] = {}
        self.on_node: dict[tuple[str, str], Health] = {}
        self.drbd: dict[Subject, Health] = {}
        # Written out, not through _raise: built every poll over ~5,400 verdicts at 500
        # guests, where the calls were most of its cost.
        of, area, area_health = self.of, self.area, self.area_health
        on_node, drbd, ranks = self.on_node, self.drbd, _RANK
        for v in verdicts:
            health, name, r = v.health, v.area, _RANK[v.health]
            key = (name, v.key)
            before = of.get(key)
            if before is None or r > ranks[before]:
                of[key] = health
            found = area.get(name)
            if found is None:
                area[name] = [v]
                area_health[name] = health
            else:
                found.append(v)
                if r > ranks[area_health[name]]:
                    area_health[name] = health
            if v.node is not None:
                where = (name, v.node)
                before = on_node.get(where)
                if before is None or r > ranks[before]:
                    on_node[where] = health
            if name == "drbd" and v.key.kind == Kind.DRBD:
                _raise(drbd, v.key.resource_view, health)


def _raise(table: dict[_K, Health], key: _K, health: Health) -> None:
    before = table.get(key)
    if before is None or _RANK[health] > _RANK[before]:
        table[key] = health


@dataclass(frozen=True)
class Judgement:
    """Every verdict of one state, and the overall health.

    The questions (:meth:`of`, :meth:`area`, :meth:`drbd_resource` …) are answered from
    an index built on the first one, so a face may ask once per row.
    """

    verdicts: tuple[Verdict, ...]
    causes: tuple[Problem, ...] = ()
    """Root causes with the verdicts they explain (:mod:`hadeck.health.causes`); every
    other problem stands alone in :meth:`grouped`."""
    overall: Health = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", worst(v.health for v in self.verdicts))

    @functools.cached_property
    def _index(self) -> _Index:
        return _Index(self.verdicts)

    def index(self) -> None:
        """Build the index now (the dashboard does it in its poll thread, not the UI's)."""
        self._index  # noqa: B018 - the cached property builds it

    @functools.cached_property
    def _problems(self) -> tuple[Verdict, ...]:
        bad = [v for v in self.verdicts if v.health != OK]
        bad.sort(key=lambda v: (-rank(v.health), AREAS.index(v.area)))
        return tuple(bad)

    def problems(self) -> tuple[Verdict, ...]:
        """Verdicts that are not OK, worst first, then in area order."""
        return self._problems

    def grouped(self, areas: Iterable[str] | None = None) -> tuple[Problem, ...]:
        """Every problem once, each root cause with its effects folded under it, worst
        first (a root cause before a lone problem of the same health).

        Args:
            areas: only problems whose cause is in one of these areas (and only effects
                in them); all when None.
        """
        from hadeck.health.causes import order, single

        chosen = set(AREAS if areas is None else areas)
        grouped: list[Problem] = []
        folded: set[int] = set()
        for problem in self.causes:
            if problem.area not in chosen:
                continue  # its effects in the chosen areas stand alone below
            folded.update(id(v) for v in problem.verdicts)
            effects = tuple(v for v in problem.effects if v.area in chosen)
            grouped.append(problem if effects == problem.effects
                           else dataclasses.replace(problem, effects=effects))
        grouped += [single(v) for v in self.problems()
                    if id(v) not in folded and v.area in chosen]
        return tuple(order(grouped, AREAS))

    def area(self, area: str) -> tuple[Verdict, ...]:
        """The verdicts of one area, in judgement order."""
        return tuple(self._index.area.get(area, ()))

    def area_health(self, area: str) -> Health:
        """The worst verdict of one area (OK when it has none)."""
        return self._index.area_health.get(area, OK)

    def of(self, area: str, subject: Subject) -> Health:
        """The worst verdict on one subject (OK when nothing was said about it).

        Raises:
            TypeError: ``subject`` is not a :class:`Subject` (its text would match nothing
                and read as OK).
        """
        if not isinstance(subject, Subject):
            raise TypeError(f"Judgement.of takes a Subject, not {type(subject).__name__} "
                            f"{subject!r}: build it with Subject(Kind…) or the health helpers")
        return self._index.of.get((area, subject), OK)

    def resource_health(self, rsc: Resource) -> Health:
        """The worst verdict on a resource and everything in it: a group or a clone shows
        the worst of its members (all members stopped is not an OK group)."""
        ids = {rsc.id} | {r.id for r in _subtree(rsc)}
        return worst(self._index.of.get(("resources", Subject(Kind.RESOURCE, rid)), OK)
                     for rid in ids)

    def on_node(self, area: str, node: str) -> Health:
        """The worst verdict of one area that applies to one node (OK if none)."""
        return self._index.on_node.get((area, node), OK)

    def drbd_resource(self, resource: Subject) -> Health:
        """The worst verdict on a DRBD resource view (``r0@n1``) and everything under it:
        its volumes, its peers and their volumes (OK if none)."""
        return self._index.drbd.get(resource.resource_view, OK)

    def summary(self) -> str:
        """The worst problem first (a root cause before what it caused), then how many
        more: for one status line."""
        problems = self.grouped()
        if not problems:
            return "all OK"
        first = problems[0]
        text = f"{first.subject}: {first.reason}"
        if len(problems) > 1:
            text += f" (+{len(problems) - 1} more)"
        return text


def _subtree(rsc: Resource) -> list[Resource]:
    out = []
    for child in rsc.children:
        out.append(child)
        out += _subtree(child)
    return out


class Memo:
    """The verdicts of objects judged before, for a caller that judges every second.

    State objects are frozen, and most of a poll's are the very objects of the poll
    before: the Pacemaker parse is remembered while crm_mon prints the same, and a live
    DRBD stream hands over the same resources until they change. The same object gives
    the same verdicts, so they are looked up by identity instead of judged again (~45 ms
    a poll at 500 guests). Entries not used by one whole judgement are dropped. Not
    thread-safe: one judgement at a time (the dashboard's poller holds its lock).
    """

    def __init__(self) -> None:
        self._old: dict[int, tuple[object, object, list[Verdict]]] = {}
        self._new: dict[int, tuple[object, object, list[Verdict]]] = {}
        self._last: dict[str, tuple[object, tuple[Verdict, ...]]] = {}

    def last(self, rule: str, key: object, judge: Callable[[], Iterable[Verdict]]
             ) -> tuple[Verdict, ...]:
        """``judge()``, or what ``rule`` gave last time if that was for an equal ``key``:
        one result per rule, kept until the key changes. A key is a tuple of the state's
        objects the rule reads (the Pacemaker view's parts stay the very same objects
        while crm_mon prints the same), so comparing it is an identity test per part."""
        hit = self._last.get(rule)
        if hit is not None and hit[0] == key:
            return hit[1]
        verdicts = tuple(judge())
        self._last[rule] = (key, verdicts)
        return verdicts

    def get(self, obj: object, context: object, judge: Callable[[], list[Verdict]]
            ) -> list[Verdict]:
        """``judge()``, or what it returned for this very object in this very context."""
        key = id(obj)
        hit = self._new.get(key) or self._old.get(key)
        if hit is not None and hit[0] is obj and hit[1] == context:
            self._new[key] = hit
            return hit[2]
        verdicts = judge()
        self._new[key] = (obj, context, verdicts)
        return verdicts

    def turn(self) -> None:
        """One judgement is done: forget what it did not look at."""
        self._old, self._new = self._new, {}


def memo_get(memo: Memo | None, obj: object, context: object,
             judge: Callable[[], list[Verdict]]) -> list[Verdict]:
    """``judge()``, through ``memo`` when there is one."""
    return judge() if memo is None else memo.get(obj, context, judge)
