"""hadeck reads a real running cluster: status and the cluster check, inside each node.

What hadeck says is compared with what crm_mon says on the same node, at the same moment
(a read of crm_mon before and after hadeck's; when the two differ the cluster was moving,
and the comparison is made again). Crashing a node is a real power loss for corosync and
Pacemaker (SIGKILL); the survivors notice it and recover its resources, and hadeck must
show that.
"""

from __future__ import annotations

import pytest

from tests.live.cluster import NODES, CrmMon, LiveCluster, poll
from tests.live.faces import Hadeck, StatusView

pytestmark = pytest.mark.live


def agreed_read(cluster: LiveCluster, hadeck: Hadeck, node: str,
                timeout: float = 30) -> tuple[StatusView, CrmMon]:
    """hadeck status on ``node`` with a crm_mon that did not change around it."""
    def probe() -> tuple[StatusView, CrmMon] | None:
        before = cluster.crm_mon(node)
        view = hadeck.status(node)
        after = cluster.crm_mon(node)
        if before is None or after is None or before.placements() != after.placements() \
                or before.online() != after.online():
            return None
        return view, after
    return poll(f"a steady crm_mon on {node} around hadeck status", probe, timeout)


def test_status_on_each_node_shows_what_crm_mon_shows(cluster: LiveCluster,
                                                     hadeck: Hadeck) -> None:
    for node in NODES:
        view, mon = agreed_read(cluster, hadeck, node)
        assert view.online() == mon.online() == set(NODES)
        assert view.pacemaker["cluster"]["dc"] == mon.dc
        assert view.pacemaker["cluster"]["have_quorum"] is True
        # every primitive instance, on the same node, in the same role (Promoted too)
        assert view.placements() == mon.placements()
        assert ("p_drbd_vm1", next(iter(mon.role_on("p_drbd_vm1", "Promoted"))),
                "Promoted") in view.placements()
        for area in ("cluster", "nodes", "resources"):
            assert view.area(area) == "OK", view.problems()


def test_cluster_check_is_ok_on_each_node(cluster: LiveCluster, hadeck: Hadeck) -> None:
    for node in NODES:
        out = hadeck.plugin(node, "cluster")
        assert out.state == "OK", out.stdout
        assert out.perf["nodes_online"].value == 3
        assert out.perf["resources_active"].value == 6
        assert out.perf["failed_actions"].value == 0


def test_a_crashed_node_is_offline_and_its_resources_run_elsewhere(
        cluster: LiveCluster, hadeck: Hadeck) -> None:
    mon = cluster.crm_mon()
    assert mon is not None
    (victim,) = mon.where("dummy_vm1")
    # dummy_vm1 and its DRBD stand-in may run on node1 and node2 only (node3 is the
    # arbiter): the survivor of the two takes both.
    (heir,) = {"node1", "node2"} - {victim}
    cluster.crash(victim)

    def moved() -> StatusView | None:
        view = hadeck.status(heir)
        return view if victim not in view.online() and view.where("dummy_vm1") == {heir} \
            else None
    view = poll(f"hadeck status on {heir} showing {victim} offline and dummy_vm1 on {heir}",
                moved, 90, interval=0.5)
    assert view.node(victim)["online"] is False
    assert ("p_drbd_vm1", heir, "Promoted") in view.placements()
    assert view.area("nodes") == "CRITICAL"
    after = cluster.wait_for("crm_mon agreeing", lambda m: victim not in m.online()
                             and m.where("dummy_vm1") == {heir}, 30, node=heir)
    assert victim not in after.online()

    out = hadeck.plugin(heir, "cluster")
    assert out.state == "CRITICAL", out.stdout
    assert victim in out.text
    assert out.perf["nodes_online"].value == 2

    # revived, it rejoins, and the check on the heir turns OK again (stickiness keeps
    # dummy_vm1 where it went)
    cluster.revive(victim)
    ok = poll(f"check_hadeck_cluster on {heir} OK again after {victim} rejoined",
              lambda: (o if (o := hadeck.plugin(heir, "cluster")).state == "OK" else None),
              90, interval=1)
    assert ok.perf["nodes_online"].value == 3
    assert hadeck.status(heir).where("dummy_vm1") == {heir}


def test_a_failed_monitor_is_a_warning_with_the_failed_action(
        cluster: LiveCluster, hadeck: Hadeck) -> None:
    node, mon = cluster.fail_monitor("dummy_vm2")
    (failure,) = mon.failures_of("dummy_vm2")
    view = hadeck.status(node)
    failed = view.pacemaker["failed_actions"]
    assert any(f["resource"] == "dummy_vm2" and f["node"] == node for f in failed), failed
    assert view.area("resources") == "WARNING", view.problems()
    out = hadeck.plugin(node, "cluster")
    assert out.state == "WARNING", out.stdout
    assert out.perf["failed_actions"].value == 1
    assert "dummy_vm2" in out.stdout
    assert failure["op_key"].startswith("dummy_vm2_monitor")


def test_a_leftover_move_constraint_is_a_warning_naming_it(cluster: LiveCluster,
                                                          hadeck: Hadeck) -> None:
    # what an operator leaves after `crm_resource --move` without `--clear`
    (source,) = cluster.wait_for("dummy_vm2 running",
                                 lambda m: len(m.where("dummy_vm2")) == 1).where("dummy_vm2")
    dest = next(n for n in NODES if n != source)
    moved = cluster.run("node1", ["crm_resource", "--move", "-r", "dummy_vm2", "-N", dest])
    assert moved.returncode == 0, moved.stderr
    cluster.wait_for(f"dummy_vm2 on {dest}", lambda m: m.where("dummy_vm2") == {dest})
    (left,) = cluster.cli_constraints()
    for node in NODES:
        view = hadeck.status(node)
        named = [p for p in view.problems() if "dummy_vm2" in str(p)]
        assert named and all(p["health"] == "WARNING" for p in named), view.problems()
        out = hadeck.plugin(node, "cluster")
        assert out.state == "WARNING", out.stdout
        assert "dummy_vm2" in out.stdout
    assert left["id"] == "cli-prefer-dummy_vm2"
