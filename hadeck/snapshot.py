"""Snapshot bundles: every source's raw output, recorded, and replayed.

``hadeck snapshot FILE.tar.gz`` reads the cluster once, as ``hadeck status`` would, and
keeps what every command printed; ``--from FILE`` answers the same commands from the
bundle, so every face shows the cluster frozen at that moment, through the very parsers
that read a live cluster. A bundle is what an operator attaches to a bug report.

Layout (a ``.tar.gz`` of one top directory, or that directory unpacked)::

    hadeck-bundle/
      meta.json                     hostname, time, hadeck version, tool versions, and per
                                    command: argv, exit code, stderr, duration, error
                                    and its kind (error_kind; derived from the error's
                                    words for bundles written before it was kept)
      <node>/pacemaker/crm_mon.xml  the raw output of each command, by its Command name
      <node>/drbd/events2.txt
      …

``hadeck snapshot --layout`` lists every file name with the command that makes it, so a
bundle can be assembled by hand from saved outputs: put each output at
``<node>/<name>`` and write a ``meta.json`` with at least ``{"hostname": "<node>"}``. A
file that is absent reads as a tool that is not installed; ``meta.json``'s ``commands``
entries can record failures (``{"<node>/<name>": {"error": "…"}}``).

No secrets go in: every output passes the secrets policy (:mod:`hadeck.redact`) before
anything is written — XML and JSON parsed and redacted by name, text by its ``name =
value`` lines; an output that names a secret but cannot be parsed is withheld and
recorded as a failure that says so. Bundles are written mode 0600 (directories 0700),
never through a symlink and never over an existing file unless asked
(:mod:`hadeck.outfile`).

A directory bundle is read without following a symlink out of it: an entry that is a
symlink leaving the bundle (``crm_mon.xml → /etc/shadow``), or not a regular file, makes
the bundle refused, as does a tar member that is a link or a device.

Reading is bounded before it costs minutes or gigabytes: a file larger than any output a
runner would read (``MAX_OUTPUT_BYTES``), files summing past ``MAX_BUNDLE_BYTES``, more
than ``MAX_BUNDLE_MEMBERS`` entries, or a tarball whose headers inflate to more than
``_TAR_OVERHEAD`` beyond its files (a bomb in a GNU long name or a pax header, which
:mod:`tarfile` reads whole) make the bundle refused in one line, each by its recorded
size before its bytes are read.
"""

from __future__ import annotations

import io
import json
import os
import stat
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from hadeck import __version__
from hadeck.collect import Access
from hadeck.outfile import create, write_tree
from hadeck.redact import Withheld, redact_output, redact_text
from hadeck.runner import (
    MAX_OUTPUT_BYTES,
    Command,
    CommandResult,
    Runner,
    failure,
    file_result,
    kind_of,
)

if TYPE_CHECKING:
    import tarfile

    from hadeck.snmp.agent import SnmpAgent
    from hadeck.snmp.poller import Answers
    from hadeck.sources.backup_spec import RepoSpec

TOP = "hadeck-bundle"
META = "meta.json"

MAX_BUNDLE_BYTES = 512 * 2**20
"""The most all of a bundle's files may hold together, uncompressed."""
MAX_BUNDLE_MEMBERS = 20_000
"""The most entries (files and directories) a bundle may have: a real one has a few
dozen per node."""
_TAR_OVERHEAD = 64 * 2**20
"""What a tar stream may hold beyond its files' bytes and ``_HEADER_BYTES`` per entry (a
long name, a pax header; tarfile's read-ahead)."""
_HEADER_BYTES = 2048
"""A member's header and padding, with room for a long name."""

VERSION_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pacemaker", ("crm_mon", "--version")),
    ("corosync", ("corosync", "-v")),
    ("drbdadm", ("drbdadm", "--version")),
    ("ipvsadm", ("ipvsadm", "--version")),
    ("virsh", ("virsh", "--version")),
    ("keepalived", ("keepalived", "--version")),
    ("lvm", ("lvm", "version")),
    ("rdiff-backup", ("rdiff-backup", "--version")),
    ("kernel", ("uname", "-r")),
)
"""Tool versions recorded in meta.json, so a reader knows which formats to expect."""


class BundleError(ValueError):
    """The bundle is not a readable hadeck bundle."""


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Record:
    node: str
    command: Command
    result: CommandResult


class RecordingRunner(Runner):
    """Passes every named command to another runner and keeps what it answered."""

    def __init__(self, inner: Runner, sink: list[Record], lock: threading.Lock) -> None:
        self.inner = inner
        self.node = inner.node
        self.local = inner.local
        self.timeout = inner.timeout
        self._sink = sink
        self._lock = lock

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout=timeout)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        result = self.inner.fetch(command, timeout=timeout)
        with self._lock:
            self._sink.append(Record(self.node, command, result))
        return result

    def prefetch(self, commands: Sequence[Command]) -> Runner:
        # What the sources fetch is recorded, as ever, not what a batch held.
        return RecordingRunner(self.inner.prefetch(commands), self._sink, self._lock)


class RecordingAccess(Access):
    """Wraps another access so that every node's commands are recorded."""

    def __init__(self, inner: Access) -> None:
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._inner = inner
        self._runners: dict[str, RecordingRunner] = {}
        super().__init__(self._wrap(inner.local))
        self.origin = inner.origin

    def _wrap(self, runner: Runner) -> RecordingRunner:
        if runner.node not in self._runners:
            self._runners[runner.node] = RecordingRunner(runner, self.records, self._lock)
        return self._runners[runner.node]

    def runner(self, node: str) -> Runner:
        return self._wrap(self._inner.runner(node))

    def nodes(self) -> tuple[str, ...] | None:
        return self._inner.nodes()

    def frozen_at(self) -> float | None:
        return self._inner.frozen_at()

    def snmp_answers(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        from hadeck.snmp.recorded import command, to_result

        answers = self._inner.snmp_answers(agents)
        with self._lock:
            self.records.extend(Record(self.local.node, command(agent), to_result(agent, a))
                                for agent, a in zip(agents, answers, strict=True))
        return answers


def tool_versions(runner: Runner) -> dict[str, str]:
    versions = {}
    for tool, argv in VERSION_COMMANDS:
        result = runner.run(argv, timeout=5)
        text = (result.stdout or result.stderr).strip().splitlines()
        if result.error is None and text:
            versions[tool] = text[0][:200]
    return versions


def write_bundle(
    path: str | Path,
    records: Sequence[Record],
    hostname: str,
    taken_at: float,
    tools: dict[str, str] | None = None,
    force: bool = False,
) -> Path:
    """Write recorded outputs as a bundle: a ``.tar.gz``, or a directory otherwise.

    Every output passes the secrets policy first. The bundle is private (0600 / 0700).

    Args:
        path: ``FILE.tar.gz`` (or ``.tgz``), or a directory that is new or empty.
        records: what was read.
        hostname: the node hadeck ran on.
        taken_at: when.
        tools: tool versions.
        force: replace a ``.tar.gz`` that is there (a directory is never replaced).

    Raises:
        BundleError: a node or command name would climb out of the bundle.
        hadeck.outfile.WriteError: the target exists, is a symlink, or cannot be written.
    """
    path = Path(path)
    files: dict[str, str] = {}
    commands: dict[str, dict[str, Any]] = {}
    for rec in records:
        key = f"{rec.node}/{rec.command.name}"
        _check_member(key)
        res = rec.result
        argv = rec.command.argv if rec.command.path is None else ("cat", rec.command.path)
        entry: dict[str, Any] = {
            "argv": list(argv),
            "returncode": res.returncode,
            "duration": round(res.duration, 4),
            "error": None if res.error is None else redact_text(res.error),
            "error_kind": res.error_kind,
            "stderr": redact_text(res.stderr)[-2000:],
        }
        if res.error is None:
            try:
                files[key] = redact_output(rec.command.name, res.stdout)
            except Withheld as exc:
                entry.update(error=str(exc), error_kind="failed")
        commands[key] = entry
    meta = {
        "format": 1,
        "hostname": hostname,
        "taken_at": taken_at,
        "taken_at_text": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(taken_at)),
        "hadeck": __version__,
        "tools": tools or {},
        "nodes": sorted({r.node for r in records}, key=lambda n: (n != hostname, n)),
        "commands": commands,
    }
    files[META] = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    if path.name.endswith((".tar.gz", ".tgz")):
        import tarfile

        with create(path, force=force) as handle, \
                tarfile.open(fileobj=handle, mode="w:gz") as tar:
            for name, text in sorted(files.items()):
                data = text.encode()
                info = tarfile.TarInfo(f"{TOP}/{name}")
                info.size = len(data)
                info.mtime = int(taken_at)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
    else:
        write_tree(path, {name: text.encode() for name, text in files.items()})
    return path


def _check_member(name: str) -> None:
    """Node and command names become paths: refuse anything that could climb out."""
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or not parts:
        raise BundleError(f"refusing unsafe bundle member name {name!r}")


# --------------------------------------------------------------------------- replay


class Bundle:
    """A bundle's files, read whole into memory (bundles are small: text outputs)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.files = _load_files(self.path)
        if META not in self.files:
            raise BundleError(f"{self.path}: no {META}: not a hadeck bundle")
        try:
            self.meta: dict[str, Any] = json.loads(self.files[META])
        except json.JSONDecodeError as exc:
            raise BundleError(f"{self.path}: {META} is not valid JSON: {exc}") from None
        if not isinstance(self.meta, dict) or not self.meta.get("hostname"):
            raise BundleError(f"{self.path}: {META} names no hostname")
        problem = _meta_problem(self.meta)
        if problem:
            raise BundleError(f"{self.path}: {META}: {problem}")

    @property
    def hostname(self) -> str:
        return str(self.meta["hostname"])

    @property
    def taken_at(self) -> float:
        value = self.meta.get("taken_at")
        return float(value) if isinstance(value, (int, float)) else 0.0

    def nodes(self) -> tuple[str, ...]:
        listed = self.meta.get("nodes")
        if isinstance(listed, list) and listed:
            return tuple(str(n) for n in listed)
        return tuple(sorted({name.split("/", 1)[0] for name in self.files if "/" in name}))

    def backup_repos(self) -> tuple[RepoSpec, ...]:
        """The rdiff-backup repositories the recording read (``<node>/backups/NAME/``),
        from their recorded argv: replayed without the recording's configuration. The
        guest each one backs up is not recorded (a configuration given names it)."""
        commands = self.meta.get("commands", {})
        if not isinstance(commands, dict) or not any("/backups/" in k for k in commands):
            return ()  # a check of another area never loads the backups source
        from hadeck.sources.backup_spec import RepoSpec, valid_name

        found: dict[str, RepoSpec] = {}
        for key, entry in commands.items():
            parts = key.split("/")
            argv = entry.get("argv") if isinstance(entry, dict) else None
            if len(parts) != 4 or parts[1] != "backups" or parts[3] != "increments.txt" \
                    or not isinstance(argv, list) or not argv or not valid_name(parts[2]):
                continue
            found.setdefault(parts[2], RepoSpec(name=parts[2], path=str(argv[-1]),
                                                node=parts[0]))
        return tuple(found.values())

    def answer(self, node: str, command: Command) -> CommandResult:
        key = f"{node}/{command.name}"
        argv = command.argv if command.path is None else ("cat", command.path)
        recorded = self.meta.get("commands", {}).get(key, {})
        if not isinstance(recorded, dict):
            recorded = {}
        stderr = str(recorded.get("stderr", ""))
        duration = float(recorded.get("duration", 0.0))  # a number: _meta_problem
        if recorded.get("error"):
            error = str(recorded["error"])
            return failure(argv, kind_of(error, recorded.get("error_kind")),
                           error, "", stderr, duration)
        text = self.files.get(key)
        if text is None:
            what = (f"{command.path}: no such file" if command.path is not None
                    else f"{argv[0]}: command not found")
            return failure(argv, "missing", f"{what} (not in bundle)")
        rc = recorded.get("returncode", 0)
        result = CommandResult(argv, text, stderr, rc if isinstance(rc, int) else 0, duration)
        # A bundle written before file reads were told apart kept ``cat``'s exit 1.
        return file_result(command.path, result) if command.path is not None else result


_NUMBER_FIELDS = ("duration",)
_TEXT_FIELDS = ("stderr", "error", "error_kind")


def _meta_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with meta.json's values, in words; None when it can be replayed."""
    if "taken_at" in meta and not _is_number(meta["taken_at"]):
        return f"taken_at is not a number ({meta['taken_at']!r})"
    commands = meta.get("commands", {})
    if not isinstance(commands, dict):
        return "commands is not an object"
    for key, entry in commands.items():
        if not isinstance(entry, dict):
            return f"commands[{key!r}] is not an object"
        for field in _NUMBER_FIELDS:
            if field in entry and not _is_number(entry[field]):
                return f"commands[{key!r}].{field} is not a number ({entry[field]!r})"
        rc = entry.get("returncode")
        if rc is not None and (not isinstance(rc, int) or isinstance(rc, bool)):
            return f"commands[{key!r}].returncode is not an integer ({rc!r})"
        for field in _TEXT_FIELDS:
            if entry.get(field) is not None and not isinstance(entry[field], str):
                return f"commands[{key!r}].{field} is not a string ({entry[field]!r})"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and value == value and abs(value) != float("inf")


class _Tally:
    """Counts a bundle's entries and bytes, refusing past the caps before a read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.members = 0
        self.size = 0

    def entry(self) -> None:
        self.members += 1
        if self.members > MAX_BUNDLE_MEMBERS:
            raise BundleError(f"{self.path}: more than {MAX_BUNDLE_MEMBERS} entries; "
                              "not a hadeck bundle, refusing to read it")

    def file(self, name: str, size: int) -> None:
        """Refuse a file larger than any output a runner would read (a gzip bomb), or one
        that takes the bundle past its total, by its recorded size."""
        if size > MAX_OUTPUT_BYTES:
            raise BundleError(f"{self.path}: {name} is {size / 2**20:.0f} MiB, more than "
                              f"the {MAX_OUTPUT_BYTES // 2**20} MiB a bundle file may hold")
        self.size += size
        if self.size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{self.path}: its files hold more than "
                              f"{MAX_BUNDLE_BYTES // 2**20} MiB together (at {name}); "
                              "refusing to read it")


def _load_dir(path: Path) -> dict[str, str]:
    """A directory bundle's files, never following a symlink out of it."""
    files: dict[str, str] = {}
    tally = _Tally(path)
    root = path.resolve()
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            tally.entry()
            item = Path(dirpath) / name
            rel = item.relative_to(path).as_posix()
            mode = os.lstat(item).st_mode
            if stat.S_ISLNK(mode):
                target = item.resolve()
                if not target.is_relative_to(root):
                    raise BundleError(f"{path}: {rel} is a symbolic link to {target}, "
                                      "outside the bundle; refusing to read it")
                if target.is_dir():
                    raise BundleError(f"{path}: {rel} is a symbolic link to a directory; "
                                      "refusing to read it")
                mode = os.stat(target).st_mode
            if name in dirnames and stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise BundleError(f"{path}: {rel} is not a regular file; refusing to "
                                  "read it")
            tally.file(rel, os.stat(item).st_size)
            with open(item, "rb") as handle:
                files[_strip_top(rel)] = handle.read().decode(errors="replace")
    return files


class _Inflated:
    """A compressed tarball's bytes, inflated as read, never further than its files allow.

    :mod:`tarfile` reads a GNU long name or a pax header whole into memory before any
    member can be looked at, so the bound is on the stream, not only on the members: it
    may run ahead of the files counted so far (``tally``, each counted before its bytes
    are read) by their headers and ``_TAR_OVERHEAD`` only."""

    def __init__(self, path: Path, raw: io.BufferedReader, tally: _Tally) -> None:
        # The compressors are imported here: a check plugin reading a directory bundle,
        # or none, does not load them (issue 15).
        import bz2
        import gzip
        import lzma

        magic = raw.read(6)
        raw.seek(0)
        self.inner: io.BufferedIOBase
        if magic.startswith(b"\x1f\x8b"):
            self.inner = gzip.GzipFile(fileobj=raw, mode="rb")
        elif magic.startswith(b"BZh"):
            self.inner = bz2.BZ2File(raw, mode="rb")
        elif magic.startswith(b"\xfd7zXZ\x00"):
            self.inner = lzma.LZMAFile(raw, mode="rb")
        else:
            self.inner = raw
        self.path = path
        self.tally = tally
        self.count = 0

    def limit(self) -> int:
        return self.tally.size + _HEADER_BYTES * self.tally.members + _TAR_OVERHEAD

    def read(self, size: int = -1) -> bytes:
        import lzma
        import zlib

        left = self.limit() + 1 - self.count
        try:
            data = self.inner.read(left if size < 0 else min(size, left))
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BundleError(f"{self.path}: not a readable bundle: {why}") from None
        self.count += len(data)
        if self.count > self.limit():
            raise BundleError(f"{self.path}: its tar headers inflate to more than "
                              f"{_TAR_OVERHEAD // 2**20} MiB beyond its files (a bomb); "
                              "refusing to read it")
        return data


def _load_files(path: Path) -> dict[str, str]:
    if path.is_dir():
        try:
            return _load_dir(path)
        except OSError as exc:
            raise BundleError(f"{path}: not a readable bundle: "
                              f"{exc.strerror or exc}") from None
    import tarfile  # only for a tarball: a directory bundle does not need it

    files: dict[str, str] = {}
    tally = _Tally(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block the open
            raise BundleError(f"{path}: not a regular file nor a directory")
        with open(path, "rb") as raw:
            stream = _Inflated(path, raw, tally)
            tar = tarfile.open(fileobj=stream, mode="r|")  # type: ignore[call-overload]
            # A stream, member by member: each is refused by its header before its bytes
            # are read, and nothing is inflated that is not read.
            with tar:
                for member in tar:
                    tally.entry()
                    _check_member_kind(path, member)
                    if not member.isfile():
                        continue
                    tally.file(member.name, member.size)
                    handle = tar.extractfile(member)
                    if handle is None:
                        continue
                    files[_strip_top(member.name)] = handle.read().decode(errors="replace")
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file or directory") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BundleError(f"{path}: not a readable bundle: {why}") from None
    return files


def _check_member_kind(path: Path, member: tarfile.TarInfo) -> None:
    if member.issym() or member.islnk():
        raise BundleError(f"{path}: {member.name} is a link to {member.linkname}; "
                          "refusing to read it")
    if member.ischr() or member.isblk() or member.isfifo():
        raise BundleError(f"{path}: {member.name} is a device or a pipe; refusing to "
                          "read it")


def _strip_top(name: str) -> str:
    name = name.lstrip("./")
    if name.startswith(TOP + "/"):
        return name[len(TOP) + 1:]
    return name


class BundleRunner(Runner):
    """Answers a node's named commands from a bundle; runs nothing."""

    def __init__(self, bundle: Bundle, node: str) -> None:
        self.bundle = bundle
        self.node = node

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        return failure(argv, "failed", "a snapshot bundle is read-only: nothing can run in it")

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.run(("cat", path))

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        return self.bundle.answer(self.node, command)


class BundleAccess(Access):
    """A cluster frozen in a bundle."""

    def __init__(self, path: str | Path) -> None:
        self.bundle = Bundle(path)
        super().__init__(BundleRunner(self.bundle, self.bundle.hostname))
        self.origin = f"bundle:{self.bundle.path}"
        self._runners: dict[str, BundleRunner] = {self.bundle.hostname: self.local}  # type: ignore[dict-item]

    def runner(self, node: str) -> Runner:
        if node not in self._runners:
            self._runners[node] = BundleRunner(self.bundle, node)
        return self._runners[node]

    def nodes(self) -> tuple[str, ...]:
        return self.bundle.nodes()

    def frozen_at(self) -> float | None:
        return self.bundle.taken_at

    def snmp_answers(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        from hadeck.snmp.recorded import command, from_result

        return [from_result(agent, self.bundle.answer(self.bundle.hostname, command(agent)),
                            self.bundle.taken_at) for agent in agents]


def layout() -> list[tuple[str, str]]:
    """Every bundle file name and the command that makes it, for ``--layout``."""
    from hadeck import placement
    from hadeck.sources import (
        backups,
        corosync,
        drbd,
        guests,
        host,
        keepalived,
        lvm,
        lvs,
        pacemaker,
    )

    rows = []
    for module in (pacemaker, placement, corosync, drbd, guests, host, lvs, keepalived, lvm):
        for command in module.COMMANDS:
            rows.append((f"<node>/{command.name}", command.describe()))
    # One folder per configured repository ([backups.repos.NAME]), shown for NAME.
    spec = backups.RepoSpec(name="NAME", path="PATH")
    for command in (backups.list_command(spec), backups.list_command_old(spec),
                    backups.ls_command(spec),
                    backups.error_log_command(spec, "error_log.TIME.data")):
        rows.append((f"<node>/{command.name}", command.describe()))
    return rows
