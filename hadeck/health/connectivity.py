"""Connectivity: corosync links and quorum, and the ping scores Pacemaker keeps."""

from __future__ import annotations

from collections.abc import Iterable

from hadeck.health.verdict import CRITICAL, OK, UNKNOWN, WARNING, Kind, Subject, Verdict
from hadeck.model import CorosyncStatus, PacemakerState, SourceStatus


def judge_pingd(pcmk: PacemakerState, name: str = "pingd",
                required: bool = False) -> list[Verdict]:
    """Connectivity scores the ping resource agent writes as a node attribute.

    Args:
        pcmk: Pacemaker's view.
        name: the attribute the ping agent writes (its ``name`` parameter; ``pingd``).
        required: the attribute must be there (a check was asked for it): when no node
            has it and no ping resource is configured, that is CRITICAL instead of
            nothing to judge.
    """
    out = _judge_pingd(pcmk, name)
    if required and not out:
        out.append(Verdict(CRITICAL, "connectivity", Subject(Kind.PINGD, name),
                           f"no node has a {name!r} attribute: the ping resource runs "
                           "nowhere"))
    return out


def _judge_pingd(pcmk: PacemakerState, name: str) -> list[Verdict]:
    out: list[Verdict] = []
    scored = [n for n in pcmk.nodes if n.attribute(name) is not None]
    if not scored:
        if not _has_ping_resource(pcmk):
            return out  # no connectivity monitoring configured: nothing to judge
        # A ping resource that runs nowhere leaves every "pingd not_defined" rule true:
        # the guests it guards cannot run anywhere.
        return [Verdict(CRITICAL, "connectivity", Subject(Kind.PINGD, name, n.name),
                        f"no {name} score: the ping resource runs nowhere", n.name)
                for n in pcmk.nodes if n.online and n.type != "ping"]
    for node in pcmk.nodes:
        if not node.online or node.type == "ping":
            continue
        subject = Subject(Kind.PINGD, name, node.name)
        attr = node.attribute(name)
        if attr is None:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"no {name} score: ping resource not running here", node.name))
            continue
        value = _number(attr.value)
        expected = _number(attr.expected) if attr.expected else None
        if value is None:
            out.append(Verdict(UNKNOWN, "connectivity", subject,
                               f"{name} is {attr.value!r}, not a number", node.name))
        elif value <= 0:
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               f"{name} 0: reaches no ping node", node.name))
        elif expected is not None and value < expected:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"{name} {attr.value} of {attr.expected}: some ping nodes lost",
                               node.name))
        else:
            shown = f" of {attr.expected}" if attr.expected else ""
            out.append(Verdict(OK, "connectivity", subject, f"{name} {attr.value}{shown}",
                               node.name))
    return out


PING_AGENTS = ("ocf:pacemaker:ping", "ocf:heartbeat:pingd", "ocf:pacemaker:pingd")


def _has_ping_resource(pcmk: PacemakerState) -> bool:
    if any(p.agent in PING_AGENTS for p in pcmk.primitives):
        return True
    return any(p.agent in PING_AGENTS for r in pcmk.resources for p in r.primitives())


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def judge_corosync(statuses: Iterable[CorosyncStatus]) -> list[Verdict]:
    out: list[Verdict] = []
    for status in statuses:
        out += _judge_links(status)
        quorum = status.quorum
        if quorum is None:
            continue
        subject = Subject(Kind.QUORUM, node=status.node)
        if quorum.quorate is False or quorum.blocked:
            votes = (f" ({quorum.total_votes} of {quorum.expected_votes} votes)"
                     if quorum.total_votes is not None else "")
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               f"not quorate, activity blocked{votes}", status.node))
        elif quorum.quorate:
            votes = (f", {quorum.total_votes} of {quorum.expected_votes} votes"
                     if quorum.total_votes is not None else "")
            out.append(Verdict(OK, "connectivity", subject, f"quorate{votes}", status.node))
    return out


def judge_corosync_on(node: str, statuses: Iterable[CorosyncStatus],
                      sources: Iterable[SourceStatus] = ()) -> list[Verdict]:
    """One node's corosync, as its check plugin judges it: :func:`judge_corosync`, and
    UNKNOWN with the source's word when nothing was read and no read failed."""
    statuses = tuple(statuses)
    sources = tuple(sources)
    out = judge_corosync(statuses)
    if not statuses and not any(s.error is not None for s in sources):
        detail = next((s.detail for s in sources if s.source == "corosync" and s.detail),
                      "corosync not read")
        out.append(Verdict(UNKNOWN, "connectivity", Subject(Kind.COROSYNC, "corosync", node),
                           detail, node))
    return out


def _judge_links(status: CorosyncStatus) -> list[Verdict]:
    out: list[Verdict] = []
    per_peer: dict[int, list[tuple[int, str]]] = {}
    names: dict[int, str] = {}
    for link in status.links:
        if link.faulty:
            health = WARNING if len(status.links) > 1 else CRITICAL
            ring = Subject(Kind.RING, str(link.link_id), status.node)
            out.append(Verdict(health, "connectivity", ring,
                               f"ring {link.link_id} FAULTY: {link.status or ''}".strip(),
                               status.node))
        for peer in link.peers:
            if peer.state == "localhost":
                continue
            per_peer.setdefault(peer.node_id, []).append((link.link_id, peer.state))
            if peer.name:
                names[peer.node_id] = peer.name
    for node_id, links in sorted(per_peer.items()):
        name = names.get(node_id, f"node {node_id}")
        subject = Subject(Kind.LINK, node=status.node, peer=name)
        down = [lid for lid, state in links if state != "connected"]
        if not down:
            out.append(Verdict(OK, "connectivity", subject,
                               f"{len(links)} link(s) connected", status.node))
        elif len(down) == len(links):
            out.append(Verdict(CRITICAL, "connectivity", subject,
                               "every corosync link down", status.node))
        else:
            out.append(Verdict(WARNING, "connectivity", subject,
                               f"link {', '.join(map(str, down))} down, "
                               f"{len(links) - len(down)} still up", status.node))
    return out
