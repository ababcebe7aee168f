"""The event log: events kept in memory for the events screen and appended to a file.

The file is the history an admin reads after the night is over, so it is plain text, one
event a line, appended as events happen (``~/.local/state/hadeck/events.log`` unless
``$HADECK_EVENTS_FILE`` names another; an empty value turns the file off). A file that
cannot be written is reported once and the dashboard carries on with memory only.

Event texts pass the secrets policy (:func:`hadeck.redact.scrub`) as they are appended:
the states they come from are already redacted (:func:`hadeck.collect.collect`), and any
``passwd=…`` in a text, or a value the caller names as secret, is masked too, so neither
the events screen nor the file shows a password. The file is private:
created mode 0600 without following a symlink (:func:`hadeck.outfile.open_append`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from hadeck.model import Health
from hadeck.outfile import WriteError, open_append
from hadeck.redact import scrub
from hadeck.text import safe
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
    """``2026-11-22 03:12:09 ✖ CRITICAL jupiter1 offline (was online)``.

    The text is made safe for a terminal (:func:`hadeck.text.safe`): admins read this file
    with ``tail -f`` and ``less -R``, so a name from the cluster must not reach it raw.
    """
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.at))
    return f"{when} {SYMBOL[event.health]} {event.health.name:8} {safe(event.text)}"


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

    def extend(self, events: Iterable[Event], secrets: frozenset[str] = frozenset()) -> None:
        """Append events, their texts passed through the secrets policy.

        Args:
            events: the new events.
            secrets: values known to be secret in the state they came from
                (:func:`hadeck.redact.secret_values`), masked wherever they appear.
        """
        new = [_redacted(e, secrets) for e in events]
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
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open_append(self.path) as handle:
                handle.write("".join(line(e) + origin + "\n" for e in events).encode())
        except WriteError as exc:
            self.error = str(exc)
        except OSError as exc:
            self.error = f"{self.path}: {exc.strerror or exc}"


def _redacted(event: Event, secrets: frozenset[str]) -> Event:
    text = scrub(event.text, secrets)
    return event if text == event.text else dataclasses.replace(event, text=text)
