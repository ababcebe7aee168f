"""LVS on the action path: a real server's weight, drain, restore, add and remove.

Planned as one ``ipvsadm`` on the director that holds the service
(:mod:`hadeck.actions.lvs_plan`), previewed as the kernel table's row before → after
(:mod:`hadeck.actions.lvs_preview`); the change has settled when ``ipvsadm -Ln`` on that
director shows it — for a drain, once the server's ActiveConn has come down to 0 — and
is verified on the cluster read again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hadeck.actions import lvs_preview
from hadeck.actions.lvs_plan import VERBS, plan
from hadeck.actions.lvs_target import host_port, parse_service
from hadeck.model import RealServer, VirtualService
from hadeck.runner import CommandResult
from hadeck.sources.base import ParseError
from hadeck.sources.lvs import IPVSADM_LIST, parse_ipvsadm

if TYPE_CHECKING:
    from hadeck.actions.checks import Check
    from hadeck.actions.plan import Plan
    from hadeck.actions.preview import Preview
    from hadeck.actions.request import Request
    from hadeck.model import ClusterState
    from hadeck.opening import Opened

POLL = 0.5
"""Seconds between two reads of the director's table while settling."""
SAY_EVERY = 2.0
"""Seconds between two progress lines of a drain."""


class _Lvs:
    name: str = "lvs"
    verbs: tuple[str, ...] = VERBS

    def unreadable(self, state: ClusterState) -> str | None:
        if any(d.services for d in state.lvs):
            return None
        reasons = "; ".join(f"{s.source}@{s.node}: {s.error}" for s in state.sources
                            if s.source == "lvs" and s.error)
        return reasons or "no LVS director with virtual services was read"

    def plan(self, request: Request, state: ClusterState) -> Plan:
        return plan(request, state)

    def preview(self, plan: Plan, opened: Opened, state: ClusterState
                ) -> tuple[Preview | None, Check]:
        return lvs_preview.preview(plan, state)

    def precheck(self, plan: Plan, state: ClusterState, preview: Preview | None
                 ) -> tuple[Check, ...]:
        return lvs_preview.precheck(plan, state)

    def settle(self, plan: Plan, opened: Opened, deadline: float,
               say: Callable[[str], None]) -> bool:
        """Read ``ipvsadm -Ln`` on the director until the row is as planned; a drain
        then follows ActiveConn down to 0."""
        memo = dict(plan.remember)
        runner = opened.access.runner(plan.steps[0].node)
        verb = plan.request.verb
        said: str | None = None
        said_at = 0.0
        while True:
            found, why = _row(runner.run(IPVSADM_LIST.argv or ()), memo)
            if why is None and _holds(verb, found, memo):
                if verb != "lvs-drain" or (found is not None and found.active_conns == 0):
                    if verb == "lvs-drain":
                        say(f"{memo['real_server']} is empty: no active connections")
                    return True
                line = (f"{memo['real_server']}: weight 0, {found.active_conns} active "
                        "connections left" if found is not None else "")
            else:
                line = why or f"ipvsadm -Ln does not show it yet on {plan.steps[0].node}"
            # A drain of hundreds of connections: a line when the count changed, at most
            # every SAY_EVERY seconds.
            if line != said and (said is None or time.monotonic() - said_at >= SAY_EVERY):
                say(line)
                said, said_at = line, time.monotonic()
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))

    def expectations(self, plan: Plan, preview: Preview | None, state: ClusterState
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        memo = dict(plan.remember)
        director = next((d for d in state.lvs if d.node == memo.get("director")), None)
        if director is None:
            return (), (f"the director {memo.get('director')} could not be read",)
        name = parse_service(memo["service"])
        service = next((s for s in director.services if name.matches(s)), None)
        if service is None:
            return (), (f"{memo['service']} is gone from {director.node}",)
        found = _server(service, memo["real_server"])
        rs, svc, verb = memo["real_server"], memo["service"], plan.request.verb
        where = f"in {svc} on {director.node}"
        if verb == "lvs-remove":
            return ((f"{rs} is no longer {where}",), ()) if found is None else \
                ((), (f"{rs} is still {where}",))
        if found is None:
            return (), (f"{rs} is not {where}",)
        weight = int(memo.get("weight", "-1"))
        good = [f"{rs} has weight {found.weight} {where}"]
        bad: list[str] = []
        if found.weight != weight:
            bad.append(f"{rs} has weight {found.weight} {where}, not {weight}")
        if verb == "lvs-add" and found.forward != memo.get("forward", found.forward):
            bad.append(f"{rs} forwards by {found.forward}, not {memo['forward']}")
        if verb == "lvs-drain":
            if found.active_conns == 0:
                good.append(f"{rs} is empty: no active connections")
            else:
                bad.append(f"{rs} still has {found.active_conns} active connections")
        return (tuple(good), ()) if not bad else ((), tuple(bad))


def _row(result: CommandResult, memo: dict[str, str]
         ) -> tuple[RealServer | None, str | None]:
    """The planned real server's row in an ``ipvsadm -Ln`` result (None: not there), or
    why the table could not be read."""
    if not result.ok:
        return None, f"ipvsadm -Ln: {result.reason()}"
    try:
        _, services = parse_ipvsadm(result.stdout)
    except ParseError as exc:
        return None, f"ipvsadm -Ln: {exc}"
    name = parse_service(memo["service"])
    service = next((s for s in services if name.matches(s)), None)
    if service is None:
        return None, f"ipvsadm -Ln has no {memo['service']}"
    return _server(service, memo["real_server"]), None


def _server(service: VirtualService, key: str) -> RealServer | None:
    address, port, _ = host_port(key)
    return next((rs for rs in service.real_servers
                 if rs.address == address and rs.port == port), None)


def _holds(verb: str, found: RealServer | None, memo: dict[str, str]) -> bool:
    if verb == "lvs-remove":
        return found is None
    return found is not None and found.weight == int(memo.get("weight", "-1"))


def real_server_requests(ident: str, server: RealServer, director: str | None,
                         state: ClusterState) -> list[tuple[str, Request]]:
    """The dashboard's choices for a real-server row (``ident``: ``TCP
    192.0.2.80:80@lvs1/192.0.2.22:80``, as the LVS screen keys it), on the row's
    director: drain, restore, a weight one up or down, remove. On a BACKUP's row the
    plan refuses each, so the panel shows them greyed with the reason."""
    from hadeck.actions.request import Request

    service = ident.rsplit("/", 1)[0].rsplit("@", 1)[0]
    rs, w = server.key, server.weight
    out = [(f"Drain {rs} (weight 0, follow its connections)",
            Request("lvs-drain", service, director, option=rs)),
           (f"Restore {rs}'s weight from before its drain",
            Request("lvs-restore", service, director, option=rs))]
    if w < 65535:
        out.append((f"Weight {w} → {w + 1}",
                    Request("lvs-weight", service, director, option=rs, value=str(w + 1))))
    if w > 0:
        out.append((f"Weight {w} → {w - 1}",
                    Request("lvs-weight", service, director, option=rs, value=str(w - 1))))
    out.append((f"Remove {rs} from {service}",
                Request("lvs-remove", service, director, option=rs)))
    return out


LVS = _Lvs()
"""The LVS domain (:class:`~hadeck.actions.domain.Domain`)."""
