"""keepalived runs hadeck's weight check (MISC_CHECK ``misc_dynamic``) against a real snmpd.

A network namespace of the test's own (``hdk<pid>``) holds a real snmpd on 127.0.0.2 (the
real server's agent) and keepalived with a configuration shaped like
share/keepalived/hadeck-weights.conf: one virtual service, one real server 127.0.0.2:80
whose MISC_CHECK is ``hadeck --config FILE weights --keepalived 127.0.0.2:80``.

- The check as keepalived runs it (its argv split from ``misc_path``, a bare environment,
  inside the namespace): the exit code is the weight + 2 (keepalived's misc_dynamic rule)
  for the load snmpd reports; once snmpd is stopped, the weight the kernel has + 2, or 0
  where there is no IPVS table to read it from (here).
- keepalived itself running the check: it needs IPVS. Where the kernel has none (this
  machine: no ip_vs module), keepalived's checker process logs "IPVS: Can't initialize
  ipvs" and exits before it runs any check, so the test skips with what keepalived said;
  where IPVS is there, the kernel's weight (``ipvsadm -Ln`` in the namespace) must become
  the weight keepalived logged from the check's exit code.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"
SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
HADECK = Path(sys.executable).parent / "hadeck"
PORT = 1161
BARE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root: the test makes a network namespace"
    for tool in (KEEPALIVED, SNMPD):
        if not Path(tool).exists():
            return f"needs {Path(tool).name} (apt-get install keepalived snmpd)"
    if not HADECK.exists():
        return f"hadeck is not installed next to {sys.executable}"
    return None


@dataclass
class Site:
    netns: str
    where: Path
    config: Path
    keepalived_conf: Path
    snmpd: subprocess.Popen[bytes]

    def inside(self, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.netns, *argv], capture_output=True,
                              text=True, timeout=60, **kwargs)  # type: ignore[call-overload]

    def misc_argv(self) -> list[str]:
        (path,) = re.findall(r'misc_path "([^"]+)"', self.keepalived_conf.read_text())
        return shlex.split(path)

    def stop_snmpd(self) -> None:
        self.snmpd.terminate()
        self.snmpd.wait(timeout=10)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    reason = why_not()
    if reason:
        pytest.skip(reason)
    netns = f"hdk{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "del", netns], capture_output=True)
    made = subprocess.run(["ip", "netns", "add", netns], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace: {made.stderr.strip()}")
    snmpd = None
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        community = "c-" + secrets.token_hex(8)
        (tmp_path / "snmpd.conf").write_text(f"rocommunity {community} 127.0.0.0/8\n")
        log = tmp_path / "snmpd.log"
        snmpd = subprocess.Popen(
            ["ip", "netns", "exec", netns, SNMPD, "-f", "-Lo", "-C", "-c",
             str(tmp_path / "snmpd.conf"), "-M", "/dev/null", "-m", "",
             f"--persistentDir={tmp_path / 'persist'}", f"udp:127.0.0.2:{PORT}"],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while "NET-SNMP version" not in log.read_text(errors="replace"):
            assert snmpd.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        config = tmp_path / "hadeck.toml"
        config.write_text(f'[snmp.agents."127.0.0.2"]\naddress = "127.0.0.2"\nport = {PORT}\n'
                          f'community = "{community}"\ntimeout = 1\nretries = 0\n'
                          "weight = 100\n")
        config.chmod(0o600)
        conf = tmp_path / "keepalived.conf"
        # The shape of share/keepalived/hadeck-weights.conf, on the namespace's loopback.
        conf.write_text(
            "global_defs {\n    router_id hdk_test\n    script_user root\n"
            "    enable_script_security\n}\n"
            "virtual_server 127.0.0.1 80 {\n    delay_loop 1\n    lb_algo wlc\n"
            "    lb_kind DR\n    protocol TCP\n"
            "    real_server 127.0.0.2 80 {\n        weight 100\n        MISC_CHECK {\n"
            f'            misc_path "{HADECK} --config {config} weights --keepalived '
            '127.0.0.2:80"\n'
            "            misc_timeout 10\n            misc_dynamic\n        }\n    }\n}\n")
        yield Site(netns, tmp_path, config, conf, snmpd)
    finally:
        if snmpd is not None and snmpd.poll() is None:
            snmpd.terminate()
            snmpd.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def test_keepalived_accepts_the_configuration(site: Site) -> None:
    run = subprocess.run([KEEPALIVED, "-t", "-f", str(site.keepalived_conf)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_check_as_keepalived_runs_it_exits_with_the_weight_plus_two(site: Site) -> None:
    run = site.inside(site.misc_argv(), env=BARE_ENV)
    assert 2 <= run.returncode <= 255, run.stdout + run.stderr
    weight = run.returncode - 2
    assert 10 <= weight <= 100  # floor 10 %, ceiling 100 % of the configured 100
    (said,) = run.stdout.splitlines()
    assert f"→ weight {weight} (exit {run.returncode})" in said
    load = float(re.search(r"load (\d+\.\d+)", said)[1])  # type: ignore[index]
    assert abs(load - os.getloadavg()[0]) < 2.0  # snmpd's real load: the host's
    site.stop_snmpd()
    gone = site.inside(site.misc_argv(), env=BARE_ENV)
    assert gone.returncode == 0, gone.stdout + gone.stderr  # keepalived keeps the weight
    assert "no answer from 127.0.0.2" in gone.stdout


def test_keepalived_sets_the_weight_the_check_gives(site: Site) -> None:
    if shutil.which("ipvsadm") is None:
        pytest.skip("needs ipvsadm to read the kernel's weight (apt-get install ipvsadm)")
    log = site.where / "keepalived.log"
    args = ["--dont-fork", "--log-console", "--log-detail", "--check", "-f",
            str(site.keepalived_conf), "-p", str(site.where / "k.pid"),
            "-c", str(site.where / "c.pid"), "-r", str(site.where / "v.pid")]
    keepalived = subprocess.Popen(["ip", "netns", "exec", site.netns, KEEPALIVED, *args],
                                  stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        changed = None
        while changed is None:
            text = log.read_text(errors="replace")
            if "Can't initialize ipvs" in text or "ip_vs not found" in text:
                said = next((ln for ln in text.splitlines() if "initialize ipvs" in ln),
                            "ip_vs not found")
                pytest.skip("no IPVS in this kernel: keepalived's checker stops before it "
                            f"runs any check ({said.strip()})")
            changed = re.search(r"Changing weight from 100 to (\d+)", text)
            assert time.monotonic() < deadline, f"keepalived never changed the weight:\n{text}"
            time.sleep(0.2)
        table = site.inside(["ipvsadm", "-Ln"]).stdout
        row = next(ln for ln in table.splitlines() if "127.0.0.2:80" in ln)
        assert row.split()[2] == changed[1], table
    finally:
        keepalived.terminate()
        keepalived.wait(timeout=20)
