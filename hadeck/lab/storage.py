"""The lab's LVM and backups: what its nodes' ``vgs``, ``lvs`` and ``rdiff-backup`` say.

Each guest node has the volume group ``vg_drbd`` (one 500 GiB physical volume) with a
thin pool ``pool`` and one thin volume per DRBD resource (``/dev/vg_drbd/r1`` …, the
backing devices the lab's DRBD prints). The pools are healthy until ``hadeck lab
fill-pool NODE``: from then on that node's pool is at 84 % and fills by one point an
lab hour (``hadeck lab step 6h``: CRITICAL), up to 99.9 %; ``trim-pool NODE`` frees it.

The arbiter ``sun`` is the backup host: one rdiff-backup repository per guest,
``/srv/backup/<guest>``, and one of a path, ``/srv/backup/etc`` (sun's own /etc), a
session every night at 02:00 UTC for the last fortnight. ``hadeck lab stop-backups
NAME`` makes a repository stale (its last session three nights back, by default),
``backup-error NAME`` gives its last run an error log, ``resume-backups NAME`` clears both.
"""

from __future__ import annotations

import time

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
STALE_NIGHTS = 3
ERROR_LOG = ("ListError: '/etc/ssl/private' [Errno 13] Permission denied: "
             "b'/etc/ssl/private'\n")
"""rdiff-backup 2.2's error log line for a directory it may not read (captured)."""


def pool_percent(state: LabState, node: str) -> float:
    """The thin pool's data use on a guest node at the lab's time."""
    started = state.world.get("pools_filling", {}).get(node)
    if started is None:
        return 41.0 + 7 * state.topology.guest_nodes.index(node) % 30
    hours = max(float(state.now) - float(started), 0.0) / 3600
    return min(84.0 + hours, 99.9)


def lvm(state: LabState, node: str) -> tuple[tuple[LvmVolumeGroup, ...],
                                             tuple[LvmVolume, ...]] | None:
    """The node's volume groups and logical volumes; None where LVM is not installed."""
    if node not in state.topology.guest_nodes:
        return None
    from hadeck.lab.provision import made_volumes

    made = made_volumes(state, node)
    # A guest made by hadeck new-guest has the volume its lvcreate made (below).
    guests = [g for g in state.topology.guests if g["drbd"] not in made]
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
    # What hadeck new-guest's lvcreate made: thin in the pool, or linear in the group.
    extra = [LvmVolume(name=name, vg=str(m["vg"]), node=node, size_bytes=int(m["size"]),
                       attr="Vwi-a-tz--" if m["pool"] else "-wi-a-----",
                       segtype="thin" if m["pool"] else "linear", pool=m["pool"],
                       data_percent=0.0 if m["pool"] else None,
                       path=f"/dev/{m['vg']}/{name}", dm_path=dm_path(str(m["vg"]), name))
             for name, m in made.items()]
    volumes = tuple(sorted([pool, *thin, *hidden, *extra],
                           key=lambda lv: lv.name.strip("[]")))
    used = POOL_BYTES + 2 * META_BYTES + sum(v.size_bytes for v in extra if not v.pool)
    group = LvmVolumeGroup(name=VG, node=node, size_bytes=PV_BYTES, free_bytes=PV_BYTES - used,
                           pv_count=1, lv_count=1 + len(thin) + len(extra), attr="wz--n-")
    return (group,), volumes


def backup_repos(topology: Topology) -> tuple[RepoSpec, ...]:
    """The lab's repositories, as a site would configure them (``[backups.repos]``)."""
    host = topology.arbiter or topology.cluster_nodes[0]
    return (*(RepoSpec(name=g["name"], path=f"{BACKUP_PATH}/{g['name']}", node=host,
                       guest=g["name"]) for g in topology.guests),
            RepoSpec(name="etc", path=f"{BACKUP_PATH}/etc", node=host))


def repo_names(topology: Topology) -> list[str]:
    return [r.name for r in backup_repos(topology)]


def backup(state: LabState, node: str, path: str) -> tuple[tuple[BackupRun, ...], str] | None:
    """A repository's sessions and its last error log text; None where there is none."""
    host = state.topology.arbiter or state.topology.cluster_nodes[0]
    name = path.rstrip("/").removeprefix(BACKUP_PATH + "/")
    if node != host or "/" in name or name not in repo_names(state.topology):
        return None
    # The sessions follow the wall clock (with the lab's offset), not a frozen lab time:
    # a state's time is the wall clock's, and a backup is as old as it says.
    wall = time.time() + float(state.world["clock"].get("offset", 0.0))
    nights = int(state.world.get("backups_stopped", {}).get(name, 0))
    last_night = (wall - 2 * 3600) // DAY * DAY + 2 * 3600 - nights * DAY
    runs = tuple(BackupRun(time=last_night - i * DAY) for i in reversed(range(14)))
    return runs, ERROR_LOG if name in state.world.get("backup_errors", []) else ""
