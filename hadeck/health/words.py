"""Pacemaker's numbers in the words operators use.

crm_mon prints ``-INFINITY`` as ``-1000000`` in ``<bans>`` and fail counts of INFINITY as
``1000000``; an operator says "banned", "never runs on", "INFINITY". These helpers turn
the numbers back, so that no face shows ``ban -1000000`` or a threshold of a million.
"""

from __future__ import annotations

INFINITY = 1_000_000
"""Pacemaker's INFINITY, as crm_mon prints it."""


def score_text(score: str | int) -> str:
    """``-INFINITY``, ``INFINITY``, ``50``: a score as it is written in the CIB."""
    text = str(score).strip()
    if text.upper().lstrip("+") == "INFINITY":
        return "INFINITY"
    if text.upper() == "-INFINITY":
        return "-INFINITY"
    try:
        value = int(text.lstrip("+"))
    except ValueError:
        return text
    if value >= INFINITY:
        return "INFINITY"
    if value <= -INFINITY:
        return "-INFINITY"
    return str(value)


def location_words(score: str | int) -> str:
    """What a location score means for the resource on the node: ``never runs on``
    (-INFINITY, banned), ``avoids``, ``prefers``, ``runs only on`` (INFINITY)."""
    text = score_text(score)
    if text == "-INFINITY":
        return "never runs on"
    if text == "INFINITY":
        return "runs only on"
    try:
        value = int(text)
    except ValueError:
        return f"score {text}"
    return "avoids" if value < 0 else "prefers"


def count_text(count: int | None) -> str:
    """A fail count or a migration threshold: ``INFINITY`` for Pacemaker's 1000000."""
    if count is None:
        return "-"
    return "INFINITY" if count >= INFINITY else str(count)
