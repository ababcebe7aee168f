"""What every source shares: the reading it returns and the error its parsers raise."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hadeck.model import SourceStatus
from hadeck.runner import CommandResult

T = TypeVar("T")


class ParseError(ValueError):
    """The text is not what the tool prints: garbage, truncated, or another tool's."""


@dataclass(frozen=True)
class Reading(Generic[T]):
    """A source's result: a value, or None with the reason in ``status.error``."""

    value: T | None
    status: SourceStatus


class Clock:
    """Measures one source read: when it started and how long its commands took."""

    def __init__(self, source: str, node: str) -> None:
        self.source = source
        self.node = node
        self.started = time.time()
        self._t0 = time.monotonic()

    def status(self, error: str | None = None, detail: str | None = None) -> SourceStatus:
        return SourceStatus(
            source=self.source,
            node=self.node,
            read_at=self.started,
            duration=time.monotonic() - self._t0,
            error=error,
            detail=detail,
        )

    def done(self, value: T, detail: str | None = None) -> Reading[T]:
        return Reading(value, self.status(detail=detail))

    def failed(self, error: str, detail: str | None = None) -> Reading[T]:
        return Reading(None, self.status(error=error, detail=detail))


def parse_result(
    clock: Clock,
    result: CommandResult,
    parser: Callable[[str], T],
    detail: str | None = None,
    ok_codes: Sequence[int] = (0,),
) -> Reading[T]:
    """Turn one command's result into a reading: run the parser, or say why not.

    Args:
        clock: the source's clock, started before the command ran.
        result: what the runner returned.
        parser: the pure parser for the command's stdout.
        detail: which variant of the source this is, for the status line.
        ok_codes: exit codes that still carry a full answer (corosync-quorumtool exits 2
            when the node is not quorate, and that is an answer, not a failure).
    """
    if result.error is not None:
        return clock.failed(result.error, detail)
    if result.returncode not in ok_codes:
        return clock.failed(result.reason(), detail)
    try:
        return clock.done(parser(result.stdout), detail)
    except ParseError as exc:
        name = result.argv[0] if result.argv else "output"
        if name == "cat" and len(result.argv) > 1:
            name = result.argv[1]
        return clock.failed(f"cannot parse {name} output: {exc}", detail)
