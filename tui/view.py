"""What a screen draws from: the latest snapshot plus the app's clock and poll status.

Pure (no Textual): the freshness rules live here, so they are tested without an app.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hadeck.model import SourceStatus
from hadeck.tui.fmt import age, coarse_age
from hadeck.watch.poller import STALE_AFTER, Snapshot


@dataclass(frozen=True)
class View:
    """The snapshot to show and how fresh it is."""

    snapshot: Snapshot | None
    now: float
    interval: float
    error: str | None = None
    """Why the last poll failed (the snapshot is then the last good one)."""
    frozen: bool = False
    """A bundle replay: never stale, never refreshed."""
    polling: bool = False

    @property
    def age(self) -> float | None:
        if self.snapshot is None:
            return None
        return max(0.0, self.now - self.snapshot.state.taken_at)

    @property
    def stale_after(self) -> float:
        # At least 10 s: a 1 s refresh should not flap to stale on one slow ssh round trip.
        return max(10.0, STALE_AFTER * self.interval)

    @property
    def stale(self) -> bool:
        """Whether the data is older than a few refresh intervals (never for a replay)."""
        if self.frozen:
            return False
        current = self.age
        return current is None or current > self.stale_after

    def source(self, source: str, node: str) -> SourceStatus | None:
        if self.snapshot is None:
            return None
        for status in self.snapshot.state.sources:
            if status.source == source and status.node == node:
                return status
        return None

    def kept_at(self, source: tuple[str, str] | None) -> float | None:
        """When the data shown for ``(source, node)`` was read, if its read failed since
        and the last good data is shown instead; None when it is current."""
        if self.snapshot is None or source is None:
            return None
        return self.snapshot.kept.get(source)

    def age_cell(self, read_at: float | None) -> str:
        """A row's age cell: empty while fresh, ``stale 30s+`` once it lags.

        Fresh rows show nothing so that the cell is not repainted every second; the
        status bar shows the age of the whole poll.
        """
        if read_at is None:
            return "-"
        seconds = max(0.0, self.now - read_at)
        if self.frozen or seconds <= self.stale_after:
            return ""
        return "stale " + coarse_age(seconds)

    def describe_age(self, read_at: float) -> str:
        """``4s ago`` / ``4s ago (STALE)``: for the detail view."""
        seconds = max(0.0, self.now - read_at)
        text = f"{age(seconds)} ago"
        if not self.frozen and seconds > self.stale_after:
            text += " (STALE)"
        return text


def empty_view() -> View:
    return View(None, time.time(), 2.0)
