"""Verdicts and judgements: what the health rules say, and how it is looked up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hadeck.model import (
    Health,
)

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN

AREAS = ("sources", "cluster", "nodes", "resources", "drbd", "guests", "lvs",
         "connectivity", "host")
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


@dataclass(frozen=True)
class Verdict:
    """One object's health and why."""

    health: Health
    area: str
    subject: str
    """The object, as an operator names it: ``jupiter1``, ``vm1``, ``r0 → jupiter2``."""
    reason: str
    node: str | None = None


@dataclass(frozen=True)
class Judgement:
    """Every verdict of one state, and the overall health."""

    verdicts: tuple[Verdict, ...]
    overall: Health = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", worst(v.health for v in self.verdicts))

    def problems(self) -> tuple[Verdict, ...]:
        """Verdicts that are not OK, worst first, then in area order."""
        bad = [v for v in self.verdicts if v.health != OK]
        bad.sort(key=lambda v: (-rank(v.health), AREAS.index(v.area)))
        return tuple(bad)

    def area(self, area: str) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.area == area)

    def area_health(self, area: str) -> Health:
        return worst(v.health for v in self.verdicts if v.area == area)

    def of(self, area: str, subject: str) -> Health:
        """The worst verdict on one subject (OK when nothing was said about it)."""
        return worst(v.health for v in self.verdicts
                     if v.area == area and v.subject == subject)

    def summary(self) -> str:
        """The worst problem first, then how many more: for one status line."""
        problems = self.problems()
        if not problems:
            return "all OK"
        first = problems[0]
        text = f"{first.subject}: {first.reason}"
        if len(problems) > 1:
            text += f" (+{len(problems) - 1} more)"
        return text


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
    return judge() if memo is None else memo.get(obj, context, judge)
