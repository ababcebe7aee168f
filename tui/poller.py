"""Polling: read the cluster off the UI thread and hand the result over as one message.

:class:`Poller` is the headless part, run inside the app's thread worker: it calls
:func:`~hadeck.collect.collect`, judges the state with the shared health rules, remembers
since when each problem has been seen, diffs the state against the previous one into
events (appended to the :class:`~hadeck.tui.eventlog.EventLog` right there, so no event is
lost when the UI drops an intermediate snapshot), and returns a :class:`Snapshot`.

:class:`Polled` carries the snapshot to the UI. Its ``can_replace`` lets a UI that fell
behind skip straight to the newest snapshot, as toolong does with its messages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from hadeck.collect import Access, collect
from hadeck.config import Config
from hadeck.health import Judgement, judge
from hadeck.model import ClusterState
from hadeck.tui.eventlog import EventLog
from hadeck.tui.events import Event, diff

Clock = Callable[[], float]

DEFAULT_INTERVAL = 2.0
SSH_INTERVAL = 5.0
"""Over SSH every repaint crosses the network: poll (and so repaint) less often."""
STALE_AFTER = 3
"""Data older than this many refresh intervals is marked stale."""


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

    def access(self) -> Access:
        return self._access if isinstance(self._access, Access) else self._access()

    def poll(self) -> Snapshot:
        """Read, judge, diff. Raises whatever the collector raises (the worker shows it)."""
        if self.frozen and self.last is not None:
            return self.last
        start, cpu0 = time.monotonic(), time.thread_time()
        state = collect(self.access(), self.config, clock=self.clock)
        judgement = judge(state, self.config.policy)
        previous = self.last
        events = diff(previous.state if previous else None, state,
                      previous.judgement if previous else None, judgement)
        self.log.extend(events)
        now = state.taken_at
        keys = problem_keys(judgement)
        # Forget problems that cleared: if one comes back, its age starts again.
        self._first_seen = {k: self._first_seen.get(k, now) for k in keys}
        self._seq += 1
        cpu = guest_cpu(previous.state if previous else None, state)
        self.last = Snapshot(state, judgement, dict(self._first_seen), tuple(events),
                             time.monotonic() - start, time.thread_time() - cpu0, self._seq,
                             cpu)
        return self.last


def guest_cpu(old: ClusterState | None, new: ClusterState) -> dict[str, float]:
    """CPU % of each guest between two states, from virsh's cumulative CPU time."""
    if old is None or new.taken_at <= old.taken_at:
        return {}
    before = {(g.name, g.node): g.cpu_time_s for g in old.guests}
    elapsed = new.taken_at - old.taken_at
    out = {}
    for g in new.guests:
        was = before.get((g.name, g.node))
        if was is not None and g.cpu_time_s is not None and g.cpu_time_s >= was:
            out[f"{g.name}@{g.node}"] = 100.0 * (g.cpu_time_s - was) / elapsed
    return out


class Polled(Message):
    """A new snapshot, posted from the poll worker to the app."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        # Only the newest state matters to the screen; the events are already logged.
        return isinstance(message, Polled)
