"""check_hadeck_guests: the guests of the local node against what should run here.

Guests come from every hypervisor tool the node has (virsh, xl, vzlist), as
:mod:`hadeck.sources.guests` reads them, and are joined to their Pacemaker resources.
Judged by :func:`hadeck.health.judge_guests_on`: a guest Pacemaker runs here that is not
running is CRITICAL; a crashed guest CRITICAL; a paused (or suspended, shutting down)
guest a WARNING; a guest running outside cluster control (no resource) a WARNING unless
``--unmanaged-ok``.

``--expect vm1,vm2`` replaces Pacemaker as the list of guests that must run here (for
nodes outside a cluster): Pacemaker is not read; a listed guest not running is CRITICAL,
a running guest not listed a WARNING (unless ``--unmanaged-ok``).

``-w/-c`` are ranges on the number of running guests (default: none).

Perfdata (this node): ``running``, ``paused``, ``stopped`` (shut off, saved),
``crashed``, ``other`` states, ``expected`` (what Pacemaker or --expect wants running
here).
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
    plural,
    run,
    source_verdicts,
    split_list,
)
from hadeck.health import Verdict, guest_lists, guests_expected_on, judge_guests_on
from hadeck.model import ClusterState

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "the number of running guests")
    parser.add_argument("-e", "--expect", metavar="GUEST[,GUEST]", action="append",
                        help="guests that must run on this node, instead of asking "
                             "Pacemaker")
    parser.add_argument("--unmanaged-ok", action="store_true",
                        help="guests running outside cluster control (or not in "
                             "--expect) are fine")


def select_sources(args: argparse.Namespace, sources: frozenset[str]) -> frozenset[str]:
    return sources - {"pacemaker"} if args.expect else sources


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    node = state.local_node
    guests = [g for g in state.guests if g.node == node]
    expect = split_list(args.expect)
    unmanaged_ok = args.unmanaged_ok or (config.policy.unmanaged_guests_ok if config else False)
    verdicts: list[Verdict] = source_verdicts(state)
    read, tools = guest_lists(state.sources)
    verdicts += judge_guests_on(node, guests, state.pacemaker, read, expect=expect,
                                unmanaged_ok=unmanaged_ok, tools=tools)
    expected = len(expect) if expect else guests_expected_on(state.pacemaker, node)
    counts = {"running": 0, "paused": 0, "stopped": 0, "crashed": 0, "other": 0}
    for g in guests:
        if g.running:
            counts["running"] += 1
        elif g.state == "paused":
            counts["paused"] += 1
        elif g.state in ("shut off", "stopped", "saved"):
            counts["stopped"] += 1
        elif g.state == "crashed":
            counts["crashed"] += 1
        else:
            counts["other"] += 1
    measures = [Measure(name, count, min=0, max=len(guests)) for name, count in counts.items()]
    measures[0] = Measure("running", counts["running"], min=0, max=len(guests),
                          threshold="guests_running", subject=f"guests@{node}",
                          what="running")
    measures.append(Measure("expected", expected, min=0))
    ok_text = (f"{plural(counts['running'], 'guest')} running on {node}, "
               f"{expected} expected by {'--expect' if expect else 'Pacemaker'}"
               + (f", {counts['stopped']} stopped" if counts["stopped"] else ""))
    return Assessment(verdicts, measures, ok_text)


PLUGIN = Plugin(
    name="guests",
    description="Check this node's guests (libvirt, Xen, OpenVZ) against what Pacemaker "
                "(or --expect) wants running here.",
    sources=frozenset({"guests", "pacemaker"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("guests_running",),
    select_sources=select_sources,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
