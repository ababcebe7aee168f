"""The core never pays for the faces: no textual, rich, asyncio or pysnmp on its import path.

Measured on these machines: ``import textual.app`` alone costs about 0.35 s and pysnmp about
0.2 s; a check plugin that Nagios starts every minute cannot carry either.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("textual", "rich", "asyncio", "pysnmp")
CORE = (
    "hadeck.model", "hadeck.health", "hadeck.serial", "hadeck.runner", "hadeck.config",
    "hadeck.collect", "hadeck.snapshot", "hadeck.report", "hadeck.join", "hadeck.cli.main",
    "hadeck.lab.runner", "hadeck.lab.faults",
)


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_nothing_heavy(module: str) -> None:
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert run.stdout.strip() == ""


def test_status_json_does_not_load_rich(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests import bundles

    bundle = bundles.seed_cluster(tmp_path / "b")
    code = ("import sys; from hadeck.cli.main import main; "
            f"main(['status', '--from', {str(bundle)!r}, '--json']); "
            f"print('LOADED', ' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.strip().splitlines()[-1] == "LOADED"
