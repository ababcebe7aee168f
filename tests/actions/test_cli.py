"""The command line's own parts: the prompt, --json, the exit codes."""

from __future__ import annotations

import io
import json

import pytest

from hadeck.actions.perform import prepare
from hadeck.actions.request import Request
from hadeck.cli.act import NotConfirmed, confirm
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster

from .conftest import crm_mon, running_on


class _Terminal(io.StringIO):
    """What the operator types, on a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_destructive_action_needs_the_name_typed(lab: Lab) -> None:
    prepared = prepare(Request("standby", "jupiter1"), open_cluster(lab=str(lab.directory)))
    shown = io.StringIO()
    with pytest.raises(NotConfirmed, match="did not match 'jupiter1'"):
        confirm(prepared, False, _Terminal("y\n"), shown)
    assert "Type jupiter1 to confirm" in shown.getvalue()
    confirm(prepared, False, _Terminal("jupiter1\n"), io.StringIO())


def test_another_one_needs_a_yes(lab: Lab) -> None:
    prepared = prepare(Request("ban", "vm2", "jupiter2"), open_cluster(lab=str(lab.directory)))
    with pytest.raises(NotConfirmed):
        confirm(prepared, False, _Terminal("\n"), io.StringIO())
    confirm(prepared, False, _Terminal("y\n"), io.StringIO())
    with pytest.raises(NotConfirmed, match="no terminal"):
        confirm(prepared, False, io.StringIO("y\n"), io.StringIO())
    confirm(prepared, True, io.StringIO(""), io.StringIO())


def test_json_documents(hadeck, lab: Lab) -> None:
    ran = hadeck("move", "vm1", "jupiter2", "--dry-run", "--json")
    assert ran.code == 0
    doc = json.loads(ran.out)
    assert doc["dry_run"] is True and doc["outcome"] is None
    assert "vm1: move jupiter1 → jupiter2 (due to unrunnable ms_drbd_vm1 demote)" in \
        doc["preview"]["changes"]
    assert doc["commands"][0]["argv"] == ["crm_resource", "--move", "-r", "vm1", "-N",
                                          "jupiter2"]
    ran = hadeck("move", "vm1", "jupiter2", "--yes", "--json")
    assert ran.code == 0
    doc = json.loads(ran.out)
    assert doc["outcome"]["ok"] is True and doc["exit_code"] == 0
    assert running_on(crm_mon(lab), "vm1") == ["jupiter2"]
    refused = json.loads(hadeck("move", "vm1", "sun", "--yes", "--json").out)
    assert refused["exit_code"] == 1 and "sun has no DRBD resource r1" in refused["refused"]


def test_the_cluster_cannot_be_read_is_exit_3(hadeck, lab: Lab) -> None:
    from hadeck.lab import faults

    for tool in ("crm_mon",):
        faults.tool_fault(lab, "jupiter1", tool, "missing")
    ran = hadeck("standby", "jupiter2", "--yes")
    assert ran.code == 3
    assert "could not read the cluster" in ran.err


def test_a_command_that_fails_is_exit_2_and_journaled(hadeck, lab: Lab,
                                                      journal_file) -> None:  # type: ignore[no-untyped-def]
    # The preview ran here (on a copy); on the node the tool is then gone.
    from hadeck.lab import faults

    faults.tool_fault(lab, "jupiter1", "crm_resource", "missing")
    ran = hadeck("move", "vm1", "jupiter2", "--yes")
    assert ran.code == 2, ran.out + ran.err
    assert "failed: crm_resource --move -r vm1 -N jupiter2 failed on jupiter1" in ran.out
    entry = json.loads(journal_file.read_text())
    assert entry["outcome"] == "failed" and entry["exit_code"] == 2
    assert entry["commands"][0]["error"] == "crm_resource: command not found"
    assert running_on(crm_mon(lab), "vm1") == ["jupiter1"]
