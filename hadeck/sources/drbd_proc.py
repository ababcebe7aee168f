"""``/proc/drbd`` of DRBD 8.3 and 8.4 (including the 8.4 driver in mainline kernels).

/proc/drbd is what every 8.x node has even when drbd-utils is old or missing, so it is
the last fallback of the DRBD reader. It has no resource names: each configured minor
becomes one :class:`~hadeck.model.DrbdResource` named after its kernel device (``drbdN``,
the ``/dev/drbdN`` the operator's configs and guest definitions refer to) with a single
volume 0, and its one peer is called ``peer``, as the 8.4 ``drbdsetup-84`` names it.

8.x folds two DRBD 9 states into ``cs:``; it is split here (``SyncSource`` → connection
``Connected`` + replication ``SyncSource``) so the health rules see the same words for
every version. A DRBD 9 /proc/drbd holds only version lines and parses to ``()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hadeck.model import DrbdConnection, DrbdPeerVolume, DrbdResource, DrbdVolume
from hadeck.sources.base import ParseError, decimal, percent, whole

PEER_NAME = "peer"
"""The name of the one peer of an 8.x resource, which DRBD 8 does not name."""

# [0-9], not \d: \d takes every script's digits, which int() reads or chokes on.
_VERSION = re.compile(r"^version:\s*([0-9]{1,4}(?:\.[0-9]{1,4})+)")
_MINOR = re.compile(r"^\s*([0-9]+):\s+(.*)$")
_PROGRESS = re.compile(r"(?:sync'ed|verified):\s*([0-9]+(?:\.[0-9]+)?)%")
_FINISH = re.compile(r"finish:\s*([0-9]+):([0-9][0-9]):([0-9][0-9])\s+speed:\s*([0-9,]+)")

# cs: words that are connection states without a replication (DRBD 9's split).
_UNREPLICATED = frozenset({
    "StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe",
    "NetworkFailure", "ProtocolError", "WFConnection", "WFReportParams", "TearDown",
})
# cs: words that are replication states of a connected pair.
_REPLICATING = frozenset({
    "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID",
    "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT",
    "Ahead", "Behind",
})
_WRITE_ORDERING = {"b": "barrier", "f": "flush", "d": "drain", "n": "none"}
# Resync pause flags in /proc/drbd order (a, p, u), reported in DRBD 9's order.
_PAUSE_FLAGS = (("u", "user"), ("p", "peer"), ("a", "dependency"))


def proc_drbd_version(text: str) -> str | None:
    """The DRBD module version from /proc/drbd's first line.

    Args:
        text: the content of /proc/drbd.

    Returns:
        ``8.4.11``, ``8.3.16``, ``9.2.5`` …, without the package release (``-1``);
        None when there is no version line.
    """
    for line in text.splitlines():
        if line.strip():
            match = _VERSION.match(line)
            return match.group(1) if match else None
    return None


def split_cs(cs: str) -> tuple[str, str]:
    """Split an 8.x ``cs:`` word into DRBD 9's connection and replication states.

    A word nobody has seen is kept as both, so that neither half pretends to know.
    """
    if cs == "Connected":
        return "Connected", "Established"
    if cs in _REPLICATING:
        return "Connected", cs
    if cs in _UNREPLICATED:
        return cs, "Off"
    return cs, cs


@dataclass
class _Minor:
    """One minor's lines while they are being read."""

    minor: int
    fields: dict[str, str]
    flags: str = ""
    counters: dict[str, str] = field(default_factory=dict)
    done: float | None = None
    progress_lines: int = 0
    rate: float | None = None
    eta: float | None = None


def parse_proc_drbd(text: str) -> tuple[DrbdResource, ...]:
    """Parse /proc/drbd of DRBD 8.3/8.4 into one resource per configured minor.

    Args:
        text: the exact content of /proc/drbd.

    Returns:
        Resources named ``drbdN`` in minor order; ``()`` for DRBD 9 (version lines only)
        or when no minor is configured.

    Raises:
        ParseError: not /proc/drbd, or cut short.
    """
    version = proc_drbd_version(text)
    if version is None:
        raise ParseError("not /proc/drbd: no 'version:' line")
    if int(version.split(".")[0]) >= 9:
        return ()
    series = ".".join(version.split(".")[:2])
    minors = _read_minors(text.splitlines()[1:])
    return tuple(_resource(m, series) for m in minors if m.fields.get("cs") != "Unconfigured")


def _read_minors(lines: list[str]) -> list[_Minor]:
    minors: list[_Minor] = []
    for number, line in enumerate(lines, start=2):
        if not line.strip() or line.startswith(("GIT-hash:", "srcversion:", "Transports")):
            continue
        try:
            _read_line(line, minors)
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}: {line.strip()[:80]!r}") from None
    for minor in minors:
        _check_complete(minor)
    return minors


def _read_line(line: str, minors: list[_Minor]) -> None:
    match = _MINOR.match(line)
    if match:
        minors.append(_minor_line(whole(match.group(1), "minor"), match.group(2)))
        return
    if not minors or not line[:1].isspace():
        raise ParseError("not a /proc/drbd line")
    current = minors[-1]
    stripped = line.strip()
    if stripped.startswith("ns:"):
        current.counters = _key_values(stripped.split())
    elif progress := _PROGRESS.search(stripped):
        current.done = percent(decimal(progress.group(1), "sync'ed"), "sync'ed")
        current.progress_lines += 1
        # Above 4 GiB the kernel prints the totals in M and, in that branch, no line
        # break: "(6528/10240)Mfinish: 0:01:45 speed: …" is one line (drbd_proc.c).
        if finish := _FINISH.search(stripped):
            _finish(current, finish)
    elif finish := _FINISH.search(stripped):
        _finish(current, finish)
    # Anything else indented is proc_details output (sector pos, averages): not needed.


def _finish(current: _Minor, finish: re.Match[str]) -> None:
    hours, minutes, seconds, speed = finish.groups()
    hours_n = whole(hours, "finish hours")
    current.eta = float(hours_n * 3600 + int(minutes) * 60 + int(seconds))
    current.rate = float(whole(speed.replace(",", ""), "speed"))
    current.progress_lines += 1


def _minor_line(minor: int, rest: str) -> _Minor:
    fields: dict[str, str] = {}
    flags = ""
    for token in rest.split():
        key, sep, value = token.partition(":")
        if sep:
            fields[key] = value
        elif len(token) > 1:
            flags = token
        # A single letter is the protocol (A/B/C): not part of the model.
    if "cs" not in fields:
        raise ParseError("minor line without cs:")
    # 8.0–8.2 spelled the roles st:; 8.3 and later ro:.
    if "ro" not in fields and "st" in fields:
        fields["ro"] = fields["st"]
    return _Minor(minor, fields, flags)


def _check_complete(minor: _Minor) -> None:
    if minor.fields["cs"] == "Unconfigured":
        return
    for key in ("ro", "ds"):
        if "/" not in minor.fields.get(key, ""):
            raise ParseError(f"truncated: minor {minor.minor} has no {key}:local/peer")
    if "ns" not in minor.counters:
        raise ParseError(f"truncated: minor {minor.minor} has no counters line")
    if minor.progress_lines == 1:
        raise ParseError(f"truncated: minor {minor.minor} has half a progress report")


def _key_values(tokens: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep:
            raise ParseError(f"counter {token!r} has no value")
        values[key] = value
    return values


def _counter(minor: _Minor, key: str) -> int | None:
    value = minor.counters.get(key)
    if value is None:
        return None
    return whole(value, f"minor {minor.minor}: {key}")


def _resource(minor: _Minor, series: str) -> DrbdResource:
    role, _, peer_role = minor.fields["ro"].partition("/")
    disk, _, peer_disk = minor.fields["ds"].partition("/")
    state, replication = split_cs(minor.fields["cs"])
    flags = minor.flags
    volume = DrbdVolume(
        volume=0,
        minor=minor.minor,
        disk=disk,
        read_kib=_counter(minor, "dr"),
        written_kib=_counter(minor, "dw"),
    )
    paused = [name for flag, name in _PAUSE_FLAGS if flag in flags[1:4]]
    peer_volume = DrbdPeerVolume(
        volume=0,
        replication=replication,
        peer_disk=peer_disk,
        resync_suspended=",".join(paused) or "no",
        out_of_sync_kib=_counter(minor, "oos"),
        done_percent=minor.done,
        rate_kib_s=minor.rate,
        eta_seconds=minor.eta,
        received_kib=_counter(minor, "nr"),
        sent_kib=_counter(minor, "ns"),
    )
    connection = DrbdConnection(
        peer=PEER_NAME,
        state=state,
        peer_role=peer_role,
        # Congestion flag: n = network, a = network and backing device.
        congested=flags[4] in "na" if len(flags) > 4 else None,
        peer_volumes=(peer_volume,),
    )
    wo = minor.counters.get("wo")
    return DrbdResource(
        name=f"drbd{minor.minor}",
        role=role,
        # /proc/drbd says I/O is suspended ('s'), not why.
        suspended="yes" if flags.startswith("s") else "no",
        write_ordering=_WRITE_ORDERING.get(wo, wo) if wo is not None else None,
        volumes=(volume,),
        connections=(connection,),
        version=series,
    )
