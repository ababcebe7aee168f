"""The events diff on pairs of hand-made states (pure: no lab, no Textual app)."""

from __future__ import annotations

import dataclasses

from hadeck.model import (
    ClusterInfo,
    ClusterState,
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    DrbdVolume,
    Guest,
    Health,
    LvsDirector,
    Node,
    PacemakerState,
    RealServer,
    Resource,
    ResourceKind,
    SourceStatus,
    VirtualService,
    VrrpInstance,
)
from hadeck.watch.eventlog import EventLog, line
from hadeck.watch.events import diff
from hadeck.watch.poller import guest_cpu


def _pcmk(vm1_on: str = "jupiter1", j1_online: bool = True, dc: str = "sun") -> PacemakerState:
    drbd = Resource("ms_drbd_vm1", ResourceKind.CLONE, promotable=True, children=(
        Resource("p_drbd_vm1", role="Promoted", active=True, nodes=(vm1_on,)),))
    return PacemakerState(
        cluster=ClusterInfo(dc=dc, have_quorum=True),
        nodes=(Node("jupiter1", online=j1_online, expected_up=True), Node("jupiter2", online=True),
               Node("sun", online=True, is_dc=True)),
        resources=(drbd, Resource("vm1", role="Started", active=True, nodes=(vm1_on,))),
    )


def _drbd(replication: str = "Established", done: float | None = None,
          state: str = "Connected") -> DrbdResource:
    pv = DrbdPeerVolume(0, replication=replication, peer_disk="UpToDate", done_percent=done,
                        eta_seconds=180.0 if done is not None else None)
    return DrbdResource("r1", node="jupiter2", role="Secondary",
                        volumes=(DrbdVolume(0, disk="UpToDate"),),
                        connections=(DrbdConnection("jupiter1", state=state,
                                                    peer_volumes=(pv,)),))


def _lvs(servers: tuple[str, ...] = ("192.0.2.21", "192.0.2.22"),
         role: str = "MASTER") -> LvsDirector:
    svc = VirtualService("TCP", "192.0.2.80", 80, director="lvs1",
                         real_servers=tuple(RealServer(a, 80, weight=1) for a in servers))
    return LvsDirector("lvs1", services=(svc,), vrrp=(VrrpInstance("VI_LVS", role),))


def state(at: float = 100.0, **kw: object) -> ClusterState:
    base: dict[str, object] = dict(
        taken_at=at, local_node="jupiter2", pacemaker=_pcmk(), drbd=(_drbd(),),
        guests=(Guest("vm1", "jupiter1", "kvm", "running", cpu_time_s=10.0),),
        lvs=(_lvs(),),
        sources=(SourceStatus("guests", "jupiter1", at, 0.1),
                 SourceStatus("drbd", "jupiter2", at, 0.1)),
    )
    base.update(kw)
    return ClusterState(**base)  # type: ignore[arg-type]


def texts(old: ClusterState | None, new: ClusterState) -> list[str]:
    return [e.text for e in diff(old, new)]


def test_first_state_and_no_change_give_no_events() -> None:
    assert texts(None, state()) == []
    assert texts(state(), state(200.0)) == []


def test_node_lost_resource_moved_and_promotion() -> None:
    new = state(pacemaker=_pcmk(vm1_on="jupiter2", j1_online=False),
                sources=(SourceStatus("node", "jupiter1", 100, 0, error="ssh jupiter1: down"),
                         SourceStatus("drbd", "jupiter2", 100, 0.1)),
                guests=(Guest("vm1", "jupiter2", "kvm", "running"),))
    found = texts(state(), new)
    assert "jupiter1 offline (was online)" in found
    assert "vm1 moved jupiter1 → jupiter2" in found
    assert "ms_drbd_vm1 promoted on jupiter2 (was jupiter1)" in found
    assert "jupiter1 unreachable: ssh jupiter1: down" in found
    events = diff(state(), new)
    offline = next(e for e in events if e.text.startswith("jupiter1 offline"))
    assert offline.health == Health.CRITICAL and offline.area == "nodes"


def test_dc_change() -> None:
    assert "DC sun → jupiter2" in texts(state(), state(pacemaker=_pcmk(dc="jupiter2")))


def test_drbd_resync_start_progress_and_end() -> None:
    cut = state(drbd=(_drbd(state="Connecting", replication="Off"),))
    assert "r1@jupiter2 → jupiter1 Connecting (was Connected)" in texts(state(), cut)
    syncing = state(drbd=(_drbd("SyncTarget", 45.0),))
    assert "r1@jupiter2 → jupiter1 SyncTarget 45 %, ETA 3:00" in texts(state(), syncing)
    # Inside one 25 % step: quiet; crossing one: logged again.
    assert texts(syncing, state(drbd=(_drbd("SyncTarget", 49.0),))) == []
    assert texts(syncing, state(drbd=(_drbd("SyncTarget", 51.0),))) == [
        "r1@jupiter2 → jupiter1 SyncTarget 51 %, ETA 3:00"]
    assert texts(syncing, state()) == [
        "r1@jupiter2 → jupiter1 resync done, peer disk UpToDate"]


def test_real_server_removed_and_vrrp_role() -> None:
    found = texts(state(), state(lvs=(_lvs(("192.0.2.21",), role="BACKUP"),)))
    assert found == ["real server 192.0.2.22:80 removed from TCP 192.0.2.80:80@lvs1",
                     "lvs1 VRRP VI_LVS MASTER → BACKUP"]


def test_source_failure_and_recovery() -> None:
    broken = state(sources=(SourceStatus("guests", "jupiter1", 100, 0.1),
                            SourceStatus("drbd", "jupiter2", 100, 0.1, error="timed out")))
    assert texts(state(), broken) == ["drbd@jupiter2 read failed: timed out"]
    assert texts(broken, state()) == ["drbd@jupiter2 readable again"]


def test_guest_state_change() -> None:
    paused = state(guests=(Guest("vm1", "jupiter1", "kvm", "paused"),))
    assert texts(state(), paused) == ["vm1@jupiter1 paused (was running)"]


def test_guest_cpu_percent() -> None:
    later = dataclasses.replace(state(110.0), guests=(
        Guest("vm1", "jupiter1", "kvm", "running", cpu_time_s=15.0),))
    assert guest_cpu(state(), later) == {"vm1@jupiter1": 50.0}


def test_event_log_keeps_and_appends(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sub" / "events.log"
    log = EventLog(path, "lab")
    events = diff(state(), state(lvs=(_lvs(("192.0.2.21",)),)))
    log.extend(events)
    assert log.count == 1 and log.events() == events
    written = path.read_text().splitlines()
    assert written == [line(events[0]) + " [lab]"]
    assert "▲ WARNING  real server 192.0.2.22:80 removed" in written[0]


def test_event_log_that_cannot_write_keeps_memory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("")
    log = EventLog(blocker / "events.log")
    log.extend(diff(state(), state(lvs=(_lvs(("192.0.2.21",)),))))
    assert log.count == 1 and log.error is not None


def test_event_log_file_shows_names_never_obeys_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Admins ``tail -f`` the file: a guest named with escapes reaches it visibly, not raw."""
    path = tmp_path / "events.log"
    hostile = "vm\x1b]0;pwned\x07\x1b[2J"
    before = state(guests=(Guest(name=hostile, node="n1", hypervisor="kvm", state="running"),))
    after = state(guests=(Guest(name=hostile, node="n1", hypervisor="kvm", state="shut off"),))
    log = EventLog(path)
    log.extend(diff(before, after))
    written = path.read_text()
    assert written and "\x1b" not in written and "\x07" not in written
    assert "vm\\x1b]0;pwned\\x07\\x1b[2J" in written
    assert log.events()[0].text.startswith("vm\x1b")  # the screen's own cells make it safe
