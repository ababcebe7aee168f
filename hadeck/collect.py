"""Reading a whole cluster into one :class:`~hadeck.model.ClusterState`.

An :class:`Access` says how to reach the cluster: a runner for the local node and one for
any other node. Live, that is the local machine plus ssh; from a bundle, the recorded
outputs; in the lab, the simulated cluster. :func:`collect` is the same for all three:
Pacemaker and corosync on the local node tell who is in the cluster, then every node's own
facts (DRBD, guests, host, LVS and keepalived) are read in parallel, and guests are joined
to their resources. A source that fails leaves its reason in ``state.sources``; the rest
still shows.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hadeck.config import Config
from hadeck.join import join_guests, name_corosync_peers
from hadeck.model import (
    ClusterState,
    CorosyncStatus,
    DrbdResource,
    Guest,
    HostMetrics,
    LvsDirector,
    PacemakerState,
    SourceStatus,
    VrrpInstance,
)
from hadeck.redact import redact_state
from hadeck.runner import LocalRunner, Runner, SshRunner
from hadeck.sources import corosync, drbd, guests, host, keepalived, lvs, pacemaker
from hadeck.sources.base import Clock, Reading

MAX_PARALLEL = 16
"""Nodes read at once; ssh round trips dominate, not CPU."""
NOT_POLLED = "followed live by the caller: not polled"
"""The DRBD source's detail on a node the caller said it follows (``skip_drbd``)."""


class Access:
    """How hadeck reaches a cluster: a runner per node."""

    origin = "live"

    def __init__(self, local: Runner) -> None:
        self.local = local

    def runner(self, node: str) -> Runner:
        raise NotImplementedError

    def nodes(self) -> tuple[str, ...] | None:
        """The nodes to read, when the access knows them (a bundle does); else None."""
        return None

    def frozen_at(self) -> float | None:
        """The time a replayed state was taken; None for a live one."""
        return None


class LiveAccess(Access):
    """This machine, and the other nodes over the system ssh client."""

    def __init__(self, config: Config | None = None, local: Runner | None = None) -> None:
        config = config or Config()
        super().__init__(local or LocalRunner(timeout=config.timeout))
        self.config = config
        self._peers: dict[str, Runner] = {}

    def runner(self, node: str) -> Runner:
        if node == self.local.node:
            return self.local
        if node not in self._peers:
            self._peers[node] = SshRunner(node, options=self.config.ssh_options,
                                          timeout=self.config.timeout)
        return self._peers[node]


def is_unreachable(reading: Reading[Any]) -> bool:
    """Whether a source failed because the node itself could not be reached.

    The runner says so (``error_kind`` ``unreachable``: ssh could not connect, log in or
    finish, or the lab node is down); the message is not read.
    """
    return reading.error_kind == "unreachable"


@dataclasses.dataclass
class _NodeFacts:
    statuses: list[SourceStatus] = dataclasses.field(default_factory=list)
    drbd: tuple[DrbdResource, ...] = ()
    guests: tuple[Guest, ...] = ()
    host: HostMetrics | None = None
    lvs: LvsDirector | None = None
    vrrp: tuple[VrrpInstance, ...] = ()
    corosync: CorosyncStatus | None = None


def _read_node(runner: Runner, director: bool, read_drbd: bool = True) -> _NodeFacts:
    facts = _NodeFacts()

    def take(reading: Reading[Any]) -> Any:
        facts.statuses.append(reading.status)
        return reading.value

    host_reading = host.read(runner)
    facts.host = take(host_reading)
    first = facts.statuses[0]
    if is_unreachable(host_reading):
        # One reason for a dead node, not six: every other command would fail the same way.
        facts.statuses[0] = dataclasses.replace(first, source="node")
        return facts
    if read_drbd:
        facts.drbd = take(drbd.read(runner)) or ()
    else:
        take(Clock(drbd.SOURCE, runner.node).done((), detail=NOT_POLLED))
    facts.guests = take(guests.read(runner)) or ()
    facts.corosync = take(corosync.read(runner))
    director_reading = lvs.read(runner)
    vrrp_reading = keepalived.read(runner)
    facts.lvs = director_reading.value
    facts.vrrp = vrrp_reading.value or ()
    if director or (facts.lvs is not None and facts.lvs.services) or facts.vrrp:
        facts.statuses += [director_reading.status, vrrp_reading.status]
    elif director_reading.status.error is not None:
        facts.statuses.append(director_reading.status)
    return facts


def nodes_to_read(
    access: Access, pcmk: PacemakerState | None, config: Config
) -> tuple[str, ...]:
    """The local node first, then the cluster's nodes (if peers are read), then extras."""
    known = access.nodes()
    if known is not None:
        ordered = [access.local.node, *known]
    else:
        ordered = [access.local.node]
        if config.peers != "none" and pcmk is not None:
            ordered += [n.name for n in pcmk.nodes if n.type in ("member", "remote")]
        ordered += [*config.extra_nodes, *config.directors]
    return tuple(dict.fromkeys(ordered))


def collect(
    access: Access,
    config: Config | None = None,
    only: Sequence[str] | None = None,
    clock: Callable[[], float] = time.time,
    skip_drbd: Collection[str] = (),
) -> ClusterState:
    """Read every source once and return the state.

    Args:
        access: how to reach the nodes.
        config: site configuration (nodes, directors); the defaults when None.
        only: restrict to these node names (the check plugins read just the local node).
        clock: the time source for ``taken_at``.
        skip_drbd: nodes whose DRBD the caller follows live (the dashboard's events2
            streams): not read, their DRBD source says so and has no resources.
    """
    config = config or Config()
    taken_at = clock()
    pcmk_reading = pacemaker.read(access.local)
    pcmk = pcmk_reading.value
    nodes = nodes_to_read(access, pcmk, config)
    if only is not None:
        nodes = tuple(n for n in nodes if n in only)
    directors = set(config.directors)
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, max(1, len(nodes)))) as pool:
        per_node = list(pool.map(
            lambda n: _read_node(access.runner(n), n in directors, n not in skip_drbd),
            nodes))
    statuses = [pcmk_reading.status]
    all_drbd: list[DrbdResource] = []
    all_guests: list[Guest] = []
    hosts: list[HostMetrics] = []
    directors_seen: list[LvsDirector] = []
    rings: list[CorosyncStatus] = []
    for facts in per_node:
        statuses += facts.statuses
        all_drbd += facts.drbd
        all_guests += facts.guests
        if facts.host is not None:
            hosts.append(facts.host)
        if facts.corosync is not None:
            rings.append(facts.corosync)
        if facts.lvs is not None and (facts.lvs.services or facts.vrrp):
            directors_seen.append(dataclasses.replace(facts.lvs, vrrp=facts.vrrp))
    state = ClusterState(
        taken_at=taken_at,
        local_node=access.local.node,
        pacemaker=pcmk,
        drbd=tuple(all_drbd),
        guests=join_guests(all_guests, pcmk),
        lvs=tuple(directors_seen),
        corosync=name_corosync_peers(rings, pcmk),
        hosts=tuple(hosts),
        sources=tuple(statuses),
        origin=access.origin,
    )
    state = redact_state(state)  # no face ever holds a secret (hadeck/redact.py)
    frozen = access.frozen_at()
    return state if frozen is None else freeze(state, frozen)


def freeze(state: ClusterState, at: float) -> ClusterState:
    """A replayed state as of when it was recorded: its time and its sources' times."""
    return dataclasses.replace(
        state,
        taken_at=at,
        sources=tuple(dataclasses.replace(s, read_at=at) for s in state.sources),
    )
