"""``drbdsetup events2`` followed in the lab: the dump, then change lines as the world moves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from hadeck.lab import faults
from hadeck.lab.runner import LabRunner, events2_changes
from hadeck.lab.world import Lab
from hadeck.sources.drbd import Events2Tracker, parse_events2
from tests.conftest import sample

pytestmark = pytest.mark.pacemaker

FOLLOW = ["drbdsetup", "events2", "--statistics"]
NOW = ["drbdsetup", "events2", "--now", "--statistics"]


def _until(stream: Iterator[str], tracker: Events2Tracker, runner: LabRunner,
           timeout: float = 5.0) -> None:
    """Feed lines until the followed state is what ``events2 --now`` says now."""
    want = parse_events2(runner.run(NOW).stdout)
    deadline = time.monotonic() + timeout
    for line in stream:
        tracker.feed(line)
        if tracker.resources() == want:
            return
        assert time.monotonic() < deadline, "the stream never caught up"
    raise AssertionError("the stream ended before it caught up")


def test_follow_matches_now_after_every_change(lab: Lab) -> None:
    runner = LabRunner(lab, "jupiter2")
    tracker = Events2Tracker()
    with runner.stream(FOLLOW) as stream:
        # The dump is the --now output, byte for byte, ending with "exists -".
        now = runner.run(NOW).stdout
        dump = [next(stream) for _ in now.splitlines()]
        assert "".join(dump) == now
        for line in dump:
            tracker.feed(line)
        assert tracker.initial_dump_done

        faults.cut_drbd(lab, "r1")
        start = time.monotonic()
        _until(stream, tracker, runner)
        assert time.monotonic() - start < 1.0  # the lab looks every 0.25 s
        assert "Connecting" in repr(tracker.resources())

        faults.heal_drbd(lab, "r1")
        faults.step(lab, 10)
        _until(stream, tracker, runner)
        assert "SyncTarget" in repr(tracker.resources())
    assert stream.error is None


def test_change_lines_carry_identity_and_changed_groups_only() -> None:
    before = sample("drbd-events2", "healthy-primary-2node.txt")
    after = before.replace("connection:Connected role:Secondary",
                           "connection:Connecting role:Unknown")
    after = after.replace("replication:Established peer-disk:UpToDate",
                          "replication:Off peer-disk:DUnknown")
    lines = events2_changes(before, after)
    assert lines == [
        "change connection name:r0 peer-node-id:1 conn-name:bravo connection:Connecting "
        "role:Unknown",
        "change peer-device name:r0 peer-node-id:1 conn-name:bravo volume:0 replication:Off "
        "peer-disk:DUnknown peer-client:no",
    ]
    # Merged into the first state, the change lines give the second one.
    tracker = Events2Tracker()
    for line in [*before.splitlines(), *lines]:
        tracker.feed(line)
    assert tracker.resources() == parse_events2(after)
    gone = events2_changes(before, "exists -\n")
    assert [line.split()[:2] for line in gone] == [
        ["destroy", "path"], ["destroy", "peer-device"], ["destroy", "connection"],
        ["destroy", "device"], ["destroy", "resource"]]
    assert gone[-1] == "destroy resource name:r0"


def test_stream_faults(lab: Lab) -> None:
    missing = LabRunner(lab, "sun").stream(FOLLOW)  # no DRBD on the arbiter
    assert list(missing) == [] and missing.error == "drbdsetup: command not found"
    other = LabRunner(lab, "jupiter1").stream(["virsh", "event", "--loop"])
    assert list(other) == [] and other.error

    faults.tool_fault(lab, "jupiter1", "drbdsetup", "garbage")
    garbage = LabRunner(lab, "jupiter1").stream(FOLLOW)
    assert "lab: garbage" in next(garbage)
    garbage.close()

    stream = LabRunner(lab, "jupiter2").stream(FOLLOW)
    assert next(stream).startswith("exists resource")
    faults.fail_node(lab, "jupiter2")
    rest = list(stream)  # ends: the node is gone
    assert rest[-1] == "exists -\n" and stream.error is not None
    assert stream.error.startswith("ssh jupiter2:")


def test_close_from_another_thread_ends_a_hanging_stream(lab: Lab) -> None:
    faults.tool_fault(lab, "jupiter1", "drbdsetup", "hang")
    stream = LabRunner(lab, "jupiter1").stream(FOLLOW)
    threading.Timer(0.3, stream.close).start()
    start = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - start < 2 and stream.error is None
