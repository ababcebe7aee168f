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


def lvs_json(volumes: Sequence[LvmVolume]) -> str:
    rows = []
    for lv in volumes:
        values = (lv.name, lv.vg, lv.attr, str(lv.size_bytes), lv.segtype, lv.pool or "",
                  _percent(lv.data_percent), _percent(lv.metadata_percent), lv.path or "",
                  lv.dm_path or "")
        rows.append(dict(zip(LV_FIELDS.split(","), values, strict=True)))
    return _report("lv", rows)


def increments(runs: Sequence[BackupRun]) -> str:
    return "".join(f"{int(r.time)} {r.kind}\n" for r in runs)


def stamp(when: float) -> str:
    """rdiff-backup 2.2's file time stamp: ``2026-12-02T02:00:00Z`` (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def data_dir(runs: Sequence[BackupRun], error_log_gz: bool) -> str:
    """``ls -1`` of ``rdiff-backup-data`` for these sessions (sorted as ls sorts)."""
    names = ["backup.log", "chars_to_quote", "increments", "special_escapes",
             f"current_mirror.{stamp(runs[-1].time)}.data"]
    for i, run in enumerate(runs):
        last = i == len(runs) - 1
        t = stamp(run.time)
        names += [f"error_log.{t}.data" + (".gz" if last and error_log_gz else ""),
                  f"file_statistics.{t}.data.gz", f"session_statistics.{t}.data",
                  f"mirror_metadata.{t}." + ("snapshot.gz" if last else "diff.gz")]
        if not last:
            names.append(f"increments.{t}.dir")
    return "".join(f"{n}\n" for n in sorted(names))
