"""Host metrics: facts gathered for real on this machine, /proc/mdstat, and the reader."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hadeck.runner import CommandResult, LocalRunner
from hadeck.sources import host
from hadeck.sources.base import ParseError
from hadeck.sources.host import (
    HOST_FACTS,
    MDSTAT,
    gather_facts,
    parse_facts,
    parse_mdstat,
)
from tests.conftest import FIXTURES, SAMPLES, sample
from tests.fakes import ScriptedRunner

FACTS = (FIXTURES / "host" / "facts.json").read_text()


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


def test_read_remote_with_md_arrays() -> None:
    runner = ScriptedRunner({
        HOST_FACTS.argv: FACTS,
        MDSTAT.path or "": sample("proc-mdstat", "raid1-degraded-failed-disk.txt"),
    }, node="jupiter1")
    reading = host.read(runner)
    assert reading.status.ok and reading.value is not None
    assert reading.value.node == "jupiter1"
    (md1,) = reading.value.md_arrays
    assert md1.degraded
    assert runner.calls == [HOST_FACTS.argv, "/proc/mdstat"]


def test_read_without_mdstat_is_no_arrays() -> None:
    reading = host.read(ScriptedRunner({HOST_FACTS.argv: FACTS}))
    assert reading.status.ok and reading.value is not None
    assert reading.value.md_arrays == ()
    # Over ssh the file is read with cat, which says so on stderr.
    cat_missing = CommandResult(
        ("cat", "/proc/mdstat"),
        stderr="cat: /proc/mdstat: No such file or directory\n", returncode=1)
    runner = ScriptedRunner({HOST_FACTS.argv: FACTS, "/proc/mdstat": cat_missing})
    assert host.read(runner).status.ok


def test_read_facts_missing_keeps_md_arrays() -> None:
    runner = ScriptedRunner({
        HOST_FACTS.argv: CommandResult(
            HOST_FACTS.argv, stderr="/usr/bin/python3: No module named hadeck.sources.host\n",
            returncode=1),
        "/proc/mdstat": sample("proc-mdstat", "raid1-degraded-failed-disk.txt"),
    })
    reading = host.read(runner)
    assert reading.value is not None and reading.value.md_arrays[0].degraded
    assert reading.value.memory_total is None
    assert reading.status.error is not None and "No module named" in reading.status.error


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
    runner = ScriptedRunner({HOST_FACTS.argv: FACTS, "/proc/mdstat": "garbage\n"})
    reading = host.read(runner)
    assert reading.value is not None and reading.value.md_arrays == ()
    assert "cannot parse /proc/mdstat" in (reading.status.error or "")
