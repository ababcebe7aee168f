"""``hadeck`` on the lab as a person types it: piped, with ``--lab`` before or after the
subcommand, with and without a directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hadeck.cli.main import build_parser, lab_before_command
from hadeck.lab import faults
from hadeck.lab.world import Lab


def hadeck(lab: Lab, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command through a pipe (stdout is not a terminal) and no $COLUMNS, as in
    ``hadeck status | less`` or from cron."""
    return subprocess.run([sys.executable, "-m", "hadeck.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                               "HADECK_LAB": str(lab.directory)})


def test_piped_status_keeps_every_address_and_word_whole(lab: Lab) -> None:
    faults.kill_rs(lab, "192.0.2.22")
    run = hadeck(lab, "status", "--lab")
    out = run.stdout
    assert run.returncode in (0, 1, 2), run.stderr
    for header in ("Virtual service", "Real server", "Inactive", "Scheduler", "Health"):
        assert header in out
    for address in ("192.0.2.21:80", "192.0.2.23:80", "192.0.2.21:22", "TCP 192.0.2.80:80"):
        assert address in out
    # Nothing folded: every address on the page is whole (not "192. / 0.2."), no header
    # is cut ("Ina / ctive").
    pieces = re.findall(r"\b192\.[0-9.:]*", out)
    assert pieces and all(re.fullmatch(r"192\.0\.2\.\d+(:\d+)?", p) for p in pieces), pieces
    assert not re.search(r"│ ?(Ina|Sche|Acti|Healt) *│", out), out


def test_piped_status_honours_columns(lab: Lab, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "hadeck.cli", "status", "--lab",
                          str(lab.directory)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                              "COLUMNS": "100"})
    assert max(len(line) for line in run.stdout.splitlines()) <= 100


def test_lab_before_the_subcommand_is_not_a_directory(lab: Lab, tmp_path: Path) -> None:
    status = hadeck(lab, "--lab", "status", "--json", cwd=tmp_path)
    assert status.returncode in (0, 1, 2), status.stderr
    assert '"origin": "lab"' in status.stdout
    explain = hadeck(lab, "--lab", "explain", "vm1", cwd=tmp_path)
    assert explain.returncode == 0, explain.stderr
    assert explain.stdout.startswith("vm1 runs on jupiter1")
    # No lab was created in directories named for the subcommands.
    assert not (tmp_path / "status").exists() and not (tmp_path / "explain").exists()


def test_lab_option_parsing() -> None:
    parser = build_parser()

    def parse(*argv: str) -> tuple[str | None, str | None]:
        commands = frozenset({"status", "explain", "snapshot", "lab"})
        args = parser.parse_args(lab_before_command(argv, commands))
        return args.lab, args.command

    assert parse("--lab", "status") == ("", "status")
    assert parse("--lab", "/srv/lab", "status") == ("/srv/lab", "status")
    assert parse("--lab", "./status", "status") == ("./status", "status")
    assert parse("--lab") == ("", None)
    assert parse("--config", "status", "--lab", "explain", "vm1")[1] == "explain"
    assert parse("status", "--lab") == ("", "status")
    assert parse("explain", "--lab", "/srv/lab", "vm1") == ("/srv/lab", "explain")


def test_snapshot_of_a_named_lab(lab: Lab, tmp_path: Path) -> None:
    for i, argv in enumerate((["snapshot", "--lab", str(lab.directory)],
                              ["--lab", str(lab.directory), "snapshot"],
                              ["--lab", "snapshot"])):
        bundle = tmp_path / f"b{i}.tar.gz"
        run = hadeck(lab, *argv, str(bundle))
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith(f"wrote {bundle}: ")
        assert bundle.is_file()
    # With only one word after --lab, that word is the lab: snapshot says what it lacks.
    run = hadeck(lab, "snapshot", "--lab", str(tmp_path / "x.tar.gz"))
    assert run.returncode == 3
    assert run.stderr.startswith("hadeck: snapshot needs a FILE.tar.gz")
    assert "was taken as the lab's directory: write 'hadeck snapshot FILE --lab'" in run.stderr
    assert not (tmp_path / "x.tar.gz").exists()
    # Given after the file, the bare --lab is the default lab.
    run = hadeck(lab, "snapshot", str(tmp_path / "y.tar.gz"), "--lab")
    assert run.returncode == 0, run.stderr
