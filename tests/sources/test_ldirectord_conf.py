"""ldirectord.cf's virtual services and weights, on the sample file ldirectord 4.12 ships
(tests/fixtures/ldirectord/4.12), its commented services switched on."""

from __future__ import annotations

import re

import pytest

from hadeck.redact import redact_output
from hadeck.sources.base import ParseError
from hadeck.sources.ldirectord_conf import parse_ldirectord_cf
from tests.conftest import FIXTURES

SAMPLE = (FIXTURES / "ldirectord" / "4.12" / "ldirectord.cf").read_text()


def everything() -> str:
    """The sample with every commented service on, less the SIP one: its
    ``real=192.168.6.2::5060`` (a typo in the sample) is one ldirectord refuses too."""
    on = re.sub(r"(?m)^#(virtual|\t)", r"\1", SAMPLE)
    return re.sub(r"(?ms)^virtual=192\.168\.6\.240:5060.*?(?=^\S)", "", on)


def test_the_sample_as_shipped() -> None:
    config = parse_ldirectord_cf(SAMPLE)
    assert [s.key for s in config.services] == ["TCP 192.168.6.240:80"]
    assert config.weights("TCP 192.168.6.240:80") == {
        "192.168.6.2:80": 1, "192.168.6.3:80": 1, "192.168.6.6:80": 1}


def test_every_form_of_the_sample() -> None:
    config = parse_ldirectord_cf(everything())
    keys = [s.key for s in config.services]
    assert "FWM 1" in keys and "TCP [2001:db8::5]:119" in keys
    # A firewall mark's real servers keep no port; a range is each of its addresses.
    assert config.weights("FWM 1") == {"192.168.6.2:0": 1, "192.168.6.3:0": 1,
                                       "192.168.6.6:0": 1}
    ranged = [s for s in config.services if "192.168.6.4:80" in dict(s.weights)]
    assert ranged and set(dict(ranged[0].weights)) >= {f"192.168.6.{i}:80"
                                                       for i in range(2, 8)}
    assert config.weights("TCP 192.168.6.240:443") == {"192.168.16.3:443": 1,
                                                       "192.168.16.5:443": 1}
    assert config.weights("UDP 192.168.6.240:1812") is not None  # protocol=udp


def test_weights_and_service_names() -> None:
    text = ("virtual=10.0.0.80:http\n\treal=10.0.0.21:http masq 5\n"
            "\treal=10.0.0.22 gate\n\treal=web3.example.org:80 gate 2\n"
            "virtual=10.0.0.53:53\n    real=10.0.0.21:53 masq 0\n")
    config = parse_ldirectord_cf(text)
    # No port with gate: the service's; a host name is left to ldirectord's resolver.
    assert config.weights("TCP 10.0.0.80:80") == {"10.0.0.21:80": 5, "10.0.0.22:80": 1}
    assert config.weights("UDP 10.0.0.53:53") == {"10.0.0.21:53": 0}


SIP_TYPO = SAMPLE.replace("#virtual=192.168.6.240:5060", "virtual=192.168.6.240:5060") \
    .replace("#\treal=192.168.6.2::5060", "\treal=192.168.6.2::5060")


@pytest.mark.parametrize("text", ["virtual=nowhere\n",
                                  "virtual=10.0.0.1:80\n\treal=10.0.0.2 nat\n", SIP_TYPO])
def test_what_ldirectord_refuses_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_ldirectord_cf(text)


def test_a_bundle_keeps_no_check_password() -> None:
    kept = redact_output("lvs/ldirectord.cf", everything())
    assert "genericpassword" not in kept and "somesecret" not in kept
    assert parse_ldirectord_cf(kept) == parse_ldirectord_cf(everything())
