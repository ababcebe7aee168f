"""hadeck for the guests: a read-only ext4 disk of this checkout's hadeck and the Python
packages its SNMP path imports, attached to each VM (the image has Python 3.11, not hadeck).

Made once per test session from the running code (so the guests run the code under
test, never a copy cached with the image), compiled here for the guest's Python (the same
Debian 3.11: the guest need not compile under TCG). In the guest, :data:`MOUNT_SCRIPT`
mounts it on :data:`GUEST_DIR` and :data:`WRAPPER` is ``/usr/local/bin/hadeck``, the
path share/keepalived/hadeck-weights.conf runs.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

LABEL = "vml-hadeck"
GUEST_DIR = "/opt/hadeck"
SUBPACKAGES = ("actions", "checks", "cli", "tui")
"""hadeck's subpackages that live beside it in the checkout (pyproject's package-dir)."""
DEPENDENCIES = ("pysnmp", "pyasn1", "cryptography", "cffi", "pycparser")
"""What ``hadeck weights --keepalived`` imports beyond the standard library."""

MOUNT_SCRIPT = (f"mkdir -p {GUEST_DIR} && for d in /dev/vd?; do "
                f"if [ \"$(dd if=$d bs=1 skip=1144 count={len(LABEL)} 2>/dev/null)\" = "
                f"{LABEL} ]; then mount -t ext4 -o ro $d {GUEST_DIR}; fi; done; "
                f"test -d {GUEST_DIR}/hadeck")
"""Mounts the disk found by its label in ext4's superblock (the guest has no blkid; the DRBD
disk is never tried)."""
WRAPPER = f"""#!/usr/bin/python3
import sys
sys.path.insert(0, "{GUEST_DIR}")
from hadeck.cli.main import main
sys.exit(main())
"""


class PayloadError(Exception):
    """The disk cannot be made here (no mke2fs, a package missing)."""


def _location(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise PayloadError(f"{name} is not importable here")
    return Path(next(iter(spec.submodule_search_locations)))


def make(where: Path) -> Path:
    """The disk image, made under ``where``; raises :class:`PayloadError`."""
    if shutil.which("mke2fs") is None:
        raise PayloadError("needs mke2fs (e2fsprogs)")
    tree = where / "payload"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    shutil.copytree(_location("hadeck"), tree / "hadeck", ignore=ignore)
    for sub in SUBPACKAGES:
        target = tree / "hadeck" / sub
        if not target.exists():
            shutil.copytree(_location(f"hadeck.{sub}"), target, ignore=ignore)
    site = _location("pysnmp").parent
    for name in DEPENDENCIES:
        shutil.copytree(_location(name), tree / name, ignore=ignore)
    for extra in [*site.glob("_cffi_backend*.so"),
                  *(d for name in DEPENDENCIES for d in site.glob(f"{name}-*.dist-info"))]:
        (shutil.copytree if extra.is_dir() else shutil.copy2)(extra, tree / extra.name)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j0", "-s", str(tree),
                    "-p", GUEST_DIR, str(tree)], capture_output=True, check=False)
    size = sum(f.stat().st_size for f in tree.rglob("*") if f.is_file())
    image = where / "hadeck.ext4"
    with open(image, "wb") as handle:
        handle.truncate(int(size * 1.5) + (16 << 20))
    made = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal",
                           "-L", LABEL, "-d", str(tree), str(image)],
                          capture_output=True, text=True, check=False)
    shutil.rmtree(tree, ignore_errors=True)
    if made.returncode != 0:
        raise PayloadError(f"mke2fs: {made.stderr.strip()}")
    return image
