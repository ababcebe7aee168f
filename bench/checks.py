"""Cold-start cost of each check plugin: a whole run on a bundle, best of N.

Informational only (the import-hygiene test is what fails a build). Each plugin runs as a
subprocess, as Nagios runs it, on a bundle of real-format captures built here, next to
``python3 -c pass`` measured in the same run; the ratio is what to watch (aim: 3x or
less), since absolute times on a shared machine are noise.

    python bench/checks.py [-n 15]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fixtures" / "formats" / "samples"
PACEMAKER = ROOT / "tests" / "fixtures" / "pacemaker" / "2.1.5"
PLUGINS = ("cluster", "drbd", "guests", "lvs", "pingd", "corosync", "node")
NODE = "jupiter2"

FILES = {
    "pacemaker/crm_mon.xml": PACEMAKER / "moved-with-lifetime.xml",
    "pacemaker/cib-configuration.xml": PACEMAKER / "moved-with-lifetime.cib-configuration.xml",
    "drbd/events2.txt": SAMPLES / "drbd-events2" / "multi-resource-volumes-peers.txt",
    "guests/virsh-list.txt": SAMPLES / "virsh-list" / "running-paused-shutoff.txt",
    "lvs/proc-net-ip_vs.txt": SAMPLES / "proc-net-ip_vs" / "dr-http-https-persistent.txt",
    "lvs/ipvsadm-Ln.txt": SAMPLES / "ipvsadm-Ln" / "nat-udp-dns-and-quiesced.txt",
    "keepalived/keepalived.json": SAMPLES / "keepalived" / "json-dump.txt",
    "corosync/cfgtool-s.txt": SAMPLES / "corosync-cfgtool" / "3node-knet-all-connected.txt",
    "corosync/quorumtool-s.txt": SAMPLES / "corosync-quorumtool" / "3node-one-down-quorate.txt",
    "host/mdstat.txt": SAMPLES / "proc-mdstat" / "raid1-healthy-bitmap.txt",
}
FACTS = {
    "schema": 1, "load": [0.5, 0.4, 0.3], "cpu_count": 4, "cpu_percent": 10.0,
    "memory_total": 16 << 30, "memory_available": 8 << 30, "swap_total": 0, "swap_used": 0,
    "uptime_s": 1000.0,
    "disks": [{"mountpoint": "/", "device": "/dev/vda1", "fstype": "ext4",
               "total_bytes": 100 << 30, "used_bytes": 40 << 30, "free_bytes": 60 << 30}],
}


def build_bundle(root: Path) -> Path:
    (root / "meta.json").write_text(json.dumps({"hostname": NODE}))
    for name, source in FILES.items():
        target = root / NODE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    (root / NODE / "drbd" / "proc-drbd.txt").write_text(
        "version: 9.2.4 (api:2/proto:86-122)\n")
    (root / NODE / "host" / "facts.json").write_text(json.dumps(FACTS))
    return root


def best(argv: list[str], runs: int) -> tuple[float, str]:
    times = []
    line = ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        line = proc.stdout.splitlines()[0] if proc.stdout else proc.stderr.strip()
    return min(times), line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="runs per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = build_bundle(Path(tmp))
        base, _ = best([sys.executable, "-c", "pass"], args.runs)
        print(f"{'python3 -c pass':28} {base * 1000:7.1f} ms   1.00x")
        worst = 0.0
        for plugin in PLUGINS:
            took, line = best([sys.executable, "-m", f"hadeck.checks.{plugin}", "--from",
                               str(bundle)], args.runs)
            worst = max(worst, took / base)
            print(f"{'check_hadeck_' + plugin:28} {took * 1000:7.1f} ms {took / base:6.2f}x"
                  f"   {line[:70]}")
        print(f"worst ratio {worst:.2f}x (aim: 3x or less; informational)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
