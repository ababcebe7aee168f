"""The action path's cost: the preview next to ``crm_simulate`` alone, and request → settled.

Informational, not a test. On a lab (a fresh one in a temporary directory, or ``--lab
DIR``; ``--nodes/--guests`` for a bigger one) or on the live cluster seen from this node
(``--live``):

- **preview**: :func:`hadeck.actions.preview.preview` of a move — ``cibadmin -Q``
  through the runner, the move on a private copy, ``crm_simulate -R`` on it — best of
  N, next to ``crm_simulate -x COPY -R`` alone on the very same CIB (the copy with the
  move applied), best of N. The ratio is what to watch (aim: 1.5x or less); absolute
  times on a shared machine are noise.
- **prepare**: everything before the confirmation (read the cluster, plan, preview,
  pre-checks), once.
- **request → settled**: :func:`hadeck.actions.perform.execute` of the move, until
  Pacemaker settled and the result was read back (in the lab the scheduler converges as
  the command runs; live this is the real cluster's time), then the move back.

    python bench/actions.py [-n 10] [--lab DIR | --live] [--nodes 2 --guests 2]
                            [--resource vm1 --to jupiter2]

Measured here (Debian 12, 2 cores shared with 7 other jobs, Pacemaker 2.1.5; best of 5–7,
so ±30 %; the machine's load moved "crm_simulate alone" between 35 and 126 ms):

==============================  ==========  =================  ==========
seed lab, 35 KiB CIB            preview     crm_simulate alone  ratio
==============================  ==========  =================  ==========
standby of a node               67–127 ms         43–74 ms     1.1–1.7x
move vm1 (and its clear)        137–336 ms        41–84 ms     3.3–5.5x
==============================  ==========  =================  ==========

A node's standby is near the aim (1.5x): ``cibadmin -Q`` (32–113 ms in the lab, the real
cibadmin on a file validating it; live it asks the CIB daemon), ``crm_attribute`` on the
copy, crm_simulate. A move was not (five tools: ``cibadmin -Q``, ``crm_resource --move``,
``crm_simulate -S -O``, ``crm_resource --clear``, ``crm_simulate -R``): ``crm_resource``
on a file unpacks the whole status to find where the resource runs — 12.5 s for
``--move`` and 11.3 s for ``--clear`` on a 1.6 MiB CIB (4 nodes, 125 guests) against
3.7 s for crm_simulate. A plain move (no lifetime, a primitive or group with no cli-
constraint yet) now writes the cli-prefer on the copy itself, and takes it off the settled
copy for the clear-afterwards, as crm_resource would (tests/actions/test_preview.py
compares both with the real tool): cibadmin -Q and two crm_simulate runs are left. With
that (same machine, loaded, best of 5): seed lab move 369 ms vs crm_simulate alone 296 ms,
1.25x. Not yet on a big CIB: on the 4-node, 125-guest lab (1.6 MiB) the move's preview is
2.4 s vs 0.48 s (4.9x; standby 1.5x), because the clear-afterwards check needs the settled
copy, and ``crm_simulate -S -O`` (simulate the transition, write the settled CIB) costs
4.2–4.8 s there against 1.0–1.4 s for ``-R`` (of which ~1 s is printing the cluster's
status: ``-R -Q`` 0.46 s, but ``-Q`` drops the Transition Summary too). Next: a cheaper
way to the settled state, or the afterwards check made after the preview is shown.
Schema validation is off on the copy (``validate-with="none"``): it was 80–90 % of
each tool's run on the seed CIB. Request → settled for a move in the lab: 1.5–2.1 s (two
scheduler convergences: the move, then the cli-prefer cleared).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def paired(fns: dict[str, object], runs: int) -> dict[str, tuple[float, float]]:
    """Each of ``fns`` run ``runs`` times, interleaved (the machine's load moves them
    together): (best wall, median CPU) by name. CPU is this process's and its
    children's: what the work cost, whatever else the machine runs."""
    walls: dict[str, list[float]] = {name: [] for name in fns}
    cpus: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            cpu, start = _cpu(), time.perf_counter()
            fn()  # type: ignore[operator]
            walls[name].append(time.perf_counter() - start)
            cpus[name].append(_cpu() - cpu)
    return {name: (min(walls[name]), statistics.median(cpus[name])) for name in fns}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="runs per measurement (best of)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--lab", metavar="DIR", help="an existing lab (default: a new one)")
    where.add_argument("--live", action="store_true",
                       help="the live cluster, read and acted on from this node")
    parser.add_argument("--nodes", type=int, default=2, help="guest nodes of a new lab")
    parser.add_argument("--guests", type=int, default=2, help="guests of a new lab")
    parser.add_argument("--resource", default="vm1", help="what to move (default vm1)")
    parser.add_argument("--to", default=None, help="where to (default: another node)")
    parser.add_argument("--no-move", action="store_true", help="preview only, change nothing")
    args = parser.parse_args()

    from hadeck.actions.perform import execute, prepare
    from hadeck.actions.plan import plan
    from hadeck.actions.preview import SIMULATE, preview
    from hadeck.actions.request import Request
    from hadeck.collect import collect
    from hadeck.opening import open_cluster

    scratch = Path(tempfile.mkdtemp(prefix="hadeck-bench-actions-"))
    os.environ.setdefault("HADECK_JOURNAL", str(scratch / "actions.jsonl"))
    try:
        if args.live:
            opened = open_cluster(local=True)
            print("cluster: live, seen from this node")
        else:
            directory = args.lab
            if directory is None:
                from hadeck.lab.world import Lab, seed_topology

                directory = str(scratch / "lab")
                started = time.perf_counter()
                Lab.init(directory, seed_topology(nodes=args.nodes, guests=args.guests))
                print(f"lab: {args.nodes} guest nodes, {args.guests} guests "
                      f"(seeded in {time.perf_counter() - started:.1f} s)")
            opened = open_cluster(lab=directory)
        state = collect(opened.access, opened.config)
        assert state.pacemaker is not None, "Pacemaker could not be read"
        rsc = state.pacemaker.find(args.resource)
        assert rsc is not None, f"no resource {args.resource}"
        source = rsc.running_on[0] if rsc.running_on else None
        to = args.to or next(n.name for n in state.pacemaker.nodes
                             if n.name != source and n.online and not n.standby
                             and n.name != "sun")
        request = Request("move", args.resource, to)
        planned = plan(request, state)
        runner = opened.access.runner(planned.steps[0].node)

        # crm_simulate alone on the same CIB: the copy with the move applied.
        cib = runner.run(("cibadmin", "-Q")).stdout
        copy = scratch / "same.xml"
        copy.write_text(cib)
        env = {**os.environ, "CIB_file": str(copy)}
        subprocess.run(planned.steps[0].argv, env=env, check=True, capture_output=True)
        simulate = shutil.which(SIMULATE[0], path=os.environ.get("PATH", "") +
                                ":/usr/sbin:/sbin") or SIMULATE[0]

        def alone(path: Path) -> None:
            subprocess.run((simulate, *SIMULATE[1:], "-x", str(path)), check=True,
                           capture_output=True)

        node_plan = plan(Request("standby", source or to), state)
        same = scratch / "same-standby.xml"
        same.write_text(cib)
        subprocess.run(node_plan.steps[0].argv, env={**os.environ, "CIB_file": str(same)},
                       check=True, capture_output=True)
        got = paired({"move": lambda: preview(planned, runner),
                      "alone": lambda: alone(copy),
                      "standby": lambda: preview(node_plan, runner),
                      "standby alone": lambda: alone(same)}, args.n)
        print(f"cib: {len(cib) / 1024:.0f} KiB; move {args.resource} {source} → {to}; "
              f"{args.n} runs each, interleaved: best wall, median CPU (own + children)")
        for what, base in (("move", "alone"), ("standby", "standby alone")):
            (wall, cpu), (wall0, cpu0) = got[what], got[base]
            print(f"{what + ' preview':<16} wall {wall * 1000:6.0f} ms  CPU {cpu * 1000:6.0f} ms"
                  f"   crm_simulate alone wall {wall0 * 1000:6.0f} ms  CPU {cpu0 * 1000:6.0f}"
                  f" ms   ratio wall {wall / wall0:4.2f}x  CPU {cpu / cpu0:4.2f}x  (aim ≤ 1.5x)")
        t_query = best(lambda: runner.run(("cibadmin", "-Q")), args.n)
        print(f"  of the preview, cibadmin -Q through the runner {t_query * 1000:.0f} ms "
              "(the lab's is the real cibadmin on a file, validating it; live it asks the "
              "CIB daemon)")

        started = time.perf_counter()
        prepared = prepare(request, opened)
        print(f"prepare (read, plan, preview, pre-checks) {time.perf_counter() - started:6.2f} s"
              + (f"  refused: {prepared.refused}" if prepared.refused else ""))
        if args.no_move or prepared.refused:
            return 0
        started = time.perf_counter()
        outcome = execute(prepared, opened, wait=120)
        print(f"request → settled    {time.perf_counter() - started:8.2f} s  "
              f"({outcome.word}: {outcome.verified[:80]})")
        if source:
            back = prepare(Request("move", args.resource, source), opened)
            if back.refused is None:
                execute(back, opened, wait=120)
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
