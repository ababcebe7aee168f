"""A DataTable updated by diff: rows keyed by stable ids, only changed cells repainted.

Measured on these machines (FACTS.md): rebuilding a 2,000-row table costs ~0.7 s and
seconds of key latency; ``update_cell`` of every cell ~190 ms a tick; each repainted cell
~0.25 ms. So :meth:`DiffTable.show` removes rows that went away, updates only the cells
whose value changed, adds new rows, and reorders only when the order really changed —
never a rebuild per tick, never ``update_width``; every column has a fixed width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets._data_table import RowKey
from textual.widgets.data_table import CellDoesNotExist

Cell = str | Text


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


def _text(cell: Cell) -> Text:
    """A plain string as Text: DataTable would read ``[…]`` in it as markup, and names come
    from the cluster (a resource may be called ``[bold]x``); progress bars use brackets."""
    return Text(cell) if isinstance(cell, str) else cell


class DiffTable(DataTable[Cell]):
    """A DataTable whose content is set with :meth:`show` and changed by diff."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("G", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.spec = tuple(columns)
        self.rows_by_key: dict[str, Row] = {}
        self.cell_updates = 0
        """Cells written by :meth:`show` since creation (tests and the bench read it)."""

    def on_mount(self) -> None:
        for col in self.spec:
            self.add_column(col.label, width=col.width, key=col.key)

    def show(self, rows: Sequence[Row]) -> None:
        """Make the table show ``rows``, in this order, touching only what changed."""
        wanted = {row.key: row for row in rows}
        old = self.rows_by_key
        for key in [k for k in old if k not in wanted]:
            self.remove_row(key)
        column_keys = [c.key for c in self.spec]
        for row in rows:
            previous = old.get(row.key)
            if previous is None:
                self.add_row(*map(_text, row.cells), key=row.key)
                self.cell_updates += len(row.cells)
                continue
            for col, before, after in zip(column_keys, previous.cells, row.cells, strict=True):
                if before != after:
                    try:
                        self.update_cell(row.key, col, _text(after))
                    except CellDoesNotExist:  # pragma: no cover - keys come from `old`
                        continue
                    self.cell_updates += 1
        self.rows_by_key = wanted
        self._reorder([row.key for row in rows])

    def _reorder(self, keys: list[str]) -> None:
        current = [r.key.value for r in self.ordered_rows]
        if current == keys:
            return
        # What DataTable.sort does, with our order instead of a sort key: its public sort
        # cannot see row keys. Textual is pinned exactly (pyproject), and a test covers it.
        from textual._two_way_dict import TwoWayDict

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
