"""SVG snapshots of the main screens, replayed from a recorded bundle with a fixed clock.

Update them with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a
deliberate change (and a Textual bump: the pin in pyproject.toml moves with them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import bundle_app
from tests.tui.helpers import settle
from tests.tui.labdata import BLOCKED_FIXTURE

SIZES = [(80, 24), (160, 50)]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times on screen are local: pin the zone so the snapshots match everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _keys(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot.app, pilot)  # type: ignore[arg-type]
        await pilot.press(*keys)
        await pilot.pause()
    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(bundle_app(), terminal_size=size, run_before=_keys("o"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_drbd(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(bundle_app(), terminal_size=size, run_before=_keys("d"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview_root_cause(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """A blocked stop: one problem, its effects folded (issue 12)."""
    assert snap_compare(bundle_app(BLOCKED_FIXTURE), terminal_size=size,
                        run_before=_keys("o"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_problem_detail(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Enter on it: the cause, what it caused and what to do, in words."""
    assert snap_compare(bundle_app(BLOCKED_FIXTURE), terminal_size=size,
                        run_before=_keys("o", "enter"))
