"""Reading a whole cluster into one :class:`~hadeck.model.ClusterState`.

An :class:`Access` says how to reach the cluster: a runner for the local node and one for
any other node. Live, that is the local machine plus ssh; from a bundle, the recorded
outputs; in the lab, the simulated cluster. :func:`collect` is the same for all three:
Pacemaker on the local node tells who is in the cluster, every node's own facts (host,
DRBD, guests, corosync, LVS and keepalived) are read, and guests are joined to their
resources. A source that fails leaves its reason in ``state.sources``; the rest still
shows.

Everything that can run at once does: Pacemaker and the nodes known without it (a lab's
or a bundle's, the local node, the configured extra nodes and directors), then the
members Pacemaker named; within a node, after the host read that tells whether the node
can be reached at all, its five other sources. A hung tool therefore costs
about one timeout of the whole read, not the sum of every timeout in a row, and a tool
that hung is not run again within the same read (:class:`OnceHungRunner`). What is
answered from memory needs no thread (threads only contend for the interpreter): a
bundle's nodes are read one after the other, and a node whose runner answers from
memory (:attr:`~hadeck.runner.Runner.instant`: a bundle, an ssh batch that reached it)
has its sources read in its own thread.

A node's read starts with ``runner.prefetch(node_commands())``: over ssh that is the
node's one round trip of the poll (a batch on its master connection, :mod:`hadeck.ssh`),
and the sources' fetches are answered from it; locally, from a bundle or in the lab it
changes nothing.

**Progress.** ``collect(on_progress=)`` hands over a :class:`Partial` state as soon as
the local Pacemaker view is read, and again as each node's sources arrive, while other
nodes are still being read: the dashboard shows the cluster as it comes in, and a slow
peer delays only its own rows. The Pacemaker view never waits for a peer (it is read on
the local node, beside the nodes). The complete state is :func:`collect`'s return value,
not a call of the callback.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from types import ModuleType

from hadeck.model import ClusterState
from hadeck.record import FACTORY, field, record, replace
from hadeck.runner import (
    Command,
    CommandResult,
    LineStream,
    LocalRunner,
    Runner,
    failure,
)
from hadeck.sources.base import Clock, Reading

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

    from concurrent.futures import Future, ThreadPoolExecutor

    from hadeck.config import Config

    # Types only: hadeck.model imports an area's classes when first used (a check
    # plugin reads one area).
    from hadeck.model import (
        BackupRepo,
        CorosyncStatus,
        DrbdResource,
        Guest,
        HostMetrics,
        LvmReport,
        LvsDirector,
        PacemakerState,
        SnmpReading,
        SourceStatus,
        VrrpInstance,
    )
    from hadeck.snmp.agent import SnmpAgent
    from hadeck.snmp.poller import Answers
    from hadeck.sources.backups import RepoSpec
    from hadeck.ssh import ControlDir, SshRunner


NODE_SOURCES = ("host", "drbd", "guests", "corosync", "lvs", "keepalived", "lvm")
"""A node's own sources, in reading order (the host first: it tells a dead node)."""


def source_module(name: str) -> ModuleType:
    """The module of a source (``pacemaker`` or one of :data:`NODE_SOURCES`).

    Imported when first asked for: a check plugin reads one or two sources, and importing
    all seven (with their regexes and model classes) cost it ~50 ms a start (issue 15).
    """
    return __import__(f"hadeck.sources.{name}", fromlist=["read"])

MAX_PARALLEL = 16
"""Nodes read at once; ssh round trips dominate, not CPU. Each node's sources are read
at once too (:func:`_read_node`)."""
NOT_POLLED = "followed live by the caller: not polled"
"""The DRBD source's detail on a node the caller said it follows (``skip_drbd``)."""


class Access:
    """How hadeck reaches a cluster: a runner per node."""

    origin = "live"
    instant = False
    """Every answer is there already (a bundle): nothing can hang, no thread is needed."""

    def __init__(self, local: Runner) -> None:
        self.local = local

    def runner(self, node: str) -> Runner:
        raise NotImplementedError

    def nodes(self) -> tuple[str, ...] | None:
        """The nodes to read, when the access knows them (a bundle does); else None."""
        return None

    def frozen_at(self) -> float | None:
        """The time a replayed state was taken; None for a live one."""
        return None

    def close(self) -> None:
        """Let go of what the access holds open (ssh connections); the default has none."""

    def snmp_answers(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        """What each SNMP agent answers: polled now (a bundle replays its recording)."""
        from hadeck.snmp.poller import poll_answers

        return poll_answers(agents)


class LiveAccess(Access):
    """This machine, and the other nodes over the system ssh client.

    Each peer has one ssh master connection for as long as this access lives (closed by
    :meth:`close`, or at exit), its control socket in a private directory
    (:class:`hadeck.ssh.ControlDir`).
    """

    def __init__(self, config: Config | None = None, local: Runner | None = None) -> None:
        if config is None:
            from hadeck.config import Config

            config = Config()
        super().__init__(local or LocalRunner(timeout=config.timeout))
        self.config = config
        self._peers: dict[str, SshRunner] = {}
        self._control: ControlDir | None = None
        self._lock = threading.Lock()

    def runner(self, node: str) -> Runner:
        if node == self.local.node:
            return self.local
        with self._lock:  # nodes are read in parallel: one runner, one master per peer
            if node not in self._peers:
                from hadeck.ssh import ControlDir, SshRunner

                if self._control is None:
                    self._control = ControlDir()
                sudo = node in self.config.ssh_sudo or "*" in self.config.ssh_sudo
                self._peers[node] = SshRunner(node, options=self.config.ssh_options,
                                              timeout=self.config.timeout,
                                              control=self._control, sudo=sudo)
            return self._peers[node]

    def close(self) -> None:
        """Close every peer's ssh connection (a later read opens them again)."""
        with self._lock:
            control, self._control = self._control, None
            self._peers.clear()
        if control is not None:
            control.close()


def is_unreachable(reading: Reading[Any]) -> bool:
    """Whether a source failed because the node itself could not be reached.

    The runner says so (``error_kind`` ``unreachable``: ssh could not connect, log in or
    finish, or the lab node is down); the message is not read.
    """
    return reading.error_kind == "unreachable"


class OnceHungRunner(Runner):
    """A runner for one read of one node: a tool that hung is not run again in it.

    Sources fall back from one form of a tool to another (``crm_mon --output-as=xml``,
    then ``--as-xml``; ``ipvsadm -Ln``, then ``--stats``, ``--rate``). After the tool
    hung once, the next call would only hang as long again: a poll took the sum of the
    timeouts (a hung drbdsetup: 22 s). Here a program or file that timed out answers
    every later call at once, with the same kind of failure, so a read costs at most one
    timeout per tool. The next read (a new wrapper) tries it again.

    Args:
        inner: the node's runner.
    """

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.node = inner.node
        self.local = inner.local
        self.timeout = inner.timeout
        self.instant = inner.instant
        self._hung: dict[str, CommandResult] = {}
        self._lock = threading.Lock()

    def _hung_before(self, tool: str, argv: Sequence[str]) -> CommandResult | None:
        with self._lock:
            earlier = self._hung.get(tool)
        if earlier is None:
            return None
        return failure(argv, earlier.error_kind or "timeout",
                       f"{tool}: not run again, it hung already in this read "
                       f"({earlier.error})")

    def _note(self, tool: str, result: CommandResult) -> CommandResult:
        # Over ssh a command that hangs is ssh that does not finish: "unreachable".
        if result.error_kind in ("timeout", "unreachable"):
            with self._lock:
                self._hung.setdefault(tool, result)
        return result

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        tool = argv[0] if argv else ""
        return self._hung_before(tool, argv) or self._note(
            tool, self.inner.run(argv, timeout=timeout, input=input))

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self._hung_before(path, ("cat", path)) or self._note(
            path, self.inner.read_file(path, timeout=timeout))

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        tool = command.path if command.path is not None else (command.argv or ("",))[0]
        argv = command.argv if command.path is None else ("cat", command.path)
        return self._hung_before(tool, argv) or self._note(
            tool, self.inner.fetch(command, timeout=timeout))

    def stream(self, argv: Sequence[str]) -> LineStream:
        return self.inner.stream(argv)


def node_commands(read_drbd: bool = True,
                  repos: Sequence[RepoSpec] = ()) -> tuple[Command, ...]:
    """Everything a read of one node's own facts may fetch (its batch over ssh): the
    sources' commands, less the host facts gathered in process; LVM's JSON form only (an
    old LVM's column form is fetched when that fails), and the first reads of the
    backup repositories the node holds."""
    names = [n for n in NODE_SOURCES if (read_drbd or n != "drbd") and n != "lvm"]
    return (*(c for n in names for c in source_module(n).COMMANDS if c.local is None),
            *source_module("lvm").PREFETCH, *source_module("backups").commands(repos))


@record()
class _NodeFacts:
    statuses: list[SourceStatus] = field(default_factory=list)
    drbd: tuple[DrbdResource, ...] = ()
    guests: tuple[Guest, ...] = ()
    host: HostMetrics | None = None
    lvs: LvsDirector | None = None
    vrrp: tuple[VrrpInstance, ...] = ()
    corosync: CorosyncStatus | None = None
    lvm: LvmReport | None = None
    backups: tuple[BackupRepo, ...] = ()

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("statuses", "drbd", "guests", "host", "lvs", "vrrp", "corosync", "lvm",
                      "backups")

    def __init__(self, statuses: list[SourceStatus] = FACTORY, drbd: tuple[DrbdResource, ...] = (),
                 guests: tuple[Guest, ...] = (), host: HostMetrics | None = None,
                 lvs: LvsDirector | None = None, vrrp: tuple[VrrpInstance, ...] = (),
                 corosync: CorosyncStatus | None = None, lvm: LvmReport | None = None,
                 backups: tuple[BackupRepo, ...] = ()) -> None:
        object.__setattr__(self, "statuses", list() if statuses is FACTORY else statuses)
        object.__setattr__(self, "drbd", drbd)
        object.__setattr__(self, "guests", guests)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "lvs", lvs)
        object.__setattr__(self, "vrrp", vrrp)
        object.__setattr__(self, "corosync", corosync)
        object.__setattr__(self, "lvm", lvm)
        object.__setattr__(self, "backups", backups)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(statuses={self.statuses!r}, drbd={self.drbd!r}, "
                f"guests={self.guests!r}, host={self.host!r}, lvs={self.lvs!r}, "
                f"vrrp={self.vrrp!r}, corosync={self.corosync!r}, lvm={self.lvm!r}, "
                f"backups={self.backups!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.statuses, self.drbd, self.guests, self.host, self.lvs, self.vrrp,
                 self.corosync, self.lvm, self.backups)
                == (other.statuses, other.drbd, other.guests, other.host, other.lvs, other.vrrp,
                    other.corosync, other.lvm, other.backups))
    # End of generated code.


def repos_on(config: Config, node: str, local: str) -> tuple[RepoSpec, ...]:
    """The configured backup repositories that ``node`` holds (no node named: the
    local one)."""
    return tuple(r for r in config.backup_repos if (r.node or local) == node)


def _read_node(node_runner: Runner, director: bool, read_drbd: bool = True,
               repos: Sequence[RepoSpec] = ()) -> _NodeFacts:
    """Every source of one node: the host first, then the others at once.

    The host read comes first because it tells a node that cannot be reached: then one
    ``node`` error says so, instead of six, and no more connections are tried. The others
    run in parallel, so the slowest sets the time, not the sum of them: a hung tool costs
    one timeout, and the node's other sources still answer. A runner that answers from
    memory (:attr:`~hadeck.runner.Runner.instant`) is read in this thread, one source
    after the other.
    """
    runner = OnceHungRunner(node_runner.prefetch(node_commands(read_drbd, repos)))
    facts = _NodeFacts()
    host_reading = source_module("host").read(runner)
    if is_unreachable(host_reading):
        # One reason for a dead node, not six: every other command would fail the same way.
        facts.statuses.append(replace(host_reading.status, source="node"))
        return facts

    def not_polled(_: Runner) -> Reading[tuple[DrbdResource, ...]]:
        return Clock("drbd", runner.node).done((), detail=NOT_POLLED)

    readers: dict[str, Callable[[Runner], Reading[Any]]] = {
        name: source_module(name).read for name in NODE_SOURCES[1:]}
    if not read_drbd:
        readers["drbd"] = not_polled
    if repos:
        read_repos = source_module("backups").read
        readers["backups"] = lambda r: read_repos(r, repos)
    if runner.instant:  # nothing to wait for: no thread to wait in
        readings = {name: read(runner) for name, read in readers.items()}
    else:
        pool = _source_pool()
        futures = {name: pool.submit(read, runner) for name, read in readers.items()}
        readings = {name: future.result() for name, future in futures.items()}

    def take(reading: Reading[Any]) -> Any:
        facts.statuses.append(reading.status)
        return reading.value

    facts.host = take(host_reading)
    facts.drbd = take(readings["drbd"]) or ()
    facts.guests = take(readings["guests"]) or ()
    facts.corosync = take(readings["corosync"])
    facts.lvm = take(readings["lvm"])
    if repos:
        facts.backups = take(readings["backups"]) or ()
    director_reading, vrrp_reading = readings["lvs"], readings["keepalived"]
    facts.lvs = director_reading.value
    facts.vrrp = vrrp_reading.value or ()
    if director or (facts.lvs is not None and facts.lvs.services) or facts.vrrp:
        facts.statuses += [director_reading.status, vrrp_reading.status]
    elif director_reading.status.error is not None:
        facts.statuses.append(director_reading.status)
    return facts


SOURCE_THREADS = 8 * (MAX_PARALLEL + 1)
"""Threads reading sources at once, every node's together (each node reads up to eight
at once: its sources and backup repositories)."""
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _source_pool() -> ThreadPoolExecutor:
    """The threads that read the nodes' sources, kept from one read to the next.

    A dashboard reads every node's sources every second: a pool per node and read
    started and ended ~120 threads a poll on 17 nodes (~10 ms of CPU). Threads are made
    as the reads need them and then wait for the next; a hung tool holds one until its
    runner's timeout, as it held one of its node's pool before.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=SOURCE_THREADS,
                                       thread_name_prefix="read-source")
        return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of the parent's threads: it makes its own


os.register_at_fork(after_in_child=_forget_pool)


def nodes_to_read(
    access: Access, pcmk: PacemakerState | None, config: Config
) -> tuple[str, ...]:
    """The local node first, then the cluster's nodes (if peers are read), then extras."""
    known = access.nodes()
    if known is not None:
        ordered = [access.local.node, *known]
    else:
        ordered = [access.local.node]
        if config.peers != "none" and pcmk is not None:
            ordered += [n.name for n in pcmk.nodes if n.type in ("member", "remote")]
        ordered += [*config.extra_nodes, *config.directors]
    return tuple(dict.fromkeys(ordered))


@record(frozen=True)
class Partial:
    """A read in progress: what has arrived, and the nodes still being read."""

    state: ClusterState
    """Pacemaker and the nodes read so far (a pending node has no objects and no sources;
    the SNMP agents' readings come with the complete state)."""
    pending: tuple[str, ...]
    """The nodes whose sources have not arrived yet, in reading order."""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("state", "pending")

    def __init__(self, state: ClusterState, pending: tuple[str, ...]) -> None:
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "pending", pending)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(state={self.state!r}, pending={self.pending!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.state, self.pending) == (other.state, other.pending)

    def __hash__(self) -> int:
        return hash((self.state, self.pending))
    # End of generated code.


Progress = Callable[[Partial], None]
"""Called with each :class:`Partial` of a read (in the caller's thread, one at a time)."""


def collect(
    access: Access,
    config: Config | None = None,
    only: Sequence[str] | None = None,
    clock: Callable[[], float] = time.time,
    skip_drbd: Collection[str] = (),
    snmp: bool = False,
    on_progress: Progress | None = None,
    progress_after: float = 0.0,
) -> ClusterState:
    """Read every source once and return the state.

    Args:
        access: how to reach the nodes.
        config: site configuration (nodes, directors); the defaults when None.
        only: restrict to these node names (the check plugins read just the local node).
        clock: the time source for ``taken_at``.
        skip_drbd: nodes whose DRBD the caller follows live (the dashboard's events2
            streams): not read, their DRBD source says so and has no resources.
        snmp: poll the configured SNMP agents too (``[snmp.agents]``; a bundle replays
            their answers). Off by default: a check plugin must not load pysnmp.
        on_progress: called with a :class:`Partial` once Pacemaker is read and after
            each node's sources arrive while others are still pending (none for the
            last: the complete state is returned). A callback's exception ends the read.
        progress_after: call ``on_progress`` only once the read has taken this many
            seconds, and then at most once every so many, with all that arrived since
            (0: at each arrival). A read done sooner hands over its complete state only:
            each partial costs the caller a judgement and a drawing, and a quick read
            has nothing to show early.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from hadeck.config import Config

    config = config or Config()
    taken_at = clock()
    directors = set(config.directors)
    wanted = None if only is None else set(only)
    with (_Inline() if access.instant else
          ThreadPoolExecutor(max_workers=MAX_PARALLEL + 1, thread_name_prefix="collect")
          ) as pool:
        # Pacemaker says who the members are; the nodes known without it are read
        # meanwhile, so a hung crm_mon and a hung tool on a node cost one timeout, not two.
        pcmk_future = pool.submit(source_module("pacemaker").read,
                                  OnceHungRunner(access.local))
        snmp_future = pool.submit(_read_snmp, access, config.snmp_agents) \
            if snmp and config.snmp_agents else None
        started: dict[str, Future[_NodeFacts]] = {}

        def start(names: Iterable[str]) -> None:
            for n in names:
                if n not in started and (wanted is None or n in wanted):
                    started[n] = pool.submit(_read_node, access.runner(n), n in directors,
                                             n not in skip_drbd,
                                             repos_on(config, n, access.local.node))

        start(nodes_to_read(access, None, config))
        waiting: set[Future[Any]] = {pcmk_future, *started.values()}
        pcmk_reading: Reading[PacemakerState] | None = None
        nodes: tuple[str, ...] = ()
        due = time.monotonic() + progress_after
        """When the next partial may be handed over."""
        shown = -1
        """Nodes arrived at the last partial handed over (-1: none handed over yet)."""
        timeout: float | None = None
        while waiting:
            _, waiting = wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
            timeout = None
            if pcmk_reading is None and pcmk_future.done():
                pcmk_reading = pcmk_future.result()
                nodes = nodes_to_read(access, pcmk_reading.value, config)
                if wanted is not None:
                    nodes = tuple(n for n in nodes if n in wanted)
                start(nodes)
                waiting |= {started[n] for n in nodes if not started[n].done()}
            if on_progress is None or pcmk_reading is None:
                continue  # nothing to show before the Pacemaker view
            pending = tuple(n for n in nodes if not started[n].done())
            if not pending or len(nodes) - len(pending) == shown:
                continue  # the complete state is the return value; or nothing new
            now = time.monotonic()
            if now < due:
                timeout = due - now  # wake then, to hand over what arrived by then
                continue
            arrived = [started[n].result() for n in nodes if n not in pending]
            on_progress(Partial(_assemble(access, pcmk_reading, arrived, taken_at,
                                          skip_drbd=skip_drbd), pending))
            shown, due = len(arrived), time.monotonic() + progress_after
        assert pcmk_reading is not None  # waited for above
        per_node = [started[n].result() for n in nodes]
        snmp_readings = snmp_future.result() if snmp_future is not None else ()
    return _assemble(access, pcmk_reading, per_node, taken_at, config.snmp_agents,
                     snmp_readings, skip_drbd)


class _Inline:
    """An executor for an access whose every answer is there already (a bundle): each
    call runs at once, in the caller's thread (``collect`` then hands over no partial:
    the read is done before it could)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        from concurrent.futures import Future

        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # raised by result(), as a pool's future would
            future.set_exception(exc)
        return future


def read_local(access: Access, sources: Collection[str], director: bool = False,
               clock: Callable[[], float] = time.time,
               repos: Sequence[RepoSpec] = ()) -> ClusterState:
    """The local node's state for a check plugin: only ``sources``, no peer, no pool.

    What :func:`collect` with ``only=(local node,)`` reads, less what the check does not
    judge: a source not named is neither imported nor run (no host read first: a check
    reads its own node, which the host read would only find reachable). The sources
    named read at once, each in a thread of its own, so a hung tool costs one timeout,
    not one per source; concurrent.futures is not needed for that (~1 ms a start).

    Args:
        access: how to reach the node (its ``local`` runner is read).
        sources: ``pacemaker``, ``backups`` and any of :data:`NODE_SOURCES`.
        director: the node is a configured LVS director (its LVS and keepalived sources
            then always report, as in :func:`collect`).
        clock: the time source for ``taken_at``.
        repos: the backup repositories this node holds (read when ``backups`` is named).
    """
    taken_at = clock()
    runner = OnceHungRunner(access.local)
    names = [n for n in ("pacemaker", *NODE_SOURCES) if n in sources]
    calls = [_reader(n, runner) for n in names]
    if "backups" in sources and repos:
        read_repos = source_module("backups").read
        names.append("backups")
        calls.append(lambda: read_repos(runner, repos))
    results = [call() for call in calls] if access.instant else at_once(calls)
    readings = dict(zip(names, results, strict=True))
    facts = _NodeFacts()
    for name in NODE_SOURCES:
        reading = readings.get(name)
        if reading is None:
            continue
        if name in ("lvs", "keepalived"):
            continue  # below, as _read_node keeps them
        facts.statuses.append(reading.status)
        value = reading.value
        if name == "host":
            facts.host = value
        elif name == "corosync":
            facts.corosync = value
        elif name == "lvm":
            facts.lvm = value
        else:
            setattr(facts, name, value or ())
    if "backups" in readings:
        facts.statuses.append(readings["backups"].status)
        facts.backups = readings["backups"].value or ()
    director_reading, vrrp_reading = readings.get("lvs"), readings.get("keepalived")
    facts.lvs = director_reading.value if director_reading else None
    facts.vrrp = (vrrp_reading.value if vrrp_reading else None) or ()
    shown = director or (facts.lvs is not None and facts.lvs.services) or facts.vrrp
    for reading in (director_reading, vrrp_reading):
        if reading is not None and (shown or reading.status.error is not None):
            facts.statuses.append(reading.status)
    return _assemble(access, readings.get("pacemaker"), [facts], taken_at)


def _reader(name: str, runner: Runner) -> Callable[[], Reading[Any]]:
    read: Callable[[Runner], Reading[Any]] = source_module(name).read
    return lambda: read(runner)


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Every call's result, the calls run in threads of their own (one runs inline).

    Raises:
        BaseException: the first call's exception, after every call has finished.
    """
    if len(calls) == 1:
        return [calls[0]()]
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], T]) -> None:
        try:
            results[i] = call()
        except BaseException as exc:  # raised in the caller's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _assemble(access: Access, pcmk_reading: Reading[PacemakerState] | None, per_node:
              Sequence[_NodeFacts], taken_at: float, agents: Sequence[SnmpAgent] = (),
              snmp_readings: tuple[SnmpReading, ...] = (),
              skip_drbd: Collection[str] = ()) -> ClusterState:
    """The state of what was read: Pacemaker, the nodes' facts in reading order, SNMP.
    The LVM of a node whose DRBD was not read (``skip_drbd``) is left unjoined: the
    caller joins it with the DRBD it follows (:func:`hadeck.sources.lvm.join_drbd`)."""
    pcmk = pcmk_reading.value if pcmk_reading is not None else None
    statuses = [pcmk_reading.status] if pcmk_reading is not None else []
    all_drbd: list[DrbdResource] = []
    all_guests: list[Guest] = []
    hosts: list[HostMetrics] = []
    directors_seen: list[LvsDirector] = []
    rings: list[CorosyncStatus] = []
    reports: list[LvmReport] = []
    repos: list[BackupRepo] = []
    for facts in per_node:
        if facts.lvm is not None:
            reports.append(facts.lvm)
        repos += facts.backups
        statuses += facts.statuses
        all_drbd += facts.drbd
        all_guests += facts.guests
        if facts.host is not None:
            hosts.append(facts.host)
        if facts.corosync is not None:
            rings.append(facts.corosync)
        if facts.lvs is not None and (facts.lvs.services or facts.vrrp):
            directors_seen.append(replace(facts.lvs, vrrp=facts.vrrp))
    hosts += _snmp_hosts(agents, snmp_readings, {h.node for h in hosts})
    state = ClusterState(
        taken_at=taken_at,
        local_node=access.local.node,
        pacemaker=pcmk,
        drbd=tuple(all_drbd),
        guests=_joined_guests(all_guests, pcmk),
        lvs=tuple(directors_seen),
        corosync=_named_rings(rings, pcmk),
        hosts=tuple(hosts),
        snmp=snmp_readings,
        sources=tuple(statuses),
        origin=access.origin,
        lvm=_lvm_joined(reports, all_drbd, skip_drbd),
        backups=tuple(repos),
    )
    if state.pacemaker is not None:  # the only secrets: a plugin of another area skips it
        from hadeck.redact import redact_state

        state = redact_state(state)  # no face ever holds a secret (hadeck/redact.py)
    frozen = access.frozen_at()
    return state if frozen is None else freeze(state, frozen)


def _lvm_joined(reports: Sequence[LvmReport], drbd: Sequence[DrbdResource],
                skip: Collection[str] = ()) -> tuple[LvmReport, ...]:
    """Each node's LVM with the DRBD resources on its volumes (the LVM source is imported
    only when a node reported LVM: a check of another area never loads it); a node in
    ``skip`` as read."""
    if not reports:
        return ()
    join = source_module("lvm").join_drbd
    return tuple(report if report.node in skip else join(report, drbd)
                 for report in reports)


def _joined_guests(guests: list[Guest], pcmk: PacemakerState | None) -> tuple[Guest, ...]:
    """:func:`hadeck.join.join_guests`, imported only when there are guests (issue 15)."""
    if not guests:
        return ()
    from hadeck.join import join_guests

    return join_guests(guests, pcmk)


def _named_rings(rings: list[CorosyncStatus], pcmk: PacemakerState | None
                 ) -> tuple[CorosyncStatus, ...]:
    """:func:`hadeck.join.name_corosync_peers`, imported only when corosync was read."""
    if not rings:
        return ()
    from hadeck.join import name_corosync_peers

    return name_corosync_peers(rings, pcmk)


def _snmp_hosts(agents: Sequence[SnmpAgent], readings: Sequence[SnmpReading],
                read: set[str]) -> list[HostMetrics]:
    """Host facts of the ``node`` agents that answered, for nodes ssh did not read (ssh
    not allowed there, or ``peers = "none"``); a node read over ssh keeps those."""
    if not readings:
        return []
    from hadeck.snmp.parse import host_metrics

    found = []
    for agent, reading in zip(agents, readings, strict=True):
        if agent.role == "node" and reading.ok and agent.name not in read:
            found.append(host_metrics(agent.name, reading))
    return found


def _read_snmp(access: Access, agents: Sequence[SnmpAgent]) -> tuple[SnmpReading, ...]:
    from hadeck.snmp.poller import reading

    return tuple(reading(a) for a in access.snmp_answers(agents))


def freeze(state: ClusterState, at: float) -> ClusterState:
    """A replayed state as of when it was recorded: its time and its sources' times."""
    return replace(
        state,
        taken_at=at,
        sources=tuple(replace(s, read_at=at) for s in state.sources),
    )
