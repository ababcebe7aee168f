"""A real LVM volume group on loop devices, for the tests (root only).

These machines' kernel has no device-mapper (``/dev/mapper/control`` is missing), so
``lvcreate`` refuses to make a volume it cannot activate. LVM's metadata tools work
without it: :func:`real_vg` makes the physical volumes and the group with the real
``pvcreate``/``vgcreate``, then writes the logical volumes — a linear one, a thin pool
with its hidden data and metadata volumes, a thin volume in it — into the group's own
metadata with the real ``vgcfgbackup``/``vgcfgrestore --force``, as LVM's text format
(the format ``vgcfgbackup`` writes; ``man vgcfgrestore``). ``vgs``/``lvs`` then report
them as LVM does on any node where they are not active: attributes with ``X`` where the
kernel would be asked, no data use. Everything is named ``lvb…`` and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

EXTENT_MIB = 4
"""vgcreate's default extent size."""
ENV = {**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"}


def missing() -> str | None:
    """Why a real volume group cannot be made here, or None."""
    if os.geteuid() != 0:
        return "needs root (losetup, pvcreate on loop devices)"
    for tool in ("losetup", "pvcreate", "vgcreate", "vgcfgrestore", "vgs", "lvs"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"{tool} not installed: apt-get install lvm2 (scripts/setup --test)"
    if not Path("/dev/loop-control").exists():
        return "no loop devices (/dev/loop-control)"
    return None


def _run(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


def _segment(extents: int, body: str) -> str:
    return (f"\t\t\tsegment_count = 1\n\n\t\t\tsegment1 {{\n\t\t\t\tstart_extent = 0\n"
            f"\t\t\t\textent_count = {extents}\n{body}\t\t\t}}\n")


def _lv(name: str, number: int, visible: bool, segment: str) -> str:
    status = '"READ", "WRITE", "VISIBLE"' if visible else '"READ", "WRITE"'
    return (f"\t\t{name} {{\n\t\t\tid = \"lvbLV{number:01d}-aaaa-aaaa-aaaa-aaaa-aaaa-"
            f"aaaaa{number}\"\n\t\t\tstatus = [{status}]\n\t\t\tflags = []\n{segment}\t\t}}\n")


def _linear(start: int) -> str:
    return (f"\t\t\t\ttype = \"striped\"\n\t\t\t\tstripe_count = 1\n\t\t\t\tstripes = [\n"
            f"\t\t\t\t\t\"pv0\", {start}\n\t\t\t\t]\n")


def logical_volumes(linear: int, pool: int, thin: int) -> tuple[str, int]:
    """The ``logical_volumes`` block: ``r0`` linear (``linear`` extents), ``pool`` a thin
    pool of ``pool`` extents (metadata one extent, a spare one), ``r1`` a thin volume of
    ``thin`` extents in it. Returns the block and the extents allocated on the PV."""
    at = 0
    parts = [_lv("r0", 1, True, _segment(linear, _linear(at)))]
    at += linear
    parts.append(_lv("pool", 2, True, _segment(pool, (
        "\t\t\t\ttype = \"thin-pool\"\n\t\t\t\tmetadata = \"pool_tmeta\"\n"
        "\t\t\t\tpool = \"pool_tdata\"\n\t\t\t\ttransaction_id = 1\n"
        "\t\t\t\tchunk_size = 128\n\t\t\t\tdiscards = \"passdown\"\n"
        "\t\t\t\tzero_new_blocks = 1\n"))))
    parts.append(_lv("r1", 3, True, _segment(thin, (
        "\t\t\t\ttype = \"thin\"\n\t\t\t\tthin_pool = \"pool\"\n"
        "\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1\n"))))
    parts.append(_lv("pool_tmeta", 4, False, _segment(1, _linear(at))))
    at += 1
    parts.append(_lv("pool_tdata", 5, False, _segment(pool, _linear(at))))
    at += pool
    parts.append(_lv("lvol0_pmspare", 6, False, _segment(1, _linear(at))))
    at += 1
    return "\tlogical_volumes {\n\n" + "\n".join(parts) + "\t}\n", at


@dataclass(frozen=True)
class RealVg:
    name: str
    devices: tuple[str, ...]
    size_bytes: int
    allocated_extents: int


@contextmanager
def real_vg(workdir: Path, name: str = "lvbvg0", pv_mib: int = 64, linear: int = 3,
            pool: int = 6, thin: int = 10) -> Iterator[RealVg]:
    """A volume group ``name`` on one loop device of ``pv_mib`` MiB, with ``r0`` (linear),
    ``pool`` (thin pool) and ``r1`` (thin) in it; removed on exit."""
    image = workdir / f"lvb-{name}.img"
    with image.open("wb") as f:
        f.truncate(pv_mib * 2**20)
    device = _run("losetup", "--find", "--show", str(image)).strip()
    try:
        _run("pvcreate", "-q", device)
        _run("vgcreate", "-q", name, device)
        backup = workdir / f"lvb-{name}.vg"
        _run("vgcfgbackup", "-q", "-f", str(backup), name)
        text = backup.read_text()
        block, used = logical_volumes(linear, pool, thin)
        end = text.rstrip().rfind("}")
        text = text[:end] + block + "\n}\n"
        text = text.replace("seqno = 1", "seqno = 2", 1)
        backup.write_text(text)
        _run("vgcfgrestore", "-q", "--force", "-f", str(backup), name)
        pe_count = int(text.split("pe_count = ")[1].split()[0])
        yield RealVg(name, (device,), pe_count * EXTENT_MIB * 2**20, used)
    finally:
        subprocess.run(["vgremove", "-q", "-f", name], capture_output=True, env=ENV,
                       timeout=60)
        subprocess.run(["pvremove", "-q", "-f", device], capture_output=True, env=ENV,
                       timeout=60)
        subprocess.run(["losetup", "-d", device], capture_output=True, timeout=60)
        image.unlink(missing_ok=True)
