"""DRBD actions through ``hadeck drbd VERB RES … --lab``: every verb and every refusal.

The lab's drbdadm carries the commands out and its kernel picture changes as DRBD's
would; what each test checks is what an operator would read afterwards: ``drbdadm
status`` on the node (the lab prints DRBD 9's exact format), the exit code, the words and
the journal. The lab's clock is frozen: a resync stands still until ``faults.step``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hadeck.actions.perform import EXIT_DONE, EXIT_REFUSED, execute, prepare
from hadeck.actions.request import Request
from hadeck.lab import faults
from hadeck.lab.runner import LabRunner
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster

pytestmark = pytest.mark.pacemaker  # the lab's Pacemaker side is the real crm tools


def status(lab: Lab, node: str, res: str = "r1") -> str:
    """``drbdadm status RES`` on a lab node, as the operator would run it."""
    got = LabRunner(lab, node).run(["drbdadm", "status", res])
    assert got.ok, got
    return got.stdout


def behind_the_back(lab: Lab, node: str, *argv: str) -> None:
    """Run a command on a lab node as another operator would (not through hadeck)."""
    got = LabRunner(lab, node).run(list(argv))
    assert got.ok, got


def maintenance(hadeck) -> None:  # type: ignore[no-untyped-def]
    ran = hadeck("maintenance", "--cluster", "on", "--yes")
    assert ran.code == 0, ran.out + ran.err


def journal(path: Path) -> dict[str, object]:
    entry: dict[str, object] = json.loads(path.read_text().splitlines()[-1])
    return entry


# --------------------------------------------------------------------------- verbs


def test_connect_after_a_disconnect_resyncs(hadeck, lab: Lab, journal_file: Path) -> None:
    behind_the_back(lab, "jupiter2", "drbdadm", "disconnect", "r1")
    assert "connection:StandAlone" in status(lab, "jupiter2")
    faults.step(lab, 10)
    ran = hadeck("drbd", "connect", "r1", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "drbdadm's dry run (drbdadm -d):\n    jupiter2: drbdsetup connect r1 0" in ran.out
    assert "✔ r1 connected on jupiter2" in ran.out
    assert "replication:SyncTarget" in status(lab, "jupiter2")  # the secondary catches up
    faults.step(lab, 600)
    assert "peer-disk:UpToDate" in status(lab, "jupiter1")
    assert "replication" not in status(lab, "jupiter1")
    entry = journal(journal_file)
    assert entry["domain"] == "drbd"
    assert entry["outcome"] == "done"
    assert entry["commands"] == [{"node": "jupiter2", "argv": ["drbdadm", "connect", "r1"],
                                  "exit_code": 0, "error": None, "output": ""}]
    line = hadeck("journal")
    assert "connect r1 on jupiter2: it resyncs what changed meanwhile → done (exit 0)" \
        in line.out


def test_adjust_reconnects_what_the_configuration_says(hadeck, lab: Lab) -> None:
    behind_the_back(lab, "jupiter1", "drbdadm", "disconnect", "r2")
    ran = hadeck("drbd", "adjust", "r2", "--node", "jupiter1", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "jupiter1: drbdsetup connect r2 1" in ran.out  # what adjust changes: the link
    assert "replication:" in status(lab, "jupiter1", "r2")


def test_disconnect_in_maintenance(hadeck, lab: Lab) -> None:
    maintenance(hadeck)
    ran = hadeck("drbd", "disconnect", "r1", "--node", "jupiter2", "--yes", "--wait", "1")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "✔ Pacemaker: ms_drbd_vm1 is unmanaged or in maintenance" in ran.out
    assert "connection:StandAlone" in status(lab, "jupiter2")
    assert "connection:Connecting" in status(lab, "jupiter1")


def test_secondary_then_primary_moves_the_role_by_hand(hadeck, lab: Lab) -> None:
    assert hadeck("stop", "vm1", "--yes").code == 0  # nothing may hold the device open
    maintenance(hadeck)
    ran = hadeck("drbd", "secondary", "r1", "--yes", "--wait", "1")  # where it is Primary
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "jupiter1: drbdsetup secondary r1" in ran.out
    assert status(lab, "jupiter1").startswith("r1 role:Secondary")
    ran = hadeck("drbd", "primary", "r1", "--node", "jupiter2", "--yes", "--wait", "1")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "✔ second Primary: r1 is Primary nowhere else" in ran.out
    assert status(lab, "jupiter2").startswith("r1 role:Primary")


def test_verify_is_followed_to_what_it_found(hadeck, lab: Lab) -> None:
    with lab.changing() as world:
        world["drbd"]["r2"]["verify_finds_kib"] = 4096
    ran = hadeck("drbd", "verify", "r2", "--node", "jupiter2", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "jupiter2: drbdsetup verify r2 0 0" in ran.out
    assert "online verify of r2 running from jupiter2" in ran.out
    assert "replication:VerifyS" in status(lab, "jupiter2", "r2")
    faults.step(lab, 3600)
    assert "replication:" not in status(lab, "jupiter2", "r2")  # finished
    events = LabRunner(lab, "jupiter2").run(["drbdsetup", "events2", "--now",
                                             "--statistics"]).stdout
    assert "replication:Established" in events and "out-of-sync:4096" in events


def test_invalidate_resyncs_the_whole_device_from_the_peer(hadeck, lab: Lab,
                                                           journal_file: Path) -> None:
    # Destructive: without --yes and without a terminal nobody can type the node's name.
    ran = hadeck("drbd", "invalidate", "r1", "--node", "jupiter2")
    assert ran.code == EXIT_REFUSED
    assert "no terminal to confirm on" in ran.err
    ran = hadeck("drbd", "invalidate", "r1", "--node", "jupiter2", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "✔ only UpToDate copy: jupiter2's r1 resyncs from jupiter1" in ran.out
    shown = status(lab, "jupiter2")
    assert "disk:Inconsistent" in shown and "replication:SyncTarget" in shown
    assert journal(journal_file)["confirm_word"] == "jupiter2"


def test_pause_and_resume_a_resync(hadeck, lab: Lab) -> None:
    behind_the_back(lab, "jupiter2", "drbdadm", "invalidate", "r1")
    ran = hadeck("drbd", "pause-sync", "r1", "--yes", "--wait", "1")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    shown = status(lab, "jupiter1")
    assert "replication:PausedSyncS" in shown and "resync-suspended:user" in shown
    faults.step(lab, 30)
    assert "done:0.00" in status(lab, "jupiter1")  # paused: it stands still
    ran = hadeck("drbd", "resume-sync", "r1", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "replication:SyncSource" in status(lab, "jupiter1")


def test_resolve_a_split_brain(hadeck, lab: Lab, journal_file: Path) -> None:
    faults.split_brain(lab, "r2")
    faults.step(lab, 20)
    ran = hadeck("drbd", "resolve", "r2", "--victim", "jupiter1", "--dry-run")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    # Both sides, side by side, to choose the victim from.
    assert "jupiter1 (victim)" in ran.out and "wants Primary" in ran.out
    assert "vm2 writes to it" in ran.out
    assert ran.out.index("jupiter1: drbdadm secondary r2") \
        < ran.out.index("jupiter1: drbdadm connect --discard-my-data r2") \
        < ran.out.index("jupiter2: drbdadm connect r2")
    assert "connection:StandAlone" in status(lab, "jupiter1", "r2")  # a dry run: nothing ran
    ran = hadeck("drbd", "resolve", "r2", "--victim", "jupiter1", "--yes", "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    assert "replication:SyncTarget" in status(lab, "jupiter1", "r2")  # the victim's data goes
    faults.step(lab, 3600)
    for node in ("jupiter1", "jupiter2"):
        shown = status(lab, node, "r2")
        assert "disk:UpToDate" in shown and "peer-disk:UpToDate" in shown, shown
    entry = journal(journal_file)
    assert entry["confirm_word"] == "jupiter1"
    assert [c["argv"] for c in entry["commands"]] == [  # type: ignore[union-attr]
        ["drbdadm", "secondary", "r2"], ["drbdadm", "connect", "--discard-my-data", "r2"],
        ["drbdadm", "connect", "r2"]]


def test_the_api_is_the_same_road(lab: Lab) -> None:
    opened = open_cluster(None, lab=str(lab.directory))
    behind_the_back(lab, "jupiter1", "drbdadm", "disconnect", "r2")
    prepared = prepare(Request("drbd-connect", "r2"), opened)
    assert prepared.exit_code == EXIT_DONE and prepared.plan is not None
    assert prepared.as_dict()["domain"] == "drbd"
    assert prepared.preview is not None
    assert prepared.preview.transition == ("jupiter1: drbdsetup connect r2 1",)
    outcome = execute(prepared, opened, wait=0.2)
    assert outcome.ok, outcome
    assert "r2 connected on jupiter1" in outcome.facts


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("argv", [
    ("primary", "r1", "--node", "jupiter2"),
    ("secondary", "r1"),
    ("disconnect", "r1"),
])
def test_what_pacemaker_manages_is_refused(hadeck, lab: Lab, argv: tuple[str, ...]) -> None:
    ran = hadeck("drbd", *argv, "--yes")
    assert ran.code == EXIT_REFUSED
    assert "r1 is managed by Pacemaker (ms_drbd_vm1)" in ran.err
    assert "use `hadeck move vm1 NODE`, or `hadeck unmanage ms_drbd_vm1`" in ran.err
    assert "jupiter2 role:Secondary" in status(lab, "jupiter1")  # nothing ran
    assert "--force overrides" not in ran.out
    assert hadeck("drbd", *argv, "--yes", "--force").code == EXIT_REFUSED  # never forced


def test_no_second_primary(hadeck, lab: Lab) -> None:
    maintenance(hadeck)
    ran = hadeck("drbd", "primary", "r1", "--node", "jupiter2", "--yes")
    assert ran.code == EXIT_REFUSED
    assert ("r1 is Primary on jupiter1 already; a second Primary needs "
            "allow-two-primaries, which its configuration does not") in ran.err
    assert status(lab, "jupiter2").startswith("r1 role:Secondary")


def test_no_demotion_under_a_running_guest(hadeck, lab: Lab) -> None:
    maintenance(hadeck)
    ran = hadeck("drbd", "secondary", "r1", "--yes")
    assert ran.code == EXIT_REFUSED
    assert "vm1 runs on jupiter1 from r1 (the device is open)" in ran.err


def test_never_invalidate_the_only_up_to_date_copy(hadeck, lab: Lab) -> None:
    faults.cut_drbd(lab, "r1")  # jupiter2 is Outdated: jupiter1 has the only good data
    ran = hadeck("drbd", "invalidate", "r1", "--node", "jupiter1", "--yes")
    assert ran.code == EXIT_REFUSED
    assert "jupiter1 holds the only UpToDate copy of r1 within reach" in ran.err
    ran = hadeck("drbd", "invalidate", "r1", "--node", "jupiter2", "--yes")
    assert ran.code == EXIT_REFUSED
    assert "no connected UpToDate peer of r1 to resync jupiter2 from" in ran.err


def test_never_discard_the_only_up_to_date_data(hadeck, lab: Lab) -> None:
    faults.cut_drbd(lab, "r2")        # the Secondary (jupiter1) is outdated …
    faults.split_brain(lab, "r2")     # … and both sides stand alone
    ran = hadeck("drbd", "resolve", "r2", "--victim", "jupiter2", "--yes", "--json")
    assert ran.code == EXIT_REFUSED
    checks = {c["name"]: c for c in json.loads(ran.out)["checks"]}
    assert not checks["discard-my-data"]["ok"]
    assert checks["discard-my-data"]["reason"].startswith(
        "jupiter2 holds the only UpToDate data of r2 volume 0")
    assert not checks["in use on jupiter2"]["ok"]   # vm2 writes there, too


@pytest.mark.parametrize(("argv", "why"), [
    (("connect", "r1"), "r1 is not StandAlone, nothing to connect"),
    (("verify", "r9"), "no DRBD resource 'r9' is up on any node read"),
    (("primary", "r1", "--node", "jupiter3"), "r1 is not up on jupiter3"),
    (("invalidate", "r1"), "invalidate discards a node's data: say which, --node"),
    (("pause-sync", "r1"), "no resync of r1 runs on jupiter1 to pause"),
    (("resume-sync", "r1"), "no resync of r1 is paused on jupiter1"),
    (("resolve", "r1", "--victim", "jupiter2"), "r1 is connected on jupiter2: no split "
                                                "brain to resolve"),
    (("resolve", "r1"), "resolve: which node's changes to discard? --victim"),
])
def test_requests_that_make_no_sense(hadeck, argv: tuple[str, ...], why: str) -> None:
    ran = hadeck("drbd", *argv, "--yes")
    assert ran.code == EXIT_REFUSED
    assert why in ran.err


def test_read_only_refuses(hadeck, lab: Lab) -> None:
    behind_the_back(lab, "jupiter2", "drbdadm", "disconnect", "r1")
    ran = hadeck("drbd", "connect", "r1", "--yes", "--read-only")
    assert ran.code == EXIT_REFUSED
    assert "read-only" in ran.err
    assert "connection:StandAlone" in status(lab, "jupiter2")


def test_resolve_after_a_side_already_tried_to_connect(hadeck, lab: Lab) -> None:
    """The survivor was told to connect before (it waits, Connecting): only the victim
    is left to do; a victim that waits too is first made StandAlone (DRBD connects with
    --discard-my-data only from there)."""
    faults.split_brain(lab, "r2")
    behind_the_back(lab, "jupiter2", "drbdadm", "connect", "r2")
    assert "connection:Connecting" in status(lab, "jupiter2", "r2")
    ran = hadeck("drbd", "resolve", "r2", "--victim", "jupiter1", "--yes", "--json",
                 "--wait", "0.2")
    assert ran.code == EXIT_DONE, ran.out + ran.err
    doc = json.loads(ran.out)
    assert [(c["node"], c["argv"]) for c in doc["commands"]] == [
        ("jupiter1", ["drbdadm", "secondary", "r2"]),
        ("jupiter1", ["drbdadm", "connect", "--discard-my-data", "r2"])]
    assert "replication:SyncTarget" in status(lab, "jupiter1", "r2")


def test_both_connecting_without_discarding_is_a_split_brain_again(
        hadeck, lab: Lab, journal_file: Path) -> None:
    faults.split_brain(lab, "r2")
    ran = hadeck("drbd", "connect", "r2", "--yes", "--wait", "60")
    assert ran.code == 2, ran.out + ran.err  # DRBD finds the split brain again
    assert "split brain again? `hadeck drbd resolve`" in ran.out
    # StandAlone again is DRBD giving up: hadeck does not wait the minute out.
    assert float(journal(journal_file)["elapsed_s"]) < 15  # type: ignore[arg-type]
    for node in ("jupiter1", "jupiter2"):
        assert "connection:StandAlone" in status(lab, node, "r2")
