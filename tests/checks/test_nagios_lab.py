"""A real Nagios 4 schedules the plugins against the lab; the lab's faults, plugin by plugin.

The first test is the last "done when" of issue 4: a Nagios 4 daemon, started in a temp
directory with its own nagios.cfg (never the system's /etc/nagios4, never a running
service), schedules ``check_hadeck_cluster``, ``check_hadeck_drbd`` and
``check_hadeck_pingd`` against a lab every second; the test reads back what Nagios
recorded in status.dat — the state, status line and perfdata an admin reads in the web
UI — OK before, CRITICAL after :func:`hadeck.lab.faults.fail_node` crashes jupiter1.
The services use the shipped templates from share/nagios/hadeck.cfg with a local command
instead of NRPE, so the templates are scheduled for real, not only parsed.

The other tests run each plugin (in process) through ``--lab`` after one injected
fault (a cut DRBD link, dead real servers, a failed director, a lost ping node), the
example-style tests of STYLE.md practice 7 on the lab's live world.

Every wait is bounded, and the daemon's whole process group (the core, its check workers
and the plugins they run) is stopped in a finalizer whatever the test did.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from tests.checks.helpers import Perf, parse_perfdata, run_check

pytestmark = pytest.mark.pacemaker

SHARE = Path(__file__).resolve().parents[2] / "share"

START_TIMEOUT = 20.0
"""Seconds for the daemon to start and write its first status.dat (it takes < 1 s here)."""
STATE_TIMEOUT = 30.0
"""Seconds for the recorded states to settle, each phase (about 2 s here)."""

OK, CRITICAL = 0, 2
"""Nagios service states, as status.dat records them (current_state, last_hard_state)."""
HARD = 1
"""status.dat's state_type of a hard state (max_check_attempts 1: the first result)."""

# interval_length=1 makes every "minute" of the shipped templates one second, so the
# checks run every second and a state change shows within about two; status.dat is
# rewritten every second. No retention, notifications, flap detection or host checks: a
# state that comes from this run's checks only. The check result path, command FIFO and
# query socket are in the temp directory, so nothing outside it is touched.
NAGIOS_CFG = """\
log_file={tmp}/nagios.log
debug_file={tmp}/nagios.debug
cfg_file={tmp}/objects.cfg
cfg_file={share}/nagios/hadeck.cfg
resource_file={tmp}/resource.cfg
status_file={tmp}/status.dat
status_update_interval=1
object_cache_file={tmp}/objects.cache
precached_object_file={tmp}/objects.precache
temp_file={tmp}/nagios.tmp
temp_path={tmp}
lock_file={tmp}/nagios.lock
check_result_path={tmp}/checkresults
check_result_reaper_frequency=1
command_file={tmp}/nagios.cmd
check_external_commands=1
query_socket={tmp}/nagios.qh
nagios_user={user}
nagios_group={group}
check_workers=2
interval_length=1
service_inter_check_delay_method=n
max_service_check_spread=1
execute_host_checks=0
retain_state_information=0
use_syslog=0
enable_notifications=0
enable_flap_detection=0
illegal_macro_output_chars=`~$&|'"<>
"""

WEEK = "".join(f"    {day} 00:00-24:00\n" for day in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))

OBJECTS_CFG = """\
define timeperiod {{
    timeperiod_name 24x7
    alias           always
{week}}}
define contact {{
    contact_name                  admin
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    lab_check_hadeck_cluster
    service_notification_commands lab_check_hadeck_cluster
}}
define service {{
    name                generic-service
    check_period        24x7
    notification_period 24x7
    contacts            admin
    register            0
}}
define host {{
    host_name          cluster
    address            127.0.0.1
    max_check_attempts 1
    check_period       24x7
    contacts           admin
}}
{commands}
define service {{
    use                 hadeck-cluster
    host_name           cluster
    max_check_attempts  1
    check_command       lab_check_hadeck_cluster!--lab {lab}
}}
define service {{
    use                 hadeck-drbd
    host_name           cluster
    service_description hadeck drbd jupiter2
    max_check_attempts  1
    check_command       lab_check_hadeck_drbd!--lab {lab} --node jupiter2
}}
define service {{
    use                 hadeck-pingd
    host_name           cluster
    max_check_attempts  1
    check_command       lab_check_hadeck_pingd!--lab {lab}
}}
"""

SERVICES = ("hadeck cluster", "hadeck drbd jupiter2", "hadeck pingd")

Status = dict[str, dict[str, str]]
"""status.dat's service blocks: service description → field → value, as Nagios wrote it."""


def plugin_command(plugin: str) -> str:
    """The command line Nagios runs for a plugin: the console script pip installed next
    to this interpreter (what an admin's Nagios runs), else the module run by it.

    Not ``shutil.which``: under pyenv that finds a bash shim that needs pyenv's
    environment, not the script.
    """
    script = Path(sysconfig.get_path("scripts")) / f"check_hadeck_{plugin}"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    return f"{sys.executable} -m hadeck.checks.{plugin}"


def nagios_binary() -> str:
    path = shutil.which("nagios4") or next(
        (p for p in ("/usr/sbin/nagios4", "/usr/sbin/nagios") if Path(p).exists()), None)
    if path is None:
        pytest.skip("nagios4 is not installed (scripts/setup --test installs nagios4-core)")
    return path


def read_status(path: Path) -> Status:
    """status.dat's ``servicestatus`` blocks by service description.

    Nagios writes the file to a temp file and renames it, so a read sees one whole
    version; values may contain ``=`` (perfdata), so each line splits at the first one.
    """
    services: Status = {}
    block: dict[str, str] | None = None
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line == "servicestatus {":
            block = {}
        elif line == "}" and block is not None:
            services[block["service_description"]] = block
            block = None
        elif block is not None and "=" in line:
            key, _, value = line.partition("=")
            block[key] = value
    return services


@dataclass
class Nagios:
    """A Nagios 4 daemon running in ``directory``, and what it recorded."""

    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def status_file(self) -> Path:
        return self.directory / "status.dat"

    def log(self) -> str:
        """nagios.log and the daemon's own output, for failure messages."""
        texts = []
        for name in ("nagios.log", "stdout.txt"):
            path = self.directory / name
            if path.exists():
                texts.append(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(texts)

    def services(self) -> Status:
        return read_status(self.status_file) if self.status_file.exists() else {}

    def command(self, *fields: str) -> None:
        """Send one external command through the command FIFO, as the web UI does.

        Opened non-blocking: without a reader (the daemon's command file worker) the open
        fails with ENXIO instead of hanging the test, and is retried until the deadline.
        """
        line = f"[{int(time.time())}] {';'.join(fields)}\n".encode()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                fd = os.open(self.directory / "nagios.cmd", os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno not in (errno.ENXIO, errno.ENOENT) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
                continue
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            return

    def force_checks(self) -> None:
        """Check every service now rather than at its next scheduled time."""
        now = str(int(time.time()))
        for service in SERVICES:
            self.command("SCHEDULE_FORCED_SVC_CHECK", "cluster", service, now)

    def wait_for(self, what: str, done: Callable[[Status], bool]) -> Status:
        """Poll status.dat until ``done`` holds; fail with what was recorded if it never
        does within :data:`STATE_TIMEOUT`."""
        deadline = time.monotonic() + STATE_TIMEOUT
        services: Status = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"nagios4 exited ({self.process.returncode}) while waiting for "
                            f"{what}\n{self.log()}")
            services = self.services()
            if services and done(services):
                return services
            time.sleep(0.2)
        summary = {name: (s.get("current_state"), s.get("has_been_checked"),
                          s.get("plugin_output")) for name, s in services.items()}
        pytest.fail(f"no {what} within {STATE_TIMEOUT:g} s; recorded: {summary}\n{self.log()}")

    def stop(self) -> None:
        """Stop the core, its workers and any plugin still running: they share the
        process group the daemon was started in, and nothing else is in it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        try:  # workers outlive a core that died on its own
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    """The seed lab (jupiter1, jupiter2, arbiter sun; vm1, vm2 on DRBD; lvs1, lvs2)."""
    if not (shutil.which("crm_simulate") and shutil.which("crm_mon")):
        pytest.skip("pacemaker-cli-utils (crm_simulate, crm_mon) not installed")
    return Lab.init(tmp_path / "lab")


@pytest.fixture
def nagios(lab: Lab, tmp_path: Path) -> Iterator[Nagios]:
    """A Nagios 4 daemon checking the lab, stopped whatever the test does.

    It runs as the user running the tests (``nagios_user`` is that user, root included,
    which Nagios 4 accepts), not as ``nagios``: the plugins run under the interpreter
    that runs these tests, and that may be where the nagios user cannot go (pyenv's
    under a 0700 /root here). It also takes the lab's flock as the same user that made
    the lab, so the lab needs no world-writable files. What the nagios user may read
    on a real node is share/sudoers.d's question, tested in test_share.py.
    """
    binary = nagios_binary()
    directory = tmp_path / "nagios"
    (directory / "checkresults").mkdir(parents=True)
    commands = "".join(
        f"define command {{\n    command_name lab_check_hadeck_{p}\n"
        f"    command_line {plugin_command(p)} $ARG1$\n}}\n"
        for p in ("cluster", "drbd", "pingd"))
    (directory / "objects.cfg").write_text(OBJECTS_CFG.format(
        week=WEEK, commands=commands, lab=lab.directory))
    (directory / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    config = directory / "nagios.cfg"
    config.write_text(NAGIOS_CFG.format(
        tmp=directory, share=SHARE, user=pwd.getpwuid(os.getuid()).pw_name,
        group=grp.getgrgid(os.getgid()).gr_name))

    # A configuration error is this test's bug, not the machine's: fail on it.
    verify = subprocess.run([binary, "-v", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    with open(directory / "stdout.txt", "wb") as out:
        # Foreground (no -d), in a session of its own so stop() can signal the group.
        process = subprocess.Popen([binary, str(config)], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=directory, start_new_session=True)
    daemon = Nagios(directory, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not daemon.status_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                # A valid configuration that does not start is this machine's limit
                # (no fork for workers, no setgid, a sandbox): say which, and skip.
                pytest.skip(f"nagios4 cannot start here (exit {process.poll()}):\n"
                            f"{daemon.log()}")
            time.sleep(0.1)
        yield daemon
    finally:
        daemon.stop()


def perfdata(service: dict[str, str]) -> dict[str, Perf]:
    """The perfdata Nagios recorded, read by the same strict parser as the plugin tests."""
    return parse_perfdata(service["performance_data"])


def checked_since(since: float, name: str, state: int) -> Callable[[Status], bool]:
    """A test of status.dat: ``name`` is in ``state`` from a check that ran after
    ``since`` (so not a result Nagios recorded before the fault)."""
    def done(services: Status) -> bool:
        service = services.get(name, {})
        return (service.get("current_state") == str(state)
                and int(service.get("last_check", "0")) >= int(since))
    return done


def test_nagios_records_ok_then_critical_when_a_node_fails(lab: Lab, nagios: Nagios) -> None:
    """The scheduled plugins are OK on the seed lab and CRITICAL once jupiter1 crashes."""
    before = nagios.wait_for("OK from every service", lambda services: all(
        services.get(name, {}).get("has_been_checked") == "1"
        and services[name].get("current_state") == str(OK) for name in SERVICES))

    cluster = before["hadeck cluster"]
    assert cluster["plugin_output"].startswith("HADECK CLUSTER OK - "), cluster
    assert "3 of 3 nodes online" in cluster["plugin_output"]
    assert perfdata(cluster)["nodes_online"].value == 3
    drbd = before["hadeck drbd jupiter2"]
    assert drbd["plugin_output"].startswith("HADECK DRBD OK - "), drbd
    assert "r1/jupiter1/0_oos" in perfdata(drbd)
    pingd = before["hadeck pingd"]
    assert pingd["plugin_output"].startswith("HADECK PINGD OK - "), pingd
    assert set(perfdata(pingd)) == {"pingd_jupiter1", "pingd_jupiter2", "pingd_sun"}

    failed_at = time.time()
    faults.fail_node(lab, "jupiter1")
    nagios.force_checks()
    cluster_critical = checked_since(failed_at, "hadeck cluster", CRITICAL)
    drbd_critical = checked_since(failed_at, "hadeck drbd jupiter2", CRITICAL)
    after = nagios.wait_for("CRITICAL from cluster and drbd after jupiter1 failed",
                            lambda services: cluster_critical(services)
                            and drbd_critical(services))

    cluster = after["hadeck cluster"]
    assert cluster["plugin_output"].startswith(
        "HADECK CLUSTER CRITICAL - jupiter1: offline"), cluster
    assert cluster["state_type"] == str(HARD)
    assert cluster["last_hard_state"] == str(CRITICAL)
    assert perfdata(cluster)["nodes_online"].value == 2
    drbd = after["hadeck drbd jupiter2"]
    assert drbd["plugin_output"].startswith("HADECK DRBD CRITICAL - "), drbd
    assert "jupiter1" in drbd["plugin_output"]
    assert perfdata(drbd)["r1/jupiter1/0_oos"].value > 0

    # The state change is in Nagios's own log too: the line an admin's alert comes from.
    log = (nagios.directory / "nagios.log").read_text()
    assert ("SERVICE ALERT: cluster;hadeck cluster;CRITICAL;HARD;1;"
            "HADECK CLUSTER CRITICAL - jupiter1: offline") in log


# --------------------------------------------------------------------------- lab faults


def test_drbd_is_critical_when_the_link_is_cut(lab: Lab) -> None:
    assert run_check("drbd", "--lab", lab.directory, "--node", "jupiter2").state == "OK"
    faults.cut_drbd(lab, "r1")
    out = run_check("drbd", "--lab", lab.directory, "--node", "jupiter2")
    assert out.state == "CRITICAL"
    assert out.text.startswith("r1: jupiter2 → jupiter1: peer not connected"), out.text
    assert "r2/jupiter1/0_sync" in out.perf  # the other resource is still measured


def test_lvs_warns_then_is_critical_as_real_servers_die(lab: Lab) -> None:
    """One of ssh's two real servers dead: under ``-w 2:``; both: the service is down."""
    args = ("--lab", lab.directory, "--node", "lvs1", "-w", "2:", "-c", "1:")
    assert run_check("lvs", *args).state == "OK"
    faults.kill_rs(lab, "192.0.2.21", service="ssh")
    out = run_check("lvs", *args)
    assert out.state == "WARNING", out.stdout
    assert out.perf["TCP_192.0.2.80:22_weighted"].value == 1
    faults.kill_rs(lab, "192.0.2.22", service="ssh")
    out = run_check("lvs", *args)
    assert out.state == "CRITICAL", out.stdout
    # keepalived.conf configures both: each is named, as down (the first leads, the other
    # counts in "+1 more"); the service left with none is why the state is CRITICAL.
    assert out.text.startswith("192.0.2.21: real server 192.0.2.21 down (gone from the "
                               "IPVS table) → out of TCP 192.0.2.80:22 on lvs1"), out.text
    assert out.text.endswith("(+1 more)"), out.text
    assert out.perf["TCP_192.0.2.80:22_weighted"].value == 0


def test_lvs_sees_the_failover_when_the_master_director_fails(lab: Lab) -> None:
    """The backup takes MASTER (a WARNING where BACKUP is expected); the failed director
    answers nothing (UNKNOWN, not a guess)."""
    out = run_check("lvs", "--lab", lab.directory, "--node", "lvs2", "--expect-role", "BACKUP")
    assert out.state == "OK", out.stdout
    faults.fail_director(lab, "lvs1")
    out = run_check("lvs", "--lab", lab.directory, "--node", "lvs2", "--expect-role", "BACKUP")
    assert out.state == "WARNING", out.stdout
    assert "MASTER" in out.stdout
    out = run_check("lvs", "--lab", lab.directory, "--node", "lvs1")
    assert out.state == "UNKNOWN", out.stdout
    assert "lvs1" in out.text


def test_pingd_is_critical_when_a_node_loses_the_ping_node(lab: Lab) -> None:
    faults.ping_lost(lab, "jupiter2")
    out = run_check("pingd", "--lab", lab.directory)
    assert out.state == "CRITICAL"
    assert out.text.startswith("jupiter2: reaches no ping node → "), out.text
    assert out.perf["pingd_jupiter2"].value == 0
    assert out.perf["pingd_jupiter1"].value == 100
