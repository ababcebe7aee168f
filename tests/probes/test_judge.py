"""The expected pingd score and its verdicts: agreeing, lagging, wrong, about to move."""

from __future__ import annotations

import pytest

from hadeck.health import Kind, Subject, judge_ping_probes
from hadeck.model import (
    ClusterState,
    CorosyncLink,
    CorosyncLinkPeer,
    CorosyncStatus,
    Health,
    HostMetrics,
    Node,
    NodeAttribute,
    PacemakerState,
    PingProbe,
    PrimitiveConfig,
    Resource,
    ResourceKind,
)
from hadeck.probes.ping import BATCH, Target, ping, split_batch
from hadeck.probes.pingd import agent_of, duration_s, expected
from hadeck.probes.prober import PingProber
from hadeck.probes.targets import probing_nodes, targets_for
from hadeck.runner import CommandResult, Runner

PING = PrimitiveConfig("p_ping", "ocf:pacemaker:ping",
                       {"host_list": "192.0.2.254 192.0.2.253", "multiplier": "100",
                        "dampen": "5s"}, parent="cl_ping")
NOW = 1_000_000.0


def pcmk(held: str | None = "200", primitive: PrimitiveConfig = PING) -> PacemakerState:
    attrs = (NodeAttribute("pingd", held, "200"),) if held is not None else ()
    nodes = (Node("jupiter1", online=True, attributes=attrs),
             Node("jupiter2", online=True, attributes=(NodeAttribute("pingd", "200"),)))
    vm1 = Resource("vm1", agent="ocf:heartbeat:VirtualDomain", role="Started", active=True,
                   nodes=("jupiter1",))
    clone = Resource("cl_ping", kind=ResourceKind.CLONE, children=(
        Resource("p_ping", agent="ocf:pacemaker:ping", role="Started", active=True,
                 nodes=("jupiter1",)),))
    return PacemakerState(nodes=nodes, resources=(vm1, clone), primitives=(primitive,))


def probe(host: str, received: int, since: float | None = None, node: str = "jupiter1",
          error: str | None = None) -> PingProbe:
    return PingProbe(node, host, sent=0 if error else 3, received=received,
                     rtt_avg_ms=0.3 if received else None, error=error, since=since)


def pingd_verdict(pings: list[PingProbe], held: str | None = "200",
                  primitive: PrimitiveConfig = PING) -> tuple[Health, str]:
    verdicts = judge_ping_probes(pcmk(held, primitive), pings, NOW)
    found = [v for v in verdicts if v.key == Subject(Kind.PINGD_PROBE, "pingd", "jupiter1")]
    assert len(found) == 1, verdicts
    return found[0].health, found[0].reason


def test_agent_parameters() -> None:
    agent = agent_of(PING)
    assert agent is not None
    assert (agent.hosts, agent.multiplier, agent.dampen_s, agent.full_score) == (
        ("192.0.2.254", "192.0.2.253"), 100, 5.0, 200)
    bare = agent_of(PrimitiveConfig("p", "ocf:pacemaker:ping", {"host_list": "h"}))
    assert bare is not None and (bare.attribute, bare.multiplier, bare.dampen_s) == (
        "pingd", 1, 5.0)
    assert agent_of(PrimitiveConfig("d", "ocf:pacemaker:Dummy")) is None
    assert [duration_s(t) for t in ("5s", "20", "1m", "500ms", "soon")] == [5, 20, 60, 0.5, 5]


def test_expected_counts_hosts_reached_from_that_node_only() -> None:
    agent = agent_of(PING)
    assert agent is not None
    pings = [probe("192.0.2.254", 3), probe("192.0.2.253", 0),
             probe("192.0.2.253", 3, node="jupiter2")]
    exp = expected(agent, "jupiter1", pings)
    assert (exp.score, exp.reached, exp.lost) == (100, ("192.0.2.254",), ("192.0.2.253",))
    assert expected(agent, "jupiter1", pings[:1]).score is None  # one host not measured


def test_agreeing() -> None:
    health, reason = pingd_verdict([probe("192.0.2.254", 3), probe("192.0.2.253", 1)])
    assert health == Health.OK
    assert reason == "pingd 200 agrees with the probe (2 of 2 ping nodes reached)"


def test_no_ping_node_reached_is_said_before_pacemaker_acts() -> None:
    health, reason = pingd_verdict([probe("192.0.2.254", 0), probe("192.0.2.253", 0)])
    assert health == Health.CRITICAL
    assert reason == ("jupiter1 reaches no ping node (192.0.2.254, 192.0.2.253 silent) → "
                      "its resources vm1 are about to move; Pacemaker still holds pingd 200 "
                      "(dampen 5 s)")


def test_below_failure_score() -> None:
    strict = PrimitiveConfig("p_ping", "ocf:pacemaker:ping",
                             {**PING.params, "failure_score": "150"})
    health, reason = pingd_verdict([probe("192.0.2.254", 3), probe("192.0.2.253", 0)],
                                   primitive=strict)
    assert health == Health.CRITICAL
    assert "scores 100, below failure_score 150" in reason and "vm1 are about to move" in reason


@pytest.mark.parametrize(("since", "health", "words"), [
    (None, Health.WARNING, "lagging or wrong, one measurement cannot tell (dampen 5 s)"),
    (NOW - 4, Health.WARNING, "lagging, changed 4 s ago (dampen 5 s)"),
    (NOW - 60, Health.CRITICAL, "wrong for 60 s, longer than the agent's monitor and dampen "
                                "(15 s): is p_ping running there?"),
])
def test_a_different_score_is_lagging_then_wrong(since: float | None, health: Health,
                                                 words: str) -> None:
    got = pingd_verdict([probe("192.0.2.254", 3, since), probe("192.0.2.253", 0, since)])
    assert got == (health, f"pingd 200, the probe says 100 (1 of 2 ping nodes reached): {words}")


def test_per_host_verdicts() -> None:
    pings = [probe("192.0.2.254", 3), probe("192.0.2.253", 0),
             PingProbe("jupiter1", "10.0.0.2", sent=4, received=3, rtt_avg_ms=12.25,
                       roles=("corosync link 0 to jupiter2",)),
             probe("db.example", 0, error="db.example: Name or service not known")]
    verdicts = {v.subject: (v.health, v.reason) for v in judge_ping_probes(None, pings, NOW)}
    assert verdicts == {
        "ping 192.0.2.254 from jupiter1": (Health.OK, "0% loss, rtt 0.3 ms"),
        "ping 192.0.2.253 from jupiter1": (Health.WARNING, "no answer: 3 of 3 echoes lost"),
        "ping 10.0.0.2 from jupiter1": (Health.WARNING, "25% loss, rtt 12.2 ms "
                                                        "(corosync link 0 to jupiter2)"),
        "ping db.example from jupiter1": (Health.UNKNOWN, "could not ping: db.example: Name "
                                                          "or service not known"),
    }


def test_a_host_that_could_not_be_measured_leaves_the_score_unknown() -> None:
    health, reason = pingd_verdict([probe("192.0.2.254", 3),
                                    probe("192.0.2.253", 0, error="ssh jupiter1: timeout")])
    assert health == Health.UNKNOWN
    assert reason == ("cannot tell the score pingd should be: 192.0.2.253 not measured "
                      "(1 of 2 ping nodes reached)")


def state() -> ClusterState:
    link = CorosyncLink(0, address="10.0.0.2")
    return ClusterState(
        taken_at=NOW, local_node="jupiter1", pacemaker=pcmk(),
        corosync=(CorosyncStatus("jupiter1", links=(CorosyncLink(0, address="10.0.0.1"),)),
                  CorosyncStatus("jupiter2", links=(link,))),
        hosts=(HostMetrics("jupiter1"), HostMetrics("jupiter2")))


def test_targets_from_the_cib_the_configuration_and_corosync() -> None:
    s = state()
    assert probing_nodes(s) == ("jupiter1", "jupiter2")
    found = {t.host: t.roles for t in targets_for("jupiter1", s, ("192.0.2.254", "gw"))}
    assert found == {"192.0.2.254": ("ping node of p_ping", "configured"),
                     "192.0.2.253": ("ping node of p_ping",),
                     "gw": ("configured",),
                     "10.0.0.2": ("corosync link 0 to jupiter2",)}
    assert "10.0.0.2" not in {t.host for t in targets_for("jupiter1", s, links=False)}


class Scripted(Runner):
    """A peer over ssh: answers the probes' batched ping (``sh -c BATCH … HOSTS``) with
    iputils' own summaries, host → replies."""

    def __init__(self, node: str, answers: dict[str, int]) -> None:
        self.node = node
        self.answers = answers
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv, timeout=None, input=None):  # type: ignore[no-untyped-def]
        self.calls.append(tuple(argv))
        assert tuple(argv[:4]) == ("sh", "-c", BATCH, "hadeck-ping")
        out = ""
        for number, host in enumerate(argv[7:], start=1):
            got = self.answers.get(host, 0)
            out += (f"== hadeck-ping {number} {0 if got else 1}\n"
                    f"PING {host} ({host}) 56(84) bytes of data.\n\n--- {host} ping "
                    f"statistics ---\n3 packets transmitted, {got} received, "
                    f"{100 - 100 * got / 3:g}% packet loss, time 402ms\n")
            if got:
                out += "rtt min/avg/max/mdev = 0.100/0.200/0.300/0.050 ms\n"
        return CommandResult(tuple(argv), out, "", 0)


def test_prober_remembers_since_when_per_host() -> None:
    clock = iter([NOW, NOW + 2, NOW + 4]).__next__
    answers = {"192.0.2.254": 3, "192.0.2.253": 3, "10.0.0.1": 3, "10.0.0.2": 3}
    runners = {n: Scripted(n, answers) for n in ("jupiter1", "jupiter2")}
    prober = PingProber(clock=clock)
    first = prober.probe(state(), runners.__getitem__)
    assert {(p.node, p.host, p.method, p.since) for p in first.pings} >= {
        ("jupiter1", "192.0.2.254", "ping", NOW), ("jupiter2", "10.0.0.1", "ping", NOW)}
    answers["192.0.2.253"] = 0
    second = prober.probe(state(), runners.__getitem__)
    since = {(p.node, p.host): p.since for p in second.pings}
    assert since[("jupiter1", "192.0.2.253")] == NOW + 2  # changed now
    assert since[("jupiter1", "192.0.2.254")] == NOW  # unchanged since the first sight
    one_shot = PingProber(history=False).probe(state(), runners.__getitem__)
    assert {p.since for p in one_shot.pings} == {None}
    # One command per node and poll, whatever the number of hosts.
    assert [len(r.calls) for r in runners.values()] == [3, 3]


def corosync(link0: str = "connected", link1: str = "connected") -> tuple[CorosyncStatus, ...]:
    peers = (CorosyncLinkPeer(1, "localhost", "jupiter1"),)
    return (
        CorosyncStatus("jupiter1", links=(
            CorosyncLink(0, address="10.0.0.1",
                         peers=(*peers, CorosyncLinkPeer(2, link0, "jupiter2"))),
            CorosyncLink(1, address="10.1.0.1",
                         peers=(*peers, CorosyncLinkPeer(2, link1, "jupiter2"))))),
        CorosyncStatus("jupiter2", links=(CorosyncLink(0, address="10.0.0.2"),
                                          CorosyncLink(1, address="10.1.0.2"))),
    )


@pytest.mark.parametrize(("answers", "states", "health", "reason"), [
    ((3, 3), ("connected", "connected"), Health.OK,
     "jupiter2 answers on every link address (2)"),
    ((3, 0), ("connected", "disconnected"), Health.WARNING,
     "link 1 (10.1.0.2) silent from jupiter1, the other links answer: the link is down, "
     "not jupiter2"),
    ((0, 0), ("disconnected", "disconnected"), Health.CRITICAL,
     "jupiter2 answers on none of its link addresses (10.0.0.2, 10.1.0.2): jupiter2 is "
     "down or cut off from jupiter1"),
    ((3, 3), ("connected", "disconnected"), Health.WARNING,
     "corosync says link 1 is down but jupiter2 answers pings on it: the network carries "
     "ICMP, look at corosync / knet"),
])
def test_link_down_told_from_peer_down(answers: tuple[int, int], states: tuple[str, str],
                                       health: Health, reason: str) -> None:
    pings = [probe("10.0.0.2", answers[0]), probe("10.1.0.2", answers[1])]
    verdicts = judge_ping_probes(None, pings, NOW, corosync(*states))
    found = [(v.health, v.reason) for v in verdicts
             if v.key == Subject(Kind.LINK, "probe", "jupiter1", "jupiter2")]
    assert found == [(health, reason)]
    assert str(Subject(Kind.LINK, "probe", "jupiter1", "jupiter2")) == \
        "link jupiter1 → jupiter2 (probe)"


def test_what_is_not_a_host_is_never_pinged() -> None:
    class Refuses(Runner):
        def run(self, argv, timeout=None, input=None):  # type: ignore[no-untyped-def]
            raise AssertionError(f"ran {argv}")

    hostile = ["-f", "a\0b", "x y", "", "\x1b[2J", "a" * 300]
    probes = ping(Refuses(), [Target(h) for h in hostile])
    assert [p.host for p in probes] == hostile
    assert all(p.error and p.error.startswith("not a host name or address: ") and p.sent == 0
               for p in probes)


def test_batched_output_cut_short_names_the_hosts_without_output() -> None:
    text = ("== hadeck-ping 1 0\nPING a (a) 56(84) bytes of data.\n\n--- a ping statistics "
            "---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
            "rtt min/avg/max/mdev = 0.100/0.100/0.100/0.000 ms\n== hadeck-ping 2 1\n")
    parts = split_batch(text, 3)
    assert parts[0] is not None and parts[0][0] == 0 and "1 received" in parts[0][1]
    assert parts[1] == (1, "")
    assert parts[2] is None
    assert split_batch("== hadeck-ping 99999999 0\nx\n", 1) == [None]
