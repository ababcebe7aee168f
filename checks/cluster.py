"""check_hadeck_cluster: Pacemaker as the local node sees it.

Judged by :mod:`hadeck.health` (``judge_cluster``, ``judge_nodes``, ``judge_resources``,
``judge_constraints``, ``judge_colocations``, ``judge_orders``):
quorum and DC; nodes offline, unclean, pending, standby or in maintenance; resources
failed, blocked, stopped while wanted, multiply active or unmanaged; failed actions; fail
counts; ``cli-prefer`` / ``cli-ban`` constraints left behind by ``crm_resource --move`` /
``--ban``. Pingd scores are check_hadeck_pingd's. A node out of the cluster that still
runs guests or DRBD Primaries (corosync killed there: crm_mon and corosync's tools fail,
the guests go on) is CRITICAL, not UNKNOWN (``judge_membership``): for that alone the
check also reads corosync, the guests and DRBD, whose own failures it leaves to their
checks.

``-w/-c`` are ranges on the number of failed actions (default: none; each failed action
is a WARNING anyway). ``-c 3`` makes more than three failed actions CRITICAL.

Perfdata: ``nodes_online`` (0 to the nodes configured), ``resources_active`` (0 to the
primitives configured, clone instances counted one by one), ``resources_failed``,
``failed_actions``.
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
    run,
    source_verdicts,
)
from hadeck.health import (
    Verdict,
    in_transition,
    judge_cluster,
    judge_colocations,
    judge_constraints,
    judge_membership,
    judge_nodes,
    judge_orders,
    judge_resources,
)
from hadeck.model import ClusterState, PacemakerState, Resource

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "the number of failed actions")


def _primitives(pcmk: PacemakerState) -> list[Resource]:
    return [p for rsc in pcmk.resources for p in rsc.primitives()]


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    # corosync, guests and DRBD are read only to tell a node that is out of the cluster
    # but still runs guests (CRITICAL) from one whose crm_mon merely fails (UNKNOWN).
    verdicts: list[Verdict] = [v for v in source_verdicts(state)
                               if v.key.name == "pacemaker"]
    verdicts += judge_membership(state)
    pcmk = state.pacemaker
    if pcmk is None:
        return Assessment(verdicts)
    verdicts += judge_cluster(pcmk)
    verdicts += judge_nodes(pcmk)
    verdicts += judge_resources(pcmk)
    verdicts += judge_constraints(pcmk, state.taken_at)
    # What the placement breaks (a guest left against its DRBD colocation): as status does.
    verdicts += judge_colocations(pcmk)
    verdicts += judge_orders(pcmk, in_transition(pcmk))
    nodes = [n for n in pcmk.nodes if n.type != "ping"]
    online = [n for n in nodes if n.online and not n.unclean]
    prims = _primitives(pcmk)
    active = [p for p in prims if p.active]
    failed = [p for p in prims if p.failed]
    # crm_mon's own count: it leaves out the surplus clone instances it lists as Stopped
    # (a 2-instance clone on 3 nodes), which are not resources that should run.
    total = pcmk.cluster.resources_configured or len(prims)
    measures = [
        Measure("nodes_online", len(online), min=0, max=len(nodes)),
        Measure("resources_active", len(active), min=0, max=total),
        Measure("resources_failed", len(failed), min=0, max=total),
        Measure("failed_actions", len(pcmk.failed_actions), min=0,
                threshold="failed_actions", subject="failed actions", what=""),
    ]
    info = pcmk.cluster
    quorum = {True: "quorate", False: "no quorum", None: "quorum unknown"}[info.have_quorum]
    ok_text = (f"DC {info.dc or 'none'}, {quorum}, {len(online)} of {len(nodes)} nodes "
               f"online, {len(active)} of {total} resources active")
    return Assessment(verdicts, measures, ok_text)


PLUGIN = Plugin(
    name="cluster",
    description="Check the Pacemaker cluster as this node sees it: quorum, DC, nodes, "
                "resources, failed actions, fail counts and leftover move/ban constraints.",
    sources=frozenset({"pacemaker", "corosync", "guests", "drbd"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("failed_actions",),
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
