"""``hadeck explain`` inside a node of the live cluster: where each resource runs, and why.

The scheduler's reasons are the real ones here (crm_simulate on the live CIB); the test
checks that the answer says where crm_mon shows the resource, and names, for the node
concerned, the constraint of the seed that decides it (node3 is the arbiter: no DRBD
stand-in and no dummy_vm1 there).
"""

from __future__ import annotations

import json

import pytest

from tests.live.cluster import LiveCluster
from tests.live.faces import Hadeck

pytestmark = [pytest.mark.live, pytest.mark.hadeck_verbs("explain")]

RUNNING = "where it runs"

WHY = {
    "dummy_vm1": {"node3": "loc_dummy_vm1_not_node3", RUNNING: "col_dummy_vm1_on_drbd"},
    "dummy_vm2": {},
    "g_services": {},
    "ms_drbd_vm1": {"node3": "loc_ms_drbd_vm1_not_node3"},
}
"""Each resource of the seed → node (or where it runs) → the constraint its reasons there
must name. Only what holds wherever earlier tests left the resources (stickiness keeps
them where they went)."""

APPLIES = {
    "dummy_vm1": {"loc_dummy_vm1_prefers_node1", "loc_dummy_vm1_not_node3",
                  "col_dummy_vm1_on_drbd", "ord_ms_drbd_vm1_before_dummy_vm1"},
    "dummy_vm2": {"loc_dummy_vm2_prefers_node2"},
    "g_services": {"loc_g_services_prefers_node3"},
    "ms_drbd_vm1": {"loc_ms_drbd_vm1_not_node3"},
}
"""The seed's constraints that each explanation must list."""

RUNS_AS = {"g_services": "svc_a", "ms_drbd_vm1": "p_drbd_vm1"}
"""What crm_mon shows running for a group or clone."""


@pytest.mark.parametrize("rsc", sorted(WHY))
def test_explain_says_where_it_runs_and_which_constraint_decides(
        cluster: LiveCluster, hadeck: Hadeck, rsc: str) -> None:
    done = hadeck("node2", "explain", rsc, "--local", "--json", timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    mon = cluster.crm_mon("node2")
    assert mon is not None
    assert set(doc["running_on"]) == mon.where(RUNS_AS.get(rsc, rsc))
    reasons = {n["node"]: " ".join(n["reasons"]) for n in doc["nodes"]}
    assert set(reasons) == {"node1", "node2", "node3"}
    for node, constraint in WHY[rsc].items():
        for at in (doc["running_on"] if node == RUNNING else [node]):
            assert constraint in reasons[at], (at, constraint, reasons)
    assert APPLIES[rsc] <= {c["id"] for c in doc["constraints"]}, doc["constraints"]
