"""``hadeck lvs weight | drain | restore | add | remove``: a real server in an LVS pool.

Each is a :class:`~hadeck.actions.request.Request` (``lvs-weight`` …) on the one action
path, with the same flags and exit codes as the Pacemaker actions (:mod:`hadeck.cli.act`):
the preview is the kernel table's row before → after, then the pre-checks and the
ipvsadm command; it runs on the director that holds the service (the VRRP MASTER), and
settles when ``ipvsadm -Ln`` there shows the change — a drain when the server's
ActiveConn is down to 0 (``--wait`` bounds it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hadeck.cli.act import add_action_flags

VERBS = ("weight", "drain", "restore", "add", "remove")
_EXITS = ("Exit 0 done and verified, 1 refused (pre-check, read-only, not confirmed), "
          "2 failed or not settled in time, 3 the cluster could not be read")
_SERVICE = ("the virtual service: VIP:PORT (TCP), udp:VIP:PORT, sctp:VIP:PORT, "
            "[V6]:PORT, fwm:MARK")
_SERVER = "the real server: ADDRESS:PORT (or ADDRESS when the service has one there)"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               add_source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``lvs`` subcommand and its verbs (``add_source_options``: cli.main's)."""
    lvs = sub.add_parser("lvs", help="change a real server of an LVS service (weight, "
                                     "drain, restore, add, remove)",
                         description="Change a real server of an LVS virtual service on "
                                     "the director that holds it (the VRRP MASTER), "
                                     "through ipvsadm, previewed and journaled. " + _EXITS)
    verbs = lvs.add_subparsers(dest="lvs_verb", metavar="VERB", required=True)

    def verb(name: str, help: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help, description=help + ". " + _EXITS)
        add_source_options(p)
        p.add_argument("service", metavar="SERVICE", help=_SERVICE)
        p.add_argument("server", metavar="RS", help=_SERVER)
        p.add_argument("--director", metavar="NODE",
                       help="the director to act on (default: the VRRP MASTER for the "
                            "service; a BACKUP is refused)")
        add_action_flags(p, "how long to wait for the table to show it (a drain: for the "
                            "active connections to finish; default 60)")
        return p

    p = verb("weight", "Set a real server's weight (ipvsadm -e)")
    p.add_argument("weight", metavar="W", help="0 to 65535")
    verb("drain", "Drain a real server: weight 0, then follow its active connections "
                  "down to 0")
    verb("restore", "Give a drained real server back the weight it had before the drain "
                    "(from the journal)")
    p = verb("add", "Add a real server to a service (ipvsadm -a)")
    p.add_argument("--weight", dest="weight", metavar="W", default=None,
                   help="its weight (default 1, as ipvsadm's)")
    p.add_argument("--method", choices=("dr", "nat", "tun"), default=None,
                   help="forwarding: dr (direct routing), nat, tun (default: the "
                        "service's other real servers', else dr)")
    verb("remove", "Remove a real server from a service (ipvsadm -d)")


def request_of(args: argparse.Namespace) -> object:
    """The request the command line asks for."""
    from hadeck.actions.request import Request

    return Request(f"lvs-{args.lvs_verb}", args.service, node=args.director,
                   force=bool(args.force), option=args.server,
                   value=getattr(args, "weight", None),
                   method=getattr(args, "method", None))


def run(args: argparse.Namespace) -> int:
    """Run ``hadeck lvs VERB …`` (exit codes as the other actions)."""
    from hadeck.cli.act import act

    if getattr(args, "read_only_top", False):  # hadeck --read-only lvs …: refused
        args.read_only = True
    return act(args, request_of(args))
