"""What every plugin must do, as the Monitoring Plugins guidelines say: exit 3 with one line
for its own errors (bad option, bad range, bad timeout, unreadable bundle or config, no
lab), ``--help`` and ``--version``, never a traceback, nothing on stderr.

The plugins run in this process (:func:`tests.checks.helpers.call_plugin`); one smoke
test per plugin runs its installed console script, as Nagios does, and finds the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

from tests import bundles
from tests.checks.helpers import (
    DRBD9_PROC,
    PLUGINS,
    make_bundle,
    read_output,
    run_check,
    run_raw,
    sample,
)

TITLE = {p: f"HADECK {p.upper()}" for p in PLUGINS}


def one_unknown_line(plugin: str, *args: str | Path) -> str:
    proc = run_raw(plugin, *args)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith(f"{TITLE[plugin]} UNKNOWN - "), lines[0]
    return lines[0][len(f"{TITLE[plugin]} UNKNOWN - "):]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_help_and_version_exit_unknown(plugin: str) -> None:
    proc = run_raw(plugin, "--help")
    assert proc.returncode == 3
    assert proc.stdout.startswith(f"usage: check_hadeck_{plugin} ")
    for option in ("--timeout", "--verbose", "--from", "--lab", "--sudo", "--version"):
        assert option in proc.stdout
    proc = run_raw(plugin, "-V")
    assert proc.returncode == 3
    assert proc.stdout.startswith(f"check_hadeck_{plugin} (hadeck ")


@pytest.mark.parametrize("plugin", PLUGINS)
def test_bad_options_are_one_unknown_line(plugin: str) -> None:
    assert "unrecognized arguments: --frobnicate" in one_unknown_line(plugin, "--frobnicate")
    assert "invalid timeout '0'" in one_unknown_line(plugin, "-t", "0")
    assert "invalid timeout '2.5'" in one_unknown_line(plugin, "--timeout", "2.5")
    assert "not allowed with argument" in one_unknown_line(plugin, "--from", "x", "--lab", "y")
    range_option = "--disk-warning" if plugin == "node" else "-w"
    for bad in ("10:5", "1e5", "abc", "1:2:3"):
        assert f"invalid range '{bad}'" in one_unknown_line(plugin, range_option, bad)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_unreadable_inputs_are_one_unknown_line(plugin: str, tmp_path: Path) -> None:
    text = one_unknown_line(plugin, "--from", tmp_path / "missing.tar.gz")
    assert text == f"cannot read bundle: {tmp_path / 'missing.tar.gz'}: no such file or directory"
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    assert one_unknown_line(plugin, "--from", garbage).startswith("cannot read bundle: ")
    no_meta = tmp_path / "dir"
    no_meta.mkdir()
    assert "no meta.json" in one_unknown_line(plugin, "--from", no_meta)
    config = tmp_path / "bad.toml"
    config.write_text("[cluster\n")
    assert one_unknown_line(plugin, "--config", config).startswith("configuration: ")
    assert one_unknown_line(plugin, "--lab", tmp_path / "nolab").startswith(
        "cannot open the lab: no lab in ")


def test_tar_gz_bundle_and_bundle_node_option(tmp_path: Path) -> None:
    """A .tar.gz bundle as `hadeck snapshot` writes it, read for another node with --node."""
    from hadeck.runner import Command, CommandResult
    from hadeck.snapshot import Record, write_bundle

    events = sample("drbd-events2", "connecting-peer-down.txt")
    records = [
        Record(node, Command("drbd/proc-drbd.txt", path="/proc/drbd"),
               CommandResult(("cat", "/proc/drbd"), DRBD9_PROC))
        for node in ("alpha", "bravo")
    ] + [Record("bravo", Command("drbd/events2.txt", ("drbdsetup", "events2")),
                CommandResult(("drbdsetup", "events2"), events))]
    path = write_bundle(tmp_path / "snap.tar.gz", records, "alpha", 1_700_000_000.0)
    out = run_check("drbd", "--from", path)
    assert out.returncode == 3  # alpha has no events2 recorded: drbdsetup "not found"
    out = run_check("drbd", "--from", path, "--node", "bravo")
    assert out.returncode == 2
    assert out.text.startswith("r0@bravo → bravo: peer not connected")


def test_config_drbd_states_apply_and_command_line_wins(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "alpha", {
        "drbd/proc-drbd.txt": DRBD9_PROC,
        "drbd/events2.txt": sample("drbd-events2", "syncsource-in-progress.txt")})
    config = tmp_path / "hadeck.toml"
    config.write_text('[drbd.states]\nSyncSource = "OK"\n')
    assert run_check("drbd", "--from", bundle, "--config", config).returncode == 0
    out = run_check("drbd", "--from", bundle, "--config", config,
                    "--critical-states", "SyncSource")
    assert out.returncode == 2


def test_critical_outranks_unknown(tmp_path: Path) -> None:
    """hadeck's ranking, not nagiosplugin's: an UNKNOWN never hides a CRITICAL."""
    bundle = make_bundle(tmp_path / "b", "alpha", {
        "drbd/proc-drbd.txt": sample("proc-drbd", "84-wfconnection-peer-down.txt")})
    out = run_check("drbd", "--from", bundle, "-v", "--unknown-states", "UpToDate")
    assert out.returncode == 2, out.stdout
    assert out.long[0].startswith("CRITICAL: ")
    assert any(line.startswith("UNKNOWN: ") for line in out.long)


def test_verbose_output_shape(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "alpha", {
        "drbd/proc-drbd.txt": DRBD9_PROC,
        "drbd/events2.txt": sample("drbd-events2", "healthy-primary-2node.txt")})
    out = run_check("drbd", "--from", bundle, "-vvv")
    assert out.returncode == 0
    assert " | " not in out.status  # perfdata moves below the long output
    assert out.long and all(line.split(":")[0] in ("OK", "WARNING", "CRITICAL", "UNKNOWN")
                            for line in out.long)
    assert out.perf


def test_timeout_kills_a_hung_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tool that hangs is killed inside -t and reported; the plugin still answers."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "corosync-cfgtool").write_text("#!/bin/sh\nsleep 30\n")
    (fake / "corosync-cfgtool").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    start = time.monotonic()
    proc = run_raw("corosync", "-t", "2")
    took = time.monotonic() - start
    assert proc.returncode == 3, proc.stdout
    assert took < 5, took
    assert proc.stdout.startswith("HADECK COROSYNC UNKNOWN - ")
    assert "timed out" in proc.stdout or "time (-t) is used up" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    json.dumps(proc.stdout)  # printable


def installed_script(plugin: str) -> Path:
    """``check_hadeck_<plugin>`` as pip installed it, with this Python's scripts."""
    script = Path(sysconfig.get_path("scripts")) / f"check_hadeck_{plugin}"
    assert script.exists(), f"{script} is not installed: run scripts/setup --test"
    return script


@pytest.mark.parametrize("plugin", PLUGINS)
def test_installed_plugin_answers_as_in_process(plugin: str, tmp_path: Path) -> None:
    """Smoke test, one process per plugin: the console script Nagios runs prints and exits
    exactly as the in-process calls the other tests make."""
    bundle = bundles.seed_cluster(tmp_path / "bundle")
    args = ("--from", str(bundle), "-v")
    proc = subprocess.run([installed_script(plugin), *args], capture_output=True, text=True,
                          timeout=60)
    out = read_output(proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr == ""
    assert out.status.startswith(f"HADECK {plugin.upper()} ")
    here = run_raw(plugin, *args)
    assert (proc.returncode, proc.stdout) == (here.returncode, here.stdout)
