"""What a lab host's snmpd would answer hadeck's poll, as net-snmp's ``snmpwalk -On`` prints.

The lab is simulated all the way down (no process listens for it), so SNMP is answered
where a bundle's replay answers it: at the poller's boundary
(:meth:`hadeck.lab.runner.LabAccess.snmp_answers`), as the text the poller itself writes
(:mod:`hadeck.snmp.answers`), which :mod:`hadeck.snmp.parse` reads into the model. The
lines are written as net-snmp 5.9 prints them (``STRING: "4.14"``, ``Timeticks: (50)
0:00:00.50``, ``OID: .0.0``; tests/fixtures/snmp/net-snmp-5.9-walk.txt is a capture of
the real snmpd answering the same OIDs), so the lab exercises the parser on the real
format, not on a format of its own.

What the lab's hosts answer:

- a **real server** (an address of the lab's LVS services): uptime, the load average
  (laLoad, laLoadInt), memory and swap (UCD memory scalars, KiB), and a processor table
  (hrProcessorFrwID, hrProcessorLoad); its load follows the weight keepalived gives it
  (more weight, more traffic) and moves with the lab's clock, deterministically. A real
  server the lab killed (``kill-rs`` in every service it serves) does not answer: the
  poller's timeout, as a host that is down;
- a **node or director** (by name or address): its host metrics
  (:func:`hadeck.lab.derive.host`) as the same scalars and table, plus its disks as
  dskTable — the same figures a read over ssh gives.
"""

from __future__ import annotations

from hadeck.model import HostMetrics
from hadeck.snmp import oids

PROCESSOR_INDEX = 196608
"""net-snmp numbers hrProcessorTable rows from 196608 (hrDeviceIndex of the first CPU)."""
MEMORY_KIB = 8 * 1024 * 1024
"""A lab real server's memory: 8 GiB."""


def _ticks(seconds: float) -> str:
    """``Timeticks: (N) D day(s), H:MM:SS.CC`` as net-snmp prints it."""
    ticks = int(seconds * 100)
    days, rest = divmod(ticks, 8_640_000)
    hours, rest = divmod(rest, 360_000)
    minutes, rest = divmod(rest, 6_000)
    clock = f"{hours}:{minutes:02}:{rest // 100:02}.{rest % 100:02}"
    if days:
        clock = f"{days} day{'s' if days != 1 else ''}, {clock}"
    return f"Timeticks: ({ticks}) {clock}"


def answers(load: tuple[float, float, float], cpus: int, cpu_percent: float,
            memory_total_kib: int, memory_available_kib: int, swap_total_kib: int,
            swap_free_kib: int, uptime_s: float, agent_uptime_s: float,
            disks: tuple[tuple[str, str, int, int, int], ...] = ()) -> str:
    """One host's answers, in the poller's order (scalars, then the tables by column).

    Args:
        load: the 1, 5 and 15 minute load averages.
        cpus: processors (rows of hrProcessorTable).
        cpu_percent: percent busy of each processor over the last minute.
        memory_total_kib, memory_available_kib, swap_total_kib, swap_free_kib: KiB.
        uptime_s: since the host booted (hrSystemUptime); agent_uptime_s: since snmpd
            started (sysUpTime).
        disks: (path, device, total KiB, available KiB, used KiB) for dskTable.
    """
    out = [f".{oids.SYS_UPTIME} = {_ticks(agent_uptime_s)}",
           f".{oids.HR_SYSTEM_UPTIME} = {_ticks(uptime_s)}"]
    out += [f'.{oids.LA_LOAD}.{i} = STRING: "{value:.2f}"' for i, value in enumerate(load, 1)]
    out += [f".{oids.LA_LOAD_INT}.{i} = INTEGER: {round(value * 100)}"
            for i, value in enumerate(load, 1)]
    buffers = memory_total_kib // 50
    cached = max(0, memory_available_kib - buffers) // 2
    # KiB; without MIB files (Debian ships none) net-snmp prints no "kB" unit, and
    # memSysAvail is a Counter64 where the others are INTEGER.
    out += [f".{oid} = INTEGER: {value}" for oid, value in (
        (oids.MEM_TOTAL_SWAP, swap_total_kib), (oids.MEM_AVAIL_SWAP, swap_free_kib),
        (oids.MEM_TOTAL_REAL, memory_total_kib),
        (oids.MEM_AVAIL_REAL, max(0, memory_available_kib - buffers - cached)),
        (oids.MEM_BUFFER, buffers), (oids.MEM_CACHED, cached))]
    out.append(f".{oids.MEM_SYS_AVAIL} = Counter64: {memory_available_kib}")
    rows = range(PROCESSOR_INDEX, PROCESSOR_INDEX + cpus)
    out += [f".{oids.HR_PROCESSOR_FRW_ID}.{row} = OID: .0.0" for row in rows]
    out += [f".{oids.HR_PROCESSOR_LOAD}.{row} = INTEGER: {round(cpu_percent)}"
            for row in rows]
    out += [f'.{oids.DSK_PATH}.{i} = STRING: "{d[0]}"' for i, d in enumerate(disks, 1)]
    out += [f'.{oids.DSK_DEVICE}.{i} = STRING: "{d[1]}"' for i, d in enumerate(disks, 1)]
    for high, low, sizes in ((oids.DSK_TOTAL_HIGH, oids.DSK_TOTAL_LOW, [d[2] for d in disks]),
                             (oids.DSK_AVAIL_HIGH, oids.DSK_AVAIL_LOW, [d[3] for d in disks]),
                             (oids.DSK_USED_HIGH, oids.DSK_USED_LOW, [d[4] for d in disks])):
        # KiB in two 32-bit halves, as net-snmp serves them (dskTotalLow / dskTotalHigh)
        out += [f".{low}.{i} = Gauge32: {v & 0xFFFFFFFF}" for i, v in enumerate(sizes, 1)]
        out += [f".{high}.{i} = Gauge32: {v >> 32}" for i, v in enumerate(sizes, 1)]
    return "\n".join(out) + "\n"


def host_answers(metrics: HostMetrics) -> str:
    """A lab node's or director's answers: the host metrics a read over ssh gives."""
    kib = 1024
    disks = tuple((d.mountpoint, d.device, d.total_bytes // kib, d.free_bytes // kib,
                   d.used_bytes // kib) for d in metrics.disks)
    total = (metrics.memory_total or 0) // kib
    swap = (metrics.swap_total or 0) // kib
    return answers(
        load=metrics.load or (0.0, 0.0, 0.0), cpus=metrics.cpu_count or 1,
        cpu_percent=metrics.cpu_percent or 0.0, memory_total_kib=total,
        memory_available_kib=(metrics.memory_available or 0) // kib,
        swap_total_kib=swap, swap_free_kib=swap - (metrics.swap_used or 0) // kib,
        uptime_s=metrics.uptime_s or 0.0, agent_uptime_s=metrics.uptime_s or 0.0,
        disks=disks)
