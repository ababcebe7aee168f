"""Events: what hadeck saw change, newest first (also appended to the events file)."""

from __future__ import annotations

import time

from rich.text import Text

from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View

SHOWN = 500
"""Newest events in the table; the file has them all."""


class EventsScreen(AreaScreen):
    TITLE = "Events"
    MODE = "events"

    def tables(self) -> dict[str, list[Column]]:
        return {"events": [Column("time", "Time", 8), Column("health", "Health", 10),
                           Column("text", "Event", 0)]}

    def info(self, view: View) -> Text | str:
        log = self.hadeck.event_log
        where = str(log.path) if log.path else "memory only"
        text = Text(f"{log.count} events since start │ {where}")
        if log.error:
            text.append(f" │ ? cannot write: {log.error}", style="magenta")
        return text

    def build(self, view: View) -> dict[str, list[Row]]:
        log = self.hadeck.event_log
        events = log.events()
        first = log.count - len(events)
        rows = []
        for i in range(len(events) - 1, max(-1, len(events) - 1 - SHOWN), -1):
            event = events[i]
            rows.append(Row(f"ev:{first + i}",
                            (time.strftime("%H:%M:%S", time.localtime(event.at)),
                             health_cell(event.health), event.text), obj=event))
        return {"events": rows}
