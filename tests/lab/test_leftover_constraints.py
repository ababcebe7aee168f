"""Leftover cli- constraints on the lab: hadeck status, check_hadeck_cluster and the
dashboard's overview each list them as WARNINGs, with their lifetime and `hadeck clear`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from tests.tui.conftest import lab_app
from tests.tui.helpers import aio, rows, settle

pytestmark = pytest.mark.pacemaker


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                            "HOME": "/nonexistent",
                                            "PYTHONPATH": os.environ.get("PYTHONPATH", "")})


def move_and_ban(lab: Lab) -> None:
    node = LabAccess(lab).local
    moved = node.run(("crm_resource", "--move", "-r", "vm1", "-N", "jupiter2",
                      "--lifetime", "PT1H"))
    assert moved.ok, moved
    banned = node.run(("crm_resource", "--ban", "-r", "g_services", "-N", "jupiter1"))
    assert banned.ok, banned


def test_status_lists_them(lab: Lab) -> None:
    move_and_ban(lab)
    done = run("-m", "hadeck.cli", "status", "--json", "--lab", str(lab.directory))
    doc = json.loads(done.stdout)
    assert done.returncode == 1, doc["problems"]
    left = [p for p in doc["problems"] if "hadeck clear" in p["reason"]]
    assert [(p["health"], p["subject"]) for p in left] == [
        ("WARNING", "vm1"), ("WARNING", "g_services")]
    assert left[0]["reason"].startswith("pinned to jupiter2 by cli-prefer-vm1 until ")
    assert left[0]["reason"].endswith("; hadeck clear vm1")
    assert left[1]["reason"] == ("banned from jupiter1 by cli-ban-g_services-on-jupiter1 "
                                 "with no lifetime: it stays until cleared; "
                                 "hadeck clear g_services")
    shown = run("-m", "hadeck.cli", "status", "--lab", str(lab.directory)).stdout
    assert "hadeck clear g_services" in shown


def test_check_hadeck_cluster_warns(lab: Lab) -> None:
    move_and_ban(lab)
    done = run("-m", "hadeck.checks.cluster", "--lab", str(lab.directory), "-v")
    assert done.returncode == 1, done.stdout
    assert "WARNING: vm1: pinned to jupiter2 by cli-prefer-vm1 until " in done.stdout
    assert "WARNING: g_services: banned from jupiter1 by cli-ban-g_services-on-jupiter1" \
        in done.stdout


@aio
async def test_dashboard_overview_lists_them(lab: Lab) -> None:
    move_and_ban(lab)
    app = lab_app(lab)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        problems = rows(app, "problems")
        assert any("vm1 pinned to jupiter2 by cli-prefer-vm1 until" in row
                   and "hadeck clear vm1" in row for row in problems), problems
        assert any("g_services banned from jupiter1" in row for row in problems), problems
