"""Running commands: the one boundary between hadeck and the real system.

Everything hadeck learns or changes goes through a :class:`Runner`: an argv list (never a
shell string) with a timeout, run locally, on another node over the system ssh client
(:mod:`hadeck.ssh`), answered from a snapshot bundle (:mod:`hadeck.snapshot`), or
answered by the lab (:mod:`hadeck.lab`). A runner never raises for a command that fails:
a missing binary, a timeout, a permission error or an unreachable host come back as a
:class:`CommandResult` with ``error`` set, so a source can turn it into a reason on
screen, and ``error_kind`` saying which of those it was (:data:`ErrorKind`), so that
nobody matches message text.

Sources name what they read with a :class:`Command`: the argv for a live system and a
stable file name (``pacemaker/crm_mon.xml``) under which a bundle stores the output.

Long-running commands that report changes as they happen (``drbdsetup events2`` without
``--now``) are followed with :meth:`Runner.stream`: a :class:`LineStream` yields their
lines as they come, and :meth:`LineStream.close` stops them from any thread. Like ``run``,
it never raises: a stream that cannot start, or ends, says why in ``error``. A runner that
cannot stream (a bundle) returns a stream that has already ended.
"""

from __future__ import annotations

import errno
import locale
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Literal, cast, get_args

DEFAULT_TIMEOUT = 10.0
"""Seconds a command may take before it is killed and reported as a timeout, unless the
configuration says otherwise (``[cluster] timeout``, given to each runner as ``timeout``)."""

MAX_OUTPUT_BYTES = 64 * 2**20
"""The most a command's output or a file may hold; more is refused, not read.

The largest real output hadeck reads is crm_mon's XML: about 13 MB for 16 nodes and 500
guests. 64 MiB leaves five times that, and stops a runaway tool, a gzip bomb in a bundle
or a mistaken path (a disk image) before it costs gigabytes and minutes (a 400 MB
``crm_mon.xml`` took 38 s and 857 MB to parse)."""
_CHUNK = 2**16
_MAX_LINE = 2**20
"""The longest line a stream yields at once (events2 lines are well under 1 KiB)."""

# Every tool is asked for untranslated output: virsh, for one, translates its state words.
_ENV_OVERRIDES = {"LC_ALL": "C", "LANG": "C"}

_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")
"""Where Debian puts crm_mon, drbdsetup, ipvsadm …, and leaves off a user's PATH."""


def _tool_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the sbin directories after its PATH's own.

    A user who may read the cluster (crm_mon for the haclient group) or run the lab
    (crm_simulate) finds the tools as root does, as sudo's secure_path would.
    """
    dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d]
    return {**env, "PATH": os.pathsep.join(dirs + [d for d in _SBIN if d not in dirs])}


@dataclass(frozen=True)
class Command:
    """A read-only command a source runs, with the name a bundle stores its output under.

    Exactly one of ``argv`` and ``path`` is set: ``path`` reads a file (``/proc/drbd``).
    ``local`` answers the command in process on this machine (host facts come from
    psutil, not a subprocess); an ssh runner refuses it (nothing of hadeck runs on a
    peer), a bundle and the lab answer it by name and argv.
    """

    name: str
    argv: tuple[str, ...] = ()
    path: str | None = None
    local: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return self.path if self.path is not None else shlex.join(self.argv)


ErrorKind = Literal["missing", "timeout", "permission", "unreachable", "failed"]
"""Why a command has no result: ``missing`` (no such program or file on the node: not
installed, no module loaded), ``timeout`` (killed after its timeout, or no time left to
start it), ``permission`` (not allowed: an unreadable file, a sudo refusal),
``unreachable`` (the node itself: ssh could not connect or log in, or timed out, or the
lab node is down), ``failed`` (anything else that kept it from running or finishing). A
command that ran and exited non-zero has no error and no kind: its exit code says it."""


@dataclass(frozen=True)
class CommandResult:
    """What a command printed and how it ended.

    ``error_kind`` is set whenever ``error`` is: a runner names it; left out, it is
    ``failed``.
    """

    argv: tuple[str, ...]
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = 0
    """None when the command never ran or was killed."""
    duration: float = 0.0
    error: str | None = None
    """Why the command could not be run or finish (missing, timeout, unreachable …)."""
    error_kind: ErrorKind | None = None
    """Which kind of failure ``error`` is; None when ``error`` is None."""

    def __post_init__(self) -> None:
        if self.error is not None and self.error_kind is None:
            object.__setattr__(self, "error_kind", "failed")
        elif self.error is None and self.error_kind is not None:
            object.__setattr__(self, "error_kind", None)

    @property
    def ok(self) -> bool:
        return self.error is None and self.returncode == 0

    @property
    def missing(self) -> bool:
        """Whether the program or file is not there: a tool not installed, a /proc file
        of a module not loaded. Sources skip what is missing instead of failing."""
        return self.error_kind == "missing"

    def reason(self) -> str:
        """A one-line explanation of a failure, for a source error."""
        if self.error is not None:
            return self.error
        if self.returncode != 0:
            detail = _first_line(self.stderr) or _first_line(self.stdout) or "no output"
            return f"{self.argv[0]} exited {self.returncode}: {detail}"
        return "ok"


def failure(argv: Sequence[str], kind: ErrorKind, error: str, stdout: str = "",
            stderr: str = "", duration: float = 0.0) -> CommandResult:
    """A command that has no result, with the reason and its kind."""
    return CommandResult(tuple(argv), stdout, stderr, None, duration, error, kind)


def not_found(argv: Sequence[str], node: str | None = None) -> CommandResult:
    """The program ``argv[0]`` is not installed (on ``node``, when that is not here)."""
    where = f" on {node}" if node else ""
    return failure(argv, "missing", f"{argv[0]}: command not found{where}")


def file_result(path: str, result: CommandResult) -> CommandResult:
    """``cat PATH``'s result as a file read's: a missing or unreadable file an error.

    A local read fails with ``PATH: no such file``; ``cat`` (over ssh, or recorded in a
    bundle) exits 1 and says so on stderr, in C locale as every command runs. Both read
    the same after this, so that a source has one test for a missing file.
    """
    if result.error is not None or result.returncode != 1 or result.stdout:
        return result
    why = _first_line(result.stderr)
    if why.endswith(": No such file or directory"):
        return failure(result.argv, "missing", f"{path}: no such file", "", result.stderr,
                       result.duration)
    if why.endswith(": Permission denied"):
        return failure(result.argv, "permission", f"{path}: permission denied", "",
                       result.stderr, result.duration)
    return result


def kind_of(error: str, recorded: object = None) -> ErrorKind:
    """The kind of a recorded error: ``recorded`` if it names one, else from its words.

    The words are read only for results stored before kinds were (old bundles): runners
    name the kind where they make the error.
    """
    for kind in get_args(ErrorKind):
        if recorded == kind:
            return cast(ErrorKind, kind)
    lowered = error.lower()
    if error.startswith("ssh ") and ": " in error:
        return "unreachable"
    if "command not found" in lowered or "no such file" in lowered:
        return "missing"
    if "timed out after" in lowered or "time (-t) is used up" in lowered:
        return "timeout"
    if "permission denied" in lowered or " via sudo: " in lowered:
        return "permission"
    return "failed"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


class LineStream:
    """The lines of a long-running command, as it prints them; an iterator.

    Iterating blocks until the next line (with its line end) or the end of the command.
    :meth:`close` may be called from another thread: it stops the command, and the
    iteration ends. Once iteration has ended, ``error`` says why the stream stopped, if it
    was not closed and the command did not exit 0; ``returncode`` is the exit code, if any.
    This base class is a stream that has already ended (a runner that cannot stream).

    Args:
        argv: the command.
        error: why the stream ended (or never started).
    """

    def __init__(self, argv: Sequence[str], error: str | None = None) -> None:
        self.argv = tuple(argv)
        self.error = error
        self.returncode: int | None = None
        self.stderr = ""
        """What the command wrote to stderr, once the stream has ended."""
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed.is_set()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raise StopIteration

    def close(self) -> None:
        """Stop the command; idempotent, safe from any thread."""
        self._closed.set()

    def __enter__(self) -> LineStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class ProcessStream(LineStream):
    """A local process's stdout, line by line; closing kills its process group.

    stderr goes to an unlinked temporary file rather than a pipe: nobody reads a pipe
    while the stream runs, and a chatty tool would fill it and block.
    """

    def __init__(self, argv: Sequence[str], env: dict[str, str],
                 hold_stdin: bool = False) -> None:
        super().__init__(argv)
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self._proc: subprocess.Popen[str] | None = None
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE if hold_stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr, env=env, start_new_session=True, text=True,
                errors="replace", bufsize=1,
            )
        except OSError as exc:
            self.error = _start_error(self.argv, exc).error
            self._stderr.close()

    def __next__(self) -> str:
        proc = self._proc
        if proc is None or proc.stdout is None:
            raise StopIteration
        # At most _MAX_LINE at a time: a stream that never ends its line stays bounded
        # (the rest comes as further "lines", which a parser refuses).
        line = proc.stdout.readline(_MAX_LINE) if not self.closed else ""
        if line:
            return line
        self._finish(proc)
        raise StopIteration

    def close(self) -> None:
        super().close()
        if self._proc is not None and self._proc.poll() is None:
            _kill_group(self._proc)

    def _finish(self, proc: subprocess.Popen[str]) -> None:
        if self._stderr.closed:
            return
        if self.closed and proc.poll() is None:
            _kill_group(proc)
        try:
            self.returncode = proc.wait(timeout=DEFAULT_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - killed above
            _kill_group(proc)
            self.returncode = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        self._stderr.seek(0)
        stderr = self._stderr.read()
        self._stderr.close()
        self.stderr = stderr
        if not self.closed and self.returncode != 0:
            detail = _first_line(stderr) or "no output"
            self.error = f"{self.argv[0]} exited {self.returncode}: {detail}"


def _start_error(args: tuple[str, ...], exc: OSError) -> CommandResult:
    if isinstance(exc, FileNotFoundError):
        return not_found(args)
    if isinstance(exc, PermissionError):
        return failure(args, "permission", f"{args[0]}: permission denied")
    return failure(args, "failed", f"{args[0]}: {exc.strerror}")


class Runner:
    """Runs argv lists for one node. Subclasses decide where and how."""

    node: str = "localhost"
    local: bool = False
    """True when this runner reads the machine hadeck itself runs on."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds a command may take when the caller names no timeout: the configuration's
    ``[cluster] timeout``. Sources never name one, so every read they make uses it."""

    def limit(self, timeout: float | None) -> float:
        """The timeout a command gets: ``timeout``, or this runner's own when None."""
        return self.timeout if timeout is None else timeout

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        """Run ``argv`` on the node; never raises.

        Args:
            argv: the command (no shell).
            timeout: seconds before it is killed; None for the runner's :attr:`timeout`.
            input: text for its stdin, if any.
        """
        raise NotImplementedError

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        """Read a text file on the node; the default runs ``cat`` (see :func:`file_result`)."""
        return file_result(path, self.run(("cat", path), timeout=timeout))

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        """Run a source's named command (a bundle answers it by name)."""
        if command.path is not None:
            return self.read_file(command.path, timeout=timeout)
        return self.run(command.argv, timeout=timeout)

    def prefetch(self, commands: Sequence[Command]) -> Runner:
        """A runner for one read of the node that may answer ``commands`` from one round
        trip made now (an ssh batch, :meth:`hadeck.ssh.SshRunner.prefetch`).

        What it answers is what :meth:`fetch` would: sources and bundles see no
        difference. The default has nothing to gain (a local command is no round trip)
        and returns this runner.

        Args:
            commands: what the read is expected to fetch.
        """
        return self

    def stream(self, argv: Sequence[str]) -> LineStream:
        """Start a long-running command and follow its output line by line.

        Never raises. The default cannot stream: the stream it returns has already
        ended, with the reason in ``error``.

        Args:
            argv: the command; it runs until it exits or the stream is closed.

        Returns:
            The stream; close it when done (it is a context manager).
        """
        return LineStream(argv, error=f"{type(self).__name__} cannot stream commands")


class LocalRunner(Runner):
    """Runs commands on this machine, without a shell, in their own process group."""

    local = True

    def __init__(self, node: str | None = None, env: dict[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.node = node or os.uname().nodename
        self._env = _tool_env({**os.environ, **_ENV_OVERRIDES, **(env or {})})
        self.timeout = timeout

    @property
    def env(self) -> dict[str, str]:
        """The environment its commands run in (the ssh client's too, over ssh)."""
        return dict(self._env)

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = tuple(argv)
        timeout = self.limit(timeout)
        start = time.monotonic()
        try:
            # A new session so that a timeout kills the whole tree, not just the child:
            # crm_mon and ssh both fork helpers that would otherwise hold the pipes open.
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
                start_new_session=True,
            )
        except OSError as exc:
            return _start_error(args, exc)
        out, err, too_large, timed_out = _communicate(proc, input, timeout)
        duration = time.monotonic() - start
        if too_large:
            return failure(args, "failed", _too_large(args[0]), "", err, duration)
        if timed_out:
            return failure(args, "timeout", f"{args[0]}: timed out after {timeout:g} s",
                           out, err, duration)
        return CommandResult(args, out, err, proc.returncode, duration)

    def run_raw(self, argv: Sequence[str], timeout: float | None = None
                ) -> tuple[CommandResult, bytes]:
        """:meth:`run`, with stdout also as the bytes it printed (undecoded, uncut).

        For output whose framing counts bytes (an ssh batch, :mod:`hadeck.batch`); the
        result's ``stdout`` is empty. Never raises.
        """
        args = tuple(argv)
        timeout = self.limit(timeout)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self._env,
                                    start_new_session=True)
        except OSError as exc:
            return _start_error(args, exc), b""
        out, err_bytes, too_large, timed_out = _communicate_bytes(proc, None, timeout)
        err, duration = _decoded(err_bytes), time.monotonic() - start
        if too_large:
            return failure(args, "failed", _too_large(args[0]), "", err, duration), b""
        if timed_out:
            return failure(args, "timeout", f"{args[0]}: timed out after {timeout:g} s",
                           "", err, duration), out
        return CommandResult(args, "", err, proc.returncode, duration), out

    def stream(self, argv: Sequence[str], hold_stdin: bool = False) -> LineStream:
        """Run ``argv`` in its own session; closing the stream kills the whole group.

        Args:
            argv: the command.
            hold_stdin: give it a pipe as stdin that stays open, unwritten, until the
                stream ends (the ssh stream's remote watchdog waits for it to close).
        """
        return ProcessStream(argv, self._env, hold_stdin)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        start = time.monotonic()
        args = ("cat", path)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_OUTPUT_BYTES + 1)
            if len(text) > MAX_OUTPUT_BYTES:
                return failure(args, "failed", f"{path}: larger than "
                               f"{MAX_OUTPUT_BYTES // 2**20} MiB, not read")
        except FileNotFoundError:
            return failure(args, "missing", f"{path}: no such file")
        except PermissionError:
            return failure(args, "permission", f"{path}: permission denied")
        except OSError as exc:
            return failure(args, "failed", f"{path}: {exc.strerror}")
        return CommandResult(args, text, "", 0, time.monotonic() - start)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        if command.local is None:
            return super().fetch(command, timeout)
        start = time.monotonic()
        try:
            text = command.local()
        except OSError as exc:
            kind: ErrorKind = ("missing" if exc.errno == errno.ENOENT else
                               "permission" if exc.errno in (errno.EACCES, errno.EPERM)
                               else "failed")
            return failure(command.argv, kind, f"{command.name}: {exc.strerror or exc}")
        return CommandResult(command.argv, text, "", 0, time.monotonic() - start)


def _too_large(program: str) -> str:
    return f"{program}: output larger than {MAX_OUTPUT_BYTES // 2**20} MiB, not read"


def _decoded(data: bytes) -> str:
    # What text=True did: the locale's encoding, errors replaced, universal newlines.
    text = data.decode(locale.getpreferredencoding(False), errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _communicate(
    proc: subprocess.Popen[bytes], input: str | None, timeout: float
) -> tuple[str, str, bool, bool]:
    """``proc.communicate(input, timeout)``, reading at most :data:`MAX_OUTPUT_BYTES` of
    stdout and of stderr: past that, or past the timeout, the process group is killed.

    Returns:
        stdout, stderr, whether an output was too large, whether it timed out.
    """
    out, err, too_large, timed_out = _communicate_bytes(proc, input, timeout)
    return _decoded(out), _decoded(err), too_large, timed_out


def _communicate_bytes(
    proc: subprocess.Popen[bytes], input: str | None, timeout: float
) -> tuple[bytes, bytes, bool, bool]:
    """:func:`_communicate`, the outputs left as bytes (a framed batch counts bytes)."""
    deadline = time.monotonic() + timeout
    over = threading.Event()
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def drain(pipe: IO[bytes], key: str) -> None:
        total = 0
        with pipe:
            while chunk := os.read(pipe.fileno(), _CHUNK):
                total += len(chunk)
                if total > MAX_OUTPUT_BYTES:
                    over.set()
                    _kill_group(proc)
                    return
                chunks[key].append(chunk)

    def feed(pipe: IO[bytes]) -> None:
        try:
            with pipe:
                pipe.write((input or "").encode())
        except BrokenPipeError:
            pass  # it exited without reading its input: its output says why

    threads = [threading.Thread(target=drain, args=(pipe, key), daemon=True)
               for pipe, key in ((proc.stdout, "out"), (proc.stderr, "err"))
               if pipe is not None]
    if proc.stdin is not None:
        threads.append(threading.Thread(target=feed, args=(proc.stdin,), daemon=True))
    for thread in threads:
        thread.start()
    # Until both pipes end, as communicate() does: a helper the command forked may hold
    # them after it exits, and the timeout covers that too.
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    timed_out = any(thread.is_alive() for thread in threads) and not over.is_set()
    if timed_out or over.is_set():
        _kill_group(proc)
        for thread in threads:
            thread.join(2.0)
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()) if not timed_out else 2.0)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    # A reader still blocked past the kill holds no chunk in flight that matters.
    return b"".join(chunks["out"]), b"".join(chunks["err"]), over.is_set(), timed_out


def _kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError as exc:  # already gone
        if exc.errno != errno.ESRCH:
            proc.kill()


SSH_OPTIONS: tuple[str, ...] = (
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=5",
    "-o", "ServerAliveInterval=5",
    "-o", "ServerAliveCountMax=1",
)
"""Never prompt (a dashboard has no terminal for it) and give up on dead hosts fast."""
