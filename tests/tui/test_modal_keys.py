"""Keys while a modal is open or a refresh lands (issue 12): they act on the modal or not
at all — never on the screen beneath it (its sort, its filter, its action panel) nor on
the app (switching screens, quitting) — and a refresh landing keeps the modal, its focus
and what was typed."""

from __future__ import annotations

import pytest

from hadeck.lab.world import Lab
from hadeck.tui.screen_detail import DetailScreen
from hadeck.tui.screen_guests import GuestsScreen
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, refresh, settle


@pytest.mark.pacemaker
@aio
async def test_keys_under_a_detail_view_do_not_reach_the_screen_beneath(lab: Lab) -> None:
    app = lab_app(lab)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.action_show("guests")
        await settle(app, pilot)
        guests = app.screen
        assert isinstance(guests, GuestsScreen)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        # s sorts the guests, / filters, a opens actions, d/o switch screens, ? helps,
        # : is the command line: each belongs to a screen beneath or to the app.
        for key in ("s", "slash", "a", "d", "o", "question_mark", "colon", "R"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is detail, key
        assert guests.sort == "node" and guests.filter_text == ""
        assert app.current_mode == "guests"
        # A refresh lands under it: the detail stays, and keeps the keys.
        await refresh(app, pilot)
        assert app.screen is detail and app.focused is not None
        assert app.focused in detail.query("*")
        await pilot.press("j")
        await pilot.pause()
        assert detail.query_one("#detail").scroll_y >= 0
        # q closes the detail view as its footer says (it did nothing before), and
        # does not quit the dashboard.
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is guests and app.is_running
        # Back on the screen, its keys act again.
        await pilot.press("s")
        await pilot.pause()
        assert guests.sort != "node"
