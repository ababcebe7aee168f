"""LVS actions on the lab: every verb and refusal through the command line and the API,
the journal, restore from the journal. What is checked is the directors' tables as
``ipvsadm -Ln`` prints them (read here with a regex, not with hadeck's parser), and the
journal file."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from hadeck.actions.lvs_plan import plan as lvs_plan
from hadeck.actions.lvs_preview import precheck as lvs_precheck
from hadeck.actions.lvs_target import parse_service
from hadeck.actions.perform import execute, prepare
from hadeck.actions.plan import Refused
from hadeck.actions.request import Request
from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.model import ClusterState, LvsDirector
from hadeck.opening import open_cluster
from hadeck.sources.lvs import parse_ipvsadm
from tests.conftest import sample

WWW = "192.0.2.80:80"
SSH = "192.0.2.80:22"
_ROW = re.compile(r"^  -> (\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def table(lab: Lab, director: str, service: str = WWW) -> dict[str, tuple[str, int, int]]:
    """``{real server: (forward, weight, active)}`` of one service in ``ipvsadm -Ln``."""
    got = open_cluster(lab=str(lab.directory)).access.runner(director).run(("ipvsadm", "-Ln"))
    assert got.ok, got.reason()
    rows: dict[str, tuple[str, int, int]] = {}
    inside = False
    for line in got.stdout.splitlines():
        if line.startswith(("TCP", "UDP", "FWM", "SCTP")):
            inside = line.split()[1] == service
        elif inside and (m := _ROW.match(line)):
            rows[m[1]] = (m[2], int(m[3]), int(m[4]))
    return rows


def entries(journal_file: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal_file.read_text().splitlines()]


@contextmanager
def clock_running(lab: Lab, step: float = 1.0, every: float = 0.05) -> Iterator[None]:
    """Lab time moves ``step`` seconds every ``every`` wall seconds (the tests' lab clock
    is frozen): a drain sees its connections finish."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            faults.step(lab, step)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_weight_on_the_master_only(hadeck, lab: Lab, journal_file: Path) -> None:
    assert table(lab, "lvs1")["192.0.2.22:80"][1] == 1
    ran = hadeck("lvs", "weight", WWW, "192.0.2.22:80", "3", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert "lvs1: ipvsadm -e -t 192.0.2.80:80 -r 192.0.2.22:80 -g -w 3" in ran.out
    assert "now   -> 192.0.2.22:80                Route   1" in ran.out
    assert "then  -> 192.0.2.22:80                Route   3" in ran.out
    assert "keepalived manages TCP 192.0.2.80:80 on lvs1 (keepalived.conf: weight 1)" in ran.out
    assert "misc_dynamic" in ran.out
    assert table(lab, "lvs1")["192.0.2.22:80"][:2] == ("Route", 3)
    assert table(lab, "lvs2")["192.0.2.22:80"][:2] == ("Route", 1)  # the BACKUP's own
    (entry,) = entries(journal_file)
    assert entry["domain"] == "lvs" and entry["outcome"] == "done"
    assert entry["remember"] == {"service": "TCP 192.0.2.80:80",
                                 "real_server": "192.0.2.22:80", "director": "lvs1",
                                 "weight_before": "1", "weight": "3"}


def test_dry_run_json_changes_nothing(hadeck, lab: Lab, journal_file: Path) -> None:
    ran = hadeck("lvs", "weight", WWW, "192.0.2.22", "5", "--dry-run", "--json")
    assert ran.code == 0
    doc = json.loads(ran.out)
    assert doc["domain"] == "lvs" and doc["dry_run"] is True
    assert doc["commands"][0]["argv"] == ["ipvsadm", "-e", "-t", "192.0.2.80:80", "-r",
                                          "192.0.2.22:80", "-g", "-w", "5"]
    assert doc["preview"]["transition"][0] == "TCP  192.0.2.80:80 wlc"
    assert table(lab, "lvs1")["192.0.2.22:80"][1] == 1
    assert not journal_file.exists()


def test_drain_follows_the_connections_down_then_restore(lab: Lab,
                                                         journal_file: Path) -> None:
    opened = open_cluster(lab=str(lab.directory))
    before = table(lab, "lvs1")["192.0.2.23:80"]
    assert before[1] == 3 and before[2] > 0
    prepared = prepare(Request("lvs-drain", WWW, option="192.0.2.23:80"), opened)
    assert prepared.refused is None, prepared.refused
    seen: list[str] = []
    with clock_running(lab):
        outcome = execute(prepared, opened, wait=30, progress=seen.append)
    assert outcome.ok, outcome.verified
    counts = [int(m[1]) for line in seen if (m := re.search(r"(\d+) active conn", line))]
    assert counts and counts[0] <= before[2] and counts == sorted(counts, reverse=True)
    assert "192.0.2.23:80 is empty: no active connections" in seen
    assert table(lab, "lvs1")["192.0.2.23:80"][1:] == (0, 0)
    assert entries(journal_file)[-1]["remember"]["weight_before"] == "3"  # type: ignore[index]

    restored = prepare(Request("lvs-restore", WWW, option="192.0.2.23"), opened)
    assert restored.refused is None and "weight 0 → 3" in (restored.plan.summary
                                                          if restored.plan else "")
    assert execute(restored, opened, wait=10).ok
    assert table(lab, "lvs1")["192.0.2.23:80"][1] == 3
    # Once restored, nothing is left to restore.
    again = prepare(Request("lvs-restore", WWW, option="192.0.2.23"), opened)
    assert again.exit_code == 1 and "already has weight 3" in (again.refused or "")


def test_a_drain_not_empty_in_time_is_not_settled(hadeck, lab: Lab) -> None:
    ran = hadeck("lvs", "drain", WWW, "192.0.2.21:80", "--yes", "--wait", "0")
    assert ran.code == 2
    assert "not settled" in ran.out and "active connections" in ran.out
    assert table(lab, "lvs1")["192.0.2.21:80"][1] == 0


def test_restore_needs_a_drain_in_the_journal(hadeck, lab: Lab) -> None:
    ran = hadeck("lvs", "restore", WWW, "192.0.2.22:80", "--yes")
    assert ran.code == 1 and "the journal has no drain of 192.0.2.22:80" in ran.err


def test_add_and_remove(hadeck, lab: Lab) -> None:
    ran = hadeck("lvs", "add", WWW, "192.0.2.24:8080", "--weight", "2", "--method", "nat",
                 "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert "ipvsadm -a -t 192.0.2.80:80 -r 192.0.2.24:8080 -m -w 2" in ran.out
    assert table(lab, "lvs1")["192.0.2.24:8080"][:2] == ("Masq", 2)
    assert "192.0.2.24:8080" not in table(lab, "lvs2")
    # Direct routing answers on the service's port: another port is refused.
    ran = hadeck("lvs", "add", WWW, "192.0.2.25:8080", "--yes")
    assert ran.code == 1 and "service's port 80" in ran.err
    ran = hadeck("lvs", "add", WWW, "192.0.2.25", "--yes")   # dr, like the others; weight 1
    assert ran.code == 0 and table(lab, "lvs1")["192.0.2.25:80"][:2] == ("Route", 1)
    ran = hadeck("lvs", "add", WWW, "192.0.2.25:80", "--yes")
    assert ran.code == 1 and "already a real server" in ran.err
    # Drained and empty (lab time passes), it goes without --force.
    assert hadeck("lvs", "drain", WWW, "192.0.2.24:8080", "--yes", "--wait", "0").code == 2
    faults.step(lab, 10)
    ran = hadeck("lvs", "remove", WWW, "192.0.2.24:8080", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert "192.0.2.24:8080" not in table(lab, "lvs1")


def test_remove_with_active_connections_needs_force(hadeck, lab: Lab) -> None:
    ran = hadeck("lvs", "remove", WWW, "192.0.2.21:80", "--yes")
    assert ran.code == 1 and "active connections: drain it first" in ran.err
    assert "192.0.2.21:80" in table(lab, "lvs1")
    ran = hadeck("lvs", "remove", WWW, "192.0.2.21:80", "--yes", "--force")
    assert ran.code == 0 and "192.0.2.21:80" not in table(lab, "lvs1")


def test_never_on_the_backup(hadeck, lab: Lab) -> None:
    ran = hadeck("lvs", "weight", WWW, "192.0.2.22:80", "3", "--director", "lvs2", "--yes",
                 "--force")
    assert ran.code == 1
    assert "lvs2 is BACKUP for TCP 192.0.2.80:80: its table carries no traffic" in ran.err
    assert "the MASTER is lvs1" in ran.err
    assert table(lab, "lvs2")["192.0.2.22:80"][1] == 1


def test_after_a_failover_the_new_master_is_changed(hadeck, lab: Lab) -> None:
    faults.fail_director(lab, "lvs1")
    ran = hadeck("lvs", "weight", WWW, "192.0.2.22:80", "4", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert "lvs2: ipvsadm -e" in ran.out
    assert table(lab, "lvs2")["192.0.2.22:80"][1] == 4


def test_the_last_server_taking_connections(hadeck, lab: Lab) -> None:
    assert hadeck("lvs", "drain", SSH, "192.0.2.21", "--yes", "--wait", "0").code == 2
    ran = hadeck("lvs", "weight", SSH, "192.0.2.22:22", "0", "--yes")
    assert ran.code == 1
    assert "TCP 192.0.2.80:22 would have no real server taking new connections" in ran.err


@pytest.mark.parametrize(("args", "said"), [
    (("weight", "192.0.2.99:80", "192.0.2.22:80", "3"), "no virtual service"),
    (("weight", WWW, "192.0.2.99:80", "3"), "is not a real server of TCP 192.0.2.80:80"),
    (("weight", WWW, "192.0.2.22:80", "70000"), "ipvsadm takes 0 to 65535"),
    (("weight", WWW, "192.0.2.22:80", "x"), "a whole number"),
    (("weight", WWW, "192.0.2.22:80", "1"), "already has weight 1"),
    (("weight", "udp:192.0.2.80:80", "192.0.2.22:80", "3"), "no virtual service"),
    (("weight", WWW, "192.0.2.22:80", "3", "--read-only"), "read-only"),
])
def test_refusals(hadeck, lab: Lab, args: tuple[str, ...], said: str) -> None:
    ran = hadeck("lvs", *args, "--yes")
    assert ran.code == 1, ran.out + ran.err
    assert said in ran.err


def test_the_lab_answers_as_ipvsadm_does(lab: Lab) -> None:
    """ipvsadm -e starts from ipvsadm's defaults: no -w is weight 1, no -m/-i is direct
    routing; errors exit 255 (as captured on a real kernel)."""
    runner = open_cluster(lab=str(lab.directory)).access.runner("lvs1")
    assert runner.run(("ipvsadm", "-e", "-t", WWW, "-r", "192.0.2.23:80", "-m")).ok
    assert table(lab, "lvs1")["192.0.2.23:80"][:2] == ("Masq", 1)
    assert runner.run(("ipvsadm", "-e", "-t", WWW, "-r", "192.0.2.23:80", "-w", "2")).ok
    assert table(lab, "lvs1")["192.0.2.23:80"][:2] == ("Route", 2)
    got = runner.run(("ipvsadm", "-e", "-t", WWW, "-r", "192.0.2.99:80", "-w", "2"))
    assert (got.returncode, got.stderr) == (255, "No such destination\n")
    got = runner.run(("ipvsadm", "-d", "-t", "192.0.2.80:81", "-r", "192.0.2.21:80"))
    assert (got.returncode, got.stderr) == (255, "Service not defined\n")


def test_service_names() -> None:
    assert parse_service("fwm:7").protocol == "FWM"
    assert parse_service("FWM 7 IPv6").ipv6
    assert parse_service("udp:192.0.2.80:53").protocol == "UDP"
    assert parse_service("TCP 192.0.2.80:80").port == 80
    v6 = parse_service("[2001:DB8::80]:443")
    assert (v6.address, v6.port, v6.ipv6) == ("2001:db8::80", 443, True)
    with pytest.raises(Refused, match="not a virtual service"):
        parse_service("www.example.org:80")
    assert Request("lvs-add", WWW, "lvs1", option="192.0.2.24", value="2",
                   method="nat").describe() == \
        "lvs add 192.0.2.80:80 192.0.2.24 2 --method nat --director lvs1"


# ------------------------------------------------------------------ plans on real tables


def _state(*names: str, sample_name: str = "tunnel-and-fwmark.txt") -> ClusterState:
    """Directors ``names``, each with the same real ``ipvsadm -Ln`` capture and no VRRP
    state (no keepalived dump read)."""
    _, services = parse_ipvsadm(sample("ipvsadm-Ln", sample_name))
    return ClusterState(taken_at=0.0, local_node=names[0], lvs=tuple(
        LvsDirector(n, "1.2.1", tuple(replace(s, director=n) for s in services))
        for n in names))


def test_plans_keep_each_servers_forwarding_method() -> None:
    state = _state("d1")
    fwm = lvs_plan(Request("lvs-weight", "fwm:1", option="192.168.20.11:0", value="3"),
                   state)
    assert fwm.argv == (("ipvsadm", "-e", "-f", "1", "-r", "192.168.20.11:0", "-g", "-w",
                         "3"),)
    tun = lvs_plan(Request("lvs-drain", "203.0.113.10:80", option="198.51.100.22"), state)
    assert tun.argv == (("ipvsadm", "-e", "-t", "203.0.113.10:80", "-r", "198.51.100.22:80",
                         "-i", "-w", "0"),)
    nat = _state("d1", sample_name="nat-udp-dns-and-quiesced.txt")
    udp = lvs_plan(Request("lvs-weight", "10.0.0.53:53", option="172.16.0.12", value="2"),
                   nat)
    assert udp.argv[0][2:4] == ("-u", "10.0.0.53:53") and udp.argv[0][-3] == "-m"
    local = lvs_plan(Request("lvs-weight", "10.0.0.80:8080", option="172.16.0.5", value="2"),
                     nat)
    assert local.argv[0][-3] == "-g"
    with pytest.raises(Refused, match="already has weight 0"):
        lvs_plan(Request("lvs-drain", "10.0.0.25:25", option="172.16.0.22"), nat)


def test_two_directors_and_no_vrrp_state() -> None:
    state = _state("d1", "d2")
    with pytest.raises(Refused, match="which director holds FWM 1 is not known"):
        lvs_plan(Request("lvs-weight", "fwm:1", option="192.168.20.11:0", value="3"), state)
    named = lvs_plan(Request("lvs-weight", "fwm:1", "d2", option="192.168.20.11:0",
                             value="3"), state)
    assert named.steps[0].node == "d2"
    (director, *_) = lvs_precheck(named, state)
    assert not director.ok and director.overridable and "d1" in director.reason
