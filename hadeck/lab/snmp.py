"""The lab's SNMP agents: one per real server, answered from the lab's world.

The lab has no snmpd to ask (it has no processes at all): its agents are answered at the
poller's boundary, as a bundle's replay is (:meth:`hadeck.collect.Access.snmp_answers`),
with the text a real net-snmp would send (:mod:`hadeck.lab.formats.snmp`). An agent whose
address is not a lab host (a real snmpd the site's configuration names) is polled for
real, so a lab can be paired with real agents. So every face
that reads SNMP — ``hadeck --lab status`` with the load beside each real server,
``hadeck --lab weights``, the dashboard — reads the lab the way it reads a real site,
through the same parser and judgement.

:func:`lab_agents` is what the lab's configuration holds (``[snmp.agents]`` for each real
server, by address, as an operator would write it); a site's own agents win. The lab's
faults reach SNMP the way they reach a real host: a real server killed in every service
(``hadeck lab kill-rs ADDRESS``) no longer answers (the poller's timeout), a node or
director that is down neither.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from hadeck.lab import derive
from hadeck.lab.formats import snmp as snmp_fmt
from hadeck.lab.world import LabState, Topology
from hadeck.snmp.agent import SnmpAgent
from hadeck.snmp.poller import Answers

CPUS = 4
"""The lab's real servers have four processors each."""


def real_servers(topology: Topology) -> list[str]:
    """Every real server address of the lab's services, once, in order."""
    return list(dict.fromkeys(str(rs["address"]) for svc in topology.services
                              for rs in svc.real_servers))


def lab_agents(topology: Topology) -> tuple[SnmpAgent, ...]:
    """An SNMP agent per real server, named by its address (what ``[snmp.agents]`` would
    say for the lab's keepalived real servers)."""
    return tuple(SnmpAgent(name=address, address=address, community="lab")
                 for address in real_servers(topology))


def in_lab(state: LabState, agent: SnmpAgent) -> bool:
    """Whether ``agent``'s address is one of the lab's hosts (a real server, a node by
    name or address); any other is a real agent somewhere, polled for real."""
    topology = state.topology
    return agent.address in real_servers(topology) or agent.address in state.all_nodes() \
        or agent.address in topology.node_addresses.values()


def answer(state: LabState, agent: SnmpAgent) -> Answers:
    """What the lab's host at ``agent``'s address answers now: its text, or the
    poller's timeout (a host that is down)."""
    read_at = time.time()
    text = _text(state, agent.address)
    if text is None:
        waited = agent.timeout * (agent.retries + 1)
        tries = "1 try" if agent.retries == 0 else f"{agent.retries + 1} tries"
        return Answers(agent.name, agent.address, read_at, 0.0, "",
                       f"no answer from {agent.address}:{agent.port} in {waited:g} s "
                       f"({tries}): snmpd down or unreachable", "timeout")
    return Answers(agent.name, agent.address, read_at, 0.001, text)


def answers(state: LabState, agents: Sequence[SnmpAgent],
            poll: Callable[[Sequence[SnmpAgent]], list[Answers]]) -> list[Answers]:
    """Every agent's answers, in order: the lab's hosts from the lab, any other agent (a
    site's real snmpd named in the configuration) by ``poll``, for real."""
    elsewhere = [agent for agent in agents if not in_lab(state, agent)]
    polled = iter(poll(elsewhere) if elsewhere else [])
    return [answer(state, agent) if in_lab(state, agent) else next(polled)
            for agent in agents]


def _text(state: LabState, address: str) -> str | None:
    """The answers of the host at ``address`` (a real server, or a node by name or
    address), or None when nothing answers there."""
    topology = state.topology
    if address in real_servers(topology):
        return _real_server(state, address)
    names = {a: n for n, a in topology.node_addresses.items()}
    node = names.get(address, address)
    if node in state.all_nodes():
        if not state.up(node):
            return None
        return snmp_fmt.host_answers(derive.host(state, node))
    return None


def _real_server(state: LabState, address: str) -> str | None:
    keys, weight = [], 0
    for svc in state.topology.services:
        for rs in svc.real_servers:
            if rs["address"] != address:
                continue
            key = f"{svc.name}/{rs['address']}:{rs['port']}"
            keys.append(key)
            if key not in state.world["dead_rs"] and key not in state.world["rs_removed"]:
                weight += int(state.world["rs_weight"].get(key, rs["weight"]))
    if keys and all(k in state.world["dead_rs"] for k in keys):
        return None  # the host is down: its snmpd with it
    # Traffic follows the weight keepalived gives it, when a director carries traffic.
    traffic = weight if derive.master_director(state) is not None else 0
    busy = min(0.95, 0.04 + 0.09 * traffic * (0.8 + 0.4 * state.noise(address, "snmp")))
    load = tuple(round(CPUS * busy * (0.9 + 0.2 * state.noise(address, "la", k)), 2)
                 for k in range(3))
    up = 86400 * 40 + state.now - state.world["created"]
    total = snmp_fmt.MEMORY_KIB
    available = int(total * (0.55 + 0.2 * state.noise(address, "mem")))
    return snmp_fmt.answers(
        load=(load[0], load[1], load[2]), cpus=CPUS, cpu_percent=100 * busy,
        memory_total_kib=total, memory_available_kib=available,
        swap_total_kib=2 * 1024 * 1024, swap_free_kib=2 * 1024 * 1024,
        uptime_s=up, agent_uptime_s=up)
