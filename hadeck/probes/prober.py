"""One ping probe run per poll, from every node at once, into the state.

:class:`PingProber` is kept by whoever polls (the dashboard's poller, ``hadeck status``
for one run, ``check_hadeck_pingd --probe``): it pings, from each node
(:func:`hadeck.probes.targets.probing_nodes`), the hosts :func:`targets_for` names, all
nodes in parallel, and returns the state with its ``pings``. It remembers, per node and
host, since when the host has been reached (or not): the health rules need that to tell
a ``pingd`` score that is late (within the agent's ``dampen``) from one that is wrong.
A single run knows no history: its probes' ``since`` is None.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from hadeck.config import Config
from hadeck.model import ClusterState, PingProbe
from hadeck.probes.ping import DEFAULT_SETTINGS, PingSettings, Target, ping
from hadeck.probes.targets import probing_nodes, targets_for
from hadeck.runner import Runner

if TYPE_CHECKING:  # collect reads every source: not imported for a type
    from hadeck.collect import Access

MAX_NODES = 16
"""Nodes probed at once."""


class PingProber:
    """Pings from every node, once per :meth:`probe`; remembers each host's changes.

    Args:
        settings: echoes per host, interval, timeout.
        hosts: configured hosts to ping besides the CIB's ping nodes.
        links: ping the other nodes' corosync link addresses too.
        history: keep since-when per host across calls (a poller); False for one run.
        clock: the time source for ``since``.
    """

    def __init__(self, settings: PingSettings = DEFAULT_SETTINGS, hosts: Sequence[str] = (),
                 links: bool = True, history: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.hosts = tuple(hosts)
        self.links = links
        self.history = history
        self.clock = clock
        self._seen: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def probe(self, state: ClusterState, runner_for: Callable[[str], Runner]) -> ClusterState:
        """``state`` with the probes made now from its nodes (``runner_for(node)``).

        Never raises: a node that cannot run them gives probes with ``error``.
        """
        nodes = probing_nodes(state)
        plans = [(n, targets_for(n, state, self.hosts, self.links)) for n in nodes]
        plans = [(n, t) for n, t in plans if t]
        if not plans:
            return state
        now = self.clock()
        with ThreadPoolExecutor(max_workers=min(MAX_NODES, len(plans)),
                                thread_name_prefix="probe") as pool:
            done = list(pool.map(lambda plan: self._node(runner_for, *plan), plans))
        pings = tuple(p for probes in done for p in probes)
        return dataclasses.replace(state, pings=self._stamp(pings, now))

    def _node(self, runner_for: Callable[[str], Runner], node: str,
              targets: Sequence[Target]) -> tuple[PingProbe, ...]:
        try:
            return ping(runner_for(node), targets, self.settings)
        except Exception as exc:  # a bug of ours is one reason per host, not a dead poll
            return tuple(PingProbe(node, t.host, error=f"probe failed: {exc}", roles=t.roles)
                         for t in targets)

    def _stamp(self, pings: Sequence[PingProbe], now: float) -> tuple[PingProbe, ...]:
        if not self.history:
            return tuple(pings)
        out = []
        with self._lock:
            for probe in pings:
                key = (probe.node, probe.host)
                if probe.error is not None:
                    out.append(probe)  # not measured: neither a change nor a confirmation
                    continue
                seen = self._seen.get(key)
                if seen is None or seen[0] != probe.reached:
                    # The first sight is a lower bound: it may have been so for longer,
                    # which only ever makes a late score look late, never wrong too soon.
                    seen = self._seen[key] = (probe.reached, now)
                out.append(dataclasses.replace(probe, since=seen[1]))
        return tuple(out)


def prober_for(config: Config, history: bool = True) -> PingProber:
    """The prober the configuration describes (``[probes]``)."""
    return PingProber(PingSettings(count=config.probe_count, timeout=config.probe_timeout),
                      config.probe_hosts, config.probe_links, history)


def probe_state(state: ClusterState, access: Access, config: Config,
                prober: PingProber | None = None) -> ClusterState:
    """``state`` with this poll's pings, for a face that asked for them.

    A replayed bundle is never probed (its moment is past; pinging now would mix two
    times): its state is returned as it is.

    Args:
        state: what :func:`hadeck.collect.collect` read.
        access: how the nodes were reached (their runners ping).
        config: ``[probes]``.
        prober: a prober kept across polls (history); None: a single run.
    """
    if access.frozen_at() is not None:
        return state
    return (prober or prober_for(config, history=False)).probe(state, access.runner)
