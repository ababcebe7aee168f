"""Reading what the dashboard shows, for Pilot tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec

from rich.text import Text
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from hadeck.tui.app import HadeckApp
from hadeck.tui.base import AreaScreen, StatusBar
from hadeck.tui.tables import DiffTable

P = ParamSpec("P")


async def refresh(app: HadeckApp, pilot: Pilot[None]) -> None:
    """One deterministic refresh: poll now, wait for the worker, let the UI draw it."""
    app.poll_now()
    await settle(app, pilot)


async def settle(app: HadeckApp, pilot: Pilot[None]) -> None:
    """Wait for the running poll (the first starts on mount) to be drawn."""
    try:
        await app.workers.wait_for_complete()
    except WorkerFailed:
        pass  # the app shows it: what the tests check
    await pilot.pause()


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def rows(app: HadeckApp, table: str) -> list[str]:
    """The rows of a table on the current screen, in screen order, as plain text."""
    widget = app.screen.query_one(f"#{table}", DiffTable)
    return [" ".join(_plain(c) for c in widget.get_row(r.key)).strip()
            for r in widget.ordered_rows]


def status(app: HadeckApp) -> str:
    bar = app.screen.query_one(StatusBar)
    return _plain(bar.render())


def screen_text(app: HadeckApp) -> str:
    """The screen's lines as drawn, cell by cell (Textual's compositor: what goes to the
    terminal)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def screen_name(app: HadeckApp) -> str:
    screen = app.screen
    return screen.MODE if isinstance(screen, AreaScreen) else type(screen).__name__


def aio(test: Callable[P, Awaitable[None]]) -> Callable[P, None]:
    """Run an async test with asyncio.run (no async pytest plugin is installed).

    ``functools.wraps`` keeps the signature, so pytest still passes the fixtures.
    """

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run
