"""Backups known fresh: real rdiff-backup repositories (fresh, stale, with errors, a run
that died, not a repository), read by the source, judged, checked by the plugin."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hadeck.health import CRITICAL, OK, UNKNOWN, WARNING, Policy, judge_backup
from hadeck.model import BackupRepo
from hadeck.runner import Command, CommandResult, LocalRunner, Runner
from hadeck.sources import backups
from hadeck.sources.backups import RepoSpec
from hadeck.sources.base import ParseError
from tests.checks.helpers import run_check
from tests.conftest import FIXTURES

RDIFF = FIXTURES / "rdiff-backup" / "2.2.2"
HOUR = 3600
NOW = time.time()


def _rdiff(*args: str, user: str | None = None) -> None:
    argv = ["rdiff-backup", *args]
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _sessions(source: Path, repo: Path, times: Sequence[float]) -> None:
    """Backups of ``source`` into ``repo`` at these times (``--current-time``: the
    session's time as rdiff-backup records it)."""
    for i, when in enumerate(times):
        (source / "data").write_text(f"version {i}\n")
        _rdiff("--current-time", str(int(when)), "backup", str(source), str(repo))


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory,
          request: pytest.FixtureRequest) -> dict[str, RepoSpec]:
    """One real repository of each kind, made once for the module."""
    if shutil.which("rdiff-backup") is None:
        pytest.skip("rdiff-backup not installed: apt-get install rdiff-backup "
                    "(scripts/setup --test)")
    root = tmp_path_factory.mktemp("lvb-backups")
    root.chmod(0o755)
    source = root / "src"
    source.mkdir()
    made: dict[str, RepoSpec] = {}
    # Each real run costs ~1 s here: five in all, the repositories made side by side.
    stale_source = root / "src2"
    stale_source.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        stale = pool.submit(_sessions, stale_source, root / "stale", [NOW - 72 * HOUR])
        _sessions(source, root / "fresh", [NOW - 49 * HOUR, NOW - 25 * HOUR, NOW - HOUR])
        stale.result()
    made["fresh"] = RepoSpec("fresh", str(root / "fresh"), guest="vm1")
    made["stale"] = RepoSpec("stale", str(root / "stale"), guest="vm2")
    # A run that died: rdiff-backup writes the next session's current_mirror marker
    # when it starts and removes the old one when it finishes; a run killed between
    # leaves both (tests/fixtures/rdiff-backup/2.2.2: a real kill, captured).
    shutil.copytree(root / "fresh", root / "died")
    data = root / "died" / "rdiff-backup-data"
    marker = next(data.glob("current_mirror.*"))
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - 60))
    (data / f"current_mirror.{later}.data").write_text(marker.read_text())
    made["died"] = RepoSpec("died", str(root / "died"))
    (root / "plain").mkdir()
    made["plain"] = RepoSpec("plain", str(root / "plain"))
    if os.geteuid() == 0 and shutil.which("runuser"):
        # Run as nobody over a directory nobody may read: a real error log (gzipped).
        # Outside pytest's own temporary directory, which only root may enter.
        public = Path(tempfile.mkdtemp(prefix="lvb-backups-"))
        request.addfinalizer(lambda: shutil.rmtree(public, ignore_errors=True))
        public.chmod(0o755)
        locked = public / "src"
        (locked / "secret").mkdir(parents=True)
        (locked / "ok").write_text("x\n")
        locked.chmod(0o755)
        (locked / "secret").chmod(0)
        target = public / "errors"
        target.mkdir()
        shutil.chown(target, "nobody")
        _rdiff("backup", str(locked), str(target), user="nobody")
        made["errors"] = RepoSpec("errors", str(target))
    return made


_READ: dict[RepoSpec, BackupRepo] = {}
_OUTPUTS: dict[str, str] = {}
"""What the real commands printed, by bundle name: the plugin tests replay them."""


class Recording(Runner):
    def __init__(self) -> None:
        self.inner = LocalRunner()
        self.node = self.inner.node
        self.local = True
        self.timeout = self.inner.timeout

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        result = self.inner.fetch(command, timeout)
        if result.ok:
            _OUTPUTS[command.name] = result.stdout
        return result


def _read(spec: RepoSpec, runner: Runner | None = None) -> BackupRepo:
    """The repository as the source reads it (locally: once per module, recorded;
    rdiff-backup takes ~1 s to start here)."""
    if runner is not None:
        return backups.read_repo(runner, spec)
    if spec not in _READ:
        _READ[spec] = backups.read_repo(Recording(), spec)
    return _READ[spec]


def _bundle(tmp_path: Path, repos: dict[str, RepoSpec], names: Sequence[str]) -> Path:
    """A bundle of what the real rdiff-backup and ls printed for these repositories,
    taken now (as ``hadeck snapshot`` records them)."""
    for name in names:
        _read(repos[name])
    node = LocalRunner().node
    root = tmp_path / "bundle"
    for name, text in _OUTPUTS.items():
        if name.split("/")[1] in names:
            (root / node / name).parent.mkdir(parents=True, exist_ok=True)
            (root / node / name).write_text(text)
    (root / "meta.json").write_text(json.dumps({"hostname": node, "taken_at": NOW}))
    return root


def test_a_fresh_repository(repos: dict[str, RepoSpec]) -> None:
    repo = _read(repos["fresh"])
    assert repo.error is None and not repo.interrupted and repo.error_log is None
    assert repo.increments == 2
    assert repo.last == int(NOW - HOUR)  # the session's time, as --current-time set it
    verdict = judge_backup(repo, NOW)
    assert verdict.health == OK
    assert verdict.reason == "last backup 60 min ago; 2 increments"
    assert verdict.subject == f"backup fresh@{LocalRunner().node}"


def test_a_stale_repository(repos: dict[str, RepoSpec]) -> None:
    repo = _read(repos["stale"])
    assert repo.increments == 0
    verdict = judge_backup(repo, NOW)
    assert verdict.health == CRITICAL  # 72 h: two nights missed
    assert verdict.reason == "last backup 3.0 days ago; 0 increments"
    assert judge_backup(repo, NOW, Policy(backup_warning_hours=48,
                                          backup_critical_hours=100)).health == WARNING
    assert verdict.since == repo.last


def test_a_run_that_died(repos: dict[str, RepoSpec]) -> None:
    repo = _read(repos["died"])
    assert repo.interrupted
    # rdiff-backup lists the unfinished mirror as -1 (and lists only the sessions that
    # changed the top directory): the last finished session is the last one whose
    # statistics rdiff-backup wrote, the one an hour ago.
    assert repo.last == int(NOW - HOUR)
    assert repo.increments == 2
    verdict = judge_backup(repo, NOW)
    assert verdict.health == WARNING
    assert "the last run did not finish" in verdict.reason


def test_a_run_with_errors(repos: dict[str, RepoSpec]) -> None:
    if "errors" not in repos:
        pytest.skip("needs root to run rdiff-backup as nobody")
    repo = _read(repos["errors"])
    assert repo.error_log is not None
    assert repo.error_log.startswith("ListError: '") and "[Errno 13] Permission denied" \
        in repo.error_log
    verdict = judge_backup(repo, time.time())
    assert verdict.health == WARNING
    assert "the last run logged errors: ListError" in verdict.reason


def test_not_a_repository_is_unknown_with_rdiff_backups_words(
        repos: dict[str, RepoSpec]) -> None:
    repo = _read(repos["plain"])
    assert repo.error is not None and "couldn't be identified" in repo.error
    verdict = judge_backup(repo, NOW)
    assert verdict.health == UNKNOWN and verdict.reason.startswith("cannot read ")
    gone = _read(RepoSpec("gone", "/nonexistent/lvb-repo"))
    assert judge_backup(gone, NOW).health == UNKNOWN


class OldRdiffBackup(Runner):
    """rdiff-backup 1.x / 2.0: the 2.1 command line (``list increments``) is not theirs
    (1.2.8: ``Fatal Error: Switches missing or wrong number of arguments``, exit 1);
    every other command is the real one."""

    def __init__(self, old: bool = True) -> None:
        self.inner = LocalRunner()
        self.node = self.inner.node
        self.local = True
        self.timeout = self.inner.timeout
        self.old = old
        self.asked: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        self.asked.append(tuple(argv))
        if self.old and "list" in argv:
            return CommandResult(tuple(argv), "", "Fatal Error: Switches missing or wrong "
                                 "number of arguments\nSee the rdiff-backup manual page for "
                                 "more information.\n", 1)
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout)


def test_an_old_rdiff_backup_is_asked_the_old_way(repos: dict[str, RepoSpec]) -> None:
    runner = OldRdiffBackup()
    repo = _read(repos["fresh"], runner)
    assert repo.error is None and repo.increments == 2
    assert ("rdiff-backup", "--parsable-output", "-l", repos["fresh"].path) in runner.asked
    # The real 2.2's repository error (in the new interface's words) is not retried.
    runner = OldRdiffBackup(old=False)
    assert _read(repos["plain"], runner).error is not None
    assert not any("-l" in argv for argv in runner.asked)


# --------------------------------------------------------------------------- captured


def test_captured_outputs_of_a_killed_run_and_an_error_log() -> None:
    runs = backups.parse_increments((RDIFF / "increments-interrupted.txt").read_text())
    assert [r.time for r in runs] == [-1.0, 1796214883.0]  # the dead mirror sorted first
    listing = backups.parse_data_dir((RDIFF / "data-dir-interrupted.txt").read_text())
    assert listing.markers == 2
    listing = backups.parse_data_dir((RDIFF / "data-dir-errors.txt").read_text())
    assert listing.error_log is not None and listing.error_log.endswith(".data.gz")
    assert listing.error_log_bytes == 124
    assert backups.error_log_command(RepoSpec("x", "/r"), listing.error_log).argv[0] == "zcat"
    log = backups.last_lines((RDIFF / "error_log.txt").read_text())
    assert log is not None and log.startswith("ListError:")


@pytest.mark.parametrize("text", ["", "garbage\n", "17 directory\nnot a line\n",
                                  "1" * 30 + " directory\n"])
def test_bad_lists_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        backups.parse_increments(text)


@pytest.mark.parametrize("text", ["0 error_log.2026-12-02T12:34:43Z.data\n", "etc\nusr\n",
                                  "10 current_mirror.x.data\n-1 error_log.y.data\n"])
def test_not_a_data_dir(text: str) -> None:
    with pytest.raises(ParseError):
        backups.parse_data_dir(text)


# --------------------------------------------------------------------------- plugin


def _config(tmp_path: Path, repos: dict[str, RepoSpec], names: Sequence[str]) -> Path:
    lines = [f'[backups.repos.{n}]\npath = "{repos[n].path}"\n'
             + (f'guest = "{repos[n].guest}"\n' if repos[n].guest else "") for n in names]
    path = tmp_path / "hadeck.toml"
    path.write_text("\n".join(lines))
    return path


def test_check_hadeck_backup(repos: dict[str, RepoSpec], tmp_path: Path) -> None:
    config = _config(tmp_path, repos, ["fresh", "stale"])
    out = run_check("backup", "--config", config, "-v")  # live: the real rdiff-backup
    assert out.returncode == 2, out.stdout
    assert out.text.startswith(f"backup stale@{LocalRunner().node}: ")
    assert "hours since the last backup (vm2) (outside range 0:50)" in out.text
    assert out.perf["fresh_increments"].value == 2
    assert 0.9 < out.perf["fresh_age"].value < 1.5
    assert (out.perf["fresh_age"].warn, out.perf["fresh_age"].crit) == ("26", "50")
    assert 71 < out.perf["stale_age"].value < 73
    bundle = _bundle(tmp_path, repos, ["fresh", "stale"])  # the same outputs, replayed
    out = run_check("backup", "--config", config, "--from", bundle, "-w", "80", "-c", "100")
    assert out.returncode == 0, out.stdout
    assert out.perf["stale_age"].value == 72
    out = run_check("backup", "--config", config, "--from", bundle, "--guest", "vm1")
    assert out.returncode == 0 and out.text == "1 repository, oldest last backup 1.0 h ago"
    assert set(out.perf) == {"fresh_age", "fresh_increments"}


def test_check_hadeck_backup_warns_on_a_dead_run_and_unknown_on_none(
        repos: dict[str, RepoSpec], tmp_path: Path) -> None:
    out = run_check("backup", "--config", _config(tmp_path, repos, ["died"]),
                    "--from", _bundle(tmp_path, repos, ["died"]))
    assert out.returncode == 1 and "did not finish" in out.text
    (tmp_path / "empty.toml").write_text("")
    out = run_check("backup", "--config", tmp_path / "empty.toml")
    assert out.returncode == 3
    assert "no rdiff-backup repository to check" in out.text
