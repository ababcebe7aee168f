"""A hung tool costs one timeout, not the sum of them, and never hides another node.

The lab's ``hang`` fault sleeps the runner's whole timeout and answers as a killed
command does; with ``[cluster] timeout`` at 1 s, reading the seed lab with a hung crm_mon
(read twice: ``--output-as=xml``, then ``--as-xml``), a hung drbdsetup on jupiter1 and a
hung ipvsadm on lvs1 took 2 + 2 s one after another before (collect read Pacemaker, then
each node's sources in a row). Now Pacemaker and every node's sources are read at once.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from hadeck.collect import OnceHungRunner, collect
from hadeck.config import Config
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.runner import CommandResult, failure
from tests.fakes import ScriptedRunner

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("crm_simulate") and shutil.which("crm_mon")):
        pytest.skip("pacemaker-cli-utils (crm_simulate, crm_mon) not installed")
    directory = tmp_path_factory.mktemp("parallel") / "seed"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


@pytest.mark.pacemaker
def test_hung_tools_on_several_nodes_cost_about_one_timeout(seed: Path, tmp_path: Path) -> None:
    directory = tmp_path / "lab"
    shutil.copytree(seed, directory)
    lab = Lab(directory)
    faults.tool_fault(lab, "jupiter1", "crm_mon", "hang")
    faults.tool_fault(lab, "jupiter1", "drbdsetup", "hang")
    faults.tool_fault(lab, "lvs1", "ipvsadm", "hang")
    access = LabAccess(lab, "jupiter1", timeout=TIMEOUT)

    start = time.monotonic()
    state = collect(access, Config(timeout=TIMEOUT))
    took = time.monotonic() - start

    errors = {(s.source, s.node): s.error for s in state.sources if s.error}
    assert set(errors) == {("pacemaker", "jupiter1"), ("drbd", "jupiter1"), ("lvs", "lvs1")}
    # Every other node's data is there, read while the hung tools waited.
    assert {r.node for r in state.drbd} == {"jupiter2"}
    assert {h.node for h in state.hosts} == {"jupiter1", "jupiter2", "sun", "lvs1", "lvs2"}
    # The sum would be 4 s (crm_mon twice, drbdsetup twice); one timeout plus the work.
    assert took < 2.5 * TIMEOUT, f"{took:.1f} s"


@pytest.mark.pacemaker
def test_a_dead_node_is_one_error_not_one_per_source(seed: Path, tmp_path: Path) -> None:
    directory = tmp_path / "lab"
    shutil.copytree(seed, directory)
    lab = Lab(directory)
    faults.fail_director(lab, "lvs1")
    state = collect(LabAccess(lab, "jupiter1", timeout=TIMEOUT))
    assert [s.source for s in state.sources if s.node == "lvs1"] == ["node"]


def test_a_tool_that_hung_is_not_run_again_in_the_same_read() -> None:
    hung = failure(("ipvsadm", "-Ln"), "timeout", "ipvsadm: timed out after 10 s")
    inner = ScriptedRunner({("ipvsadm", "-Ln"): hung,
                            ("ipvsadm", "-Ln", "--rate"): "never asked\n",
                            ("virsh", "list"): "fine\n"})
    runner = OnceHungRunner(inner)
    assert runner.run(("ipvsadm", "-Ln")).error_kind == "timeout"
    again = runner.run(("ipvsadm", "-Ln", "--rate"))
    assert again.error_kind == "timeout" and "not run again" in (again.error or "")
    assert runner.run(("virsh", "list")).stdout == "fine\n"
    assert inner.calls == [("ipvsadm", "-Ln"), ("virsh", "list")]
    # The next read tries it again: a tool that recovered is read.
    fresh = OnceHungRunner(inner)
    inner.answers[("ipvsadm", "-Ln")] = CommandResult(("ipvsadm", "-Ln"), "ok\n")
    assert fresh.run(("ipvsadm", "-Ln")).ok
