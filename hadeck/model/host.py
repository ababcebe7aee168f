"""A node's own facts: load, memory, disks, MD arrays.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import DiskUsage``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiskUsage:
    mountpoint: str
    device: str
    fstype: str
    total_bytes: int
    used_bytes: int
    free_bytes: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used_bytes / self.total_bytes if self.total_bytes else 0.0


@dataclass(frozen=True)
class MdMember:
    name: str
    index: int
    flags: tuple[str, ...] = ()
    """``F`` faulty, ``S`` spare, ``W`` write-mostly, ``R`` replacement, ``J`` journal."""


@dataclass(frozen=True)
class MdArray:
    """A Linux software RAID array from /proc/mdstat."""

    name: str
    active: bool
    level: str | None = None
    read_only: str | None = None
    members: tuple[MdMember, ...] = ()
    blocks: int | None = None
    raid_disks: int | None = None
    working_disks: int | None = None
    status_map: str | None = None
    """``UU``, ``U_``: one character per slot, ``_`` missing or not in sync."""
    action: str | None = None
    """``resync``, ``recovery``, ``check``, ``repair``, ``reshape`` while one runs."""
    progress_percent: float | None = None
    finish_minutes: float | None = None
    speed_kib_s: int | None = None
    pending: str | None = None
    """``DELAYED`` or ``PENDING`` when a resync waits."""

    @property
    def degraded(self) -> bool:
        if self.raid_disks is None or self.working_disks is None:
            return False
        return self.working_disks < self.raid_disks


@dataclass(frozen=True)
class HostMetrics:
    node: str
    load: tuple[float, float, float] | None = None
    cpu_count: int | None = None
    cpu_percent: float | None = None
    memory_total: int | None = None
    memory_available: int | None = None
    swap_total: int | None = None
    swap_used: int | None = None
    uptime_s: float | None = None
    disks: tuple[DiskUsage, ...] = ()
    md_arrays: tuple[MdArray, ...] = ()

    @property
    def memory_used_percent(self) -> float | None:
        if not self.memory_total or self.memory_available is None:
            return None
        return 100.0 * (self.memory_total - self.memory_available) / self.memory_total
