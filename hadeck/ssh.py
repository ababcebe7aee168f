"""Other nodes over the system ssh client: one channel per peer, one round trip per poll.

The system ``ssh`` is used, not a library, so that the operator's ~/.ssh/config, agents,
jump hosts and known_hosts work as they set them up; hadeck never weakens host key
checking (a changed or unknown host key is refused, with a message that says so).

**One connection per peer.** A :class:`ControlDir` (a private 0700 directory, one per
hadeck process) holds a control socket per peer. The first read of a peer starts an ssh
master (``ssh -M``) that hadeck owns: later commands are multiplexed over it (``ssh -S``,
no new TCP connection or key exchange). The master's own session is ``cat`` reading the
master's stdin, a pipe hadeck holds and never writes: it lives exactly as long as hadeck
(killed or not, the pipe closes with it, and with it the session and the master). On
close (and at exit) hadeck asks each master to exit (``ssh -O exit``).

**One round trip per poll.** :meth:`SshRunner.prefetch` runs every command a read needs
in one batch (:mod:`hadeck.batch`) and answers the sources' fetches from it; a command it
did not foresee runs on its own over the same master. Each read remembers what the
sources fetched, and the next batch asks for exactly that.

**An unreachable peer costs one connect timeout once.** When the master cannot connect,
the node is down "since" then: every read answers at once that it is unreachable, and the
master is retried in the background every :data:`RETRY_S` seconds until it connects.

**sudo.** A peer logged in to as another user than root runs the tools of
:data:`NEEDS_ROOT` as ``sudo -n`` (share/sudoers.d/hadeck allows exactly those reads).

Why a channel per batch and not one long-lived session reading batches: each batch is
then a fresh process tree on the node with its own timeouts and clean-up, and no request
protocol is needed on the session's stdin. The price is a session and login shell per
poll on the peer (bench/ssh.py: ~36 ms with a plain shell; 0.2–0.4 s on the build
machine, whose root .bashrc runs ``pyenv init``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence

from hadeck.batch import KILL_AFTER_S, Frame, FrameError, parse_frames, remote_argv
from hadeck.runner import (
    _ENV_OVERRIDES,
    DEFAULT_TIMEOUT,
    MAX_OUTPUT_BYTES,
    SSH_OPTIONS,
    Command,
    CommandResult,
    LineStream,
    LocalRunner,
    Runner,
    _decoded,
    _first_line,
    _too_large,
    failure,
    file_result,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from hadeck.runner import ErrorKind

RETRY_S = 10.0
"""Seconds between background attempts to reach a peer that is down."""

BATCH_MARGIN_S = 5.0
"""Seconds a batch may take beyond its slowest command's timeout (connection, framing)."""

NEEDS_ROOT = frozenset({
    "crm_mon", "cibadmin", "drbdsetup", "drbdadm", "/lib/drbd/drbdsetup-84", "ipvsadm",
    "virsh", "xl", "vzlist", "corosync-cfgtool", "corosync-quorumtool", "vgs", "lvs",
})
"""Programs that answer root only (or a group a reading user may not be in): on a peer
read as another user (``sudo``), they run as ``sudo -n ARGV``. share/sudoers.d/hadeck
allows exactly the read-only command lines hadeck runs with them; /proc files, ``df`` and
``cat`` need no root."""

SUDO_HINT = "allow it in sudoers (share/sudoers.d/hadeck)"

_MASTER_COMMAND = "exec cat >/dev/null"
"""The master's own session on the node: it ends when hadeck's end of the pipe closes."""


def ssh_error(host: str, stderr: str) -> str:
    """The reason ssh gives for not reaching ``host``, in one line an operator can act on.

    A changed host key prints a banner of ``@`` lines and more; an unknown one a line
    about strict checking. Both are refused by ssh itself, and said plainly here.
    """
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr:
        return (f"ssh {host}: the host key has changed: refused (if the change is "
                f"expected, remove the old key with ssh-keygen -R and check the new one)")
    if "Host key verification failed" in stderr or "host key is known" in stderr:
        # BatchMode never asks: an unknown key (or one ssh_config tells to refuse) ends
        # here, with this line alone.
        return (f"ssh {host}: the host key is not in known_hosts, or not accepted: refused "
                f"(connect once by hand to check and accept it)")
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.startswith(("@", "Warning: Permanently added"))]
    return f"ssh {host}: {lines[-1][:200] if lines else 'connection failed'}"


class ControlDir:
    """A private directory (mode 0700) for the control sockets of one hadeck process.

    Its masters are closed by :meth:`close`, and at interpreter exit if nobody did.
    Under ``$XDG_RUNTIME_DIR`` when there is one, else the temporary directory.
    """

    def __init__(self) -> None:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        where = runtime if runtime and os.path.isdir(runtime) else None
        self.path = tempfile.mkdtemp(prefix="hadeck-ssh-", dir=where)  # 0700
        self._masters: list[Master] = []
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)

    def master(self, host: str, options: Sequence[str], env: dict[str, str],
               connect_timeout: float) -> Master:
        """A new master for ``host``, with a socket of its own here."""
        with self._lock:
            # Numbered, not named for the host: a socket path has ~100 bytes at most,
            # and a name from the cluster stays out of the file system.
            sock = os.path.join(self.path, f"m{len(self._masters)}")
            master = Master(host, options, sock, env, connect_timeout)
            self._masters.append(master)
            return master

    def close(self) -> None:
        """Close every master and remove the directory; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            masters = list(self._masters)
        for master in masters:
            master.close()
        shutil.rmtree(self.path, ignore_errors=True)
        atexit.unregister(self.close)


class Master:
    """The ssh master connection to one host, and whether the host is down.

    Args:
        host: what ssh connects to (a name ~/.ssh/config may map).
        options: ssh options before the host.
        sock: the control socket's path.
        env: the environment ssh runs in.
        connect_timeout: seconds to wait for the master to log in.
    """

    def __init__(self, host: str, options: Sequence[str], sock: str, env: dict[str, str],
                 connect_timeout: float) -> None:
        self.host = host
        self.sock = sock
        self._options = tuple(options)
        self._env = env
        self._connect_timeout = connect_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.connects = 0
        """Masters started (tests count them: one per peer, unless it went away)."""
        self.down_since: float | None = None
        """When the host was first found unreachable; None while it is reachable."""
        self.reason = ""
        self._next_try = 0.0
        self._retrying: threading.Thread | None = None

    def mux_options(self) -> tuple[str, ...]:
        """Options that make an ssh client use this master, never start one."""
        return ("-S", self.sock, "-o", "ControlMaster=no")

    def _up(self) -> bool:
        return (self._proc is not None and self._proc.poll() is None
                and os.path.exists(self.sock))

    def ensure(self) -> str | None:
        """Make sure the master is up; None when it is, else why the host is unreachable.

        The first time, and after a master that was up went away, this connects and
        waits (one connect timeout at most). A host that is down answers at once; a
        background attempt reconnects it every :data:`RETRY_S` seconds.
        """
        with self._lock:
            if self._closed:
                return f"ssh {self.host}: closed"
            if self._up():
                return None
            if self.down_since is None:
                error = self._connect()
                if error is None:
                    return None
                self.down_since, self.reason = time.time(), error
                self._next_try = time.monotonic() + RETRY_S
                return error
            if self._retrying is None and time.monotonic() >= self._next_try:
                self._retrying = threading.Thread(target=self._retry, daemon=True,
                                                  name=f"ssh-retry-{self.sock[-4:]}")
                self._retrying.start()
            since = time.strftime("%H:%M:%S", time.localtime(self.down_since))
            return f"{self.reason} (unreachable since {since}; retried in the background)"

    def lost(self, reason: str) -> None:
        """The connection stopped answering (a batch through it timed out): drop the
        master and count the host as down from now, so that the next reads do not wait
        on it again; the background retry reconnects it."""
        with self._lock:
            if self._closed or self.down_since is not None:
                return
            self._stop(ask=False)
            self.down_since, self.reason = time.time(), reason
            self._next_try = time.monotonic() + RETRY_S

    def _retry(self) -> None:
        with self._lock:
            if self._closed:
                return
        error = self._connect()
        with self._lock:
            if self._closed:
                self._stop()
            elif error is None:
                self.down_since, self.reason = None, ""
            else:
                self.reason = error
                self._next_try = time.monotonic() + RETRY_S
            self._retrying = None

    def _connect(self) -> str | None:
        """Start the master and wait until it listens; None, or why it did not."""
        self._stop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.sock)
        argv = ["ssh", *self._options, "-M", "-S", self.sock, "-o", "ControlPersist=no",
                "--", self.host, _MASTER_COMMAND]
        errors = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=errors, env=self._env, start_new_session=True)
        except OSError as exc:
            errors.close()
            return f"ssh {self.host}: {exc.strerror or exc}"
        self.connects += 1
        deadline = time.monotonic() + self._connect_timeout
        # ssh listens on the control socket once it has logged in.
        while not os.path.exists(self.sock):
            if proc.poll() is not None or time.monotonic() > deadline:
                timed_out = proc.poll() is None
                _end(proc, wait=0.0 if timed_out else 2.0)
                errors.seek(0)
                stderr = _decoded(errors.read(64 * 1024))
                errors.close()
                if timed_out:  # worded as any command's timeout over ssh
                    return (f"ssh {self.host}: ssh: timed out after "
                            f"{self._connect_timeout:g} s")
                return ssh_error(self.host, stderr)
            time.sleep(0.01)
        errors.close()
        self._proc = proc
        return None

    def _stop(self, ask: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # Ask only a master that answers: one whose connection hangs would not.
        if ask and proc.poll() is None and os.path.exists(self.sock):
            # Ask the master to end its sessions and go; then the pipe closes its session.
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(["ssh", *self._options, "-S", self.sock, "-O", "exit",
                                "--", self.host], stdin=subprocess.DEVNULL,
                               capture_output=True, env=self._env, timeout=5)
        _end(proc)

    def close(self) -> None:
        """Close the master connection; idempotent."""
        with self._lock:
            self._closed = True
            self._stop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.sock)


def _end(proc: subprocess.Popen[bytes], wait: float = 2.0) -> None:
    """Close the master's stdin (its session ends), then make sure the process is gone,
    with whatever it started (a ProxyCommand) in its session."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=wait)
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class SshRunner(Runner):
    """Runs commands on another node with the system ssh client.

    The remote command is one string for the remote shell, built with
    :func:`shlex.join`: names from the cluster stay data.

    Args:
        node: the node's name in the cluster.
        host: what ssh connects to (default: the node's name).
        options: ssh options before the host.
        via: the runner that starts ssh (a :class:`LocalRunner`; tests give a fake ssh).
        timeout: seconds a command may take.
        control: where this runner's master socket lives; None runs every command (or
            batch) as a connection of its own, as ssh does by itself.
        sudo: the login is not root: the sources' commands of :data:`NEEDS_ROOT` run as
            ``sudo -n ARGV`` (never a password prompt; a refusal is a ``permission``
            error that names the sudoers file).
    """

    def __init__(
        self,
        node: str,
        host: str | None = None,
        options: Sequence[str] = SSH_OPTIONS,
        via: Runner | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        control: ControlDir | None = None,
        sudo: bool = False,
    ) -> None:
        self.node = node
        self.sudo = sudo
        self._host = host or node
        self._options = tuple(options)
        self._via = via or LocalRunner()
        self.timeout = timeout
        self.master: Master | None = None
        if control is not None and isinstance(self._via, LocalRunner):
            self.master = control.master(self._host, self._options, self._via.env,
                                         connect_timeout=timeout)
        self._last: _Prefetched | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ one command

    def _ready(self) -> tuple[tuple[str, ...], str | None]:
        """The multiplexing options, or why the node cannot be reached."""
        if self.master is None:
            return (), None
        error = self.master.ensure()
        return (() if error else self.master.mux_options()), error

    def ssh_argv(self, argv: Sequence[str], mux: Sequence[str] = ()) -> tuple[str, ...]:
        """The local argv that runs ``argv`` on the node."""
        remote = shlex.join(["env", *(f"{k}={v}" for k, v in _ENV_OVERRIDES.items()), *argv])
        return ("ssh", *self._options, *mux, "--", self._host, remote)

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = tuple(argv)
        mux, down = self._ready()
        if down is not None:
            return failure(args, "unreachable", down)
        result = self._via.run(self.ssh_argv(argv, mux), timeout=self.limit(timeout),
                               input=input)
        # Too much output is the remote command's doing, not the node's reachability.
        if result.error == _too_large("ssh"):
            return failure(args, "failed", _too_large(args[0]), "", result.stderr,
                           result.duration)
        # Whatever keeps ssh itself from finishing — no ssh client, a connection that
        # hangs until the timeout — is the node's reachability, not the command's: one
        # reason for the whole node (see collect).
        if result.error is not None:
            return failure(args, "unreachable", f"ssh {self._host}: {result.error}",
                           result.stdout, result.stderr, result.duration)
        # ssh itself exits 255 when it cannot reach or log in to the host.
        if result.returncode == 255:
            return failure(args, "unreachable", ssh_error(self._host, result.stderr),
                           result.stdout, result.stderr, result.duration)
        # The remote command runs through env(1), which exits 127 for a missing program.
        if result.returncode == 127:
            return failure(args, "missing", f"{args[0]}: command not found on {self.node}",
                           result.stdout, result.stderr, result.duration)
        return CommandResult(args, result.stdout, result.stderr, result.returncode,
                             result.duration)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        if command.local is not None:
            # Gathered in process where hadeck runs (host facts with psutil): nothing of
            # hadeck runs on a peer.
            return failure(command.argv, "missing", f"{command.name}: gathered by hadeck "
                           f"itself, not run on {self.node}")
        if isinstance(self._via, LocalRunner):
            # A batch of one: the same timeout, sudo and error words as in a batch.
            return self.batch([command], timeout)[command]
        return super().fetch(command, timeout)

    # ------------------------------------------------------------------ batches

    def batch(self, commands: Sequence[Command], timeout: float | None = None
              ) -> dict[Command, CommandResult]:
        """Run ``commands`` on the node in one round trip (:mod:`hadeck.batch`).

        Never raises. Each command has ``timeout`` (the runner's when None) and its own
        result, as :meth:`fetch` would give it; when the batch as a whole fails (the node
        cannot be reached, the output is garbled), every command has that failure.
        """
        wanted = [c for c in commands if c.local is None and (c.path or c.argv)]
        if not wanted:
            return {}
        limit = self.limit(timeout)
        argvs = [("cat", c.path) if c.path is not None else c.argv for c in wanted]
        mux, down = self._ready()
        if down is not None:
            return {c: failure(a, "unreachable", down) for c, a in zip(wanted, argvs,
                                                                      strict=True)}
        via = self._via
        if not isinstance(via, LocalRunner):  # pragma: no cover - every real runner is
            return {c: self.fetch(c, timeout) for c in wanted}
        roots = [self._as_root(a) for a in argvs]
        remote = remote_argv([(limit, a) for a in argvs], MAX_OUTPUT_BYTES, roots)
        local = ("ssh", *self._options, *mux, "--", self._host, shlex.join(remote))
        result, data = via.run_raw(local, timeout=limit + KILL_AFTER_S + BATCH_MARGIN_S)
        whole = self._whole_batch_failure(result)
        if whole is None:
            try:
                frames = parse_frames(data, len(wanted))
            except FrameError as exc:
                whole = ("failed", f"ssh {self._host}: the batch's answer is unreadable: "
                                   f"{exc}")
        if whole is not None:
            kind, why = whole
            return {c: failure(a, kind, why, "", result.stderr, result.duration)
                    for c, a in zip(wanted, argvs, strict=True)}
        return {c: self._result(c, a, f, limit, root)
                for c, a, f, root in zip(wanted, argvs, frames, roots, strict=True)}

    def _as_root(self, argv: Sequence[str]) -> bool:
        return self.sudo and bool(argv) and argv[0] in NEEDS_ROOT

    def _whole_batch_failure(self, result: CommandResult) -> tuple[ErrorKind, str] | None:
        if result.error == _too_large("ssh"):
            return "failed", f"ssh {self._host}: the batch's output is larger than " \
                             f"{MAX_OUTPUT_BYTES // 2**20} MiB, not read"
        if result.error is not None:
            why = f"ssh {self._host}: {result.error}"
            if result.error_kind == "timeout" and self.master is not None:
                # Every command has its own timeout on the node: a batch that outlives
                # them all is a connection that stopped answering.
                self.master.lost(f"ssh {self._host}: no answer ({result.error})")
            return "unreachable", why
        if result.returncode == 255:
            return "unreachable", ssh_error(self._host, result.stderr)
        if result.returncode == 120:
            return "failed", f"ssh {self._host}: no temporary directory on the node " \
                             f"(mktemp -d failed): {_first_line(result.stderr)}"
        return None

    def _result(self, command: Command, argv: tuple[str, ...], frame: Frame,
                limit: float, sudo: bool = False) -> CommandResult:
        out, err = _decoded(frame.stdout), _decoded(frame.stderr)
        duration = round(frame.duration, 2)
        if frame.too_large:
            return failure(argv, "failed", _too_large(argv[0]), "", "", duration)
        code = frame.returncode
        if code is None:
            return failure(argv, "failed", f"{argv[0]}: ended without an exit status on "
                           f"{self.node}", out, err, duration)
        # timeout(1): 124 when it stopped the command, 137 when KILL had to.
        if code == 124 or (code == 137 and duration >= limit):
            return failure(argv, "timeout", f"{argv[0]}: timed out after {limit:g} s",
                           out, err, duration)
        if code == 127:
            return failure(argv, "missing", f"{argv[0]}: command not found on {self.node}",
                           out, err, duration)
        if sudo and code == 1 and err.startswith("sudo:") and not out:
            why = _first_line(err)
            return failure(argv, "permission", f"{argv[0]} via sudo on {self.node}: {why}; "
                           f"{SUDO_HINT}", out, err, duration)
        result = CommandResult(argv, out, err, code, duration)
        return file_result(command.path, result) if command.path is not None else result

    def prefetch(self, commands: Sequence[Command]) -> Runner:
        """A runner for one read that answers from one batch made now.

        The batch holds what the previous read fetched (of ``commands``), or all of
        ``commands`` the first time and after a read that did not reach the node.
        """
        if not isinstance(self._via, LocalRunner):
            return self
        with self._lock:
            last = self._last
        wanted = list(commands)
        if last is not None and last.reached:
            wanted = [c for c in commands if c in last.fetched]
        answered = _Prefetched(self, self.batch(wanted))
        with self._lock:
            self._last = answered
        return answered

    # ------------------------------------------------------------------ streams

    def stream(self, argv: Sequence[str]) -> LineStream:
        """Follow ``argv`` on the node through one ssh channel; closing ends it there too.

        Closing kills the local ssh client. The remote command has no terminal, so no
        hangup reaches it, and ``drbdsetup events2`` would only notice at its next write
        (SIGPIPE): on a quiet cluster, hours later, one left behind per dashboard run. So
        it runs under :data:`REMOTE_WATCHDOG`, which ends it when ssh's stdin closes (a
        pipe held open and never written). Not a pseudo-terminal (``ssh -tt``), which
        would hang it up too but mix its stderr into the lines.
        """
        mux, down = self._ready()
        if down is not None:
            return LineStream(argv, error=down)
        remote = ["sh", "-c", REMOTE_WATCHDOG, "hadeck-stream", *argv]
        via = self._via
        inner = (via.stream(self.ssh_argv(remote, mux), hold_stdin=True)
                 if isinstance(via, LocalRunner) else via.stream(self.ssh_argv(remote, mux)))
        return _SshStream(argv, inner, self._host, self.node)

    def close(self) -> None:
        """Close this node's master connection, if any."""
        if self.master is not None:
            self.master.close()


class _Prefetched(Runner):
    """One read of a node, answered from a batch; anything else runs on its own.

    Keeps what the read fetched, for the next batch.
    """

    def __init__(self, inner: SshRunner, answers: dict[Command, CommandResult]) -> None:
        self.inner = inner
        self.node = inner.node
        self.timeout = inner.timeout
        self._answers = answers
        self.fetched: set[Command] = set()
        self.reached = not any(r.error_kind == "unreachable" for r in answers.values())
        # The node's sources are then read one after the other, in its read's thread:
        # what they fetch is in the batch (each command's timeout ran on the node), but
        # for what the last read did not fetch (a fallback newly needed, a backup
        # repository's error log), which costs its own round trip.
        self.instant = self.reached
        self._lock = threading.Lock()

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        with self._lock:
            self.fetched.add(command)
            answer = self._answers.get(command)
        return answer if answer is not None else self.inner.fetch(command, timeout)

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout=timeout)

    def stream(self, argv: Sequence[str]) -> LineStream:
        return self.inner.stream(argv)


REMOTE_WATCHDOG = (
    'exec 3<&0; "$@" <&- 3<&- & pid=$!; '
    '(read -r _ <&3; kill "$pid") >/dev/null 2>&1 & watch=$!; '
    'exec 3<&-; wait "$pid"; code=$?; kill "$watch" 2>/dev/null; exit "$code"'
)
"""The remote side of an ssh stream, for ``sh -c`` with the command as its arguments:
run the command, and kill it as soon as stdin — the ssh channel — reaches its end, which
happens when the local ssh client is killed or the connection is lost. A fixed script;
the command stays data in ``"$@"`` (quoted by :func:`shlex.join` like every remote
command). Its exit status is the command's."""


class _SshStream(LineStream):
    """A stream through ssh: the lines as they come; ssh's failures named as ``run`` does."""

    def __init__(self, argv: Sequence[str], inner: LineStream, host: str, node: str) -> None:
        super().__init__(argv)
        self._inner = inner
        self._host = host
        self._node = node
        if inner.error is not None:
            self.error = f"ssh {host}: {inner.error}"

    def __next__(self) -> str:
        try:
            return next(self._inner)
        except StopIteration:
            self._finish()
            raise

    def close(self) -> None:
        super().close()
        self._inner.close()

    def _finish(self) -> None:
        inner = self._inner
        code = inner.returncode
        self.returncode = code
        if self.error is not None or self.closed or inner.closed:
            return
        if code == 255:
            self.error = ssh_error(self._host, inner.stderr)
            self.returncode = None
        elif code == 127:
            self.error = f"{self.argv[0]}: command not found on {self._node}"
            self.returncode = None
        elif inner.error is not None:
            self.error = inner.error.replace("ssh exited", f"{self.argv[0]} exited", 1)
