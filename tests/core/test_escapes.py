"""Escape injection: names from the cluster reach no terminal raw, in any face.

The cluster is :mod:`tests.hostile`: a guest, a DRBD resource, a VRRP instance, a failed
action's reason, a mount point and a tool's error output carry ESC, BEL, CR, the 8-bit
CSI, a right-to-left override and a lone surrogate, each in its tool's own format. Every
face is run as a person or Nagios runs it, and its output bytes are read as they are
(no newline translation: a CR must be seen).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import hostile
from tests.checks.helpers import split_perf

ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "250", "HOME": "/nonexistent", "LC_ALL": "C.UTF-8"}
PLUGINS = ("cluster", "drbd", "guests", "lvs", "pingd", "corosync", "node")


def run(module: str, *args: str) -> tuple[str, str, int]:
    """stdout and stderr exactly as written (surrogates kept), and the exit code."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          timeout=60, env=ENV)
    return (done.stdout.decode("utf-8", "surrogateescape"),
            done.stderr.decode("utf-8", "surrogateescape"), done.returncode)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.cluster(tmp_path_factory.mktemp("hostile") / "bundle")


def test_status_shows_every_name_escaped(bundle: Path) -> None:
    out, err, code = run("hadeck.cli", "status", "--from", str(bundle))
    assert code == 2, err  # vm1 is not where Pacemaker runs it: CRITICAL, no traceback
    assert hostile.raw_controls(out) == set()
    for shown in ("web\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m", "r0|\\x07\\x9b2J\\u202eevil",
                  "VI_\\x1b[5mWEB", "Simulated\\rOK\\naction result",
                  "QUORUM service\\x1b]2;owned\\x07"):
        assert shown in out


def test_status_in_colour_writes_only_its_own_colours(bundle: Path) -> None:
    # As on a terminal: rich's own SGR sequences, and no other escape at all.
    done = subprocess.run([sys.executable, "-m", "hadeck.cli", "status", "--from", str(bundle)],
                          capture_output=True, timeout=60, env={**ENV, "FORCE_COLOR": "1"})
    out = done.stdout.decode("utf-8", "surrogateescape")
    assert "\x1b[" in out  # it is in colour
    without_colours = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert hostile.raw_controls(without_colours) == set()


def test_json_carries_the_real_names(bundle: Path) -> None:
    out, _, _ = run("hadeck.cli", "status", "--from", str(bundle), "--json")
    # json.dumps escapes every control character (and, ensure_ascii, everything else).
    assert hostile.raw_controls(out) == set()
    assert out.isascii()
    doc = json.loads(out)
    state = doc["state"]
    assert hostile.GUEST in {g["name"] for g in state["guests"]}
    assert hostile.DRBD in {r["name"] for r in state["drbd"]}
    assert hostile.VRRP in {v["name"] for d in state["lvs"] for v in d["vrrp"]}
    assert hostile.MOUNT in {d["mountpoint"] for h in state["hosts"] for d in h["disks"]}
    reasons = [f["exit_reason"] for f in state["pacemaker"]["failed_actions"]]
    assert hostile.EXIT_REASON in reasons


# Icinga 2's reading of perfdata (lib/base/perfdatavalue.cpp, SplitPerfdata): blanks
# separate values outside single quotes; a label ends at its last '='; then
# value[UOM];warn;crit;min;max with numbers.
_VALUE = re.compile(r"^-?\d+(\.\d+)?([a-zA-Z%]*)(;[^;]*){0,4}$")


def perfdata_items(text: str) -> list[tuple[str, str]]:
    items = split_perf(text.strip())
    out = []
    for item in items:
        label, _, value = item.rpartition("=")
        assert label and _VALUE.match(value), item
        out.append((label.strip("'"), value))
    return out


@pytest.mark.parametrize("plugin", PLUGINS)
def test_plugin_output_has_no_controls_and_parseable_perfdata(bundle: Path, plugin: str) -> None:
    for verbose in ((), ("-v",)):
        out, err, code = run(f"hadeck.checks.{plugin}", "--from", str(bundle), *verbose)
        assert code in (0, 1, 2, 3), err
        assert hostile.raw_controls(out) == set(), out
        assert "warning: removed illegal characters" not in out  # nagiosplugin's own
        lines = out.rstrip("\n").split("\n")
        if not verbose:
            assert len(lines) == 1, out  # one status line: a name cannot add another
        # Nagios: what follows the first '|' is perfdata, on the first line and in the
        # long output; nothing a name says may contain one.
        text_lines = [line.split("|")[0] for line in lines]
        perf = [line.split("|", 1)[1] for line in lines if "|" in line]
        assert all(line.count("|") <= 1 for line in lines), out
        for part in perf:
            for label, _ in perfdata_items(part):
                assert label.isprintable() and "'" not in label and "=" not in label
        assert text_lines[0].startswith(f"HADECK {plugin.upper()} ")


def test_plugin_shows_the_names_visibly(bundle: Path) -> None:
    out, _, _ = run("hadeck.checks.guests", "--from", str(bundle), "-v")
    assert "web\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m@jupiter1" in out
    out, _, _ = run("hadeck.checks.drbd", "--from", str(bundle))
    status, perf = out.split("|")  # the DRBD name's own '|' did not open the perfdata
    assert "r0\\x7c\\x07\\x9b2J\\u202eevil" in status
    assert {label for label, _ in perfdata_items(perf)} >= {"r0_2J_evil/bravo/0_oos"}
    out, _, _ = run("hadeck.checks.cluster", "--from", str(bundle))
    assert "Simulated\\rOK\\naction result" in out
    out, _, _ = run("hadeck.checks.node", "--from", str(bundle), "-v")
    assert "/srv/\\x1b[8mhidden\\udcff@jupiter1" in out


def test_config_shows_keys_escaped(tmp_path: Path) -> None:
    # A quoted TOML key may hold any character, written as \\u001b.
    config = tmp_path / "hadeck.toml"
    config.write_text('[lvs.expected]\n"www\\u001b]0;pwned\\u0007" = 3\n')
    out, err, code = run("hadeck.cli", "config", "--config", str(config))
    assert code == 0, err
    assert hostile.raw_controls(out) == set()
    assert 'lvs.expected."www\\x1b]0;pwned\\x07" = 3' in out
