"""Connectivity: corosync links and quorum, the ping scores Pacemaker keeps, and hadeck's
own ping probes against them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hadeck.health.verdict import CRITICAL, OK, UNKNOWN, WARNING, Kind, Subject, Verdict

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    # Types only, and the probes' module where used: check_hadeck_corosync judges the
    # links alone and need not load Pacemaker's model or the ping probes (issue 15).
    from hadeck.model import CorosyncStatus, PacemakerState, PingProbe, SourceStatus
    from hadeck.probes.pingd import Expected


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


# --------------------------------------------------------------------------- probes


def judge_ping_probes(pcmk: PacemakerState | None, pings: Sequence[PingProbe],
                      now: float, corosync: Sequence[CorosyncStatus] = ()) -> list[Verdict]:
    """hadeck's own pings, and the ``pingd`` score they say each node should hold.

    One verdict per probe (``ping HOST from NODE``: answered, lossy, silent, or could not
    be measured), then, per ping resource and node pinged from, the score Pacemaker holds
    against multiplier × ping nodes the probe reached (:mod:`hadeck.probes.pingd`):

    - agreeing: OK;
    - the node reaches no ping node (or falls below ``failure_score``) while Pacemaker
      still holds a score: CRITICAL, "its resources are about to move" — said before
      Pacemaker acts;
    - otherwise different and younger than the agent's monitor interval plus ``dampen``
      (the probes' ``since``): lagging, WARNING; older: wrong, CRITICAL; a single
      measurement (no ``since``) cannot tell the two apart: WARNING, saying so.

    Then, per node and corosync peer whose link addresses were pinged, "this link is
    down" told from "that peer is down" (:func:`_judge_peer_links`).

    Args:
        pcmk: Pacemaker's view (its ping resources and node attributes); None: only the
            probes themselves are judged.
        pings: the probes (``state.pings``).
        now: the state's time, against the probes' ``since``.
        corosync: every node's corosync status (its link addresses and link states).
    """
    from hadeck.probes.pingd import expected, ping_agents

    out = [_judge_probe(p) for p in pings]
    out += _judge_peer_links(pings, corosync)
    for agent in ping_agents(pcmk):
        assert pcmk is not None
        for node_name in dict.fromkeys(p.node for p in pings):
            node = pcmk.node(node_name)
            if node is None or not node.online or node.type != "member":
                continue
            verdict = _judge_expected(pcmk, expected(agent, node_name, pings), now)
            if verdict is not None:
                out.append(verdict)
    return out


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.2g}" if value < 1 else f"{value:.1f}"


def _judge_probe(probe: PingProbe) -> Verdict:
    subject = Subject(Kind.PING, probe.host, probe.node)
    why = f" ({', '.join(probe.roles)})" if probe.roles else ""
    if probe.error is not None or probe.sent == 0:
        return Verdict(UNKNOWN, "connectivity", subject,
                       f"could not ping: {probe.error or 'no echo sent'}{why}", probe.node)
    if not probe.reached:
        return Verdict(WARNING, "connectivity", subject,
                       f"no answer: {probe.sent} of {probe.sent} echoes lost{why}", probe.node)
    loss = probe.loss_percent or 0.0
    text = f"{loss:.0f}% loss, rtt {_ms(probe.rtt_avg_ms)} ms{why}"
    return Verdict(WARNING if loss else OK, "connectivity", subject, text, probe.node)


def _judge_expected(pcmk: PacemakerState, exp: Expected, now: float) -> Verdict | None:
    agent, node = exp.agent, exp.node
    if not exp.reached and not exp.lost:
        return None  # nothing measured from there: each probe's UNKNOWN says why
    subject = Subject(Kind.PINGD_PROBE, agent.attribute, node)
    name = agent.attribute
    score = exp.score
    count = f"{len(exp.reached)} of {len(agent.hosts)} ping nodes reached"
    if score is None:
        return Verdict(UNKNOWN, "connectivity", subject,
                       f"cannot tell the score {name} should be: "
                       f"{', '.join(exp.unmeasured)} not measured ({count})", node)
    held_node = pcmk.node(node)
    attr = held_node.attribute(name) if held_node is not None else None
    held = _number(attr.value) if attr is not None else None
    shown = attr.value if attr is not None else "not set"
    if held is not None and held == score:
        return Verdict(OK, "connectivity", subject,
                       f"{name} {attr.value if attr else score} agrees with the probe "
                       f"({count})", node)
    if (score == 0 or exp.failing) and (held is None or held > score):
        lost = ", ".join(exp.lost)
        moving = _running_on(pcmk, node)
        what = (f"its resources {', '.join(moving)} are about to move" if moving
                else "nothing that needs the ping nodes can run there")
        why = "reaches no ping node" if score == 0 else \
            f"scores {score}, below failure_score {agent.failure_score}"
        return Verdict(CRITICAL, "connectivity", subject,
                       f"{node} {why} ({lost} silent) → {what}; Pacemaker still holds "
                       f"{name} {shown} (dampen {agent.dampen_s:g} s)", node)
    says = f"{name} {shown}, the probe says {score} ({count})"
    if exp.since is None:
        return Verdict(WARNING, "connectivity", subject,
                       f"{says}: lagging or wrong, one measurement cannot tell "
                       f"(dampen {agent.dampen_s:g} s)", node)
    age = max(0.0, now - exp.since)
    if age <= agent.max_lag_s:
        return Verdict(WARNING, "connectivity", subject,
                       f"{says}: lagging, changed {age:.0f} s ago (dampen "
                       f"{agent.dampen_s:g} s)", node)
    return Verdict(CRITICAL, "connectivity", subject,
                   f"{says}: wrong for {age:.0f} s, longer than the agent's monitor and "
                   f"dampen ({agent.max_lag_s:g} s): is {agent.resource} running there?",
                   node)


def _running_on(pcmk: PacemakerState, node: str) -> list[str]:
    """The resources (not clones: those run everywhere) running on ``node``."""
    from hadeck.model import ResourceKind

    return [r.id for r in pcmk.resources
            if r.kind != ResourceKind.CLONE and node in r.running_on]


def _judge_peer_links(pings: Sequence[PingProbe],
                      corosync: Sequence[CorosyncStatus]) -> list[Verdict]:
    """Per node and peer: the peer's link addresses as pinged from the node, beside the
    link states the node's corosync reports.

    Every address silent: the peer is down or cut off (CRITICAL, as corosync's own
    "every link down" is). Some silent: those links are down, not the peer (WARNING).
    Every address answering while corosync calls a link down: the network carries ICMP,
    so look at corosync / knet on the two nodes (WARNING). The ``link`` subject carries
    ``probe`` as its name, beside corosync's own verdict on the same pair.
    """
    probes = {(p.node, p.host): p for p in pings if p.error is None and p.sent > 0}
    states: dict[tuple[str, str, int], str] = {}
    for status in corosync:
        for link in status.links:
            for seen in link.peers:
                if seen.name:
                    states[(status.node, seen.name, link.link_id)] = seen.state
    out: list[Verdict] = []
    nodes = dict.fromkeys(p.node for p in pings)
    for node in nodes:
        for status in corosync:
            peer = status.node
            measured = [(link.link_id, link.address, probes[(node, link.address)])
                        for link in status.links
                        if peer != node and link.address and (node, link.address) in probes]
            if not measured:
                continue
            subject = Subject(Kind.LINK, "probe", node, peer)
            silent = [(lid, addr) for lid, addr, p in measured if not p.reached]
            said_down = [lid for lid, _, _ in measured
                         if states.get((node, peer, lid), "connected") != "connected"]
            if len(silent) == len(measured):
                where = ", ".join(addr for _, addr in silent)
                out.append(Verdict(CRITICAL, "connectivity", subject,
                                   f"{peer} answers on none of its link addresses ({where}): "
                                   f"{peer} is down or cut off from {node}", node))
            elif silent:
                which = ", ".join(f"link {lid} ({addr})" for lid, addr in silent)
                out.append(Verdict(WARNING, "connectivity", subject,
                                   f"{which} silent from {node}, the other links answer: "
                                   f"the link is down, not {peer}", node))
            elif said_down:
                which = ", ".join(map(str, said_down))
                out.append(Verdict(WARNING, "connectivity", subject,
                                   f"corosync says link {which} is down but {peer} answers "
                                   "pings on it: the network carries ICMP, look at "
                                   "corosync / knet", node))
            else:
                out.append(Verdict(OK, "connectivity", subject,
                                   f"{peer} answers on every link address "
                                   f"({len(measured)})", node))
    return out
