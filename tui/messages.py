"""The Textual messages that carry a :class:`~hadeck.watch.poller.Snapshot` to the UI.

:class:`Polled` carries a poll's snapshot. Its ``can_replace`` lets a UI that fell behind
skip straight to the newest snapshot, as toolong does with its messages. A poll under way
posts partial ones (``partial``: some nodes are still being read) before its complete one.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from hadeck.watch.poller import Snapshot


class Polled(Message):
    """A new snapshot, posted from the poll worker to the app.

    Args:
        snapshot: the new snapshot.
        prepared: the shown screen's rows for it, diffed in the worker
            (a :class:`hadeck.tui.base.Prepared`; None: the UI thread builds them).
        partial: a poll still under way (``snapshot.pending`` names the nodes it waits
            for); not counted as a poll.
    """

    def __init__(self, snapshot: Snapshot, prepared: object = None,
                 partial: bool = False) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.prepared: Any = prepared
        self.partial = partial

    def can_replace(self, message: Message) -> bool:
        # Only the newest state matters to the screen; the events are already logged.
        # A plan replaced unapplied is harmless: the newer one was made against the same
        # tables. A stream's update does not swallow a poll's (the poll is counted).
        if isinstance(self, Streamed) and not isinstance(message, Streamed):
            return False
        return isinstance(message, Polled)


class Streamed(Polled):
    """A new snapshot from a DRBD events2 stream, between polls."""
