"""pysnmp (~0.2 s to import) and asyncio load only on the SNMP path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import bundles

PROBE = """
import json, runpy, sys
sys.argv = {argv!r}
try:
    runpy.run_module({module!r}, run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("pysnmp", "asyncio") if m in sys.modules)),
      file=sys.stderr)
"""


def loaded(module: str, argv: list[str]) -> list[str]:
    run = subprocess.run([sys.executable, "-c", PROBE.format(module=module, argv=argv)],
                         capture_output=True, text=True, timeout=120)
    return list(json.loads(run.stderr.strip().splitlines()[-1]))


@pytest.fixture
def config_with_agents(tmp_path: Path) -> str:
    path = tmp_path / "hadeck.toml"
    path.write_text('[snmp]\ncommunity = "c0mmunity"\ntimeout = 0.2\nretries = 0\n'
                    '[snmp.agents."192.0.2.21"]\naddress = "127.0.0.1"\nport = 9\n')
    path.chmod(0o600)
    return str(path)


@pytest.mark.parametrize("plugin", ["lvs", "node", "cluster"])
def test_a_check_plugin_never_polls_snmp_even_with_agents_configured(
        tmp_path: Path, config_with_agents: str, plugin: str) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b")
    assert loaded(f"hadeck.checks.{plugin}",
                  [f"check_hadeck_{plugin}", "--from", str(bundle),
                   "--config", config_with_agents]) == []


def test_status_loads_pysnmp_only_when_agents_are_configured(
        tmp_path: Path, config_with_agents: str) -> None:
    bundle = str(bundles.seed_cluster(tmp_path / "b"))
    status = ["hadeck", "status", "--from", bundle, "--json"]
    assert loaded("hadeck.cli", status) == []
    # Replaying a bundle reads its recorded answers: still no pysnmp, no event loop.
    assert loaded("hadeck.cli", [*status, "--config", config_with_agents]) == []
    live = ["hadeck", "status", "--local", "--json", "--config", config_with_agents]
    assert loaded("hadeck.cli", live) == ["asyncio", "pysnmp"]
