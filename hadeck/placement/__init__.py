"""Placement: where a resource runs and why, from the scheduler's own scores.

``hadeck explain RESOURCE`` and the dashboard's detail view call
:func:`read_explanation` (through a runner) or :func:`explain` (on what was already
read): the scheduler's allocation scores per node (:mod:`~hadeck.placement.scores`), the
constraints, rules, stickiness and fail counts of the CIB that apply
(:mod:`~hadeck.placement.cib`, :mod:`~hadeck.placement.rules`), and for each node in
words why the resource runs there or why not (:mod:`~hadeck.placement.explain`).
Nothing here decides placement: Pacemaker's scheduler does, hadeck names its reasons.
"""

from __future__ import annotations

from hadeck.placement.cib import Cib, parse_cib
from hadeck.placement.explain import (
    Applied,
    ExplainError,
    Explanation,
    NodePlacement,
    explain,
)
from hadeck.placement.read import CIB, COMMANDS, read_cib, read_explanation
from hadeck.placement.rules import parse_date
from hadeck.placement.scores import INFINITY, Scores, parse_scores, score_text

__all__ = [
    "CIB",
    "COMMANDS",
    "INFINITY",
    "Applied",
    "Cib",
    "ExplainError",
    "Explanation",
    "NodePlacement",
    "Scores",
    "explain",
    "parse_cib",
    "parse_date",
    "parse_scores",
    "read_cib",
    "read_explanation",
    "score_text",
]
