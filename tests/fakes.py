"""A runner that answers from real-format text: the only fake the tests use.

Tests fake at the runner boundary and nowhere else: the sources, parsers and health rules
under test are the real ones, fed with exact captures of the real tools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hadeck.runner import CommandResult, Runner, failure, file_result, not_found


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
