"""``hadeck drbd …`` on real DRBD 8.4: every action does what it says on the kernel, the
guard rails refuse, and a split brain is recovered with the victim's data discarded.

The command line runs in this process with the VM pair as its cluster (``hadeck``
fixture: the VMs' runners, Pacemaker's real tools on a CIB file of the pair). What each
test checks is what the kernel says afterwards (/proc/drbd read on its own, and the
disks' checksums), not what hadeck says it did.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.vmlab.conftest import Hadeck
from tests.vmlab.machine import Machine
from tests.vmlab.pair import RESOURCE, Pair

pytestmark = [pytest.mark.vmlab, pytest.mark.usefixtures("drbd")]
R = RESOURCE


def cs(pair: Pair, vm: Machine) -> str:
    """/proc/drbd's ``cs: ro: ds:`` of ``r0`` on ``vm``."""
    fields = dict(re.findall(r"\b(cs|ro|ds):(\S+)", pair.proc_drbd(vm)))
    return f"{fields['cs']} {fields['ro']} {fields['ds']}"


def data_sum(vm: Machine) -> str:
    """The checksum of the data area of ``vm``'s backing disk (DRBD's internal metadata at
    its end left out), read past the page cache."""
    return vm.check("sync; echo 3 > /proc/sys/vm/drop_caches; "
                    "head -c $(( $(cat /sys/block/drbd0/size) * 512 )) /dev/vda | md5sum",
                    timeout=120).split()[0]


def act(hadeck: Hadeck, *argv: str) -> str:
    """``hadeck drbd …`` that must succeed; its stdout."""
    code, out, err = hadeck("drbd", *argv, "--yes")
    assert code == 0, f"exit {code}\n{out}\n{err}"
    return out


def refused(hadeck: Hadeck, *argv: str) -> str:
    """``hadeck drbd …`` that must be refused (exit 1); why, as printed."""
    code, out, err = hadeck("drbd", *argv, "--yes")
    assert code == 1, f"exit {code}\n{out}\n{err}"
    return out + err


def test_disconnect_then_connect(drbd: Pair, hadeck: Hadeck) -> None:
    act(hadeck, "disconnect", R, "--node", "a")
    assert cs(drbd, drbd.a) == "StandAlone Secondary/Unknown UpToDate/DUnknown"
    drbd.wait_drbd(drbd.b, r"cs:WFConnection")
    act(hadeck, "connect", R, "--node", "a")
    for vm in drbd.machines:
        drbd.wait_drbd(vm, r"cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate")


def test_primary_second_primary_refused_then_secondary(drbd: Pair, hadeck: Hadeck) -> None:
    act(hadeck, "primary", R, "--node", "a")
    assert cs(drbd, drbd.a) == "Connected Primary/Secondary UpToDate/UpToDate"
    why = refused(hadeck, "primary", R, "--node", "b")
    assert "allow-two-primaries" in why
    assert cs(drbd, drbd.b) == "Connected Secondary/Primary UpToDate/UpToDate"
    act(hadeck, "secondary", R, "--node", "a")
    assert cs(drbd, drbd.a) == "Connected Secondary/Secondary UpToDate/UpToDate"


def test_primary_refused_where_pacemaker_manages_the_resource(
        drbd: Pair, hadeck: Hadeck, cib: Path) -> None:
    # The CIB's promotable DRBD clone now names r0: Pacemaker's agent would undo a
    # manual promotion.
    subprocess.run(["crm_resource", "--resource", "p_drbd_vm1", "--set-parameter",
                    "drbd_resource", "--parameter-value", R], check=True,
                   env={"CIB_file": str(cib), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                   capture_output=True)
    why = refused(hadeck, "primary", R, "--node", "a")
    assert "managed by Pacemaker" in why and "hadeck move" in why
    assert cs(drbd, drbd.a) == "Connected Secondary/Secondary UpToDate/UpToDate"


def test_verify_runs_to_its_end(drbd: Pair, hadeck: Hadeck) -> None:
    drbd.fast_sync()
    out = act(hadeck, "verify", R, "--node", "a", "--wait", "120")
    assert "online verify of r0 finished: 0 KiB out of sync" in out
    assert cs(drbd, drbd.a) == "Connected Secondary/Secondary UpToDate/UpToDate"


def test_invalidate_resyncs_from_the_peer(drbd: Pair, hadeck: Hadeck) -> None:
    drbd.fast_sync()
    act(hadeck, "invalidate", R, "--node", "b", "--wait", "120")
    for vm in drbd.machines:
        drbd.wait_drbd(vm, r"cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate")


def test_pause_and_resume_a_resync_and_the_only_copy_is_kept(drbd: Pair,
                                                              hadeck: Hadeck) -> None:
    drbd.a.check(f"drbdadm invalidate-remote {R}")  # a full resync a → b, slow
    drbd.wait_drbd(drbd.a, r"cs:SyncSource")
    act(hadeck, "pause-sync", R, "--node", "a")
    drbd.wait_drbd(drbd.a, r"cs:PausedSyncS .* r--u--")
    # b is Inconsistent: a's is the only UpToDate copy, never to be invalidated.
    why = refused(hadeck, "invalidate", R, "--node", "a")
    assert "only UpToDate" in why
    assert cs(drbd, drbd.a) == "PausedSyncS Secondary/Secondary UpToDate/Inconsistent"
    act(hadeck, "resume-sync", R, "--node", "a", "--wait", "5")
    # Running again, or (on a slow host, while hadeck read it back) already finished.
    drbd.wait_drbd(drbd.a, r"cs:SyncSource .* r-----|ds:UpToDate/UpToDate")


def test_split_brain_recovery_discards_the_victims_data(drbd: Pair, hadeck: Hadeck) -> None:
    drbd.split_brain()
    survivor, victim = data_sum(drbd.a), data_sum(drbd.b)
    assert survivor != victim  # each side wrote its own data while apart
    # The victim must not be the side with the only UpToDate data … both are here, so
    # the operator's choice stands.
    drbd.fast_sync()
    out = act(hadeck, "resolve", R, "--victim", "b", "--wait", "120")
    assert "connected" in out
    for vm in drbd.machines:
        drbd.wait_drbd(vm, r"cs:Connected ro:\w+/\w+ ds:UpToDate/UpToDate")
    assert cs(drbd, drbd.b).startswith("Connected Secondary/")
    assert data_sum(drbd.a) == data_sum(drbd.b) == survivor
