"""Corosync: cfgtool and quorumtool parsers on every layout, and the reader."""

from __future__ import annotations

import pytest

from hadeck.runner import CommandResult
from hadeck.sources import corosync
from hadeck.sources.base import ParseError
from hadeck.sources.corosync import CFGTOOL, QUORUMTOOL, parse_cfgtool, parse_quorumtool
from tests.conftest import SAMPLES, sample
from tests.fakes import ScriptedRunner


def cases(source: str) -> list[str]:
    return sorted(p.name for p in (SAMPLES / source).iterdir())


def states(link: corosync.CorosyncLink) -> dict[int, str]:
    return {peer.node_id: peer.state for peer in link.peers}


# --------------------------------------------------------------------------- cfgtool


@pytest.mark.parametrize("case", cases("corosync-cfgtool"))
def test_every_cfgtool_sample_parses(case: str) -> None:
    local_id, _transport, links = parse_cfgtool(sample("corosync-cfgtool", case))
    assert local_id is not None and links


def test_cfgtool_3_1_all_connected() -> None:
    local_id, transport, links = parse_cfgtool(
        sample("corosync-cfgtool", "3node-knet-all-connected.txt"))
    assert (local_id, transport) == (1, "knet")
    (link,) = links
    assert (link.link_id, link.transport, link.address) == (0, "udp", "10.0.0.1")
    assert states(link) == {1: "localhost", 2: "connected", 3: "connected"}
    assert not link.faulty


def test_cfgtool_second_link_down_to_node_3() -> None:
    _, _, links = parse_cfgtool(sample("corosync-cfgtool", "2links-one-peer-link-down.txt"))
    assert [link.link_id for link in links] == [0, 1]
    assert states(links[0])[3] == "connected"
    assert states(links[1])[3] == "disconnected"
    assert links[1].address == "192.168.100.1"


def test_cfgtool_3_0_layout_link_0_node_3_disconnected() -> None:
    local_id, transport, (link,) = parse_cfgtool(
        sample("corosync-cfgtool", "corosync-3.0-format.txt"))
    assert (local_id, transport, link.transport) == (1, None, None)
    assert states(link) == {1: "localhost", 2: "connected", 3: "disconnected"}


def test_cfgtool_corosync_2_rrp_ring_faulty() -> None:
    local_id, _, (ring0, ring1) = parse_cfgtool(
        sample("corosync-cfgtool", "corosync-2-rrp-ring-faulty.txt"))
    assert local_id == 1084783375
    assert ring0.faulty and ring0.address == "10.0.0.1"
    assert ring0.status == "Marking ringid 0 interface 10.0.0.1 FAULTY"
    assert not ring1.faulty and ring1.status == "ring 1 active with no faults"


def test_cfgtool_brief() -> None:
    _, _, (link0, link1) = parse_cfgtool(sample("corosync-cfgtool", "brief-b-flag.txt"))
    assert (link0.status, link1.status) == ("n33", "n31")
    assert link0.peers == () and link1.address == "192.168.100.1"


def test_cfgtool_nodes_form() -> None:
    local_id, _, (link0, link1) = parse_cfgtool(sample("corosync-cfgtool", "nodes-n-flag.txt"))
    assert local_id == 1
    assert states(link0) == {2: "connected", 3: "connected"}
    assert states(link1) == {2: "connected", 3: "disconnected"}
    assert all(peer.enabled for peer in link1.peers)
    assert link1.address == "192.168.100.1"


# Layouts rendered from the printf calls of the corosync versions that printed them.
CFGTOOL_3_1_1 = (
    "Local node ID 2, transport knet\n"
    "LINK ID 0\n"
    "\taddr\t= 10.0.0.2\n"
    "\tstatus:\n"
    "\t\tnodeid:   1:\tconnected\n"
    "\t\tnodeid:   2:\tlocalhost\n"
)
CFGTOOL_UDPU = (
    "Local node ID 1, transport udpu\n"
    "LINK ID 0 \n"
    "\taddr\t= 10.0.0.1\n"
    "\tstatus:\n"
    "\t\tnodeid:          1:\tlocalhost\n"
    "\t\tnodeid:          2:\tconnected\n"
)
CFGTOOL_3_0_0 = (
    "Printing link status.\n"
    "Local node ID 1\n"
    "LINK ID 0\n"
    "\taddr\t= 10.0.0.1\n"
    "\tstatus:\n"
    "\t\tnodeid  1:\tlink enabled:1\tlink connected:1\n"
    "\t\tnodeid  2:\tlink enabled:1\tlink connected:0\n"
)
CFGTOOL_SCTP = (
    "Local node ID 1, transport knet\n"
    "LINK ID 0 sctp\n"
    "\taddr\t= 10.0.0.1\n"
    "\tstatus:\n"
    "\t\tnodeid:          1:\tlocalhost\n"
    "\t\tnodeid:          2:\tconnected\n"
    "**SCTP is deprecated and will be removed in a future release\n"
)


def test_cfgtool_other_layouts() -> None:
    assert parse_cfgtool(CFGTOOL_3_1_1)[2][0].peers[1].state == "localhost"
    _, transport, (link,) = parse_cfgtool(CFGTOOL_UDPU)
    assert (transport, link.transport, states(link)[2]) == ("udpu", None, "connected")
    (link,) = parse_cfgtool(CFGTOOL_3_0_0)[2]
    assert states(link) == {1: "connected", 2: "disconnected"}
    assert link.peers[1].enabled is True
    assert parse_cfgtool(CFGTOOL_SCTP)[2][0].transport == "sctp"


def test_cfgtool_keeps_unknown_node_states() -> None:
    text = CFGTOOL_UDPU.replace("\tconnected\n", "\tflapping\n")
    assert states(parse_cfgtool(text)[2][0])[2] == "flapping"


@pytest.mark.parametrize("text", [
    "",
    "Could not initialize corosync configuration API error 2\n",
    "Printing link status.\n",
    sample("corosync-quorumtool", "2node-quorate.txt"),
    CFGTOOL_UDPU[: CFGTOOL_UDPU.index("2:") + 2] + "\n",  # truncated in a node row
    CFGTOOL_UDPU[:-4],  # no final newline
    "Local node ID 1, transport knet\nLINK ID 0 udp\n\taddr\t= 10.0.0.1\n\tstatus:\n",
    "Local node ID 1, transport knet\nLINK ID 0 udp\n",
])
def test_cfgtool_rejects_garbage_and_truncation(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cfgtool(text)


# --------------------------------------------------------------------------- quorumtool


@pytest.mark.parametrize("case", cases("corosync-quorumtool"))
def test_every_quorumtool_sample_parses(case: str) -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", case))
    assert quorum.members and quorum.nodes == len(quorum.members)
    assert sum(m.local for m in quorum.members) == 1


def test_quorumtool_2node_quorate() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "2node-quorate.txt"))
    assert quorum.quorate is True and not quorum.blocked
    assert quorum.provider == "corosync_votequorum"
    assert (quorum.node_id, quorum.ring_id) == (1, "1.2d")
    assert (quorum.expected_votes, quorum.total_votes, quorum.quorum) == (2, 2, 1)
    assert quorum.flags == ("2Node", "Quorate", "WaitForAll")
    local, other = quorum.members
    assert (local.name, local.local, local.votes) == ("node1", True, 1)
    assert (other.node_id, other.name, other.local) == (2, "node2", False)
    assert quorum.qdevice_name is None


def test_quorumtool_not_quorate_activity_blocked() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "3node-isolated-not-quorate.txt"))
    assert quorum.quorate is False and quorum.blocked
    assert (quorum.quorum, quorum.total_votes, quorum.expected_votes) == (2, 1, 3)
    assert quorum.flags == ()
    assert [m.name for m in quorum.members] == ["hv-b"]


def test_quorumtool_one_node_down() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "3node-one-down-quorate.txt"))
    assert quorum.quorate and [m.node_id for m in quorum.members] == [1, 3]


def test_quorumtool_qdevice_column_and_votes() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "2node-qdevice.txt"))
    assert "Qdevice" in quorum.flags and quorum.total_votes == 3
    assert [m.qdevice for m in quorum.members] == ["A,V,NMW", "A,V,NMW"]
    assert (quorum.qdevice_name, quorum.qdevice_votes) == ("Qdevice", 1)
    assert 0 not in {m.node_id for m in quorum.members}


def test_quorumtool_qdevice_not_voting() -> None:
    text = sample("corosync-quorumtool", "2node-qdevice.txt").replace(
        "         0          1            Qdevice\n",
        "         0          0            Qdevice (votes 1)\n",
    ).replace("A,V,NMW node1", "A,NV,NMW node1")
    quorum = parse_quorumtool(text)
    assert (quorum.qdevice_name, quorum.qdevice_votes) == ("Qdevice", 0)
    assert quorum.members[0].qdevice == "A,NV,NMW"


def test_quorumtool_corosync_2_ring_id() -> None:
    quorum = parse_quorumtool(sample("corosync-quorumtool", "corosync-2-ring-id-format.txt"))
    assert quorum.ring_id == "1084783375/40"
    assert quorum.members[1].node_id == 1084783376


def test_quorumtool_without_votequorum() -> None:
    # display_quorum_data() returns before the votequorum and membership blocks.
    text = (
        "Quorum information\n"
        "------------------\n"
        "Date:             Wed Mar 13 10:21:07 2024\n"
        "Quorum provider:  Not configured\n"
        "Nodes:            2\n"
        "Node ID:          1\n"
        "Ring ID:          44\n"
        "Quorate:          Yes\n"
    )
    quorum = parse_quorumtool(text)
    assert quorum.provider == "Not configured" and quorum.quorate
    assert quorum.members == () and quorum.expected_votes is None


def test_quorumtool_hex_node_ids() -> None:
    text = sample("corosync-quorumtool", "2node-quorate.txt")
    text = text.replace("Node ID:          1\n", "Node ID:          0x00000001\n")
    text = text.replace("         1          1 node1", "0x00000001          1 node1")
    text = text.replace("         2          1 node2", "0x00000002          1 node2")
    quorum = parse_quorumtool(text)
    assert quorum.node_id == 1 and [m.node_id for m in quorum.members] == [1, 2]


@pytest.mark.parametrize("text", [
    "",
    "Cannot initialize CMAP service\n",
    sample("corosync-cfgtool", "3node-knet-all-connected.txt"),
    sample("corosync-quorumtool", "2node-quorate.txt").rsplit("         2", 1)[0],
    sample("corosync-quorumtool", "2node-quorate.txt").split("Membership")[0],
    sample("corosync-quorumtool", "2node-quorate.txt").replace("         2          1 node2\n", ""),
    sample("corosync-quorumtool", "2node-quorate.txt").replace(
        "         2          1 node2\n", "Unable to get node 2 info\n"),
])
def test_quorumtool_rejects_garbage_and_truncation(text: str) -> None:
    with pytest.raises(ParseError):
        parse_quorumtool(text)


# --------------------------------------------------------------------------- reader


def test_read_names_link_peers_from_the_membership() -> None:
    runner = ScriptedRunner({
        CFGTOOL.argv: sample("corosync-cfgtool", "2links-one-peer-link-down.txt"),
        QUORUMTOOL.argv: sample("corosync-quorumtool", "3node-one-down-quorate.txt"),
    }, node="hv-a")
    reading = corosync.read(runner)
    assert reading.status.ok and reading.value is not None
    status = reading.value
    assert (status.node, status.local_node_id, status.transport) == ("hv-a", 1, "knet")
    names = {p.node_id: p.name for p in status.links[1].peers}
    assert names == {1: "hv-a", 2: None, 3: "hv-c"}  # node 2 is not a member now
    assert status.quorum is not None and status.quorum.quorate


def test_read_not_quorate_exit_2_is_an_answer() -> None:
    runner = ScriptedRunner({
        CFGTOOL.argv: sample("corosync-cfgtool", "corosync-3.0-format.txt"),
        QUORUMTOOL.argv: CommandResult(
            QUORUMTOOL.argv,
            stdout=sample("corosync-quorumtool", "3node-isolated-not-quorate.txt"),
            returncode=2),
    })
    reading = corosync.read(runner)
    assert reading.status.ok and reading.value is not None
    assert reading.value.quorum is not None
    assert reading.value.quorum.quorate is False and reading.value.quorum.blocked


def test_read_faulty_ring_exit_1_is_an_answer() -> None:
    runner = ScriptedRunner({
        CFGTOOL.argv: CommandResult(
            CFGTOOL.argv,
            stdout=sample("corosync-cfgtool", "corosync-2-rrp-ring-faulty.txt"),
            returncode=1),
        QUORUMTOOL.argv: sample("corosync-quorumtool", "corosync-2-ring-id-format.txt"),
    })
    reading = corosync.read(runner)
    assert reading.status.ok and reading.value is not None
    assert reading.value.links[0].faulty


def test_read_corosync_not_installed() -> None:
    reading = corosync.read(ScriptedRunner({}))
    assert reading.value is None and reading.status.error is None
    assert reading.status.detail == corosync.NOT_INSTALLED


def test_read_corosync_not_running() -> None:
    runner = ScriptedRunner({
        CFGTOOL.argv: CommandResult(
            CFGTOOL.argv,
            stderr="Could not initialize corosync configuration API error 2\n",
            returncode=1),
        QUORUMTOOL.argv: CommandResult(
            QUORUMTOOL.argv, stderr="Cannot initialize CMAP service\n", returncode=1),
    })
    reading = corosync.read(runner)
    assert reading.value is None and reading.status.error is not None
    assert "Cannot initialize CMAP service" in reading.status.error


def test_read_one_tool_failing_keeps_the_other() -> None:
    runner = ScriptedRunner({
        QUORUMTOOL.argv: sample("corosync-quorumtool", "2node-qdevice.txt"),
        CFGTOOL.argv: "garbage\n",
    })
    reading = corosync.read(runner)
    assert reading.value is not None and reading.value.links == ()
    assert reading.value.local_node_id == 1  # from quorumtool's Node ID
    assert reading.status.error is not None
    assert "cannot parse corosync-cfgtool" in reading.status.error


def test_a_steady_node_reads_as_the_very_same_status_whatever_the_date() -> None:
    """quorumtool prints the time at the top: a steady node's output differs only there,
    poll after poll, and gives the very same status (not parsed again); a change that
    matters gives a new one."""
    cfg = sample("corosync-cfgtool", "2links-one-peer-link-down.txt")
    quorum = sample("corosync-quorumtool", "3node-one-down-quorate.txt")
    assert "\nDate:" in quorum

    def read(quorum_text: str) -> object:
        runner = ScriptedRunner({CFGTOOL.argv: cfg, QUORUMTOOL.argv: quorum_text},
                                node="hv-steady")
        return corosync.read(runner).value

    first = read(quorum)
    lines = quorum.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("Date:"))
    later = "".join([*lines[:at], "Date:             Thu Jan  1 00:00:09 2026\n",
                     *lines[at + 1:]])
    assert later != quorum and read(later) is first
    assert read(later.replace("Quorate:          Yes", "Quorate:          No")) != first
