"""Host metrics: facts gathered for real on this machine, a peer's /proc and df (real
captures, and this machine's own read as a peer would be), /proc/mdstat, and the reader."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest

from hadeck.runner import Command, CommandResult, LocalRunner, Runner
from hadeck.sources import host
from hadeck.sources.base import ParseError
from hadeck.sources.host import (
    DF,
    HOST_FACTS,
    MDSTAT,
    PEER_COMMANDS,
    PROC_LOADAVG,
    PROC_MOUNTS,
    PROC_STAT,
    gather_facts,
    parse_df,
    parse_facts,
    parse_loadavg,
    parse_mdstat,
    parse_meminfo,
    parse_mounts,
    parse_proc_stat,
    parse_uptime,
)
from tests.conftest import FIXTURES, SAMPLES, sample
from tests.fakes import ScriptedRunner

FACTS = (FIXTURES / "host" / "facts.json").read_text()
PROC = FIXTURES / "host" / "proc"


def proc(command: Command) -> str:
    """This machine's capture of a peer command (tests/fixtures/host/README.md)."""
    return (PROC / command.name.removeprefix("host/")).read_text()


def peer_answers() -> dict[tuple[str, ...] | str, str | CommandResult]:
    return {command.path or command.argv: proc(command) for command in PEER_COMMANDS}


def cases(source: str) -> list[str]:
    return sorted(p.name for p in (SAMPLES / source).iterdir())


# --------------------------------------------------------------------------- facts


@pytest.fixture(scope="module")
def gathered() -> str:
    return gather_facts()


def test_facts_gathered_on_this_machine(gathered: str) -> None:
    metrics = parse_facts(gathered, "here")
    assert metrics.node == "here"
    assert metrics.load is not None and all(x >= 0 for x in metrics.load)
    assert metrics.cpu_count is not None and metrics.cpu_count >= 1
    assert metrics.cpu_percent is not None and 0 <= metrics.cpu_percent <= 100
    assert metrics.memory_total is not None and metrics.memory_total > 0
    assert metrics.memory_available is not None and metrics.memory_available > 0
    assert metrics.uptime_s is not None and metrics.uptime_s > 0
    assert metrics.swap_total is not None and metrics.swap_used is not None
    root = [d for d in metrics.disks if d.mountpoint == "/"]
    assert len(root) == 1 and root[0].total_bytes > 0 and 0 < root[0].percent < 100
    devices = [d.device for d in metrics.disks]
    assert len(devices) == len(set(devices))
    assert not {d.fstype for d in metrics.disks} & {"proc", "sysfs", "tmpfs", "devtmpfs"}


def test_facts_round_trip(gathered: str) -> None:
    metrics = parse_facts(gathered, "here")
    document = json.loads(gathered)
    assert metrics.memory_total == document["memory_total"]
    assert [d.mountpoint for d in metrics.disks] == [d["mountpoint"] for d in document["disks"]]
    assert parse_facts(json.dumps(document), "here") == metrics


def test_facts_module_prints_the_document() -> None:
    # What a remote node answers over ssh; sys.executable is the python with hadeck.
    done = subprocess.run([sys.executable, "-m", "hadeck.sources.host"],
                          capture_output=True, text=True, timeout=30, check=True)
    assert parse_facts(done.stdout, "remote").memory_total


def test_facts_fixture_from_this_machine() -> None:
    metrics = parse_facts(FACTS, "jupiter1")
    assert metrics.disks[0].mountpoint == "/" and metrics.disks[0].fstype == "ext4"
    assert metrics.memory_used_percent is not None


@pytest.mark.parametrize(("device", "mountpoint", "fstype", "kept"), [
    ("/dev/vda", "/", "ext4", True),
    ("overlay", "/", "overlay", True),  # a container's root
    ("/dev/md0", "/boot", "ext4", True),
    ("rpool/data", "/data", "zfs", True),
    ("tmpfs", "/run", "tmpfs", False),
    ("proc", "/proc", "proc", False),
    ("/dev/loop3", "/media/iso", "ext4", False),
    ("/dev/loop0", "/snap/core/1", "squashfs", False),
    ("server:/export", "/mnt/nfs", "nfs4", False),
    ("overlay", "/var/lib/docker/overlay2/x/merged", "overlay", False),
])
def test_real_filesystems(device: str, mountpoint: str, fstype: str, kept: bool) -> None:
    assert host._real_filesystem(device, mountpoint, fstype) is kept


@pytest.mark.parametrize("text", [
    "",
    "not json",
    "[]",
    '{"schema": 2}',
    '{"load": [1, 2, 3]}',
    '{"schema": 1, "load": [1, 2]}',
    '{"schema": 1, "memory_total": "lots"}',
    '{"schema": 1, "disks": {}}',
    '{"schema": 1, "disks": [{"mountpoint": "/"}]}',
    '{"schema": 1, "disks": [{"mountpoint": "/", "device": "/dev/vda", "fstype": "ext4",'
    ' "total_bytes": "1", "used_bytes": 0, "free_bytes": 1}]}',
    FACTS[: len(FACTS) // 2],
    sample("proc-mdstat", "raid1-healthy-bitmap.txt"),
])
def test_facts_reject_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_facts(text, "here")


# --------------------------------------------------------------------------- mdstat


@pytest.mark.parametrize("case", cases("proc-mdstat"))
def test_every_mdstat_sample_parses(case: str) -> None:
    arrays = parse_mdstat(sample("proc-mdstat", case))
    assert arrays and all(a.active and a.level == "raid1" for a in arrays)


def test_mdstat_healthy_with_bitmap() -> None:
    md0, md1 = parse_mdstat(sample("proc-mdstat", "raid1-healthy-bitmap.txt"))
    assert (md0.name, md0.blocks, md0.status_map) == ("md0", 1046528, "UU")
    assert [m.name for m in md0.members] == ["sda1", "sdb1"]
    assert md1.blocks == 975755264 and not md1.degraded and md1.action is None


def test_mdstat_degraded_with_failed_disk() -> None:
    (md1,) = parse_mdstat(sample("proc-mdstat", "raid1-degraded-failed-disk.txt"))
    assert md1.degraded and md1.status_map == "U_"
    assert (md1.raid_disks, md1.working_disks) == (2, 1)
    faulty = [m.name for m in md1.members if "F" in m.flags]
    assert faulty == ["sdb2"]


def test_mdstat_recovery_in_progress() -> None:
    (md1,) = parse_mdstat(sample("proc-mdstat", "raid1-recovery-in-progress.txt"))
    assert md1.degraded and md1.status_map == "U_"
    assert md1.action == "recovery"
    assert md1.progress_percent == pytest.approx(17.4)
    assert md1.finish_minutes == pytest.approx(81.3)
    assert md1.speed_kib_s == 165230
    assert [(m.name, m.index) for m in md1.members] == [("sda2", 0), ("sdc2", 2)]


def test_mdstat_resync_and_check() -> None:
    md0, md1 = parse_mdstat(sample("proc-mdstat", "raid1-resync-and-check.txt"))
    assert (md0.action, md0.progress_percent, md0.finish_minutes) == ("check", 5.7, 0.2)
    assert (md1.action, md1.progress_percent, md1.speed_kib_s) == ("resync", 0.3, 165300)
    assert not md0.degraded and not md1.degraded


# Rendered from md.c's md_seq_show / status_resync and raid1/raid5 status: an inactive
# array (second line of blocks, then 7 blanks), a read-only array waiting for its resync,
# a delayed resync, spare and write-mostly members.
MDSTAT_MORE = (
    "Personalities : [raid1] [raid6] [raid5] [raid4] \n"
    "md127 : inactive sdb1[1](S) sda1[0](S)\n"
    "      2093056 blocks super 1.2\n"
    "       \n"
    "md2 : active (auto-read-only) raid1 sdd1[1](W) sdc1[0]\n"
    "      1046528 blocks super 1.2 [2/2] [UU]\n"
    "      \tresync=PENDING\n"
    "      \n"
    "md3 : active (read-only) raid5 sdh1[3] sdg1[1] sdf1[0] sde1[4](S)\n"
    "      2093056 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/3] [UUU]\n"
    "      \tresync=DELAYED\n"
    "      \n"
    "unused devices: sdi1 \n"
)


def test_mdstat_inactive_readonly_delayed_pending() -> None:
    md127, md2, md3 = parse_mdstat(MDSTAT_MORE)
    assert not md127.active and md127.level is None and md127.blocks == 2093056
    assert all(m.flags == ("S",) for m in md127.members) and not md127.degraded
    assert (md2.read_only, md2.action, md2.pending) == ("auto-read-only", "resync", "PENDING")
    assert md2.members[1].flags == ("W",)
    assert (md3.read_only, md3.level, md3.pending) == ("read-only", "raid5", "DELAYED")
    assert md3.status_map == "UUU" and md3.members[-1].flags == ("S",)


def test_mdstat_without_arrays() -> None:
    assert parse_mdstat("Personalities : \nunused devices: <none>\n") == ()


@pytest.mark.parametrize("text", [
    "",
    "garbage\n",
    FACTS,
    sample("proc-mdstat", "raid1-recovery-in-progress.txt").split("unused")[0],
    MDSTAT_MORE.replace("      2093056 blocks super 1.2\n", "      what is this\n"),
    "Personalities : [raid1] \n      975755264 blocks\nunused devices: <none>\n",
])
def test_mdstat_rejects_garbage_and_truncation(text: str) -> None:
    with pytest.raises(ParseError):
        parse_mdstat(text)


# --------------------------------------------------------------------------- reader


def test_read_local_gathers_in_process() -> None:
    # With no PATH, a subprocess (python3 -m ...) could not even start.
    reading = host.read(LocalRunner(node="here", env={"PATH": "/nonexistent"}))
    assert reading.value is not None, reading.status.error
    assert reading.status.ok
    assert reading.value.node == "here" and reading.value.memory_total
    assert any(d.mountpoint == "/" for d in reading.value.disks)


def test_read_peer_from_proc_and_df() -> None:
    runner = ScriptedRunner({
        **peer_answers(),
        MDSTAT.path or "": sample("proc-mdstat", "raid1-degraded-failed-disk.txt"),
    }, node="jupiter1")
    reading = host.read(runner)
    assert reading.status.ok and reading.value is not None
    metrics = reading.value
    assert metrics.node == "jupiter1"
    assert metrics.load == (1.44, 1.03, 1.01)
    assert metrics.cpu_count == 2 and metrics.cpu_percent == 52.4
    assert metrics.memory_total == 24683584 * 1024
    assert metrics.memory_available == 24109936 * 1024
    assert metrics.swap_total == 0 and metrics.swap_used == 0
    assert metrics.uptime_s == 9368.05
    (root,) = metrics.disks  # tmpfs and devtmpfs are not disks
    assert (root.mountpoint, root.device, root.fstype) == ("/", "/dev/vda", "ext4")
    assert root.total_bytes == 264212084 * 1024 and root.free_bytes == 81429804 * 1024
    (md1,) = metrics.md_arrays
    assert md1.degraded
    # Nothing of hadeck is asked of a peer: no python3, only /proc files and df.
    assert HOST_FACTS.argv not in runner.calls
    assert set(runner.calls) == {c.path or c.argv for c in PEER_COMMANDS} | {"/proc/mdstat"}


class AsPeer(Runner):
    """This machine read as a peer is: real /proc files and the real df, no psutil."""

    def __init__(self) -> None:
        self.inner = LocalRunner(node="self")
        self.node = "self"

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout=timeout)


def test_peer_read_agrees_with_psutil_on_this_machine(gathered: str) -> None:
    here = parse_facts(gathered, "self")
    reading = host.read(AsPeer())
    assert reading.status.error is None and reading.value is not None
    peer = reading.value
    assert peer.cpu_count == here.cpu_count
    assert peer.cpu_percent is not None and 0 <= peer.cpu_percent <= 100
    assert peer.memory_total == here.memory_total and peer.swap_total == here.swap_total
    assert peer.memory_available and here.memory_available
    assert abs(peer.memory_available - here.memory_available) < 0.1 * here.memory_available
    assert peer.load is not None and peer.uptime_s and here.uptime_s
    assert abs(peer.uptime_s - here.uptime_s) < 60
    # The same disks, by the same rules; sizes as statvfs gives them to both.
    assert [(d.mountpoint, d.device, d.fstype, d.total_bytes) for d in peer.disks] == \
        [(d.mountpoint, d.device, d.fstype, d.total_bytes) for d in here.disks]


def test_peer_parts_fail_alone() -> None:
    answers = peer_answers()
    answers[DF.argv] = CommandResult(DF.argv, stderr="df: /mnt: Stale file handle\n",
                                     returncode=1)
    answers[PROC_STAT.argv] = "garbage\n"
    reading = host.read(ScriptedRunner(answers))
    assert reading.value is not None
    assert reading.value.load == (1.44, 1.03, 1.01) and reading.value.disks == ()
    assert reading.value.cpu_count is None
    assert reading.status.error == ("cannot parse /proc/stat output: /proc/stat: 0 samples "
                                    "(one or two expected); df exited 1: "
                                    "df: /mnt: Stale file handle")


def test_peer_unreachable_is_one_unreachable_reading() -> None:
    from hadeck.runner import failure

    answers: dict[tuple[str, ...] | str, str | CommandResult] = {
        key: failure(("x",), "unreachable", "ssh p1: Connection refused")
        for key in peer_answers()}
    reading = host.read(ScriptedRunner(answers))
    assert reading.value is None and reading.error_kind == "unreachable"


def test_read_from_a_facts_document_where_no_proc_was_recorded() -> None:
    # An older bundle (or the lab) holds the facts document, not the /proc files.
    runner = ScriptedRunner({
        HOST_FACTS.argv: FACTS,
        MDSTAT.path or "": sample("proc-mdstat", "raid1-degraded-failed-disk.txt"),
    }, node="jupiter1")
    reading = host.read(runner)
    assert reading.status.ok and reading.value is not None
    assert reading.value.node == "jupiter1" and reading.value.memory_total
    (md1,) = reading.value.md_arrays
    assert md1.degraded
    assert runner.calls[-2:] == [HOST_FACTS.argv, "/proc/mdstat"]


def test_read_without_mdstat_is_no_arrays() -> None:
    reading = host.read(ScriptedRunner(peer_answers()))
    assert reading.status.ok and reading.value is not None
    assert reading.value.md_arrays == ()
    # Over ssh the file is read with cat, which says so on stderr.
    cat_missing = CommandResult(
        ("cat", "/proc/mdstat"),
        stderr="cat: /proc/mdstat: No such file or directory\n", returncode=1)
    runner = ScriptedRunner({**peer_answers(), "/proc/mdstat": cat_missing})
    assert host.read(runner).status.ok


def test_read_facts_missing_keeps_md_arrays() -> None:
    answers = peer_answers()
    for command in PEER_COMMANDS:
        if command is not PROC_LOADAVG:
            answers[command.path or command.argv] = "garbage\n"
    answers["/proc/loadavg"] = CommandResult(
        ("cat", "/proc/loadavg"), stderr="cat: /proc/loadavg: Permission denied\n",
        returncode=1)
    answers["/proc/mdstat"] = sample("proc-mdstat", "raid1-degraded-failed-disk.txt")
    reading = host.read(ScriptedRunner(answers))
    assert reading.value is not None and reading.value.md_arrays[0].degraded
    assert reading.value.memory_total is None
    assert reading.status.error is not None
    assert reading.status.error.startswith("/proc/loadavg: permission denied; ")


def test_read_facts_failing_without_arrays_is_an_error() -> None:
    reading = host.read(ScriptedRunner({}))
    assert reading.value is None
    assert reading.status.error == "python3: command not found"


def test_read_garbage() -> None:
    runner = ScriptedRunner({HOST_FACTS.argv: "Traceback (most recent call last):\n",
                             "/proc/mdstat": "garbage\n"})
    reading = host.read(runner)
    assert reading.value is None and reading.status.error is not None
    assert "host facts are not JSON" in reading.status.error
    runner = ScriptedRunner({**peer_answers(), "/proc/mdstat": "garbage\n"})
    reading = host.read(runner)
    assert reading.value is not None and reading.value.md_arrays == ()
    assert "cannot parse /proc/mdstat" in (reading.status.error or "")


# --------------------------------------------------------------------------- peer parsers


def test_loadavg() -> None:
    assert parse_loadavg(proc(PROC_LOADAVG)) == (1.44, 1.03, 1.01)


def test_proc_stat_one_and_two_samples() -> None:
    text = proc(PROC_STAT)
    first = text[: text.index("cpu ", 1)]
    assert parse_proc_stat(first) == (2, None)  # since boot is no answer: none
    # Between the samples: user +8, system +3, idle +10 jiffies: 11 busy of 21.
    count, busy = parse_proc_stat(text)
    assert count == 2 and busy == 52.4


def test_proc_stat_idle_and_busy_machines() -> None:
    def stat(user: int, idle: int) -> str:
        return f"cpu  {user} 0 0 {idle} 0 0 0 0 0 0\ncpu0 {user} 0 0 {idle} 0 0 0 0 0 0\n"
    assert parse_proc_stat(stat(100, 100) + stat(100, 200)) == (1, 0.0)
    assert parse_proc_stat(stat(100, 100) + stat(200, 100)) == (1, 100.0)
    assert parse_proc_stat(stat(100, 100) + stat(100, 100)) == (1, None)


def test_meminfo_with_swap_and_an_old_kernel() -> None:
    total, available, swap_total, swap_used = parse_meminfo(
        "MemTotal:        1000 kB\nMemFree:  10 kB\nSwapTotal:  400 kB\n"
        "SwapFree:  100 kB\nHugePages_Total:       0\n")
    assert (total, available, swap_total, swap_used) == (1024000, None, 409600, 307200)


def test_mounts_unescape_spaces() -> None:
    mounts = parse_mounts(proc(PROC_MOUNTS) + "/dev/sdb1 /srv/my\\040disk ext4 rw 0 0\n")
    assert mounts["/"] == ("/dev/vda", "ext4")
    assert mounts["/srv/my disk"] == ("/dev/sdb1", "ext4")


def test_df_keeps_real_filesystems_once_each() -> None:
    mounts = {"/": ("/dev/vda", "ext4"), "/srv/my disk": ("/dev/sdb1", "xfs"),
              "/bind": ("/dev/sdb1", "xfs"), "/run": ("tmpfs", "tmpfs")}
    text = ("Filesystem     1024-blocks  Used Available Capacity Mounted on\n"
            "/dev/vda              1000   400       500      45% /\n"
            "/dev/sdb1             2000     0      2000       0% /srv/my disk\n"
            "/dev/sdb1             2000     0      2000       0% /bind\n"
            "tmpfs                  100     1        99       1% /run\n")
    disks = parse_df(text, mounts)
    assert [(d.mountpoint, d.fstype, d.used_bytes) for d in disks] == [
        ("/", "ext4", 400 * 1024), ("/bind", "xfs", 0)]
    # POSIXLY_CORRECT's 512-byte blocks are read as such.
    half = parse_df(text.replace("1024-blocks", "512-blocks"), mounts)
    assert half[0].total_bytes == 1000 * 512


@pytest.mark.parametrize(("parser", "text"), [
    (parse_loadavg, ""),
    (parse_loadavg, "1.0 2.0\n"),
    (parse_loadavg, "-1 0 0 1/2 3\n"),
    (parse_proc_stat, ""),
    (parse_proc_stat, "cpu  1 2 3\n"),
    (parse_proc_stat, "cpu  1 0 0 1 0 0 0 0\n"),
    (parse_proc_stat, "cpu  9 0 0 9\ncpu0 9 0 0 9\ncpu  1 0 0 1\ncpu0 1 0 0 1\n"),
    (parse_meminfo, "MemFree: 10 kB\n"),
    (parse_meminfo, "MemTotal: lots\n"),
    (parse_uptime, "9368.05\n"),
    (parse_mounts, ""),
    (parse_mounts, "a b c\n"),
    (lambda text: parse_df(text, {}), "Filesystem Size Used Avail Use% Mounted on\n"),
    (lambda text: parse_df(text, {}), proc(DF) + "what\n"),
])
def test_peer_parsers_reject_garbage(parser: Any, text: str) -> None:
    with pytest.raises(ParseError):
        parser(text)
