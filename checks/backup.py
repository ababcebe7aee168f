"""check_hadeck_backup: the rdiff-backup repositories this node holds, known fresh.

The repositories are the configuration's (``[backups.repos.NAME]``, those whose ``node``
is this one, or that name no node); ``--repo``/``--guest`` narrow them. Each one's age is
judged on ``-w/-c`` in hours (default ``[backups]``'s ``warning_hours`` and
``critical_hours``: 26 and 50, a nightly backup with slack, then two nights missed);
the rest by hadeck's rules, as ``hadeck status`` judges them: the last run's error log
(WARNING), a run that died (WARNING), the schedule (a full every ``full_every_days``,
no night missed inside it: WARNING), a repository that cannot be read (UNKNOWN).

Perfdata per repository: ``<name>_age`` (hours since its last session, the ``-w/-c``
metric) and ``<name>_increments``.
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
    split_list,
)
from hadeck.health import Policy, Verdict, judge_backups
from hadeck.model import ClusterState
from hadeck.record import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

_INF = float("inf")
_HOUR = 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-w", "--warning", dest="age_warning", metavar="RANGE",
                        type=parse_range,
                        help="WARNING when a repository's age in hours is outside RANGE "
                             "(default: backups.warning_hours, 26)")
    parser.add_argument("-c", "--critical", dest="age_critical", metavar="RANGE",
                        type=parse_range,
                        help="CRITICAL when a repository's age in hours is outside RANGE "
                             "(default: backups.critical_hours, 50)")
    parser.add_argument("-r", "--repo", metavar="NAME[,NAME]", action="append",
                        help="only these repositories (their names in the configuration)")
    parser.add_argument("-g", "--guest", metavar="NAME[,NAME]", action="append",
                        help="only the repositories of these guests")


def contexts(args: argparse.Namespace) -> list[nagiosplugin.Context]:
    return [LateThresholdContext("age", args)]


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    policy = config.policy if isinstance(getattr(config, "policy", None), Policy) \
        else Policy()
    if args.age_warning is None:
        args.age_warning = parse_range(f"{policy.backup_warning_hours:g}")
    if args.age_critical is None:
        args.age_critical = parse_range(f"{policy.backup_critical_hours:g}")
    names, guests = split_list(args.repo), split_list(args.guest)
    repos = [r for r in state.backups if r.node == state.local_node
             and (not names or r.name in names) and (not guests or r.guest in guests)]
    verdicts: list[Verdict] = source_verdicts(state)
    if not repos:
        elsewhere = sorted({r.node for r in state.backups} | {
            r.node for r in getattr(config, "backup_repos", ()) if r.node} - {state.local_node})
        where = (f": the configured ones are held by {', '.join(elsewhere)} (run the check "
                 "there, or --node)") if elsewhere else \
            ": configure [backups.repos.NAME] (path, node, guest)"
        raise nagiosplugin.CheckError(
            f"no rdiff-backup repository to check on {state.local_node}{where}")
    # The age goes by -w/-c; errors, a dead run and the schedule by hadeck's rules.
    rules = replace(policy, backup_warning_hours=_INF, backup_critical_hours=_INF)
    judged = judge_backups(repos, state.taken_at, rules)
    verdicts += judged
    measures: list[Measure] = []
    for repo in repos:
        if repo.last is None:
            continue
        age = max(state.taken_at - repo.last, 0.0) / _HOUR
        what = f"hours since the last backup ({repo.guest})" if repo.guest \
            else "hours since the last backup"
        measures.append(Measure(f"{repo.name}_age", round(age, 2), min=0, threshold="age",
                                subject=f"backup {repo.name}@{repo.node}", what=what))
        measures.append(Measure(f"{repo.name}_increments", repo.increments, min=0))
    newest = [m for m in measures if m.threshold == "age"]
    text = plural(len(repos), "repository", "repositories")
    if newest:
        text += f", oldest last backup {max(m.value for m in newest):.1f} h ago"
    return Assessment(verdicts, measures, text)


PLUGIN = Plugin(
    name="backup",
    description="Check that this node's rdiff-backup repositories are fresh.",
    sources=frozenset({"backups"}),
    add_arguments=add_arguments,
    assess=assess,
    contexts=contexts,
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
