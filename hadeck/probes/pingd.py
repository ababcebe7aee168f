"""The score the ping resource agent should be writing, from hadeck's own probes: pure.

``ocf:pacemaker:ping`` (Pacemaker's agent, /usr/lib/ocf/resource.d/pacemaker/ping) pings
each host of its ``host_list`` from the node it runs on (``attempts`` echoes, default 3;
a host that answers any of them counts), and writes ``multiplier`` × hosts reached
(default multiplier 1) into the node attribute ``name`` (default ``pingd``) through
attrd with ``dampen`` (default 5 s): attrd waits that long after a change before the CIB
sees it, so Pacemaker's copy lags by up to the agent's monitor interval plus ``dampen``.
A score below ``failure_score`` (default 0: never) fails the agent's monitor on that
node as well. The older agents (``ocf:pacemaker:pingd``, ``ocf:heartbeat:pingd``) are
the same in these respects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hadeck.model import PacemakerState, PingProbe, PrimitiveConfig

PING_AGENTS = ("ocf:pacemaker:ping", "ocf:pacemaker:pingd", "ocf:heartbeat:pingd")
DEFAULT_DAMPEN_S = 5.0
MONITOR_INTERVAL_S = 10.0
"""The agent's advertised monitor interval; the CIB's ``op monitor`` is not read, so a
disagreement younger than this plus ``dampen`` is taken for lag."""

_DURATION = re.compile(r"(\d{1,9})\s*(ms|msec|s|sec|m|min|h|hr)?")
_SCALE = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "msec": 0.001, "m": 60.0,
          "min": 60.0, "h": 3600.0, "hr": 3600.0}


@dataclass(frozen=True)
class PingAgent:
    """One configured ping resource: what it pings and how it scores."""

    resource: str
    hosts: tuple[str, ...]
    attribute: str = "pingd"
    multiplier: int = 1
    dampen_s: float = DEFAULT_DAMPEN_S
    failure_score: int = 0

    @property
    def full_score(self) -> int:
        """The score with every host reached."""
        return self.multiplier * len(self.hosts)

    @property
    def max_lag_s(self) -> float:
        """How long Pacemaker's copy may trail a change and still be only late."""
        return MONITOR_INTERVAL_S + self.dampen_s


def _int(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return int(text.strip())
    except ValueError:
        return default


def duration_s(text: str | None, default: float = DEFAULT_DAMPEN_S) -> float:
    """A Pacemaker duration as the agent takes ``dampen`` (``5s``, ``5``, ``1m``)."""
    if text is None:
        return default
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        return default
    return int(match[1]) * _SCALE[match[2]]


def agent_of(primitive: PrimitiveConfig) -> PingAgent | None:
    """The ping agent a primitive configures; None when it is not one."""
    if primitive.agent not in PING_AGENTS:
        return None
    params = primitive.params
    return PingAgent(
        resource=primitive.id,
        hosts=tuple(params.get("host_list", "").split()),
        attribute=params.get("name", "pingd") or "pingd",
        multiplier=_int(params.get("multiplier"), 1),
        dampen_s=duration_s(params.get("dampen")),
        failure_score=_int(params.get("failure_score"), 0),
    )


def ping_agents(pcmk: PacemakerState | None) -> tuple[PingAgent, ...]:
    """Every ping resource configured in the CIB (read with the CIB configuration)."""
    if pcmk is None:
        return ()
    return tuple(a for p in pcmk.primitives if (a := agent_of(p)) is not None)


@dataclass(frozen=True)
class Expected:
    """What the agent should write on one node, from the probes made from that node."""

    agent: PingAgent
    node: str
    reached: tuple[str, ...]
    lost: tuple[str, ...]
    unmeasured: tuple[str, ...]
    """Hosts with no probe from the node, or a probe that could not measure."""
    since: float | None
    """From when the probes have said this (the latest change of any host); None when a
    single measurement cannot tell."""

    @property
    def score(self) -> int | None:
        """multiplier × hosts reached; None when a host could not be measured."""
        if self.unmeasured:
            return None
        return self.agent.multiplier * len(self.reached)

    @property
    def failing(self) -> bool:
        """The agent's monitor fails at this score (below ``failure_score``)."""
        score = self.score
        return score is not None and score < self.agent.failure_score


def expected(agent: PingAgent, node: str, pings: Iterable[PingProbe]) -> Expected:
    """The score ``agent`` should write on ``node``, from the probes made there."""
    mine = {p.host: p for p in pings if p.node == node}
    reached: list[str] = []
    lost: list[str] = []
    unmeasured: list[str] = []
    since: float | None = None
    known = True
    for host in agent.hosts:
        probe = mine.get(host)
        if probe is None or probe.error is not None or probe.sent == 0:
            unmeasured.append(host)
            continue
        (reached if probe.reached else lost).append(host)
        if probe.since is None:
            known = False
        elif since is None or probe.since > since:
            since = probe.since
    return Expected(agent, node, tuple(reached), tuple(lost), tuple(unmeasured),
                    since if known else None)
