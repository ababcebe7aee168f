"""Freshness rules and the diff-updating table, without the lab."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets._data_table import default_cell_formatter

from hadeck.health import judge
from hadeck.tui.fmt import age, bar, coarse_age
from hadeck.tui.tables import Column, DiffTable, Plain, Row, TableDiff, plan
from hadeck.tui.view import View
from hadeck.watch.poller import Snapshot
from tests.tui.helpers import aio
from tests.tui.test_events import state


def test_formats() -> None:
    assert [age(4), age(200), age(7300), age(200000)] == ["4s", "3m", "2h01", "2d"]
    assert coarse_age(37) == "30s+"
    assert bar(45.0, 10) == "[####......]  45%"
    assert bar(None) == ""


def test_view_marks_stale_after_three_intervals_not_for_a_replay() -> None:
    snap = Snapshot(state(100.0), judge(state(100.0)))
    assert not View(snap, 105.0, 2.0).stale
    assert View(snap, 111.0, 2.0).stale  # at least 10 s
    assert View(snap, 150.0, 5.0).stale and not View(snap, 110.0, 5.0).stale
    assert not View(snap, 10_000.0, 2.0, frozen=True).stale
    assert View(snap, 105.0, 2.0).age_cell(100.0) == ""
    assert View(snap, 145.0, 2.0).age_cell(100.0) == "stale 40s+"
    assert View(None, 1.0, 2.0).stale


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DiffTable([Column("a", "A", 5), Column("b", "B", 5)], id="t")


@aio
async def test_diff_table_updates_only_changed_cells_and_reorders() -> None:
    app = _TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DiffTable)
        table.show([Row("x", ("1", "2")), Row("y", ("3", "4"))])
        assert table.cell_updates == 4
        table.show([Row("x", ("1", "5")), Row("y", ("3", "4"))])
        assert table.cell_updates == 5 and list(map(str, table.get_row("x"))) == ["1", "5"]
        table.show([Row("z", ("7", "8")), Row("y", ("3", "4"))])
        await pilot.pause()
        assert [r.key.value for r in table.ordered_rows] == ["z", "y"]
        assert table.cell_updates == 7
        # Names are data: brackets are not markup.
        table.show([Row("z", ("[b]x", "8"))])
        drawn = default_cell_formatter(table.get_row("z")[0])
        if isinstance(drawn, Plain):
            drawn = drawn.as_text()  # how Rich draws it when it draws the cell
        assert isinstance(drawn, Text) and drawn.plain == "[b]x" and not drawn.spans
        assert table.row_count == 1


@aio
async def test_diff_table_keeps_rows_whose_keys_repeat() -> None:
    # Keys are built from cluster names; two equal ones must not end the app.
    app = _TableApp()
    async with app.run_test():
        table = app.query_one(DiffTable)
        table.show([Row("x", ("1", "2")), Row("x", ("3", "4")), Row("x", ("5", "6"))])
        assert [r.key.value for r in table.ordered_rows] == ["x", "x#2", "x#3"]
        table.show([Row("x", ("1", "2")), Row("x", ("3", "9"))])
        assert table.row_count == 2 and list(map(str, table.get_row("x#2"))) == ["3", "9"]


@aio
async def test_rows_changed_outside_the_window_are_made_when_shown() -> None:
    # The poll worker makes the changed cells of the rows in and near the window only
    # (plan's window); the others are made when scrolled to or read, from the newest row.
    app = _TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(DiffTable)

        def drawn() -> list[str]:
            return [table.render_line(y).text.strip() for y in range(0, 8)]

        def plan_shown(values: dict[int, str]) -> TableDiff:
            return plan(table.state, [Row(f"r{i}", (f"n{i}", values.get(i, "old")))
                                      for i in range(40)],
                        table.column_keys, table.plan_window())

        table.show([Row(f"r{i}", (f"n{i}", "old")) for i in range(40)])
        await pilot.pause()
        first, end = table.window
        assert first == 0 and 3 <= end < 10, table.window
        diff = plan_shown({0: "new", 3: "new", 29: "new", 30: "new"})
        assert [key for key, _ in diff.changed] == ["r0", "r3"]
        assert "r29" in diff.stale and "r30" in diff.stale and "r3" not in diff.stale
        assert table.apply(diff)
        await pilot.pause()
        assert table.cell_updates == 80 + 2  # rows 29 and 30: not yet
        assert "n0     new" in drawn() and "n3     new" in drawn()
        # Changed again before it was shown: made from what the table holds.
        assert table.apply(plan_shown({0: "new", 3: "new", 29: "new", 30: "v2"}))
        assert table.apply(plan_shown({0: "new", 3: "new", 29: "new", 30: "v3"}))
        await pilot.pause()
        table.move_cursor(row=30)
        await pilot.pause()
        assert "n29    new" in drawn() and "n30    v3" in drawn(), drawn()
        assert table.cell_updates == 80 + 4
        # Read through DataTable's API, a stale row is its newest too.
        assert table.apply(plan_shown({0: "new", 3: "back", 29: "new", 30: "v3"}))
        assert str(table.get_cell("r3", "b")) == "back"
        assert [str(c) for c in table.get_row("r3")] == ["n3", "back"]
        table.move_cursor(row=0)
        await pilot.pause()
        assert "n3     back" in drawn(), drawn()


class _OneTableApp(App[None]):
    COLUMNS = (Column("h", "", 2), Column("name", "Name of it", 8), Column("n", "N", 3),
               Column("info", "Info", 12))

    def __init__(self, one_cell: bool) -> None:
        super().__init__()
        self.one_cell = one_cell

    def compose(self) -> ComposeResult:
        yield DiffTable(self.COLUMNS, id="t", one_cell=self.one_cell)


@aio
async def test_a_one_cell_table_draws_what_its_columns_would() -> None:
    # The LVS table holds a row as one cell (Liner): the same characters and styles,
    # cell by cell, as its columns would draw — cut with "…", padded, styled.
    rows = [
        Row("a", (Text("✔", style="green"), Text("bold name", style="bold"), "7",
                  Text("drift", style="yellow") + Text(" in 5 B/s"))),
        Row("b", ("", "  [b]x", Text("0 quiesced", style="yellow"), "a very long information")),
        Row("c", (Text("✖", style="bold red"), "日本語の名前", "12345", "tab\there")),
        Row("d", ("", "", "", "")),
    ]
    changed = [rows[0], Row("b", ("", "  y", "3", "short")), *rows[2:]]

    async def drawn(one_cell: bool) -> list[list[list[tuple[str, str]]]]:
        app = _OneTableApp(one_cell)
        frames = []
        async with app.run_test(size=(60, 20)) as pilot:
            table = app.query_one(DiffTable)
            for shown in (rows, changed):
                table.show(shown)
                await pilot.pause()
                frame = []
                for y in range(len(rows) + 1):
                    chars: list[tuple[str, str]] = []
                    for segment in table.render_line(y):
                        chars += [(c, str(segment.style)) for c in segment.text]
                    frame.append(chars)
                frames.append(frame)
            if one_cell:
                assert str(table.get_row("b")[0]).split() == ["y", "3", "short"]
        return frames

    line = await drawn(True)
    assert line == await drawn(False)
    assert "日本語 …  12…" in "".join(c for c, _ in line[0][3])  # wide letters cut, too


@aio
async def test_a_changed_cell_is_drawn_and_its_neighbours_stay() -> None:
    # Changed cells repaint without DataTable's update count: what is drawn must still
    # follow the data, on the cursor's row and elsewhere, and scrolled into view.
    app = _TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(DiffTable)

        def drawn() -> list[str]:
            return [table.render_line(y).text.strip() for y in range(1, 6)]

        table.show([Row(f"r{i}", (f"n{i}", "old")) for i in range(40)])
        await pilot.pause()
        assert drawn()[:2] == ["n0     old", "n1     old"]
        table.show([Row(f"r{i}", (f"n{i}", "new" if i in (0, 3, 30) else "old"))
                    for i in range(40)])
        await pilot.pause()
        assert drawn() == ["n0     new", "n1     old", "n2     old", "n3     new",
                           "n4     old"]
        assert table.cell_updates == 80 + 3
        table.move_cursor(row=30)
        await pilot.pause()
        lines = [table.render_line(y).text.strip() for y in range(0, 8)]
        assert "n30    new" in lines, lines


def _on_screen(app: App[None]) -> list[str]:
    """The screen's lines as a terminal shows them: Textual's compositor gives each
    widget's lines from its cache and renders again only those a refresh marked."""
    return [strip.text[:30].rstrip() for strip in app.screen._compositor.render_strips()]


@aio
async def test_a_row_updated_in_place_shows_its_new_value_on_the_screen() -> None:
    # Only the changed rows in the window are repainted (by line): the screen must show
    # the new values there, keep the others, and show a row changed out of sight with its
    # new value once it is scrolled to — also after the table was scrolled.
    app = _TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(DiffTable)

        def show(new: set[int], value: str = "new") -> None:
            table.show([Row(f"r{i}", (f"n{i}", value if i in new else "old"))
                        for i in range(40)])

        show(set())
        await pilot.pause()
        assert _on_screen(app)[1:4] == [" n0     old", " n1     old", " n2     old"]
        show({1, 3, 30})
        await pilot.pause()
        assert _on_screen(app)[1:6] == [" n0     old", " n1     new", " n2     old",
                                        " n3     new", " n4     old"]
        table.move_cursor(row=30)
        await pilot.pause()
        assert " n30    new" in _on_screen(app)
        top = table.scroll_offset.y
        assert top > 0
        show({1, 3, 30, top + 2}, "now")  # one row in the scrolled window, one above it
        await pilot.pause()
        screen = _on_screen(app)
        assert f" {f'n{top + 2}':<6} now" in screen and " n30    now" in screen, screen
        assert f" {f'n{top + 1}':<6} old" in screen
        table.move_cursor(row=0)
        await pilot.pause()
        assert _on_screen(app)[1:5] == [" n0     old", " n1     now", " n2     old",
                                        " n3     now"]


class _TwoTables(App[None]):
    def compose(self) -> ComposeResult:
        yield DiffTable([Column("a", "A", 5), Column("b", "B", 5)], id="one")
        yield DiffTable([Column("a", "A", 5), Column("b", "B", 5)], id="bulk")


@aio
async def test_rows_added_in_bulk_are_as_add_row_makes_them() -> None:
    # Past 8 new rows DiffTable fills DataTable's internals itself; the result must be
    # what DataTable.add_row, one row at a time, gives: keys, order, cells, cursor, drawing.
    app = _TwoTables()
    async with app.run_test(size=(40, 30)) as pilot:
        one, bulk = app.query_one("#one", DiffTable), app.query_one("#bulk", DiffTable)
        rows = [Row(f"r{i}", (f"n{i}", "[b]x")) for i in range(12)]
        for row in rows:
            one.show(rows[:rows.index(row) + 1])  # one new row per call: add_row
        bulk.show(rows)
        await pilot.pause()
        assert [r.key.value for r in bulk.ordered_rows] == [r.key.value for r in
                                                           one.ordered_rows]
        assert [list(map(str, bulk.get_row(r.key))) for r in bulk.ordered_rows] == \
            [list(map(str, one.get_row(r.key))) for r in one.ordered_rows]
        assert bulk.cursor_coordinate == one.cursor_coordinate
        assert bulk.selected() is not None and bulk.selected() == one.selected()
        assert [bulk.render_line(y).text for y in range(8)] == \
            [one.render_line(y).text for y in range(8)]
        bulk.show([*rows, *(Row(f"s{i}", (f"m{i}", "y")) for i in range(9))])
        await pilot.pause()
        assert bulk.row_count == 21 and str(bulk.get_row("s8")[0]) == "m8"


@aio
async def test_a_cell_too_wide_for_its_column_ends_in_an_ellipsis() -> None:
    """Issue 12: a value cut to its column's width reads as another ("not runnin",
    "threshold 10" for 1000000): every table's cell ends in "…" where it is cut, for a
    plain string and for a styled Text; one that fits is drawn whole."""
    app = _TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(DiffTable)
        table.show([Row("x", ("not running", Text("1000000", style="bold"))),
                    Row("y", ("ok", "12345"))])
        await pilot.pause()
        lines = [table.render_line(y).text.rstrip() for y in range(1, 3)]
        assert lines == [" not …  1000…", " ok     12345"], lines
        # The row keeps the whole value (the filter, the detail view and the diff read it).
        assert table.rows_by_key["x"].cells[0] == "not running"


def test_a_plain_cell_is_drawn_as_its_text() -> None:
    # Plain draws a value that fits as one segment, skipping Text's wrapping: what a table
    # cell shows (padded, styled, at its width, cut with "…") must be exactly the Text's.
    import random

    from rich.console import Console
    from rich.padding import Padding
    from rich.style import Style
    from textual.renderables.styled import Styled

    console = Console(width=80, color_system="truecolor", force_terminal=True)
    pieces = ["a", "192.0.2.21:80", " ", "▁▂▃█", "[b]x", "é", "世界", "…", "-", "", "in 12 B/s",
              "\t", "\\n", "x\ny", "\r"]
    rnd = random.Random(15)
    style = Style(color="red", bgcolor="blue", meta={"row": 1, "column": 2})
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
        width = rnd.randint(1, 16)
        options = console.options.update_dimensions(width, 1).update(no_wrap=True)
        drawn = [console.render_lines(Styled(Padding(cell, (0, 1)), pre_style=style,
                                             post_style=Style.null()), options)
                 for cell in (Plain(text), Plain(text).as_text())]
        assert drawn[0] == drawn[1], (text, width)
