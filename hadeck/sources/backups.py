"""Backups: rdiff-backup repositories, as the node that holds each one sees it.

For each configured repository (``[backups.repos.NAME]``, :class:`RepoSpec`) three reads:

- the sessions, ``rdiff-backup --parsable-output list increments PATH`` (rdiff-backup
  2.1 and later, Debian 12's 2.2.2 among them); where that command line is not
  understood — rdiff-backup 1.x and 2.0 answer it with a usage error, exit 1 or 2, and
  none of the new interface's ``Action list failed`` words — the old form,
  ``rdiff-backup --parsable-output -l PATH``, which 2.2 still accepts (with a
  deprecation warning on stderr). Both print one ``EPOCH KIND`` line per session, oldest
  first, the last being the current mirror; while a run is unfinished (or died) the
  mirror's time is printed as ``-1`` — and sorted first (captured from 2.2.2 after a
  killed run);
- the markers and error logs in ``PATH/rdiff-backup-data`` with their sizes (``find …
  -printf '%s %f\n'``: argv only, no shell, no glob): two ``current_mirror.*`` markers
  mean the last run died and the repository waits for a regress; the newest
  ``error_log.<time>.data`` is the last run's (2.2 gzips it when it has errors);
- that error log, only when it is not empty (a clean run leaves an empty one): so a
  peer's read of a clean repository stays within its one ssh round trip.

The commands have fixed names per repository (``backups/NAME/…``), so a bundle records
and replays them like any other source.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence

from hadeck.model import BackupRepo, BackupRun
from hadeck.record import record
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.backup_spec import RepoSpec as RepoSpec
from hadeck.sources.backup_spec import valid_name as valid_name
from hadeck.sources.base import Clock, ParseError, Reading, internal_error, parsed, whole

SOURCE = "backups"
ERROR_LINES = 5
"""Lines of the last run's error log kept: the first problem is what an operator needs,
the rest is in the file."""
_NEW_CLI = "Action list failed"
"""What rdiff-backup 2.1+ prints when it understood ``list increments`` but the
repository is at fault: then the old form would fail the same way and is not tried."""
_LINE = re.compile(r"^(-1|[0-9]{1,20}) (\S+)$")
_ERROR_LOG = re.compile(r"^error_log\.(\S+)\.data(\.gz)?$")



def list_command(spec: RepoSpec) -> Command:
    return Command(f"backups/{spec.name}/increments.txt",
                   ("rdiff-backup", "--parsable-output", "list", "increments", spec.path))


def list_command_old(spec: RepoSpec) -> Command:
    return Command(f"backups/{spec.name}/increments-l.txt",
                   ("rdiff-backup", "--parsable-output", "-l", spec.path))


def data_dir(spec: RepoSpec) -> str:
    return spec.path.rstrip("/") + "/rdiff-backup-data"


def ls_command(spec: RepoSpec) -> Command:
    """The markers, error logs and session statistics of the repository, each as ``SIZE
    NAME``: one ``session_statistics`` file per backup session, which ``list increments``
    does not count (it lists the top directory's increments, and a session that changed
    only files below it makes none: measured with rdiff-backup 2.2.2)."""
    return Command(f"backups/{spec.name}/rdiff-backup-data.txt",
                   ("find", data_dir(spec), "-maxdepth", "1", "(", "-name", "current_mirror.*",
                    "-o", "-name", "error_log.*", "-o", "-name", "session_statistics.*", ")",
                    "-printf", "%s %f\\n"))


def error_log_command(spec: RepoSpec, file: str) -> Command:
    path = f"{data_dir(spec)}/{file}"
    if file.endswith(".gz"):
        return Command(f"backups/{spec.name}/error_log.txt", ("zcat", path))
    return Command(f"backups/{spec.name}/error_log.txt", path=path)


def commands(specs: Sequence[RepoSpec]) -> tuple[Command, ...]:
    """What a read of these repositories fetches first (a peer's batch)."""
    return tuple(c for s in specs for c in (list_command(s), ls_command(s)))


# --------------------------------------------------------------------------- parsers


def parse_increments(text: str) -> tuple[BackupRun, ...]:
    """Parse ``rdiff-backup --parsable-output list increments`` (or ``-l``).

    A time of ``-1`` (the mirror of a run unfinished or dead, which rdiff-backup sorts
    first) is kept as ``-1``; the caller says so and sorts the rest.

    Raises:
        ParseError: a line that is not ``EPOCH KIND``, or no line at all.
    """
    runs: list[BackupRun] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _LINE.match(line.strip())
        if match is None:
            raise ParseError(f"not an 'EPOCH KIND' line: {line[:60]!r}")
        stamp = match.group(1)
        time = -1.0 if stamp == "-1" else float(whole(stamp, "increment time"))
        runs.append(BackupRun(time=time, kind=match.group(2)))
    if not runs:
        raise ParseError("no sessions listed (not a repository?)")
    return tuple(runs)


@record(frozen=True)
class DataDir:
    """What the listing of ``rdiff-backup-data`` says."""

    markers: int
    """``current_mirror.*`` files: 1 normally, 2 after a run died."""
    error_log: str | None
    """The newest ``error_log`` file's name, if any."""
    error_log_bytes: int = 0
    """Its size: 0 after a run without errors."""
    sessions: tuple[float, ...] = ()
    """The time of each backup session (``session_statistics.TIME.data``), oldest first."""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("markers", "error_log", "error_log_bytes", "sessions")

    def __init__(self, markers: int, error_log: str | None, error_log_bytes: int = 0,
                 sessions: tuple[float, ...] = ()) -> None:
        object.__setattr__(self, "markers", markers)
        object.__setattr__(self, "error_log", error_log)
        object.__setattr__(self, "error_log_bytes", error_log_bytes)
        object.__setattr__(self, "sessions", sessions)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(markers={self.markers!r}, "
                f"error_log={self.error_log!r}, error_log_bytes={self.error_log_bytes!r}, "
                f"sessions={self.sessions!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.markers, self.error_log, self.error_log_bytes, self.sessions)
                == (other.markers, other.error_log, other.error_log_bytes, other.sessions))

    def __hash__(self) -> int:
        return hash((self.markers, self.error_log, self.error_log_bytes, self.sessions))
    # End of generated code.


_SIZED = re.compile(r"^([0-9]{1,20}) (\S+)$")
_SESSION = re.compile(r"^session_statistics\.(\d{4})-(\d\d)-(\d\d)T(\d\d)[:-](\d\d)[:-](\d\d)"
                      r"(Z|[+-]\d\d[:-]?\d\d)\.data(\.gz)?$")


def _session_time(name: str) -> float | None:
    """A session's Unix time from its statistics file's name (rdiff-backup writes the
    local time with its offset, or ``Z``; ``-`` for ``:`` where the file system needs)."""
    match = _SESSION.match(name)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    zone = match.group(7)
    offset = 0
    if zone != "Z":
        digits = zone[1:].replace(":", "").replace("-", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * 60 * (1 if zone[0] == "+" else -1)
    try:
        stamp = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    return float(stamp - offset)


def parse_data_dir(text: str) -> DataDir:
    """Parse :func:`ls_command`'s output: ``SIZE NAME`` per marker and error log, in
    directory order.

    Raises:
        ParseError: a line not ``SIZE NAME``, or no ``current_mirror`` marker (not an
            rdiff-backup repository).
    """
    sizes: dict[str, int] = {}
    for line in text.splitlines():
        if not line:
            continue
        match = _SIZED.match(line)
        if match is None:
            raise ParseError(f"not a 'SIZE NAME' line: {line[:60]!r}")
        sizes[match.group(2)] = whole(match.group(1), "file size")
    markers = sum(1 for n in sizes if n.startswith("current_mirror."))
    if not markers:
        raise ParseError("no current_mirror marker: not an rdiff-backup repository")
    logs = sorted((m.group(1), n) for n in sizes if (m := _ERROR_LOG.match(n)))
    newest = logs[-1][1] if logs else None
    sessions = sorted(t for n in sizes if (t := _session_time(n)) is not None)
    return DataDir(markers=markers, error_log=newest,
                   error_log_bytes=sizes[newest] if newest else 0, sessions=tuple(sessions))


def last_lines(text: str, count: int = ERROR_LINES) -> str | None:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-count:]) if lines else None


# --------------------------------------------------------------------------- read


def _increments(runner: Runner, spec: RepoSpec) -> CommandResult:
    result = runner.fetch(list_command(spec))
    if result.error is None and result.returncode not in (0, None) \
            and _NEW_CLI not in result.stderr:
        return runner.fetch(list_command_old(spec))  # rdiff-backup 1.x / 2.0
    return result


def read_repo(runner: Runner, spec: RepoSpec) -> BackupRepo:
    """One repository as its node sees it. Never raises: a failure is its ``error``."""
    repo = BackupRepo(name=spec.name, node=runner.node, path=spec.path, guest=spec.guest)
    try:
        result = _increments(runner, spec)
        if result.missing:
            return _failed(repo, "rdiff-backup not installed")
        runs, error = parsed(result, parse_increments, name="rdiff-backup")
        if runs is None:
            return _failed(repo, error or "no answer")
        listing, ls_error = parsed(runner.fetch(ls_command(spec)), parse_data_dir,
                                   name="rdiff-backup-data")
        interrupted = any(r.time < 0 for r in runs) or \
            (listing is not None and listing.markers > 1)
        log = None
        if listing is not None and listing.error_log is not None \
                and listing.error_log_bytes > 0:
            log, _ = parsed(runner.fetch(error_log_command(spec, listing.error_log)),
                            last_lines, name="error_log")
        # list increments names the sessions that changed the top directory and the
        # mirror; the statistics files name every session: the union is every run.
        times = {r.time: r for r in runs if r.time >= 0}
        for when in (listing.sessions if listing is not None else ()):
            if all(abs(when - t) >= 1 for t in times):
                times[when] = BackupRun(time=when)
        finished = tuple(sorted(times.values(), key=lambda r: r.time))
        return BackupRepo(name=spec.name, node=runner.node, path=spec.path, guest=spec.guest,
                          runs=finished, error_log=log, interrupted=interrupted,
                          error=None if listing is not None else ls_error)
    except Exception as exc:  # the boundary: a reason, never a traceback
        return _failed(repo, internal_error(exc))


def _failed(repo: BackupRepo, why: str) -> BackupRepo:
    return BackupRepo(name=repo.name, node=repo.node, path=repo.path, guest=repo.guest,
                      error=why)


def read(runner: Runner, specs: Sequence[RepoSpec]) -> Reading[tuple[BackupRepo, ...]]:
    """Every repository held by the runner's node. Never raises.

    A repository that cannot be read is returned with its ``error`` (the health rules
    judge it UNKNOWN); the source itself fails only when the node cannot be reached.
    """
    clock = Clock(SOURCE, runner.node)
    repos = tuple(read_repo(runner, spec) for spec in specs)
    return Reading(repos, clock.status(detail=f"rdiff-backup: {len(repos)} repositories"))
