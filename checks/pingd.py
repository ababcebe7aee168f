"""check_hadeck_pingd: each node's ping score against what it should be.

The ping resource agent (``ocf:pacemaker:ping``) writes a node attribute, ``pingd`` by
default, worth multiplier × ping hosts reached; crm_mon reports the value each node has
and the one expected. Judged by :func:`hadeck.health.judge_pingd`: 0 is CRITICAL (the node
reaches no ping host), less than expected a WARNING, a node without the attribute a
WARNING (the ping clone does not run there). When no node has the attribute at all the
ping clone runs nowhere, and location rules on it (``not_defined pingd``) keep every
guest from running: CRITICAL.

Cluster-wide: the scores of every node come from the local Pacemaker.

``-w/-c`` are extra ranges on each node's score (default: none).

Perfdata: ``pingd_<node>`` for each online node, 0 to the expected score.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from hadeck.checks.common import (
    Assessment,
    Measure,
    Plugin,
    add_thresholds,
    perf_label,
    run,
    source_verdicts,
)
from hadeck.health import Verdict, judge_pingd
from hadeck.model import ClusterState

DEFAULT_ATTRIBUTE = "pingd"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "a node's ping score")
    parser.add_argument("-a", "--attribute", metavar="NAME", default=DEFAULT_ATTRIBUTE,
                        help="the node attribute the ping agent writes (its `name` "
                             f"parameter; default {DEFAULT_ATTRIBUTE})")


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    verdicts: list[Verdict] = source_verdicts(state)
    if state.pacemaker is None:
        return Assessment(verdicts)
    pcmk = state.pacemaker
    # The operator asked for this attribute: a ping resource running nowhere is CRITICAL.
    verdicts += judge_pingd(pcmk, args.attribute, required=True)
    measures = []
    scores = []
    for node in pcmk.nodes:
        attr = node.attribute(args.attribute)
        if attr is None or not node.online or node.type == "ping":
            continue
        value = _number(attr.value)
        if value is None:
            continue
        expected = _number(attr.expected)
        measures.append(Measure(perf_label("pingd", node.name), value, min=0, max=expected,
                                threshold="pingd", subject=f"{args.attribute} {node.name}",
                                what=""))
        scores.append(f"{node.name} {attr.value}"
                      + (f"/{attr.expected}" if attr.expected else ""))
    return Assessment(verdicts, measures, f"{args.attribute}: " + ", ".join(scores))


PLUGIN = Plugin(
    name="pingd",
    description="Check each cluster node's ping score (the pingd node attribute) against "
                "its expected value.",
    sources=frozenset({"pacemaker"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("pingd",),
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
