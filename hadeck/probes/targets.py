"""Which hosts each node pings, and why: pure.

- the ``host_list`` of every ping resource in the CIB (:func:`hadeck.probes.pingd.ping_agents`),
  from every cluster node: the agent pings them from each node it runs on;
- the hosts the configuration names (``[probes] hosts``);
- the corosync link addresses of the other nodes (each node's ``corosync-cfgtool -s``
  gives its own address per link), so that "this link is down" and "that peer is down"
  can be told apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from hadeck.model import ClusterState
from hadeck.probes.ping import Target
from hadeck.probes.pingd import ping_agents


def probing_nodes(state: ClusterState) -> tuple[str, ...]:
    """The nodes to ping from: the local node and every cluster member that was read.

    A node whose facts could not be read (unreachable) is left out: its pings would fail
    for the same reason, and that reason is already shown.
    """
    read = {h.node for h in state.hosts}
    nodes = [state.local_node]
    if state.pacemaker is not None:
        nodes += [n.name for n in state.pacemaker.nodes
                  if n.type == "member" and n.name in read]
    return tuple(dict.fromkeys(nodes))


def targets_for(node: str, state: ClusterState, hosts: Sequence[str] = (),
                links: bool = True) -> tuple[Target, ...]:
    """The hosts ``node`` pings, each once, with every reason it is pinged.

    Args:
        node: the node the echoes leave from.
        state: the state read this poll (the CIB's ping resources, corosync's links).
        hosts: configured hosts to ping as well.
        links: ping the other nodes' corosync link addresses too.
    """
    roles: dict[str, list[str]] = {}
    for agent in ping_agents(state.pacemaker):
        for host in agent.hosts:
            roles.setdefault(host, []).append(f"ping node of {agent.resource}")
    for host in hosts:
        roles.setdefault(host, []).append("configured")
    if links:
        for status in state.corosync:
            if status.node == node:
                continue
            for link in status.links:
                if link.address:
                    roles.setdefault(link.address, []).append(
                        f"corosync link {link.link_id} to {status.node}")
    return tuple(Target(host, tuple(why)) for host, why in roles.items())
