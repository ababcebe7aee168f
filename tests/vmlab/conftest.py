"""One pair of vmlab VMs per test session, for every test under tests/vmlab/.

``vm_pair`` (session scope) builds the image (cached in /var/tmp/hadeck-vmlab) and boots
both VMs once — or skips every vmlab test with the reason when this machine cannot (not
root, no qemu, the build's download failed) — and stops them in every case. ``drbd`` and
``lvs`` (per test) hand the pair back to its rest state first: ``r0`` connected and
UpToDate on both, Secondary on both, cables in; no virtual service on the director.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.vmlab.machine import VmError, build_image
from tests.vmlab.pair import Pair


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
