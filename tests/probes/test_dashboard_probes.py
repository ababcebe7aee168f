"""The dashboard with ``--probe`` on the lab: the connectivity screen's Loss and RTT."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.config import Config
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import aio, refresh, rows, settle

pytestmark = pytest.mark.pacemaker


@aio
async def test_connectivity_shows_loss_and_rtt_and_the_lost_ping_node(tmp_path: Path) -> None:
    lab = Lab.init(tmp_path / "lab")
    poller = Poller(lambda: LabAccess(lab), Config(probe_ping=True), EventLog(None, "lab"))
    app = HadeckApp(poller, interval=3600, auto_refresh=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        row = next(r for r in rows(app, "links") if "ping 192.0.2.254 from jupiter1" in r)
        assert "0% 0.26 ms" in row and "ping node of p_ping" in row
        faults.ping_lost(lab, "jupiter1")
        await refresh(app, pilot)
        row = next(r for r in rows(app, "links") if "ping 192.0.2.254 from jupiter1" in r)
        assert "▲ WARNING" in row and "100%" in row and "no answer: 3 of 3 echoes lost" in row
