"""A check plugin loads what its own check needs, nothing else.

Nagios starts every plugin anew, thousands of times an hour; what a plugin imports is most
of what it costs (issue 15: each plugin whole run was 10-11.6x a bare start, three
quarters of it imports it did not use). FACTS.md: ``textual.app`` alone ~0.35 s, pysnmp
~0.2 s. Each plugin runs here as Nagios runs it, in a fresh interpreter, a whole run on a
bundle of real captures; then the modules it loaded are checked against:

- what no plugin may load (:data:`NEVER`): the faces' libraries, asyncio, the thread
  pool, the parts of hadeck a check does not use (ssh, the lab, the dashboard, SNMP
  polling, JSON reports), tomllib without a configuration file, tarfile for a directory
  bundle (a ``.tar.gz`` one needs it: :func:`test_a_tarball_bundle_may_load_tarfile`);
- the areas of the others (:data:`AREAS`): a DRBD check loads hadeck's DRBD model, source
  and rules, not Pacemaker's, LVS's or the host's.

``bench/checks.py`` measures what the imports left cost.
"""

from __future__ import annotations

import functools
import json
import pkgutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import hadeck.checks
from hadeck.snapshot import TOP
from tests import bundles

MODULES = sorted(m.name for m in pkgutil.iter_modules(hadeck.checks.__path__))
"""Every module of hadeck.checks (common and each plugin), found by walking the package."""
PLUGINS = [m for m in MODULES if m != "common"]

NEVER = (
    "textual", "rich", "asyncio", "pysnmp", "psutil", "concurrent", "tomllib", "tarfile",
    "socket", "ssl", "http", "email", "sqlite3",
    "hadeck.tui", "hadeck.cli", "hadeck.actions", "hadeck.lab", "hadeck.watch",
    "hadeck.ssh", "hadeck.batch", "hadeck.snmp.poller", "hadeck.snmp.parse",
    "hadeck.snmp.ber",
    "hadeck.report", "hadeck.serial", "hadeck.probes.prober", "hadeck.probes.icmp",
    # What the model's representation and the bundle reading no longer need (issue 15):
    # dataclasses generated code at import and pulled inspect, ast and dis in; typing is
    # ~10 % of a plugin's start; pathlib pulls urllib.parse and ipaddress; outfile writes.
    "dataclasses", "inspect", "ast", "dis", "typing", "pathlib", "urllib", "ipaddress",
    "hadeck.outfile",
    # A command is described without shlex unless an argument needs quoting.
    "shlex",
)
"""No plugin loads these on a bundle (a package stands for all of its modules).

psutil gathers host facts on a live node only (check_hadeck_node there); a bundle
replays them."""

PACEMAKER_XML = ("xml",)
"""Only a plugin that reads Pacemaker parses (and redacts) XML."""

AREA_MODULES = {
    "pacemaker": ("hadeck.model.pacemaker", "hadeck.sources.pacemaker",
                  "hadeck.health.pacemaker", "hadeck.placement",
                  # pingd is a Pacemaker node attribute: its verdicts witness a grouped
                  # cause (lost ping nodes) in every plugin that reads Pacemaker.
                  "hadeck.health.connectivity",
                  # Pacemaker's parameters and attributes are the only secrets a state holds.
                  "hadeck.redact", *PACEMAKER_XML),
    "drbd": ("hadeck.model.drbd", "hadeck.sources.drbd", "hadeck.sources.drbd_proc",
             "hadeck.health.drbd"),
    "guests": ("hadeck.model.guests", "hadeck.sources.guests", "hadeck.health.guests",
               # The join of guests with Pacemaker and of corosync's peers with its nodes.
               "hadeck.join"),
    "lvs": ("hadeck.model.lvs", "hadeck.sources.lvs", "hadeck.sources.keepalived",
            "hadeck.health.lvs"),
    "corosync": ("hadeck.model.corosync", "hadeck.sources.corosync",
                 "hadeck.health.connectivity", "hadeck.join"),
    "host": ("hadeck.model.host", "hadeck.sources.host", "hadeck.health.host"),
    "pings": ("hadeck.model.probes", "hadeck.probes", "hadeck.health.connectivity"),
    "snmp": ("hadeck.model.snmp",),
    "storage": ("hadeck.model.storage", "hadeck.health.storage"),
    "lvm": ("hadeck.sources.lvm",),
    "backups": ("hadeck.sources.backups",),
}
"""Each area's modules: its model classes, its source, its rules."""

AREAS = {
    "cluster": {"pacemaker", "corosync", "guests", "drbd"},
    "drbd": {"drbd"},
    "guests": {"guests", "pacemaker"},
    "lvs": {"lvs"},
    "pingd": {"pacemaker", "pings"},
    "corosync": {"corosync"},
    "node": {"host"},
    "lvm": {"storage", "lvm", "drbd"},
    "backup": {"storage", "backups"},
}
"""The areas each plugin judges (its sources, as in its ``Plugin``)."""


READS_DATES = {"backup"}
"""The plugins that parse a date with datetime on the seed bundle (a backup's time); the
others load neither datetime nor calendar (issue 15: they load on use, and a constraint's
lifetime is read without them: ``hadeck.dates.timegm``)."""


def forbidden(plugin: str) -> tuple[str, ...]:
    """What ``plugin`` must not load: :data:`NEVER`, the modules of other areas, and the
    date modules unless it parses a date (:data:`READS_DATES`)."""
    mine = {m for area in AREAS[plugin] for m in AREA_MODULES[area]}
    others = {m for area, mods in AREA_MODULES.items() if area not in AREAS[plugin]
              for m in mods} - mine
    dates = () if plugin in READS_DATES else ("datetime", "calendar")
    return (*NEVER, *dates, *sorted(others))


def offending(loaded: list[str], names: tuple[str, ...]) -> list[str]:
    """The loaded modules that are one of ``names`` or inside one of those packages."""
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


RUN = """
import json, runpy, sys
sys.argv = ["check_hadeck_{plugin}", *{args!r}]
try:
    runpy.run_module("hadeck.checks.{plugin}", run_name="__main__")
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@functools.cache
def at_start() -> frozenset[str]:
    """What this interpreter loads before any code of ours: an editable install's import
    hook loads pathlib (with urllib.parse and ipaddress) there; a normal install does not."""
    return frozenset(json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=60, check=True).stdout))


def whole_run(plugin: str, bundle: Path | None, tmp: Path) -> tuple[str, list[str]]:
    """A plugin's status line and every module it loaded, in a fresh interpreter (on this
    machine, as Nagios runs it, when ``bundle`` is None)."""
    args = ["--from", str(bundle)] if bundle else []
    proc = subprocess.run([sys.executable, "-c", RUN.format(plugin=plugin, args=args)],
                          capture_output=True, text=True, timeout=60, cwd=tmp,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp)})
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout.splitlines()[0], sorted(set(loaded) - at_start())


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundles.seed_cluster(tmp_path_factory.mktemp("hygiene") / "seed", storage=True)


def test_the_walk_finds_every_plugin() -> None:
    """Each module but common is a plugin with its console script (pyproject.toml), and
    each plugin has its areas above."""
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    scripts = {target for name, target in pyproject["project"]["scripts"].items()
               if name.startswith("check_hadeck_")}
    assert {f"hadeck.checks.{p}:main" for p in PLUGINS} == scripts
    assert set(AREAS) == set(PLUGINS)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_whole_run_loads_only_its_own_area(plugin: str, seed_bundle: Path,
                                             tmp_path: Path) -> None:
    """A whole run on a bundle of every source: it judged (its status line), and nothing
    outside its list was imported on the way."""
    line, loaded = whole_run(plugin, seed_bundle, tmp_path)
    assert line.startswith(f"HADECK {plugin.upper()} "), line
    assert " UNKNOWN - " not in line, line
    assert offending(loaded, forbidden(plugin)) == [], line


def test_the_list_catches_a_plugin_that_reads_everything(seed_bundle: Path,
                                                         tmp_path: Path) -> None:
    """The check can fail: ``hadeck status --json`` on the same bundle loads what the DRBD
    plugin must not (every area, the thread pool)."""
    code = ("import json, sys\nfrom hadeck.cli.main import main\ntry:\n"
            f"    main(['status', '--from', {str(seed_bundle)!r}, '--json'])\n"
            "except SystemExit:\n    pass\nprint(json.dumps(sorted(sys.modules)), "
            "file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    caught = offending(loaded, forbidden("drbd"))
    assert "hadeck.model.pacemaker" in caught
    assert "hadeck.sources.lvs" in caught


def test_a_tarball_bundle_may_load_tarfile(seed_bundle: Path, tmp_path: Path) -> None:
    """``--from FILE.tar.gz`` needs tarfile and gzip; the rest of the list still holds."""
    tarball = tmp_path / "seed.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(seed_bundle, arcname=TOP)
    line, loaded = whole_run("drbd", tarball, tmp_path)
    assert line.startswith("HADECK DRBD OK - "), line
    assert "tarfile" in loaded
    assert offending(loaded, tuple(n for n in forbidden("drbd") if n != "tarfile")) == []


def test_a_live_run_loads_no_bundle_code(tmp_path: Path) -> None:
    """On a node (here: whatever this machine has; the DRBD tools may be missing, which is
    an UNKNOWN with its reason) no bundle reading, no pathlib: a Nagios host runs this."""
    line, loaded = whole_run("drbd", None, tmp_path)
    assert line.startswith("HADECK DRBD "), line
    assert offending(loaded, (*forbidden("drbd"), "pathlib", "hadeck.snapshot",
                            "hadeck.outfile", "gzip")) == [], line
