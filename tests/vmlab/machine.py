"""Tiny qemu VMs with a real kernel, driven over their serial console.

The test machines' kernel has neither DRBD nor IPVS, and their KVM cannot run a stock
kernel; software-emulated qemu (TCG) with Debian 12's cloud kernel can, and that kernel
ships ``drbd.ko`` (DRBD 8.4.11) and ``ip_vs*.ko``. ``build.sh`` makes the kernel and a
busybox initramfs with drbd-utils, ipvsadm, iproute2 and lvm2 (cached outside the
checkout); the kernel has dm-thin-pool too.

Each VM has 1 vCPU, 512 MB, a raw 32 MiB disk (``/dev/vda``), a spare 64 MiB one
(LVM's, found by its serial) and one NIC joined to its peer's through a pair of unix datagram
sockets (qemu ``-netdev dgram``): no tap, bridge, netns or port on the host. The guest's
``/init`` prints ``VMLAB-READY`` and then reads shell commands from the serial line (stdin
``/dev/null``, output a pipe: no tty, no colours, no prompt). :meth:`Machine.sh` sends
one snippet framed by markers of its own and reads to the end marker; there is no sshd in
the guest (Python 3.11 is there for hadeck's keepalived check, whose code comes on a disk
of its own: payload.py).
"""

from __future__ import annotations

import itertools
import os
import re
import select
import shlex
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BUILD = Path(__file__).with_name("build.sh")
CACHE = Path(os.environ.get("HADECK_VMLAB_CACHE", "/var/tmp/hadeck-vmlab"))
"""Where the image is built and kept between runs (never inside the checkout)."""

BOOT_TIMEOUT = 240.0
"""Seconds a VM may take to its shell: 6–9 s alone, 30 s and more on a busy 2-core host."""


DISK_MIB = 32
"""Each VM's disk (DRBD's backing device): small, so that a full resync, a verify and a
checksum take seconds under TCG; a resync at the configured 2 MiB/s still lasts ~16 s."""

SPARE_MIB = 64
"""Each VM's spare disk (sparse on the host): LVM's physical volume for the tests that
make volume groups, thin pools and new guests in the VMs."""
SPARE_SERIAL = "vmlab-spare"
"""The spare disk's serial: the guest finds it by ``/sys/block/vd*/serial``, whatever
other disks come before it."""
SPARE_DEVICE = ("$(for s in /sys/block/vd*/serial; do "
                f"[ \"$(cat $s)\" = {SPARE_SERIAL} ] && echo /dev/$(basename ${{s%/serial}}); "
                "done)")
"""A shell word that is the spare disk's device in the guest (``/dev/vdb``)."""


class VmError(Exception):
    """The VM cannot answer: qemu exited, or no end marker in time."""


@dataclass(frozen=True)
class Image:
    """The kernel and initramfs ``build.sh`` made."""

    kernel: str
    initrd: str


def build_image(timeout: float = 900.0) -> Image:
    """Build (or find cached) the image; raises :class:`VmError` with the reason."""
    try:
        proc = subprocess.run([str(BUILD)], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "WORK": str(CACHE)}, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VmError(f"vmlab build: {exc}") from None
    found = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    if proc.returncode != 0 or "KERNEL" not in found or "INITRD" not in found:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise VmError(f"vmlab build failed (exit {proc.returncode}): {tail}")
    return Image(found["KERNEL"], found["INITRD"])


@dataclass(frozen=True)
class Answer:
    """What one shell snippet printed: stdout and stderr apart, and its exit code."""

    rc: int
    stdout: str
    stderr: str


class Machine:
    """One VM: start it, run shell snippets in it, pull its cable, stop it.

    Args:
        name: its hostname (``a``, ``b``), also DRBD's ``on`` name.
        ip: its eth0 address (``10.0.0.1``), a /24.
        peer: the other VM's name (their NICs are joined).
        mac: its NIC's address.
        workdir: a private directory for the disk, sockets and console log.
        disk_mib: the size of its disk.
        payload: a disk image attached read-only after it (tests/vmlab/payload.py: hadeck
            for the guest), or None.
    """

    def __init__(self, name: str, ip: str, peer: str, mac: str, workdir: Path,
                 image: Image, disk_mib: int = DISK_MIB, payload: Path | None = None) -> None:
        self.name, self.ip, self.peer, self.mac = name, ip, peer, mac
        self.disk_mib = disk_mib
        self.payload = payload
        self.workdir, self.image = workdir, image
        self.disk = workdir / f"{name}.img"
        self.spare = workdir / f"{name}.spare.img"
        self.monitor = workdir / f"{name}.mon"
        self.console = workdir / f"{name}.console.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._buf = b""
        self._lock = threading.Lock()  # one serial line: one snippet at a time
        self._ids = itertools.count(1)
        self.boot_seconds = 0.0

    def start(self) -> None:
        self._buf = b""
        with open(self.disk, "wb") as handle:
            handle.truncate(self.disk_mib << 20)
        with open(self.spare, "wb") as handle:
            handle.truncate(SPARE_MIB << 20)
        sock, peersock = (self.workdir / f"{n}.net" for n in (self.name, self.peer))
        argv = [
            # 512 MB: the initramfs (~70 MB unpacked, a tmpfs) and two Pythons of hadeck's
            # keepalived check at once; at 256 MB, after the DRBD tests, their start aborted.
            "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "512", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "stdio", "-monitor", f"unix:{self.monitor},server=on,wait=off",
            "-kernel", self.image.kernel, "-initrd", self.image.initrd,
            "-append", f"console=ttyS0 quiet panic=-1 vmlab.name={self.name} "
                       f"vmlab.ip={self.ip}/24",
            "-drive", f"file={self.disk},if=virtio,format=raw,cache=writeback",
            "-drive", f"file={self.spare},if=none,id=spare,format=raw,cache=writeback",
            # A high PCI slot: probed after every if=virtio disk, so /dev/vda stays DRBD's.
            "-device", f"virtio-blk-pci,drive=spare,serial={SPARE_SERIAL},addr=0x10",
            "-netdev", f"dgram,id=n0,local.type=unix,local.path={sock},"
                       f"remote.type=unix,remote.path={peersock}",
            "-device", f"virtio-net-pci,netdev=n0,mac={self.mac}",
        ]
        if self.payload is not None:  # after the DRBD disk: that one stays /dev/vda
            argv += ["-drive", f"file={self.payload},if=virtio,format=raw,readonly=on"]
        self._log = open(self.console, "wb")
        self._started = time.monotonic()
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, bufsize=0)
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdout.fileno(), False)

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> float:
        """Wait for the guest's shell; returns the seconds since :meth:`start`."""
        self._read_until(re.compile(rb"VMLAB-READY[^\n]*\n"), timeout)
        self.boot_seconds = time.monotonic() - self._started
        return self.boot_seconds

    def sh(self, script: str, timeout: float = 60.0, stdin: str | None = None) -> Answer:
        """Run a shell snippet (dash) in the guest; stderr is kept apart from stdout.

        Each call has markers of its own, so the answer of an earlier snippet that timed
        out and finished late is skipped, not taken for this one's.

        Raises:
            VmError: qemu exited, or the snippet did not finish within ``timeout``.
        """
        with self._lock:
            n = next(self._ids)
            err = f"/tmp/vml-err.{n}"
            lines = [f"{{ {script}\n}} 2>{err}" + (f" <<'VML_IN_{n}'" if stdin is not None
                                                    else " </dev/null")]
            if stdin is not None:
                lines += [stdin.rstrip("\n"), f"VML_IN_{n}"]
            lines += [f'echo "@@RC{n}=$?@@"; cat {err}; rm -f {err}; echo "@@END{n}@@"']
            self._send("\n".join(lines) + "\n")
            out, match = self._read_until(re.compile(rb"@@RC%d=(\d+)@@\n" % n), timeout)
            errtext, _ = self._read_until(re.compile(rb"@@END%d@@\n" % n), timeout)
            return Answer(int(match.group(1)), _text(out), _text(errtext))

    def check(self, script: str, timeout: float = 60.0) -> str:
        """:meth:`sh` that must exit 0; returns its stdout."""
        answer = self.sh(script, timeout)
        if answer.rc != 0:
            raise VmError(f"{self.name}: `{script}` exited {answer.rc}: "
                          f"{answer.stderr.strip() or answer.stdout.strip()}")
        return answer.stdout

    def write_file(self, path: str, text: str) -> None:
        self.check(f"cat > {shlex.quote(path)} <<'VML_EOF'\n{text.rstrip()}\nVML_EOF")

    def hmp(self, command: str) -> str:
        """One qemu human-monitor command (``set_link n0 off`` pulls the cable)."""
        data = b""
        with socket.socket(socket.AF_UNIX) as mon:
            mon.settimeout(10)
            mon.connect(str(self.monitor))
            while b"(qemu)" not in data:
                data += mon.recv(4096)
            mon.sendall(command.encode() + b"\n")
            data = b""
            while b"(qemu)" not in data:
                data += mon.recv(4096)
        text = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", data).decode(errors="replace")
        return text.replace("\r", "").replace("(qemu)", "").strip()

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                self._send("poweroff -f\n")
                proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()

    def _send(self, text: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise VmError(f"{self.name}: qemu is not running")
        proc.stdin.write(text.encode())
        proc.stdin.flush()

    def _read_until(self, pattern: re.Pattern[bytes],
                    timeout: float) -> tuple[bytes, re.Match[bytes]]:
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(self._buf)
            if match:
                before, self._buf = self._buf[:match.start()], self._buf[match.end():]
                return before, match
            left = deadline - time.monotonic()
            if left <= 0:
                raise VmError(f"{self.name}: no {pattern.pattern!r} within {timeout:g} s; "
                              f"console tail {self._buf[-300:]!r}")
            self._fill(min(left, 1.0))

    def _fill(self, wait: float) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], wait)
        if not ready:
            return
        data = proc.stdout.read(65536) or b""
        if not data and proc.poll() is not None:
            raise VmError(f"{self.name}: qemu exited {proc.returncode}; console tail "
                          f"{self._buf[-600:]!r}")
        if self._log is not None:
            self._log.write(data)
            self._log.flush()
        self._buf += data


def _text(data: bytes) -> str:
    return data.replace(b"\r", b"").decode(errors="replace")
