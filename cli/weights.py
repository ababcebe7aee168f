"""``hadeck weights``: LVS weights computed from each real server's load over SNMP.

By default it prints, for every real server of the active director(s), its load, free
capacity, configured weight, the kernel's weight now and the computed one (the formula:
:mod:`hadeck.weights`), then the ipvsadm commands that would set the weights that
change. ``--apply`` sets them: each change is an ``lvs weight`` action on the one action
path (:mod:`hadeck.cli.lvs`): previewed, pre-checked, confirmed (``--yes`` for scripts),
run on the director that holds the service, verified and journaled.

``--keepalived ADDRESS[:PORT]`` is the keepalived way, for a ``MISC_CHECK`` with
``misc_dynamic`` (share/keepalived/hadeck-weights.conf): it reads one real server's
agent, computes its weight against the local kernel's, says so in one line, and exits
with the weight + 2, which keepalived sets. A weight kept (the agent does not answer,
hysteresis) is said as the kernel's weight now + 2, never as 0: keepalived 2.x reads 0 as
"back to the configured weight" (seen in tests/vmlab/test_vm_keepalived.py). It never
exits 1: a load reading must never take a real server out — that is the health checks'
job. Nor with any other code when it fails (:func:`keepalived_guard`): keepalived would
read a configuration error's 3 as weight 1.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hadeck.cli.act import DEFAULT_WAIT, _seconds
from hadeck.config import Config
from hadeck.text import safe
from hadeck.weights import KEEPALIVED_MAX, WeightRow, agent_for, compute, plan

if TYPE_CHECKING:
    from hadeck.opening import Opened
    from hadeck.runner import Runner

EXIT_UNKNOWN = 3


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               add_source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``weights`` subcommand (``add_source_options``: cli.main's, for --from etc.)."""
    weights = sub.add_parser(
        "weights", help="LVS weights from the real servers' load (SNMP)",
        description="Compute each real server's LVS weight from its load, read over SNMP "
                    "([snmp.agents] in the configuration), and print it beside the "
                    "kernel's weight, with the ipvsadm commands that would set it.")
    add_source_options(weights)
    weights.add_argument("--json", action="store_true", help="print the rows as JSON")
    weights.add_argument("--every", type=float, metavar="SECONDS",
                         help="print again every SECONDS until interrupted")
    weights.add_argument("--apply", action="store_true",
                         help="set the weights that change, each as `hadeck lvs weight` "
                              "does: preview, confirmation, journal (with --every: each "
                              "round)")
    weights.add_argument("--yes", "-y", action="store_true",
                         help="--apply: do not ask (without it and without a terminal: "
                              "refused)")
    weights.add_argument("--dry-run", action="store_true",
                         help="--apply: print each action's preview and pre-checks only")
    weights.add_argument("--wait", type=_seconds, default=DEFAULT_WAIT, metavar="SECONDS",
                         help="--apply: how long each change may take to show (default 60)")
    weights.add_argument("--force", action="store_true",
                         help="--apply: override the pre-checks that may be overridden")
    weights.add_argument("--read-only", action="store_true",
                         help="--apply: refuse to act (as actions.read_only = true)")
    weights.add_argument("--keepalived", metavar="ADDRESS[:PORT]",
                         help="keepalived MISC_CHECK misc_dynamic mode: exit with the "
                              "computed weight + 2 for this real server (0: unchanged)")


def run(args: argparse.Namespace, opened: Opened) -> int:
    """Run ``hadeck weights`` on the opened cluster."""
    config = opened.config
    if args.keepalived:
        return keepalived(args.keepalived, opened, config)
    if args.apply and args.json:
        print("hadeck: weights --apply prints each action for people; every one is in the "
              "journal (hadeck journal --json)", file=sys.stderr)
        return EXIT_UNKNOWN
    if getattr(args, "read_only_top", False):
        args.read_only = True
    if args.every is not None and not args.every > 0:
        print("hadeck: --every must be a positive number of seconds", file=sys.stderr)
        return EXIT_UNKNOWN
    while True:
        status = once(args, opened, config)
        if args.every is None:
            return status
        sys.stdout.flush()
        time.sleep(args.every)


def once(args: argparse.Namespace, opened: Opened, config: Config) -> int:
    """One round: read the directors and the agents, print the rows."""
    from hadeck.collect import collect

    # The agents are polled with the directors' tables (a bundle replays their answers).
    state = collect(opened.access, config, snmp=True)
    rows = plan(state.lvs, config.snmp_agents, state.snmp, config.weights)
    if args.json:
        print(json.dumps([row_data(r) for r in rows], indent=2))
    else:
        print_rows(rows)
    if not rows:
        print("hadeck: no real servers on an active LVS director: nothing to weigh",
              file=sys.stderr)
        return EXIT_UNKNOWN
    if args.apply:
        return apply(rows, args)
    return 0


def apply(rows: Sequence[WeightRow], args: argparse.Namespace) -> int:
    """Set each computed weight that changes through the LVS actions' path; the worst
    exit code of them (0 when nothing changes)."""
    from hadeck.actions.request import Request
    from hadeck.cli.act import act

    worst = 0
    for row in rows:
        if not row.decision.changes:
            continue
        print()
        request = Request("lvs-weight", row.service.key, row.director, force=args.force,
                          option=row.server.key, value=str(row.decision.computed))
        worst = max(worst, act(args, request))
    return worst


def row_data(row: WeightRow) -> dict[str, object]:
    """One row as JSON-ready data (no secret: agents are named, never their credentials)."""
    reading, decision = row.reading, row.decision
    return {
        "director": row.director, "service": row.service.key, "real_server": row.server.key,
        "agent": row.agent,
        "load": list(reading.load) if reading and reading.load else None,
        "cpus": reading.cpu_count if reading else None,
        "free": None if decision.free is None else round(decision.free, 4),
        "configured": decision.configured, "kernel": decision.current,
        "computed": decision.computed, "changes": decision.changes,
        "flag": decision.flag,
        "error": reading.error if reading else None,
        "argv": list(row.argv()) if decision.changes else None,
    }


HEADER = ("DIRECTOR", "SERVICE", "REAL SERVER", "LOAD", "CPUS", "FREE", "CONF", "KERNEL",
          "COMPUTED", "NOTE")


def print_rows(rows: Sequence[WeightRow]) -> None:
    """The table, then the commands that would set what changes."""
    table = [HEADER]
    for row in rows:
        reading, d = row.reading, row.decision
        note = d.flag or ("changes" if d.changes else "unchanged")
        if reading is not None and reading.error:
            note = f"kept: {reading.error}"
        table.append((
            row.director, row.service.key, row.server.key,
            f"{reading.load[0]:.2f}" if reading and reading.load else "-",
            str(reading.cpu_count) if reading and reading.cpu_count else "-",
            f"{d.free:.0%}" if d.free is not None else "-",
            str(d.configured), "-" if d.current is None else str(d.current),
            str(d.computed), note))
    widths = [max(len(safe(r[i])) for r in table) for i in range(len(HEADER) - 1)]
    for r in table:
        print("  ".join(safe(c).ljust(w) for c, w in zip(r, widths, strict=False))
              + "  " + safe(r[-1]))
    changes = [row for row in rows if row.decision.changes]
    if changes:
        print("\nWould run (hadeck weights --apply: through the LVS actions' path):")
        for row in changes:
            print("  " + safe(shlex.join(row.argv())))
    elif rows:
        print("\nNo weight to change.")


def keepalived_guard(work: Callable[[], int], target: str) -> int:
    """Run the ``--keepalived`` mode so that a failure holds the weight the kernel has.

    keepalived's ``misc_dynamic`` reads every exit code: 1 fails the check (keepalived
    takes the real server out), 2–255 set the weight to code − 2, and 0 (keepalived 2.x)
    puts back the configured weight. hadeck's usual error exit, 3, would set weight 1, and
    a traceback's 1 would take the server out. So a configuration that cannot be read, or
    a bug, exits with the kernel's weight now + 2 (0 when that cannot be read either) and
    says why on stderr.
    """
    try:
        return work()
    except Exception as exc:  # anything: keepalived must keep the weight
        try:
            from hadeck.runner import LocalRunner

            current = kernel_weight(LocalRunner(), target)
        except Exception:  # the table cannot be read either
            current = None
        print(safe(f"hadeck weights --keepalived: {exc}: {held(current)}"), file=sys.stderr)
        return hold(current)


def kernel_weight(runner: Runner, target: str) -> int | None:
    """The weight of real server ``ADDRESS[:PORT]`` in the IPVS table ``runner`` reads
    (its first service that has it); None when it is not there."""
    from hadeck.sources import lvs

    address, port = split_target(target)
    director = lvs.read(runner).value
    servers = [rs for s in (director.services if director else ()) for rs in s.real_servers
               if rs.address == address and (not port or str(rs.port) == port)]
    return servers[0].weight if servers else None


def split_target(target: str) -> tuple[str, str]:
    """``ADDRESS[:PORT]`` → (address, port or "")."""
    address, _, port = target.rpartition(":") if target.count(":") == 1 else (target, "", "")
    return (address or target), port


def hold(current: int | None) -> int:
    """The exit code that keeps the kernel's weight: keepalived (2.x) sets code − 2 when
    the code changes and does nothing while it repeats; 0 when the weight is not known
    (keepalived then keeps, or puts back, the configured weight)."""
    return 0 if current is None else min(current, KEEPALIVED_MAX) + 2


def held(current: int | None) -> str:
    if current is None:
        return "not in the kernel's table: the configured weight (exit 0)"
    return f"weight {current} held (exit {hold(current)})"


def keepalived(target: str, opened: Opened, config: Config) -> int:
    """The MISC_CHECK ``misc_dynamic`` mode: exit with the weight + 2.

    Every round says the weight, including a weight kept (hysteresis, an agent that does
    not answer, a server out of service): keepalived 2.x reads exit 0 as "back to the
    configured weight", not "unchanged", and acts only when the code changes.
    """
    address, port = split_target(target)
    current = kernel_weight(opened.access.local, target)
    from hadeck.model import RealServer

    probe = RealServer(address=address, port=int(port) if port.isdigit() else 0)
    agent = agent_for(probe, config.snmp_agents)
    if agent is None:
        print(safe(f"hadeck weights: no [snmp.agents] entry for {address}: {held(current)}"))
        return hold(current)
    from hadeck.snmp.poller import poll

    (reading,) = poll([agent])
    configured = agent.weight if agent.weight is not None else config.weights.base
    decision = compute(config.weights, configured, current, reading)
    weight = min(decision.computed, KEEPALIVED_MAX)
    load = f"load {reading.load[0]:.2f}" if reading.load else "no load"
    if decision.flag or (current is not None and weight == current):
        why = decision.flag or "unchanged"
        if reading.error:
            why = f"{why}: {reading.error}"
        print(safe(f"hadeck weights: {agent.name} {target}: {load}: {why}: {held(current)}"))
        return hold(current)
    print(safe(f"hadeck weights: {agent.name} {target}: {load}, free {decision.free:.0%} "
               f"→ weight {weight} (exit {weight + 2})"))
    return weight + 2
