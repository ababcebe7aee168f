"""The scheduler's allocation scores: what ``crm_simulate -s`` prints, parsed.

``crm_simulate -Ls`` (the live CIB), ``-x FILE -s`` or ``-p -s`` (a CIB on stdin) print
one line per resource, node and step of the scheduler::

    pcmk__primitive_assign: vm1 allocation score on jupiter1: 10400
    pcmk__clone_allocate: p_drbd_vm1:0 allocation score on jupiter2: 0
    pcmk__group_assign: g_services allocation score on sun: -INFINITY
    p_drbd_vm1:0 promotion score on jupiter1: 10300

The function names before the colon change between versions (``native_color``,
``group_color``, ``clone_color`` in 1.1 and 2.0; ``pcmk__native_allocate``,
``pcmk__primitive_assign``, ``pcmk__group_assign``, ``pcmk__clone_allocate`` in 2.1):
they are kept as printed, and :meth:`Scores.allocation` prefers the primitive step,
where a primitive's node is finally chosen. With ``-Q`` nothing else is printed; without
it the cluster status comes first, and lines that are not scores are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadeck.sources.base import ParseError

INFINITY = 1_000_000
"""Pacemaker's score infinity: ``INFINITY`` is stored as this, ``-INFINITY`` as its
negative, and every sum is clipped to them."""

_ALLOCATION = re.compile(
    r"^(?:(?P<step>[A-Za-z_][\w.]*): )?(?P<rsc>\S+) allocation score on (?P<node>\S+): "
    r"(?P<score>\S+)$")
_PROMOTION = re.compile(r"^(?P<rsc>\S+) promotion score on (?P<node>\S+): (?P<score>\S+)$")
_NUMBER = re.compile(r"[+-]?[0-9]{1,20}")
_PRIMITIVE_STEPS = ("primitive", "native")


def score_value(text: str) -> int:
    """A score as Pacemaker writes it: ``INFINITY``, ``+INFINITY``, ``-INFINITY``, ``50``.

    Raises:
        ParseError: not a score.
    """
    word = text.strip()
    upper = word.upper()
    if upper in ("INFINITY", "+INFINITY"):
        return INFINITY
    if upper == "-INFINITY":
        return -INFINITY
    if not _NUMBER.fullmatch(word):
        raise ParseError(f"not a score: {word[:40]!r}")
    return max(-INFINITY, min(INFINITY, int(word)))


def score_text(value: int) -> str:
    """A score as Pacemaker prints it (``INFINITY``, ``-INFINITY``, ``150``)."""
    if value >= INFINITY:
        return "INFINITY"
    if value <= -INFINITY:
        return "-INFINITY"
    return str(value)


def base_id(instance: str) -> str:
    """``p_drbd_vm1:0`` → ``p_drbd_vm1``: a clone instance's primitive."""
    head, sep, tail = instance.rpartition(":")
    return head if sep and tail.isdigit() else instance


@dataclass(frozen=True)
class Score:
    """One line: a resource's (or clone instance's) score on a node at one step."""

    step: str
    """The scheduler function that printed it; ``promotion`` for promotion scores."""
    resource: str
    """As printed: clone instances carry ``:N``."""
    node: str
    value: int


@dataclass(frozen=True)
class Scores:
    """Every score line of one crm_simulate run, in the order printed."""

    allocations: tuple[Score, ...] = ()
    promotions: tuple[Score, ...] = ()

    def allocation(self, resource: str) -> dict[str, int]:
        """The score per node of one resource (or clone instance) where it is placed.

        The primitive step decides where a primitive goes, and comes last; a group or a
        clone is printed only by its own step. The last line per node wins.
        """
        lines = [s for s in self.allocations if s.resource == resource]
        final = [s for s in lines if any(k in s.step for k in _PRIMITIVE_STEPS)]
        return {s.node: s.value for s in (final or lines)}

    def instances(self, primitive: str) -> tuple[str, ...]:
        """The clone instances (``p_drbd_vm1:0`` …) of a primitive, in order printed."""
        seen: dict[str, None] = {}
        for s in self.allocations:
            if s.resource != primitive and base_id(s.resource) == primitive:
                seen[s.resource] = None
        return tuple(seen)

    def promotion(self, primitive: str) -> dict[str, int]:
        """The best promotion score per node among a primitive's clone instances."""
        best: dict[str, int] = {}
        for s in self.promotions:
            if base_id(s.resource) == primitive and s.node != "none":
                best[s.node] = max(s.value, best.get(s.node, -INFINITY))
        return best

    def knows(self, resource: str) -> bool:
        return any(s.resource == resource or base_id(s.resource) == resource
                   for s in self.allocations)


def parse_scores(text: str) -> Scores:
    """Parse what ``crm_simulate -s`` printed.

    Args:
        text: its stdout, with or without the cluster status before the scores.

    Returns:
        The allocation and promotion scores.

    Raises:
        ParseError: no score line at all (not crm_simulate's output, or nothing
            configured), or a score that is not a number.
    """
    allocations: list[Score] = []
    promotions: list[Score] = []
    for raw in text.splitlines():
        line = raw.strip()
        found = _ALLOCATION.match(line)
        if found is not None:
            allocations.append(Score(found["step"] or "", found["rsc"], found["node"],
                                     score_value(found["score"])))
            continue
        found = _PROMOTION.match(line)
        if found is not None:
            promotions.append(Score("promotion", found["rsc"], found["node"],
                                    score_value(found["score"])))
    if not allocations:
        raise ParseError("crm_simulate printed no allocation scores")
    return Scores(tuple(allocations), tuple(promotions))
