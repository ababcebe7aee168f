"""DRBD live: follow ``drbdsetup events2`` on each node, so a change shows within 0.5 s.

The poll reads DRBD with ``events2 --now`` every few seconds; a link that breaks in
between would wait for the next poll. Where the poll found events2 working (DRBD 9, read
through ``drbdsetup events2``), :class:`DrbdStreams` starts one thread per node that runs
``drbdsetup events2 --statistics`` (no ``--now``: it keeps running) through the node's
runner, feeds each line to an :class:`~hadeck.sources.drbd.Events2Tracker`, and reports
the node's resources after the initial dump and after every line that changed them.

Where a stream cannot start or stops (a bundle, no drbdsetup, DRBD 8.4, garbage, a node
that goes away), nothing is shown: the node's DRBD simply keeps coming from the polls,
and the stream is tried again after :data:`RETRY_AFTER` seconds.

The threads are plain daemon threads, not Textual thread workers: those run on asyncio's
default executor (``min(32, CPUs + 4)`` threads, 6 on these machines), and one long-running
stream per node would starve the poll worker of a thread on a cluster of six DRBD nodes.
Closing a stream (:meth:`DrbdStreams.stop`) kills its command, which ends its thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from textual.message import Message

from hadeck.model import DrbdResource, SourceStatus
from hadeck.runner import LineStream, Runner
from hadeck.sources.base import ParseError, parse_output
from hadeck.sources.drbd import Events2Tracker

FOLLOW = ("drbdsetup", "events2", "--statistics")
"""The command followed on each node (the lab follows the same)."""
RETRY_AFTER = 30.0
"""Seconds before a node whose stream failed or stopped is tried again."""

Resources = tuple[DrbdResource, ...]


def streamable(status: SourceStatus) -> bool:
    """Whether a node's DRBD poll says its events2 can be followed.

    Only a clean read through ``drbdsetup events2`` on DRBD 9 qualifies: a node read
    through another format has no working events2 (or DRBD 8.4, whose ``drbdsetup-84``
    stream hadeck does not follow), and a node without DRBD has nothing to follow.
    """
    detail = status.detail or ""
    return (status.source == "drbd" and status.ok and detail.startswith("drbdsetup events2")
            and "(DRBD 9" in detail)


def follow(stream: LineStream, node: str, on_change: Callable[[Resources], None]) -> str | None:
    """Feed a stream's lines to a tracker; call ``on_change`` with the node's resources.

    ``on_change`` runs once the initial dump is complete (``exists -``) and then after
    every line that changed what hadeck models.

    Args:
        stream: ``drbdsetup events2`` without ``--now``, started.
        node: the node it runs on (set on every resource).
        on_change: called in this thread.

    Returns:
        Why the stream stopped; None when it was closed.
    """
    tracker = Events2Tracker()
    for line in stream:
        done_before = tracker.initial_dump_done
        try:
            # Through the read boundary: a parser bug is a ParseError like any garbage.
            changed = parse_output(tracker.feed, line)
        except ParseError as exc:
            if not tracker.initial_dump_done:
                # Not events2 at all (a wrapper, garbage): polling is the safer source.
                stream.close()
                return f"cannot parse the events2 stream: {exc}"
            continue  # one line of a kind added after this was written: skip it
        if tracker.initial_dump_done and (changed or not done_before):
            on_change(tuple(replace(r, node=node) for r in tracker.resources()))
    if stream.closed:
        return None
    return stream.error or "the events2 stream ended"


class DrbdChanged(Message):
    """A node's DRBD resources, from its live stream."""

    def __init__(self, node: str, resources: Resources, at: float) -> None:
        super().__init__()
        self.node = node
        self.resources = resources
        self.at = at

    def can_replace(self, message: Message) -> bool:
        # Each message holds the node's whole DRBD state: only the newest one matters.
        return isinstance(message, DrbdChanged) and message.node == self.node


class DrbdStreams:
    """One follower thread per node; thread-safe.

    Args:
        post: called from a follower thread with each change (the app posts a
            :class:`DrbdChanged`).
        ended: called from a follower thread when its stream stops, with the reason
            (None when it was stopped on purpose).
        clock: time source for the change times and the retry delay.
    """

    def __init__(
        self,
        post: Callable[[str, Resources, float], None],
        ended: Callable[[str, str | None], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._post = post
        self._ended = ended
        self._clock = clock
        self._lock = threading.Lock()
        self._streams: dict[str, LineStream | None] = {}
        """Node → its stream (None while it is starting)."""
        self._failed: dict[str, tuple[float, str]] = {}
        """Node → when its stream last stopped, and why."""
        self._stopping = False

    def running(self) -> set[str]:
        """Nodes with a stream starting or running."""
        with self._lock:
            return set(self._streams)

    def failures(self) -> dict[str, str]:
        """Node → why its last stream stopped (for the detail view and tests)."""
        with self._lock:
            return {node: why for node, (_, why) in self._failed.items()}

    def wanted(self, statuses: tuple[SourceStatus, ...]) -> list[str]:
        """The nodes of ``statuses`` whose events2 should be followed and is not yet."""
        now = self._clock()
        with self._lock:
            if self._stopping:
                return []
            return [s.node for s in statuses if streamable(s) and s.node not in self._streams
                    and now - self._failed.get(s.node, (-RETRY_AFTER, ""))[0] >= RETRY_AFTER]

    def start(self, node: str, runner: Runner) -> None:
        """Follow ``node``'s events2 through ``runner`` in a new thread."""
        with self._lock:
            if self._stopping or node in self._streams:
                return
            self._streams[node] = None
        thread = threading.Thread(target=self._run, args=(node, runner),
                                  name=f"hadeck-drbd-{node}", daemon=True)
        thread.start()

    def stop(self) -> None:
        """Stop every stream (the app is closing); the threads end on their own."""
        with self._lock:
            self._stopping = True
            streams = [s for s in self._streams.values() if s is not None]
        for stream in streams:
            stream.close()

    def _run(self, node: str, runner: Runner) -> None:
        reason: str | None = "the events2 stream ended"
        try:
            stream = runner.stream(FOLLOW)
            with self._lock:
                self._streams[node] = stream
                stopping = self._stopping
            if stopping:
                stream.close()
            reason = follow(stream, node,
                            lambda resources: self._post(node, resources, self._clock()))
            stream.close()
        except Exception as exc:  # a follower must never take the app down
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._streams.pop(node, None)
                if reason is not None:
                    self._failed[node] = (self._clock(), reason)
            self._ended(node, reason)
