"""``hadeck weights`` on the lab's LVS directors, with real snmpd agents for its servers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hadeck.cli.main import main
from tests.snmp.conftest import Snmpd


def site(tmp_path: Path, agents: dict[str, Snmpd], weight: int = 100) -> Path:
    """A configuration naming each lab real server's agent (a real snmpd on loopback)."""
    text = ""
    for server, snmpd in agents.items():
        text += (f'[snmp.agents."{server}"]\naddress = "127.0.0.1"\nport = {snmpd.port}\n'
                 f'community = "{snmpd.community}"\ntimeout = 0.5\nretries = 0\n'
                 f"weight = {weight}\n\n")
    path = tmp_path / "hadeck.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def lab(tmp_path: Path) -> str:
    return str(tmp_path / "lab")


def test_weights_prints_kernel_and_computed_per_real_server(
        tmp_path: Path, lab: str, snmpd_factory: Callable[..., Snmpd],
        capsys: pytest.CaptureFixture[str]) -> None:
    web1, web2 = snmpd_factory(), snmpd_factory()
    config = site(tmp_path, {"192.0.2.21": web1, "192.0.2.22": web2})
    web2.stop()
    assert main(["weights", "--lab", lab, "--config", str(config), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by = {(r["service"], r["real_server"]): r for r in rows}
    answered = by[("TCP 192.0.2.80:80", "192.0.2.21:80")]
    assert answered["agent"] == "192.0.2.21" and answered["error"] is None
    assert answered["load"] is not None and answered["cpus"] >= 1
    assert 10 <= answered["computed"] <= 100  # floor 10 %, ceiling 100 % of 100
    assert answered["kernel"] == 2 and answered["changes"] is True
    assert answered["argv"] == ["ipvsadm", "-e", "-t", "192.0.2.80:80", "-r", "192.0.2.21:80",
                                "-g", "-w", str(answered["computed"])]
    silent = by[("TCP 192.0.2.80:80", "192.0.2.22:80")]
    assert silent["flag"] == "no answer (timeout): kept"
    assert silent["computed"] == silent["kernel"] == 1 and silent["argv"] is None
    assert by[("TCP 192.0.2.80:80", "192.0.2.23:80")]["flag"] == \
        "no SNMP agent configured: kept"
    text = json.dumps(rows)
    assert web1.community not in text and web2.community not in text


def test_weights_table_and_the_commands_it_would_run(
        tmp_path: Path, lab: str, snmpd: Snmpd, capsys: pytest.CaptureFixture[str]) -> None:
    config = site(tmp_path, {"192.0.2.21": snmpd})
    assert main(["weights", "--lab", lab, "--config", str(config)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header.split() == ["DIRECTOR", "SERVICE", "REAL", "SERVER", "LOAD", "CPUS",
                              "FREE", "CONF", "KERNEL", "COMPUTED", "NOTE"]
    assert "Would run (hadeck weights --apply: through the LVS actions' path):" in out
    assert re.search(r"^  ipvsadm -e -t 192\.0\.2\.80:80 -r 192\.0\.2\.21:80 -g -w \d+$", out,
                     re.M)
    assert snmpd.community not in out


def test_keepalived_mode_exits_with_the_weight_plus_two(
        tmp_path: Path, lab: str, snmpd_factory: Callable[..., Snmpd],
        capsys: pytest.CaptureFixture[str]) -> None:
    live, dead = snmpd_factory(), snmpd_factory()
    config = site(tmp_path, {"192.0.2.21": live, "192.0.2.22": dead}, weight=200)
    dead.stop()
    code = main(["weights", "--lab", lab, "--config", str(config),
                 "--keepalived", "192.0.2.21:80"])
    said = capsys.readouterr().out
    match = re.search(r"→ weight (\d+) \(exit (\d+)\)", said)
    assert match, said
    assert code == int(match[2]) == int(match[1]) + 2
    assert 20 + 2 <= code <= 200 + 2
    # An agent that does not answer: the weight the local kernel has is held (its + 2:
    # keepalived 2.x reads 0 as "back to the configured weight"); the lab's local node is
    # no director, so there is none to hold: exit 0. (tests/vmlab/test_vm_keepalived.py
    # holds a weight in a real director's kernel.)
    assert main(["weights", "--lab", lab, "--config", str(config),
                 "--keepalived", "192.0.2.22"]) == 0
    said = capsys.readouterr().out
    assert "no answer (timeout)" in said and "the configured weight (exit 0)" in said
    assert main(["weights", "--lab", lab, "--config", str(config),
                 "--keepalived", "192.0.2.99"]) == 0
    assert "no [snmp.agents] entry for 192.0.2.99: not in the kernel's table: the " \
        "configured weight (exit 0)" in capsys.readouterr().out


def test_keepalived_mode_never_exits_with_an_error_code(
        tmp_path: Path, lab: str, capsys: pytest.CaptureFixture[str]) -> None:
    # misc_dynamic would read hadeck's usual error exit 3 as weight 1, and 1 as a failed
    # check: a configuration it cannot use exits 0 (the kernel here is not the lab's:
    # this machine's, which has no such real server) and says why on stderr.
    config = tmp_path / "hadeck.toml"
    config.write_text('[snmp.agents."192.0.2.21"]\ncommunity = "c"\n')
    config.chmod(0o644)  # SNMP secrets readable by every user: refused
    code = main(["weights", "--lab", lab, "--config", str(config),
                 "--keepalived", "192.0.2.21:80"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "readable by every user" in err and "(exit 0)" in err
    assert main(["weights", "--lab", lab, "--config", str(config)]) == 3  # the usual mode


def test_apply_sets_the_weights_through_the_lvs_actions(
        tmp_path: Path, lab: str, snmpd: Snmpd, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "actions.jsonl"
    monkeypatch.setenv("HADECK_JOURNAL", str(journal))
    config = site(tmp_path, {"192.0.2.21": snmpd})
    assert main(["weights", "--lab", lab, "--config", str(config), "--json"]) == 0
    (row,) = [r for r in json.loads(capsys.readouterr().out)
              if r["real_server"] == "192.0.2.21:80" and r["changes"]]
    # Without --yes and without a terminal nothing is set.
    assert main(["weights", "--lab", lab, "--config", str(config), "--apply"]) == 1
    assert not journal.exists()
    assert main(["weights", "--lab", lab, "--config", str(config), "--apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "preview (ipvsadm -Ln on lvs1 as read" in out and "done:" in out
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert {e["remember"]["real_server"] for e in entries} == {"192.0.2.21:80",
                                                               "192.0.2.21:22"}
    assert all(e["domain"] == "lvs" and e["outcome"] == "done" and
               e["request"]["verb"] == "lvs-weight" for e in entries)
    # The kernel now has what was computed (the next round's KERNEL column).
    assert main(["weights", "--lab", lab, "--config", str(config), "--json"]) == 0
    again = {r["real_server"]: r for r in json.loads(capsys.readouterr().out)
             if r["service"] == "TCP 192.0.2.80:80"}
    assert again["192.0.2.21:80"]["kernel"] != row["kernel"]
    assert main(["weights", "--lab", lab, "--config", str(config), "--apply",
                 "--json"]) == 3
