"""Host metrics as a peer's /proc files and ``df -P``, as hadeck's facts document, and md
arrays as /proc/mdstat.

The inverse of :mod:`hadeck.sources.host`. A lab node answers what hadeck reads from a
real peer: /proc/loadavg, two samples of /proc/stat, /proc/meminfo, /proc/uptime,
/proc/mounts and ``df -P -l`` (:func:`loadavg` … :func:`df`), in the kernel's and
coreutils' formats; they parse back to the same metrics when its byte counts are whole
KiB, as the kernel's are. :func:`facts_json` writes the same JSON
document as :func:`hadeck.sources.host.gather_facts` (same keys, same order, same
indentation), so a lab node also answers ``python3 -m hadeck.sources.host`` like a node
with hadeck installed (older bundles hold that document).
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
import math
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


# --------------------------------------------------------------------------- a peer's /proc

KIB = 1024


def loadavg(metrics: HostMetrics) -> str:
    """/proc/loadavg: three load figures, running/total tasks and the last pid (made up)."""
    one, five, fifteen = metrics.load or (0.0, 0.0, 0.0)
    return f"{one:.2f} {five:.2f} {fifteen:.2f} 1/{180 + 20 * (metrics.cpu_count or 1)} 48213\n"


STAT_TICKS = 1000
"""Jiffies between the two /proc/stat samples, over all CPUs: enough for the 0.1 % steps
of ``cpu_percent`` to come back exactly."""


def _cpu_line(name: str, user: int, system: int, idle: int) -> str:
    # user nice system idle iowait irq softirq steal guest guest_nice
    label = f"{name} " if name == "cpu" else name
    return f"{label} {user} 0 {system} {idle} 0 0 0 0 0 0"


def _stat_sample(busy: int, idle: int, cpus: int) -> list[str]:
    user = busy * 7 // 10
    lines = [_cpu_line("cpu", user, busy - user, idle)]
    for n in range(cpus):
        b, i = busy // cpus, idle // cpus
        lines.append(_cpu_line(f"cpu{n}", b * 7 // 10, b - b * 7 // 10, i))
    lines += ["intr 0", "ctxt 0", "btime 0", "processes 0", "procs_running 1",
              "procs_blocked 0", "softirq 0 0 0 0 0 0 0 0 0 0 0"]
    return lines


def proc_stat(metrics: HostMetrics) -> str:
    """Two samples of /proc/stat, :data:`STAT_TICKS` apart, whose difference is
    ``cpu_percent`` (as ``sh -c 'cat /proc/stat && sleep 0.1 && exec cat /proc/stat'``
    prints them); one sample when the CPU use is unknown."""
    cpus = metrics.cpu_count or 1
    total = int((metrics.uptime_s or 0.0) * 100) * cpus
    use = metrics.cpu_percent
    busy = total * round(use if use is not None else 0.0) // 100
    first = _stat_sample(busy, total - busy, cpus)
    if use is None:
        return "\n".join(first) + "\n"
    more = round(use * STAT_TICKS / 100)
    second = _stat_sample(busy + more, total - busy + STAT_TICKS - more, cpus)
    return "\n".join(first + second) + "\n"


def meminfo(metrics: HostMetrics) -> str:
    """/proc/meminfo (the lines hadeck reads, and a few around them), in kB."""
    total = (metrics.memory_total or 0) // KIB
    available = (metrics.memory_available or 0) // KIB
    swap = (metrics.swap_total or 0) // KIB
    swap_free = swap - (metrics.swap_used or 0) // KIB
    rows = [("MemTotal", total), ("MemFree", available * 3 // 4),
            ("MemAvailable", available), ("Buffers", available // 64),
            ("Cached", available // 8), ("SwapCached", 0), ("Active", total // 8),
            ("Inactive", total // 16), ("Active(anon)", total // 10),
            ("Inactive(anon)", 0), ("SwapTotal", swap), ("SwapFree", swap_free),
            ("Dirty", 12), ("Shmem", 2048)]
    lines = [f"{f'{name}:':<16}{value:>8} kB" for name, value in rows]
    lines += ["HugePages_Total:       0", "HugePages_Free:        0",
              "Hugepagesize:       2048 kB"]
    return "\n".join(lines) + "\n"


def uptime(metrics: HostMetrics) -> str:
    """/proc/uptime: seconds up, and idle seconds summed over the CPUs."""
    up = metrics.uptime_s or 0.0
    idle = up * (metrics.cpu_count or 1) * (1 - (metrics.cpu_percent or 0.0) / 100)
    return f"{up:.2f} {idle:.2f}\n"


_PSEUDO_MOUNTS = (
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
    "udev /dev devtmpfs rw,nosuid,relatime,size=8168264k,nr_inodes=2042066,mode=755 0 0",
    "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1638400k,mode=755 0 0",
)


def mounts(metrics: HostMetrics) -> str:
    """/proc/mounts: the kernel's filesystems, then each disk (the root first)."""
    disks = sorted(metrics.disks, key=lambda d: (d.mountpoint != "/", d.mountpoint))
    lines = [f"{d.device} {_octal(d.mountpoint)} {d.fstype} rw,relatime 0 0" for d in disks]
    if lines:
        lines[1:1] = _PSEUDO_MOUNTS
    return "\n".join(lines) + "\n"


def _octal(path: str) -> str:
    """A path as /proc/mounts writes it: space, tab, newline and backslash in octal."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in path)


def df(metrics: HostMetrics) -> str:
    """``df -P -l``: 1024-byte blocks, the disks and a tmpfs, as coreutils prints them."""
    rows = [("Filesystem", "1024-blocks", "Used", "Available", "Capacity", "Mounted on")]
    disks = sorted(metrics.disks, key=lambda d: (d.mountpoint != "/", d.mountpoint))
    for d in disks:
        used, free = d.used_bytes // KIB, d.free_bytes // KIB
        capacity = math.ceil(100 * used / (used + free)) if used + free else 0
        rows.append((d.device, str(d.total_bytes // KIB), str(used), str(free),
                     f"{capacity}%", d.mountpoint))
    rows.insert(min(2, len(rows)), ("tmpfs", "1638400", "1220", "1637180", "1%", "/run"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(r[1:5], 1)]
        out.append(" ".join(cells) + " " + r[5])
    return "\n".join(out) + "\n"


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
