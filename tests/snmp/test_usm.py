"""hadeck's own SNMPv3 messages (hadeck.snmp.usm) on bytes: a real snmpd's answers
captured (tests/fixtures/snmp/net-snmp-5.9-v3.json, tests/snmp/capture_v3.py), hadeck's
requests read back by pysnmp's own pyasn1 syntax and AES, and damaged messages."""

from __future__ import annotations

import hmac
import json
import random
import time
from typing import Any

import pytest

from hadeck.snmp import ber, oids, usm
from hadeck.snmp.poller import _first_asked
from tests.conftest import FIXTURES

CAPTURE = json.loads((FIXTURES / "snmp" / "net-snmp-5.9-v3.json").read_text())
ENGINE_ID = bytes.fromhex(CAPTURE["engine_id"])
EXCHANGES = {e["msg_id"]: e for e in CAPTURE["exchanges"]}


PRIVACY = {1002: "AES", 1003: "", 1008: "DES"}
"""The captured GETBULKs' privacy: authPriv SHA/AES, authNoPriv SHA, authPriv SHA/DES."""


def keys(priv: str, phrase: str | None = None) -> usm.Keys:
    """The captured users' keys: ``priv`` "AES", "DES" or "" (authNoPriv)."""
    phrases = CAPTURE["throwaway_phrases"]
    return usm.localize(usm.pass_key(phrase or phrases["auth"], "SHA"),
                        usm.pass_key(phrases["priv"], "SHA") if priv else None,
                        "SHA", priv, ENGINE_ID)


def pysnmps_privacy(priv: str) -> tuple[Any, Any]:
    """pysnmp's own privacy service for ``priv`` (AES or DES) and the key it localises."""
    from pyasn1.type import univ
    from pysnmp.proto.secmod.rfc3414.auth.hmacsha import HmacSha
    from pysnmp.proto.secmod.rfc3414.priv.des import Des
    from pysnmp.proto.secmod.rfc3826.priv.aes import Aes

    service = Aes() if priv == "AES" else Des()
    phrase = service.hash_passphrase(HmacSha.SERVICE_ID, CAPTURE["throwaway_phrases"]["priv"])
    return service, service.localize_key(HmacSha.SERVICE_ID, phrase,
                                         univ.OctetString(ENGINE_ID))


def answer(msg_id: int) -> bytes:
    return bytes.fromhex(EXCHANGES[msg_id]["answer"])


def test_keys_are_rfc_3414s_own_examples() -> None:
    """RFC 3414 A.3.1 / A.3.2: "maplesyrup" localised for engine 00…02."""
    engine = bytes(11) + b"\x02"
    md5 = usm.localize(usm.pass_key("maplesyrup", "MD5"), None, "MD5", "", engine)
    sha = usm.localize(usm.pass_key("maplesyrup", "SHA"), None, "SHA", "", engine)
    assert md5.auth.hex() == "526f5eed9fcce26f8964c2930787d82b"
    assert sha.auth.hex() == "6695febc9288e36282235fc7151f128497b38f3f"
    assert (md5.size, sha.size) == (12, 12)
    sha512 = usm.localize(usm.pass_key("maplesyrup", "SHA512"), b"k", "SHA512", "AES", engine)
    assert (sha512.size, len(sha512.auth), len(sha512.priv)) == (48, 64, 16)


def test_aes_192_and_256_keys_extend_the_localised_key_two_ways() -> None:
    """An AES-192/256 key longer than the hash begins with the localised key (AES-128's
    is its first 16 bytes) and goes on as net-snmp's AES192/AES256 do or as Cisco's
    AES192C/AES256C do: different keys. A key no longer than SHA-256's hash needs no
    extension: both names give the same key."""
    engine = bytes(11) + b"\x02"

    def priv(auth: str, protocol: str) -> bytes:
        return usm.localize(usm.pass_key("maplesyrup", auth),
                            usm.pass_key("maplesyrup", auth), auth, protocol, engine).priv

    sha = usm.localize(usm.pass_key("maplesyrup", "SHA"), None, "SHA", "", engine).auth
    for protocol, size in (("AES", 16), ("AES192", 24), ("AES256", 32), ("AES192C", 24),
                           ("AES256C", 32)):
        key = priv("SHA", protocol)
        assert len(key) == size and key[:16] == sha[:16], protocol
    assert priv("SHA", "AES256")[20:] != priv("SHA", "AES256C")[20:]
    assert priv("MD5", "AES192")[16:] != priv("MD5", "AES192C")[16:]
    assert priv("SHA256", "AES256") == priv("SHA256", "AES256C")
    assert priv("SHA256", "AES192") == priv("SHA256", "AES192C")


def test_keys_are_never_shown() -> None:
    shown = repr(keys("AES")) + str(keys("AES"))
    assert keys("AES").auth.hex() not in shown and "priv=True" in shown
    assert CAPTURE["throwaway_phrases"]["auth"] not in shown


def test_the_discovery_report_carries_the_engine() -> None:
    found = usm.decode(answer(1001), 1001, None)
    assert found.report == usm.UNKNOWN_ENGINE_ID
    assert usm.report_name(found.report) == "usmStatsUnknownEngineIDs"
    assert found.engine_id == ENGINE_ID and found.boots == 1
    assert not found.authentic


@pytest.mark.parametrize("msg_id", [1002, 1003, 1008],
                         ids=["authPriv-SHA-AES", "authNoPriv-SHA", "authPriv-SHA-DES"])
def test_a_real_answer_is_verified_decrypted_and_read(msg_id: int) -> None:
    found = usm.decode(answer(msg_id), msg_id, keys(PRIVACY[msg_id]))
    assert found.authentic and found.report is None
    assert found.engine_id == ENGINE_ID
    assert found.response.request_id == msg_id and found.response.error_status == 0
    names = [oid for oid, _ in found.response.values]
    assert names[:len(oids.SCALARS)] == list(oids.SCALARS)
    assert found.response.values[0][1].kind == "Timeticks"
    assert len(names) > len(oids.SCALARS)


@pytest.mark.parametrize("msg_id", [1002, 1008], ids=["AES", "DES"])
def test_a_real_answer_reads_as_pysnmp_reads_it(msg_id: int) -> None:
    """The encrypted answer taken apart by pysnmp's pyasn1 syntax and decrypted by
    pysnmp's own AES or DES: the same values as hadeck's reading."""
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

    data, key = answer(msg_id), keys(PRIVACY[msg_id])
    message, _ = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert int(message["msgGlobalData"]["msgID"]) == msg_id
    assert bytes(message["msgGlobalData"]["msgFlags"]) == b"\x03"  # auth, priv
    parameters, _ = decoder.decode(bytes(message["msgSecurityParameters"]),
                                   asn1Spec=UsmSecurityParameters())
    service, their_key = pysnmps_privacy(PRIVACY[msg_id])
    assert bytes(their_key) == key.priv
    plain = service.decrypt_data(
        their_key, (int(parameters["msgAuthoritativeEngineBoots"]),
                    int(parameters["msgAuthoritativeEngineTime"]),
                    parameters["msgPrivacyParameters"]),
        message["msgData"]["encryptedPDU"])
    scoped, _ = decoder.decode(plain, asn1Spec=ScopedPDU())
    pdu = scoped["data"].getComponent()
    theirs = [(str(vb[0]), vb[1]) for vb in pdu["variable-bindings"]]
    ours = usm.decode(data, msg_id, key).response.values
    assert [oid for oid, _ in ours] == [name for name, _ in theirs]
    from pyasn1.type import univ

    for (_, value), (_, their) in zip(ours, theirs, strict=True):
        inner = their
        while isinstance(inner, univ.Choice):  # value → ObjectSyntax → simple / application
            inner = inner.getComponent()
        if value.kind in ("STRING", "Opaque"):
            assert value.value == bytes(inner)
        elif value.kind in ("OID", "IpAddress"):
            assert value.value == inner.prettyPrint()
        elif value.kind:
            assert value.value == int(inner)
        else:
            assert not inner.isValue or type(inner).__name__ in (
                "Null", "NoSuchObject", "NoSuchInstance", "EndOfMibView")


@pytest.mark.parametrize(("msg_id", "report", "authentic"), [
    (1004, "1.3.6.1.6.3.15.1.1.5.0", False),  # wrong passphrase: usmStatsWrongDigests
    (1005, "1.3.6.1.6.3.15.1.1.3.0", False),  # usmStatsUnknownUserNames
    (1006, usm.NOT_IN_TIME_WINDOW, True),  # signed: its clock may be taken
    (1007, usm.UNKNOWN_ENGINE_ID, False),  # another engine ID: the agent's own in it
])
def test_what_snmpd_reports(msg_id: int, report: str, authentic: bool) -> None:
    found = usm.decode(answer(msg_id), msg_id, keys(""))
    assert (found.report, found.authentic) == (report, authentic)
    assert found.engine_id == ENGINE_ID
    assert usm.report_name(report).startswith("usmStats")


def test_an_answer_is_only_taken_for_its_own_message_and_keys() -> None:
    with pytest.raises(ber.BerError, match="another message"):
        usm.decode(answer(1002), 1003, keys("AES"))
    with pytest.raises(ber.BerError, match="wrong digest"):
        usm.decode(answer(1003), 1003, keys("", phrase="not-the-passphrase"))
    with pytest.raises(ber.BerError, match="no privacy key"):
        usm.decode(answer(1002), 1002, keys(""))
    with pytest.raises(ber.BerError, match="signed answer to a discovery"):
        usm.decode(answer(1003), 1003, None)
    with pytest.raises(ber.BerError, match="below the security level"):
        usm.decode(answer(1003), 1003, keys("AES"))  # authPriv asked, authNoPriv came
    assert usm.message_id(answer(1002)) == 1002
    assert usm.message_id(bytes.fromhex("3006020101040100")) is None  # v2c


@pytest.mark.parametrize("priv", ["AES", "DES"])
def test_hadecks_request_reads_as_pysnmp_reads_an_snmpv3_getbulk(priv: str) -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

    key = keys(priv)
    engine = usm.Engine(ENGINE_ID, 7, 1000, time.monotonic() - 5)
    asked = _first_asked()
    data = usm.request(2**31 - 2, engine, b"hpriv", key,
                       ber.bulk_pdu(2**31 - 2, len(oids.SCALARS), 8, ber.varbinds(asked)))
    message, rest = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert rest == b""
    header = message["msgGlobalData"]
    assert (int(message["msgVersion"]), int(header["msgID"]), int(header["msgMaxSize"]),
            bytes(header["msgFlags"]), int(header["msgSecurityModel"])) == \
        (3, 2**31 - 2, 65507, b"\x07", 3)
    parameters, _ = decoder.decode(bytes(message["msgSecurityParameters"]),
                                   asn1Spec=UsmSecurityParameters())
    boots, clock = (int(parameters["msgAuthoritativeEngineBoots"]),
                    int(parameters["msgAuthoritativeEngineTime"]))
    assert bytes(parameters["msgAuthoritativeEngineId"]) == ENGINE_ID
    assert boots == 7 and 1004 <= clock <= 1007  # the engine's clock went on
    assert bytes(parameters["msgUserName"]) == b"hpriv"
    signature = bytes(parameters["msgAuthenticationParameters"])
    zeroed = data.replace(signature, bytes(12))
    assert signature == hmac.new(key.auth, zeroed, "sha1").digest()[:12]
    service, their_key = pysnmps_privacy(priv)
    plain = service.decrypt_data(their_key, (boots, clock,
                                             parameters["msgPrivacyParameters"]),
                                 message["msgData"]["encryptedPDU"])
    scoped, _ = decoder.decode(plain, asn1Spec=ScopedPDU())
    assert bytes(scoped["contextEngineId"]) == ENGINE_ID
    assert bytes(scoped["contextName"]) == b""
    pdu = scoped["data"].getComponent()
    assert pdu.__class__.__name__ == "GetBulkRequestPDU"
    assert int(pdu["request-id"]) == 2**31 - 2
    assert int(pdu["non-repeaters"]) == len(oids.SCALARS)
    assert int(pdu["max-repetitions"]) == 8
    assert [str(vb[0]) for vb in pdu["variable-bindings"]] == asked


def test_two_requests_never_share_a_salt() -> None:
    engine = usm.Engine(ENGINE_ID, 1, 10, time.monotonic())
    pdu = ber.bulk_pdu(5, 0, 1, ber.varbinds(["1.3.6.1"]))
    assert usm.request(5, engine, b"hpriv", keys("AES"), pdu) != \
        usm.request(5, engine, b"hpriv", keys("AES"), pdu)


def spoil(data: bytes, chance: random.Random) -> bytes:
    spoilt = bytearray(data)
    while spoilt == data:
        for _ in range(chance.randint(1, 4)):
            spoilt[chance.randrange(len(spoilt))] = chance.randrange(256)
    return bytes(spoilt)


@pytest.mark.parametrize("msg_id", [1002, 1003, 1008],
                         ids=["authPriv-SHA-AES", "authNoPriv-SHA", "authPriv-SHA-DES"])
def test_a_damaged_signed_answer_is_never_taken(msg_id: int) -> None:
    """Every truncation and 2,000 random damages of a signed answer: refused
    (BerError), never read, never another exception: the digest covers every byte."""
    data, key = answer(msg_id), keys(PRIVACY[msg_id])
    for end in range(len(data)):
        with pytest.raises(ber.BerError):
            usm.decode(data[:end], msg_id, key)
    with pytest.raises(ber.BerError):
        usm.decode(data + b"\x00", msg_id, key)
    chance = random.Random(msg_id)
    for _ in range(2000):
        with pytest.raises(ber.BerError):
            usm.decode(spoil(data, chance), msg_id, key)


@pytest.mark.parametrize("msg_id", [1001, 1004, 1005, 1006, 1007])
def test_a_damaged_report_is_refused_or_read_never_a_traceback(msg_id: int) -> None:
    data, key = answer(msg_id), keys("") if msg_id != 1001 else None
    for end in range(len(data)):
        with pytest.raises(ber.BerError):
            usm.decode(data[:end], msg_id, key)
    chance = random.Random(msg_id)
    for _ in range(2000):
        spoilt = spoil(data, chance)
        try:
            found: Any = usm.decode(spoilt, msg_id, key)
        except ber.BerError:
            continue
        # Unsigned reports can be damaged unnoticed (so can they be forged): still a report.
        assert found.report is not None
        try:
            usm.message_id(spoilt)
        except ber.BerError:
            pass


def test_an_engine_clock_goes_on_and_takes_only_later_times() -> None:
    engine = usm.Engine(ENGINE_ID, 3, 100, time.monotonic() - 10)
    assert engine.now() == (3, 110)
    engine.heard_from(3, 50)  # earlier in the same boot: a replay, not taken
    assert engine.now() == (3, 110)
    engine.heard_from(4, 2)  # a later boot
    assert engine.now() == (4, 2)
