"""Health of the reads themselves: a source that failed is UNKNOWN."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from hadeck.health.verdict import UNKNOWN, Kind, Subject, Verdict
from hadeck.model import SourceStatus


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
