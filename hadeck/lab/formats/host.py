"""Host metrics as hadeck's facts document, and md arrays as /proc/mdstat.

The inverse of :mod:`hadeck.sources.host`. :func:`facts_json` writes the same JSON
document as :func:`hadeck.sources.host.gather_facts` (same keys, same order, same
indentation), so a lab node answers ``python3 -m hadeck.sources.host`` like a real one.
:func:`mdstat` prints /proc/mdstat as the kernel's ``md_seq_show`` and ``raid1_status``
do (FORMATS.md, section h).

/proc/mdstat holds more than the model keeps. Made up here, always the same way:

- ``super 1.2`` after the block count (mdadm's default metadata since 3.0; 0.90 arrays
  print nothing there);
- the registered personalities, taken from the arrays' levels;
- ``done/total`` of a running resync, computed from the percentage and the array size;
- the member order: the kernel lists the most recently added member first, which for
  an array assembled in slot order is the highest slot first;
- chunk sizes and layouts of RAID 0/4/5/6/10 status lines (512k, algorithm 2, 2 near
  copies: mdadm's defaults).

Never printed, because the model has nothing for them: bitmap lines (an array with a
bitmap then looks like one without) and unused devices (always ``<none>``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hadeck.model import HostMetrics, MdArray, MdMember
from hadeck.sources.host import FACTS_SCHEMA

# --------------------------------------------------------------------------- facts


def facts_json(metrics: HostMetrics) -> str:
    """The facts document of :func:`hadeck.sources.host.gather_facts` for ``metrics``.

    Float fields are written as floats even when the lab computed an int, as psutil's
    are, so the text matches a real node's (``50.0``, not ``50``). Unknown figures are
    written as ``null``, which :func:`~hadeck.sources.host.parse_facts` reads as None.
    The node name and md arrays are not part of the document.
    """
    def number(value: float | None, kind: type[int] | type[float]) -> Any:
        return None if value is None else kind(value)

    facts = {
        "schema": FACTS_SCHEMA,
        "load": [float(x) for x in metrics.load] if metrics.load is not None else None,
        "cpu_count": number(metrics.cpu_count, int),
        "cpu_percent": number(metrics.cpu_percent, float),
        "memory_total": number(metrics.memory_total, int),
        "memory_available": number(metrics.memory_available, int),
        "swap_total": number(metrics.swap_total, int),
        "swap_used": number(metrics.swap_used, int),
        "uptime_s": number(metrics.uptime_s, float),
        "disks": [
            {
                "mountpoint": disk.mountpoint, "device": disk.device, "fstype": disk.fstype,
                "total_bytes": disk.total_bytes, "used_bytes": disk.used_bytes,
                "free_bytes": disk.free_bytes,
            }
            for disk in metrics.disks
        ],
    }
    return json.dumps(facts, indent=1) + "\n"


# --------------------------------------------------------------------------- mdstat

# What each level's status function prints before the shared " [n/m] [UU]" part.
_LEVEL_STATUS = {
    "raid0": " 512k chunks",
    "linear": " 0k rounding",
    "raid10": " 512K chunks 2 near-copies",
    "raid4": " level 4, 512k chunk, algorithm 0",
    "raid5": " level 5, 512k chunk, algorithm 2",
    "raid6": " level 6, 512k chunk, algorithm 2",
}
# The md modules register these personalities together.
_PERSONALITIES = {"raid4": ("raid6", "raid5", "raid4"), "raid5": ("raid6", "raid5", "raid4"),
                  "raid6": ("raid6", "raid5", "raid4")}


def _personalities(arrays: Sequence[MdArray]) -> str:
    names: list[str] = []
    for array in arrays:
        if not array.active or array.level is None:
            continue
        for name in _PERSONALITIES.get(array.level, (array.level,)):
            if name not in names:
                names.append(name)
    return "Personalities : " + "".join(f"[{name}] " for name in names)


def _member(member: MdMember) -> str:
    return f"{member.name}[{member.index}]" + "".join(f"({flag})" for flag in member.flags)


def _array_line(array: MdArray) -> str:
    words = [array.name, ":", "active" if array.active else "inactive"]
    if array.active:
        if array.read_only:
            words.append(f"({array.read_only})")
        if array.level:
            words.append(array.level)
    members = sorted(array.members, key=lambda member: member.index, reverse=True)
    words.extend(_member(member) for member in members)
    return " ".join(words)


def _status_line(array: MdArray) -> str | None:
    if array.blocks is None:
        return None
    line = f"      {array.blocks} blocks super 1.2"
    if array.active:
        line += _LEVEL_STATUS.get(array.level or "", "")
        if array.raid_disks is not None and array.working_disks is not None:
            line += f" [{array.raid_disks}/{array.working_disks}]"
            if array.status_map is not None:
                line += f" [{array.status_map}]"
    return line


def _progress_line(array: MdArray) -> str | None:
    """status_resync's line, or the waiting line; None when no resync is under way."""
    if array.pending is not None:
        # md prints the word "resync" here whatever the action will be.
        return f"      \t{array.action or 'resync'}={array.pending}"
    if array.action is None or array.progress_percent is None:
        return None
    permille = round(array.progress_percent * 10)
    # The bar: 20 characters of '=' and '.', a '>' where it has reached.
    done_bars = permille // 50
    bar = "[" + "=" * done_bars + ">" + "." * (20 - done_bars) + "]"
    total = array.blocks or 0
    # The kernel computes permille = done * 1000 / (total + 1): the smallest such done.
    done = min(total, -(-permille * (total + 1) // 1000))
    line = f"      {bar}  {array.action} ={permille // 10:3d}.{permille % 10}% ({done}/{total})"
    if array.finish_minutes is not None:
        tenths = round(array.finish_minutes * 10)
        line += f" finish={tenths // 10}.{tenths % 10}min"
    if array.speed_kib_s is not None:
        line += f" speed={array.speed_kib_s}K/sec"
    return line


def _array(array: MdArray) -> list[str]:
    lines = [_array_line(array)]
    status = _status_line(array)
    if status is not None:
        lines.append(status)
    if not array.active:
        # md_seq_show ends an array without a personality with "\n       " (7 blanks).
        return [*lines, "       "]
    progress = _progress_line(array)
    if progress is not None:
        lines.append(progress)
    # The "\n      " after the last line, where a bitmap line would go: without one it
    # stays a line of 6 blanks, and that line ends the array.
    return [*lines, "      "]


def mdstat(arrays: Sequence[MdArray]) -> str:
    """/proc/mdstat for ``arrays``, as the kernel prints it.

    ``Personalities :`` with a blank after each, then per array its line (members
    highest slot first), the status line (``N blocks super 1.2 [n/m] [UU]``), a progress
    or waiting line when a resync runs or waits, and the 6-blank line the kernel leaves
    where a bitmap line would go (7 blanks for an inactive array). Last, ``unused
    devices: <none>``.

    Args:
        arrays: the node's md arrays, in /proc/mdstat order.

    Returns:
        The file's text; with no arrays, the two lines md prints when loaded but unused.
    """
    lines = [_personalities(arrays)]
    for array in arrays:
        lines.extend(_array(array))
    lines.append("unused devices: <none>")
    return "\n".join(lines) + "\n"
