"""The lab's LVM and backups: healthy when seeded; a thin pool filling, a stale
repository and a run with errors on demand; the same through a bundle and the plugins."""

from __future__ import annotations

from pathlib import Path

from hadeck.collect import collect
from hadeck.health import CRITICAL, OK, WARNING, Kind, judge
from hadeck.health.verdict import Verdict
from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.model import ClusterState
from hadeck.opening import open_cluster
from hadeck.snapshot import RecordingAccess, write_bundle
from tests.checks.helpers import run_check
from tests.storage import STOPPED_3_NIGHTS


def _read(lab: Lab) -> tuple[ClusterState, list[Verdict]]:
    opened = open_cluster(None, lab=str(lab.directory))
    state = collect(opened.access, opened.config)
    verdicts = judge(state, opened.config.policy).verdicts
    return state, [v for v in verdicts if v.area in ("storage", "backups")]


def _by_subject(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.subject: v for v in verdicts}


def test_the_seeded_lab_has_healthy_storage_and_fresh_backups(lab: Lab) -> None:
    state, verdicts = _read(lab)
    assert [r.node for r in state.lvm] == ["jupiter1", "jupiter2"]
    assert {v.health for v in verdicts} == {OK}
    report = state.lvm[0]
    # The DRBD source's backing devices (/dev/vg_drbd/rN) joined to their thin volumes.
    assert {lv.name: lv.drbd for lv in report.volumes if lv.drbd} == {
        "r1": ("r1/0",), "r2": ("r2/0",)}
    assert [(r.name, r.node, r.guest) for r in state.backups] == [
        ("vm1", "sun", "vm1"), ("vm2", "sun", "vm2"), ("etc", "sun", None)]
    assert all(r.increments == 13 and r.error is None for r in state.backups)


def test_a_pool_filling_and_backups_going_wrong(lab: Lab) -> None:
    faults.fill_pool(lab, "jupiter2")
    faults.stop_backups(lab, "vm2")
    faults.backup_error(lab, "etc")
    _, verdicts = _read(lab)
    seen = _by_subject(verdicts)
    pool = seen["vg_drbd/pool@jupiter2"]
    assert pool.health == WARNING and pool.key.kind == Kind.LVM
    assert pool.reason == "thin pool data 84.0 %, metadata 14.0 %; DRBD on it: r1/0, r2/0"
    assert seen["vg_drbd/pool@jupiter1"].health == OK
    assert seen["backup vm2@sun"].health == CRITICAL
    assert STOPPED_3_NIGHTS.match(seen["backup vm2@sun"].reason), seen["backup vm2@sun"].reason
    assert seen["backup etc@sun"].health == WARNING
    assert "ListError: '/etc/ssl/private'" in seen["backup etc@sun"].reason
    faults.step(lab, 6 * 3600)  # six lab hours on: the pool at 90 %
    _, verdicts = _read(lab)
    assert _by_subject(verdicts)["vg_drbd/pool@jupiter2"].health == CRITICAL
    faults.trim_pool(lab, "jupiter2")
    faults.resume_backups(lab, "vm2")
    faults.resume_backups(lab, "etc")
    _, verdicts = _read(lab)
    assert {v.health for v in verdicts} == {OK}


def test_a_bundle_records_and_replays_lvm_and_backups(lab: Lab, tmp_path: Path) -> None:
    faults.fill_pool(lab, "jupiter2")
    faults.stop_backups(lab, "vm2")
    opened = open_cluster(None, lab=str(lab.directory))
    recording = RecordingAccess(opened.access)
    live = collect(recording, opened.config)
    names = {f"{r.node}/{r.command.name}" for r in recording.records}
    assert {"jupiter2/lvm/vgs.json", "jupiter2/lvm/lvs.json",
            "sun/backups/vm2/increments.txt", "sun/backups/vm2/rdiff-backup-data.txt"} <= names
    path = write_bundle(tmp_path / "b.tar.gz", recording.records, live.local_node,
                        live.taken_at, {})
    config = tmp_path / "hadeck.toml"  # a bundle replays what the configuration asked
    config.write_text("".join(f'[backups.repos.{r.name}]\npath = "{r.path}"\nnode = "sun"\n'
                              + (f'guest = "{r.guest}"\n' if r.guest else "")
                              for r in opened.config.backup_repos))
    replay = open_cluster(str(config), bundle=str(path))
    state = collect(replay.access, replay.config)
    assert state.lvm == live.lvm
    assert state.backups == live.backups
    # Without the configuration, the repositories the bundle recorded (not their guests).
    (tmp_path / "empty.toml").write_text("")
    bare = open_cluster(str(tmp_path / "empty.toml"), bundle=str(path))
    assert sorted((r.name, r.path, r.node) for r in bare.config.backup_repos) == sorted(
        (r.name, r.path, "sun") for r in opened.config.backup_repos)
    healths = {v.subject: v.health for v in judge(state, replay.config.policy).verdicts
               if v.area in ("storage", "backups")}
    assert healths["vg_drbd/pool@jupiter2"] == WARNING
    assert healths["backup vm2@sun"] == CRITICAL
    out = run_check("backup", "--from", path, "--config", config, "--node", "sun")
    assert out.returncode == 2 and out.text.startswith("backup vm2@sun: ")


def test_the_plugins_on_the_lab(lab: Lab) -> None:
    faults.fill_pool(lab, "jupiter2")
    out = run_check("lvm", "--lab", str(lab.directory), "--node", "jupiter2")
    assert out.returncode == 1, out.stdout
    assert out.text == ("vg_drbd/pool@jupiter2: 84 % data used (DRBD r1/0, r2/0) "
                        "(outside range 0:80)")
    out = run_check("lvm", "--lab", str(lab.directory), "--node", "jupiter1")
    assert out.returncode == 0, out.stdout
    out = run_check("backup", "--lab", str(lab.directory), "--node", "sun")
    assert out.returncode == 0, out.stdout
    assert set(out.perf) == {f"{r}_{m}" for r in ("vm1", "vm2", "etc")
                             for m in ("age", "increments")}
    out = run_check("backup", "--lab", str(lab.directory))
    assert out.returncode == 3
    assert "held by sun" in out.text


def test_the_events_say_when_a_pool_and_a_backup_go_wrong(lab: Lab) -> None:
    from hadeck.watch.eventlog import EventLog
    from hadeck.watch.poller import Poller

    opened = open_cluster(None, lab=str(lab.directory))
    poller = Poller(opened.access, opened.config, log=EventLog(None))
    poller.poll()
    faults.fill_pool(lab, "jupiter2")
    faults.stop_backups(lab, "vm1")
    texts = [e.text for e in poller.poll().events]
    assert any(t.startswith("vg_drbd/pool@jupiter2: thin pool data 84.0 %") for t in texts)
    head = "backup vm1@sun: "
    assert any(t.startswith(head) and STOPPED_3_NIGHTS.match(t, len(head)) for t in texts), texts
