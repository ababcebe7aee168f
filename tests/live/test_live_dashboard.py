"""The dashboard inside a node of the live cluster, driven by Textual's Pilot.

The dashboard runs in the node (:mod:`tests.live.pilot_drive`, through ``nsenter``), as
``hadeck --local`` would there; its tables are compared with crm_mon read on the same node.
"""

from __future__ import annotations

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
