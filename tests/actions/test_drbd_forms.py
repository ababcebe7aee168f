"""DRBD 8.4 and 9 command forms, planned and previewed from real outputs.

DRBD 8.4: the split brain of the vmlab pair (two qemu VMs, Debian's in-tree DRBD 8.4.11,
drbd-utils 9.22; both sides Primary and written while apart), read from its real
``drbdsetup events2 --now --statistics`` captures; the preview's ``drbdadm -d`` answers
are the real dry runs captured there (tests/fixtures/vmlab/, copied byte for byte from
branch vmlab). The runner is the only fake: it answers with that text.

DRBD 9 with two peers: the diskless client of the format reference's three-node sample
(tests/fixtures/formats/samples/drbd-events2/diskless-client-3node.txt), where a verb
must name its connection (``RES:PEER``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from hadeck.actions.drbd_plan import plan
from hadeck.actions.perform import EXIT_DONE, EXIT_REFUSED, prepare
from hadeck.actions.plan import Refused
from hadeck.actions.request import Request
from hadeck.collect import Access
from hadeck.config import Config
from hadeck.model import ClusterState, DrbdResource
from hadeck.opening import Opened
from hadeck.runner import Runner
from hadeck.sources.drbd import parse_events2
from tests.fakes import ScriptedRunner

FIXTURES = Path(__file__).parent.parent / "fixtures"
VMLAB = FIXTURES / "vmlab"


def read(path: Path, node: str) -> tuple[DrbdResource, ...]:
    """The resources a node's events2 capture shows, as that node reported them."""
    return tuple(dataclasses.replace(r, node=node)
                 for r in parse_events2(path.read_text(), version="8.4"
                                        if path.parent.name == "vmlab" else None))


def split_brain_84() -> ClusterState:
    events = "drbdsetup_events2_--now_--statistics__{}__split_brain.txt"
    return ClusterState(taken_at=0.0, local_node="a",
                        drbd=read(VMLAB / events.format("a"), "a")
                        + read(VMLAB / events.format("b"), "b"))


class ScriptedAccess(Access):
    """One scripted runner per node."""

    def __init__(self, runners: dict[str, Runner]) -> None:
        super().__init__(runners[next(iter(runners))])
        self.runners = runners

    def runner(self, node: str) -> Runner:
        return self.runners[node]


def dry(name: str) -> str:
    return (VMLAB / name).read_text()


def test_the_84_split_brain_is_resolved_with_the_84_forms() -> None:
    state = split_brain_84()
    assert {r.version for r in state.drbd} == {"8.4"}
    assert [c.peer for r in state.drbd for c in r.connections] == ["peer", "peer"]
    # The victim b's dry runs: secondary (the capture is a's; the minor, 0, is the same
    # on both) and connect --discard-my-data in the split brain; a's plain connect.
    access = ScriptedAccess({
        "b": ScriptedRunner({
            ("drbdadm", "-d", "secondary", "r0"): dry("drbdadm_-d_secondary__a__dry_run.txt"),
            ("drbdadm", "-d", "connect", "--discard-my-data", "r0"):
                dry("drbdadm_-d_connect_--discard-my-data__b__split_brain_dry_run.txt")},
            node="b"),
        "a": ScriptedRunner({("drbdadm", "-d", "connect", "r0"):
                             dry("drbdadm_-d_connect__a__dry_run.txt")}, node="a"),
    })
    prepared = prepare(Request("drbd-resolve", "r0", "b"), Opened(access, Config()),
                       state=state)
    assert prepared.exit_code == EXIT_DONE, prepared.refused
    assert prepared.plan is not None
    assert [(s.node, s.argv) for s in prepared.plan.steps] == [
        ("b", ("drbdadm", "secondary", "r0")),
        ("b", ("drbdadm", "connect", "--discard-my-data", "r0")),
        ("a", ("drbdadm", "connect", "r0")),
    ]
    assert prepared.plan.confirm_word == "b"
    assert prepared.preview is not None
    assert prepared.preview.transition == (
        "b: drbdsetup-84 secondary 0",
        "b: drbdsetup-84 connect r0 ipv4:10.0.0.2:7789 ipv4:10.0.0.1:7789 --protocol=C "
        "--ping-int=2 --verify-alg=crc32c --discard-my-data",
        "a: drbdsetup-84 connect r0 ipv4:10.0.0.1:7789 ipv4:10.0.0.2:7789 --protocol=C "
        "--ping-int=2 --verify-alg=crc32c")
    text = prepared.preview.text
    # Both sides, each Primary when the split happened, and what each wrote.
    assert "role         Primary" in text
    assert "66776 KiB since attach" in text and "1280 KiB since attach" in text
    checks = {c.name: c for c in prepared.checks}
    assert checks["discard-my-data"].ok
    assert checks["Pacemaker"].reason == "r0 is not managed by Pacemaker"


def test_an_84_primary_beside_a_primary_is_refused() -> None:
    """No second Primary: the split-brain capture's b is Primary; a request to promote a
    is refused by the plan (already Primary), b's demotion is allowed."""
    state = split_brain_84()
    with pytest.raises(Refused, match="r0 is already Primary on a"):
        plan(Request("drbd-primary", "r0", "a"), state)
    assert plan(Request("drbd-secondary", "r0", "b"), state).argv == (
        ("drbdadm", "secondary", "r0"),)


def test_a_failed_dry_run_refuses_with_the_tool_s_words() -> None:
    state = split_brain_84()
    access = ScriptedAccess({"a": ScriptedRunner({}, node="a")})  # no drbdadm at all
    prepared = prepare(Request("drbd-connect", "r0", "a"), Opened(access, Config()),
                       state=state)
    assert prepared.exit_code == EXIT_REFUSED
    assert prepared.refused is not None
    assert prepared.refused.startswith("no preview: drbdadm -d connect r0 on a:")


def three_node() -> ClusterState:
    sample = FIXTURES / "formats" / "samples" / "drbd-events2" / "diskless-client-3node.txt"
    return ClusterState(taken_at=0.0, local_node="charlie", drbd=read(sample, "charlie"))


@pytest.mark.parametrize(("verb", "argv"), [
    ("drbd-disconnect", ("drbdadm", "disconnect", "vm-101-disk-1:alpha")),
    ("drbd-verify", ("drbdadm", "verify", "vm-101-disk-1:alpha")),
])
def test_drbd9_with_two_peers_names_the_connection(verb: str, argv: Sequence[str]) -> None:
    planned = plan(Request(verb, "vm-101-disk-1", "charlie", option="alpha"), three_node())
    assert planned.argv == (tuple(argv),)
    assert planned.request.describe() == \
        f"drbd {verb.removeprefix('drbd-')} vm-101-disk-1 --node charlie --peer alpha"


def test_drbd9_without_a_peer_acts_on_every_connection() -> None:
    planned = plan(Request("drbd-disconnect", "vm-101-disk-1", "charlie"), three_node())
    assert planned.argv == (("drbdadm", "disconnect", "vm-101-disk-1"),)
