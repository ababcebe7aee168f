"""Drive the dashboard with Textual's Pilot inside a node of the live cluster.

Run in a node (``nsenter … python -m tests.live.pilot_drive STEP …`` from the checkout):
the dashboard opens the cluster as ``hadeck --local`` would there (this node's tools, no
ssh; with ``HADECK_PILOT_PEERS=ssh``, as ``hadeck`` would: the peers over ssh, configured
by ``$HADECK_CONFIG``), headless, refreshed only when a step says so, and each step's
result is printed as one JSON document on stdout. Steps:

    refresh               poll now and wait until it is drawn
    press:KEY[,KEY…]      Pilot key presses (Textual's key names), then a pause
    type:TEXT             each character of TEXT as a key press
    rows:TABLE            the rows of table #TABLE on the current screen, as plain text
    screen                the current screen's name
    status                the status bar
    until:TABLE:TEXT:S    refresh until a row of #TABLE contains TEXT, S seconds at most
    wait:S                let the app run S seconds (an action's progress), then pause
    act:KEY:ROW:VERB:NODE:HOW
                          the action panel (issue #10): screen KEY, the cursor on the row
                          whose key ends with ROW, ``a``, the action VERB (to NODE, or
                          empty), confirmed with ``y`` (HOW ``y``) or by typing the
                          object's name (HOW ``word``); waits until it is done and gives
                          the phase, the screen as drawn at the preview and at the end,
                          the exit code and the events

The tests read the results; they never import this in their own process, where the
cluster's tools would be the host's, not the node's.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
import time
from typing import Any

from textual.pilot import Pilot

from hadeck.opening import Opened, open_cluster
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import rows, screen_name, settle, status

OPENED: list[Opened] = []


async def drive(steps: list[str], size: tuple[int, int] = (160, 50)) -> list[Any]:
    opened = open_cluster(local=os.environ.get("HADECK_PILOT_PEERS") != "ssh")
    OPENED.append(opened)
    poller = Poller(opened.access, opened.config, log=EventLog(None, "live"))
    extra: dict[str, Any] = {}
    if "action_wait" in inspect.signature(HadeckApp).parameters:
        extra["action_wait"] = 60
    app = HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False, **extra)
    results: list[Any] = []
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for step in steps:
            verb, _, arg = step.partition(":")
            if verb == "refresh":
                app.poll_now()
                await settle(app, pilot)
                results.append(None)
            elif verb == "press":
                await pilot.press(*arg.split(","))
                await pilot.pause()
                results.append(None)
            elif verb == "type":
                await pilot.press(*arg)
                await pilot.pause()
                results.append(None)
            elif verb == "rows":
                results.append(rows(app, arg))
            elif verb == "screen":
                results.append(screen_name(app))
            elif verb == "status":
                results.append(status(app))
            elif verb == "until":
                table, text, seconds = arg.rsplit(":", 2)
                deadline = time.monotonic() + float(seconds)
                shown: list[str] = []
                while time.monotonic() < deadline:
                    app.poll_now()
                    await settle(app, pilot)
                    shown = rows(app, table)
                    if any(text in row for row in shown):
                        break
                    await asyncio.sleep(0.5)
                results.append(shown)
            elif verb == "wait":
                await asyncio.sleep(float(arg))
                await pilot.pause()
                results.append(None)
            elif verb == "act":
                results.append(await act(app, pilot, *arg.split(":")))
            else:
                raise SystemExit(f"pilot_drive: unknown step {step!r}")
    return results


def _drawn(app: HadeckApp) -> str:
    """The screen on top as drawn, line by line: what the operator reads."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def _until(app: HadeckApp, pilot: Pilot[None], done: Any, what: str,
                 limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"pilot_drive: not within {limit:.0f} s: {what}")
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def act(app: HadeckApp, pilot: Pilot[None], key: str, row: str, verb: str,
              node: str, how: str) -> dict[str, Any]:
    """One action from the dashboard's panel, as an operator chooses and confirms it."""
    # The panel's screens come with issue #10; imported here so that the read-only
    # steps run without them.
    from textual.widgets import OptionList

    from hadeck.tui.screen_actions import ActionScreen
    from hadeck.tui.screen_perform import PerformScreen  # type: ignore[import-not-found,unused-ignore]
    from hadeck.tui.tables import DiffTable

    await settle(app, pilot)
    await pilot.press(key)
    await pilot.pause()
    for table in app.screen.query(DiffTable):
        keys = [r.key.value or "" for r in table.ordered_rows]
        hits = [i for i, k in enumerate(keys) if k.split(":", 1)[-1] == row]
        if hits:
            table.focus()
            table.move_cursor(row=hits[0])
            break
    else:
        raise SystemExit(f"pilot_drive: no row {row} on screen {key}")
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    panel = app.screen
    if not isinstance(panel, ActionScreen):
        raise SystemExit(f"pilot_drive: 'a' opened {screen_name(app)}, not the panel")
    actions = list(panel.actions)
    requests = [getattr(a, "request", None) for a in actions]
    index = next((i for i, r in enumerate(requests)
                  if r is not None and r.verb == verb and (not node or r.node == node)),
                 None)
    if index is None:
        raise SystemExit(f"pilot_drive: no {verb} {node} among {[a.label for a in actions]}")
    panel.query_one(OptionList).highlighted = index
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    if not isinstance(screen, PerformScreen):
        raise SystemExit(f"pilot_drive: the action opened {screen_name(app)}")
    await _until(app, pilot, lambda: screen.phase != "preparing", "the preview")
    shown = _drawn(app)
    if screen.phase == "confirm":
        if how == "word":
            await pilot.press(*str(screen.confirm_word), "enter")
        else:
            await pilot.press("y")
        await _until(app, pilot, lambda: screen.phase == "done", "the action settling")
    outcome = screen.outcome
    return {"phase": screen.phase, "preview": shown,
            "text": _drawn(app),
            "exit_code": outcome.exit_code if outcome is not None else None,
            "events": [e.text for e in app.event_log.events()]}


def main(argv: list[str]) -> int:
    try:
        print(json.dumps(asyncio.run(drive(argv))))
    finally:
        for opened in OPENED:  # the peers' ssh masters end with the dashboard, as hadeck's
            opened.access.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
