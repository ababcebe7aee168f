"""A peer read as a user who is not root: root's tools through ``sudo -n``.

The real sudo, the real batch script; ssh is the stand-in at the runner boundary (the
remote command run by sh, as sshd would), as root or as ``nobody`` (runuser), so that sudo
answers for real: it runs the tool for root, refuses ``nobody`` without a password prompt,
and a tool that is not installed stays "missing" rather than a sudo refusal.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hadeck.collect import node_commands
from hadeck.runner import Command, LocalRunner
from hadeck.ssh import NEEDS_ROOT, SshRunner
from tests.checks.test_share import sudoers_commands

pytestmark = pytest.mark.skipif(
    not (shutil.which("sudo") and shutil.which("runuser") and os.geteuid() == 0),
    reason="needs sudo, runuser and root")


def fake_ssh(tmp_path: Path, as_user: str | None = None) -> LocalRunner:
    ssh = tmp_path / "ssh"
    run = f"runuser -u {as_user} -- " if as_user else ""
    ssh.write_text(f'#!/bin/sh\nfor last; do :; done\ncd /tmp\nexec {run}sh -c "$last"\n')
    ssh.chmod(0o755)
    return LocalRunner(env={"PATH": f"{tmp_path}:{os.environ['PATH']}"})


VERSION = Command("test/virsh-version.txt", ("virsh", "--version"))
XL = Command("guests/xl-list.txt", ("xl", "list"))
LOADAVG = Command("host/proc-loadavg.txt", path="/proc/loadavg")


def test_root_tools_run_through_sudo(tmp_path: Path) -> None:
    if shutil.which("virsh") is None:
        pytest.skip("needs virsh (libvirt-clients)")
    runner = SshRunner("jupiter2", via=fake_ssh(tmp_path), sudo=True)
    results = runner.batch([VERSION, XL, LOADAVG])
    assert results[VERSION].ok and results[VERSION].stdout.strip()
    assert results[VERSION].argv == ("virsh", "--version")  # as the source asked
    if shutil.which("xl") is None:
        assert results[XL].error == "xl: command not found on jupiter2"
        assert results[XL].error_kind == "missing"
    assert results[LOADAVG].ok


def test_a_sudo_refusal_is_a_permission_error_naming_the_sudoers_file(tmp_path: Path) -> None:
    if shutil.which("virsh") is None:
        pytest.skip("needs virsh (libvirt-clients)")
    runner = SshRunner("jupiter2", via=fake_ssh(tmp_path, as_user="nobody"), sudo=True)
    results = runner.batch([VERSION, LOADAVG])
    refused = results[VERSION]
    assert refused.error_kind == "permission", refused
    assert refused.error is not None and refused.error.startswith(
        "virsh via sudo on jupiter2: sudo: ")
    assert refused.error.endswith("allow it in sudoers (share/sudoers.d/hadeck)")
    assert results[LOADAVG].ok  # /proc needs no root
    # Not asked to sudo: the tool runs as the login user.
    plain = SshRunner("jupiter2", via=fake_ssh(tmp_path, as_user="nobody"))
    assert plain.batch([VERSION])[VERSION].ok


def test_the_sudoers_file_allows_every_root_command_a_peer_read_runs() -> None:
    allowed = sudoers_commands()
    wanted = {c.argv for c in node_commands() if c.argv and c.argv[0] in NEEDS_ROOT}
    assert wanted and wanted <= allowed, sorted(wanted - allowed)


def test_sudo_is_configured_per_peer(tmp_path: Path) -> None:
    from hadeck.collect import LiveAccess
    from hadeck.config import load

    path = tmp_path / "hadeck.toml"
    path.write_text('[ssh]\nsudo = ["jupiter2"]\n')
    access = LiveAccess(load(str(path)), local=LocalRunner(node="jupiter1"))
    some = {n: getattr(access.runner(n), "sudo", None) for n in ("jupiter2", "sun")}
    assert some == {"jupiter2": True, "sun": False}
    path.write_text('[ssh]\nsudo = ["*"]\n')
    every = LiveAccess(load(str(path)), local=LocalRunner(node="jupiter1"))
    assert getattr(every.runner("sun"), "sudo", None) is True
    assert every.runner("jupiter1") is every.local  # this node: no ssh, no sudo
    access.close()
    every.close()
