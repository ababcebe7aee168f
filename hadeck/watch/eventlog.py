"""The event log: events kept in memory for the events screen and appended to a file.

The file is the history an admin reads after the night is over, so it is plain text, one
event a line, appended as events happen (``~/.local/state/hadeck/events.log`` unless
``$HADECK_EVENTS_FILE`` names another; an empty value turns the file off). A file that
cannot be written is reported once and the dashboard carries on with memory only.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from hadeck.model import Health
from hadeck.watch.events import Event

MAX_EVENTS = 5000
"""Events kept in memory; the file keeps them all. A bound, not a cache: a dashboard left
open for weeks logs every fault that comes and goes, and each event costs ~0.4 KB (5,000:
~2 MB); the events screen shows the newest 500."""

SYMBOL = {
    Health.OK: "✔",
    Health.WARNING: "▲",
    Health.CRITICAL: "✖",
    Health.UNKNOWN: "?",
}
"""A symbol per health, so a line reads without colour (the dashboard colours the same)."""


def default_path() -> Path | None:
    """Where events are appended: ``$HADECK_EVENTS_FILE`` or the XDG state directory."""
    env = os.environ.get("HADECK_EVENTS_FILE")
    if env is not None:
        return Path(env).expanduser() if env else None
    state = os.environ.get("XDG_STATE_HOME") or "~/.local/state"
    return Path(state).expanduser() / "hadeck" / "events.log"


def line(event: Event) -> str:
    """``2026-11-22 03:12:09 ✖ CRITICAL jupiter1 offline (was online)``."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.at))
    return f"{when} {SYMBOL[event.health]} {event.health.name:8} {event.text}"


class EventLog:
    """Events in memory (newest last) and in a file; safe to append from the poll thread.

    Args:
        path: the file events are appended to (None: memory only).
        origin: where the events come from, written after each line but a live cluster's.
        keep: the newest events kept in memory.
    """

    def __init__(self, path: Path | None = None, origin: str = "",
                 keep: int = MAX_EVENTS) -> None:
        self.path = path
        self.origin = origin
        self.error: str | None = None
        """Why the file could not be written, if it could not."""
        self._events: deque[Event] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """Events appended since start (grows past MAX_EVENTS; a cheap change marker)."""
        return self._count

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def extend(self, events: Iterable[Event]) -> None:
        new = list(events)
        if not new:
            return
        with self._lock:
            self._events.extend(new)
            self._count += len(new)
        self._write(new)

    def _write(self, events: list[Event]) -> None:
        if self.path is None or self.error is not None:
            return
        origin = f" [{self.origin}]" if self.origin and self.origin != "live" else ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                for event in events:
                    handle.write(line(event) + origin + "\n")
        except OSError as exc:
            self.error = f"{self.path}: {exc.strerror or exc}"
