"""DRBD resources, volumes, connections and peer volumes.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import DrbdVolume``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DrbdVolume:
    """A local DRBD device (DRBD 9 calls it a device; 8.x a minor)."""

    volume: int
    minor: int | None = None
    disk: str = "DUnknown"
    client: bool | None = None
    open: bool | None = None
    quorum: bool | None = None
    backing_dev: str | None = None
    size_kib: int | None = None
    read_kib: int | None = None
    written_kib: int | None = None
    blocked: str | None = None


@dataclass(frozen=True)
class DrbdPeerVolume:
    """One volume as seen towards one peer (DRBD 9's peer-device)."""

    volume: int
    replication: str = "Off"
    """DRBD 9 replication state; for 8.x the replication part of ``cs:`` (``Established``
    when ``cs:Connected``)."""
    peer_disk: str = "DUnknown"
    peer_client: bool | None = None
    resync_suspended: str = "no"
    out_of_sync_kib: int | None = None
    done_percent: float | None = None
    """Resync or verify progress while one runs."""
    rate_kib_s: float | None = None
    """Current resync speed (DRBD's dbdt1, or /proc/drbd's speed), KiB/s."""
    eta_seconds: float | None = None
    """None when DRBD does not know yet (``eta:nan``)."""
    received_kib: int | None = None
    sent_kib: int | None = None

    @property
    def syncing(self) -> bool:
        return self.done_percent is not None or self.replication.startswith(
            ("Sync", "PausedSync", "StartingSync", "Verify")
        )


@dataclass(frozen=True)
class DrbdConnection:
    """A connection from the local node to one peer."""

    peer: str
    """The peer's connection name (DRBD 9 conn-name, normally its hostname); ``peer``
    for DRBD 8.x, which does not name it."""
    state: str = "StandAlone"
    """DRBD 9 connection state (Connected, Connecting, StandAlone …); for 8.x the
    connection part of ``cs:`` (WFConnection, Connected …)."""
    peer_role: str = "Unknown"
    peer_node_id: int | None = None
    congested: bool | None = None
    peer_volumes: tuple[DrbdPeerVolume, ...] = ()


@dataclass(frozen=True)
class DrbdResource:
    """One DRBD resource as the reporting node sees it."""

    name: str
    node: str = ""
    """The node that reported it."""
    role: str = "Unknown"
    suspended: str = "no"
    """``no``, or DRBD's comma list (``user,no-data,fencing,quorum``)."""
    write_ordering: str | None = None
    may_promote: bool | None = None
    promotion_score: int | None = None
    volumes: tuple[DrbdVolume, ...] = ()
    connections: tuple[DrbdConnection, ...] = ()
    version: str = "9"
    """``9`` or ``8.4`` / ``8.3``: which DRBD the reading came from."""

    @property
    def quorum(self) -> bool | None:
        """False when any local volume lost quorum; None when DRBD does not say."""
        seen = [v.quorum for v in self.volumes if v.quorum is not None]
        if not seen:
            return None
        return all(seen)
