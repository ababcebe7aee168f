"""Health of the reads themselves: a source that failed is UNKNOWN."""

from __future__ import annotations

from collections.abc import Iterable

from hadeck.health.verdict import UNKNOWN, Kind, Subject, Verdict
from hadeck.model import SourceStatus


def judge_sources(sources: Iterable[SourceStatus]) -> list[Verdict]:
    """A source that could not be read is UNKNOWN: hadeck cannot vouch for that part."""
    return [
        Verdict(UNKNOWN, "sources", Subject(Kind.SOURCE, s.source, s.node), s.error, s.node)
        for s in sources
        if s.error is not None
    ]


def nothing_to_judge(node: str, sources: Iterable[SourceStatus]) -> Verdict:
    """UNKNOWN for a read that gave no verdict at all (never an empty check): why."""
    details = "; ".join(s.detail for s in sources if s.detail)
    return Verdict(UNKNOWN, "sources", Subject(Kind.NODE, node),
                   f"nothing to judge ({details or 'nothing read'})", node)
