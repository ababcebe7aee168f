"""The DRBD source: events2, status --json, drbdadm status, /proc/drbd and the reader.

Every parser is fed the exact samples and the real DRBD 8.4 captures; edited copies of
them stand in for situations nobody captured (unknown words, truncation).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from hadeck.model import DrbdResource
from hadeck.runner import CommandResult, failure
from hadeck.sources.base import ParseError
from hadeck.sources.drbd import (
    COMMANDS,
    DRBDADM_STATUS,
    EVENTS2,
    EVENTS2_84,
    PROC_DRBD,
    SHOW_84,
    STATUS_JSON,
    Events2Tracker,
    _ByResource,
    parse_drbdadm_status,
    parse_events2,
    parse_proc_drbd,
    parse_status_json,
    proc_drbd_version,
    read,
)
from tests.conftest import CAPTURED, SAMPLES, captured, sample
from tests.fakes import ScriptedRunner

MIB = 1024.0
NO_SUCH_FILE = "/proc/drbd: No such file or directory"
SCENARIOS = (
    "connecting-peer-down",
    "diskless-client-3node",
    "healthy-primary-2node",
    "multi-resource-volumes-peers",
    "standalone-split-brain",
    "syncsource-in-progress",
    "synctarget-inconsistent",
)
# What DRBD 9 prints in /proc/drbd (version lines only; FORMATS.md (d)).
PROC_DRBD_9 = (
    "version: 9.2.5 (api:2/proto:86-122)\n"
    "GIT-hash: 76ab1a4e9b4a4d8bd6b8d5bd1a2a1e7d2a3cbb23 build by root@alpha, 2023-07-03 10:12:44\n"
    "Transports (api:18): tcp (9.2.5)\n"
)


def events2(case: str) -> tuple[DrbdResource, ...]:
    return parse_events2(sample("drbd-events2", f"{case}.txt"))


def status_json(case: str) -> tuple[DrbdResource, ...]:
    return parse_status_json(sample("drbd-status-json", f"{case}.json.txt"))


def drbdadm(case: str) -> tuple[DrbdResource, ...]:
    return parse_drbdadm_status(sample("drbdadm-status", f"{case}.txt"))


def proc(case: str) -> tuple[DrbdResource, ...]:
    return parse_proc_drbd(sample("proc-drbd", f"{case}.txt"))


def only(resources: tuple[DrbdResource, ...]) -> DrbdResource:
    assert len(resources) == 1
    return resources[0]


def files(folder: str) -> list[str]:
    return sorted(p.name for p in (SAMPLES / folder).iterdir())


def drbd_captures(prefix: str) -> list[str]:
    return sorted(p.name for p in CAPTURED.iterdir() if p.name.startswith(prefix))


# --------------------------------------------------------------------------- events2


@pytest.mark.parametrize(
    "name", [n for n in files("drbd-events2") if not n.startswith("event-stream")]
)
def test_every_events2_sample_parses_as_drbd9(name: str) -> None:
    resources = parse_events2(sample("drbd-events2", name))
    for res in resources:
        assert res.version == "9"
        assert res.node == ""
        assert res.volumes and res.connections


@pytest.mark.parametrize("name", files("drbd-events2"))
def test_events2_by_resource_is_the_whole_parse(name: str) -> None:
    # The dashboard's reader parses resource by resource and remembers each by its lines:
    # the same resources as the whole parse, or the same error.
    text = sample("drbd-events2", name)
    try:
        whole = tuple(dataclasses.replace(r, node="n1") for r in parse_events2(text))
    except ParseError as exc:
        with pytest.raises(ParseError, match=re.escape(str(exc))):
            _ByResource().parse(text, "n1")
        return
    assert _ByResource().parse(text, "n1") == whole


def test_events2_by_resource_reuses_what_did_not_change() -> None:
    text = sample("drbd-events2", "multi-resource-volumes-peers.txt")
    parser = _ByResource()
    first = parser.parse(text, "n1")
    assert len(first) >= 2
    # One counter of the last resource moves (its device wrote more): only it is new.
    last = first[-1].name
    lines = text.splitlines(keepends=True)
    at = max(i for i, line in enumerate(lines)
             if f"name:{last} " in line and " written:" in line)
    lines[at] = re.sub(r"written:(\d+)", lambda m: f"written:{int(m[1]) + 8}", lines[at])
    second = parser.parse("".join(lines), "n1")
    assert all(a is b for a, b in zip(first[:-1], second[:-1], strict=True))
    assert second[-1] is not first[-1]
    assert second[-1].volumes != first[-1].volumes
    assert second == tuple(dataclasses.replace(r, node="n1")
                           for r in parse_events2("".join(lines)))
    # Another node's identical text is its own objects.
    assert parser.parse(text, "n2")[0].node == "n2"


def test_events2_healthy_primary() -> None:
    res = only(events2("healthy-primary-2node"))
    assert (res.name, res.role, res.suspended, res.write_ordering) == (
        "r0", "Primary", "no", "flush")
    assert (res.may_promote, res.promotion_score, res.quorum) == (False, 10102, True)
    (vol,) = res.volumes
    assert (vol.volume, vol.minor, vol.disk, vol.backing_dev) == (
        0, 0, "UpToDate", "/dev/vg0/r0")
    assert (vol.client, vol.open, vol.size_kib, vol.read_kib, vol.written_kib) == (
        False, True, 20971520, 1822616, 9376180)
    assert vol.blocked == "no"
    (conn,) = res.connections
    assert (conn.peer, conn.state, conn.peer_role, conn.peer_node_id, conn.congested) == (
        "bravo", "Connected", "Secondary", 1, False)
    (peer,) = conn.peer_volumes
    assert (peer.replication, peer.peer_disk, peer.peer_client, peer.resync_suspended) == (
        "Established", "UpToDate", False, "no")
    assert (peer.out_of_sync_kib, peer.sent_kib, peer.received_kib) == (0, 9376180, 0)
    assert (peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == (None, None, None)
    assert not peer.syncing


def test_events2_without_statistics_has_states_but_no_counters() -> None:
    plain = only(events2("healthy-primary-2node.no-statistics"))
    full = only(events2("healthy-primary-2node"))
    assert plain.write_ordering is None
    assert plain.volumes[0].size_kib is None
    assert plain.connections[0].congested is None
    assert plain.connections[0].peer_volumes[0].out_of_sync_kib is None
    assert states(plain) == states(full)


def test_events2_syncsource_in_progress() -> None:
    res = only(events2("syncsource-in-progress"))
    (conn,) = res.connections
    assert (conn.peer, conn.state, conn.peer_role) == ("bravo", "Connected", "Secondary")
    (peer,) = conn.peer_volumes
    assert (peer.replication, peer.peer_disk) == ("SyncSource", "Inconsistent")
    assert peer.done_percent == 43.57
    assert peer.eta_seconds == 114
    assert peer.rate_kib_s == pytest.approx(101.25 * MIB)
    assert peer.out_of_sync_kib == 11834292
    assert peer.syncing


def test_events2_synctarget() -> None:
    res = only(events2("synctarget-inconsistent"))
    assert (res.role, res.volumes[0].disk, res.volumes[0].open) == (
        "Secondary", "Inconsistent", False)
    (conn,) = res.connections
    assert (conn.peer, conn.peer_role, conn.peer_node_id) == ("alpha", "Primary", 0)
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.done_percent) == (
        "SyncTarget", "UpToDate", 43.57)
    assert peer.received_kib == 9137488


def test_events2_split_brain_is_standalone() -> None:
    conn = only(events2("standalone-split-brain")).connections[0]
    assert (conn.state, conn.peer_role) == ("StandAlone", "Unknown")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.out_of_sync_kib) == ("Off", "DUnknown", 3342)


def test_events2_connecting_peer_down() -> None:
    res = only(events2("connecting-peer-down"))
    assert res.volumes[0].disk == "UpToDate"
    conn = res.connections[0]
    assert (conn.state, conn.peer_role) == ("Connecting", "Unknown")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.out_of_sync_kib) == (
        "Off", "DUnknown", 524288)


def test_events2_diskless_client_with_two_peers() -> None:
    res = only(events2("diskless-client-3node"))
    vol = res.volumes[0]
    assert (res.name, vol.minor, vol.disk, vol.client, vol.backing_dev) == (
        "vm-101-disk-1", 1001, "Diskless", True, None)
    assert [(c.peer, c.peer_node_id, c.peer_role) for c in res.connections] == [
        ("alpha", 0, "Secondary"), ("bravo", 1, "Secondary")]
    for conn in res.connections:
        assert conn.peer_volumes[0].peer_disk == "UpToDate"


def test_events2_multi_resource_volumes_peers() -> None:
    r0, r1 = events2("multi-resource-volumes-peers")
    assert (r0.name, r0.role, r0.may_promote) == ("r0", "Secondary", True)
    assert [(v.volume, v.minor, v.size_kib) for v in r0.volumes] == [
        (0, 0, 4194304), (1, 1, 8388608)]
    bravo, charlie = r0.connections
    assert (bravo.peer, bravo.peer_role) == ("bravo", "Primary")
    assert [(p.volume, p.peer_disk, p.received_kib) for p in bravo.peer_volumes] == [
        (0, "UpToDate", 81920), (1, "UpToDate", 4096)]
    assert [(p.volume, p.peer_disk, p.peer_client) for p in charlie.peer_volumes] == [
        (0, "Diskless", True), (1, "Diskless", True)]
    assert (r1.name, r1.role, r1.write_ordering, r1.volumes[0].minor) == (
        "r1", "Primary", "drain", 10)
    assert [(c.peer, c.state) for c in r1.connections] == [
        ("bravo", "Connected"), ("charlie", "Connecting")]
    off = r1.connections[1].peer_volumes[0]
    assert (off.replication, off.peer_disk) == ("Off", "DUnknown")


def test_events2_no_resources() -> None:
    assert events2("no-resources") == ()


def test_events2_with_timestamps_parses_the_same() -> None:
    text = sample("drbd-events2", "syncsource-in-progress.txt")
    stamped = "".join(
        f"2024-03-05T10:11:12.123456+01:00 {line}\n" for line in text.splitlines()
    )
    assert parse_events2(stamped) == parse_events2(text)


@pytest.mark.parametrize("name", drbd_captures("drbdsetup-84_events2"))
def test_events2_of_drbd84_captures(name: str) -> None:
    res = only(parse_events2(captured(name)))
    assert (res.name, res.version, res.suspended, res.write_ordering) == (
        "r0", "8.4", "no", "flush")
    assert (res.may_promote, res.promotion_score) == (None, None)
    vol = res.volumes[0]
    assert (vol.volume, vol.minor, vol.size_kib, vol.client, vol.quorum) == (
        0, 0, 65496, None, None)
    (conn,) = res.connections
    assert (conn.peer, conn.peer_node_id, conn.state, conn.peer_role, conn.congested) == (
        "peer", 0, "Connected", "Secondary", False)
    assert conn.peer_volumes[0].replication == "Established"


def test_events2_drbd84_captures_states() -> None:
    primary = only(parse_events2(captured("drbdsetup-84_events2_now__primary_uptodate.txt")))
    assert (primary.role, primary.volumes[0].disk) == ("Primary", "UpToDate")
    assert primary.connections[0].peer_volumes[0].sent_kib == 65496
    incon = only(parse_events2(
        captured("drbdsetup-84_events2_now__connected_inconsistent.txt")))
    assert (incon.role, incon.volumes[0].disk) == ("Secondary", "Inconsistent")
    peer = incon.connections[0].peer_volumes[0]
    assert (peer.peer_disk, peer.out_of_sync_kib) == ("Inconsistent", 65496)


def test_events2_version_can_be_given() -> None:
    text = sample("drbd-events2", "healthy-primary-2node.txt")
    assert only(parse_events2(text, version="8.4")).version == "8.4"


@pytest.mark.parametrize(
    ("old", "new", "check"),
    [
        ("disk:UpToDate", "disk:Frobnicated", lambda r: r.volumes[0].disk),
        ("connection:Connected", "connection:?", lambda r: r.connections[0].state),
        ("role:Primary", "role:Hyperprimary", lambda r: r.role),
        ("replication:Established", "replication:Teleporting",
         lambda r: r.connections[0].peer_volumes[0].replication),
    ],
)
def test_events2_keeps_unknown_state_words(
    old: str, new: str, check: Callable[[DrbdResource], str]
) -> None:
    text = sample("drbd-events2", "healthy-primary-2node.txt").replace(old, new, 1)
    assert check(only(parse_events2(text))) == new.partition(":")[2]


def test_events2_ignores_unknown_keys_and_objects() -> None:
    text = sample("drbd-events2", "healthy-primary-2node.txt")
    extended = text.replace("blocked:no", "blocked:no tls:yes").replace(
        "exists -", "exists wormhole name:r0 colour:blue\nexists -")
    assert parse_events2(extended) == parse_events2(text)


def test_events2_nan_eta_is_unknown() -> None:
    text = sample("drbd-events2", "syncsource-in-progress.txt").replace("eta:114", "eta:nan")
    peer = only(parse_events2(text)).connections[0].peer_volumes[0]
    assert peer.eta_seconds is None
    assert peer.done_percent == 43.57


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "hello world\n",
        sample("drbd-events2", "healthy-primary-2node.txt").rsplit("exists -", 1)[0],
        sample("drbd-events2", "healthy-primary-2node.txt")[:300],
        sample("drbd-events2", "healthy-primary-2node.txt").replace("size:20971520", "size:big"),
        sample("drbd-events2", "healthy-primary-2node.txt").replace("volume:0", "volume:x"),
        sample("drbd-status-json", "healthy-primary-2node.json.txt"),
        sample("drbdadm-status", "healthy-primary-2node.txt"),
        sample("proc-drbd", "84-connected-primary-secondary.txt"),
        "exists resource role:Primary\nexists -\n",
    ],
    ids=["empty", "blank", "garbage", "no-final-exists", "cut-mid-line", "bad-number",
         "bad-volume", "json", "drbdadm-status", "proc-drbd", "no-name"],
)
def test_events2_rejects_truncated_and_foreign_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse_events2(text)


def test_events2_missing_final_line_says_truncated() -> None:
    text = sample("drbd-events2", "healthy-primary-2node.txt").replace("exists -\n", "")
    with pytest.raises(ParseError, match="truncated"):
        parse_events2(text)


# --------------------------------------------------------------------------- the tracker


def stream() -> list[str]:
    return sample("drbd-events2", "event-stream-disconnect-resync.txt").splitlines()


def test_tracker_initial_dump_equals_parse_events2() -> None:
    tracker = Events2Tracker()
    lines = stream()
    end = lines.index("exists -")
    for line in lines[:end]:
        tracker.feed(line)
    assert not tracker.initial_dump_done
    assert tracker.feed(lines[end]) is False
    assert tracker.initial_dump_done
    assert tracker.resources() == events2("healthy-primary-2node")


def test_tracker_follows_disconnect_and_resync() -> None:
    tracker = Events2Tracker()
    seen: list[tuple[object, ...]] = []
    for line in stream():
        if tracker.feed(line) and tracker.resources():
            res = tracker.resources()[0]
            conn = res.connections[0] if res.connections else None
            peer = conn.peer_volumes[0] if conn and conn.peer_volumes else None
            seen.append((
                res.role,
                conn and conn.state,
                conn and conn.peer_role,
                peer and peer.replication,
                peer and peer.peer_disk,
                peer and peer.done_percent,
                peer and peer.eta_seconds,
                peer and peer.out_of_sync_kib,
            ))
    ok = ("Established", "UpToDate", None, None, 0)
    sync = ("SyncSource", "Inconsistent")
    assert seen[4:] == [
        ("Primary", "NetworkFailure", "Unknown", *ok),
        ("Primary", "NetworkFailure", "Unknown", "Off", "DUnknown", None, None, 0),
        ("Primary", "Unconnected", "Unknown", "Off", "DUnknown", None, None, 0),
        ("Primary", "Connecting", "Unknown", "Off", "DUnknown", None, None, 0),
        ("Primary", "Connecting", "Unknown", "Off", "DUnknown", None, None, 4096),
        ("Primary", "Connected", "Secondary", "Off", "DUnknown", None, None, 4096),
        ("Primary", "Connected", "Secondary", "WFBitMapS", "Outdated", None, None, 4096),
        ("Primary", "Connected", "Secondary", *sync, 0.0, None, 4096),  # eta:nan
        ("Primary", "Connected", "Secondary", *sync, 50.0, 1.0, 2048),
        ("Primary", "Connected", "Secondary", *ok),
        ("Secondary", "Connected", "Secondary", *ok),
        ("Secondary", "Connected", "Secondary", None, None, None, None, None),  # peer-device
        ("Secondary", None, None, None, None, None, None, None),  # connection
        ("Secondary", None, None, None, None, None, None, None),  # device
    ]
    assert tracker.resources() == ()


def test_tracker_merges_change_lines_into_what_it_has() -> None:
    tracker = Events2Tracker()
    lines = stream()
    halfway = next(n for n, line in enumerate(lines) if "done:50.00" in line)
    for line in lines[: halfway + 1]:
        tracker.feed(line)
    res = tracker.resources()[0]
    conn = res.connections[0]
    # Keys the change lines never repeated survive from the initial dump.
    assert (res.write_ordering, conn.congested, conn.peer_node_id) == ("flush", False, 1)
    peer = conn.peer_volumes[0]
    assert peer.replication == "SyncSource"  # not on the 50 % line: kept
    assert peer.rate_kib_s == pytest.approx(1.33 * MIB)
    assert res.volumes[0].backing_dev == "/dev/vg0/r0"


def test_tracker_says_what_changed() -> None:
    tracker = Events2Tracker()
    lines = stream()
    results = [tracker.feed(line) for line in lines]
    helper = [r for line, r in zip(lines, results, strict=True) if " helper " in line]
    paths = [r for line, r in zip(lines, results, strict=True) if " path " in line]
    assert helper == [False, False]
    assert not any(paths)
    tracker = Events2Tracker()
    for line in lines[:6]:
        tracker.feed(line)
    assert tracker.feed(lines[0].replace("exists", "change", 1)) is False
    # Counters hadeck does not keep are no change; the ones it shows are.
    assert tracker.feed("change device name:r0 volume:0 al-writes:2300 bm-writes:14") is False
    assert tracker.feed("change device name:r0 volume:0 read:1822620") is True
    assert tracker.feed("change wormhole name:r0 colour:blue") is False
    assert tracker.feed("change resource name:r0 role:Secondary") is True


def test_tracker_renames_and_creates() -> None:
    tracker = Events2Tracker()
    for line in stream()[:6]:
        tracker.feed(line)
    assert tracker.feed("rename resource name:r0 new_name:vm-7") is True
    assert [r.name for r in tracker.resources()] == ["vm-7"]
    assert tracker.resources()[0].connections[0].peer == "bravo"
    assert tracker.feed(
        "create resource name:r9 role:Secondary suspended:no force-io-failures:no") is True
    assert tracker.feed("create device name:r9 volume:0 minor:9 disk:Diskless client:no")
    assert [r.name for r in tracker.resources()] == ["vm-7", "r9"]
    assert tracker.resources()[1].volumes[0].disk == "Diskless"


@pytest.mark.parametrize(
    "line", ["oops", "exists", "change resource role:Primary", "change resource name:r0 bad",
             "wobble resource name:r0"],
)
def test_tracker_rejects_lines_that_are_not_events2(line: str) -> None:
    with pytest.raises(ParseError):
        Events2Tracker().feed(line)


# --------------------------------------------------------------------------- status --json


@pytest.mark.parametrize("name", files("drbd-status-json"))
def test_every_status_json_sample_parses(name: str) -> None:
    for res in parse_status_json(sample("drbd-status-json", name)):
        assert res.version == "9" and res.volumes and res.connections


def test_status_json_syncsource_in_progress() -> None:
    res = only(status_json("syncsource-in-progress"))
    vol = res.volumes[0]
    assert (vol.disk, vol.client, vol.open, vol.quorum, vol.size_kib) == (
        "UpToDate", False, True, True, 20971520)
    conn = res.connections[0]
    assert (conn.peer, conn.peer_node_id, conn.state, conn.peer_role) == (
        "bravo", 1, "Connected", "Secondary")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk) == ("SyncSource", "Inconsistent")
    assert (peer.done_percent, peer.eta_seconds) == (43.57, 114)
    assert peer.rate_kib_s == pytest.approx(101.25 * MIB)
    assert (peer.out_of_sync_kib, peer.sent_kib) == (11834292, 9137488)


def test_status_json_in_sync_has_no_progress() -> None:
    peer = only(status_json("standalone-split-brain")).connections[0].peer_volumes[0]
    # percent-in-sync (99.98) is not a resync's progress.
    assert (peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == (None, None, None)
    assert peer.out_of_sync_kib == 3342


def test_status_json_unknown_eta() -> None:
    text = sample("drbd-status-json", "syncsource-in-progress.json.txt").replace(
        '"estimated-seconds-to-finish": 114', '"estimated-seconds-to-finish": 987654321')
    peer = only(parse_status_json(text)).connections[0].peer_volumes[0]
    assert peer.eta_seconds is None
    assert peer.done_percent == 43.57


def test_status_json_suspended_reasons() -> None:
    text = sample("drbd-status-json", "healthy-primary-2node.json.txt")
    text = text.replace('"suspended": false', '"suspended": true').replace(
        '"suspended-fencing": false', '"suspended-fencing": true').replace(
        '"suspended-quorum": false', '"suspended-quorum": true')
    assert only(parse_status_json(text)).suspended == "fencing,quorum"


def test_status_json_keeps_unknown_words() -> None:
    text = sample("drbd-status-json", "healthy-primary-2node.json.txt").replace(
        '"disk-state": "UpToDate"', '"disk-state": "Frobnicated"').replace(
        '"peer-role": "Secondary"', '"peer-role": "?"')
    res = only(parse_status_json(text))
    assert (res.volumes[0].disk, res.connections[0].peer_role) == ("Frobnicated", "?")


def test_status_json_empty_list() -> None:
    assert parse_status_json("[\n ]\n\n") == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        sample("drbd-status-json", "healthy-primary-2node.json.txt")[:700],
        "{}",
        '[{"role": "Primary"}]',
        '[{"name": "r0", "devices": [{"volume": "0"}]}]',
        '[{"name": "r0", "devices": [{"volume": true}]}]',
        '[{"name": "r0", "connections": {"name": "b"}}]',
        '[{"name": "r0", "connections": [{"name": "b", "peer_devices": [{"volume": 0, '
        '"out-of-sync": "many"}]}]}]',
        sample("drbd-events2", "healthy-primary-2node.txt"),
        sample("drbdadm-status", "healthy-primary-2node.txt"),
    ],
    ids=["empty", "truncated", "object", "no-name", "string-volume", "bool-volume",
         "connections-object", "string-counter", "events2", "drbdadm-status"],
)
def test_status_json_rejects_truncated_and_foreign_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse_status_json(text)


# --------------------------------------------------------------------------- drbdadm status


@pytest.mark.parametrize("name", files("drbdadm-status"))
def test_every_drbdadm_status_sample_parses(name: str) -> None:
    for res in parse_drbdadm_status(sample("drbdadm-status", name)):
        assert res.version == "9" and res.volumes and res.connections


def test_drbdadm_status_puts_back_omitted_defaults() -> None:
    res = only(drbdadm("healthy-primary-2node"))
    assert (res.role, res.suspended) == ("Primary", "no")
    vol = res.volumes[0]
    # quorum:/client: are printed only when not at their usual value (issue 12: quorum
    # stayed unknown): a device without them has quorum and is no client.
    assert (vol.volume, vol.disk, vol.open, vol.quorum, vol.client) == (
        0, "UpToDate", True, True, False)
    conn = res.connections[0]
    assert (conn.peer, conn.state, conn.peer_role) == ("bravo", "Connected", "Secondary")
    peer = conn.peer_volumes[0]
    assert (peer.volume, peer.replication, peer.peer_disk) == (0, "Established", "UpToDate")
    assert peer.peer_client is False


def test_drbdadm_status_unconnected_peer_has_peer_volumes_off() -> None:
    conn = only(drbdadm("connecting-peer-down")).connections[0]
    assert (conn.peer, conn.state, conn.peer_role) == ("bravo", "Connecting", "Unknown")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk) == ("Off", "DUnknown")
    assert only(drbdadm("standalone-split-brain")).connections[0].state == "StandAlone"


def test_drbdadm_status_syncsource() -> None:
    peer = only(drbdadm("syncsource-in-progress")).connections[0].peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.done_percent) == (
        "SyncSource", "Inconsistent", 43.57)


def test_drbdadm_status_wrapped_verbose_statistics() -> None:
    res = only(drbdadm("syncsource-in-progress.verbose-statistics"))
    assert (res.role, res.suspended, res.write_ordering) == ("Primary", "no", "flush")
    vol = res.volumes[0]
    assert (vol.minor, vol.backing_dev, vol.quorum, vol.size_kib, vol.blocked) == (
        0, "/dev/vg0/r0", True, 20971520, "no")
    conn = res.connections[0]
    assert (conn.peer, conn.peer_node_id, conn.state, conn.congested) == (
        "bravo", 1, "Connected", False)
    peer = conn.peer_volumes[0]
    assert (peer.done_percent, peer.eta_seconds, peer.out_of_sync_kib) == (
        43.57, 114, 11834292)
    assert peer.rate_kib_s == pytest.approx(101.25 * MIB)
    assert peer.resync_suspended == "no"


def test_drbdadm_status_multi_resource_statistics() -> None:
    r0, r1 = drbdadm("multi-resource-volumes-peers.statistics")
    assert [(v.volume, v.read_kib) for v in r0.volumes] == [(0, 0), (1, 0)]
    bravo, charlie = r0.connections
    assert [(p.volume, p.received_kib) for p in bravo.peer_volumes] == [(0, 81920), (1, 4096)]
    assert [(p.peer_disk, p.peer_client) for p in charlie.peer_volumes] == [
        ("Diskless", True), ("Diskless", True)]
    assert r1.volumes[0].read_kib == 7340032
    charlie = r1.connections[1]
    assert (charlie.state, charlie.peer_volumes[0].replication) == ("Connecting", "Off")
    # Without --statistics: the same states, and peer volumes only where connected.
    assert [states(r) for r in drbdadm("multi-resource-volumes-peers")] == [
        states(r0), states(r1)]


def test_drbdadm_status_no_resources() -> None:
    assert drbdadm("no-resources") == ()


def test_drbdadm_status_old_disk_spelling_on_peer_lines() -> None:
    text = sample("drbdadm-status", "healthy-primary-2node.txt").replace(
        "peer-disk:UpToDate", "disk:UpToDate")
    peer = only(parse_drbdadm_status(text)).connections[0].peer_volumes[0]
    assert peer.peer_disk == "UpToDate"


def test_drbdadm_status_keeps_unknown_words() -> None:
    text = sample("drbdadm-status", "healthy-primary-2node.txt").replace(
        "  disk:UpToDate", "  disk:Frobnicated").replace("role:Secondary", "role:?")
    res = only(parse_drbdadm_status(text))
    assert (res.volumes[0].disk, res.connections[0].peer_role) == ("Frobnicated", "?")


@pytest.mark.parametrize("name", drbd_captures("drbdadm_status"))
def test_drbdadm_status_drbd84_captures(name: str) -> None:
    res = only(parse_drbdadm_status(captured(name), version="8.4"))
    assert (res.name, res.version, res.connections[0].peer) == ("r0", "8.4", "peer")


def test_drbdadm_status_drbd84_capture_states() -> None:
    def one(name: str) -> tuple[object, ...]:
        return states(only(parse_drbdadm_status(captured(f"drbdadm_status__r0__{name}.txt"))))

    assert one("primary_uptodate") == (
        "Primary", ("UpToDate",),
        (("peer", "Connected", "Secondary", (("Established", "UpToDate", None),)),))
    assert one("connected_inconsistent") == (
        "Secondary", ("Inconsistent",),
        (("peer", "Connected", "Secondary", (("Established", "Inconsistent", None),)),))
    assert one("disconnected") == (
        "Primary", ("UpToDate",),
        (("peer", "Connecting", "Unknown", (("Off", "DUnknown", None),)),))


@pytest.mark.parametrize(
    "text",
    [
        "",
        sample("drbdadm-status", "healthy-primary-2node.txt").rstrip("\n") + "\n",
        sample("drbdadm-status", "healthy-primary-2node.txt")[:30],
        "hello world\n\n",
        "   r0 role:Primary\n\n",
        "  disk:UpToDate\n\n",
        "r0 role:Primary\n  bravo role:Secondary\n    peer-disk:UpToDate volume:x\n\n",
        "r0 role:Primary\n  disk:UpToDate\n    peer-disk:UpToDate\n\n",
        "r0 role:Primary\n  bravo role:Secondary\n    charlie peer-disk:UpToDate\n\n",
        sample("drbd-events2", "healthy-primary-2node.txt") + "\n",
        sample("drbd-status-json", "healthy-primary-2node.json.txt"),
        sample("proc-drbd", "84-connected-primary-secondary.txt") + "\n",
    ],
    ids=["empty", "no-final-blank", "cut", "garbage", "odd-indent", "no-resource",
         "bad-number", "peer-without-connection", "named-peer-volume", "events2", "json",
         "proc-drbd"],
)
def test_drbdadm_status_rejects_truncated_and_foreign_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse_drbdadm_status(text)


# --------------------------------------------------------------------------- /proc/drbd


@pytest.mark.parametrize("name", files("proc-drbd"))
def test_every_proc_drbd_sample_parses(name: str) -> None:
    resources = parse_proc_drbd(sample("proc-drbd", name))
    assert resources
    for res in resources:
        assert res.version in ("8.3", "8.4")
        assert res.name == f"drbd{res.volumes[0].minor}"
        assert res.connections[0].peer == "peer"


def test_proc_drbd_connected_primary_secondary() -> None:
    d0, d1 = proc("84-connected-primary-secondary")
    assert (d0.name, d0.role, d0.version, d0.write_ordering) == (
        "drbd0", "Primary", "8.4", "flush")
    assert (d1.name, d1.role) == ("drbd1", "Secondary")
    conn = d0.connections[0]
    assert (conn.state, conn.peer_role, conn.congested) == ("Connected", "Secondary", False)
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.sent_kib, peer.out_of_sync_kib) == (
        "Established", "UpToDate", 1048576, 0)
    assert (d0.volumes[0].read_kib, d0.volumes[0].written_kib) == (2883584, 1048576)
    assert d1.connections[0].peer_volumes[0].received_kib == 3374600


def test_proc_drbd_syncsource_progress() -> None:
    res = only(proc("84-syncsource"))
    conn = res.connections[0]
    assert (conn.state, conn.peer_role) == ("Connected", "Secondary")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk) == ("SyncSource", "Inconsistent")
    assert (peer.done_percent, peer.eta_seconds, peer.rate_kib_s) == (36.2, 105, 63612)
    assert peer.out_of_sync_kib == 6684672


def test_proc_drbd_synctarget_with_want() -> None:
    res = only(proc("84-synctarget"))
    assert (res.role, res.volumes[0].disk) == ("Secondary", "Inconsistent")
    peer = res.connections[0].peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.rate_kib_s, peer.eta_seconds) == (
        "SyncTarget", "UpToDate", 63612, 105)


def test_proc_drbd_split_brain_and_wfconnection() -> None:
    conn = only(proc("84-standalone-split-brain")).connections[0]
    assert (conn.state, conn.peer_role) == ("StandAlone", "Unknown")
    peer = conn.peer_volumes[0]
    assert (peer.replication, peer.peer_disk, peer.out_of_sync_kib) == (
        "Off", "DUnknown", 65536)
    for res in proc("84-wfconnection-peer-down"):
        conn = res.connections[0]
        assert (conn.state, conn.peer_volumes[0].replication) == ("WFConnection", "Off")
        assert conn.peer_volumes[0].peer_disk == "DUnknown"


def test_proc_drbd_diskless_primary() -> None:
    res = only(proc("84-diskless-primary"))
    assert (res.role, res.volumes[0].disk) == ("Primary", "Diskless")


def test_proc_drbd_83() -> None:
    d0, d1 = proc("83-connected-and-syncing")
    assert (d0.version, d0.write_ordering) == ("8.3", "barrier")
    peer = d1.connections[0].peer_volumes[0]
    assert (peer.replication, peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == (
        "SyncSource", 50.0, 39976, 26)


def test_proc_drbd_mainline_minor_gap() -> None:
    res = only(proc("mainline-kernel-srcversion-minor-gap"))
    assert (res.name, res.volumes[0].minor, res.role, res.write_ordering) == (
        "drbd1", 1, "Primary", "drain")
    assert res.connections[0].peer_role == "Primary"


def test_proc_drbd_skips_unconfigured_minors() -> None:
    text = sample("proc-drbd", "84-diskless-primary.txt") + "\n 2: cs:Unconfigured\n"
    assert [r.name for r in parse_proc_drbd(text)] == ["drbd0"]


def test_proc_drbd_of_drbd9_has_no_resources() -> None:
    assert parse_proc_drbd(PROC_DRBD_9) == ()
    assert proc_drbd_version(PROC_DRBD_9) == "9.2.5"


@pytest.mark.parametrize(
    ("name", "version"),
    [("84-syncsource", "8.4.7"), ("84-diskless-primary", "8.4.11"),
     ("83-connected-and-syncing", "8.3.16"), ("mainline-kernel-srcversion-minor-gap", "8.4.11")],
)
def test_proc_drbd_version(name: str, version: str) -> None:
    assert proc_drbd_version(sample("proc-drbd", f"{name}.txt")) == version


def test_proc_drbd_version_of_other_text() -> None:
    assert proc_drbd_version("") is None
    assert proc_drbd_version(sample("drbd-events2", "no-resources.txt")) is None


def test_proc_drbd_flags() -> None:
    text = sample("proc-drbd", "84-syncsource.txt").replace("C r-----", "C s-pun-")
    res = only(parse_proc_drbd(text))
    assert res.suspended == "yes"
    assert res.connections[0].congested is True
    assert res.connections[0].peer_volumes[0].resync_suspended == "user,peer"


def test_proc_drbd_keeps_unknown_words() -> None:
    text = sample("proc-drbd", "84-diskless-primary.txt").replace(
        "ds:Diskless/UpToDate", "ds:Frobnicated/?").replace("cs:Connected", "cs:Wibbling")
    res = only(parse_proc_drbd(text))
    assert (res.volumes[0].disk, res.connections[0].peer_volumes[0].peer_disk) == (
        "Frobnicated", "?")
    assert res.connections[0].state == "Wibbling"
    assert res.connections[0].peer_volumes[0].replication == "Wibbling"


@pytest.mark.parametrize(
    "name", [n for n in drbd_captures("proc_drbd") if "_series" not in n]
)
def test_proc_drbd_captures(name: str) -> None:
    res = only(parse_proc_drbd(captured(name)))
    assert (res.name, res.version, res.volumes[0].minor) == ("drbd0", "8.4", 0)


def test_proc_drbd_capture_states() -> None:
    def one(name: str) -> tuple[object, ...]:
        return states(only(parse_proc_drbd(captured(f"proc_drbd__{name}.txt"))))

    assert one("a__WFConnection_primary") == (
        "Primary", ("UpToDate",),
        (("peer", "WFConnection", "Unknown", (("Off", "DUnknown", None),)),))
    assert one("a__connected_secondary_inconsistent") == (
        "Secondary", ("Inconsistent",),
        (("peer", "Connected", "Secondary", (("Established", "Inconsistent", None),)),))
    assert one("b__secondary_uptodate") == (
        "Secondary", ("UpToDate",),
        (("peer", "Connected", "Primary", (("Established", "UpToDate", None),)),))


def series_polls() -> list[DrbdResource]:
    text = captured("proc_drbd__a__initial_sync_SyncSource_series.txt")
    polls = [p for p in text.split("--- t+") if p.strip()]
    # Each poll starts with the rest of its "--- t+N.Ns" marker line.
    return [only(parse_proc_drbd(p.split("\n", 1)[1])) for p in polls]


def test_proc_drbd_series_progress_increases() -> None:
    polls = series_polls()
    assert len(polls) == 7
    peers = [p.connections[0].peer_volumes[0] for p in polls]
    assert (peers[0].replication, peers[0].done_percent) == ("WFBitMapS", None)
    assert polls[0].connections[0].state == "Connected"
    syncing = peers[1:-1]
    assert all(p.replication == "SyncSource" and p.peer_disk == "Inconsistent" for p in syncing)
    done = [p.done_percent for p in syncing]
    assert done == [12.5, 31.3, 50.0, 62.5, 87.5]
    oos = [p.out_of_sync_kib for p in peers]
    assert oos == sorted(oos, reverse=True) and oos[-1] == 0
    assert [p.eta_seconds for p in syncing] == [9, 5, 4, 3, 1]
    assert [p.rate_kib_s for p in syncing] == [5888, 8192, 7604, 6740, 7896]
    last = peers[-1]
    assert (last.replication, last.peer_disk, last.done_percent) == (
        "Established", "UpToDate", None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello\n",
        sample("proc-drbd", "84-connected-primary-secondary.txt").splitlines()[0] + "\n garbage\n",
        "\n".join(sample("proc-drbd", "84-syncsource.txt").splitlines()[:3]) + "\n",
        "\n".join(sample("proc-drbd", "84-syncsource.txt").splitlines()[:5]) + "\n",
        sample("proc-drbd", "84-syncsource.txt").replace(" ds:UpToDate/Inconsistent", ""),
        sample("proc-drbd", "84-syncsource.txt").replace("oos:6684672", "oos:lots"),
        sample("proc-drbd", "84-syncsource.txt")[:200],
        sample("drbd-events2", "healthy-primary-2node.txt"),
        sample("drbdadm-status", "healthy-primary-2node.txt"),
    ],
    ids=["empty", "garbage", "garbage-after-version", "no-counters", "half-progress",
         "no-ds", "bad-counter", "cut-mid-line", "events2", "drbdadm-status"],
)
def test_proc_drbd_rejects_truncated_and_foreign_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse_proc_drbd(text)


# --------------------------------------------------------------------------- cross-checks


def states(res: DrbdResource) -> tuple[object, ...]:
    """What every format reports the same way: roles, states, peers, progress."""
    return (
        res.role,
        tuple(v.disk for v in res.volumes),
        tuple(
            (c.peer, c.state, c.peer_role,
             tuple((p.replication, p.peer_disk, p.done_percent) for p in c.peer_volumes))
            for c in res.connections
        ),
    )


@pytest.mark.parametrize("case", SCENARIOS)
def test_events2_status_json_and_drbdadm_status_agree(case: str) -> None:
    from_events2 = events2(case)
    assert [r.name for r in status_json(case)] == [r.name for r in from_events2]
    assert [r.name for r in drbdadm(case)] == [r.name for r in from_events2]
    expected = [states(r) for r in from_events2]
    assert [states(r) for r in status_json(case)] == expected
    assert [states(r) for r in drbdadm(case)] == expected


@pytest.mark.parametrize("case", SCENARIOS)
def test_events2_and_status_json_agree_on_details(case: str) -> None:
    def details(resources: tuple[DrbdResource, ...]) -> list[object]:
        return [
            (r.suspended, r.write_ordering,
             [(v.volume, v.minor, v.client, v.open, v.quorum, v.size_kib, v.read_kib)
              for v in r.volumes],
             [(c.peer_node_id, c.congested,
               [(p.volume, p.peer_client, p.out_of_sync_kib, p.sent_kib, p.received_kib,
                 p.eta_seconds, p.rate_kib_s) for p in c.peer_volumes])
              for c in r.connections])
            for r in resources
        ]

    assert details(status_json(case)) == details(events2(case))


def test_verbose_drbdadm_status_agrees_with_events2_on_counters() -> None:
    a = only(drbdadm("syncsource-in-progress.verbose-statistics"))
    b = only(events2("syncsource-in-progress"))
    # With the omitted defaults put back, the two forms agree on everything.
    assert a.volumes == b.volumes
    assert a.connections[0].peer_volumes[0] == b.connections[0].peer_volumes[0]


@pytest.mark.parametrize(
    ("proc_name", "events2_name", "status_name"),
    [
        ("primary_uptodate", "primary_uptodate", "primary_uptodate"),
        ("connected_secondary_inconsistent", "connected_inconsistent", "connected_inconsistent"),
    ],
)
def test_drbd84_captures_agree(proc_name: str, events2_name: str, status_name: str) -> None:
    from_proc = only(parse_proc_drbd(captured(f"proc_drbd__a__{proc_name}.txt")))
    from_events2 = only(parse_events2(captured(f"drbdsetup-84_events2_now__{events2_name}.txt")))
    from_status = only(parse_drbdadm_status(captured(f"drbdadm_status__r0__{status_name}.txt")))
    assert states(from_proc) == states(from_events2) == states(from_status)


# --------------------------------------------------------------------------- the reader


def proc_84() -> str:
    return captured("proc_drbd__a__primary_uptodate.txt")


def test_commands_are_named_and_unique() -> None:
    assert {c.name for c in COMMANDS} == {
        "drbd/proc-drbd.txt", "drbd/events2.txt", "drbd/status.json",
        "drbd/drbdadm-status.txt", "drbd/events2-84.txt", "drbd/show-84.txt"}
    assert PROC_DRBD.path == "/proc/drbd" and PROC_DRBD.argv == ()
    assert EVENTS2.argv == ("drbdsetup", "events2", "--now", "--statistics")
    assert EVENTS2_84.argv == ("/lib/drbd/drbdsetup-84", "events2", "--now", "--statistics")
    assert STATUS_JSON.argv == ("drbdsetup", "status", "--json")
    assert DRBDADM_STATUS.argv == ("drbdadm", "status")


def test_reader_drbd9_reads_events2() -> None:
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        EVENTS2.argv: sample("drbd-events2", "multi-resource-volumes-peers.txt"),
    }, node="alpha")
    reading = read(runner)
    assert reading.status.ok and reading.status.source == "drbd"
    assert reading.status.node == "alpha"
    assert reading.value is not None
    assert [(r.name, r.node, r.version) for r in reading.value] == [
        ("r0", "alpha", "9"), ("r1", "alpha", "9")]
    assert reading.status.detail is not None
    assert reading.status.detail.startswith("drbdsetup events2")
    assert "9.2.5" in reading.status.detail
    assert runner.calls == ["/proc/drbd", EVENTS2.argv]


def test_reader_drbd9_falls_back_to_status_json() -> None:
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        STATUS_JSON.argv: sample("drbd-status-json", "syncsource-in-progress.json.txt"),
    })
    reading = read(runner)
    assert reading.status.ok and reading.value is not None
    assert only(reading.value).connections[0].peer_volumes[0].done_percent == 43.57
    assert only(reading.value).node == "testnode"
    detail = reading.status.detail or ""
    assert detail.startswith("drbdsetup status --json")
    assert "drbdsetup: command not found" in detail


def test_reader_drbd9_falls_back_to_drbdadm_status_but_the_broken_tool_is_an_error() -> None:
    """drbdsetup installed but failing: drbdadm's resources are used, and the source
    still fails (UNKNOWN): the fallback has no out-of-sync counts, so a broken drbdsetup
    must not read as a healthy check whose ``-w/-c`` can never fire."""
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        EVENTS2.argv: CommandResult(EVENTS2.argv, "", "Operation not permitted\n", 20),
        STATUS_JSON.argv: sample("drbd-status-json", "syncsource-in-progress.json.txt")[:500],
        DRBDADM_STATUS.argv: sample("drbdadm-status", "standalone-split-brain.txt"),
    })
    reading = read(runner)
    assert reading.value is not None
    assert only(reading.value).connections[0].state == "StandAlone"
    detail = reading.status.detail or ""
    assert detail.startswith("drbdadm status")
    error = reading.status.error or ""
    assert "exited 20" in error and "cannot parse drbdsetup status --json" in error
    assert error.endswith("(read by drbdadm status instead)")
    assert reading.error_kind is None  # the node answered: not an unreachable node
    assert runner.calls == ["/proc/drbd", EVENTS2.argv, STATUS_JSON.argv, DRBDADM_STATUS.argv]


def test_reader_drbd9_hung_drbdsetup_is_one_timeout_not_three() -> None:
    """drbdadm status runs drbdsetup status: after a hang nothing else is run."""
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        EVENTS2.argv: failure(EVENTS2.argv, "timeout", "drbdsetup: timed out after 10 s"),
        DRBDADM_STATUS.argv: sample("drbdadm-status", "standalone-split-brain.txt"),
    })
    reading = read(runner)
    assert reading.value is None
    assert "drbdsetup: timed out after 10 s" in (reading.status.error or "")
    assert runner.calls == ["/proc/drbd", EVENTS2.argv]


def test_reader_drbd9_missing_drbdsetup_is_a_quiet_fallback() -> None:
    """Not installed is not broken: drbdadm's answer is the reading, without an error."""
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        DRBDADM_STATUS.argv: sample("drbdadm-status", "standalone-split-brain.txt"),
    })
    reading = read(runner)
    assert reading.status.ok and reading.value is not None


def test_reader_drbd9_garbage_everywhere_is_an_error_naming_the_tools() -> None:
    runner = ScriptedRunner({
        "/proc/drbd": PROC_DRBD_9,
        EVENTS2.argv: "Segmentation fault\n",
    })
    reading = read(runner)
    assert reading.value is None
    error = reading.status.error or ""
    assert "cannot parse drbdsetup events2 --now --statistics output" in error
    assert "drbdadm: command not found" in error


def test_reader_drbd84_reads_drbdsetup_84_events2() -> None:
    runner = ScriptedRunner({
        "/proc/drbd": proc_84(),
        EVENTS2_84.argv: captured("drbdsetup-84_events2_now__primary_uptodate.txt"),
    }, node="a")
    reading = read(runner)
    assert reading.value is not None
    res = only(reading.value)
    assert (res.name, res.node, res.version, res.role) == ("r0", "a", "8.4", "Primary")
    assert (reading.status.detail or "").startswith("/lib/drbd/drbdsetup-84 events2")
    # then its backing devices, which 8.4's events2 does not name (here: not answered)
    assert runner.calls == ["/proc/drbd", EVENTS2_84.argv, SHOW_84.argv]
    assert res.volumes[0].backing_dev is None and reading.status.error is None


def test_reader_drbd84_takes_a_resyncs_progress_from_proc_drbd() -> None:
    # The 8.4 module's events2 has no done/rate/ETA; /proc/drbd, read at the same
    # moment on the real kernel (tests/fixtures/vmlab/), has them.
    vmlab = CAPTURED.parent.parent / "vmlab"
    runner = ScriptedRunner({
        "/proc/drbd": (vmlab / "cat_proc_drbd__b__syncing.txt").read_text(),
        EVENTS2_84.argv: (vmlab / "drbdsetup_events2_--now_--statistics__b__syncing.txt"
                          ).read_text(),
    }, node="b")
    reading = read(runner)
    assert reading.status.ok and reading.value is not None
    peer = only(reading.value).connections[0].peer_volumes[0]
    # /proc/drbd: "sync'ed:  6.3% (62376/65496)K", "finish: 0:00:19 speed: 3,120"
    assert (peer.replication, peer.done_percent, peer.rate_kib_s, peer.eta_seconds) == \
        ("SyncTarget", 6.3, 3120.0, 19.0)
    assert peer.out_of_sync_kib == 61960  # events2's own count, not /proc/drbd's


def test_reader_drbd84_adds_no_progress_when_not_resyncing() -> None:
    vmlab = CAPTURED.parent.parent / "vmlab"
    runner = ScriptedRunner({
        "/proc/drbd": (vmlab / "cat_proc_drbd__b__syncing.txt").read_text(),
        EVENTS2_84.argv: (vmlab / "drbdsetup_events2_--now_--statistics__b__"
                          "connected_secondary.txt").read_text(),
    }, node="b")
    reading = read(runner)
    assert reading.value is not None
    peer = only(reading.value).connections[0].peer_volumes[0]
    assert (peer.replication, peer.done_percent, peer.eta_seconds) == ("Established", None,
                                                                       None)


def test_reader_drbd84_falls_back_to_proc_drbd() -> None:
    runner = ScriptedRunner({"/proc/drbd": proc_84()}, node="a")
    reading = read(runner)
    assert reading.status.ok and reading.value is not None
    res = only(reading.value)
    assert (res.name, res.node, res.version) == ("drbd0", "a", "8.4")
    detail = reading.status.detail or ""
    assert detail.startswith("/proc/drbd") and "/lib/drbd/drbdsetup-84: command not found" in detail
    assert runner.calls == ["/proc/drbd", EVENTS2_84.argv]  # /proc/drbd read once


def test_reader_drbd83_goes_straight_to_proc_drbd() -> None:
    runner = ScriptedRunner({"/proc/drbd": sample("proc-drbd", "83-connected-and-syncing.txt")})
    reading = read(runner)
    assert reading.value is not None and [r.name for r in reading.value] == ["drbd0", "drbd1"]
    assert runner.calls == ["/proc/drbd"]


@pytest.mark.parametrize(
    "answer",
    [None, CommandResult(("cat", "/proc/drbd"), "", f"cat: {NO_SUCH_FILE}\n", 1)],
    ids=["local", "over-ssh"],
)
def test_reader_without_module_is_no_resources_not_an_error(answer: CommandResult | None) -> None:
    runner = ScriptedRunner({"/proc/drbd": answer} if answer else {})
    reading = read(runner)
    assert reading.value == ()
    assert reading.status.ok
    assert reading.status.detail == "no DRBD module loaded"
    assert runner.calls == ["/proc/drbd"]


def test_reader_garbage_proc_drbd_is_an_error() -> None:
    reading = read(ScriptedRunner({"/proc/drbd": "bonjour\n"}))
    assert reading.value is None
    assert "/proc/drbd" in (reading.status.error or "")


def test_reader_drbd84_garbage_everywhere_names_both() -> None:
    broken = proc_84().replace(" ds:UpToDate/UpToDate", "")
    reading = read(ScriptedRunner({"/proc/drbd": broken, EVENTS2_84.argv: "exists resource"}))
    assert reading.value is None
    error = reading.status.error or ""
    assert "cannot parse /lib/drbd/drbdsetup-84 events2" in error
    assert "cannot parse /proc/drbd output" in error


def test_reader_proc_drbd_timeout_is_an_error() -> None:
    timeout = CommandResult(
        ("cat", "/proc/drbd"), returncode=None, error="cat: timed out after 10 s")
    reading = read(ScriptedRunner({"/proc/drbd": timeout}))
    assert reading.value is None
    assert reading.status.error == "cat: timed out after 10 s"


def test_drbd84_peer_keeps_its_name_while_disconnected() -> None:
    # drbdsetup-84 events2 prints conn-name:peer only while connected (issue 12: the peer
    # was "peer" in one reading and "node-id 0" in the next).
    connected = captured("drbdsetup-84_events2_now__primary_uptodate.txt")
    assert only(parse_events2(connected, version="8.4")).connections[0].peer == "peer"
    cut = "\n".join(
        line.replace(" conn-name:peer", "").replace("connection:Connected", "connection:Connecting")
        for line in connected.splitlines()) + "\n"
    assert only(parse_events2(cut, version="8.4")).connections[0].peer == "peer"
    proc = parse_proc_drbd(captured("proc_drbd__a__WFConnection_primary.txt"))
    assert proc[0].connections[0].peer == "peer"
