"""``hadeck new-guest``: a new guest on DRBD, on the action path.

The cluster's conventions are read (:mod:`hadeck.actions.newguest`), the proposal is
previewed by the real tools (``drbdadm -c FILE dump`` as each node, ``crm_verify``,
``crm_simulate``), pre-checked (free space, names and volumes not taken), confirmed by
typing the guest's name, carried out step by step (logical volumes, resource files,
DRBD metadata, up, initial sync, the CIB last) and verified; the journal has it. A failed
step stops and says how to undo what ran. Exit codes as for every action: 0 done,
1 refused, 2 failed or not settled, 3 unreadable.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    from hadeck.cli.act import add_action_flags

    p = sub.add_parser(
        "new-guest", help="create a new guest on DRBD the way the cluster makes its guests",
        description="Create a new guest on DRBD: the logical volume on each node, the DRBD "
                    "resource file (next free minor and port, the options of the guest it "
                    "is copied from), its metadata and initial sync, then the CIB "
                    "fragment copied from an existing guest (promotable clone, colocation "
                    "with Promoted, order promote → start, location and pingd rules). "
                    "Previewed by drbdadm, crm_verify and crm_simulate first. Exit 0 done, "
                    "1 refused, 2 failed or not settled, 3 unreadable.")
    source_options(p)
    p.add_argument("name", help="the guest's name (its primitive, LV and DRBD resource)")
    p.add_argument("--nodes", required=True, metavar="A,B",
                   help="the two nodes that hold its DRBD volume")
    p.add_argument("--size", required=True, metavar="SIZE", help="the volume's size (20G)")
    p.add_argument("--vg", metavar="VG", help="the volume group on each node (default: the "
                                              "copied guest's, thin in its pool if it is)")
    p.add_argument("--hypervisor", choices=("kvm", "xen", "openvz"),
                   help="copy a guest of this kind (default: the first guest on DRBD)")
    p.add_argument("--like", metavar="GUEST", help="copy this guest's configuration")
    p.add_argument("--prefer", metavar="NODE", help="the node it prefers (default: the "
                                                    "first of --nodes)")
    p.add_argument("--resource", metavar="RES", help="the DRBD resource's name "
                                                     "(default: the guest's)")
    p.add_argument("--minor", metavar="N", help="its DRBD minor (default: the next above "
                                                "every one configured)")
    p.add_argument("--port", metavar="PORT", help="its replication port (default: the next "
                                                  "above every one configured)")
    p.add_argument("--start", action="store_true",
                   help="let it start once configured (default: target-role Stopped)")
    add_action_flags(p, "how long to wait for the cluster to settle (default 60)")


def request_of(args: argparse.Namespace) -> object:
    from hadeck.actions.request import Request

    params = [("nodes", args.nodes), ("size", args.size)]
    for key in ("vg", "hypervisor", "like", "resource", "minor", "port"):
        if getattr(args, key):
            params.append((key, getattr(args, key)))
    if args.start:
        params.append(("start", "yes"))
    return Request("new-guest", args.name, args.prefer, force=bool(args.force),
                   params=tuple(params))


def run(args: argparse.Namespace) -> int:
    from hadeck.cli.act import act

    return act(args, request_of(args))
