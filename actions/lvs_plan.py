"""LVS plans: weight, drain, restore, add and remove a real server, as ipvsadm argv.

Every command is one ``ipvsadm`` run on the director that holds the service
(:mod:`hadeck.actions.lvs_target`). ``ipvsadm -e`` and ``-a`` start from ipvsadm's own
defaults (weight 1, direct routing) for whatever is not on the command line, so both
always carry the forwarding method the real server has (or is to get) and the weight.
With direct routing or tunnelling ipvsadm gives the real server the service's port
whatever was typed (ipvsadm.c, ``process_options``): a different port is refused here
rather than silently changed there.

A drain is a weight of 0: the scheduler sends the server no new connections, those it
has finish where they are. The plan remembers the weight before (in the journal,
``remember``), and ``lvs restore`` puts that weight back (:mod:`hadeck.actions.lvs_restore`).
"""

from __future__ import annotations

from hadeck.actions.lvs_restore import weight_before_drain
from hadeck.actions.lvs_target import (
    FORWARD_FLAGS,
    METHODS,
    Target,
    find,
    not_holding,
    service_option,
)
from hadeck.actions.plan import Plan, Refused, Step
from hadeck.actions.request import Request
from hadeck.model import ClusterState

VERBS = ("lvs-weight", "lvs-drain", "lvs-restore", "lvs-add", "lvs-remove")
"""The LVS verbs, in the order the faces list them."""
MAX_WEIGHT = 65535
"""The largest weight ipvsadm accepts."""


def plan(request: Request, state: ClusterState) -> Plan:
    """The ipvsadm command that carries out ``request`` (pure but for restore, which
    reads the journal).

    Raises:
        Refused: an unknown service or real server, a weight out of range, nothing to
            change, no director known to hold the service, no drain to restore.
    """
    verb = request.verb
    if verb not in VERBS:
        raise Refused(f"unknown action {verb!r}; choose from {', '.join(VERBS)}")
    if not request.option:
        raise Refused(f"{verb[4:]}: which real server?")
    target = find(state, request.target, request.option, request.node,
                  adding=verb == "lvs-add")
    backup = not_holding(target, state)
    if backup is not None:
        raise Refused(backup)
    if verb == "lvs-add":
        return _add(request, target)
    server = target.server
    assert server is not None
    svc, rs = target.service.key, server.key
    where = target.director.node
    if verb == "lvs-remove":
        argv = ("ipvsadm", "-d", *service_option(target.service), "-r", rs)
        summary = (f"remove real server {rs} from {svc} on {where} (weight {server.weight}, "
                   f"{server.active_conns} active connections)")
        return _made(request, target, argv, summary, True, ())
    if verb == "lvs-drain":
        if server.weight == 0:
            raise Refused(f"{rs} already has weight 0 in {svc} on {where} "
                          f"({server.active_conns} active connections)")
        weight = 0
        summary = (f"drain {rs} of {svc} on {where}: weight {server.weight} → 0, then "
                   f"wait until its {server.active_conns} active connections have finished")
    elif verb == "lvs-restore":
        found = weight_before_drain(svc, rs)
        if found is None:
            raise Refused(f"the journal has no drain of {rs} in {svc} to restore: set the "
                          f"weight with `hadeck lvs weight {request.target} {rs} W`")
        weight, when = found
        if weight == server.weight:
            raise Refused(f"{rs} already has weight {weight} in {svc} on {where} (its "
                          f"weight before the drain of {when})")
        summary = (f"restore {rs} of {svc} on {where}: weight {server.weight} → {weight} "
                   f"(its weight before the drain of {when})")
    else:
        weight = _weight(request.value)
        if weight == server.weight:
            raise Refused(f"{rs} already has weight {weight} in {svc} on {where}")
        summary = f"set the weight of {rs} in {svc} on {where}: {server.weight} → {weight}"
    forward = FORWARD_FLAGS.get(server.forward, "-g")
    argv = ("ipvsadm", "-e", *service_option(target.service), "-r", rs, forward,
            "-w", str(weight))
    remember = (("weight_before", str(server.weight)), ("weight", str(weight)))
    return _made(request, target, argv, summary, False, remember)


def _add(request: Request, target: Target) -> Plan:
    weight = _weight(request.value) if request.value is not None else 1
    service = target.service
    if request.method is not None:
        if request.method not in METHODS:
            raise Refused(f"--method {request.method!r}: choose from {', '.join(METHODS)}")
        forward = METHODS[request.method]
    else:
        # The service's other real servers' method: mixing them is rarely meant.
        used = {rs.forward for rs in service.real_servers}
        forward = used.pop() if len(used) == 1 else "Route"
        forward = "Route" if forward == "Local" else forward
    if forward in ("Route", "Tunnel") and service.protocol != "FWM" \
            and target.port != service.port:
        raise Refused(f"with {'direct routing' if forward == 'Route' else 'tunnelling'} "
                      f"a real server answers on the service's port {service.port}: "
                      f"ipvsadm would make {target.rs_key} port {service.port} (use "
                      "--method nat for another port)")
    argv = ("ipvsadm", "-a", *service_option(service), "-r", target.rs_key,
            FORWARD_FLAGS[forward], "-w", str(weight))
    method = next(k for k, v in METHODS.items() if v == forward)
    summary = (f"add real server {target.rs_key} to {service.key} on "
               f"{target.director.node} ({method}, weight {weight})")
    return _made(request, target, argv, summary, False,
                 (("weight", str(weight)), ("forward", forward)))


def _weight(value: str | None) -> int:
    if value is None or not value.strip().isdigit():
        raise Refused(f"weight {value!r}: a whole number from 0 to {MAX_WEIGHT}")
    weight = int(value)
    if weight > MAX_WEIGHT:
        raise Refused(f"weight {weight}: ipvsadm takes 0 to {MAX_WEIGHT}")
    return weight


def _made(request: Request, target: Target, argv: tuple[str, ...], summary: str,
          destructive: bool, remember: tuple[tuple[str, str], ...]) -> Plan:
    word = target.rs_key if destructive or request.force else None
    where = target.director.node
    facts = (("service", target.service.key), ("real_server", target.rs_key),
             ("director", where), *remember)
    return Plan(request, (Step(where, argv, summary),), summary,
                destructive or request.force, word, (), None, where, facts)
