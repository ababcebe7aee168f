"""The system ping's output read on real iputils captures (tests/fixtures/ping/)."""

from __future__ import annotations

import pytest

from hadeck.probes.ping_output import parse_ping
from hadeck.sources.base import ParseError
from tests.conftest import FIXTURES

PING = FIXTURES / "ping" / "iputils-20221126"


def capture(name: str) -> str:
    return (PING / name).read_text()


def test_loopback_all_answered() -> None:
    counts = parse_ping(capture("loopback-v4.txt"), "", 0)
    assert (counts.sent, counts.received) == (3, 3)
    assert (counts.rtt_min_ms, counts.rtt_avg_ms, counts.rtt_max_ms) == (0.035, 0.049, 0.075)
    assert counts.error is None


def test_ipv6_and_by_name() -> None:
    assert parse_ping(capture("loopback-v6.txt"), "", 0).rtt_max_ms == 0.072
    assert parse_ping(capture("by-name.txt"), "", 0).received == 2


def test_half_lost() -> None:
    counts = parse_ping(capture("half-lost.txt"), "", 0)
    assert (counts.sent, counts.received, counts.rtt_avg_ms) == (10, 5, 0.071)


@pytest.mark.parametrize("name", ["dead-v4.txt", "dead-v6.txt", "host-unreachable.txt"])
def test_nothing_answered(name: str) -> None:
    counts = parse_ping(capture(name), "", 1)
    assert counts.received == 0 and counts.sent in (3, 5)
    assert counts.rtt_avg_ms is None and counts.error is None


@pytest.mark.parametrize(("name", "reason"), [
    ("no-route.stderr", "ping: connect: Network is unreachable"),
    ("name-unresolved.stderr",
     "ping: no-such-host.hdp.invalid: Temporary failure in name resolution"),
])
def test_could_not_start_is_the_reason(name: str, reason: str) -> None:
    counts = parse_ping("", capture(name), 2)
    assert counts.error == reason and counts.sent == 0


def test_busybox_summary() -> None:
    text = ("PING 10.0.0.2 (10.0.0.2): 56 data bytes\n"
            "64 bytes from 10.0.0.2: seq=0 ttl=64 time=0.101 ms\n\n"
            "--- 10.0.0.2 ping statistics ---\n"
            "1 packets transmitted, 1 packets received, 0% packet loss\n"
            "round-trip min/avg/max = 0.101/0.101/0.101 ms\n")
    assert parse_ping(text, "", 0).rtt_avg_ms == 0.101


@pytest.mark.parametrize("text", [
    "",
    "garbage\n",
    "3 packets transmitted, 4 received, 0% packet loss, time 1ms\n",
    "3 packets transmitted, 3 received, 0% packet loss, time 1ms\n",  # no rtt line
    "3 packets transmitted, 3 received, 0% packet loss, time 1ms\n"
    "rtt min/avg/max/mdev = 0.5/0.1/0.9/0.1 ms\n",
    "3 packets transmitted, ३ received, 0% packet loss, time 1ms\n",
])
def test_not_pings_output(text: str) -> None:
    with pytest.raises(ParseError):
        parse_ping(text, "", 0)
