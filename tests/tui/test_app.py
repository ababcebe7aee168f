"""The dashboard driven with Pilot on the lab: screens, keys, filter, details, faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.tui.screen_detail import DetailScreen
from hadeck.tui.screen_help import HelpScreen
from hadeck.watch.eventlog import EventLog
from tests.tui.conftest import bundle_app, lab_app
from tests.tui.helpers import aio, refresh, rows, screen_name, settle, status

pytestmark = pytest.mark.pacemaker

SIZES = [(80, 24), (160, 50)]

EXPECTED = {
    "o": ("overview", "nodes", "jupiter1"),
    "r": ("resources", "resources", "ms_drbd_vm1"),
    "d": ("drbd", "drbd", "r1@jupiter1"),
    "g": ("guests", "guests", "vm2"),
    "l": ("lvs", "lvs", "TCP 192.0.2.80:80@lvs1"),
    "c": ("connectivity", "links", "pingd jupiter2"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@aio
async def test_every_screen_shows_the_lab(lab: Lab, size: tuple[int, int]) -> None:
    app = lab_app(lab)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        assert "OK no problems" in status(app)
        for key, (mode, table, needle) in EXPECTED.items():
            await pilot.press(key)
            await pilot.pause()
            assert screen_name(app) == mode
            shown = rows(app, table)
            assert any(needle in row for row in shown), (mode, shown)
        await pilot.press("e")
        assert screen_name(app) == "events"
        await pilot.press("escape")
        assert screen_name(app) == "overview"


@aio
async def test_overview_lists_nodes_and_no_problems(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        nodes = rows(app, "nodes")
        assert [n.split()[0] for n in nodes] == ["jupiter1", "jupiter2", "sun"]
        assert "✔ online DC" in nodes[2]
        assert "100/100" in nodes[0]
        assert rows(app, "problems") == ["✔ OK no problems every check passes"]


@aio
async def test_filter_narrows_and_escape_clears(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r", "slash", *"vm2")
        await pilot.pause()
        shown = rows(app, "resources")
        assert shown and all("vm2" in row for row in shown)
        assert not any("cl_ping" in row for row in shown)
        # Keys typed into the filter do not switch screens.
        assert screen_name(app) == "resources"
        await pilot.press("escape")
        await pilot.pause()
        assert any("cl_ping" in row for row in rows(app, "resources"))
        await pilot.press("escape")
        assert screen_name(app) == "overview"


@aio
async def test_enter_opens_details_and_escape_returns(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "j", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        text = app.screen.query_one("#detail").query_one("Static").render()
        plain = str(text)
        # In words first (issue 12: not a Python dump), every field after.
        assert "DRBD peer volume" in plain and "replication:" in plain
        assert "All fields" in plain and "replication" in plain
        assert "source drbd@jupiter1: read" in plain
        await pilot.press("escape")
        assert screen_name(app) == "drbd"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert screen_name(app) == "drbd"


@aio
async def test_sort_and_problem_toggles(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "p")
        await pilot.pause()
        assert rows(app, "drbd") == []
        await pilot.press("p", "g", "s", "s", "s")
        await pilot.pause()
        assert app.screen.sort == "memory"  # type: ignore[attr-defined]
        assert rows(app, "guests")[0].split()[1] == "vm2"  # 6 GiB before 4 GiB


@aio
async def test_fail_node_shows_within_one_refresh(lab: Lab, tmp_path: Path) -> None:
    log_file = tmp_path / "events.log"
    app = lab_app(lab, log=EventLog(log_file, "lab"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        faults.fail_node(lab, "jupiter1")
        await refresh(app, pilot)
        nodes = rows(app, "nodes")
        assert "✖ offline" in nodes[0] and nodes[0].startswith("jupiter1")
        problems = rows(app, "problems")
        # One problem, what the crash caused folded under it (+N): issue 12.
        assert problems[0].startswith("✖ CRITICAL jupiter1 +")
        assert " offline: crashed or cut off (expected up) → " in problems[0]
        assert "CRITICAL" in status(app)
        await pilot.press("e")
        await pilot.pause()
        events = rows(app, "events")
        assert any("jupiter1 offline (was online)" in e for e in events)
        assert any("vm1 moved jupiter1 → jupiter2" in e for e in events)
    written = log_file.read_text()
    assert "jupiter1 offline (was online) [lab]" in written


@aio
async def test_cut_drbd_shows_within_one_refresh(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        faults.cut_drbd(lab, "r1")
        await refresh(app, pilot)
        # One problem for r1, seen from both ends (issue 12: folded, not one line each).
        assert any("r1 +2 jupiter1 → jupiter2: peer not connected" in p
                   for p in rows(app, "problems"))
        await pilot.press("e")
        await pilot.pause()
        assert any("r1@jupiter1 → jupiter2" in e and "was Connected" in e
                   for e in rows(app, "events"))
        faults.heal_drbd(lab, "r1")
        faults.step(lab, 10)
        await refresh(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        assert any("SyncSource" in r and "[" in r and "%" in r and "ETA" in r
                   for r in rows(app, "drbd"))


@aio
async def test_kill_rs_shows_within_one_refresh(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        faults.kill_rs(lab, "192.0.2.21")
        await refresh(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert any("real server 192.0.2.21:80 removed from TCP 192.0.2.80:80@lvs1" in e
                   for e in rows(app, "events"))
        await pilot.press("l")
        await pilot.pause()
        # Gone from the IPVS table, it stays on the screen, named, as a down row.
        gone = [r for r in rows(app, "lvs") if "192.0.2.21:80" in r]
        assert gone and all("down" in r for r in gone), gone


@aio
async def test_a_failing_collector_is_shown_and_polling_goes_on(lab: Lab) -> None:
    app = lab_app(lab)
    calls = {"n": 0}
    real = app.poller.poll

    def flaky(**kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("collector exploded")
        return real(**kw)

    app.poller.poll = flaky  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await refresh(app, pilot)
        assert app.is_running
        assert "poll failed: RuntimeError: collector exploded" in status(app)
        assert rows(app, "nodes")  # the last good data stays
        await refresh(app, pilot)
        assert "poll failed" not in status(app)


@aio
async def test_a_failing_source_shows_its_reason(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        faults.tool_fault(lab, "lvs1", "ipvsadm", "garbage")
        await refresh(app, pilot)
        problems = rows(app, "problems")
        assert any("lvs@lvs1" in p and "cannot parse ipvsadm output" in p for p in problems)
        # The other sources keep updating: the backup director's table still shows.
        await pilot.press("l")
        await pilot.pause()
        assert any("TCP 192.0.2.80:80@lvs2" in r for r in rows(app, "lvs"))


@aio
async def test_stale_data_is_marked(lab: Lab) -> None:
    now = {"t": 0.0}
    app = lab_app(lab)
    app.interval = 2.0
    import time

    app.clock = lambda: time.time() + now["t"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "updated" in status(app) and "STALE" not in status(app)
        now["t"] = 60
        app._tick()
        assert "⌛ STALE: data 1m old" in status(app)


@aio
async def test_bundle_is_read_once_and_frozen() -> None:
    app = bundle_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "REPLAY bundle degraded-bundle" in status(app)
        assert app.refreshing is False
        first = app.snapshot
        await refresh(app, pilot)
        assert app.snapshot is first


@aio
async def test_palette_has_a_command_per_screen(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for name in ("overview", "resources", "drbd", "guests", "lvs", "connectivity",
                     "events"):
            assert any(t.startswith(f"Screen: {name}") for t in titles)
        drbd = next(c for c in app.get_system_commands(app.screen) if "drbd" in c.title)
        drbd.callback()
        await pilot.pause()
        assert screen_name(app) == "drbd"
