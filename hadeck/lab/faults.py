"""Fault injection: what ``hadeck lab fail-node`` and friends do to the lab.

Each fault changes the lab the way the real event changes a real cluster: a failed node
is lost to Pacemaker (the real scheduler moves its resources) and answers nothing; a cut
DRBD link makes both sides lose their peer and the Secondary gets outdated; a killed real
server is taken out of the IPVS table as keepalived's health check would; a failed
director hands MASTER to the backup. Recovery undoes them, and DRBD resyncs over lab time.
"""

from __future__ import annotations

from typing import Any

from hadeck.lab.errors import LabError
from hadeck.lab.world import FAULT_MODES, Lab, LabState


def _state(lab: Lab) -> LabState:
    return lab.read()


def fail_node(lab: Lab, node: str) -> str:
    """Crash a cluster node or a director."""
    state = _state(lab)
    if node in state.topology.directors:
        return fail_director(lab, node)
    _cluster_node(state, node)
    if node in state.world["failed_nodes"]:
        raise LabError(f"{node} has already failed")
    if node in state.corosync_killed:
        raise LabError(f"{node} is out of the cluster (corosync killed): recover-node first")
    with lab.changing() as world:
        world["failed_nodes"].append(node)
        quorate = _quorate(world, state.topology.cluster_nodes)
        lab.scenario.fail_node(node, have_quorum=quorate)
    return f"{node} failed" + ("" if quorate else "; the survivors lost quorum")


def _quorate(world: dict[str, Any], nodes: list[str]) -> bool:
    """Whether the members left (not failed, corosync running) have a majority."""
    gone = set(world["failed_nodes"]) | set(world.get("corosync_killed", {}))
    return len([n for n in nodes if n not in gone]) > len(nodes) // 2


def kill_corosync(lab: Lab, node: str) -> str:
    """Kill corosync on a cluster node: it leaves the cluster but keeps running.

    What a real node shows then: its Pacemaker daemons lose corosync and exit, so
    ``crm_mon`` and ``cibadmin`` cannot connect and ``corosync-cfgtool`` and
    ``corosync-quorumtool`` cannot initialize; the guests and DRBD Primaries it had keep
    running (nothing stops them), while the survivors see it lost and, without fencing
    (the seed runs no STONITH), start its resources elsewhere. Its DRBD links drop: the
    survivor promotes its side. ``recover-node`` starts corosync again.
    """
    state = _state(lab)
    _cluster_node(state, node)
    if not state.member(node):
        raise LabError(f"{node} is not in the cluster (failed, or corosync already killed)")
    kept = {
        "guests": [str(g["name"]) for g in state.topology.guests
                   if state.guest_node(str(g["name"])) == node],
        "drbd": {name: role for name in state.world["drbd"]
                 if (role := state.drbd_role(name, node)) is not None},
    }
    with lab.changing() as world:
        world.setdefault("corosync_killed", {})[node] = kept
        quorate = _quorate(world, state.topology.cluster_nodes)
        lab.scenario.fail_node(node, have_quorum=quorate)
    running = ", ".join(kept["guests"]) or "no guests"
    return (f"corosync killed on {node}: out of the cluster, still running {running}"
            + ("" if quorate else "; the survivors lost quorum"))


def recover_node(lab: Lab, node: str) -> str:
    state = _state(lab)
    if node in state.topology.directors:
        return recover_director(lab, node)
    _cluster_node(state, node)
    if node in state.corosync_killed:
        with lab.changing() as world:
            # corosync starts again; Pacemaker stops what it ran behind the cluster's back.
            del world["corosync_killed"][node]
            if _quorate(world, state.topology.cluster_nodes):
                lab.scenario.set_quorum(True)
            lab.scenario.recover_node(node)
        return f"{node} rejoined the cluster (corosync started)"
    if node not in state.world["failed_nodes"]:
        raise LabError(f"{node} has not failed")
    with lab.changing() as world:
        world["failed_nodes"].remove(node)
        if _quorate(world, state.topology.cluster_nodes):
            lab.scenario.set_quorum(True)
        lab.scenario.recover_node(node)
        if node in world["ping_lost"]:
            lab.scenario.set_node_attr(node, "pingd", "0")
    return f"{node} recovered"


def _cluster_node(state: LabState, node: str) -> None:
    if node not in state.topology.cluster_nodes:
        raise LabError(f"no node {node!r} in the lab (nodes: "
                       f"{', '.join(state.all_nodes())})")


def _drbd(state: LabState, name: str) -> None:
    if name not in state.world["drbd"]:
        raise LabError(f"no DRBD resource {name!r} (resources: "
                       f"{', '.join(sorted(state.world['drbd']))})")


def cut_drbd(lab: Lab, name: str) -> str:
    _drbd(_state(lab), name)
    with lab.changing() as world:
        world["drbd"][name]["cut"] = True
    return f"replication link of {name} cut"


def heal_drbd(lab: Lab, name: str) -> str:
    _drbd(_state(lab), name)
    with lab.changing() as world:
        info = world["drbd"][name]
        info["cut"] = False
        info["split_brain"] = False
        info["standalone_on"] = []
    return f"replication link of {name} healed; resync follows"


def split_brain(lab: Lab, name: str) -> str:
    _drbd(_state(lab), name)
    with lab.changing() as world:
        world["drbd"][name]["split_brain"] = True
    return (f"{name} in split brain: both sides StandAlone; heal with "
            f"'drbdadm connect --discard-my-data {name}' on the victim, or 'hadeck lab heal-drbd'")


def fail_resource(lab: Lab, resource: str, op: str = "monitor", node: str | None = None) -> str:
    state = _state(lab)
    where = [n for n, _ in state.where(resource)]
    if node is None:
        if not where:
            raise LabError(f"{resource} is not running anywhere; name a node with --node")
        node = where[0]
    with lab.changing():
        lab.scenario.fail_op(resource, node, op=op)
    return f"{resource} {op} failed on {node}"


def _real_server_keys(state: LabState, address: str, service: str | None) -> list[str]:
    keys = []
    for svc in state.topology.services:
        if service and svc.name != service:
            continue
        for rs in svc.real_servers:
            if address in (rs["address"], f"{rs['address']}:{rs['port']}"):
                keys.append(f"{svc.name}/{rs['address']}:{rs['port']}")
    if not keys:
        raise LabError(f"no real server {address!r}"
                       + (f" in service {service!r}" if service else ""))
    return keys


def kill_rs(lab: Lab, address: str, service: str | None = None) -> str:
    keys = _real_server_keys(_state(lab), address, service)
    with lab.changing() as world:
        for key in keys:
            if key not in world["dead_rs"]:
                world["dead_rs"].append(key)
    return f"real server {address} dead; keepalived removed it from {len(keys)} service(s)"


def restore_rs(lab: Lab, address: str, service: str | None = None) -> str:
    keys = _real_server_keys(_state(lab), address, service)
    with lab.changing() as world:
        world["dead_rs"] = [k for k in world["dead_rs"] if k not in keys]
    return f"real server {address} back in service"


def fail_director(lab: Lab, node: str | None = None) -> str:
    state = _state(lab)
    from hadeck.lab.derive import master_director

    node = node or master_director(state)
    if node is None or node not in state.topology.directors:
        raise LabError(f"no director {node!r} (directors: {', '.join(state.topology.directors)})")
    with lab.changing() as world:
        if node not in world["failed_directors"]:
            world["failed_directors"].append(node)
    return f"director {node} failed"


def recover_director(lab: Lab, node: str) -> str:
    with lab.changing() as world:
        if node not in world["failed_directors"]:
            raise LabError(f"director {node} has not failed")
        world["failed_directors"].remove(node)
    return f"director {node} recovered"


def ping_lost(lab: Lab, node: str | None = None) -> str:
    """The ping node becomes unreachable: from one node, or (default) from all."""
    state = _state(lab)
    nodes = [node] if node else list(state.topology.cluster_nodes)
    for n in nodes:
        _cluster_node(state, n)
    with lab.changing() as world:
        for n in nodes:
            if n not in world["ping_lost"]:
                world["ping_lost"].append(n)
            if n not in world["failed_nodes"]:
                lab.scenario.set_node_attr(n, "pingd", "0")
    return f"ping node lost from {', '.join(nodes)}"


def ping_restored(lab: Lab, node: str | None = None) -> str:
    state = _state(lab)
    nodes = [node] if node else list(state.world["ping_lost"])
    with lab.changing() as world:
        for n in nodes:
            if n in world["ping_lost"]:
                world["ping_lost"].remove(n)
            if n not in world["failed_nodes"]:
                value = lab.scenario.layout.seed_attributes.get(n, {}).get("pingd", "100")
                lab.scenario.set_node_attr(n, "pingd", value)
    return f"ping node reachable again from {', '.join(nodes) or 'every node'}"


def fill_pool(lab: Lab, node: str) -> str:
    """A guest node's thin pool starts filling: 84 % now, one point more each lab hour."""
    state = _state(lab)
    if node not in state.topology.guest_nodes:
        raise LabError(f"no thin pool on {node!r} (guest nodes: "
                       f"{', '.join(state.topology.guest_nodes)})")
    with lab.changing() as world:
        world.setdefault("pools_filling", {}).setdefault(node, state.now)
    return f"thin pool vg_drbd/pool on {node} filling (84 %, +1 % per hour)"


def trim_pool(lab: Lab, node: str) -> str:
    with lab.changing() as world:
        world.setdefault("pools_filling", {}).pop(node, None)
    return f"thin pool vg_drbd/pool on {node} trimmed"


def _repo(state: LabState, name: str) -> None:
    from hadeck.lab.storage import repo_names

    names = repo_names(state.topology)
    if name not in names:
        raise LabError(f"no backup repository {name!r} (repositories: {', '.join(names)})")


def stop_backups(lab: Lab, name: str, nights: int = 3) -> str:
    """A repository's backups stopped ``nights`` nights ago: it goes stale."""
    state = _state(lab)
    _repo(state, name)
    with lab.changing() as world:
        world.setdefault("backups_stopped", {})[name] = nights
    return f"backups of {name} stopped {nights} nights ago"


def backup_error(lab: Lab, name: str) -> str:
    """The repository's last run logged an error."""
    state = _state(lab)
    _repo(state, name)
    with lab.changing() as world:
        errors = world.setdefault("backup_errors", [])
        if name not in errors:
            errors.append(name)
    return f"the last backup run of {name} logged an error"


def resume_backups(lab: Lab, name: str) -> str:
    state = _state(lab)
    _repo(state, name)
    with lab.changing() as world:
        world.setdefault("backups_stopped", {}).pop(name, None)
        if name in world.setdefault("backup_errors", []):
            world["backup_errors"].remove(name)
    return f"backups of {name} run nightly again, without errors"


def tool_fault(lab: Lab, node: str, tool: str, mode: str | None) -> str:
    """Make one tool on one node (``*`` = every node) hang, print garbage or be missing;
    mode None clears it."""
    if mode is not None and mode not in FAULT_MODES:
        raise LabError(f"fault mode must be one of {', '.join(FAULT_MODES)}")
    state = _state(lab)
    if node != "*" and node not in state.all_nodes():
        raise LabError(f"no node {node!r} in the lab")
    with lab.changing() as world:
        key = f"{node}/{tool}"
        if mode is None:
            world["faults"].pop(key, None)
        else:
            world["faults"][key] = mode
    return f"{tool} on {node}: {mode or 'fault cleared'}"


def step(lab: Lab, seconds: float) -> str:
    """Move lab time on (a resync progresses, counters grow)."""
    with lab.changing() as world:
        clock = world["clock"]
        if clock.get("frozen_at") is not None:
            clock["frozen_at"] += seconds
        else:
            clock["offset"] += seconds
    return f"lab time moved on by {seconds:g} s"


def freeze(lab: Lab, at: float | None = None) -> str:
    """Stop lab time (tests): it then moves only with :func:`step`."""
    with lab.changing() as world:
        clock = world["clock"]
        import time

        clock["frozen_at"] = at if at is not None else time.time() + clock["offset"]
    return "lab time frozen"
