"""collect(on_progress=): the local Pacemaker view and each node's facts as they arrive.

A slow peer is faked at the runner boundary only: the lab's runner (real-format outputs of
every tool) for one node, held until the test lets it go, or the lab's ``hang`` fault.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from hadeck.collect import Partial, collect
from hadeck.config import Config
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from tests.fakes import SlowPeerAccess

SLOW = "jupiter2"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("crm_simulate") and shutil.which("crm_mon")):
        pytest.skip("pacemaker-cli-utils (crm_simulate, crm_mon) not installed")
    directory = tmp_path_factory.mktemp("progress") / "seed"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


@pytest.fixture
def lab(seed: Path, tmp_path: Path) -> Lab:
    shutil.copytree(seed, tmp_path / "lab")
    return Lab(tmp_path / "lab")


@pytest.mark.pacemaker
def test_pacemaker_and_the_other_nodes_arrive_while_a_peer_is_still_read(lab: Lab) -> None:
    release = threading.Event()
    access = SlowPeerAccess(lab, "jupiter1", SLOW, release)
    partials: list[Partial] = []

    def progress(partial: Partial) -> None:
        partials.append(partial)
        if not partial.pending or partial.pending == (SLOW,):
            release.set()  # everything else is in: now the slow peer may answer

    state = collect(access, Config(), on_progress=progress)

    assert access.held is not None and access.held.held_until_released, \
        "the slow peer was let go by the timeout, not by the test"
    first = partials[0]
    assert first.state.pacemaker is not None
    assert SLOW in first.pending
    assert [n.name for n in first.state.pacemaker.nodes if n.name == SLOW] == [SLOW]
    # Every partial before the slow node's answer has nothing of it: no rows, no sources.
    for partial in partials:
        assert SLOW in partial.pending
        assert SLOW not in {h.node for h in partial.state.hosts}
        assert SLOW not in {s.node for s in partial.state.sources}
        assert SLOW not in {r.node for r in partial.state.drbd}
    # Then the others fill in, one by one, in the callback's order.
    arrived = [{h.node for h in p.state.hosts} for p in partials]
    assert arrived == sorted(arrived, key=len)
    assert arrived[-1] == {"jupiter1", "sun", "lvs1", "lvs2"}
    assert partials[-1].pending == (SLOW,)
    # The complete state is the return value, with the slow peer in it.
    assert {h.node for h in state.hosts} == {"jupiter1", SLOW, "sun", "lvs1", "lvs2"}
    assert {r.node for r in state.drbd} == {"jupiter1", SLOW}
    assert not [s for s in state.sources if s.error]


@pytest.mark.pacemaker
def test_a_hung_peer_does_not_hold_back_the_pacemaker_view(lab: Lab) -> None:
    timeout = 2.0
    faults.tool_fault(lab, SLOW, "virsh", "hang")
    seen: list[tuple[float, Partial]] = []
    start = time.monotonic()
    state = collect(LabAccess(lab, "jupiter1", timeout=timeout), Config(timeout=timeout),
                    on_progress=lambda p: seen.append((time.monotonic() - start, p)))
    took = time.monotonic() - start

    at, first = seen[0]
    assert first.state.pacemaker is not None and SLOW in first.pending
    assert at < timeout < took, f"first partial at {at:.1f} s, the read took {took:.1f} s"
    # The hung tool is the slow node's error once it is in; its other facts are there.
    errors = {(s.source, s.node) for s in state.sources if s.error}
    assert errors == {("guests", SLOW)}
    assert SLOW in {h.node for h in state.hosts}



@pytest.mark.pacemaker
def test_a_read_done_before_progress_after_hands_over_no_partial(lab: Lab) -> None:
    partials: list[Partial] = []
    state = collect(LabAccess(lab, "jupiter1"), Config(), on_progress=partials.append,
                    progress_after=60.0)
    assert partials == []  # each partial costs the dashboard a judgement and a drawing
    assert {h.node for h in state.hosts} == {"jupiter1", SLOW, "sun", "lvs1", "lvs2"}


@pytest.mark.pacemaker
def test_a_slow_read_hands_over_what_arrived_once_progress_after_has_passed(
        lab: Lab) -> None:
    release = threading.Event()
    access = SlowPeerAccess(lab, "jupiter1", SLOW, release)
    timer = threading.Timer(1.5, release.set)
    seen: list[tuple[float, Partial]] = []
    start = time.monotonic()
    timer.start()
    try:
        state = collect(access, Config(), progress_after=0.4,
                        on_progress=lambda p: seen.append((time.monotonic() - start, p)))
    finally:
        timer.cancel()
    assert seen, "no partial while the slow peer was held"
    assert all(at >= 0.4 for at, _ in seen), [at for at, _ in seen]
    # Everything else had arrived by then: one partial, the slow peer pending.
    at, last = seen[-1]
    assert last.pending == (SLOW,) and at < 1.5
    assert {h.node for h in last.state.hosts} == {"jupiter1", "sun", "lvs1", "lvs2"}
    assert SLOW in {h.node for h in state.hosts}
