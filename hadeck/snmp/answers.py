"""SNMP answers as text: one ``OID = TYPE: value`` line per value, as ``snmpwalk -On`` prints.

The poller writes every answer it gets in this form, and :mod:`hadeck.snmp.parse` reads
the model from it: so a snapshot bundle keeps the answers as text (redacted like any
output, replayed through the same parser), and the parser is tested on what the real
net-snmp tools print for the real snmpd.

Strings are written as JSON strings (quotes, backslashes and line breaks escaped), which
reads back exactly; net-snmp's own ``STRING: "…"`` (only ``\\"`` escaped) reads the same
for every string without a line break. Bytes that are not UTF-8 are a ``Hex-STRING``.
"""

from __future__ import annotations

import json
import re

Value = int | float | str | None
"""An answer's value: a number, text, or None for "the agent has no such value"
(noSuchObject, noSuchInstance, endOfMibView)."""

MAX_LINES = 100_000
"""More lines than this is not an agent answering hadeck's few tables: refused."""

_LINE = re.compile(r"^\.?(?P<oid>\d+(?:\.\d+)+)\s+=\s+(?P<rest>.*)$")
_TYPED = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9-]*):\s*(?P<value>.*)$")
_ENUM = re.compile(r"^[A-Za-z][\w-]*\((?P<number>-?\d+)\)$")
_TICKS = re.compile(r"^\((?P<ticks>\d+)\)")
_NOTHING = ("No Such Instance", "No Such Object", "No more variables")
_INTEGERS = ("INTEGER", "Counter32", "Counter64", "Gauge32", "Unsigned32", "UInteger32",
             "Integer32")


class AnswerError(ValueError):
    """A line that is not an SNMP answer."""


def line(oid: str, kind: str, value: Value | bytes) -> str:
    """One answer as a line (no newline at the end).

    Args:
        oid: the numeric OID, without a leading dot.
        kind: the type word (``INTEGER``, ``STRING``, ``Counter64``, ``Timeticks``,
            ``OID``, ``Float``, ``IpAddress``), or ``""`` for "no such value".
        value: the value; bytes for a string, written as text when they are UTF-8.
    """
    if not kind or value is None:
        return f".{oid} = No Such Instance currently exists at this OID"
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            return f".{oid} = Hex-STRING: " + " ".join(f"{b:02X}" for b in value)
    if kind == "STRING":
        return f".{oid} = STRING: {json.dumps(str(value), ensure_ascii=False)}"
    if kind == "Timeticks":
        return f".{oid} = Timeticks: ({value})"
    if kind == "Float":
        return f".{oid} = Opaque: Float: {value}"
    if kind == "OID":
        return f".{oid} = OID: .{str(value).lstrip('.')}"
    return f".{oid} = {kind}: {value}"


def parse(text: str) -> dict[str, Value]:
    """Every answer of a text, by OID (without a leading dot).

    Raises:
        AnswerError: a line is neither an answer nor the continuation of a string that
            spans lines (net-snmp prints a string's line breaks as they are).
    """
    values: dict[str, Value] = {}
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise AnswerError(f"{len(lines)} lines: more than {MAX_LINES} answers")
    last: str | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            if last is not None and isinstance(values[last], str):
                # The rest of a net-snmp string with a line break in it.
                values[last] = f"{values[last]}\n{_unquote(raw, closing_only=True)}"
                continue
            raise AnswerError(f"line {number} is not an SNMP answer: {raw[:80]!r}")
        last = match["oid"]
        values[last] = _value(match["rest"])
    return values


def _value(rest: str) -> Value:
    if rest.startswith(_NOTHING):
        return None
    if rest == '""':
        return ""
    typed = _TYPED.match(rest)
    if typed is None:
        raise AnswerError(f"not a typed SNMP value: {rest[:80]!r}")
    kind, value = typed["type"], typed["value"].strip()
    if kind in _INTEGERS:
        enum = _ENUM.match(value)
        try:
            return int(enum["number"] if enum else value.split()[0])
        except (ValueError, IndexError):
            raise AnswerError(f"{kind} that is not a number: {value[:80]!r}") from None
    if kind == "Timeticks":
        ticks = _TICKS.match(value)
        if ticks is None:
            raise AnswerError(f"Timeticks without (ticks): {value[:80]!r}")
        return int(ticks["ticks"])
    if kind == "Opaque":
        inner = _TYPED.match(value)
        value = inner["value"] if inner else value
        try:
            return float(value)
        except ValueError:
            raise AnswerError(f"Opaque that is not a number: {value[:80]!r}") from None
    if kind == "STRING":
        return _unquote(value)
    if kind == "Hex-STRING":
        try:
            data = bytes.fromhex(value)
        except ValueError:
            raise AnswerError(f"Hex-STRING that is not hex: {value[:80]!r}") from None
        return data.decode(errors="replace")
    return value.lstrip(".") if kind == "OID" else value


def _unquote(value: str, closing_only: bool = False) -> str:
    if not closing_only and value.startswith('"') and value.endswith('"') and len(value) > 1:
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            return decoded
        return value[1:-1].replace('\\"', '"')
    if closing_only and value.endswith('"'):
        return value[:-1].replace('\\"', '"')
    return value.removeprefix('"')
