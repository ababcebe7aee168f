"""LVS sparklines, resources by node, the action panel and ``:`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.actions.contract import Action, Selection, actions_for, selection_of
from hadeck.lab import faults
from hadeck.lab.world import Lab, seed_topology
from hadeck.tui.app import SCREEN_NAMES
from hadeck.tui.commands import CommandError, Parsed, parse
from hadeck.tui.fmt import sparkline
from hadeck.tui.screen_actions import ActionScreen, panel_text
from hadeck.tui.screen_help import HelpScreen
from hadeck.tui.tables import WINDOW_MARGIN, DiffTable
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, refresh, rows, screen_name, screen_text, settle

SPARKS = set("▁▂▃▄▅▆▇█")
LAB = pytest.mark.pacemaker


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([3, 3], 5) == "   ██"  # right-aligned: the newest poll is on the right
    assert sparkline([0, 0, 0], 3) == "▁▁▁"  # idle is a flat line, not a gap
    assert sparkline([None, 4.0], 2) == " █"  # not reported that poll
    assert sparkline(list(range(30)), 4) == "▇███"  # the last `width` polls only
    assert sparkline([], 3) == "   "


def test_commands_parse() -> None:
    assert parse(":drbd", SCREEN_NAMES) == Parsed("show", screen="drbd")
    assert parse("d", SCREEN_NAMES) == Parsed("show", screen="drbd")
    assert parse(":rsc", SCREEN_NAMES) == Parsed("show", screen="resources")
    assert parse(":overview", SCREEN_NAMES) == Parsed("show", screen="overview")
    assert parse(":filter  vm1 jupiter", SCREEN_NAMES) == Parsed("filter", "vm1 jupiter")
    assert parse(":filter", SCREEN_NAMES) == Parsed("filter", "")
    assert parse(":refresh", SCREEN_NAMES) == Parsed("refresh")
    assert parse(":q", SCREEN_NAMES) == Parsed("quit")
    assert parse(":bynode", SCREEN_NAMES) == Parsed("toggle", "by_node", "resources")
    for bad, why in ((":nope", "unknown command :nope"), (":", "empty command"),
                     (":drbd now", "takes no argument")):
        with pytest.raises(CommandError, match=why):
            parse(bad, SCREEN_NAMES)


def test_action_panel_renders_what_actions_for_returns() -> None:
    selection = Selection("guest", "vm1@jupiter1", "jupiter1")
    empty = panel_text(selection, []).plain
    assert "kind  guest" in empty and "id    vm1@jupiter1" in empty
    assert "node  jupiter1" in empty and "hadeck acts through Pacemaker" in empty
    full = panel_text(selection, [Action("migrate", "Migrate vm1 to jupiter2", "m"),
                                  Action("stop", "Stop vm1", None, "it is not running")])
    assert "[m] Migrate vm1 to jupiter2" in full.plain
    assert "Stop vm1  ✖ not now: it is not running" in full.plain
    assert "acts through Pacemaker" not in full.plain
    refused = panel_text(selection, [Action("stop", "Stop vm1")], "read-only: no")
    assert "✖ read-only: no" in refused.plain
    assert selection_of("section:failed", None) is None


@LAB
@aio
async def test_lvs_rows_carry_a_cps_sparkline(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        for _ in range(5):
            faults.step(lab, 10)  # the lab's rates move with lab time
            await refresh(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        shown = [r for r in rows(app, "lvs") if r.startswith("192.0.2.21:80")]
        assert shown, rows(app, "lvs")
        line = next(r for r in rows(app, "lvs") if "192.0.2.21:80" in r)
        trend = [c for c in line if c in SPARKS]
        assert len(trend) == 6  # one per poll so far
        assert len(set(trend)) > 1  # the rate moved


@LAB
@aio
async def test_lvs_rows_scrolled_to_show_their_newest_counters(lab: Lab) -> None:
    # The poll worker makes only the rows in and near the window; a row outside it is
    # made when scrolled to. What is drawn there must be the newest poll's, not the one
    # it last drew (its trend moves every poll).
    app = lab_app(lab)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        table = app.screen.query_one("#lvs", DiffTable)
        assert table.row_count > table.window[1] + WINDOW_MARGIN, (table.window, table.row_count)
        for _ in range(3):
            faults.step(lab, 10)  # the lab's rates move with lab time
            await refresh(app, pilot)
        assert table.stale  # rows below the window: not made yet
        await pilot.press("G")
        await pilot.pause()
        drawn = screen_text(app)
        shown = [key for key in table.state.order[table.window[0]:table.window[1]]
                 if key.startswith("rs:") and not key.endswith("/none")]
        assert shown, table.window
        for key in shown:
            cells = table.rows_by_key[key].cells
            address, active, trend = cells[1].strip(), cells[7], cells[10]
            line = next(x for x in drawn.splitlines() if f" {address} " in x)
            assert f" {active} " in line and trend.strip() in line, (key, cells, line)
        assert not set(shown) & set(table.stale)


@LAB
@aio
async def test_resources_grouped_by_node(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        tree = rows(app, "resources")
        await pilot.press("n")
        await pilot.pause()
        by_node = rows(app, "resources")
        heads = [i for i, r in enumerate(by_node) if r.startswith("Node ")]
        assert [by_node[i].split()[1] for i in heads] == ["jupiter1", "jupiter2", "sun"]
        under_j1 = by_node[heads[0] + 1:heads[1]]
        assert any(" vm1 VirtualDomain Started" in r for r in under_j1)
        assert any("p_drbd_vm1" in r and "in ms_drbd_vm1" in r for r in under_j1)
        assert "by node (n: tree)" in str(app.screen.query_one("#info").render())
        await pilot.press("n")
        await pilot.pause()
        assert rows(app, "resources") == tree


@LAB
@aio
async def test_a_rule_ban_on_many_nodes_is_one_row(tmp_path: Path) -> None:
    # On three guest nodes each DRBD resource is kept off the nodes that are not its pair
    # by a rule: crm_mon prints one <ban> per node, all with the rule's constraint id.
    lab = Lab.init(tmp_path / "lab", seed_topology(nodes=3, guests=2))
    app = lab_app(lab)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        shown = [r for r in rows(app, "resources") if "_pair-rule" in r]
        assert len(shown) == 2, shown  # one per DRBD resource, not one per node
        vm1 = next(r for r in shown if "loc_ms_drbd_vm1_pair-rule" in r)
        # In operators' words (issue 12), not "ban -1000000".
        assert "ms_drbd_vm1 never runs on -INFINITY sun, jupiter3" in vm1


@LAB
@aio
async def test_action_key_opens_the_panel_of_the_selected_row(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("g", "a")
        await pilot.pause()
        assert isinstance(app.screen, ActionScreen)
        assert app.screen.selection.kind == "guest"
        assert app.screen.selection.id == "vm1@jupiter1"
        assert app.screen.selection.node == "jupiter1"
        assert [a.label for a in app.screen.actions] == [
            a.label for a in actions_for(app.screen.selection, app.snapshot.state)  # type: ignore[union-attr]
        ]
        await pilot.press("escape")
        assert screen_name(app) == "guests"

        # The hook: whatever actions_for returns, the panel lists.
        monkeypatch.setattr("hadeck.tui.base.actions_for",
                            lambda sel, state, read_only: [
                                Action("standby", f"Standby {sel.id}", "s")])
        await pilot.press("o", "tab", "a")
        await pilot.pause()
        assert isinstance(app.screen, ActionScreen)
        assert app.screen.selection.kind == "node"
        assert "[s] Standby jupiter1" in screen_text(app)
        await pilot.press("escape")


@LAB
@aio
async def test_colon_commands(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", *"drbd", "enter")
        await pilot.pause()
        assert screen_name(app) == "drbd"

        await pilot.press("colon", *"rsc", "enter", "colon", *"filter vm2", "enter")
        await pilot.pause()
        shown = rows(app, "resources")
        assert screen_name(app) == "resources"
        assert shown and all("vm2" in r for r in shown)
        await pilot.press("colon", *"filter", "enter")
        await pilot.pause()
        assert any("cl_ping" in r for r in rows(app, "resources"))

        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        message = app.screen.query_one("#message")
        assert message.display
        assert "? unknown command :bogus (try :help)" in str(message.render())
        assert screen_name(app) == "resources"
        await pilot.press("escape")
        assert not message.display and screen_name(app) == "resources"

        polls = app.polls
        await pilot.press("colon", *"refresh", "enter")
        await settle(app, pilot)
        assert app.polls == polls + 1
        await pilot.press("colon", *"bynode", "enter")
        await pilot.pause()
        assert any(r.startswith("Node jupiter1") for r in rows(app, "resources"))
        await pilot.press("colon", *"help", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "colon", *"overview", "enter")
        await pilot.pause()
        assert screen_name(app) == "overview"
        await pilot.press("colon", *"quit", "enter")
        await pilot.pause()
    assert not app.is_running
