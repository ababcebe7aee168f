"""Health rules, judged on states parsed from the real tools' output."""

from __future__ import annotations

import dataclasses

import pytest

from hadeck.health import (
    Judgement,
    Kind,
    Memo,
    Policy,
    Subject,
    Verdict,
    drbd_subject,
    format_duration,
    guest_subject,
    judge,
    judge_corosync,
    judge_corosync_on,
    judge_director,
    judge_drbd,
    judge_drbd_on,
    judge_guests,
    judge_guests_on,
    judge_hosts,
    judge_lvs,
    judge_pingd,
    nothing_to_judge,
    service_subject,
    vrrp_subject,
    worst,
)
from hadeck.model import (
    ClusterState,
    CorosyncStatus,
    DrbdResource,
    Guest,
    Health,
    HostMetrics,
    LvsDirector,
    Node,
    PacemakerState,
    RealServer,
    SourceStatus,
    VirtualService,
    VrrpInstance,
)
from hadeck.sources import corosync, drbd, guests, host, lvs
from tests.conftest import sample

OK, WARNING, CRITICAL, UNKNOWN = Health.OK, Health.WARNING, Health.CRITICAL, Health.UNKNOWN


def _by_subject(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.subject: v for v in verdicts}


def _drbd(case: str, node: str = "alpha") -> list[Verdict]:
    resources = drbd.parse_events2(sample("drbd-events2", case))
    return judge_drbd(dataclasses.replace(r, node=node) for r in resources)


def test_worst_ranks_critical_above_unknown() -> None:
    assert worst([OK, UNKNOWN, WARNING]) == UNKNOWN
    assert worst([UNKNOWN, CRITICAL]) == CRITICAL
    assert worst([]) == OK


def test_healthy_drbd_is_ok() -> None:
    verdicts = _drbd("healthy-primary-2node.txt")
    assert worst(v.health for v in verdicts) == OK


def test_resync_is_a_warning_with_progress_and_eta() -> None:
    verdicts = [v for v in _drbd("syncsource-in-progress.txt") if v.health != OK]
    assert [v.health for v in verdicts] == [WARNING]
    assert verdicts[0].subject == "r0@alpha → bravo"
    assert verdicts[0].reason == "SyncSource 43.6 % at 101.2 MiB/s, ETA 1:54"


def test_split_brain_is_critical() -> None:
    bad = [v for v in _drbd("standalone-split-brain.txt") if v.health == CRITICAL]
    assert bad and "StandAlone" in bad[0].reason


def test_peer_gone_is_critical() -> None:
    bad = [v for v in _drbd("connecting-peer-down.txt") if v.health == CRITICAL]
    assert any("peer not connected (Connecting)" in v.reason for v in bad)


def test_unknown_disk_state_is_unknown_not_ok() -> None:
    text = sample("drbd-events2", "healthy-primary-2node.txt").replace(
        "disk:UpToDate", "disk:Frobnicated", 1)
    resources = drbd.parse_events2(text)
    verdicts = judge_drbd(resources)
    assert any(v.health == UNKNOWN and "'Frobnicated'" in v.reason for v in verdicts)


def test_override_turns_a_state_ok() -> None:
    resources = drbd.parse_events2(sample("drbd-events2", "syncsource-in-progress.txt"))
    verdicts = judge_drbd(resources, {"SyncSource": OK})
    assert worst(v.health for v in verdicts) == OK
    assert any("override" in v.reason for v in verdicts)


def test_drbd_8_4_wfconnection_is_critical() -> None:
    resources = drbd.parse_proc_drbd(sample("proc-drbd", "84-wfconnection-peer-down.txt"))
    assert worst(v.health for v in judge_drbd(resources)) == CRITICAL


def test_lvs_quiesced_and_empty_services() -> None:
    _, services = lvs.parse_ipvsadm(sample("ipvsadm-Ln", "nat-udp-dns-and-quiesced.txt"))
    verdicts = judge_lvs([LvsDirector("lvs1", services=services)])
    assert any(v.health == WARNING and "quiesced (weight 0)" in v.reason for v in verdicts)
    _, empty = lvs.parse_ipvsadm(sample("ipvsadm-Ln", "zero-real-servers.txt"))
    verdicts = judge_lvs([LvsDirector("lvs1", services=empty)])
    assert any(v.health == CRITICAL and "no real servers" in v.reason for v in verdicts)


def test_lvs_fewer_real_servers_than_expected() -> None:
    _, services = lvs.parse_ipvsadm(sample("ipvsadm-Ln", "dr-http-https-persistent.txt"))
    key = services[0].key
    count = len(services[0].weighted)
    verdicts = judge_lvs([LvsDirector("lvs1", services=services)], {key: count + 1})
    assert verdicts[0].health == WARNING
    assert verdicts[0].reason == f"{count} of {count + 1} real servers in service"


def test_paused_and_crashed_guests() -> None:
    listed = guests.parse_virsh_list(sample("virsh-list", "running-paused-shutoff.txt"), "n1")
    verdicts = judge_guests(listed, None)
    states = {v.key.name: v.health for v in verdicts}
    paused = [g.name for g in listed if g.state == "paused"]
    assert paused and all(states[name] == WARNING for name in paused)


def test_guest_running_on_two_nodes_is_critical() -> None:
    listed = guests.parse_virsh_list(sample("virsh-list", "running-only-default.txt"), "n1")
    twice = listed + tuple(dataclasses.replace(g, node="n2") for g in listed)
    verdicts = _by_subject(judge_guests(twice, None))
    assert verdicts["web01@n1"].health == CRITICAL
    assert verdicts["web01@n2"].reason == "running on 2 nodes at once: n1, n2"
    assert verdicts["db01@n1"].health == WARNING  # paused: not running anywhere


def test_corosync_not_quorate_is_critical() -> None:
    quorum = corosync.parse_quorumtool(
        sample("corosync-quorumtool", "3node-isolated-not-quorate.txt"))
    verdicts = judge_corosync([CorosyncStatus(node="n1", quorum=quorum)])
    assert verdicts[0].health == CRITICAL
    assert verdicts[0].reason.startswith("not quorate, activity blocked")


def test_corosync_one_link_down_is_a_warning() -> None:
    node_id, transport, links = corosync.parse_cfgtool(
        sample("corosync-cfgtool", "2links-one-peer-link-down.txt"))
    verdicts = judge_corosync([CorosyncStatus("n1", node_id, transport, links)])
    assert any(v.health == WARNING and "down" in v.reason for v in verdicts)


def test_degraded_raid_is_critical_and_recovery_a_warning() -> None:
    degraded = host.parse_mdstat(sample("proc-mdstat", "raid1-degraded-failed-disk.txt"))
    verdicts = judge_hosts([HostMetrics("n1", md_arrays=degraded)])
    assert any(v.health == CRITICAL and v.reason ==
               "degraded [U_]: 1 of 2 disks working, sdb2 faulty" for v in verdicts)
    recovering = host.parse_mdstat(sample("proc-mdstat", "raid1-recovery-in-progress.txt"))
    verdicts = judge_hosts([HostMetrics("n1", md_arrays=recovering)])
    assert any(v.health == WARNING and "recovery 17.4 %" in v.reason for v in verdicts)


def test_failed_source_is_unknown_and_never_hides_critical() -> None:
    split = drbd.parse_events2(sample("drbd-events2", "standalone-split-brain.txt"))
    state = ClusterState(
        taken_at=0.0, local_node="n1", drbd=split,
        sources=(SourceStatus("guests", "n1", 0.0, 0.0, error="virsh: command not found"),),
    )
    judgement = judge(state)
    assert judgement.overall == CRITICAL
    assert judgement.area_health("sources") == UNKNOWN
    assert judgement.problems()[0].health == CRITICAL


def test_summary_names_worst_problem_first() -> None:
    judgement = Judgement((
        Verdict(WARNING, "nodes", Subject(Kind.NODE, "sun"), "standby: runs no resources"),
        Verdict(CRITICAL, "drbd", Subject(Kind.DRBD, "r0", peer="bravo"),
                "peer not connected (Connecting)"),
        Verdict(OK, "nodes", Subject(Kind.NODE, "jupiter1"), "online"),
    ))
    assert judgement.summary() == "r0 → bravo: peer not connected (Connecting) (+1 more)"
    assert judgement.overall == CRITICAL


def test_disk_thresholds_follow_policy() -> None:
    facts = host.parse_facts((__import__("pathlib").Path(__file__).parents[1] /
                              "fixtures/host/facts.json").read_text(), "n1")
    strict = Policy(disk_warning_percent=0.0, disk_critical_percent=100.0)
    verdicts = judge_hosts([facts], strict)
    assert any(v.health == WARNING and "% full" in v.reason for v in verdicts)


def test_format_duration() -> None:
    assert format_duration(114) == "1:54"
    assert format_duration(7390) == "2:03:10"


def test_ping_resource_running_nowhere_is_critical() -> None:
    from hadeck.health import judge_pingd
    from hadeck.model import Node, PacemakerState, PrimitiveConfig

    nodes = (Node("jupiter1", online=True), Node("jupiter2", online=True))
    configured = PacemakerState(
        nodes=nodes, primitives=(PrimitiveConfig("p_ping", "ocf:pacemaker:ping"),))
    verdicts = judge_pingd(configured)
    assert [(v.subject, v.health) for v in verdicts] == [
        ("pingd jupiter1", CRITICAL), ("pingd jupiter2", CRITICAL)]
    assert judge_pingd(PacemakerState(nodes=nodes)) == []  # no ping resource: no opinion


def test_memo_reuses_verdicts_of_the_same_objects_only() -> None:
    healthy = tuple(dataclasses.replace(r, node="alpha") for r in
                    drbd.parse_events2(sample("drbd-events2", "healthy-primary-2node.txt")))
    split = tuple(dataclasses.replace(r, node="alpha") for r in
                  drbd.parse_events2(sample("drbd-events2", "standalone-split-brain.txt")))
    memo = Memo()
    first = judge_drbd(healthy, memo=memo)
    memo.turn()
    assert judge_drbd(healthy, memo=memo) == first  # the same objects: the same verdicts
    memo.turn()
    # Equal names, other objects: judged again, never the remembered verdicts.
    assert judge_drbd(split, memo=memo) == judge_drbd(split)
    assert worst(v.health for v in judge_drbd(split, memo=memo)) == CRITICAL
    # Another context (an override) is judged again too.
    memo.turn()
    relaxed = judge_drbd(split, {"StandAlone": OK, "Outdated": OK}, memo=memo)
    assert relaxed == judge_drbd(split, {"StandAlone": OK, "Outdated": OK})
    assert relaxed != judge_drbd(split, memo=memo)


def test_memo_judges_guests_by_value_not_by_their_cpu_time() -> None:
    # A running guest is a new object every poll (its CPU time moves); its verdict reads
    # only its state and resource, so the remembered verdicts are used while they hold.
    def state(vm2: str, cpu: float) -> ClusterState:
        return ClusterState(
            taken_at=cpu, local_node="alpha",
            guests=(Guest("vm1", "alpha", "kvm", "running", cpu_time_s=cpu),
                    Guest("vm2", "alpha", "kvm", vm2, cpu_time_s=cpu)),
            sources=(SourceStatus("guests", "alpha", 0.0, 0.1, tools=("virsh",)),))

    memo = Memo()
    first = judge(state("running", 1.0), memo=memo).area("guests")
    again = judge(state("running", 2.0), memo=memo).area("guests")
    assert all(a is b for a, b in zip(first, again, strict=True))  # not judged again
    paused = judge(state("paused", 3.0), memo=memo)
    assert paused.area("guests") == judge(state("paused", 3.0)).area("guests")
    assert paused.of("guests", guest_subject("vm2", "alpha")) == WARNING


def test_an_index_built_on_the_previous_one_answers_as_a_fresh_one() -> None:
    vm1 = Verdict(OK, "guests", guest_subject("vm1", "alpha"), "running", "alpha")
    r0 = Subject(Kind.DRBD, "r0", "alpha", "bravo", 0)
    first = Judgement((vm1, Verdict(OK, "drbd", r0, "UpToDate", "alpha")))
    first.index()
    # The guests' verdict is the same object (reused); DRBD's changed (built again).
    second = Judgement((vm1, Verdict(CRITICAL, "drbd", r0, "StandAlone", "alpha")))
    second.index(first)
    fresh = Judgement(second.verdicts)
    for j in (second, fresh):
        assert j.drbd_resource(Subject(Kind.DRBD, "r0", "alpha")) == CRITICAL
        assert j.of("drbd", r0) == CRITICAL
        assert j.on_node("drbd", "alpha") == CRITICAL
        assert j.area_health("drbd") == CRITICAL
        assert j.of("guests", guest_subject("vm1", "alpha")) == OK
        assert j.area("guests") == (vm1,)
    # An area gone since is gone from the index too.
    third = Judgement(second.area("drbd"))
    third.index(second)
    assert third.area("guests") == () and third.area_health("drbd") == CRITICAL


def test_subjects_are_written_as_operators_name_them() -> None:
    assert str(Subject(Kind.DRBD, "r0", "n1", "n2", 0)) == "r0@n1 → n2/0"
    assert str(Subject(Kind.DRBD, "r0", "n1", volume=1)) == "r0@n1/1"
    assert str(Subject(Kind.DRBD, "r0")) == "r0"
    assert str(Subject(Kind.VRRP, "VI_1", "lvs1")) == "VRRP VI_1@lvs1"
    assert str(Subject(Kind.VRRP, node="lvs1")) == "VRRP@lvs1"
    assert str(Subject(Kind.LINK, node="n1", peer="n2")) == "link n1 → n2"
    assert str(Subject(Kind.PINGD, "pingd", "n1")) == "pingd n1"
    assert str(Subject(Kind.RING, "0", "n1")) == "ring 0@n1"
    assert str(Subject(Kind.QUORUM, node="n1")) == "corosync quorum@n1"
    assert str(Subject(Kind.HOST, node="n1")) == "n1"
    assert str(Subject(Kind.HOST, "/var", "n1")) == "/var@n1"


def test_judgement_answers_by_subject_and_rolls_drbd_up_to_the_resource() -> None:
    # r1 on alpha: its peer charlie is down; r0 is fine. A resource whose name merely
    # starts like another ("r1 x") must not count under it, nor another node's view.
    verdicts = [
        *_drbd("multi-resource-volumes-peers.txt"),
        Verdict(CRITICAL, "drbd", Subject(Kind.DRBD, "r0", "bravo", "alpha"), "down", "bravo"),
        Verdict(CRITICAL, "drbd", Subject(Kind.DRBD, "r1 x", "alpha"), "odd name", "alpha"),
        Verdict(WARNING, "guests", guest_subject("vm1", "alpha"), "paused", "alpha"),
    ]
    judgement = Judgement(tuple(verdicts))
    r0, r1 = Subject(Kind.DRBD, "r0", "alpha"), Subject(Kind.DRBD, "r1", "alpha")
    assert judgement.drbd_resource(r0) == OK
    assert judgement.drbd_resource(r1) == CRITICAL
    assert judgement.drbd_resource(Subject(Kind.DRBD, "r1", "alpha", "bravo")) == CRITICAL
    assert judgement.drbd_resource(Subject(Kind.DRBD, "r0", "bravo")) == CRITICAL
    assert judgement.of("drbd", Subject(Kind.DRBD, "r1", "alpha", "charlie")) == CRITICAL
    assert judgement.of("drbd", Subject(Kind.DRBD, "r1", "alpha", "bravo")) == OK
    assert judgement.of("guests", guest_subject("vm1", "alpha")) == WARNING
    assert judgement.of("guests", guest_subject("vm1", "bravo")) == OK  # nothing said
    assert judgement.of("drbd", guest_subject("vm1", "alpha")) == OK  # another area
    assert judgement.area_health("guests") == WARNING
    assert judgement.area_health("lvs") == OK
    assert judgement.on_node("guests", "alpha") == WARNING
    assert judgement.on_node("guests", "bravo") == OK
    assert judgement.area("drbd") == tuple(v for v in verdicts if v.area == "drbd")
    with pytest.raises(TypeError, match="takes a Subject"):
        judgement.of("guests", "vm1@alpha")  # type: ignore[arg-type]  # text matches nothing


def test_drbd_subjects_carry_node_peer_and_volume() -> None:
    resources = drbd.parse_events2(sample("drbd-events2", "multi-resource-volumes-peers.txt"))
    r0 = dataclasses.replace(resources[0], node="alpha")
    keys = [v.key for v in judge_drbd([r0])]
    assert drbd_subject(r0, "bravo", 1) in keys
    assert drbd_subject(r0, volume=0) in keys
    assert drbd_subject(r0) in keys
    assert {(k.name, k.node) for k in keys} == {("r0", "alpha")}


# ------------------------------------------------- the rules the check plugins ask for


def test_one_director_its_services_asked_for_and_its_role() -> None:
    _, parsed = lvs.parse_ipvsadm(sample("ipvsadm-Ln", "dr-http-https-persistent.txt"))
    services = tuple(dataclasses.replace(s, director="lvs1") for s in parsed)  # as collected
    backup = VrrpInstance("VI_1", "BACKUP", "lvs1")
    director = LvsDirector("lvs1", services=services, vrrp=(backup,))
    asked = [services[0].key.lower(), "TCP 192.0.2.99:80"]
    verdicts = judge_director("lvs1", director, wanted=asked, role="MASTER")
    missing = [v for v in verdicts if v.reason == "not in the IPVS table"]
    assert [(v.subject, v.health, v.node) for v in missing] == [
        ("TCP 192.0.2.99:80", CRITICAL, "lvs1")]
    judged = {v.key for v in verdicts if v.key.kind == Kind.SERVICE and v not in missing}
    assert judged == {service_subject(services[0].key, "lvs1")}  # only the one asked for
    role = [v for v in verdicts if v.key == vrrp_subject("VI_1", "lvs1")
            and v.health == WARNING]
    assert role and role[0].reason == "BACKUP, expected MASTER"
    assert not any(v.key == vrrp_subject("VI_1") for v in verdicts)  # the pair's: not here
    assert all(v.health == OK for v in judge_director("lvs1", director, role="BACKUP")
               if v.key.kind == Kind.VRRP)


def test_a_director_without_services_or_keepalived_state() -> None:
    empty = judge_director("lvs1", None)
    assert [(v.subject, v.health) for v in empty] == [("lvs1", WARNING)]
    failed = (SourceStatus("lvs", "lvs1", 0.0, 0.0, error="ipvsadm: permission denied"),
              SourceStatus("keepalived", "lvs1", 0.0, 0.0, error="no dump file"))
    # The failed reads say why on their own (judge_sources): nothing more to add.
    assert judge_director("lvs1", None, role="MASTER", sources=failed) == []
    unknown = judge_director("lvs1", LvsDirector("lvs1", services=(VirtualService(
        "TCP", "192.0.2.10", 80, director="lvs1",
        real_servers=(RealServer("192.0.2.21", 80, weight=1),)),)), role="MASTER")
    assert [(v.subject, v.health) for v in unknown if v.key.kind == Kind.VRRP] == [
        ("VRRP@lvs1", UNKNOWN)]


def test_guests_against_a_list_instead_of_pacemaker() -> None:
    listed = guests.parse_virsh_list(sample("virsh-list", "running-paused-shutoff.txt"), "n1")
    running = [g.name for g in listed if g.running]
    stopped = [g.name for g in listed if not g.running]
    assert running and stopped
    expect = [running[0], stopped[0], "ghost"]
    verdicts = judge_guests_on("n1", listed, None, frozenset({"n1"}), expect=expect)
    by = {v.key.name: v for v in verdicts if "expect" in v.reason}
    assert by[stopped[0]].health == CRITICAL
    assert by["ghost"].reason == "expected running, but no such guest here"
    assert all(by[name].reason == "running, but not in --expect" for name in running[1:])
    assert running[0] not in by
    # Where the guests could not be listed, nothing is missing.
    unread = judge_guests_on("n1", listed, None, frozenset(), expect=expect)
    assert not any("expect" in v.reason for v in unread)
    quiet = judge_guests_on("n1", listed, None, frozenset({"n1"}), expect=expect,
                            unmanaged_ok=True)
    assert not any("not in --expect" in v.reason for v in quiet)


def test_drbd_on_one_node_resources_asked_for() -> None:
    resources = [dataclasses.replace(r, node="alpha") for r in drbd.parse_events2(
        sample("drbd-events2", "multi-resource-volumes-peers.txt"))]
    only_r0 = judge_drbd_on("alpha", resources, include=["r0", "r9", "x*"])
    assert {v.key.name for v in only_r0} == {"r0", "r9"}
    gone = [v for v in only_r0 if v.key.name == "r9"]
    assert [(v.subject, v.health, v.node) for v in gone] == [("r9", CRITICAL, "alpha")]
    none = judge_drbd_on("alpha", resources, exclude=["*"])
    assert [(v.subject, v.health, v.reason) for v in none] == [
        ("alpha", UNKNOWN, "every DRBD resource is excluded")]
    assert [v.reason for v in judge_drbd_on("alpha", [], detail="not loaded")] == [
        "no DRBD resources (not loaded)"]
    assert judge_drbd_on("alpha", [], read=False) == []


def test_pingd_asked_for_but_configured_nowhere_is_critical() -> None:
    from hadeck.model import Node, PacemakerState

    pcmk = PacemakerState(nodes=(Node("jupiter1", online=True),))
    assert judge_pingd(pcmk) == []
    [verdict] = judge_pingd(pcmk, "pingd", required=True)
    assert (verdict.subject, verdict.health) == ("pingd", CRITICAL)


def test_corosync_on_a_node_where_nothing_was_read() -> None:
    quiet = SourceStatus("corosync", "n1", 0.0, 0.0, detail="corosync not installed")
    [verdict] = judge_corosync_on("n1", [], [quiet])
    assert (verdict.subject, verdict.health, verdict.reason) == (
        "corosync@n1", UNKNOWN, "corosync not installed")
    broken = SourceStatus("corosync", "n1", 0.0, 0.0, error="corosync-cfgtool: timeout")
    assert judge_corosync_on("n1", [], [broken]) == []


def test_nothing_to_judge_says_why() -> None:
    verdict = nothing_to_judge("n1", [SourceStatus("drbd", "n1", 0.0, 0.0, detail="no DRBD")])
    assert (verdict.subject, verdict.health, verdict.reason) == (
        "n1", UNKNOWN, "nothing to judge (no DRBD)")


# --------------------------------------------------------------------------- directors down


def _director(node: str, state: str) -> LvsDirector:
    return LvsDirector(node, vrrp=(VrrpInstance("VI_1", state, node),))


def _unreachable(node: str) -> SourceStatus:
    return SourceStatus("node", node, 0.0, 0.0,
                        error=f"ssh {node}: connect to host {node} port 22: No route to host")


@pytest.mark.parametrize(("seen", "health", "now"), [
    ([_director("lvs2", "MASTER")], WARNING, "lvs2 is MASTER; no standby director"),
    ([_director("lvs2", "MASTER"), _director("lvs3", "BACKUP")], WARNING,
     "lvs2 is MASTER; standby lvs3"),
    ([_director("lvs2", "BACKUP")], CRITICAL, "no director is MASTER: the virtual IPs are down"),
    ([], CRITICAL, "no director is MASTER: the virtual IPs are down"),
], ids=["lost-standby", "standby-left", "backup-only", "all-down"])
def test_a_director_down_is_judged_by_what_the_others_do(
        seen: list[LvsDirector], health: Health, now: str) -> None:
    """Not an unknown "node@lvs1: ssh …": the operator reads what it means."""
    state = ClusterState(taken_at=0.0, local_node="jupiter1", lvs=tuple(seen),
                         sources=(_unreachable("lvs1"),))
    judgement = judge(state, Policy(directors=("lvs1", "lvs2", "lvs3")))
    assert judgement.overall == health
    [verdict] = [v for v in judgement.verdicts if v.node == "lvs1"]
    assert (verdict.area, verdict.subject, verdict.health) == ("lvs", "lvs1", health)
    assert verdict.reason.startswith("director lvs1 down (ssh lvs1: connect to host")
    assert verdict.reason.endswith(f" — {now}")


def test_a_lost_standby_director_is_as_bad_as_the_policy_says() -> None:
    state = ClusterState(taken_at=0.0, local_node="jupiter1",
                         lvs=(_director("lvs2", "MASTER"),), sources=(_unreachable("lvs1"),))
    policy = Policy(directors=("lvs1", "lvs2"), director_down=CRITICAL)
    assert judge(state, policy).overall == CRITICAL


def test_an_unreachable_node_that_is_no_director_stays_unknown() -> None:
    state = ClusterState(taken_at=0.0, local_node="jupiter1", sources=(_unreachable("web1"),))
    judgement = judge(state, Policy(directors=("lvs1", "lvs2")))
    assert [(v.area, v.health) for v in judgement.verdicts] == [("sources", UNKNOWN)]


# --------------------------------------------------------------------------- membership


def _src(source: str, node: str, error: str | None = None) -> SourceStatus:
    return SourceStatus(source, node, 0.0, 0.0, error=error)


def _out_of_cluster_on_itself(*, guests_elsewhere: bool) -> ClusterState:
    """Read on jupiter1 after corosync was killed there: crm_mon and corosync's tools fail,
    virsh and DRBD still answer (the words are the real tools')."""
    vm1 = Guest("vm1", "jupiter1", "kvm", "running")
    guests = (vm1, Guest("vm1", "jupiter2", "kvm", "running")) if guests_elsewhere else (vm1,)
    return ClusterState(
        taken_at=0.0, local_node="jupiter1",
        guests=guests,
        drbd=(DrbdResource("r1", "jupiter1", "Primary"),),
        sources=(
            _src("pacemaker", "jupiter1", "crm_mon: Connection to cluster failed: "
                                          "Connection refused"),
            _src("corosync", "jupiter1", "corosync-cfgtool exited 1: Could not initialize "
                                         "corosync configuration API error 2"),
            _src("guests", "jupiter1"), _src("drbd", "jupiter1"), _src("host", "jupiter1"),
        ))


@pytest.mark.parametrize("elsewhere", [True, False], ids=["restarted-elsewhere", "alone"])
def test_a_node_out_of_the_cluster_that_still_runs_guests_is_critical(elsewhere: bool) -> None:
    """corosync killed: each source alone is UNKNOWN; together they are a split brain risk."""
    judgement = judge(_out_of_cluster_on_itself(guests_elsewhere=elsewhere))
    assert judgement.overall == CRITICAL
    [verdict] = [v for v in judgement.verdicts if v.area == "nodes"]
    assert (verdict.area, verdict.subject) == ("nodes", "jupiter1")
    assert verdict.reason.startswith("jupiter1 is not in the cluster (")
    assert "but still runs vm1 and is DRBD Primary of r1" in verdict.reason
    assert ("the cluster runs vm1 on jupiter2 too: split brain risk" in verdict.reason) \
        == elsewhere


def test_failing_cluster_tools_on_a_node_that_runs_nothing_stay_unknown() -> None:
    state = dataclasses.replace(_out_of_cluster_on_itself(guests_elsewhere=False),
                                guests=(), drbd=())
    assert judge(state).overall == UNKNOWN


def test_a_crashed_node_is_not_out_of_the_cluster_and_still_running() -> None:
    """Pacemaker sees it offline, but it did not answer: nothing runs there."""
    pcmk = PacemakerState(nodes=(Node("jupiter1", online=False), Node("jupiter2", online=True)))
    state = ClusterState(taken_at=0.0, local_node="jupiter2", pacemaker=pcmk,
                         sources=(_src("node", "jupiter1", "ssh jupiter1: No route to host"),))
    assert not [v for v in judge(state).verdicts if "not in the cluster" in v.reason]
