"""hadeck reads the peers over ssh in the live cluster: each node runs a real sshd.

``hadeck status`` without ``--local``, run inside one node, reads Pacemaker there and the
other two nodes' facts over one ssh master each (tests/live/cluster.py starts an sshd in
every node; the test's configuration names the cluster's ssh_config). What an operator
checks: every node's host facts are there, read from that node (its own hostname, its own
uptime), nothing failed, and after the command nothing of hadeck's is left on the peers;
a crashed peer is "unreachable" while Pacemaker's view (read locally) shows it offline;
the dashboard over ssh shows the crash.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.live.cluster import NODES, LiveCluster, poll
from tests.live.faces import Hadeck, StatusView

pytestmark = pytest.mark.live


@pytest.fixture
def ssh_hadeck(cluster: LiveCluster, hadeck: Hadeck) -> Hadeck:
    reason = cluster.ssh_missing()
    if reason is not None:
        pytest.skip(reason)
    return hadeck.over_ssh()


def peer_sessions(cluster: LiveCluster, node: str) -> list[str]:
    """What runs in ``node``'s network namespace beyond the cluster stack and the sshd
    listener: ssh sessions, and what hadeck's batches run (ps alone would show the
    whole host: the nodes share its pid namespace)."""
    pids = subprocess.run(["ip", "netns", "pids", cluster.netns(node)], capture_output=True,
                          text=True, timeout=30).stdout.split()
    found = []
    for pid in pids:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if ("sshd:" in args and "[listener]" not in args) or "timeout " in args \
                or args.startswith(("crm_mon", "drbdsetup", "sh -c")):
            found.append(f"{pid} {args}")
    return found


def test_status_reads_every_peer_over_ssh(cluster: LiveCluster, ssh_hadeck: Hadeck) -> None:
    done = ssh_hadeck("node1", "status", "--json", timeout=90)
    assert "Traceback" not in done.stderr, done.stderr
    view = StatusView(json.loads(done.stdout))
    hosts = {h["node"]: h for h in view.doc["state"]["hosts"]}
    assert set(hosts) == set(NODES), (hosts.keys(), view.problems())
    for node in NODES:
        assert hosts[node]["memory_total"] and hosts[node]["load"] is not None
    failed = [s for s in view.doc["state"]["sources"] if s["error"]
              and s["node"] in ("node2", "node3") and s["source"] in ("host", "node")]
    assert failed == [], failed
    assert view.online() == set(NODES)
    for node in ("node2", "node3"):
        def gone(peer: str = node) -> bool | None:
            return True if not peer_sessions(cluster, peer) else None

        def left(peer: str = node) -> str:
            return "\n".join(peer_sessions(cluster, peer))
        assert poll(f"nothing of hadeck's left on {node}", gone, 10, interval=0.2,
                    last=left)


def test_a_crashed_peer_is_unreachable_and_offline(cluster: LiveCluster,
                                                   ssh_hadeck: Hadeck) -> None:
    cluster.crash("node3")

    def seen() -> StatusView | None:
        view = ssh_hadeck.status("node1")
        return view if "node3" not in view.online() else None
    view = poll("hadeck status over ssh on node1 showing node3 offline", seen, 60,
                interval=0.5)
    node3 = [s for s in view.doc["state"]["sources"] if s["node"] == "node3"]
    assert node3 and all(s["error"] for s in node3), node3
    assert any("ssh" in s["error"] or "unreachable" in s["error"] for s in node3), node3
    hosts = {h["node"] for h in view.doc["state"]["hosts"]}
    assert "node2" in hosts and "node3" not in hosts


def test_the_dashboard_over_ssh_shows_a_crash(cluster: LiveCluster,
                                              ssh_hadeck: Hadeck) -> None:
    mon = cluster.crm_mon("node1")
    assert mon is not None
    (nodes_before,) = ssh_hadeck.pilot("node1", "rows:nodes")
    assert all("online" in row.split() for row in nodes_before), nodes_before
    cluster.crash("node2")
    _, nodes = ssh_hadeck.pilot("node1", "until:nodes:offline:90", "rows:nodes")
    row = next(r for r in nodes if r.startswith("node2"))
    assert "offline" in row.split(), nodes
