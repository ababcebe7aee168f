"""hadeck reads real DRBD and IPVS right: its real sources and parsers, run through the
VMs' serial shells against a real kernel, say what the kernel's own files and tools say.

Each test makes the situation for real (a resync, a pulled cable, a split brain, traffic
through the director) and checks what an operator would: the model and the health
verdict against what ``/proc/drbd`` or ``ipvsadm`` printed at the same moment.
"""

from __future__ import annotations

import re

import pytest

from hadeck.collect import collect
from hadeck.health import judge
from hadeck.health.verdict import CRITICAL, OK, WARNING, Judgement
from hadeck.model import ClusterState, DrbdResource, Health
from tests.vmlab.pair import CLIENT_NS, RESOURCE, VIP, WEB_PORTS, Pair
from tests.vmlab.runner import opened

pytestmark = pytest.mark.vmlab
R = RESOURCE


def read(pair: Pair) -> tuple[ClusterState, Judgement]:
    """One read of both VMs as ``hadeck status`` makes it, and its judgement."""
    cluster = opened(pair.runners)
    state = collect(cluster.access, cluster.config)
    return state, judge(state, cluster.config.policy)


def resource(state: ClusterState, node: str) -> DrbdResource:
    found = [r for r in state.drbd if r.name == R and r.node == node]
    assert len(found) == 1, state.drbd
    return found[0]


def drbd_verdicts(judgement: Judgement, node: str | None = None) -> dict[str, tuple[Health, str]]:
    """The DRBD verdicts by subject (``r0@a``, ``r0@a → peer``, ``r0``)."""
    return {v.subject: (v.health, v.reason) for v in judgement.verdicts
            if v.area == "drbd" and (node is None or v.node == node)}


def proc_fields(text: str) -> dict[str, str]:
    """``cs``, ``ro``, ``ds`` of /proc/drbd's one resource line."""
    return dict(re.findall(r"\b(cs|ro|ds):(\S+)", text))


def test_connected_resource_reads_uptodate_on_both(drbd: Pair) -> None:
    state, judgement = read(drbd)
    for vm in drbd.machines:
        proc = proc_fields(drbd.proc_drbd(vm))
        res = resource(state, vm.name)
        conn, = res.connections
        peer, = conn.peer_volumes
        assert (conn.state, f"{res.role}/{conn.peer_role}",
                f"{res.volumes[0].disk}/{peer.peer_disk}") == (proc["cs"], proc["ro"],
                                                              proc["ds"])
        assert res.version == "8.4"
    verdicts = drbd_verdicts(judgement)
    assert verdicts and all(health == OK for health, _ in verdicts.values()), verdicts


def test_syncing_resource_shows_progress_rate_and_eta(drbd: Pair) -> None:
    drbd.a.check(f"drbdadm primary {R} && drbdadm invalidate-remote {R}")
    drbd.wait_drbd(drbd.b, r"sync'ed:\s+[1-9]")
    state, judgement = read(drbd)
    proc = drbd.proc_drbd(drbd.b)
    done = float(re.search(r"sync'ed:\s+([\d.]+)%", proc).group(1))  # type: ignore[union-attr]
    target = resource(state, "b")
    peer = target.connections[0].peer_volumes[0]
    assert (target.volumes[0].disk, peer.replication) == ("Inconsistent", "SyncTarget")
    size = target.volumes[0].size_kib
    assert size is not None and peer.out_of_sync_kib is not None
    assert 0 < peer.out_of_sync_kib < size
    # /proc/drbd was read just after hadeck: the resync went on meanwhile, a little.
    assert peer.done_percent is not None and 0 < peer.done_percent <= done
    assert peer.rate_kib_s is not None and peer.rate_kib_s > 0
    assert peer.eta_seconds is not None and peer.eta_seconds > 0
    source = resource(state, "a").connections[0].peer_volumes[0]
    assert source.replication == "SyncSource"
    verdicts = drbd_verdicts(judgement, "b")
    assert verdicts["r0@b"][0] == WARNING and "resync running" in verdicts["r0@b"][1]


def test_pulled_cable_reads_disconnected_and_critical(drbd: Pair) -> None:
    drbd.a.check(f"drbdadm primary {R}")
    drbd.a.hmp("set_link n0 off")
    for vm in drbd.machines:
        drbd.wait_drbd(vm, r"cs:WFConnection")
    state, judgement = read(drbd)
    for vm in drbd.machines:
        res = resource(state, vm.name)
        conn, = res.connections
        # events2 names /proc/drbd's cs:WFConnection as DRBD 9 does: Connecting.
        assert (conn.state, conn.peer_role, conn.peer_volumes[0].peer_disk) == \
            ("Connecting", "Unknown", "DUnknown")
        health, reason = drbd_verdicts(judgement, vm.name)["r0@" + vm.name + " → peer"]
        assert health == CRITICAL and "Connecting" in reason
    assert resource(state, "a").role == "Primary"
    assert resource(state, "a").volumes[0].disk == "UpToDate"


def test_split_brain_reads_standalone_on_both_and_two_primaries(drbd: Pair) -> None:
    drbd.split_brain()
    state, judgement = read(drbd)
    for vm in drbd.machines:
        res = resource(state, vm.name)
        assert res.role == "Primary"
        assert [c.state for c in res.connections] == ["StandAlone"]
        health, _ = drbd_verdicts(judgement, vm.name)["r0@" + vm.name + " → peer"]
        assert health == CRITICAL
    health, reason = drbd_verdicts(judgement)["r0"]
    assert health == CRITICAL and "split brain" in reason


# ---------------------------------------------------------------------------- LVS


def add_web_service(pair: Pair) -> None:
    """``TCP VIP:80`` (wlc, NAT) with b's two web servers, weights 3 and 1."""
    pair.a.check(f"ipvsadm -A -t {VIP}:80 -s wlc && "
                 f"ipvsadm -a -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[0]} -m -w 3 && "
                 f"ipvsadm -a -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[1]} -m -w 1")


def test_lvs_service_reads_real_servers_weights_and_counters_after_traffic(
        lvs: Pair) -> None:
    add_web_service(lvs)
    for _ in range(12):
        assert lvs.client(f"wget -q -O - http://{VIP}/") == "hello from b\n"
    # The kernel sums its per-CPU counters every 2 s: wait until it has all 12.
    printed = lvs.wait_lvs(rf"TCP\s+{re.escape(VIP)}:80\s+12\s")
    state, judgement = read(lvs)
    director, = state.lvs
    assert director.node == "a"
    svc, = director.services
    assert (svc.protocol, svc.address, svc.port, svc.scheduler) == ("TCP", VIP, 80, "wlc")
    servers = {(rs.address, rs.port): rs for rs in svc.real_servers}
    assert {k: (rs.weight, rs.forward) for k, rs in servers.items()} == {
        ("10.0.0.2", 80): (3, "Masq"), ("10.0.0.2", 8080): (1, "Masq")}
    # What ipvsadm --stats --exact printed, line by line: the service and each server.
    rows = re.findall(r"^(?:TCP|  ->)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)",
                      printed, re.M)
    expected = {addr: tuple(int(n) for n in numbers) for addr, *numbers in rows}
    assert svc.stats is not None
    assert (svc.stats.conns, svc.stats.in_packets, svc.stats.out_packets,
            svc.stats.in_bytes, svc.stats.out_bytes) == expected[f"{VIP}:80"]
    for rs in svc.real_servers:
        assert rs.stats is not None
        assert (rs.stats.conns, rs.stats.in_packets, rs.stats.out_packets,
                rs.stats.in_bytes, rs.stats.out_bytes) == expected[rs.key]
    by_port = {rs.port: rs.stats.conns for rs in svc.real_servers if rs.stats}
    assert sum(by_port.values()) == 12 and by_port[80] > by_port[8080] > 0  # 3 : 1
    verdict, = [v for v in judgement.verdicts if v.area == "lvs"]
    assert (verdict.health, verdict.reason) == (OK, "2 real servers in service")


def test_lvs_quiesced_and_open_connections(lvs: Pair) -> None:
    add_web_service(lvs)
    lvs.a.check(f"ipvsadm -e -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[1]} -m -w 0")
    # Two connections held open from the client namespace: ActiveConn 2 on the server
    # still in service (weight 0 takes no new ones).
    lvs.a.check(f"ip netns exec {CLIENT_NS} sh -c 'sleep 120 | nc {VIP} 80 >/dev/null & "
                f"sleep 120 | nc {VIP} 80 >/dev/null &'")
    try:
        lvs.wait_lvs(r"10\.0\.0\.2:80\s+Masq\s+3\s+2\s", "ipvsadm -Ln")
        state, judgement = read(lvs)
    finally:
        lvs.a.sh("kill $(pidof nc) 2>/dev/null")
    svc, = state.lvs[0].services
    servers = {rs.port: (rs.weight, rs.active_conns) for rs in svc.real_servers}
    assert servers == {80: (3, 2), 8080: (0, 0)}
    verdict, = [v for v in judgement.verdicts if v.area == "lvs"]
    assert verdict.health == WARNING
    assert verdict.reason == "1 of 2 real servers in service, 1 quiesced (weight 0)"
