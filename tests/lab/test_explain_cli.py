"""``hadeck explain`` as an operator runs it: on the lab, from a bundle, and what it says
when it cannot answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab

pytestmark = pytest.mark.pacemaker


def hadeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hadeck.cli", *args], capture_output=True,
                          text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "160",
                               "HOME": "/nonexistent",
                               "PYTHONPATH": os.environ.get("PYTHONPATH", "")})


def test_explain_on_the_lab_in_words(lab: Lab) -> None:
    faults.ping_lost(lab, "jupiter1")
    run = hadeck("explain", "vm1", "--lab", str(lab.directory))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.splitlines()[0] == "vm1 runs on jupiter2 (Started)"
    assert "-INFINITY from location rule loc_vm1_connected (pingd lte 0; pingd is 0)" in out
    assert "banned by location loc_vm1_not_sun" in out
    assert "stickiness 100 (from rsc_defaults)" in out


def test_explain_json(lab: Lab) -> None:
    run = hadeck("explain", "ms_drbd_vm2", "--json", "--lab", str(lab.directory))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["kind"] == "promotable clone"
    assert doc["summary"] == "ms_drbd_vm2 is promoted on jupiter2, unpromoted on jupiter1"
    scores = {n["node"]: (n["score"], n["promotion_score"]) for n in doc["nodes"]}
    assert scores == {"jupiter1": ("10100", "10000"), "jupiter2": ("10250", "10300"),
                      "sun": ("-INFINITY", None)}


def test_unknown_resource_is_one_line_and_exit_3(lab: Lab) -> None:
    run = hadeck("explain", "vm9", "--lab", str(lab.directory))
    assert run.returncode == 3
    assert run.stdout == ""
    assert run.stderr.startswith("hadeck: explain vm9: no resource 'vm9' in the CIB")
    assert len(run.stderr.splitlines()) == 1


def test_a_bundle_records_the_cib_and_explains_as_recorded(lab: Lab, tmp_path: Path) -> None:
    node = LabAccess(lab).local
    assert node.run(("crm_resource", "--ban", "-r", "vm2", "-N", "jupiter2")).ok
    bundle = tmp_path / "snap.tar.gz"
    made = hadeck("snapshot", str(bundle), "--lab", str(lab.directory))
    assert made.returncode == 0, made.stderr
    with tarfile.open(bundle) as tar:
        assert any(name.endswith("/pacemaker/cib.xml") for name in tar.getnames())
    # The lab goes on (the ban is cleared); the bundle keeps the moment it was taken.
    assert node.run(("crm_resource", "--clear", "-r", "vm2")).ok
    run = hadeck("explain", "vm2", "--from", str(bundle))
    assert run.returncode == 0, run.stderr
    assert "vm2 runs on jupiter1 (Started)" in run.stdout
    assert "banned by cli-ban-vm2-on-jupiter2: hadeck clear vm2" in run.stdout


def test_a_bundle_without_the_cib_says_so(lab: Lab, tmp_path: Path) -> None:
    bundle = tmp_path / "dir"
    made = hadeck("snapshot", str(bundle), "--lab", str(lab.directory))
    assert made.returncode == 0, made.stderr
    cibs = list(bundle.glob("*/pacemaker/cib.xml"))
    assert cibs
    for cib in cibs:
        cib.unlink()
    run = hadeck("explain", "vm1", "--from", str(bundle))
    assert run.returncode == 3
    assert "no whole CIB to read" in run.stderr
    assert "pacemaker/cib.xml" in run.stderr and "hadeck snapshot" in run.stderr


def test_layout_lists_the_cib() -> None:
    run = hadeck("snapshot", "--layout")
    assert any(line.split()[:3] == ["<node>/pacemaker/cib.xml", "cibadmin", "-Q"]
               for line in run.stdout.splitlines())


def test_live_without_a_cluster_says_so_in_one_line() -> None:
    """On this machine no cluster runs: crm_mon's reason, not cibadmin's, and exit 3."""
    run = hadeck("explain", "vm1")
    assert run.returncode == 3
    assert run.stderr.startswith("hadeck: explain vm1: crm_mon")
    assert len(run.stderr.splitlines()) == 1


def test_a_cib_that_is_garbage_is_one_line_and_exit_3(lab: Lab) -> None:
    faults.tool_fault(lab, "jupiter1", "cibadmin", "garbage")
    run = hadeck("explain", "vm1", "--lab", str(lab.directory))
    assert run.returncode == 3, run.stdout
    assert run.stderr.startswith("hadeck: explain vm1: cannot parse the CIB: cibadmin: not "
                                 "well-formed XML"), run.stderr
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr


def test_explain_piped_keeps_reasons_whole(lab: Lab) -> None:
    """``hadeck explain vm1 | less`` with no $COLUMNS: each reason on one line, not folded
    at rich's 80-column default for a pipe."""
    faults.ping_lost(lab, "jupiter1")
    run = subprocess.run([sys.executable, "-m", "hadeck.cli", "explain", "vm1", "--lab",
                          str(lab.directory)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                              "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert run.returncode == 0, run.stderr
    reason = "-INFINITY from location rule loc_vm1_connected (pingd lte 0; pingd is 0)"
    assert any(reason in line for line in run.stdout.splitlines())
