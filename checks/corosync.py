"""check_hadeck_corosync: the local node's corosync links and quorum.

``corosync-cfgtool -s`` (links per peer, or corosync 2's rings) and ``corosync-quorumtool
-s`` (votequorum), as :mod:`hadeck.sources.corosync` reads them; judged by
:func:`hadeck.health.judge_corosync_on`: a peer with every link down is CRITICAL, with some
down a WARNING; a FAULTY ring a WARNING (CRITICAL when it is the only one); no quorum
CRITICAL.

``-w/-c`` are ranges on the total votes (default: none; losing quorum is CRITICAL anyway),
e.g. ``-w 3:`` on a three-vote cluster warns as soon as one vote is gone.

Perfdata: ``links_up_<peer>`` (0 to the links configured), ``links_down`` (all peers),
``votes`` (0 to the expected votes), ``quorum`` (votes needed), ``nodes`` (members).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hadeck.checks.common import (
    Assessment,
    Measure,
    Plugin,
    add_thresholds,
    perf_label,
    plural,
    run,
    source_verdicts,
)
from hadeck.health import Verdict, judge_corosync_on
from hadeck.model import ClusterState, CorosyncStatus

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "the total votes")


def _links_per_peer(status: CorosyncStatus) -> dict[str, tuple[int, int]]:
    """Peer name → (links up, links known), from every link's peer list."""
    counts: dict[str, tuple[int, int]] = {}
    for link in status.links:
        for peer in link.peers:
            if peer.state == "localhost":
                continue
            name = peer.name or f"node{peer.node_id}"
            up, known = counts.get(name, (0, 0))
            counts[name] = (up + (peer.state == "connected"), known + 1)
    return counts


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    node = state.local_node
    statuses = [s for s in state.corosync if s.node == node]
    verdicts: list[Verdict] = source_verdicts(state)
    verdicts += judge_corosync_on(node, statuses, state.sources)
    measures: list[Measure] = []
    texts: list[str] = []
    for status in statuses:
        per_peer = _links_per_peer(status)
        down = 0
        for peer, (up, known) in sorted(per_peer.items()):
            measures.append(Measure(perf_label("links_up", peer), up, min=0, max=known))
            down += known - up
        if per_peer:
            measures.append(Measure("links_down", down, min=0))
            texts.append(f"{plural(len(status.links), 'link')} to "
                         f"{plural(len(per_peer), 'peer')}, {down} down")
        quorum = status.quorum
        if quorum is not None:
            if quorum.total_votes is not None:
                measures.append(Measure("votes", quorum.total_votes, min=0,
                                        max=quorum.expected_votes, threshold="votes",
                                        subject=f"corosync@{node}", what="votes"))
            if quorum.quorum is not None:
                measures.append(Measure("quorum", quorum.quorum, min=0))
            if quorum.nodes is not None:
                measures.append(Measure("nodes", quorum.nodes, min=0))
            word = {True: "quorate", False: "not quorate", None: "quorum unknown"}
            texts.append(word[quorum.quorate] + (
                f", {quorum.total_votes} of {quorum.expected_votes} votes"
                if quorum.total_votes is not None else ""))
    return Assessment(verdicts, measures, " / ".join(texts))


PLUGIN = Plugin(
    name="corosync",
    description="Check this node's corosync links to every peer, quorum and votes.",
    sources=frozenset({"corosync"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("votes",),
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
