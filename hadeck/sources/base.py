"""What every source shares: the reading it returns, the error its parsers raise, and the
one way to turn a command's result into a value or a reason (:func:`parsed`,
:func:`parse_result`). Whether a tool or file is missing is the runner's
``CommandResult.missing``, never a message matched here.

The read boundary is :func:`parse_output`: every parser a source runs goes through it.
Parsers are meant to raise only :class:`ParseError`, and the fuzz tests hold them to it;
whatever else one raises on input nobody foresaw (a 5,000-digit number, a NaN) becomes a
ParseError there too, so a source reports itself failed — UNKNOWN with the reason — and
the rest of the state still shows. :func:`never_raises` guards each ``read()`` whole, for
the code around its parsers.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence

from hadeck.model import SourceStatus
from hadeck.record import record
from hadeck.runner import MAX_OUTPUT_BYTES, CommandResult, Runner

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Generic, TypeVar, cast

    from hadeck.runner import ErrorKind

    T = TypeVar("T")
else:
    from hadeck.record import Generic, cast

    T = None


class ParseError(ValueError):
    """The text is not what the tool prints: garbage, truncated, or another tool's."""


# --------------------------------------------------------------------------- numbers
#
# Python's int() and float() take more than tools print: "1_000", " 7", "+5", Arabic-Indic
# digits, "inf", "nan", and 5,000-digit numbers that raise ValueError past the 4,300-digit
# limit (or become inf as a float). Tools print ASCII digits, and no counter of theirs
# has more than 20 (2**64 - 1 does): so that, and nothing else, is a number here.

MAX_DIGITS = 20
"""Digits of the longest number any tool prints (a 64-bit counter)."""
# Read with str methods, not patterns: every plugin reads numbers, and compiling a
# pattern costs more than a run's reads of it (issue 15).


def _digits(text: str) -> bool:
    """1 to :data:`MAX_DIGITS` ASCII digits, nothing else (``[0-9]{1,20}``)."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()
_LARGEST = 2**64


def whole(text: str, what: str, *, signed: bool = False) -> int:
    """A whole number as a tool prints it; negative only where ``signed``.

    Args:
        text: the number's text, nothing around it.
        what: what it is, for the error.
        signed: whether a minus sign may lead (scores, weights printed with ``%d``).

    Raises:
        ParseError: not ASCII digits, more than :data:`MAX_DIGITS` of them, or negative
            where that is impossible.
    """
    if not _digits(text[1:] if signed and text.startswith("-") else text):
        kind = "a number" if signed else "a count (a whole number, not negative)"
        raise ParseError(f"{what} is not {kind}: {text[:40]!r}")
    return int(text)


def decimal(text: str, what: str) -> float:
    """A non-negative decimal as a tool prints it (``12.5``): never inf, NaN or negative.

    Raises:
        ParseError: anything else.
    """
    units, dot, fraction = text.partition(".")
    if not _digits(units) or (dot and not _digits(fraction)):
        raise ParseError(f"{what} is not a decimal number (not negative): {text[:40]!r}")
    return float(text)


def percent(value: float | None, what: str) -> float | None:
    """A percentage already read as a number: none is above 100.

    Raises:
        ParseError: above 100.
    """
    if value is not None and value > 100:
        raise ParseError(f"{what} is {value:g} %, above 100 %")
    return value


def json_number(value: object, what: str, *, integer: bool = False) -> int | float:
    """A number from a JSON document: finite, not negative, below 2**64 (and whole where
    ``integer``). JSON has NaN, Infinity, 1e400 (inf) and 5,000-digit integers.

    Raises:
        ParseError: anything else, true and false included.
    """
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        shown = repr(value)[:40] if isinstance(value, str | bool) else type(value).__name__
        raise ParseError(f"{what} is not a number: {shown}")
    assert isinstance(value, int | float)
    if isinstance(value, float) and not math.isfinite(value):
        raise ParseError(f"{what} is not a finite number: {value!r}")
    if not 0 <= value < _LARGEST:
        # Not str(value): a 5,000-digit int cannot even be printed.
        raise ParseError(f"{what} is out of range (negative, or above 2**64)")
    return value


def _one_line(exc: BaseException, limit: int = 160) -> str:
    try:
        lines = str(exc).strip().splitlines()
    except Exception:  # str() itself can fail: ValueError(10**5000) cannot be printed
        return ""
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def internal_error(exc: BaseException) -> str:
    """One short line for an exception that is not a :class:`ParseError`: its type and
    the first line of its message (a parser's bug, not the tool's words)."""
    why = _one_line(exc)
    return f"internal error {type(exc).__name__}" + (f": {why}" if why else "")


def parse_output(parser: Callable[[str], T], text: str) -> T:
    """Run a pure parser at the read boundary: its value, or :class:`ParseError`.

    An output longer than :data:`~hadeck.runner.MAX_OUTPUT_BYTES` characters is refused
    before parsing (a runner already stops reading there; a bundle or the lab might not).
    Any exception other than ParseError from the parser becomes one, saying
    ``internal error <Type>: <message>``; KeyboardInterrupt and SystemExit pass.

    Args:
        parser: the parser (the text is its only input).
        text: the command's output.

    Raises:
        ParseError: the parser's own, or one made from whatever else it raised.
    """
    if len(text) > MAX_OUTPUT_BYTES:
        raise ParseError(
            f"output too large ({len(text) / 2**20:.0f} MiB; the limit is "
            f"{MAX_OUTPUT_BYTES // 2**20} MiB)"
        )
    try:
        return parser(text)
    except ParseError:
        raise
    except Exception as exc:  # the boundary: nothing but ParseError passes it
        raise ParseError(internal_error(exc)) from exc


@record(frozen=True)
class Reading(Generic[T]):
    """A source's result: a value, or None with the reason in ``status.error``."""

    value: T | None
    status: SourceStatus
    error_kind: ErrorKind | None = None
    """The kind of the command failure behind ``status.error``, when the reading failed
    because a command did (``unreachable``: the node itself could not be reached)."""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("value", "status", "error_kind")

    def __init__(self, value: T | None, status: SourceStatus,
                 error_kind: ErrorKind | None = None) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "error_kind", error_kind)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(value={self.value!r}, status={self.status!r}, "
                f"error_kind={self.error_kind!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.value, self.status, self.error_kind)
                == (other.value, other.status, other.error_kind))

    def __hash__(self) -> int:
        return hash((self.value, self.status, self.error_kind))
    # End of generated code.


class Clock:
    """Measures one source read: when it started and how long its commands took."""

    def __init__(self, source: str, node: str) -> None:
        self.source = source
        self.node = node
        self.started = time.time()
        self._t0 = time.monotonic()

    def status(self, error: str | None = None, detail: str | None = None,
               tools: tuple[str, ...] = ()) -> SourceStatus:
        return SourceStatus(
            source=self.source,
            node=self.node,
            tools=tools,
            read_at=self.started,
            duration=time.monotonic() - self._t0,
            error=error,
            detail=detail,
        )

    def done(self, value: T, detail: str | None = None,
             tools: tuple[str, ...] = ()) -> Reading[T]:
        return Reading(value, self.status(detail=detail, tools=tools))

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
        return parse_output(parser, result.stdout), None
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


def never_raises(source: str) -> Callable[
    [Callable[[Runner], Reading[T]]], Callable[[Runner], Reading[T]]
]:
    """Make a source's ``read(runner)`` keep its contract, "never raises", whole.

    Parsers are guarded by :func:`parse_output`; this catches what the code around them
    might still raise, and returns a failed reading with the reason instead.

    Args:
        source: the source's name, for the failed reading's status.
    """
    def wrap(read: Callable[[Runner], Reading[T]]) -> Callable[[Runner], Reading[T]]:
        @functools.wraps(read)
        def guarded(runner: Runner) -> Reading[T]:
            clock = Clock(source, runner.node)
            try:
                return read(runner)
            except Exception as exc:  # the boundary of read(): a reason, never a traceback
                return clock.failed(f"cannot read {source}: {internal_error(exc)}")
        return guarded
    return wrap


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


class NodeParses(Generic[T]):
    """The last parse of each node's text, for a parser of ``(text, node)``.

    Most of what a dashboard reads every second is the same text as the second before on
    most nodes (LVM's reports, a configuration file): each node's last text and its value
    are kept, and the same text gives back the very same frozen value, so the parse, the
    join after it and the health memo all skip it. Comparing a text with the last one is
    a memory compare (~20 µs for 130 KB); parsing it again was ~20 ms. A node's entry is
    replaced, never grown; the oldest node is dropped past ``size``. Thread-safe as
    :class:`LastParses` (nodes are read in parallel, each by one thread).

    Args:
        parse: a pure parser of one node's text.
        size: nodes remembered.
    """

    def __init__(self, parse: Callable[[str, str], T], size: int = 256) -> None:
        self._parse = parse
        self._size = size
        self._kept: dict[str, tuple[str, T]] = {}

    def __call__(self, text: str, node: str, key: str | None = None) -> T:
        """``parse(text, node)``, or the value of ``node``'s last text if it is this one
        (or if it had the same ``key``: the text less what the parser ignores, such as a
        time printed at the top). Parse errors propagate and are not remembered."""
        key = text if key is None else key
        last = self._kept.get(node)
        if last is not None and last[0] == key:
            return last[1]
        value = self._parse(text, node)
        kept = {k: v for k, v in self._kept.items() if k != node}
        while len(kept) >= self._size:
            del kept[next(iter(kept))]
        kept[node] = (key, value)
        self._kept = kept
        return value
