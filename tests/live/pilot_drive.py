"""Drive the dashboard with Textual's Pilot inside a node of the live cluster.

Run in a node (``nsenter … python -m tests.live.pilot_drive STEP …`` from the checkout):
the dashboard opens the cluster as ``hadeck --local`` would there (this node's tools, no
ssh), headless, refreshed only when a step says so, and each step's result is printed as
one JSON document on stdout. Steps:

    refresh               poll now and wait until it is drawn
    press:KEY[,KEY…]      Pilot key presses (Textual's key names), then a pause
    type:TEXT             each character of TEXT as a key press
    rows:TABLE            the rows of table #TABLE on the current screen, as plain text
    screen                the current screen's name
    status                the status bar
    until:TABLE:TEXT:S    refresh until a row of #TABLE contains TEXT, S seconds at most
    wait:S                let the app run S seconds (an action's progress), then pause

The tests read the results; they never import this in their own process, where the
cluster's tools would be the host's, not the node's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from hadeck.opening import open_cluster
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import rows, screen_name, settle, status


async def drive(steps: list[str], size: tuple[int, int] = (160, 50)) -> list[Any]:
    opened = open_cluster(local=True)
    poller = Poller(opened.access, opened.config, log=EventLog(None, "live"))
    app = HadeckApp(poller, interval=3600, auto_refresh=False, stream_drbd=False)
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
            else:
                raise SystemExit(f"pilot_drive: unknown step {step!r}")
    return results


def main(argv: list[str]) -> int:
    print(json.dumps(asyncio.run(drive(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
