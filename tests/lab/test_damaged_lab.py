"""A lab whose world file was damaged: every face says so on one line, exit 3."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hadeck.lab.world import Lab


def run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})


@pytest.mark.parametrize("world", ["{}", "[]", '{"format": 1}', "garbage"])
def test_damaged_world_is_one_line(lab: Lab, world: str) -> None:
    (lab.directory / "world.json").write_text(world)
    where = str(lab.directory)
    for module, args in (("hadeck.cli", ("status", "--lab", where)),
                         ("hadeck.cli", ("lab", "--dir", where, "fail-node", "jupiter1")),
                         ("hadeck.checks.drbd", ("--lab", where))):
        done = run(module, *args)
        out = (done.stdout + done.stderr).strip()
        assert done.returncode == 3, out
        assert len(out.splitlines()) == 1 and "Traceback" not in out, out
        assert f"the lab in {where} is damaged" in out
        assert "'hadeck lab init' makes a new one" in out
