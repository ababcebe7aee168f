"""The dashboard inside a node of the live cluster, driven by Textual's Pilot.

The dashboard runs in the node (:mod:`tests.live.pilot_drive`, through ``nsenter``), as
``hadeck --local`` would there; its tables are compared with crm_mon read on the same node.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.live.cluster import NODES, CrmMon, LiveCluster
from tests.live.faces import Hadeck

pytestmark = pytest.mark.live


def shown_placements(rows: list[str]) -> set[tuple[str, str, str]]:
    """(primitive, node, role) from the resources table's primitive rows."""
    found = set()
    for row in rows:
        words = row.lstrip("✔✖?! ").split()
        if len(words) >= 4 and words[1] in ("Dummy", "Stateful", "instance") \
                and words[2] in ("Started", "Promoted", "Unpromoted"):
            found.add((words[0], words[3], words[2]))
    return found


def check_nodes(rows: list[str], mon: CrmMon) -> None:
    assert [row.split()[0] for row in rows] == list(NODES), rows
    for row in rows:
        name, words = row.split()[0], row.split()
        assert ("online" in words) == (name in mon.online()), (row, mon.online())
        assert ("DC" in words) == (name == mon.dc), (row, mon.dc)


def test_the_dashboard_shows_what_crm_mon_shows(cluster: LiveCluster, hadeck: Hadeck) -> None:
    nodes, _, screen, resources = hadeck.pilot("node2", "rows:nodes", "press:r", "screen",
                                               "rows:resources")
    mon = cluster.crm_mon("node2")
    assert mon is not None
    check_nodes(nodes, mon)
    assert screen == "resources"
    assert shown_placements(resources) == set(mon.placements())


def test_the_dashboard_follows_a_failover(cluster: LiveCluster, hadeck: Hadeck) -> None:
    mon = cluster.crm_mon("node1")
    assert mon is not None
    (victim,) = mon.where("svc_a")
    watcher = next(n for n in ("node1", "node2") if n != victim)
    cluster.crash(victim)
    # refreshed until the victim is offline and its group runs elsewhere
    _, nodes, _, resources = hadeck.pilot(
        watcher, "until:nodes:offline:90", "rows:nodes", "press:r",
        "until:resources:svc_b Dummy Started:60")
    after = cluster.wait_for("crm_mon agreeing", lambda m: victim not in m.online()
                             and bool(m.where("svc_b")), 30, node=watcher)
    check_nodes(nodes, after)
    assert "offline" in next(row for row in nodes if row.startswith(victim)).split()
    shown = shown_placements(resources)
    assert {(r, n) for r, n, _ in shown if r.startswith("svc_")} == {
        (r, n) for r, n, _ in after.placements() if r.startswith("svc_")}
    assert all(n != victim for _, n, _ in shown)


# --------------------------------------------------------------------------- acting


def panel_missing() -> str | None:
    """Why the dashboard cannot act yet in this checkout (issue #10's panel), or None."""
    if importlib.util.find_spec("hadeck.tui.screen_perform") is None:
        return ("the dashboard's action panel is not in this checkout "
                "(hadeck.tui.screen_perform: issue #10)")
    return None


needs_panel = pytest.mark.skipif(panel_missing() is not None, reason=panel_missing() or "")


@needs_panel
@pytest.mark.hadeck_verbs("move")
def test_move_from_the_dashboard(cluster: LiveCluster, hadeck: Hadeck) -> None:
    mon = cluster.crm_mon("node1")
    assert mon is not None
    (source,) = mon.where("dummy_vm2")
    dest = next(n for n in NODES if n != source)
    (done,) = hadeck.pilot("node1", f"act:r:dummy_vm2:move:{dest}:y")
    assert done["exit_code"] == 0, done
    assert "dummy_vm2" in done["preview"] and dest in done["preview"]
    after = cluster.crm_mon("node1")
    assert after is not None and after.where("dummy_vm2") == {dest}
    assert [c for c in cluster.cli_constraints("node1") if c.get("rsc") == "dummy_vm2"] == []
    assert any("dummy_vm2" in json.dumps(e) for e in hadeck.journal_entries())


@needs_panel
@pytest.mark.hadeck_verbs("standby")
def test_standby_from_the_dashboard_needs_the_name_typed(cluster: LiveCluster,
                                                         hadeck: Hadeck) -> None:
    mon = cluster.crm_mon("node1")
    assert mon is not None
    (node,) = mon.where("svc_a")
    (done,) = hadeck.pilot("node1", f"act:o:{node}:standby::word")
    assert done["exit_code"] == 0, done
    after = cluster.crm_mon("node1")
    assert after is not None and after.node_flag(node, "standby")
    assert node not in after.where("svc_a") and after.where("svc_a")
