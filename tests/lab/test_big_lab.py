"""A big lab (16 guest nodes, 500 guests, 200 real servers) is built fast and reads whole.

Above 8 guests the seed writes the converged status itself and the real scheduler only
confirms it (:func:`hadeck.lab.history.write_converged_status`); this reads the result
through the real crm_mon and every parser, as ``hadeck status`` would. About 30 s on
2 cores: 15 s to build the lab, 10 s for one collect().
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.health import judge
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab, seed_topology
from hadeck.model import ClusterState, Health

pytestmark = [
    pytest.mark.pacemaker,
    pytest.mark.skipif(shutil.which("crm_simulate") is None,
                       reason="pacemaker-cli-utils not installed"),
]

NODES = 16
GUESTS = 500
SERVICES = 40
REAL_SERVERS = 200


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    topology = seed_topology(nodes=NODES, guests=GUESTS, services=SERVICES,
                             real_servers=REAL_SERVERS)
    return Lab.init(tmp_path_factory.mktemp("big") / "lab", topology)


@pytest.fixture(scope="module")
def state(big_lab: Lab) -> ClusterState:
    # The default [cluster] timeout (10 s): its crm_mon took 10–30 s on a loaded 2-core
    # machine, and reads whole because crm_mon's timeout follows the cluster's size.
    return collect(LabAccess(big_lab))


def test_the_scheduler_confirmed_the_written_placement(big_lab: Lab) -> None:
    # The last scheduler run's graph: nothing left to do.
    graph = ET.parse(Path(big_lab.scenario.graph)).getroot()
    assert list(graph.iter("synapse")) == []


def test_every_source_reads(state: ClusterState) -> None:
    assert state.source_errors() == ()
    assert state.pacemaker is not None
    assert len(state.pacemaker.nodes) == NODES + 1
    assert all(node.state == "online" for node in state.pacemaker.nodes)


def test_resources(state: ClusterState) -> None:
    assert state.pacemaker is not None
    primitives = {p.id for top in state.pacemaker.resources for p in top.primitives()}
    # Per guest the VM and its DRBD primitive, the three of g_services, the ping clone.
    assert len(primitives) == 2 * GUESTS + 4


def test_all_guests_present_and_running_once(state: ClusterState) -> None:
    names = {f"vm{i}" for i in range(1, GUESTS + 1)}
    assert {g.name for g in state.guests} == names
    running = Counter(g.name for g in state.guests if g.running)
    assert running == Counter(names)
    spread = Counter(g.node for g in state.guests if g.running)
    assert len(spread) == NODES and max(spread.values()) - min(spread.values()) <= 1


def test_every_drbd_resource_primary_on_exactly_one_node(state: ClusterState) -> None:
    assert {r.name for r in state.drbd} == {f"r{i}" for i in range(1, GUESTS + 1)}
    primaries = Counter(r.name for r in state.drbd if r.role == "Primary")
    assert set(primaries.values()) == {1} and len(primaries) == GUESTS
    assert Counter(r.name for r in state.drbd) == Counter({r.name: 2 for r in state.drbd})


def test_real_servers(state: ClusterState) -> None:
    master = next(d for d in state.lvs if any(i.state == "MASTER" for i in d.vrrp))
    assert len(master.services) == SERVICES
    assert sum(len(s.real_servers) for s in master.services) == REAL_SERVERS


def test_judged_healthy(state: ClusterState) -> None:
    judgement = judge(state)
    assert judgement.problems() == ()
    assert judgement.overall == Health.OK
