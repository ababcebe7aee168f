"""The lab end to end: its outputs read by the real sources, its faults, its actions."""

from __future__ import annotations

import pytest

from hadeck.collect import collect
from hadeck.health import Kind, Subject, judge
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess, LabRunner
from hadeck.lab.world import Lab
from hadeck.model import ClusterState, Health
from hadeck.sources import drbd, guests, keepalived, lvs, pacemaker

pytestmark = pytest.mark.pacemaker


def read(lab: Lab) -> ClusterState:
    return collect(LabAccess(lab))


def where(state: ClusterState, rsc: str) -> list[str]:
    assert state.pacemaker is not None
    found = state.pacemaker.find(rsc)
    assert found is not None
    return list(found.running_on)


def promoted_on(state: ClusterState, clone: str) -> list[str]:
    assert state.pacemaker is not None
    found = state.pacemaker.find(clone)
    assert found is not None
    return [n for p in found.primitives() if p.role == "Promoted" for n in p.nodes]


def drbd_on(state: ClusterState, name: str, node: str):  # type: ignore[no-untyped-def]
    return next(r for r in state.drbd if r.name == name and r.node == node)


def test_seed_is_healthy(lab: Lab) -> None:
    state = read(lab)
    judgement = judge(state)
    assert judgement.overall == Health.OK, judgement.problems()
    assert where(state, "vm1") == ["jupiter1"] and where(state, "vm2") == ["jupiter2"]
    assert promoted_on(state, "ms_drbd_vm1") == ["jupiter1"]
    assert drbd_on(state, "r1", "jupiter1").role == "Primary"
    assert drbd_on(state, "r1", "jupiter2").role == "Secondary"
    running = {(g.name, g.node, g.hypervisor) for g in state.guests if g.running}
    assert running == {("vm1", "jupiter1", "kvm"), ("vm2", "jupiter2", "xen")}
    assert {g.name: g.drbd for g in state.guests} == {"vm1": ("r1",), "vm2": ("r2",)}
    www = next(s for d in state.lvs if d.node == "lvs1" for s in d.services if s.port == 80)
    assert www.scheduler == "wlc"
    assert sorted(rs.weight for rs in www.real_servers) == [1, 2, 3]
    ssh = next(s for d in state.lvs if d.node == "lvs1" for s in d.services if s.port == 22)
    assert ssh.scheduler == "rr" and len(ssh.real_servers) == 2
    roles = {inst.director: inst.state for d in state.lvs for inst in d.vrrp}
    assert roles == {"lvs1": "MASTER", "lvs2": "BACKUP"}
    assert all(s.error is None for s in state.sources), state.source_errors()


def test_fail_node_moves_everything_and_peers_lose_it(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter1")
    state = read(lab)
    assert state.local_node == "jupiter2"
    assert where(state, "vm1") == ["jupiter2"]
    assert where(state, "g_services") == ["jupiter2"]
    assert promoted_on(state, "ms_drbd_vm1") == ["jupiter2"]
    r1 = drbd_on(state, "r1", "jupiter2")
    assert r1.role == "Primary"
    assert r1.connections[0].state == "Connecting"
    assert r1.connections[0].peer_volumes[0].peer_disk == "DUnknown"
    running = {g.name for g in state.guests if g.running and g.node == "jupiter2"}
    assert running == {"vm1", "vm2"}
    errors = {s.node: s.error for s in state.sources if s.error}
    assert errors["jupiter1"].startswith("ssh jupiter1:")
    judgement = judge(state)
    assert judgement.overall == Health.CRITICAL
    assert judgement.of("nodes", Subject(Kind.NODE, "jupiter1")) == Health.CRITICAL


def test_recover_node_resyncs_over_lab_time(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter1")
    faults.step(lab, 60)  # writes while the peer is gone pile up as out-of-sync
    faults.recover_node(lab, "jupiter1")
    faults.step(lab, 5)
    first = drbd_on(read(lab), "r1", "jupiter1").connections[0].peer_volumes[0]
    assert first.replication == "SyncTarget"
    assert first.done_percent is not None and 0 < first.done_percent < 100
    assert first.eta_seconds and first.rate_kib_s
    faults.step(lab, 10)
    later = drbd_on(read(lab), "r1", "jupiter1").connections[0].peer_volumes[0]
    assert later.done_percent > first.done_percent
    assert later.out_of_sync_kib < first.out_of_sync_kib
    faults.step(lab, 3600)
    state = read(lab)
    done = drbd_on(state, "r1", "jupiter1")
    assert done.volumes[0].disk == "UpToDate"
    assert done.connections[0].peer_volumes[0].replication == "Established"
    assert judge(state).area_health("drbd") == Health.OK


def test_cut_drbd_outdates_the_secondary(lab: Lab) -> None:
    faults.cut_drbd(lab, "r1")
    state = read(lab)
    secondary = drbd_on(state, "r1", "jupiter2")
    assert secondary.volumes[0].disk == "Outdated"
    assert secondary.connections[0].state == "Connecting"
    faults.step(lab, 20)
    primary = drbd_on(read(lab), "r1", "jupiter1")
    assert primary.connections[0].peer_volumes[0].out_of_sync_kib > 256 * 1024
    faults.heal_drbd(lab, "r1")
    healed = drbd_on(read(lab), "r1", "jupiter2").connections[0].peer_volumes[0]
    assert healed.replication == "SyncTarget"


def test_split_brain_is_standalone_on_both_sides(lab: Lab) -> None:
    faults.split_brain(lab, "r2")
    state = read(lab)
    assert {drbd_on(state, "r2", n).connections[0].state for n in ("jupiter1", "jupiter2")} \
        == {"StandAlone"}
    # The victim discards its data with the real command; the survivor reconnects.
    victim = LabRunner(lab, "jupiter1")
    assert victim.run(["drbdadm", "connect", "--discard-my-data", "r2"]).ok
    assert LabRunner(lab, "jupiter2").run(["drbdadm", "connect", "r2"]).ok
    repl = drbd_on(read(lab), "r2", "jupiter1").connections[0].peer_volumes[0].replication
    assert repl == "SyncTarget"


def test_kill_rs_takes_it_out_of_www(lab: Lab) -> None:
    faults.kill_rs(lab, "192.0.2.22", service="www")
    state = read(lab)
    www = next(s for d in state.lvs if d.node == "lvs1" for s in d.services if s.port == 80)
    assert [rs.address for rs in www.real_servers] == ["192.0.2.21", "192.0.2.23"]
    faults.restore_rs(lab, "192.0.2.22")
    www = next(s for d in read(lab).lvs if d.node == "lvs1" for s in d.services if s.port == 80)
    assert len(www.real_servers) == 3


def test_fail_director_makes_the_backup_master(lab: Lab) -> None:
    faults.fail_director(lab)
    state = read(lab)
    roles = {inst.director: inst.state for d in state.lvs for inst in d.vrrp}
    assert roles == {"lvs2": "MASTER"}
    assert any(s.node == "lvs1" and s.error and s.error.startswith("ssh lvs1:")
               for s in state.sources)
    # The unreachable director's reason ("director lvs1 down (…) — lvs2 is MASTER") says
    # ssh's error once, not once per file the batched read asked for.
    down = [s.error for s in state.sources if s.node == "lvs1" and s.source == "node"]
    assert len(down) == 1 and down[0] is not None and down[0].count("ssh lvs1:") == 1, down


def test_ping_lost_stops_the_guests(lab: Lab) -> None:
    faults.ping_lost(lab)
    state = read(lab)
    assert where(state, "vm1") == [] and where(state, "vm2") == []
    judgement = judge(state)
    assert any(v.health == Health.CRITICAL and v.reason.startswith("pingd 0")
               for v in judgement.verdicts)
    faults.ping_restored(lab)
    assert where(read(lab), "vm1") == ["jupiter1"]


def test_fail_resource_shows_a_failed_action(lab: Lab) -> None:
    faults.fail_resource(lab, "vm2")
    state = read(lab)
    assert state.pacemaker is not None
    assert [fa.resource for fa in state.pacemaker.failed_actions] == ["vm2"]
    assert where(state, "vm2") == ["jupiter2"]  # recovered in place


@pytest.mark.parametrize(("tool", "mode", "source", "expect"), [
    ("virsh", "garbage", "guests", "cannot parse virsh output"),
    ("corosync-cfgtool", "missing", "corosync", "corosync-cfgtool: command not found"),
])
def test_tool_faults_become_source_errors(
    lab: Lab, tool: str, mode: str, source: str, expect: str
) -> None:
    faults.tool_fault(lab, "jupiter2", tool, mode)
    state = read(lab)
    errors = {s.source: s.error for s in state.sources if s.node == "jupiter2" and s.error}
    assert expect in errors[source]
    # Every other source still shows.
    assert drbd_on(state, "r1", "jupiter1").role == "Primary"
    assert where(state, "vm2") == ["jupiter2"]


def test_broken_drbdsetup_falls_back_to_drbdadm(lab: Lab) -> None:
    faults.tool_fault(lab, "jupiter2", "drbdsetup", "garbage")
    state = read(lab)
    status = next(s for s in state.sources if s.source == "drbd" and s.node == "jupiter2")
    # drbdadm's resources are shown, and the broken drbdsetup is still an error.
    assert status.detail.startswith("drbdadm status")
    assert "cannot parse drbdsetup events2" in (status.error or "")
    assert drbd_on(state, "r2", "jupiter2").role == "Primary"


def test_hanging_tool_times_out(lab: Lab) -> None:
    faults.tool_fault(lab, "jupiter1", "crm_mon", "hang")
    result = LabRunner(lab, "jupiter1").run(["crm_mon", "--output-as=xml"], timeout=0.2)
    assert result.error == "crm_mon: timed out after 0.2 s"
    assert result.error_kind == "timeout"


def test_lab_failures_have_their_kinds(lab: Lab) -> None:
    faults.tool_fault(lab, "jupiter2", "virsh", "missing")
    faults.fail_node(lab, "jupiter1")
    down = LabRunner(lab, "jupiter1").run(["virsh", "list", "--all"])
    assert down.error_kind == "unreachable" and down.error.startswith("ssh jupiter1:")
    missing = LabRunner(lab, "jupiter2").run(["virsh", "list", "--all"])
    assert (missing.error_kind, missing.error) == ("missing", "virsh: command not found")
    not_director = LabRunner(lab, "jupiter2").read_file("/proc/net/ip_vs")
    assert not_director.error_kind == "missing"
    answered = LabRunner(lab, "jupiter2").run(["crm_mon", "--output-as=xml"])
    assert answered.ok and answered.error_kind is None


def test_the_real_crm_mon_gets_the_configured_timeout(lab: Lab) -> None:
    # No fault: the lab's real crm_mon on its CIB, given the access's timeout (too short
    # here to finish), as a big CIB on a loaded machine would exceed the 10 s default.
    # The configuration is read first (it sizes crm_mon's timeout): its cibadmin times
    # out, and crm_mon, which would hang on the same CIB manager, is not tried after it.
    reading = pacemaker.read(LabAccess(lab, timeout=0.01).local)
    assert reading.status.error == ("cibadmin: timed out after 0.01 s; crm_mon not tried "
                                    "after it")
    assert pacemaker.read(LabAccess(lab).local).status.error is None


def test_operator_commands_land_like_on_a_real_cluster(lab: Lab) -> None:
    node = LabRunner(lab, "jupiter2")
    assert node.run(["crm_resource", "--move", "-r", "vm1", "-N", "jupiter2"]).ok
    state = read(lab)
    assert where(state, "vm1") == ["jupiter2"]
    assert state.pacemaker is not None
    assert [c.id for c in state.pacemaker.locations if c.from_cli] == ["cli-prefer-vm1"]
    assert node.run(["crm_resource", "--clear", "-r", "vm1"]).ok
    assert node.run(["crm_attribute", "-N", "jupiter2", "-n", "standby", "-v", "on",
                     "-l", "forever"]).ok
    state = read(lab)
    assert where(state, "vm2") == ["jupiter1"]
    director = LabRunner(lab, "lvs1")
    assert director.run(["ipvsadm", "-e", "-t", "192.0.2.80:80", "-r", "192.0.2.23:80",
                         "-w", "0"]).ok
    www = next(s for d in read(lab).lvs if d.node == "lvs1" for s in d.services if s.port == 80)
    assert {rs.address: rs.weight for rs in www.real_servers}["192.0.2.23"] == 0
    refused = LabRunner(lab, "jupiter2").run(["drbdadm", "primary", "r2"])
    assert refused.returncode == 11 and "Multiple primaries" in refused.stderr


def test_every_lab_output_parses_with_the_real_parsers(lab: Lab) -> None:
    node = LabRunner(lab, "jupiter1")
    assert pacemaker.parse_crm_mon(node.fetch(pacemaker.CRM_MON).stdout).nodes
    assert pacemaker.parse_crm_mon(node.fetch(pacemaker.CRM_MON_AS_XML).stdout).nodes
    for command, parse in ((drbd.EVENTS2, drbd.parse_events2),
                           (drbd.STATUS_JSON, drbd.parse_status_json),
                           (drbd.DRBDADM_STATUS, drbd.parse_drbdadm_status)):
        assert {r.name for r in parse(node.fetch(command).stdout)} == {"r1", "r2"}
    assert guests.parse_virsh_list(node.fetch(guests.VIRSH_LIST).stdout, "jupiter1")
    director = LabRunner(lab, "lvs1")
    assert lvs.parse_ipvsadm(director.fetch(lvs.IPVSADM_STATS).stdout)[1]
    assert lvs.parse_ipvsadm(director.fetch(lvs.IPVSADM_RATE).stdout)[1]
    assert lvs.parse_proc_ip_vs(director.fetch(lvs.PROC_IP_VS).stdout)[1]
    assert keepalived.parse_json_dump(director.fetch(keepalived.JSON_DUMP).stdout)


def test_corosync_links_to_a_dead_node_are_named(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter1")
    state = read(lab)
    judgement = judge(state)
    down = [v for v in judgement.area("connectivity") if v.health == Health.CRITICAL]
    assert {v.subject for v in down} == {"link jupiter2 → jupiter1", "link sun → jupiter1"}
    assert all(v.reason == "every corosync link down" for v in down)


def test_drbdadm_roles_by_hand_until_pacemaker_acts(lab: Lab) -> None:
    jupiter2 = LabRunner(lab, "jupiter2")
    held = LabRunner(lab, "jupiter1").run(["drbdadm", "secondary", "r1"])
    assert held.returncode == 11 and "held open" in held.stderr  # vm1 runs on it
    assert LabRunner(lab, "jupiter1").run(["drbdadm", "primary", "r2"]).returncode == 11
    assert jupiter2.run(["drbdadm", "secondary", "r2"]).returncode == 11
    # Once vm1 has left jupiter1, nothing holds r1 open there and it can be demoted.
    assert LabRunner(lab, "jupiter1").run(["virsh", "migrate", "--live", "vm1",
                                           "qemu+ssh://jupiter2/system"]).ok
    assert jupiter2.run(["drbdadm", "disconnect", "r1"]).ok
    state = read(lab)
    assert drbd_on(state, "r1", "jupiter2").connections[0].state == "StandAlone"
    assert jupiter2.run(["drbdadm", "connect", "r1"]).ok
    assert LabRunner(lab, "jupiter1").run(["drbdadm", "secondary", "r1"]).ok
    assert drbd_on(read(lab), "r1", "jupiter1").role == "Secondary"


def test_virsh_migrate_behind_pacemakers_back_is_critical(lab: Lab) -> None:
    run = LabRunner(lab, "jupiter1").run(["virsh", "migrate", "--live", "vm1",
                                          "qemu+ssh://jupiter2/system"])
    assert run.ok, run.stderr
    state = read(lab)
    running = {(g.name, g.node) for g in state.guests if g.running}
    assert ("vm1", "jupiter2") in running and ("vm1", "jupiter1") not in running
    judgement = judge(state)
    assert any(v.health == Health.CRITICAL and "Pacemaker runs vm1 on jupiter1" in v.reason
               for v in judgement.verdicts)
    wrong = LabRunner(lab, "jupiter1").run(["virsh", "migrate", "vm1", "qemu+ssh://sun/system"])
    assert wrong.returncode == 1 and "failed to get domain" in wrong.stderr
    # Pacemaker acting again puts the guest back where it decided.
    assert LabRunner(lab, "jupiter1").run(["crm_resource", "--move", "-r", "vm2", "-N",
                                           "jupiter1"]).ok
    assert ("vm1", "jupiter1") in {(g.name, g.node) for g in read(lab).guests if g.running}


def test_kill_corosync_leaves_the_node_running_outside_the_cluster(lab: Lab) -> None:
    """What a real node shows with corosync killed: the cluster tools cannot connect,
    its guests and DRBD Primary go on, and the survivors start them again elsewhere."""
    faults.kill_corosync(lab, "jupiter1")
    runner = LabRunner(lab, "jupiter1")
    crm_mon = runner.run(["crm_mon", "--output-as=xml"])
    assert crm_mon.returncode == 102 and '<status code="102" message="Not connected">' \
        in crm_mon.stdout
    cfgtool = runner.run(["corosync-cfgtool", "-s"])
    assert (cfgtool.returncode, cfgtool.stderr) == (
        1, "Could not initialize corosync configuration API error 2\n")

    state = collect(LabAccess(lab, "jupiter2"))
    assert where(state, "vm1") == ["jupiter2"]
    running = {(g.name, g.node) for g in state.guests if g.running}
    assert {("vm1", "jupiter1"), ("vm1", "jupiter2")} <= running
    assert drbd_on(state, "r1", "jupiter1").role == "Primary"
    assert drbd_on(state, "r1", "jupiter2").role == "Primary"
    [verdict] = [v for v in judge(state).verdicts if v.area == "nodes" and v.node == "jupiter1"
                 and v.health == Health.CRITICAL and "not in the cluster" in v.reason]
    assert verdict.reason.startswith("jupiter1 is not in the cluster (Pacemaker on jupiter2 "
                                     "sees it offline) but still runs vm1")

    faults.recover_node(lab, "jupiter1")
    state = read(lab)
    running = {(g.name, g.node) for g in state.guests if g.running}
    assert [n for name, n in running if name == "vm1"] == where(state, "vm1")
    assert not state.source_errors()
