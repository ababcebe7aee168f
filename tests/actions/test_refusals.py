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


def test_stopping_what_others_depend_on(hadeck, lab: Lab) -> None:
    ran = hadeck("stop", "ms_drbd_vm2", "--yes")
    assert ran.code == 1
    assert "it would also stop: vm2: stop on jupiter2" in ran.err
    assert running_on(crm_mon(lab), "vm2") == ["jupiter2"]


def test_a_resource_blocked_by_a_failed_stop(hadeck, lab: Lab) -> None:
    faults.fail_resource(lab, "vm2", "stop")
    ran = hadeck("move", "vm2", "jupiter1", "--dry-run")
    assert ran.code == 1
    assert ("vm2's stop failed on jupiter2: Pacemaker leaves it blocked until it is "
            "cleaned up (hadeck cleanup vm2)") in ran.err
    assert hadeck("cleanup", "vm2", "--yes").code == 0
    assert crm_mon(lab).find("failures") is None


def test_a_move_that_clearing_its_constraint_would_undo(hadeck, lab: Lab) -> None:
    # vm2 prefers jupiter2 by more than the stickiness: once cli-prefer-vm2 is cleared
    # (as a move does after it settled) the scheduler would move it straight back.
    import os
    import subprocess

    subprocess.run(["cibadmin", "--modify", "--xml-text",
                    '<rsc_location id="loc_vm2_prefers_jupiter2" score="500"/>'],
                   env={**os.environ, "CIB_file": str(lab.directory / "pacemaker" /
                                                      "cib.xml")}, check=True)
    ran = hadeck("move", "vm2", "jupiter1", "--yes")
    assert ran.code == 1
    assert "once cli-prefer-vm2 is cleared the scheduler would move it again" in ran.err
    assert "vm2: move jupiter1 → jupiter2" in ran.err
    assert running_on(crm_mon(lab), "vm2") == ["jupiter2"]
    kept = hadeck("move", "vm2", "jupiter1", "--yes", "--keep")
    assert kept.code == 0, kept.out + kept.err
    assert running_on(crm_mon(lab), "vm2") == ["jupiter1"]


def test_without_crm_simulate_there_is_no_preview_and_no_action(
        hadeck, lab: Lab, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The preview runs crm_simulate here (the lab's own tools answer through its runner):
    # a machine without it, at the runner boundary.
    from hadeck.runner import LocalRunner, not_found

    class WithoutSimulate(LocalRunner):
        def run(self, argv, timeout=None, input=None):  # type: ignore[no-untyped-def]
            if argv[0] == "crm_simulate":
                return not_found(argv)
            return super().run(argv, timeout, input)

    monkeypatch.setattr("hadeck.actions.preview.LocalRunner", WithoutSimulate)
    ran = hadeck("move", "vm1", "jupiter2", "--yes")
    assert ran.code == 1
    assert "no preview: crm_simulate on the copy: crm_simulate: command not found" in ran.err
    assert "--force overrides" in ran.out
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]
