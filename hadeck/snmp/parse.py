"""The model from an agent's answers: pure, no I/O (:func:`parse_reading`).

Values an agent does not serve stay None (or empty): a MIB not compiled into snmpd, a
``disk`` line missing from snmpd.conf, hrProcessorLoad in the first minute after snmpd
starts. A value of the wrong type (text where a number belongs) is refused with
:class:`~hadeck.snmp.answers.AnswerError`, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from hadeck.model import DiskUsage, HostMetrics, SnmpInterface, SnmpReading
from hadeck.snmp import oids
from hadeck.snmp.answers import AnswerError, Value, parse

KIB = 1024


def parse_reading(text: str, agent: str, address: str, read_at: float,
                  duration: float = 0.0, error: str | None = None,
                  error_kind: str | None = None) -> SnmpReading:
    """One agent's reading from its answers as text (:mod:`hadeck.snmp.answers`).

    Args:
        text: the answers, one ``OID = TYPE: value`` line each; may be empty when the
            agent did not answer (then ``error`` says why).
        agent: the agent's configured name.
        address: where it was asked.
        read_at: Unix time the poll started.
        duration: seconds the poll took.
        error: why the agent gave no or partial answers.
        error_kind: ``timeout``, ``auth`` or ``failed``, with ``error``.

    Raises:
        AnswerError: the text is not SNMP answers, or a value has the wrong type.
    """
    values = parse(text)
    return SnmpReading(
        agent=agent, address=address, read_at=read_at, duration=duration,
        error=error, error_kind=(error_kind or "failed") if error else None,
        uptime_s=_ticks(values.get(oids.SYS_UPTIME)),
        host_uptime_s=_ticks(values.get(oids.HR_SYSTEM_UPTIME)),
        load=_load(values),
        cpu_count=len(_column(values, oids.HR_PROCESSOR_FRW_ID)) or None,
        cpu_percent=_cpu(values),
        **_memory(values),
        disks=_disks(values),
        interfaces=_interfaces(values),
    )


def host_metrics(node: str, reading: SnmpReading) -> HostMetrics:
    """A node's host facts from its SNMP reading, for a node read by SNMP instead of ssh.

    CPU, load, memory, swap, disks and uptime as ssh would give them; no MD RAID (no MIB
    serves /proc/mdstat).
    """
    return HostMetrics(node=node, load=reading.load, cpu_count=reading.cpu_count,
                       cpu_percent=reading.cpu_percent, memory_total=reading.memory_total,
                       memory_available=reading.memory_available,
                       swap_total=reading.swap_total, swap_used=reading.swap_used,
                       uptime_s=reading.host_uptime_s, disks=reading.disks)


def _int(value: Value, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(f"{what}: {value!r} is not a whole number")
    return value


def _ticks(value: Value) -> float | None:
    ticks = _int(value, "sysUpTime")
    return None if ticks is None else ticks / 100.0


def _column(values: Mapping[str, Value], column: str) -> dict[str, Value]:
    """The rows of one table column, by index (the OID's part after the column)."""
    prefix = column + "."
    return {oid[len(prefix):]: v for oid, v in values.items()
            if oid.startswith(prefix) and v is not None}


def _load(values: Mapping[str, Value]) -> tuple[float, float, float] | None:
    loads: list[float] = []
    for i in (1, 2, 3):
        text, whole = values.get(f"{oids.LA_LOAD}.{i}"), values.get(f"{oids.LA_LOAD_INT}.{i}")
        if isinstance(text, str) and text.strip():
            try:
                load = float(text)
            except ValueError:
                raise AnswerError(f"laLoad.{i}: {text!r} is not a number") from None
        elif whole is not None:
            load = (_int(whole, f"laLoadInt.{i}") or 0) / 100.0
        else:
            return None
        if not (math.isfinite(load) and load >= 0):
            raise AnswerError(f"laLoad.{i}: {load!r} is not a load")
        loads.append(load)
    return (loads[0], loads[1], loads[2])


def _cpu(values: Mapping[str, Value]) -> float | None:
    loads = [_int(v, "hrProcessorLoad") or 0
             for v in _column(values, oids.HR_PROCESSOR_LOAD).values()]
    if not loads:
        return None
    mean = sum(loads) / len(loads)
    if not 0 <= mean <= 100:
        raise AnswerError(f"hrProcessorLoad: {mean} is not a percentage")
    return mean


def _kib(values: Mapping[str, Value], oid: str, what: str) -> int | None:
    number = _int(values.get(oid), what)
    return None if number is None else number * KIB


def _memory(values: Mapping[str, Value]) -> dict[str, int | None]:
    total = _kib(values, oids.MEM_TOTAL_REAL, "memTotalReal")
    available = _kib(values, oids.MEM_SYS_AVAIL, "memSysAvail")
    if available is None:
        parts = [_kib(values, oid, name) for oid, name in (
            (oids.MEM_AVAIL_REAL, "memAvailReal"), (oids.MEM_BUFFER, "memBuffer"),
            (oids.MEM_CACHED, "memCached"))]
        if parts[0] is not None:
            available = sum(p or 0 for p in parts)
            if total is not None:
                available = min(available, total)
    swap_total = _kib(values, oids.MEM_TOTAL_SWAP, "memTotalSwap")
    swap_free = _kib(values, oids.MEM_AVAIL_SWAP, "memAvailSwap")
    swap_used = None
    if swap_total is not None and swap_free is not None:
        swap_used = max(0, swap_total - swap_free)
    return {"memory_total": total, "memory_available": available,
            "swap_total": swap_total, "swap_used": swap_used}


def _wide(values: Mapping[str, Value], high: str, low: str, narrow: str, index: str,
          what: str) -> int | None:
    """A dskTable size in bytes: the High/Low halves when served, else the 32-bit column."""
    hi, lo = values.get(f"{high}.{index}"), values.get(f"{low}.{index}")
    if hi is not None and lo is not None:
        return (((_int(hi, what) or 0) << 32) + (_int(lo, what) or 0)) * KIB
    return _kib(values, f"{narrow}.{index}", what)


def _disks(values: Mapping[str, Value]) -> tuple[DiskUsage, ...]:
    paths = _column(values, oids.DSK_PATH)
    devices = _column(values, oids.DSK_DEVICE)
    disks: list[DiskUsage] = []
    for index, path in sorted(paths.items(), key=lambda item: _index_key(item[0])):
        total = _wide(values, oids.DSK_TOTAL_HIGH, oids.DSK_TOTAL_LOW, oids.DSK_TOTAL,
                      index, "dskTotal")
        avail = _wide(values, oids.DSK_AVAIL_HIGH, oids.DSK_AVAIL_LOW, oids.DSK_AVAIL,
                      index, "dskAvail")
        used = _wide(values, oids.DSK_USED_HIGH, oids.DSK_USED_LOW, oids.DSK_USED,
                     index, "dskUsed")
        if total is None or total <= 0:  # a `disk` line for a path not mounted
            continue
        disks.append(DiskUsage(mountpoint=str(path), device=str(devices.get(index, "")),
                               fstype="", total_bytes=total,
                               used_bytes=max(0, used or 0), free_bytes=max(0, avail or 0)))
    if disks:
        return tuple(disks)
    return _hr_disks(values)


def _hr_disks(values: Mapping[str, Value]) -> tuple[DiskUsage, ...]:
    types = _column(values, oids.HR_STORAGE_TYPE)
    disks: list[DiskUsage] = []
    for index, kind in sorted(types.items(), key=lambda item: _index_key(item[0])):
        if kind != oids.HR_STORAGE_FIXED_DISK:
            continue
        units = _int(values.get(f"{oids.HR_STORAGE_UNITS}.{index}"), "hrStorageAllocationUnits")
        size = _int(values.get(f"{oids.HR_STORAGE_SIZE}.{index}"), "hrStorageSize")
        used = _int(values.get(f"{oids.HR_STORAGE_USED}.{index}"), "hrStorageUsed")
        if not units or not size or units < 0 or size < 0:
            continue
        used_bytes = max(0, min(used or 0, size)) * units
        disks.append(DiskUsage(
            mountpoint=str(values.get(f"{oids.HR_STORAGE_DESCR}.{index}") or index),
            device="", fstype="", total_bytes=size * units, used_bytes=used_bytes,
            free_bytes=size * units - used_bytes))
    return tuple(disks)


def _interfaces(values: Mapping[str, Value]) -> tuple[SnmpInterface, ...]:
    descr = _column(values, oids.IF_DESCR)
    names = _column(values, oids.IF_NAME)
    found: list[SnmpInterface] = []
    for index in sorted(set(descr) | set(names), key=_index_key):
        if "." in index:
            raise AnswerError(f"ifIndex {index!r} is not a number")
        number = int(index)
        status = _int(values.get(f"{oids.IF_OPER_STATUS}.{index}"), "ifOperStatus")

        def count(hc: str | None, narrow: str, what: str, i: str = index) -> int | None:
            wide = values.get(f"{hc}.{i}") if hc else None
            return _int(wide if wide is not None else values.get(f"{narrow}.{i}"), what)

        found.append(SnmpInterface(
            index=number,
            name=str(names.get(index) or descr.get(index) or index),
            oper_status=None if status is None else oids.IF_OPER_STATES.get(status, str(status)),
            in_octets=count(oids.IF_HC_IN_OCTETS, oids.IF_IN_OCTETS, "ifInOctets"),
            out_octets=count(oids.IF_HC_OUT_OCTETS, oids.IF_OUT_OCTETS, "ifOutOctets"),
            in_errors=count(None, oids.IF_IN_ERRORS, "ifInErrors"),
            out_errors=count(None, oids.IF_OUT_ERRORS, "ifOutErrors"),
        ))
    return tuple(found)


def _index_key(index: str) -> tuple[int, ...]:
    # The answers' OIDs are digits and dots (answers._LINE): a table index always is.
    return tuple(int(part) for part in index.split("."))
