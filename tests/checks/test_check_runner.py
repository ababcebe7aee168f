"""A check's runner: failures keep their kinds through sudo and the check's deadline."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence

import pytest

from hadeck.checks.common import SUDO_HINT, CheckRunner
from hadeck.runner import Command, CommandResult, LocalRunner
from hadeck.sources import pacemaker


class AsNobody(LocalRunner):
    """This machine, as the unprivileged user ``nobody`` (whom sudo asks for a password)."""

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        return super().run(["runuser", "-u", "nobody", "--", *argv], timeout, input)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None
                    or shutil.which("sudo") is None or shutil.which("crm_mon") is None,
                    reason="needs root (to become nobody), runuser, sudo and crm_mon")
def test_a_sudo_refusal_is_a_permission_error() -> None:
    runner = CheckRunner(AsNobody(), {"pacemaker"}, time.monotonic() + 30, sudo=True)
    refused = runner.fetch(pacemaker.CRM_MON)
    assert refused.error_kind == "permission"
    assert refused.error == f"crm_mon via sudo: sudo: a password is required; {SUDO_HINT}"
    # A tool that is not installed stays "missing" (sudo -n would only ask a password).
    absent = runner.fetch(Command("pacemaker/x.txt", ("hadeck-no-such-tool",)))
    assert absent.error_kind == "missing"
    assert absent.error == "hadeck-no-such-tool: command not found"


def test_no_time_left_is_a_timeout() -> None:
    runner = CheckRunner(LocalRunner(), {"pacemaker"}, time.monotonic())
    result = runner.fetch(pacemaker.CRM_MON)
    assert result.error_kind == "timeout"
    assert result.error == "crm_mon: not run, the check's time (-t) is used up"
