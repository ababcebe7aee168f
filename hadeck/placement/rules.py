"""Location rules as the CIB writes them, and whether one matches a node.

A location constraint may carry rules instead of a node: ``pingd not_defined or pingd
lte 0`` (the ping clone's connectivity rule), ``#uname eq jupiter2 and date lt …`` (what
``crm_resource --move --lifetime`` writes). To say *why* the scheduler gave a node a
score, hadeck tells which rule matched there; the score itself is always the scheduler's
(:mod:`hadeck.placement.scores`), never computed here.

Only what such rules use is evaluated: node attribute expressions (``defined``,
``not_defined``, ``eq``, ``ne``, ``lt``, ``lte``, ``gt``, ``gte``; types string, number,
integer, version; ``#uname``, ``#id``), date expressions (``lt``, ``gt``,
``in_range`` with start and end) and nested rules joined by ``and`` / ``or``. Anything
else (``date_spec``, ``rsc_expression``, ``op_expression``, a ``value-source``) makes
the answer "cannot tell" (None), and the explanation says so rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hadeck.record import record

# Compiled on first use (``re`` caches it): few CIBs have a numeric rule, and every
# Pacemaker check plugin imports this (issue 15).
_NUMBER = r"^[+-]?[0-9]{1,20}(?:\.[0-9]{1,20})?$"


def parse_date(text: str) -> float | None:
    """A Pacemaker (ISO 8601) date as seconds since the epoch; None if it is not one.

    ``2026-12-02 09:18:33Z`` (what crm_resource writes for a lifetime),
    ``2026-12-02 10:20:00 +01:00``, ``2026-12-02T09:18:33Z``, ``2026-12-02``. A date
    without a zone is read as UTC.
    """
    found = _date_fields(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, zone = found
    try:
        seconds = timegm(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(seconds)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _date_fields(text: str) -> tuple[str, str, str, str, str, str, str] | None:
    """Year, month, day, hour, minute, second and zone of a date, read with str methods
    (a pattern costs more to compile than a run's dates to read; issue 15) exactly as
    ``YYYY-MM-DD([ T]HH:MM(:SS)?(.fraction)?)? *(Z|[+-]HH:?MM)?`` (ASCII digits; any
    blank before the zone); None if the text is not that."""
    if (len(text) < 10 or text[4] != "-" or text[7] != "-" or not _ascii_digits(text[:4])
            or not _ascii_digits(text[5:7]) or not _ascii_digits(text[8:10])):
        return None
    hour = minute = second = "0"
    rest = text[10:]
    if (rest[:1] in (" ", "T") and len(rest) >= 6 and rest[3] == ":"
            and _ascii_digits(rest[1:3]) and _ascii_digits(rest[4:6])):
        hour, minute, rest = rest[1:3], rest[4:6], rest[6:]
        if len(rest) >= 3 and rest[0] == ":" and _ascii_digits(rest[1:3]):
            second, rest = rest[1:3], rest[3:]
        if len(rest) >= 2 and rest[0] == "." and "0" <= rest[1] <= "9":
            end = 2
            while end < len(rest) and "0" <= rest[end] <= "9":
                end += 1
            rest = rest[end:]
    zone = rest.lstrip()
    if zone and zone != "Z" and not (
            zone[0] in "+-" and (
                (len(zone) == 5 and _ascii_digits(zone[1:]))
                or (len(zone) == 6 and zone[3] == ":" and _ascii_digits(zone[1:3])
                    and _ascii_digits(zone[4:])))):
        return None
    return text[:4], text[5:7], text[8:10], hour, minute, second, zone


def timegm(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
           second: int = 0) -> int:
    """``calendar.timegm`` of these fields, without importing calendar and datetime (~4 M
    instructions, ~2 % of check_hadeck_cluster's run; issue 15): the same errors (a year
    outside 1-9999, a month outside 1-12) and the same arithmetic (a day, hour, minute or
    second past its range carries over). Days from 1970-01-01 by Howard Hinnant's
    ``days_from_civil``, exact over the proleptic Gregorian calendar.

    Raises:
        ValueError: the year or the month is out of range.
    """
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    if not 1 <= month <= 12:
        raise ValueError("month must be in 1..12")
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468 + day - 1
    return ((days * 24 + hour) * 60 + minute) * 60 + second


@record(frozen=True)
class Expression:
    """One condition of a rule: a node attribute test, a date test, or a nested rule."""

    kind: str
    """``attribute``, ``date`` or ``rule``; anything else is kept by its tag name and
    cannot be evaluated (``date_spec`` …)."""
    attribute: str = ""
    operation: str = ""
    value: str | None = None
    type: str = "string"
    start: str | None = None
    end: str | None = None
    rule: Rule | None = None
    unsupported: bool = False
    """A ``value-source`` other than a literal, or an element hadeck does not read."""

    def describe(self) -> str:
        """The condition in the CIB's own words: ``pingd lte 0``, ``date lt 2026-…``."""
        if self.kind == "attribute":
            if self.operation in ("defined", "not_defined"):
                return f"{self.attribute} {self.operation}"
            return f"{self.attribute} {self.operation} {self.value}"
        if self.kind == "date":
            if self.operation == "lt":
                return f"date lt {self.end}"
            if self.operation == "gt":
                return f"date gt {self.start}"
            return f"date in_range {self.start or '…'} to {self.end or '…'}"
        if self.kind == "rule" and self.rule is not None:
            return f"({self.rule.describe()})"
        return self.kind

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("kind", "attribute", "operation", "value", "type", "start", "end", "rule",
                      "unsupported")

    def __init__(self, kind: str, attribute: str = "", operation: str = "",
                 value: str | None = None, type: str = "string", start: str | None = None,
                 end: str | None = None, rule: Rule | None = None,
                 unsupported: bool = False) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "attribute", attribute)
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "unsupported", unsupported)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(kind={self.kind!r}, attribute={self.attribute!r}, "
                f"operation={self.operation!r}, value={self.value!r}, type={self.type!r}, "
                f"start={self.start!r}, end={self.end!r}, rule={self.rule!r}, "
                f"unsupported={self.unsupported!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.kind, self.attribute, self.operation, self.value, self.type, self.start,
                 self.end, self.rule, self.unsupported)
                == (other.kind, other.attribute, other.operation, other.value, other.type,
                    other.start, other.end, other.rule, other.unsupported))

    def __hash__(self) -> int:
        return hash((self.kind, self.attribute, self.operation, self.value, self.type, self.start,
                     self.end, self.rule, self.unsupported))
    # End of generated code.


@record(frozen=True)
class Rule:
    """A ``<rule>``: its score (or score attribute), role, and conditions."""

    id: str
    score: str | None = None
    score_attribute: str | None = None
    boolean_op: str = "and"
    role: str | None = None
    expressions: tuple[Expression, ...] = ()

    def describe(self) -> str:
        joiner = f" {self.boolean_op} "
        return joiner.join(e.describe() for e in self.expressions) or "no condition"

    def node(self) -> str | None:
        """The node a ``#uname eq NODE`` condition names (a cli- rule's node)."""
        for e in self.expressions:
            if e.kind == "attribute" and e.attribute == "#uname" and e.operation == "eq":
                return e.value
        return None

    def lifetime(self) -> str | None:
        """The end of a ``date lt END`` condition: a ``--lifetime`` constraint's expiry."""
        for e in self.expressions:
            if e.kind == "date" and e.operation == "lt" and e.end:
                return e.end
        return None

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("id", "score", "score_attribute", "boolean_op", "role", "expressions")

    def __init__(self, id: str, score: str | None = None, score_attribute: str | None = None,
                 boolean_op: str = "and", role: str | None = None,
                 expressions: tuple[Expression, ...] = ()) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "score", score)
        object.__setattr__(self, "score_attribute", score_attribute)
        object.__setattr__(self, "boolean_op", boolean_op)
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "expressions", expressions)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(id={self.id!r}, score={self.score!r}, "
                f"score_attribute={self.score_attribute!r}, boolean_op={self.boolean_op!r}, "
                f"role={self.role!r}, expressions={self.expressions!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.id, self.score, self.score_attribute, self.boolean_op, self.role,
                 self.expressions)
                == (other.id, other.score, other.score_attribute, other.boolean_op, other.role,
                    other.expressions))

    def __hash__(self) -> int:
        return hash((self.id, self.score, self.score_attribute, self.boolean_op, self.role,
                     self.expressions))
    # End of generated code.


def evaluate(rule: Rule, attrs: Mapping[str, str], now: float) -> bool | None:
    """Whether ``rule`` holds on a node with these attributes at ``now``.

    Args:
        rule: the rule.
        attrs: the node's attributes, with ``#uname`` and ``#id`` among them.
        now: seconds since the epoch, the scheduler's "now".

    Returns:
        True or False; None when some condition cannot be evaluated and the others do
        not settle the answer.
    """
    results = [_expression(e, attrs, now) for e in rule.expressions]
    if not results:
        return True
    if rule.boolean_op == "or":
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def matching(rule: Rule, attrs: Mapping[str, str], now: float) -> tuple[Expression, ...]:
    """The conditions of ``rule`` that hold here: what to name as the reason."""
    return tuple(e for e in rule.expressions if _expression(e, attrs, now) is True)


def _expression(e: Expression, attrs: Mapping[str, str], now: float) -> bool | None:
    if e.unsupported:
        return None
    if e.kind == "rule":
        return evaluate(e.rule, attrs, now) if e.rule is not None else None
    if e.kind == "date":
        return _date(e, now)
    if e.kind != "attribute":
        return None
    value = attrs.get(e.attribute)
    if e.operation == "defined":
        return value is not None
    if e.operation == "not_defined":
        return value is None
    if value is None or e.value is None:
        return False
    order = _compare(value, e.value, e.type)
    if order is None:
        return None
    return {"eq": order == 0, "ne": order != 0, "lt": order < 0, "lte": order <= 0,
            "gt": order > 0, "gte": order >= 0}.get(e.operation)


def _date(e: Expression, now: float) -> bool | None:
    start = parse_date(e.start) if e.start else None
    end = parse_date(e.end) if e.end else None
    if e.operation == "lt":
        return None if end is None else now < end
    if e.operation == "gt":
        return None if start is None else now > start
    if e.operation == "in_range":
        if (e.start and start is None) or (e.end and end is None) or not (e.start or e.end):
            return None
        return (start is None or now >= start) and (end is None or now <= end)
    return None


def _compare(left: str, right: str, kind: str) -> int | None:
    """-1, 0, 1 as Pacemaker compares two attribute values of this type."""
    if kind in ("number", "integer"):
        if not (re.match(_NUMBER, left.strip()) and re.match(_NUMBER, right.strip())):
            return None
        a, b = float(left), float(right)
    elif kind == "version":
        a_parts = [int(p) for p in re.findall(r"[0-9]+", left)]
        b_parts = [int(p) for p in re.findall(r"[0-9]+", right)]
        return (a_parts > b_parts) - (a_parts < b_parts)
    else:
        return (left > right) - (left < right)
    return (a > b) - (a < b)
