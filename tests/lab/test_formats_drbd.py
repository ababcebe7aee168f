"""DRBD renderers against the real parsers and the exact samples.

What keeps the lab from drifting from the real tools: every DRBD sample and capture is
parsed with the real parser, rendered back, and compared with the original byte for byte
where the model holds all the information. Where it does not, the lost values are masked
in the original (documented per format below) and the rest must still match byte for
byte; and parse(render(parse(x))) == parse(x) always.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from hadeck.lab.formats.drbd import (
    NO_RESOURCES,
    WrapPrinter,
    drbdadm_status,
    events2,
    proc_drbd,
    proc_drbd_9,
    status_json,
)
from hadeck.model import DrbdConnection, DrbdPeerVolume, DrbdResource, DrbdVolume
from hadeck.sources.drbd import parse_drbdadm_status, parse_events2, parse_status_json
from hadeck.sources.drbd_proc import parse_proc_drbd
from tests.conftest import SAMPLES, captured, sample


def _cases(source: str, *skip: str) -> list[str]:
    return sorted(p.name for p in (SAMPLES / source).iterdir() if p.name not in skip)


def _zero(text: str, keys: tuple[str, ...], sep: str = ":") -> str:
    """``key:N`` → ``key:0`` for counters the model does not carry."""
    alternatives = "|".join(re.escape(k) for k in keys)
    return re.sub(rf"(?<![\w-])({alternatives}){sep}\d+", rf"\g<1>{sep}0", text)


# --------------------------------------------------------------------------- events2

# Lost in events2: path lines (no addresses in the model; DRBD 9.0 kernels omit them
# too) and these counters, rendered as 0.
E2_LOST = (
    "al-writes", "bm-writes", "upper-pending", "lower-pending", "pending", "unacked",
    "ap-in-flight", "rs-in-flight",
)
E2_CASES = _cases("drbd-events2", "event-stream-disconnect-resync.txt")


def _e2_expected(text: str) -> str:
    kept = [line for line in text.splitlines(keepends=True) if " path " not in line]
    return _zero("".join(kept), E2_LOST)


@pytest.mark.parametrize("case", E2_CASES)
def test_events2_round_trip(case: str) -> None:
    text = sample("drbd-events2", case)
    statistics = "no-statistics" not in case
    parsed = parse_events2(text)
    rendered = events2(parsed, statistics=statistics)
    assert rendered == _e2_expected(text)
    assert parse_events2(rendered) == parsed


@pytest.mark.parametrize("case", ["no-resources.txt", "healthy-primary-2node.no-statistics.txt"])
def test_events2_exact_where_nothing_is_lost(case: str) -> None:
    # Without --statistics there are no counters: only the path line is missing.
    text = sample("drbd-events2", case)
    rendered = events2(parse_events2(text), statistics="no-statistics" not in case)
    assert rendered == "".join(
        line for line in text.splitlines(keepends=True) if " path " not in line
    )


@pytest.mark.parametrize(
    "name",
    [
        "drbdsetup-84_events2_now__connected_inconsistent.txt",
        "drbdsetup-84_events2_now__primary_uptodate.txt",
    ],
)
def test_events2_84_capture_round_trip(name: str) -> None:
    # drbdsetup-84's smaller key set comes from DrbdResource.version ("8.4").
    text = captured(name)
    parsed = parse_events2(text)
    rendered = events2(parsed)
    assert rendered == _zero(text, E2_LOST)
    assert parse_events2(rendered) == parsed


def test_events2_sync_details_only_while_syncing() -> None:
    parsed = parse_events2(sample("drbd-events2", "syncsource-in-progress.txt"))
    peer = parsed[0].connections[0].peer_volumes[0]
    unknown_eta = replace(peer, eta_seconds=None, rate_kib_s=None)
    res = replace(parsed[0], connections=(replace(parsed[0].connections[0],
                                                  peer_volumes=(unknown_eta,)),))
    line = events2([res]).splitlines()[-2]
    assert line.endswith("done:43.57 received:0 sent:9137488 out-of-sync:11834292 "
                         "pending:0 unacked:0 dbdt1:0.00 eta:nan")
    # Without --statistics: done stays, dbdt1/eta and the counters go.
    assert events2([res], statistics=False).splitlines()[-2].endswith(
        "resync-suspended:no done:43.57")


# --------------------------------------------------------------------------- status --json

# Lost in JSON: the path objects (rendered as an empty list), these counters (rendered
# as 0), and the resync details the model reduces to done/rate/eta: rs-total and
# rs-dt-start-ms are derived from them, want is 0 and the average db/dt is the current
# rate.
JSON_LOST = (
    "al-writes", "bm-writes", "upper-pending", "lower-pending", "pending", "unacked",
    "ap-in-flight", "rs-in-flight", "rs-total", "rs-dt-start-ms", "want", "db/dt [MiB/s]",
)
_PATHS = re.compile(r'("paths": \[\n)(?:.*\n)*? {8}\} \],\n')


def _json_masked(text: str) -> str:
    text = _PATHS.sub(r"\g<1> ],\n", text)
    keys = "|".join(re.escape(k) for k in JSON_LOST)
    return re.sub(rf'("(?:{keys})": )[^,\n]+', r"\g<1>X", text)


def _key_shape(obj: Any) -> Any:
    """The keys in their order, recursively: the layout a consumer iterates over."""
    if isinstance(obj, dict):
        return [(key, _key_shape(value)) for key, value in obj.items()]
    if isinstance(obj, list):
        return [_key_shape(item) for item in obj]
    return None


@pytest.mark.parametrize("case", _cases("drbd-status-json"))
def test_status_json_round_trip(case: str) -> None:
    text = sample("drbd-status-json", case)
    parsed = parse_status_json(text)
    rendered = status_json(parsed)
    assert _json_masked(rendered) == _json_masked(text)
    assert parse_status_json(rendered) == parsed
    # Same keys in the same order, paths aside (their entries hold addresses).
    original = json.loads(text)
    for res in original:
        for conn in res["connections"]:
            conn["paths"] = []
    assert _key_shape(json.loads(rendered)) == _key_shape(original)


def test_status_json_empty_and_sorted() -> None:
    assert status_json([]) == "[\n]\n\n"
    both = parse_status_json(sample("drbd-status-json", "multi-resource-volumes-peers.json.txt"))
    # drbdsetup sorts resources and connections by name, whatever the kernel order.
    shuffled = [replace(r, connections=tuple(reversed(r.connections))) for r in reversed(both)]
    assert status_json(shuffled) == status_json(both)


def test_status_json_unknown_eta_and_resync_without_details() -> None:
    parsed = parse_status_json(sample("drbd-status-json", "syncsource-in-progress.json.txt"))
    conn = parsed[0].connections[0]
    peer = conn.peer_volumes[0]
    no_eta = replace(parsed[0], connections=(
        replace(conn, peer_volumes=(replace(peer, eta_seconds=None),)),))
    assert '"estimated-seconds-to-finish": 987654321,' in status_json([no_eta])
    assert parse_status_json(status_json([no_eta]))[0].connections[0].peer_volumes[
        0].eta_seconds is None
    no_details = replace(parsed[0], connections=(
        replace(conn, peer_volumes=(replace(peer, done_percent=None),)),))
    text = status_json([no_details])
    assert '"percent-in-sync": 43.57,\n          "percent-resync-done": 43.57\n' in text
    assert parse_status_json(text)[0].connections[0].peer_volumes[0].done_percent is None


# --------------------------------------------------------------------------- drbdadm status

# drbdadm status (non-verbose) prints nothing the model lacks: exact for every sample.
ADM_CASES = _cases("drbdadm-status", "syncsource-in-progress.verbose-statistics.txt")


@pytest.mark.parametrize("case", ADM_CASES)
def test_drbdadm_status_round_trip_exact(case: str) -> None:
    text = sample("drbdadm-status", case)
    parsed = parse_drbdadm_status(text)
    rendered = drbdadm_status(parsed, statistics="statistics" in case)
    assert rendered == text
    assert parse_drbdadm_status(rendered) == parsed


@pytest.mark.parametrize(
    "name",
    [
        "drbdadm_status__r0__connected_inconsistent.txt",
        "drbdadm_status__r0__disconnected.txt",
        "drbdadm_status__r0__primary_uptodate.txt",
    ],
)
def test_drbdadm_status_84_capture_exact(name: str) -> None:
    # drbdsetup-84 prints replication:Established and names WFConnection "Connecting".
    text = captured(name)
    parsed = parse_drbdadm_status(text, version="8.4")
    rendered = drbdadm_status(parsed)
    assert rendered == text
    assert parse_drbdadm_status(rendered, version="8.4") == parsed


def test_drbdadm_status_from_verbose_sample() -> None:
    # The verbose sample holds all the non-verbose output needs (node-id, minor,
    # backing_dev, tls, congestion counters are verbose-only and not rendered).
    parsed = parse_drbdadm_status(
        sample("drbdadm-status", "syncsource-in-progress.verbose-statistics.txt"))
    assert drbdadm_status(parsed) == sample("drbdadm-status", "syncsource-in-progress.txt")


def test_drbdadm_status_none() -> None:
    assert drbdadm_status([]) == NO_RESOURCES
    assert parse_drbdadm_status(drbdadm_status([])) == ()


# --------------------------------------------------------------------------- /proc/drbd

# Lost in /proc/drbd: these counters (rendered as 0), the resync total (derived from the
# done percentage and what is left), the average speed (the current one is repeated) and
# want (the current speed). The kernel's own percentage is coarse (it shifts the bitmap
# counts by 10 bits), so a derived total differs from the real one.
PROC_LOST = ("al", "bm", "lo", "pe", "ua", "ap")
_TOTAL = re.compile(r"\((\d+)/\d+\)([KM])")
_AVERAGE = re.compile(r"\(([\d,]+)\)( want: )?[\d,]*")


def _proc_masked(text: str) -> str:
    text = _zero(text, PROC_LOST)
    text = _TOTAL.sub(r"(\1/X)\2", text)
    return _AVERAGE.sub(lambda m: "(X)" + (" want: X" if m.group(2) else ""), text)


# 84-syncsource and 84-synctarget show a 10 GiB resync in K; the kernel prints M above
# 4 GiB (see test_proc_drbd_above_4_gib), so they are not rendered from their own model.
PROC_CASES = _cases("proc-drbd", "84-syncsource.txt", "84-synctarget.txt")
PROC_CAPTURES = [
    "proc_drbd__a__WFConnection_primary.txt",
    "proc_drbd__a__connected_secondary_inconsistent.txt",
    "proc_drbd__a__primary_uptodate.txt",
    "proc_drbd__b__secondary_uptodate.txt",
]


def _series() -> list[str]:
    chunks = captured("proc_drbd__a__initial_sync_SyncSource_series.txt").split("--- t+")
    return [chunk.split("\n", 1)[1] for chunk in chunks if chunk]


def _proc_round_trip(text: str) -> None:
    version_line, git_line = text.splitlines()[:2]
    parsed = parse_proc_drbd(text)
    rendered = proc_drbd(parsed, version_line, git_line)
    assert _proc_masked(rendered) == _proc_masked(text)
    assert parse_proc_drbd(rendered) == parsed


@pytest.mark.parametrize("case", PROC_CASES)
def test_proc_drbd_round_trip(case: str) -> None:
    _proc_round_trip(sample("proc-drbd", case))


@pytest.mark.parametrize("name", PROC_CAPTURES)
def test_proc_drbd_capture_round_trip(name: str) -> None:
    _proc_round_trip(captured(name))


@pytest.mark.parametrize("index", range(7))
def test_proc_drbd_capture_series_round_trip(index: int) -> None:
    _proc_round_trip(_series()[index])


def test_proc_drbd_exact_where_nothing_is_lost() -> None:
    text = sample("proc-drbd", "84-diskless-primary.txt")
    version_line, git_line = text.splitlines()[:2]
    assert proc_drbd(parse_proc_drbd(text), version_line, git_line) == text


def test_proc_drbd_progress_from_an_exact_model() -> None:
    # With done and out-of-sync as the lab computes them, the total comes out exact.
    text = sample("proc-drbd", "83-connected-and-syncing.txt")
    version_line, git_line = text.splitlines()[:2]
    rendered = proc_drbd(parse_proc_drbd(text), version_line, git_line)
    assert "\t[=========>..........] sync'ed: 50.0% (1048576/2097152)K\n" in rendered
    assert "\tfinish: 0:00:26 speed: 39,976 (39,976) K/sec\n" in rendered


def _syncing(total_kib: int, left_kib: int, replication: str = "SyncSource") -> DrbdResource:
    peer = DrbdPeerVolume(
        volume=0, replication=replication, peer_disk="Inconsistent",
        out_of_sync_kib=left_kib, done_percent=100 * (total_kib - left_kib) / total_kib,
        rate_kib_s=63612.0, eta_seconds=105.0, received_kib=0, sent_kib=3801088,
    )
    return DrbdResource(
        name="drbd0", role="Primary", write_ordering="flush", version="8.4",
        volumes=(DrbdVolume(volume=0, minor=0, disk="UpToDate", read_kib=0, written_kib=0),),
        connections=(DrbdConnection(peer="peer", state="Connected", peer_role="Secondary",
                                    peer_volumes=(peer,)),),
    )


def test_proc_drbd_above_4_gib() -> None:
    # drbd_syncer_progress() switches to MiB above 4 GiB and its M branch has no "\n\t":
    # "finish:" follows on the bar's line, as in real outputs ("(4448/20480)Mfinish:").
    rendered = proc_drbd([_syncing(10485760, 6684672)])
    assert rendered.splitlines()[-1] == (
        "\t[======>.............] sync'ed: 36.2% (6528/10240)Mfinish: 0:01:45 "
        "speed: 63,612 (63,612) K/sec"
    )


def test_proc_drbd_above_4_gib_parses() -> None:
    parsed = parse_proc_drbd(proc_drbd([_syncing(10485760, 6684672)]))
    peer = parsed[0].connections[0].peer_volumes[0]
    assert (peer.done_percent, peer.eta_seconds, peer.rate_kib_s) == (36.2, 105.0, 63612.0)


def test_proc_drbd_minor_gap_and_none() -> None:
    text = sample("proc-drbd", "mainline-kernel-srcversion-minor-gap.txt")
    version_line, git_line = text.splitlines()[:2]
    assert proc_drbd(parse_proc_drbd(text), version_line, git_line).splitlines()[2] == ""
    assert proc_drbd([], git_line=None) == "version: 8.4.11 (api:1/proto:86-101)\n"


def test_proc_drbd_9_has_version_lines_only() -> None:
    text = proc_drbd_9("9.2.5")
    assert text.startswith("version: 9.2.5 (api:2/proto:86-122)\n")
    assert parse_proc_drbd(text) == ()


# --------------------------------------------------------------------------- cross-format


def _peer(volume: int, replication: str, peer_disk: str, **kw: Any) -> DrbdPeerVolume:
    return DrbdPeerVolume(volume=volume, replication=replication, peer_disk=peer_disk,
                          peer_client=False, received_kib=0, sent_kib=4096, **kw)


def _vol(volume: int, minor: int, size: int = 20971520) -> DrbdVolume:
    return DrbdVolume(volume=volume, minor=minor, disk="UpToDate", client=False, open=True,
                      quorum=True, backing_dev=f"/dev/vg0/r{minor}", size_kib=size,
                      read_kib=1024, written_kib=4096, blocked="no")


def _res(name: str, conn: DrbdConnection, *volumes: DrbdVolume) -> DrbdResource:
    return DrbdResource(name=name, role="Primary", suspended="no", write_ordering="flush",
                        may_promote=False, promotion_score=10101, volumes=volumes,
                        connections=(conn,))


def _conn(state: str, role: str, *peers: DrbdPeerVolume) -> DrbdConnection:
    return DrbdConnection(peer="jupiter2", state=state, peer_role=role, peer_node_id=1,
                          congested=False, peer_volumes=peers)


LAB = (
    _res("drbd0", _conn("Connected", "Secondary", _peer(0, "Established", "UpToDate",
                                                        out_of_sync_kib=0)), _vol(0, 0)),
    _res("drbd1", _conn("Connected", "Secondary", _peer(
        0, "SyncSource", "Inconsistent", out_of_sync_kib=1195376, done_percent=43.0,
        rate_kib_s=8192.0, eta_seconds=146.0)), _vol(0, 1, size=2097152)),
    _res("drbd2", _conn("StandAlone", "Unknown", _peer(0, "Off", "DUnknown",
                                                       out_of_sync_kib=3342)), _vol(0, 2)),
    _res("drbd3", _conn("Connecting", "Unknown", _peer(0, "Off", "DUnknown",
                                                       out_of_sync_kib=0)), _vol(0, 3)),
    _res("drbd4", _conn("Connected", "Secondary",
                        _peer(0, "Established", "UpToDate", out_of_sync_kib=0),
                        _peer(1, "Established", "UpToDate", out_of_sync_kib=0)),
         _vol(0, 4), _vol(1, 5)),
)


def _view(resources: tuple[DrbdResource, ...]) -> dict[int, tuple[Any, ...]]:
    """Per minor: role, disk, connection state, peer role, replication, peer disk, done.

    What every format carries, keyed by minor because /proc/drbd names resources after
    minors and has no resource names; its 8.x words are mapped to DRBD 9's.
    """
    view: dict[int, tuple[Any, ...]] = {}
    for res in resources:
        conn = res.connections[0]
        for vol in res.volumes:
            peer = next(p for p in conn.peer_volumes if p.volume == vol.volume)
            state = "Connecting" if conn.state == "WFConnection" else conn.state
            done = None if peer.done_percent is None else round(peer.done_percent, 1)
            view[vol.minor if vol.minor is not None else vol.volume] = (
                res.role, vol.disk, state, conn.peer_role, peer.replication, peer.peer_disk,
                done,
            )
    return view


def _minors_for_text(resources: tuple[DrbdResource, ...]) -> tuple[DrbdResource, ...]:
    # drbdadm status carries no minors: put back the ones the lab gave (by name+volume).
    minors = {(r.name, v.volume): v.minor for r in LAB for v in r.volumes}
    return tuple(replace(r, volumes=tuple(replace(v, minor=minors[r.name, v.volume])
                                          for v in r.volumes)) for r in resources)


RENDER_PARSE: dict[str, tuple[Callable[..., str], Callable[[str], tuple[DrbdResource, ...]]]] = {
    "events2": (events2, parse_events2),
    "status-json": (status_json, parse_status_json),
    "drbdadm-status": (drbdadm_status, parse_drbdadm_status),
    "drbdadm-status-statistics": (
        lambda r: drbdadm_status(r, statistics=True), parse_drbdadm_status),
    "proc-drbd": (proc_drbd, parse_proc_drbd),
}


@pytest.mark.parametrize("fmt", sorted(RENDER_PARSE))
def test_cross_format_same_state(fmt: str) -> None:
    render, parse = RENDER_PARSE[fmt]
    parsed = parse(render(LAB))
    if fmt.startswith("drbdadm"):
        parsed = _minors_for_text(parsed)
    assert _view(parsed) == _view(LAB)


@pytest.mark.parametrize("fmt", ["events2", "status-json"])
def test_cross_format_progress_rate_and_eta(fmt: str) -> None:
    render, parse = RENDER_PARSE[fmt]
    peer = parse(render(LAB))[1].connections[0].peer_volumes[0]
    assert (peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == (43.0, 8192.0, 146.0)


def test_cross_format_proc_progress() -> None:
    peer = parse_proc_drbd(proc_drbd(LAB))[1].connections[0].peer_volumes[0]
    assert (peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == (43.0, 8192.0, 146.0)


def test_events2_is_lossless_for_the_lab() -> None:
    # Everything the lab's model holds survives events2, the format hadeck reads first.
    assert parse_events2(events2(LAB)) == LAB


# --------------------------------------------------------------------------- wrapping


def test_wrap_printer_reproduces_verbose_sample() -> None:
    """drbdsetup's wrap_printf call sequence for the verbose sample gives it exactly.

    The 87-character line is the C code's column bookkeeping (see WrapPrinter), not a
    mistake in the sample.
    """
    calls: list[tuple[int, str]] = [
        (0, "r0"), (4, " node-id:0"), (4, " role:Primary"), (4, " suspended:no"),
        (4, " force-io-failures:no"), (4, "\n"), (4, " write-ordering:flush"), (0, "\n"),
        (2, "volume:0"), (6, " minor:0"), (6, " disk:UpToDate"),
        (6, " backing_dev:/dev/vg0/r0"), (6, " quorum:yes"), (6, " open:yes"), (6, "\n"),
        (6, " size:20971520"), (6, " read:351232"), (6, " written:204800"),
        (6, " al-writes:57"), (6, " bm-writes:1"), (6, " upper-pending:0"),
        (6, " lower-pending:0"), (6, " al-suspended:no"), (6, " blocked:no"), (6, "\n"),
        (2, "bravo"), (6, " node-id:1"), (6, " connection:Connected"),
        (6, " role:Secondary"), (6, " tls:no"), (6, " congested:no"),
        (6, " ap-in-flight:0"), (6, " rs-in-flight:2048"), (0, "\n"),
        (4, "volume:0"), (8, " replication:SyncSource"), (8, " peer-disk:Inconsistent"),
        (8, " done:43.57"), (8, " resync-suspended:no"), (8, "\n"), (8, " received:0"),
        (8, " sent:9137488"), (8, " out-of-sync:11834292"), (8, " pending:4"),
        (8, " unacked:0"), (8, " dbdt1:101.25"), (8, " eta:114"), (0, "\n"), (0, "\n"),
    ]
    out = WrapPrinter()
    for indent, text in calls:
        out.printf(indent, text)
    assert out.text() == sample("drbdadm-status", "syncsource-in-progress.verbose-statistics.txt")


def test_drbdadm_status_statistics_sample_wraps_alike() -> None:
    text = sample("drbdadm-status", "multi-resource-volumes-peers.statistics.txt")
    assert drbdadm_status(parse_drbdadm_status(text), statistics=True) == text


def test_drbdadm_status_long_lines_wrap() -> None:
    peer = DrbdPeerVolume(
        volume=1, replication="PausedSyncT", peer_disk="UpToDate", peer_client=False,
        resync_suspended="user,peer,dependency", out_of_sync_kib=9876543210,
        done_percent=12.34, received_kib=1234567890123, sent_kib=1234567890123,
    )
    res = DrbdResource(
        name="vm-101-disk-1", role="Secondary", suspended="user,no-data,fencing,quorum",
        volumes=(DrbdVolume(volume=0, disk="UpToDate", open=False, read_kib=123456789012345,
                            written_kib=123456789012345, blocked="upper,lower"),
                 DrbdVolume(volume=1, disk="Inconsistent", open=False, quorum=False,
                            read_kib=0, written_kib=0)),
        connections=(DrbdConnection(
            peer="jupiter2-replication-network", state="Connected", peer_role="Primary",
            peer_volumes=(DrbdPeerVolume(volume=0, replication="Established",
                                         peer_disk="UpToDate", received_kib=0, sent_kib=0),
                          peer)),),
    )
    rendered = drbdadm_status([res], statistics=True)
    # Continuations at 4 (resource), 6 (device) and 8 (peer device); the counted column
    # of a continued line is short by indent + 1, so "out-of-sync" still fits at 85.
    assert rendered == (
        "vm-101-disk-1 role:Secondary suspended:user,no-data,fencing,quorum\n"
        "  volume:0 disk:UpToDate open:no\n"
        "      read:123456789012345 written:123456789012345 blocked:upper,lower\n"
        "  volume:1 disk:Inconsistent quorum:no open:no\n"
        "      read:0 written:0\n"
        "  jupiter2-replication-network role:Primary\n"
        "    volume:0 peer-disk:UpToDate\n"
        "        received:0 sent:0\n"
        "    volume:1 replication:PausedSyncT peer-disk:UpToDate done:12.34\n"
        "        resync-suspended:user,peer,dependency\n"
        "        received:1234567890123 sent:1234567890123 out-of-sync:9876543210\n"
        "\n"
    )
    back = parse_drbdadm_status(rendered)[0]
    assert back.connections[0].peer_volumes[1].resync_suspended == "user,peer,dependency"
    assert back.connections[0].peer_volumes[1].out_of_sync_kib == 9876543210


def test_wrap_printer_quirk_lets_lines_pass_80() -> None:
    out = WrapPrinter()
    out.printf(8, "\n")
    for token in (" received:1234567890123456", " sent:1234567890123456",
                  " out-of-sync:12345678901234", " x:1234", " y:1"):
        out.printf(8, token)
    lines = out.text().splitlines()
    # The C code counts the continued line from -1, not from 8: "x:1234" brings the count
    # to exactly 80 (no wrap) while the line is 89 long; " y:1" makes it 84 and wraps.
    assert len(lines[1]) == 89
    assert lines[2] == "        y:1"
