"""The preview is the real scheduler's (crm_simulate on a private copy of the live CIB),
in the operator's words, and it matches what the cluster then does."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from hadeck.actions.perform import execute, prepare
from hadeck.actions.plan import plan
from hadeck.actions.preview import Change, parse_scores, parse_transition, preview
from hadeck.actions.request import Request
from hadeck.collect import collect
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.runner import CommandResult, LocalRunner, Runner

from .conftest import crm_mon, promoted_on, running_on


def _cib(lab: Lab) -> str:
    return str(lab.directory / "pacemaker" / "cib.xml")


def _tool(lab: Lab, *argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=True,
                          env={**os.environ, "CIB_file": _cib(lab)})
    return done.stdout


def test_transition_summary_in_operator_words(lab: Lab, tmp_path: Path) -> None:
    copy = tmp_path / "copy.xml"
    copy.write_text(Path(_cib(lab)).read_text())
    subprocess.run(["crm_resource", "--move", "-r", "vm1", "-N", "jupiter2"], check=True,
                   env={**os.environ, "CIB_file": str(copy)}, capture_output=True)
    text = subprocess.run(["crm_simulate", "-x", str(copy), "-R"], capture_output=True,
                          text=True, check=True).stdout
    tops = {"p_drbd_vm1": "ms_drbd_vm1", "vm1": "vm1"}
    changes = parse_transition(text, tops, ("jupiter1", "jupiter2", "sun"), ("ms_drbd_vm1",))
    assert [c.words for c in changes] == [
        "ms_drbd_vm1: demote on jupiter1",
        "ms_drbd_vm1: promote on jupiter2",
        "vm1: move jupiter1 → jupiter2 (due to unrunnable ms_drbd_vm1 demote)",
    ]
    move = changes[-1]
    assert (move.resource, move.verb, move.source, move.dest) == ("vm1", "move", "jupiter1",
                                                                  "jupiter2")


def test_scores_from_crm_simulate(lab: Lab) -> None:
    text = subprocess.run(["crm_simulate", "-x", _cib(lab), "-s"], capture_output=True,
                          text=True, check=True).stdout
    scores = parse_scores(text)
    assert scores[("vm1", "sun")] == "-INFINITY"
    assert scores[("vm1", "jupiter2")] == "-INFINITY"      # colocated with the Promoted


def test_a_live_migration_where_the_scheduler_allows_one(hadeck, lab: Lab) -> None:
    # Without the DRBD ordering the scheduler migrates vm1 (allow-migrate=true) live.
    _tool(lab, "cibadmin", "--delete", "--xpath", "//rsc_colocation[@rsc='vm1']")
    _tool(lab, "cibadmin", "--delete", "--xpath", "//rsc_order[@then='vm1']")
    ran = hadeck("migrate", "vm1", "jupiter2", "--yes")
    assert ran.code == 0, ran.out + ran.err
    assert "vm1: migrate jupiter1 → jupiter2" in ran.out
    assert "✔ live migration: the scheduler would migrate vm1 live" in ran.out
    assert running_on(crm_mon(lab), "vm1") == ["jupiter2"]


class _Spy(Runner):
    """Runs the preview's local commands for real, noting the copy's mode as it goes."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.modes: list[tuple[int, int]] = []
        self.timeout = 30.0

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        (work,) = self.tmp.glob("hadeck-preview-*")
        copy = work / "cib.xml"
        self.modes.append((stat.S_IMODE(work.stat().st_mode),
                           stat.S_IMODE(copy.stat().st_mode)))
        return LocalRunner(env={"CIB_file": str(copy)}).run(argv, timeout, input)


def test_the_copy_is_private_and_removed(lab: Lab, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(private))
    opened = open_cluster(lab=str(lab.directory))
    state = collect(opened.access, opened.config)
    spy = _Spy(private)
    shown = preview(plan(Request("move", "vm1", "jupiter2"), state), opened.access.local, spy)
    assert shown.changes
    assert spy.modes and set(spy.modes) == {(0o700, 0o600)}
    assert list(private.iterdir()) == []


def _did(change: Change, lab: Lab) -> bool:
    mon = crm_mon(lab)
    where = running_on(mon, change.resource)
    if change.verb in ("move", "migrate", "start"):
        return change.dest in where or (change.dest is None and change.source in where)
    if change.verb == "stop":
        return change.source not in where
    if change.verb == "promote":
        return change.node in promoted_on(mon, change.resource)
    if change.verb == "demote":
        return change.node not in promoted_on(mon, change.resource)
    raise AssertionError(f"unexpected change in this scenario: {change}")


@pytest.mark.parametrize("request_", [
    Request("move", "vm1", "jupiter2"),
    Request("standby", "jupiter1"),
    Request("ban", "vm2", "jupiter2"),
    Request("stop", "g_services"),
], ids=lambda r: r.describe())
def test_what_the_preview_says_is_what_the_cluster_does(lab: Lab, request_: Request) -> None:
    opened = open_cluster(lab=str(lab.directory))
    prepared = prepare(request_, opened)
    assert prepared.refused is None, prepared.refused
    assert prepared.preview is not None and prepared.preview.changes
    outcome = execute(prepared, opened, wait=30)
    assert outcome.exit_code == 0, outcome.verified
    for change in prepared.preview.changes:
        assert _did(change, lab), change.words


def _constraints(cib: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(cib)
    return sorted((el.tag, tuple(sorted(el.attrib.items())))
                  for el in root.iterfind("./configuration/constraints/*"))


def test_a_plain_move_on_the_copy_is_what_crm_resource_writes(lab: Lab,
                                                               tmp_path: Path) -> None:
    # The preview writes a plain move's cli-prefer itself (crm_resource on a big CIB costs
    # several crm_simulate runs): the real crm_resource, then its --clear, write the same.
    from hadeck.actions import preview as previewing

    state = collect(open_cluster(lab=str(lab.directory)).access)
    moving = plan(Request("move", "vm1", "jupiter2"), state)
    cib = Path(_cib(lab)).read_text()
    ours = previewing.move_on_copy(moving, cib, previewing.cib_facts(cib))
    assert ours is not None
    real = tmp_path / "real.xml"
    real.write_text(cib)
    env = {**os.environ, "CIB_file": str(real)}
    subprocess.run(moving.steps[0].argv, env=env, check=True, capture_output=True)
    assert _constraints(ours) == _constraints(real.read_text())
    assert _constraints(ours) != _constraints(cib)
    # The clear afterwards, on the moved copy.
    settled = tmp_path / "settled.xml"
    settled.write_text(ours)
    assert previewing._cleared_on_copy(moving, str(settled))
    subprocess.run(moving.after[0].argv, env=env, check=True, capture_output=True)
    assert _constraints(settled.read_text()) == _constraints(real.read_text()) \
        == _constraints(cib)
    # A move with a lifetime (a rule crm_resource writes) is left to crm_resource.
    timed = plan(Request("move", "vm1", "jupiter2", lifetime="PT1H"), state)
    assert previewing.move_on_copy(timed, cib, previewing.cib_facts(cib)) is None


def test_the_preview_of_a_move_is_the_same_without_crm_resource(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    from hadeck.actions import preview as previewing

    opened = open_cluster(lab=str(lab.directory))
    state = collect(opened.access)
    moving = plan(Request("move", "vm1", "jupiter2"), state)
    runner = opened.access.runner(moving.steps[0].node)
    fast = preview(moving, runner)
    # With crm_resource --move/--clear on the copy, and crm_simulate -S -O for the settled
    # cluster instead of the one written from the transition graph.
    monkeypatch.setattr(previewing, "move_on_copy", lambda *_: None)
    monkeypatch.setattr(previewing, "_cleared_text", lambda *_: None)
    monkeypatch.setattr(previewing, "settled_cib", lambda *_: None)
    slow = preview(moving, runner)
    assert fast == slow
    assert fast.changes and fast.text == slow.text


def _nodes(cib: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(cib)
    return sorted((el.tag, tuple(sorted(el.attrib.items())))
                  for el in root.iterfind("./configuration/nodes//*"))


def test_a_node_attribute_on_the_copy_is_what_crm_attribute_writes(lab: Lab,
                                                                    tmp_path: Path) -> None:
    # A standby's or a node's maintenance attribute is written on the copy by the preview
    # (crm_attribute on a big CIB costs a quarter of crm_simulate): the real crm_attribute
    # writes the same — a new set, a new nvpair in it, a value changed.
    from hadeck.actions import preview as previewing

    ours = Path(_cib(lab)).read_text()
    real = tmp_path / "real.xml"
    real.write_text(ours)
    env = {**os.environ, "CIB_file": str(real)}
    for node, name, value in (("jupiter1", "standby", "on"), ("jupiter1", "maintenance", "on"),
                              ("jupiter1", "standby", "off"), ("jupiter2", "standby", "on")):
        argv = ("crm_attribute", "-N", node, "-n", name, "-v", value, "-l", "forever")
        changed = previewing.node_attribute_on_copy(ours, argv)
        assert changed is not None, argv
        ours = changed
        subprocess.run(argv, env=env, check=True, capture_output=True)
        assert _nodes(ours) == _nodes(real.read_text()), argv
    # Anything else is left to crm_attribute.
    assert previewing.node_attribute_on_copy(ours, ("crm_attribute", "-N", "jupiter1", "-n",
                                                    "standby", "-v", "on")) is None
    assert previewing.node_attribute_on_copy(ours, ("crm_attribute", "-N", "nowhere", "-n",
                                                    "standby", "-v", "on", "-l",
                                                    "forever")) is None


@pytest.mark.parametrize("request_", [
    Request("standby", "jupiter1"),
    Request("node-maintenance", "jupiter1", option="on"),
], ids=lambda r: r.describe())
def test_the_preview_of_a_node_change_is_the_same_without_crm_attribute(
        lab: Lab, monkeypatch: pytest.MonkeyPatch, request_: Request) -> None:
    from hadeck.actions import preview as previewing

    opened = open_cluster(lab=str(lab.directory))
    planned = plan(request_, collect(opened.access))
    runner = opened.access.runner(planned.steps[0].node)
    fast = preview(planned, runner)
    monkeypatch.setattr(previewing, "node_attribute_on_copy", lambda *_: None)
    slow = preview(planned, runner)
    assert fast == slow
    # A standby moves what runs there; a maintenance moves nothing, and says what would
    # have nowhere to go if the node went.
    assert (fast.changes if request_.verb == "standby" else fast.if_gone)
