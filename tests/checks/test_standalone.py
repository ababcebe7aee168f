"""A plugin started as its console script ends as fast as it can, saying the same.

``hadeck/checks/__init__.py``: started as ``check_hadeck_<name>`` (as Nagios starts it), a
plugin runs without the cyclic garbage collector and ends, once it has printed, without
the interpreter's finalization (issue 15: ~14 % of a whole run together). Its output and
exit code must be the very ones of the same plugin called in process, every line must
reach a pipe, and other exit handlers (ssh's, logging's) must still run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import bundles
from tests.checks.helpers import call_plugin

SCRIPT = """
import atexit, gc, sys
sys.argv = [{argv0!r}, *{args!r}]
from hadeck.checks.{plugin} import main
class Finalized:
    def __del__(self):
        print("finalized", file=sys.stderr)
FINALIZED = Finalized()  # its __del__ runs only if the module is torn down
atexit.register(print, "exit handler ran", file=sys.stderr)
print("gc enabled:", gc.isenabled(), file=sys.stderr)
sys.exit(main())
"""
"""What a console script does (``sys.exit(main())``), with witnesses on stderr."""


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundles.seed_cluster(tmp_path_factory.mktemp("standalone") / "seed")


def as_script(plugin: str, argv0: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(plugin=plugin, argv0=argv0, args=list(args))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("plugin", ["drbd", "cluster", "lvs"])
def test_a_console_script_says_what_the_plugin_says(plugin: str, seed_bundle: Path) -> None:
    """Same stdout (every line of -v's long output, through a pipe) and exit code as in
    process; no collector, no finalization; the other exit handlers ran."""
    args = ("--from", str(seed_bundle), "-v")
    proc = as_script(plugin, f"/usr/local/bin/check_hadeck_{plugin}", *args)
    expected = call_plugin(plugin, *args)
    assert proc.stdout == expected.stdout and len(proc.stdout.splitlines()) > 1
    assert proc.returncode == expected.returncode
    assert "gc enabled: False" in proc.stderr
    assert "exit handler ran" in proc.stderr
    assert "finalized" not in proc.stderr


def test_a_bad_option_is_still_one_line_and_exit_3(seed_bundle: Path) -> None:
    proc = as_script("drbd", "check_hadeck_drbd", "--from", str(seed_bundle), "-w", "x")
    assert proc.returncode == 3
    assert proc.stdout.startswith("HADECK DRBD UNKNOWN - ") and len(proc.stdout.splitlines()) == 1


def test_code_that_imports_a_plugin_keeps_the_interpreter_as_it_is(seed_bundle: Path) -> None:
    """Under another name (a test, ``python -m``, a face) nothing changes: the collector
    runs and the interpreter finalizes as usual."""
    proc = as_script("drbd", "/usr/bin/some_tool", "--from", str(seed_bundle))
    assert proc.stdout.startswith("HADECK DRBD ")
    assert "gc enabled: True" in proc.stderr
    assert "finalized" in proc.stderr
    import gc

    assert gc.isenabled()  # this pytest process imported hadeck.checks too
