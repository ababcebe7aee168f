"""LVM under DRBD and the guests' backups (issue 16).

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import LvmReport``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LvmVolumeGroup:
    """A volume group on one node, as ``vgs`` reports it (sizes in bytes)."""

    name: str
    node: str
    size_bytes: int
    free_bytes: int
    pv_count: int | None = None
    lv_count: int | None = None
    attr: str = ""
    """``vg_attr`` as printed (``wz--n-``; a ``p`` in the fourth place: a PV is missing)."""

    @property
    def free_percent(self) -> float:
        return 100.0 * self.free_bytes / self.size_bytes if self.size_bytes else 0.0

    @property
    def partial(self) -> bool:
        """A physical volume is missing (``vg_attr`` ``p``)."""
        return len(self.attr) > 3 and self.attr[3] == "p"


@dataclass(frozen=True)
class LvmVolume:
    """A logical volume on one node, as ``lvs -a`` reports it."""

    name: str
    vg: str
    node: str
    size_bytes: int
    attr: str = ""
    """``lv_attr`` as printed (``-wi-ao----``; ``t`` first: a thin pool, ``V`` a thin
    volume, ``X`` where LVM could not ask the kernel)."""
    segtype: str = ""
    """``linear``, ``striped``, ``thin-pool``, ``thin``, ``raid1`` …"""
    pool: str | None = None
    """The thin pool of a thin volume."""
    data_percent: float | None = None
    """A thin pool's (or thin volume's, snapshot's) data use; None when the pool is not
    active on this node (LVM prints nothing then)."""
    metadata_percent: float | None = None
    """A thin pool's metadata use; None when not active or not a pool."""
    path: str | None = None
    """``/dev/VG/LV``; None for hidden volumes (``[pool_tdata]``)."""
    dm_path: str | None = None
    """``/dev/mapper/VG-LV`` (dashes in names doubled)."""
    drbd: tuple[str, ...] = ()
    """The DRBD resources (``r0/0``: resource and volume) whose backing device is this
    volume, once joined with the DRBD source."""
    kernel_major: int | None = None
    """``lv_kernel_major``: device-mapper's block major where the volume is active; None
    where it is not (LVM prints -1) or the report did not say."""
    kernel_minor: int | None = None
    """``lv_kernel_minor``: the N of the kernel's name for it, ``/dev/dm-N``."""

    @property
    def kernel_name(self) -> str | None:
        """``/dev/dm-N``, the kernel's own name of an active volume (sysfs, DRBD's
        ``slaves``, ``/proc/partitions`` use it); None when not active."""
        return f"/dev/dm-{self.kernel_minor}" if self.kernel_minor is not None else None

    @property
    def is_thin_pool(self) -> bool:
        return self.segtype == "thin-pool" or self.attr.startswith("t")

    @property
    def active(self) -> bool | None:
        """``lv_attr`` fifth place: ``a`` active; None when LVM could not tell (``X``)."""
        if len(self.attr) < 5 or self.attr[4] == "X":
            return None
        return self.attr[4] == "a"

    @property
    def hidden(self) -> bool:
        return self.name.startswith("[")


def device_path(device: str) -> str:
    """A device name in the form an LV's names are compared in: ``dm-4`` is
    ``/dev/dm-4``, ``/dev/disk/by-id/dm-name-X`` is ``/dev/mapper/X``."""
    name = device.strip()
    if name.startswith("dm-"):
        name = "/dev/" + name
    if name.startswith("/dev/disk/by-id/dm-name-"):
        name = "/dev/mapper/" + name.removeprefix("/dev/disk/by-id/dm-name-")
    return name


@dataclass(frozen=True)
class LvmReport:
    """LVM on one node: its volume groups and logical volumes."""

    node: str
    groups: tuple[LvmVolumeGroup, ...] = ()
    volumes: tuple[LvmVolume, ...] = ()
    format: str = "json"
    """``json`` (``--reportformat json``) or ``columns`` (LVM older than 2.02.158)."""

    def volume_for(self, device: str) -> LvmVolume | None:
        """The logical volume a device names: ``/dev/vg0/r0``, ``/dev/mapper/vg0-r0``,
        ``/dev/disk/by-id/dm-name-vg0-r0``, or the kernel's ``/dev/dm-4`` (or ``dm-4``),
        matched by the volume's kernel minor (every device-mapper device has the one
        major, so the minor alone names it)."""
        name = device_path(device)
        for lv in self.volumes:
            if name in (lv.path, lv.dm_path) or (lv.kernel_name is not None
                                                 and name == lv.kernel_name):
                return lv
        return None


@dataclass(frozen=True)
class BackupRun:
    """One point of an rdiff-backup repository: an increment, or the current mirror."""

    time: float
    """Unix time of the backup session."""
    kind: str = "directory"
    """What ``--parsable-output`` says after the time (``directory``, ``regular`` …)."""


@dataclass(frozen=True)
class BackupRepo:
    """An rdiff-backup repository as seen on the node that holds it."""

    name: str
    """Its name in the configuration (``[backups.repos.NAME]``)."""
    node: str
    path: str
    guest: str | None = None
    """The guest (or resource) it backs up, when the configuration says."""
    runs: tuple[BackupRun, ...] = ()
    """Every session in the repository, oldest first; the last is the current mirror."""
    error_log: str | None = None
    """The last lines of the last session's ``rdiff-backup-data/error_log`` (None when
    empty: the run had no errors)."""
    interrupted: bool = False
    """Two ``current_mirror`` markers: the last run died and the repository needs a
    regress (the next run does it, or ``rdiff-backup regress``)."""
    error: str | None = None
    """Why the repository could not be read (missing, not a repository, rdiff-backup
    failed); None when it was."""

    @property
    def last(self) -> float | None:
        """When the last backup finished, as a Unix time (the current mirror's time)."""
        return self.runs[-1].time if self.runs else None

    @property
    def increments(self) -> int:
        """Increments kept besides the current mirror."""
        return max(len(self.runs) - 1, 0)
