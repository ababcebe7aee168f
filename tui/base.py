"""The frame every area screen shares: status bar, tables, filter line, footer.

An :class:`AreaScreen` names its tables (:meth:`AreaScreen.tables`) and turns a
:class:`~hadeck.tui.view.View` into rows for each (:meth:`AreaScreen.build`); the frame
filters them, hands them to the diff-updating tables, keeps the status bar current,
opens the detail view (Enter) or the action panel (``a``) for the selected row, and holds
the ``:`` command line with its error line. Only the visible screen is updated: a screen
catches up from the latest snapshot when it is shown again.

**Off the UI thread.** Building rows and diffing them against the tables is pure, and on
a big cluster it is most of the work (~3,500 rows on the DRBD screen). So the poll
worker calls :meth:`AreaScreen.plan_view` for the visible screen and posts the result
(:class:`Prepared`: the info line and one :class:`~hadeck.tui.tables.TableDiff` per
table) with the snapshot; the UI thread only applies it
(:meth:`AreaScreen.apply_prepared`). A plan made against a table that changed since
(a key changed the filter or the sort meanwhile) is refused by the table's generation,
and the screen is then drawn the plain way, on the UI thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from hadeck.actions.contract import about_of, actions_for, selection_of
from hadeck.model import Health
from hadeck.text import safe, safe_lines
from hadeck.tui.fmt import STALE_MARK, STYLE, age, badge, safe_text
from hadeck.tui.footer import Footer
from hadeck.tui.screen_actions import ActionScreen, refuse_all
from hadeck.tui.tables import Column, DiffTable, Row, TableDiff, plan
from hadeck.tui.view import View, empty_view

if TYPE_CHECKING:
    from hadeck.tui.app import HadeckApp


def kept_text(view: View, keys: set[tuple[str, str]]) -> Text:
    """``⌛ last good data: guests@jupiter2 from 40s ago (? why it fails now)``."""
    text = Text()
    for i, key in enumerate(sorted(keys)):
        since = view.kept_at(key)
        if since is None:
            continue
        source, node = key
        status = view.source(source, node)
        text.append(" │ " if i else "")
        text.append(f"{STALE_MARK} {source}@{safe(node)} from {age(view.now - since)} ago",
                    style="bold yellow")
        if status is not None and status.error:
            text.append(f" (? {safe(status.error)})", style="magenta")
        elif view.snapshot is not None and node in view.snapshot.pending:
            text.append(" (still reading)", style="magenta")
    if text.plain:
        text = Text("last good data: ", style="bold") + text
    return text


def mark_kept(row: Row, columns: list[Column]) -> Row:
    """``row`` with its health cell saying the data is kept from before, not current."""
    for i, col in enumerate(columns):
        if col.key == "health" and i < len(row.cells):
            mark = Text(STALE_MARK + (" stale" if col.width >= 8 else ""), style="yellow")
            cells = (*row.cells[:i], mark, *row.cells[i + 1:])
            return Row(row.key, cells, row.obj, row.source, row.search)
    return row


def status_text(view: View, title: str) -> Text:
    """The two status lines: overall health, DC and quorum; then freshness."""
    text = Text()
    snap = view.snapshot
    text.append(f"{title:<13}", style="bold")
    if snap is None:
        text.append("reading the cluster…" if not view.error else "no data yet")
    else:
        text.append_text(badge(snap.judgement.overall))
        count = len(snap.judgement.grouped())  # a root cause and its effects: one
        text.append(f" {count} problem{'s' if count != 1 else ''}" if count else " no problems")
        pcmk = snap.state.pacemaker
        if pcmk is not None:
            info = pcmk.cluster
            text.append(f" │ DC {safe(info.dc or 'NONE')}")
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
        name = safe(snap.state.origin.rstrip("/").rsplit("/", 1)[-1])
        text.append(f"REPLAY bundle {name}, taken {when} (frozen)", style="bold")
    elif snap is not None:
        where = safe(f"{snap.state.origin}@{snap.state.local_node}")
        current = view.age or 0.0
        if view.stale:
            text.append(f"⌛ STALE: data {age(current)} old", style="reverse bold yellow")
        else:
            text.append(f"updated {age(current)} ago")
        text.append(f", every {view.interval:g}s │ {where}")
        if snap.streamed:
            # Between polls, DRBD on these nodes follows the events2 stream.
            text.append(" │ DRBD live")
    if view.error:
        text.append("  ")
        text.append(f"? poll failed: {safe(view.error)}", style="bold magenta")
    return text


@dataclass(frozen=True)
class Prepared:
    """A screen's next content for one snapshot, planned off the UI thread."""

    screen: AreaScreen
    """The screen it was planned for (applied only if that screen is still shown)."""
    view: View
    info: Text | str
    diffs: dict[str, TableDiff]
    kept_here: set[tuple[str, str]] = field(default_factory=set)


class Line(Static):
    """A line of fixed height (CSS) whose text is set often: the status bar every second,
    the info line every poll.

    ``Static.update`` lays out the whole screen again, and that repaints every visible
    table row (on the guests screen at 500 guests this halved the UI thread's CPU). A line
    whose height does not change needs no layout, and a text that did not change needs no
    repaint at all.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | str | None = None

    def set(self, content: Text | str) -> None:
        if content == self._shown:
            return
        self._shown = content
        # The output boundary of the status, info and error lines: what came from the
        # cluster is shown, never obeyed (hadeck/text.py), and a string is text, not
        # markup (a director may be called "[blink]lvs1"). Their own line breaks stay.
        shown = safe_text(content, lines=True) if isinstance(content, Text) \
            else Text(safe_lines(content))
        self.update(shown, layout=False)


class StatusBar(Line):
    """Health, DC, quorum and the age of the data, on every screen."""


class AreaScreen(Screen[None]):
    """One area of the cluster: its tables, filtered by ``/``; Enter opens a row."""

    TITLE: ClassVar[str] = ""
    MODE: ClassVar[str] = ""
    MARK_KEPT: ClassVar[tuple[str, ...]] = ()
    """Tables whose rows get ``⌛`` in their health cell when their source's data is kept
    from before (the source fails now)."""
    ONE_CELL: ClassVar[tuple[str, ...]] = ()
    """Tables held and drawn one cell per row (:class:`~hadeck.tui.tables.Liner`): those
    whose rows change many cells every poll."""
    KEPT_ALL: ClassVar[bool] = False
    """List every kept source on this screen, not only those its rows come from."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "filter"),
        Binding("a", "actions", "actions", show=False),
        Binding("escape", "back", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.view_now: View = empty_view()
        self.kept_here: set[tuple[str, str]] = set()
        """The kept (source, node) pairs this screen shows data of."""
        self.diff_tables: dict[str, DiffTable] = {}
        """Table id → table, once mounted (the poll worker reads it: no DOM query there)."""

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
        yield Line(id="info")
        yield Line(id="kept")
        width = self.app.size.width or 80
        with Vertical(id="body"):
            for table_id, columns in self.tables().items():
                yield DiffTable(_fit(columns, width), id=table_id,
                                one_cell=table_id in self.ONE_CELL)
        yield Input(placeholder="filter (Enter keeps, Esc clears)", id="filter")
        yield Input(placeholder="command: overview drbd filter TEXT refresh quit help …",
                    id="command")
        yield Line(id="message")
        # No "^p palette" on the right: at 80 columns it pushes "q quit" off the footer;
        # the help lists Ctrl+P, and ":" is the keyboard way to commands.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for widget in ("#filter", "#command", "#message", "#kept"):
            self.query_one(widget).display = False
        self.diff_tables = {table.id or "": table for table in self.query(DiffTable)}

    def on_resize(self, event: Resize) -> None:
        # Columns re-flow with the terminal: the flexible column takes what the fixed ones
        # leave at the new width, without a restart (issue 12). A screen not shown gets
        # its Resize when it is shown again at another size.
        self.refit(event.size.width)

    def refit(self, width: int) -> None:
        """Give the tables' flexible columns the room ``width`` leaves."""
        for table_id, columns in self.tables().items():
            table = self.diff_tables.get(table_id)
            if table is not None:
                table.set_widths(_fit(columns, width))

    @property
    def ready(self) -> bool:
        """Whether the screen is composed and mounted (a mode just switched to is not yet)."""
        return bool(self.diff_tables)

    def on_screen_resume(self) -> None:
        self.hadeck.shown = self
        view = self.hadeck.view()
        if view.snapshot is not None and view.snapshot is self.view_now.snapshot:
            # Already drawn from this snapshot (Textual resumes a screen twice when its
            # mode is first switched to; a closed detail view uncovers it): only the age
            # moved on. Rebuilding the DRBD screen's rows costs ~20-140 ms.
            self.view_now = view
            self.update_status(view)
            return
        self.update_view(view)

    def on_screen_suspend(self) -> None:
        # Hidden screens are not planned for: they catch up when shown again.
        if self.hadeck.shown is self:
            self.hadeck.shown = None

    def update_status(self, view: View) -> None:
        try:
            bar = self.query_one(StatusBar)
            kept = self.query_one("#kept", Line)
        except NoMatches:
            # A timer tick can land while the screen's widgets are (un)mounted during a
            # mode switch under load; the next tick draws the status, and the app lives.
            return
        bar.set(status_text(view, self.TITLE))
        shown = bool(self.kept_here) and view.snapshot is not None
        if shown:
            kept.set(kept_text(view, self.kept_here))
        if kept.display != shown:
            kept.display = shown

    def update_view(self, view: View) -> None:
        """Draw ``view``: status bar, info line and every table, by diff."""
        if view.snapshot is None:
            self.view_now = view
            self.query_one("#info", Line).set(self.info(view))
            self.update_status(view)
            return
        self.apply_prepared(self.plan_view(view), view)

    def plan_view(self, view: View) -> Prepared:
        """Rows of every table for ``view``, filtered and diffed against what the tables
        show: pure, so the poll worker runs it (see the module docstring).

        Args:
            view: a view with a snapshot.
        """
        assert view.snapshot is not None
        kept = view.snapshot.kept
        kept_here = set(kept) if self.KEPT_ALL else set()
        needle = self.filter_text.lower()
        diffs = {}
        for table_id, rows in self.build(view).items():
            table = self.diff_tables.get(table_id) or self.query_one(f"#{table_id}", DiffTable)
            state = table.state  # one read: generation, rows and order together
            if kept:
                kept_here |= {r.source for r in rows if r.source in kept}
                if table_id in self.MARK_KEPT:
                    columns = list(table.spec)
                    rows = [mark_kept(r, columns) if r.source in kept else r for r in rows]
            shown = [r for r in rows if needle in r.text()] if needle else rows
            diffs[table_id] = plan(state, shown, table.column_keys, table.plan_window(),
                                   table.liner)
        return Prepared(self, view, self.info(view), diffs, kept_here)

    def apply_prepared(self, prepared: Prepared, status: View | None = None) -> bool:
        """Apply a plan on the UI thread; False (nothing changed) if it is outdated.

        Args:
            prepared: from :meth:`plan_view`, for this screen.
            status: the view for the status bar (default: the plan's).
        """
        if prepared.screen is not self:
            return False
        tables = {t: self.diff_tables.get(t) or self.query_one(f"#{t}", DiffTable)
                  for t in prepared.diffs}
        if any(d.base != tables[t].state.generation for t, d in prepared.diffs.items()):
            return False
        self.view_now = prepared.view
        self.query_one("#info", Line).set(prepared.info)
        self.kept_here = prepared.kept_here
        for table_id, diff in prepared.diffs.items():
            tables[table_id].apply(diff)
        self.update_status(status or prepared.view)
        return True

    def redraw(self) -> None:
        self.update_view(self.view_now)

    # ------------------------------------------------------------------ actions

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def set_filter(self, text: str) -> None:
        """Filter the rows by ``text`` (empty: show all), as ``/`` does."""
        box = self.query_one("#filter", Input)
        box.value = text  # Input.Changed follows and redraws
        box.display = bool(text)
        self.filter_text = text.strip()
        self.redraw()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        self.filter_text = event.value.strip()
        self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "command":
            box = event.input
            line, box.value = box.value, ""
            box.display = False
            self._focus_table()
            error = self.hadeck.run_command(line)
            if error is not None:
                self.show_message(error)
            return
        self._focus_table()

    def open_command_line(self) -> None:
        """``:``: show the command line (and clear an old error line)."""
        self.show_message(None)
        box = self.query_one("#command", Input)
        box.display = True
        box.focus()

    def show_message(self, text: str | None) -> None:
        """The error line above the footer; None hides it."""
        line = self.query_one("#message", Line)
        if text is None:
            line.display = False
            return
        line.set(Text(f"? {text}", style="bold magenta"))
        line.display = True

    def action_actions(self) -> None:
        """``a``: the action panel of the selected row."""
        row = self.selected_row()
        selection = selection_of(row.key, row.obj, row.source) if row is not None else None
        if selection is None:
            self.show_message("nothing selected: move to a row first")
            return
        snapshot = self.view_now.snapshot
        if snapshot is None:
            self.show_message("the cluster has not been read yet: no actions")
            return
        note = self.hadeck.actions_refused()
        actions = refuse_all(actions_for(selection, snapshot.state, self.hadeck.read_only),
                             note)
        self.app.push_screen(ActionScreen(selection, actions, note,
                                          about_of(selection, snapshot.state)))

    def selected_row(self) -> Row | None:
        """The row under the cursor of the focused table (or of the first table)."""
        focused = self.focused
        tables = [focused] if isinstance(focused, DiffTable) else list(self.query(DiffTable))
        return tables[0].selected() if tables else None

    def action_back(self) -> None:
        message = self.query_one("#message", Static)
        if message.display:
            message.display = False
            return
        command = self.query_one("#command", Input)
        if command.display:
            command.value = ""
            command.display = False
            self._focus_table()
            return
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


_HEALTH_CELLS: dict[tuple[Health, bool], Text] = {}


def health_cell(health: Health, word: bool = True) -> Text:
    """A health as ``✖ CRITICAL`` (or the symbol alone where the row says the rest).

    One ``Text`` per health, shared by every row and never changed (a cell is only
    drawn, compared, or copied into another ``Text``): the DRBD and resources screens
    have thousands of rows, and a row whose health did not change then compares equal by
    identity alone when the poll worker diffs it.
    """
    cell = _HEALTH_CELLS.get((health, word))
    if cell is None:
        if word:
            cell = badge(health)
        else:
            symbol, style = STYLE[health]
            cell = Text(symbol, style=style)
        cell.overflow = "ellipsis"  # as the tables set every cell's (tables._text)
        _HEALTH_CELLS[(health, word)] = cell
    return cell


def _fit(columns: list[Column], width: int) -> list[Column]:
    """Give the flexible column (width 0) what the fixed ones leave, at least 12."""
    # Two cells of padding per column, and room for the vertical scrollbar.
    used = sum(c.width + 2 for c in columns if c.width) + 2 + 2
    flex = max(12, width - used)
    return [Column(c.key, c.label, c.width or flex) for c in columns]
