"""check_hadeck_guests: virsh output on jupiter1 against the seed cluster's Pacemaker."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.lab.scenario import CibScenario
from tests.checks.helpers import make_bundle, pacemaker_files, run_check, sample


def virsh_list(*rows: tuple[str, str, str]) -> str:
    """``virsh list --all`` as virsh 9 lays it out: (id, name, state) rows."""
    width = max([4, *(len(name) for _, name, _ in rows)]) + 3
    header = " Id   " + "Name".ljust(width) + "State"
    lines = [header, "-" * (len(header) + 5)]
    lines += [f" {id_:<5}{name:<{width}}{state}" for id_, name, state in rows]
    return "\n".join(lines) + "\n\n"


def bundle(tmp_path: Path, scenario: CibScenario | None, listing: str) -> Path:
    files = {"guests/virsh-list.txt": listing, "guests/virsh-uri.txt": "qemu:///system\n"}
    if scenario is not None:
        files.update(pacemaker_files(scenario))
    return make_bundle(tmp_path / "b", "jupiter1", files)


@pytest.mark.pacemaker
def test_cluster_guest_running_is_ok(tmp_path: Path, scenario: CibScenario) -> None:
    listing = virsh_list(("1", "vm1", "running"), ("-", "vm2", "shut off"))
    out = run_check("guests", "--from", bundle(tmp_path, scenario, listing))
    assert out.returncode == 0, out.stdout
    assert out.text == "1 guest running on jupiter1, 1 expected by Pacemaker, 1 stopped"
    assert out.perf["running"].value == 1
    assert out.perf["expected"].value == 1
    assert out.perf["stopped"].value == 1
    assert out.perf["running"].max == "2"


@pytest.mark.pacemaker
def test_cluster_guest_not_running_is_critical(tmp_path: Path, scenario: CibScenario) -> None:
    listing = virsh_list(("-", "vm1", "shut off"), ("-", "vm2", "shut off"))
    out = run_check("guests", "--from", bundle(tmp_path, scenario, listing))
    assert out.returncode == 2
    assert out.text == ("vm1@jupiter1: Pacemaker runs vm1 on jupiter1, but the guest there "
                        "is shut off")


@pytest.mark.pacemaker
def test_guest_outside_cluster_control(tmp_path: Path, scenario: CibScenario) -> None:
    listing = virsh_list(("1", "vm1", "running"), ("7", "rogue", "running"))
    out = run_check("guests", "--from", bundle(tmp_path, scenario, listing))
    assert out.returncode == 1
    assert out.text == "rogue@jupiter1: running outside cluster control (no resource)"
    out = run_check("guests", "--from", bundle(tmp_path / "2", scenario, listing),
                    "--unmanaged-ok")
    assert out.returncode == 0


@pytest.mark.pacemaker
def test_paused_and_crashed(tmp_path: Path, scenario: CibScenario) -> None:
    listing = virsh_list(("1", "vm1", "paused"), ("3", "crashy", "crashed"))
    out = run_check("guests", "--from", bundle(tmp_path, scenario, listing), "-v")
    assert out.returncode == 2
    assert out.text.startswith("crashy@jupiter1: crashed (+")
    assert "WARNING: vm1@jupiter1: paused: not running" in out.long
    assert (out.perf["paused"].value, out.perf["crashed"].value) == (1, 1)


def test_expect_list_without_pacemaker(tmp_path: Path) -> None:
    listing = sample("virsh-list", "running-paused-shutoff.txt")
    out = run_check("guests", "--from", bundle(tmp_path, None, listing),
                    "--expect", "web01,backup-vm", "-v")
    assert out.returncode == 2, out.stdout
    assert out.text.startswith("backup-vm@jupiter1: expected running, but it is shut off")
    assert "WARNING: db01@jupiter1: paused: not running" in out.long
    assert out.perf["expected"].value == 2
    assert not any("pacemaker" in line for line in out.long)  # not read at all
    out = run_check("guests", "--from", bundle(tmp_path / "2", None, listing),
                    "-e", "web01", "-e", "nosuch", "-w", "2:")
    assert out.returncode == 2
    assert out.text.startswith("nosuch@jupiter1: expected running, but no such guest here")
    assert out.perf["running"].warn == "2:"


def test_no_pacemaker_is_unknown_unless_expect(tmp_path: Path) -> None:
    listing = virsh_list(("1", "web01", "running"))
    out = run_check("guests", "--from", bundle(tmp_path, None, listing))
    assert out.returncode == 3
    assert out.text.startswith("pacemaker@jupiter1: crm_mon: command not found")


def test_garbage_virsh_is_unknown(tmp_path: Path) -> None:
    out = run_check("guests", "--from", bundle(tmp_path, None, "<html>502</html>\n"),
                    "--expect", "web01")
    # Unreadable is UNKNOWN, not "web01 missing": nothing can be said about it.
    assert out.returncode == 3
    assert out.text.startswith("guests@jupiter1: cannot parse virsh")


@pytest.mark.pacemaker
def test_no_virsh_to_look_is_unknown_not_missing(tmp_path: Path, scenario: CibScenario) -> None:
    """virsh gone from a KVM node: hadeck cannot see vm1, so it cannot say it is down."""
    files = pacemaker_files(scenario)  # no virsh, xl or vzlist output: none installed
    out = run_check("guests", "--from", make_bundle(tmp_path / "b", "jupiter1", files))
    assert out.returncode == 3, out.stdout
    assert out.text == ("vm1@jupiter1: Pacemaker runs vm1 on jupiter1, but jupiter1 has no "
                        "virsh to list it: cannot tell whether it runs")
