"""Soak: the dashboard left open on a lab, faults coming and going, screens switched.

Runs the real dashboard headless (``App.run_test``) on a live lab in this process, as
``hadeck --lab`` does, at a 1 s refresh with DRBD followed live: a node fails and
recovers, a DRBD link is cut and healed, a real server dies and comes back, one change
every ``--fault-every`` seconds, and the screens are switched in turn (now and then a
row's detail view opened and closed). The resident size (psutil) is sampled throughout;
after the warm-up (render caches filled, the event log at its bound or on its way) the
growth per hour is the least-squares slope of the samples. Aim: flat.

    python bench/soak.py 10                  # 10 minutes on a generated 4-node, 50-guest lab
    python bench/soak.py 30 --lab DIR        # on a copy of an existing lab

The dashboard is what operators leave open, so it is what runs here (not the poller
alone); the in-process test of the same is tests/tui/test_soak.py.

Measured here (2 shared cores; ~33 polls a minute, a poll of the live lab ~1.2 s), with a
3 min warm-up: before the footer and render-cache fixes, 93.9 → 121.9 MB in the next
3.8 min, +378 MB an hour; after them, 76.9 → 79.6 MB in 4.8 min (peak 80.0), +29 MB an
hour by least squares, of which the event log filling towards its 5,000 events is part
and sample noise (±1 MB) the rest. NOT YET FLAT: a second run with the fixes (11.5 min,
the test suite running beside it for its first 2 min) grew like the first "before" run,
93 MB at 2 min to 149 MB at 10.5 min (~5 MB a minute). The in-process test (replayed
bundles, no DRBD stream, objects the collector tracks) is flat, so what still grows is
outside it: the live DRBD streams and their apply workers, the in-process lab, memory the
collector does not track (strings, bytes), or the allocator's arenas — to be found.

Measured again (2026-12-02, the machine shared by eight busy sessions, load 16–22 on 2
cores, so a poll took 3–6 s instead of ~1.2 s):

- ``--trace 25``, 12 min: after the warm-up, Python's own allocations grew by 5.1 MB in
  all, nearly all of it in Textual's bounded LRU caches (``textual/cache.py``), strips and
  Rich segments being drawn, and the JSON of polls in flight — no list or dict of ours
  among the top 25. What RSS added beyond that is not Python objects.
- 25 min at the dashboard's own 5,000-event bound: 90.7 → 100.2 MB over 20 min and 190
  polls, but the event log was still filling (5,000 reached at 21 min): ~1.7 KB of RSS per
  event kept (the event, its row, its drawn cells), i.e. ~8 MB when full, by design.
- 16 min with ``--keep-events 300`` (the bound reached in the first minute, so what grows
  past it shows), 503 polls: 89.9 MB at 4 min, 94.3 at 8, then 93.7–96.0 to the end (95.4
  last); least squares from 10 min on +6 MB/hour (+2.7 MB per 1,000 polls), inside the
  ±1 MB noise of the samples — the growth slows to a plateau instead of the 5 MB a
  minute of the run above. A long run on a quiet machine (hours, the default bound) is
  still to do to call it flat for weeks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import psutil

from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab, seed_topology
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import MAX_EVENTS, EventLog
from hadeck.watch.poller import Poller


def fault_cycle(lab: Lab) -> list[tuple[str, Callable[[], str]]]:
    """The faults that come and go, in turn: each is undone two steps later."""
    state = lab.read()
    node = state.topology.guest_nodes[-1]
    drbd = sorted(state.world["drbd"])[0]
    rs = state.topology.services[0].real_servers[0]["address"]
    return [
        (f"fail {node}", lambda: faults.fail_node(lab, node)),
        (f"cut {drbd}", lambda: faults.cut_drbd(lab, drbd)),
        (f"recover {node}", lambda: faults.recover_node(lab, node)),
        (f"kill {rs}", lambda: faults.kill_rs(lab, rs)),
        (f"heal {drbd}", lambda: faults.heal_drbd(lab, drbd)),
        (f"restore {rs}", lambda: faults.restore_rs(lab, rs)),
    ]


def slope_per_hour(samples: list[tuple[float, int]]) -> float:
    """Least-squares growth of (seconds, bytes) samples, in bytes per hour."""
    return slope(samples) * 3600


def slope(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (x, bytes) samples, in bytes per unit of x."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var


Sample = tuple[float, int, int]
"""(seconds since the start, resident bytes less tracemalloc's own, polls done)."""


async def soak(lab: Lab, args: argparse.Namespace) -> list[Sample]:
    poller = Poller(lambda: LabAccess(lab), log=EventLog(None, "lab", keep=args.keep_events))
    app = HadeckApp(poller, interval=args.interval)
    proc = psutil.Process()
    cycle = fault_cycle(lab)
    samples: list[Sample] = []
    async with app.run_test(size=(160, 50)) as pilot:
        start = time.monotonic()
        end = start + args.minutes * 60
        next_fault = start + args.fault_every
        next_switch = start + args.switch_every
        next_sample = start
        switches = faults_done = 0
        traced: tracemalloc.Snapshot | None = None
        while (now := time.monotonic()) < end:
            if now >= next_fault:
                name, fault = cycle[faults_done % len(cycle)]
                try:
                    # In a thread: a fault runs the lab's scheduler (crm_simulate).
                    await asyncio.to_thread(fault)
                except Exception as exc:  # a fault the lab refuses is reported, not fatal
                    print(f"  fault {name}: {exc}", file=sys.stderr)
                faults_done += 1
                next_fault += args.fault_every
            if now >= next_switch:
                await pilot.press(args.screens[switches % len(args.screens)])
                switches += 1
                if switches % 10 == 0:
                    await pilot.press("enter", "escape")
                next_switch += args.switch_every
            if now >= next_sample:
                gc.collect()
                if args.trace and traced is None and now - start >= args.warm_up_s:
                    traced = tracemalloc.take_snapshot()  # the warm-up's end: the baseline
                # tracemalloc's own bookkeeping grows with what it traces: left out.
                rss = proc.memory_info().rss - tracemalloc.get_tracemalloc_memory()
                samples.append((now - start, rss, app.polls))
                print(f"{(now - start) / 60:6.1f} min  RSS {rss / 2**20:6.1f} MB  "
                      f"polls {app.polls}  events {poller.log.count}  faults {faults_done}  "
                      f"switches {switches}", flush=True)
                next_sample += args.sample
            await asyncio.sleep(0.2)
        if traced is not None:
            gc.collect()
            grown = tracemalloc.take_snapshot().compare_to(traced, "lineno")
            print(f"Python allocations grown after the warm-up (tracemalloc, top "
                  f"{args.trace}):")
            for stat in grown[:args.trace]:
                print(f"  {stat.size_diff / 2**10:+9.1f} KiB {stat.count_diff:+7d} blocks  "
                      f"{stat.traceback}")
            total = sum(stat.size_diff for stat in grown)
            print(f"  total {total / 2**20:+.1f} MB of Python allocations")
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", type=float, help="how long to run")
    parser.add_argument("--lab", type=Path, help="an existing lab (a copy is used)")
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--guests", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0, help="refresh, seconds")
    parser.add_argument("--warm-up", type=float, default=None,
                        help="minutes left out of the slope (default: a third, at most 3)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--fault-every", type=float, default=15.0,
                        help="seconds between two fault changes")
    parser.add_argument("--switch-every", type=float, default=5.0,
                        help="seconds between two screen switches")
    parser.add_argument("--screens", default="ogdlrce", help="screen keys, in turn")
    parser.add_argument("--keep-events", type=int, default=MAX_EVENTS, metavar="N",
                        help=f"events the dashboard keeps (default {MAX_EVENTS}, as it does): "
                             "fewer reach that bound sooner, so that what grows past it shows")
    parser.add_argument("--trace", type=int, default=0, metavar="N",
                        help="trace Python allocations (tracemalloc: slower) and print the "
                             "N source lines whose allocations grew most after the warm-up")
    args = parser.parse_args(argv)
    warm_up = args.warm_up if args.warm_up is not None else min(3.0, args.minutes / 3)
    args.warm_up_s = warm_up * 60
    if args.trace:
        tracemalloc.start(1)
    with tempfile.TemporaryDirectory() as tmp:
        if args.lab:
            shutil.copytree(args.lab, Path(tmp) / "lab")
            lab = Lab(Path(tmp) / "lab")
        else:
            lab = Lab.init(Path(tmp) / "lab", seed_topology(nodes=args.nodes,
                                                             guests=args.guests))
        samples = asyncio.run(soak(lab, args))
    after = [(t, v, p) for t, v, p in samples if t >= warm_up * 60]
    if len(after) < 2:
        print("too short to measure growth after the warm-up", file=sys.stderr)
        return 1
    first, last = after[0][1], after[-1][1]
    polls = after[-1][2] - after[0][2]
    # Per poll as well as per hour: on a loaded machine a poll takes longer, and what a
    # dashboard could keep grows with the polls it has seen, not with the clock.
    per_poll = slope([(float(p), v) for _, v, p in after]) if polls else 0.0
    print(f"after a {warm_up:g} min warm-up: RSS {first / 2**20:.1f} → {last / 2**20:.1f} MB "
          f"over {(after[-1][0] - after[0][0]) / 60:.1f} min and {polls} polls; growth "
          f"{slope_per_hour([(t, v) for t, v, _ in after]) / 2**20:+.1f} MB/hour, "
          f"{per_poll * 1000 / 2**20:+.1f} MB per 1,000 polls (least squares over "
          f"{len(after)} samples); peak {max(v for _, v, _ in samples) / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
