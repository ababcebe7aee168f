"""LVM's and rdiff-backup's output, as the lab's nodes print them.

``vgs``/``lvs --reportformat json --units b --nosuffix``: LVM 2.03.16's layout (Debian
12), captured in tests/fixtures/lvm/2.03.16/ — two spaces of indent, one row per line,
every value a string, an empty string where LVM has no value. ``rdiff-backup
--parsable-output list increments``: 2.2.2's ``EPOCH KIND`` lines, oldest first, the
current mirror last (tests/fixtures/rdiff-backup/2.2.2/).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from hadeck.model import BackupRun, LvmVolume, LvmVolumeGroup
from hadeck.sources.lvm import LV_FIELDS, VG_FIELDS


def _report(key: str, rows: Sequence[dict[str, str]]) -> str:
    body = ",\n".join("                  " + json.dumps(row, separators=(", ", ":"))
                       for row in rows)
    return ("  {\n      \"report\": [\n          {\n"
            f"              \"{key}\": [\n" + (body + "\n" if body else "")
            + "              ]\n          }\n      ]\n  }\n")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def vgs_json(groups: Sequence[LvmVolumeGroup]) -> str:
    rows = []
    for vg in groups:
        values = (vg.name, str(vg.size_bytes), str(vg.free_bytes), str(vg.pv_count or 1),
                  str(vg.lv_count or 0), vg.attr)
        rows.append(dict(zip(VG_FIELDS.split(","), values, strict=True)))
    return _report("vg", rows)


DM_MAJOR = 253
"""device-mapper's block major on the lab's nodes (dynamic; 253 on the test VMs)."""


def lvs_json(volumes: Sequence[LvmVolume]) -> str:
    """The active volumes get device-mapper numbers in the order listed (``-1``, as LVM
    prints it, for the others), unless the volume says its own."""
    rows = []
    active = 0
    for lv in volumes:
        if lv.kernel_minor is not None:
            major, minor = str(lv.kernel_major or DM_MAJOR), str(lv.kernel_minor)
        elif lv.active:
            major, minor = str(DM_MAJOR), str(active)
            active += 1
        else:
            major = minor = "-1"
        values = (lv.name, lv.vg, lv.attr, str(lv.size_bytes), lv.segtype, lv.pool or "",
                  _percent(lv.data_percent), _percent(lv.metadata_percent), lv.path or "",
                  lv.dm_path or "", major, minor)
        rows.append(dict(zip(LV_FIELDS.split(","), values, strict=True)))
    return _report("lv", rows)


def increments(runs: Sequence[BackupRun]) -> str:
    return "".join(f"{int(r.time)} {r.kind}\n" for r in runs)


def stamp(when: float) -> str:
    """rdiff-backup 2.2's file time stamp: ``2026-12-02T02:00:00Z`` (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def data_dir(runs: Sequence[BackupRun], error_log: str) -> str:
    """The markers and error logs of ``rdiff-backup-data`` with their sizes, as
    ``find … -printf '%s %f\\n'`` prints them (directory order: the marker after the
    logs, as captured): the last run's error log gzipped when it has errors."""
    lines = []
    for i, run in enumerate(runs):
        last = i == len(runs) - 1
        t = stamp(run.time)
        if last and error_log:
            # rdiff-backup 2.2's gzip of one such line is about 120 bytes.
            lines.append(f"{len(error_log) + 40} error_log.{t}.data.gz")
        else:
            lines.append(f"0 error_log.{t}.data")
    lines.append(f"10 current_mirror.{stamp(runs[-1].time)}.data")
    return "".join(f"{line}\n" for line in lines)
