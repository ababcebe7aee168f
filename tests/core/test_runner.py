"""The runner boundary: argv only, timeouts, and failures as results, never exceptions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hadeck.runner import Command, LocalRunner
from hadeck.ssh import SshRunner


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


def test_sbin_tools_run_with_a_users_path() -> None:
    """Debian leaves /usr/sbin off a user's PATH, where crm_mon and crm_simulate live: a
    user's hadeck finds them after the user's own directories."""
    runner = LocalRunner(env={"PATH": "/usr/local/bin:/usr/bin:/bin"})
    result = runner.run(["ldconfig", "--version"])  # /usr/sbin only (libc-bin, essential)
    assert result.ok, result.reason()
    path = runner.run(["printenv", "PATH"]).stdout.strip().split(":")
    assert path[:3] == ["/usr/local/bin", "/usr/bin", "/bin"]
    assert "/usr/sbin" in path[3:]


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


# --------------------------------------------------------------------------- streams


def test_stream_yields_lines_as_they_come() -> None:
    runner = LocalRunner()
    with runner.stream(["sh", "-c", "echo one; sleep 2; echo two"]) as stream:
        start = time.monotonic()
        assert next(stream) == "one\n"
        # The first line arrives before the command ends: it is not buffered to the end
        # (a wide margin: the shell's own start on a busy machine is in it too).
        assert time.monotonic() - start < 1.5
        assert list(stream) == ["two\n"]
    assert stream.error is None and stream.returncode == 0


def test_stream_close_kills_the_command_from_another_thread() -> None:
    import threading

    stream = LocalRunner().stream(["sh", "-c", "echo ready; sleep 30 & sleep 30"])
    assert next(stream) == "ready\n"
    threading.Timer(0.2, stream.close).start()
    start = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - start < 5
    assert stream.closed and stream.error is None


def test_stream_failures_are_errors_not_exceptions() -> None:
    missing = LocalRunner().stream(["hadeck-no-such-tool", "events2"])
    assert list(missing) == [] and missing.error == "hadeck-no-such-tool: command not found"
    failing = LocalRunner().stream(["sh", "-c", "echo partial; echo broken >&2; exit 10"])
    assert list(failing) == ["partial\n"]
    assert failing.error == "sh exited 10: broken" and failing.returncode == 10


def test_a_runner_that_cannot_stream_says_so() -> None:
    from hadeck.runner import Runner

    stream = Runner().stream(["drbdsetup", "events2"])
    assert list(stream) == [] and stream.error == "Runner cannot stream commands"


def test_ssh_stream(fake_ssh: LocalRunner) -> None:
    runner = SshRunner("jupiter2", via=fake_ssh)
    name = "it's; echo injected"
    with runner.stream(["printf", "%s\\n", name, "$HOME"]) as stream:
        assert list(stream) == [f"{name}\n", "$HOME\n"]
    assert stream.error is None
    missing = runner.stream(["hadeck-no-such-tool"])
    assert list(missing) == []
    assert missing.error == "hadeck-no-such-tool: command not found on jupiter2"
    down = SshRunner("unreachable", via=fake_ssh).stream(["true"])
    assert list(down) == []
    assert down.error == ("ssh unreachable: ssh: connect to host unreachable port 22: "
                          "No route to host")


# ------------------------------------------------------------------ error kinds


def test_error_kinds_from_real_causes(tmp_path: Path) -> None:
    runner = LocalRunner()
    missing = runner.run(["hadeck-no-such-tool"])
    assert (missing.error_kind, missing.missing) == ("missing", True)
    absent = runner.read_file(str(tmp_path / "nope"))
    assert (absent.error_kind, absent.error) == ("missing", f"{tmp_path}/nope: no such file")
    timed_out = runner.run(["sleep", "5"], timeout=0.3)
    assert (timed_out.error_kind, timed_out.error) == ("timeout", "sleep: timed out after 0.3 s")
    # Not executable: refused even to root (no execute bit at all).
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    refused = runner.run([str(script)])
    assert (refused.error_kind, refused.error) == ("permission", f"{script}: permission denied")
    # Executable, but no program the kernel can start: it failed, no more is known.
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00\x01\x02 not a program\n")
    garbage.chmod(0o755)
    failed = runner.run([str(garbage)])
    assert failed.error_kind == "failed" and failed.error == f"{garbage}: Exec format error"
    # A command that ran and exited non-zero is no error: its exit code says it.
    exited = runner.run(["sh", "-c", "exit 3"])
    assert (exited.error, exited.error_kind, exited.returncode) == (None, None, 3)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_a_permission_error(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "secret"
    path.write_text("x")
    path.chmod(0)
    assert LocalRunner().read_file(str(path)).error_kind == "permission"


def test_an_unreachable_node_over_ssh(tmp_path: Path) -> None:
    import shutil
    import socket

    if shutil.which("ssh") is None:
        pytest.skip("openssh-client is not installed")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    node = SshRunner("jupiter2", host="127.0.0.1",
                     options=("-o", "BatchMode=yes", "-o", "ConnectTimeout=1", "-p", str(port)))
    result = node.run(["true"])
    assert result.error_kind == "unreachable"
    assert result.error is not None and result.error.startswith("ssh 127.0.0.1: ssh: connect to")
