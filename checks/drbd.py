"""check_hadeck_drbd: every DRBD resource, volume and peer of the local node.

DRBD 9 (drbdsetup events2, status --json, drbdadm status) and 8.x (/proc/drbd,
drbdsetup-84 events2), as :mod:`hadeck.sources.drbd` reads them; judged by
:func:`hadeck.health.judge_drbd_on`. The worst state of all resources wins, never the first
one seen (the old check_drbd's trap).

Per-state overrides work like the old check_drbd's: ``--ok-states SyncTarget,SyncSource``
makes a resync OK; a word may be a connection state, a replication state, a disk state or
a role. They extend the ``[drbd.states]`` table of the hadeck configuration and win over
it.

``-w/-c`` are ranges on the out-of-sync KiB of each peer volume (default: none; out-of-sync
data towards an UpToDate peer is a WARNING anyway).

Perfdata per peer volume, labelled ``<resource>/<peer>/<volume>``: ``_oos`` out of sync
(KB), ``_sync`` resync progress (%, 100 when in sync), ``_rate`` resync speed (KiB/s, no
unit: the guidelines have none for rates).
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
    split_list,
)
from hadeck.health import Verdict, judge_drbd_on, select_drbd
from hadeck.model import ClusterState, DrbdResource, Health

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

_STATE_OPTIONS = (
    ("ok_states", Health.OK),
    ("warning_states", Health.WARNING),
    ("critical_states", Health.CRITICAL),
    ("unknown_states", Health.UNKNOWN),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "a peer volume's out-of-sync KiB")
    parser.add_argument("-i", "--include", metavar="NAME[,NAME]", action="append",
                        help="only these resources (shell patterns; a plain name that is "
                             "not up is CRITICAL)")
    parser.add_argument("-x", "--exclude", metavar="NAME[,NAME]", action="append",
                        help="leave these resources out (shell patterns)")
    for option, health in _STATE_OPTIONS:
        parser.add_argument("--" + option.replace("_", "-"), metavar="STATE[,STATE]",
                            action="append",
                            help=f"treat these DRBD state words as {health.name} "
                                 "(connection, replication, disk state or role)")


def overrides(args: argparse.Namespace, config: Any) -> dict[str, Health]:
    """The configuration's ``[drbd.states]``, then the command line's, which win."""
    found: dict[str, Health] = dict(config.policy.drbd_states) if config else {}
    for option, health in _STATE_OPTIONS:
        for word in split_list(getattr(args, option)):
            found[word] = health
    return found


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    include, exclude = split_list(args.include), split_list(args.exclude)
    verdicts: list[Verdict] = source_verdicts(state)
    verdicts += judge_drbd_on(
        state.local_node, state.drbd, include=include, exclude=exclude,
        overrides=overrides(args, config),
        read=any(s.source == "drbd" and s.ok for s in state.sources),
        detail=next((s.detail for s in state.sources if s.source == "drbd" and s.detail),
                    None))
    resources = select_drbd(state.drbd, include, exclude)
    return Assessment(verdicts, measures(resources), ok_text(resources))


def measures(resources: Sequence[DrbdResource]) -> list[Measure]:
    out: list[Measure] = []
    for res in resources:
        for conn in res.connections:
            for pv in conn.peer_volumes:
                base = f"{res.name}/{conn.peer}/{pv.volume}"
                where = f"{res.name}@{res.node}" if res.node else res.name
                subject = f"{where} → {conn.peer}" + (
                    f" volume {pv.volume}" if len(conn.peer_volumes) > 1 else "")
                if pv.out_of_sync_kib is not None:
                    out.append(Measure(perf_label(base, "oos"), pv.out_of_sync_kib, "KB",
                                       min=0, threshold="drbd_oos", subject=subject,
                                       what="out of sync"))
                sync = _sync_percent(pv.replication, pv.peer_disk, pv.done_percent)
                if sync is not None:
                    out.append(Measure(perf_label(base, "sync"), sync, "%", 0, 100))
                out.append(Measure(perf_label(base, "rate"), round(pv.rate_kib_s or 0, 1),
                                   min=0))
    return out


def _sync_percent(replication: str, peer_disk: str, done: float | None) -> float | None:
    if done is not None:
        return round(done, 2)
    if replication == "Established" and peer_disk == "UpToDate":
        return 100
    return None  # not connected: nobody knows


def ok_text(resources: Sequence[DrbdResource]) -> str:
    if not resources:
        return "no DRBD resources"
    parts = []
    for res in resources[:3]:
        peers = ", ".join(f"{c.peer} {c.state}" for c in res.connections) or "no peers"
        disks = "/".join(sorted({v.disk for v in res.volumes})) or "no volumes"
        parts.append(f"{res.name} {res.role} {disks}, {peers}")
    if len(resources) > 3:
        parts.append(f"and {plural(len(resources) - 3, 'more resource')}")
    return " / ".join(parts)


PLUGIN = Plugin(
    name="drbd",
    description="Check every DRBD resource, volume and peer connection of this node "
                "(DRBD 9 and 8.x).",
    sources=frozenset({"drbd"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("drbd_oos",),
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
