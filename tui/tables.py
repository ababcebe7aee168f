"""A DataTable updated by diff: rows keyed by stable ids, only changed cells repainted.

Measured on these machines (FACTS.md): rebuilding a 2,000-row table costs ~0.7 s and
seconds of key latency; ``update_cell`` of every cell ~190 ms a tick; each repainted cell
~0.25 ms. So :meth:`DiffTable.show` removes rows that went away, updates only the cells
whose value changed, adds new rows, and reorders only when the order really changed —
never a rebuild per tick, never ``update_width``; every column has a fixed width.

Only the rows a terminal shows are worked on each poll: :func:`plan` compares and converts
the rows in and near the window, and names the other changed rows stale; the table makes
them from their newest row when they come into the window or are read. And a table whose
rows change many cells every poll (the LVS screen's ~800 real servers) is held one cell
per row, the line its columns would draw (:class:`Liner`): DataTable draws a line cell by
cell, each changed cell through Rich's padding and styles.

Textual's private API
---------------------
Doing that fast means reaching under DataTable's public methods; this module is the only
one in the dashboard that does (a test keeps it so). Textual is pinned exactly in
pyproject.toml, and ``tests/tui/test_textual_private.py`` fails with a clear message when
the installed Textual is another version or lacks one of the names below. What is used:

- ``textual._two_way_dict.TwoWayDict``: the type of ``DataTable._row_locations``, rebuilt
  once after a bulk removal (:meth:`DiffTable._remove_rows`) and to reorder rows
  (:meth:`DiffTable._reorder`) — ``DataTable.sort`` cannot order by row key.
- ``DataTable._update_dimensions``: overridden to skip measuring every cell of new rows;
  all our columns have fixed widths (~0.8 s of UI thread for 3,000 rows).
- ``_data``, ``_row_locations``, ``_new_rows``, ``_require_update_dimensions``,
  ``_update_count``, ``_highlight_cursor`` (with the public ``rows``): written by
  :meth:`DiffTable._add_rows` and :meth:`DiffTable._remove_rows` as ``add_row`` and
  ``remove_row`` write them, once per batch instead of once per row (``add_row`` sets
  the cursor and checks for idle per row; ``remove_row`` renumbers every row per call).
- ``_updated_cells``: cells of removed rows are dropped from it, as ``remove_row`` does.
- ``_cell_render_cache`` (key starts with row key, column key), ``_row_render_cache``
  (key starts with row key), ``_row_renderable_cache`` (key is update count, row index)
  and ``_line_cache``: :meth:`DiffTable._set_cells` forgets only what was drawn from the
  changed cells, where ``update_cell`` would redraw every visible cell; and
  :meth:`DiffTable._forget_old_renders` empties them once the update count (part of
  every key) has moved on, so that they hold no dead entries.
- ``DataTable``'s default cell formatter hands a renderable over as it is: :class:`Plain`
  is one (``__rich_console__``), drawn as its ``Text`` would be, only when shown, with an
  ellipsis where it is cut.

:data:`PRIVATE_ATTRIBUTES` lists the DataTable names; the test checks that it covers every
private name this module touches and that each exists on the installed Textual.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Span, Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, DuplicateKey, RowKey
from textual.widgets.data_table import Row as TableRow

from hadeck.text import safe
from hadeck.tui.fmt import safe_text

Cell = str | Text

PRIVATE_ATTRIBUTES: tuple[str, ...] = (
    "_cell_render_cache",
    "_data",
    "_highlight_cursor",
    "_line_cache",
    "_new_rows",
    "_require_update_dimensions",
    "_row_locations",
    "_row_render_cache",
    "_row_renderable_cache",
    "_update_count",
    "_update_dimensions",
    "_updated_cells",
)
"""DataTable's private attributes and methods that :class:`DiffTable` reads or writes."""

_Key = TypeVar("_Key")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


@dataclass
class Row:
    """One row to show: its stable key, its cells, and the object a detail view opens."""

    key: str
    cells: tuple[Cell, ...]
    obj: Any = None
    """The model object behind the row (shown by the detail view)."""
    source: tuple[str, str] | None = None
    """(source, node) the row's data came from, for its age and error."""
    search: str = field(default="")
    """Text the ``/`` filter matches; the plain cells when empty."""

    def text(self) -> str:
        if not self.search:
            self.search = " ".join(c.plain if isinstance(c, Text) else c
                                   for c in self.cells).lower()
        return self.search


class Plain:
    """A cell's string, shown as it is and made a Rich ``Text`` only when drawn.

    DataTable would read ``[…]`` in a ``str`` as markup, and names come from the cluster
    (a resource may be called ``[bold]x``); progress bars use brackets. A ``Text`` per
    cell is safe but costs a few µs: ~45 ms more of UI thread to fill a 3,000-row table
    of which 50 rows show. DataTable hands a renderable to Rich as it is: it is drawn
    (plain, never markup) only for the rows on screen, as :meth:`as_text` would be.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Plain({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plain) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def as_text(self) -> Text:
        """The cell as Rich draws it: plain, one line, ellipsized where it is too long.

        Ellipsized, never cut silently: a value wider than its column ends in "…" (issue
        12: "not runnin", "r10@jupiter2 → jupiter" read as something else); the detail
        view (Enter) shows it whole."""
        return Text(self.text, no_wrap=True, overflow="ellipsis", end="")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Drawn only for the rows on screen. A one-line value that fits its column is the
        # one segment its Text would give (a Text without spans renders as its plain
        # string), without Text's wrapping, splitting and joining: the LVS screen redraws
        # ~2,000 changed cells of ~45 lines a second. Anything else is drawn by the Text.
        text = self.text
        if "\n" not in text and "\t" not in text and "\r" not in text \
                and cell_len(text) <= options.max_width:
            yield Segment(text)
        else:
            yield self.as_text()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.as_text())


def _text(cell: Cell) -> Text | Plain:
    # The output boundary of every table: names from the cluster are shown, never obeyed
    # (hadeck/text.py). Rows keep the real text; the filter and the diff compare that.
    if isinstance(cell, str):
        return Plain(safe(cell))
    text = safe_text(cell)
    if text.overflow is None:
        # As Plain: too long for its column ends in "…" (DataTable crops silently).
        # Overflow is not part of a Text's equality, so the diff is not affected.
        text.overflow = "ellipsis"
    return text


WINDOW_MARGIN = 4
"""Rows above and below the window whose changed cells a plan makes (:func:`plan`)."""

LINE = "line"
"""The one column of a table drawn one cell per row (:class:`Liner`)."""


class Liner:
    """Makes a row's cells one line, each cell as DataTable draws it in its column.

    A table of ``one_cell`` rows holds one cell per row: DataTable draws a line cell by
    cell, ~37 µs a cell it has not drawn before and ~10 µs one it has, and on the LVS
    screen ~7 of a row's 12 cells change every poll (counters, rates, the trend) — ~20 ms
    of UI thread a refresh for ~45 lines; one cell a line is ~8 ms. The line is what the
    columns would show: each cell cut to its column with "…" or padded, two spaces between
    columns (a column's padding), each cell's styles on its own characters only.
    """

    __slots__ = ("widths",)

    def __init__(self, widths: Sequence[int]) -> None:
        self.widths = tuple(widths)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Liner) and other.widths == self.widths

    def __hash__(self) -> int:
        return hash(self.widths)

    def header(self, labels: Sequence[str]) -> Text:
        # DataTable cuts a column's label without "…".
        return self._join([Text(label, overflow="crop") for label in labels])

    def line(self, cells: Sequence[Cell]) -> Text:
        return self._join(cells)

    def _join(self, cells: Sequence[Cell]) -> Text:
        # As DataTable draws each cell (Plain, _text): cut with "…" where it is wider
        # than its column (Text.truncate), padded where it is narrower, its style and
        # spans over its own characters. Built as one string and a list of spans: the
        # poll worker makes ~50 lines a refresh, most cells plain strings.
        parts: list[str] = []
        spans: list[Span] = []
        pos = 0
        for i, (cell, width) in enumerate(zip(cells, self.widths, strict=True)):
            if i:
                parts.append("  ")
                pos += 2
            if isinstance(cell, str):
                plain = safe(cell)
                size = cell_len(plain)
                if size > width:
                    plain = set_cell_size(plain, width - 1) + "…"
                    size = cell_len(plain)
            else:
                text = safe_text(cell)
                if text.cell_len > width:
                    text = text.copy()
                    text.truncate(width, overflow=text.overflow or "ellipsis")
                plain = text.plain
                size = cell_len(plain)
                end = pos + len(plain)
                if text.style:
                    spans.append(Span(pos, end, text.style))
                spans.extend(Span(pos + span.start, min(pos + span.end, end), span.style)
                             for span in text.spans if span.start < len(plain))
            if size < width:
                plain += " " * (width - size)
            parts.append(plain)
            pos += len(plain)
        return Text("".join(parts), spans=spans, no_wrap=True, overflow="ellipsis", end="")


def _forget(cache: LRUCache[_Key, Any], stale: Callable[[_Key], bool]) -> None:
    """Drop the entries of one of DataTable's render caches whose key is ``stale``."""
    for key in [k for k in cache.keys() if stale(k)]:
        cache.discard(key)


@dataclass(frozen=True)
class TableDiff:
    """What turns a table's content into new rows: computed anywhere, applied on the UI.

    Pure data, so the poll worker computes it (:func:`plan`) and the UI thread only
    applies it (:meth:`DiffTable.apply`): comparing ~3,500 rows of cells cost ~15 ms a
    poll, which no longer waits for a key press behind it.
    """

    base: int
    """The table generation this diff was computed against (applied only to that one)."""
    rows: dict[str, Row]
    """Every row shown afterwards, by key, in screen order."""
    removed: tuple[str, ...] = ()
    added: tuple[Row, ...] = ()
    drawn: tuple[tuple[Text | Plain, ...], ...] = ()
    """The cells of each added row as the table holds them (:func:`_text`)."""
    changed: tuple[tuple[str, tuple[tuple[str, Text | Plain], ...]], ...] = ()
    """(row key, ((column key, new cell as the table holds it), …)) per changed row.

    Cells are made what the table holds (escaped, :class:`Plain` or an ellipsized
    ``Text``) here, in the worker, and grouped by row: on the LVS screen ~2,250 cells of
    ~800 rows change a refresh, ~10 ms of UI thread when it converted and looked them
    up one by one."""
    order: tuple[str, ...] | None = None
    """The new row order, when it differs from the order after adding (None: keep it)."""
    stale: tuple[str, ...] = ()
    """Rows outside the window the plan was made for, whose row is a new one: neither
    compared nor converted here. The table makes their changed cells when they are shown
    (:meth:`DiffTable.apply`, :meth:`DiffTable.render_line`) or read (``get_row``): on
    the LVS screen ~800 rows change a refresh, and ~45 are in a window."""

    @property
    def empty(self) -> bool:
        return not (self.removed or self.added or self.changed or self.stale
                    or self.order is not None)


@dataclass(frozen=True)
class TableState:
    """A table's content as the UI thread last set it, replaced as a whole on every change
    so another thread reads a consistent generation, rows and order in one go."""

    generation: int = 0
    rows: dict[str, Row] = field(default_factory=dict)
    order: tuple[str, ...] = ()


def plan(state: TableState, rows: Sequence[Row], columns: Sequence[str],
         window: tuple[int, int] | None = None, liner: Liner | None = None) -> TableDiff:
    """The diff from ``state`` to ``rows`` (pure: safe in any thread).

    Args:
        state: what the table shows now.
        rows: what it should show, in order.
        columns: the column keys, in the order of the cells.
        window: the row positions [first, end) whose changed cells are made here; a
            changed row elsewhere is only named (:attr:`TableDiff.stale`), and the table
            makes its cells when it shows it. None: every row's.
        liner: the table holds one cell per row, made by this (:class:`Liner`).
    """
    old = state.rows
    if len(rows) == len(old) and all(old.get(row.key) is row for row in rows) \
            and tuple(row.key for row in rows) == state.order:
        # The very rows shown, in the same order (the resources and DRBD screens reuse a
        # row while what it shows is the same object): nothing to compare.
        return TableDiff(state.generation, old)
    wanted: dict[str, Row] = {}
    for row in rows:
        if row.key in wanted:
            # Two rows under one key would make DataTable raise DuplicateKey and end the
            # app: a screen's keys are meant to be unique, but the cluster's names decide
            # them. The n-th repeat gets a stable key of its own; nothing is hidden.
            n = 2
            while f"{row.key}#{n}" in wanted:
                n += 1
            row = dataclasses.replace(row, key=f"{row.key}#{n}")
        wanted[row.key] = row
    rows = list(wanted.values())
    removed = tuple(k for k in old if k not in wanted)
    added: list[Row] = []
    changed: list[tuple[str, tuple[tuple[str, Text | Plain], ...]]] = []
    stale: list[str] = []
    first, end = window if window is not None else (0, len(rows))
    for index, row in enumerate(rows):
        previous = old.get(row.key)
        if previous is None:
            added.append(row)
            continue
        if previous is row:
            continue
        if not first <= index < end:
            stale.append(row.key)
            continue
        if previous.cells == row.cells:
            continue
        changed.append((row.key, _changed_cells(columns, previous.cells, row.cells, liner)))
    gone = set(removed)
    after_add = [k for k in state.order if k not in gone] + [r.key for r in added]
    keys = list(wanted)
    return TableDiff(state.generation, wanted, removed, tuple(added),
                     tuple((liner.line(row.cells),) if liner is not None
                           else tuple(map(_text, row.cells)) for row in added), tuple(changed),
                     None if after_add == keys else tuple(keys), tuple(stale))


def _changed_cells(columns: Sequence[str], before: Sequence[Cell], after: Sequence[Cell],
                   liner: Liner | None) -> tuple[tuple[str, Text | Plain], ...]:
    """The cells to write where a row's cells were ``before`` and are ``after``: each
    changed one, or, in a table of one cell per row (``liner``), the whole line."""
    if liner is not None:
        return ((LINE, liner.line(after)),)
    return tuple((col, _text(new))
                 for col, old, new in zip(columns, before, after, strict=True) if old != new)


class DiffTable(DataTable[Text | Plain]):
    """A DataTable whose content is set with :meth:`show` and changed by diff."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("G", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, columns: Sequence[Column], *, id: str | None = None,
                 one_cell: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.spec = tuple(columns)
        self.column_keys = tuple(c.key for c in columns)
        self.liner = Liner([c.width for c in columns]) if one_cell else None
        """Set: each row is held and drawn as one cell, its cells made one line by this
        (:class:`Liner`); rows keep their cells, one per column of ``spec``."""
        self.state = TableState()
        """What the table shows (read by the poll worker to plan the next diff)."""
        self.cell_updates = 0
        """Cells written by :meth:`show` since creation (tests and the bench read it)."""
        self.rendered_at = 0
        """DataTable's update count when the render caches were last emptied."""
        self.stale: dict[str, tuple[Cell, ...]] = {}
        """Row key → the cells the table holds for it, where the row shown
        (``state.rows``) is newer: its changed cells are made when the row is drawn or
        read (:attr:`TableDiff.stale`)."""
        self.window: tuple[int, int] = (0, 0)
        """The row positions [first, end) last drawn: the poll worker makes the changed
        cells of these rows and of a window's height around them (:meth:`plan_window`)."""
        self.fresh_window: tuple[int, int] | None = None
        """The window when it last had no stale row, until the next :meth:`apply`."""

    @property
    def rows_by_key(self) -> dict[str, Row]:
        """The rows shown, by key."""
        return self.state.rows

    def on_mount(self) -> None:
        if self.liner is not None:
            self.add_column(self.liner.header([c.label for c in self.spec]),
                            width=self._line_width(), key=LINE)
            return
        for col in self.spec:
            self.add_column(col.label, width=col.width, key=col.key)

    def _line_width(self) -> int:
        return sum(c.width for c in self.spec) + 2 * (len(self.spec) - 1)

    def set_widths(self, columns: Sequence[Column]) -> None:
        """Give the columns new widths (the terminal was resized); the same ones: nothing.

        The cells are drawn again at the new widths: every render cache is keyed by the
        update count, not by the width, so the count moves on and they are emptied.
        """
        changed = False
        if self.liner is not None:
            liner = Liner([c.width for c in columns])
            current = self.columns.get(ColumnKey(LINE))
            if liner != self.liner and current is not None:
                self.spec = tuple(columns)
                self.liner = liner
                current.width = self._line_width()
                current.label = liner.header([c.label for c in columns])
                # Every row's line is made again at the new widths, when it is shown; a
                # plan made at the old widths is refused (its generation is past).
                self.stale = {key: () for key in self.state.rows}
                self.state = dataclasses.replace(self.state,
                                                 generation=self.state.generation + 1)
                changed = True
        for col in columns:
            current = self.columns.get(ColumnKey(col.key))
            if current is not None and not current.auto_width and current.width != col.width:
                current.width = col.width
                changed = True
        if not changed:
            return
        self.spec = tuple(columns)
        self.fresh_window = None
        self._update_count += 1
        self._forget_old_renders()
        self._update_dimensions(())  # the virtual width follows the columns'
        self.refresh(layout=True)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures every cell of every new row, for auto-width columns and
        # auto-height rows. Ours have fixed widths and one line each, so that is wasted:
        # ~0.8 s of UI thread to fill the DRBD screen's ~3,000 rows on a 500-guest lab.
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:
            super()._update_dimensions(())  # still sets the virtual size

    def show(self, rows: Sequence[Row]) -> None:
        """Make the table show ``rows``, in this order, touching only what changed."""
        self.apply(plan(self.state, rows, self.column_keys, liner=self.liner))

    def plan_window(self) -> tuple[int, int]:
        """The rows whose changed cells a plan should make (any thread): those last drawn
        and a few around them. Any other row the window reaches is made on the UI thread
        (~20 µs a row on the LVS screen): when the plan is applied, or drawn."""
        first, end = self.window
        return max(0, first - WINDOW_MARGIN), end + WINDOW_MARGIN

    def apply(self, diff: TableDiff) -> bool:
        """Apply a diff planned against the current generation; False if it is outdated
        (the table changed since: the caller plans again)."""
        if diff.base != self.state.generation:
            return False
        if diff.removed:
            self._remove_rows(diff.removed)
            for key in diff.removed:
                self.stale.pop(key, None)
        changed = diff.changed
        if diff.stale or self.stale:
            old = self.state.rows
            stale = self.stale
            # A row whose cells the table holds from an older row than the state's: its
            # change is made from those, when shown, not from the plan's.
            changed = tuple(c for c in changed if c[0] not in stale)
            for key in diff.stale:
                if key not in stale:
                    stale[key] = old[key].cells
        if changed:
            self._set_cells(changed)
        if len(diff.added) >= 8:
            self._add_rows(diff.added, diff.drawn)
        else:
            for row, cells in zip(diff.added, diff.drawn, strict=True):
                self.add_row(*cells, key=row.key)
        self.cell_updates += sum(len(row.cells) for row in diff.added)
        order = diff.order
        if order is not None:
            self._reorder(order)
        self.state = TableState(self.state.generation + 1, diff.rows,
                                order if order is not None else tuple(diff.rows))
        self._forget_old_renders()
        self.fresh_window = None  # rows may have moved, or gone stale
        if self.stale:
            self._show_stale(repaint=True)
        return True

    def _window_rows(self) -> tuple[int, int]:
        header = self.header_height if self.show_header else 0
        first = self.scroll_offset.y
        return first, first + max(0, self.size.height - header)

    def _show_stale(self, repaint: bool) -> None:
        """Make the changed cells of the stale rows in the window (and repaint them)."""
        first, end = self.window = self._window_rows()
        if self.fresh_window == (first, end):
            return
        locations = self._row_locations
        keys = []
        for index in range(first, min(end, self.row_count)):
            row_key = locations.get_key(index)
            if row_key is not None and row_key.value in self.stale:
                keys.append(row_key.value)
        self._make_stale(keys, repaint)
        self.fresh_window = (first, end)

    def _make_stale(self, keys: Iterable[str | None], repaint: bool = False) -> None:
        """Bring the cells of these stale rows up to their rows in ``state``."""
        changed = []
        rows = self.state.rows
        for key in keys:
            held = self.stale.pop(key or "", None)
            row = rows.get(key or "")
            if held is None or row is None:
                continue
            if held == row.cells:
                continue
            cells = _changed_cells(self.column_keys, held, row.cells, self.liner)
            if cells:
                changed.append((row.key, cells))
        if changed:
            self._set_cells(changed, repaint)

    def render_line(self, y: int) -> Strip:
        # A stale row is made when it comes into the window: scrolled to, or the cursor
        # moved onto it (every line of a frame is drawn through here).
        if self.stale:
            self._show_stale(repaint=False)
        else:
            self.window = self._window_rows()
        return super().render_line(y)

    def get_row(self, row_key: RowKey | str) -> list[Text | Plain]:
        if self.stale:
            self._make_stale([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_row(row_key)

    def get_cell(self, row_key: RowKey | str, column_key: ColumnKey | str) -> Text | Plain:
        if self.stale:
            self._make_stale([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_cell(row_key, column_key)

    def get_column(self, column_key: ColumnKey | str) -> Iterable[Text | Plain]:
        if self.stale:
            self._make_stale(list(self.stale))
        return super().get_column(column_key)

    def _forget_old_renders(self) -> None:
        # Every render cache of DataTable is keyed by its update count, which each added,
        # removed or reordered row moves on: what was drawn before is never read again,
        # yet stays until 1,000 lines, 1,000 rows and 10,000 cells newer push it out, per
        # table. A dashboard left open filled them poll after poll: tens of MB over the
        # screens' tables, the bulk of its growth after the footer's (bench/soak.py). So
        # once the count has moved, they are emptied: they only held dead entries. What a
        # screen draws next fills them again, one screenful at a time.
        if self._update_count == self.rendered_at:
            return
        self.rendered_at = self._update_count
        for cache in (self._cell_render_cache, self._row_render_cache,
                      self._row_renderable_cache, self._line_cache):
            cache.clear()

    def _remove_rows(self, keys: Sequence[str]) -> None:
        if len(keys) < 8:
            for key in keys:
                self.remove_row(key)
            return
        # DataTable.remove_row renumbers every row per removal: removing a node's 250
        # guests from a 1,000-row table is quadratic (~0.3 s). Drop them all, renumber once,
        # as remove_row does it (Textual is pinned exactly, and a test covers this).
        gone = {RowKey(k) for k in keys}
        for row_key in gone:
            for column_key in self._data.get(row_key, ()):
                self._updated_cells.discard(CellKey(row_key, column_key))
            del self.rows[row_key]
            del self._data[row_key]
        locations = self._row_locations
        kept = sorted((k for k in locations if k not in gone), key=lambda k: locations.get(k) or 0)
        self._row_locations = TwoWayDict({k: n for n, k in enumerate(kept)})
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.check_idle()
        self.refresh(layout=True)

    def _set_cells(self, changed: Sequence[tuple[str, tuple[tuple[str, Text | Plain], ...]]],
                   repaint: bool = True) -> None:
        # DataTable.update_cell counts an update, and every render cache is keyed by that
        # count: one changed cell redraws every visible cell of the table (the guests
        # screen at 500 guests, 1 s refresh: 9.5 % of a core on the UI thread, 4 % with
        # this), for a CPU % or a rate that changed. Forget only what was drawn from the
        # old values (those cells, their rows' lines) and repaint those rows. (Textual is
        # pinned exactly; a test compares what is drawn.)
        column_keys = {key.value: key for key in self.columns}
        rows: dict[RowKey, set[ColumnKey]] = {}
        locations = self._row_locations
        indices: list[int | None] = []
        for key, new in changed:
            row_key = RowKey(key)
            values = self._data.get(row_key)
            if values is None:  # pragma: no cover - planned against these rows
                continue
            indices.append(locations.get(row_key))
            columns = rows[row_key] = set()
            for col, cell in new:
                column_key = column_keys[col]
                values[column_key] = cell
                columns.add(column_key)
            self.cell_updates += len(new)
        shown = set(indices)
        none: set[ColumnKey] = set()
        _forget(self._cell_render_cache, lambda k: k[1] in rows.get(k[0], none))
        _forget(self._row_render_cache, lambda k: k[0] in rows)
        _forget(self._row_renderable_cache, lambda k: k[1] in shown)
        self._line_cache.clear()
        if repaint:
            self._repaint_rows(indices)

    def _repaint_rows(self, indices: Iterable[int | None]) -> None:
        """Repaint the lines of the rows at ``indices`` that are in the window.

        ``DataTable.refresh_row`` finds a row's line by summing the heights of every row
        above it: for the LVS screen's ~800 changed rows a refresh (its rates and trends
        move every poll) that was quadratic, ~15 ms of UI thread, and the guests screen's
        ~450 CPU cells ~11 ms — to repaint the 40-odd rows a terminal shows. Every row of
        a DiffTable is one line (:meth:`show` adds them so), so row ``n`` is line ``n``
        under the header; only those in the window are repainted, each its own line, by
        the public ``Widget.refresh``. What scrolls into view later is drawn then, from
        the new data.
        """
        header = self.header_height if self.show_header else 0
        top = self.scroll_offset.y
        shown = self.size.height - header
        width = self.size.width
        for index in indices:
            if index is not None and 0 <= index - top < shown:
                self.refresh(Region(0, header + index - top, width, 1))

    def _add_rows(self, rows: Sequence[Row], drawn: Sequence[tuple[Text | Plain, ...]]) -> None:
        # DataTable.add_row sets the cursor (a reactive, with its watchers) and checks for
        # idle once per row: ~90 ms to fill a 3,000-row table (the DRBD screen when first
        # shown), ~25 ms this way. Add them all, then do that once, as add_row does it
        # (Textual is pinned exactly, and a test compares the two).
        columns = self.ordered_columns
        index = self.row_count
        first = index == 0
        for row, cells in zip(rows, drawn, strict=True):
            key = RowKey(row.key)
            if key in self._row_locations:
                raise DuplicateKey(f"The row key {row.key!r} already exists.")
            self._row_locations[key] = index
            index += 1
            self._data[key] = {col.key: cell for col, cell in zip(columns, cells, strict=True)}
            self.rows[key] = TableRow(key, 1, None, False)
            self._new_rows.add(key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if first and self.row_count and self.columns and self.show_cursor \
                and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()

    def _reorder(self, keys: Sequence[str]) -> None:
        # What DataTable.sort does, with our order instead of a sort key: its public sort
        # cannot see row keys. Textual is pinned exactly (pyproject), and a test covers it.
        self._row_locations = TwoWayDict({RowKey(k): i for i, k in enumerate(keys)})
        self._update_count += 1
        self.refresh()

    def selected(self) -> Row | None:
        """The row under the cursor, if any."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
        return self.rows_by_key.get(key or "")
