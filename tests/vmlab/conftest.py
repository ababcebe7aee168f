"""One pair of vmlab VMs per test session, for every test under tests/vmlab/.

``vm_pair`` (session scope) builds the image (cached in /var/tmp/hadeck-vmlab) and boots
both VMs once — or skips every vmlab test with the reason when this machine cannot (not
root, no qemu, the build's download failed) — and stops them in every case. ``drbd`` and
``lvs`` (per test) hand the pair back to its rest state first: ``r0`` connected and
UpToDate on both, Secondary on both, cables in; no virtual service on the director.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.vmlab.machine import VmError, build_image
from tests.vmlab.pair import Pair
from tests.vmlab.runner import opened


def unavailable() -> str | None:
    """Why the pair cannot run here, or None."""
    if os.geteuid() != 0:
        return "vmlab needs root (its image build apt-gets the guest's Debian packages)"
    if shutil.which("qemu-system-x86_64") is None:
        return "vmlab needs qemu-system-x86 (scripts/setup --test installs it)"
    return None


@pytest.fixture(scope="session")
def vm_pair() -> Iterator[Pair]:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    try:
        image = build_image()
    except VmError as exc:
        pytest.skip(f"vmlab image cannot be built here: {exc}")
    pair = Pair(image)
    try:
        pair.start()
        yield pair
    finally:
        pair.close()


@pytest.fixture
def drbd(vm_pair: Pair) -> Pair:
    """The pair with ``r0`` at rest (connected, Secondary/Secondary, UpToDate/UpToDate)."""
    vm_pair.reset_drbd()
    return vm_pair


@pytest.fixture
def lvs(vm_pair: Pair) -> Pair:
    """The pair with an empty IPVS table on the director ``a``."""
    vm_pair.reset_lvs()
    return vm_pair


Hadeck = Callable[..., tuple[int, str, str]]
"""``hadeck(*argv)`` → (exit code, stdout, stderr) of hadeck's command line."""


@pytest.fixture(scope="session")
def seeded_cib(vm_pair: Pair) -> str:
    """A converged CIB file of a Pacemaker cluster of the two VMs (seeded once)."""
    return vm_pair.seed_cib()


@pytest.fixture
def cib(seeded_cib: str, tmp_path: Path) -> Path:
    """The test's own copy of the seeded CIB: what its actions change, others never see."""
    mine = tmp_path / "cib.xml"
    shutil.copyfile(seeded_cib, mine)
    return mine


@pytest.fixture
def hadeck(vm_pair: Pair, cib: Path, monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> Hadeck:
    """hadeck's command line, in this process, with the VM pair as its cluster.

    The one thing replaced is where the cluster is: :func:`hadeck.opening.open_cluster`
    returns the pair's :class:`~tests.vmlab.runner.VmAccess`, so every command the
    command line runs goes through the VMs' runners (Pacemaker's tools on ``cib``). The
    journal is the test's own.
    """
    from hadeck.cli.main import main

    monkeypatch.setenv("HADECK_JOURNAL", str(tmp_path / "journal.jsonl"))
    cluster = opened(vm_pair.runners, cib=str(cib))
    monkeypatch.setattr("hadeck.opening.open_cluster", lambda *_, **__: cluster)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue()

    return run
