"""Benchmark: the dashboard headless on a (big) lab at a 1 s refresh.

Prints the CPU time per refresh (the poll worker: collect + judge + diff; the UI thread:
redrawing the visible screen by diff) and the key latency (press to processed), per
screen. The issue's target: under 10 % of one core at a 1 s refresh.

    python bench/dashboard.py --lab DIR            # an existing lab
    python bench/dashboard.py --guests 500 --real-servers 200 --services 20
                                                   # generate one in a temporary directory

Generating a big lab runs the real Pacemaker scheduler and may take a while; reuse one
with ``--lab`` (``hadeck lab --dir DIR init --guests 500 --real-servers 200 …``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab, seed_topology
from hadeck.tui.app import HadeckApp
from hadeck.tui.eventlog import EventLog
from hadeck.tui.poller import Poller


def _lab(args: argparse.Namespace, tmp: str) -> Lab:
    if args.lab:
        return Lab(args.lab)
    start = time.monotonic()
    topology = seed_topology(nodes=args.nodes, guests=args.guests, services=args.services,
                             real_servers=args.real_servers)
    lab = Lab.init(Path(tmp) / "lab", topology)
    print(f"generated a lab of {args.guests} guests / DRBD resources, {args.services} "
          f"services, {args.real_servers} real servers in {time.monotonic() - start:.1f} s",
          file=sys.stderr)
    return lab


async def _drive(app: HadeckApp, seconds: float, screens: str) -> dict[str, list[float]]:
    ui: list[float] = []
    redraw = app._redraw

    def timed_redraw() -> None:
        start = time.thread_time()
        redraw()
        ui.append(time.thread_time() - start)

    app._redraw = timed_redraw  # type: ignore[method-assign]
    latency: dict[str, list[float]] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        start_cpu, start_polls = time.process_time(), app.polls
        started = time.monotonic()
        per_screen = seconds / len(screens)
        for key in screens:
            await pilot.press(key)
            until = time.monotonic() + per_screen
            while time.monotonic() < until:
                t0 = time.perf_counter()
                await pilot.press("j")
                latency.setdefault(key, []).append(time.perf_counter() - t0)
                await asyncio.sleep(0.25)
        wall = time.monotonic() - started
        cpu = time.process_time() - start_cpu
        polls = app.polls - start_polls
        streams = len(app.streams.running())
    return {"ui": ui, "wall": [wall], "cpu": [cpu], "polls": [float(polls)],
            "streams": [float(streams)], **{
        f"key:{k}": v for k, v in latency.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=Path, help="an existing lab directory")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--real-servers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=14.0)
    parser.add_argument("--screens", default="ogdl", help="screen keys to visit (default ogdl)")
    parser.add_argument("--no-stream", action="store_true",
                        help="do not follow DRBD's events2 stream (polls only)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        lab = _lab(args, tmp)
        poller = Poller(lambda: LabAccess(lab), log=EventLog(None, "lab"))
        app = HadeckApp(poller, interval=1.0, stream_drbd=not args.no_stream)
        result = asyncio.run(_drive(app, args.seconds, args.screens))
        snap = poller.last
    polls = max(1, int(result["polls"][0]))
    wall, cpu = result["wall"][0], result["cpu"][0]
    state = snap.state if snap else None
    if state is not None:
        print(f"lab: {len(state.guests)} guests, {len(state.drbd)} DRBD views, "
              f"{sum(len(s.real_servers) for d in state.lvs for s in d.services)} real "
              f"servers (all directors)")
    print(f"refreshes: {polls} in {wall:.1f} s (1 s interval, next armed after each poll)")
    print(f"DRBD events2 followed live on {result['streams'][0]:.0f} nodes (the lab looks "
          f"every 0.25 s per node; the CPU below includes it)")
    print(f"CPU per refresh, whole process: {cpu / polls * 1000:.0f} ms "
          f"({100 * cpu / wall:.0f} % of one core)")
    if snap is not None:
        print(f"  poll worker (collect + judge + diff), last: {snap.cpu * 1000:.0f} ms CPU, "
              f"{snap.duration * 1000:.0f} ms wall")
    if result["ui"]:
        print(f"  UI thread redraw by diff: median {statistics.median(result['ui']) * 1000:.1f}"
              f" ms, max {max(result['ui']) * 1000:.1f} ms")
    for key, values in result.items():
        if key.startswith("key:"):
            print(f"key latency on screen {key[4:]}: median "
                  f"{statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
                  f" ({len(values)} presses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
