"""LVS directors, virtual services, real servers, keepalived VRRP instances.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import LvsCounters``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LvsCounters:
    """Cumulative counters (``--stats``) or per-second rates (``--rate``)."""

    conns: int = 0
    in_packets: int = 0
    out_packets: int = 0
    in_bytes: int = 0
    out_bytes: int = 0


@dataclass(frozen=True)
class RealServer:
    address: str
    port: int
    forward: str = "Route"
    """``Route`` (direct routing), ``Masq`` (NAT), ``Tunnel``, ``Local``."""
    weight: int = 0
    active_conns: int = 0
    inactive_conns: int = 0
    persistent_conns: int | None = None
    stats: LvsCounters | None = None
    rates: LvsCounters | None = None
    configured_weight: int | None = None
    """The weight the director's keepalived.conf gives it (None: not known). A kernel
    weight that differs is drift: a manual ipvsadm change keepalived will set back."""

    @property
    def key(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class VirtualService:
    protocol: str
    """``TCP``, ``UDP``, ``SCTP`` or ``FWM``."""
    address: str
    """The virtual IP, or the firewall mark (as text) for FWM services."""
    port: int = 0
    scheduler: str = ""
    ipv6: bool = False
    flags: tuple[str, ...] = ()
    persistent_s: int | None = None
    netmask: str | None = None
    pe: str | None = None
    one_packet: bool = False
    real_servers: tuple[RealServer, ...] = ()
    stats: LvsCounters | None = None
    rates: LvsCounters | None = None
    director: str = ""
    managed_by: str | None = None
    """``keepalived`` (or ``ldirectord``) when the director's keepalived.conf
    (ldirectord.cf) configures this service: its weights are that daemon's, and a manual
    ipvsadm change lasts until a check or a reload sets them back. None: not known."""
    gone: tuple[str, ...] = ()
    """Real servers (``192.0.2.22:80``) known to belong here that the table no longer
    holds: keepalived removes a real server whose health check fails, so a dead one
    vanishes instead of showing as down. Known from an earlier read (the dashboard);
    empty when nothing earlier is known."""

    @property
    def key(self) -> str:
        """``TCP 192.0.2.10:80``, ``FWM 1``: how ipvsadm names the service."""
        if self.protocol == "FWM":
            return f"FWM {self.address}" + (" IPv6" if self.ipv6 else "")
        host = f"[{self.address}]" if self.ipv6 else self.address
        return f"{self.protocol} {host}:{self.port}"

    @property
    def weighted(self) -> tuple[RealServer, ...]:
        """Real servers that receive new connections (weight above 0)."""
        return tuple(rs for rs in self.real_servers if rs.weight > 0)


@dataclass(frozen=True)
class VrrpInstance:
    """A keepalived VRRP instance on one director."""

    name: str
    state: str
    """MASTER, BACKUP, FAULT, INIT, STOP …"""
    director: str = ""
    priority: int | None = None
    effective_priority: int | None = None
    virtual_router_id: int | None = None
    interface: str | None = None
    master_router: str | None = None
    virtual_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class LvsDirector:
    """One LVS director: its IPVS table and its keepalived VRRP instances."""

    node: str
    version: str | None = None
    """IPVS version from the table header (``1.2.1``)."""
    services: tuple[VirtualService, ...] = ()
    vrrp: tuple[VrrpInstance, ...] = ()
    totals: LvsCounters | None = None
    """Whole-table counters from /proc/net/ip_vs_stats."""
