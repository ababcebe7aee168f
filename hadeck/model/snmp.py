"""What an SNMP agent answered.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import SnmpInterface``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hadeck.model.host import DiskUsage


@dataclass(frozen=True)
class SnmpInterface:
    """One row of IF-MIB: a network interface's counters as the agent reports them."""

    index: int
    name: str
    """``ifName`` (IF-MIB ifXTable), else ``ifDescr``."""
    oper_status: str | None = None
    """``up``, ``down``, ``testing``, ``unknown``, ``dormant``, ``notPresent``,
    ``lowerLayerDown``; the number as text when it is none of those."""
    in_octets: int | None = None
    """``ifHCInOctets`` (64-bit) when the agent has it, else ``ifInOctets``."""
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None


@dataclass(frozen=True)
class SnmpReading:
    """What one SNMP agent answered in one poll (or why it did not).

    Used for hosts hadeck has no ssh to: LVS real servers (their load beside their row,
    and the weights computed from it) and nodes configured to be read by SNMP. Each
    value is None when the agent does not serve it (a MIB not compiled in, a
    ``disk`` line missing from snmpd.conf): not knowing is not zero.
    """

    agent: str
    """The agent's name in the configuration (``[snmp.agents.NAME]``)."""
    address: str
    """Where it was asked: the host or address, without the port."""
    read_at: float
    """Unix time at which the poll started."""
    duration: float = 0.0
    """Seconds the poll took, all requests together."""
    error: str | None = None
    """Why the agent gave no (or partial) answers, said for an operator; None when it
    answered. Never holds a community or a password."""
    error_kind: str | None = None
    """``timeout`` (no answer: agent down, filtered, or a wrong v2c community, which an
    agent answers with silence), ``auth`` (SNMPv3 user or password refused), or
    ``failed`` (anything else); None when ``error`` is None."""
    uptime_s: float | None = None
    """The agent's ``sysUpTime`` in seconds (it restarts with snmpd, not the host)."""
    host_uptime_s: float | None = None
    """HOST-RESOURCES-MIB ``hrSystemUptime`` in seconds: the host's own uptime."""
    load: tuple[float, float, float] | None = None
    """UCD-SNMP-MIB ``laLoad`` 1, 5 and 15 minutes."""
    cpu_count: int | None = None
    """Rows of HOST-RESOURCES-MIB ``hrProcessorTable``."""
    cpu_percent: float | None = None
    """The mean of ``hrProcessorLoad`` (each a 1-minute average, 0–100)."""
    memory_total: int | None = None
    """Bytes (UCD ``memTotalReal``)."""
    memory_available: int | None = None
    """Bytes: UCD ``memSysAvail`` (the kernel's MemAvailable) when served, else
    ``memAvailReal`` + ``memBuffer`` + ``memCached``."""
    swap_total: int | None = None
    swap_used: int | None = None
    disks: tuple[DiskUsage, ...] = ()
    """UCD ``dskTable`` (the ``disk`` lines of snmpd.conf), else the fixed disks of
    HOST-RESOURCES-MIB ``hrStorageTable``."""
    interfaces: tuple[SnmpInterface, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def load_per_cpu(self) -> float | None:
        """The 1-minute load divided by the processors (the load itself when the agent
        does not say how many there are)."""
        if self.load is None:
            return None
        return self.load[0] / (self.cpu_count or 1)

    @property
    def memory_used_percent(self) -> float | None:
        if not self.memory_total or self.memory_available is None:
            return None
        return 100.0 * (self.memory_total - self.memory_available) / self.memory_total
