"""Every verb through ``hadeck VERB … --lab --yes``: the lab's real Pacemaker tools run the
commands, and the result is read back with the real crm_mon / cibadmin."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from hadeck.lab import faults
from hadeck.lab.world import Lab

from .conftest import constraints, crm_mon, node, promoted_on, running_on


def test_move_settles_then_clears_its_constraint(hadeck, lab: Lab, journal_file: Path) -> None:
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]
    ran = hadeck("move", "vm1", "jupiter2", "--yes")
    assert ran.code == 0, ran.err
    after = crm_mon(lab)
    assert running_on(after, "vm1") == ["jupiter2"]
    assert promoted_on(after, "p_drbd_vm1") == ["jupiter2"]
    assert "cli-prefer-vm1" not in constraints(lab)     # cleared, as pcs 0.11 does
    assert "done:\n  ✔ vm1 runs on jupiter2\n" in ran.out
    assert "cli-prefer-vm1 cleared" in ran.out
    entry = json.loads(journal_file.read_text().splitlines()[-1])
    assert [c["argv"] for c in entry["commands"]] == [
        ["crm_resource", "--move", "-r", "vm1", "-N", "jupiter2"],
        ["crm_resource", "--clear", "-r", "vm1", "-N", "jupiter2"]]
    assert stat.S_IMODE(journal_file.stat().st_mode) == 0o600


def test_move_keep_and_lifetime_leave_the_constraint(hadeck, lab: Lab) -> None:
    assert hadeck("move", "vm1", "jupiter2", "--keep", "--yes").code == 0
    assert "cli-prefer-vm1" in constraints(lab)
    assert hadeck("move", "g_services", "jupiter2", "--lifetime", "PT1H", "--yes").code == 0
    assert running_on(crm_mon(lab), "svc_dummy") == ["jupiter2"]
    assert "cli-prefer-g_services" in constraints(lab)


def test_ban_then_clear(hadeck, lab: Lab) -> None:
    ran = hadeck("ban", "vm2", "jupiter2", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert running_on(crm_mon(lab), "vm2") == ["jupiter1"]
    assert "cli-ban-vm2-on-jupiter2" in constraints(lab)
    ran = hadeck("clear", "vm2", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert not [c for c in constraints(lab) if c.startswith("cli-")]
    # Nothing left to clear: refused, with the reason.
    again = hadeck("clear", "vm2", "--yes")
    assert again.code == 1
    assert "no cli-prefer or cli-ban constraint" in again.err


def test_standby_and_online(hadeck, lab: Lab) -> None:
    ran = hadeck("standby", "jupiter1", "--yes")
    assert ran.code == 0, ran.out + ran.err
    mon = crm_mon(lab)
    assert node(mon, "jupiter1").get("standby") == "true"
    assert running_on(mon, "vm1") == ["jupiter2"]
    assert running_on(mon, "svc_dummy") == ["jupiter2"]
    assert hadeck("online", "jupiter1", "--yes").code == 0
    assert node(crm_mon(lab), "jupiter1").get("standby") == "false"


def test_node_maintenance_on_and_off(hadeck, lab: Lab) -> None:
    assert hadeck("maintenance", "jupiter2", "on", "--yes").code == 0
    mon = crm_mon(lab)
    assert node(mon, "jupiter2").get("maintenance") == "true"
    assert running_on(mon, "vm2") == ["jupiter2"]        # left alone, not stopped
    assert hadeck("maintenance", "jupiter2", "off", "--yes").code == 0
    assert node(crm_mon(lab), "jupiter2").get("maintenance") == "false"


def test_cluster_maintenance_on_and_off(hadeck, lab: Lab) -> None:
    def mode() -> str | None:
        options = crm_mon(lab).find("summary/cluster_options")
        assert options is not None
        return options.get("maintenance-mode")

    assert hadeck("maintenance", "--cluster", "on", "--yes").code == 0
    assert mode() == "true"
    ran = hadeck("move", "vm1", "jupiter2", "--dry-run")
    assert ran.code == 1
    assert "maintenance-mode" in ran.err             # named as what stops the move
    assert hadeck("maintenance", "--cluster", "off", "--yes").code == 0
    assert mode() == "false"


def test_unmanage_and_manage(hadeck, lab: Lab) -> None:
    def managed() -> set[str | None]:
        return {r.get("managed") for r in crm_mon(lab).iter("resource") if r.get("id") == "vm2"}

    assert hadeck("unmanage", "vm2", "--yes").code == 0
    assert managed() == {"false"}
    assert hadeck("manage", "vm2", "--yes").code == 0
    assert managed() == {"true"}


def test_stop_and_start_by_target_role(hadeck, lab: Lab) -> None:
    ran = hadeck("stop", "g_services", "--yes")
    assert ran.code == 0, ran.out + ran.err
    mon = crm_mon(lab)
    assert running_on(mon, "fs_data") == running_on(mon, "svc_dummy") == []
    assert hadeck("start", "g_services", "--yes").code == 0
    assert running_on(crm_mon(lab), "svc_dummy") == ["jupiter1"]


def test_cleanup_forgets_the_failure(hadeck, lab: Lab) -> None:
    faults.fail_resource(lab, "vm2", "monitor")
    failures = crm_mon(lab).find("failures")
    assert failures is not None and len(failures) == 1
    ran = hadeck("cleanup", "vm2", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert crm_mon(lab).find("failures") is None
    assert running_on(crm_mon(lab), "vm2") == ["jupiter2"]


def test_cleanup_of_every_resource_on_one_node(hadeck, lab: Lab) -> None:
    faults.fail_resource(lab, "vm2", "monitor")
    faults.fail_resource(lab, "vm1", "monitor")
    assert hadeck("cleanup", "--node", "jupiter2", "--yes").code == 0
    left = [(f.get("op_key"), f.get("node")) for f in crm_mon(lab).iter("failure")]
    assert left == [("vm1_monitor_30000", "jupiter1")]


def test_migrate_a_guest_the_scheduler_would_restart_needs_force(
        hadeck, lab: Lab, journal_file: Path) -> None:
    # The seed orders vm1 after its DRBD promotion: the scheduler moves it (a stop and a
    # start), it cannot migrate it live. Said, and refused unless forced.
    ran = hadeck("migrate", "vm1", "jupiter2", "--yes")
    assert ran.code == 1
    assert "not a live migration" in ran.err
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]
    assert not journal_file.exists()                      # nothing ran
    forced = hadeck("migrate", "vm1", "jupiter2", "--yes", "--force")
    assert forced.code == 0, forced.out + forced.err
    assert running_on(crm_mon(lab), "vm1") == ["jupiter2"]
    entry = json.loads(journal_file.read_text())
    assert entry["forced"] == ["live migration"]
    assert entry["request"]["force"] is True


def test_dry_run_changes_nothing(hadeck, lab: Lab, journal_file: Path) -> None:
    cib = (lab.directory / "pacemaker" / "cib.xml").read_bytes()
    ran = hadeck("standby", "jupiter1", "--dry-run")
    assert ran.code == 0
    assert "crm_attribute -N jupiter1 -n standby -v on -l forever" in ran.out
    assert "g_services: move jupiter1 → jupiter2" in ran.out
    assert (lab.directory / "pacemaker" / "cib.xml").read_bytes() == cib
    assert not journal_file.exists()
