"""Polling: read the cluster off the UI thread and hand the result over as one message.

:class:`Poller` is the headless part, run inside the app's thread worker: it calls
:func:`~hadeck.collect.collect`, judges the state with the shared health rules, remembers
since when each problem has been seen, diffs the state against the previous one into
events (appended to the :class:`~hadeck.watch.eventlog.EventLog` right there, so no event is
lost when the UI drops an intermediate snapshot), and returns a :class:`Snapshot`.

**Last good values.** A source that fails on a node (garbage, timeout, a missing tool)
gives no data for that node. The core says so honestly (an error, no objects); the
dashboard keeps showing the previous poll's objects of that source and node instead
(:func:`carry_over`), marked stale with the time they were read (``Snapshot.kept``), while
the error shows. An operator at 3 a.m. is better served by "vm1 was running on jupiter2
40 s ago, and virsh fails now" than by an empty table. An unreachable node is the
exception: it is down or cut off, Pacemaker moves its resources, and its last facts would
contradict where things run now.

**Live DRBD.** :meth:`Poller.apply_drbd` takes a node's DRBD resources from the events2
stream (:mod:`hadeck.tui.drbdstream`) between polls: judged, diffed into events and
returned as a new snapshot at once. While a node's stream is live it is the authority on
that node's DRBD: a poll does not read that node's DRBD at all (``collect(skip_drbd=)``),
and a node whose stream started during a poll keeps the stream's newer state, so the
screen never flaps back. A stream that ends mid-poll leaves its last state for that poll;
the next one reads the node again.

**As it arrives.** ``poll(on_partial=)`` publishes a snapshot each time
:func:`~hadeck.collect.collect` reports progress: first the local Pacemaker view and the
nodes already read, then each node as its sources arrive. A node still being read
(``Snapshot.pending``) shows its last good data, kept as a failed source's is (marked in
``kept`` with the time it was read), so a slow peer holds back only its own freshness,
never the screen. A peer that cannot be reached is said so by its ``node`` error (over ssh
at once, after its first timeout: "unreachable since …") and, as above, keeps nothing.

The dashboard carries each snapshot to its UI thread in a Textual message
(:class:`hadeck.tui.messages.Polled`); nothing here imports Textual, so the actions'
"wait until settled", the probes' loop or another face can run the same loop.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from hadeck.collect import Access, Partial, collect
from hadeck.config import Config
from hadeck.health import Judgement, Memo, judge, service_subject
from hadeck.join import join_guests
from hadeck.model import ClusterState, DrbdResource, SourceStatus
from hadeck.probes.prober import PingProber, probe_state, prober_for
from hadeck.sources.lvm import join_drbd
from hadeck.watch.eventlog import EventLog
from hadeck.watch.events import Event, diff

Clock = Callable[[], float]

DEFAULT_INTERVAL = 2.0
SSH_INTERVAL = 5.0
"""Over SSH every repaint crosses the network: poll (and so repaint) less often."""
STALE_AFTER = 3
"""Data older than this many refresh intervals is marked stale."""
STREAM_DETAIL = "drbdsetup events2 --statistics (live stream)"
"""The DRBD source's detail while a node's events2 stream feeds it."""

HISTORY = 20
"""Polls of LVS connection rates kept per service and real server (the sparklines): as
many as a sparkline cell shows. Bounded by size (a deque each), and a service or real
server that is gone is dropped with its series, so a dashboard left open for weeks holds
20 floats per row on the LVS screen, never more.

Everything else the poller keeps across polls is replaced each poll (the last snapshot,
the problems' first-seen times, the judged verdicts of :class:`~hadeck.health.Memo`) or
keyed by (source, node) and stream node; the events live in the bounded
:class:`~hadeck.watch.eventlog.EventLog` (tests/tui/test_soak.py, bench/soak.py)."""

SourceKey = tuple[str, str]
"""(source, node), as in :class:`~hadeck.model.SourceStatus`."""


def over_ssh() -> bool:
    """Whether the dashboard runs in an SSH session (sshd sets SSH_CONNECTION)."""
    return bool(os.environ.get("SSH_CONNECTION"))


def default_interval() -> float:
    """``$HADECK_INTERVAL`` seconds if set, else 2 s, or 5 s over SSH."""
    env = os.environ.get("HADECK_INTERVAL")
    if env:
        try:
            value = float(env)
        except ValueError:
            value = 0.0
        if value > 0:
            return max(0.2, value)
    return SSH_INTERVAL if over_ssh() else DEFAULT_INTERVAL


PARTIAL_AFTER = 1.0
"""Seconds a dashboard's poll runs before it shows what has arrived (then at most once
every so many): a slow peer holds back only its own rows, and a poll done sooner is
judged and drawn once, not once per node (on 17 nodes that doubled a poll's CPU)."""

CPU_BUDGET = 0.10
"""The share of one core a dashboard may take between polls (issue #15: under 10 %)."""
MAX_STRETCH = 5.0
"""The refresh is never stretched past this many times the configured interval."""


def refresh_delay(interval: float, cycle_cpu: float, cycle_wall: float,
                  budget: float = CPU_BUDGET) -> float:
    """Seconds to wait before the next poll: the configured interval, or longer when the
    last poll cost more than ``budget`` of a core over a whole cycle.

    On a small cluster a poll costs a few milliseconds and the interval holds; on 16 nodes
    with 500 guests a poll (reading, judging, diffing, drawing) costs ~150 ms of CPU, which
    at a 1 s refresh is 15 % of a core: the refresh stretches to ~1.5 s instead, in
    proportion to the cluster's size.

    Args:
        interval: the configured seconds between polls.
        cycle_cpu: the process's CPU seconds while a poll ran (reading in every thread,
            judging, planning the shown screen's rows; the dashboard gives the median of
            the last three).
        cycle_wall: the seconds the poll took.
        budget: the share of one core to stay under.
    """
    wanted = cycle_cpu / budget - cycle_wall
    return min(max(interval, wanted), interval * MAX_STRETCH)


def problem_key(area: str, subject: str, occurrence: int) -> str:
    """A stable id for a problem row; ``occurrence`` tells apart two verdicts on one subject."""
    return f"{area}|{subject}|{occurrence}"


def problem_keys(judgement: Judgement) -> list[str]:
    """One key per problem of ``judgement.problems()``, in the same order."""
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for v in judgement.problems():
        n = seen.get((v.area, v.subject), 0)
        seen[(v.area, v.subject)] = n + 1
        keys.append(problem_key(v.area, v.subject, n))
    return keys


@dataclass(frozen=True)
class Snapshot:
    """One poll's result: everything a screen needs to draw."""

    state: ClusterState
    judgement: Judgement
    first_seen: dict[str, float] = field(default_factory=dict)
    """Problem key (:func:`problem_key`) → when hadeck first saw that problem."""
    events: tuple[Event, ...] = ()
    """The events this poll found (all of them are also in the log)."""
    duration: float = 0.0
    """Wall seconds the poll took."""
    cpu: float = 0.0
    """CPU seconds of the polling thread (collect, judge, diff)."""
    seq: int = 0
    guest_cpu: dict[str, float] = field(default_factory=dict)
    """``name@node`` → CPU % since the previous poll (100 = one CPU busy)."""
    kept: dict[SourceKey, float] = field(default_factory=dict)
    """(source, node) whose read failed and whose last good data is shown instead → when
    that data was read."""
    streamed: frozenset[str] = frozenset()
    """Nodes whose DRBD comes from a live events2 stream."""
    cps: dict[str, tuple[float | None, ...]] = field(default_factory=dict)
    """:func:`lvs_key` → connections per second over the last polls, oldest first (None:
    not reported that poll)."""
    pending: frozenset[str] = frozenset()
    """Nodes still being read by the poll under way (their data is the last good, in
    ``kept``); empty once the poll is complete."""


def lvs_key(state_service: str, real_server: str | None = None) -> str:
    """The id of a virtual service (``TCP 192.0.2.80:80@lvs1``) or of one of its real
    servers (``…@lvs1/192.0.2.21:80``), as the LVS screen keys its rows."""
    return state_service if real_server is None else f"{state_service}/{real_server}"


class Poller:
    """Reads the cluster once per call; keeps what is needed to diff the next reading.

    Args:
        access: how to reach the cluster; a callable returning one is called on every
            poll (the lab: the node an operator is logged in to follows a failover).
        config: site configuration (nodes, directors, health policy).
        log: where events go.
        clock: time source, injectable for tests.
        frozen: a bundle replay: one read, then the state never changes.
    """

    def __init__(
        self,
        access: Access | Callable[[], Access],
        config: Config | None = None,
        log: EventLog | None = None,
        clock: Clock = time.time,
        frozen: bool = False,
    ) -> None:
        self._access = access
        self.config = config or Config()
        self.log = log or EventLog(None)
        self.clock = clock
        self.frozen = frozen
        self.last: Snapshot | None = None
        self._first_seen: dict[str, float] = {}
        self._seq = 0
        self._good_at: dict[SourceKey, float] = {}
        """(source, node) → when it last read cleanly."""
        self._cps: dict[str, deque[float | None]] = {}
        self._live: dict[str, tuple[tuple[DrbdResource, ...], float]] = {}
        """Node → its DRBD resources from a live stream, and when they last changed."""
        self._ended: dict[str, tuple[tuple[DrbdResource, ...], float]] = {}
        """The same, of streams that ended since the last poll began: a poll that did
        not read such a node (its stream was live then) takes its DRBD from here."""
        self._prober: PingProber | None = None
        """hadeck's own pings, with ``[probes] ping`` (``--probe``)."""
        self._polled: Snapshot | None = None
        """The last complete poll's snapshot (``last`` may be a partial one since)."""
        self._judged = Memo()
        """Verdicts of objects that did not change since the last judgement."""
        self._real_servers: dict[tuple[str, str], tuple[str, ...]] = {}
        """(director, virtual service) → every real server seen in it this session."""
        # The poll worker and the streams' updates both build on ``last``.
        self._lock = threading.Lock()

    def access(self) -> Access:
        return self._access if isinstance(self._access, Access) else self._access()

    def poll(self, on_partial: Callable[[Snapshot], None] | None = None,
             partial_after: float = 0.0) -> Snapshot:
        """Read, judge, diff. Raises whatever the collector raises (the worker shows it).

        Args:
            on_partial: called (in this thread) with a snapshot of the poll so far, once
                the Pacemaker view is read and as each node arrives while others are
                still read (see the module docstring); the complete one is returned.
            partial_after: no partial before the poll has taken this many seconds, and
                then at most one every so many (the dashboard: :data:`PARTIAL_AFTER`).
        """
        if self.frozen and self.last is not None:
            return self.last
        start, cpu0 = time.monotonic(), time.thread_time()
        with self._lock:
            followed = frozenset(self._live)

        def progress(partial: Partial) -> None:
            if on_partial is not None:
                on_partial(self._partial(partial, followed, start, cpu0))

        # A node whose stream is live is not read: the stream knows better, and a
        # 60-resource events2 dump is a few ms of parsing per node and poll.
        access = self.access()
        # The SNMP agents (a real server's load, the LVS screen's weight columns) are
        # polled beside the nodes, in a thread of the read: an agent that does not answer
        # costs its own timeout there.
        state = collect(access, self.config, clock=self.clock, skip_drbd=followed,
                        snmp=bool(self.config.snmp_agents),
                        on_progress=progress if on_partial is not None else None,
                        progress_after=partial_after)
        if self.config.probe_ping:
            # One prober for the whole run: it remembers since when each host answers.
            self._prober = self._prober or prober_for(self.config)
            state = probe_state(state, access, self.config, self._prober)
        with self._lock:
            previous = self.last
            state = self._with_live_drbd(state, followed=followed)
            self._ended.clear()  # the nodes whose stream ended before this poll were read
            state, kept = self._keep_last_good(previous.state if previous else None, state)
            state, self._real_servers = remember_real_servers(self._real_servers, state)
            # CPU rates over a whole poll interval: from the last complete poll, not from
            # a partial snapshot of this same read.
            polled = self._polled.state if self._polled else None
            cpu = guest_cpu(polled, state,
                            skip={node for source, node in kept if source == "guests"})
            self._record_cps(state, {node for source, node in kept if source == "lvs"})
            self._polled = self._publish(state, kept, cpu, start, cpu0)
            return self._polled

    def apply_drbd(
        self, node: str, resources: tuple[DrbdResource, ...], at: float | None = None
    ) -> Snapshot | None:
        """Take ``node``'s DRBD resources from its live stream; the new snapshot.

        Args:
            node: the node the stream runs on.
            resources: every DRBD resource of that node, as the stream knows them now.
            at: when the change was seen (default: the poller's clock).

        Returns:
            The new snapshot, or None before the first poll (the stream's state is then
            used by that poll).
        """
        at = self.clock() if at is None else at
        with self._lock:
            self._live[node] = (resources, at)
            previous = self.last
            if previous is None:
                return None
            start, cpu0 = time.monotonic(), time.thread_time()
            # ``taken_at`` stays the poll's: the other sources are no newer than that, and
            # the status bar's age must not say otherwise. Events carry the change's time.
            state = self._with_live_drbd(previous.state, only=node)
            kept = {k: v for k, v in previous.kept.items() if k != ("drbd", node)}
            return self._publish(state, kept, previous.guest_cpu, start, cpu0, at,
                                 previous.pending)

    def stream_ended(self, node: str) -> None:
        """``node``'s stream stopped: its DRBD comes from the polls again."""
        with self._lock:
            last = self._live.pop(node, None)
            if last is not None:
                self._ended[node] = last

    # ------------------------------------------------------------------ internals

    def _partial(self, partial: Partial, followed: frozenset[str], start: float,
                 cpu0: float) -> Snapshot:
        """A snapshot of a poll under way: the nodes still read show their last good
        data, kept (marked with when it was read), and their last sources."""
        with self._lock:
            previous = self.last
            old = previous.state if previous else None
            state = self._with_live_drbd(partial.state, followed=followed)
            state, kept = self._keep_last_good(old, state)
            # The real servers gone so far, as the complete poll will say (its memory is
            # updated there, once per poll), so a down row does not blink on a partial.
            state, _ = remember_real_servers(self._real_servers, state)
            pending = frozenset(partial.pending)
            if old is not None:
                waiting = [s for s in old.sources if s.node in pending]
                # In the order the nodes were read last time, so rows do not jump.
                order = {n: i for i, n in enumerate(dict.fromkeys(
                    s.node for s in (*old.sources, *state.sources)))}
                state = dataclasses.replace(state, sources=tuple(sorted(
                    (*state.sources, *waiting), key=lambda s: order[s.node])))
                carried = {(s.source, s.node): self._good_at[(s.source, s.node)]
                           for s in waiting if (s.source, s.node) in self._good_at}
                if carried:
                    kept = {**kept, **carried}
                    state = carry_over(old, state, kept)
            polled = self._polled
            cpu = guest_cpu(polled.state if polled else None, state,
                            skip=pending | {n for src, n in kept if src == "guests"})
            if polled is not None:
                cpu.update({k: v for k, v in polled.guest_cpu.items()
                            if k.rpartition("@")[2] in pending})
            return self._publish(state, kept, cpu, start, cpu0, pending=pending)

    def _record_cps(self, state: ClusterState, kept: set[str]) -> None:
        """Append this poll's connection rates; a kept director's were not measured."""
        seen = set()
        for director in state.lvs:
            for svc in director.services:
                subject = str(service_subject(svc.key, svc.director))
                pairs = [(lvs_key(subject), svc.rates)]
                pairs += [(lvs_key(subject, rs.key), rs.rates) for rs in svc.real_servers]
                for key, rates in pairs:
                    seen.add(key)
                    if director.node in kept:
                        continue
                    history = self._cps.setdefault(key, deque(maxlen=HISTORY))
                    history.append(float(rates.conns) if rates is not None else None)
        for key in [k for k in self._cps if k not in seen]:
            del self._cps[key]  # a real server that went away starts again if it returns

    def _publish(self, state: ClusterState, kept: dict[SourceKey, float],
                 cpu: dict[str, float], start: float, cpu0: float,
                 at: float | None = None, pending: frozenset[str] = frozenset()) -> Snapshot:
        previous = self.last
        now = state.taken_at if at is None else at
        judgement = judge(state, self.config.policy, self._judged)
        events = diff(previous.state if previous else None,
                      state if at is None else dataclasses.replace(state, taken_at=at),
                      previous.judgement if previous else None, judgement)
        self.log.extend(events)
        keys = problem_keys(judgement)
        # Forget problems that cleared: if one comes back, its age starts again.
        self._first_seen = {k: self._first_seen.get(k, now) for k in keys}
        self._seq += 1
        self.last = Snapshot(state, judgement, dict(self._first_seen), tuple(events),
                             time.monotonic() - start, time.thread_time() - cpu0, self._seq,
                             cpu, kept, frozenset(self._live),
                             {k: tuple(v) for k, v in self._cps.items()}, pending)
        # Built here, off the UI thread, reusing the areas that did not change.
        judgement.index(previous.judgement if previous else None)
        return self.last

    def _with_live_drbd(self, state: ClusterState, only: str | None = None,
                        followed: frozenset[str] = frozenset()) -> ClusterState:
        """``state`` with the DRBD of every streamed node (or of ``only``) from its stream;
        and of the ``followed`` nodes (not read by this poll) whose stream ended since."""
        live = {n: v for n, v in self._ended.items() if n in followed}
        live.update(self._live)
        live = {n: v for n, v in live.items() if only is None or n == only}
        if not live:
            return state
        drbd = [r for r in state.drbd if r.node not in live]
        for node, (resources, _) in live.items():
            drbd += [r if r.node == node else dataclasses.replace(r, node=node)
                     for r in resources]
        sources = tuple(
            dataclasses.replace(s, read_at=max(s.read_at, live[s.node][1]), error=None,
                                detail=STREAM_DETAIL)
            if s.source == "drbd" and s.node in live else s
            for s in state.sources)
        ordered = _by_node(drbd, state.sources)
        # The LVM of a streamed node was not joined by the read (its DRBD was not read);
        # join_drbd reads only the report's node's resources: handed only those (~1,000
        # resources scanned per node and poll otherwise).
        mine: dict[str, list[DrbdResource]] = {}
        for r in ordered:
            if r.node in live:
                mine.setdefault(r.node or "", []).append(r)
        lvm = tuple(join_drbd(r, mine.get(r.node, ())) if r.node in live else r
                    for r in state.lvm)
        return dataclasses.replace(state, drbd=ordered, sources=sources, lvm=lvm)

    def _keep_last_good(
        self, previous: ClusterState | None, state: ClusterState
    ) -> tuple[ClusterState, dict[SourceKey, float]]:
        failed = {(s.source, s.node) for s in state.sources
                  if s.error is not None and s.source != "node"}
        for s in state.sources:
            if s.error is None:
                self._good_at[(s.source, s.node)] = s.read_at
            elif s.source == "node":
                # A node that is gone keeps nothing: see the module docstring.
                for key in [k for k in self._good_at if k[1] == s.node]:
                    del self._good_at[key]
        kept = {k: self._good_at[k] for k in failed if k in self._good_at}
        if previous is None or not kept:
            return state, {}
        return carry_over(previous, state, kept), kept


def _by_node(items: Iterable[DrbdResource], sources: Iterable[SourceStatus]) -> tuple[
        DrbdResource, ...]:
    """DRBD resources in the order the nodes were read (stable within a node)."""
    order = {node: i for i, node in enumerate(dict.fromkeys(s.node for s in sources))}
    return tuple(sorted(items, key=lambda r: order.get(r.node or "", len(order))))


class _OnNode(Protocol):
    @property
    def node(self) -> str: ...


_T = TypeVar("_T", bound=_OnNode)


def remember_real_servers(
    known: Mapping[tuple[str, str], tuple[str, ...]], state: ClusterState
) -> tuple[ClusterState, dict[tuple[str, str], tuple[str, ...]]]:
    """The state with each service's ``gone`` real servers, and what is known now.

    keepalived removes a real server that fails its health check from the table, so a
    dead one vanishes and the table alone cannot name it: a real server seen in a
    service in an earlier poll and missing now is shown, named, as down. It is known
    for the session (an operator's ``ipvsadm -d`` looks the same; restoring it clears it).

    Args:
        known: (director, service key) → the real servers seen in it so far.
        state: this poll's state.
    """
    now = dict(known)
    directors = []
    changed = False
    for director in state.lvs:
        services = []
        for svc in director.services:
            where = (svc.director or director.node, svc.key)
            present = tuple(rs.key for rs in svc.real_servers)
            seen = now.get(where, ())
            # Those the source names (configured, not in the table) and those seen before.
            gone = tuple(dict.fromkeys((*svc.gone, *(k for k in seen if k not in present))))
            now[where] = seen + tuple(k for k in present if k not in seen)
            if gone != svc.gone:
                svc = dataclasses.replace(svc, gone=gone)
                changed = True
            services.append(svc)
        directors.append(dataclasses.replace(director, services=tuple(services)))
    if not changed:
        return state, now
    return dataclasses.replace(state, lvs=tuple(directors)), now


def carry_over(previous: ClusterState, state: ClusterState,
               kept: Iterable[SourceKey]) -> ClusterState:
    """``state`` with the objects of each failed (source, node) taken from ``previous``.

    Args:
        previous: the state shown until now (itself possibly carrying older data).
        state: the new reading, in which those sources failed.
        kept: (source, node) pairs to carry.

    Returns:
        The merged state; its ``sources`` still carry the errors.
    """
    keys = set(kept)
    order = {node: i for i, node in enumerate(dict.fromkeys(s.node for s in state.sources))}

    def merged(new: Iterable[_T], old: Iterable[_T], source: str) -> tuple[_T, ...]:
        nodes = {node for src, node in keys if src == source}
        if not nodes:
            return tuple(new)
        out = [o for o in new if o.node not in nodes] + [o for o in old if o.node in nodes]
        # Back in the order the nodes were read, so rows do not jump around.
        return tuple(sorted(out, key=lambda o: order.get(o.node, len(order))))

    pcmk = state.pacemaker
    if ("pacemaker", state.local_node) in keys and pcmk is None:
        pcmk = previous.pacemaker
    guests = merged(state.guests, previous.guests, "guests")
    if pcmk is not state.pacemaker:
        # Guests read while Pacemaker failed were not joined to their resources.
        guests = join_guests(guests, pcmk)
    # A director that failed to read has no entry; one whose keepalived failed has no VRRP.
    lvs = {d.node: d for d in merged(state.lvs, previous.lvs, "lvs")}
    old_lvs = {d.node: d for d in previous.lvs}
    for src, node in keys:
        if src == "keepalived" and node in lvs and node in old_lvs:
            lvs[node] = dataclasses.replace(lvs[node], vrrp=old_lvs[node].vrrp)
    return dataclasses.replace(
        state,
        pacemaker=pcmk,
        drbd=merged(state.drbd, previous.drbd, "drbd"),
        guests=guests,
        hosts=merged(state.hosts, previous.hosts, "host"),
        corosync=merged(state.corosync, previous.corosync, "corosync"),
        lvs=tuple(sorted(lvs.values(), key=lambda d: order.get(d.node, len(order)))),
    )


def guest_cpu(old: ClusterState | None, new: ClusterState,
              skip: Iterable[str] = ()) -> dict[str, float]:
    """CPU % of each guest between two states, from virsh's cumulative CPU time.

    Args:
        old: the previous state.
        new: the current one.
        skip: nodes whose guests were not read this time (kept from before: no rate).
    """
    if old is None or new.taken_at <= old.taken_at:
        return {}
    before = {(g.name, g.node): g.cpu_time_s for g in old.guests}
    elapsed = new.taken_at - old.taken_at
    out = {}
    skipped = set(skip)
    for g in new.guests:
        if g.node in skipped:
            continue
        was = before.get((g.name, g.node))
        if was is not None and g.cpu_time_s is not None and g.cpu_time_s >= was:
            out[f"{g.name}@{g.node}"] = 100.0 * (g.cpu_time_s - was) / elapsed
    return out
