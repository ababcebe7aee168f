"""DRBD: replicated disks as the local node sees them.

Four formats carry the same state, and the reader picks the best one the node offers:

* ``drbdsetup events2 --now --statistics`` (DRBD 9, and ``drbdsetup-84`` on 8.4): one
  ``key:value`` line per object. It names everything and is stable, so it comes first.
  :class:`Events2Tracker` also follows the live stream (without ``--now``) for the
  dashboard, merging ``change`` lines, which carry only the groups that changed.
* ``drbdsetup status --json``: the fallback when events2 fails on DRBD 9.
* ``drbdadm status``: the text operators know; it leaves out keys at their usual value
  (``connection:Connected``, ``replication:Established``, ``volume:0`` …), and the parser
  puts those back.
* ``/proc/drbd`` (:mod:`hadeck.sources.drbd_proc`): cheap, read first to learn whether a
  module is loaded and which major version it is; the last fallback on 8.x.

State words are kept as printed, ``?`` included. A key a format does not carry stays
None instead of being guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

from hadeck.model import DrbdConnection, DrbdPeerVolume, DrbdResource, DrbdVolume
from hadeck.record import FACTORY, field, record, replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import (
    Clock,
    ParseError,
    Reading,
    decimal,
    json_number,
    never_raises,
    parse_output,
    percent,
    whole,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COMMANDS",
    "DRBDADM_STATUS",
    "EVENTS2",
    "EVENTS2_84",
    "PROC_DRBD",
    "SHOW_84",
    "SOURCE",
    "STATUS_JSON",
    "Events2Tracker",
    "parse_drbdadm_status",
    "parse_events2",
    "parse_proc_drbd",
    "parse_show_84",
    "parse_status_json",
    "proc_drbd_version",
    "read",
]

PEER_NAME = "peer"
"""The name of the one peer of an 8.x resource, which DRBD 8 does not name."""


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
            return _version(line)
    return None


def _digit_run(text: str, start: int) -> int:
    """The end of the ASCII digits at ``start``, at most four of them."""
    end = start
    while end < len(text) and end - start < 4 and "0" <= text[end] <= "9":
        end += 1
    return end


def _version(line: str) -> str | None:
    """``version: 8.4.11 (api:1/proto:86-101)`` → ``8.4.11``: numbers of one to four ASCII
    digits, two or more, joined by dots, as ``[0-9]{1,4}(?:\\.[0-9]{1,4})+`` after
    ``version:`` and any blanks (str methods, not a pattern: issue 15)."""
    if not line.startswith("version:"):
        return None
    rest = line[8:].lstrip()
    end = _digit_run(rest, 0)
    if end == 0:
        return None
    parts = 0
    while end + 1 < len(rest) and rest[end] == "." and "0" <= rest[end + 1] <= "9":
        end = _digit_run(rest, end + 1)
        parts += 1
    return rest[:end] if parts else None


def parse_proc_drbd(text: str) -> tuple[DrbdResource, ...]:
    """:func:`hadeck.sources.drbd_proc.parse_proc_drbd`: DRBD 8's ``/proc/drbd``, its
    module imported on first use (a DRBD 9 node reads only the version line here;
    issue 15)."""
    from hadeck.sources import drbd_proc

    return drbd_proc.parse_proc_drbd(text)

SOURCE = "drbd"

PROC_DRBD = Command("drbd/proc-drbd.txt", path="/proc/drbd")
EVENTS2 = Command("drbd/events2.txt", ("drbdsetup", "events2", "--now", "--statistics"))
STATUS_JSON = Command("drbd/status.json", ("drbdsetup", "status", "--json"))
DRBDADM_STATUS = Command("drbd/drbdadm-status.txt", ("drbdadm", "status"))
# drbd-utils 9 keeps the 8.4 userland out of PATH: Debian's package installs it as
# /lib/drbd/drbdsetup-84 (and drbdadm dispatches there itself when the module is 8.4).
EVENTS2_84 = Command(
    "drbd/events2-84.txt", ("/lib/drbd/drbdsetup-84", "events2", "--now", "--statistics")
)
# 8.4's events2 names no backing device: the module's own configuration does (the disk
# as drbdadm gave it to the kernel), one resource block per resource.
SHOW_84 = Command("drbd/show-84.txt", ("/lib/drbd/drbdsetup-84", "show"))
COMMANDS: tuple[Command, ...] = (PROC_DRBD, EVENTS2, STATUS_JSON, DRBDADM_STATUS, EVENTS2_84,
                                 SHOW_84)

_BOOLS = {"yes": True, "no": False}
_RESYNC_WORDS = ("Sync", "PausedSync", "StartingSync", "Verify", "WFBitMap", "WFSyncUUID")
_UNKNOWN_ETA = 987654321
"""drbdsetup's JSON ``estimated-seconds-to-finish`` when it cannot tell yet."""


def _yes_no(value: str | None) -> bool | None:
    """``yes``/``no`` as a bool; ``unknown``, ``?`` or missing as None."""
    return _BOOLS.get(value) if value is not None else None


def _int(value: str | None, what: str = "number") -> int | None:
    """A count, size, id or score: DRBD prints none of them negative."""
    return whole(value, what) if value is not None else None


_NAN = frozenset({"nan", "-nan"})
"""How drbdsetup's printf writes an ETA it cannot tell yet (glibc may sign it)."""


def _float(value: str | None, what: str = "number") -> float | None:
    """A percentage, rate or ETA: finite and not negative; ``nan`` is not known (None)."""
    if value is None or value in _NAN:
        return None
    return decimal(value, what)


def _mib_to_kib(value: float | None) -> float | None:
    return value * 1024 if value is not None else None


def _split_tokens(tokens: list[str]) -> dict[str, str]:
    """``key:value`` tokens as a dict, split at the first colon (addresses hold colons)."""
    fields: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep or not key:
            raise ParseError(f"{token!r} is not key:value")
        fields[key] = value
    return fields


# --------------------------------------------------------------------------- events2

_ACTIONS = frozenset({"exists", "create", "change", "destroy", "rename", "call", "response"})


def _timestamped(token: str) -> bool:
    """Whether a token starts as ``--timestamp`` prints, ``YYYY-MM-DDTHH:MM:SS`` (decimal
    digits of any script, as ``\\d``), read with str methods (issue 15)."""
    return (len(token) >= 19 and token[4] == token[7] == "-" and token[10] == "T"
            and token[13] == token[16] == ":"
            and (token[:4] + token[5:7] + token[8:10] + token[11:13] + token[14:16]
                 + token[17:19]).isdecimal())


_INT_KEYS = frozenset({
    "peer-node-id", "volume", "minor", "promotion_score", "size", "read", "written",
    "received", "sent", "out-of-sync",
})
_FLOAT_KEYS = frozenset({"done", "dbdt1", "eta"})
_PEER_STATS = frozenset({"done", "received", "sent", "out-of-sync", "pending", "unacked",
                         "dbdt1", "eta"})
_SYNC_DETAILS = ("done", "dbdt1", "eta")
_CONN_IDENTITY = ("name", "peer-node-id", "conn-name")


@record()
class _Conn:
    fields: dict[str, str]
    peer_devices: dict[int, dict[str, str]] = field(default_factory=dict)

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("fields", "peer_devices")

    def __init__(self, fields: dict[str, str],
                 peer_devices: dict[int, dict[str, str]] = FACTORY) -> None:
        object.__setattr__(self, "fields", fields)
        if peer_devices is FACTORY:
            peer_devices = dict()
        object.__setattr__(self, "peer_devices", peer_devices)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(fields={self.fields!r}, "
                f"peer_devices={self.peer_devices!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.fields, self.peer_devices) == (other.fields, other.peer_devices)
    # End of generated code.


@record()
class _Res:
    fields: dict[str, str]
    connections: dict[str, _Conn] = field(default_factory=dict)
    devices: dict[int, dict[str, str]] = field(default_factory=dict)

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("fields", "connections", "devices")

    def __init__(self, fields: dict[str, str], connections: dict[str, _Conn] = FACTORY,
                 devices: dict[int, dict[str, str]] = FACTORY) -> None:
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "connections", dict() if connections is FACTORY else connections)
        object.__setattr__(self, "devices", dict() if devices is FACTORY else devices)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(fields={self.fields!r}, "
                f"connections={self.connections!r}, devices={self.devices!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.fields, self.connections, self.devices)
                == (other.fields, other.connections, other.devices))
    # End of generated code.


class Events2Tracker:
    """Follows ``drbdsetup events2`` line by line and keeps the current state.

    ``exists`` and ``create`` lines set an object's whole state; ``change`` lines carry
    only the groups that changed and are merged into it; ``destroy`` removes an object
    and what hangs under it; ``rename`` renames a resource. ``helper`` call/response
    lines, ``path`` objects and objects of kinds added after this was written change
    nothing hadeck models, so they are skipped.
    """

    def __init__(self, version: str = "9") -> None:
        """Start with no resources.

        Args:
            version: the DRBD version the stream comes from (``9`` or ``8.4``), stored in
                every resource.
        """
        self.version = version
        self.initial_dump_done = False
        """True once ``exists -`` ended the initial state."""
        self._resources: dict[str, _Res] = {}

    def feed(self, line: str) -> bool:
        """Apply one line of events2 output; whether it changed what hadeck models.

        Args:
            line: one line, with or without a ``--timestamps`` prefix and line end.

        Returns:
            True when the resources hadeck models changed (a counter it does not
            keep, such as ``al-writes``, is no change).

        Raises:
            ParseError: the line is not events2 grammar (a follower can skip it).
        """
        return self._apply(line, compare=True)

    def load(self, line: str) -> None:
        """Apply one line, as :meth:`feed` does, without comparing the state before and
        after: a whole ``--now`` dump is read three times faster."""
        self._apply(line, compare=False)

    def _apply(self, line: str, compare: bool) -> bool:
        tokens = line.split()
        if tokens and _timestamped(tokens[0]):
            tokens = tokens[1:]
        if not tokens:
            return False
        action = tokens[0]
        if action not in _ACTIONS:
            raise ParseError(f"unknown events2 action {action!r}")
        if tokens[1:] == ["-"]:
            self.initial_dump_done = True
            return False
        if action in ("call", "response"):
            return False
        if len(tokens) < 3:
            raise ParseError(f"{action} line without object and keys")
        kind, fields = tokens[1], _split_tokens(tokens[2:])
        _check_numbers(fields)
        if "name" not in fields:
            raise ParseError(f"{kind} line without name:")
        if action == "rename":
            return self._rename(kind, fields)
        before = self._model(fields["name"]) if compare else None
        apply = self._appliers().get(kind)
        if action == "destroy":
            self._destroy(kind, fields)
        elif apply is not None:
            apply(fields, action != "change")
        return compare and self._model(fields["name"]) != before

    def resources(self) -> tuple[DrbdResource, ...]:
        """The current state, resources in the order DRBD first reported them."""
        return tuple(self._build(name, res) for name, res in self._resources.items())

    # -- applying lines

    def _model(self, name: str) -> DrbdResource | None:
        res = self._resources.get(name)
        return self._build(name, res) if res is not None else None

    def _appliers(self) -> dict[str, Callable[[dict[str, str], bool], None]]:
        return {
            "resource": self._apply_resource,
            "connection": self._apply_connection,
            "device": self._apply_device,
            "peer-device": self._apply_peer_device,
        }

    def _resource(self, fields: dict[str, str]) -> _Res:
        return self._resources.setdefault(fields["name"], _Res({}))

    def _connection(self, fields: dict[str, str]) -> _Conn:
        key = _conn_key(fields)
        return self._resource(fields).connections.setdefault(key, _Conn({}))

    def _apply_resource(self, fields: dict[str, str], whole: bool) -> None:
        res = self._resource(fields)
        res.fields = _merged(res.fields, fields, whole)

    def _apply_connection(self, fields: dict[str, str], whole: bool) -> None:
        conn = self._connection(fields)
        conn.fields = _merged(conn.fields, fields, whole)

    def _apply_device(self, fields: dict[str, str], whole: bool) -> None:
        volume = _volume(fields)
        devices = self._resource(fields).devices
        devices[volume] = _merged(devices.get(volume, {}), fields, whole)

    def _apply_peer_device(self, fields: dict[str, str], whole: bool) -> None:
        volume = _volume(fields)
        conn = self._connection(fields)
        if not conn.fields:
            # A peer device seen before its connection: name the connection after it.
            conn.fields = {k: v for k, v in fields.items() if k in _CONN_IDENTITY}
        new = _merged(conn.peer_devices.get(volume, {}), fields, whole)
        _drop_stale_sync_details(new, fields)
        conn.peer_devices[volume] = new

    def _destroy(self, kind: str, fields: dict[str, str]) -> None:
        res = self._resources.get(fields["name"])
        if res is None:
            return
        if kind == "resource":
            del self._resources[fields["name"]]
        elif kind == "connection":
            res.connections.pop(_conn_key(fields), None)
        elif kind == "device":
            volume = _volume(fields)
            for conn in res.connections.values():
                conn.peer_devices.pop(volume, None)
            res.devices.pop(volume, None)
        elif kind == "peer-device" and (owner := res.connections.get(_conn_key(fields))):
            owner.peer_devices.pop(_volume(fields), None)

    def _rename(self, kind: str, fields: dict[str, str]) -> bool:
        new_name = fields.get("new_name")
        if kind != "resource" or not new_name or fields["name"] not in self._resources:
            return False
        # Rebuild the dict so the renamed resource keeps its place.
        self._resources = {
            (new_name if name == fields["name"] else name): res
            for name, res in self._resources.items()
        }
        self._resources[new_name].fields["name"] = new_name
        return True

    # -- building the model

    def _build(self, name: str, res: _Res) -> DrbdResource:
        f = res.fields
        return DrbdResource(
            name=name,
            role=f.get("role", "Unknown"),
            suspended=f.get("suspended", "no"),
            write_ordering=f.get("write-ordering"),
            may_promote=_yes_no(f.get("may_promote")),
            promotion_score=_int(f.get("promotion_score")),
            volumes=tuple(_device(v, res.devices[v]) for v in sorted(res.devices)),
            connections=tuple(_connection_model(c, self.version)
                              for c in res.connections.values()),
            version=self.version,
        )


def _conn_key(fields: dict[str, str]) -> str:
    # DRBD 9 identifies a connection by peer-node-id; conn-name is only a label.
    key = fields.get("peer-node-id", fields.get("conn-name"))
    if key is None:
        raise ParseError("connection without peer-node-id or conn-name")
    return key


def _volume(fields: dict[str, str]) -> int:
    if "volume" not in fields:
        raise ParseError("device without volume:")
    return whole(fields["volume"], "volume")


def _check_numbers(fields: dict[str, str]) -> None:
    for key, value in fields.items():
        if key in _INT_KEYS:
            _int(value, key)
        elif key == "done":
            percent(_float(value, key), key)
        elif key in _FLOAT_KEYS:
            _float(value, key)


def _merged(old: dict[str, str], fields: dict[str, str], whole: bool) -> dict[str, str]:
    return dict(fields) if whole else {**old, **fields}


def _drop_stale_sync_details(state: dict[str, str], line: dict[str, str]) -> None:
    """Forget done/dbdt1/eta once a line shows the resync is over.

    DRBD prints them only while resync details exist, so a stats group without them,
    or a replication state that is not a resync, means they no longer apply.
    """
    has_stats = any(key in line for key in _PEER_STATS)
    replication = line.get("replication")
    ended = replication is not None and not replication.startswith(_RESYNC_WORDS)
    if has_stats or ended:
        for key in _SYNC_DETAILS:
            if key not in line:
                state.pop(key, None)


def _device(volume: int, f: dict[str, str]) -> DrbdVolume:
    backing = f.get("backing_dev")
    return DrbdVolume(
        volume=volume,
        minor=_int(f.get("minor")),
        disk=f.get("disk", "DUnknown"),
        client=_yes_no(f.get("client")),
        open=_yes_no(f.get("open")),
        quorum=_yes_no(f.get("quorum")),
        # drbdsetup prints "none" for a diskless device.
        backing_dev=None if backing in (None, "none") else backing,
        size_kib=_int(f.get("size")),
        read_kib=_int(f.get("read")),
        written_kib=_int(f.get("written")),
        blocked=f.get("blocked"),
    )


def _connection_model(conn: _Conn, version: str = "9") -> DrbdConnection:
    f = conn.fields
    node_id = f.get("peer-node-id")
    # DRBD 8.4 has one peer and no names: drbdsetup-84 prints conn-name:peer only while
    # connected. Its name stays "peer" (as /proc/drbd's), not "node-id 0" in between.
    unnamed = PEER_NAME if version.startswith("8") else f"node-id {node_id}"
    return DrbdConnection(
        peer=f.get("conn-name") or unnamed,
        state=f.get("connection", "StandAlone"),
        peer_role=f.get("role", "Unknown"),
        peer_node_id=_int(node_id),
        congested=_yes_no(f.get("congested")),
        peer_volumes=tuple(
            _peer_device(v, conn.peer_devices[v]) for v in sorted(conn.peer_devices)
        ),
    )


def _peer_device(volume: int, f: dict[str, str]) -> DrbdPeerVolume:
    return DrbdPeerVolume(
        volume=volume,
        replication=f.get("replication", "Off"),
        peer_disk=f.get("peer-disk", "DUnknown"),
        peer_client=_yes_no(f.get("peer-client")),
        resync_suspended=f.get("resync-suspended", "no"),
        out_of_sync_kib=_int(f.get("out-of-sync")),
        done_percent=_float(f.get("done")),
        rate_kib_s=_mib_to_kib(_float(f.get("dbdt1"))),
        eta_seconds=_float(f.get("eta")),
        received_kib=_int(f.get("received")),
        sent_kib=_int(f.get("sent")),
    )


def parse_events2(text: str, *, version: str | None = None) -> tuple[DrbdResource, ...]:
    """Parse ``drbdsetup events2 --now [--statistics] [--timestamps]`` output.

    Args:
        text: the whole output; it must end with the ``exists -`` line.
        version: ``9`` or ``8.4``. None guesses from the text: ``drbdsetup-84`` prints
            neither ``may_promote`` nor ``force-io-failures`` on resource lines.

    Returns:
        The resources in DRBD's order; ``()`` when the output is only ``exists -``.

    Raises:
        ParseError: truncated (no final ``exists -``), or not events2 output.
    """
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ParseError("empty output")
    tracker = Events2Tracker(version or _guess_events2_version(text))
    for number, line in lines:
        try:
            tracker.load(line)
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}: {line.strip()[:80]!r}") from None
    last = lines[-1][1].split()
    if last[-2:] != ["exists", "-"]:
        raise ParseError("truncated: the final 'exists -' line is missing")
    return tracker.resources()


class _ByResource:
    """``events2 --now`` parsed resource by resource, each remembered by its own lines.

    A dashboard reads every node's DRBD each poll (where it cannot follow the stream),
    and most resources print what they printed a second ago: parsing all of them again
    was most of a poll at 500 guests (~60 ms of parsing and ~1,000 ``replace`` a poll on
    16 nodes). A resource whose lines are the same is the same object as before — which
    also lets the health memo (:class:`~hadeck.health.Memo`) skip judging it again.
    Anything but a plain dump (each resource's ``exists`` lines together, ending with
    ``exists -``) is parsed whole by :func:`parse_events2`, with its error messages.
    Thread-safe as dict operations are: a lost race parses twice.
    """

    LIMIT = 20_000
    """Resources remembered at most (all nodes); past it the memory starts afresh."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str, str], DrbdResource] = {}

    def parse(self, text: str, node: str, version: str | None = None
              ) -> tuple[DrbdResource, ...]:
        """:func:`parse_events2` of ``text``, each resource's ``node`` set to ``node``."""
        groups = _resource_groups(text)
        if groups is None:
            return tuple(replace(r, node=node) for r in parse_events2(text, version=version))
        version = version or _guess_events2_version(text)
        kept = self._kept
        if len(kept) > self.LIMIT:
            kept = self._kept = {}
        out: list[DrbdResource] = []
        for lines in groups:
            key = (node, version, lines)
            res = kept.get(key)
            if res is None:
                tracker = Events2Tracker(version)
                try:
                    for line in lines.split("\n"):
                        tracker.load(line)
                except ParseError:
                    # The whole parse says which line, in its words.
                    return tuple(replace(r, node=node)
                                 for r in parse_events2(text, version=version))
                found = tracker.resources()
                if len(found) != 1:
                    return tuple(replace(r, node=node)
                                 for r in parse_events2(text, version=version))
                res = kept[key] = replace(found[0], node=node)
            out.append(res)
        return tuple(out)




def _resource_groups(text: str) -> list[str] | None:
    """Each resource's lines of a plain ``--now`` dump, joined; None for anything else."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[-1] != "exists -":
        return None
    groups: list[str] = []
    names: list[str] = []
    current: list[str] = []
    for line in lines[:-1]:
        # The first `` name:X`` (the line is stripped: its first word follows no blank).
        name = next((word[5:] for word in line.split()[1:]
                     if word.startswith("name:") and len(word) > 5), None)
        if not line.startswith("exists ") or line == "exists -" or name is None:
            return None
        if not names or names[-1] != name:
            if name in names:
                return None  # a resource's lines apart: the whole parse orders them
            if current:
                groups.append("\n".join(current))
            names.append(name)
            current = []
        current.append(line)
    if current:
        groups.append("\n".join(current))
    return groups


_by_resource = _ByResource()


def _guess_events2_version(text: str) -> str:
    for line in text.splitlines():
        tokens = line.split()
        if tokens and _timestamped(tokens[0]):
            tokens = tokens[1:]
        if len(tokens) > 1 and tokens[1] == "resource":
            keys = {token.partition(":")[0] for token in tokens[2:]}
            return "9" if keys & {"may_promote", "force-io-failures"} else "8.4"
    return "9"


# --------------------------------------------------------------------------- status --json


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]`` if present and of the kind expected; None when absent."""
    value = obj.get(key)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON true/false are ints to isinstance(); never take them for numbers.
    if value is not None and (
        not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
    ):
        shown = repr(value)[:40] if isinstance(value, str | bool) else type(value).__name__
        raise ParseError(f"{where}: {key!r} is {shown}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Every number drbdsetup prints is a count, id, size, percentage, rate or ETA.
        json_number(value, f"{where}: {key!r}")
    return value


def _objects(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = _get(obj, key, list, where) or []
    if not all(isinstance(item, dict) for item in items):
        raise ParseError(f"{where}: {key!r} holds something other than objects")
    return items


def _suspended(res: dict[str, Any], where: str) -> str:
    if not _get(res, "suspended", bool, where):
        return "no"
    reasons = [r for r in ("user", "no-data", "fencing", "quorum")
               if _get(res, f"suspended-{r}", bool, where)]
    return ",".join(reasons) or "yes"


def parse_status_json(text: str) -> tuple[DrbdResource, ...]:
    """Parse ``drbdsetup status --json`` (DRBD 9).

    Args:
        text: the whole output, hand-made layout and all.

    Returns:
        The resources in DRBD's order.

    Raises:
        ParseError: not JSON, truncated, or not the shape drbdsetup prints.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer past 4,300 digits
        raise ParseError(f"not JSON (truncated?): {exc}") from None
    except RecursionError:
        raise ParseError("JSON nested too deep") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ParseError("expected a JSON list of resources")
    return tuple(_json_resource(res) for res in data)


def _json_resource(res: dict[str, Any]) -> DrbdResource:
    name = _get(res, "name", str, "resource")
    if not name:
        raise ParseError("resource without a name")
    where = f"resource {name}"
    return DrbdResource(
        name=name,
        role=_get(res, "role", str, where) or "Unknown",
        suspended=_suspended(res, where),
        write_ordering=_get(res, "write-ordering", str, where),
        volumes=tuple(_json_device(d, where) for d in _objects(res, "devices", where)),
        connections=tuple(
            _json_connection(c, where) for c in _objects(res, "connections", where)
        ),
        version="9",
    )


def _json_volume(obj: dict[str, Any], where: str) -> int:
    volume = _get(obj, "volume", int, where)
    if volume is None:
        raise ParseError(f"{where}: device without volume")
    return int(volume)


def _json_device(dev: dict[str, Any], where: str) -> DrbdVolume:
    return DrbdVolume(
        volume=_json_volume(dev, where),
        minor=_get(dev, "minor", int, where),
        disk=_get(dev, "disk-state", str, where) or "DUnknown",
        client=_get(dev, "client", bool, where),
        open=_get(dev, "open", bool, where),
        quorum=_get(dev, "quorum", bool, where),
        size_kib=_get(dev, "size", int, where),
        read_kib=_get(dev, "read", int, where),
        written_kib=_get(dev, "written", int, where),
    )


def _json_connection(conn: dict[str, Any], where: str) -> DrbdConnection:
    name = _get(conn, "name", str, where)
    node_id = _get(conn, "peer-node-id", int, where)
    where = f"{where} connection {name}"
    return DrbdConnection(
        peer=name or f"node-id {node_id}",
        state=_get(conn, "connection-state", str, where) or "StandAlone",
        peer_role=_get(conn, "peer-role", str, where) or "Unknown",
        peer_node_id=node_id,
        congested=_get(conn, "congested", bool, where),
        peer_volumes=tuple(
            _json_peer_device(p, where) for p in _objects(conn, "peer_devices", where)
        ),
    )


def _json_peer_device(peer: dict[str, Any], where: str) -> DrbdPeerVolume:
    number = (int, float)
    details = _get(peer, "has-sync-details", bool, where) or _get(
        peer, "has-online-verify-details", bool, where
    )
    done = percent(_get(peer, "percent-resync-done", number, where),
                   f"{where}: percent-resync-done")
    # The current rate (events2's dbdt1); db/dt is the average since the resync began.
    rate = _get(peer, "db1/dt1 [MiB/s]", number, where)
    if rate is None:
        rate = _get(peer, "db/dt [MiB/s]", number, where)
    eta = _get(peer, "estimated-seconds-to-finish", number, where)
    resyncing = details is not False and done is not None
    return DrbdPeerVolume(
        volume=_json_volume(peer, where),
        replication=_get(peer, "replication-state", str, where) or "Off",
        peer_disk=_get(peer, "peer-disk-state", str, where) or "DUnknown",
        peer_client=_get(peer, "peer-client", bool, where),
        resync_suspended=_get(peer, "resync-suspended", str, where) or "no",
        out_of_sync_kib=_get(peer, "out-of-sync", int, where),
        done_percent=float(done) if resyncing and done is not None else None,
        rate_kib_s=_mib_to_kib(float(rate)) if resyncing and rate is not None else None,
        eta_seconds=float(eta) if resyncing and eta not in (None, _UNKNOWN_ETA) else None,
        received_kib=_get(peer, "received", int, where),
        sent_kib=_get(peer, "sent", int, where),
    )


# --------------------------------------------------------------------------- drbdadm status

_NO_RESOURCES = "# No currently configured DRBD found."


@record()
class _TextObject:
    """One object of ``drbdadm status`` with its continuation lines joined."""

    indent: int
    first: str
    fields: dict[str, str]
    line: int

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("indent", "first", "fields", "line")

    def __init__(self, indent: int, first: str, fields: dict[str, str], line: int) -> None:
        object.__setattr__(self, "indent", indent)
        object.__setattr__(self, "first", first)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "line", line)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(indent={self.indent!r}, first={self.first!r}, "
                f"fields={self.fields!r}, line={self.line!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.indent, self.first, self.fields, self.line)
                == (other.indent, other.first, other.fields, other.line))
    # End of generated code.


def parse_drbdadm_status(text: str, *, version: str = "9") -> tuple[DrbdResource, ...]:
    """Parse ``drbdadm status`` / ``drbdsetup status`` text, wrapped lines included.

    The text leaves out keys at their usual value; they are put back: a connection
    without ``connection:`` is Connected, a peer volume without ``replication:`` is
    Established when connected (Off otherwise), ``volume:`` defaults to 0, and peer
    volumes not printed for an unconnected peer are Off / DUnknown, as DRBD has them.
    ``disk:`` on a peer-volume line is the old spelling of ``peer-disk:``.

    Args:
        text: the whole output.
        version: the DRBD version to record (``9``, or ``8.4`` for ``drbdadm-84``).

    Returns:
        The resources in the order printed; ``()`` for "No currently configured DRBD".

    Raises:
        ParseError: truncated (no blank line after the last resource), or not this format.
    """
    if text.strip() == _NO_RESOURCES:
        return ()
    if not text.strip():
        raise ParseError("empty output")
    if not text.endswith("\n\n"):
        raise ParseError("truncated: no blank line after the last resource")
    return tuple(_text_resource(group, version) for group in _text_groups(_text_objects(text)))


def _text_objects(text: str) -> list[_TextObject]:
    objects: list[_TextObject] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        tokens = line.split()
        try:
            if objects and indent >= objects[-1].indent + 4:
                objects[-1].fields.update(_split_tokens(tokens))
            elif indent in (0, 2, 4):
                has_name = ":" not in tokens[0]
                first = tokens[0] if has_name else ""
                fields = _split_tokens(tokens[1:] if has_name else tokens)
                objects.append(_TextObject(indent, first, fields, number))
            else:
                raise ParseError(f"unexpected indent {indent}")
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}: {line.strip()[:80]!r}") from None
    return objects


def _text_groups(objects: list[_TextObject]) -> list[list[_TextObject]]:
    groups: list[list[_TextObject]] = []
    for obj in objects:
        if obj.indent == 0:
            if not obj.first or "role" not in obj.fields:
                raise ParseError(f"line {obj.line}: not a drbdadm status resource line")
            groups.append([obj])
        elif not groups:
            raise ParseError(f"line {obj.line}: indented line before any resource")
        else:
            groups[-1].append(obj)
    return groups


def _text_resource(group: list[_TextObject], version: str) -> DrbdResource:
    head, volumes = group[0], []
    connections: list[tuple[_TextObject, list[_TextObject]]] = []
    for obj in group[1:]:
        if obj.indent == 2 and not obj.first:
            volumes.append(_text_volume(obj, version))
        elif obj.indent == 2:
            connections.append((obj, []))
        elif connections and not obj.first:
            connections[-1][1].append(obj)
        else:
            raise ParseError(f"line {obj.line}: not a peer volume of a connection")
    local = tuple(v.volume for v in volumes) or (0,)
    f = head.fields
    return DrbdResource(
        name=head.first,
        role=f["role"],
        suspended=f.get("suspended", "no"),
        write_ordering=f.get("write-ordering"),
        may_promote=_yes_no(f.get("may_promote")),
        promotion_score=_text_int(f, "promotion_score", head.line),
        volumes=tuple(volumes),
        connections=tuple(_text_connection(c, peers, local, version)
                          for c, peers in connections),
        version=version,
    )


def _text_int(fields: dict[str, str], key: str, line: int) -> int | None:
    return _int(fields.get(key), f"line {line}: {key}")


def _text_float(fields: dict[str, str], key: str, line: int) -> float | None:
    return _float(fields.get(key), f"line {line}: {key}")


def _text_volume(obj: _TextObject, version: str = "9") -> DrbdVolume:
    f, line = obj.fields, obj.line
    backing = f.get("backing_dev")
    # DRBD 9's status prints quorum:no and client:yes, never their usual values
    # (drbdsetup.c): unprinted, a device has quorum and is no client. 8.4 has neither.
    nine = not version.startswith("8")
    return DrbdVolume(
        volume=_text_int(f, "volume", line) or 0,
        minor=_text_int(f, "minor", line),
        disk=f.get("disk", "DUnknown"),
        client=_yes_no(f.get("client", "no" if nine else None)),
        open=_yes_no(f.get("open")),
        quorum=_yes_no(f.get("quorum", "yes" if nine else None)),
        backing_dev=None if backing in (None, "none") else backing,
        size_kib=_text_int(f, "size", line),
        read_kib=_text_int(f, "read", line),
        written_kib=_text_int(f, "written", line),
        blocked=f.get("blocked"),
    )


def _text_connection(
    conn: _TextObject, peers: list[_TextObject], local_volumes: tuple[int, ...],
    version: str = "9",
) -> DrbdConnection:
    f = conn.fields
    state = f.get("connection", "Connected")
    connected = state == "Connected"
    volumes = tuple(_text_peer_volume(p, connected, version) for p in peers)
    if not volumes and not connected:
        # DRBD prints no peer volumes for a peer it is not connected to: they are Off.
        volumes = tuple(DrbdPeerVolume(volume=v) for v in local_volumes)
    return DrbdConnection(
        peer=conn.first,
        state=state,
        peer_role=f.get("role", "Unknown"),
        peer_node_id=_text_int(f, "node-id", conn.line),
        congested=_yes_no(f.get("congested")),
        peer_volumes=volumes,
    )


def _text_peer_volume(obj: _TextObject, connected: bool, version: str = "9"
                      ) -> DrbdPeerVolume:
    f, line = obj.fields, obj.line
    nine = not version.startswith("8")
    return DrbdPeerVolume(
        volume=_text_int(f, "volume", line) or 0,
        replication=f.get("replication", "Established" if connected else "Off"),
        peer_disk=f.get("peer-disk", f.get("disk", "DUnknown")),
        peer_client=_yes_no(f.get("peer-client", "no" if nine and connected else None)),
        resync_suspended=f.get("resync-suspended", "no"),
        out_of_sync_kib=_text_int(f, "out-of-sync", line),
        done_percent=percent(_text_float(f, "done", line), f"line {line}: done"),
        rate_kib_s=_mib_to_kib(_text_float(f, "dbdt1", line)),
        eta_seconds=_text_float(f, "eta", line),
        received_kib=_text_int(f, "received", line),
        sent_kib=_text_int(f, "sent", line),
    )


# --------------------------------------------------------------------------- reader

_Parser = Callable[[str], tuple[DrbdResource, ...]]


@never_raises(SOURCE)
def read(runner: Runner) -> Reading[tuple[DrbdResource, ...]]:
    """Read the DRBD resources of the runner's node; never raises.

    /proc/drbd comes first: without it no module is loaded, which is an answer (no
    resources), not an error. On DRBD 9 the reader tries events2, then status --json,
    then drbdadm status; on 8.4 ``drbdsetup-84 events2``, then /proc/drbd itself. 8.3
    goes straight to /proc/drbd: it has no genetlink interface for drbdsetup-84. The
    status ``detail`` names what was read and why earlier tries failed.

    Args:
        runner: runs the commands on the node to read.

    Returns:
        The resources, each with ``node`` set to ``runner.node``; or the reasons.
    """
    clock = Clock(SOURCE, runner.node)
    proc = runner.fetch(PROC_DRBD)
    if proc.missing:
        return clock.done((), detail="no DRBD module loaded")
    if not proc.ok:
        return clock.failed(proc.reason(), detail=PROC_DRBD.describe())
    version = proc_drbd_version(proc.stdout)
    if version is None:
        return clock.failed(
            "cannot parse /proc/drbd output: no 'version:' line", detail=PROC_DRBD.describe()
        )
    series = ".".join(version.split(".")[:2])
    tries: list[tuple[Command, _Parser, CommandResult | None]]
    if int(version.split(".")[0]) >= 9:
        tries = [
            (EVENTS2, partial(_by_resource.parse, node=runner.node), None),
            (STATUS_JSON, parse_status_json, None),
            (DRBDADM_STATUS, parse_drbdadm_status, None),
        ]
    else:
        tries = [(PROC_DRBD, parse_proc_drbd, proc)]
        if series == "8.4":
            tries.insert(0, (EVENTS2_84, partial(_events2_84, proc_text=proc.stdout,
                                                 node=runner.node), None))
    reading = _first_that_parses(runner, clock, tries, f"DRBD {version}")
    # Only where drbdsetup-84 answered (where it is missing, show is missing too) and
    # named no backing device (the 8.4 module's events2 never does).
    if series == "8.4" and reading.value and (reading.status.detail or "").startswith(
            EVENTS2_84.describe()) and not any(v.backing_dev for r in reading.value
                                               for v in r.volumes):
        reading = replace(reading, value=_with_backing(reading.value, runner))
    return reading


def parse_show_84(text: str) -> dict[tuple[str, int], str]:
    """The backing device of each local volume in ``drbdsetup-84 show``: the ``disk``
    statement of each ``volume N`` under ``_this_host``, by (resource, volume).

    Raises:
        ParseError: not a DRBD configuration (unbalanced braces, a statement without ``;``).
    """
    from hadeck.drbdconf import parse_statements

    found: dict[tuple[str, int], str] = {}
    for res in parse_statements(text):
        if res.key != "resource" or res.block is None or len(res.words) < 2:
            continue
        for host in res.block:
            if host.key != "_this_host" or host.block is None:
                continue
            for volume in host.block:
                if volume.key != "volume" or volume.block is None or len(volume.words) < 2:
                    continue
                number = _int(volume.words[1], "volume")
                disk = next((d.value for d in volume.block
                             if d.key == "disk" and d.block is None), None)
                if number is not None and disk and disk != "none":
                    found[(res.words[1], number)] = disk
    return found


def _with_backing(resources: tuple[DrbdResource, ...], runner: Runner
                  ) -> tuple[DrbdResource, ...]:
    """8.4's resources with their backing devices from ``drbdsetup-84 show``; as they
    were when it fails (the devices are then not known, as events2 left them)."""
    shown = runner.fetch(SHOW_84)
    if not shown.ok:
        return resources
    try:
        disks = parse_show_84(shown.stdout)
    except ParseError:
        return resources
    return tuple(replace(r, volumes=tuple(
        replace(v, backing_dev=disks.get((r.name, v.volume), v.backing_dev))
        for v in r.volumes)) for r in resources)


def _events2_84(text: str, proc_text: str, node: str = "") -> tuple[DrbdResource, ...]:
    """``drbdsetup-84 events2``, with a resync's progress from /proc/drbd.

    The 8.4 module's events2 has no ``done``, rate or ETA for a resync (captured on a
    real 8.4.11: tests/fixtures/vmlab/); /proc/drbd, read just before, has them
    (``sync'ed:``, ``speed:``, ``finish:``). They are taken by minor, for a peer volume
    that is resyncing in both reads; /proc/drbd that cannot be parsed adds nothing.
    """
    resources = _by_resource.parse(text, node=node, version="8.4")
    try:
        by_minor = {r.volumes[0].minor: r.connections[0].peer_volumes[0]
                    for r in parse_proc_drbd(proc_text) if r.volumes and r.connections}
    except ParseError:
        return resources
    return tuple(_with_progress(r, by_minor) for r in resources)


def _with_progress(res: DrbdResource, by_minor: dict[int | None, DrbdPeerVolume]
                   ) -> DrbdResource:
    minors = {v.volume: v.minor for v in res.volumes}

    def filled(pv: DrbdPeerVolume) -> DrbdPeerVolume:
        known = by_minor.get(minors.get(pv.volume))
        if known is None or pv.done_percent is not None or not (pv.syncing and known.syncing):
            return pv
        return replace(pv, done_percent=known.done_percent, rate_kib_s=known.rate_kib_s,
                       eta_seconds=known.eta_seconds)

    return replace(res, connections=tuple(
        replace(c, peer_volumes=tuple(filled(pv) for pv in c.peer_volumes))
        for c in res.connections))


def _first_that_parses(
    runner: Runner,
    clock: Clock,
    tries: list[tuple[Command, _Parser, CommandResult | None]],
    module: str,
) -> Reading[tuple[DrbdResource, ...]]:
    """The first of ``tries`` that answers and parses.

    A form that is not installed is skipped quietly. One that is installed but fails or
    prints garbage is a broken tool even when a later form answers: the later form's
    resources are returned *with* the error (UNKNOWN for the source), because a fallback
    reads less (``drbdadm status`` has no out-of-sync counts, so ``-w/-c`` on them could
    never fire) and the broken tool is what the operator must fix. A form that hung ends
    the tries that run commands: ``drbdadm status`` runs ``drbdsetup status`` itself and
    would hang as long again.
    """
    failures: list[str] = []
    broken: list[str] = []
    hung = False
    for command, parser, known in tries:
        what = command.describe()
        if hung and known is None:
            failures.append(f"{what}: not tried after the hang")
            continue
        result = known if known is not None else runner.fetch(command)
        if not result.ok:
            failures.append(f"{what}: {result.reason()}")
            if not result.missing:
                broken.append(failures[-1])
            hung = hung or result.error_kind in ("timeout", "unreachable")
            continue
        try:
            resources = parse_output(parser, result.stdout)
        except ParseError as exc:
            failures.append(f"cannot parse {what} output: {exc}")
            broken.append(failures[-1])
            continue
        detail = f"{what} ({module})"
        if failures:
            detail += f"; not read: {'; '.join(failures)}"
        value = tuple(r if r.node == runner.node else replace(r, node=runner.node)
                      for r in resources)
        if broken:
            error = f"{'; '.join(broken)} (read by {what} instead)"
            return Reading(value, clock.status(error=error, detail=detail))
        return clock.done(value, detail)
    return clock.failed("; ".join(failures), detail=module)
