"""The lab's host renderers: the facts document and /proc/mdstat.

The facts document must read back as the same metrics and, for the real document in
tests/fixtures/host, be byte for byte the same. /proc/mdstat samples must parse back to
the same arrays and equal the sample once the two things the model drops are taken out
of it: bitmap lines (the kernel prints a 6-blank line instead when an array has none)
and the done count of a running resync (the model keeps only its percentage).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from hadeck.lab import derive, faults
from hadeck.lab.formats.host import facts_json, mdstat
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.model import DiskUsage, HostMetrics, MdArray, MdMember
from hadeck.sources import host
from hadeck.sources.host import parse_facts, parse_mdstat
from tests.conftest import FIXTURES, sample

MDSTAT_CASES = [
    "raid1-healthy-bitmap.txt",
    "raid1-degraded-failed-disk.txt",
    "raid1-recovery-in-progress.txt",
    "raid1-resync-and-check.txt",
]


# --------------------------------------------------------------------------- facts


def test_facts_json_of_the_real_document_is_byte_exact() -> None:
    text = (FIXTURES / "host" / "facts.json").read_text()
    assert facts_json(parse_facts(text, "hv-a")) == text


def test_facts_json_round_trip() -> None:
    metrics = HostMetrics(
        node="hv-a", load=(0.52, 1.25, 2.0), cpu_count=16, cpu_percent=37.5,
        memory_total=68719476736, memory_available=41231686041, swap_total=2147483648,
        swap_used=4096, uptime_s=1036800.4,
        disks=(
            DiskUsage("/", "/dev/md0", "ext4", 42949672960, 13314398617, 29635274343),
            DiskUsage("/var/lib/libvirt", "/dev/mapper/vg0-libvirt", "xfs", 214748364800,
                      90194313216, 124554051584),
        ),
        md_arrays=(MdArray("md0", True, "raid1"),),
    )
    # md arrays travel in /proc/mdstat, not in the facts document.
    assert parse_facts(facts_json(metrics), "hv-a") == replace(metrics, md_arrays=())


def test_facts_json_writes_floats_as_psutil_does_and_unknowns_as_null() -> None:
    metrics = HostMetrics(node="hv-a", load=(1, 0, 0), cpu_count=2, cpu_percent=50,
                          uptime_s=60)
    text = facts_json(metrics)
    assert '"cpu_percent": 50.0' in text and '"uptime_s": 60.0' in text
    assert '"memory_total": null' in text and '"disks": []' in text
    assert parse_facts(text, "hv-a") == HostMetrics(
        node="hv-a", load=(1.0, 0.0, 0.0), cpu_count=2, cpu_percent=50.0, uptime_s=60.0)


def test_facts_json_keys_are_gather_facts_keys() -> None:
    real = (FIXTURES / "host" / "facts.json").read_text()
    keys = re.findall(r'^ "(\w+)":', real, re.M)
    assert re.findall(r'^ "(\w+)":', facts_json(HostMetrics("hv-a")), re.M) == keys


# --------------------------------------------------------------------------- mdstat


def _without_lost_details(text: str) -> str:
    """The sample as the kernel prints it for an array without a bitmap, done counts out."""
    text = re.sub(r"^      bitmap: .*\n\n", "      \n", text, flags=re.M)
    return re.sub(r"\(\d+/(\d+)\)", r"(done/\1)", text)


@pytest.mark.parametrize("case", MDSTAT_CASES)
def test_mdstat_round_trip(case: str) -> None:
    text = sample("proc-mdstat", case)
    arrays = parse_mdstat(text)
    rendered = mdstat(arrays)
    assert parse_mdstat(rendered) == arrays
    assert _without_lost_details(rendered) == _without_lost_details(text)


def test_mdstat_done_count_matches_the_percentage() -> None:
    rendered = mdstat(parse_mdstat(sample("proc-mdstat", "raid1-recovery-in-progress.txt")))
    match = re.search(r"recovery = 17\.4% \((\d+)/975755264\)", rendered)
    assert match
    # The kernel's own sum: permille = done * 1000 / (total + 1).
    assert int(match.group(1)) * 1000 // (975755264 + 1) == 174


def test_mdstat_without_arrays() -> None:
    assert mdstat([]) == "Personalities : \nunused devices: <none>\n"
    assert parse_mdstat(mdstat([])) == ()


def test_mdstat_unusual_arrays_exact() -> None:
    arrays = (
        # A degraded mirror whose resync waits for another array on the same disks.
        MdArray("md2", True, "raid1", members=(MdMember("sda3", 0), MdMember("sdb3", 1, ("F",))),
                blocks=2095104, raid_disks=2, working_disks=1, status_map="U_",
                action="resync", pending="DELAYED"),
        # Assembled read-only at boot, with a spare and a write-mostly member.
        MdArray("md3", True, "raid1", "auto-read-only",
                members=(MdMember("sdb4", 0, ("W",)), MdMember("sda4", 1),
                         MdMember("sdc4", 2, ("S",))),
                blocks=1046528, raid_disks=2, working_disks=2, status_map="UU"),
        # Not started: one lone member found at boot.
        MdArray("md127", False, members=(MdMember("sdd", 0, ("S",)),), blocks=1953382488),
    )
    rendered = mdstat(arrays)
    assert rendered == (
        "Personalities : [raid1] \n"
        "md2 : active raid1 sdb3[1](F) sda3[0]\n"
        "      2095104 blocks super 1.2 [2/1] [U_]\n"
        "      \tresync=DELAYED\n"
        "      \n"
        "md3 : active (auto-read-only) raid1 sdc4[2](S) sda4[1] sdb4[0](W)\n"
        "      1046528 blocks super 1.2 [2/2] [UU]\n"
        "      \n"
        "md127 : inactive sdd[0](S)\n"
        "      1953382488 blocks super 1.2\n"
        "       \n"
        "unused devices: <none>\n"
    )
    assert parse_mdstat(rendered) == arrays


def test_mdstat_progress_bar_and_figures() -> None:
    array = MdArray("md1", True, "raid1", members=(MdMember("sda2", 0), MdMember("sdb2", 1)),
                    blocks=1000, raid_disks=2, working_disks=2, status_map="UU",
                    action="check", progress_percent=100.0, finish_minutes=0.0,
                    speed_kib_s=120000)
    line = mdstat([array]).splitlines()[3]
    assert line == ("      [====================>]  check =100.0% (1000/1000) "
                    "finish=0.0min speed=120000K/sec")
    assert parse_mdstat(mdstat([array])) == (array,)


# --------------------------------------------------------------------------- a peer's /proc


def _lab(tmp_path: Path) -> Lab:
    lab = Lab.init(tmp_path / "lab")
    faults.freeze(lab, at=1_800_000_000.0)
    return lab


@pytest.mark.pacemaker
def test_lab_nodes_answer_proc_and_df_like_a_real_peer(tmp_path: Path) -> None:
    """Nothing of hadeck on a lab node either: its host facts come from /proc and df -P,
    parsed by the peer parsers, and read back as the lab's figures."""
    lab = _lab(tmp_path)
    faults.tool_fault(lab, "*", "python3", "missing")
    access = LabAccess(lab)
    state = lab.read()
    for node in state.all_nodes():
        reading = host.read(access.runner(node))
        assert reading.status.error is None, (node, reading.status.error)
        expected = derive.host(state, node)
        assert reading.value is not None and reading.value.cpu_percent is not None
        # md arrays come from /proc/mdstat as before (their member order is the kernel's).
        assert reading.value == replace(expected, md_arrays=reading.value.md_arrays)


@pytest.mark.pacemaker
def test_lab_peer_formats_are_the_real_ones(tmp_path: Path) -> None:
    """The lab's texts match the shapes of the captured real files (tests/fixtures)."""
    lab = _lab(tmp_path)
    runner = LabAccess(lab).runner("jupiter1")
    df_text = runner.run(host.DF.argv).stdout
    assert df_text.splitlines()[0].split() == ["Filesystem", "1024-blocks", "Used",
                                                "Available", "Capacity", "Mounted", "on"]
    stat = runner.run(host.PROC_STAT.argv).stdout
    assert sum(line.startswith("cpu ") for line in stat.splitlines()) == 2
    assert host.parse_loadavg(runner.read_file("/proc/loadavg").stdout)
    mounts = host.parse_mounts(runner.read_file("/proc/mounts").stdout)
    assert mounts["/"] == ("/dev/md0", "ext4") and mounts["/proc"] == ("proc", "proc")
    # Pseudo filesystems in df (a tmpfs) are left out, as on a real node.
    assert [d.mountpoint for d in host.parse_df(df_text, mounts)] == ["/", "/var/lib/libvirt"]


@pytest.mark.pacemaker
def test_a_broken_df_on_a_lab_node_leaves_the_load(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    faults.tool_fault(lab, "lvs1", "df", "garbage")
    reading = host.read(LabAccess(lab).runner("lvs1"))
    assert reading.status.error is not None and "df -P" in reading.status.error
    assert reading.value is not None and reading.value.load is not None
    assert reading.value.disks == ()
