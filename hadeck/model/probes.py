"""hadeck's own ICMP probes.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import PingProbe``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PingProbe:
    """ICMP echoes hadeck sent itself from one node to one host, and what came back.

    A measurement, not something a cluster tool reported: :mod:`hadeck.probes` makes it
    (in process, or with the system ``ping`` on the node). The health rules compare it
    with the ``pingd`` score Pacemaker holds and with corosync's link states.
    """

    node: str
    """The node the echoes were sent from."""
    host: str
    """The address (or name) pinged, as the CIB or the configuration names it."""
    sent: int = 0
    received: int = 0
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    method: str = ""
    """How: ``icmp-dgram`` (unprivileged ICMP socket), ``icmp-raw`` (raw socket, root),
    ``ping`` (the system ping, locally, over ssh or in the lab), or ``resolve`` (the
    name did not resolve: nothing was sent)."""
    error: str | None = None
    """Why nothing could be measured (no route, a name that does not resolve, ssh);
    None when echoes went out, answered or not."""
    roles: tuple[str, ...] = ()
    """Why this host was probed: ``ping node of p_ping``, ``configured``,
    ``corosync link 0 to jupiter2``."""
    since: float | None = None
    """Unix time from which this host has been reached (or not) without a change, as
    far as the prober that made it remembers; None for a single measurement."""

    @property
    def reached(self) -> bool:
        """Whether any echo came back: the ping agent counts such a host as reached."""
        return self.received > 0

    @property
    def loss_percent(self) -> float | None:
        """Lost echoes in percent; None when none were sent."""
        if self.sent <= 0:
            return None
        return 100.0 * (self.sent - min(self.received, self.sent)) / self.sent
