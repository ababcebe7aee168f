"""check_hadeck_lvs: the local LVS director's virtual services and VRRP role.

The IPVS table comes from ``ipvsadm -Ln`` (with ``--stats``/``--rate``) or, without root,
/proc/net/ip_vs; VRRP instances from keepalived's dump files (see
:mod:`hadeck.sources.keepalived`). Judged by :func:`hadeck.health.judge_lvs`: a service
with no weighted real server is CRITICAL, one with quiesced (weight 0) real servers or
fewer than the configuration's ``[lvs.expected]`` a WARNING; a VRRP instance in FAULT is
CRITICAL, INIT or STOP a WARNING. Whether exactly one director is MASTER is a question for
the pair, not for one director: this check leaves it to ``hadeck status``. Every rule,
the options' ones too, is :func:`hadeck.health.judge_director`'s.

``--service "TCP 192.0.2.10:80"`` (repeatable) checks those services only; one that is not
in the table is CRITICAL. Without it every service is checked, and an empty table is a
WARNING.

``--expect-role MASTER|BACKUP|any`` (default any): a VRRP instance in the other of MASTER
and BACKUP is a WARNING (a failover happened; the peer serves).

``-w/-c`` are ranges on each service's usable (weighted) real servers, e.g. ``-w 2: -c 1:``
(default: none).

Perfdata per service (label: the service, blanks as ``_``): ``_rs`` real servers,
``_weighted`` usable ones (0 to ``_rs``), ``_weight`` total weight, ``_active`` and
``_inactive`` connections.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from hadeck.checks.common import (
    Assessment,
    Measure,
    Plugin,
    add_thresholds,
    perf_label,
    plural,
    run,
    source_verdicts,
)
from hadeck.health import Verdict, judge_director, select_services
from hadeck.model import ClusterState

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

ROLES = ("MASTER", "BACKUP", "any")


def service_key(text: str) -> str:
    """``tcp  192.0.2.10:80`` → ``TCP 192.0.2.10:80``: how ipvsadm and the model name it."""
    words = text.split()
    if len(words) != 2:
        raise argparse.ArgumentTypeError(
            f"invalid service {text!r}: PROTOCOL ADDRESS:PORT (TCP, UDP, SCTP) or FWM MARK")
    proto, rest = words[0].upper(), words[1]
    if proto not in ("TCP", "UDP", "SCTP", "FWM"):
        raise argparse.ArgumentTypeError(f"invalid service {text!r}: unknown protocol {proto}")
    if proto != "FWM" and not re.match(r"^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d+$", rest):
        raise argparse.ArgumentTypeError(
            f"invalid service {text!r}: ADDRESS:PORT expected ([IPv6]:PORT for IPv6)")
    return f"{proto} {rest.lower()}"


def _role(text: str) -> str:
    for role in ROLES:
        if text.lower() == role.lower():
            return role
    raise argparse.ArgumentTypeError(f"invalid role {text!r}: MASTER, BACKUP or any")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_thresholds(parser, "a service's usable (weighted) real servers")
    parser.add_argument("-s", "--service", metavar="'PROTO ADDR:PORT'", action="append",
                        type=service_key,
                        help="only this virtual service, as ipvsadm names it "
                             "(repeatable; e.g. 'TCP 192.0.2.10:80', 'FWM 1')")
    parser.add_argument("-r", "--expect-role", metavar="ROLE", type=_role, default="any",
                        help="the VRRP role this director should have: MASTER, BACKUP or "
                             "any (default any)")


def assess(state: ClusterState, args: argparse.Namespace, config: Any) -> Assessment:
    node = state.local_node
    director = next((d for d in state.lvs if d.node == node), None)
    wanted = args.service or ()
    services, _ = select_services(director, wanted)
    verdicts: list[Verdict] = source_verdicts(state)
    verdicts += judge_director(
        node, director, wanted=wanted,
        expected=dict(config.policy.expected_real_servers) if config else {},
        role=None if args.expect_role == "any" else args.expect_role,
        sources=state.sources)
    measures = []
    for svc in services:
        label = svc.key
        weighted = svc.weighted
        total = len(svc.real_servers)
        subject = f"{svc.key}@{node}"
        measures += [
            Measure(perf_label(label, "rs"), total, min=0),
            Measure(perf_label(label, "weighted"), len(weighted), min=0, max=total,
                    threshold="lvs_weighted", subject=subject,
                    what="real servers in service"),
            Measure(perf_label(label, "weight"), sum(rs.weight for rs in weighted), min=0),
            Measure(perf_label(label, "active"),
                    sum(rs.active_conns for rs in svc.real_servers), min=0),
            Measure(perf_label(label, "inactive"),
                    sum(rs.inactive_conns for rs in svc.real_servers), min=0),
        ]
    servers = sum(len(s.real_servers) for s in services)
    roles = ", ".join(f"{i.name} {i.state}" for i in (director.vrrp if director else ()))
    ok_text = (f"{plural(len(services), 'virtual service')}, {plural(servers, 'real server')}"
               + (f" / VRRP {roles}" if roles else ""))
    return Assessment(verdicts, measures, ok_text)


PLUGIN = Plugin(
    name="lvs",
    description="Check this LVS director's virtual services (real servers, weights, "
                "connections) and its keepalived VRRP role.",
    sources=frozenset({"lvs", "keepalived"}),
    add_arguments=add_arguments,
    assess=assess,
    thresholds=("lvs_weighted",),
)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    run(PLUGIN, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
