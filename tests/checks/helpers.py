"""Build bundles from real-format captures, run a plugin, read its output.

A plugin runs in this process (:func:`call_plugin`: its ``main`` with an argv, stdout and
stderr captured, the exit code taken from ``SystemExit``): the tests see only what Nagios
sees, stdout, stderr and the exit code, at a fraction of a subprocess's cost (each one
pays Python's start and the imports again). ``test_plugin_api.py`` runs every plugin once
as a subprocess too, through its installed console script. The output is read with a
strict parser of the plugin API (status line, long output, perfdata), so a label that
needs quoting, a unit off the guidelines' list or a malformed range fails the test.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import nagiosplugin

from tests.conftest import FIXTURES, SAMPLES

if TYPE_CHECKING:
    from hadeck.lab.scenario import CibScenario

PLUGINS = ("cluster", "drbd", "guests", "lvs", "pingd", "corosync", "node", "lvm", "backup")

PACEMAKER = FIXTURES / "pacemaker" / "2.1.5"

DRBD9_PROC = (
    "version: 9.2.4 (api:2/proto:86-122)\n"
    "GIT-hash: 27e5e4ad1b1f1f3e9a3b0f5a2c3d4e5f6a7b8c9d build by root@alpha, 2023-05-10\n"
    "Transports (api:18): tcp (9.2.4)\n"
)

UOMS = ("", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c")
"""Units of measure the Monitoring Plugins guidelines allow."""

_NUMBER = r"-?\d+(?:\.\d+)?"
_RANGE = rf"@?(?:(?:{_NUMBER}|~):)?(?:{_NUMBER})?"
_PERF = re.compile(
    rf"(?P<label>'(?:[^'=]|'')+'|[^'=\s]+)="
    rf"(?P<value>{_NUMBER})(?P<uom>[a-zA-Z%]*)"
    rf"(?:;(?P<warn>{_RANGE})?(?:;(?P<crit>{_RANGE})?(?:;(?P<min>{_NUMBER})?"
    rf"(?:;(?P<max>{_NUMBER})?)?)?)?)?$"
)
_STATUS = re.compile(r"^HADECK [A-Z]+ (OK|WARNING|CRITICAL|UNKNOWN)(?: - (.+))?$")
_EXIT = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


@dataclass(frozen=True)
class Perf:
    value: float
    uom: str
    warn: str
    crit: str
    min: str
    max: str


@dataclass
class Output:
    """What a plugin printed and returned, read strictly."""

    returncode: int
    stdout: str
    stderr: str
    state: str = ""
    text: str = ""
    long: list[str] = field(default_factory=list)
    perf: dict[str, Perf] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.stdout.splitlines()[0] if self.stdout else ""


def parse_perfdata(text: str) -> dict[str, Perf]:
    """Parse perfdata strictly: quoted labels, listed units, ranges, min and max."""
    out: dict[str, Perf] = {}
    for item in split_perf(text.strip()):
        match = _PERF.match(item)
        assert match, f"malformed perfdata item {item!r}"
        label = match["label"]
        if label.startswith("'"):
            label = label[1:-1].replace("''", "'")
        else:
            assert re.fullmatch(r"[^\s'=]+", label), f"label {label!r} needs quotes"
        assert match["uom"] in UOMS, f"unit {match['uom']!r} not in the guidelines: {item}"
        assert label not in out, f"label {label!r} twice"
        out[label] = Perf(float(match["value"]), match["uom"], match["warn"] or "",
                          match["crit"] or "", match["min"] or "", match["max"] or "")
    return out


def split_perf(text: str) -> list[str]:
    """Perfdata items as Icinga 2 splits them: blanks outside single quotes."""
    items, current, quoted = [], "", False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == " " and not quoted:
            if current:
                items.append(current)
            current = ""
            continue
        current += ch
    if current:
        items.append(current)
    return items


def read_output(returncode: int, stdout: str, stderr: str) -> Output:
    """Check the plugin API's shape and split the output into its parts."""
    out = Output(returncode, stdout, stderr)
    assert stdout.endswith("\n") and stdout.strip(), f"no output: {stdout!r} {stderr!r}"
    assert "Traceback" not in stdout + stderr, stdout + stderr
    lines = stdout.splitlines()
    first, _, perf = lines[0].partition(" | ")
    match = _STATUS.match(first)
    assert match, f"status line {first!r} is not 'HADECK <NAME> <STATE> - <text>'"
    out.state, out.text = match[1], match[2] or ""
    assert _EXIT[out.state] == returncode, f"{out.state} but exit {returncode}"
    perf_parts = [perf] if perf else []
    for line in lines[1:]:
        if line.startswith("| "):
            perf_parts.append(line[2:])
        else:
            assert not perf_parts[1:], "long output after the perfdata"
            out.long.append(line)
    out.perf = parse_perfdata(" ".join(perf_parts))
    return out


def run_check(plugin: str, *args: str | Path) -> Output:
    """Run ``check_hadeck_<plugin>`` with ``args`` and read its output strictly."""
    proc = call_plugin(plugin, *args)
    return read_output(proc.returncode, proc.stdout, proc.stderr)


def run_raw(plugin: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``check_hadeck_<plugin>`` with ``args``: its exit code, stdout and stderr."""
    return call_plugin(plugin, *args)


def call_plugin(plugin: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The plugin's ``main(argv)`` in this process, as a process would have run it.

    What a fresh process starts without is reset first: nagiosplugin keeps its runtime
    (output lines, verbosity, logging) in a process-wide singleton.
    """
    argv = [str(a) for a in args]
    main = importlib.import_module(f"hadeck.checks.{plugin}").main
    stdout, stderr = io.StringIO(), io.StringIO()
    code: int | str | None = None
    with _fresh_runtime(), _exit_raises(), redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    if not isinstance(code, int):  # sys.exit("text") prints it and exits 1
        stderr.write(f"{code}\n" if code is not None else "")
        code = 0 if code is None else 1
    return subprocess.CompletedProcess([f"check_hadeck_{plugin}", *argv], code,
                                       stdout.getvalue(), stderr.getvalue())


@contextmanager
def _fresh_runtime() -> Iterator[None]:
    nagiosplugin.Runtime.instance = None
    try:
        yield
    finally:
        runtime = nagiosplugin.Runtime.instance
        if runtime is not None and runtime.logchan is not None:
            logging.getLogger("nagiosplugin").removeHandler(runtime.logchan)
        nagiosplugin.Runtime.instance = None


@contextmanager
def _exit_raises() -> Iterator[None]:
    """``os._exit`` (the plugin's way out after a timeout) ends the call, not pytest."""
    def _exit(code: int) -> NoReturn:
        raise SystemExit(code)

    real = os._exit
    os._exit = _exit
    try:
        yield
    finally:
        os._exit = real


def make_bundle(root: Path, node: str, files: dict[str, str],
                commands: dict[str, dict[str, object]] | None = None) -> Path:
    """A bundle directory: ``meta.json`` plus ``<node>/<command name>`` files.

    Args:
        root: the directory to create (it must not exist yet).
        node: the host the bundle was taken on.
        files: command name (``drbd/events2.txt``) → the tool's output.
        commands: ``meta.json`` command records (``"<node>/<name>": {...}``), for
            recorded failures and exit codes.
    """
    root.mkdir(parents=True)
    meta: dict[str, object] = {"hostname": node}
    if commands:
        meta["commands"] = commands
    (root / "meta.json").write_text(json.dumps(meta))
    for name, text in files.items():
        target = root / node / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def sample(source: str, case: str) -> str:
    return (SAMPLES / source / case).read_text()


def pacemaker_fixture(name: str) -> str:
    return (PACEMAKER / name).read_text()


def host_facts(*, load: tuple[float, float, float] = (0.5, 0.4, 0.3), cpu_count: int = 4,
               memory_total: int = 16 << 30, memory_available: int = 12 << 30,
               disks: list[tuple[str, float]] | None = None) -> str:
    """A host facts document (:func:`hadeck.sources.host.gather_facts`'s format)."""
    total = 100 << 30
    entries = [
        {"mountpoint": mount, "device": f"/dev/vda{i + 1}", "fstype": "ext4",
         "total_bytes": total, "used_bytes": int(total * pct / 100),
         "free_bytes": total - int(total * pct / 100)}
        for i, (mount, pct) in enumerate(disks if disks is not None else [("/", 40.0)])
    ]
    return json.dumps({
        "schema": 1, "load": list(load), "cpu_count": cpu_count, "cpu_percent": 12.5,
        "memory_total": memory_total, "memory_available": memory_available,
        "swap_total": 2 << 30, "swap_used": 0, "uptime_s": 86400.0, "disks": entries,
    })


def pacemaker_files(scenario: CibScenario) -> dict[str, str]:
    """What crm_mon and cibadmin print for a lab scenario, under their bundle names."""
    return {
        "pacemaker/crm_mon.xml": scenario.crm_mon_xml(),
        "pacemaker/cib-configuration.xml": scenario.cib_configuration_xml(),
    }
