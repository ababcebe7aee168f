"""Corosync links and quorum.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import CorosyncLinkPeer``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorosyncLinkPeer:
    node_id: int
    state: str
    """``localhost``, ``connected``, ``disconnected`` (3.x), or the corosync 2 ring
    status text."""
    name: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class CorosyncLink:
    link_id: int
    transport: str | None = None
    address: str | None = None
    peers: tuple[CorosyncLinkPeer, ...] = ()
    faulty: bool = False
    """corosync 2 RRP: the ring was marked FAULTY."""
    status: str | None = None
    """corosync 2 ring status line, or the brief status string."""


@dataclass(frozen=True)
class QuorumMember:
    node_id: int
    votes: int | None
    name: str
    local: bool = False
    qdevice: str | None = None


@dataclass(frozen=True)
class CorosyncQuorum:
    provider: str | None = None
    nodes: int | None = None
    node_id: int | None = None
    ring_id: str | None = None
    quorate: bool | None = None
    expected_votes: int | None = None
    highest_expected: int | None = None
    total_votes: int | None = None
    quorum: int | None = None
    blocked: bool = False
    """``Quorum: N Activity blocked``."""
    flags: tuple[str, ...] = ()
    members: tuple[QuorumMember, ...] = ()
    qdevice_name: str | None = None
    """The quorum device's own membership line (node id 0), when one is registered."""
    qdevice_votes: int | None = None
    """Votes the quorum device casts for this node now: 0 when it does not vote here."""


@dataclass(frozen=True)
class CorosyncStatus:
    """Corosync as one node sees it."""

    node: str
    local_node_id: int | None = None
    transport: str | None = None
    links: tuple[CorosyncLink, ...] = ()
    quorum: CorosyncQuorum | None = None
