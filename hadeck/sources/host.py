"""Host metrics: load, CPU, memory, swap, uptime, disk usage, and Linux md RAID arrays.

Two ways to the same :class:`~hadeck.model.HostMetrics`:

- On the node hadeck runs on, psutil gathers them in process (:func:`gather_facts`) into
  a small JSON document, the source's raw output (``host/facts.json`` in a bundle), read
  back by :func:`parse_facts`.
- On a peer, nothing of hadeck runs: the reading node fetches the kernel's own files
  (/proc/loadavg, two samples of /proc/stat 0.1 s apart, /proc/meminfo, /proc/uptime,
  /proc/mounts) and ``df -P -l``, each a command of its own (:data:`PEER_COMMANDS`, one
  bundle file each), and parses them here (:func:`peer_metrics`). Over ssh they travel in
  the node's one batched round trip (:mod:`hadeck.batch`). A bundle or lab that has the
  facts document instead (older bundles) is still read from it.

/proc/mdstat is read as a file and parsed by :func:`parse_mdstat` on every node.

psutil is imported only when facts are gathered here: the check plugins that read a
bundle or a remote node do not pay its import time (about 50 ms, FACTS.md).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable

from hadeck.model import DiskUsage, HostMetrics, MdArray, MdMember
from hadeck.record import replace
from hadeck.runner import Command, Runner
from hadeck.sources.base import (
    Clock,
    NodeParses,
    ParseError,
    Reading,
    decimal,
    json_number,
    never_raises,
    parse_output,
    parse_result,
    parsed,
    percent,
    whole,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


# On this machine the LocalRunner answers HOST_FACTS in process through ``local``; an ssh
# runner refuses it (nothing of hadeck runs on a peer). The argv is what the lab and old
# bundles answer it by. It goes through runner.fetch, so a snapshot stores the document.
HOST_FACTS = Command(
    "host/facts.json",
    ("python3", "-m", "hadeck.sources.host"),
    local=lambda: _gather_in_process(),
)
MDSTAT = Command("host/mdstat.txt", path="/proc/mdstat")

# A peer's facts: the kernel's files and df, parsed here.
PROC_LOADAVG = Command("host/proc-loadavg.txt", path="/proc/loadavg")
PROC_STAT = Command(
    "host/proc-stat.txt",
    # Two samples: CPU use is the difference of two counters (as psutil's blocking
    # sample, CPU_SAMPLE_S). A fixed script, no data in it.
    ("sh", "-c", "cat /proc/stat && sleep 0.1 && exec cat /proc/stat"),
)
PROC_MEMINFO = Command("host/proc-meminfo.txt", path="/proc/meminfo")
PROC_UPTIME = Command("host/proc-uptime.txt", path="/proc/uptime")
PROC_MOUNTS = Command("host/proc-mounts.txt", path="/proc/mounts")
# -l: local filesystems only; df would stat a network mount, which hangs when its server
# is gone (the same reason _NETWORK_FS are left out here).
DF = Command("host/df-P.txt", ("df", "-P", "-l"))

PEER_COMMANDS: tuple[Command, ...] = (
    PROC_LOADAVG, PROC_STAT, PROC_MEMINFO, PROC_UPTIME, PROC_MOUNTS, DF,
)
"""What a peer's host facts are read from, besides /proc/mdstat."""

COMMANDS: tuple[Command, ...] = (HOST_FACTS, MDSTAT, *PEER_COMMANDS)

FACTS_SCHEMA = 1
"""Version of the facts document; :func:`parse_facts` rejects any other."""

CPU_SAMPLE_S = 0.1
"""How long :func:`gather_facts` samples CPU use.

A one-shot process (``python3 -m hadeck.sources.host`` over ssh) has no earlier sample
to compare with, so psutil must block for one. 0.1 s adds little to a poll, yet covers
10 scheduler ticks per CPU at USER_HZ 100: coarse, but a real figure, where a
non-blocking first call always says 0.0.
"""

# Filesystems that hold no disk data: kernel interfaces, memory-backed, read-only images.
_PSEUDO_FS = frozenset({
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
    "devtmpfs", "efivarfs", "fusectl", "fuse.lxcfs", "fuse.gvfsd-fuse", "hugetlbfs",
    "iso9660", "mqueue", "nsfs", "overlay", "proc", "pstore", "ramfs", "rpc_pipefs",
    "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "udf", "nfsd",
})
# Network filesystems: not this node's disks, and statvfs on a dead server can hang.
_NETWORK_FS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "glusterfs", "fuse.glusterfs",
    "ceph", "fuse.ceph", "9p", "afs", "lustre",
})


# --------------------------------------------------------------------------- facts


def _real_filesystem(device: str, mountpoint: str, fstype: str) -> bool:
    if mountpoint == "/":
        return True  # the root filesystem counts even as overlay (containers)
    if fstype in _PSEUDO_FS or fstype in _NETWORK_FS or not fstype:
        return False
    return not (device.startswith("/dev/loop") or mountpoint.startswith("/snap/"))


def _disks() -> list[dict[str, Any]]:
    import psutil

    parts = [
        p for p in psutil.disk_partitions(all=True)
        if _real_filesystem(p.device, p.mountpoint, p.fstype)
    ]
    # Bind mounts and btrfs subvolumes show one device many times: keep its shortest path.
    parts.sort(key=lambda p: (len(p.mountpoint), p.mountpoint))
    seen: set[str] = set()
    disks = []
    for part in parts:
        if part.device in seen:
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue  # unmounted meanwhile, or not ours to read
        seen.add(part.device)
        disks.append({
            "mountpoint": part.mountpoint, "device": part.device, "fstype": part.fstype,
            "total_bytes": usage.total, "used_bytes": usage.used, "free_bytes": usage.free,
        })
    return sorted(disks, key=lambda d: d["mountpoint"])


def gather_facts() -> str:
    """Measure this machine with psutil and return the facts as a JSON document.

    Takes about :data:`CPU_SAMPLE_S` seconds (the CPU sample).

    Returns:
        JSON text with ``schema``, ``load``, ``cpu_count``, ``cpu_percent``,
        ``memory_total``, ``memory_available``, ``swap_total``, ``swap_used``,
        ``uptime_s`` and ``disks`` (real filesystems only, one entry per device).
    """
    import psutil

    memory, swap = psutil.virtual_memory(), psutil.swap_memory()
    facts = {
        "schema": FACTS_SCHEMA,
        "load": list(os.getloadavg()),
        "cpu_count": psutil.cpu_count(),
        "cpu_percent": psutil.cpu_percent(interval=CPU_SAMPLE_S),
        "memory_total": memory.total,
        "memory_available": memory.available,
        "swap_total": swap.total,
        "swap_used": swap.used,
        "uptime_s": round(time.time() - psutil.boot_time(), 1),
        "disks": _disks(),
    }
    return json.dumps(facts, indent=1) + "\n"


def _gather_in_process() -> str:
    """:func:`gather_facts` for a runner, which only expects OSError from a command."""
    try:
        return gather_facts()
    except OSError:
        raise
    except Exception as exc:  # psutil's own errors: a failed reading, never a crash
        raise OSError(f"psutil: {type(exc).__name__}: {exc}") from exc


def _num(facts: dict[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    value = facts.get(key)
    if value is None:
        return None
    # Finite, not negative, below 2**64: int(inf) would raise OverflowError.
    return kind(json_number(value, f"host facts: {key}"))


def _disk(entry: Any) -> DiskUsage:
    if not isinstance(entry, dict):
        raise ParseError(f"host facts: a disk entry is not an object: {entry!r}")
    try:
        strings = [entry["mountpoint"], entry["device"], entry["fstype"]]
        numbers = [entry["total_bytes"], entry["used_bytes"], entry["free_bytes"]]
    except KeyError as exc:
        raise ParseError(f"host facts: disk entry without {exc.args[0]}") from None
    if not all(isinstance(s, str) for s in strings):
        raise ParseError("host facts: malformed disk entry (a name is not text)")
    sizes = [int(json_number(n, "host facts: disk bytes", integer=True)) for n in numbers]
    return DiskUsage(*strings, *sizes)


def parse_facts(text: str, node: str) -> HostMetrics:
    """Parse the JSON document of :func:`gather_facts`.

    Args:
        text: the document (from this process, a remote node, or a bundle).
        node: the node it describes.

    Raises:
        ParseError: not JSON, not a facts document of this schema, or wrong types.
    """
    try:
        facts = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: a 5,000-digit integer too
        raise ParseError(f"host facts are not JSON: {exc}") from None
    if not isinstance(facts, dict) or facts.get("schema") != FACTS_SCHEMA:
        raise ParseError(f"not a hadeck host facts document (schema {FACTS_SCHEMA})")
    load = facts.get("load")
    if load is not None and not (isinstance(load, list) and len(load) == 3):
        raise ParseError("host facts: load is not three numbers")
    if load:
        load = [float(json_number(x, "host facts: load")) for x in load]
    disks = facts.get("disks", [])
    if not isinstance(disks, list):
        raise ParseError("host facts: disks is not a list")
    return HostMetrics(
        node=node,
        load=(load[0], load[1], load[2]) if load else None,
        cpu_count=_num(facts, "cpu_count", int),
        cpu_percent=_num(facts, "cpu_percent", float),
        memory_total=_num(facts, "memory_total", int),
        memory_available=_num(facts, "memory_available", int),
        swap_total=_num(facts, "swap_total", int),
        swap_used=_num(facts, "swap_used", int),
        uptime_s=_num(facts, "uptime_s", float),
        disks=tuple(_disk(entry) for entry in disks),
    )


# --------------------------------------------------------------------------- a peer's facts


def parse_loadavg(text: str) -> tuple[float, float, float]:
    """Parse /proc/loadavg: the 1, 5 and 15 minute load averages.

    Raises:
        ParseError: not three load figures then ``running/total`` and a pid.
    """
    words = text.split()
    if len(words) != 5 or "/" not in words[3]:
        raise ParseError(f"not /proc/loadavg: {text[:80]!r}")
    one, five, fifteen = (decimal(w, "/proc/loadavg: load") for w in words[:3])
    return one, five, fifteen


# user nice system idle iowait irq softirq steal; guest and guest_nice are already
# counted in user and nice (as psutil leaves them out of the total).
_CPU_FIELDS = 8


def _cpu_sample(line: str) -> tuple[int, int]:
    """Total and idle (idle + iowait, as psutil counts it) jiffies of a ``cpu`` line."""
    words = line.split()[1:]
    if len(words) < 4:
        raise ParseError(f"/proc/stat: a cpu line with {len(words)} counters")
    ticks = [whole(w, "/proc/stat: cpu time") for w in words[:_CPU_FIELDS]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return sum(ticks), idle


def parse_proc_stat(text: str) -> tuple[int, float | None]:
    """Parse one or two samples of /proc/stat (:data:`PROC_STAT`).

    Returns:
        The number of CPUs (``cpuN`` lines of the last sample) and the CPU use in percent
        between the two samples; None with one sample, or no time between them.

    Raises:
        ParseError: no ``cpu`` line, more than two samples, or counters that went back.
    """
    samples: list[tuple[int, int]] = []
    counts: list[int] = []
    for line in text.splitlines():
        if line.startswith("cpu "):
            samples.append(_cpu_sample(line))
            counts.append(0)
        elif re.match(r"cpu[0-9]+ ", line) and counts:
            counts[-1] += 1
    if not samples or len(samples) > 2:
        raise ParseError(f"/proc/stat: {len(samples)} samples (one or two expected)")
    if counts[-1] == 0:
        raise ParseError("/proc/stat: no cpuN line")
    if len(samples) == 1:
        return counts[-1], None
    (total0, idle0), (total1, idle1) = samples
    if total1 < total0 or idle1 < idle0:
        raise ParseError("/proc/stat: the second sample is older than the first")
    elapsed = total1 - total0
    if elapsed == 0:
        return counts[-1], None
    busy = elapsed - (idle1 - idle0)
    return counts[-1], percent(round(100.0 * max(busy, 0) / elapsed, 1), "/proc/stat: CPU use")


_MEMINFO = re.compile(r"^(\w+(?:\(\w+\))?):\s+(\d+)(?: kB)?$")


def parse_meminfo(text: str) -> tuple[int, int | None, int | None, int | None]:
    """Parse /proc/meminfo.

    Returns:
        Memory total and available (``MemAvailable``, None on kernels before 3.14), swap
        total and used, in bytes.

    Raises:
        ParseError: not /proc/meminfo (no ``MemTotal``), or a value that is not a count.
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        if match := _MEMINFO.match(line):
            values[match.group(1)] = whole(match.group(2), f"/proc/meminfo {match.group(1)}")
        elif line.strip():
            raise ParseError(f"unexpected line in /proc/meminfo: {line[:80]!r}")
    if "MemTotal" not in values:
        raise ParseError("not /proc/meminfo (no MemTotal)")

    def kib(key: str) -> int | None:
        return values[key] * 1024 if key in values else None

    swap_total, swap_free = kib("SwapTotal"), kib("SwapFree")
    swap_used = (None if swap_total is None or swap_free is None
                 else max(swap_total - swap_free, 0))
    return values["MemTotal"] * 1024, kib("MemAvailable"), swap_total, swap_used


def parse_uptime(text: str) -> float:
    """Parse /proc/uptime: seconds since boot.

    Raises:
        ParseError: not two figures.
    """
    words = text.split()
    if len(words) != 2:
        raise ParseError(f"not /proc/uptime: {text[:80]!r}")
    return decimal(words[0], "/proc/uptime")


def _unescape_mount(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in octal (\040 …).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text: str) -> dict[str, tuple[str, str]]:
    """Parse /proc/mounts.

    Returns:
        By mount point: its device and filesystem type (the last mount of a point wins,
        as it hides the earlier ones).

    Raises:
        ParseError: a line without the six fields.
    """
    mounts: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if len(words) != 6 or not words[1].startswith("/"):
            raise ParseError(f"unexpected line in /proc/mounts: {line[:100]!r}")
        mounts[_unescape_mount(words[1])] = (_unescape_mount(words[0]), words[2])
    if not mounts:
        raise ParseError("/proc/mounts is empty")
    return mounts


_DF_HEADER = re.compile(
    r"^Filesystem\s+(\d+)-blocks\s+Used\s+Available\s+Capacity\s+Mounted on$")
_DF_ROW = re.compile(r"^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(/.*)$")


def parse_df(text: str, mounts: dict[str, tuple[str, str]]) -> tuple[DiskUsage, ...]:
    """Parse ``df -P``'s table, with each filesystem's type from /proc/mounts.

    Kept as :func:`gather_facts` keeps them: real filesystems only, one entry per device
    (its shortest mount point), sorted by mount point. Used is blocks minus free blocks
    and free what a user may still write (``f_bavail``), as psutil counts them.

    Args:
        text: ``df -P`` output (in the C locale, so the header is English).
        mounts: :func:`parse_mounts` of the same node.

    Raises:
        ParseError: no POSIX header, or a row that is not one.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    header = _DF_HEADER.match(lines[0].strip()) if lines else None
    if header is None:
        raise ParseError("not df -P output (no 'Filesystem 1024-blocks …' header)")
    unit = whole(header.group(1), "df -P: block size")
    rows = []
    for line in lines[1:]:
        match = _DF_ROW.match(line)
        if match is None:
            raise ParseError(f"unexpected line in df -P output: {line[:100]!r}")
        device, total, used, free, mountpoint = match.groups()
        sizes = [whole(n, "df -P: blocks") * unit for n in (total, used, free)]
        fstype = mounts.get(mountpoint, (device, ""))[1]
        if _real_filesystem(device, mountpoint, fstype):
            rows.append(DiskUsage(mountpoint, device, fstype, *sizes))
    rows.sort(key=lambda d: (len(d.mountpoint), d.mountpoint))
    seen: set[str] = set()
    disks = []
    for disk in rows:
        if disk.device not in seen:
            seen.add(disk.device)
            disks.append(disk)
    return tuple(sorted(disks, key=lambda d: d.mountpoint))


# --------------------------------------------------------------------------- mdstat

_ARRAY = re.compile(r"^(\S+) : (active|inactive)\b(.*)$")
_MEMBER = re.compile(r"^(.+)\[(\d+)\]((?:\([A-Z]\))*)$")
_BLOCKS = re.compile(r"^\s+([0-9]+) blocks\b")
_DISKS = re.compile(r"\[([0-9]+)/([0-9]+)\]")
_MAP = re.compile(r"\[([U_]+)\]")
# A resync and a delayed one compile on first use (``re`` caches them; issue 15).
_PROGRESS = (
    r"^\s+\[[=>.]*\]\s+(\w+)\s*=\s*([0-9.]+)%\s*\([0-9]+/[0-9]+\)"
    r"(?:\s*finish=([0-9.]+)min)?(?:\s*speed=([0-9]+)K/sec)?"
)
_WAITING = r"^\s+(\w+)=(DELAYED|PENDING)\s*$"


def parse_mdstat(text: str) -> tuple[MdArray, ...]:
    """Parse /proc/mdstat: arrays, members, sync maps and running or waiting resyncs.

    Returns:
        One array per ``mdN :`` line, in file order; empty when md has none.

    Raises:
        ParseError: not /proc/mdstat, or truncated (it always ends with
            ``unused devices:``).
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Personalities :"):
        raise ParseError("not /proc/mdstat (no 'Personalities :' line)")
    if not any(line.startswith("unused devices:") for line in lines):
        raise ParseError("/proc/mdstat is truncated (no 'unused devices:' line)")
    arrays: list[MdArray] = []
    for line in lines[1:]:
        if line.startswith("unused devices:"):
            break
        if match := _ARRAY.match(line):
            arrays.append(_array_line(match))
        elif line.strip() and arrays:
            arrays[-1] = _detail_line(arrays[-1], line)
        elif line.strip():
            raise ParseError(f"unexpected line in /proc/mdstat: {line[:100]!r}")
    return tuple(arrays)


def _array_line(match: re.Match[str]) -> MdArray:
    name, state, rest = match.groups()
    read_only = level = None
    members = []
    for token in rest.split():
        if token in ("(read-only)", "(auto-read-only)"):
            read_only = token.strip("()")
        elif member := _MEMBER.match(token):
            flags = tuple(re.findall(r"\(([A-Z])\)", member.group(3)))
            index = whole(member.group(2), f"/proc/mdstat {name}: member index")
            members.append(MdMember(member.group(1), index, flags))
        elif level is None and not members:
            level = token
        else:
            raise ParseError(f"unexpected word {token!r} in /proc/mdstat array {name}")
    return MdArray(name=name, active=state == "active", level=level, read_only=read_only,
                   members=tuple(sorted(members, key=lambda m: m.index)))


def _detail_line(array: MdArray, line: str) -> MdArray:
    if match := _BLOCKS.match(line):
        disks, status_map = _DISKS.search(line), _MAP.search(line)
        return replace(
            array,
            blocks=whole(match.group(1), f"/proc/mdstat {array.name}: blocks"),
            raid_disks=whole(disks.group(1), "/proc/mdstat: disks") if disks else None,
            working_disks=whole(disks.group(2), "/proc/mdstat: disks") if disks else None,
            status_map=status_map.group(1) if status_map else None,
        )
    if line.strip().startswith("bitmap:"):  # before the rare patterns: no compiling them
        return array
    if match := re.match(_PROGRESS, line):
        action, done, finish, speed = match.groups()
        return replace(
            array, action=action,
            progress_percent=percent(decimal(done, f"/proc/mdstat {array.name}: progress"),
                                     f"/proc/mdstat {array.name}: progress"),
            finish_minutes=decimal(finish, "/proc/mdstat: finish") if finish else None,
            speed_kib_s=whole(speed, "/proc/mdstat: speed") if speed else None,
        )
    if match := re.match(_WAITING, line):
        return replace(array, action=match.group(1), pending=match.group(2))
    raise ParseError(f"unexpected line for {array.name} in /proc/mdstat: {line[:100]!r}")


# --------------------------------------------------------------------------- reading


_mdstats = NodeParses(lambda text, _node: parse_mdstat(text))
_mounts = NodeParses(lambda text, _node: parse_mounts(text))
"""Each node's last parse of what seldom changes: the same text gives the very same
value (the value is never changed: the mounts' dict is only read, by :func:`parse_df`)."""
_last_disks: dict[str, tuple[str, dict[str, tuple[str, str]] | None, tuple[DiskUsage, ...]]] = {}
"""Node → its last ``df -P`` text, the very mounts it was parsed with, and the disks."""


def _df_disks(text: str, mounts: dict[str, tuple[str, str]] | None,
           node: str) -> tuple[DiskUsage, ...]:
    """:func:`parse_df`, or the node's last disks if the text and mounts are the same."""
    last = _last_disks.get(node)
    if last is not None and last[0] == text and last[1] is mounts:
        return last[2]
    disks = parse_df(text, mounts or {})
    if last is None and len(_last_disks) >= 256:
        _last_disks.clear()
    _last_disks[node] = (text, mounts, disks)
    return disks


def _md_arrays(runner: Runner) -> tuple[tuple[MdArray, ...], str | None]:
    result = runner.fetch(MDSTAT)
    if result.missing:
        return (), None  # no md driver loaded: no arrays
    if not result.ok:
        return (), f"/proc/mdstat: {result.reason()}"
    try:
        return parse_output(lambda text: _mdstats(text, runner.node), result.stdout), None
    except ParseError as exc:
        return (), f"cannot parse /proc/mdstat: {exc}"


def _peer_facts(runner: Runner) -> Reading[HostMetrics] | None:
    """A peer's facts from /proc and df (:data:`PEER_COMMANDS`); None when the node has
    no /proc/loadavg to read (a bundle or lab that holds the facts document instead).

    A part that fails leaves its fields empty and its reason in the error; the others
    still show (a hung df must not hide the load).
    """
    clock = Clock("host", runner.node)
    results = {command.name: runner.fetch(command) for command in PEER_COMMANDS}
    if results[PROC_LOADAVG.name].missing:
        return None
    errors: list[str] = []

    def part(command: Command, parser: Callable[[str], T]) -> T | None:
        name = command.path or ("/proc/stat" if command is PROC_STAT else "df -P")
        value, error = parsed(results[command.name], parser, name=name)
        if error is not None:
            errors.append(error)
        return value

    load = part(PROC_LOADAVG, parse_loadavg)
    cpu = part(PROC_STAT, parse_proc_stat)
    memory = part(PROC_MEMINFO, parse_meminfo)
    uptime = part(PROC_UPTIME, parse_uptime)
    node = runner.node
    mounts = part(PROC_MOUNTS, lambda text: _mounts(text, node))
    disks = part(DF, lambda text: _df_disks(text, mounts, node))
    if len(errors) == len(PEER_COMMANDS):
        kinds = {r.error_kind for r in results.values()}
        # Every command failed alike on an unreachable node (one batched round trip):
        # its error once, not once per file ("director lvs1 down (ssh lvs1: … × 6)").
        return clock.failed("; ".join(dict.fromkeys(errors)),
                            kind=kinds.pop() if len(kinds) == 1 else None)
    total, available, swap_total, swap_used = memory or (None, None, None, None)
    metrics = HostMetrics(
        node=runner.node, load=load,
        cpu_count=cpu[0] if cpu else None, cpu_percent=cpu[1] if cpu else None,
        memory_total=total, memory_available=available,
        swap_total=swap_total, swap_used=swap_used,
        uptime_s=uptime, disks=disks or (),
    )
    return Reading(metrics, clock.status(error="; ".join(errors) or None))


@never_raises("host")
def read(runner: Runner) -> Reading[HostMetrics]:
    """Read the node's metrics and md arrays. Never raises.

    On the local node the LocalRunner gathers the facts in process (``HOST_FACTS.local``);
    on any other node they come from its /proc files and ``df -P`` (:func:`_peer_facts`),
    or, where those are not to be had (an older bundle, the lab), from the recorded facts
    document. A missing /proc/mdstat means no md arrays. When the facts fail but md arrays
    were read, they are still returned (a degraded mirror should not hide behind a failed
    df), with the error.
    """
    clock = Clock("host", runner.node)
    facts = None if runner.local else _peer_facts(runner)
    if facts is None:
        facts = parse_result(clock, runner.fetch(HOST_FACTS),
                             lambda text: parse_facts(text, runner.node))
    arrays, md_error = _md_arrays(runner)
    if facts.value is None:
        if not arrays:
            return facts
        error = "; ".join(e for e in (facts.status.error, md_error) if e)
        return Reading(HostMetrics(node=runner.node, md_arrays=arrays), clock.status(error))
    metrics = replace(facts.value, md_arrays=arrays)
    errors = "; ".join(e for e in (facts.status.error, md_error) if e)
    return Reading(metrics, clock.status(error=errors or None))


if __name__ == "__main__":
    sys.stdout.write(gather_facts())
