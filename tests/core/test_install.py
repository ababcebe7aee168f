"""The README's first command on a stock Debian 12 node: ``scripts/setup && hadeck --lab``.

From a fresh clone of this repository's committed HEAD, with only the system's Python on
PATH (no pyenv, no virtual environment), ``scripts/setup`` makes its own virtual
environment with /usr/bin/python3, installs hadeck into it from the package index, and
links ``hadeck`` and the plugins; then the linked commands answer on a lab. Everything
goes to a temporary directory (``$HADECK_VENV``, ``$HADECK_BIN_DIR``,
``$HADECK_PLUGIN_DIR``), never /opt or /usr/local. About a minute: it runs with
``--run-install`` (scripts/test passes it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checks.helpers import PLUGINS

pytestmark = [pytest.mark.install, pytest.mark.pacemaker]

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
"""A stock Debian root's PATH, less /usr/local: nothing but the system's python3."""


@dataclass(frozen=True)
class Install:
    home: Path
    venv: Path
    bin_dir: Path
    plugin_dir: Path
    setup: subprocess.CompletedProcess[str]

    def run(self, program: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """A linked command as an operator (or Nagios) runs it: the system PATH only."""
        env = {"PATH": SYSTEM_PATH, "HOME": str(self.home), "LANG": "C.UTF-8"}
        # Away from any checkout: python -c would import a ./hadeck before the installed one.
        return subprocess.run([str(program), *map(str, args)], capture_output=True,
                              text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
                              cwd=self.home)


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the test installs from a fresh clone")
    tmp = tmp_path_factory.mktemp("install")
    clone = tmp / "hadeck"
    subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    home = tmp / "home"
    home.mkdir()
    venv, bin_dir, plugin_dir = tmp / "venv", tmp / "bin", tmp / "plugins"
    # The caller's environment minus anything that names another Python or hadeck place;
    # pip's own settings (index, proxy, cache under HOME) stay.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "HADECK_", "PYENV"))}
    env.update(PATH=SYSTEM_PATH, HADECK_VENV=str(venv), HADECK_BIN_DIR=str(bin_dir),
               HADECK_PLUGIN_DIR=str(plugin_dir))
    setup = subprocess.run([str(clone / "scripts" / "setup")], capture_output=True, text=True,
                           timeout=900, env=env, stdin=subprocess.DEVNULL, cwd=tmp)
    assert setup.returncode == 0, setup.stdout + setup.stderr[-4000:]
    return Install(home, venv, bin_dir, plugin_dir, setup)


def test_setup_makes_its_own_venv_with_the_system_python(install: Install) -> None:
    config = (install.venv / "pyvenv.cfg").read_text()
    assert "home = /usr/bin\n" in config, config
    where = install.run(install.venv / "bin" / "python", "-c",
                        "import hadeck.checks, hadeck.tui; print(hadeck.checks.__file__)")
    # Installed, not editable: the code is in the environment, the clone may go.
    assert where.stdout.startswith(f"{install.venv}/lib/"), where.stdout + where.stderr


def test_setup_links_hadeck_and_every_plugin(install: Install) -> None:
    assert sorted(p.name for p in install.bin_dir.iterdir()) == ["hadeck"]
    assert (install.bin_dir / "hadeck").readlink() == install.venv / "bin" / "hadeck"
    plugins = {p.name: p.readlink() for p in install.plugin_dir.iterdir()}
    assert plugins == {f"check_hadeck_{p}": install.venv / "bin" / f"check_hadeck_{p}"
                       for p in PLUGINS}
    assert f"hadeck is {install.bin_dir}/hadeck" in install.setup.stderr


def test_linked_hadeck_answers_on_a_lab(install: Install) -> None:
    from hadeck import __version__

    hadeck = install.bin_dir / "hadeck"
    version = install.run(hadeck, "--version")
    assert (version.returncode, version.stdout) == (0, f"hadeck {__version__}\n")
    lab = install.home / "lab"
    status = install.run(hadeck, "status", "--lab", lab, "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    doc = json.loads(status.stdout)
    assert (doc["origin"], doc["local_node"]) == ("lab", "jupiter1")
    assert doc["health"]["overall"] == "OK"


def test_linked_plugin_answers_on_the_lab(install: Install) -> None:
    lab = install.home / "lab"
    if not (lab / "world.json").exists():  # made by hadeck status --lab above
        install.run(install.bin_dir / "hadeck", "status", "--lab", lab)
    check = install.run(install.plugin_dir / "check_hadeck_cluster", "--lab", lab)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("HADECK CLUSTER OK - DC "), check.stdout
    assert "nodes_online=3;" in check.stdout
