"""SNMPv2c messages as bytes: the GETBULK hadeck sends and the answer it reads (BER).

pyasn1, which pysnmp encodes and decodes with, builds an object per tag and value: it
was ~75 % of a v2c poll's CPU (~1.1 ms to decode one agent's answer of ~20 values,
where this reads it in ~0.04 ms; bench/snmp.py). A v2c message is a small, fixed
shape (RFC 3416: SEQUENCE { version, community, PDU { request-id, error-status,
error-index, SEQUENCE OF { name, value } } }), so hadeck writes and reads it itself.
The PDU's writer and reader (:func:`bulk_pdu`, :func:`decode_pdu`) are also SNMPv3's:
:mod:`hadeck.snmp.usm` wraps them in the v3 message, its security parameters and
encryption.

Pure: no I/O, no pysnmp. Anything that is not a well-formed answer raises
:class:`BerError` (the poller drops it, as an answer to no request).
"""

from __future__ import annotations

from typing import NamedTuple

_KINDS = {0x02: "INTEGER", 0x04: "STRING", 0x06: "OID", 0x40: "IpAddress",
          0x41: "Counter32", 0x42: "Gauge32", 0x43: "Timeticks", 0x44: "Opaque",
          0x46: "Counter64", 0x05: "", 0x80: "", 0x81: "", 0x82: ""}
"""Value tags (RFC 2578, RFC 3416) and the type word of an answer line; ``""`` for NULL,
noSuchObject, noSuchInstance and endOfMibView: no such value."""
_MESSAGE, _INTEGER, _OCTETS, _NULL, _OID = 0x30, 0x02, 0x04, 0x05, 0x06
_GET_BULK, _RESPONSE, _REPORT = 0xA5, 0xA2, 0xA8
_V2C = 1


class BerError(ValueError):
    """Bytes that are not a well-formed answer (v2c, or SNMPv3: :mod:`hadeck.snmp.usm`)."""


class Value(NamedTuple):
    """One value of an answer: its type word (``""``: the agent has no such value) and
    the value (bytes for a string or Opaque, text for an OID or an IpAddress)."""

    kind: str
    value: int | str | bytes | None


class Response(NamedTuple):
    request_id: int
    error_status: int
    error_index: int
    values: list[tuple[str, Value]]
    """(OID without a leading dot, value), in the answer's order."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def _tlv(tag: int, contents: bytes) -> bytes:
    return bytes((tag,)) + _length(len(contents)) + contents


def _integer(n: int) -> bytes:
    return _tlv(_INTEGER, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    """An OID's contents (without tag and length), e.g. ``1.3.6.1.2.1.1.3.0``."""
    try:
        parts = [int(p) for p in oid.strip(".").split(".")]
    except ValueError:
        raise BerError(f"not a numeric OID: {oid!r}") from None
    if len(parts) < 2 or parts[0] > 2 or (parts[0] < 2 and parts[1] >= 40) \
            or any(p < 0 for p in parts):
        raise BerError(f"not an OID: {oid!r}")
    out = bytearray()
    for part in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def varbinds(oids: list[str]) -> bytes:
    """The (OID, NULL) pairs of a request, encoded (what :func:`get_bulk` takes)."""
    return b"".join(_tlv(_MESSAGE, _tlv(_OID, encode_oid(oid)) + b"\x05\x00")
                    for oid in oids)


def bulk_pdu(request_id: int, non_repeaters: int, max_repetitions: int,
             encoded_varbinds: bytes) -> bytes:
    """A GetBulkRequest PDU (what a v2c message and an SNMPv3 scoped PDU carry)."""
    return _tlv(_GET_BULK, _integer(request_id) + _integer(non_repeaters)
                + _integer(max_repetitions) + _tlv(_MESSAGE, encoded_varbinds))


def get_bulk(community: bytes, request_id: int, non_repeaters: int, max_repetitions: int,
             encoded_varbinds: bytes) -> bytes:
    """A v2c GetBulkRequest message."""
    return _tlv(_MESSAGE, _integer(_V2C) + _tlv(_OCTETS, community)
                + bulk_pdu(request_id, non_repeaters, max_repetitions, encoded_varbinds))


def _head(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """The tag of the element at ``at``, and where its contents start and end."""
    if at + 2 > end:
        raise BerError("truncated")
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 4 or at + size > end:
            raise BerError("bad length")
        length = int.from_bytes(data[at:at + size], "big")
        at += size
    if at + length > end:
        raise BerError("truncated")
    return tag, at, at + length


def _expect(data: bytes, at: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = _head(data, at, end)
    if found != tag:
        raise BerError(f"tag {found:#04x} where {tag:#04x} was expected")
    return start, stop


def decode_oid(data: bytes) -> str:
    """An OID's contents as text, without a leading dot."""
    found = _OIDS.get(data)
    if found is None:
        found = _decode_oid(data)
        if len(_OIDS) >= MAX_OIDS:
            _OIDS.clear()
        _OIDS[data] = found
    return found


MAX_OIDS = 8192
"""OIDs kept decoded: an agent answers the same names at every poll (the scalars, its
processor rows, disks, interfaces), and every agent the same ones; decoding one was
~40 % of reading an answer."""
_OIDS: dict[bytes, str] = {}


def _decode_oid(data: bytes) -> str:
    if not data or data[-1] & 0x80:
        raise BerError("bad OID")
    parts: list[int] = []
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = parts[0]
    head = [first // 40, first % 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + parts[1:]))


def decode_response(data: bytes) -> Response:
    """A v2c GetResponse message (any other message raises :class:`BerError`)."""
    start, end = _expect(data, 0, len(data), _MESSAGE)
    version, at = _expect(data, start, end, _INTEGER)
    if int.from_bytes(data[version:at], "big", signed=True) != _V2C:
        raise BerError("not SNMPv2c")
    _, at = _expect(data, at, end, _OCTETS)
    tag, response = decode_pdu(data, at, end)
    if tag != _RESPONSE:
        raise BerError(f"tag {tag:#04x} where {_RESPONSE:#04x} was expected")
    return response


def decode_pdu(data: bytes, at: int, end: int) -> tuple[int, Response]:
    """The Response or Report PDU at ``data[at:end]`` (a v2c message's, or an SNMPv3
    scoped PDU's), and its tag (``0xA2``, ``0xA8``)."""
    pdu, at, end = _head(data, at, end)
    if pdu not in (_RESPONSE, _REPORT):
        raise BerError(f"tag {pdu:#04x}: not a Response or Report PDU")
    numbers = []
    for _ in range(3):
        start, at = _expect(data, at, end, _INTEGER)
        numbers.append(int.from_bytes(data[start:at], "big", signed=True))
    at, end = _expect(data, at, end, _MESSAGE)
    values: list[tuple[str, Value]] = []
    kinds, oids, from_bytes = _KINDS, _OIDS, int.from_bytes
    while at < end:
        # Each value is SEQUENCE { OID, value }; short lengths (< 128, nearly all) are
        # read here, longer ones by _head.
        if at + 4 <= end and data[at] == _MESSAGE and data[at + 1] < 0x80 \
                and data[at + 2] == _OID and data[at + 3] < 0x80:
            pair_end = at + 2 + data[at + 1]
            name, stop = at + 4, at + 4 + data[at + 3]
            if pair_end > end or stop > pair_end:
                raise BerError("truncated")
            at = pair_end
        else:
            start, at = _expect(data, at, end, _MESSAGE)
            name, stop = _expect(data, start, at, _OID)
        if stop + 2 <= at and data[stop + 1] < 0x80:
            tag, value_start, value_end = data[stop], stop + 2, stop + 2 + data[stop + 1]
        else:
            tag, value_start, value_end = _head(data, stop, at)
        if value_end != at:
            raise BerError("a value that does not end its pair")
        kind = kinds.get(tag)
        if kind is None:
            raise BerError(f"unknown value type {tag:#04x}")
        raw = data[value_start:value_end]
        value: int | str | bytes | None
        if kind == "INTEGER":
            value = from_bytes(raw, "big", signed=True)
        elif kind in ("STRING", "Opaque"):
            value = raw
        elif kind == "OID":
            value = decode_oid(raw)
        elif kind == "IpAddress":
            value = ".".join(map(str, raw))
        elif kind:
            value = from_bytes(raw, "big")
        else:
            value = None
        key = data[name:stop]
        oid = oids.get(key)
        values.append((oid if oid is not None else decode_oid(key), Value(kind, value)))
    return pdu, Response(numbers[0], numbers[1], numbers[2], values)
