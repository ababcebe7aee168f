"""LVM: volume groups, logical volumes and thin pools from ``vgs`` and ``lvs``.

Both are asked with fixed units (``--units b --nosuffix``: whole bytes, whatever the
node's ``lvm.conf`` or locale says) and, where the installed LVM has it (2.02.158 and
later; Debian 12's 2.03.16 does), ``--reportformat json``. An older LVM refuses that
option with exit code 3 (``EINVALID_CMD_LINE``); then the same fields are asked in the
column format (``--noheadings --separator |``), which every LVM 2 prints.

A thin pool that is not active on the node (or an LVM that cannot ask the kernel: no
device-mapper) has no ``data_percent``: LVM prints an empty string, read as None, and
judged as "not known", never as 0 %. Which DRBD backing device sits on which logical
volume is joined after the read (:func:`join_drbd`): DRBD names its disk by the path in
its configuration (``/dev/vg0/r0`` or ``/dev/mapper/vg0-r0``), both of which ``lvs``
prints (``lv_path``, ``lv_dm_path``), and the kernel by its own name, ``/dev/dm-N``
(sysfs, and a configuration that names the disk so): ``lvs`` prints the active volume's
``lv_kernel_major``/``lv_kernel_minor``, and N is that minor (-1 where not active).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from hadeck.model import DrbdResource, LvmReport, LvmVolume, LvmVolumeGroup
from hadeck.model.storage import device_path
from hadeck.record import replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import (
    Clock,
    NodeParses,
    ParseError,
    Reading,
    decimal,
    never_raises,
    parsed,
    percent,
    whole,
)

SOURCE = "lvm"

VG_FIELDS = "vg_name,vg_size,vg_free,pv_count,lv_count,vg_attr"
LV_FIELDS = ("lv_name,vg_name,lv_attr,lv_size,segtype,pool_lv,data_percent,"
             "metadata_percent,lv_path,lv_dm_path,lv_kernel_major,lv_kernel_minor")
_UNITS = ("--units", "b", "--nosuffix")
_COLUMNS = ("--noheadings", "--separator", "|")

VGS = Command("lvm/vgs.json", ("vgs", "--reportformat", "json", *_UNITS, "-o", VG_FIELDS))
LVS = Command("lvm/lvs.json", ("lvs", "-a", "--reportformat", "json", *_UNITS, "-o",
                               LV_FIELDS))
VGS_COLUMNS = Command("lvm/vgs.txt", ("vgs", *_COLUMNS, *_UNITS, "-o", VG_FIELDS))
LVS_COLUMNS = Command("lvm/lvs.txt", ("lvs", "-a", *_COLUMNS, *_UNITS, "-o",
                                      LV_FIELDS.replace(",lv_dm_path", "")))
"""The column form leaves ``lv_dm_path`` out: LVM before 2.02.108 has no such field (the
path is then made from the names, as device-mapper makes it)."""

COMMANDS: tuple[Command, ...] = (VGS, LVS, VGS_COLUMNS, LVS_COLUMNS)
PREFETCH: tuple[Command, ...] = (VGS, LVS)
"""What a peer's batch asks: the column form only follows a refusal of the JSON form."""

NO_JSON_EXIT = 3
"""LVM's exit code for a command line it does not understand (``--reportformat``)."""
NOT_INSTALLED = "LVM not installed (no vgs, no lvs)"


# --------------------------------------------------------------------------- parsers


def _report(text: str, key: str) -> list[dict[str, object]]:
    """The rows under ``report[*][key]`` of an LVM JSON report."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("report"), list):
        raise ParseError("no 'report' list (not an LVM JSON report)")
    rows: list[dict[str, object]] = []
    for part in doc["report"]:
        if not isinstance(part, dict) or not isinstance(part.get(key, []), list):
            raise ParseError(f"a report entry without a '{key}' list")
        for row in part.get(key, []):
            if not isinstance(row, dict):
                raise ParseError(f"a '{key}' row is not an object")
            rows.append(row)
    return rows


def _text(row: dict[str, object], field: str) -> str:
    value = row.get(field, "")
    if not isinstance(value, str):
        raise ParseError(f"{field} is not a string: {type(value).__name__}")
    return value


def _count(row: dict[str, object], field: str) -> int | None:
    value = _text(row, field)
    return whole(value, field) if value else None


def _bytes(row: dict[str, object], field: str) -> int:
    value = _text(row, field)
    if not value:
        raise ParseError(f"{field} is empty")
    return whole(value, field)


def _kernel(row: dict[str, object], field: str) -> int | None:
    """``lv_kernel_major``/``_minor``: -1 (not active) and a missing field are None."""
    value = _text(row, field).strip()
    return None if value in ("", "-1") else whole(value, field)


def _percent(row: dict[str, object], field: str) -> float | None:
    value = _text(row, field).strip()
    return percent(decimal(value, field), field) if value else None


def _group(row: dict[str, object], node: str) -> LvmVolumeGroup:
    name = _text(row, "vg_name")
    if not name:
        raise ParseError("a volume group without a name")
    return LvmVolumeGroup(
        name=name, node=node, size_bytes=_bytes(row, "vg_size"),
        free_bytes=_bytes(row, "vg_free"), pv_count=_count(row, "pv_count"),
        lv_count=_count(row, "lv_count"), attr=_text(row, "vg_attr"))


def dm_path(vg: str, lv: str) -> str:
    """The device-mapper path LVM gives a volume: dashes inside names are doubled."""
    return f"/dev/mapper/{vg.replace('-', '--')}-{lv.replace('-', '--')}"


def _volume(row: dict[str, object], node: str) -> LvmVolume:
    name, vg = _text(row, "lv_name"), _text(row, "vg_name")
    if not name or not vg:
        raise ParseError("a logical volume without a name or volume group")
    bare = name.strip("[]")
    return LvmVolume(
        name=name, vg=vg, node=node, size_bytes=_bytes(row, "lv_size"),
        attr=_text(row, "lv_attr"), segtype=_text(row, "segtype"),
        pool=_text(row, "pool_lv").strip("[]") or None,
        data_percent=_percent(row, "data_percent"),
        metadata_percent=_percent(row, "metadata_percent"),
        path=_text(row, "lv_path") or None,
        dm_path=_text(row, "lv_dm_path") or dm_path(vg, bare),
        kernel_major=_kernel(row, "lv_kernel_major"),
        kernel_minor=_kernel(row, "lv_kernel_minor"))


def parse_vgs_json(text: str, node: str = "") -> tuple[LvmVolumeGroup, ...]:
    """Parse ``vgs --reportformat json --units b --nosuffix -o`` :data:`VG_FIELDS`.

    Raises:
        ParseError: not an LVM JSON report, a size that is not whole bytes.
    """
    return tuple(_group(row, node) for row in _report(text, "vg"))


def parse_lvs_json(text: str, node: str = "") -> tuple[LvmVolume, ...]:
    """Parse ``lvs -a --reportformat json --units b --nosuffix -o`` :data:`LV_FIELDS`.

    Raises:
        ParseError: not an LVM JSON report, a size or percentage out of form.
    """
    return tuple(_volume(row, node) for row in _report(text, "lv"))


def _columns(text: str, fields: Sequence[str], optional: int = 0
             ) -> list[dict[str, object]]:
    """Rows of ``|``-separated cells; the last ``optional`` fields may be missing (a
    report asked without them: they read as not known)."""
    rows: list[dict[str, object]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.strip().split("|")
        if not len(fields) - optional <= len(cells) <= len(fields):
            raise ParseError(f"{len(cells)} columns, expected {len(fields)}: {line[:60]!r}")
        rows.append(dict(zip(fields[:len(cells)], cells, strict=True)))
    return rows


def parse_vgs_columns(text: str, node: str = "") -> tuple[LvmVolumeGroup, ...]:
    """Parse ``vgs --noheadings --separator '|' --units b --nosuffix -o`` :data:`VG_FIELDS`.

    Raises:
        ParseError: a line with the wrong number of columns, a size out of form.
    """
    return tuple(_group(row, node) for row in _columns(text, VG_FIELDS.split(",")))


def parse_lvs_columns(text: str, node: str = "") -> tuple[LvmVolume, ...]:
    """Parse the column form of ``lvs -a`` (:data:`LVS_COLUMNS`: no ``lv_dm_path``).

    Raises:
        ParseError: a line with the wrong number of columns, a size out of form.
    """
    fields = LV_FIELDS.replace(",lv_dm_path", "").split(",")
    # Reports asked before hadeck asked the kernel numbers (recorded bundles) lack them.
    return tuple(_volume(row, node) for row in _columns(text, fields, optional=2))


# --------------------------------------------------------------------------- join


def join_drbd(report: LvmReport, drbd: Iterable[DrbdResource]) -> LvmReport:
    """Mark each logical volume with the DRBD volumes whose backing device it is.

    The same report (equal: the parse of an unchanged text is the very same volumes; or
    that join itself) with the same backing devices gives the last join of that node
    back, the very same object: a dashboard's poll, and a DRBD stream's update, re-join
    nothing that did not change (a 500-volume node: ~12 ms).

    Args:
        report: one node's LVM.
        drbd: DRBD resources; only those reported by the same node are used (a backing
            device is a local path).
    """
    links = tuple((f"{resource.name}/{volume.volume}", volume.backing_dev)
                  for resource in drbd if resource.node == report.node
                  for volume in resource.volumes if volume.backing_dev)
    last = _joined.get(report.node)
    if last is not None and last[1] == links and (last[2] is report or last[0] == report):
        return last[2]
    joined = _join(report, links)
    _joined[report.node] = (report, links, joined)
    if len(_joined) > _JOINS_KEPT:
        del _joined[next(iter(_joined))]
    return joined


_JOINS_KEPT = 256
"""Nodes whose last join is remembered (one entry per node, replaced each time)."""
_joined: dict[str, tuple[LvmReport, tuple[tuple[str, str], ...], LvmReport]] = {}


def _join(report: LvmReport, links: Iterable[tuple[str, str]]) -> LvmReport:
    by_path: dict[str, LvmVolume] = {}
    for lv in reversed(report.volumes):  # the first volume a path names wins
        for path in (lv.path, lv.dm_path, lv.kernel_name):
            if path:
                by_path[path] = lv
    found: dict[str, list[str]] = {}
    for name, device in links:
        on = by_path.get(device_path(device))
        if on is not None:
            found.setdefault(on.name + "\0" + on.vg, []).append(name)
    if not found:
        return report
    return replace(report, volumes=tuple(
        replace(lv, drbd=tuple(found.get(lv.name + "\0" + lv.vg, ())))
        for lv in report.volumes))


# --------------------------------------------------------------------------- read


def _both(runner: Runner, vgs: Command, lvs: Command, node: str,
          ) -> tuple[CommandResult, CommandResult]:
    return runner.fetch(vgs), runner.fetch(lvs)


_vgs_json = NodeParses(parse_vgs_json)
_lvs_json = NodeParses(parse_lvs_json)
_vgs_columns = NodeParses(parse_vgs_columns)
_lvs_columns = NodeParses(parse_lvs_columns)
"""Each node's last parse: LVM's reports seldom change between two polls."""


@never_raises(SOURCE)
def read(runner: Runner) -> Reading[LvmReport]:
    """Read the node's volume groups and logical volumes. Never raises.

    No LVM on the node is no error (a director, an arbiter): the reading is None with a
    detail that says so.
    """
    clock = Clock(SOURCE, runner.node)
    node = runner.node
    vg_result, lv_result = _both(runner, VGS, LVS, node)
    if vg_result.missing and lv_result.missing:
        return Reading(None, clock.status(detail=NOT_INSTALLED))
    form, detail = "json", "vgs, lvs --reportformat json"
    vg_parse, lv_parse = _vgs_json, _lvs_json
    if NO_JSON_EXIT in (vg_result.returncode, lv_result.returncode):
        vg_result, lv_result = _both(runner, VGS_COLUMNS, LVS_COLUMNS, node)
        form, detail = "columns", "vgs, lvs (columns: no --reportformat json)"
        vg_parse, lv_parse = _vgs_columns, _lvs_columns
    groups, vg_error = parsed(vg_result, lambda text: vg_parse(text, node))
    volumes, lv_error = parsed(lv_result, lambda text: lv_parse(text, node))
    if groups is None and volumes is None:
        return clock.failed("; ".join(e for e in (vg_error, lv_error) if e),
                            detail, vg_result.error_kind or lv_result.error_kind)
    report = LvmReport(node=node, groups=groups or (), volumes=volumes or (), format=form)
    errors = "; ".join(e for e in (vg_error, lv_error) if e) or None
    return Reading(report, clock.status(error=errors, detail=detail))
