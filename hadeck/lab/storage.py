"""The lab's LVM and backups: what its nodes' ``vgs``, ``lvs`` and ``rdiff-backup`` say.

Each guest node has the volume group ``vg_drbd`` (one 500 GiB physical volume) with a
thin pool ``pool`` and one thin volume per DRBD resource (``/dev/vg_drbd/r1`` …, the
backing devices the lab's DRBD prints). The pools fill as lab time passes: jupiter1's
slowly from 41 %, the last guest node's from 84 % by one point an hour — WARNING at first,
CRITICAL six lab hours later (``hadeck lab clock +6h``), full at 99.9 %.

The arbiter ``sun`` is the backup host: one rdiff-backup repository per guest,
``/srv/backup/<guest>``, a session every night at 02:00 UTC for the last fortnight.
The second guest's backups stopped three nights ago (a stale repository, CRITICAL); the
host's own ``/etc`` (``/srv/backup/etc``, a path, not a guest) is backed up nightly too,
and its last run logged an error (WARNING).
"""

from __future__ import annotations

from hadeck.lab.world import LabState, Topology
from hadeck.model import BackupRun, LvmVolume, LvmVolumeGroup
from hadeck.sources.backups import RepoSpec
from hadeck.sources.lvm import dm_path

VG = "vg_drbd"
GIB = 2**30
PV_BYTES = 500 * GIB
POOL_BYTES = 400 * GIB
META_BYTES = 1 * GIB
DAY = 86400.0
BACKUP_PATH = "/srv/backup"
STALE_GUEST = 2
"""The guest number whose backups stopped."""
STALE_NIGHTS = 3
ERROR_LOG = ("ListError 'etc/ssl/private' [Errno 13] Permission denied: "
             "b'/etc/ssl/private'\n")
"""rdiff-backup 2.2's error log line for a directory it may not read (captured)."""


def pool_percent(state: LabState, node: str) -> float:
    """The thin pool's data use on a guest node at the lab's time."""
    nodes = state.topology.guest_nodes
    created = float(state.world.get("created", state.now))
    hours = max(float(state.now) - created, 0.0) / 3600
    if node == nodes[-1] and len(nodes) > 1:
        return min(84.0 + hours, 99.9)
    return min(41.0 + hours / 24, 99.9)


def lvm(state: LabState, node: str) -> tuple[tuple[LvmVolumeGroup, ...],
                                             tuple[LvmVolume, ...]] | None:
    """The node's volume groups and logical volumes; None where LVM is not installed."""
    if node not in state.topology.guest_nodes:
        return None
    guests = state.topology.guests
    thin = [LvmVolume(name=g["drbd"], vg=VG, node=node, size_bytes=int(g["size_kib"]) * 1024,
                      attr="Vwi-aotz--", segtype="thin", pool="pool",
                      data_percent=round(30.0 + 7 * i % 60, 2), path=f"/dev/{VG}/{g['drbd']}",
                      dm_path=dm_path(VG, g["drbd"]))
            for i, g in enumerate(guests)]
    pool = LvmVolume(name="pool", vg=VG, node=node, size_bytes=POOL_BYTES, attr="twi-aotz--",
                     segtype="thin-pool", data_percent=round(pool_percent(state, node), 2),
                     metadata_percent=round(pool_percent(state, node) / 6, 2),
                     dm_path=dm_path(VG, "pool"))
    hidden = [LvmVolume(name=f"[{name}]", vg=VG, node=node, size_bytes=size, attr=attr,
                        segtype="linear", dm_path=dm_path(VG, name.strip("[]")))
              for name, size, attr in (("lvol0_pmspare", META_BYTES, "ewi-------"),
                                       ("pool_tdata", POOL_BYTES, "Twi-ao----"),
                                       ("pool_tmeta", META_BYTES, "ewi-ao----"))]
    volumes = tuple(sorted([pool, *thin, *hidden], key=lambda lv: lv.name.strip("[]")))
    used = POOL_BYTES + 2 * META_BYTES
    group = LvmVolumeGroup(name=VG, node=node, size_bytes=PV_BYTES, free_bytes=PV_BYTES - used,
                           pv_count=1, lv_count=1 + len(thin), attr="wz--n-")
    return (group,), volumes


def backup_repos(topology: Topology) -> tuple[RepoSpec, ...]:
    """The lab's repositories, as a site would configure them (``[backups.repos]``)."""
    host = topology.arbiter or topology.cluster_nodes[0]
    return (*(RepoSpec(name=g["name"], path=f"{BACKUP_PATH}/{g['name']}", node=host,
                       guest=g["name"]) for g in topology.guests),
            RepoSpec(name="etc", path=f"{BACKUP_PATH}/etc", node=host))


def _number(path: str) -> int | None:
    """The guest number of a repository's path; 0 for the host's ``etc``."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name == "etc":
        return 0
    return int(name[2:]) if name.startswith("vm") and name[2:].isdigit() else None


def backup(state: LabState, node: str, path: str) -> tuple[tuple[BackupRun, ...], str] | None:
    """A repository's sessions and its last error log text; None where there is none."""
    number = _number(path.rstrip("/").removesuffix("/rdiff-backup-data"))
    host = state.topology.arbiter or state.topology.cluster_nodes[0]
    if node != host or number is None or number > len(state.topology.guests) \
            or not path.startswith(BACKUP_PATH + "/"):
        return None
    last_night = (state.now - 2 * 3600) // DAY * DAY + 2 * 3600
    if number == STALE_GUEST:
        last_night -= STALE_NIGHTS * DAY
    runs = tuple(BackupRun(time=last_night - i * DAY) for i in reversed(range(14)))
    return runs, ERROR_LOG if number == 0 else ""
