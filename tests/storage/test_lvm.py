"""LVM under DRBD: the real vgs/lvs on a real volume group, the captured reports, the
old column form, the join with DRBD's backing devices, the verdicts and the plugin."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from hadeck.health import CRITICAL, OK, WARNING, Policy, judge_lvm, lvm_subject
from hadeck.model import DrbdResource, DrbdVolume, LvmReport
from hadeck.runner import CommandResult, LocalRunner, Runner
from hadeck.sources import lvm
from hadeck.sources.base import ParseError
from tests import bundles
from tests.checks.helpers import run_check as run_plugin
from tests.conftest import FIXTURES
from tests.fakes import ScriptedRunner as FakeRunner
from tests.storage import realvg

LVM = FIXTURES / "lvm" / "2.03.16"
MIB = 2**20


def fixture(name: str) -> str:
    return (LVM / name).read_text()


# --------------------------------------------------------------------------- real LVM


@pytest.fixture(scope="module")
def vg() -> Iterator[realvg.RealVg]:
    reason = realvg.missing()
    if reason is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="lvb-") as work, realvg.real_vg(Path(work)) as made:
        yield made


def _mine(report: LvmReport | None, name: str) -> LvmReport:
    assert report is not None
    return dataclasses.replace(report, groups=tuple(g for g in report.groups if g.name == name),
                               volumes=tuple(v for v in report.volumes if v.vg == name))


def test_real_lvm_reads_groups_pools_and_paths(vg: realvg.RealVg) -> None:
    reading = lvm.read(LocalRunner())
    assert reading.status.error is None
    assert reading.status.detail == "vgs, lvs --reportformat json"
    report = _mine(reading.value, vg.name)
    (group,) = report.groups
    # What was allocated by the metadata the test wrote, in LVM's 4 MiB extents.
    assert group.size_bytes == vg.size_bytes
    assert group.free_bytes == vg.size_bytes - vg.allocated_extents * 4 * MIB
    assert group.pv_count == 1 and group.lv_count == 3
    by_name = {v.name: v for v in report.volumes}
    assert set(by_name) == {"r0", "pool", "r1", "[pool_tdata]", "[pool_tmeta]",
                            "[lvol0_pmspare]"}
    pool, thin, linear = by_name["pool"], by_name["r1"], by_name["r0"]
    assert pool.is_thin_pool and pool.size_bytes == 6 * 4 * MIB
    assert thin.pool == "pool" and thin.segtype == "thin" and thin.size_bytes == 40 * MIB
    assert linear.path == f"/dev/{vg.name}/r0"
    assert linear.dm_path == f"/dev/mapper/{vg.name}-r0"
    # Not active (no device-mapper here): LVM prints no use, and none is made up.
    assert pool.data_percent is None and pool.active is not True
    (verdict,) = [v for v in judge_lvm([report]) if v.key.name == f"{vg.name}/pool"]
    assert verdict.health == OK and "not known" in verdict.reason


class NoJsonRunner(Runner):
    """An LVM older than 2.02.158: ``--reportformat`` refused with exit 3, as lvm2's
    command line parser refuses an option it does not know; the rest is the real LVM."""

    def __init__(self) -> None:
        self.inner = LocalRunner()
        self.node = self.inner.node
        self.local = True
        self.timeout = self.inner.timeout

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        if "--reportformat" in argv:
            return CommandResult(tuple(argv), "", f"{argv[0]}: unrecognized option "
                                 "'--reportformat'\n  Error during parsing of command line.\n",
                                 3)
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.inner.read_file(path, timeout)


def test_old_lvm_falls_back_to_the_real_column_form(vg: realvg.RealVg) -> None:
    new = _mine(lvm.read(LocalRunner()).value, vg.name)
    reading = lvm.read(NoJsonRunner())
    assert reading.status.error is None
    assert "columns" in (reading.status.detail or "")
    old = _mine(reading.value, vg.name)
    assert old.format == "columns"
    assert old.groups == new.groups
    # The same volumes; the device-mapper path made from the names where not printed.
    assert old.volumes == new.volumes


# --------------------------------------------------------------------------- captured


def test_captured_reports_parse_alike_in_both_forms() -> None:
    assert lvm.parse_vgs_json(fixture("vgs.json"), "n1") == \
        lvm.parse_vgs_columns(fixture("vgs.txt"), "n1")
    assert lvm.parse_lvs_json(fixture("lvs.json"), "n1") == \
        lvm.parse_lvs_columns(fixture("lvs.txt"), "n1")


def _active(node: str = "jupiter1") -> LvmReport:
    return LvmReport(node=node, groups=lvm.parse_vgs_json(fixture("vgs.json"), node),
                     volumes=lvm.parse_lvs_json(fixture("lvs-active.json"), node))


def _drbd(node: str = "jupiter1") -> tuple[DrbdResource, ...]:
    return (DrbdResource("r0", node=node, volumes=(DrbdVolume(0, backing_dev="/dev/lvbvg0/r0"),)),
            DrbdResource("r1", node=node, volumes=(
                DrbdVolume(0, backing_dev="/dev/mapper/lvbvg0-r1"),)),
            DrbdResource("r9", node="other", volumes=(
                DrbdVolume(0, backing_dev="/dev/lvbvg0/r0"),)))


def test_drbd_backing_devices_join_their_volumes_by_either_path() -> None:
    joined = lvm.join_drbd(_active(), _drbd())
    by_name = {v.name: v for v in joined.volumes}
    assert by_name["r0"].drbd == ("r0/0",)
    assert by_name["r1"].drbd == ("r1/0",)  # named by its /dev/mapper path
    assert by_name["pool"].drbd == ()  # another node's r9 is not this node's disk


def test_a_pool_past_the_thresholds() -> None:
    report = lvm.join_drbd(_active(), _drbd())
    pool = lvm_subject("lvbvg0", "pool", "jupiter1")
    (verdict,) = [v for v in judge_lvm([report]) if v.key == pool]
    assert verdict.health == CRITICAL  # 93.51 % ≥ 90
    assert verdict.reason == "thin pool data 93.5 %, metadata 12.3 %; DRBD on it: r1/0"
    lenient = Policy(thin_data_warning_percent=94, thin_data_critical_percent=99)
    assert [v.health for v in judge_lvm([report], lenient) if v.key == pool] == [OK]
    meta = Policy(thin_data_critical_percent=99, thin_metadata_warning_percent=10)
    assert [v.health for v in judge_lvm([report], meta) if v.key == pool] == [WARNING]


def test_a_group_missing_a_pv_and_low_on_space() -> None:
    report = _active()
    partial = dataclasses.replace(report, groups=tuple(
        dataclasses.replace(g, attr="wz-pn-") for g in report.groups))
    group = lvm_subject("lvbvg0", None, "jupiter1")
    assert [v.health for v in judge_lvm([partial]) if v.key == group] == [CRITICAL]
    assert [v.health for v in judge_lvm([report]) if v.key == group] == [OK]
    low = Policy(vg_free_warning_percent=30)  # 16 of 60 MiB free: 27 %
    (verdict,) = [v for v in judge_lvm([report], low) if v.key == group]
    assert verdict.health == WARNING and "below 30 %" in verdict.reason


@pytest.mark.parametrize("text", ["", "garbage\n", '{"report": 3}', '{"report": [{"vg": [1]}]}',
                                  '{"report": [{"vg": [{"vg_name": "x", "vg_size": "-1",'
                                  ' "vg_free": "0"}]}]}'])
def test_bad_reports_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        lvm.parse_vgs_json(text)


def test_source_failures_are_reasons_not_tracebacks() -> None:
    garbage = FakeRunner({lvm.VGS.argv: "\x1b[7m%% garbage\n", lvm.LVS.argv: "{}"})
    reading = lvm.read(garbage)
    assert reading.value is None and reading.status.error is not None
    assert "cannot parse vgs output" in reading.status.error
    missing = lvm.read(FakeRunner({}))
    assert missing.value is None and missing.status.error is None
    assert missing.status.detail == lvm.NOT_INSTALLED


# --------------------------------------------------------------------------- plugin


def test_check_hadeck_lvm_on_a_bundle(tmp_path: Path) -> None:
    bundle = bundles.write(tmp_path / "b", "jupiter1", {
        "jupiter1/lvm/vgs.json": fixture("vgs.json"),
        "jupiter1/lvm/lvs.json": fixture("lvs-active.json"),
    })
    out = run_plugin("lvm", "--from", bundle)
    assert out.returncode == 2, out.stdout
    assert out.text.startswith("lvbvg0/pool@jupiter1: 93.51 % data used")
    assert out.perf["lvbvg0/pool_data"].value == 93.51
    assert (out.perf["lvbvg0/pool_data"].warn, out.perf["lvbvg0/pool_data"].crit) == ("80", "90")
    assert out.perf["lvbvg0_free"].value == 16 * MIB
    out = run_plugin("lvm", "--from", bundle, "-w", "94", "-c", "99")
    assert out.returncode == 0, out.stdout
    assert out.text == "1 volume group, 1 thin pool, fullest lvbvg0/pool 93.51 %"
    out = run_plugin("lvm", "--from", bundle, "-w", "94", "-c", "99",
                     "--metadata-warning", "10")
    assert out.returncode == 1 and "12.3 % metadata used" in out.text


def test_check_hadeck_lvm_thresholds_from_the_configuration(tmp_path: Path) -> None:
    bundle = bundles.write(tmp_path / "b", "jupiter1", {
        "jupiter1/lvm/vgs.json": fixture("vgs.json"),
        "jupiter1/lvm/lvs.json": fixture("lvs-active.json"),
    })
    config = tmp_path / "hadeck.toml"
    config.write_text("[lvm]\nthin_data_warning = 93\nthin_data_critical = 95\n")
    out = run_plugin("lvm", "--from", bundle, "--config", config)
    assert out.returncode == 1, out.stdout
    assert out.perf["lvbvg0/pool_data"].crit == "95"


def test_no_lvm_is_nothing_to_judge_not_an_error(tmp_path: Path) -> None:
    bundle = bundles.write(tmp_path / "b", "jupiter1", {})
    out = run_plugin("lvm", "--from", bundle)
    assert out.returncode == 3
    assert "nothing to judge" in out.text and "LVM not installed" in out.text


# --------------------------------------------------------------------------- vmlab capture

VMLAB = FIXTURES / "lvm" / "2.03.16-vmlab"
"""An active thin pool under a new guest's DRBD disk, captured in the vmlab VMs (README)."""


def _vmlab(node: str) -> LvmReport:
    return LvmReport(node=node, groups=lvm.parse_vgs_json((VMLAB / f"vgs-{node}.json")
                                                          .read_text(), node),
                     volumes=lvm.parse_lvs_json((VMLAB / f"lvs-{node}.json").read_text(),
                                                node))


@pytest.mark.parametrize("node", ["a", "b"])
def test_an_active_pool_reads_alike_in_both_forms(node: str) -> None:
    report = _vmlab(node)
    assert report.groups == lvm.parse_vgs_columns((VMLAB / f"vgs-{node}.txt").read_text(), node)
    assert report.volumes == lvm.parse_lvs_columns((VMLAB / f"lvs-{node}.txt").read_text(),
                                                   node)


def test_an_active_pool_as_the_kernel_reported_it() -> None:
    by_name = {v.name: v for v in _vmlab("b").volumes}
    pool, ng1 = by_name["pool"], by_name["ng1"]
    assert (pool.is_thin_pool, pool.active, pool.data_percent, pool.metadata_percent) == (
        True, True, 87.5, 11.23)
    assert (ng1.segtype, ng1.pool, ng1.data_percent, ng1.active) == ("thin", "pool", 100.0,
                                                                    True)
    assert (ng1.kernel_major, ng1.kernel_minor, ng1.kernel_name) == (253, 5, "/dev/dm-5")
    # An inactive volume: LVM prints -1, read as not known.
    assert (by_name["[lvol0_pmspare]"].kernel_minor, by_name["[lvol0_pmspare]"].active) == (
        None, False)
    # a was the initial sync's source: its copy of ng1 holds DRBD's metadata chunk only.
    a = {v.name: v for v in _vmlab("a").volumes}
    assert (a["ng1"].data_percent, a["pool"].data_percent) == (0.78, 0.2)


def test_an_active_pool_is_judged_against_the_thresholds() -> None:
    pool = lvm_subject("vg0", "pool", "b")
    (verdict,) = [v for v in judge_lvm([_vmlab("b")]) if v.key == pool]
    assert (verdict.health, verdict.reason) == (WARNING, "thin pool data 87.5 %, metadata 11.2 %")
    strict = Policy(thin_data_warning_percent=70, thin_data_critical_percent=85)
    assert [v.health for v in judge_lvm([_vmlab("b")], strict) if v.key == pool] == [CRITICAL]
    meta = Policy(thin_data_warning_percent=95, thin_data_critical_percent=99,
                  thin_metadata_warning_percent=11, thin_metadata_critical_percent=12)
    assert [v.health for v in judge_lvm([_vmlab("b")], meta) if v.key == pool] == [WARNING]
    assert [v.health for v in judge_lvm([_vmlab("a")])
            if v.key == lvm_subject("vg0", "pool", "a")] == [OK]


@pytest.mark.parametrize("name", ["/dev/dm-5", "dm-5", "/dev/vg0/ng1", "/dev/mapper/vg0-ng1",
                                  "/dev/disk/by-id/dm-name-vg0-ng1"])
def test_a_backing_device_is_joined_by_any_of_its_names(name: str) -> None:
    report = _vmlab("b")
    # The kernel's own name of DRBD minor 2's backing device, as sysfs listed it.
    assert (VMLAB / "sys-block-drbd2-slaves-b.txt").read_text().split() == ["dm-5"]
    drbd = (DrbdResource("ng1", node="b", volumes=(DrbdVolume(0, minor=2, backing_dev=name),)),)
    joined = lvm.join_drbd(report, drbd)
    assert {v.name: v.drbd for v in joined.volumes if v.drbd} == {"ng1": ("ng1/0",)}
    (verdict,) = [v for v in judge_lvm([joined]) if v.key == lvm_subject("vg0", "pool", "b")]
    assert verdict.reason.endswith("; DRBD on it: ng1/0")


def test_dm_n_never_names_a_volume_whose_kernel_numbers_are_not_known() -> None:
    # The other capture's LVM could not ask the kernel: no volume is any dm-N there.
    assert all(_active().volume_for(f"/dev/dm-{n}") is None for n in range(8))
    assert _vmlab("b").volume_for("/dev/dm-3") is None  # the pool's -tpool: not an LV
    assert _vmlab("b").volume_for("/dev/dm-4") == next(
        v for v in _vmlab("b").volumes if v.name == "r1")


def test_check_hadeck_lvm_on_the_vmlab_capture(tmp_path: Path) -> None:
    bundle = bundles.write(tmp_path / "b", "b", {
        "b/lvm/vgs.json": (VMLAB / "vgs-b.json").read_text(),
        "b/lvm/lvs.json": (VMLAB / "lvs-b.json").read_text(),
    })
    out = run_plugin("lvm", "--from", bundle)
    assert out.returncode == 1, out.stdout
    assert out.text.startswith("vg0/pool@b: 87.5 % data used")
    assert out.perf["vg0/pool_data"].value == 87.5


def test_drbd_84_names_its_backing_devices_in_drbdsetup_84_show() -> None:
    from hadeck.sources import drbd

    # Captured on b after hadeck new-guest: 8.4's events2 names no backing device.
    shown = (VMLAB / "drbdsetup-84-show-b.txt").read_text()
    assert drbd.parse_show_84(shown) == {("ng1", 0): "/dev/vg0/ng1"}
    with pytest.raises(ParseError):
        drbd.parse_show_84("resource ng1 {\n")
    # Where show fails (or prints garbage), the resources are read as events2 has them.
    vmlab = FIXTURES / "vmlab"
    answers = {
        "/proc/drbd": (vmlab / "cat_proc_drbd__a__connected_secondary.txt").read_text(),
        drbd.EVENTS2_84.argv: (vmlab / "drbdsetup_events2_--now_--statistics__a__"
                                       "connected_secondary.txt").read_text(),
    }
    # r0's own show, as ng1's with the names changed: it is filled in.
    for show, backing in (({}, None), ({drbd.SHOW_84.argv: "resource r0 {\n"}, None),
                          ({drbd.SHOW_84.argv: shown.replace("ng1", "r0")}, "/dev/vg0/r0")):
        reading = drbd.read(FakeRunner({**answers, **show}, node="a"))
        assert reading.status.error is None, reading.status
        assert reading.value is not None
        (r0,) = reading.value
        assert r0.volumes[0].backing_dev == backing
