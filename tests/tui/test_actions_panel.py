"""Acting from the dashboard, on the lab: ``a``, choose, preview, confirm, progress, result.

Each test drives the dashboard with Pilot as an operator would (select a row, ``a``, an
action, ``y`` or the typed name) and then reads the lab's cluster the way ``hadeck
status`` does (:func:`hadeck.collect.collect`: the real ``crm_mon`` on the lab's CIB), so
what is checked is what Pacemaker did, not what the screen claims. The lab's Pacemaker
side is the real scheduler; these tests need pacemaker-cli-utils.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from hadeck.actions.checks import Check
from hadeck.actions.perform import Outcome, Prepared, StepResult
from hadeck.actions.plan import Plan, Step
from hadeck.actions.preview import Preview
from hadeck.actions.request import Request
from hadeck.collect import collect
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.model import ClusterState, Health
from hadeck.text import safe
from hadeck.tui.actiontext import Hanging, forcible, outcome_event, outcome_text, prepared_text
from hadeck.tui.app import HadeckApp
from hadeck.tui.screen_actions import ActionScreen
from hadeck.tui.screen_perform import PerformScreen
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.conftest import bundle_app
from tests.tui.helpers import aio, rows, screen_name, screen_text, settle
from tests.tui.terminal import Terminal

LAB = pytest.mark.pacemaker


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own action journal (never the user's)."""
    path = tmp_path / "actions.jsonl"
    monkeypatch.setenv("HADECK_JOURNAL", str(path))
    return path


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def app_on(lab: Lab, read_only: bool = False) -> HadeckApp:
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None, "lab"))
    return HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False,
                     read_only=read_only, action_wait=30)


def cluster(lab: Lab) -> ClusterState:
    """The lab's cluster as ``hadeck status`` reads it (crm_mon on the lab's CIB)."""
    return collect(LabAccess(lab))


def standby(lab: Lab, node: str) -> None:
    """Put ``node`` in standby behind the dashboard's back (as another operator would)."""
    result = LabAccess(lab).runner("jupiter1").run(
        ("crm_attribute", "-N", node, "-n", "standby", "-v", "on"))
    assert result.returncode == 0, result


def running_on(lab: Lab, resource: str) -> tuple[str, ...]:
    pcmk = cluster(lab).pacemaker
    assert pcmk is not None
    found = pcmk.find(resource)
    assert found is not None, resource
    return found.running_on


def text_of(app: HadeckApp, selector: str) -> str:
    """The text of a widget of the screen on top (the action screen's body: as shown)."""
    screen = app.screen
    if selector == "#text" and isinstance(screen, PerformScreen):
        return screen.shown.plain
    return str(screen.query_one(selector, Static).render())


async def open_panel(app: HadeckApp, pilot: Pilot[None], screen: str, row: str) -> ActionScreen:
    """Go to ``screen``, put the cursor on the row whose key ends with ``row``, press ``a``."""
    await settle(app, pilot)
    await pilot.press(screen)
    await pilot.pause()
    from hadeck.tui.tables import DiffTable

    for table in app.screen.query(DiffTable):
        keys = [r.key.value or "" for r in table.ordered_rows]
        hits = [i for i, key in enumerate(keys) if key.split(":", 1)[-1] == row]
        if hits:
            table.focus()
            table.move_cursor(row=hits[0])
            break
    else:
        raise AssertionError(f"no row {row} on {screen}")
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    panel = app.screen
    assert isinstance(panel, ActionScreen), screen_name(app)
    return panel


def index_of(panel: ActionScreen, verb: str, node: str | None = None) -> int:
    for i, action in enumerate(panel.actions):
        request = action.request
        if request is not None and request.verb == verb and (node is None or
                                                              request.node == node):
            return i
    raise AssertionError(f"no {verb} {node} among {[a.label for a in panel.actions]}")


async def choose(app: HadeckApp, pilot: Pilot[None], panel: ActionScreen, verb: str,
                 node: str | None = None) -> PerformScreen:
    """Highlight the action, Enter, and wait for its preview."""
    choices = panel.query_one(OptionList)
    choices.highlighted = index_of(panel, verb, node)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PerformScreen), screen_name(app)
    await wait_for(app, pilot, lambda: screen.phase != "preparing")
    return screen


async def wait_for(app: HadeckApp, pilot: Pilot[None], done: object, limit: float = 60) -> None:
    """Let the workers run until ``done()`` (a callable) holds."""
    assert callable(done)
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)


# ---------------------------------------------------------------------- tests


@LAB
@aio
async def test_move_a_guest_from_the_dashboard(lab: Lab, journal: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert running_on(lab, "vm1") == ("jupiter1",)
    # The real execute, held at its start until the keys below have been pressed: on a
    # quick machine the move could settle before them, and Esc then rightly closes the
    # finished screen (the test would check the wrong phase).
    from hadeck.tui import screen_perform

    keys_pressed = threading.Event()
    real_execute = screen_perform.execute

    def held_execute(*args: object, **kwargs: object) -> Outcome:
        keys_pressed.wait(30)
        return real_execute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(screen_perform, "execute", held_execute)
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "g", "vm1@jupiter1")
        screen = await choose(app, pilot, panel, "move", "jupiter2")
        assert screen.phase == "confirm", text_of(app, "#text")
        shown = text_of(app, "#text")
        for part in ("Pacemaker would", "vm1: move jupiter1 → jupiter2",
                     "ms_drbd_vm1: demote on jupiter1, promote on jupiter2",
                     "no change: ms_drbd_vm2, vm2, g_services", "Pre-checks",
                     "✔ target node: jupiter2 is online", "Commands",
                     "jupiter1: crm_resource --move -r vm1 -N jupiter2",
                     "jupiter1: crm_resource --clear -r vm1"):
            assert part in shown, (part, shown)
        assert "y: run it" in text_of(app, "#prompt")
        assert running_on(lab, "vm1") == ("jupiter1",)  # nothing ran for the preview
        await pilot.press("y")
        await pilot.pause()
        assert screen.phase == "running"
        await pilot.press("o", "escape")  # no screen switch, no leaving while it runs
        assert app.screen is screen
        assert screen.phase == "running"
        keys_pressed.set()
        await wait_for(app, pilot, lambda: screen.phase == "done")
        result = text_of(app, "#text")
        assert "✔ done (exit 0)" in result, result
        assert "waiting for Pacemaker to settle" in result  # the progress lines stay
        assert screen.outcome is not None and screen.outcome.exit_code == 0
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "guests"
        await pilot.press("e")
        await settle(app, pilot)
        events = rows(app, "events")
        assert any("action move vm1 jupiter2 done" in e for e in events), events
        assert any("action move vm1 jupiter2: confirmed" in e for e in events), events
    assert running_on(lab, "vm1") == ("jupiter2",)
    pcmk = cluster(lab).pacemaker
    assert pcmk is not None and not [c for c in pcmk.locations if c.from_cli]  # cleared
    assert journal.exists()  # the dashboard's actions are journaled as the command line's


@LAB
@aio
async def test_move_a_group_from_the_resources_screen(lab: Lab) -> None:
    assert running_on(lab, "g_services") == ("jupiter1",)
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "r", "g_services")
        assert panel.selection.kind == "group resource"
        screen = await choose(app, pilot, panel, "move", "jupiter2")
        assert screen.phase == "confirm", text_of(app, "#text")
        assert "g_services: move jupiter1 → jupiter2" in text_of(app, "#text")
        await pilot.press("y")
        await wait_for(app, pilot, lambda: screen.phase == "done")
        assert "✔ done (exit 0)" in text_of(app, "#text")
        await pilot.press("enter")
        await settle(app, pilot)  # the poll the result started
        assert screen_name(app) == "resources"
        shown = [r for r in rows(app, "resources") if "svc_dummy" in r]
        assert shown and "jupiter2" in shown[0], shown  # the dashboard shows it moved
    assert running_on(lab, "g_services") == ("jupiter2",)


@LAB
@aio
async def test_standby_needs_the_node_name_typed(lab: Lab) -> None:
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "o", "jupiter1")
        screen = await choose(app, pilot, panel, "standby")
        assert screen.phase == "confirm", text_of(app, "#text")
        assert screen.confirm_word == "jupiter1"
        box = app.screen.query_one("#word", Input)
        assert box.display and box.has_focus
        await pilot.press("y", "enter")  # not the word: nothing runs
        await pilot.pause()
        assert screen.phase == "confirm"
        pcmk = cluster(lab).pacemaker
        assert pcmk is not None and not pcmk.node("jupiter1").standby  # type: ignore[union-attr]
        await pilot.press(*"jupiter1", "enter")
        await wait_for(app, pilot, lambda: screen.phase == "done")
        assert "done (exit 0)" in text_of(app, "#text"), text_of(app, "#text")
    pcmk = cluster(lab).pacemaker
    assert pcmk is not None
    node = pcmk.node("jupiter1")
    assert node is not None and node.standby
    assert running_on(lab, "vm1") == ("jupiter2",)  # its guest went to the other node


@LAB
@aio
async def test_a_move_onto_a_standby_node_is_refused_and_nothing_runs(lab: Lab,
                                                                     journal: Path) -> None:
    standby(lab, "jupiter2")
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "g", "vm1@jupiter1")
        screen = await choose(app, pilot, panel, "move", "jupiter2")
        assert screen.phase == "refused"
        shown = text_of(app, "#text")
        assert "✘ target node: jupiter2 is in standby" in shown, shown
        assert "✘ not done: vm1 would stay where it is" in shown, shown
        assert "✘ refused:" in shown
        prompt = text_of(app, "#prompt")
        assert "refused: nothing will run" in prompt and "f: force" not in prompt
        await pilot.press("y", "f", "enter")
        await pilot.pause()
        assert screen.phase == "refused" and screen.request.force is False
    assert running_on(lab, "vm1") == ("jupiter1",)
    assert not journal.exists()


@LAB
@aio
async def test_forcing_what_may_be_forced_then_needs_the_name(lab: Lab) -> None:
    standby(lab, "jupiter1")
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "o", "jupiter2")
        screen = await choose(app, pilot, panel, "standby")
        assert screen.phase == "refused"
        assert "would stop" in text_of(app, "#text")
        assert "f: force" in text_of(app, "#prompt")
        await pilot.press("f")
        await wait_for(app, pilot, lambda: screen.phase != "preparing")
        assert screen.phase == "confirm" and screen.request.force
        assert "(overridden: forced)" in text_of(app, "#text")
        assert screen.confirm_word == "jupiter2"
        await pilot.press(*"jupiter2", "enter")
        await wait_for(app, pilot, lambda: screen.phase == "done")
    pcmk = cluster(lab).pacemaker
    assert pcmk is not None
    node = pcmk.node("jupiter2")
    assert node is not None and node.standby
    assert running_on(lab, "vm1") == ()


@LAB
@aio
async def test_read_only_says_why_and_offers_nothing(lab: Lab) -> None:
    app = app_on(lab, read_only=True)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "g", "vm1@jupiter1")
        assert "read-only" in text_of(app, "#about")
        shown = screen_text(app)
        assert "✖ read-only: this hadeck does not change the cluster" in shown
        assert "Move vm1 to jupiter2  ✖ not now" in shown
        assert panel.actions and all(a.unavailable for a in panel.actions)
        choices = panel.query_one(OptionList)
        assert all(choices.get_option_at_index(i).disabled
                   for i in range(choices.option_count))
        for action in panel.actions:
            if action.key:
                await pilot.press(action.key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionScreen)
    assert running_on(lab, "vm1") == ("jupiter1",)


@aio
async def test_a_bundle_cannot_be_acted_on() -> None:
    app = bundle_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("g", "a")
        await pilot.pause()
        assert isinstance(app.screen, ActionScreen)
        assert "bundle" in text_of(app, "#about")
        assert all(a.unavailable for a in app.screen.actions)


@LAB
@aio
async def test_escape_runs_nothing(lab: Lab, journal: Path) -> None:
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        panel = await open_panel(app, pilot, "g", "vm1@jupiter1")
        screen = await choose(app, pilot, panel, "move", "jupiter2")
        assert screen.phase == "confirm"
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "guests"
        # Escape while it is still being prepared: nothing either.
        panel = await open_panel(app, pilot, "g", "vm1@jupiter1")
        panel.query_one(OptionList).highlighted = index_of(panel, "move", "jupiter2")
        await pilot.press("enter", "escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_name(app) == "guests"
        assert not [e for e in app.event_log.events() if e.area == "action"]
    assert running_on(lab, "vm1") == ("jupiter1",)
    pcmk = cluster(lab).pacemaker
    assert pcmk is not None and not [c for c in pcmk.locations if c.from_cli]
    assert not journal.exists()


@LAB
def test_preview_and_confirm_snapshot(snap_compare, lab: Lab, utc: None) -> None:  # type: ignore[no-untyped-def]
    app = app_on(lab)

    async def run_before(pilot: Pilot[None]) -> None:
        panel = await open_panel(app, pilot, "o", "jupiter1")
        await choose(app, pilot, panel, "standby")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# ---------------------------------------------------------------------- the texts (pure)

HOSTILE = "vm\x1b]0;pwned\x07\x1b[2J"
"""A resource name that would retitle and clear the operator's terminal if printed raw."""


def _prepared(force: bool = False, failed: tuple[Check, ...] = ()) -> Prepared:
    request = Request("move", HOSTILE, "jupiter2", force=force)
    planned = Plan(request, (Step("jupiter1", ("crm_resource", "--move", "-r", HOSTILE, "-N",
                                               "jupiter2"), f"move {HOSTILE}"),),
                   f"move {HOSTILE} from jupiter1 to jupiter2", False, None,
                   after=(Step("jupiter1", ("crm_resource", "--clear", "-r", HOSTILE),
                               "clear the constraint"),))
    shown = Preview((), (f"{HOSTILE} would stay where it is",),
                    f"the scheduler would change nothing\n"
                    f"not done: {HOSTILE} would stay where it is")
    checks = (Check("quorum", True, "the cluster has quorum"), *failed)
    refused = "; ".join(c.reason for c in failed if not (force and c.overridable)) or None
    return Prepared(planned, shown, checks, refused, request=request)


def test_prepared_text_shows_every_part_with_names_escaped() -> None:
    prepared = _prepared(failed=(Check("pingd on jupiter2", False, "pingd is 50", True),))
    assert prepared.plan is not None
    text = prepared_text(prepared.plan.request, prepared).plain
    assert "\x1b" not in text and "\x07" not in text
    name = safe(HOSTILE)
    assert f"move {name} jupiter2" in text
    assert f"✘ not done: {name} would stay where it is" in text
    assert "✔ quorum: the cluster has quorum" in text
    assert "✘ pingd on jupiter2: pingd is 50 (--force overrides)" in text
    argv = ("crm_resource", "--move", "-r", HOSTILE, "-N", "jupiter2")
    assert f"jupiter1: {safe(shlex.join(argv))}" in text
    assert "once settled: clear the constraint" in text
    assert "✘ refused: pingd is 50" in text
    assert forcible(prepared)
    forced = _prepared(True, (Check("pingd on jupiter2", False, "pingd is 50", True),))
    assert not forcible(forced)  # already forced
    assert "(overridden: forced)" in prepared_text(Request("move", "x", force=True),
                                                   forced).plain
    hard = _prepared(failed=(Check("target node", False, "jupiter2 is in standby"),
                             Check("pingd on jupiter2", False, "pingd is 50", True)))
    assert not forcible(hard)  # a check that may not be overridden failed too


def test_outcome_words_and_events() -> None:
    request = Request("standby", "jupiter1")
    ran = (StepResult("jupiter1", ("crm_attribute", "-N", "jupiter1"), 0),)
    done = Outcome(True, True, ran, "jupiter1 is in standby; vm1 runs on jupiter2", 0,
                   facts=("jupiter1 is in standby", "vm1 runs on jupiter2"))
    text = outcome_text(request, done).plain
    assert "✔ done (exit 0)\n  ✔ jupiter1 is in standby\n  ✔ vm1 runs on jupiter2" in text
    assert "jupiter1: crm_attribute -N jupiter1 → exit 0" in text
    event = outcome_event(request, done, 1.0)
    assert (event.health, event.area) == (Health.OK, "action")
    assert event.text == ("action standby jupiter1 done: jupiter1 is in standby; vm1 runs "
                          "on jupiter2")

    busy = Outcome(False, False, ran, "not settled within 30 s; jupiter1 is in standby", 2,
                   facts=("jupiter1 is in standby",))
    text = outcome_text(request, busy).plain
    assert "▲ not settled (exit 2)\nnot settled within 30 s; jupiter1 is in standby" in text
    assert outcome_event(request, busy, 1.0).health == Health.WARNING

    unmet = Outcome(False, True, ran, "vm1 does not run on jupiter2", 2,
                    unmet=("vm1 does not run on jupiter2",), facts=("jupiter1 is in standby",))
    text = outcome_text(request, unmet).plain
    assert "✘ failed (exit 2)\n  ✘ vm1 does not run on jupiter2\n  ✔ jupiter1 is in" in text
    assert outcome_event(request, unmet, 1.0).health == Health.CRITICAL

    broke = Outcome(False, False, (StepResult("jupiter1", ("crm_attribute",), 1,
                                              output="Error"),),
                    "crm_attribute failed on jupiter1: Error", 2)
    text = outcome_text(request, broke).plain
    assert "✘ failed (exit 2)\ncrm_attribute failed on jupiter1: Error" in text
    assert "jupiter1: crm_attribute → exit 1" in text
    assert outcome_event(request, broke, 1.0).health == Health.CRITICAL


def test_long_lines_wrap_under_their_own_start() -> None:
    text = Text("Pre-checks\n  ✘ target node: jupiter2 is in standby: Pacemaker places "
                "nothing there\n  ✔ quorum")
    console = Console(width=40, record=True, color_system=None)
    console.print(Hanging(text))
    lines = console.export_text().splitlines()
    assert lines[0] == "Pre-checks"
    assert lines[1].startswith("  ✘ target node:")
    assert all(line.startswith("    ") and line[4] != " " for line in lines[2:-1]), lines
    assert lines[-1] == "  ✔ quorum"
    assert " ".join(w for line in lines for w in line.split()) == " ".join(text.plain.split())


def actions_on_vm1(terminal: Terminal, command: str, shown: str) -> str:
    """hadeck started in the terminal, the guests screen (g), the actions panel on its first
    guest, vm1 (a): the screen once ``shown`` is on it."""
    terminal.start(command)
    terminal.wait_for("jupiter2", timeout=60)  # a cold start on a busy machine
    terminal.keys("g")
    terminal.wait_for("vm1")
    terminal.keys("a")
    return terminal.wait_for(shown)


def close_and_quit(terminal: Terminal, shown: str) -> None:
    """Escape the panel (alone: Escape and q at once read as Alt+q), then q: hadeck ends
    well."""
    terminal.keys("Escape")
    terminal.wait_gone(shown)
    terminal.keys("q")
    assert terminal.wait_until_ended() == "exit 0"


@LAB
@pytest.mark.parametrize("how", ["--read-only", "configuration"])
def test_hadeck_read_only_in_a_terminal(lab: Lab, terminal: Terminal, tmp_path: Path,
                                        how: str) -> None:
    """``hadeck --read-only`` (or ``[actions] read_only = true``) reaches the dashboard: the
    panel says why, in a real terminal."""
    config = tmp_path / "hadeck.toml"
    config.write_text("[actions]\nread_only = true\n" if how == "configuration" else "")
    flag = [how] if how.startswith("--") else []
    command = " ".join(["HADECK_EVENTS_FILE=", "TERM=xterm-256color", sys.executable, "-m",
                        "hadeck.cli", "--lab", str(lab.directory), "--config", str(config),
                        *flag])
    screen = actions_on_vm1(terminal, command, "✖ read-only")
    assert "Move vm1 to jupiter2  ✖ not now" in screen
    terminal.keys("Enter")  # nothing to choose: the panel stays
    time.sleep(0.5)
    assert "✖ read-only" in terminal.screen()
    close_and_quit(terminal, "✖ read-only")


@LAB
def test_move_in_a_terminal(lab: Lab, terminal: Terminal, tmp_path: Path) -> None:
    """The keys an operator types in a real terminal (tmux, 80×24): g, a, ↓ to the move,
    Enter, y; the lab's cluster shows vm1 moved and the events file has the result."""
    events = tmp_path / "events.log"
    command = " ".join([f"HADECK_EVENTS_FILE={events}", f"HADECK_JOURNAL={tmp_path}/j.jsonl",
                        "TERM=xterm-256color", sys.executable, "-m", "hadeck.cli", "--lab",
                        str(lab.directory)])
    screen = actions_on_vm1(terminal, command, "Move vm1 to jupiter2")
    # The choices as drawn: an option starts 4 cells in; a greyed one cannot be landed on.
    choices = [line for line in screen.splitlines()
               if line.startswith("│     ") and line[6:7].strip()]
    enabled = [line for line in choices if "✖ not now" not in line]
    downs = next(i for i, line in enumerate(enabled) if "Move vm1 to jupiter2" in line)
    for _ in range(downs):
        terminal.keys("Down")
    terminal.keys("Enter")
    screen = terminal.wait_for("y: run it", timeout=60)
    assert "Pacemaker would" in screen and running_on(lab, "vm1") == ("jupiter1",)
    terminal.keys("y")
    terminal.wait_for("✔ done (exit 0)", timeout=90)
    assert running_on(lab, "vm1") == ("jupiter2",)
    assert "action move vm1 jupiter2 done" in events.read_text()
    close_and_quit(terminal, "✔ done")


@LAB
@aio
async def test_a_new_guest_from_the_command_line_of_the_dashboard(lab: Lab,
                                                                  journal: Path) -> None:
    app = app_on(lab)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", *"new-guest vm9 --nodes jupiter1", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PerformScreen)
        await wait_for(app, pilot, lambda: screen.phase != "preparing")
        assert screen.phase == "refused"  # one node: nothing will run, and why
        assert "needs --nodes A,B and --size" in text_of(app, "#text")
        await pilot.press("escape")
        await pilot.press("colon", *"new-guest vm9 --nodes jupiter1,jupiter2 --size 10G "
                                   "--vg vg_drbd --start", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PerformScreen)
        await wait_for(app, pilot, lambda: screen.phase != "preparing")
        assert screen.phase == "confirm", text_of(app, "#text")
        shown = text_of(app, "#text")
        for part in ("What will happen (drbdadm as each node, crm_verify and crm_simulate",
                     "resource vm9 {", "✔ crm_simulate: the scheduler would start vm9 on "
                     "jupiter1",
                     "jupiter1: lvcreate --thin --virtualsize 10G --name vm9 vg_drbd/pool",
                     "cibadmin --patch --xml-pipe"):
            assert part in shown, (part, shown)
        await pilot.press(*"vm9", "enter")
        await wait_for(app, pilot, lambda: screen.phase == "done", limit=120)
        assert screen.outcome is not None and screen.outcome.exit_code == 0, \
            text_of(app, "#text")
    assert running_on(lab, "vm9") == ("jupiter1",)
    assert journal.exists()


def drbd_status(lab: Lab, node: str, res: str) -> str:
    """``drbdadm status RES`` on a lab node, as the operator would read it."""
    return LabAccess(lab).runner(node).run(("drbdadm", "status", res)).stdout


@LAB
@aio
async def test_a_split_brain_is_resolved_from_the_drbd_screen(lab: Lab, journal: Path) -> None:
    from hadeck.lab import faults

    faults.split_brain(lab, "r2")
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None, "lab"))
    app = HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False,
                    action_wait=0.5)
    async with app.run_test(size=(110, 50)) as pilot:
        panel = await open_panel(app, pilot, "d", "r2@jupiter1")
        labels = [a.label for a in panel.actions]
        # The recovery leads, one entry per possible victim; the others follow.
        assert labels[:2] == ["Resolve the split brain of r2: discard jupiter1's changes",
                              "Resolve the split brain of r2: discard jupiter2's changes"]
        assert "Connect r2 on jupiter1" in labels
        about = text_of(app, "#about")  # both sides, to choose the victim from
        for part in ("r2 is in split brain", "Choose the victim", "wants Primary",
                     "vm2 writes to it", "jupiter1", "jupiter2"):
            assert part in about, (part, about)
        screen = await choose(app, pilot, panel, "drbd-resolve", "jupiter1")
        assert screen.phase == "confirm", text_of(app, "#text")
        shown = text_of(app, "#text")
        for part in ("What will happen (drbdadm -d", "jupiter1 (victim)", "wants Primary",
                     "vm2 writes to it", "StandAlone", "jupiter1: drbdsetup connect r2 1 "
                     "--discard-my-data", "✔ discard-my-data: the survivor holds UpToDate",
                     "jupiter1: drbdadm connect --discard-my-data r2",
                     "jupiter2: drbdadm connect r2"):
            assert part in shown, (part, shown)
        assert screen.confirm_word == "jupiter1"  # type-to-confirm: the victim's name
        await pilot.press("y", "enter")
        await pilot.pause()
        assert screen.phase == "confirm"
        assert "connection:StandAlone" in drbd_status(lab, "jupiter1", "r2")
        await pilot.press(*"jupiter1", "enter")
        await wait_for(app, pilot, lambda: screen.phase == "done")
        result = text_of(app, "#text")
        assert "done (exit 0)" in result, result
        assert "r2 connected on jupiter1" in result
    assert "replication:SyncTarget" in drbd_status(lab, "jupiter1", "r2")
    assert '"domain":"drbd"' in journal.read_text()


@LAB
@aio
async def test_a_drbd_refusal_stays_on_screen_and_cannot_be_forced(lab: Lab) -> None:
    app = app_on(lab)
    async with app.run_test(size=(110, 50)) as pilot:
        panel = await open_panel(app, pilot, "d", "r1@jupiter1")
        assert not any(a.label.startswith("Resolve") for a in panel.actions)
        connect = panel.actions[index_of(panel, "drbd-connect")]
        assert connect.unavailable is not None and "not StandAlone" in connect.unavailable
        screen = await choose(app, pilot, panel, "drbd-disconnect")
        assert screen.phase == "refused"
        shown = text_of(app, "#text")
        assert "r1 is managed by Pacemaker (ms_drbd_vm1)" in shown, shown
        assert "f: force" not in text_of(app, "#prompt")
        await pilot.press("f", "y")
        assert screen.phase == "refused"
    assert "jupiter2 role:Secondary" in drbd_status(lab, "jupiter1", "r1")
