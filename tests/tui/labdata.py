"""The lab states the dashboard tests use, and the recorded bundle of one of them.

``python -m tests.tui.labdata`` re-records ``tests/tui/fixtures/degraded-bundle`` and
``blocked-bundle`` (after a
change to the lab's formats, say); the snapshot tests replay it, so they never depend on
the lab's clock or on Pacemaker being installed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from hadeck.collect import collect
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.snapshot import RecordingAccess, write_bundle

FIXTURE = Path(__file__).parent / "fixtures" / "degraded-bundle"
FROZEN_AT = 1_800_000_000.0
"""Lab time of every test lab: 2027-01-15 08:00 UTC."""


def seed_lab(directory: Path, at: float = FROZEN_AT) -> Lab:
    """The seed lab with its clock frozen, so its numbers do not move under a test."""
    lab = Lab.init(directory)
    faults.freeze(lab, at=at)
    return lab


def degrade(lab: Lab) -> None:
    """A night worth showing: r1 resyncing after a cut link, a dead real server."""
    faults.cut_drbd(lab, "r1")
    faults.step(lab, 30)
    faults.heal_drbd(lab, "r1")
    faults.step(lab, 10)
    faults.kill_rs(lab, "192.0.2.22")


BLOCKED_FIXTURE = Path(__file__).parent / "fixtures" / "blocked-bundle"
"""A root cause with its effects: vm1's stop failed on jupiter1 (blocked)."""


def block(lab: Lab) -> None:
    """vm1's stop fails on jupiter1 without fencing: blocked there, while the real
    scheduler promotes its DRBD on jupiter2 (a broken colocation, a guest off Primary)."""
    faults.fail_resource(lab, "vm1", "stop", "jupiter1")
    faults.step(lab, 10)


def record(target: Path = FIXTURE, workdir: Path | None = None,
           fault: Callable[[Lab], None] = degrade, at: float = FROZEN_AT) -> Path:
    """Record the lab, with ``fault`` done to it, into a bundle directory at ``target``.

    Args:
        at: the lab's time. crm_simulate stamps operations with the wall clock
            (``last-rc-change``): a bundle whose failures must read at their true age is
            recorded at the wall clock's time (``time.time()``).
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        lab = seed_lab(Path(workdir or tmp) / "lab", at)
        fault(lab)
        recording = RecordingAccess(LabAccess(lab))
        state = collect(recording, clock=lambda: at + 40)
        if target.exists():
            shutil.rmtree(target)
        return write_bundle(target, recording.records, state.local_node, state.taken_at)


if __name__ == "__main__":
    print(record())
    print(record(BLOCKED_FIXTURE, fault=block, at=float(int(time.time()))))
