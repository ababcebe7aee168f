"""SNMPv3 messages as bytes: the GETBULK hadeck sends and the answer it reads, signed
(USM, HMAC) and encrypted (AES or DES), and the engine discovery before them.

pysnmp read and wrote an SNMPv3 message with pyasn1 (2–4 ms of CPU per agent polled,
~85 % of it pyasn1): 64 agents at once cost 6–17× one agent's time at a 20 ms round
trip, by the machine's load (bench/snmp.py; now ~0.2 ms and 1.4–2.6×). The message
is a small, fixed shape, so hadeck writes and reads it as it does v2c
(:mod:`hadeck.snmp.ber`, whose PDU reader reads the inner PDU):

* RFC 3412: ``SEQUENCE { msgVersion 3, msgGlobalData SEQUENCE { msgID, msgMaxSize,
  msgFlags, msgSecurityModel 3 }, msgSecurityParameters OCTET STRING, msgData }``,
  msgData a scoped PDU ``SEQUENCE { contextEngineID, contextName, PDU }``, or that
  encrypted, as an OCTET STRING;
* RFC 3414: the security parameters ``SEQUENCE { engine ID, engine boots, engine time,
  user name, authentication parameters, privacy parameters }``; the authentication
  parameters are the HMAC of the whole message written with them zeroed (HMAC-MD5-96,
  HMAC-SHA-96; RFC 7860's HMAC-SHA-2 with their longer digests);
* RFC 3826: AES-128 in CFB mode, the IV the engine's boots ‖ time ‖ the 64-bit salt that
  travels as the privacy parameters; AES-192 and AES-256 the same way with a longer key
  (draft-blumenthal-aes-usm-04), which a localised key is too short for and is extended
  in one of two incompatible ways (:data:`PRIV`): the draft's (net-snmp's ``AES192`` /
  ``AES256``, most Linux agents) or Cisco's (Reeder's 3DES draft: net-snmp's
  ``AES192C`` / ``AES256C``). An agent answers the wrong one with silence, as it does a
  wrong privacy password;
* RFC 3414 8: DES in CBC mode, the key the first 8 bytes of the 16-byte localised
  privacy key, the IV its last 8 bytes XOR the salt that travels as the privacy
  parameters, the plaintext padded to whole 8-byte blocks (old switches and UPS cards
  offer no AES).

No cryptography of hadeck's own: the keys are localised and extended by pysnmp's own
functions (:mod:`pysnmp.proto.secmod.rfc3414.localkey` and pysnmp's privacy services'
``localize_key``, once per password and engine: not per message), the HMAC is the
standard library's, AES and DES are the ``cryptography`` package's (DES as triple DES
with the key three times, as pysnmp does it). noAuthNoPriv stays with pysnmp
(:func:`handles`).

Pure but for the clock (the engine's time is estimated from when it was last heard) and
the random salt. Anything that is not a well-formed message, an answer to another
message, one whose digest does not verify or that does not decrypt raises
:class:`~hadeck.snmp.ber.BerError` (the poller drops it, as an answer to no request).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from hadeck.snmp.ber import (
    _INTEGER,
    _MESSAGE,
    _OCTETS,
    _REPORT,
    BerError,
    Response,
    _expect,
    _integer,
    _tlv,
    decode_pdu,
)

AUTH = {"MD5": ("md5", 12), "SHA": ("sha1", 12), "SHA224": ("sha224", 16),
        "SHA256": ("sha256", 24), "SHA384": ("sha384", 32), "SHA512": ("sha512", 48)}
"""The authentication protocols hadeck signs itself: the hash and the length of the
authentication parameters (RFC 3414: 96 bits; RFC 7860: 128–384 bits)."""
PRIV = {"": ("", ""), "AES": ("rfc3826.priv.aes", "Aes"),
        "AES192": ("eso.priv.aes192", "AesBlumenthal192"),
        "AES256": ("eso.priv.aes256", "AesBlumenthal256"),
        "AES192C": ("eso.priv.aes192", "Aes192"), "AES256C": ("eso.priv.aes256", "Aes256"),
        "DES": ("rfc3414.priv.des", "Des")}
"""The privacy protocols hadeck encrypts itself (none: authNoPriv), by the configuration's
name (net-snmp's ``-x`` names), and the pysnmp privacy service (module under
``pysnmp.proto.secmod``, class) whose ``localize_key`` makes the key: AES-128's is the
localised key's first 16 bytes; ``AES192``/``AES256`` extend it as
draft-blumenthal-aes-usm-04 does (the localised key ‖ its hash), ``AES192C``/``AES256C``
as Cisco does (the localised key ‖ the key localised from it as if it were a password: 1 MiB
hashed again, ~3 ms once per engine); DES's is the localised key's first 16 bytes (the DES
key and the pre-IV)."""
_AUTH_SERVICES = {"MD5": ("rfc3414.auth.hmacmd5", "HmacMd5", "SERVICE_ID"),
                  "SHA": ("rfc3414.auth.hmacsha", "HmacSha", "SERVICE_ID"),
                  "SHA224": ("rfc7860.auth.hmacsha2", "HmacSha2", "SHA224_SERVICE_ID"),
                  "SHA256": ("rfc7860.auth.hmacsha2", "HmacSha2", "SHA256_SERVICE_ID"),
                  # pysnmp 7.1 spells SHA-384's ID so.
                  "SHA384": ("rfc7860.auth.hmacsha2", "HmacSha2", "SAH384_SERVICE_ID"),
                  "SHA512": ("rfc7860.auth.hmacsha2", "HmacSha2", "SHA512_SERVICE_ID")}
"""pysnmp's ID of each authentication protocol (its privacy services pick the hash by it)."""

MAX_SIZE = 65507
"""msgMaxSize: the largest answer hadeck takes (a UDP datagram's payload)."""
_V3, _USM = 3, 3
_AUTH, _PRIV, _REPORTABLE = 0x01, 0x02, 0x04
_GET = 0xA0

UNSUPPORTED_SEC_LEVEL = "1.3.6.1.6.3.15.1.1.1.0"
NOT_IN_TIME_WINDOW = "1.3.6.1.6.3.15.1.1.2.0"
UNKNOWN_USER_NAME = "1.3.6.1.6.3.15.1.1.3.0"
UNKNOWN_ENGINE_ID = "1.3.6.1.6.3.15.1.1.4.0"
WRONG_DIGEST = "1.3.6.1.6.3.15.1.1.5.0"
DECRYPTION_ERROR = "1.3.6.1.6.3.15.1.1.6.0"
REPORTS = {
    UNSUPPORTED_SEC_LEVEL: "unsupportedSecLevels",
    NOT_IN_TIME_WINDOW: "notInTimeWindows",
    UNKNOWN_USER_NAME: "unknownUserNames",
    UNKNOWN_ENGINE_ID: "unknownEngineIDs",
    WRONG_DIGEST: "wrongDigests",
    DECRYPTION_ERROR: "decryptionErrors",
}
"""RFC 3414's usmStats counters an agent reports a refused request with."""


def handles(agent: Any) -> bool:
    """Whether hadeck writes and reads this SNMPv3 agent's messages itself (authNoPriv
    or authPriv, MD5 / SHA / SHA-2, AES of any key length and extension or DES); the
    others (noAuthNoPriv) go through pysnmp."""
    return (agent.version == "3" and bool(agent.auth_password)
            and agent.auth_protocol in AUTH and agent.priv_protocol in PRIV
            and bool(agent.priv_password) == bool(agent.priv_protocol))


class Keys(NamedTuple):
    """A user's keys localised for one engine: never shown, never logged."""

    digest: str
    """hashlib's name of the HMAC's hash."""
    size: int
    """Bytes of the authentication parameters (the HMAC truncated)."""
    auth: bytes
    priv: bytes
    """The AES key (16, 24 or 32 bytes) or DES's key and pre-IV (16); empty for authNoPriv."""
    des: bool = False
    """``priv`` is DES's, not AES's."""

    def __repr__(self) -> str:
        return f"Keys({self.digest}, {self.size}, priv={bool(self.priv)})"


def pass_key(password: str, protocol: str) -> bytes:
    """RFC 3414 A.2: the key from a password (1 MiB hashed: computed once per password)."""
    from pysnmp.proto.secmod.rfc3414 import localkey

    return bytes(localkey.hash_passphrase(password, getattr(hashlib, AUTH[protocol][0])))


def localize(auth_key: bytes, priv_key: bytes | None, protocol: str, priv_protocol: str,
             engine_id: bytes) -> Keys:
    """The keys localised for ``engine_id`` (RFC 3414 A.2), from the keys of
    :func:`pass_key`; the AES key by pysnmp's privacy service for ``priv_protocol``
    (:data:`PRIV`; RFC 3826 3.1.2.1: AES-128's is the first 16 bytes of the privacy
    password's localised key)."""
    import importlib

    from pyasn1.type import univ
    from pysnmp.proto.secmod.rfc3414 import localkey

    name, size = AUTH[protocol]
    engine = univ.OctetString(engine_id)
    auth = bytes(localkey.localize_key(auth_key, engine, getattr(hashlib, name)))
    priv = b""
    if priv_protocol:
        if priv_key is None:
            raise ValueError("a privacy protocol without a privacy key")
        module, kind = PRIV[priv_protocol]
        service = getattr(importlib.import_module(f"pysnmp.proto.secmod.{module}"), kind)()
        module, kind, attribute = _AUTH_SERVICES[protocol]
        auth_id = getattr(getattr(importlib.import_module(f"pysnmp.proto.secmod.{module}"),
                                  kind), attribute)
        priv = bytes(service.localize_key(auth_id, univ.OctetString(priv_key), engine))
        if len(priv) != service.KEY_SIZE:
            raise AssertionError(f"{priv_protocol}: a key of {len(priv)} bytes")
    return Keys(name, size, auth, priv, priv_protocol == "DES")


@dataclass
class Engine:
    """What hadeck knows of an agent's SNMP engine (RFC 3414 2.3: the non-authoritative
    side's notion of the authoritative engine's clock)."""

    engine_id: bytes
    boots: int
    time: int
    heard: float
    """``time.monotonic()`` when ``time`` was heard: the clock goes on from there."""

    def now(self) -> tuple[int, int]:
        """The engine's boots and time, estimated now."""
        return self.boots, min(self.time + int(time.monotonic() - self.heard), 2**31 - 1)

    def heard_from(self, boots: int, engine_time: int) -> None:
        """Take the clock of an authentic message (RFC 3414 3.2 step 7b: a later boot, or
        a later time in the same boot)."""
        if boots > self.boots or (boots == self.boots and engine_time >= self.now()[1]):
            self.boots, self.time, self.heard = boots, engine_time, time.monotonic()


class Answer(NamedTuple):
    """One message read: the PDU, and the agent's engine as its security parameters say."""

    engine_id: bytes
    boots: int
    time: int
    authentic: bool
    """Signed with the user's key and verified (a report of a refusal is not signed)."""
    report: str | None
    """A Report's first OID (:data:`REPORTS`), None for a Response."""
    response: Response


def discovery(msg_id: int) -> bytes:
    """RFC 3414 4: a request with no user and no engine ID; the agent reports
    usmStatsUnknownEngineIDs with its engine ID, boots and time."""
    pdu = _tlv(_GET, _integer(msg_id) + _integer(0) + _integer(0) + _tlv(_MESSAGE, b""))
    parameters = _security(b"", 0, 0, b"", b"", b"")
    return _message(msg_id, _REPORTABLE, parameters, _scoped(b"", pdu))


def request(msg_id: int, engine: Engine, user: bytes, keys: Keys, pdu: bytes) -> bytes:
    """A request carrying ``pdu`` (e.g. :func:`hadeck.snmp.ber.bulk_pdu`), signed, and
    encrypted when the keys have a privacy key."""
    boots, engine_time = engine.now()
    data = _scoped(engine.engine_id, pdu)
    salt, flags = b"", _AUTH | _REPORTABLE
    if keys.priv:
        salt, flags = os.urandom(8), flags | _PRIV
        data = _tlv(_OCTETS, _crypt(keys, boots, engine_time, salt, data, encrypt=True))
    zeros = bytes(keys.size)
    head = (_tlv(_OCTETS, engine.engine_id) + _integer(boots) + _integer(engine_time)
            + _tlv(_OCTETS, user))
    parameters = head + _tlv(_OCTETS, zeros) + _tlv(_OCTETS, salt)
    message = _message(msg_id, flags, _tlv(_MESSAGE, parameters), data)
    # The authentication parameters' place: the message ends with what follows them.
    at = len(message) - len(data) - len(parameters) + len(head) + 2
    if message[at - 2:at + keys.size] != bytes((_OCTETS, keys.size)) + zeros:
        raise AssertionError("authentication parameters misplaced")
    digest = hmac.new(keys.auth, message, keys.digest).digest()[:keys.size]
    return message[:at] + digest + message[at + keys.size:]


def message_id(data: bytes) -> int | None:
    """The msgID of an SNMPv3 message; None for a message of another version."""
    start, end = _expect(data, 0, len(data), _MESSAGE)
    at, stop = _expect(data, start, end, _INTEGER)
    if int.from_bytes(data[at:stop], "big", signed=True) != _V3:
        return None
    at, end = _expect(data, stop, end, _MESSAGE)
    at, stop = _expect(data, at, end, _INTEGER)
    return int.from_bytes(data[at:stop], "big", signed=True)


def decode(data: bytes, msg_id: int, keys: Keys | None) -> Answer:
    """An answer to the message ``msg_id``: verified with ``keys`` (None: a discovery,
    whose answer is not signed) and decrypted.

    A Response must be signed (and encrypted, when the keys have a privacy key); a Report
    may come unsigned (RFC 3412 7.1.3: an agent reports a wrong digest or an unknown user
    without the key it does not have).
    """
    start, end = _expect(data, 0, len(data), _MESSAGE)
    at, stop = _expect(data, start, end, _INTEGER)
    if int.from_bytes(data[at:stop], "big", signed=True) != _V3:
        raise BerError("not SNMPv3")
    at, header_end = _expect(data, stop, end, _MESSAGE)
    numbers = []
    for _ in range(2):
        at, stop = _expect(data, at, header_end, _INTEGER)
        numbers.append(int.from_bytes(data[at:stop], "big", signed=True))
        at = stop
    if numbers[0] != msg_id:
        raise BerError("an answer to another message")
    at, stop = _expect(data, at, header_end, _OCTETS)
    if stop - at != 1:
        raise BerError("bad msgFlags")
    flags = data[at]
    at, stop = _expect(data, stop, header_end, _INTEGER)
    if int.from_bytes(data[at:stop], "big", signed=True) != _USM or stop != header_end:
        raise BerError("not the user-based security model")
    at, after = _expect(data, header_end, end, _OCTETS)
    at, stop = _expect(data, at, after, _MESSAGE)
    if stop != after:
        raise BerError("bad security parameters")
    fields: list[tuple[int, int]] = []
    for tag in (_OCTETS, _INTEGER, _INTEGER, _OCTETS, _OCTETS, _OCTETS):
        start, at = _expect(data, at, stop, tag)
        fields.append((start, at))
    if at != stop:
        raise BerError("bad security parameters")
    engine_id = data[slice(*fields[0])]
    boots, engine_time = (int.from_bytes(data[slice(*fields[i])], "big", signed=True)
                          for i in (1, 2))
    authentic = False
    if flags & _AUTH:
        if keys is None:
            raise BerError("a signed answer to a discovery")
        auth_start, auth_end = fields[4]
        if auth_end - auth_start != keys.size:
            raise BerError("bad authentication parameters")
        zeroed = data[:auth_start] + bytes(keys.size) + data[auth_end:]
        digest = hmac.new(keys.auth, zeroed, keys.digest).digest()[:keys.size]
        if not hmac.compare_digest(digest, data[auth_start:auth_end]):
            raise BerError("wrong digest")
        authentic = True
    elif flags & _PRIV:
        raise BerError("encrypted but not signed")
    if flags & _PRIV:
        assert keys is not None
        if not keys.priv:
            raise BerError("encrypted, and no privacy key")
        salt = data[slice(*fields[5])]
        if len(salt) != 8:
            raise BerError("bad privacy parameters")
        at, stop = _expect(data, after, end, _OCTETS)
        scoped = _crypt(keys, boots, engine_time, salt, data[at:stop], encrypt=False)
        start, scoped_end = _expect(scoped, 0, len(scoped), _MESSAGE)
        # CFB has no padding: the scoped PDU is the whole plaintext; CBC's is under a
        # block (net-snmp), or a whole block when none was needed (pysnmp).
        if len(scoped) - scoped_end > (8 if keys.des else 0):
            raise BerError("bytes after the scoped PDU")
    else:
        scoped, start, scoped_end = data, *_expect(data, after, end, _MESSAGE)
        stop = scoped_end
    if stop != end:
        raise BerError("bytes after the message")
    _, at = _expect(scoped, start, scoped_end, _OCTETS)
    _, at = _expect(scoped, at, scoped_end, _OCTETS)
    tag, response = decode_pdu(scoped, at, scoped_end)
    report = None
    if tag == _REPORT:
        report = response.values[0][0] if response.values else ""
    elif keys is None or not authentic or (keys.priv and not flags & _PRIV):
        raise BerError("a response below the security level asked")
    if response.request_id != msg_id and report is None:
        raise BerError("an answer to another request")
    return Answer(engine_id, boots, engine_time, authentic, report, response)


def _message(msg_id: int, flags: int, parameters: bytes, data: bytes) -> bytes:
    header = _tlv(_MESSAGE, _integer(msg_id) + _integer(MAX_SIZE)
                  + _tlv(_OCTETS, bytes((flags,))) + _integer(_USM))
    return _tlv(_MESSAGE, _integer(_V3) + header + _tlv(_OCTETS, parameters) + data)


def _security(engine_id: bytes, boots: int, engine_time: int, user: bytes, auth: bytes,
              salt: bytes) -> bytes:
    return _tlv(_MESSAGE, _tlv(_OCTETS, engine_id) + _integer(boots) + _integer(engine_time)
                + _tlv(_OCTETS, user) + _tlv(_OCTETS, auth) + _tlv(_OCTETS, salt))


def _scoped(engine_id: bytes, pdu: bytes) -> bytes:
    return _tlv(_MESSAGE, _tlv(_OCTETS, engine_id) + _tlv(_OCTETS, b"") + pdu)


def _crypt(keys: Keys, boots: int, engine_time: int, salt: bytes, data: bytes, *,
           encrypt: bool) -> bytes:
    if keys.des:
        return _des(keys.priv, salt, data, encrypt=encrypt)
    return _aes(keys.priv, boots, engine_time, salt, data, encrypt=encrypt)


def _aes(key: bytes, boots: int, engine_time: int, salt: bytes, data: bytes, *,
         encrypt: bool) -> bytes:
    """RFC 3826 3.1.3: AES-CFB128, IV = boots ‖ time ‖ salt (each 32 bits, 64 bits);
    AES-192 and AES-256 (draft-blumenthal-aes-usm-04 3.1.3.1) the same, by the key's
    length."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    try:  # cryptography ≥ 47 keeps CFB here (and drops it from modes in 49)
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.modes import CFB

    if not (0 <= boots < 2**32 and 0 <= engine_time < 2**32):
        raise BerError("engine boots or time out of range")
    iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    work = cipher.encryptor() if encrypt else cipher.decryptor()
    return work.update(data) + work.finalize()


def _des(key: bytes, salt: bytes, data: bytes, *, encrypt: bool) -> bytes:
    """RFC 3414 8.1.1: DES-CBC, the key ``key[:8]``, IV = ``key[8:16]`` XOR the salt; the
    plaintext padded with zeros to whole blocks."""
    from cryptography.hazmat.primitives.ciphers import Cipher
    from cryptography.hazmat.primitives.ciphers.modes import CBC

    try:  # cryptography ≥ 43 keeps triple DES here
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # pragma: no cover - older cryptography
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

    if encrypt:
        data += bytes(-len(data) % 8)
    elif not data or len(data) % 8:
        raise BerError("DES data not in whole blocks")
    iv = bytes(a ^ b for a, b in zip(key[8:16], salt, strict=True))
    # Triple DES with one key three times is DES (encrypt, decrypt, encrypt with it).
    cipher = Cipher(TripleDES(key[:8] * 3), CBC(iv))
    work = cipher.encryptor() if encrypt else cipher.decryptor()
    return work.update(data) + work.finalize()


def report_name(oid: str) -> str:
    """A report's counter by name (``usmStatsWrongDigests``), or its OID."""
    found = REPORTS.get(oid)
    if found:
        return f"usmStats{found[0].upper()}{found[1:]}"
    return oid or "an empty report"

