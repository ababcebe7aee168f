"""DRBD: resources, their local volumes, and every peer connection and volume."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from hadeck.health.verdict import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Kind,
    Memo,
    Subject,
    Verdict,
    interned,
    memo_get,
)
from hadeck.model import (
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    DrbdVolume,
    Health,
)
from hadeck.record import replace

_DISK = {
    "UpToDate": OK,
    "Consistent": WARNING,
    "Attaching": WARNING,
    "Detaching": WARNING,
    "Negotiating": WARNING,
    "Inconsistent": CRITICAL,
    "Outdated": CRITICAL,
    "Failed": CRITICAL,
    "Diskless": CRITICAL,
    "DUnknown": WARNING,
}
_CONNECTION_OK = ("Connected",)
_CONNECTION_DOWN = (
    "StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe", "NetworkFailure",
    "ProtocolError", "TearDown", "Connecting", "WFConnection", "WFReportParams",
)
_REPLICATION_SYNC = (
    "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID", "SyncSource",
    "SyncTarget", "PausedSyncS", "PausedSyncT",
)


def judge_drbd(
    resources: Iterable[DrbdResource], overrides: Mapping[str, Health] | None = None,
    memo: Memo | None = None,
) -> list[Verdict]:
    """DRBD resources, their local volumes and every peer connection and volume."""
    rules = dict(overrides or {})
    out: list[Verdict] = []
    for res in resources:
        out += memo_get(memo, res, rules, partial(_judge_drbd_resource, res, rules))
    return out


def select_drbd(resources: Iterable[DrbdResource], include: Sequence[str] = (),
                exclude: Sequence[str] = ()) -> list[DrbdResource]:
    """The resources whose name matches a shell pattern of ``include`` (all when empty)
    and none of ``exclude``."""
    chosen = []
    for res in resources:
        if include and not any(fnmatch.fnmatchcase(res.name, p) for p in include):
            continue
        if any(fnmatch.fnmatchcase(res.name, p) for p in exclude):
            continue
        chosen.append(res)
    return chosen


def judge_drbd_on(
    node: str,
    resources: Sequence[DrbdResource],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    overrides: Mapping[str, Health] | None = None,
    read: bool = True,
    detail: str | None = None,
) -> list[Verdict]:
    """One node's DRBD, as its check plugin judges it.

    Args:
        node: the node.
        resources: every DRBD resource read on it.
        include: only the resources matching these shell patterns; a plain name that is
            not up is CRITICAL.
        exclude: leave out the resources matching these.
        overrides: health by DRBD state word, as :func:`judge_drbd`.
        read: whether DRBD was read on the node (when it was not, the source's error
            says so and nothing else is judged missing).
        detail: what the DRBD source said of its read (``no resources configured``).
    """
    chosen = select_drbd(resources, include, exclude)
    out = judge_drbd(chosen, overrides)
    names = {r.name for r in resources}
    for wanted in include:
        if not any(ch in wanted for ch in "*?[") and wanted not in names:
            out.append(Verdict(CRITICAL, "drbd", Subject(Kind.DRBD, wanted),
                               "no such DRBD resource up on this node", node))
    if not chosen and read and not include:
        why = "no DRBD resources" + (f" ({detail})" if detail else "")
        if resources and exclude:
            why = "every DRBD resource is excluded"
        out.append(Verdict(UNKNOWN, "drbd", Subject(Kind.NODE, node), why, node))
    return out


def _judge_drbd_resource(res: DrbdResource, overrides: Mapping[str, Health]) -> list[Verdict]:
    def verdict(health: Health, subject: Subject, reason: str) -> Verdict:
        return Verdict(health, "drbd", subject, reason, res.node or None)

    out: list[Verdict] = []
    subject = drbd_subject(res)
    if res.suspended not in ("no", ""):
        out.append(verdict(CRITICAL, subject, f"I/O suspended ({res.suspended})"))
    if res.quorum is False:
        out.append(verdict(CRITICAL, subject, "lost quorum: I/O frozen or refused"))
    if res.role not in ("Primary", "Secondary"):
        out.append(_override(verdict(UNKNOWN, subject, f"role {res.role!r}"), res.role,
                             overrides))
    for vol in res.volumes:
        out.append(_override(_judge_volume(res, vol, subject), vol.disk, overrides))
    for conn in res.connections:
        out += _judge_connection(res, conn, subject, overrides)
    if not any(v.health != OK for v in out):
        out.append(verdict(OK, subject, f"{res.role}, " + _peers_summary(res)))
    return out


def _override(verdict: Verdict, word: str, overrides: Mapping[str, Health]) -> Verdict:
    if word in overrides:
        return Verdict(overrides[word], verdict.area, verdict.key,
                       verdict.reason + " (health set by override)", verdict.node)
    return verdict


def _peers_summary(res: DrbdResource) -> str:
    if not res.connections:
        return "no peers configured"
    return ", ".join(f"{c.peer} {c.state}" for c in res.connections)


def drbd_subject(res: DrbdResource, peer: str | None = None,
                 volume: int | None = None) -> Subject:
    """``r0@n1``, ``r0@n1 → n2``, ``r0@n1/0``, ``r0@n1 → n2/0``: a DRBD resource as one node
    sees it, or one of its peers, volumes or peer volumes."""
    if peer is None and volume is None:
        return interned(Kind.DRBD, res.name, res.node or None)
    return Subject(Kind.DRBD, res.name, res.node or None, peer, volume)


def _vol_label(subject: Subject, volume: int, count: int) -> Subject:
    return subject if count <= 1 else replace(subject, volume=volume)


def _judge_volume(res: DrbdResource, vol: DrbdVolume, subject: Subject) -> Verdict:
    label = _vol_label(subject, vol.volume, len(res.volumes))
    node = res.node or None
    if vol.disk == "Diskless" and vol.client:
        return Verdict(OK, "drbd", label, "diskless client", node)
    health = _DISK.get(vol.disk, UNKNOWN)
    syncing = vol.disk == "Inconsistent" and _syncing_to_us(res, vol.volume)
    if syncing:
        health = WARNING
    if health == OK:
        return Verdict(OK, "drbd", label, f"disk {vol.disk}", node)
    if health == UNKNOWN:
        return Verdict(UNKNOWN, "drbd", label, f"disk state {vol.disk!r} not known to hadeck",
                       node)
    detail = {
        "Diskless": "diskless: detached from its backing device",
        "Inconsistent": ("local disk Inconsistent, resync running" if syncing
                         else "local disk Inconsistent"),
        "Outdated": "local disk Outdated: not safe to promote",
        "Failed": "local disk Failed (I/O error)",
        "DUnknown": "local disk state unknown",
    }.get(vol.disk, f"local disk {vol.disk}")
    return Verdict(health, "drbd", label, detail, node)


def _syncing_to_us(res: DrbdResource, volume: int) -> bool:
    # WFSyncUUID / WFBitMapT open every resync, before SyncTarget: already syncing.
    return any(pv.volume == volume and (pv.syncing or pv.replication in _REPLICATION_SYNC)
               for c in res.connections for pv in c.peer_volumes)


def _judge_connection(
    res: DrbdResource, conn: DrbdConnection, subject: Subject,
    overrides: Mapping[str, Health],
) -> list[Verdict]:
    label = replace(subject, peer=conn.peer)
    node = res.node or None
    if conn.state not in _CONNECTION_OK:
        if conn.state in _CONNECTION_DOWN:
            why = {
                "StandAlone": "StandAlone: not trying to connect (split brain, or "
                              "disconnected by an admin)",
            }.get(conn.state, f"peer not connected ({conn.state})")
            return [_override(Verdict(CRITICAL, "drbd", label, why, node), conn.state,
                              overrides)]
        return [_override(Verdict(UNKNOWN, "drbd", label,
                                  f"connection state {conn.state!r} not known to hadeck", node),
                          conn.state, overrides)]
    out = []
    for pv in conn.peer_volumes:
        verdict = _judge_peer_volume(res, pv, label)
        word = pv.replication if pv.replication != "Established" else pv.peer_disk
        out.append(_override(verdict, word, overrides))
    return out


def _judge_peer_volume(res: DrbdResource, pv: DrbdPeerVolume, label: Subject) -> Verdict:
    label = _vol_label(label, pv.volume, len(res.volumes))
    node = res.node or None
    if pv.replication in _REPLICATION_SYNC:
        return Verdict(WARNING, "drbd", label, sync_text(pv), node)
    if pv.replication.startswith("Verify"):
        return Verdict(OK, "drbd", label, "online verify running" + _progress(pv), node)
    if pv.replication in ("Ahead", "Behind"):
        return Verdict(WARNING, "drbd", label,
                       f"{pv.replication}: replication congested, peer lagging", node)
    if pv.replication not in ("Established", "Off"):
        return Verdict(UNKNOWN, "drbd", label,
                       f"replication state {pv.replication!r} not known to hadeck", node)
    if pv.peer_disk == "UpToDate":
        if pv.out_of_sync_kib:
            return Verdict(WARNING, "drbd", label,
                           f"{pv.out_of_sync_kib} KiB out of sync", node)
        return Verdict(OK, "drbd", label, "peer disk UpToDate", node)
    if pv.peer_disk == "Diskless" and pv.peer_client:
        return Verdict(OK, "drbd", label, "peer is a diskless client", node)
    health = _DISK.get(pv.peer_disk, UNKNOWN)
    if health == UNKNOWN:
        return Verdict(UNKNOWN, "drbd", label,
                       f"peer disk state {pv.peer_disk!r} not known to hadeck", node)
    return Verdict(max(health, WARNING), "drbd", label, f"peer disk {pv.peer_disk}", node)


def sync_text(pv: DrbdPeerVolume) -> str:
    """``SyncSource 43.6 % at 101.2 MiB/s, ETA 1:54``: a resync in one phrase."""
    return pv.replication + _progress(pv)


def _progress(pv: DrbdPeerVolume) -> str:
    parts = []
    if pv.done_percent is not None:
        parts.append(f" {pv.done_percent:.1f} %")
    if pv.rate_kib_s:
        parts.append(f" at {pv.rate_kib_s / 1024:.1f} MiB/s")
    if pv.eta_seconds is not None:
        parts.append(f", ETA {format_duration(pv.eta_seconds)}")
    elif pv.done_percent is not None:
        parts.append(", ETA unknown")
    return "".join(parts)


def format_duration(seconds: float) -> str:
    """``1:54``, ``2:03:10``: how DRBD and operators write remaining time."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def judge_primaries(resources: Iterable[DrbdResource]) -> list[Verdict]:
    """CRITICAL for a DRBD resource that is Primary on two nodes that are not connected.

    DRBD lets two nodes be Primary at once only while they are connected with
    ``allow-two-primaries`` (for live migration); two Primaries that do not see each
    other both write on their own: a split brain in the making, whatever the option says.
    Each node reports only its own role, so this looks across the nodes' reads.
    """
    by_name: dict[str, list[DrbdResource]] = {}
    for res in resources:
        if res.role == "Primary" and res.node:
            by_name.setdefault(res.name, []).append(res)
    out: list[Verdict] = []
    for name, primaries in by_name.items():
        nodes = sorted({r.node for r in primaries})
        if len(nodes) < 2:
            continue
        if all(_connected(a, b.node, nodes) for a in primaries for b in primaries
               if a.node != b.node):
            continue  # allowed: DRBD refuses a second Primary otherwise
        out.append(Verdict(
            CRITICAL, "drbd", Subject(Kind.DRBD, name),
            f"Primary on {' and '.join(nodes)}, which are not connected: both write on "
            "their own (split brain); demote one before they reconnect", None))
    return out


def _connected(res: DrbdResource, peer: str, nodes: Sequence[str]) -> bool:
    """Whether ``res``'s node is connected to ``peer`` (DRBD 8.4 names its only peer
    ``peer``: that connection is taken to be the one)."""
    for conn in res.connections:
        named = conn.peer == peer or (conn.peer not in nodes and len(res.connections) == 1)
        if named:
            return conn.state in _CONNECTION_OK
    return False
