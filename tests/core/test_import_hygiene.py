"""The core never pays for the faces: no textual, rich, asyncio or pysnmp on its import path.

Measured on these machines: ``import textual.app`` alone costs about 0.35 s and pysnmp about
0.2 s; a check plugin that Nagios starts every minute cannot carry either.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

HEAVY = ("textual", "rich", "asyncio", "pysnmp")
FACES = ("hadeck.tui", "hadeck.checks", "hadeck.actions", "hadeck.cli")


def core_modules() -> list[str]:
    """Every module of the core: all of ``hadeck`` but the faces, found by walking it."""
    import hadeck

    return [m.name for m in pkgutil.walk_packages(hadeck.__path__, "hadeck.")
            if not m.name.startswith(FACES)]


def heavy_after(modules: list[str]) -> list[str]:
    """The heavy packages loaded once ``modules`` are imported, in a fresh interpreter."""
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + (
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    return run.stdout.split()


def test_the_walk_finds_the_core() -> None:
    found = core_modules()
    for module in ("hadeck.model", "hadeck.health", "hadeck.opening", "hadeck.watch.poller",
                   "hadeck.sources.drbd", "hadeck.lab.runner"):
        assert module in found
    assert not [m for m in found if m.startswith(FACES)]


def test_no_core_module_imports_anything_heavy() -> None:
    """All core modules in one interpreter: if none of them together loads a heavy package,
    none does alone. On a failure, each module is tried alone to name the culprit."""
    modules = [*core_modules(), "hadeck.cli.main"]
    if heavy_after(modules):
        culprits = {m: heavy for m in modules if (heavy := heavy_after([m]))}
        pytest.fail(f"heavy imports on the core's path: {culprits}")


def test_status_json_does_not_load_rich(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests import bundles

    bundle = bundles.seed_cluster(tmp_path / "b")
    code = ("import sys; from hadeck.cli.main import main; "
            f"main(['status', '--from', {str(bundle)!r}, '--json']); "
            f"print('LOADED', ' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.strip().splitlines()[-1] == "LOADED"
