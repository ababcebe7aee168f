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

``--probe`` measures instead of trusting the attribute: it pings the ping nodes (the
``host_list`` of the CIB's ping resources, ``[probes] hosts`` and ``--host``) from this
node, ``--count`` echoes each, and judges the local node's score against multiplier ×
ping nodes reached (:func:`hadeck.health.judge_ping_probes`): a node that reaches none
while Pacemaker still holds a score is CRITICAL before Pacemaker moves its resources; a
score that differs is a WARNING (one measurement cannot tell late from wrong). Perfdata
adds ``loss_<host>`` (%) and ``rtt_<host>`` (ms) per host and ``pingd_expected_<node>``.
The probe code is imported only with ``--probe``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from hadeck.checks.common import (
    TIMEOUT_MARGIN,
    Assessment,
    Measure,
    Plugin,
    add_thresholds,
    perf_label,
    run,
    source_verdicts,
)
from hadeck.health import UNKNOWN, Kind, Subject, Verdict, judge_ping_probes, judge_pingd
from hadeck.model import ClusterState
from hadeck.probes.pingd import expected as expected_from
from hadeck.probes.pingd import ping_agents
from hadeck.record import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

DEFAULT_ATTRIBUTE = "pingd"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "a node's ping score")
    parser.add_argument("-a", "--attribute", metavar="NAME", default=DEFAULT_ATTRIBUTE,
                        help="the node attribute the ping agent writes (its `name` "
                             f"parameter; default {DEFAULT_ATTRIBUTE})")
    parser.add_argument("--probe", action="store_true",
                        help="ping the ping nodes from this node and judge the score "
                             "against what they answer, instead of trusting it")
    parser.add_argument("--host", metavar="HOST", action="append", default=[],
                        help="with --probe, ping HOST too (repeatable)")
    parser.add_argument("--count", metavar="N", type=_count, default=None,
                        help="with --probe, echoes per host (default [probes] count, 3)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"--count must be a whole number from 1 to 100, "
                                         f"not {text!r}")
    return value


def measure(state: ClusterState, access: Any, config: Any, deadline: float,
            args: argparse.Namespace) -> ClusterState:
    """With ``--probe``: the local node's pings, within what is left of ``-t``."""
    if not args.probe:
        return state
    from hadeck.probes.ping import PingSettings
    from hadeck.probes.prober import PingProber, probe_state

    count = args.count or config.probe_count
    rounds = (count - 1) * 0.2
    # The echoes' wait, shortened to fit the time left (less a second to start ping).
    left = deadline - time.monotonic() - TIMEOUT_MARGIN - 1.0 - rounds
    settings = PingSettings(count=count, timeout=max(0.2, min(config.probe_timeout, left)))
    prober = PingProber(settings, (*config.probe_hosts, *args.host), links=False,
                        history=False)
    local = replace(state, hosts=())  # only this node pings
    return probe_state(local, access, config, prober=prober)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _probe_measures(state: ClusterState, args: argparse.Namespace,
                    verdicts: list[Verdict]) -> list[Measure]:
    """The probes' verdicts (into ``verdicts``) and perfdata."""
    if not state.pings:
        why = ("a bundle is not probed" if state.origin.startswith("bundle") else
               "nothing to ping: no ping resource's host_list, no [probes] hosts or --host")
        verdicts.append(Verdict(UNKNOWN, "connectivity",
                                Subject(Kind.PINGD_PROBE, args.attribute, state.local_node),
                                f"--probe: {why}", state.local_node))
        return []
    verdicts += judge_ping_probes(state.pacemaker, state.pings, state.taken_at,
                                  state.corosync)
    measures = []
    for probe in state.pings:
        loss = probe.loss_percent
        if loss is not None:
            measures.append(Measure(perf_label("loss", probe.host), loss, "%", 0, 100))
        if probe.rtt_avg_ms is not None:
            measures.append(Measure(perf_label("rtt", probe.host), round(probe.rtt_avg_ms, 3),
                                    "ms", 0))
    for agent in ping_agents(state.pacemaker):
        if agent.attribute != args.attribute:
            continue
        score = expected_from(agent, state.local_node, state.pings).score
        if score is not None:
            measures.append(Measure(perf_label("pingd_expected", state.local_node), score,
                                    min=0, max=agent.full_score))
    return measures


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    verdicts: list[Verdict] = source_verdicts(state)
    probed = _probe_measures(state, args, verdicts) if args.probe else []
    if state.pacemaker is None:
        return Assessment(verdicts, probed)
    pcmk = state.pacemaker
    # The operator asked for this attribute: a ping resource running nowhere is CRITICAL.
    verdicts += judge_pingd(pcmk, args.attribute, required=True)
    measures = list(probed)
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
    text = f"{args.attribute}: " + ", ".join(scores)
    if state.pings:
        answered = sum(p.reached for p in state.pings)
        text += f"; probe from {state.local_node}: {answered} of {len(state.pings)} hosts answer"
    return Assessment(verdicts, measures, text)


PLUGIN = Plugin(
    name="pingd",
    description="Check each cluster node's ping score (the pingd node attribute) against "
                "its expected value.",
    sources=frozenset({"pacemaker"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("pingd",),
    measure=measure,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
