"""Host metrics: load, CPU, memory, swap, uptime, disk usage, and Linux md RAID arrays.

The metrics are gathered with psutil by :func:`gather_facts`, which returns a small JSON
document. That document is the source's raw output, the same whether it was gathered in
process (the local node) or by ``python3 -m hadeck.sources.host`` on another node over
ssh, so snapshot bundles store it like any tool's output and :func:`parse_facts` reads it
back. /proc/mdstat is read as a file and parsed by :func:`parse_mdstat`.

psutil is imported only when facts are gathered here: the check plugins that read a
bundle or a remote node do not pay its import time (about 50 ms, FACTS.md).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import replace
from typing import Any

from hadeck.model import DiskUsage, HostMetrics, MdArray, MdMember
from hadeck.runner import Command, Runner
from hadeck.sources.base import (
    Clock,
    ParseError,
    Reading,
    decimal,
    json_number,
    never_raises,
    parse_output,
    parse_result,
    percent,
    whole,
)

# On this machine the LocalRunner answers HOST_FACTS in process through ``local``; on
# another node the argv runs over ssh. Both go through runner.fetch, so a snapshot's
# recording runner stores the document either way.
HOST_FACTS = Command(
    "host/facts.json",
    ("python3", "-m", "hadeck.sources.host"),
    local=lambda: _gather_in_process(),
)
MDSTAT = Command("host/mdstat.txt", path="/proc/mdstat")

COMMANDS: tuple[Command, ...] = (HOST_FACTS, MDSTAT)

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


# --------------------------------------------------------------------------- mdstat

_ARRAY = re.compile(r"^(\S+) : (active|inactive)\b(.*)$")
_MEMBER = re.compile(r"^(.+)\[(\d+)\]((?:\([A-Z]\))*)$")
_BLOCKS = re.compile(r"^\s+([0-9]+) blocks\b")
_DISKS = re.compile(r"\[([0-9]+)/([0-9]+)\]")
_MAP = re.compile(r"\[([U_]+)\]")
_PROGRESS = re.compile(
    r"^\s+\[[=>.]*\]\s+(\w+)\s*=\s*([0-9.]+)%\s*\([0-9]+/[0-9]+\)"
    r"(?:\s*finish=([0-9.]+)min)?(?:\s*speed=([0-9]+)K/sec)?"
)
_WAITING = re.compile(r"^\s+(\w+)=(DELAYED|PENDING)\s*$")


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
    if match := _PROGRESS.match(line):
        action, done, finish, speed = match.groups()
        return replace(
            array, action=action,
            progress_percent=percent(decimal(done, f"/proc/mdstat {array.name}: progress"),
                                     f"/proc/mdstat {array.name}: progress"),
            finish_minutes=decimal(finish, "/proc/mdstat: finish") if finish else None,
            speed_kib_s=whole(speed, "/proc/mdstat: speed") if speed else None,
        )
    if match := _WAITING.match(line):
        return replace(array, action=match.group(1), pending=match.group(2))
    if line.strip().startswith("bitmap:"):
        return array
    raise ParseError(f"unexpected line for {array.name} in /proc/mdstat: {line[:100]!r}")


# --------------------------------------------------------------------------- reading


def _md_arrays(runner: Runner) -> tuple[tuple[MdArray, ...], str | None]:
    result = runner.fetch(MDSTAT)
    if result.missing:
        return (), None  # no md driver loaded: no arrays
    if not result.ok:
        return (), f"/proc/mdstat: {result.reason()}"
    try:
        return parse_output(parse_mdstat, result.stdout), None
    except ParseError as exc:
        return (), f"cannot parse /proc/mdstat: {exc}"


@never_raises("host")
def read(runner: Runner) -> Reading[HostMetrics]:
    """Read the node's metrics and md arrays. Never raises.

    On the local node the LocalRunner gathers the facts in process (``HOST_FACTS.local``);
    elsewhere ``python3 -m hadeck.sources.host`` runs on the node. A missing /proc/mdstat means no
    md arrays. When the facts fail but md arrays were read, they are still returned
    (a degraded mirror should not hide behind a missing python3), with the error.
    """
    clock = Clock("host", runner.node)
    facts = parse_result(clock, runner.fetch(HOST_FACTS),
                         lambda text: parse_facts(text, runner.node))
    arrays, md_error = _md_arrays(runner)
    if facts.value is None:
        if not arrays:
            return facts
        error = "; ".join(e for e in (facts.status.error, md_error) if e)
        return Reading(HostMetrics(node=runner.node, md_arrays=arrays), clock.status(error))
    metrics = replace(facts.value, md_arrays=arrays)
    return Reading(metrics, clock.status(error=md_error))


if __name__ == "__main__":
    sys.stdout.write(gather_facts())
