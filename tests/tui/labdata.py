"""The lab states the dashboard tests use, and the recorded bundle of one of them.

``python -m tests.tui.labdata`` re-records ``tests/tui/fixtures/degraded-bundle`` (after a
change to the lab's formats, say); the snapshot tests replay it, so they never depend on
the lab's clock or on Pacemaker being installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hadeck.collect import collect
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.snapshot import RecordingAccess, write_bundle

FIXTURE = Path(__file__).parent / "fixtures" / "degraded-bundle"
FROZEN_AT = 1_800_000_000.0
"""Lab time of every test lab: 2027-01-15 08:00 UTC."""


def seed_lab(directory: Path) -> Lab:
    """The seed lab with its clock frozen, so its numbers do not move under a test."""
    lab = Lab.init(directory)
    faults.freeze(lab, at=FROZEN_AT)
    return lab


def degrade(lab: Lab) -> None:
    """A night worth showing: r1 resyncing after a cut link, a dead real server."""
    faults.cut_drbd(lab, "r1")
    faults.step(lab, 30)
    faults.heal_drbd(lab, "r1")
    faults.step(lab, 10)
    faults.kill_rs(lab, "192.0.2.22")


def record(target: Path = FIXTURE, workdir: Path | None = None) -> Path:
    """Record the degraded lab into a bundle directory at ``target``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        lab = seed_lab(Path(workdir or tmp) / "lab")
        degrade(lab)
        recording = RecordingAccess(LabAccess(lab))
        state = collect(recording, clock=lambda: FROZEN_AT + 40)
        if target.exists():
            shutil.rmtree(target)
        return write_bundle(target, recording.records, state.local_node, state.taken_at)


if __name__ == "__main__":
    print(record())
