"""Membership: a node that is up but out of the cluster while it still runs guests.

corosync killed (or crashed) on a node takes the node out of the cluster without
stopping what runs there: its guests and DRBD Primaries go on, while the other nodes
see it lost and, without fencing, start its resources again elsewhere. That is the worst
state a cluster can be in short of data loss (two copies of one guest writing, one
service address on two nodes), and each source alone reads as something milder: on the
node itself crm_mon and corosync's tools merely fail (UNKNOWN), elsewhere it is "offline"
like any crashed node. Together they are CRITICAL.

Evidence that a node is out of the cluster, in order:

- Pacemaker, read on another node, sees it offline, yet the node answered this read;
- no Pacemaker view at all (crm_mon failed) and corosync's tools fail on the node too:
  neither half of the cluster stack answers there.
"""

from __future__ import annotations

from hadeck.health.verdict import CRITICAL, Kind, Subject, Verdict
from hadeck.model import ClusterState


def out_of_cluster(state: ClusterState) -> dict[str, str]:
    """The nodes that answered this read but are not cluster members, with the evidence."""
    answered = {s.node for s in state.sources if s.source != "node"}
    pcmk = state.pacemaker
    out: dict[str, str] = {}
    if pcmk is not None:
        for node in pcmk.nodes:
            if node.type == "member" and not node.online and node.name in answered:
                out[node.name] = f"Pacemaker on {state.local_node} sees it offline"
        return out
    read = {s.node for s in state.corosync}
    for s in state.sources:
        if s.source == "corosync" and s.error is not None and s.node not in read:
            out[s.node] = "neither crm_mon nor corosync's tools answer there"
    return out


def judge_membership(state: ClusterState) -> list[Verdict]:
    """CRITICAL for a node out of the cluster that still runs guests or DRBD Primaries.

    Nothing is said of a node out of the cluster that runs nothing: Pacemaker's
    "offline" and the failed sources already say it.
    """
    out: list[Verdict] = []
    for node, why in sorted(out_of_cluster(state).items()):
        guests = sorted({g.name for g in state.guests if g.node == node and g.running})
        primaries = sorted({r.name for r in state.drbd
                            if r.node == node and r.role == "Primary"})
        if not guests and not primaries:
            continue
        held = ", ".join(guests) if guests else "no guest"
        text = f"{node} is not in the cluster ({why}) but still runs {held}"
        if primaries:
            text += f" and is DRBD Primary of {', '.join(primaries)}"
        twice = _elsewhere(state, node, guests, primaries)
        if twice:
            text += f" — the cluster runs {'; '.join(twice)} too: split brain risk"
        else:
            text += ": the cluster may start them elsewhere (split brain risk)"
        out.append(Verdict(CRITICAL, "nodes", Subject(Kind.NODE, node), text, node))
    return out


def _elsewhere(state: ClusterState, node: str, guests: list[str],
               primaries: list[str]) -> list[str]:
    """``vm1 on jupiter2``: what the node holds that runs on another node as well."""
    where: dict[str, set[str]] = {}
    for g in state.guests:
        if g.name in guests and g.node != node and g.running:
            where.setdefault(g.name, set()).add(g.node)
    for r in state.drbd:
        if r.name in primaries and r.node != node and r.role == "Primary":
            where.setdefault(r.name, set()).add(r.node)
    pcmk = state.pacemaker
    if pcmk is not None:
        managed = {g.name: g.resource or g.name for g in state.guests if g.node == node}
        for name in guests:
            rsc = pcmk.find(managed.get(name, name))
            if rsc is not None:
                where.setdefault(name, set()).update(n for p in rsc.primitives()
                                                     for n in p.nodes if n != node)
    order = {name: i for i, name in enumerate([*guests, *primaries])}
    return [f"{name} on {', '.join(sorted(nodes))}"
            for name, nodes in sorted(where.items(), key=lambda item: order[item[0]])
            if nodes]
