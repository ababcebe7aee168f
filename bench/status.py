"""Benchmark: ``hadeck status`` text and ``--json`` as the cluster grows (issue #15).

For each size (guest nodes; 125 guests, 10 LVS services and 100 real servers per 4 nodes,
so 16 nodes is the issue's 16 / 500 / 40 / 400) a lab is generated once and read into a
snapshot bundle; then ``hadeck status --from BUNDLE`` and ``hadeck status --from BUNDLE
--json`` run as separate processes, alternately, and their CPU (user + system, the child's
own) is taken, median of ``--runs``. Printed: the table, the text/JSON ratio per size
(aim: ≤ 1.5x at every size) and the growth exponent of each (least squares of
log CPU over log guests: 1.0 is linear, 2.0 quadratic; the interpreter's start makes it
read a little under 1 at small sizes).

    python bench/status.py                       # 4, 16, 32 nodes in a temporary directory
    python bench/status.py --keep DIR            # keep / reuse the labs and bundles in DIR
    python bench/status.py --nodes 4,16 --runs 3

Generating the labs runs the real Pacemaker scheduler and its crm_mon: ~2 s for 4 nodes,
~20 s for 16, ~3 min for 32 on a loaded 2-core machine; reuse them with ``--keep``.
Measured on a 2-core machine at load 15–20 (CPU seconds, median of 3; read as ratios):

=====  ======  ========  ==============  ==============  =============
nodes  guests  verdicts  text            --json          text / --json
=====  ======  ========  ==============  ==============  =============
4      249     1,320     1.6 → 0.72      0.74 → 0.81     2.2x → 0.89x
16     999     5,430     6.0 → 2.12      3.0 → 2.66      2.0x → 0.80x
32     1,999   11,358    (47 in #15)     10.3 → 6.30     → 0.70x
=====  ======  ========  ==============  ==============  =============

Growth exponent over guests, after: text 0.86, --json 0.97 (before the constraint index,
32 nodes read 1.8 between 16 and 32: ``PacemakerState.find`` per constraint).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _bundle(directory: Path, nodes: int) -> Path:
    """The bundle of a lab of ``nodes`` guest nodes in ``directory``, made if missing."""
    bundle = directory / f"bundle{nodes}"
    if bundle.exists():
        return bundle
    from hadeck.collect import collect
    from hadeck.lab.runner import LabAccess
    from hadeck.lab.world import Lab, seed_topology
    from hadeck.snapshot import RecordingAccess, write_bundle

    start = time.monotonic()
    topology = seed_topology(nodes=nodes, guests=nodes * 125 // 4, services=nodes * 10 // 4,
                             real_servers=nodes * 25)
    lab_dir = directory / f"lab{nodes}"
    lab = Lab(lab_dir) if lab_dir.exists() else Lab.init(lab_dir, topology)
    # A big CIB's crm_mon takes seconds: the timeout follows the size here too.
    access = RecordingAccess(LabAccess(lab, timeout=600))
    taken = time.time()
    collect(access)
    write_bundle(bundle, access.records, access.local.node, taken)
    print(f"{nodes} nodes: lab and bundle made in {time.monotonic() - start:.0f} s",
          file=sys.stderr)
    return bundle


def _cpu(argv: list[str], cwd: Path) -> float:
    """The CPU seconds (user + system) one run of ``argv`` took, its output discarded."""
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": ""})
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 2, 3):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): "
                         f"{proc.stderr.read().decode() if proc.stderr else ''}")
    return usage.ru_utime + usage.ru_stime


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y over log x: the growth exponent."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    den = sum((x - mx) ** 2 for x in lx)
    if not den:
        return float("nan")
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="4,16,32", help="guest nodes, comma separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, the median kept")
    parser.add_argument("--keep", type=Path, help="keep / reuse labs and bundles here")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.nodes.split(",")]
    with tempfile.TemporaryDirectory(prefix="hadeck-bench-status-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        rows = []
        for nodes in sizes:
            bundle = _bundle(where, nodes)
            base = [sys.executable, "-m", "hadeck.cli", "status", "--from", str(bundle)]
            # From outside the repository: the installed hadeck, not a local folder.
            doc = json.loads(subprocess.run([*base, "--json"], cwd=tmp, capture_output=True,
                                            text=True).stdout)
            text, js = [], []
            for _ in range(args.runs):
                text.append(_cpu(base, Path(tmp)))
                js.append(_cpu([*base, "--json"], Path(tmp)))
            guests = len(doc["state"].get("guests", []))
            rows.append((nodes, guests, len(doc["verdicts"]), statistics.median(text),
                         statistics.median(js)))
    print(f"hadeck status --from BUNDLE: CPU seconds (user + system), median of {args.runs}")
    print(f"{'nodes':>5} {'guests':>6} {'verdicts':>8} {'text':>7} {'--json':>7} {'ratio':>6}")
    for nodes, guests, verdicts, t, j in rows:
        print(f"{nodes:>5} {guests:>6} {verdicts:>8} {t:>7.2f} {j:>7.2f} {t / j:>5.2f}x")
    worst = max(t / j for *_, t, j in rows)
    print(f"text / --json at worst: {worst:.2f}x (aim: at most 1.5x)")
    if len(rows) > 1:
        xs = [float(r[1] or r[0]) for r in rows]
        print(f"growth exponent over guests (1 linear, 2 quadratic): text "
              f"{_slope(xs, [r[3] for r in rows]):.2f}, --json "
              f"{_slope(xs, [r[4] for r in rows]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
