"""Verdicts and judgements: what the health rules say, and how it is looked up."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable

from hadeck.model import Health
from hadeck.record import field, record, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import TypeVar

    _K = TypeVar("_K")

    from hadeck.health.causes import Problem
    from hadeck.model import (
        Resource,  # a type only: Pacemaker's classes load when used
        SourceStatus,
    )

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN

AREAS = ("sources", "cluster", "nodes", "resources", "drbd", "guests", "lvs",
         "connectivity", "host", "storage", "backups")
"""Every area a verdict can belong to, in the order the faces show them."""


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


class Kind:
    """What sort of object a verdict is about; it decides how the subject is written.

    Plain strings (the JSON document's ``key.kind``), not an enum: building a 20-member
    enum was ~2.7 M instructions of every check plugin's start-up (issue 15). Every kind
    in order: :data:`KINDS`.
    """

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


KINDS: tuple[str, ...] = tuple(v for k, v in vars(Kind).items() if k.isupper())
"""Every :class:`Kind`, in the order they are declared."""


@record(frozen=True)
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

    kind: str
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

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("kind", "name", "node", "peer", "volume")

    def __init__(self, kind: str, name: str = "", node: str | None = None, peer: str | None = None,
                 volume: int | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "peer", peer)
        object.__setattr__(self, "volume", volume)
        self.__post_init__()

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(kind={self.kind!r}, name={self.name!r}, "
                f"node={self.node!r}, peer={self.peer!r}, volume={self.volume!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.kind, self.name, self.node, self.peer, self.volume)
                == (other.kind, other.name, other.node, other.peer, other.volume))
    # End of generated code.


@functools.lru_cache(maxsize=16384)
def interned(kind: str, name: str = "", node: str | None = None) -> Subject:
    """``Subject(kind, name, node)``, made once and then shared (subjects are frozen).

    The dashboard asks for a row's health once per row and refresh: making the subject
    (its text, its hash) each time was ~3 µs, ~10 ms a refresh over the overview's
    counts or the guests screen at 500 guests. Bounded: a cluster's guests, DRBD
    resources and resources several times over.
    """
    return Subject(kind, name, node)


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


@record(frozen=True)
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

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("health", "area", "key", "reason", "node", "since")

    def __init__(self, health: Health, area: str, key: Subject, reason: str,
                 node: str | None = None, since: float | None = None) -> None:
        object.__setattr__(self, "health", health)
        object.__setattr__(self, "area", area)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "since", since)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(health={self.health!r}, area={self.area!r}, "
                f"key={self.key!r}, reason={self.reason!r}, node={self.node!r}, "
                f"since={self.since!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.health, self.area, self.key, self.reason, self.node, self.since)
                == (other.health, other.area, other.key, other.reason, other.node, other.since))

    def __hash__(self) -> int:
        return hash((self.health, self.area, self.key, self.reason, self.node, self.since))
    # End of generated code.


class _Part:
    """The index of one area's verdicts (areas never share a key: each table is keyed by
    its area, and only the ``drbd`` area fills ``drbd``)."""

    __slots__ = ("area_health", "bad_resources", "drbd", "of", "on_node", "verdicts")

    def __init__(self, name: str, verdicts: list[Verdict]) -> None:
        self.verdicts = verdicts
        of: dict[tuple[str, Subject], Health] = {}
        on_node: dict[tuple[str, str], Health] = {}
        drbd: dict[Subject, Health] = {}
        # Written out, not through _raise: built every poll over ~5,400 verdicts at 500
        # guests, where the calls were most of its cost.
        ranks = _RANK
        worst_rank, area_health = -1, OK
        for v in verdicts:
            health = v.health
            r = ranks[health]
            if r > worst_rank:
                worst_rank, area_health = r, health
            key = (name, v.key)
            before = of.get(key)
            if before is None or r > ranks[before]:
                of[key] = health
            if v.node is not None:
                where = (name, v.node)
                before = on_node.get(where)
                if before is None or r > ranks[before]:
                    on_node[where] = health
            if name == "drbd" and v.key.kind == Kind.DRBD:
                _raise(drbd, v.key.resource_view, health)
        self.of, self.on_node, self.drbd, self.area_health = of, on_node, drbd, area_health
        # A resource's id → its worst verdict, for those not OK: what
        # Judgement.resource_health asks of every resource in a tree.
        self.bad_resources = {
            key.name: health for (_, key), health in of.items()
            if health != OK and key.kind == Kind.RESOURCE and key.node is None
            and key.peer is None and key.volume is None} if name == "resources" else {}

    def same(self, verdicts: list[Verdict]) -> bool:
        """Whether ``verdicts`` are the very verdicts this part indexes (the memo hands
        the same objects over while the state they judge is the same)."""
        mine = self.verdicts
        return len(mine) == len(verdicts) and all(
            a is b for a, b in zip(mine, verdicts, strict=True))


class _Index:
    """Every question a face asks of a judgement, each answered by one dict lookup.

    Built once per judgement, on the first question: on a big cluster (500 guests, ~4,400
    verdicts) a scan per question made ``hadeck status`` and the dashboard's screens
    quadratic (~5–10 s to render the status view). Built area by area: an area whose
    verdicts are the very objects of the previous judgement's (the dashboard's polls:
    Pacemaker, the guests, DRBD from a quiet stream) takes that judgement's part as it is.
    """

    def __init__(self, verdicts: tuple[Verdict, ...], previous: _Index | None = None) -> None:
        self.of: dict[tuple[str, Subject], Health] = {}
        self.area: dict[str, list[Verdict]] = {}
        self.area_health: dict[str, Health] = {}
        self.on_node: dict[tuple[str, str], Health] = {}
        self.drbd: dict[Subject, Health] = {}
        self.bad_resources: dict[str, Health] = {}
        self.parts: dict[str, _Part] = {}
        area = self.area
        for v in verdicts:
            found = area.get(v.area)
            if found is None:
                area[v.area] = [v]
            else:
                found.append(v)
        old = previous.parts if previous is not None else {}
        for name, mine in area.items():
            part = old.get(name)
            if part is None or not part.same(mine):
                part = _Part(name, mine)
            self.parts[name] = part
            self.of.update(part.of)
            self.on_node.update(part.on_node)
            self.drbd.update(part.drbd)
            self.bad_resources.update(part.bad_resources)
            self.area_health[name] = part.area_health


def _raise(table: dict[_K, Health], key: _K, health: Health) -> None:
    before = table.get(key)
    if before is None or _RANK[health] > _RANK[before]:
        table[key] = health


@record(frozen=True)
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
        # The four healths at most: one pass in C, then four lookups (~5,400 verdicts).
        object.__setattr__(self, "overall", worst({v.health for v in self.verdicts}))

    @functools.cached_property
    def _index(self) -> _Index:
        return _Index(self.verdicts)

    def index(self, previous: Judgement | None = None) -> None:
        """Build the index now (the dashboard does it in its poll thread, not the UI's).

        Args:
            previous: the judgement before (its index built): an area whose verdicts
                are the same objects reuses its part of that index.
        """
        if "_index" not in self.__dict__:
            before = previous.__dict__.get("_index") if previous is not None else None
            self.__dict__["_index"] = _Index(self.verdicts, before)

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
                           else replace(problem, effects=effects))
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
        bad = self._index.bad_resources
        if not bad:  # nearly always: nothing to walk
            return OK
        return worst(bad.get(r.id, OK) for r in (rsc, *_subtree(rsc)))

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

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("verdicts", "causes")

    def __init__(self, verdicts: tuple[Verdict, ...], causes: tuple[Problem, ...] = ()) -> None:
        object.__setattr__(self, "verdicts", verdicts)
        object.__setattr__(self, "causes", causes)
        self.__post_init__()

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(verdicts={self.verdicts!r}, "
                f"causes={self.causes!r}, overall={self.overall!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.verdicts, self.causes, self.overall)
                == (other.verdicts, other.causes, other.overall))

    def __hash__(self) -> int:
        return hash((self.verdicts, self.causes, self.overall))
    # End of generated code.


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


# Health of the reads themselves: a source that failed is UNKNOWN (here rather than a
# module of its own: every plugin judges its reads; issue 15).


def judge_sources(sources: Iterable[SourceStatus],
                  explained: Collection[str] = ()) -> list[Verdict]:
    """A source that could not be read is UNKNOWN: hadeck cannot vouch for that part.

    Args:
        sources: how each source was read.
        explained: nodes whose being unreachable another rule judges for what it is (a
            director down): their ``node`` error is that rule's verdict, not an unknown.
    """
    return [
        Verdict(UNKNOWN, "sources", Subject(Kind.SOURCE, s.source, s.node), s.error, s.node)
        for s in sources
        if s.error is not None and not (s.source == "node" and s.node in explained)
    ]


def nothing_to_judge(node: str, sources: Iterable[SourceStatus]) -> Verdict:
    """UNKNOWN for a read that gave no verdict at all (never an empty check): why."""
    details = "; ".join(s.detail for s in sources if s.detail)
    return Verdict(UNKNOWN, "sources", Subject(Kind.NODE, node),
                   f"nothing to judge ({details or 'nothing read'})", node)
