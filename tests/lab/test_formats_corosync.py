"""The lab's corosync renderers against the shared samples and hadeck's own parsers.

Every corosync 3.1 sample the model can hold is rendered back byte for byte. The one
thing the model does not keep, quorumtool's ``Date:``, is passed back in from the sample
(read as UTC, which is what the renderer prints).
"""

from __future__ import annotations

import calendar
import re
import time

import pytest

from hadeck.lab.formats.corosync import cfgtool, quorumtool
from hadeck.model import (
    CorosyncLink,
    CorosyncLinkPeer,
    CorosyncQuorum,
    CorosyncStatus,
    QuorumMember,
)
from hadeck.sources.corosync import parse_cfgtool, parse_quorumtool
from tests.conftest import sample


def sample_date(text: str) -> float:
    """The sample's ``Date:`` as a timestamp, reading its ctime() text as UTC."""
    match = re.search(r"^Date: +(.+)$", text, re.M)
    assert match
    return float(calendar.timegm(time.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")))


# --------------------------------------------------------------------------- cfgtool


@pytest.mark.parametrize("case", ["3node-knet-all-connected.txt",
                                  "2links-one-peer-link-down.txt"])
def test_cfgtool_round_trip_is_byte_exact(case: str) -> None:
    text = sample("corosync-cfgtool", case)
    local_id, transport, links = parse_cfgtool(text)
    status = CorosyncStatus("hv-a", local_node_id=local_id, transport=transport, links=links)
    assert cfgtool(status) == text


def test_cfgtool_sorts_nodes_and_keeps_the_blank_of_an_empty_link_transport() -> None:
    # corosync's own udpu transport: cfgtool prints an empty link transport, hence the
    # trailing blank of "LINK ID 0 ", and sorts the nodelist by node id.
    status = CorosyncStatus("hv-b", local_node_id=2, transport="udpu", links=(
        CorosyncLink(0, None, "10.0.0.2", peers=(
            CorosyncLinkPeer(3, "disconnected"), CorosyncLinkPeer(1, "connected"),
            CorosyncLinkPeer(2, "localhost"),
        )),
    ))
    rendered = cfgtool(status)
    assert rendered == (
        "Local node ID 2, transport udpu\n"
        "LINK ID 0 \n"
        "\taddr\t= 10.0.0.2\n"
        "\tstatus:\n"
        "\t\tnodeid:          1:\tconnected\n"
        "\t\tnodeid:          2:\tlocalhost\n"
        "\t\tnodeid:          3:\tdisconnected\n"
    )
    assert parse_cfgtool(rendered) == (2, "udpu", (
        CorosyncLink(0, None, "10.0.0.2", peers=(
            CorosyncLinkPeer(1, "connected"), CorosyncLinkPeer(2, "localhost"),
            CorosyncLinkPeer(3, "disconnected"),
        )),
    ))


def test_cfgtool_of_an_isolated_node() -> None:
    # hv-b cut off from both peers on both links: every peer disconnected.
    peers = (CorosyncLinkPeer(1, "disconnected"), CorosyncLinkPeer(2, "localhost"),
             CorosyncLinkPeer(3, "disconnected"))
    status = CorosyncStatus("hv-b", 2, "knet", links=(
        CorosyncLink(0, "udp", "10.0.0.2", peers=peers),
        CorosyncLink(1, "udp", "192.168.100.2", peers=peers),
    ))
    local_id, transport, links = parse_cfgtool(cfgtool(status))
    assert (local_id, transport, links) == (2, "knet", status.links)


# --------------------------------------------------------------------------- quorumtool


@pytest.mark.parametrize("case", [
    "2node-quorate.txt",
    "3node-one-down-quorate.txt",
    "3node-isolated-not-quorate.txt",
    "2node-qdevice.txt",
    "corosync-2-ring-id-format.txt",
])
def test_quorumtool_round_trip_is_byte_exact(case: str) -> None:
    # Lost: the Date line (the model has no time); it is passed back in.
    text = sample("corosync-quorumtool", case)
    assert quorumtool(parse_quorumtool(text), sample_date(text)) == text


def test_quorumtool_date_is_ctime_in_utc() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "2node-quorate.txt"))
    # ctime pads the day of the month with a blank.
    assert "\nDate:             Thu Jan  1 00:00:00 1970\n" in quorumtool(quorum, 0.0)
    assert "\nDate:             Sun Mar  3 10:21:07 2024\n" in quorumtool(quorum, 1709461267.9)


def test_quorumtool_not_quorate_partition_exact() -> None:
    # Two of three nodes down, as hv-c sees it: blocked, no flags, itself alone.
    quorum = CorosyncQuorum(
        provider="corosync_votequorum", nodes=1, node_id=3, ring_id="3.2c", quorate=False,
        expected_votes=3, highest_expected=3, total_votes=1, quorum=2, blocked=True,
        flags=(), members=(QuorumMember(3, 1, "hv-c", local=True),),
    )
    rendered = quorumtool(quorum, sample_date("Date: Wed Mar 13 10:25:02 2024"))
    assert rendered == (
        "Quorum information\n"
        "------------------\n"
        "Date:             Wed Mar 13 10:25:02 2024\n"
        "Quorum provider:  corosync_votequorum\n"
        "Nodes:            1\n"
        "Node ID:          3\n"
        "Ring ID:          3.2c\n"
        "Quorate:          No\n"
        "\n"
        "Votequorum information\n"
        "----------------------\n"
        "Expected votes:   3\n"
        "Highest expected: 3\n"
        "Total votes:      1\n"
        "Quorum:           2 Activity blocked\n"
        "Flags:            \n"
        "\n"
        "Membership information\n"
        "----------------------\n"
        "    Nodeid      Votes Name\n"
        "         3          1 hv-c (local)\n"
    )
    assert parse_quorumtool(rendered) == quorum


def test_quorumtool_prints_flags_in_votequorum_order() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "2node-quorate.txt"))
    shuffled = CorosyncQuorum(**{**quorum.__dict__, "flags": ("WaitForAll", "Quorate", "2Node")})
    assert "\nFlags:            2Node Quorate WaitForAll \n" in quorumtool(shuffled, 0.0)


def test_quorumtool_qdevice_not_voting() -> None:
    # Lost: the device's real vote count in "(votes N)"; the model keeps only the 0
    # shown in the Votes column, and the renderer assumes 1.
    text = sample("corosync-quorumtool", "2node-qdevice.txt")
    quorum = parse_quorumtool(text)
    silent = CorosyncQuorum(**{
        **quorum.__dict__, "qdevice_votes": 0,
        "members": tuple(QuorumMember(m.node_id, m.votes, m.name, m.local, "A,NV,NMW")
                         for m in quorum.members),
    })
    rendered = quorumtool(silent, sample_date(text))
    assert rendered.splitlines()[-3:] == [
        "         1          1   A,NV,NMW node1 (local)",
        "         2          1   A,NV,NMW node2",
        "         0          0            Qdevice (votes 1)",
    ]
    assert parse_quorumtool(rendered) == silent


def test_quorumtool_without_votequorum_stops_after_quorate() -> None:
    quorum = CorosyncQuorum(provider=None, nodes=2, node_id=1, ring_id="1.8", quorate=True)
    rendered = quorumtool(quorum, 0.0)
    assert rendered.endswith("Quorum provider:  Not configured\nNodes:            2\n"
                             "Node ID:          1\nRing ID:          1.8\n"
                             "Quorate:          Yes\n")
    again = parse_quorumtool(rendered)
    assert (again.nodes, again.node_id, again.ring_id, again.quorate) == (2, 1, "1.8", True)
