"""LVS previews and pre-checks: the kernel's table row before → after, in ipvsadm's words.

The row is printed as ``ipvsadm -Ln`` prints a real server (ipvsadm.c ``print_service_entry``:
``"  -> %-28s %-7s %-6d %-10u %-10u"``), once as the table has it now and once as it
will be. Where keepalived runs on the director (its VRRP state was read), the preview
says that a manual ``ipvsadm`` change is not lasting — keepalived's checker puts its
configured weight back when a check changes state, and a reload re-applies the
configuration — and names the lasting way.
"""

from __future__ import annotations

from hadeck.actions.checks import Check
from hadeck.actions.lvs_target import find
from hadeck.actions.plan import Plan, Refused
from hadeck.actions.preview import Preview
from hadeck.model import ClusterState, RealServer, VirtualService

LASTING = ("share/keepalived/hadeck-weights.conf: a MISC_CHECK with misc_dynamic running "
           "`hadeck weights --keepalived ADDRESS:PORT` lets keepalived own weights fed by "
           "hadeck's probes")


def row(server: RealServer | None, key: str = "", forward: str = "", weight: int = 0
        ) -> str:
    """One real server as ``ipvsadm -Ln`` prints it (``(none)`` for no row)."""
    if server is None:
        return f"  -> {key:<28} {forward:<7} {weight:<6d} {0:<10d} {0:<10d}"
    return (f"  -> {server.key:<28} {server.forward:<7} {server.weight:<6d} "
            f"{server.active_conns:<10d} {server.inactive_conns:<10d}")


def service_line(service: VirtualService) -> str:
    """The service's line of ``ipvsadm -Ln`` (protocol, address, scheduler)."""
    name = service.key.replace(" ", "  ", 1) if service.protocol != "FWM" else \
        f"FWM  {service.address}"
    return f"{name} {service.scheduler}".rstrip()


def preview(plan: Plan, state: ClusterState) -> tuple[Preview | None, Check]:
    """The row before → after and what it means, from the table just read."""
    req = plan.request
    try:
        target = find(state, req.target, req.option or "", plan.node,
                      adding=req.verb == "lvs-add")
    except Refused as exc:
        return None, Check("preview", False, f"no preview: {exc}")
    memo = dict(plan.remember)
    service, server = target.service, target.server
    weight = int(memo.get("weight", "0"))
    before = row(server) if server is not None else "  (no row)"
    if req.verb == "lvs-remove":
        after = "  (no row)"
    elif req.verb == "lvs-add":
        after = row(None, target.rs_key, memo.get("forward", "Route"), weight)
    else:
        assert server is not None
        after = row(RealServer(server.address, server.port, server.forward, weight,
                               server.active_conns, server.inactive_conns))
    transition = (service_line(service), f"now:  {before.strip()}",
                  f"then: {after.strip()}")
    lines = [f"{service_line(service)}", f"  now   {before.strip()}",
             f"  then  {after.strip()}"]
    lines.extend(_meaning(req.verb, service, target.rs_key, server, weight))
    director = target.director
    lines.extend(_keepalived(req.verb, service, server, director.node, bool(director.vrrp)))
    how = f"ipvsadm -Ln on {director.node} as read: the row before → after"
    return Preview((), (), "\n".join(lines), transition=transition), Check("preview", True,
                                                                           how)


def _keepalived(verb: str, service: VirtualService, server: RealServer | None,
                director: str, vrrp: bool) -> list[str]:
    """What keepalived will make of a manual change, and the lasting way."""
    conf = server.configured_weight if server is not None else None
    manager = service.managed_by
    if manager is not None:
        config = "keepalived.conf" if manager == "keepalived" else "ldirectord.cf"
        if verb == "lvs-add":
            said = (f"{config} on {director} has {service.key} but not this server: "
                    f"{manager}'s checks will not watch it")
        elif verb == "lvs-remove":
            said = (f"{manager} manages {service.key} on {director}: a reload or its "
                    "checker's next change of state puts the server back")
        else:
            weight = f"weight {conf}" if conf is not None else "its configured weight"
            said = (f"{manager} manages {service.key} on {director} ({config}: "
                    f"{weight}): this ipvsadm change lasts until {manager}'s checker "
                    f"changes the server's state or a reload puts {weight} back")
        if manager != "keepalived":
            return [said, f"the lasting way: change {config} and reload {manager}"]
    elif vrrp:
        said = (f"keepalived runs on {director}: if it manages {service.key}, this ipvsadm "
                "change lasts until its checker changes the server's state or a reload "
                "puts the configured weight back")
    else:
        return []
    return [said, f"the lasting way: change keepalived.conf and reload, or {LASTING}"]


def _meaning(verb: str, service: VirtualService, rs: str, server: RealServer | None,
             weight: int) -> list[str]:
    others = [s for s in service.real_servers if s.key != rs and s.weight > 0]
    where = ", ".join(f"{s.key} ({s.weight})" for s in others) or "no other real server"
    active = server.active_conns if server is not None else 0
    if verb == "lvs-remove" or weight == 0:
        out = [f"new connections go to {where}"]
        if active:
            out.append(f"its {active} active connections "
                       + ("finish where they are" if verb != "lvs-remove" else
                          "lose their real server (drain it first)"))
        return out
    if verb == "lvs-add":
        return [f"{service.scheduler or 'the scheduler'} gives it a share of new "
                "connections by its weight"]
    return [f"{service.scheduler or 'the scheduler'} sends it new connections by weight "
            f"{weight} beside {where}"]


def precheck(plan: Plan, state: ClusterState) -> tuple[Check, ...]:
    """The director holds the service; the service keeps a real server taking new
    connections; a removed server has no active connections; a restore restores a drain."""
    req = plan.request
    try:
        target = find(state, req.target, req.option or "", plan.node,
                      adding=req.verb == "lvs-add")
    except Refused as exc:
        return (Check("real server", False, str(exc)),)
    checks = [_director(target.director.node, target.role, target.how, state)]
    service, server = target.service, target.server
    weight = int(dict(plan.remember).get("weight", "0"))
    if req.verb == "lvs-remove" or (req.verb != "lvs-add" and weight == 0):
        left = [s for s in service.real_servers if s.key != target.rs_key and s.weight > 0]
        if left:
            checks.append(Check("traffic", True, f"{service.key} keeps "
                                f"{', '.join(s.key for s in left)} for new connections"))
        else:
            checks.append(Check("traffic", False, f"{service.key} would have no real server "
                                "taking new connections", overridable=True))
    if req.verb == "lvs-remove" and server is not None:
        if server.active_conns:
            checks.append(Check("active connections", False,
                                f"{server.key} has {server.active_conns} active "
                                f"connections: drain it first (hadeck lvs drain "
                                f"{req.target} {server.key})", overridable=True))
        else:
            checks.append(Check("active connections", True,
                                f"{server.key} has no active connections"))
    if req.verb == "lvs-restore" and server is not None:
        drained = server.weight == 0
        checks.append(Check("drained", drained,
                            f"{server.key} has weight 0 (drained)" if drained else
                            f"{server.key} has weight {server.weight}, not 0: someone set "
                            "it since the drain", overridable=True))
    return tuple(checks)


def _director(node: str, role: str | None, how: str, state: ClusterState) -> Check:
    if role == "MASTER":
        return Check("director", True, how)
    if role is not None:  # the plan refuses a BACKUP (lvs_target.not_holding)
        return Check("director", False, f"{node} is {role}")
    others = [d.node for d in state.lvs if d.node != node and d.services]
    if others:
        return Check("director", False, f"{how}; whether it holds the service is not known "
                                        f"(no keepalived VRRP state; other directors: "
                                        f"{', '.join(others)})", overridable=True)
    return Check("director", True, how)
