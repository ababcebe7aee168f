"""DRBD renderers: resources as ``drbdsetup events2``, ``status --json``, ``drbdadm status``
and ``/proc/drbd`` print them.

The inverse of :mod:`hadeck.sources.drbd` and :mod:`hadeck.sources.drbd_proc`. Each
function takes :class:`~hadeck.model.DrbdResource` objects and returns the exact text of
the real tool, from the same format strings:

- drbd-utils ``user/v9/drbdsetup.c`` (``resource_status``, ``device_status``,
  ``connection_status``, ``peer_device_status``, ``*_status_json``,
  ``print_*_statistics``) and ``user/v9/drbdsetup_events2.c``; the 8.4 flavour from
  ``drbdsetup_compat84.c`` (``drbdsetup-84``), chosen by ``DrbdResource.version``.
- drbd-utils ``user/shared/wrap_printf.c``, emulated by :class:`WrapPrinter` quirks and
  all (see there).
- the 8.4 kernel's ``drbd_proc.c`` (``drbd_seq_show``, ``drbd_syncer_progress``).

**Order.** ``drbdsetup status`` sorts resources and connections by name (``strcmp``), so
:func:`status_json` and :func:`drbdadm_status` sort; ``events2`` dumps in the kernel's
order, which is the order given; ``/proc/drbd`` is in minor order.

**What the model cannot carry**, and what is printed instead:

- counters: ``al-writes``, ``bm-writes``, ``upper-pending``, ``lower-pending``,
  ``pending``, ``unacked``, ``ap-in-flight``, ``rs-in-flight`` and /proc/drbd's ``al bm lo
  pe ua ap`` are printed as 0; ``al-suspended`` as ``no``; ``tls`` as false.
- paths (addresses): events2 leaves ``path`` lines out, as DRBD 9.0 kernels do; JSON
  prints an empty ``paths`` list.
- resync details: ``rs-total`` and the ``rs-*`` sector counts are derived from
  ``done_percent``, ``out_of_sync_kib`` and ``rate_kib_s`` (a resync running at the
  current rate, with no pauses and no failed blocks); ``want`` (the controller's target)
  is 0 in JSON and the current rate in /proc/drbd; the average rate (JSON ``db/dt``,
  /proc/drbd's second speed) is the current rate.
- JSON ``node-id`` (the local node id) is not in the model: it is taken as the lowest
  id no peer has, which is what a cluster numbered from 0 gives.
- /proc/drbd: the protocol letter is ``C`` (blank while StandAlone, which has no network
  config); the congestion flag is ``n`` or ``-``; ``ep`` is 1 with a network config.

Keys that the model holds as None (a format or an older DRBD that does not report them)
are left out of events2, as the older kernels leave them out.

All functions are pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from hadeck.model import DrbdConnection, DrbdPeerVolume, DrbdResource, DrbdVolume

__all__ = [
    "DEFAULT_GIT_LINE",
    "DEFAULT_VERSION_LINE",
    "NO_RESOURCES",
    "UNKNOWN_ETA",
    "WrapPrinter",
    "drbdadm_status",
    "events2",
    "proc_drbd",
    "proc_drbd_9",
    "status_json",
]

NO_RESOURCES = "# No currently configured DRBD found.\n"
"""What ``drbdadm status`` prints when no resource is configured."""
UNKNOWN_ETA = 987654321
"""JSON ``estimated-seconds-to-finish`` while the resync has made no progress yet."""
DEFAULT_VERSION_LINE = "version: 8.4.11 (api:1/proto:86-101)"
DEFAULT_GIT_LINE = (
    "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2020-04-05 02:58:18"
)
WRAP_COLUMNS = 80
"""wrap_printf's width when stdout is not a tty (always the case for hadeck)."""

# DRBD 9 replication states that are a resync in progress (L_SYNC_SOURCE ..
# L_PAUSED_SYNC_T without the verify states): drbdsetup computes a done percentage for
# them even without resync details.
_RESYNC_STATES = frozenset({"SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT"})
_VERIFY_STATES = frozenset({"VerifyS", "VerifyT"})
_WO_LETTERS = {"barrier": "b", "flush": "f", "drain": "d", "none": "n"}
_DRBD_NAME = re.compile(r"^drbd(\d+)$")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _json_bool(value: bool | None) -> str:
    return "true" if value else "false"


def _name_key(name: str) -> bytes:
    # drbdsetup sorts with strcmp(): byte order, not locale order.
    return name.encode()


def _is_84(resource: DrbdResource) -> bool:
    return resource.version != "9"


def _volume_numbers(resource: DrbdResource) -> list[int]:
    numbers = {v.volume for v in resource.volumes}
    for conn in resource.connections:
        numbers.update(p.volume for p in conn.peer_volumes)
    return sorted(numbers)


def _local_volume(resource: DrbdResource, number: int) -> DrbdVolume | None:
    return next((v for v in resource.volumes if v.volume == number), None)


def _fmt_eta(eta: float | None) -> str:
    # drbdsetup prints NAN with %.0f while there has been no progress: "nan".
    return "nan" if eta is None or math.isnan(eta) else f"{eta:.0f}"


# --------------------------------------------------------------------------- events2


def events2(resources: Sequence[DrbdResource], statistics: bool = True) -> str:
    """``drbdsetup events2 --now [--statistics]``: the initial dump, then ``exists -``.

    Per resource, in the kernel's dump order: the resource, its connections, its devices,
    then the peer devices by volume and then by connection. No ``path`` lines: the model
    has no addresses, and DRBD 9.0 kernels send none either. Resources with a version
    other than ``9`` get the ``drbdsetup-84`` key set (no ``may_promote``, ``client``,
    ``quorum`` …).

    Args:
        resources: the resources, in the order the kernel would dump them.
        statistics: print the ``--statistics`` counters (and ``write-ordering``,
            ``dbdt1``, ``eta``); ``done`` is printed while a resync runs either way.

    Returns:
        The whole output, one line per object, ending with ``exists -``.
    """
    lines: list[str] = []
    for res in resources:
        lines.append(_e2_resource(res, statistics))
        lines.extend(_e2_connection(res, conn, statistics) for conn in res.connections)
        lines.extend(_e2_device(res, vol, statistics) for vol in res.volumes)
        for number in _volume_numbers(res):
            for conn in res.connections:
                for peer in conn.peer_volumes:
                    if peer.volume == number:
                        lines.append(_e2_peer_device(res, conn, peer, statistics))
    lines.append("exists -")
    return "".join(f"{line}\n" for line in lines)


def _tokens(head: str, fields: list[tuple[str, object]]) -> str:
    return " ".join([head, *(f"{key}:{value}" for key, value in fields if value is not None)])


def _e2_resource(res: DrbdResource, statistics: bool) -> str:
    fields: list[tuple[str, object]] = [
        ("name", res.name), ("role", res.role), ("suspended", res.suspended),
    ]
    if not _is_84(res):
        fields.append(("force-io-failures", "no"))
    if statistics:
        fields.append(("write-ordering", res.write_ordering))
    if not _is_84(res):
        fields.append(("may_promote", None if res.may_promote is None
                       else _yes_no(res.may_promote)))
        fields.append(("promotion_score", res.promotion_score))
    return _tokens("exists resource", fields)


def _conn_identity(res: DrbdResource, conn: DrbdConnection) -> list[tuple[str, object]]:
    # drbdsetup-84 fakes peer-node-id 0 for its one peer.
    node_id = conn.peer_node_id if conn.peer_node_id is not None or not _is_84(res) else 0
    return [("name", res.name), ("peer-node-id", node_id), ("conn-name", conn.peer)]


def _e2_connection(res: DrbdResource, conn: DrbdConnection, statistics: bool) -> str:
    fields = _conn_identity(res, conn)
    fields += [("connection", conn.state), ("role", conn.peer_role)]
    if statistics:
        fields.append(("congested", _yes_no(bool(conn.congested))))
        if not _is_84(res):
            fields += [("ap-in-flight", 0), ("rs-in-flight", 0)]
    return _tokens("exists connection", fields)


def _e2_device(res: DrbdResource, vol: DrbdVolume, statistics: bool) -> str:
    fields: list[tuple[str, object]] = [
        ("name", res.name), ("volume", vol.volume), ("minor", vol.minor),
    ]
    if not _is_84(res):
        fields.append(("backing_dev", vol.backing_dev or "none"))
    fields.append(("disk", vol.disk))
    if not _is_84(res):
        fields += [
            ("client", None if vol.client is None else _yes_no(vol.client)),
            ("open", None if vol.open is None else _yes_no(vol.open)),
            ("quorum", None if vol.quorum is None else _yes_no(vol.quorum)),
        ]
    if statistics:
        fields += [
            ("size", vol.size_kib or 0), ("read", vol.read_kib or 0),
            ("written", vol.written_kib or 0), ("al-writes", 0), ("bm-writes", 0),
            ("upper-pending", 0), ("lower-pending", 0), ("al-suspended", "no"),
            ("blocked", vol.blocked or "no"),
        ]
    return _tokens("exists device", fields)


def _e2_peer_device(
    res: DrbdResource, conn: DrbdConnection, peer: DrbdPeerVolume, statistics: bool
) -> str:
    fields = _conn_identity(res, conn)
    fields += [
        ("volume", peer.volume), ("replication", peer.replication),
        ("peer-disk", peer.peer_disk),
    ]
    if not _is_84(res):
        fields.append(("peer-client", None if peer.peer_client is None
                       else _yes_no(peer.peer_client)))
    fields.append(("resync-suspended", peer.resync_suspended))
    details = peer.done_percent is not None
    if details:
        fields.append(("done", f"{peer.done_percent:.2f}"))
    if statistics:
        fields += [
            ("received", peer.received_kib or 0), ("sent", peer.sent_kib or 0),
            ("out-of-sync", peer.out_of_sync_kib or 0), ("pending", 0), ("unacked", 0),
        ]
        if details:
            fields += [
                ("dbdt1", f"{(peer.rate_kib_s or 0.0) / 1024:.2f}"),
                ("eta", _fmt_eta(peer.eta_seconds)),
            ]
    return _tokens("exists peer-device", fields)


# --------------------------------------------------------------------------- status --json


def _local_node_id(res: DrbdResource) -> int:
    taken = {c.peer_node_id for c in res.connections if c.peer_node_id is not None}
    return next(i for i in range(len(taken) + 1) if i not in taken)


def status_json(resources: Sequence[DrbdResource]) -> str:
    """``drbdsetup status --json``, in drbdsetup's hand-made layout.

    The layout's quirks are kept: ``} ],`` closing lists, the blank after
    ``"connection-state": "X",``, a lone ``,`` line between resources, ``]`` and an empty
    line at the end. Resources and connections are sorted by name, as drbdsetup does.

    Args:
        resources: the resources, in any order.

    Returns:
        The whole output (valid JSON).
    """
    blocks = [_json_resource(res) for res in sorted(resources, key=lambda r: _name_key(r.name))]
    # puts(",") between resources; puts("]\n") adds the empty line at the end.
    return "[\n" + "\n,\n".join(blocks) + ("\n" if blocks else "") + "]\n\n"


def _json_resource(res: DrbdResource) -> str:
    reasons = res.suspended.split(",") if res.suspended != "no" else []
    head = [
        "{",
        f'  "name": "{res.name}",',
        f'  "node-id": {_local_node_id(res)},',
        f'  "role": "{res.role}",',
        f'  "suspended": {_json_bool(bool(reasons))},',
        *(f'  "suspended-{why}": {_json_bool(why in reasons)},'
          for why in ("user", "no-data", "fencing", "quorum")),
        '  "force-io-failures": false,',
        f'  "write-ordering": "{res.write_ordering or "none"}",',
        '  "devices": [',
    ]
    devices = ",\n".join(_json_device(vol) for vol in res.volumes)
    conns = ",\n".join(
        _json_connection(res, conn)
        for conn in sorted(res.connections, key=lambda c: _name_key(c.peer))
    )
    # Each list: "[" and a newline, the items joined by ",\n", then " ]" right after
    # the last item's "}" (or alone on its line when the list is empty).
    return (
        "\n".join(head) + "\n" + devices
        + ' ],\n  "connections": [\n' + conns + " ]\n}"
    )


def _json_device(vol: DrbdVolume) -> str:
    lines = [
        f'      "volume": {vol.volume},',
        f'      "minor": {vol.minor if vol.minor is not None else vol.volume},',
        f'      "disk-state": "{vol.disk}",',
        f'      "client": {_json_bool(vol.client)},',
        f'      "open": {_json_bool(vol.open)},',
        # A resource without a quorum setting always has quorum.
        f'      "quorum": {_json_bool(vol.quorum is not False)},',
        f'      "size": {vol.size_kib or 0},',
        f'      "read": {vol.read_kib or 0},',
        f'      "written": {vol.written_kib or 0},',
        '      "al-writes": 0,',
        '      "bm-writes": 0,',
        '      "upper-pending": 0,',
        '      "lower-pending": 0',
    ]
    return "    {\n" + "\n".join(lines) + "\n    }"


def _json_connection(res: DrbdResource, conn: DrbdConnection) -> str:
    lines = [
        f'      "peer-node-id": {conn.peer_node_id if conn.peer_node_id is not None else -1},',
        f'      "name": "{conn.peer}",',
        f'      "connection-state": "{conn.state}", ',
        f'      "congested": {_json_bool(conn.congested)},',
        f'      "peer-role": "{conn.peer_role}",',
        '      "tls": false,',
        '      "ap-in-flight": 0,',
        '      "rs-in-flight": 0,',
        # No addresses in the model: an empty list, in drbdsetup's "[" newline " ]" form.
        '      "paths": [',
        ' ],',
        '      "peer_devices": [',
    ]
    peers = ",\n".join(_json_peer_device(res, peer) for peer in conn.peer_volumes)
    return "    {\n" + "\n".join(lines) + "\n" + peers + " ]\n    }"


def _json_peer_device(res: DrbdResource, peer: DrbdPeerVolume) -> str:
    local = _local_volume(res, peer.volume)
    size_kib = local.size_kib if local is not None and local.size_kib else 0
    oos_kib = peer.out_of_sync_kib or 0
    in_sync = 0.0 if size_kib == 0 else 100 * (1 - oos_kib / size_kib)
    details = peer.done_percent is not None
    verify = details and peer.replication in _VERIFY_STATES and oos_kib > 0
    without_details = not details and peer.replication in _RESYNC_STATES
    lines = [
        f'          "volume": {peer.volume},',
        f'          "replication-state": "{peer.replication}",',
        f'          "peer-disk-state": "{peer.peer_disk}",',
        f'          "peer-client": {_json_bool(peer.peer_client)},',
        f'          "resync-suspended": "{peer.resync_suspended}",',
        f'          "received": {peer.received_kib or 0},',
        f'          "sent": {peer.sent_kib or 0},',
        f'          "out-of-sync": {oos_kib},',
        '          "pending": 0,',
        '          "unacked": 0,',
        f'          "has-sync-details": {_json_bool(details)},',
        f'          "has-online-verify-details": {_json_bool(verify)},',
        f'          "percent-in-sync": {in_sync:.2f}{"," if details or without_details else ""}',
    ]
    if details:
        lines += _json_resync_details(peer, oos_kib, size_kib, verify)
    elif without_details:
        lines.append(f'          "percent-resync-done": {in_sync:.2f}')
    return "        {\n" + "\n".join(lines) + "\n        }"


def _json_resync_details(
    peer: DrbdPeerVolume, oos_kib: int, size_kib: int, verify: bool
) -> list[str]:
    """The ``rs-*`` block, derived from what the model has (see the module docstring)."""
    done = peer.done_percent or 0.0
    rate = peer.rate_kib_s or 0.0
    to_go = oos_kib * 2  # sectors
    total = round(to_go / (1 - done / 100)) if done < 100 else max(to_go, size_kib * 2)
    # Sectors the last 3 s moved at the current rate; DRBD's sync marks are 3 s apart.
    mark_ms = 3000
    db1 = round(rate * 2 * mark_ms / 1000)
    start_ms = round((total - to_go) / (rate * 2) * 1000) if rate else 0
    mib_s = f"{rate / 1024:.2f}"
    eta = UNKNOWN_ETA if peer.eta_seconds is None else peer.eta_seconds
    lines = [
        f'          "rs-total": {total},',
        f'          "rs-dt-start-ms": {start_ms},',
        '          "rs-paused-ms": 0,',
        f'          "rs-dt0-ms": {mark_ms},',
        f'          "rs-db0-sectors": {db1},',
        f'          "rs-dt1-ms": {mark_ms},',
        f'          "rs-db1-sectors": {db1},',
    ]
    if verify:
        lines += [
            '          "ov-start-sector": 0,',
            f'          "ov-stop-sector": {size_kib * 2},',
            f'          "ov-position": {total - to_go},',
            f'          "ov-left": {to_go},',
            '          "ov-skipped": 0,',
        ]
    else:
        lines += ['          "rs-failed": 0,', '          "rs-same-csum": 0,']
    lines += [
        '          "want": 0.00,',
        f'          "db0/dt0 [MiB/s]": {mib_s},',
        f'          "db1/dt1 [MiB/s]": {mib_s},',
        f'          "estimated-seconds-to-finish": {eta:.0f},',
        f'          "db/dt [MiB/s]": {mib_s},',
        f'          "percent-resync-done": {done:.2f}',
    ]
    return lines


# --------------------------------------------------------------------------- drbdadm status


class WrapPrinter:
    """drbd-utils' ``wrap_printf``: key:value tokens wrapped at 80 columns.

    A token that would pass the width starts a new line at the caller's indent (leading
    blanks dropped); a token starting with newlines ends the line first. The C code has a
    quirk that is kept because it decides where real output wraps: after indenting a new
    line, ``while (indent--)`` leaves ``indent`` at -1 and ``col = indent`` records -1, so
    the column count of every continued line is short by its indent plus one and such
    lines run past 80 columns (an 87-character line at indent 6 is real output).
    """

    def __init__(self, columns: int = WRAP_COLUMNS) -> None:
        """Start at column 0 with no output.

        Args:
            columns: the terminal width; drbdsetup uses 80 when stdout is not a tty.
        """
        self.columns = columns
        self._col = 0
        self._out: list[str] = []

    def printf(self, indent: int, text: str) -> None:
        """One ``wrap_printf(indent, text)`` call (``text`` already formatted).

        Args:
            indent: where a continuation line of this token starts.
            text: the formatted token, usually with one leading blank.
        """
        while text.startswith("\n"):
            self._out.append("\n")
            self._col = 0
            text = text[1:]
        if not text:
            # An empty remainder adds no indent: it would skew the next token's line.
            return
        if self._col > 0 and self._col + len(text) > self.columns:
            self._out.append("\n")
            self._col = 0
        if self._col == 0:
            text = text.lstrip(" ")
            self._out.append(" " * indent)
            self._col = -1  # the C code's `col = indent` after `while (indent--)`
        self._out.append(text)
        self._col += len(text)
        if text.endswith("\n"):
            self._col = 0

    def text(self) -> str:
        """Everything printed so far."""
        return "".join(self._out)


def drbdadm_status(resources: Sequence[DrbdResource], statistics: bool = False) -> str:
    """``drbdadm status`` (``drbdsetup status [--statistics]``) as printed to a pipe.

    Keys at their usual value are left out as drbdsetup leaves them out: ``volume:N``
    unless there are several volumes or the only one is not 0, ``connection:`` when
    Connected, ``role:`` unless Connected, ``replication:`` up to Established (DRBD 9;
    the 8.4 flavour prints it whenever connected), ``quorum:`` unless lost, ``client:``
    except on Diskless, peer volumes of an unconnected peer (unless ``statistics``).
    Lines wrap at 80 columns as :class:`WrapPrinter` does.

    Args:
        resources: the resources, in any order (drbdsetup sorts them by name).
        statistics: ``--statistics``: read/written under devices, received/sent
            [/out-of-sync] under peer devices.

    Returns:
        The whole output, a blank line after each resource; or
        ``# No currently configured DRBD found.`` when there are none.
    """
    if not resources:
        return NO_RESOURCES
    out = WrapPrinter()
    for res in sorted(resources, key=lambda r: _name_key(r.name)):
        _status_resource(out, res, statistics)
    return out.text()


def _status_resource(out: WrapPrinter, res: DrbdResource, statistics: bool) -> None:
    out.printf(0, res.name)
    out.printf(4, f" role:{res.role}")
    if res.suspended != "no":
        out.printf(4, f" suspended:{res.suspended}")
    out.printf(0, "\n")
    single = len(res.volumes) == 1
    for vol in res.volumes:
        _status_device(out, res, vol, single, statistics)
    for conn in sorted(res.connections, key=lambda c: _name_key(c.peer)):
        _status_connection(out, res, conn, single, statistics)
    out.printf(0, "\n")


def _status_device(
    out: WrapPrinter, res: DrbdResource, vol: DrbdVolume, single: bool, statistics: bool
) -> None:
    indent = 2
    if not (single and vol.volume == 0):
        out.printf(indent, f"volume:{vol.volume}")
        indent = 6
    out.printf(indent, f" disk:{vol.disk}")
    if not _is_84(res):
        if vol.disk == "Diskless":
            client = "unknown" if vol.client is None else _yes_no(vol.client)
            out.printf(indent, f" client:{client}")
        if vol.quorum is False:
            out.printf(indent, " quorum:no")
        if vol.open is not None:
            out.printf(indent, f" open:{_yes_no(vol.open)}")
    indent = 6
    if statistics:
        out.printf(indent, "\n")
        out.printf(indent, f" read:{vol.read_kib or 0}")
        out.printf(indent, f" written:{vol.written_kib or 0}")
    if vol.blocked not in (None, "no"):
        out.printf(indent, f" blocked:{vol.blocked}")
    out.printf(indent, "\n")


def _status_connection(
    out: WrapPrinter, res: DrbdResource, conn: DrbdConnection, single: bool, statistics: bool
) -> None:
    connected = conn.state == "Connected"
    out.printf(2, conn.peer)
    if not connected:
        # drbdsetup-84 names 8.4's WFConnection the DRBD 9 way.
        state = "Connecting" if _is_84(res) and conn.state == "WFConnection" else conn.state
        out.printf(6, f" connection:{state}")
    else:
        out.printf(6, f" role:{conn.peer_role}")
    if conn.congested:
        out.printf(6, " congested:yes")
        if not _is_84(res):
            out.printf(6, " ap-in-flight:0")
            out.printf(6, " rs-in-flight:0")
    out.printf(0, "\n")
    if statistics or connected:
        for peer in conn.peer_volumes:
            _status_peer_device(out, res, peer, single, statistics)


def _status_peer_device(
    out: WrapPrinter, res: DrbdResource, peer: DrbdPeerVolume, single: bool, statistics: bool
) -> None:
    indent = 4
    if not (single and peer.volume == 0):
        out.printf(indent, f"volume:{peer.volume}")
        indent = 8
    # DRBD 9 prints replication beyond L_ESTABLISHED; drbdsetup-84 beyond WFReportParams,
    # which includes Connected ("Established").
    quiet = ("Off",) if _is_84(res) else ("Off", "Established")
    if peer.replication not in quiet:
        out.printf(indent, f" replication:{peer.replication}")
        indent = 8
    if statistics or peer.replication != "Off" or peer.peer_disk != "DUnknown":
        out.printf(indent, f" peer-disk:{peer.peer_disk}")
        if peer.peer_disk == "Diskless" and not _is_84(res):
            client = "unknown" if peer.peer_client is None else _yes_no(peer.peer_client)
            out.printf(indent, f" peer-client:{client}")
        indent = 8
        if peer.done_percent is not None:
            out.printf(indent, f" done:{peer.done_percent:.2f}")
        if peer.resync_suspended != "no":
            out.printf(indent, f" resync-suspended:{peer.resync_suspended}")
        if statistics and peer.received_kib is not None:
            out.printf(indent, "\n")
            out.printf(indent, f" received:{peer.received_kib}")
            out.printf(indent, f" sent:{peer.sent_kib or 0}")
            if peer.out_of_sync_kib:
                out.printf(indent, f" out-of-sync:{peer.out_of_sync_kib}")
    out.printf(0, "\n")


# --------------------------------------------------------------------------- /proc/drbd


def proc_drbd_9(version: str = "9.2.5") -> str:
    """/proc/drbd of a DRBD 9 module: version lines only.

    Args:
        version: the module version.

    Returns:
        The three lines DRBD 9 prints (version, GIT-hash, transports).
    """
    return (
        f"version: {version} (api:2/proto:86-122)\n"
        "GIT-hash: 76ab1a4e9b4a4d8bd6b8d5bd1a2a1e7d2a3cbb23 build by root@alpha, "
        "2023-07-03 10:12:44\n"
        f"Transports (api:18): tcp ({version})\n"
    )


def proc_drbd(
    resources: Sequence[DrbdResource],
    version_line: str = DEFAULT_VERSION_LINE,
    git_line: str | None = DEFAULT_GIT_LINE,
) -> str:
    """/proc/drbd of DRBD 8.3/8.4: one minor per local volume, in minor order.

    A volume's minor is its ``minor``, else N of a resource named ``drbdN`` (the name
    the /proc/drbd parser gives). Its peer is the resource's first connection. A gap in
    the minors (or a first minor other than 0) prints an empty line, as the kernel does.

    Args:
        resources: the resources; DRBD 9 words are folded into 8.x's ``cs:``
            (Connected + SyncSource → SyncSource, Connecting → WFConnection).
        version_line: the first line, without line end.
        git_line: the second line (``GIT-hash: …`` or an in-tree kernel's
            ``srcversion: … `` with its trailing blank); None for no second line.

    Returns:
        The whole content of /proc/drbd.

    Raises:
        ValueError: a volume has no minor and its resource is not named ``drbdN``.
    """
    minors: list[tuple[int, DrbdResource, DrbdVolume]] = []
    for res in resources:
        for vol in res.volumes:
            minors.append((_minor_of(res, vol), res, vol))
    lines = [version_line]
    if git_line is not None:
        lines.append(git_line)
    previous = -1
    for minor, res, vol in sorted(minors, key=lambda m: m[0]):
        if minor != previous + 1:
            lines.append("")
        previous = minor
        lines.extend(_proc_minor(minor, res, vol))
    return "".join(f"{line}\n" for line in lines)


def _minor_of(res: DrbdResource, vol: DrbdVolume) -> int:
    if vol.minor is not None:
        return vol.minor
    match = _DRBD_NAME.match(res.name)
    if match is None:
        raise ValueError(f"{res.name} volume {vol.volume}: no minor for /proc/drbd")
    return int(match.group(1))


def _cs(conn: DrbdConnection | None, peer: DrbdPeerVolume | None) -> str:
    if conn is None:
        return "StandAlone"
    if conn.state == "Connecting":
        return "WFConnection"
    if conn.state != "Connected":
        return conn.state
    if peer is None or peer.replication in ("Established", "Off"):
        return "Connected"
    return peer.replication


def _proc_minor(minor: int, res: DrbdResource, vol: DrbdVolume) -> list[str]:
    conn = res.connections[0] if res.connections else None
    peer = None
    if conn is not None:
        peer = next((p for p in conn.peer_volumes if p.volume == vol.volume), None)
    cs = _cs(conn, peer)
    peer_role = conn.peer_role if conn is not None else "Unknown"
    peer_disk = peer.peer_disk if peer is not None else "DUnknown"
    networked = cs != "StandAlone"
    paused = peer.resync_suspended.split(",") if peer is not None else []
    flags = (
        ("s" if res.suspended != "no" else "r")
        + ("a" if "dependency" in paused else "-")
        + ("p" if "peer" in paused else "-")
        + ("u" if "user" in paused else "-")
        + ("n" if conn is not None and conn.congested else "-")
        + "-"
    )
    wo = _WO_LETTERS.get(res.write_ordering or "flush", "f")
    sent = peer.sent_kib if peer is not None and peer.sent_kib else 0
    received = peer.received_kib if peer is not None and peer.received_kib else 0
    oos = peer.out_of_sync_kib if peer is not None and peer.out_of_sync_kib else 0
    lines = [
        f"{minor:2d}: cs:{cs} ro:{res.role}/{peer_role} ds:{vol.disk}/{peer_disk} "
        f"{'C' if networked else ' '} {flags}",
        f"    ns:{sent} nr:{received} dw:{vol.written_kib or 0} dr:{vol.read_kib or 0} "
        f"al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:{1 if networked else 0} wo:{wo} oos:{oos}",
    ]
    if peer is not None and cs in _PROGRESS_STATES:
        lines.extend(_proc_progress(cs, peer, oos))
    return lines


# drbd_seq_show() prints the progress for these cs: words only.
_PROGRESS_STATES = frozenset({"SyncSource", "SyncTarget", "VerifyS", "VerifyT"})


def _thousands(value: int) -> str:
    # seq_printf_with_thousands_grouping(): "," every three digits.
    return f"{value:,}"


def _proc_progress(cs: str, peer: DrbdPeerVolume, left_kib: int) -> list[str]:
    """The bar and the finish/speed lines of ``drbd_syncer_progress``.

    The kernel prints them from rs_total and its sync marks; here the total is derived
    from the done percentage and what is left, the speed is the model's rate for both
    the current and the average figure, and ``want`` (SyncTarget, VerifyS) is the rate.
    """
    done = peer.done_percent if peer.done_percent is not None else 0.0
    permille = max(0, min(1000, math.floor(done * 10 + 1e-6)))
    total = round(left_kib / (1 - done / 100)) if done < 100 else left_kib
    x = permille // 50
    bar = "=" * max(0, x - 1) + ">" + "." * (20 - x)
    verb = "verified:" if cs.startswith("Verify") else "sync'ed:"
    progress = f"\t[{bar}] {verb}{permille // 10:3d}.{permille % 10}% "
    if total > 4 * 1024 * 1024:
        # Above 4 GiB the kernel prints MiB (Bit2KB(bits >> 10): whole 4 MiB blocks) and
        # forgets its "\n\t": finish: follows on the same line.
        head = f"{progress}({left_kib // 4096 * 4}/{total // 4096 * 4})M"
    else:
        head = f"{progress}({left_kib}/{total})K\n\t"
    eta = round(peer.eta_seconds) if peer.eta_seconds is not None else 0
    speed = _thousands(round(peer.rate_kib_s or 0))
    finish = f"finish: {eta // 3600}:{eta % 3600 // 60:02d}:{eta % 60:02d}"
    tail = f"{finish} speed: {speed} ({speed})"
    if cs in ("SyncTarget", "VerifyS"):
        tail += f" want: {speed}"
    return (head + tail + " K/sec").split("\n")
