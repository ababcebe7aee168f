"""Refusals: each says why, exits 1 (3 when the cluster cannot be read), and runs nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hadeck.lab import faults
from hadeck.lab.world import Lab

from .conftest import crm_mon, running_on


def test_target_in_standby(hadeck, lab: Lab, journal_file: Path) -> None:
    assert hadeck("standby", "jupiter2", "--yes").code == 0
    ran = hadeck("move", "g_services", "jupiter2", "--yes")
    assert ran.code == 1
    assert "jupiter2 is in standby" in ran.err
    assert "✘ target node" in ran.out
    # Not one a --force overrides.
    forced = hadeck("move", "g_services", "jupiter2", "--yes", "--force")
    assert forced.code == 1
    assert running_on(crm_mon(lab), "svc_dummy") == ["jupiter1"]


def test_no_quorum(hadeck, lab: Lab) -> None:
    faults.fail_node(lab, "jupiter2")
    faults.fail_node(lab, "sun")
    ran = hadeck("move", "vm1", "jupiter1", "--yes")
    assert ran.code == 1
    assert "no quorum" in ran.err


def test_drbd_not_connected_on_the_target(hadeck, lab: Lab) -> None:
    faults.cut_drbd(lab, "r1")
    ran = hadeck("move", "vm1", "jupiter2", "--yes", "--force")
    assert ran.code == 1
    assert "DRBD r1 on jupiter2" in ran.out
    assert "r1 on jupiter2: disk Outdated, not UpToDate, connection to jupiter1 is" in ran.err
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]


def test_drbd_inconsistent_while_it_resyncs(hadeck, lab: Lab) -> None:
    faults.fail_node(lab, "jupiter2")
    faults.recover_node(lab, "jupiter2")
    ran = hadeck("move", "vm1", "jupiter2", "--dry-run")
    assert ran.code == 1
    assert "r1 on jupiter2: disk Inconsistent, not UpToDate" in ran.err
    faults.step(lab, 7200)                             # the resync finishes
    assert hadeck("move", "vm1", "jupiter2", "--dry-run").code == 0


def test_a_node_without_the_guests_drbd(hadeck, lab: Lab) -> None:
    ran = hadeck("move", "vm1", "sun", "--dry-run")
    assert ran.code == 1
    assert "sun has no DRBD resource r1" in ran.err
    # The scheduler's own reason, with the constraint that makes it.
    assert "vm1 would stay where it is, not move to sun" in ran.out
    assert "location loc_vm1_not_sun (-INFINITY on sun)" in ran.out


def test_pingd_zero_on_the_target(hadeck, lab: Lab) -> None:
    faults.ping_lost(lab, "jupiter2")
    ran = hadeck("move", "g_services", "jupiter2", "--dry-run")
    assert ran.code == 1
    assert "pingd on jupiter2 is 0" in ran.err
    assert "rule loc_g_services_connected-rule" in ran.out


def test_standby_of_the_last_node_that_can_run_it(hadeck, lab: Lab) -> None:
    assert hadeck("standby", "jupiter1", "--yes").code == 0
    ran = hadeck("standby", "jupiter2", "--dry-run")
    assert ran.code == 1
    assert "standby of jupiter2 would stop" in ran.err
    assert "--force overrides" in ran.out
    ran = hadeck("maintenance", "jupiter2", "on", "--dry-run")
    assert ran.code == 1
    assert "jupiter2 is the last node that can run" in ran.err


def test_read_only_from_the_command_line_and_the_configuration(
        hadeck, lab: Lab, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ran = hadeck("standby", "jupiter1", "--yes", "--read-only")
    assert ran.code == 1
    assert "read-only" in ran.err
    config = tmp_path / "hadeck.toml"
    config.write_text("[actions]\nread_only = true\n")
    monkeypatch.setenv("HADECK_CONFIG", str(config))
    ran = hadeck("move", "vm1", "jupiter2", "--yes")
    assert ran.code == 1
    assert "read-only" in ran.err
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]


def test_nonsense_is_refused_with_the_reason(hadeck, lab: Lab) -> None:
    cases = {
        ("move", "nosuch", "jupiter2"): "no resource 'nosuch'",
        ("move", "vm1", "mars"): "no node 'mars'",
        ("move", "vm1", "jupiter1"): "vm1 already runs on jupiter1",
        ("move", "fs_data", "jupiter2"): "fs_data is in group g_services: move the group",
        ("move", "ms_drbd_vm1", "jupiter2"): "ms_drbd_vm1 is a clone",
        ("migrate", "g_services", "jupiter2"): "not a guest",
        ("online", "jupiter1"): "jupiter1 is not in standby",
        ("start", "vm1"): "already allowed to run",
        ("move", "vm1", "jupiter2", "--lifetime", "1 hour"): "not an ISO 8601 duration",
    }
    for args, why in cases.items():
        ran = hadeck(*args, "--yes")
        assert (ran.code, why in ran.err) == (1, True), (args, ran.err)


def test_a_bundle_cannot_be_acted_on(hadeck, lab: Lab, tmp_path: Path) -> None:
    from hadeck.cli.main import main

    assert main(["move", "vm1", "jupiter2", "--from", str(tmp_path), "--yes"]) == 3


def test_without_yes_and_without_a_terminal_nothing_runs(lab: Lab, journal_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hadeck.cli", "standby", "jupiter1", "--lab"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=os.environ, timeout=120)
    assert done.returncode == 1
    assert "no terminal to confirm on; pass --yes" in done.stderr
    assert crm_mon(lab).find("nodes/node[@name='jupiter1']").get("standby") == "false"  # type: ignore[union-attr]
    assert not journal_file.exists()
