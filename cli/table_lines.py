"""A rich table drawn line by line when nothing in it has to wrap: ``hadeck status``'s
big tables in linear time.

rich lays out every cell of a table as a small document of its own (padding, measuring,
wrapping, cropping, ~0.15 ms a cell): on a 16-node cluster with 500 guests the status
view's ~50,000 cells took seconds, several times what reading and judging the cluster
cost. When every cell is one line of text and the whole table fits the width (always the
case at :data:`~hadeck.cli.status_view.PIPE_WIDTH`, mostly on a terminal), nothing wraps
or folds, and each column is as wide as its widest cell: the lines can be written
directly. :func:`table_segments` writes the very segments rich would (styles, padding,
borders: ``tests/core/test_status_linear.py`` compares them), at a few microseconds a cell;
a table that does not fit is left to rich, which folds it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

_LINE = Segment.line()
_JOIN = Text("\n")


def table_segments(table: Table, console: Console,
                   options: ConsoleOptions) -> list[Segment] | None:
    """The segments rich would render for ``table``, or None when rich must lay it out.

    Only the settings ``hadeck status`` uses are drawn here (a box with edges, a header,
    no footer, caption, row styles, lines, expansion or fixed widths; padding (0, 1)
    without edge padding); any other table, a cell that is not one line of
    :class:`~rich.text.Text`, or a table wider than the width is None.
    """
    if not _plain_settings(table):
        return None
    columns = table.columns
    count = len(columns)
    cells: list[list[Text]] = []
    widths: list[int] = []
    for index, column in enumerate(columns):
        if column.width is not None or column.min_width is not None \
                or column.max_width is not None or column.style or column.header_style \
                or column.justify != "left" or not isinstance(column.header, str) \
                or "[" in column.header:
            return None
        texts = [Text(column.header)]
        for cell in column._cells:
            if isinstance(cell, str):
                if "[" in cell or "\n" in cell or "\t" in cell or ":" in cell:
                    return None  # rich would read markup or emoji codes: let it
                texts.append(Text(cell))
            elif isinstance(cell, Text) and "\n" not in cell.plain \
                    and "\t" not in cell.plain:
                texts.append(cell)
            else:
                return None
        pad = (0 if index == 0 else 1) + (0 if index == count - 1 else 1)
        widths.append(max(cell_len(t.plain) for t in texts) + pad or 1)
        cells.append(texts)
    table_width = sum(widths) + count + 1
    if table_width > options.max_width:
        return None
    title = table.title
    if title is not None and (not isinstance(title, str) or "[" in title
                              or "\n" in title or cell_len(title) > table_width):
        return None
    box = table.box
    assert box is not None  # checked in _plain_settings
    box = box.substitute(options, safe=console.safe_box if table.safe_box is None
                         else table.safe_box)
    border = console.get_style(table.style or "") + console.get_style(table.border_style or "")
    header_style = console.get_style(table.header_style or "")
    out: list[Segment] = []
    if title is not None:
        title_style = Style.pick_first(table.title_style, "table.title")
        out += _cell_text(Text(title, style=title_style), table_width, console)
        out.append(_LINE)
    out += (Segment(box.get_top(widths), border), _LINE)
    rows = len(cells[0])
    edges = [
        (Segment(box.head_left, border), Segment(box.head_right, border),
         Segment(box.head_vertical, border)),
        (Segment(box.mid_left, border), Segment(box.mid_right, border),
         Segment(box.mid_vertical, border)),
        (Segment(box.foot_left, border), Segment(box.foot_right, border),
         Segment(box.foot_vertical, border)),
    ]
    null = Style.null()
    for row in range(rows):
        header = row == 0
        left, right, divider = edges[0 if header else (2 if row == rows - 1 else 1)]
        style = header_style if header else null
        pad1 = Segment(" ", style)
        out.append(left)
        for index in range(count):
            if index:
                out.append(divider)
            lead = index != 0
            trail = index != count - 1
            if lead:
                out.append(pad1)
            inner = widths[index] - lead - trail
            segments = _cell_text(cells[index][row], inner, console)
            if style:
                segments = [Segment(s.text, style + s.style if s.style else style)
                            for s in segments]
            out += segments
            if trail:
                out.append(pad1)
        out += (right, _LINE)
        if header:
            out += (Segment(box.get_row(widths, "head", edge=True), border), _LINE)
    out += (Segment(box.get_bottom(widths), border), _LINE)
    return out


def _plain_settings(table: Table) -> bool:
    return (table.box is not None and table.show_edge and table.show_header
            and not table.show_footer and not table.show_lines and not table.leading
            and not table.expand and table.width is None and table.min_width is None
            and not table.caption and not table.row_styles and not table.pad_edge
            and tuple(table.padding) == (0, 1, 0, 1) and not table.collapse_padding
            and not any(r.end_section or r.style for r in table.rows)
            and table.title_justify == "left")


def _cell_text(text: Text, width: int, console: Console) -> Iterable[Segment]:
    """One cell as rich's left-justified wrap would render it: padded to ``width`` in the
    text's base style, then joined as rich joins lines (the base style becomes a span)."""
    line = text.copy()
    fill = width - cell_len(line.plain)
    if fill > 0:
        line.pad_right(fill)
    if not line.style and not line.spans:
        return [Segment(line.plain)]
    return list(_JOIN.join([line]).render(console))
