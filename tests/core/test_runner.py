"""The runner boundary: argv only, timeouts, and failures as results, never exceptions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hadeck.runner import Command, LocalRunner, SshRunner


def test_runs_argv_and_reports_output_and_exit_code() -> None:
    result = LocalRunner().run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert result.returncode == 3
    assert not result.ok
    assert result.reason() == "sh exited 3: err"


def test_arguments_are_data_not_shell() -> None:
    name = "vm1; touch /tmp/hadeck-pwned $(id)"
    result = LocalRunner().run(["printf", "%s", name])
    assert result.stdout == name
    assert not Path("/tmp/hadeck-pwned").exists()


def test_tools_run_untranslated() -> None:
    result = LocalRunner().run(["sh", "-c", "echo $LC_ALL"])
    assert result.stdout.strip() == "C"


def test_missing_binary_is_an_error_not_an_exception() -> None:
    result = LocalRunner().run(["hadeck-no-such-tool", "--version"])
    assert result.error == "hadeck-no-such-tool: command not found"
    assert result.returncode is None


def test_timeout_kills_the_whole_process_group() -> None:
    start = time.monotonic()
    # The child's child holds the pipe open; only killing the group ends the wait.
    result = LocalRunner().run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert time.monotonic() - start < 5
    assert result.error == "sh: timed out after 0.5 s"


def test_read_file(tmp_path: Path) -> None:
    path = tmp_path / "mdstat"
    path.write_text("Personalities : \n")
    runner = LocalRunner()
    assert runner.read_file(str(path)).stdout == "Personalities : \n"
    assert runner.read_file(str(tmp_path / "nope")).error.endswith("no such file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    path = tmp_path / "secret"
    path.write_text("x")
    path.chmod(0)
    assert "permission denied" in LocalRunner().read_file(str(path)).error


def test_local_command_runs_in_process() -> None:
    command = Command("host/facts.json", ("python3", "-m", "x"), local=lambda: '{"a": 1}')
    assert LocalRunner().fetch(command).stdout == '{"a": 1}'


@pytest.fixture
def fake_ssh(tmp_path: Path) -> LocalRunner:
    """A stand-in for the ssh client that runs the remote command string with sh, as sshd
    would: it proves the quoting survives a real remote shell."""
    ssh = tmp_path / "ssh"
    ssh.write_text('#!/bin/sh\nfor last; do :; done\n'
                   'case "$*" in *unreachable*) echo "ssh: connect to host unreachable '
                   'port 22: No route to host" >&2; exit 255;; esac\nexec sh -c "$last"\n')
    ssh.chmod(0o755)
    return LocalRunner(env={"PATH": f"{tmp_path}:{os.environ['PATH']}"})


def test_ssh_quotes_the_remote_command(fake_ssh: LocalRunner) -> None:
    runner = SshRunner("jupiter2", via=fake_ssh)
    name = "it's; echo injected"
    result = runner.run(["printf", "%s|", name, "$HOME"])
    assert result.ok
    assert result.stdout == f"{name}|$HOME|"
    argv = runner.ssh_argv(["crm_mon", "--output-as=xml"])
    assert argv[:3] == ("ssh", "-o", "BatchMode=yes")
    assert argv[-2:] == ("jupiter2", "env LC_ALL=C LANG=C crm_mon --output-as=xml")


def test_ssh_unreachable_host_is_an_error(fake_ssh: LocalRunner) -> None:
    result = SshRunner("unreachable", via=fake_ssh).run(["true"])
    assert result.error == ("ssh unreachable: ssh: connect to host unreachable port 22: "
                            "No route to host")


def test_ssh_missing_remote_tool(fake_ssh: LocalRunner) -> None:
    result = SshRunner("jupiter2", via=fake_ssh).run(["hadeck-no-such-tool"])
    assert result.error == "hadeck-no-such-tool: command not found on jupiter2"
