"""Running commands: the one boundary between hadeck and the real system.

Everything hadeck learns or changes goes through a :class:`Runner`: an argv list (never a
shell string) with a timeout, run locally, on another node over the system ssh client,
answered from a snapshot bundle (:mod:`hadeck.snapshot`), or answered by the lab
(:mod:`hadeck.lab`). A runner never raises for a command that fails: a missing binary, a
timeout, a permission error or an unreachable host come back as a :class:`CommandResult`
with ``error`` set, so a source can turn it into a reason on screen.

Sources name what they read with a :class:`Command`: the argv for a live system and a
stable file name (``pacemaker/crm_mon.xml``) under which a bundle stores the output.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 10.0
"""Seconds a command may take before it is killed and reported as a timeout."""

# Every tool is asked for untranslated output: virsh, for one, translates its state words.
_ENV_OVERRIDES = {"LC_ALL": "C", "LANG": "C"}


@dataclass(frozen=True)
class Command:
    """A read-only command a source runs, with the name a bundle stores its output under.

    Exactly one of ``argv`` and ``path`` is set: ``path`` reads a file (``/proc/drbd``).
    ``local`` answers the command in process on this machine (host facts come from
    psutil, not a subprocess); elsewhere the argv runs as usual.
    """

    name: str
    argv: tuple[str, ...] = ()
    path: str | None = None
    local: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return self.path if self.path is not None else shlex.join(self.argv)


@dataclass(frozen=True)
class CommandResult:
    """What a command printed and how it ended."""

    argv: tuple[str, ...]
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = 0
    """None when the command never ran or was killed."""
    duration: float = 0.0
    error: str | None = None
    """Why the command could not be run or finish (missing, timeout, unreachable …)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.returncode == 0

    def reason(self) -> str:
        """A one-line explanation of a failure, for a source error."""
        if self.error is not None:
            return self.error
        if self.returncode != 0:
            detail = _first_line(self.stderr) or _first_line(self.stdout) or "no output"
            return f"{self.argv[0]} exited {self.returncode}: {detail}"
        return "ok"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


class Runner:
    """Runs argv lists for one node. Subclasses decide where and how."""

    node: str = "localhost"
    local: bool = False
    """True when this runner reads the machine hadeck itself runs on."""

    def run(
        self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, input: str | None = None
    ) -> CommandResult:
        raise NotImplementedError

    def read_file(self, path: str, timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        """Read a text file on the node; the default runs ``cat``."""
        return self.run(("cat", path), timeout=timeout)

    def fetch(self, command: Command, timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        """Run a source's named command (a bundle answers it by name)."""
        if command.path is not None:
            return self.read_file(command.path, timeout=timeout)
        return self.run(command.argv, timeout=timeout)


class LocalRunner(Runner):
    """Runs commands on this machine, without a shell, in their own process group."""

    local = True

    def __init__(self, node: str | None = None, env: dict[str, str] | None = None) -> None:
        self.node = node or os.uname().nodename
        self._env = {**os.environ, **_ENV_OVERRIDES, **(env or {})}

    def run(
        self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, input: str | None = None
    ) -> CommandResult:
        args = tuple(argv)
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
                text=True,
                errors="replace",
            )
        except FileNotFoundError:
            return CommandResult(args, returncode=None, error=f"{args[0]}: command not found")
        except PermissionError:
            return CommandResult(args, returncode=None, error=f"{args[0]}: permission denied")
        except OSError as exc:
            return CommandResult(args, returncode=None, error=f"{args[0]}: {exc.strerror}")
        try:
            out, err = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            return CommandResult(
                args, out, err, None, time.monotonic() - start,
                error=f"{args[0]}: timed out after {timeout:g} s",
            )
        return CommandResult(args, out, err, proc.returncode, time.monotonic() - start)

    def read_file(self, path: str, timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        start = time.monotonic()
        args = ("cat", path)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except FileNotFoundError:
            return CommandResult(args, returncode=None, error=f"{path}: no such file")
        except PermissionError:
            return CommandResult(args, returncode=None, error=f"{path}: permission denied")
        except OSError as exc:
            return CommandResult(args, returncode=None, error=f"{path}: {exc.strerror}")
        return CommandResult(args, text, "", 0, time.monotonic() - start)

    def fetch(self, command: Command, timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        if command.local is None:
            return super().fetch(command, timeout)
        start = time.monotonic()
        try:
            text = command.local()
        except OSError as exc:
            return CommandResult(command.argv, returncode=None,
                                 error=f"{command.name}: {exc.strerror or exc}")
        return CommandResult(command.argv, text, "", 0, time.monotonic() - start)


def _kill_group(proc: subprocess.Popen[str]) -> None:
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


class SshRunner(Runner):
    """Runs commands on another node with the system ssh client.

    The system client is used, not a library, so that ~/.ssh/config, agents and jump
    hosts work as the operator set them up. The remote command is one string for the
    remote shell, built with :func:`shlex.join`: names from the cluster stay data.
    """

    def __init__(
        self,
        node: str,
        host: str | None = None,
        options: Sequence[str] = SSH_OPTIONS,
        via: Runner | None = None,
    ) -> None:
        self.node = node
        self._host = host or node
        self._options = tuple(options)
        self._via = via or LocalRunner()

    def ssh_argv(self, argv: Sequence[str]) -> tuple[str, ...]:
        remote = shlex.join(["env", *(f"{k}={v}" for k, v in _ENV_OVERRIDES.items()), *argv])
        return ("ssh", *self._options, "--", self._host, remote)

    def run(
        self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, input: str | None = None
    ) -> CommandResult:
        result = self._via.run(self.ssh_argv(argv), timeout=timeout, input=input)
        args = tuple(argv)
        if result.error is not None:
            return CommandResult(args, result.stdout, result.stderr, None, result.duration,
                                 error=f"ssh {self._host}: {result.error}")
        # ssh itself exits 255 when it cannot reach or log in to the host.
        if result.returncode == 255:
            why = _first_line(result.stderr) or "connection failed"
            return CommandResult(args, result.stdout, result.stderr, None, result.duration,
                                 error=f"ssh {self._host}: {why}")
        # The remote command runs through env(1), which exits 127 for a missing program.
        if result.returncode == 127:
            return CommandResult(args, result.stdout, result.stderr, None, result.duration,
                                 error=f"{args[0]}: command not found on {self.node}")
        return CommandResult(args, result.stdout, result.stderr, result.returncode,
                             result.duration)
