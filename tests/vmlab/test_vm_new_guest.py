"""``hadeck new-guest`` for real on the vmlab pair: real LVM (a thin pool on each VM's
spare disk), the resource file hadeck wrote read by the VMs' own drbdadm, DRBD 8.4's
``create-md``, ``up`` and initial sync in the VMs' kernels, and hadeck's own read of the
result.

What runs where:

* in the VMs, for real, through hadeck's runner (the serial shell): ``vgs``/``lvs`` of
  the survey, ``drbdadm dump all`` and ``drbdadm --version``, ``lvcreate --thin`` on each
  VM, the resource file written by ``dd conv=excl``, ``drbdadm create-md``, ``up``,
  ``primary --force`` (the initial sync) and ``secondary``, and afterwards hadeck's DRBD
  and LVM reads;
* on this host, as on the node hadeck runs on: the preview (``drbdadm -c FILE dump`` as
  each VM in a UTS and network namespace, ``crm_verify``, ``crm_simulate``) and the CIB
  step — the real ``cibadmin --patch`` on a CIB file of a cluster of the two VMs. No
  Pacemaker runs anywhere: the transition that patch asks for is carried out by
  ``crm_simulate -S`` on that file (:class:`Converging`, as the lab does), so Pacemaker's
  starting of the DRBD clone is simulated; DRBD itself was brought up by the steps above.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.config import Config
from hadeck.drbdconf import parse_dump
from hadeck.health import judge
from hadeck.health.policy import Policy
from hadeck.health.storage import lvm_subject
from hadeck.health.verdict import CRITICAL, OK, WARNING
from hadeck.model import ClusterState, Health, LvmReport
from hadeck.opening import Opened
from hadeck.runner import CommandResult, LocalRunner
from hadeck.sources import drbd as drbd_source
from hadeck.sources import lvm
from tests.vmlab.conftest import Hadeck
from tests.vmlab.machine import SPARE_DEVICE, Machine
from tests.vmlab.pair import DRBD_CONF, Pair, wait_for
from tests.vmlab.runner import VM_TIMEOUT, VmAccess, WithPacemaker

pytestmark = pytest.mark.vmlab

GUEST = "ng1"
"""The new guest, its logical volume and its DRBD resource."""
POOL_MIB = 32
CHUNK = 64 << 10
"""The pool's chunk (lvcreate's default for a pool this small): its unit of allocation."""
TEMPLATE_MIB = 24
"""The template guest's thin volume (``vg0/r1``, the seeded CIB's ``vm1`` on DRBD
``r1``): with the new guest's 8 MiB it fills the pool's virtual size, no overcommit."""

TEMPLATE_RES = """resource r1 {
  net { protocol C; ping-int 2; after-sb-0pri discard-zero-changes; }
  disk { c-plan-ahead 0; resync-rate 50M; }
  on a { device /dev/drbd1; disk /dev/vg0/r1; address 10.0.0.1:7790; meta-disk internal; }
  on b { device /dev/drbd1; disk /dev/vg0/r1; address 10.0.0.2:7790; meta-disk internal; }
}"""
"""The template guest's resource, as the seed clusters wrote theirs: one file per
resource under /etc/drbd.d/, included from drbd.conf (it is never brought up here)."""

CAPTURE = os.environ.get("HADECK_VMLAB_CAPTURE_LVM")
"""A directory: the filling test also writes LVM's real output there
(tests/fixtures/lvm/2.03.16-vmlab/ was made so)."""


def lvm_setup(vm: Machine) -> None:
    """The volume group ``vg0`` on the spare disk with the thin pool ``vg0/pool`` and
    the template's thin volume in it, and its resource file."""
    spare = vm.check(f"echo {SPARE_DEVICE}").strip()
    assert spare.startswith("/dev/vd") and spare != "/dev/vda", spare  # vda: r0's disk
    vm.check(f"modprobe dm_thin_pool && pvcreate -q {spare} && vgcreate -q vg0 {spare} && "
             f"lvcreate -q --type thin-pool -L {POOL_MIB}M -n pool vg0 && "
             f"lvcreate -q --thin -V {TEMPLATE_MIB}M -n r1 vg0/pool", timeout=120)
    vm.write_file("/etc/drbd.d/r1.res", TEMPLATE_RES)
    vm.write_file("/etc/drbd.conf", DRBD_CONF + '\ninclude "/etc/drbd.d/*.res";')


def lvm_teardown(vm: Machine) -> None:
    vm.sh(f"drbdadm down {GUEST}; rm -f /etc/drbd.d/*.res; vgremove -q -f vg0; "
          f"pvremove -q {SPARE_DEVICE}", timeout=120)
    vm.write_file("/etc/drbd.conf", DRBD_CONF)


@pytest.fixture(scope="module")
def lvm_pair(vm_pair: Pair) -> Iterator[Pair]:
    """The pair with LVM under a template guest's DRBD resource on both VMs; removed
    (the new guest's resource down, the group gone) afterwards."""
    try:
        for vm in vm_pair.machines:
            lvm_setup(vm)
        yield vm_pair
    finally:
        for vm in vm_pair.machines:
            lvm_teardown(vm)


class Converging(WithPacemaker):
    """A VM's runner whose Pacemaker tools work on a CIB file (:class:`WithPacemaker`),
    and where a change to that file is carried out by the real scheduler
    (``crm_simulate -S -O``, until it has nothing left to do), as a running cluster
    would carry it out: ``crm_resource --wait`` then sees a settled cluster."""

    def __init__(self, vm: WithPacemaker, cib: str) -> None:
        super().__init__(vm.vm, cib)
        self.cib = cib

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        got = super().run(argv, timeout=timeout, input=input)
        if got.ok and argv[:1] == ("cibadmin",) and "-Q" not in argv:
            sim = LocalRunner(node=self.node, timeout=VM_TIMEOUT)
            for _ in range(5):
                done = sim.run(("crm_simulate", "-x", self.cib, "-S", "-O", self.cib))
                if not done.ok or not re.search(r"^\s*\* (Start|Promote|Stop|Move)",
                                                done.stdout, re.M):
                    break
        return got


@pytest.fixture
def new_guest(lvm_pair: Pair, cib: Path, monkeypatch: pytest.MonkeyPatch,
              tmp_path: Path) -> Hadeck:
    """hadeck's command line with the pair as its cluster (as ``hadeck`` in
    conftest.py), its CIB carried out by :class:`Converging`."""
    from hadeck.cli.main import main

    monkeypatch.setenv("HADECK_JOURNAL", str(tmp_path / "journal.jsonl"))
    runners = [Converging(WithPacemaker(r, str(cib)), str(cib)) for r in lvm_pair.runners]
    cluster = Opened(VmAccess(runners), Config(directors=("a",), timeout=VM_TIMEOUT))
    monkeypatch.setattr("hadeck.opening.open_cluster", lambda *_, **__: cluster)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue()

    return run


def read(pair: Pair) -> ClusterState:
    """One read of both VMs as ``hadeck status`` makes it (no Pacemaker)."""
    access = VmAccess(pair.runners)
    return collect(access, Config(directors=("a",), timeout=VM_TIMEOUT))


def proc_line(pair: Pair, vm: Machine, minor: int) -> str:
    text = pair.proc_drbd(vm)
    match = re.search(rf"^ *{minor}: (.*)$", text, re.M)
    return match.group(1) if match else ""


def test_a_new_guest_is_made_synced_and_read_back_for_real(
        lvm_pair: Pair, new_guest: Hadeck, cib: Path, tmp_path: Path) -> None:
    pair = lvm_pair
    before = [len(r.calls) for r in pair.runners]  # the session's runners: earlier tests'
    code, out, err = new_guest("new-guest", GUEST, "--nodes", "a,b", "--size", "8M",
                               "--yes", "--wait", "180")
    ran = [r.calls[n:] for r, n in zip(pair.runners, before, strict=True)]
    assert code == 0, f"exit {code}\n{out}\n{err}"
    # The proposal followed the VMs' own DRBD configuration: r0 (minor 0, port 7789)
    # and the template r1 (minor 1, 7790), thin in r1's pool.
    assert f"DRBD {GUEST} minor 2 port 7791" in out
    assert "8M in vg0/pool (thin)" in out
    assert "drbdadm dump on a: drbdadm reads the file as a would" in out
    # What ran in the VMs, in order, through hadeck's runner.
    for calls in ran:
        made = [c for c in calls if c[0] in ("lvcreate", "dd", "drbdadm")
                and c[1:2] != ("dump",) and c[1:2] != ("--version",)]
        assert made[:4] == [
            ("lvcreate", "--thin", "--virtualsize", "8M", "--name", GUEST, "vg0/pool"),
            ("dd", f"of=/etc/drbd.d/{GUEST}.res", "conv=excl", "status=none"),
            ("drbdadm", "create-md", "--force", GUEST), ("drbdadm", "up", GUEST)]
    assert ("drbdadm", "primary", "--force", GUEST) in ran[0]
    assert ("drbdadm", "primary", "--force", GUEST) not in ran[1]

    # The kernels: the initial sync ran to its end, both Secondary (Pacemaker's to promote).
    for vm in pair.machines:
        wait_for(lambda vm=vm: proc_line(pair, vm, 2),  # type: ignore[misc]
                 re.compile(r"cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate"),
                 180, f"{vm.name}: /proc/drbd minor 2")
    # The file hadeck wrote, as each VM's drbdadm reads it.
    for vm in pair.machines:
        res = parse_dump(vm.check("drbdadm dump all")).resource(GUEST)
        assert res is not None
        assert [(h.name, h.minor, h.disk, h.address, h.port) for h in res.hosts] == [
            ("a", 2, "/dev/vg0/ng1", "10.0.0.1", 7791), ("b", 2, "/dev/vg0/ng1",
                                                         "10.0.0.2", 7791)]
        assert res.section("net")["after-sb-0pri"] == "discard-zero-changes"

    # hadeck's own read: DRBD UpToDate/UpToDate and Connected on both, the volume thin in
    # the pool and active, the pool's use as the kernel has it.
    state = read(pair)
    for node in ("a", "b"):
        mine = [r for r in state.drbd if r.name == GUEST and r.node == node]
        assert len(mine) == 1, state.drbd
        seen = mine[0]
        assert (seen.role, seen.volumes[0].disk) == ("Secondary", "UpToDate")
        assert [(c.state, c.peer_volumes[0].peer_disk) for c in seen.connections] == [
            ("Connected", "UpToDate")]
        report = next(r for r in state.lvm if r.node == node)
        volume = next(v for v in report.volumes if v.name == GUEST)
        assert (volume.vg, volume.segtype, volume.pool, volume.active) == (
            "vg0", "thin", "pool", True)
        assert volume.data_percent is not None
        assert_pool_adds_up(report)
        # DRBD 8.4 names its backing device in its configuration (drbdsetup-84 show):
        # hadeck joins it to the volume, whose pool now carries DRBD's ng1.
        assert volume.drbd == (f"{GUEST}/0",)
        assert seen.volumes[0].backing_dev == "/dev/vg0/ng1"
        # The kernel names the same device dm-N (sysfs): it is the new volume too.
        slave = next(vm for vm in pair.machines if vm.name == node).check(
            "ls /sys/block/drbd2/slaves").split()
        assert report.volume_for(f"/dev/{slave[0]}") == volume
    # The CIB step: the real cibadmin patched the CIB file with the guest, stopped.
    xml = cib.read_text()
    assert f'<primitive id="{GUEST}" class="ocf" provider="heartbeat" type="VirtualDomain"' \
        in xml
    assert f'name="drbd_resource" value="{GUEST}"' in xml
    entry = json.loads((tmp_path / "journal.jsonl").read_text().splitlines()[-1])
    assert (entry["domain"], entry["outcome"]) == ("provision", "done")

    # The same request again, on the VMs' real configuration: refused.
    code, out, err = new_guest("new-guest", GUEST, "--nodes", "a,b", "--size", "8M",
                               "--dry-run")
    assert code == 1 and f"DRBD resource {GUEST} is already configured" in out + err
    code, out, err = new_guest("new-guest", "ng2", "--resource", "r0", "--nodes", "a,b",
                               "--size", "8M", "--dry-run")
    assert code == 1 and "DRBD resource r0 is already configured" in out + err
    # A volume of that name made on b by hand: ng2's check fails there, not on a.
    pair.b.check("lvcreate -q --thin -V 4M -n ng2 vg0/pool")
    try:
        code, out, err = new_guest("new-guest", "ng2", "--nodes", "a,b", "--size", "4M",
                                   "--dry-run")
        assert code == 1 and "vg0/ng2 already exists on b" in out + err
        assert "vg0/ng2 already exists on a" not in out + err
    finally:
        pair.b.check("lvremove -q -f vg0/ng2")



def assert_pool_adds_up(report: LvmReport) -> None:
    """The pool's data use is what its thin volumes have written (to a chunk each)."""
    pool = next(v for v in report.volumes if v.name == "pool")
    assert pool.data_percent is not None and pool.metadata_percent is not None
    written = sum(v.size_bytes * (v.data_percent or 0) / 100 for v in report.volumes
                  if v.pool == "pool")
    chunks = sum(1 for v in report.volumes if v.pool == "pool")
    assert abs(pool.size_bytes * pool.data_percent / 100 - written) <= chunks * CHUNK


def test_a_filling_thin_pool_is_judged_from_the_kernels_numbers(lvm_pair: Pair) -> None:
    """20 MiB written into the template's volume on b: the pool's use, as LVM reads it
    from dm-thin, is judged against the policy's thresholds."""
    pair = lvm_pair
    pair.b.check("dd if=/dev/zero of=/dev/vg0/r1 bs=1M count=20 conv=fsync 2>/dev/null",
                 timeout=180)
    state = read(pair)

    def pool_verdict(policy: Policy) -> tuple[Health, str]:
        found = [v for v in judge(state, policy).verdicts
                 if v.key == lvm_subject("vg0", "pool", "b")]
        assert len(found) == 1
        return found[0].health, found[0].reason

    report = next(r for r in state.lvm if r.node == "b")
    assert_pool_adds_up(report)
    pool = next(v for v in report.volumes if v.name == "pool")
    assert next(v for v in report.volumes if v.name == "r1").data_percent == 83.33  # 20/24
    assert pool.data_percent is not None and pool.data_percent >= 62.5
    if any(v.name == GUEST for v in report.volumes):
        # After the new guest's initial sync: b, its sync target, had all 8 MiB written
        # (a, the source, only DRBD's metadata chunk): 28 of 32 MiB, WARNING by default.
        assert pool.data_percent == 87.5
        assert pool_verdict(Policy())[0] == WARNING

    if CAPTURE:
        capture(pair, Path(CAPTURE))
    # The thresholds, around what the kernel reported (the data written is exact; the
    # pool's own metadata is dm-thin's to decide).
    d, m = pool.data_percent, pool.metadata_percent
    assert m is not None
    words = f"thin pool data {d:.1f} %, metadata {m:.1f} %"
    on_it = f"; DRBD on it: {GUEST}/0" if any(v.drbd for v in report.volumes) else ""
    assert pool_verdict(Policy(thin_data_warning_percent=d - 1,
                               thin_data_critical_percent=d + 1)) == (WARNING, words + on_it)
    assert pool_verdict(Policy(thin_data_warning_percent=d - 2,
                               thin_data_critical_percent=d))[0] == CRITICAL
    assert pool_verdict(Policy(thin_data_warning_percent=d + 1,
                               thin_data_critical_percent=d + 2)) == (OK, words)
    assert pool_verdict(Policy(thin_data_warning_percent=d + 1, thin_data_critical_percent=d + 2,
                               thin_metadata_warning_percent=m - 1,
                               thin_metadata_critical_percent=m + 1))[0] == WARNING
    # a is untouched by the fill: its pool holds little more than DRBD's metadata.
    a_pool = next(v for v in next(r for r in state.lvm if r.node == "a").volumes
                  if v.name == "pool")
    assert a_pool.data_percent is not None and a_pool.data_percent < pool.data_percent


def capture(pair: Pair, out: Path) -> None:
    """LVM's real output on both VMs, by hadeck's own commands, into ``out`` (as
    tests/fixtures/lvm/2.03.16-vmlab/, whose README says what each file is)."""
    out.mkdir(parents=True, exist_ok=True)
    for runner in pair.runners:
        for command in (lvm.VGS, lvm.LVS, lvm.VGS_COLUMNS, lvm.LVS_COLUMNS):
            name = command.name.split("/")[-1].replace(".", f"-{runner.node}.", 1)
            (out / name).write_text(runner.run(command.argv).stdout)
        shown = runner.run(drbd_source.SHOW_84.argv).stdout
        (out / f"drbdsetup-84-show-{runner.node}.txt").write_text(shown)
        slaves = runner.run(("ls", "/sys/block/drbd2/slaves")).stdout
        (out / f"sys-block-drbd2-slaves-{runner.node}.txt").write_text(slaves)
