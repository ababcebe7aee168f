"""The batch script (hadeck/batch.py) run by a real POSIX sh, and its framing.

Run here with /bin/sh (dash on Debian, as on a peer) exactly as sshd would run it: each
command under its own timeout, one's failure its own result, names kept as data, every
byte of every output back, and garbled output refused rather than misread.
"""

from __future__ import annotations

import shlex
import subprocess
import time

import pytest

from hadeck.batch import SCRIPT, Frame, FrameError, parse_frames, remote_argv


def run_batch(commands: list[tuple[float, list[str]]], max_bytes: int = 2**20
              ) -> tuple[list[Frame], float]:
    # As over ssh: one string for the remote shell, quoted by shlex.join.
    start = time.monotonic()
    done = subprocess.run(["sh", "-c", shlex.join(remote_argv(commands, max_bytes))],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return parse_frames(done.stdout, len(commands)), time.monotonic() - start


def test_every_result_is_its_own() -> None:
    name = "it's; echo $HOME `id` \"q\"\nsecond line"
    frames, _ = run_batch([
        (5, ["printf", "%s", name]),
        (5, ["hadeck-no-such-tool", "--x"]),
        (5, ["sh", "-c", "echo out; echo err >&2; exit 3"]),
        (5, ["cat", "/nonexistent/hadeck"]),
        (5, ["head", "-c", "300000", "/dev/urandom"]),
    ])
    assert frames[0].returncode == 0 and frames[0].stdout == name.encode()
    assert frames[1].returncode == 127  # as env(1) said it before: missing
    assert (frames[2].returncode, frames[2].stdout, frames[2].stderr) == (3, b"out\n", b"err\n")
    assert frames[3].returncode == 1 and b"No such file or directory" in frames[3].stderr
    assert len(frames[4].stdout) == 300000  # binary bytes, CR and NUL included, counted


def test_each_command_has_its_own_timeout_and_they_run_at_once() -> None:
    frames, took = run_batch([
        (0.5, ["sleep", "30"]),
        (5, ["sleep", "1"]),
        (5, ["sleep", "1"]),
        (5, ["echo", "quick"]),
    ])
    assert frames[0].returncode == 124  # timeout(1) stopped it
    assert [f.returncode for f in frames[1:]] == [0, 0, 0]
    assert frames[3].stdout == b"quick\n"
    assert took < 2.5, "the commands ran one after another"
    assert 0.9 <= frames[1].duration <= 2.0


def test_a_command_that_ignores_term_is_killed() -> None:
    frames, took = run_batch([(0.5, ["sh", "-c", "trap '' TERM; sleep 30"])])
    assert frames[0].returncode in (124, 137)
    assert took < 5


def test_too_much_output_is_said_not_cut() -> None:
    frames, _ = run_batch([(5, ["head", "-c", "5000", "/dev/zero"]), (5, ["echo", "ok"])],
                          max_bytes=4096)
    assert frames[0].too_large and frames[0].stdout == b""
    assert not frames[1].too_large and frames[1].stdout == b"ok\n"


def test_no_temporary_files_are_left() -> None:
    def listed() -> set[str]:
        return set(subprocess.run(
            ["sh", "-c", "ls -d /dev/shm/hadeck-batch.* /tmp/tmp.* 2>/dev/null"],
            capture_output=True, text=True).stdout.split())
    before = listed()
    run_batch([(5, ["echo", "x"]), (0.3, ["sleep", "5"])])
    assert listed() <= before


def test_the_script_takes_no_data_into_its_text() -> None:
    # The names travel as arguments; the script is the same text whatever they are.
    argv = remote_argv([(1, ["virsh", "dominfo", "vm'; rm -rf /"])], 10)
    assert argv[:4] == ["sh", "-c", SCRIPT, "hadeck-batch"]
    assert "rm -rf /" not in SCRIPT and argv[-1] == "vm'; rm -rf /"


@pytest.mark.parametrize("data", [
    b"",
    b"Traceback (most recent call last):\n",
    b"hadeck-batch 2 1\n",
    b"hadeck-batch 1 2\n0 0 1.00 1.01 3 0 0\nhadeck-batch-data\nabc",
    b"hadeck-batch 1 1\n0 0 1.00 1.01 3 0 0\nhadeck-batch-data\nab",
    b"hadeck-batch 1 1\n0 0 1.00 1.01 3 0 0\nhadeck-batch-data\nabcd",
    b"hadeck-batch 1 1\n1 0 1.00 1.01 3 0 0\nhadeck-batch-data\nabc",
    b"hadeck-batch 1 1\n0 0 1.00 1.01 3 0 0\nabc",
])
def test_garbled_frames_are_refused(data: bytes) -> None:
    with pytest.raises(FrameError):
        parse_frames(data, 1)


def test_a_frame_read_back() -> None:
    (frame,) = parse_frames(b"hadeck-batch 1 1\n0 - 12.50 - 3 2 0\nhadeck-batch-data\n"
                            b"abcde", 1)
    assert frame == Frame(None, 0.0, b"abc", b"de", False)
