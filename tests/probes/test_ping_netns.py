"""Real ICMP echoes in network namespaces the test makes (tests/probes/netns.py).

The in-process sockets (raw as root, the unprivileged datagram socket as ``nobody``
where ``ping_group_range`` admits it) and the system ping through the runner, IPv4 and
IPv6; a ping node lost by setting its link down; a dead host that does not slow the
others. Root is needed to make namespaces: skipped, with the reason, otherwise.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.probes.netns import SSHD, Net, why_not

pytestmark = pytest.mark.skipif(why_not() is not None, reason=why_not() or "")

FAST = {"count": 3, "interval": 0.2, "timeout": 1.0}


@pytest.fixture
def net() -> Iterator[Net]:
    made = Net(hosts=3)
    try:
        yield made.up()
    finally:
        made.down()


def by_host(probes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["host"]: p for p in probes}


def test_raw_socket_as_root_v4_and_v6(net: Net) -> None:
    hosts = [net.v4(1), net.v6(2), net.v4(3)]
    found = by_host(net.probe(hosts, **FAST))
    for host in hosts:
        probe = found[host]
        assert probe["method"] == "icmp-raw", probe
        assert (probe["sent"], probe["received"]) == (3, 3), probe
        assert 0 < probe["rtt_min_ms"] <= probe["rtt_avg_ms"] <= probe["rtt_max_ms"] < 1000


def test_lost_ping_node_fails_and_the_others_do_not(net: Net) -> None:
    net.lose(2)
    found = by_host(net.probe([net.v4(1), net.v4(2), net.v6(2), net.v6(3)], **FAST))
    assert found[net.v4(2)]["received"] == 0 and found[net.v4(2)]["sent"] == 3
    assert found[net.v6(2)]["received"] == 0
    assert found[net.v4(2)]["error"] is None  # echoes went out: lost, not "could not"
    assert found[net.v4(1)]["received"] == 3 and found[net.v6(3)]["received"] == 3


def test_system_ping_through_the_runner(net: Net) -> None:
    net.lose(3)
    found = by_host(net.probe([net.v4(1), net.v6(1), net.v4(3), "10.78.0.1"],
                              in_process=False, **FAST))
    assert {p["method"] for p in found.values()} == {"ping"}
    assert found[net.v4(1)]["received"] == 3 and found[net.v4(1)]["rtt_avg_ms"] > 0
    assert found[net.v6(1)]["received"] == 3
    assert found[net.v4(3)]["received"] == 0 and found[net.v4(3)]["error"] is None
    # No route at all: ping could not start, and says why.
    assert found["10.78.0.1"]["error"] == "ping: connect: Network is unreachable"


def test_unprivileged_datagram_socket_as_nobody(net: Net) -> None:
    net.allow_unprivileged(65534)
    net.lose(1)
    found = by_host(net.probe([net.v4(1), net.v4(2), net.v6(3)], user="nobody", **FAST))
    assert {p["method"] for p in found.values()} == {"icmp-dgram"}
    assert found[net.v4(1)]["received"] == 0
    assert found[net.v4(2)]["received"] == 3 and found[net.v6(3)]["received"] == 3


def test_nobody_without_ping_group_range_falls_back_to_ping(net: Net) -> None:
    found = by_host(net.probe([net.v4(2)], user="nobody", **FAST))
    assert found[net.v4(2)]["method"] == "ping"  # iputils ping has its capability
    assert found[net.v4(2)]["received"] == 3


def test_dead_hosts_cost_one_timeout_not_one_each(net: Net) -> None:
    hosts = [net.v4(1), net.dead4, net.dead6, net.v4(2), net.v6(3)]
    start = time.monotonic()
    found = by_host(net.probe(hosts, **FAST))
    took = time.monotonic() - start
    assert found[net.dead4]["received"] == 0 and found[net.dead6]["received"] == 0
    assert all(found[h]["received"] == 3 for h in (net.v4(1), net.v4(2), net.v6(3)))
    # 0.4 s of rounds + 1 s of waiting, once; plus a Python start in the namespace.
    assert took < 1.4 + 1.5, took


def test_batched_system_ping_one_command_for_every_host(net: Net) -> None:
    """What a peer runs over ssh: the fixed sh script with real sh and real ping."""
    net.lose(2)
    hosts = [net.v4(1), net.v6(1), net.v4(2), "10.78.0.1", net.v6(3)]
    found = by_host(net.probe(hosts, in_process=False, batch=True, **FAST))
    assert [found[h]["method"] for h in hosts] == ["ping"] * 5
    assert found[net.v4(1)]["received"] == 3 and found[net.v6(3)]["received"] == 3
    assert found[net.v6(1)]["rtt_avg_ms"] > 0
    assert found[net.v4(2)]["received"] == 0 and found[net.v4(2)]["error"] is None
    assert found["10.78.0.1"]["error"] == "ping: connect: Network is unreachable"


@pytest.mark.skipif(not (os.path.exists(SSHD) and shutil.which("ssh")),
                    reason="needs openssh-server and openssh-client")
def test_a_peer_over_real_ssh_pings_in_one_round_trip(net: Net, tmp_path: Path) -> None:
    """The peer path: SshRunner to a real sshd, the batched script run by the remote sh."""
    server, options = net.sshd(tmp_path)
    try:
        net.lose(1)
        found = by_host(net.probe([net.v4(1), net.v4(2), net.v6(3)], ssh=options, **FAST))
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert {p["node"] for p in found.values()} == {"peer"}
    assert {p["method"] for p in found.values()} == {"ping"}
    assert found[net.v4(1)]["received"] == 0 and found[net.v4(1)]["error"] is None
    assert found[net.v4(2)]["received"] == 3 and found[net.v6(3)]["received"] == 3
