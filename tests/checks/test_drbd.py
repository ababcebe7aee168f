"""check_hadeck_drbd as Nagios runs it, on bundles of real-format DRBD 9 and 8.4 output."""

from __future__ import annotations

from pathlib import Path

from tests.checks.helpers import DRBD9_PROC, make_bundle, run_check, sample


def drbd9(tmp_path: Path, events2: str, name: str = "b") -> Path:
    return make_bundle(tmp_path / name, "alpha",
                       {"drbd/proc-drbd.txt": DRBD9_PROC, "drbd/events2.txt": events2})


def renamed(events2: str, old: str, new: str) -> list[str]:
    """A sample's lines for one resource under another name, without the closing line."""
    return [line.replace(f"name:{old} ", f"name:{new} ") for line in events2.splitlines()
            if line.strip() != "exists -"]


def test_healthy_primary_is_ok_with_perfdata(tmp_path: Path) -> None:
    out = run_check("drbd", "--from", drbd9(tmp_path, sample("drbd-events2",
                                                             "healthy-primary-2node.txt")))
    assert out.returncode == 0
    assert out.status.startswith("HADECK DRBD OK - r0 Primary UpToDate, bravo Connected")
    oos = out.perf["r0/bravo/0_oos"]
    assert (oos.value, oos.uom, oos.min) == (0, "KB", "0")
    assert out.perf["r0/bravo/0_sync"].value == 100
    assert out.perf["r0/bravo/0_sync"].uom == "%"
    assert out.perf["r0/bravo/0_sync"].max == "100"


def test_peer_down_is_critical(tmp_path: Path) -> None:
    out = run_check("drbd", "--from", drbd9(tmp_path, sample("drbd-events2",
                                                             "connecting-peer-down.txt")))
    assert out.returncode == 2
    assert out.text.startswith("r0@alpha → bravo: peer not connected (Connecting)")
    assert out.perf["r0/bravo/0_oos"].value == 524288
    assert "r0/bravo/0_sync" not in out.perf  # unknown while disconnected


def test_resync_is_warning_with_progress_and_rate(tmp_path: Path) -> None:
    out = run_check("drbd", "--from", drbd9(tmp_path, sample("drbd-events2",
                                                             "syncsource-in-progress.txt")))
    assert out.returncode == 1
    assert "SyncSource 43.6 %" in out.text
    assert out.perf["r0/bravo/0_sync"].value == 43.57
    assert out.perf["r0/bravo/0_rate"].value > 0
    assert out.perf["r0/bravo/0_oos"].value == 11834292


def test_ok_states_override_makes_a_resync_ok(tmp_path: Path) -> None:
    bundle = drbd9(tmp_path, sample("drbd-events2", "syncsource-in-progress.txt"))
    out = run_check("drbd", "--from", bundle, "--ok-states", "SyncSource", "-v")
    assert out.returncode == 0, out.stdout
    assert any("health set by override" in line for line in out.long)


def test_critical_states_override_raises(tmp_path: Path) -> None:
    bundle = drbd9(tmp_path, sample("drbd-events2", "syncsource-in-progress.txt"))
    out = run_check("drbd", "--from", bundle, "--critical-states=SyncSource,Ahead")
    assert out.returncode == 2


def test_worst_state_wins_not_the_first(tmp_path: Path) -> None:
    lines = renamed(sample("drbd-events2", "syncsource-in-progress.txt"), "r0", "ra")
    lines += renamed(sample("drbd-events2", "connecting-peer-down.txt"), "r0", "rb")
    out = run_check("drbd", "--from", drbd9(tmp_path, "\n".join([*lines, "exists -", ""])),
                    "-v")
    assert out.returncode == 2
    assert out.text.startswith("rb@alpha → bravo: peer not connected (Connecting) (+1 more)")
    assert out.long[0].startswith("CRITICAL: rb@alpha → bravo")
    assert out.long[1].startswith("WARNING: ra@alpha → bravo: SyncSource")


def test_include_exclude_and_missing_resource(tmp_path: Path) -> None:
    bundle = drbd9(tmp_path, sample("drbd-events2", "multi-resource-volumes-peers.txt"))
    assert run_check("drbd", "--from", bundle).returncode == 2  # r1 → charlie Connecting
    out = run_check("drbd", "--from", bundle, "--exclude", "r1")
    assert out.returncode == 0, out.stdout
    assert not any(label.startswith("r1/") for label in out.perf)
    assert "r0/bravo/1_oos" in out.perf  # every volume of every peer
    out = run_check("drbd", "--from", bundle, "-i", "r0,r9")
    assert out.returncode == 2
    assert out.text.startswith("r9: no such DRBD resource up on this node")


def test_out_of_sync_thresholds(tmp_path: Path) -> None:
    bundle = drbd9(tmp_path, sample("drbd-events2", "connecting-peer-down.txt"))
    out = run_check("drbd", "--from", bundle, "-w", "1000", "-c", "1000000", "-v")
    assert out.returncode == 2
    assert out.perf["r0/bravo/0_oos"].warn == "1000"
    assert out.perf["r0/bravo/0_oos"].crit == "1000000"
    assert "WARNING: r0@alpha → bravo: 524288 KB out of sync (outside range 0:1000)" in out.long


def test_drbd84_proc_drbd(tmp_path: Path) -> None:
    proc = sample("proc-drbd", "84-wfconnection-peer-down.txt")
    bundle = make_bundle(tmp_path / "b", "alpha", {"drbd/proc-drbd.txt": proc})
    out = run_check("drbd", "--from", bundle)
    assert out.returncode == 2
    assert "peer not connected (WFConnection)" in out.text


def test_drbd84_syncing_is_warning(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "alpha",
                         {"drbd/proc-drbd.txt": sample("proc-drbd", "84-synctarget.txt")})
    out = run_check("drbd", "--from", bundle, "-v")
    assert out.returncode == 1
    # Says that the Inconsistent disk is being synced (issue 12: not a failure): both
    # verdicts on drbd0 are one problem, headed by the resync and its progress.
    assert out.text.startswith("drbd0: alpha → peer: SyncTarget "), out.text
    assert any(line == "WARNING: drbd0@alpha: local disk Inconsistent, resync running"
               for line in out.long), out.long
    assert any(line.startswith("WARNING: drbd0@alpha → peer: SyncTarget") for line in out.long)
    assert any(label.endswith("_sync") and 0 < p.value < 100 for label, p in out.perf.items())


def test_no_module_loaded_is_unknown(tmp_path: Path) -> None:
    out = run_check("drbd", "--from", make_bundle(tmp_path / "b", "alpha", {}))
    assert out.returncode == 3
    assert out.text == "alpha: no DRBD resources (no DRBD module loaded)"


def test_garbage_output_is_unknown_with_the_reason(tmp_path: Path) -> None:
    bundle = drbd9(tmp_path, "\x1b[7mSegmentation fault }{\n")
    out = run_check("drbd", "--from", bundle)
    assert out.returncode == 3
    assert out.text.startswith("drbd@alpha: ")
    assert "cannot parse" in out.text


def test_recorded_tool_failure_is_unknown(tmp_path: Path) -> None:
    bundle = make_bundle(
        tmp_path / "b", "alpha", {"drbd/proc-drbd.txt": DRBD9_PROC},
        commands={"alpha/drbd/events2.txt": {"error": "drbdsetup: permission denied"}})
    out = run_check("drbd", "--from", bundle)
    assert out.returncode == 3
    assert "drbdsetup: permission denied" in out.text
