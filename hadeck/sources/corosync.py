"""Corosync: link (ring) status from ``corosync-cfgtool -s``, quorum from
``corosync-quorumtool -s``.

corosync-cfgtool changed its layout in nearly every minor release, and one parser reads
them all (the layouts are in the shared FORMATS.md, section g):

- 3.1.5 and later: ``Local node ID 1, transport knet``, ``LINK ID 0 udp``, node ids
  padded to ten columns, ``localhost`` / ``connected`` / ``disconnected``;
- 3.1.1 to 3.1.4: the same without the link transport;
- 3.0.x: ``Printing link status.``, ``nodeid  2:`` rows (3.0.0 printed
  ``link enabled:1<TAB>link connected:1`` there), or ``status = OK`` for udp/udpu;
- corosync 2 (totem RRP): ``Printing ring status.``, ``RING ID 0`` with an ``id`` and a
  status sentence that says ``FAULTY`` when the ring failed;
- ``-b`` (brief) status strings and ``-n`` (per node) output.

Corosync only knows node ids; the names come from the quorumtool membership list, which
prints them from the nodelist.
"""

from __future__ import annotations

import re

from hadeck.model import (
    CorosyncLink,
    CorosyncLinkPeer,
    CorosyncQuorum,
    CorosyncStatus,
    QuorumMember,
)
from hadeck.record import FACTORY, field, record, replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import (
    Clock,
    NodeParses,
    ParseError,
    Reading,
    never_raises,
    parsed,
    whole,
)

CFGTOOL = Command("corosync/cfgtool-s.txt", ("corosync-cfgtool", "-s"))
QUORUMTOOL = Command("corosync/quorumtool-s.txt", ("corosync-quorumtool", "-s"))

COMMANDS: tuple[Command, ...] = (CFGTOOL, QUORUMTOOL)

QUORUMTOOL_OK_CODES = (0, 2)
"""corosync-quorumtool exits 2 when the node is not quorate: still a full answer."""

NOT_INSTALLED = "corosync not installed (no corosync-cfgtool, no corosync-quorumtool)"


# --------------------------------------------------------------------------- cfgtool

# The usual form's lines are read with str methods, each helper exactly as the pattern in
# its docstring (``\\s`` is str.isspace, ``\\d`` str.isdecimal; a line of splitlines has
# no line break): compiling them cost more than reading a cluster's lines (issue 15).


def _decimal_run(text: str) -> int:
    """How many decimal digits (``\\d``) start the text."""
    end = 0
    while end < len(text) and text[end].isdecimal():
        end += 1
    return end


def _word_run(text: str) -> int:
    """How many characters other than blanks (``\\S``) start the text."""
    end = 0
    while end < len(text) and not text[end].isspace():
        end += 1
    return end


def _local(line: str) -> tuple[str, str | None] | None:
    """``^Local node ID (\\d+)(?:, transport (\\S+))?\\s*$``: the id and the transport."""
    if not line.startswith("Local node ID "):
        return None
    rest = line[14:]
    end = _decimal_run(rest)
    if end == 0:
        return None
    node_id, rest = rest[:end], rest[end:]
    if rest.startswith(", transport "):
        after = rest[12:]
        end = _word_run(after)
        if end and not after[end:].strip():
            return node_id, after[:end]
    return (node_id, None) if not rest.strip() else None


def _link(line: str) -> tuple[str, str | None] | None:
    """``^(LINK|RING) ID (\\d+)(?: (\\S*))?\\s*$``: the link id and the word after it."""
    if not (line.startswith("LINK ID ") or line.startswith("RING ID ")):
        return None
    rest = line[8:]
    end = _decimal_run(rest)
    if end == 0:
        return None
    link_id, rest = rest[:end], rest[end:]
    if rest.startswith(" "):
        after = rest[1:]
        end = _word_run(after)
        if not after[end:].strip():
            return link_id, after[:end]
    return (link_id, None) if not rest.strip() else None


def _key_value(line: str) -> tuple[str, str] | None:
    """``^\\s+(addr|id|status)\\s*=\\s*(.*?)\\s*$``: the key and its value."""
    if not line[:1].isspace():
        return None
    text = line.lstrip()
    for key in ("addr", "id", "status"):
        if text.startswith(key):
            rest = text[len(key):].lstrip()
            if rest.startswith("="):
                return key, rest[1:].strip()
            return None
    return None


def _status_header(line: str) -> bool:
    """``^\\s+status:\\s*$``."""
    return line[:1].isspace() and line.strip() == "status:"


def _node(line: str) -> tuple[str, str] | None:
    """``^\\s+nodeid:?\\s*(\\d+):\\s*(.*?)\\s*$``: the node id and its state."""
    if not line[:1].isspace():
        return None
    text = line.lstrip()
    if not text.startswith("nodeid"):
        return None
    rest = text[6:]
    rest = (rest[1:] if rest.startswith(":") else rest).lstrip()
    end = _decimal_run(rest)
    if end == 0 or rest[end:end + 1] != ":":
        return None
    return rest[:end], rest[end + 1:].strip()


# The other output forms' patterns compile on first use (``re`` caches them), each behind
# a test of the literal it starts with: the usual form never pays for them (issue 15).
_NODE_ENABLED = r"^link enabled:(\d)\s+link connected:(\d)$"
_REACHABLE = r"^nodeid: (\d+) reachable\b"
_NODE_LINK = r"^\s+LINK: (\d+) (\S*) ?\((.*?)\)(.*?) mtu: \d+\s*$"
_BANNERS = ("Printing ring status.", "Printing link status.")


@record()
class _Link:
    """A link while its lines are read."""

    link_id: int
    transport: str | None = None
    address: str | None = None
    status: str | None = None
    has_status_block: bool = False
    peers: list[CorosyncLinkPeer] = field(default_factory=list)

    def freeze(self) -> CorosyncLink:
        if self.has_status_block and not self.peers:
            raise ParseError(f"link {self.link_id} has a status block without nodes")
        if self.status is None and not self.has_status_block and not self.peers:
            raise ParseError(f"link {self.link_id} has no status (truncated output?)")
        return CorosyncLink(
            link_id=self.link_id,
            transport=self.transport,
            address=self.address,
            peers=tuple(self.peers),
            faulty=self.status is not None and "FAULTY" in self.status,
            status=self.status,
        )

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("link_id", "transport", "address", "status", "has_status_block", "peers")

    def __init__(self, link_id: int, transport: str | None = None, address: str | None = None,
                 status: str | None = None, has_status_block: bool = False,
                 peers: list[CorosyncLinkPeer] = FACTORY) -> None:
        object.__setattr__(self, "link_id", link_id)
        object.__setattr__(self, "transport", transport)
        object.__setattr__(self, "address", address)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "has_status_block", has_status_block)
        object.__setattr__(self, "peers", list() if peers is FACTORY else peers)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(link_id={self.link_id!r}, "
                f"transport={self.transport!r}, address={self.address!r}, status={self.status!r}, "
                f"has_status_block={self.has_status_block!r}, peers={self.peers!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.link_id, self.transport, self.address, self.status, self.has_status_block,
                 self.peers)
                == (other.link_id, other.transport, other.address, other.status,
                    other.has_status_block, other.peers))
    # End of generated code.


def parse_cfgtool(text: str) -> tuple[int | None, str | None, tuple[CorosyncLink, ...]]:
    """Parse ``corosync-cfgtool -s`` (also ``-s -b`` and ``-n``) of corosync 2 and 3.

    Returns:
        ``(local_node_id, transport, links)``. The transport is only printed by 3.1 and
        later (``knet``, ``udp``, ``udpu``). With ``-b`` each link's ``status`` holds the
        brief string (``n33``: one character per node in node id order) and no peers,
        since the brief form does not print node ids. With ``-n`` the local node is not
        listed and every peer carries ``enabled``.

    Raises:
        ParseError: empty, truncated, an error message instead of a status, or another
            tool's output.
    """
    if not text.strip():
        raise ParseError("empty corosync-cfgtool output")
    if not text.endswith("\n"):
        raise ParseError("corosync-cfgtool output is truncated (no final newline)")
    local_id: int | None = None
    transport: str | None = None
    links: dict[int, _Link] = {}
    current: _Link | None = None
    reachable: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("**") or line in _BANNERS:
            continue
        if local := _local(line):
            local_id, transport = whole(local[0], "local node id"), local[1]
        elif link := _link(line):
            link_id = whole(link[0], "link id")
            current = links.setdefault(link_id, _Link(link_id, link[1] or None))
        elif line.startswith("nodeid: ") and (match := re.match(_REACHABLE, line)):
            reachable = whole(match.group(1), "node id")
        elif "LINK: " in line and (match := re.match(_NODE_LINK, line)):
            _node_link(links, reachable, match, line)
        elif current is not None and _link_line(current, line):
            continue
        else:
            raise ParseError(f"unexpected line in corosync-cfgtool output: {line[:100]!r}")
    if local_id is None and not links:
        raise ParseError("no local node id and no links in corosync-cfgtool output")
    return local_id, transport, tuple(link.freeze() for link in links.values())


def _link_line(link: _Link, line: str) -> bool:
    """Read one indented line of a LINK/RING block; False when it is not one."""
    if key_value := _key_value(line):
        key, value = key_value
        if key == "status":
            link.status = value
        else:
            link.address = value
        return True
    if _status_header(line):
        link.has_status_block = True
        return True
    if node := _node(line):
        if not node[1]:
            raise ParseError(f"node {node[0]} has no state (truncated output?)")
        link.peers.append(_peer(whole(node[0], "node id"), node[1]))
        return True
    return False


def _peer(node_id: int, text: str) -> CorosyncLinkPeer:
    if text.startswith("link enabled:") and (match := re.match(_NODE_ENABLED, text)):
        connected = match.group(2) == "1"
        return CorosyncLinkPeer(node_id, "connected" if connected else "disconnected",
                                enabled=match.group(1) == "1")
    if text.endswith("(not enabled)"):
        return CorosyncLinkPeer(node_id, text[: -len("(not enabled)")].strip(), enabled=False)
    return CorosyncLinkPeer(node_id, text)


def _node_link(
    links: dict[int, _Link], node_id: int | None, match: re.Match[str], line: str
) -> None:
    if node_id is None:
        raise ParseError(f"LINK line before any nodeid line: {line!r}")
    link_id, transport, addresses, words = match.groups()
    number = whole(link_id, "link id")
    link = links.setdefault(number, _Link(number, transport or None))
    link.address = link.address or addresses.split("->")[0]
    flags = words.split()
    link.peers.append(CorosyncLinkPeer(
        node_id,
        "connected" if "connected" in flags else "disconnected",
        enabled="enabled" in flags,
    ))


# --------------------------------------------------------------------------- quorumtool

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")


def _field(line: str) -> tuple[str, str] | None:
    """``^([A-Z][A-Za-z ]*?):\\s*(.*?)\\s*$``: a field's name and value (str methods)."""
    name, colon, value = line.partition(":")
    if not colon or not name or not "A" <= name[0] <= "Z" or not _NAME_CHARS.issuperset(name):
        return None
    return name, value.strip()
_QDEVICE_VOTES = r"\(votes [0-9]+\)$"  # compiled on first use: a quorum device is rare


def _node_id(text: str) -> int:
    """A node id as quorumtool prints it: decimal, or ``0x%08x`` with ``-H``."""
    if (3 <= len(text) <= 10 and text[0] == "0" and text[1] in "xX" and text.isascii()
            and all(c in "0123456789abcdefABCDEF" for c in text[2:])):
        return int(text, 16)
    return whole(text, "node id")


def _cell_int(text: str, what: str) -> int:
    return whole(text, what)


def _number(fields: dict[str, str], key: str) -> int | None:
    if key not in fields:
        return None
    value = fields[key].split()[0] if fields[key].split() else ""
    return whole(value, key)


def parse_quorumtool(text: str) -> CorosyncQuorum:
    """Parse ``corosync-quorumtool -s`` (corosync 2 and 3, with or without votequorum).

    ``blocked`` is set by ``Quorum: N Activity blocked``. The ring id is kept as printed:
    ``1.2d`` (3.0.3 and later, hex) or ``1084783375/40`` (before). A quorum device's own
    membership line (node id 0) goes to ``qdevice_name`` / ``qdevice_votes``, not to the
    members.

    Raises:
        ParseError: not quorumtool output, truncated, or a member row that is not one.
    """
    if not text.endswith("\n") or "Quorum information" not in text:
        raise ParseError("not corosync-quorumtool output (no 'Quorum information' block)")
    head, _, membership = text.partition("\nMembership information\n")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        if field := _field(line):
            fields[field[0]] = field[1]
    if "Quorate" not in fields:
        raise ParseError("corosync-quorumtool output has no 'Quorate:' line (truncated?)")
    votequorum = "Votequorum information" in head
    if votequorum and ("Flags" not in fields or not membership):
        raise ParseError("corosync-quorumtool output is truncated in the votequorum block")
    quorum = CorosyncQuorum(
        provider=fields.get("Quorum provider"),
        nodes=_number(fields, "Nodes"),
        node_id=_node_id(fields["Node ID"]) if "Node ID" in fields else None,
        ring_id=fields.get("Ring ID"),
        quorate={"Yes": True, "No": False}.get(fields["Quorate"]),
        expected_votes=_number(fields, "Expected votes"),
        highest_expected=_number(fields, "Highest expected"),
        total_votes=_number(fields, "Total votes"),
        quorum=_number(fields, "Quorum"),
        blocked="Activity blocked" in fields.get("Quorum", ""),
        flags=tuple(fields.get("Flags", "").split()),
    )
    if membership:
        quorum = _with_members(quorum, membership)
    return quorum


def _with_members(quorum: CorosyncQuorum, block: str) -> CorosyncQuorum:
    lines = [line for line in block.splitlines() if line.strip()]
    dashes = lines[0].strip() if lines else ""
    if len(lines) < 2 or not dashes or dashes.strip("-"):
        raise ParseError("membership block has no header (truncated output?)")
    columns = lines[1].split()
    if not columns or columns[0] != "Nodeid" or columns[-1] != "Name":
        raise ParseError(f"unexpected membership header: {lines[1]!r}")
    members: list[QuorumMember] = []
    qdevice_name: str | None = None
    qdevice_votes: int | None = None
    for row in lines[2:]:
        parts = row.split(None, len(columns) - 1)
        node_id = _node_id(parts[0])
        if node_id == 0 and "Votes" in columns:
            # The quorum device's own line: its cell in the Qdevice column is blank.
            if len(parts) < 2:
                raise ParseError(f"quorum device row has no votes: {row[:80]!r}")
            votes_text, _, name = row.split(None, 1)[1].partition(" ")
            qdevice_votes = _cell_int(votes_text, "Qdevice votes")
            # Not "\s*\(votes…": a blank run before it made the search quadratic.
            qdevice_name = re.sub(_QDEVICE_VOTES, "", name.strip()).rstrip()
            continue
        members.append(_member(columns, parts, node_id, row))
    if quorum.nodes is not None and len(members) != quorum.nodes:
        raise ParseError(
            f"membership lists {len(members)} nodes, 'Nodes:' says {quorum.nodes} (truncated?)"
        )
    return replace(quorum, members=tuple(members), qdevice_name=qdevice_name,
                   qdevice_votes=qdevice_votes)


def _member(columns: list[str], parts: list[str], node_id: int, row: str) -> QuorumMember:
    cells = dict(zip(columns, parts, strict=False))
    if len(parts) < len(columns) - 1:
        raise ParseError(f"membership row has too few columns: {row!r}")
    name = cells.get("Name", "")
    local = name.endswith(" (local)") or name == "(local)"
    if local:
        name = name[: -len("(local)")].rstrip()
    votes = _cell_int(cells["Votes"], "Votes") if "Votes" in cells else None
    return QuorumMember(node_id=node_id, votes=votes, name=name, local=local,
                        qdevice=cells.get("Qdevice"))


# --------------------------------------------------------------------------- reading


def _read_cfgtool(
    result: CommandResult, node: str,
) -> tuple[tuple[int | None, str | None, tuple[CorosyncLink, ...]] | None, str | None]:
    # corosync 2 and 3.0 exit 1 when a ring or link is FAULTY, and still print it all.
    ok_codes = (0, 1) if "FAULTY" in result.stdout else (0,)
    return parsed(result, lambda text: _cfgtools(text, node), ok_codes)


def name_links(
    links: tuple[CorosyncLink, ...], quorum: CorosyncQuorum | None
) -> tuple[CorosyncLink, ...]:
    """Give link peers the node names of the quorumtool membership list, where known."""
    names = {m.node_id: m.name for m in quorum.members if m.name} if quorum else {}
    return tuple(
        replace(link, peers=tuple(replace(p, name=names.get(p.node_id, p.name))
                                  for p in link.peers))
        for link in links
    )


_cfgtools = NodeParses(lambda text, _node: parse_cfgtool(text))
_quorumtools = NodeParses(lambda text, _node: parse_quorumtool(text))
"""Each node's last parse of each tool: a steady cluster prints the same every poll
(quorumtool but for its ``Date:`` line), and the same text gives the very same value."""
_DATE_LINE = re.compile(
    r"^Date: +[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\n",
    re.MULTILINE)
"""quorumtool's time of printing (corosync 3), which :func:`parse_quorumtool` ignores."""
_statuses: dict[str, tuple[object, object, CorosyncStatus]] = {}
"""Node → the last status and the very parses it was made of."""


def _quorumtool(text: str, node: str) -> CorosyncQuorum:
    return _quorumtools(text, node, key=_DATE_LINE.sub("", text, count=1))


def _status(node: str, cfg: tuple[int | None, str | None, tuple[CorosyncLink, ...]] | None,
            quorum: CorosyncQuorum | None) -> CorosyncStatus:
    """The node's status of these parses: the very same one as last time if they are."""
    last = _statuses.get(node)
    if last is not None and last[0] is cfg and last[1] is quorum:
        return last[2]
    local_id, transport, links = cfg if cfg is not None else (None, None, ())
    if local_id is None and quorum is not None:
        local_id = quorum.node_id
    status = CorosyncStatus(
        node=node,
        local_node_id=local_id,
        transport=transport,
        links=name_links(links, quorum),
        quorum=quorum,
    )
    if last is None and len(_statuses) >= 256:
        _statuses.clear()
    _statuses[node] = (cfg, quorum, status)
    return status


@never_raises("corosync")
def read(runner: Runner) -> Reading[CorosyncStatus]:
    """Read corosync's links and quorum on the runner's node. Never raises.

    When one of the two tools fails, the other's part is still returned, with the
    failure in the status's ``error``.
    """
    clock = Clock("corosync", runner.node)
    cfg_result, quorum_result = runner.fetch(CFGTOOL), runner.fetch(QUORUMTOOL)
    if cfg_result.missing and quorum_result.missing:
        # Not an error: LVS directors and other non-members run no corosync. On a
        # cluster member Pacemaker's own view says whether the node is in the cluster.
        return Reading(None, clock.status(detail=NOT_INSTALLED))
    node = runner.node
    cfg, cfg_error = _read_cfgtool(cfg_result, node)
    quorum, quorum_error = parsed(quorum_result, lambda text: _quorumtool(text, node),
                                  QUORUMTOOL_OK_CODES)
    errors = "; ".join(e for e in (cfg_error, quorum_error) if e is not None) or None
    detail = "corosync-cfgtool -s, corosync-quorumtool -s"
    if cfg is None and quorum is None:
        kind = cfg_result.error_kind or quorum_result.error_kind
        return clock.failed(errors or "no answer", detail, kind)
    return Reading(_status(node, cfg, quorum), clock.status(error=errors, detail=detail))
