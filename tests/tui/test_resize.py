"""The dashboard at another terminal size: columns re-flow, no restart (issue 12)."""

from __future__ import annotations

import pytest
from textual.widgets.data_table import ColumnKey

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.tui.tables import DiffTable
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, settle


def _reason_lines(app: object, table: DiffTable) -> list[str]:
    return [table.render_line(y).text.rstrip() for y in range(1, table.size.height)]


@pytest.mark.pacemaker
@aio
async def test_columns_reflow_when_the_terminal_grows_and_shrinks(lab: Lab) -> None:
    faults.ping_lost(lab)
    faults.step(lab, 30)
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#problems", DiffTable)
        reason = ColumnKey("reason")
        narrow = table.columns[reason].width
        drawn = "\n".join(_reason_lines(app, table))
        assert "…" in drawn, drawn  # the root cause's long headline is cut, visibly

        await pilot.resize_terminal(160, 50)
        await settle(app, pilot)
        wide = table.columns[reason].width
        assert wide == narrow + 80, (narrow, wide)
        drawn = "\n".join(_reason_lines(app, table))
        assert "reach no ping node → vm1, vm2, g_services stopped" in drawn, drawn

        # Another screen, not shown while the terminal changed, re-flows when shown.
        await pilot.resize_terminal(100, 30)
        await settle(app, pilot)
        assert table.columns[reason].width == narrow + 20
        app.action_show("guests")
        await settle(app, pilot)
        guests = app.screen.query_one("#guests", DiffTable)
        before = guests.columns[ColumnKey("drbd")].width
        await pilot.resize_terminal(120, 30)
        await settle(app, pilot)
        assert guests.columns[ColumnKey("drbd")].width == before + 20
        app.action_show("overview")
        await settle(app, pilot)
        assert app.screen.query_one("#problems", DiffTable).columns[reason].width \
            == narrow + 40
