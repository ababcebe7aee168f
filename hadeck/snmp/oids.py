"""The numeric OIDs hadeck reads (Debian ships no MIB files: names are comments here).

Scalars are fetched in one GET; tables are bulk-walked column by column, so an agent
sends only the columns used (an ifXTable row has 19 columns, hadeck reads 3 of them).
"""

from __future__ import annotations

# SNMPv2-MIB
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
"""sysUpTime.0: hundredths of a second since the agent started."""
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"
"""hrSystemUptime.0: hundredths of a second since the host booted."""

# UCD-SNMP-MIB laTable (laLoad: text, "1.44"; laLoadInt: load × 100)
LA_LOAD = "1.3.6.1.4.1.2021.10.1.3"
LA_LOAD_INT = "1.3.6.1.4.1.2021.10.1.5"
"""Not asked for (net-snmp serves laLoad, the same figure, beside it; each value costs
an SNMPv3 poll ~0.05–0.1 ms of CPU to decode): read when an answer holds it (a recorded one)."""

# UCD-SNMP-MIB memory scalars, in KiB
MEM_TOTAL_SWAP = "1.3.6.1.4.1.2021.4.3.0"
MEM_AVAIL_SWAP = "1.3.6.1.4.1.2021.4.4.0"
MEM_TOTAL_REAL = "1.3.6.1.4.1.2021.4.5.0"
MEM_AVAIL_REAL = "1.3.6.1.4.1.2021.4.6.0"
MEM_BUFFER = "1.3.6.1.4.1.2021.4.14.0"
MEM_CACHED = "1.3.6.1.4.1.2021.4.15.0"
MEM_SYS_AVAIL = "1.3.6.1.4.1.2021.4.27.0"
"""memSysAvail: the kernel's MemAvailable (net-snmp 5.9 and later)."""

SCALARS: tuple[str, ...] = (
    SYS_UPTIME, HR_SYSTEM_UPTIME,
    *(f"{LA_LOAD}.{i}" for i in (1, 2, 3)),
    MEM_TOTAL_SWAP, MEM_AVAIL_SWAP, MEM_TOTAL_REAL, MEM_AVAIL_REAL, MEM_BUFFER,
    MEM_CACHED, MEM_SYS_AVAIL,
)
"""Everything fetched as the non-repeaters of a poll's first GETBULK."""

# HOST-RESOURCES-MIB hrProcessorTable
HR_PROCESSOR_FRW_ID = "1.3.6.1.2.1.25.3.3.1.1"
"""One row per processor: counted for the number of CPUs."""
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
"""Percent busy over the last minute (net-snmp serves it a minute after it starts)."""

# UCD-SNMP-MIB dskTable (only the disks snmpd.conf lists with `disk`)
DSK_PATH = "1.3.6.1.4.1.2021.9.1.2"
DSK_DEVICE = "1.3.6.1.4.1.2021.9.1.3"
DSK_TOTAL_LOW = "1.3.6.1.4.1.2021.9.1.11"
DSK_TOTAL_HIGH = "1.3.6.1.4.1.2021.9.1.12"
DSK_AVAIL_LOW = "1.3.6.1.4.1.2021.9.1.13"
DSK_AVAIL_HIGH = "1.3.6.1.4.1.2021.9.1.14"
DSK_USED_LOW = "1.3.6.1.4.1.2021.9.1.15"
DSK_USED_HIGH = "1.3.6.1.4.1.2021.9.1.16"
"""KiB, each as two 32-bit halves (dskTotal/dskAvail/dskUsed overflow at 2 TiB)."""
DSK_TOTAL = "1.3.6.1.4.1.2021.9.1.6"
DSK_AVAIL = "1.3.6.1.4.1.2021.9.1.7"
DSK_USED = "1.3.6.1.4.1.2021.9.1.8"
"""KiB, 32-bit: for agents without the High/Low columns."""

# HOST-RESOURCES-MIB hrStorageTable
HR_STORAGE_TYPE = "1.3.6.1.2.1.25.2.3.1.2"
HR_STORAGE_DESCR = "1.3.6.1.2.1.25.2.3.1.3"
HR_STORAGE_UNITS = "1.3.6.1.2.1.25.2.3.1.4"
HR_STORAGE_SIZE = "1.3.6.1.2.1.25.2.3.1.5"
HR_STORAGE_USED = "1.3.6.1.2.1.25.2.3.1.6"
HR_STORAGE_FIXED_DISK = "1.3.6.1.2.1.25.2.1.4"
"""hrStorageType of a mounted file system (the rows kept as disks)."""

# IF-MIB ifTable and ifXTable
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_IN_ERRORS = "1.3.6.1.2.1.2.2.1.14"
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"
IF_OUT_ERRORS = "1.3.6.1.2.1.2.2.1.20"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"

IF_OPER_STATES = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant",
                  6: "notPresent", 7: "lowerLayerDown"}

LOAD_COLUMNS: tuple[str, ...] = (HR_PROCESSOR_FRW_ID, HR_PROCESSOR_LOAD)
"""Walked for every agent: with the scalars, what a real server's weight needs."""
HOST_COLUMNS: tuple[str, ...] = (
    DSK_PATH, DSK_DEVICE, DSK_TOTAL_LOW, DSK_TOTAL_HIGH, DSK_AVAIL_LOW, DSK_AVAIL_HIGH,
    DSK_USED_LOW, DSK_USED_HIGH,
    IF_NAME, IF_OPER_STATUS, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_IN_ERRORS, IF_OUT_ERRORS,
)
"""Walked too for an agent that stands in for ssh (host facts: disks, interfaces).
The 32-bit dskTotal/ifInOctets columns and ifDescr are left out: every net-snmp since
5.4 serves the 64-bit ones and ifName, and each column walked costs every poll (pysnmp
decodes ~0.05–0.1 ms of CPU per value for SNMPv3)."""
STORAGE_COLUMNS: tuple[str, ...] = (
    HR_STORAGE_TYPE, HR_STORAGE_DESCR, HR_STORAGE_UNITS, HR_STORAGE_SIZE, HR_STORAGE_USED,
)
"""Walked only when an agent has no dskTable (no ``disk`` line in its snmpd.conf)."""
