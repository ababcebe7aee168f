"""The dashboard's LVM and backups on the lab: a line per repository on the Guests
screen, the node's storage in its detail, and the summary bar's counts."""

from __future__ import annotations

import pytest

from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.tui.app import HadeckApp
from hadeck.tui.screen_detail import detail_text
from hadeck.tui.screen_overview import _nodes, area_counts
from hadeck.tui.view import View
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.storage import STOPPED_3_NIGHTS
from tests.tui.helpers import aio, rows, settle

pytestmark = pytest.mark.pacemaker


def _poller(lab: Lab) -> Poller:
    # The lab's repositories come with the configuration it opens with, as `hadeck --lab`.
    config = open_cluster(None, lab=str(lab.directory)).config
    return Poller(lambda: LabAccess(lab), config, log=EventLog(None, "lab"))


def test_the_node_detail_lists_its_storage(lab: Lab) -> None:
    faults.fill_pool(lab, "jupiter2")
    snap = _poller(lab).poll()
    view = View(snap, snap.state.taken_at, 2.0)
    row = next(r for r in _nodes(snap.state, view) if r.key == "jupiter2")
    lines = detail_text(row, view).plain.splitlines()
    assert "volume group vg_drbd: 98.0 GiB free of 500.0 GiB" in lines
    assert ("  thin pool vg_drbd/pool 400.0 GiB: data 84.0 %, metadata 14.0 % "
            "(DRBD r1/0, r2/0)") in lines
    assert "  DRBD r1/0 on /dev/vg_drbd/r1 (thin, pool pool)" in lines
    judged = lines[lines.index("What hadeck judges"):lines.index("All fields")]
    assert any("vg_drbd/pool@jupiter2" in line and "thin pool data 84.0 %" in line
               for line in judged), judged
    counts = area_counts(snap.state, snap.judgement).plain
    assert "▲ lvm 3/4" in counts and "✔ bkp 3/3" in counts


@aio
async def test_the_guests_screen_has_a_line_per_backup(lab: Lab) -> None:
    faults.stop_backups(lab, "vm2")
    faults.backup_error(lab, "etc")
    app = HadeckApp(_poller(lab), interval=3600, auto_refresh=False, stream_drbd=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        lines = rows(app, "backups")
        assert len(lines) == 3
        vm1, vm2, etc = lines
        assert vm1.startswith("✔ vm1 sun ") and " ago 13 last backup " in vm1
        assert vm2.startswith("✖ vm2 sun 3d") and STOPPED_3_NIGHTS.search(vm2), vm2
        assert etc.startswith("▲ /srv/backup/etc sun ") and "ListError" in etc
