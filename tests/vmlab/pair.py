"""The two vmlab VMs as a tiny cluster: DRBD resource ``r0`` between them, and an IPVS
director on ``a`` in front of web servers on ``b``.

Set-up and reset are shell snippets run as root in the guests, written here once: the
tests say what state they want (:meth:`Pair.reset_drbd`, :meth:`Pair.start_web`) and
poll for what the kernel reports, never sleep a fixed time.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.vmlab import payload
from tests.vmlab.machine import DISK_MIB, Image, Machine, VmError
from tests.vmlab.runner import VmRunner

RESOURCE = "r0"
DRBD_PORT = 7789
# A fixed resync rate (c-plan-ahead 0 turns the dynamic controller off), slow enough
# that a full sync of the disk lasts long enough to be read while it runs.
DRBD_CONF = f"""global {{ usage-count no; }}
resource {RESOURCE} {{
  net {{ protocol C; ping-int 2; verify-alg crc32c; }}
  disk {{ c-plan-ahead 0; resync-rate 2M; }}
  on a {{ device /dev/drbd0; disk /dev/vda; address 10.0.0.1:{DRBD_PORT}; meta-disk internal; }}
  on b {{ device /dev/drbd0; disk /dev/vda; address 10.0.0.2:{DRBD_PORT}; meta-disk internal; }}
}}"""

CLEAN = re.compile(r"cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate")
"""/proc/drbd's line of a resource at rest: what every test starts from."""
IN_SYNC = re.compile(r"cs:Connected ro:\w+/\w+ ds:UpToDate/UpToDate")

CLIENT_NS = "vml-cl"
"""The client network namespace inside VM a (its traffic goes through the director)."""
VIP = "192.168.77.1"
"""The virtual service's address: the director's side of the client's veth pair."""
CLIENT_IP = "192.168.77.2"
WEB_PORTS = (80, 8080)
"""busybox httpd on b, one per port: two real servers of one service."""


class Pair:
    """Both VMs, booted and ready; :meth:`close` stops them and removes their files."""

    def __init__(self, image: Image, disk_mib: int = DISK_MIB) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="vml-"))
        try:  # hadeck in the guests (the keepalived test runs it there)
            self.payload: Path | None = payload.make(self.workdir)
            self.payload_error = ""
        except (payload.PayloadError, OSError) as exc:
            self.payload, self.payload_error = None, str(exc)
        self.a = Machine("a", "10.0.0.1", "b", "52:54:00:00:00:01", self.workdir, image,
                         disk_mib, self.payload)
        self.b = Machine("b", "10.0.0.2", "a", "52:54:00:00:00:02", self.workdir, image,
                         disk_mib, self.payload)
        self.runners = (VmRunner(self.a), VmRunner(self.b))
        self._adjust = False

    @property
    def machines(self) -> tuple[Machine, Machine]:
        return self.a, self.b

    def start(self) -> None:
        try:
            self._boot()
        except VmError:
            # Once more: a guest that died in its boot (seen once, on a loaded host) is
            # not what the tests are about. A second failure is reported.
            for vm in self.machines:
                vm.stop()
            self._boot()
        for vm in self.machines:
            vm.check("modprobe drbd && modprobe ip_vs && modprobe ip_vs_wlc && "
                     "mkdir -p /etc/drbd.d /www")
            vm.write_file("/etc/drbd.conf", DRBD_CONF)
            vm.write_file("/www/index.html", f"hello from {vm.name}")
        self.a.check("echo 1 > /proc/sys/net/ipv4/ip_forward && "
                     f"ip netns add {CLIENT_NS} && "
                     "ip link add vml-d0 type veth peer name vml-c0 && "
                     f"ip link set vml-c0 netns {CLIENT_NS} && "
                     f"ip addr add {VIP}/24 dev vml-d0 && ip link set vml-d0 up && "
                     f"ip -n {CLIENT_NS} addr add {CLIENT_IP}/24 dev vml-c0 && "
                     f"ip -n {CLIENT_NS} link set vml-c0 up && ip -n {CLIENT_NS} link set lo up &&"
                     f" ip -n {CLIENT_NS} route add default via {VIP}")
        # NAT: b answers the client through the director, which rewrites the replies.
        self.b.check("ip route add 192.168.77.0/24 via 10.0.0.1")
        for port in WEB_PORTS:
            self.b.check(f"httpd -p {port} -h /www")

    def seed_cib(self) -> str:
        """A CIB file of a Pacemaker cluster of ``a`` and ``b`` (the lab's seed: one
        guest on a promotable DRBD clone of resource ``r1``, a group, a ping clone),
        written and converged by the real tools; its path."""
        from hadeck.lab.scenario import CibScenario

        return str(CibScenario.seed(self.workdir / "pacemaker", guest_nodes=("a", "b"),
                                    arbiter=None, guests=1).cib)

    def _boot(self) -> None:
        for vm in self.machines:
            vm.start()
        for vm in self.machines:
            vm.wait_ready()

    def close(self) -> None:
        for vm in self.machines:
            vm.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ------------------------------------------------------------------ DRBD
    def proc_drbd(self, vm: Machine) -> str:
        return vm.check("cat /proc/drbd")

    def wait_drbd(self, vm: Machine, pattern: str, timeout: float = 120.0) -> str:
        """Poll /proc/drbd on ``vm`` until ``pattern`` is in it; returns that text."""
        return wait_for(lambda: self.proc_drbd(vm), re.compile(pattern), timeout,
                        f"{vm.name}: /proc/drbd")

    def reset_drbd(self) -> None:
        """``r0`` connected, Secondary on both, UpToDate on both, cables in.

        Cheap when it already is; otherwise new metadata on both disks and no initial
        sync (``--clear-bitmap new-current-uuid``: both disks are all zeros).
        """
        for vm in self.machines:
            vm.hmp("set_link n0 on")
        if self._adjust:  # the configured resync rate again
            for vm in self.machines:
                vm.sh(f"drbdadm adjust {RESOURCE}")
            self._adjust = False
        if all(IN_SYNC.search(self.proc_drbd(vm)) for vm in self.machines):
            for vm in self.machines:  # a Primary left by a test: demoting it is enough
                vm.sh(f"drbdadm secondary {RESOURCE}")
        if all(CLEAN.search(self.proc_drbd(vm)) for vm in self.machines):
            return
        for vm in self.machines:
            vm.sh(f"drbdadm down {RESOURCE}")
        for vm in self.machines:
            vm.check(f"drbdadm create-md --force {RESOURCE} && drbdadm up {RESOURCE}")
        self.wait_drbd(self.a, r"cs:Connected ro:Secondary/Secondary ds:Inconsistent/")
        self.a.check(f"drbdadm -- --clear-bitmap new-current-uuid {RESOURCE}")
        for vm in self.machines:
            self.wait_drbd(vm, CLEAN.pattern)

    def fast_sync(self) -> None:
        """Resync and verify at up to 100 MiB/s until the next reset (the configured
        2 MiB/s is for reading a resync while it runs)."""
        for vm in self.machines:
            vm.check(f"drbdadm disk-options --c-plan-ahead=0 --resync-rate=100M {RESOURCE}")
        self._adjust = True

    def split_brain(self) -> None:
        """Both Primary and written while apart, then reconnected: StandAlone on both."""
        self.a.hmp("set_link n0 off")
        for vm in self.machines:
            self.wait_drbd(vm, r"cs:WFConnection")
        for vm in self.machines:
            vm.check(f"drbdadm primary {RESOURCE} && "
                     "dd if=/dev/urandom of=/dev/drbd0 bs=4096 count=16 conv=fsync")
        self.a.hmp("set_link n0 on")
        for vm in self.machines:
            self.wait_drbd(vm, r"cs:StandAlone")

    # ------------------------------------------------------------------ LVS
    def reset_lvs(self) -> None:
        """No virtual service on the director."""
        self.a.check("ipvsadm -C")

    def wait_lvs(self, pattern: str, argv: str = "ipvsadm -Ln --stats --exact",
                 timeout: float = 60.0) -> str:
        """Poll the director until ``pattern`` is in ``argv``'s output (IPVS sums its
        per-CPU counters every 2 s: right after traffic they are behind)."""
        return wait_for(lambda: self.a.check(argv), re.compile(pattern), timeout,
                        f"a: {argv}")

    def client(self, script: str, timeout: float = 60.0) -> str:
        """Run ``script`` in the client namespace on a (through the director)."""
        return self.a.check(f"ip netns exec {CLIENT_NS} sh -c '{script}'", timeout)


def wait_for(read: Callable[[], str], pattern: re.Pattern[str], timeout: float,
             what: str) -> str:
    """Poll ``read`` until ``pattern`` is in its text; returns that text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = read()
        if pattern.search(text):
            return text
        time.sleep(0.5)
    raise VmError(f"{what}: no {pattern.pattern!r} within {timeout:g} s; last:\n{text}")
