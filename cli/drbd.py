"""``hadeck drbd VERB RES``: DRBD actions on the one action path.

``hadeck drbd connect|disconnect|adjust|primary|secondary|verify|invalidate|pause-sync|
resume-sync RES [--node N] [--peer P]`` and ``hadeck drbd resolve RES --victim N`` make a
``drbd-*`` :class:`~hadeck.actions.request.Request`; :func:`hadeck.cli.act.act` prints
the preview (drbdadm's own dry run) and the pre-checks, asks, runs, follows DRBD until
its states show the result and writes the journal — the flags (``--dry-run --yes --json
--wait --force --read-only``) and exit codes are the Pacemaker actions'.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hadeck.actions.drbd_plan import VERBS

WORDS = tuple(v.removeprefix("drbd-") for v in VERBS)
"""The subcommands of ``hadeck drbd``."""
_HELP = {
    "connect": "connect a StandAlone resource (on --node, or every StandAlone side)",
    "disconnect": "disconnect it on one node (StandAlone until a connect)",
    "adjust": "apply the configuration file to the kernel (every node, or --node)",
    "primary": "promote it on --node (refused where Pacemaker manages it)",
    "secondary": "demote it (on --node, or where it is Primary)",
    "verify": "start an online verify and follow it (out-of-sync found, progress)",
    "invalidate": "discard --node's data: a full resync from the UpToDate peer",
    "pause-sync": "pause a running resync",
    "resume-sync": "resume a paused resync",
    "resolve": "split-brain recovery: discard the --victim's changes since the split, "
               "reconnect, resync from the survivor",
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               add_source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``hadeck drbd`` (``add_source_options``: cli.main's, for --lab etc.)."""
    from hadeck.cli.act import _EXITS, add_action_flags

    drbd = sub.add_parser("drbd", help="DRBD actions: connect, disconnect, primary, "
                                       "verify, resolve a split brain …",
                          description="DRBD actions, run with drbdadm on the node that "
                                      "holds the resource. " + _EXITS)
    verbs = drbd.add_subparsers(dest="drbd_verb", metavar="VERB", required=True)
    for word in WORDS:
        p = verbs.add_parser(word, help=_HELP[word], description=_HELP[word] + ". " + _EXITS)
        add_source_options(p)
        p.add_argument("resource", metavar="RES")
        if word == "resolve":
            p.add_argument("--victim", "--node", dest="node", metavar="N",
                           help="the node whose changes since the split are discarded")
        else:
            p.add_argument("--node", metavar="N", help="the node to run it on")
        p.add_argument("--peer", metavar="P",
                       help="DRBD 9: the connection (peer) to act on, where there are "
                            "several")
        p.add_argument("--from-node", dest="seen_from", metavar="N",
                       help="the node to read the cluster from (default: this one; in the "
                            "lab its first node that is up)")
        add_action_flags(p, "how long to follow DRBD until it shows the result (default "
                            "60; a resync still running then is reported, not waited for)")


def run(args: argparse.Namespace) -> int:
    """Run ``hadeck drbd VERB RES`` (exit codes as the Pacemaker actions')."""
    from hadeck.actions.request import Request
    from hadeck.cli.act import act

    if getattr(args, "read_only_top", False):  # hadeck --read-only drbd …: refused too
        args.read_only = True
    request = Request(f"drbd-{args.drbd_verb}", args.resource, args.node,
                      force=bool(args.force), option=args.peer)
    return act(args, request)
