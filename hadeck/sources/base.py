"""What every source shares: the reading it returns, the error its parsers raise, and the
one way to turn a command's result into a value or a reason (:func:`parsed`,
:func:`parse_result`). Whether a tool or file is missing is the runner's
``CommandResult.missing``, never a message matched here."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from hadeck.model import SourceStatus
from hadeck.runner import CommandResult, ErrorKind

T = TypeVar("T")


class ParseError(ValueError):
    """The text is not what the tool prints: garbage, truncated, or another tool's."""


@dataclass(frozen=True)
class Reading(Generic[T]):
    """A source's result: a value, or None with the reason in ``status.error``."""

    value: T | None
    status: SourceStatus
    error_kind: ErrorKind | None = None
    """The kind of the command failure behind ``status.error``, when the reading failed
    because a command did (``unreachable``: the node itself could not be reached)."""


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

    def failed(self, error: str, detail: str | None = None,
               kind: ErrorKind | None = None) -> Reading[T]:
        return Reading(None, self.status(error=error, detail=detail), kind)


def parsed(
    result: CommandResult,
    parser: Callable[[str], T],
    ok_codes: Sequence[int] = (0,),
    name: str | None = None,
) -> tuple[T | None, str | None]:
    """One command's parsed stdout, or None and why not.

    Args:
        result: what the runner returned.
        parser: the pure parser for the command's stdout.
        ok_codes: exit codes that still carry a full answer.
        name: what the output is called in a parse error (default: the program, or the
            file ``cat`` read).
    """
    if result.error is not None:
        return None, result.error
    if result.returncode not in ok_codes:
        return None, result.reason()
    try:
        return parser(result.stdout), None
    except ParseError as exc:
        if name is None:
            name = result.argv[0] if result.argv else "output"
            if name == "cat" and len(result.argv) > 1:
                name = result.argv[1]
        return None, f"cannot parse {name} output: {exc}"


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
    value, error = parsed(result, parser, ok_codes)
    if error is not None:
        return clock.failed(error, detail, result.error_kind)
    return clock.done(cast(T, value), detail)  # no error: the parser's value


class LastParses(Generic[T]):
    """The last few parses of a parser, by the text they were parsed from.

    A dashboard polls the same tools every second, and mostly they print what they printed
    before: crm_mon's status of a steady cluster differs only in its ``last_update``, the
    CIB configuration not at all. Parsing them again was most of a poll on a 500-guest
    cluster (~400 ms of ~1 s). Equal text gives the equal — here the same — frozen value,
    so the parsers stay pure and the memo is invisible except in time. Thread-safe by
    replacing one dict: a lost race only parses twice.

    Args:
        parse: a pure parser of one text.
        size: texts remembered (one per node that prints one).
    """

    def __init__(self, parse: Callable[[str], T], size: int = 1) -> None:
        self._parse = parse
        self._size = size
        self._kept: dict[str, T] = {}

    def __call__(self, text: str, key: str | None = None) -> T:
        """``parse(text)``, or the value of an earlier text with the same ``key``
        (default: the text itself). Parse errors propagate and are not remembered."""
        key = text if key is None else key
        kept = self._kept
        if key in kept:
            return kept[key]
        value = self._parse(text)
        newer = {k: v for k, v in kept.items() if k != key}
        while len(newer) >= self._size:
            del newer[next(iter(newer))]
        newer[key] = value
        self._kept = newer
        return value
