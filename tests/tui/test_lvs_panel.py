"""LVS actions from the dashboard, on the lab: ``a`` on a real-server row, drain, and the
BACKUP's rows greyed with the reason. What is checked afterwards is the director's table
as ``ipvsadm -Ln`` prints it in the lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import aio, rows, settle
from tests.tui.test_actions_panel import LAB, choose, open_panel, text_of, wait_for

ROW = "TCP 192.0.2.80:80@{}/192.0.2.22:80"


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own action journal (never the user's)."""
    path = tmp_path / "actions.jsonl"
    monkeypatch.setenv("HADECK_JOURNAL", str(path))
    return path


def app_on(lab: Lab) -> HadeckApp:
    """The dashboard on the lab; an action waits 2 s at most (the lab's clock is frozen:
    a drained server's connections never finish)."""
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None, "lab"))
    return HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False,
                     action_wait=2)


def weight_of(lab: Lab, director: str, server: str = "192.0.2.22:80") -> int:
    out = LabAccess(lab).runner(director).run(("ipvsadm", "-Ln")).stdout
    line = next(x for x in out.splitlines() if x.startswith(f"  -> {server} ")
                and "192.0.2.80:80" in out)
    return int(line.split()[3])


@LAB
@aio
async def test_drain_a_real_server_from_the_lvs_screen(lab: Lab, journal: Path) -> None:
    assert weight_of(lab, "lvs1") == 1
    app = app_on(lab)
    async with app.run_test(size=(110, 40)) as pilot:
        panel = await open_panel(app, pilot, "l", ROW.format("lvs1"))
        assert panel.selection.kind == "real server"
        verbs = [a.request.verb for a in panel.actions if a.request]
        assert verbs == ["lvs-drain", "lvs-restore", "lvs-weight", "lvs-weight",
                         "lvs-remove"]
        restore = next(a for a in panel.actions if a.name == "lvs-restore")
        assert restore.unavailable and "no drain" in restore.unavailable
        screen = await choose(app, pilot, panel, "lvs-drain")
        assert screen.phase == "confirm", text_of(app, "#text")
        shown = text_of(app, "#text")
        for part in ("What will happen (ipvsadm -Ln on lvs1 as read", "-> 192.0.2.22:80",
                     "keepalived manages TCP 192.0.2.80:80 on lvs1", "✔ director: lvs1 is MASTER",
                     "lvs1: ipvsadm -e -t 192.0.2.80:80 -r 192.0.2.22:80 -g -w 0"):
            assert part in shown, (part, shown)
        assert weight_of(lab, "lvs1") == 1   # nothing ran for the preview
        await pilot.press("y")
        await wait_for(app, pilot, lambda: screen.phase == "done")
        result = text_of(app, "#text")
        assert "not settled" in result and "active connections left" in result, result
    assert weight_of(lab, "lvs1") == 0
    assert journal.exists()


@LAB
@aio
async def test_the_backups_rows_say_why_not(lab: Lab) -> None:
    app = app_on(lab)
    async with app.run_test(size=(110, 40)) as pilot:
        panel = await open_panel(app, pilot, "l", ROW.format("lvs2"))
        assert panel.actions and all(a.unavailable for a in panel.actions)
        assert "lvs2 is BACKUP for TCP 192.0.2.80:80" in (panel.actions[0].unavailable or "")


@LAB
@aio
async def test_the_lvs_screen_shows_drift_from_keepalived_conf(lab: Lab) -> None:
    """A manual ipvsadm change (here straight through the lab's ipvsadm, as an operator
    at the director would) shows as drift from keepalived.conf's weight."""
    got = LabAccess(lab).runner("lvs1").run(
        ("ipvsadm", "-e", "-t", "192.0.2.80:80", "-r", "192.0.2.22:80", "-g", "-w", "5"))
    assert got.ok
    app = app_on(lab)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        shown = rows(app, "lvs")
        drifted = [r for r in shown if "192.0.2.22:80" in r and "drift" in r]
        assert len(drifted) == 1, shown
        assert "drift: keepalived.conf 1, kernel 5" in drifted[0]
        steady = [r for r in shown if "192.0.2.23:80" in r]
        assert len(steady) == 2 and not any("drift" in r for r in steady)  # both directors
        assert any("wlc │ keepalived" in r for r in shown), shown
