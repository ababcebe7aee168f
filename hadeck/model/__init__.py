"""The state model: one frozen snapshot of a whole cluster.

Every face (dashboard, check plugins, ``hadeck status``) reads a :class:`ClusterState`;
every source (Pacemaker, DRBD, LVS, guests, corosync, host) contributes part of one. The
classes are frozen records (:mod:`hadeck.record`: dataclasses for mypy and for
``dataclasses.fields``/``replace``, their methods written out) of plain values, tuples and
nested records so that a state can be compared, diffed between two polls and written to
JSON and back (:mod:`hadeck.serial`).

State words from the real tools (DRBD disk states, Pacemaker roles, virsh states) are kept
as the text the tool printed. A word hadeck has never seen therefore survives parsing and
is judged UNKNOWN by :mod:`hadeck.health` instead of crashing a parser or being dropped.
The few normalisations (``Master`` → ``Promoted``) are documented where they happen.

**One module per area, one name space.** :class:`Health`, :class:`SourceStatus` and
:class:`ClusterState` live here; each area's classes in a module of their own
(:mod:`~hadeck.model.pacemaker`, :mod:`~hadeck.model.drbd`, :mod:`~hadeck.model.guests`,
:mod:`~hadeck.model.lvs`, :mod:`~hadeck.model.corosync`, :mod:`~hadeck.model.snmp`,
:mod:`~hadeck.model.host`, :mod:`~hadeck.model.probes`, :mod:`~hadeck.model.storage`).
``from hadeck.model import X`` works for every class: an area's module is imported when
one of its names is first asked for. The reason is the check plugins' start-up (issue 15,
docs/design.md "The model's representation"): even without code generation at import
(records), a module costs its find and unmarshal, and a DRBD check needs 7 of the 37
classes, not all of them.
"""

from __future__ import annotations

from enum import IntEnum

from hadeck.record import record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any

    from hadeck.model.corosync import CorosyncLink as CorosyncLink
    from hadeck.model.corosync import CorosyncLinkPeer as CorosyncLinkPeer
    from hadeck.model.corosync import CorosyncQuorum as CorosyncQuorum
    from hadeck.model.corosync import CorosyncStatus as CorosyncStatus
    from hadeck.model.corosync import QuorumMember as QuorumMember
    from hadeck.model.drbd import DrbdConnection as DrbdConnection
    from hadeck.model.drbd import DrbdPeerVolume as DrbdPeerVolume
    from hadeck.model.drbd import DrbdResource as DrbdResource
    from hadeck.model.drbd import DrbdVolume as DrbdVolume
    from hadeck.model.guests import Guest as Guest
    from hadeck.model.host import DiskUsage as DiskUsage
    from hadeck.model.host import HostMetrics as HostMetrics
    from hadeck.model.host import MdArray as MdArray
    from hadeck.model.host import MdMember as MdMember
    from hadeck.model.lvs import LvsCounters as LvsCounters
    from hadeck.model.lvs import LvsDirector as LvsDirector
    from hadeck.model.lvs import RealServer as RealServer
    from hadeck.model.lvs import VirtualService as VirtualService
    from hadeck.model.lvs import VrrpInstance as VrrpInstance
    from hadeck.model.pacemaker import Ban as Ban
    from hadeck.model.pacemaker import ClusterInfo as ClusterInfo
    from hadeck.model.pacemaker import Colocation as Colocation
    from hadeck.model.pacemaker import FailCount as FailCount
    from hadeck.model.pacemaker import FailedAction as FailedAction
    from hadeck.model.pacemaker import LocationConstraint as LocationConstraint
    from hadeck.model.pacemaker import Node as Node
    from hadeck.model.pacemaker import NodeAttribute as NodeAttribute
    from hadeck.model.pacemaker import Operation as Operation
    from hadeck.model.pacemaker import Order as Order
    from hadeck.model.pacemaker import PacemakerState as PacemakerState
    from hadeck.model.pacemaker import PrimitiveConfig as PrimitiveConfig
    from hadeck.model.pacemaker import Resource as Resource
    from hadeck.model.pacemaker import ResourceKind as ResourceKind
    from hadeck.model.probes import PingProbe as PingProbe
    from hadeck.model.snmp import SnmpInterface as SnmpInterface
    from hadeck.model.snmp import SnmpReading as SnmpReading
    from hadeck.model.storage import BackupRepo as BackupRepo
    from hadeck.model.storage import BackupRun as BackupRun
    from hadeck.model.storage import LvmReport as LvmReport
    from hadeck.model.storage import LvmVolume as LvmVolume
    from hadeck.model.storage import LvmVolumeGroup as LvmVolumeGroup

_AREA = {
    "ClusterInfo": "pacemaker",
    "NodeAttribute": "pacemaker",
    "Node": "pacemaker",
    "ResourceKind": "pacemaker",
    "Resource": "pacemaker",
    "FailedAction": "pacemaker",
    "Operation": "pacemaker",
    "FailCount": "pacemaker",
    "LocationConstraint": "pacemaker",
    "Colocation": "pacemaker",
    "Order": "pacemaker",
    "PrimitiveConfig": "pacemaker",
    "Ban": "pacemaker",
    "PacemakerState": "pacemaker",
    "DrbdVolume": "drbd",
    "DrbdPeerVolume": "drbd",
    "DrbdConnection": "drbd",
    "DrbdResource": "drbd",
    "Guest": "guests",
    "LvsCounters": "lvs",
    "RealServer": "lvs",
    "VirtualService": "lvs",
    "VrrpInstance": "lvs",
    "LvsDirector": "lvs",
    "CorosyncLinkPeer": "corosync",
    "CorosyncLink": "corosync",
    "QuorumMember": "corosync",
    "CorosyncQuorum": "corosync",
    "CorosyncStatus": "corosync",
    "SnmpInterface": "snmp",
    "SnmpReading": "snmp",
    "DiskUsage": "host",
    "MdMember": "host",
    "MdArray": "host",
    "HostMetrics": "host",
    "PingProbe": "probes",
    "LvmVolumeGroup": "storage",
    "LvmVolume": "storage",
    "LvmReport": "storage",
    "BackupRun": "storage",
    "BackupRepo": "storage",
}
"""Each class that lives in an area's module: the module's name under hadeck.model."""

def __getattr__(name: str) -> Any:
    area = _AREA.get(name)
    if area is None:
        raise AttributeError(f"module 'hadeck.model' has no attribute {name!r}")
    value = getattr(__import__(f"hadeck.model.{area}", fromlist=[name]), name)
    globals()[name] = value  # the next access does not come here
    return value


def load_all() -> None:
    """Import every area, so that each class name is a global here.

    ``typing.get_type_hints(ClusterState)`` resolves the field types in this module's
    globals (the JSON schema, :func:`hadeck.report.json_schema`, does that).
    """
    for name in _AREA:
        __getattr__(name)


class Health(IntEnum):
    """A verdict; the values are the Nagios exit codes.

    Combine verdicts with :func:`hadeck.health.worst`, not ``max()``: it ranks CRITICAL
    above UNKNOWN, so that a source that could not be read never hides a known failure.
    """

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


# --------------------------------------------------------------------------- sources


@record(frozen=True)
class SourceStatus:
    """How one source was read: when, how long it took, and why it failed if it did."""

    source: str
    """Source name, e.g. ``pacemaker``, ``drbd``, ``lvs``, ``guests``, ``host``."""
    node: str
    """The node the source was read on (the local hostname for cluster-wide sources)."""
    read_at: float
    """Unix time at which the read started."""
    duration: float
    """Seconds the commands took, all together."""
    error: str | None = None
    """Why the source gave no (or partial) data; None when it read cleanly."""
    detail: str | None = None
    """Which variant was read, e.g. ``drbdsetup events2`` or ``/proc/drbd``."""
    tools: tuple[str, ...] = ()
    """The tools that were there to ask, where a rule must tell "not there" from "could
    not look" (guests: ``virsh``, ``xl``, ``vzlist``); empty for other sources."""

    @property
    def ok(self) -> bool:
        return self.error is None

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("source", "node", "read_at", "duration", "error", "detail", "tools")

    def __init__(self, source: str, node: str, read_at: float, duration: float,
                 error: str | None = None, detail: str | None = None,
                 tools: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "read_at", read_at)
        object.__setattr__(self, "duration", duration)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "detail", detail)
        object.__setattr__(self, "tools", tools)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(source={self.source!r}, node={self.node!r}, "
                f"read_at={self.read_at!r}, duration={self.duration!r}, error={self.error!r}, "
                f"detail={self.detail!r}, tools={self.tools!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.source, self.node, self.read_at, self.duration, self.error, self.detail,
                 self.tools)
                == (other.source, other.node, other.read_at, other.duration, other.error,
                    other.detail, other.tools))

    def __hash__(self) -> int:
        return hash((self.source, self.node, self.read_at, self.duration, self.error, self.detail,
                     self.tools))
    # End of generated code.


@record(frozen=True)
class ClusterState:
    """One snapshot of a whole cluster, as every face sees it."""

    taken_at: float
    local_node: str
    pacemaker: PacemakerState | None = None
    """None when Pacemaker could not be read (see ``sources``)."""
    drbd: tuple[DrbdResource, ...] = ()
    guests: tuple[Guest, ...] = ()
    lvs: tuple[LvsDirector, ...] = ()
    corosync: tuple[CorosyncStatus, ...] = ()
    hosts: tuple[HostMetrics, ...] = ()
    snmp: tuple[SnmpReading, ...] = ()
    """What each configured SNMP agent answered (:mod:`hadeck.snmp`), when polled."""
    sources: tuple[SourceStatus, ...] = ()
    origin: str = "live"
    """``live``, ``lab``, or ``bundle:<path>``: where the raw outputs came from."""
    pings: tuple[PingProbe, ...] = ()
    """hadeck's own ICMP probes of the ping nodes and peers (:mod:`hadeck.probes`),
    when they were run (``--probe``, or ``[probes] ping`` in the configuration)."""
    lvm: tuple[LvmReport, ...] = ()
    """LVM per node (volume groups, logical volumes, thin pools), where LVM is installed."""
    backups: tuple[BackupRepo, ...] = ()
    """The configured rdiff-backup repositories (``[backups.repos]``), each as its node
    sees it."""

    def source_errors(self) -> tuple[SourceStatus, ...]:
        return tuple(s for s in self.sources if s.error is not None)

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("taken_at", "local_node", "pacemaker", "drbd", "guests", "lvs", "corosync",
                      "hosts", "snmp", "sources", "origin", "pings", "lvm", "backups")

    def __init__(self, taken_at: float, local_node: str, pacemaker: PacemakerState | None = None,
                 drbd: tuple[DrbdResource, ...] = (), guests: tuple[Guest, ...] = (),
                 lvs: tuple[LvsDirector, ...] = (), corosync: tuple[CorosyncStatus, ...] = (),
                 hosts: tuple[HostMetrics, ...] = (), snmp: tuple[SnmpReading, ...] = (),
                 sources: tuple[SourceStatus, ...] = (), origin: str = "live",
                 pings: tuple[PingProbe, ...] = (), lvm: tuple[LvmReport, ...] = (),
                 backups: tuple[BackupRepo, ...] = ()) -> None:
        object.__setattr__(self, "taken_at", taken_at)
        object.__setattr__(self, "local_node", local_node)
        object.__setattr__(self, "pacemaker", pacemaker)
        object.__setattr__(self, "drbd", drbd)
        object.__setattr__(self, "guests", guests)
        object.__setattr__(self, "lvs", lvs)
        object.__setattr__(self, "corosync", corosync)
        object.__setattr__(self, "hosts", hosts)
        object.__setattr__(self, "snmp", snmp)
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "pings", pings)
        object.__setattr__(self, "lvm", lvm)
        object.__setattr__(self, "backups", backups)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(taken_at={self.taken_at!r}, "
                f"local_node={self.local_node!r}, pacemaker={self.pacemaker!r}, "
                f"drbd={self.drbd!r}, guests={self.guests!r}, lvs={self.lvs!r}, "
                f"corosync={self.corosync!r}, hosts={self.hosts!r}, snmp={self.snmp!r}, "
                f"sources={self.sources!r}, origin={self.origin!r}, pings={self.pings!r}, "
                f"lvm={self.lvm!r}, backups={self.backups!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.taken_at, self.local_node, self.pacemaker, self.drbd, self.guests, self.lvs,
                 self.corosync, self.hosts, self.snmp, self.sources, self.origin, self.pings,
                 self.lvm, self.backups)
                == (other.taken_at, other.local_node, other.pacemaker, other.drbd, other.guests,
                    other.lvs, other.corosync, other.hosts, other.snmp, other.sources, other.origin,
                    other.pings, other.lvm, other.backups))

    def __hash__(self) -> int:
        return hash((self.taken_at, self.local_node, self.pacemaker, self.drbd, self.guests,
                     self.lvs, self.corosync, self.hosts, self.snmp, self.sources, self.origin,
                     self.pings, self.lvm, self.backups))
    # End of generated code.

