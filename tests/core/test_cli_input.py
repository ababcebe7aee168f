"""Bad command-line input: one line that says what is wrong, and the right exit code.

``hadeck status`` and the plugins exit 3 (UNKNOWN) when they cannot do what was asked; a
usage error that argparse finds exits 2 with its usage line. Never a traceback (exit 1,
which ``hadeck status`` means as WARNING), never a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import bundles


def run(tmp_path: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
                               "HADECK_LAB": str(tmp_path / "no-lab")})


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_lab_that_is_a_file(tmp_path: Path) -> None:
    done = run(tmp_path, "hadeck.cli", "status", "--lab", "/etc/passwd")
    assert done.returncode == 3
    assert one_line(done.stderr) == ("hadeck: cannot open the lab: cannot create a lab in "
                                     "/etc/passwd: not a directory")
    done = run(tmp_path, "hadeck.cli", "lab", "--dir", "/etc/passwd", "init")
    assert done.returncode == 3
    assert "not a directory" in one_line(done.stderr)


@pytest.mark.skipif(os.geteuid() != 0, reason="as a user, /proc refuses earlier")
def test_lab_where_nothing_can_be_created(tmp_path: Path) -> None:
    # As root the directory exists and is writable in name only: /proc makes no files.
    done = run(tmp_path, "hadeck.cli", "lab", "--dir", "/proc", "init")
    assert done.returncode == 3
    assert one_line(done.stderr).startswith("hadeck: lab: cannot create a lab in /proc: ")


def test_config_that_never_ends(tmp_path: Path) -> None:
    for module in ("hadeck.cli", "hadeck.checks.drbd"):
        args = ("status",) if module == "hadeck.cli" else ()
        done = run(tmp_path, module, *args, "--config", "/dev/zero", "--lab")
        assert done.returncode == 3
        assert "/dev/zero: larger than 1024 KiB" in one_line(done.stdout + done.stderr)


@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "0", "-5"])
def test_config_timeout_that_no_clock_can_wait(tmp_path: Path, value: str) -> None:
    config = tmp_path / "hadeck.toml"
    config.write_text(f"[cluster]\ntimeout = {value}\n")
    done = run(tmp_path, "hadeck.cli", "config", "--config", str(config))
    assert done.returncode == 3
    assert one_line(done.stderr).startswith(
        f"hadeck: configuration: {config}:2: cluster.timeout must be a positive number of "
        "seconds, not ")
    assert one_line(done.stderr).endswith("(at most 3600)")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_dashboard_interval_is_a_usage_error(tmp_path: Path, value: str) -> None:
    done = run(tmp_path, "hadeck.cli", f"--interval={value}", "--lab")
    assert done.returncode == 2
    assert "argument --interval" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [("step", "nan"), ("step", "inf"), ("step", "1e308"),
                                  ("step", "0"), ("init", "--guests=-1"),
                                  ("init", "--nodes=1000")])
def test_lab_numbers_out_of_range_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run(tmp_path, "hadeck.cli", "lab", "--dir", str(tmp_path / "lab"), *args)
    assert done.returncode == 2
    assert "error: argument" in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "lab").exists()


def test_plugin_timeout_too_long(tmp_path: Path) -> None:
    done = run(tmp_path, "hadeck.checks.drbd", "--lab", "-t", "99999999999999")
    assert done.returncode == 3
    assert one_line(done.stdout) == (
        "HADECK DRBD UNKNOWN - argument -t/--timeout: invalid timeout '99999999999999': "
        "3600 seconds at most (see check_hadeck_drbd --help)")


def test_messages_quoting_input_are_made_safe(tmp_path: Path) -> None:
    done = run(tmp_path, "hadeck.cli", "status", "--lab", "--area", "x\x1b]0;pwned\x07")
    assert done.returncode == 3
    assert one_line(done.stderr).startswith("hadeck: unknown area x\\x1b]0;pwned\\x07;")


def test_an_unexpected_error_is_still_one_line(tmp_path: Path) -> None:
    # A bundle whose meta.json records a duration that is not a number raised deep in the
    # bundle reader; whatever raises, the faces end in one line and exit 3.
    bundle = bundles.seed_cluster(tmp_path / "bundle")
    meta = json.loads((bundle / "meta.json").read_text())
    meta["commands"]["jupiter1/drbd/events2.txt"] = {"duration": "abc"}
    (bundle / "meta.json").write_text(json.dumps(meta))
    done = run(tmp_path, "hadeck.cli", "status", "--from", str(bundle))
    assert done.returncode == 3
    one_line(done.stderr)
    done = run(tmp_path, "hadeck.checks.drbd", "--from", str(bundle), "-v")
    assert done.returncode == 3
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("HADECK DRBD UNKNOWN - ")
