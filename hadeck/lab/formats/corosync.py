"""Corosync as its tools print it: ``corosync-cfgtool -s`` and ``corosync-quorumtool -s``.

The inverse of :mod:`hadeck.sources.corosync`, in the layout of corosync 3.1.7 (Debian
12), rendered from ``tools/corosync-cfgtool.c`` and ``tools/corosync-quorumtool.c``
(FORMATS.md, section g). Only the current layout is rendered: the lab plays a corosync 3
cluster, while the parser also reads corosync 2 and 3.0.

Time: quorumtool prints ``ctime()`` of the moment it ran, in the host's time zone. The
lab renders it in **UTC**, so that the same state and clock give the same text on every
machine; the parser does not read the date.
"""

from __future__ import annotations

import time

from hadeck.model import CorosyncQuorum, CorosyncStatus, QuorumMember

# --------------------------------------------------------------------------- cfgtool


def cfgtool(status: CorosyncStatus) -> str:
    """``corosync-cfgtool -s`` of corosync 3.1.5 and later.

    ``Local node ID N, transport T``, then per link ``LINK ID n <link transport>``, the
    local address and one ``nodeid: %10u:`` row per node of the nodelist, in node id
    order (cfgtool sorts them). A link without a transport (corosync's udp/udpu, where
    cfgtool prints an empty word) keeps the trailing blank after its id.

    Args:
        status: corosync as one node sees it; ``transport`` None prints ``knet``, the
            default cfgtool assumes too.

    Returns:
        The output text.
    """
    local = status.local_node_id if status.local_node_id is not None else 0
    lines = [f"Local node ID {local}, transport {status.transport or 'knet'}"]
    for link in sorted(status.links, key=lambda link: link.link_id):
        lines.append(f"LINK ID {link.link_id} {link.transport or ''}")
        lines.append(f"\taddr\t= {link.address or ''}")
        lines.append("\tstatus:")
        for peer in sorted(link.peers, key=lambda peer: peer.node_id):
            lines.append(f"\t\tnodeid: {peer.node_id:10d}:\t{peer.state}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- quorumtool

# The order in which votequorum's flags are printed (display_quorum_data).
_FLAG_ORDER = (
    "2Node", "Quorate", "WaitForAll", "LastManStanding", "AutoTieBreaker",
    "AllowDownscale", "Qdevice",
)

# The quorum device's node id in the membership list (VOTEQUORUM_QDEVICE_NODEID).
_QDEVICE_NODEID = 0


def _padded(value: object) -> str:
    """quorumtool's ``print_string_padded``: right-aligned in 10 columns, then a blank."""
    return f"{value!s:>10} "


def _date(now: float) -> str:
    # time.asctime has exactly ctime()'s layout: "Wed Mar  3 10:21:07 2024".
    return time.asctime(time.gmtime(now))


def _flags(flags: tuple[str, ...]) -> str:
    known = [flag for flag in _FLAG_ORDER if flag in flags]
    others = [flag for flag in flags if flag not in _FLAG_ORDER]
    return "".join(f"{flag} " for flag in (*known, *others))


def _member_row(member: QuorumMember, votes: bool, qdevice: bool) -> str:
    row = _padded(member.node_id)
    if votes:
        row += _padded(member.votes if member.votes is not None else 0)
        if qdevice:
            row += _padded(member.qdevice or "NR")
    return row + member.name + (" (local)" if member.local else "")


def _membership(quorum: CorosyncQuorum, votes: bool) -> list[str]:
    qdevice = quorum.qdevice_name is not None or any(
        m.qdevice is not None for m in quorum.members
    )
    header = _padded("Nodeid")
    if votes:
        header += _padded("Votes") + (_padded("Qdevice") if qdevice else "")
    lines = ["", "Membership information", "----------------------", header + "Name"]
    lines.extend(_member_row(member, votes, qdevice) for member in quorum.members)
    if quorum.qdevice_name is not None:
        cast = bool(quorum.qdevice_votes)
        line = _padded(_QDEVICE_NODEID) + _padded(quorum.qdevice_votes or 0)
        line += "           " + quorum.qdevice_name
        if not cast:
            # quorumtool shows 0 votes and the device's real vote count in parentheses;
            # the model keeps only the 0, so the count is assumed to be 1.
            line += " (votes 1)"
        lines.append(line)
    return lines


def quorumtool(quorum: CorosyncQuorum, now: float) -> str:
    """``corosync-quorumtool -s`` of corosync 3.1.7.

    The quorum block, the votequorum block (when the provider is votequorum: expected
    and total votes, ``Quorum: N`` followed by a blank, or by ``Activity blocked`` when
    ``blocked``, and the flags, each followed by a blank), and the membership list with
    columns right-aligned to 10 and the local node marked ``(local)``. Members are
    printed in the given order: quorumtool keeps corosync's order by default.

    Args:
        quorum: the quorum as the node sees it.
        now: the time of the answer, printed as ``Date:`` in ctime() form, in UTC.

    Returns:
        The output text. The exit code (2 when not quorate) is the caller's.
    """
    votequorum = quorum.provider == "corosync_votequorum"
    nodes = quorum.nodes if quorum.nodes is not None else len(quorum.members)
    lines = [
        "Quorum information",
        "------------------",
        f"Date:             {_date(now)}",
        f"Quorum provider:  {quorum.provider or 'Not configured'}",
        f"Nodes:            {nodes}",
    ]
    if quorum.node_id is not None:
        lines.append(f"Node ID:          {quorum.node_id}")
    lines += [
        f"Ring ID:          {quorum.ring_id or ''}",
        f"Quorate:          {'Yes' if quorum.quorate else 'No'}",
    ]
    if votequorum:
        total = quorum.total_votes
        if total is None:
            total = sum(m.votes or 0 for m in quorum.members)
        expected = quorum.expected_votes if quorum.expected_votes is not None else total
        highest = quorum.highest_expected if quorum.highest_expected is not None else expected
        needed = quorum.quorum if quorum.quorum is not None else expected // 2 + 1
        lines += [
            "",
            "Votequorum information",
            "----------------------",
            f"Expected votes:   {expected}",
            f"Highest expected: {highest}",
            f"Total votes:      {total}",
            f"Quorum:           {needed} {'Activity blocked' if quorum.blocked else ' '}",
            f"Flags:            {_flags(quorum.flags)}",
        ]
        lines += _membership(quorum, votes=True)
    return "\n".join(lines) + "\n"
