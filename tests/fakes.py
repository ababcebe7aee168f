"""A runner that answers from real-format text: the only fake the tests use.

Tests fake at the runner boundary and nowhere else: the sources, parsers and health rules
under test are the real ones, fed with exact captures of the real tools. (:class:`HeldRunner`
only delays another runner's real-format answers: a slow peer.)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.runner import Command, CommandResult, Runner, failure, file_result, not_found


class ScriptedRunner(Runner):
    """Answers argv lists (or file paths) from a table; anything else is "not found".

    Keys are either an argv tuple, or a file path string for :meth:`read_file`.
    Values are the stdout text, or a full :class:`CommandResult`.
    """

    def __init__(
        self,
        answers: Mapping[tuple[str, ...] | str, str | CommandResult],
        node: str = "testnode",
    ) -> None:
        self.node = node
        self.answers = dict(answers)
        self.calls: list[tuple[str, ...] | str] = []

    def run(
        self, argv: Sequence[str], timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        return self._answer(key, key)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        self.calls.append(path)
        return self._answer(path, ("cat", path))

    def _answer(self, key: tuple[str, ...] | str, argv: tuple[str, ...]) -> CommandResult:
        answer = self.answers.get(key)
        if answer is None:
            if isinstance(key, str):
                return failure(argv, "missing", f"{key}: no such file")
            return not_found(argv)
        if isinstance(answer, CommandResult):
            # A scripted ``cat`` that found no file reads as a real runner's would.
            return file_result(key, answer) if isinstance(key, str) else answer
        return CommandResult(argv, stdout=answer)


HOLD = 10.0
"""Seconds a :class:`HeldRunner` waits at most for its test to let it go."""


class HeldRunner(Runner):
    """A node's runner whose every command waits until ``release`` is set: a slow peer."""

    def __init__(self, inner: Runner, release: threading.Event) -> None:
        self.inner, self.release = inner, release
        self.node, self.local, self.timeout = inner.node, inner.local, inner.timeout
        self.held_until_released = True

    def _wait(self) -> None:
        if self.held_until_released:  # once timed out (a failing test), never again
            self.held_until_released = self.release.wait(HOLD)

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        self._wait()
        return self.inner.run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        self._wait()
        return self.inner.read_file(path, timeout=timeout)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        self._wait()
        return self.inner.fetch(command, timeout=timeout)


class SlowPeerAccess(LabAccess):
    """The lab seen from ``node``, with the ``slow`` peer held (:class:`HeldRunner`)."""

    def __init__(self, lab: Lab, node: str, slow: str, release: threading.Event) -> None:
        self.slow, self.release = slow, release
        self.held: HeldRunner | None = None
        super().__init__(lab, node)

    def runner(self, node: str) -> Runner:
        if node != self.slow:
            return super().runner(node)
        if self.held is None:
            self.held = HeldRunner(super().runner(node), self.release)
        return self.held
