"""Capture the real tools' output on the vmlab pair into tests/fixtures/vmlab/.

    python -m tests.vmlab.capture [DIR]      (as root; boots the pair, about 3 minutes)

Each capture is the exact stdout of one command on one VM, in a file named
``<command>__<node>__<situation>.txt`` (stderr, when there is any, beside it as
``.stderr``); ``index.tsv`` says per file the node, the exit code and the exact argv.
The situations are made for real: a resync, a pulled cable, a split brain, traffic
through the director from a client namespace.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.vmlab.machine import Machine, build_image
from tests.vmlab.pair import CLIENT_NS, RESOURCE, VIP, WEB_PORTS, Pair

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "vmlab"
R = RESOURCE


class Recorder:
    def __init__(self, pair: Pair, out: Path) -> None:
        self.pair, self.out = pair, out
        self.index: list[str] = []

    def take(self, vm: Machine, argv: list[str], situation: str) -> str:
        runner = self.pair.runners[0 if vm is self.pair.a else 1]
        result = runner.run(argv)
        command = "_".join(a.lstrip("/").replace("/", "_") for a in argv if a != R)
        command = re.sub(r"[^A-Za-z0-9_.:=-]", "", command)
        name = f"{command}__{vm.name}__{situation}"
        (self.out / f"{name}.txt").write_text(result.stdout)
        if result.stderr:
            (self.out / f"{name}.stderr").write_text(result.stderr)
        self.index.append(f"{name}.txt\t{vm.name}\t{result.returncode}\t{' '.join(argv)}")
        return result.stdout

    def drbd(self, vm: Machine, situation: str) -> None:
        self.take(vm, ["cat", "/proc/drbd"], situation)
        self.take(vm, ["drbdsetup", "events2", "--now", "--statistics"], situation)
        self.take(vm, ["drbdadm", "status"], situation)

    def write_index(self) -> None:
        (self.out / "index.tsv").write_text(
            "file\tnode\texit\targv\n" + "\n".join(sorted(self.index)) + "\n")


def capture(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pair = Pair(build_image(), disk_mib=64)  # as tests/fixtures/vmlab/ was made
    try:
        pair.start()
        rec = Recorder(pair, out)
        a, b = pair.a, pair.b
        for vm in (a, b):
            rec.take(vm, ["uname", "-r"], "version")
        rec.take(a, ["drbdadm", "--version"], "version")
        rec.take(a, ["ipvsadm", "--version"], "version")
        rec.take(a, ["cat", "/etc/drbd.conf"], "config")
        pair.reset_drbd()
        for vm in (a, b):
            rec.drbd(vm, "connected_secondary")
        rec.take(a, ["drbdsetup", "status", "--json"], "connected_secondary")
        rec.take(a, ["drbdsetup", "status", R, "--verbose", "--statistics"],
                 "connected_secondary")
        for verb in ("connect", "disconnect", "primary", "secondary", "verify",
                     "invalidate", "invalidate-remote", "pause-sync", "resume-sync",
                     "down", "up", "adjust"):
            rec.take(a, ["drbdadm", "-d", verb, R], "dry_run")
        rec.take(a, ["drbdadm", "-d", "connect", "--discard-my-data", R], "dry_run")
        rec.take(a, ["drbdadm", "-d", "primary", "--force", R], "dry_run")
        rec.take(a, ["drbdadm", "-d", "connect", "nosuch"], "dry_run_unknown_resource")

        a.check(f"drbdadm primary {R}")
        pair.wait_drbd(b, r"ro:Secondary/Primary")
        for vm in (a, b):
            rec.drbd(vm, "connected_primary_a")
        rec.take(b, ["drbdadm", "primary", R], "while_a_primary")

        # A full resync from a: slow (2M/s), so it is read while it runs.
        a.check(f"drbdadm invalidate-remote {R}")
        pair.wait_drbd(a, r"sync'ed:\s+[1-9]")
        for vm in (a, b):
            rec.drbd(vm, "syncing")
        a.check(f"drbdadm pause-sync {R}")
        pair.wait_drbd(a, r"PausedSyncS")
        for vm in (a, b):
            rec.drbd(vm, "sync_paused_by_user")
        a.check(f"drbdadm resume-sync {R}")
        pair.wait_drbd(a, r"cs:SyncSource")
        a.check(f"drbdadm disk-options --c-plan-ahead=0 --resync-rate=100M {R}")
        pair.wait_drbd(b, r"ds:UpToDate/UpToDate")

        a.check(f"drbdadm verify {R}")
        pair.wait_drbd(a, r"cs:VerifyS")
        for vm in (a, b):
            rec.drbd(vm, "verifying")
        pair.wait_drbd(a, r"cs:Connected")

        # Pull a's cable: the peer is lost after the ping timeout.
        a.hmp("set_link n0 off")
        pair.wait_drbd(a, r"cs:WFConnection")
        pair.wait_drbd(b, r"cs:WFConnection")
        for vm in (a, b):
            rec.drbd(vm, "cable_pulled")
        a.check("dd if=/dev/urandom of=/dev/drbd0 bs=4096 count=256 conv=fsync")
        rec.drbd(a, "cable_pulled_written")
        a.hmp("set_link n0 on")
        pair.wait_drbd(b, r"ds:UpToDate/UpToDate")
        rec.take(a, ["cat", "/proc/drbd"], "reconnected")

        # Split brain: both Primary and written while apart.
        a.hmp("set_link n0 off")
        pair.wait_drbd(b, r"cs:WFConnection")
        b.check(f"drbdadm primary {R}")
        for vm in (a, b):
            vm.check("dd if=/dev/urandom of=/dev/drbd0 bs=4096 count=64 conv=fsync")
        a.hmp("set_link n0 on")
        pair.wait_drbd(a, r"cs:StandAlone")
        pair.wait_drbd(b, r"cs:StandAlone")
        for vm in (a, b):
            rec.drbd(vm, "split_brain")
        rec.take(b, ["drbdadm", "-d", "connect", "--discard-my-data", R], "split_brain_dry_run")
        b.check(f"drbdadm secondary {R} && drbdadm connect --discard-my-data {R}")
        rec.drbd(b, "split_brain_victim_connecting")
        a.check(f"drbdadm connect {R}")
        pair.wait_drbd(b, r"ds:UpToDate/UpToDate")
        for vm in (a, b):
            rec.drbd(vm, "split_brain_recovered")
        a.check(f"drbdadm secondary {R}")
        rec.take(a, ["drbdadm", "down", R], "down")
        for vm in (a, b):
            rec.drbd(vm, "peer_a_down" if vm is b else "down")

        # LVS: a director on a, two real servers (httpd ports) on b, NAT.
        rec.take(a, ["cat", "/proc/net/ip_vs"], "empty")
        rec.take(a, ["ipvsadm", "-Ln"], "empty")
        a.check(f"ipvsadm -A -t {VIP}:80 -s wlc && "
                f"ipvsadm -a -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[0]} -m -w 3 && "
                f"ipvsadm -a -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[1]} -m -w 1 && "
                f"ipvsadm -A -u {VIP}:53 -s rr && "
                f"ipvsadm -a -u {VIP}:53 -r 10.0.0.2:53 -m -w 1")
        lvs_reads = (["ipvsadm", "-Ln"], ["ipvsadm", "-Ln", "--stats", "--exact"],
                     ["ipvsadm", "-Ln", "--stats"], ["ipvsadm", "-Ln", "--rate"],
                     ["ipvsadm", "-Ln", "--rate", "--exact"], ["ipvsadm", "-Sn"],
                     ["cat", "/proc/net/ip_vs"], ["cat", "/proc/net/ip_vs_stats"],
                     ["cat", "/proc/net/ip_vs_conn"])
        for argv in lvs_reads:
            rec.take(a, argv, "two_rs_idle")
        for _ in range(12):
            pair.client(f"wget -q -O - http://{VIP}/ >/dev/null")
        pair.client(f"sleep 300 | nc {VIP} 80 >/dev/null & sleep 300 | nc {VIP} 80 "
                    f">/dev/null & true")
        rec.take(a, ["ipvsadm", "-Ln"], "two_open_connections")
        rec.take(a, ["ipvsadm", "-Lnc"], "two_open_connections")
        rec.take(a, ["ipvsadm", "-Ln", "--rate"], "right_after_traffic")
        pair.wait_lvs(r"TCP\s+\S+:80\s+14\s")
        for argv in lvs_reads:
            rec.take(a, argv, "after_traffic")
        a.check(f"ipvsadm -e -t {VIP}:80 -r 10.0.0.2:{WEB_PORTS[0]} -m -w 0")
        rec.take(a, ["ipvsadm", "-Ln"], "drained")
        rec.take(a, ["ipvsadm", "-e", "-t", f"{VIP}:80", "-r", "10.0.0.9:80", "-m", "-w",
                     "1"], "missing_rs")
        rec.take(a, ["ipvsadm", "-A", "-t", f"{VIP}:80", "-s", "wlc"], "duplicate_service")
        rec.take(a, ["ipvsadm", "-d", "-t", f"{VIP}:81", "-r", "10.0.0.2:80"],
                 "missing_service")
        a.check(f"ip netns exec {CLIENT_NS} true; kill $(pidof nc) 2>/dev/null; true")
        rec.write_index()
    finally:
        pair.close()


if __name__ == "__main__":
    capture(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
