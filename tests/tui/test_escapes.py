"""Escape injection in the dashboard: every screen shows hostile names, none obeys them.

What is read is what Textual would write to the terminal: the screen's rendered lines
(its compositor's strips), on the hostile bundle of :mod:`tests.hostile`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.tui.app import HadeckApp
from hadeck.tui.tables import DiffTable
from tests import hostile
from tests.tui.conftest import bundle_app
from tests.tui.helpers import aio, settle

SHOWN = {
    "overview": ("web\\x1b]0;pwned\\x07", "QUORUM service\\x1b]2;owned\\x07"),
    "guests": ("web\\x1b]0;p…",),  # escaped, and ellipsized where its column cuts it
    "drbd": ("r0|\\x07\\x9b2J\\u202e",),
    "lvs": ("VI_\\x1b[5mWEB",),
    "resources": (),
    "connectivity": (),
    "events": (),
}


def screen_text(app: HadeckApp) -> str:
    # The lines as drawn, cell by cell (Textual's compositor: what goes to the terminal).
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return hostile.cluster(tmp_path / "bundle")


@aio
async def test_every_screen_shows_names_escaped(bundle: Path) -> None:
    app = bundle_app(bundle)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        for mode, expected in SHOWN.items():
            app.action_show(mode)
            await settle(app, pilot)
            text = screen_text(app)
            assert hostile.raw_controls(text) == set(), mode
            for shown in expected:
                assert shown in text, (mode, shown)


@aio
async def test_detail_and_action_panels_show_names_escaped(bundle: Path) -> None:
    app = bundle_app(bundle)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        app.action_show("guests")
        await settle(app, pilot)
        table = app.screen.query_one("#guests", DiffTable)
        keys = [r.key.value for r in table.ordered_rows]
        index = next(i for i, k in enumerate(keys) if k and hostile.GUEST in k)
        table.focus()
        table.move_cursor(row=index)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        text = screen_text(app)
        assert type(app.screen).__name__ == "ActionScreen"
        assert hostile.raw_controls(text) == set()
        assert "web\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m" in text
        await pilot.press("escape")
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert type(app.screen).__name__ == "DetailScreen"
        assert hostile.raw_controls(text) == set()
        assert "name       web\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m" in text
