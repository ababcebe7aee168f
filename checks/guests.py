"""check_hadeck_guests: the guests of the local node against what should run here.

Guests come from every hypervisor tool the node has (virsh, xl, vzlist), as
:mod:`hadeck.sources.guests` reads them, and are joined to their Pacemaker resources.
Judged by :func:`hadeck.health.judge_guests`: a guest Pacemaker runs here that is not
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
from typing import Any, NoReturn

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
from hadeck.health import CRITICAL, GUEST_AGENTS, WARNING, Verdict, judge_guests
from hadeck.model import ClusterState, Guest, PacemakerState


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


def expected_verdicts(guests: Sequence[Guest], expected: Sequence[str], node: str,
                      unmanaged_ok: bool) -> list[Verdict]:
    """``--expect``: each listed guest must run here; others running are a WARNING.

    This is the one rule not in :mod:`hadeck.health`: only this plugin has a list of
    guests from its command line.
    """
    out = []
    for name in expected:
        found = [g for g in guests if g.name == name]
        if any(g.running for g in found):
            continue
        why = (f"expected running, but it is {found[0].state}" if found
               else "expected running, but no such guest here")
        out.append(Verdict(CRITICAL, "guests", f"{name}@{node}", why, node))
    if not unmanaged_ok:
        for g in guests:
            if g.running and g.name not in expected:
                out.append(Verdict(WARNING, "guests", f"{g.name}@{node}",
                                   "running, but not in --expect", node))
    return out


def _expected_here(pcmk: PacemakerState | None, node: str) -> int:
    if pcmk is None:
        return 0
    return sum(1 for rsc in pcmk.resources for prim in rsc.primitives()
               if prim.agent in GUEST_AGENTS and prim.active and node in prim.nodes)


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    node = state.local_node
    guests = [g for g in state.guests if g.node == node]
    expect = split_list(args.expect)
    unmanaged_ok = args.unmanaged_ok or (config.policy.unmanaged_guests_ok if config else False)
    verdicts: list[Verdict] = source_verdicts(state)
    read = frozenset(s.node for s in state.sources if s.source == "guests" and s.ok)
    if expect:
        # Only the state rules: --expect, not Pacemaker, says what belongs here.
        verdicts += judge_guests(guests, None, read, True)
        if node in read:  # where the guests could not be listed, nothing is missing
            verdicts += expected_verdicts(guests, expect, node, unmanaged_ok)
        expected = len(expect)
    else:
        verdicts += judge_guests(guests, state.pacemaker, read, unmanaged_ok)
        expected = _expected_here(state.pacemaker, node)
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
