"""hadeck's own v2c BER against pysnmp's (pyasn1) and a real snmpd's answers."""

from __future__ import annotations

import random
import socket

import pytest

from hadeck.snmp import ber, oids
from hadeck.snmp.poller import _before
from tests.snmp.conftest import Snmpd


def request(community: str, request_id: int = 4242, repetitions: int = 8) -> bytes:
    asked = [*(_before(o) for o in oids.SCALARS), *oids.LOAD_COLUMNS, *oids.HOST_COLUMNS]
    return ber.get_bulk(community.encode(), request_id, len(oids.SCALARS), repetitions,
                        ber.varbinds(asked))


def ask(snmpd: Snmpd, message: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(message, ("127.0.0.1", snmpd.port))
        return sock.recv(65535)


def test_the_request_is_what_pysnmp_reads_as_a_v2c_getbulk() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, rest = decoder.decode(request("s3cret", 2**31 - 2, 300), asn1Spec=v2c.Message())
    assert rest == b""
    pdu = v2c.apiMessage.get_pdu(message)
    assert str(v2c.apiMessage.get_community(message)) == "s3cret"
    assert int(v2c.apiPDU.get_request_id(pdu)) == 2**31 - 2
    assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == len(oids.SCALARS)
    assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == 300
    names = [str(name) for name, _ in v2c.apiBulkPDU.get_varbinds(pdu)]
    assert names == [*(_before(o) for o in oids.SCALARS), *oids.LOAD_COLUMNS,
                     *oids.HOST_COLUMNS]


def test_a_real_answer_reads_as_pysnmp_reads_it(snmpd: Snmpd) -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    data = ask(snmpd, request(snmpd.community))
    ours = ber.decode_response(data)
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, _ = decoder.decode(data, asn1Spec=v2c.Message())
    pdu = v2c.apiMessage.get_pdu(message)
    assert ours.request_id == 4242 and ours.error_status == 0
    theirs = v2c.apiBulkPDU.get_varbinds(pdu)
    assert len(ours.values) == len(theirs) > 100
    kinds = set()
    for (oid, value), (name, their) in zip(ours.values, theirs, strict=True):
        assert oid == str(name)
        kinds.add(value.kind)
        if value.kind in ("STRING", "Opaque"):
            assert value.value == bytes(their.asOctets())
        elif value.kind in ("OID", "IpAddress"):
            assert value.value == their.prettyPrint()
        elif value.kind:
            assert value.value == int(their)
        else:
            assert type(their).__name__ in ("EndOfMibView", "NoSuchObject",
                                           "NoSuchInstance")
    # The answer holds the types hadeck reads: text, integers, counters, ticks, OIDs.
    assert {"STRING", "INTEGER", "Counter64", "Timeticks", "OID"} <= kinds


def test_what_is_not_an_answer_raises_ber_error_only(snmpd: Snmpd) -> None:
    data = ask(snmpd, request(snmpd.community))
    for end in range(len(data)):  # every truncation
        with pytest.raises(ber.BerError):
            ber.decode_response(data[:end])
    with pytest.raises(ber.BerError):
        ber.decode_response(request(snmpd.community))  # a request is not an answer
    chance = random.Random(14)
    for _ in range(3000):  # flipped bytes: read or refused, never another exception
        spoilt = bytearray(data)
        for _ in range(chance.randint(1, 4)):
            spoilt[chance.randrange(len(spoilt))] = chance.randrange(256)
        try:
            ber.decode_response(bytes(spoilt))
        except ber.BerError:
            pass


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.1.3.0", "0.0", "2.999.3", "1.3.6.1.4.1.2021.9.1.2.1",
                                 "1.3.6.1.2.1.31.1.1.1.6.4294967295"])
def test_oids_go_out_and_back(oid: str) -> None:
    assert ber.decode_oid(ber.encode_oid(oid)) == oid


@pytest.mark.parametrize("oid", ["", "1", "3.1", "1.40", "1.3.x", "1.-3"])
def test_what_is_not_an_oid_is_refused(oid: str) -> None:
    with pytest.raises(ber.BerError):
        ber.encode_oid(oid)
