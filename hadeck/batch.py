"""A batch: every command a poll needs from a node, in one ssh round trip.

Over ssh each command used to be a connection of its own (11 per peer and poll, ~1.5 s
each). A batch sends them all at once to a fixed POSIX ``sh`` script, :data:`SCRIPT`,
which runs each command at the same time under its own ``timeout`` (coreutils), waits for
all, and prints every result framed by its length: exit code, start and end (the node's
/proc/uptime), the byte count of stdout and of stderr, then all the bytes. One command's
failure (missing, timed out, too much output) is that command's result only.

The script is text of this module, reviewed like any code; nothing in it comes from the
cluster. The commands travel as its positional parameters (``sh -c SCRIPT hadeck-batch
ARG…``, the whole quoted by :func:`shlex.join` for the remote shell), so a name stays data:
the script never evaluates them, it only passes them on as an argv. The positional
parameters are, after the byte limit, one group per command: its timeout in seconds,
whether it runs through ``sudo -n`` (1 or 0), its argc, then its argv.

:func:`remote_argv` builds that argv, :func:`parse_frames` reads the output back; both are
pure. The ssh side is :mod:`hadeck.ssh`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

VERSION = 1
"""The frame format :data:`SCRIPT` prints and :func:`parse_frames` reads."""

KILL_AFTER_S = 1
"""Seconds ``timeout -k`` waits after TERM before KILL, for a tool that ignores TERM."""

SCRIPT = r"""
export LC_ALL=C LANG=C
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
max=$1; shift
d=$(mktemp -d /dev/shm/hadeck-batch.XXXXXX 2>/dev/null || mktemp -d) || exit 120
trap 'rm -rf "$d"' EXIT
trap 'exit 129' HUP INT TERM PIPE
if command -v timeout >/dev/null 2>&1; then t_=timeout; else t_=; fi
hadeck_run() {
    i=$1 t=$2 u=$3; shift 3
    { read -r s _ </proc/uptime; } 2>/dev/null || s=-
    if [ "$u" = 1 ] && ! command -v "$1" >/dev/null 2>&1; then
        c=127  # sudo would only ask for a password for a tool that is not there
    else
        [ "$u" = 1 ] && set -- sudo -n "$@"
        if [ -n "$t_" ]; then timeout -k KILL_AFTER "$t" "$@"; else "$@"; fi \
            </dev/null >"$d/$i.out" 2>"$d/$i.err"
        c=$?
    fi
    { read -r e _ </proc/uptime; } 2>/dev/null || e=-
    echo "$c $s $e" >"$d/$i.rc"
}
n=0
while [ $# -ge 3 ]; do
    t=$1 u=$2 k=$3; shift 3
    [ "$k" -ge 1 ] && [ "$k" -le $# ] || exit 121
    (
        j=0
        for a do
            [ "$j" -lt "$k" ] && set -- "$@" "$a"
            j=$((j + 1))
        done
        shift "$j"
        hadeck_run "$n" "$t" "$u" "$@"
    ) &
    shift "$k"
    n=$((n + 1))
done
[ $# -eq 0 ] || exit 121
wait
i=0
while [ "$i" -lt "$n" ]; do
    for f in "$d/$i.out" "$d/$i.err"; do
        [ -f "$f" ] || : >"$f"  # a command that never started: empty, still counted
        set -- "$@" "$f"
    done
    i=$((i + 1))
done
[ "$n" -gt 0 ] && wc -c "$@" >"$d/sizes" || : >"$d/sizes"
printf 'hadeck-batch VERSION %s\n' "$n"
i=0
while [ "$i" -lt "$n" ]; do
    read -r o _
    read -r r _
    c=- s=- e=- big=0
    [ -r "$d/$i.rc" ] && read -r c s e <"$d/$i.rc"
    if [ "$o" -gt "$max" ]; then : >"$d/$i.out"; o=0; big=1; fi
    if [ "$r" -gt "$max" ]; then : >"$d/$i.err"; r=0; big=1; fi
    printf '%s %s %s %s %s %s %s\n' "$i" "$c" "$s" "$e" "$o" "$r" "$big"
    i=$((i + 1))
done <"$d/sizes"
printf 'hadeck-batch-data\n'
[ "$n" -eq 0 ] || cat "$@"
""".replace("KILL_AFTER", str(KILL_AFTER_S)).replace("VERSION", str(VERSION)).strip() + "\n"
"""The remote side of a batch, for ``sh -c``. Outputs wait in a private directory in
/dev/shm (memory: a full disk, when hadeck matters most, does not cut them), else in
$TMPDIR or /tmp; it is removed on exit. Exit 120: no temporary directory on the node;
121: malformed arguments (never, from :func:`remote_argv`)."""


class FrameError(ValueError):
    """A batch's output is not whole frames (cut short, or not from :data:`SCRIPT`)."""


@dataclass(frozen=True)
class Frame:
    """One command's result as the node reported it."""

    returncode: int | None
    """None when the command left no exit status (it never finished writing one)."""
    duration: float
    stdout: bytes
    stderr: bytes
    too_large: bool
    """Its stdout or stderr was over the byte limit: both are dropped, not cut."""


def remote_argv(commands: Sequence[tuple[float, Sequence[str]]],
                max_bytes: int, sudo: Sequence[bool] = ()) -> list[str]:
    """The argv to run on the node for a batch of commands.

    Args:
        commands: each command's timeout in seconds and its argv (not empty).
        max_bytes: the most one output may hold; more is dropped and said.
        sudo: for each command, whether it runs as ``sudo -n ARGV`` (default: none
            does). A tool that is not on the node's PATH then exits 127 without sudo,
            which would ask for a password for it rather than say it is missing.

    Returns:
        ``["sh", "-c", SCRIPT, "hadeck-batch", max_bytes, t1, sudo1, argc1, *argv1,
        …]``: for the remote shell, quote it with :func:`shlex.join`.
    """
    args = ["sh", "-c", SCRIPT, "hadeck-batch", str(max_bytes)]
    flags = list(sudo) or [False] * len(commands)
    if len(flags) != len(commands):
        raise ValueError("one sudo flag per command")
    for (timeout, argv), root in zip(commands, flags, strict=True):
        if not argv:
            raise ValueError("a command in a batch needs an argv")
        # timeout(1) takes a decimal; at least 0.1 s, so that 0 never means "no limit".
        args += [f"{max(timeout, 0.1):.1f}", "1" if root else "0", str(len(argv)), *argv]
    return args


_HEADER = re.compile(rb"hadeck-batch (\d+) (\d+)\n")
_ROW = re.compile(rb"(\d+) (-|\d+) (-|[0-9.]+) (-|[0-9.]+) (\d+) (\d+) ([01])\n")
_DATA = b"hadeck-batch-data\n"


def parse_frames(data: bytes, count: int) -> list[Frame]:
    """Read :data:`SCRIPT`'s output for a batch of ``count`` commands.

    Raises:
        FrameError: not the header, rows and data of ``count`` commands, to the byte.
    """
    header = _HEADER.match(data)
    if header is None:
        raise FrameError(f"not a hadeck batch: {data[:60]!r}")
    if int(header.group(1)) != VERSION or int(header.group(2)) != count:
        raise FrameError(f"a batch of {header.group(2).decode()} results (version "
                         f"{header.group(1).decode()}), {count} asked (version {VERSION})")
    pos = header.end()
    rows = []
    for index in range(count):
        row = _ROW.match(data, pos)
        if row is None or int(row.group(1)) != index:
            raise FrameError(f"result {index} has no header: {data[pos:pos + 60]!r}")
        rows.append(row)
        pos = row.end()
    if not data.startswith(_DATA, pos):
        raise FrameError("no data after the results' headers")
    pos += len(_DATA)
    frames = []
    for row in rows:
        code, start, end = (row.group(n).decode() for n in (2, 3, 4))
        out_len, err_len = int(row.group(5)), int(row.group(6))
        stdout, stderr = data[pos:pos + out_len], data[pos + out_len:pos + out_len + err_len]
        pos += out_len + err_len
        if len(stdout) != out_len or len(stderr) != err_len:
            raise FrameError("the batch's output is cut short")
        duration = float(end) - float(start) if "-" not in (start, end) else 0.0
        frames.append(Frame(None if code == "-" else int(code), max(duration, 0.0),
                            stdout, stderr, row.group(7) == b"1"))
    if pos != len(data):
        raise FrameError(f"{len(data) - pos} bytes after the last result")
    return frames
