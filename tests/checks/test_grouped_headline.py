"""The plugins' status line leads with the root cause, as ``hadeck status`` does (#12).

Before, a plugin printed its first problem: with the ping node lost,
check_hadeck_cluster said ``vm1: stopped (+4 more)`` — an effect, with the cause nowhere.
Now the line is the grouped problem's headline (:meth:`Judgement.grouped`): the cause, then
``→`` what it caused; ``(+N more)`` counts the other problems, not the folded effects.
Each case is a lab fault on the real scheduler: ping loss, a node crash, no quorum, a
blocked stop.
"""

from __future__ import annotations

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from tests.checks.helpers import run_check

pytestmark = pytest.mark.pacemaker


def test_ping_loss_names_the_lost_ping_node_not_a_stopped_guest(lab: Lab) -> None:
    faults.ping_lost(lab)
    faults.step(lab, 30)
    out = run_check("cluster", "--lab", lab.directory)
    assert out.state == "CRITICAL", out.stdout
    # The cluster check does not judge pingd, yet the cause is told (pingd as witness).
    assert out.text.startswith("jupiter1, jupiter2, sun: reach no ping node → "), out.text
    assert "vm1, vm2, g_services stopped (location rules" in out.text
    assert "(+" not in out.text  # every stopped resource is folded under the cause


def test_a_crashed_node_leads_with_the_node(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter1")
    faults.step(lab, 30)
    out = run_check("cluster", "--lab", lab.directory, "--node", "jupiter2")
    assert out.state == "CRITICAL", out.stdout
    assert out.text.startswith("jupiter1: offline: crashed or cut off"), out.text
    assert "moved to jupiter2" in out.text


def test_no_quorum_leads_with_the_policy(lab: Lab) -> None:
    faults.fail_node(lab, "sun")
    faults.fail_node(lab, "jupiter1")
    faults.step(lab, 30)
    out = run_check("cluster", "--lab", lab.directory, "--node", "jupiter2")
    assert out.state == "CRITICAL", out.stdout
    assert out.text.startswith("quorum: partition has no quorum → "), out.text
    assert "stopped by no-quorum-policy=stop" in out.text


def test_a_blocked_stop_says_blocked_and_the_broken_colocation(lab: Lab) -> None:
    faults.fail_resource(lab, "vm1", op="stop")
    faults.step(lab, 30)
    out = run_check("cluster", "--lab", lab.directory)
    assert out.state == "CRITICAL", out.stdout
    assert out.text.startswith("vm1: blocked on jupiter1"), out.text
    assert "Pacemaker will do nothing until someone acts" in out.text
    assert "colocation col_vm1_on_drbd" in out.text
    # -v still lists every verdict, the effects included
    verbose = run_check("cluster", "--lab", lab.directory, "-v")
    assert "fail count INFINITY on jupiter1" in verbose.stdout


def test_a_threshold_is_counted_beside_the_cause(lab: Lab) -> None:
    """-c on failed actions fires too: the cause leads, the threshold is one more."""
    faults.fail_resource(lab, "vm1", op="stop")
    faults.step(lab, 30)
    out = run_check("cluster", "--lab", lab.directory, "-c", "0")
    assert out.state == "CRITICAL", out.stdout
    assert out.text.startswith("vm1: blocked on jupiter1"), out.text
    assert out.text.endswith("(+1 more)"), out.text
