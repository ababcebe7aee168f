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

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass

_DATE = re.compile(
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[ T](?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?(?:\.[0-9]+)?)?"
    r"\s*(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?$")
_NUMBER = re.compile(r"^[+-]?[0-9]{1,20}(?:\.[0-9]{1,20})?$")


def parse_date(text: str) -> float | None:
    """A Pacemaker (ISO 8601) date as seconds since the epoch; None if it is not one.

    ``2026-12-02 09:18:33Z`` (what crm_resource writes for a lifetime),
    ``2026-12-02 10:20:00 +01:00``, ``2026-12-02T09:18:33Z``, ``2026-12-02``. A date
    without a zone is read as UTC.
    """
    found = _DATE.match(text.strip())
    if found is None:
        return None
    try:
        seconds = calendar.timegm((int(found["y"]), int(found["m"]), int(found["d"]),
                                   int(found["H"] or 0), int(found["M"] or 0),
                                   int(found["S"] or 0), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    zone = found["zone"]
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(seconds)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
        if not (_NUMBER.match(left.strip()) and _NUMBER.match(right.strip())):
            return None
        a, b = float(left), float(right)
    elif kind == "version":
        a_parts = [int(p) for p in re.findall(r"[0-9]+", left)]
        b_parts = [int(p) for p in re.findall(r"[0-9]+", right)]
        return (a_parts > b_parts) - (a_parts < b_parts)
    else:
        return (left > right) - (left < right)
    return (a > b) - (a < b)
