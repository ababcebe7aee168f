"""No flapping (issue 12): a planned move reads "moving", not CRITICAL, while Pacemaker
carries it out; a pending recurring monitor is no problem.

The mid-transition state is made with the real tools: ``crm_resource --move`` on the seed
cluster, the real scheduler's transition graph (``crm_simulate -R -G``), of which only
vm2's stop is carried out, and DRBD's demote on jupiter2 recorded as in flight
(``op-status="-1" rc-code="193"``, as the controller records a pending operation). The
real ``crm_mon`` then prints what the issue saw: ``vm2 Stopped`` while
``p_drbd_vm2 Demoting jupiter2``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hadeck.health import CRITICAL, WARNING, Kind, Subject, judge_resources
from hadeck.lab.graph import apply_graph
from hadeck.lab.scenario import CibScenario
from hadeck.sources.pacemaker import parse_crm_mon

pytestmark = pytest.mark.pacemaker


@pytest.fixture(scope="module")
def seed_scenario(tmp_path_factory: pytest.TempPathFactory) -> CibScenario:
    return CibScenario.seed(tmp_path_factory.mktemp("pcmk") / "seed")


def mid_move(scenario: CibScenario) -> str:
    """crm_mon's XML in the middle of ``crm_resource --move -r vm2 -N jupiter1``."""
    scenario.run(("crm_resource", "--move", "-r", "vm2", "-N", "jupiter1"))
    assert scenario.schedule() > 0
    graph = ET.parse(scenario.graph).getroot()
    first = ET.Element("transition_graph", graph.attrib)
    for synapse in graph.iter("synapse"):
        if any(a.get("operation_key") == "vm2_stop_0" for a in synapse.iterfind("action_set/*")):
            inputs = synapse.find("inputs")
            if inputs is not None:
                synapse.remove(inputs)
            first.append(synapse)
    cib = ET.parse(scenario.cib).getroot()
    assert apply_graph(cib, first, int(time.time())) == 1
    demoting = cib.find("status/node_state[@uname='jupiter2']//lrm_resource[@id='p_drbd_vm2']"
                        "/lrm_rsc_op[@id='p_drbd_vm2_last_0']")
    assert demoting is not None
    key = demoting.get("transition-key")
    demoting.attrib.update({"operation": "demote", "operation_key": "p_drbd_vm2_demote_0",
                            "transition-magic": f"-1:193;{key}", "op-status": "-1",
                            "rc-code": "193", "call-id": "-1"})
    ET.ElementTree(cib).write(scenario.cib)
    return scenario.crm_mon_xml()


def test_a_move_in_progress_is_moving_not_critical(seed_scenario: CibScenario,
                                                   tmp_path: Path) -> None:
    scenario = seed_scenario.copy(tmp_path / "cib")
    pcmk = parse_crm_mon(mid_move(scenario))
    vm2 = pcmk.find("vm2")
    assert vm2 is not None and vm2.role == "Stopped"  # what crm_mon says
    verdicts = {v.key: v for v in judge_resources(pcmk)}
    moving = verdicts[Subject(Kind.RESOURCE, "vm2")]
    assert moving.health == WARNING
    assert moving.reason.startswith("moving: stopped while Pacemaker carries out a transition")


def test_still_stopped_once_settled_is_critical(seed_scenario: CibScenario,
                                                tmp_path: Path) -> None:
    scenario = seed_scenario.copy(tmp_path / "cib")
    # Nothing in flight, and vm2 cannot start anywhere: down, not moving.
    scenario.run(("crm_resource", "-r", "vm2", "--meta", "-p", "target-role",
                  "-v", "Started"))
    scenario.ban("vm2", "jupiter1")
    scenario.ban("vm2", "jupiter2")
    pcmk = parse_crm_mon(scenario.crm_mon_xml())
    verdicts = {v.key: v for v in judge_resources(pcmk)}
    assert verdicts[Subject(Kind.RESOURCE, "vm2")].health == CRITICAL
    assert verdicts[Subject(Kind.RESOURCE, "vm2")].reason == "stopped, target role Started"
