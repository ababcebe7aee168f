"""Health verdicts indexed by subject, built once per snapshot (pure, no Textual).

:class:`~hadeck.health.Judgement` answers ``of(area, subject)`` and ``area(area)`` by
scanning every verdict. The screens ask once per row, so on a big cluster (500 guests,
1,000 DRBD views: ~5,000 verdicts and ~3,500 rows) that was quadratic: the DRBD screen
alone took ~3 s to build, on the UI thread, and froze the keys for as long. The index
answers each question with one dict lookup; it is built in the poll worker.
"""

from __future__ import annotations

import functools

from hadeck.health import Judgement, Verdict, rank
from hadeck.model import Health

OK = Health.OK


class HealthIndex:
    """The worst health per (area, subject), per area, and per DRBD resource.

    Args:
        judgement: the verdicts of one state.
    """

    def __init__(self, judgement: Judgement) -> None:
        self._of: dict[tuple[str, str], Health] = {}
        self._area: dict[str, list[Verdict]] = {}
        self._drbd: dict[str, Health] = {}
        for v in judgement.verdicts:
            key = (v.area, v.subject)
            before = self._of.get(key)
            if before is None or rank(v.health) > rank(before):
                self._of[key] = v.health
            self._area.setdefault(v.area, []).append(v)
            if v.area == "drbd":
                self._index_drbd(v)

    def _index_drbd(self, v: Verdict) -> None:
        for prefix in _prefixes(v.subject):
            before = self._drbd.get(prefix)
            if before is None or rank(v.health) > rank(before):
                self._drbd[prefix] = v.health

    def of(self, area: str, subject: str) -> Health:
        """As :meth:`Judgement.of`: the worst verdict on one subject, OK if none."""
        return self._of.get((area, subject), OK)

    def area(self, area: str) -> tuple[Verdict, ...]:
        """As :meth:`Judgement.area`: the verdicts of one area, in judgement order."""
        return tuple(self._area.get(area, ()))

    def drbd_resource(self, subject: str) -> Health:
        """The worst verdict on a DRBD resource view (``r0@n1``) and everything under it."""
        return self._drbd.get(subject, OK)


@functools.lru_cache(maxsize=32768)
def _prefixes(subject: str) -> tuple[str, ...]:
    """The subjects a DRBD verdict counts for: a resource's health covers the verdicts on
    ``r0@n1`` itself and on anything under it (``r0@n1 → n2``, ``r0@n1/0``,
    ``r0@n1 → n2/0``), so every prefix ending before a space or a slash. Remembered: the
    same few thousand subjects come back every poll."""
    return tuple({subject} | {subject[:i] for i, ch in enumerate(subject) if ch in " /"})
