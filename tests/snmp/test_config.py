"""[snmp] and [weights] in the configuration file: checked, secrets guarded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hadeck.config import ConfigError, describe, load
from hadeck.snmp.agent import SnmpAgent
from hadeck.weights import WeightRule

SITE = """\
[snmp]
version = "3"
user = "hadeck"
auth_password = "Auth-Secret-1"
priv_protocol = "aes"
priv_password = "Priv-Secret-2"
timeout = 0.5

[snmp.agents.web1]
address = "192.0.2.21"
weight = 50

[snmp.agents."192.0.2.22"]

[snmp.agents.lvs1]
version = "2c"
community = "Comm-Secret-3"
role = "node"
retries = 0

[weights]
floor = 20
hysteresis = 5
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "hadeck.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_agents_take_the_defaults_and_their_own_keys(tmp_path: Path) -> None:
    config = load(str(write(tmp_path, SITE)))
    web1, web2, lvs1 = config.snmp_agents
    assert web1 == SnmpAgent(name="web1", address="192.0.2.21", version="3", user="hadeck",
                             auth_password="Auth-Secret-1", priv_protocol="AES",
                             priv_password="Priv-Secret-2", timeout=0.5, weight=50)
    assert (web2.name, web2.address, web2.security, web2.weight) == \
        ("192.0.2.22", "192.0.2.22", "authPriv", None)
    assert (lvs1.version, lvs1.community, lvs1.role, lvs1.retries) == \
        ("2c", "Comm-Secret-3", "node", 0)
    assert config.weights == WeightRule(floor=20.0, hysteresis=5.0)


def test_hadeck_config_shows_every_key_with_its_line_and_no_secret(tmp_path: Path) -> None:
    path = write(tmp_path, SITE)
    rows = {key: (value, origin) for key, value, origin in describe(load(str(path)))}
    assert rows["snmp.auth_password"] == ("***", f"--config {path}:4")
    assert rows["snmp.agents.lvs1.community"] == ("***", f"--config {path}:17")
    assert rows["snmp.agents.web1.address"] == ("192.0.2.21", f"--config {path}:10")
    assert rows["weights.floor"] == (20.0, f"--config {path}:22")
    assert rows["weights.base"] == (100, "built-in default")
    text = repr(describe(load(str(path)))) + repr(load(str(path)))
    for secret in ("Auth-Secret-1", "Priv-Secret-2", "Comm-Secret-3"):
        assert secret not in text


@pytest.mark.parametrize("mode, says", [
    (0o644, "holds SNMP secrets but is readable by every user (mode 0644): chmod 600"),
    (0o620, "holds SNMP secrets but is writable by others (mode 0620)"),
])
def test_a_file_with_secrets_others_can_read_is_refused(tmp_path: Path, mode: int,
                                                        says: str) -> None:
    path = write(tmp_path, SITE, mode)
    with pytest.raises(ConfigError, match=re.escape(says)):
        load(str(path))


def test_group_readable_is_allowed_and_no_secret_no_check(tmp_path: Path) -> None:
    assert load(str(write(tmp_path, SITE, 0o640))).snmp_agents
    plain = '[snmp.agents.web1]\nversion = "3"\nuser = "u"\n'
    assert load(str(write(tmp_path, plain, 0o644))).snmp_agents[0].security == "noAuthNoPriv"


@pytest.mark.parametrize("text, says", [
    ('[snmp]\nversoin = "3"', "hadeck.toml:2: unknown key snmp.versoin (did you mean "
                              "snmp.version?)"),
    ('[snmp.agents.web1]\nadress = "x"\ncommunity = "c"',
     "hadeck.toml:2: unknown key snmp.agents.web1.adress (did you mean address?)"),
    ('[snmp]\nversion = "1"', 'snmp.version must be "2c" or "3"'),
    ('[snmp.agents.web1]\nversion = "2c"', "[snmp.agents.web1] is SNMPv2c and has no "
                                           "community"),
    ('[snmp.agents.web1]\nversion = "3"', "is SNMPv3 and has no user"),
    ('[snmp]\nauth_password = 12345\ncommunity = "c"', "snmp.auth_password must be a string"),
    ('[snmp]\nport = 0', "snmp.port must be a whole number from 1 to 65535"),
    ('[snmp]\ntimeout = inf', "snmp.timeout must be a positive number of seconds"),
    ('[snmp.agents.w]\ncommunity = "c"\nrole = "director"', 'role must be "real-server"'),
    ('[snmp.agents.w]\ncommunity = "c"\nweight = -1', "weight must be a whole number"),
    ('[snmp]\npriv_protocol = "ROT13"', 'snmp.priv_protocol must be one of DES, AES, '
                                         'AES192, AES256, AES192C, AES256C or "", not '
                                         "'ROT13'"),
    ('[snmp]\npriv_protocol = "AES-512"', "snmp.priv_protocol must be one of DES, AES"),
    ('[snmp]\nauth_protocol = "SHA-1"', "snmp.auth_protocol must be one of MD5, SHA, "),
    ("[weights]\nfloor = 60\nceiling = 50", "weights.floor (60) is above weights.ceiling"),
    ("[weights]\nfull_load = 0", "weights.full_load must be above 0"),
    ("[weights]\nhysterisis = 5", "did you mean weights.hysteresis?"),
])
def test_mistakes_are_said_with_file_and_line(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(str(write(tmp_path, text)))
    assert says in str(caught.value)


@pytest.mark.parametrize("auth, priv, kept", [
    ("sha", "aes256", ("SHA", "AES256")),
    ("SHA-256", "AES-192-C", ("SHA256", "AES192C")),  # net-snmp's -a / -x spellings
    ("md5", "AES-128", ("MD5", "AES")),
    ("SHA512", "aes256c", ("SHA512", "AES256C")),
])
def test_protocols_are_taken_as_net_snmp_spells_them(tmp_path: Path, auth: str, priv: str,
                                                     kept: tuple[str, str]) -> None:
    text = (f'[snmp.agents.web1]\nversion = "3"\nuser = "u"\nauth_password = "a"\n'
            f'auth_protocol = "{auth}"\npriv_protocol = "{priv}"\npriv_password = "p"\n')
    (agent,) = load(str(write(tmp_path, text))).snmp_agents
    assert (agent.auth_protocol, agent.priv_protocol) == kept


def test_a_password_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(str(write(tmp_path, "[snmp]\nauth_password = 987654321\n")))
    assert "987654321" not in str(caught.value)


def test_an_empty_agents_table_is_listed_as_empty(tmp_path: Path) -> None:
    rows = {k: v for k, v, _ in describe(load(str(write(tmp_path, "[snmp.agents]\n"))))}
    assert rows["snmp.agents"] == {}
