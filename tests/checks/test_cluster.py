"""check_hadeck_cluster and check_hadeck_pingd on real crm_mon output.

Two kinds of input: the saved 2.1.5 captures (tests/fixtures/pacemaker/), and clusters the
lab's :class:`~hadeck.lab.scenario.CibScenario` changes with the real tools, read with
the real crm_mon and cibadmin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.lab.scenario import CibScenario
from tests.checks.helpers import make_bundle, pacemaker_files, pacemaker_fixture, run_check

pytestmark = pytest.mark.pacemaker


def captured(tmp_path: Path, scenario: CibScenario, name: str, node: str = "jupiter2") -> Path:
    """A bundle of a saved crm_mon capture, with the seed cluster's configuration."""
    return make_bundle(tmp_path / name, node, {
        "pacemaker/crm_mon.xml": pacemaker_fixture(f"{name}.xml"),
        "pacemaker/cib-configuration.xml": scenario.cib_configuration_xml(),
    })


def live(tmp_path: Path, scenario: CibScenario, node: str = "jupiter1") -> Path:
    return make_bundle(tmp_path / "now", node, pacemaker_files(scenario))


def test_all_up_is_ok(tmp_path: Path, scenario: CibScenario) -> None:
    out = run_check("cluster", "--from", captured(tmp_path, scenario, "all-up"))
    assert out.returncode == 0, out.stdout
    assert out.text == "DC sun, quorate, 3 of 3 nodes online, 12 of 12 resources active"
    assert out.perf["nodes_online"].value == 3
    assert (out.perf["nodes_online"].min, out.perf["nodes_online"].max) == ("0", "3")
    assert out.perf["resources_active"].max == "12"
    assert out.perf["resources_failed"].value == 0
    assert out.perf["failed_actions"].value == 0


def test_node_failed_is_critical(tmp_path: Path, scenario: CibScenario) -> None:
    out = run_check("cluster", "--from", captured(tmp_path, scenario, "node-failed"), "-v")
    assert out.returncode == 2
    # A crash (the node is expected up) is said apart from a clean shutdown (issue 12),
    # and what it caused folds under it, as hadeck status groups it.
    assert out.text.startswith("jupiter1: offline: crashed or cut off (expected up) → ")
    assert out.perf["nodes_online"].value == 2
    assert out.long[0] == "CRITICAL: jupiter1: offline: crashed or cut off (expected up)"


def test_failed_monitor_is_warning_and_thresholds_escalate(
        tmp_path: Path, scenario: CibScenario) -> None:
    bundle = captured(tmp_path, scenario, "failed-monitor")
    out = run_check("cluster", "--from", bundle)
    assert out.returncode == 1
    assert out.text.startswith("vm2: monitor failed on jupiter2")
    assert out.perf["failed_actions"].value == 1
    out = run_check("cluster", "--from", bundle, "-c", "0")
    assert out.returncode == 2
    assert out.text.startswith("failed actions: 1 (outside range 0:0)")
    assert out.perf["failed_actions"].crit == "0"


def test_blocked_stop_is_critical(tmp_path: Path, scenario: CibScenario) -> None:
    bundle = captured(tmp_path, scenario, "blocked-stop")
    out = run_check("cluster", "--from", bundle)
    assert out.returncode == 2
    # crm_mon: "FAILED jupiter1 (blocked)"; say blocked, and what it means (issue 12).
    # The status line is the grouped problem's headline, worded as hadeck status's.
    assert out.text.startswith("vm1: blocked on jupiter1 (stop failed, not fenced): "
                               "Pacemaker will do nothing until someone acts")
    assert out.perf["resources_failed"].value == 1
    # The scheduler promoted vm1's DRBD on jupiter2 under it: said, as hadeck status says it.
    out = run_check("cluster", "--from", bundle, "-v")
    assert any(line.startswith("CRITICAL: vm1: blocked on jupiter1: its stop failed and no "
                               "fencing recovered it") for line in out.long), out.long
    assert any(line.startswith("CRITICAL: vm1: runs on jupiter1, but colocation "
                               "col_vm1_on_drbd needs it with ms_drbd_vm1 Promoted")
               for line in out.long), out.long


def test_leftover_move_constraint_is_warning(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "jupiter2", {
        "pacemaker/crm_mon.xml": pacemaker_fixture("moved-with-lifetime.xml"),
        "pacemaker/cib-configuration.xml":
            pacemaker_fixture("moved-with-lifetime.cib-configuration.xml"),
    })
    out = run_check("cluster", "--from", bundle)
    assert out.returncode == 1
    assert out.text.startswith("vm1: pinned to jupiter2 by cli-prefer-vm1 until ")


def test_standby_and_maintenance_nodes(tmp_path: Path, scenario: CibScenario) -> None:
    scenario.standby("jupiter2")
    scenario.node_maintenance("sun")
    out = run_check("cluster", "--from", live(tmp_path, scenario), "-v")
    assert out.returncode == 1, out.stdout
    assert "WARNING: jupiter2: standby: runs no resources" in out.long
    assert "WARNING: sun: in maintenance: its resources are not managed" in out.long


def test_unmanaged_and_stopped_resources(tmp_path: Path, scenario: CibScenario) -> None:
    scenario.set_managed("vm1", False)
    scenario.ban("vm2", "jupiter1")
    scenario.ban("vm2", "jupiter2")
    out = run_check("cluster", "--from", live(tmp_path, scenario), "-v")
    assert out.returncode == 2, out.stdout
    # No target-role is set on vm2: "target role Started" was made up (issue 12).
    assert out.text.startswith("vm2: stopped")
    assert "target role" not in out.text
    assert any(line.startswith("WARNING: vm1: unmanaged") for line in out.long)
    assert any("cli-ban-vm2-on-jupiter1" in line for line in out.long)


def test_no_quorum_is_critical(tmp_path: Path, scenario: CibScenario) -> None:
    scenario.fail_node("jupiter1", "sun", have_quorum=False)
    out = run_check("cluster", "--from", live(tmp_path, scenario, "jupiter2"), "-v")
    assert out.returncode == 2
    assert "CRITICAL: quorum: partition has no quorum" in out.long


def test_not_connected_is_unknown(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "jupiter2", {
        "pacemaker/crm_mon.xml": pacemaker_fixture("not-connected.xml")},
        commands={"jupiter2/pacemaker/crm_mon.xml": {"returncode": 102}})
    out = run_check("cluster", "--from", bundle)
    assert out.returncode == 3
    assert out.text.startswith("pacemaker@jupiter2: crm_mon: not connected to the cluster")
    assert out.perf == {}


def test_garbage_crm_mon_is_unknown(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "jupiter2",
                         {"pacemaker/crm_mon.xml": "<pacemaker-result><oops"})
    out = run_check("cluster", "--from", bundle)
    assert out.returncode == 3
    assert out.text.startswith("pacemaker@jupiter2: ")


def test_missing_crm_mon_is_unknown(tmp_path: Path) -> None:
    out = run_check("cluster", "--from", make_bundle(tmp_path / "b", "jupiter2", {}))
    assert out.returncode == 3
    assert "crm_mon: command not found" in out.text


# --------------------------------------------------------------------------- pingd


def test_pingd_all_reach_their_ping_nodes(tmp_path: Path, scenario: CibScenario) -> None:
    out = run_check("pingd", "--from", live(tmp_path, scenario))
    assert out.returncode == 0, out.stdout
    assert out.text == "pingd: jupiter1 100/100, jupiter2 100/100, sun 100/100"
    perf = out.perf["pingd_jupiter1"]
    assert (perf.value, perf.min, perf.max) == (100, "0", "100")


def test_pingd_partial_and_lost(tmp_path: Path, scenario: CibScenario) -> None:
    scenario.set_node_attr("jupiter1", "pingd", "0")
    scenario.set_node_attr("jupiter2", "pingd", "50")
    out = run_check("pingd", "--from", live(tmp_path, scenario), "-v")
    assert out.returncode == 2
    # The lost node is the cause (grouped as hadeck status groups it); jupiter2's partial
    # loss is one more problem.
    assert out.text.startswith("jupiter1: reaches no ping node → "), out.text
    assert out.text.endswith(" (+1 more)"), out.text
    assert "WARNING: pingd jupiter2: pingd 50 of 100: some ping nodes lost" in out.long
    assert out.perf["pingd_jupiter2"].value == 50


def test_pingd_thresholds(tmp_path: Path, scenario: CibScenario) -> None:
    out = run_check("pingd", "--from", live(tmp_path, scenario), "-w", "200:")
    assert out.returncode == 1
    assert out.text.startswith("pingd jupiter1: 100 (outside range 200:)")


def test_pingd_attribute_nowhere_is_critical(tmp_path: Path, scenario: CibScenario) -> None:
    out = run_check("pingd", "--from", live(tmp_path, scenario), "--attribute", "connected")
    assert out.returncode == 2
    # One cause on three nodes: said once, the nodes named.
    assert out.text == ("jupiter1, jupiter2, sun: no connected score: the ping resource "
                        "runs nowhere")
