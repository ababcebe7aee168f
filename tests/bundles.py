"""Bundles assembled by hand from real captures, as the bundle docs say an operator can."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES, sample

PCMK = FIXTURES / "pacemaker" / "2.1.5"


def write(root: Path, hostname: str, files: dict[str, str],
          commands: dict[str, dict[str, object]] | None = None) -> Path:
    """A bundle directory: ``files`` maps ``<node>/<command name>`` to its output."""
    root.mkdir(parents=True, exist_ok=True)
    meta = {"hostname": hostname, "taken_at": 1795312800.0, "commands": commands or {}}
    (root / "meta.json").write_text(json.dumps(meta))
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def seed_cluster(root: Path, drbd_case: str = "healthy-primary-2node.txt",
                 ipvs_case: str = "dr-http-https-persistent.txt",
                 storage: bool = False) -> Path:
    """jupiter1 as the local node: real crm_mon of the seed, DRBD, LVS, virsh, corosync;
    with ``storage``, also its LVM (lvm2 2.03.16) and one rdiff-backup repository
    (2.2.2, a run that died) as a recording of ``[backups.repos.vm1]`` keeps them."""
    node = "jupiter1"
    files = {
        f"{node}/pacemaker/crm_mon.xml": (PCMK / "all-up.xml").read_text(),
        f"{node}/pacemaker/cib-configuration.xml":
            (PCMK / "moved-with-lifetime.cib-configuration.xml").read_text(),
        f"{node}/drbd/proc-drbd.txt": "version: 9.2.5 (api:2/proto:86-122)\n",
        f"{node}/drbd/events2.txt": sample("drbd-events2", drbd_case),
        f"{node}/lvs/proc-net-ip_vs.txt": sample("proc-net-ip_vs", ipvs_case),
        f"{node}/lvs/ipvsadm-Ln.txt": sample("ipvsadm-Ln", ipvs_case),
        f"{node}/guests/virsh-list.txt": sample("virsh-list", "running-paused-shutoff.txt"),
        f"{node}/corosync/cfgtool-s.txt": sample("corosync-cfgtool",
                                                 "3node-knet-all-connected.txt"),
        f"{node}/corosync/quorumtool-s.txt": sample("corosync-quorumtool",
                                                    "3node-one-down-quorate.txt"),
        f"{node}/host/mdstat.txt": sample("proc-mdstat", "raid1-healthy-bitmap.txt"),
        f"{node}/host/facts.json": (FIXTURES / "host" / "facts.json").read_text(),
    }
    commands: dict[str, dict[str, object]] = {}
    if storage:
        lvm, rdiff = FIXTURES / "lvm" / "2.03.16", FIXTURES / "rdiff-backup" / "2.2.2"
        files |= {
            f"{node}/lvm/vgs.json": (lvm / "vgs.json").read_text(),
            f"{node}/lvm/lvs.json": (lvm / "lvs.json").read_text(),
            f"{node}/backups/vm1/increments.txt":
                (rdiff / "increments-interrupted.txt").read_text(),
            f"{node}/backups/vm1/rdiff-backup-data.txt":
                (rdiff / "data-dir-interrupted.txt").read_text(),
        }
        commands[f"{node}/backups/vm1/increments.txt"] = {
            "argv": ["rdiff-backup", "--parsable-output", "list", "increments",
                     "/srv/backup/vm1"]}
    return write(root, node, files, commands)
