"""The overview's problem list uses the height it has (issue 12: at 50 rows it stayed 8
rows with 35 empty lines below)."""

from __future__ import annotations

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.tui.tables import DiffTable
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, rows, settle


@pytest.mark.pacemaker
@aio
async def test_many_problems_use_the_height(lab: Lab) -> None:
    faults.kill_rs(lab, "192.0.2.22")
    faults.cut_drbd(lab, "r1")
    faults.cut_drbd(lab, "r2")
    faults.fail_resource(lab, "vm2", "monitor")
    faults.fail_resource(lab, "svc_dummy", "monitor")
    faults.fail_resource(lab, "ip_service", "monitor")
    faults.fail_resource(lab, "vm1", "monitor")
    faults.tool_fault(lab, "jupiter1", "virsh", "garbage")
    faults.fail_director(lab, "lvs2")
    faults.ping_lost(lab, "sun")
    for tool in ("virsh", "xl"):
        faults.tool_fault(lab, "jupiter2", tool, "garbage")
    faults.tool_fault(lab, "sun", "corosync-cfgtool", "garbage")
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        problems = rows(app, "problems")
        assert len(problems) > 9, problems
        table = app.screen.query_one("#problems", DiffTable)
        # Every problem row shows (one header line), where 9 lines were the most before.
        assert table.size.height >= len(problems) + 1, (table.size.height, len(problems))
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#problems", DiffTable)
        nodes = app.screen.query_one("#nodes", DiffTable)
        # Small terminal: the problems scroll, the nodes keep some room.
        assert table.size.height < 24 and nodes.size.height >= 3
