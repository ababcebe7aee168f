"""Placement: where a resource runs and why, from the scheduler's own scores.

``hadeck explain RESOURCE`` and the dashboard's detail view call
:func:`read_explanation` (through a runner) or :func:`explain` (on what was already
read): the scheduler's allocation scores per node (:mod:`~hadeck.placement.scores`), the
constraints, rules, stickiness and fail counts of the CIB that apply
(:mod:`~hadeck.placement.cib`, :mod:`~hadeck.placement.rules`), and for each node in
words why the resource runs there or why not (:mod:`~hadeck.placement.explanation`).
Nothing here decides placement: Pacemaker's scheduler does, hadeck names its reasons.

The names below are imported when first used: the health rules (and so every check
plugin) use only :func:`~hadeck.placement.rules.parse_date`, and should not pay for
the rest at start-up.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any

    from hadeck.placement.cib import Cib, parse_cib
    from hadeck.placement.explanation import (
        Applied,
        ExplainError,
        Explanation,
        NodePlacement,
        explain,
    )
    from hadeck.placement.read import (
        CIB,
        COMMANDS,
        explain_access,
        read_cib,
        read_explanation,
    )
    from hadeck.placement.rules import parse_date
    from hadeck.placement.scores import INFINITY, Scores, parse_scores, score_text

_WHERE = {
    "Cib": "cib", "parse_cib": "cib",
    "Applied": "explanation", "ExplainError": "explanation", "Explanation": "explanation",
    "NodePlacement": "explanation", "explain": "explanation",
    "CIB": "read", "COMMANDS": "read", "read_cib": "read", "read_explanation": "read",
    "explain_access": "read",
    "parse_date": "rules",
    "INFINITY": "scores", "Scores": "scores", "parse_scores": "scores",
    "score_text": "scores",
}

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
    "explain_access",
    "parse_cib",
    "parse_date",
    "parse_scores",
    "read_cib",
    "read_explanation",
    "score_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hadeck.placement' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hadeck.placement.{module}"), name)
