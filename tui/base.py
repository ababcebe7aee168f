"""The frame every area screen shares: status bar, tables, filter line, footer.

An :class:`AreaScreen` names its tables (:meth:`AreaScreen.tables`) and turns a
:class:`~hadeck.tui.view.View` into rows for each (:meth:`AreaScreen.build`); the frame
filters them, hands them to the diff-updating tables, keeps the status bar current and
opens the detail view for the selected row. Only the visible screen is updated: a screen
catches up from the latest snapshot when it is shown again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from hadeck.model import Health
from hadeck.tui.fmt import STYLE, age, badge
from hadeck.tui.tables import Column, DiffTable, Row
from hadeck.tui.view import View, empty_view

if TYPE_CHECKING:
    from hadeck.tui.app import HadeckApp


def status_text(view: View, title: str) -> Text:
    """The two status lines: overall health, DC and quorum; then freshness."""
    text = Text()
    snap = view.snapshot
    text.append(f"{title:<13}", style="bold")
    if snap is None:
        text.append("reading the cluster…" if not view.error else "no data yet")
    else:
        text.append_text(badge(snap.judgement.overall))
        count = len(snap.judgement.problems())
        text.append(f" {count} problem{'s' if count != 1 else ''}" if count else " no problems")
        pcmk = snap.state.pacemaker
        if pcmk is not None:
            info = pcmk.cluster
            text.append(f" │ DC {info.dc or 'NONE'}")
            quorum = {True: "✔ yes", False: "✖ NO", None: "? unknown"}[info.have_quorum]
            text.append(" │ quorum ")
            text.append(quorum, style="green" if info.have_quorum else "bold red")
        else:
            text.append(" │ ")
            text.append("? Pacemaker not readable", style="magenta")
    text.append("\n")
    if view.frozen and snap is not None:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.state.taken_at))
        # The bundle's name, not its path: the line has 80 columns at most.
        name = snap.state.origin.rstrip("/").rsplit("/", 1)[-1]
        text.append(f"REPLAY bundle {name}, taken {when} (frozen)", style="bold")
    elif snap is not None:
        where = f"{snap.state.origin}@{snap.state.local_node}"
        current = view.age or 0.0
        if view.stale:
            text.append(f"⌛ STALE: data {age(current)} old", style="reverse bold yellow")
        else:
            text.append(f"updated {age(current)} ago")
        text.append(f", every {view.interval:g}s │ {where}")
    if view.error:
        text.append("  ")
        text.append(f"? poll failed: {view.error}", style="bold magenta")
    return text


class StatusBar(Static):
    """Health, DC, quorum and the age of the data, on every screen."""


class AreaScreen(Screen[None]):
    """One area of the cluster: its tables, filtered by ``/``; Enter opens a row."""

    TITLE: ClassVar[str] = ""
    MODE: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "filter"),
        Binding("escape", "back", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.view_now: View = empty_view()

    # ------------------------------------------------------------------ subclass API

    def tables(self) -> dict[str, list[Column]]:
        """Table id → columns; a width of 0 takes the room the others leave."""
        raise NotImplementedError

    def build(self, view: View) -> dict[str, list[Row]]:
        """Table id → rows for this view."""
        raise NotImplementedError

    def info(self, view: View) -> Text | str:
        """One line under the status bar (counts, sort order, toggles)."""
        return ""

    # ------------------------------------------------------------------ frame

    @property
    def hadeck(self) -> HadeckApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="info")
        width = self.app.size.width or 80
        with Vertical(id="body"):
            for table_id, columns in self.tables().items():
                yield DiffTable(_fit(columns, width), id=table_id)
        yield Input(placeholder="filter (Enter keeps, Esc clears)", id="filter")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False

    def on_screen_resume(self) -> None:
        self.update_view(self.hadeck.view())

    def update_status(self, view: View) -> None:
        self.query_one(StatusBar).update(status_text(view, self.TITLE))

    def update_view(self, view: View) -> None:
        """Draw ``view``: status bar, info line and every table, by diff."""
        self.view_now = view
        self.update_status(view)
        self.query_one("#info", Static).update(self.info(view))
        if view.snapshot is None:
            return
        needle = self.filter_text.lower()
        for table_id, rows in self.build(view).items():
            shown = [r for r in rows if needle in r.text()] if needle else rows
            self.query_one(f"#{table_id}", DiffTable).show(shown)

    def redraw(self) -> None:
        self.update_view(self.view_now)

    # ------------------------------------------------------------------ actions

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._focus_table()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self.redraw()
            self._focus_table()
        elif self.MODE != "overview":
            self.hadeck.action_show("overview")

    def _focus_table(self) -> None:
        tables = list(self.query(DiffTable))
        if tables:
            tables[0].focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        if isinstance(table, DiffTable):
            row = table.rows_by_key.get(event.row_key.value or "")
            if row is not None and row.obj is not None:
                self.hadeck.open_detail(row)


def health_cell(health: Health, word: bool = True) -> Text:
    """A health as ``✖ CRITICAL`` (or the symbol alone where the row says the rest)."""
    if word:
        return badge(health)
    symbol, style = STYLE[health]
    return Text(symbol, style=style)


def _fit(columns: list[Column], width: int) -> list[Column]:
    """Give the flexible column (width 0) what the fixed ones leave, at least 12."""
    # Two cells of padding per column, and room for the vertical scrollbar.
    used = sum(c.width + 2 for c in columns if c.width) + 2 + 2
    flex = max(12, width - used)
    return [Column(c.key, c.label, c.width or flex) for c in columns]
