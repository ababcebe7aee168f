"""share/: the Icinga 2, Nagios, NRPE and sudoers files, checked by the real tools."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadeck.checks import common
from hadeck.sources import corosync, drbd, guests, lvm, lvs, pacemaker
from tests.checks.helpers import PLUGINS

SHARE = Path(__file__).resolve().parents[2] / "share"


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A directory the nagios user can read: icinga2 and nagios4 drop root for it."""
    with tempfile.TemporaryDirectory(prefix="hadeck-share-") as name:
        os.chmod(name, 0o755)
        yield Path(name)


def need(tool: str) -> str:
    path = shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if Path(p).exists()), None)
    if path is None:
        pytest.skip(f"{tool} is not installed (scripts/setup --test installs it)")
    return path


# --------------------------------------------------------------------------- Icinga 2

ICINGA_MAIN = """
const PluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
const NodeName = "jupiter1"
const ZoneName = "jupiter1"
include <itl>
include "{conf}"

object Host "jupiter1" {{
  check_command = "dummy"
  address = "127.0.0.1"
  vars.hadeck_sudo = true
  vars.hadeck_timeout = 20
}}

object Host "lvs1" {{
  check_command = "dummy"
  address = "127.0.0.1"
  vars.director = true
}}

{services}

apply Service "hadeck lvs" {{
  check_command = "hadeck_lvs"
  vars.hadeck_lvs_warning = "2:"
  vars.hadeck_lvs_critical = "1:"
  vars.hadeck_lvs_service = [ "TCP 192.0.2.10:80", "FWM 1" ]
  vars.hadeck_lvs_expect_role = "MASTER"
  assign where host.vars.director
}}

object Service "hadeck drbd resync ok" {{
  host_name = "jupiter1"
  check_command = "hadeck_drbd"
  vars.hadeck_drbd_ok_states = [ "SyncSource", "SyncTarget" ]
  vars.hadeck_drbd_include = [ "r0", "r1" ]
  vars.hadeck_drbd_warning = "1024"
  vars.hadeck_verbose = true
}}

object Service "hadeck guests expect" {{
  host_name = "jupiter1"
  check_command = "hadeck_guests"
  vars.hadeck_guests_expect = [ "vm1", "vm2" ]
  vars.hadeck_guests_unmanaged_ok = true
}}

object Service "hadeck node disks" {{
  host_name = "jupiter1"
  check_command = "hadeck_node"
  vars.hadeck_node_disk_warning = "80"
  vars.hadeck_node_exclude_mount = [ "/boot", "/srv/*" ]
}}
"""


def icinga_validate(tmp_path: Path, services: str) -> subprocess.CompletedProcess[str]:
    icinga2 = need("icinga2")
    main = tmp_path / "icinga2.conf"
    main.write_text(ICINGA_MAIN.format(conf=SHARE / "icinga2" / "hadeck.conf",
                                       services=services))
    return subprocess.run([icinga2, "daemon", "-C", "-c", str(main)],
                          capture_output=True, text=True, timeout=120)


def test_icinga2_accepts_every_check_command(public_tmp: Path) -> None:
    services = "\n".join(
        f'apply Service "hadeck {p}" {{\n  check_command = "hadeck_{p}"\n'
        f'  assign where host.name == "jupiter1"\n}}'
        for p in PLUGINS if p != "lvs")
    proc = icinga_validate(public_tmp, services)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # One per plugin but lvs, plus the four services of ICINGA_MAIN.
    assert f"Instantiated {len(PLUGINS) - 1 + 4} Services" in proc.stdout, proc.stdout


def test_icinga2_rejects_an_unknown_check_command(public_tmp: Path) -> None:
    """The validation above means something: a missing CheckCommand fails it."""
    services = ('apply Service "x" {\n  check_command = "hadeck_nosuch"\n'
                '  assign where host.name == "jupiter1"\n}')
    proc = icinga_validate(public_tmp, services)
    assert proc.returncode != 0
    assert "hadeck_nosuch" in proc.stdout + proc.stderr


def icinga_arguments() -> dict[str, set[str]]:
    """CheckCommand name → the options its arguments pass."""
    text = (SHARE / "icinga2" / "hadeck.conf").read_text()
    found: dict[str, set[str]] = {}
    common_opts = set(re.findall(r'"(--[a-z-]+)" = \{',
                                 text.split('object CheckCommand')[0]))
    for block in text.split('object CheckCommand "')[1:]:
        name = block.split('"', 1)[0]
        found[name] = common_opts | set(re.findall(r'"(--[a-z-]+)" = \{', block))
    return found


@pytest.mark.parametrize("plugin", PLUGINS)
def test_icinga2_arguments_are_the_plugin_options(plugin: str) -> None:
    """Every option the CheckCommand passes exists, and every plugin option is offered."""
    module = __import__(f"hadeck.checks.{plugin}", fromlist=["PLUGIN"])
    parser = common.build_parser(module.PLUGIN)
    options = {o for action in parser._actions for o in action.option_strings
               if o.startswith("--")}
    offered = icinga_arguments()[f"hadeck_{plugin}"]
    assert offered <= options
    left_out = {"--help", "--version", "--from", "--lab"}  # not for a monitoring system
    assert options - left_out <= offered, options - left_out - offered


# --------------------------------------------------------------------------- Nagios, NRPE

NAGIOS_MAIN = """
log_file={tmp}/nagios.log
cfg_file={tmp}/objects.cfg
cfg_file={share}/nagios/hadeck.cfg
resource_file={tmp}/resource.cfg
status_file={tmp}/status.dat
temp_file={tmp}/nagios.tmp
lock_file={tmp}/nagios.lock
check_result_path={tmp}/checkresults
illegal_macro_output_chars=`~$&|'"<>
nagios_user=nagios
nagios_group=nagios
"""

NAGIOS_OBJECTS = """
define timeperiod {
    timeperiod_name 24x7
    alias           always
    monday          00:00-24:00
}
define contact {
    contact_name                  admin
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      24x7
    service_notification_period   24x7
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    check_hadeck_node
    service_notification_commands check_hadeck_node
}
define host {
    host_name          jupiter1
    address            127.0.0.1
    max_check_attempts 3
    check_period       24x7
    contacts           admin
}
define service {
    name                  generic-service
    check_period          24x7
    notification_period   24x7
    contacts              admin
    register              0
}
"""


def test_nagios_accepts_commands_and_templates(public_tmp: Path) -> None:
    tmp_path = public_tmp
    nagios = need("nagios4")
    services = "".join(
        f"define service {{\n    use hadeck-{p}\n    host_name jupiter1\n}}\n" for p in PLUGINS)
    services += ("define service {\n    use hadeck-service\n    host_name jupiter1\n"
                 "    service_description local drbd\n"
                 "    check_command check_hadeck_drbd!--ok-states SyncTarget -w 1024\n}\n")
    (tmp_path / "objects.cfg").write_text(NAGIOS_OBJECTS + services)
    (tmp_path / "checkresults").mkdir(mode=0o1777)
    (tmp_path / "checkresults").chmod(0o1777)
    (tmp_path / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    main = tmp_path / "nagios.cfg"
    main.write_text(NAGIOS_MAIN.format(tmp=tmp_path, share=SHARE))
    proc = subprocess.run([nagios, "-v", str(main)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Total Errors:   0" in proc.stdout
    assert f"Checked {len(PLUGINS) + 1} services." in proc.stdout


def test_nrpe_command_lines_parse() -> None:
    """Each NRPE line names an installed plugin and options it accepts."""
    lines = [line for line in (SHARE / "nrpe" / "hadeck.cfg").read_text().splitlines()
             if line.startswith("command[")]
    assert {re.match(r"command\[(check_hadeck_[a-z]+)", line)[1]  # type: ignore[index]
            for line in lines} >= {f"check_hadeck_{p}" for p in PLUGINS}
    for line in lines:
        argv = shlex.split(line.split("=", 1)[1])
        plugin = Path(argv[0]).name.removeprefix("check_hadeck_")
        module = __import__(f"hadeck.checks.{plugin}", fromlist=["PLUGIN"])
        common.build_parser(module.PLUGIN).parse_args(argv[1:])  # exits 3 if not


# --------------------------------------------------------------------------- plugin paths


def setup_plugin_dir() -> str:
    """Where scripts/setup links the plugins when run as root (scripts/paths.sh)."""
    paths = (SHARE.parent / "scripts" / "paths.sh").read_text()
    return re.findall(r'HADECK_PLUGIN_DIR:=([^}]+)\}', paths)[0]


def test_share_runs_the_plugins_where_scripts_setup_links_them() -> None:
    """Icinga 2, Nagios and NRPE each name every plugin, in the directory setup fills."""
    plugin_dir = setup_plugin_dir()
    assert plugin_dir == "/usr/local/lib/nagios/plugins"
    icinga = (SHARE / "icinga2" / "hadeck.conf").read_text()
    assert re.findall(r'vars.hadeck_plugin_dir = "([^"]+)"', icinga) == [plugin_dir]
    for path in ("nagios/hadeck.cfg", "nrpe/hadeck.cfg"):
        named = set(re.findall(r"(/[^\s=]*/)(check_hadeck_[a-z]+)\b", (SHARE / path).read_text()))
        assert named == {(f"{plugin_dir}/", f"check_hadeck_{p}") for p in PLUGINS}, path


# --------------------------------------------------------------------------- sudoers

SUDOERS = SHARE / "sudoers.d" / "hadeck"


def test_sudoers_is_valid() -> None:
    visudo = need("visudo")
    proc = subprocess.run([visudo, "-c", "-f", str(SUDOERS)], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def sudoers_commands() -> set[tuple[str, ...]]:
    """Each allowed command line, the program as the plugins name it (by name, or by
    path for the tools outside sudo's secure_path)."""
    text = SUDOERS.read_text().replace("\\\n", " ")
    found: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        match = re.match(r"Cmnd_Alias HADECK_[A-Z]+ = (.*)", line.strip())
        if not match or "/" not in match[1]:
            continue
        for entry in re.split(r"(?<!\\),", match[1]):
            words = entry.replace("\\=", "=").replace("\\,", ",").split()
            program = words[0]
            if Path(program).parent.as_posix() in common.SUDO_PATH.split(":"):
                program = Path(program).name
            found.add((program, *words[1:]))
    return found


def test_sudoers_allows_exactly_the_commands_the_plugins_run() -> None:
    """Nothing more (every line is a read the sources make), nothing less."""
    wanted = {
        c.argv for module in (pacemaker, drbd, guests, lvs, corosync, lvm)
        for c in module.COMMANDS if c.path is None
    }
    assert sudoers_commands() == wanted
