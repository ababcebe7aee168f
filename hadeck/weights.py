"""LVS weights from real servers' load: a bounded formula, as a pure function.

The formula (:func:`compute`), for one real server whose configured weight is ``W``:

1. **Free capacity** ``free``, from 0 to 1: the scarcer of CPU and memory,

       cpu_free = 1 − load1 / (cpus × full_load)      (load1: the 1-minute laLoad)
       mem_free = memory available / memory total
       free     = clamp(min(cpu_free, mem_free), 0, 1)

   ``full_load`` (default 1.0) is the load per CPU at which a server counts as full. A
   value the agent does not serve is left out of the minimum (no memory answer: CPU
   alone); with neither, the server is treated as not answering.
2. **Raw weight** ``W × free``, rounded, then bounded: never below the **floor**
   (``floor`` percent of ``W``, and at least 1: a busy server is given less, never taken
   out — taking servers out is the health checker's job, not a load formula's) and
   never above the **ceiling** (``ceiling`` percent of ``W``).
3. **Hysteresis**: if the bounded weight differs from the weight the kernel has now by
   less than ``hysteresis`` percent of ``W``, the kernel's weight is kept, so that a load
   moving around a boundary does not make weights flap. A weight at the floor or the
   ceiling is always set, so that an idle server gets back to its full weight.

Kept as they are, and flagged:

- a real server whose agent did not answer (or answered garbage): it keeps its weight;
- a real server whose kernel weight is 0: the health checker (keepalived, ldirectord)
  took it out, or an operator drained it; a load formula must not put it back;
- a real server with no SNMP agent configured.

The result never exceeds 65535 (ipvsadm's largest weight) and, for keepalived's
``misc_dynamic`` (weight = exit code − 2), :data:`KEEPALIVED_MAX` is the most a
``MISC_CHECK`` can set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hadeck.model import LvsDirector, RealServer, SnmpReading, VirtualService
from hadeck.snmp.agent import SnmpAgent

IPVS_MAX = 65535
"""The largest weight ipvsadm accepts."""
KEEPALIVED_MAX = 253
"""The largest weight a ``misc_dynamic`` MISC_CHECK can set (exit code 255 − 2)."""


@dataclass(frozen=True)
class WeightRule:
    """The ``[weights]`` table: how load becomes a weight. Percentages are of the real
    server's configured weight."""

    base: int = 100
    """``weights.base``: the configured weight of a real server whose agent sets none."""
    floor: float = 10.0
    """``weights.floor``: the least weight, in percent (and never below 1)."""
    ceiling: float = 100.0
    """``weights.ceiling``: the most weight, in percent."""
    hysteresis: float = 10.0
    """``weights.hysteresis``: changes smaller than this, in percent, are not made."""
    full_load: float = 1.0
    """``weights.full_load``: the 1-minute load per CPU at which a server is full."""


@dataclass(frozen=True)
class Decision:
    """What one real server's weight should be, and why."""

    configured: int
    """The weight it has when idle (its agent's ``weight``, else keepalived.conf's, else
    ``[weights] base``)."""
    current: int | None
    """The kernel's weight now (None when not known: no hysteresis then)."""
    computed: int
    """The weight to set: equal to ``current`` when nothing should change."""
    free: float | None = None
    """Free capacity, 0–1, when it could be measured."""
    flag: str | None = None
    """Why the weight was kept without being computed (no answer, out of service …)."""

    @property
    def changes(self) -> bool:
        return self.current is not None and self.computed != self.current


def free_capacity(reading: SnmpReading, full_load: float = 1.0) -> float | None:
    """The free share (0–1) of the scarcer of CPU and memory; None when neither is known."""
    shares: list[float] = []
    if reading.load is not None:
        cpus = reading.cpu_count or 1
        shares.append(1.0 - reading.load[0] / (cpus * full_load))
    if reading.memory_total and reading.memory_available is not None:
        shares.append(reading.memory_available / reading.memory_total)
    if not shares:
        return None
    return min(1.0, max(0.0, min(shares)))


def compute(rule: WeightRule, configured: int, current: int | None,
            reading: SnmpReading | None) -> Decision:
    """A real server's weight from its load (the formula is in the module docstring).

    Args:
        rule: the ``[weights]`` settings.
        configured: the weight the server has when idle.
        current: the weight in the kernel's IPVS table now; None when not known.
        reading: what its SNMP agent answered; None when it has no agent.

    Returns:
        The decision; ``computed`` equals ``current`` whenever the weight is kept.
    """
    keep = current if current is not None else configured
    if current == 0:
        return Decision(configured, current, 0,
                        flag="out of service (weight 0): left to the health checker")
    if reading is None:
        return Decision(configured, current, keep, flag="no SNMP agent configured: kept")
    if reading.error is not None:
        return Decision(configured, current, keep,
                        flag=f"no answer ({reading.error_kind or 'failed'}): kept")
    free = free_capacity(reading, rule.full_load)
    if free is None:
        return Decision(configured, current, keep,
                        flag="agent serves neither load nor memory: kept")
    floor = max(1, math.ceil(configured * rule.floor / 100.0))
    ceiling = max(floor, math.floor(configured * rule.ceiling / 100.0))
    weight = min(IPVS_MAX, max(floor, min(ceiling, round(configured * free))))
    if current is not None and weight not in (floor, ceiling) \
            and abs(weight - current) < configured * rule.hysteresis / 100:
        weight = current
    return Decision(configured, current, weight, free=free)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class WeightRow:
    """One real server of one virtual service on one director, and its decision."""

    director: str
    service: VirtualService
    server: RealServer
    agent: str | None
    """The SNMP agent read for it (its configured name); None when there is none."""
    reading: SnmpReading | None
    decision: Decision

    def argv(self) -> tuple[str, ...]:
        """The ipvsadm command that sets the computed weight (``ipvsadm -e``)."""
        return ipvsadm_argv(self.service, self.server, self.decision.computed)


FORWARD_FLAGS = {"Route": "-g", "Masq": "-m", "Tunnel": "-i"}
"""ipvsadm's packet-forwarding option for each method: ``-e`` without one would reset
a NAT or tunnelled real server to direct routing."""


def ipvsadm_argv(service: VirtualService, server: RealServer, weight: int) -> tuple[str, ...]:
    """``ipvsadm -e -t VIP:PORT -r RS:PORT -g -w N`` for one real server of one service."""
    if service.protocol == "FWM":
        which = ("-f", service.address)
    else:
        option = {"TCP": "-t", "UDP": "-u", "SCTP": "--sctp-service"}.get(service.protocol,
                                                                           "-t")
        host = f"[{service.address}]" if service.ipv6 else service.address
        which = (option, f"{host}:{service.port}")
    forward = FORWARD_FLAGS.get(server.forward)
    return ("ipvsadm", "-e", *which, "-r", server.key,
            *((forward,) if forward else ()), "-w", str(weight))


def configured_weight(server: RealServer, agent: SnmpAgent | None, rule: WeightRule) -> int:
    """The weight a real server has when idle: its agent's ``weight``, else the one the
    director's keepalived.conf gives it, else ``[weights] base``."""
    if agent is not None and agent.weight is not None:
        return agent.weight
    if server.configured_weight is not None and server.configured_weight > 0:
        return server.configured_weight
    return rule.base


def agent_for(server: RealServer, agents: Sequence[SnmpAgent]) -> SnmpAgent | None:
    """The configured agent of a real server: the one whose address (or name) is the
    server's address."""
    for agent in agents:
        if agent.address == server.address or agent.name == server.address:
            return agent
    return None


def reading_for(server: RealServer, readings: Sequence[SnmpReading]) -> SnmpReading | None:
    """A real server's SNMP reading, by the same rule as :func:`agent_for`."""
    for reading in readings:
        if reading.address == server.address or reading.agent == server.address:
            return reading
    return None


def active_directors(directors: Sequence[LvsDirector]) -> tuple[LvsDirector, ...]:
    """The directors whose table carries the traffic: those where a keepalived VRRP
    instance is MASTER, else (no VRRP seen) every director with virtual services."""
    masters = tuple(d for d in directors if any(v.state == "MASTER" for v in d.vrrp))
    return masters or tuple(d for d in directors if d.services)


def plan(directors: Sequence[LvsDirector], agents: Sequence[SnmpAgent],
         readings: Sequence[SnmpReading], rule: WeightRule) -> list[WeightRow]:
    """Every real server of the active directors with its decision (pure).

    Args:
        directors: the LVS directors as read (kernel weights inside).
        agents: the configured SNMP agents (real servers are matched by address).
        readings: what the agents answered, by agent name.
        rule: the ``[weights]`` settings.
    """
    by_name = {r.agent: r for r in readings}
    rows: list[WeightRow] = []
    for director in active_directors(directors):
        for service in director.services:
            for server in service.real_servers:
                agent = agent_for(server, agents)
                reading = by_name.get(agent.name) if agent else None
                configured = configured_weight(server, agent, rule)
                rows.append(WeightRow(director.node, service, server,
                                      agent.name if agent else None, reading,
                                      compute(rule, configured, server.weight, reading)))
    return rows
