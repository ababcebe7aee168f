"""keepalived.conf's virtual servers and weights: the shipped snippet and the lab's file
(both accepted by keepalived's own ``keepalived -t``), keepalived.conf(5)'s forms, and
what a bundle keeps of the file (no auth_pass)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.redact import redact_output
from hadeck.sources.base import ParseError
from hadeck.sources.keepalived_conf import parse_keepalived_conf

ROOT = Path(__file__).resolve().parents[2]
KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"


def keepalived_accepts(path: Path) -> None:
    if not Path(KEEPALIVED).exists():
        pytest.skip("keepalived is not installed (apt-get install keepalived)")
    run = subprocess.run([KEEPALIVED, "-t", "-f", str(path)], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_shipped_snippet() -> None:
    snippet = ROOT / "share" / "keepalived" / "hadeck-weights.conf"
    config = parse_keepalived_conf(snippet.read_text())
    assert config.weights("TCP 192.0.2.80:80") == {"192.0.2.21:80": 100, "192.0.2.22:80": 100}
    assert config.weights("TCP 192.0.2.80:81") is None


def test_the_labs_file_is_keepalived_s_and_reads_back(lab: Lab, tmp_path: Path) -> None:
    got = LabAccess(lab).runner("lvs1").read_file("/etc/keepalived/keepalived.conf")
    assert got.ok
    path = tmp_path / "keepalived.conf"
    path.write_text(got.stdout)
    keepalived_accepts(path)
    state = collect(LabAccess(lab))
    (lvs1,) = [d for d in state.lvs if d.node == "lvs1"]
    www = next(s for s in lvs1.services if s.port == 80)
    assert www.managed_by == "keepalived"
    assert {rs.key: rs.configured_weight for rs in www.real_servers} == \
        {"192.0.2.21:80": 2, "192.0.2.22:80": 1, "192.0.2.23:80": 3}
    assert not LabAccess(lab).runner("jupiter1").read_file(
        "/etc/keepalived/keepalived.conf").ok


def test_keepalived_conf_forms() -> None:
    text = """! comment
include /etc/keepalived/conf.d/*.conf
virtual_server_group web {
    192.0.2.80 80
    fwmark 7
}
virtual_server group web {   # both members
    protocol TCP
    real_server 192.0.2.21 80 { weight 3 }
    real_server 192.0.2.22 80
    {
        weight 0
    }
}
virtual_server fwmark 9 {
    ip_family inet6
    real_server 2001:db8::21 443 {
        weight 5
    }
}
virtual_server 2001:DB8::80 53 {
    protocol UDP
    real_server 2001:db8::21 {
    }
}
"""
    config = parse_keepalived_conf(text)
    assert config.includes == ("/etc/keepalived/conf.d/*.conf",)
    assert config.weights("TCP 192.0.2.80:80") == {"192.0.2.21:80": 3, "192.0.2.22:80": 0}
    assert config.weights("FWM 7") == {"192.0.2.21:80": 3, "192.0.2.22:80": 0}
    assert config.weights("FWM 9 IPv6") == {"[2001:db8::21]:443": 5}
    # A real server without a port takes the virtual server's; no weight is weight 1.
    assert config.weights("UDP [2001:db8::80]:53") == {"[2001:db8::21]:53": 1}


@pytest.mark.parametrize("text", ["virtual_server 192.0.2.80 80 {\n",
                                  "}\n",
                                  "virtual_server nowhere 80 {\n}\n",
                                  "virtual_server 192.0.2.80 80 {\n real_server x 80 {\n}\n}"])
def test_broken_files_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_keepalived_conf(text)


def test_a_bundle_keeps_no_vrrp_password(lab: Lab) -> None:
    text = LabAccess(lab).runner("lvs1").read_file("/etc/keepalived/keepalived.conf").stdout
    assert "auth_pass labpass" in text
    kept = redact_output("lvs/keepalived.conf", text)
    assert "labpass" not in kept and "auth_pass ***" in kept
    assert parse_keepalived_conf(kept) == parse_keepalived_conf(text)
