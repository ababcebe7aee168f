"""``hadeck status`` shows a root cause as its headline with the effects under it, in
text and in ``--json`` (``grouped``, docs/status-json.md)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from cli.main import main as hadeck
from hadeck.lab import faults
from hadeck.lab.world import Lab

pytestmark = pytest.mark.pacemaker


def status(lab: Lab, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = hadeck(["status", "--lab", str(lab.directory), *args])
    return code, out.getvalue()


def test_json_grouped_folds_each_effect_once(lab: Lab) -> None:
    faults.fail_node(lab, "jupiter2")
    faults.fail_node(lab, "sun")
    code, out = status(lab, "--json")
    doc = json.loads(out)
    assert code == 2
    grouped = doc["grouped"]
    assert [(p["kind"], p["subject"]) for p in grouped] == [
        ("no-quorum", "quorum"), ("node-down", "jupiter2"), ("node-down", "sun")]
    assert doc["health"]["summary"].startswith("quorum: partition has no quorum (1 of 3 "
                                               "votes) → ")
    assert doc["health"]["summary"].endswith(" (+2 more)")
    inside = [(v["area"], v["subject"], v["reason"]) for p in grouped
              for v in p["causes"] + p["effects"]]
    flat = [(v["area"], v["subject"], v["reason"]) for v in doc["problems"]]
    assert sorted(inside) == sorted(flat)


def test_text_puts_the_cause_first_and_its_effects_under_it(lab: Lab) -> None:
    faults.ping_lost(lab)
    code, out = status(lab, "--area", "resources,connectivity")
    assert code == 2
    lines = out.splitlines()
    assert "3 problems" not in lines[0] and "1 problem" in lines[0]
    table = lines[lines.index(next(x for x in lines if x.startswith("Problems"))):]
    first_row = next(x for x in table if "CRITICAL" in x)
    assert "jupiter1, jupiter2, sun" in first_row and "reach no ping node" in first_row
    assert any("└ vm1" in x for x in table)
    assert any("└ what to do" in x and "Check the network from" in x for x in table)


def test_summary_bar_counts_what_it_says(lab: Lab) -> None:
    from hadeck.collect import collect
    from hadeck.health import judge
    from hadeck.opening import open_cluster
    from hadeck.tui.screen_overview import area_counts

    faults.tool_fault(lab, "lvs1", "ipvsadm", "garbage")
    opened = open_cluster(lab=str(lab.directory), create_lab=False)
    state = collect(opened.access, opened.config)
    counts = area_counts(state, judge(state, opened.config.policy)).plain
    # Two DRBD resources seen from two nodes: 4 views, not 12 verdicts.
    assert "drbd 4/4" in counts, counts
    # A director's table unreadable: lvs is not "✔" (it was "✔ lvs 7/7").
    assert "? lvs" in counts, counts


def test_area_filter_never_hides_a_problem_whose_cause_is_elsewhere(lab: Lab) -> None:
    faults.ping_lost(lab)
    _, out = status(lab, "--area", "resources", "--json")
    doc = json.loads(out)
    # The cause (pingd, connectivity) is not shown; what it stopped still is, on its own.
    subjects = {p["subject"] for p in doc["grouped"]}
    assert {"vm1", "vm2", "fs_data"} <= subjects
    assert len(doc["grouped"]) == len(doc["problems"])
