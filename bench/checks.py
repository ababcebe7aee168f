"""Cold-start cost of each check plugin against ``python3 -c "import nagiosplugin"``.

Each plugin runs as Nagios runs it, a process of its own, on a bundle of real-format
captures built here (``--from DIR``), in turn with ``import nagiosplugin`` under the same
interpreter (paired runs: the ratio of each pair, then the median, so a machine that
speeds up or slows down during the run does not bias it). Aim (issue 15): each plugin's
whole run at most 1.5x ``import nagiosplugin``.

A run counts only if the plugin printed what it must on that bundle (its status line's
start and its exit code, below): a plugin that fails fast is not fast.

Where a plugin misses the aim, what is left is shown, measured:

- the floor: ``import nagiosplugin`` plus the standard modules a plugin cannot do without
  (argparse, json, re, subprocess; xml.etree for the ones that read Pacemaker's XML), timed
  the same way, paired against ``import nagiosplugin``;
- each phase in the plugin's own process (imports, then read + parse with the imports it
  makes on the way, judge, output), from ``time.perf_counter`` around them;
- the imports above the floor by module (``-X importtime`` self time, median of the
  runs; that flag adds its own overhead, so read those as shares of the import phase).

Run it against an installed hadeck (a normal, non-editable install, bytecode compiled),
from any directory but the repository's root, where the local ``hadeck/`` would be
imported instead of the installed package::

    /path/to/venv/bin/python -m compileall -q /path/to/venv/lib
    cd /tmp && /path/to/venv/bin/python /path/to/hadeck/bench/checks.py [-n 15]

The interpreter measured is the one the plugins' scripts name (their ``#!`` line), found
next to the interpreter running this (``--bin`` to name another directory).

On a loaded machine wall and CPU times are noise (CPU time comes in 10 ms ticks, a plugin
takes 5-10 of them): ``--instructions`` counts instead the instructions of one whole run
of each (valgrind's callgrind, ``apt-get install valgrind``), deterministic to ~1 %.
``--instructions --by-module PLUGIN…`` counts them by module instead (self, as ``-X
importtime`` shows time: callgrind dumps its counts at each import's start and end), with
the interpreter's start and the run after the imports apart.

A plugin started as its console script (as here) runs without the cyclic garbage
collector and ends without the interpreter's finalization
(``hadeck/checks/__init__.py``); ``python -c`` with the floor's imports does neither.

Where it stands (2026-12-02, instructions; ``import nagiosplugin`` 108 M, the floor 1.14x,
with xml.etree 1.21x): drbd 1.26x, corosync 1.22x, node 1.26x, lvs 1.36x, pingd 1.38x,
guests 1.41x, cluster 1.49x (161.1 M) all meet the aim; cluster's margin is ~1 M
(hadeck's own modules are ~28 M of it, its run ~22 M — ``--by-module cluster``).
Before branch clx (``Kind`` as str, lazy ``Config`` defaults, fewer modules) 1.30x,
1.26x, 1.29x, 1.39x, 1.42x, 1.44x, 1.56x (168.2 M).
Without branch plk's str methods for patterns 1.32x, 1.29x, 1.30x, 1.40x, 1.45x, 1.47x,
1.63x. Before issue 15's records, typing and pathlib work 2.97x, 2.90x, 2.89x, 3.06x, 3.46x, 3.48x,
4.18x; at d2cc43d 1.54x, 1.51x, 1.53x, 1.63x, 1.73x, 1.76x, 2.02x (docs/design.md, "A
check plugin's start-up"). Wall on a quiet machine (load 0.4, ``-n 21``, after the merges):
cluster 1.30x, drbd 1.21x, guests 1.11x, lvs 1.18x, pingd 1.39x, corosync 1.10x, node
1.14x (``import nagiosplugin`` 36 ms); at d2cc43d, quiet too: 1.94x, 1.49x, 1.74x, 1.67x,
1.64x, 1.69x, 1.69x. Wall times on a machine not quiet are not a verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fixtures" / "formats" / "samples"
PACEMAKER = ROOT / "tests" / "fixtures" / "pacemaker" / "2.1.5"
NODE = "jupiter2"
AIM = 1.5

EXPECTED = {
    "cluster": (1, "HADECK CLUSTER WARNING - vm1: pinned to jupiter2 by cli-prefer-vm1"),
    "drbd": (2, "HADECK DRBD CRITICAL - r1@jupiter2 → charlie: peer not connected"),
    "guests": (2, "HADECK GUESTS CRITICAL - vm1@jupiter2: Pacemaker runs vm1 on jupiter2"),
    "lvs": (1, "HADECK LVS WARNING - TCP 10.0.0.25:25@jupiter2: 1 of 2 real servers"),
    "pingd": (0, "HADECK PINGD OK - pingd: jupiter1 100/100"),
    "corosync": (0, "HADECK COROSYNC OK - 1 link to 2 peers, 0 down"),
    "node": (0, "HADECK NODE OK - load 0.50 0.40 0.30, memory 50 %"),
}
"""Per plugin, on the bundle built below: its exit code and how its status line starts."""

READS_PACEMAKER = {"cluster", "guests", "pingd"}
FLOOR = ["nagiosplugin", "argparse", "json", "re", "subprocess"]
"""What any plugin imports (xml.etree.ElementTree too where it reads Pacemaker)."""

FILES = {
    "pacemaker/crm_mon.xml": PACEMAKER / "moved-with-lifetime.xml",
    "pacemaker/cib-configuration.xml": PACEMAKER / "moved-with-lifetime.cib-configuration.xml",
    "drbd/events2.txt": SAMPLES / "drbd-events2" / "multi-resource-volumes-peers.txt",
    "guests/virsh-list.txt": SAMPLES / "virsh-list" / "running-paused-shutoff.txt",
    "lvs/proc-net-ip_vs.txt": SAMPLES / "proc-net-ip_vs" / "dr-http-https-persistent.txt",
    "lvs/ipvsadm-Ln.txt": SAMPLES / "ipvsadm-Ln" / "nat-udp-dns-and-quiesced.txt",
    "keepalived/keepalived.json": SAMPLES / "keepalived" / "json-dump.txt",
    "corosync/cfgtool-s.txt": SAMPLES / "corosync-cfgtool" / "3node-knet-all-connected.txt",
    "corosync/quorumtool-s.txt": SAMPLES / "corosync-quorumtool" / "3node-one-down-quorate.txt",
    "host/mdstat.txt": SAMPLES / "proc-mdstat" / "raid1-healthy-bitmap.txt",
}
FACTS = {
    "schema": 1, "load": [0.5, 0.4, 0.3], "cpu_count": 4, "cpu_percent": 10.0,
    "memory_total": 16 << 30, "memory_available": 8 << 30, "swap_total": 0, "swap_used": 0,
    "uptime_s": 1000.0,
    "disks": [{"mountpoint": "/", "device": "/dev/vda1", "fstype": "ext4",
               "total_bytes": 100 << 30, "used_bytes": 40 << 30, "free_bytes": 60 << 30}],
}

PHASES = """
import sys, time
sys.argv[0] = "check_hadeck_{plugin}"  # started as its console script (hadeck/checks/__init__)
t0 = time.perf_counter()
import hadeck.checks.common as common
import hadeck.checks.{plugin} as module
t1 = time.perf_counter()
spent = {{"read": 0.0, "judge": 0.0}}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
    return wrapper
common.read_state = timed("read", common.read_state)
from hadeck.record import replace
module.PLUGIN = replace(module.PLUGIN, assess=timed("judge", module.PLUGIN.assess))
code = 0
try:
    module.main({argv!r})
except SystemExit as exc:
    code = exc.code
t2 = time.perf_counter()
sys.stdout.flush()
print("PHASES", t1 - t0, spent["read"], spent["judge"], t2 - t1 - spent["read"] - spent["judge"],
      file=sys.stderr)
"""
"""Times a plugin's phases in its own process: imports, read + parse, judge, the rest
(options, nagiosplugin's evaluation and output). Only wraps; changes nothing it times."""


def build_bundle(root: Path) -> Path:
    (root / "meta.json").write_text(json.dumps({"hostname": NODE}))
    for name, source in FILES.items():
        target = root / NODE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    (root / NODE / "drbd" / "proc-drbd.txt").write_text(
        "version: 9.2.4 (api:2/proto:86-122)\n")
    (root / NODE / "host" / "facts.json").write_text(json.dumps(FACTS))
    return root


def interpreter_of(script: Path) -> str:
    """The interpreter a console script runs with: its ``#!`` line."""
    first = script.read_text(errors="replace").splitlines()[0]
    if not first.startswith("#!"):
        sys.exit(f"{script}: no #! line: cannot tell which Python runs it")
    return first[2:].strip().split()[0]


def refuse_the_source_tree(python: str, env: dict[str, str]) -> None:
    """Stop when ``hadeck`` would be imported from this checkout, not from the install."""
    where = subprocess.run([python, "-c", "import hadeck; print(hadeck.__file__)"],
                           capture_output=True, text=True, env=env)
    path = Path(where.stdout.strip() or ".").resolve()
    if where.returncode != 0:
        sys.exit(f"{python} cannot import hadeck: {where.stderr.strip()}")
    if ROOT in path.parents:
        sys.exit(f"hadeck is imported from the source tree ({path}), not from the "
                 f"installed package: run this from another directory (cd /tmp), with "
                 f"hadeck installed normally (pip install, not -e)")


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall and CPU seconds of one whole run, its exit code and its first line."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system)
    line = proc.stdout.splitlines()[0] if proc.stdout else proc.stderr.strip()[-200:]
    return wall, cpu, proc.returncode, line


def paired(a: list[str], b: list[str], runs: int, env: dict[str, str]
           ) -> tuple[list[float], list[float], list[float], list[tuple[int, str]],
                      list[float]]:
    """A and B in turn, ``runs`` times after one warm-up each: A's walls, B's walls, the
    ratio of each pair's wall, what A said each time, and the ratio of each pair's CPU
    time (user + system: less disturbed than wall time by other work on the machine)."""
    run_once(a, env)
    run_once(b, env)
    walls_a, walls_b, ratios, said, cpu_ratios = [], [], [], [], []
    for _ in range(runs):
        wa, ca, code, line = run_once(a, env)
        wb, cb, _, _ = run_once(b, env)
        walls_a.append(wa)
        walls_b.append(wb)
        ratios.append(wa / wb)
        said.append((code, line))
        if ca > 0 and cb > 0:
            cpu_ratios.append(ca / cb)
    return walls_a, walls_b, ratios, said, cpu_ratios


def import_times(python: str, argv: list[str], runs: int, env: dict[str, str]
                 ) -> dict[str, float]:
    """Median ``-X importtime`` self time (ms) of each module the run imports."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        proc = subprocess.run([python, "-X", "importtime", *argv], capture_output=True,
                              text=True, env=env)
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = line[len("import time:"):].split("|")
            samples.setdefault(name.strip(), []).append(int(self_us) / 1000)
    return {name: statistics.median(v) for name, v in samples.items()}


def phases(python: str, plugin: str, bundle: Path, runs: int,
           env: dict[str, str]) -> list[float]:
    """Median ms of each phase: imports, read + parse, judge, the rest."""
    code = PHASES.format(plugin=plugin, argv=["--from", str(bundle)])
    rows = []
    for _ in range(runs):
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
        line = [x for x in proc.stderr.splitlines() if x.startswith("PHASES ")]
        if line:
            rows.append([float(x) * 1000 for x in line[-1].split()[1:]])
    if not rows:
        return []
    return [statistics.median(col) for col in zip(*rows, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="paired runs per plugin")
    parser.add_argument("--bin", type=Path, default=Path(sys.executable).parent,
                        help="where the check_hadeck_* scripts are (default: beside the "
                             "Python running this)")
    parser.add_argument("--detail", type=int, default=7,
                        help="runs for the per-phase and per-module breakdown")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions (callgrind) instead of timing: for a "
                             "loaded machine")
    parser.add_argument("--by-module", action="store_true",
                        help="with --instructions: each plugin's instructions by module "
                             "(self, as -X importtime but counted), its run and its start")
    parser.add_argument("plugins", nargs="*", default=list(EXPECTED),
                        help="plugins to measure (default: all seven)")
    args = parser.parse_args()

    if Path.cwd().resolve() == ROOT:
        sys.exit("run this from another directory (cd /tmp): here the local hadeck/ "
                 "shadows the installed package")
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        print("warning: PYTHONDONTWRITEBYTECODE is set here; it is unset for the commands "
              "measured (with it, every start compiles every module: ~20x a bare start "
              "instead of ~11x). Compile the install first (python -m compileall).",
              file=sys.stderr)
    scripts = {p: args.bin / f"check_hadeck_{p}" for p in args.plugins}
    missing = [str(s) for s in scripts.values() if not s.exists()]
    if missing:
        sys.exit(f"not installed: {', '.join(missing)} (--bin DIR)")
    python = interpreter_of(next(iter(scripts.values())))
    refuse_the_source_tree(python, env)
    nagios = [python, "-c", "import nagiosplugin"]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hadeck-bench-") as tmp:
        bundle = build_bundle(Path(tmp))
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, env=env).stdout.strip()
        if args.instructions and args.by_module:
            for plugin in args.plugins:
                # Not inside the bundle, which is read as a whole.
                with tempfile.TemporaryDirectory(prefix="hadeck-bench-cg-") as out:
                    by_module(python, plugin, bundle, env, Path(out))
            return 0
        if args.instructions:
            return count_instructions(python, scripts, bundle, env)
        print(f"interpreter {python} (Python {version}); {args.runs} paired runs; "
              f"aim: a whole run <= {AIM}x `import nagiosplugin`")
        bare, base, ratios, _, _ = paired([python, "-c", "pass"], nagios, args.runs, env)
        print(f"{'python -c pass':28} {statistics.median(bare) * 1000:7.1f} ms"
              f"   {statistics.median(ratios):5.2f}x import nagiosplugin")
        print(f"{'python -c import nagiosplugin':28} {statistics.median(base) * 1000:7.1f} ms"
              f"   1.00x")
        for plugin in args.plugins:
            argv = [str(scripts[plugin]), "--from", str(bundle)]
            walls, _, ratios, said, cpu = paired(argv, nagios, args.runs, env)
            code, start = EXPECTED[plugin]
            wrong = [(c, line) for c, line in said if c != code or not line.startswith(start)]
            ratio = statistics.median(ratios)
            verdict = "aim met" if ratio <= AIM else "aim missed"
            if wrong:
                verdict = f"WRONG OUTPUT ({wrong[0][0]}: {wrong[0][1][:80]})"
                failed += 1
            print(f"{'check_hadeck_' + plugin:28} {statistics.median(walls) * 1000:7.1f} ms"
                  f"   {ratio:5.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f}; CPU "
                  f"{statistics.median(cpu) if cpu else float('nan'):.2f}x)  {verdict}")
            if ratio > AIM and not wrong:
                explain(python, plugin, argv, bundle, statistics.median(base), args, env)
    return 1 if failed else 0


def instructions(argv: list[str], env: dict[str, str]) -> tuple[int, int, str]:
    """Instructions of one whole run (callgrind's Ir), its exit code and first line."""
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           *argv], capture_output=True, text=True, env=env)
    counted = [line.split("Collected :")[1] for line in proc.stderr.splitlines()
               if "Collected :" in line]
    if not counted:
        sys.exit(f"valgrind did not count {argv}: {proc.stderr.strip()[-300:]}")
    first = proc.stdout.splitlines()[0] if proc.stdout else ""
    return int(counted[-1].strip()), proc.returncode, first


def count_instructions(python: str, scripts: dict[str, Path], bundle: Path,
                       env: dict[str, str]) -> int:
    """Each plugin's instructions over ``import nagiosplugin``'s, with the floors."""
    base, _, _ = instructions([python, "-c", "import nagiosplugin"], env)
    print(f"interpreter {python}; instructions of one whole run (callgrind); aim: "
          f"<= {AIM}x `import nagiosplugin`")
    print(f"{'python -c import nagiosplugin':28} {base / 1e6:7.1f} M   1.00x")
    for extra in ([], ["xml.etree.ElementTree"]):
        floor = FLOOR + extra
        count, _, _ = instructions([python, "-c", "import " + ", ".join(floor)], env)
        print(f"{'floor' + (' + xml.etree' if extra else ''):28} {count / 1e6:7.1f} M"
              f"   {count / base:.2f}x")
    failed = 0
    for plugin, script in scripts.items():
        # -t: under valgrind a run is ~50x slower; the default 10 s alarm would end it.
        count, code, line = instructions([str(script), "--from", str(bundle), "-t", "600"],
                                         env)
        want_code, start = EXPECTED[plugin]
        verdict = "aim met" if count / base <= AIM else "aim missed"
        if code != want_code or not line.startswith(start):
            verdict = f"WRONG OUTPUT ({code}: {line[:80]})"
            failed += 1
        print(f"{'check_hadeck_' + plugin:28} {count / 1e6:7.1f} M   {count / base:.2f}x  "
              f"{verdict}")
    return 1 if failed else 0


BY_MODULE = """
import os, sys, _frozen_importlib as bootstrap
sys.argv = ["check_hadeck_{plugin}", "--from", {bundle!r}, "-t", "600"]
log = []
mark, real = os.getppid, bootstrap._find_and_load
def find_and_load(name, import_, real=real, mark=mark, log=log):
    mark(); log.append("+" + name)
    try:
        return real(name, import_)
    finally:
        mark(); log.append("-")
bootstrap._find_and_load = find_and_load
from hadeck.checks.{plugin} import main
mark(); log.append("=<run>")
try:
    main()
except SystemExit:
    pass
mark(); log.append("=<end>")
with open({log_file!r}, "w") as out:
    out.write("\\n".join(log))
"""
"""A plugin's whole run with a mark (a call of ``getppid``, where callgrind dumps its
counts) at each import's start and end and around the run (an import inside the run is
its module's)."""


def by_module(python: str, plugin: str, bundle: Path, env: dict[str, str],
              out: Path, top: int = 25) -> None:
    """Instructions of ``plugin``'s whole run by module (self: without the modules it
    imports), its run after the imports, and the interpreter's start: callgrind dumps its
    counts at each mark of :data:`BY_MODULE`, and each part goes to the module being
    imported then."""
    log_file = out / "log"
    code = BY_MODULE.format(plugin=plugin, bundle=str(bundle), log_file=str(log_file))
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=getppid",
                           f"--callgrind-out-file={out}/part", python, "-c", code],
                          capture_output=True, text=True, env=env)
    if not log_file.exists():
        sys.exit(f"valgrind did not run {plugin}: {proc.stderr.strip()[-300:]}")
    parts: dict[int, int] = {}
    for path in out.glob("part*"):
        number = int(path.suffix[1:]) if path.suffix else sys.maxsize  # the last: no suffix
        with path.open() as text:
            parts[number] = next(int(line.split()[1]) for line in text
                                 if line.startswith("summary:"))
    events = log_file.read_text().split("\n")
    stack, spent = ["<start>"], {}
    for i, number in enumerate(sorted(parts)):
        spent[stack[-1]] = spent.get(stack[-1], 0) + parts[number]
        event = events[i] if i < len(events) else ""
        if event.startswith("+"):
            stack.append(event[1:])
        elif event == "-":
            stack.pop()
        elif event.startswith("="):
            stack = [event[1:]]
    total = sum(parts.values())
    ranked = sorted(spent.items(), key=lambda kv: -kv[1])
    hadeck = sum(v for k, v in spent.items() if k.startswith("hadeck"))
    print(f"check_hadeck_{plugin}: {total / 1e6:.1f} M instructions (with the marks), "
          f"hadeck's modules {hadeck / 1e6:.1f} M; the most (self, M):")
    print("    " + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in ranked[:top]))


def explain(python: str, plugin: str, argv: list[str], bundle: Path, base: float,
            args: argparse.Namespace, env: dict[str, str]) -> None:
    """What is left above the aim: the floor, the phases, the imports above the floor."""
    floor = FLOOR + (["xml.etree.ElementTree"] if plugin in READS_PACEMAKER else [])
    _, _, floor_ratios, _, _ = paired([python, "-c", "import " + ", ".join(floor)],
                                   [python, "-c", "import nagiosplugin"], args.detail, env)
    print(f"    floor: import {', '.join(floor)}: "
          f"{statistics.median(floor_ratios):.2f}x import nagiosplugin")
    times = phases(python, plugin, bundle, args.detail, env)
    if times:
        print("    phases (ms, in process): imports {:.1f}, read + parse {:.1f} (with the "
              "imports made then: bundle, configuration, source), judge {:.1f}, options + "
              "evaluation + output {:.1f}".format(*times))
    # -c as the floor is measured (python -m would add runpy's own imports).
    run = (f"import sys; sys.argv[0] = 'check_hadeck_{plugin}'; "
           f"from hadeck.checks.{plugin} import main; main(['--from', {str(bundle)!r}])")
    mine = import_times(python, ["-c", run], args.detail, env)
    floor_mods = import_times(python, ["-c", "import " + ", ".join(floor)], args.detail, env)
    above = {m: t for m, t in mine.items() if m not in floor_mods}
    total = sum(above.values())
    print(f"    imports above the floor (-X importtime self ms, median; {total:.1f} in all):")
    ranked = sorted(above.items(), key=lambda kv: -kv[1])
    shown = ranked[:15]
    print("      " + ", ".join(f"{m} {t:.1f}" for m, t in shown))
    rest = sum(t for _, t in ranked[15:])
    if rest:
        print(f"      and {len(ranked) - 15} more modules: {rest:.1f}")


if __name__ == "__main__":
    sys.exit(main())
