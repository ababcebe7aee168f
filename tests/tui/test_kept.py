"""Last good values: a source that fails keeps its previous data on screen, marked stale."""

from __future__ import annotations

import pytest

from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.tui.screen_detail import DetailScreen
from hadeck.tui.tables import DiffTable
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, refresh, rows, settle

pytestmark = pytest.mark.pacemaker


def test_poller_keeps_the_last_good_guests_of_a_failed_source(lab: Lab) -> None:
    clock = {"t": 1000.0}
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None), clock=lambda: clock["t"])
    first = poller.poll()
    on_j2 = sorted(g.name for g in first.state.guests if g.node == "jupiter2")
    assert on_j2 and not first.kept
    read_at = next(s.read_at for s in first.state.sources
                   if (s.source, s.node) == ("guests", "jupiter2"))

    faults.tool_fault(lab, "jupiter2", "virsh", "garbage")
    clock["t"] += 40
    second = poller.poll()
    status = next(s for s in second.state.sources if (s.source, s.node) == ("guests", "jupiter2"))
    assert status.error and "cannot parse" in status.error
    assert sorted(g.name for g in second.state.guests if g.node == "jupiter2") == on_j2
    assert second.kept == {("guests", "jupiter2"): read_at}
    # Kept data is no change: no "vm gone" events, no made-up CPU rate.
    assert not [e for e in second.events if e.area == "guests"]
    assert not any(k.endswith("@jupiter2") for k in second.guest_cpu)

    clock["t"] += 5
    third = poller.poll()  # still failing: the age keeps counting from the good read
    assert third.kept == {("guests", "jupiter2"): read_at}

    faults.tool_fault(lab, "jupiter2", "virsh", None)
    fourth = poller.poll()
    assert not fourth.kept
    assert sorted(g.name for g in fourth.state.guests if g.node == "jupiter2") == on_j2


def test_an_unreachable_node_keeps_nothing(lab: Lab) -> None:
    poller = Poller(lambda: LabAccess(lab, "jupiter2"), log=EventLog(None))
    poller.poll()
    faults.fail_node(lab, "jupiter1")
    snap = poller.poll()
    assert not snap.kept
    assert not [g for g in snap.state.guests if g.node == "jupiter1"]


@aio
async def test_a_tool_fault_keeps_the_guests_on_screen_marked_stale(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        before = [r for r in rows(app, "guests") if "jupiter2" in r]
        assert before and not any("⌛" in r for r in before)

        faults.tool_fault(lab, "jupiter2", "virsh", "garbage")
        await refresh(app, pilot)
        after = [r for r in rows(app, "guests") if "jupiter2" in r]
        assert len(after) == len(before)
        assert all(r.startswith("⌛") for r in after)
        assert not any("⌛" in r for r in rows(app, "guests") if "jupiter1" in r)
        banner = str(app.screen.query_one("#kept").render())
        assert "guests@jupiter2 from" in banner and "cannot parse virsh output" in banner

        table = app.screen.query_one("#guests", DiffTable)
        table.move_cursor(row=rows(app, "guests").index(after[0]))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        detail = str(app.screen.query_one("#detail").query_one("Static").render())
        assert "the last good data, read" in detail and "? error: cannot parse" in detail
        await pilot.press("escape", "o")
        await pilot.pause()
        assert any("guests@jupiter2" in p and "cannot parse" in p
                   for p in rows(app, "problems"))
        assert app.screen.query_one("#kept").display

        faults.tool_fault(lab, "jupiter2", "virsh", None)
        await refresh(app, pilot)
        assert not app.screen.query_one("#kept").display
        await pilot.press("g")
        await pilot.pause()
        assert not any("⌛" in r for r in rows(app, "guests"))
