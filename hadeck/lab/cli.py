"""``hadeck lab …``: create the lab and break it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from hadeck.lab import faults
from hadeck.lab.errors import LabError
from hadeck.lab.world import DEFAULT_LAB, Lab, Topology, lab_directory, seed_topology
from hadeck.text import safe

MAX_NODES = 250
"""Guest nodes a lab can have: the nodes' addresses are 10.0.0.1 to 10.0.0.251."""
MAX_STEP = 366 * 86400.0
"""The longest move of lab time at once (a year): lab time is wall time plus an offset."""


def _count(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` (to ``most``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least or (most is not None and value > most):
            bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range: {bounds}")
        return value
    return parse


def _seconds(text: str) -> float:
    """An argparse type: lab time to move on, more than 0 and at most :data:`MAX_STEP`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_STEP:
        raise argparse.ArgumentTypeError(
            f"{text!r}: lab time moves on by more than 0 and at most {MAX_STEP:.0f} s")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lab = sub.add_parser("lab", help="the built-in simulated cluster: create it, break it",
                         description="The lab: a simulated cluster (real Pacemaker scheduler, "
                                     "DRBD, guests, LVS) that answers the real tools' commands. "
                                     f"It lives in a directory (default {DEFAULT_LAB}, or "
                                     "$HADECK_LAB, or --dir).")
    lab.add_argument("--dir", type=Path, default=None, help="the lab directory")
    cmds = lab.add_subparsers(dest="lab_command", required=True)

    init = cmds.add_parser("init", help="create (or re-create) the lab")
    init.add_argument("--nodes", type=_count(2, MAX_NODES), default=2,
                      help="guest nodes (default 2)")
    init.add_argument("--guests", type=_count(0), default=2,
                      help="guests, one DRBD each (default 2)")
    init.add_argument("--drbd", type=_count(0), default=None,
                      help="DRBD resources (each backs one guest: same as --guests)")
    init.add_argument("--services", type=_count(0), default=2, help="LVS virtual services")
    init.add_argument("--real-servers", type=_count(0), default=5,
                      help="LVS real servers in all")
    init.add_argument("--seed", type=int, default=1, help="makes the numbers reproducible")

    for name, helptext in (("fail-node", "crash a node or director"),
                           ("kill-corosync", "kill corosync on a node: it leaves the "
                                             "cluster and keeps running its guests"),
                           ("recover-node", "bring a crashed node back (or start its "
                                            "corosync again)")):
        cmds.add_parser(name, help=helptext).add_argument("node")
    for name, helptext in (("cut-drbd", "cut a DRBD resource's replication link"),
                           ("heal-drbd", "restore it (a resync follows)"),
                           ("split-brain", "put a DRBD resource in split brain")):
        cmds.add_parser(name, help=helptext).add_argument("resource")
    fail = cmds.add_parser("fail-resource", help="make a resource operation fail")
    fail.add_argument("resource")
    fail.add_argument("--op", default="monitor", choices=("monitor", "start", "stop"))
    fail.add_argument("--node")
    for name, helptext in (("kill-rs", "kill a real server (keepalived removes it)"),
                           ("restore-rs", "bring a real server back")):
        p = cmds.add_parser(name, help=helptext)
        p.add_argument("address", help="ADDRESS or ADDRESS:PORT")
        p.add_argument("--service", help="only in this service (www, ssh …)")
    director = cmds.add_parser("fail-director", help="crash an LVS director (default MASTER)")
    director.add_argument("node", nargs="?")
    cmds.add_parser("recover-director", help="bring a director back").add_argument("node")
    for name, helptext in (("ping-lost", "the ping node becomes unreachable"),
                           ("ping-restored", "the ping node answers again")):
        cmds.add_parser(name, help=helptext).add_argument(
            "--node", help="only from this node (default: every node)")
    for name, helptext in (("fill-pool", "a guest node's thin pool starts filling (84 %%, "
                                         "+1 %% per lab hour)"),
                           ("trim-pool", "the thin pool is freed again")):
        cmds.add_parser(name, help=helptext).add_argument("node")
    stop = cmds.add_parser("stop-backups", help="a backup repository goes stale")
    stop.add_argument("repo", help="vm1 … or etc")
    stop.add_argument("--nights", type=int, default=3, help="its last session (default 3)")
    for name, helptext in (("backup-error", "the repository's last run logged an error"),
                           ("resume-backups", "nightly, clean backups again")):
        cmds.add_parser(name, help=helptext).add_argument("repo")
    fault = cmds.add_parser("fault", help="make a tool hang, print garbage or be missing")
    fault.add_argument("node", help="a lab node, or '*' for all")
    fault.add_argument("tool", help="crm_mon, drbdsetup, ipvsadm, virsh, /proc/drbd …")
    fault.add_argument("mode", choices=("hang", "garbage", "missing", "clear"))
    cmds.add_parser("step", help="move lab time on").add_argument("seconds", type=_seconds)


def run(args: argparse.Namespace) -> int:
    """Run one ``hadeck lab`` subcommand and print what it did (made safe to show).

    Raises:
        LabError: the lab cannot be created, is missing or damaged, or the subcommand
            names something the lab does not have.
    """
    directory = lab_directory(args.dir)
    if args.lab_command == "init":
        guests = args.drbd if args.drbd is not None else args.guests
        topology = seed_topology(nodes=args.nodes, guests=guests, services=args.services,
                                 real_servers=args.real_servers)
        create_lab(directory, topology, seed=args.seed)
        print(safe(f"lab ready in {directory}: {len(topology.cluster_nodes)} cluster nodes, "
                   f"{len(topology.guests)} guests on DRBD, {len(topology.services)} LVS "
                   f"services on {len(topology.directors)} directors"))
        return 0
    lab = Lab(directory)
    try:
        lab.read()
    except DAMAGE as exc:
        raise LabError(damaged(directory, exc)) from None
    print(safe(_change(lab, args)))
    return 0


DAMAGE = (OSError, ValueError, KeyError, TypeError)
"""What reading a lab whose files were damaged raises (its JSON read as it is written)."""


def damaged(directory: Path, exc: Exception) -> str:
    """Why a lab that exists cannot be used, in one line."""
    if isinstance(exc, OSError):
        return f"the lab in {directory} cannot be used: {_os_error(exc)}"
    return (f"the lab in {directory} is damaged ({type(exc).__name__}: {exc}); "
            "'hadeck lab init' makes a new one")


def _os_error(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    return f"{exc.filename}: {what}" if exc.filename else what


def create_lab(directory: Path, topology: Topology | None = None, seed: int = 1) -> Lab:
    """Create a lab in ``directory``, or say in one line why it cannot be created.

    Raises:
        LabError: ``directory`` is not a directory, or cannot be written.
    """
    if directory.exists() and not directory.is_dir():
        raise LabError(f"cannot create a lab in {directory}: not a directory")
    try:
        return Lab.init(directory, topology, seed=seed)
    except OSError as exc:
        raise LabError(f"cannot create a lab in {directory}: {_os_error(exc)}") from None


def _change(lab: Lab, args: argparse.Namespace) -> str:
    actions: dict[str, Callable[[], str]] = {
        "fail-node": lambda: faults.fail_node(lab, args.node),
        "kill-corosync": lambda: faults.kill_corosync(lab, args.node),
        "recover-node": lambda: faults.recover_node(lab, args.node),
        "cut-drbd": lambda: faults.cut_drbd(lab, args.resource),
        "heal-drbd": lambda: faults.heal_drbd(lab, args.resource),
        "split-brain": lambda: faults.split_brain(lab, args.resource),
        "fail-resource": lambda: faults.fail_resource(lab, args.resource, args.op, args.node),
        "kill-rs": lambda: faults.kill_rs(lab, args.address, args.service),
        "restore-rs": lambda: faults.restore_rs(lab, args.address, args.service),
        "fail-director": lambda: faults.fail_director(lab, args.node),
        "recover-director": lambda: faults.recover_director(lab, args.node),
        "ping-lost": lambda: faults.ping_lost(lab, args.node),
        "ping-restored": lambda: faults.ping_restored(lab, args.node),
        "fill-pool": lambda: faults.fill_pool(lab, args.node),
        "trim-pool": lambda: faults.trim_pool(lab, args.node),
        "stop-backups": lambda: faults.stop_backups(lab, args.repo, args.nights),
        "backup-error": lambda: faults.backup_error(lab, args.repo),
        "resume-backups": lambda: faults.resume_backups(lab, args.repo),
        "fault": lambda: faults.tool_fault(lab, args.node, args.tool,
                                           None if args.mode == "clear" else args.mode),
        "step": lambda: faults.step(lab, args.seconds),
    }
    return actions[args.lab_command]()


def open_lab(directory: Path | None, create: bool = True) -> Lab:
    """The lab at ``directory`` (default location if None), created on first use."""
    directory = lab_directory(directory)
    try:
        return Lab(directory)
    except LabError:
        if not create or (Path(directory).expanduser() / "world.json").exists():
            raise
    return create_lab(directory)
