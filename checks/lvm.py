"""check_hadeck_lvm: the local node's volume groups and thin pools under DRBD.

A plugin of its own rather than more options of check_hadeck_node: that check's ``-w/-c``
are the load's (as ``check_load``'s are), and a thin pool's fill is the one number here
that wants the short pair. It reads only LVM (``vgs``/``lvs``) and DRBD (which device sits
on which volume), nothing of the host.

======================  =======================================  ========  ========
metric                  value                                    warning   critical
======================  =======================================  ========  ========
data (``-w/-c``)        a thin pool's data use, %                80        90
metadata                a thin pool's metadata use, %            80        90
======================  =======================================  ========  ========

The defaults are ``[lvm]``'s of the configuration (:class:`hadeck.health.Policy`), so with
no options this check says what ``hadeck status`` says (except exactly at a limit: a range
alerts above it). A volume group missing a physical volume is CRITICAL, and one below
``lvm.vg_free_warning`` percent free WARNING (hadeck's rules). A pool not active on this
node (LVM cannot tell its use) is judged by nothing and has no perfdata.

Perfdata: ``<vg>/<pool>_data`` and ``<vg>/<pool>_metadata`` (%) per thin pool,
``<vg>_free`` (B, with the size as max) per volume group.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import nagiosplugin

from hadeck.checks.common import (
    Assessment,
    LateThresholdContext,
    Measure,
    Plugin,
    parse_range,
    plural,
    run,
    source_verdicts,
)
from hadeck.health import Policy, Verdict, judge_lvm
from hadeck.model import ClusterState
from hadeck.record import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

_INF = float("inf")
_DEFAULTS = Policy()


def _policy(config: Any) -> Policy:
    policy = config.policy if isinstance(getattr(config, "policy", None), Policy) \
        else _DEFAULTS
    return policy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-w", "--warning", dest="data_warning",
                        metavar="RANGE", type=parse_range,
                        help="WARNING when a thin pool's data use (%%) is outside RANGE "
                             "(default: lvm.thin_data_warning, 80)")
    parser.add_argument("-c", "--critical", dest="data_critical",
                        metavar="RANGE", type=parse_range,
                        help="CRITICAL when a thin pool's data use (%%) is outside RANGE "
                             "(default: lvm.thin_data_critical, 90)")
    parser.add_argument("--metadata-warning", metavar="RANGE", type=parse_range,
                        help="WARNING when a thin pool's metadata use (%%) is outside "
                             "RANGE (default: lvm.thin_metadata_warning, 80)")
    parser.add_argument("--metadata-critical", metavar="RANGE", type=parse_range,
                        help="CRITICAL when a thin pool's metadata use (%%) is outside "
                             "RANGE (default: lvm.thin_metadata_critical, 90)")


def _range(given: nagiosplugin.Range | None, default: float) -> nagiosplugin.Range:
    return given if given is not None else parse_range(f"{default:g}")


def contexts(args: argparse.Namespace) -> list[nagiosplugin.Context]:
    # The configuration's defaults are only known after the read: assess() fills them in.
    return [LateThresholdContext("data", args), LateThresholdContext("metadata", args)]


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    policy = _policy(config)
    # Defaults from [lvm] where the command line set no range (the contexts read these).
    args.data_warning = _range(args.data_warning, policy.thin_data_warning_percent)
    args.data_critical = _range(args.data_critical, policy.thin_data_critical_percent)
    args.metadata_warning = _range(args.metadata_warning, policy.thin_metadata_warning_percent)
    args.metadata_critical = _range(args.metadata_critical,
                                    policy.thin_metadata_critical_percent)
    verdicts: list[Verdict] = source_verdicts(state)
    reports = [r for r in state.lvm if r.node == state.local_node]
    # The pools' use goes by the ranges; the groups by hadeck's rules.
    groups_only = replace(policy, thin_data_warning_percent=_INF,
                                      thin_data_critical_percent=_INF,
                                      thin_metadata_warning_percent=_INF,
                                      thin_metadata_critical_percent=_INF)
    verdicts += [v for v in judge_lvm(reports, groups_only) if v.key.name.count("/") == 0]
    measures: list[Measure] = []
    pools = 0
    for report in reports:
        for vg in report.groups:
            measures.append(Measure(f"{vg.name}_free", vg.free_bytes, "B", 0, vg.size_bytes))
        for lv in report.volumes:
            if not lv.is_thin_pool:
                continue
            pools += 1
            name = f"{lv.vg}/{lv.name}"
            on = [d for v in report.volumes if v.pool == lv.name and v.vg == lv.vg
                  for d in v.drbd]
            what = " (DRBD " + ", ".join(on) + ")" if on else ""
            for kind, value in (("data", lv.data_percent), ("metadata", lv.metadata_percent)):
                if value is not None:
                    measures.append(Measure(f"{name}_{kind}", round(value, 2), "%", 0, 100,
                                            threshold=kind, subject=f"{name}@{report.node}",
                                            what=f"{kind} used{what}"))
    groups = sum(len(r.groups) for r in reports)
    text = f"{plural(groups, 'volume group')}, {plural(pools, 'thin pool')}"
    fullest = max((m for m in measures if m.threshold == "data"), key=lambda m: m.value,
                  default=None)
    if fullest is not None:
        text += f", fullest {fullest.subject.split('@')[0]} {fullest.value:g} %"
    return Assessment(verdicts, measures, text)


PLUGIN = Plugin(
    name="lvm",
    description="Check this node's LVM volume groups and thin pools (under DRBD).",
    sources=frozenset({"lvm", "drbd"}),
    add_arguments=add_arguments,
    assess=assess,
    contexts=contexts,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
