"""hadeck over ssh on the live three-node cluster: reads, and how soon a crash is on screen.

Starts the real corosync + Pacemaker cluster of tests/live (three nodes in namespaces,
each with its own sshd; the tests' lock is taken, so no test run shares it), and inside
node1 measures, median of ``--rounds``:

- ``local``: one read of node1 alone (``collect`` with ``peers = "none"``);
- ``cold``: the first read of all three nodes with a fresh access (two ssh masters);
- ``warm``: later reads with the same access (one batch per peer over its master);
- ``hadeck status --json``, as a process, with the peers and with ``--local``;

then the dashboard (the real app, headless, refreshing every ``--interval`` s over ssh as
``hadeck`` does) is started in node1, node3 is crashed (SIGKILL of all of it), and the
moments are taken when crm_mon on node1 first shows node3 offline and when the dashboard's
nodes table first does. Aim (issue 13): on screen within one refresh + 1 s of crm_mon.

    sudo .venv/bin/python bench/live_ssh.py [--rounds 5] [--interval 5]

(~3 min, ~600 MB; ``HADECK_LIVE_PREFIX`` names its namespaces, default ``hdl``.)

The nodes' root has Debian's own .bashrc (tests/live/cluster.py binds it over this
machine's, which runs ``pyenv init``: bash reads it for every command sshd runs).

Measured on a quiet machine (2 cores, load average 0.4–2 from the cluster itself),
2026-12-02, ``--rounds 7 --crashes 3`` (and ``--rounds 5`` before it, the same within
10 ms):

    reads in node1, median of 7 (warm: 14):
      local   0.215 s   1.00× local
      cold    0.582 s   2.70× local
      warm    0.277 s   1.29× local
      hadeck status --local       0.575 s
      hadeck status (2 peers)     0.827 s
    crash of node3, dashboard refreshing every 5 s over ssh (three crashes):
      crm_mon on node1 shows it offline    3.6–3.7 s after the crash
      the dashboard shows it offline       8.8–9.0 s after the crash, +5.2–5.3 s after crm_mon

Both aims hold: a warm read of the three nodes is 1.29× node1's own read (aim ≤ 1.5×),
the first read with the ssh masters still to open 0.58 s (aim ≤ 2 s), and the crash is on
screen within one refresh + 1 s of crm_mon (≤ 6 s at a 5 s refresh). The dashboard reads
Pacemaker locally and draws it before the peers answer; a crashed peer costs its connect
timeout in the background, not on screen. crm_mon's moment is taken by polling it from
outside every ~0.1 s plus its own run time, so it is late by up to a crm_mon run: the
dashboard's lag is, if anything, overstated.

On a busy host the figures are not the issue's: at load average 14–24 (other jobs on the
same 2 cores, with the three "peers" reading on the reader's cores at once) the same run
gave warm 2.78×, cold 3.3 s — every peer's batch (corosync-cfgtool, /proc/stat sampled
0.1 s apart, df …) competes with the reader for the CPU, which separate machines do not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hadeck.runner import SSH_OPTIONS  # noqa: E402
from tests.live.cluster import LiveCluster, unavailable  # noqa: E402
from tests.live.conftest import _owned  # noqa: E402

READS = """
import json, sys, time
from hadeck.collect import LiveAccess, collect
from hadeck.config import load, override
from hadeck.runner import LocalRunner
rounds = int(sys.argv[1])
config = load(None)
local_config = override(config, "cluster.peers", "none", "bench")
out = {"local": [], "cold": [], "warm": []}
for _ in range(rounds):
    access = LiveAccess(local_config, local=LocalRunner(timeout=config.timeout))
    start = time.perf_counter(); collect(access, local_config)
    out["local"].append(time.perf_counter() - start)
for _ in range(rounds):
    access = LiveAccess(config, local=LocalRunner(timeout=config.timeout))
    start = time.perf_counter(); state = collect(access, config)
    out["cold"].append(time.perf_counter() - start)
    assert {h.node for h in state.hosts} == {"node1", "node2", "node3"}, state.sources
    for _ in range(2):
        start = time.perf_counter(); collect(access, config)
        out["warm"].append(time.perf_counter() - start)
    access.close()
print(json.dumps(out))
"""

WATCH = """
import asyncio, json, sys, time
from hadeck.opening import open_cluster
from hadeck.tui.app import HadeckApp
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.helpers import rows
interval, victim = float(sys.argv[1]), sys.argv[2]

async def main():
    with open_cluster() as opened:
        poller = Poller(opened.access, opened.config, log=EventLog(None, "bench"))
        app = HadeckApp(poller, interval=interval, stream_drbd=False)
        async with app.run_test(size=(160, 50)) as pilot:
            while not any(r.startswith(victim) and "online" in r.split()
                          for r in rows(app, "nodes")):
                await pilot.pause(0.1)
            print("ready", flush=True)
            while True:
                shown = [r for r in rows(app, "nodes") if r.startswith(victim)]
                if shown and "offline" in shown[0].split():
                    print(json.dumps({"shown": time.time()}), flush=True)
                    return
                await pilot.pause(0.05)

asyncio.run(main())
"""


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=5.0,
                        help="the dashboard's refresh over ssh (hadeck's default: 5 s)")
    parser.add_argument("--crashes", type=int, default=1)
    args = parser.parse_args()
    reason = unavailable()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    cluster = LiveCluster()
    with _owned(cluster) as why_not, tempfile.TemporaryDirectory(prefix="hdl-bench-") as tmp:
        if why_not is not None:
            print(why_not, file=sys.stderr)
            return 1
        try:
            cluster.start()
            missing = cluster.ssh_missing()
            if missing is not None:
                print(f"cannot run: {missing}", file=sys.stderr)
                return 1
            config = Path(tmp) / "hadeck.toml"
            options = [*SSH_OPTIONS, "-F", str(cluster.ssh_config)]
            config.write_text(f"[cluster]\ntimeout = 20\n[ssh]\noptions = {json.dumps(options)}\n")
            config.chmod(0o600)
            env = {"HADECK_CONFIG": str(config), "HOME": tmp, "PYTHONPATH": str(ROOT),
                   "HADECK_EVENTS_FILE": ""}
            reads(cluster, env, args.rounds)
            for _ in range(args.crashes):
                crash(cluster, env, args.interval)
                cluster.restore()
        finally:
            cluster.remove()
    return 0


def reads(cluster: LiveCluster, env: dict[str, str], rounds: int) -> None:
    done = cluster.run("node1", [sys.executable, "-c", READS, str(rounds)], env=env,
                       timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"reads in node1 failed: {done.stderr[-2000:]}")
    got = json.loads(done.stdout.splitlines()[-1])
    local = median(got["local"])
    print(f"reads in node1, median of {rounds} (warm: {2 * rounds}):")
    for name in ("local", "cold", "warm"):
        value = median(got[name])
        print(f"  {name:6} {value:6.3f} s  {value / local:5.2f}× local")
    hadeck = str(Path(sys.executable).parent / "hadeck")
    for label, extra in (("hadeck status --local", ["--local"]),
                         ("hadeck status (2 peers)", [])):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            run = cluster.run("node1", [hadeck, "status", "--json", *extra], env=env,
                              timeout=120)
            times.append(time.perf_counter() - start)
            if run.returncode not in (0, 1, 2, 3) or "Traceback" in run.stderr:
                raise SystemExit(f"{label}: exit {run.returncode}: {run.stderr[-1000:]}")
        print(f"  {label:26} {median(times):6.3f} s")


def crash(cluster: LiveCluster, env: dict[str, str], interval: float) -> None:
    victim = "node3"
    watcher = subprocess.Popen(
        cluster.argv("node1", [sys.executable, "-c", WATCH, str(interval), victim]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**dict(__import__("os").environ), **env}, cwd=str(ROOT))
    assert watcher.stdout is not None and watcher.stderr is not None
    line = watcher.stdout.readline()
    if line.strip() != "ready":
        watcher.kill()
        raise SystemExit(f"the dashboard did not start: {line}{watcher.stderr.read()[-2000:]}")
    time.sleep(interval * 0.4)  # somewhere inside a refresh interval, not at its start
    crashed = time.time()
    cluster.crash(victim)
    seen = None
    while seen is None:
        mon = cluster.crm_mon("node1")
        if mon is not None and victim not in mon.online():
            seen = time.time()
        else:
            time.sleep(0.1)
    try:
        out, err = watcher.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        watcher.kill()
        raise SystemExit("the dashboard never showed the crash") from None
    if not out.strip():
        raise SystemExit(f"the dashboard ended without showing the crash: {err[-2000:]}")
    shown = json.loads(out.splitlines()[-1])["shown"]
    print(f"crash of {victim}, dashboard refreshing every {interval:g} s over ssh:")
    print(f"  crm_mon on node1 shows it offline  {seen - crashed:5.1f} s after the crash")
    print(f"  the dashboard shows it offline     {shown - crashed:5.1f} s after the crash, "
          f"{shown - seen:+.1f} s after crm_mon (aim ≤ {interval + 1:g} s)")


if __name__ == "__main__":
    sys.exit(main())
