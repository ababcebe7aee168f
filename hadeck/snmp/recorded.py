"""SNMP answers in snapshot bundles: written as command outputs, replayed from them.

A bundle keeps each agent's answers as the text of :mod:`hadeck.snmp.answers`, under
``<node>/snmp/<agent>.txt`` (the node hadeck ran on), so ``--from`` replays the readings
through the same parser, with no SNMP traffic. Like every output, the text passes the
secrets policy when the bundle is written; the answers carry no credential (hadeck never
reads sysContact or the like, and a community or password is never part of an answer),
and the argv recorded in meta.json names the agent, never how it was asked.

An agent that did not answer is recorded as a failed command with its reason; the kinds
map onto the runner's: ``timeout`` → ``timeout``, ``auth`` → ``permission``, anything
else → ``failed``, and back.
"""

from __future__ import annotations

import re
import time

from hadeck.runner import Command, CommandResult, failure
from hadeck.snmp.agent import SnmpAgent
from hadeck.snmp.poller import Answers

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from hadeck.runner import ErrorKind

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_TO_RUNNER: dict[str | None, ErrorKind] = {"timeout": "timeout", "auth": "permission"}
_FROM_RUNNER = {"timeout": "timeout", "permission": "auth"}


def command(agent: SnmpAgent) -> Command:
    """The bundle entry of one agent's answers (its argv: what shows the same values)."""
    name = _UNSAFE.sub("_", agent.name).lstrip(".") or "_"
    return Command(f"snmp/{name}.txt",
                   argv=("snmpbulkwalk", "-On", f"{agent.address}:{agent.port}"))


def to_result(agent: SnmpAgent, answers: Answers) -> CommandResult:
    """One agent's answers as a command's result, for :class:`hadeck.snapshot.Record`."""
    argv = command(agent).argv
    if answers.error is not None:
        return failure(argv, _TO_RUNNER.get(answers.error_kind, "failed"), answers.error,
                       "", "", answers.duration)
    return CommandResult(argv, answers.text, "", 0, answers.duration)


def from_result(agent: SnmpAgent, result: CommandResult, read_at: float | None) -> Answers:
    """One agent's answers back from a bundle's result."""
    at = time.time() if read_at is None else read_at
    if result.error is not None:
        kind = _FROM_RUNNER.get(result.error_kind or "", "failed")
        error = result.error
        if result.missing:
            error, kind = "no SNMP answers recorded in the bundle for this agent", "failed"
        return Answers(agent.name, agent.address, at, result.duration, "", error, kind)
    return Answers(agent.name, agent.address, at, result.duration, result.stdout)
