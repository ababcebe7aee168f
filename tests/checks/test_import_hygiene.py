"""A check plugin imports the core and nagiosplugin only (FACTS.md: textual.app alone costs
~0.35 s a start, pysnmp ~0.2 s; Nagios runs thousands of checks)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import hadeck.checks

FORBIDDEN = ("rich", "textual", "asyncio", "pysnmp", "psutil")
"""psutil only where host facts are gathered: check_hadeck_node on the live node."""

MODULES = sorted(m.name for m in pkgutil.iter_modules(hadeck.checks.__path__))
"""Every module of hadeck.checks (common and each plugin), found by walking the package."""
PLUGINS = [m for m in MODULES if m != "common"]


def test_the_walk_finds_every_plugin() -> None:
    """Each module but common is a plugin with its console script (pyproject.toml)."""
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    scripts = {target for name, target in pyproject["project"]["scripts"].items()
               if name.startswith("check_hadeck_")}
    assert {f"hadeck.checks.{p}:main" for p in PLUGINS} == scripts


PROBE = """
import json, sys
import hadeck.checks.{plugin}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})))
"""


@pytest.mark.parametrize("module", MODULES)
def test_plugin_import_pulls_nothing_heavy(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(plugin=module, forbidden=set(FORBIDDEN))],
        capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout) == []


RUN = """
import json, runpy, sys
sys.argv = ["check_hadeck_{plugin}", "--from", {bundle!r}]
try:
    runpy.run_module("hadeck.checks.{plugin}", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})),
      file=sys.stderr)
"""


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_whole_run_pulls_nothing_heavy(plugin: str, tmp_path: object) -> None:
    """Not just the import: reading a bundle, judging and printing stay light too."""
    from pathlib import Path

    bundle = Path(str(tmp_path)) / "b"
    bundle.mkdir()
    (bundle / "meta.json").write_text('{"hostname": "alpha"}')
    proc = subprocess.run(
        [sys.executable, "-c", RUN.format(plugin=plugin, bundle=str(bundle),
                                          forbidden=set(FORBIDDEN))],
        capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == [], proc.stdout
