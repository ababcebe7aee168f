"""LVM under DRBD, and the backups: the ``storage`` and ``backups`` areas.

Storage: a thin pool's data and metadata use against ``[lvm]``'s thresholds (a full pool
stops every write of every thin volume in it — a DRBD device on one then detaches, or
its Primary's guest freezes), a volume group missing a physical volume, and, where the
site asks for it, a volume group's free space. A thin pool whose use LVM cannot tell (not
active on this node) is no verdict on its use: not knowing is not 0 %.

Backups: the age of each rdiff-backup repository's last session against ``[backups]``'s
hours, the last run's errors, an interrupted run, and the schedule (a full every
``full_every_days`` with nightly increments inside it).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

from hadeck.health.policy import DEFAULT_POLICY, Policy
from hadeck.health.verdict import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Kind,
    Subject,
    Verdict,
    worst,
)
from hadeck.model import BackupRepo, Health, LvmReport, LvmVolume

HOUR = 3600.0
DAY = 24 * HOUR


def _level(value: float, warning: float, critical: float) -> Health:
    return CRITICAL if value >= critical else WARNING if value >= warning else OK


def lvm_subject(vg: str, lv: str | None, node: str) -> Subject:
    """``vg0/pool@jupiter1`` (a volume), ``vg0@jupiter1`` (a group)."""
    return Subject(Kind.LVM, f"{vg}/{lv}" if lv else vg, node)


def thin_use(lv: LvmVolume, policy: Policy = DEFAULT_POLICY) -> tuple[Health, str]:
    """A thin pool's verdict and its words: ``data 93 %, metadata 12 %``."""
    if lv.data_percent is None and lv.metadata_percent is None:
        return OK, "use not known (not active on this node)"
    levels: list[Health] = []
    words: list[str] = []
    if lv.data_percent is not None:
        levels.append(_level(lv.data_percent, policy.thin_data_warning_percent,
                             policy.thin_data_critical_percent))
        words.append(f"data {lv.data_percent:.1f} %")
    if lv.metadata_percent is not None:
        levels.append(_level(lv.metadata_percent, policy.thin_metadata_warning_percent,
                             policy.thin_metadata_critical_percent))
        words.append(f"metadata {lv.metadata_percent:.1f} %")
    health = worst(levels)
    return health, ", ".join(words)


def _on_pool(report: LvmReport, pool: LvmVolume) -> list[str]:
    return [d for lv in report.volumes if lv.pool == pool.name and lv.vg == pool.vg
            for d in lv.drbd]


def judge_lvm(reports: Iterable[LvmReport], policy: Policy = DEFAULT_POLICY) -> list[Verdict]:
    """Verdicts on every node's volume groups and thin pools."""
    out: list[Verdict] = []
    for report in reports:
        node = report.node
        for vg in report.groups:
            subject = lvm_subject(vg.name, None, node)
            free = f"{_size(vg.free_bytes)} free of {_size(vg.size_bytes)}"
            if vg.partial:
                out.append(Verdict(CRITICAL, "storage", subject,
                                   f"a physical volume is missing; {free}", node))
            elif policy.vg_free_warning_percent and \
                    vg.free_percent < policy.vg_free_warning_percent:
                out.append(Verdict(WARNING, "storage", subject,
                                   f"{free} ({vg.free_percent:.0f} %, below "
                                   f"{policy.vg_free_warning_percent:g} %)", node))
            else:
                out.append(Verdict(OK, "storage", subject, free, node))
        for lv in report.volumes:
            if not lv.is_thin_pool:
                continue
            health, words = thin_use(lv, policy)
            drbd = _on_pool(report, lv)
            if health != OK and drbd:
                words += f"; DRBD on it: {', '.join(drbd)}"
            out.append(Verdict(health, "storage", lvm_subject(lv.vg, lv.name, node),
                               f"thin pool {words}", node))
    return out


def backup_subject(repo: BackupRepo) -> Subject:
    """``backup web@backup1``."""
    return Subject(Kind.BACKUP, repo.name, repo.node)


def _age(seconds: float) -> str:
    if seconds < 2 * HOUR:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * DAY:
        return f"{seconds / HOUR:.0f} h"
    return f"{seconds / DAY:.1f} days"


def judge_backup(repo: BackupRepo, now: float | None = None,
                 policy: Policy = DEFAULT_POLICY) -> Verdict:
    """One repository's verdict: the worst of its age, its last run and its schedule."""
    now = time.time() if now is None else now
    subject = backup_subject(repo)
    if repo.error is not None or repo.last is None:
        return Verdict(UNKNOWN, "backups", subject,
                       f"cannot read {repo.path}: {repo.error or 'no finished session'}",
                       repo.node)
    age = max(now - repo.last, 0.0)
    found: list[tuple[Health, str]] = [
        (_level(age / HOUR, policy.backup_warning_hours, policy.backup_critical_hours),
         f"last backup {_age(age)} ago")]
    if repo.interrupted:
        found.append((WARNING, "the last run did not finish (the next run regresses it; "
                               "or run rdiff-backup regress)"))
    if repo.error_log:
        first = repo.error_log.splitlines()[0]
        found.append((WARNING, f"the last run logged errors: {first}"))
    found += _schedule(repo, now, policy)
    health = worst(h for h, _ in found)
    words = [w for h, w in found if h != OK] if health != OK else [found[0][1]]
    if health != OK and found[0][0] == OK:
        words.insert(0, found[0][1])
    return Verdict(health, "backups", subject,
                   "; ".join(words) + f"; {repo.increments} increments", repo.node,
                   since=repo.last if health != OK else None)


def _schedule(repo: BackupRepo, now: float, policy: Policy) -> list[tuple[Health, str]]:
    """The fortnightly full and the nightly increments inside its chain."""
    period = policy.backup_full_every_days * DAY
    if not period or not repo.runs:
        return []
    out: list[tuple[Health, str]] = []
    oldest = now - repo.runs[0].time
    if oldest > period + DAY:
        out.append((WARNING, f"no new full for {oldest / DAY:.0f} days (policy: every "
                             f"{policy.backup_full_every_days:g})"))
    window = [r.time for r in repo.runs if now - r.time <= period]
    gaps = [b - a for a, b in itertools.pairwise(window)]
    missed = sum(1 for g in gaps if g > policy.backup_warning_hours * HOUR)
    if missed:
        out.append((WARNING, f"{missed} night{'s' if missed > 1 else ''} missed in the "
                             f"last {policy.backup_full_every_days:g} days"))
    return out


def judge_backups(repos: Iterable[BackupRepo], now: float | None = None,
                  policy: Policy = DEFAULT_POLICY) -> list[Verdict]:
    return [judge_backup(repo, now, policy) for repo in repos]


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"  # pragma: no cover - the loop returns
