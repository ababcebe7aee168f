"""``hadeck new-guest``: a new guest on DRBD, proposed and validated, nothing run.

It reads the cluster's conventions (:mod:`hadeck.actions.newguest`), prints the logical
volumes, the DRBD resource file, the CIB fragment and every command in order, with the
checks the real tools made (``drbdadm -c FILE dump`` as each node, ``crm_verify``,
``crm_simulate``). Carrying it out through the action path is the next step; until then
the operator runs the printed commands. Exit 0: valid; 1: refused or a check failed;
3: the cluster could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from hadeck.text import safe


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser(
        "new-guest", help="propose a new guest on DRBD from the cluster's conventions",
        description="Propose a new guest on DRBD: the logical volume on each node, the "
                    "DRBD resource file (next free minor and port), the CIB fragment "
                    "copied from an existing guest, and the commands; validated by "
                    "drbdadm, crm_verify and crm_simulate. Nothing is run. Exit 0 valid, "
                    "1 refused, 3 unreadable.")
    source_options(p)
    p.add_argument("name", help="the guest's name (its primitive, LV and DRBD resource)")
    p.add_argument("--nodes", required=True, metavar="A,B",
                   help="the two nodes that hold its DRBD volume")
    p.add_argument("--size", required=True, metavar="SIZE", help="the volume's size (20G)")
    p.add_argument("--vg", required=True, metavar="VG", help="the volume group on each node")
    p.add_argument("--hypervisor", choices=("kvm", "xen", "openvz"),
                   help="copy a guest of this kind (default: the first guest on DRBD)")
    p.add_argument("--like", metavar="GUEST", help="copy this guest's configuration")
    p.add_argument("--prefer", metavar="NODE", help="the node it prefers (default: the "
                                                    "first of --nodes)")
    p.add_argument("--resource", metavar="RES", help="the DRBD resource's name "
                                                     "(default: the guest's)")
    p.add_argument("--start", action="store_true",
                   help="let it start once configured (default: target-role Stopped)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    from hadeck.actions.newguest import Spec, propose, survey, validate, with_checks
    from hadeck.actions.plan import Refused
    from hadeck.opening import open_cluster

    from .main import UsageError

    if getattr(args, "bundle", None):
        raise UsageError("a snapshot bundle cannot be provisioned (--from): use the live "
                         "cluster or the lab")
    nodes = tuple(n.strip() for n in args.nodes.split(",") if n.strip())
    spec = Spec(args.name, nodes, args.size, args.vg, args.hypervisor, args.like,
                args.prefer, bool(args.start), args.resource)
    opened = open_cluster(args.config, lab=args.lab, local=bool(args.local))
    try:
        at = opened.access.local.node
        # Runners are made lazily by the access: survey asks only the CIB's nodes.
        runners = _Runners(opened.access)
        seen = survey(spec, runners, at)
        if not seen.cib:
            print(safe(f"hadeck: {'; '.join(seen.errors)}"), file=sys.stderr)
            return 3
        try:
            proposal = propose(spec, seen, at)
        except Refused as exc:
            if args.json:
                print(json.dumps({"refused": str(exc), "exit_code": 1}, indent=2))
            print(safe(f"refused: {exc}"), file=sys.stderr)
            return 1
        proposal = with_checks(proposal, validate(proposal))
    finally:
        opened.access.close()
    failed = [c for c in proposal.checks if not c.ok]
    code = 1 if failed else 0
    if args.json:
        print(json.dumps({
            "guest": spec.name, "template": proposal.template.guest,
            "drbd": {"resource": proposal.resource.name, "minor": proposal.minor,
                     "port": proposal.port, "file": proposal.path,
                     "text": proposal.resource_file},
            "cib": proposal.fragment.xml(),
            "commands": [{"node": s.node, "argv": list(s.argv), "why": s.why}
                         for s in proposal.steps],
            "checks": [c.as_dict() for c in proposal.checks],
            "exit_code": code}, indent=2))
        return code
    out = sys.stdout
    t = proposal.template
    print(safe(f"new guest {spec.name}, copied from {t.guest} ({t.kind}, {t.clone}, DRBD "
               f"{t.drbd_resource})"), file=out)
    print(safe(f"DRBD {proposal.resource.name}: minor {proposal.minor}, port "
               f"{proposal.port}, {proposal.path}:"), file=out)
    _lines(proposal.resource_file)
    print("CIB fragment:", file=out)
    _lines(proposal.fragment.xml())
    print("commands, in order:", file=out)
    for step in proposal.steps:
        print(safe(f"  {step.node}: {' '.join(step.argv)}    # {step.why}"), file=out)
    print("checks:", file=out)
    for check in proposal.checks:
        print(safe(f"  {'✔' if check.ok else '✖'} {check.name}: {check.reason}"), file=out)
    print("hadeck does not run these yet: this is a validated proposal.", file=out)
    if failed:
        print(safe("refused: " + "; ".join(c.reason for c in failed)), file=sys.stderr)
    return code


class _Runners(dict):  # type: ignore[type-arg]
    def __init__(self, access: object) -> None:
        super().__init__()
        self.access = access

    def __missing__(self, node: str) -> object:
        self[node] = self.access.runner(node)  # type: ignore[attr-defined]
        return self[node]


def _lines(text: str) -> None:
    for line in text.splitlines():
        print(safe(line), file=sys.stdout)
