"""share/keepalived/hadeck-weights.conf: keepalived's own check accepts it, and every
misc_path in it is a command line hadeck accepts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from hadeck.cli.main import build_parser
from hadeck.weights import KEEPALIVED_MAX

SNIPPET = Path(__file__).resolve().parents[2] / "share" / "keepalived" / "hadeck-weights.conf"
KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    if not Path(KEEPALIVED).exists():
        pytest.skip("keepalived is not installed")
    return subprocess.run([KEEPALIVED, "-t", "-f", str(path)], capture_output=True,
                          text=True, timeout=30)


def test_keepalived_accepts_the_snippet() -> None:
    run = check(SNIPPET)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Unknown keyword" not in run.stdout + run.stderr


def test_keepalived_would_refuse_a_broken_one(tmp_path: Path) -> None:
    """The check above can fail: a misspelt misc_dynamic is refused by the same tool."""
    broken = tmp_path / "broken.conf"
    broken.write_text(SNIPPET.read_text().replace("misc_dynamic", "misc_dynamc"))
    run = check(broken)
    assert run.returncode != 0
    assert "Unknown keyword 'misc_dynamc'" in run.stdout + run.stderr


def test_every_misc_check_is_a_dynamic_hadeck_weights_call() -> None:
    text = SNIPPET.read_text()
    blocks = re.findall(r"MISC_CHECK \{(.*?)\}", text, re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert "misc_dynamic" in block
        (path,) = re.findall(r'misc_path "([^"]+)"', block)
        argv = shlex.split(path)
        assert argv[0].endswith("/hadeck")
        args = build_parser().parse_args(argv[1:])
        assert args.command == "weights" and args.keepalived
    for weight in re.findall(r"^\s*weight (\d+)$", text, re.M):
        assert int(weight) <= KEEPALIVED_MAX
