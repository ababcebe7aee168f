"""How long hadeck takes to read and judge a big cluster, next to crm_mon itself.

Builds (or reuses) a lab of 16 guest nodes plus the arbiter, 500 guests each on its own
DRBD resource (about 2,000 primitives in crm_mon: per guest the VM and two DRBD clone
instances), 40 LVS services over 200 real servers, and times, best of ``--repeat``:

* ``crm_mon --output-as=xml``, the real tool run on the lab's CIB (what every read costs
  before hadeck parses anything);
* each parser on the text the lab answers with: ``parse_crm_mon``,
  ``parse_cib_configuration``, ``parse_events2`` (one guest node's DRBD, and every guest
  node's one after the other), ``parse_ipvsadm`` of the director's three tables plus
  ``merge_lvs``, ``parse_virsh_list`` of one node's guests;
* ``collect(LabAccess(lab))``, a whole read: the real crm_mon and cibadmin, then every
  node's DRBD, guests, host, corosync and LVS through the lab's renderers and the
  parsers, 16 nodes at a time;
* ``judge(state)``.

Run ``python bench/parse.py`` (``--help`` for the options). No pytest: this is a report.
Creating the lab takes about 15 s; the timed part about a minute at ``--repeat 3``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hadeck.collect import collect
from hadeck.health import judge
from hadeck.lab.runner import LabAccess, LabRunner
from hadeck.lab.world import Lab, seed_topology
from hadeck.model import ClusterState
from hadeck.sources.drbd import EVENTS2, parse_events2
from hadeck.sources.guests import VIRSH_LIST, parse_virsh_list
from hadeck.sources.lvs import IPVSADM_LIST, IPVSADM_RATE, IPVSADM_STATS, merge_lvs, parse_ipvsadm
from hadeck.sources.pacemaker import parse_cib_configuration, parse_crm_mon


@dataclass(frozen=True)
class Row:
    """One timed step."""

    name: str
    input: str
    seconds: list[float]

    @property
    def best_ms(self) -> float:
        return min(self.seconds) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[list[float], Any]:
    """Run ``work`` ``repeat`` times; every run's seconds and the last result."""
    seconds: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def text(runner: LabRunner, argv: tuple[str, ...]) -> str:
    """What the lab node answers to ``argv``; the bench stops if it fails."""
    result = runner.run(argv)
    if not result.ok:
        sys.exit(f"lab {runner.node}: {' '.join(argv)}: {result.reason()}")
    return result.stdout


def size(chars: str) -> str:
    return f"{len(chars) / 1024:,.0f} KiB"


def open_lab(args: argparse.Namespace, scratch: Path) -> tuple[Lab, float | None]:
    """The lab to measure and how long creating it took (None when reused).

    Without ``--lab`` the lab goes into ``scratch``, which the caller removes.
    """
    if args.lab is not None and (args.lab / "world.json").is_file():
        return Lab(args.lab), None
    directory = args.lab or scratch / "lab"
    topology = seed_topology(nodes=args.nodes, guests=args.guests, services=args.services,
                             real_servers=args.real_servers)
    print(f"creating the lab in {directory} …", flush=True)
    start = time.perf_counter()
    lab = Lab.init(directory, topology)
    return lab, time.perf_counter() - start


def measure(lab: Lab, repeat: int) -> tuple[list[Row], ClusterState]:
    state = lab.read()
    topo = state.topology
    first_node = topo.guest_nodes[0]
    director = topo.directors[0]
    node_runner = LabRunner(lab, first_node)
    director_runner = LabRunner(lab, director)
    cib = lab.scenario.cib
    rows: list[Row] = []

    env = {**os.environ, "CIB_file": str(cib)}

    def crm_mon() -> str:
        return subprocess.run(("crm_mon", "--output-as=xml"), env=env, check=True,
                              capture_output=True, text=True).stdout

    seconds, mon_xml = best_of(repeat, crm_mon)
    rows.append(Row("crm_mon --output-as=xml (real tool)",
                    f"CIB {cib.stat().st_size / 2**20:.1f} MiB", seconds))

    seconds, pcmk = best_of(repeat, lambda: parse_crm_mon(mon_xml))
    entries = [p.id for top in pcmk.resources for p in top.primitives()]
    rows.append(Row("parse_crm_mon", f"{size(mon_xml)}, {len(set(entries))} primitives in "
                                     f"{len(entries)} entries", seconds))

    config = lab.scenario.cib_configuration_xml()
    seconds, (locations, colocations, prims) = best_of(
        repeat, lambda: parse_cib_configuration(config))
    rows.append(Row("parse_cib_configuration",
                    f"{size(config)}, {len(prims)} primitives, "
                    f"{len(locations) + len(colocations)} constraints", seconds))

    events = text(node_runner, EVENTS2.argv)
    seconds, drbd_one = best_of(repeat, lambda: parse_events2(events))
    rows.append(Row(f"parse_events2 ({first_node})",
                    f"{size(events)}, {len(drbd_one)} resources", seconds))

    every = [text(LabRunner(lab, node), EVENTS2.argv) for node in topo.guest_nodes]
    seconds, drbd_all = best_of(repeat, lambda: [r for t in every for r in parse_events2(t)])
    rows.append(Row(f"parse_events2 (all {len(every)} guest nodes)",
                    f"{size(''.join(every))}, {len(drbd_all)} resource instances, "
                    f"{len({r.name for r in drbd_all})} resources", seconds))

    tables = [text(director_runner, c.argv) for c in (IPVSADM_LIST, IPVSADM_STATS, IPVSADM_RATE)]

    def lvs() -> Any:
        (_, services), (_, stats), (_, rates) = (parse_ipvsadm(t) for t in tables)
        return merge_lvs(services, stats, rates)

    seconds, services = best_of(repeat, lvs)
    real_servers = sum(len(s.real_servers) for s in services)
    rows.append(Row(f"parse_ipvsadm ×3 + merge_lvs ({director})",
                    f"{size(''.join(tables))}, {len(services)} services, "
                    f"{real_servers} real servers", seconds))

    virsh = text(node_runner, VIRSH_LIST.argv)
    seconds, guests = best_of(repeat, lambda: parse_virsh_list(virsh, first_node))
    running = sum(1 for g in guests if g.running)
    rows.append(Row(f"parse_virsh_list ({first_node})",
                    f"{size(virsh)}, {len(guests)} domains, {running} running", seconds))

    seconds, cluster = best_of(repeat, lambda: collect(LabAccess(lab)))
    rows.append(Row("collect(LabAccess(lab))",
                    f"{len(lab.read().all_nodes())} nodes, "
                    f"{len({g.name for g in cluster.guests})} guests", seconds))

    seconds, judgement = best_of(repeat, lambda: judge(cluster))
    problems = Counter(v.area for v in judgement.problems())
    why = ", ".join(f"{n} {area}" for area, n in problems.items()) or "no problems"
    rows.append(Row("judge(state)", f"{len(judgement.verdicts)} verdicts, "
                                    f"{judgement.overall.name} ({why})", seconds))
    return rows, cluster


def print_table(rows: list[Row]) -> None:
    crm_mon_ms = rows[0].best_ms
    header = ("step", "input", "best ms", "median ms", "× crm_mon")
    lines = [(r.name, r.input, f"{r.best_ms:,.1f}", f"{r.median_ms:,.1f}",
              f"{r.best_ms / crm_mon_ms:.3f}") for r in rows]
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(len(header))]
    for number, line in enumerate((header, *lines)):
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if number == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time hadeck's parsers, collect() and judge() on a big generated "
                    "cluster (the lab), next to the real crm_mon printing its XML.")
    parser.add_argument("--lab", type=Path, default=None, metavar="DIR",
                        help="use the lab in DIR (created there first if DIR holds none, "
                             "and kept); default: a fresh lab in a temporary directory, "
                             "removed afterwards")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="runs of each step; the best counts (default 3)")
    parser.add_argument("--nodes", type=int, default=16, help="guest nodes (default 16)")
    parser.add_argument("--guests", type=int, default=500,
                        help="guests, one DRBD resource each (default 500)")
    parser.add_argument("--services", type=int, default=40, help="LVS services (default 40)")
    parser.add_argument("--real-servers", type=int, default=200,
                        help="LVS real servers in all (default 200)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with tempfile.TemporaryDirectory(prefix="hadeck-bench-") as scratch:
        lab, created = open_lab(args, Path(scratch))
        if created is not None:
            print(f"lab created in {created:.1f} s")
        rows, state = measure(lab, args.repeat)
    pcmk = state.pacemaker
    nodes = len(pcmk.nodes) if pcmk else 0
    print(f"\n{lab.directory}: {nodes} Pacemaker nodes, "
          f"{len({g.name for g in state.guests})} guests, "
          f"{len({r.name for r in state.drbd})} DRBD resources, "
          f"{sum(len(s.real_servers) for d in state.lvs[:1] for s in d.services)} real "
          f"servers per director; best of {args.repeat}\n")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
