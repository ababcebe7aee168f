"""The dashboard's detail view of a resource says where it runs and why (hadeck explain)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.tui.app import HadeckApp
from hadeck.tui.screen_detail import DetailScreen
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, rows, settle

pytestmark = pytest.mark.pacemaker


async def placement_shown(app: HadeckApp, pilot: Pilot[None]) -> str:
    """Wait for the placement worker, then the text of the detail view's section."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, DetailScreen)
    return str(screen.query_one("#placement").render())


@aio
async def test_resource_detail_explains_its_placement(lab: Lab) -> None:
    faults.ping_lost(lab, "jupiter1")
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        shown = rows(app, "resources")
        target = next(i for i, row in enumerate(shown) if row.split()[:1] == ["vm1"])
        await pilot.press(*(["j"] * target), "enter")
        await pilot.pause()
        text = await placement_shown(app, pilot)
        assert "placement (hadeck explain)" in text
        assert "vm1 runs on jupiter2 (Started)" in text
        assert "-INFINITY from location rule loc_vm1_connected (pingd lte 0; pingd is 0)" \
            in text
        assert "banned by location loc_vm1_not_sun" in text


@aio
async def test_a_problem_about_a_resource_explains_it_too(lab: Lab) -> None:
    app = lab_app(lab)
    faults.tool_fault(lab, "*", "crm_simulate", "missing")
    node = app.poller.access().local
    assert node.run(("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter2")).ok
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        assert any("cli-ban-vm2-on-jupiter2" in row for row in rows(app, "problems"))
        await pilot.press("enter")
        await pilot.pause()
        text = await placement_shown(app, pilot)
        # Without the scheduler, the view says why it cannot tell, and stays open.
        assert "? cannot tell: the scheduler's scores could not be computed" in text
