"""check_hadeck_node: the local node's load, memory, disks and MD RAID arrays.

MD arrays (/proc/mdstat) are judged by :func:`hadeck.health.judge_hosts`: an inactive
array or a degraded one not rebuilding is CRITICAL; a rebuild, resync, reshape or a
delayed resync a WARNING.

Load, memory and disk use are judged on the command line's ranges, one pair per metric
(``--load-warning``/``--load-critical`` …), as the guidelines want thresholds; ``-w`` and
``-c`` are the load's pair, as in ``check_load`` (per CPU here, 5-minute average); the
defaults are hadeck's own (:class:`hadeck.health.Policy`), so with no options this check
says what ``hadeck status`` says, except exactly at a limit (a range alerts above it,
hadeck status from it on):

======================  =====================================  ========  ========
metric                  value                                  warning   critical
======================  =====================================  ========  ========
load                    5-minute load average per CPU          4         none
memory                  % of memory in use (not available)     95        none
disk                    % used, each local filesystem          90        95
======================  =====================================  ========  ========

Perfdata: ``load1``, ``load5``, ``load15``, ``load_per_cpu``, ``cpu`` (%), ``memory``
(%), ``swap`` (%), one ``<mountpoint>`` (%) per filesystem, ``md_arrays`` and
``md_degraded``.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Sequence

import nagiosplugin

from hadeck.checks.common import (
    Assessment,
    Measure,
    Plugin,
    ThresholdContext,
    parse_range,
    perf_label,
    plural,
    run,
    source_verdicts,
    split_list,
)
from hadeck.health import Policy, Verdict, judge_hosts
from hadeck.model import ClusterState, HostMetrics

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

_INF = float("inf")
# Health judges the arrays only; load, memory and disks go by the command line's ranges.
_ARRAYS_ONLY = Policy(disk_warning_percent=_INF, disk_critical_percent=_INF,
                      memory_warning_percent=_INF, load_warning_per_cpu=_INF)

_DEFAULTS = Policy()
METRICS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("load", "the 5-minute load average per CPU", f"{_DEFAULTS.load_warning_per_cpu:g}", None),
    ("memory", "the % of memory in use", f"{_DEFAULTS.memory_warning_percent:g}", None),
    ("disk", "a filesystem's % used", f"{_DEFAULTS.disk_warning_percent:g}",
     f"{_DEFAULTS.disk_critical_percent:g}"),
)


SHORT = "load"
"""The metric ``-w/-c`` set, as ``check_load``'s do: the 5-minute load average per CPU."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for name, what, warning, critical in METRICS:
        for level, default in (("warning", warning), ("critical", critical)):
            # -w/-c are the Monitoring Plugins' names for the main metric's pair: short
            # names of --load-*, so a CheckCommand has one argument per setting.
            options = [f"--{name}-{level}"]
            if name == SHORT:
                options = [f"-{level[0]}", *options]
            parser.add_argument(
                *options, dest=f"{name}_{level}", metavar="RANGE", type=parse_range,
                default=parse_range(default) if default else None,
                help=f"{level.upper()} when {what.replace('%', '%%')} is outside RANGE "
                     f"(default {default or 'none'})")
    parser.add_argument("-m", "--mount", metavar="PATH[,PATH]", action="append",
                        help="only these filesystems (mount points, shell patterns)")
    parser.add_argument("-X", "--exclude-mount", metavar="PATH[,PATH]", action="append",
                        help="leave these filesystems out (mount points, shell patterns)")


def contexts(args: argparse.Namespace) -> list[nagiosplugin.Context]:
    return [ThresholdContext(name, getattr(args, f"{name}_warning"),
                             getattr(args, f"{name}_critical"))
            for name, _, _, _ in METRICS]


def _pct(part: float, whole: float | None) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def measures(host: HostMetrics, mounts: Sequence[str],
             excluded: Sequence[str]) -> list[Measure]:
    node = host.node
    out: list[Measure] = []
    if host.load is not None:
        for label, value in zip(("load1", "load5", "load15"), host.load, strict=True):
            out.append(Measure(label, round(value, 2), min=0))
        if host.cpu_count:
            out.append(Measure("load_per_cpu", round(host.load[1] / host.cpu_count, 2),
                               min=0, threshold="load", subject=f"load@{node}",
                               what=f"per CPU over 5 min ({host.cpu_count} CPUs)"))
    if host.cpu_percent is not None:
        out.append(Measure("cpu", round(host.cpu_percent, 1), "%", 0, 100))
    memory = host.memory_used_percent
    if memory is not None:
        out.append(Measure("memory", round(memory, 1), "%", 0, 100, threshold="memory",
                           subject=f"memory@{node}", what="in use"))
    if host.swap_total:
        out.append(Measure("swap", _pct(host.swap_used or 0, host.swap_total) or 0, "%", 0,
                           100))
    for disk in host.disks:
        if mounts and not any(fnmatch.fnmatchcase(disk.mountpoint, m) for m in mounts):
            continue
        if any(fnmatch.fnmatchcase(disk.mountpoint, m) for m in excluded):
            continue
        out.append(Measure(perf_label(disk.mountpoint), round(disk.percent, 1), "%", 0, 100,
                           threshold="disk", subject=f"{disk.mountpoint}@{node}",
                           what="used"))
    arrays = host.md_arrays
    out.append(Measure("md_arrays", len(arrays), min=0))
    out.append(Measure("md_degraded", sum(1 for a in arrays if a.degraded or not a.active),
                       min=0, max=len(arrays)))
    return out


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    node = state.local_node
    verdicts: list[Verdict] = source_verdicts(state)
    host = next((h for h in state.hosts if h.node == node), None)
    if host is None:
        return Assessment(verdicts)
    verdicts += judge_hosts([host], _ARRAYS_ONLY)
    found = measures(host, split_list(args.mount), split_list(args.exclude_mount))
    parts = []
    if host.load is not None:
        parts.append(f"load {host.load[0]:.2f} {host.load[1]:.2f} {host.load[2]:.2f}")
    if host.memory_used_percent is not None:
        parts.append(f"memory {host.memory_used_percent:.0f} %")
    disks = [m for m in found if m.threshold == "disk"]
    if disks:
        fullest = max(disks, key=lambda m: m.value)
        parts.append(f"{plural(len(disks), 'filesystem')}, fullest {fullest.subject.split('@')[0]} "
                     f"{fullest.value:g} %")
    if host.md_arrays:
        parts.append(f"{plural(len(host.md_arrays), 'MD array')} clean")
    return Assessment(verdicts, found, ", ".join(parts))


PLUGIN = Plugin(
    name="node",
    description="Check this node's load, memory, disk use and MD RAID arrays.",
    sources=frozenset({"host"}),
    add_arguments=add_arguments,
    assess=assess,
    contexts=contexts,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
