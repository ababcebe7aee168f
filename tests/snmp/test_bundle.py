"""SNMP answers in snapshot bundles: recorded redacted, replayed with no SNMP traffic."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hadeck.cli.main import main
from tests.snmp.conftest import Snmpd
from tests.snmp.test_weights_cli import site


def test_a_bundle_keeps_the_answers_and_replays_them_after_the_agents_are_gone(
        tmp_path: Path, snmpd_factory: Callable[..., Snmpd],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    web1, web2 = snmpd_factory(), snmpd_factory()
    config = str(site(tmp_path, {"192.0.2.21": web1, "192.0.2.22": web2}))
    lab = str(tmp_path / "lab")
    web2.stop()
    bundle = tmp_path / "b.tar.gz"
    assert main(["snapshot", str(bundle), "--lab", lab, "--config", config]) == 0
    capsys.readouterr()

    with tarfile.open(bundle) as tar:
        files = {m.name: tar.extractfile(m).read().decode()  # type: ignore[union-attr]
                 for m in tar.getmembers() if m.isfile()}
    (answers,) = [t for n, t in files.items() if n.endswith("/snmp/192.0.2.21.txt")]
    assert ".1.3.6.1.4.1.2021.10.1.3.1 = STRING:" in answers  # laLoad.1
    meta = json.loads(files["hadeck-bundle/meta.json"])
    (dead,) = [e for n, e in meta["commands"].items() if n.endswith("/snmp/192.0.2.22.txt")]
    assert dead["error_kind"] == "timeout" and "no answer from 127.0.0.1" in dead["error"]
    assert dead["argv"] == ["snmpbulkwalk", "-On", f"127.0.0.1:{web2.port}"]
    everything = "\n".join(files.values())
    for secret in (*web1.secrets(), *web2.secrets()):
        assert secret not in everything

    web1.stop()  # replaying must not ask anyone
    assert main(["weights", "--from", str(bundle), "--config", config, "--json"]) == 0
    rows = {r["real_server"]: r for r in json.loads(capsys.readouterr().out)
            if r["service"] == "TCP 192.0.2.80:80"}
    assert rows["192.0.2.21:80"]["error"] is None and rows["192.0.2.21:80"]["load"]
    assert rows["192.0.2.22:80"]["flag"] == "no answer (timeout): kept"

    main(["status", "--from", str(bundle), "--config", config, "--area", "lvs", "--json"])
    doc = json.loads(capsys.readouterr().out)
    by_agent = {r["agent"]: r for r in doc["state"]["snmp"]}
    assert by_agent["192.0.2.21"]["memory_total"] > 0
    assert by_agent["192.0.2.22"]["error_kind"] == "timeout"

    monkeypatch.setenv("COLUMNS", "220")  # one line per row: rich folds to the width
    main(["status", "--from", str(bundle), "--config", config, "--area", "lvs"])
    out = capsys.readouterr().out
    assert "SNMP agents" in out and "Load" in out
    assert "no answer (timeout)" in out


def test_a_bundle_without_answers_says_so(tmp_path: Path, snmpd: Snmpd,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    lab = str(tmp_path / "lab")
    bundle = tmp_path / "plain.tar.gz"
    # No site agents: the bundle holds only the lab's own (its real servers answer SNMP);
    # an agent the replay's configuration adds was never recorded.
    assert main(["snapshot", str(bundle), "--lab", lab]) == 0
    config = str(site(tmp_path, {"192.0.2.99": snmpd}))
    capsys.readouterr()
    main(["status", "--from", str(bundle), "--config", config, "--area", "lvs", "--json"])
    (reading,) = json.loads(capsys.readouterr().out)["state"]["snmp"]
    assert reading["error"] == "no SNMP answers recorded in the bundle for this agent"


def test_a_node_read_by_snmp_gets_its_host_facts(tmp_path: Path, snmpd: Snmpd,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A node hadeck may not ssh to, configured as an SNMP `node` agent: its host facts
    come from the agent (the lab's own nodes keep theirs)."""
    config = tmp_path / "hadeck.toml"
    config.write_text(f'[snmp.agents.quorum1]\naddress = "127.0.0.1"\nport = {snmpd.port}\n'
                      f'community = "{snmpd.community}"\nrole = "node"\n')
    config.chmod(0o600)
    main(["status", "--lab", str(tmp_path / "lab"), "--config", str(config), "--area", "host",
          "--json"])
    hosts = {h["node"]: h for h in json.loads(capsys.readouterr().out)["state"]["hosts"]}
    quorum1 = hosts["quorum1"]
    meminfo = {ln.split(":")[0]: int(ln.split()[1]) for ln in open("/proc/meminfo")}
    assert quorum1["memory_total"] == meminfo["MemTotal"] * 1024
    assert "/" in {d["mountpoint"] for d in quorum1["disks"]}
    uptime = float(open("/proc/uptime").read().split()[0])
    assert abs(quorum1["uptime_s"] - uptime) < 60
    assert len(hosts) > 1  # the lab's nodes, read as before
