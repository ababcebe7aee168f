"""The detail view (Enter) reads like crm_mon / drbdadm, not a Python dump (issue 12):
the object's state in words, its failures and constraints, what hadeck judges, and the
command that fixes it; every field after that, yes/no instead of True/False."""

from __future__ import annotations

from hadeck.snapshot import BundleAccess
from hadeck.tui.screen_detail import detail_text
from hadeck.tui.screen_resources import resource_rows
from hadeck.tui.tables import Row
from hadeck.tui.view import View
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller
from tests.tui.labdata import BLOCKED_FIXTURE


def blocked_view() -> View:
    snap = Poller(BundleAccess(BLOCKED_FIXTURE), log=EventLog(None), frozen=True).poll()
    return View(snap, snap.state.taken_at + 5, 2.0, frozen=True)


def test_a_blocked_resource_in_words() -> None:
    view = blocked_view()
    assert view.snapshot is not None and view.snapshot.state.pacemaker is not None
    row = next(r for r in resource_rows(view.snapshot.state.pacemaker, view)
               if r.key == "rsc:vm1")
    text = detail_text(row, view).plain
    lines = text.splitlines()
    assert lines[0] == "Resource  vm1"
    assert "vm1 (ocf:heartbeat:VirtualDomain): FAILED jupiter1 (blocked unmanaged)" in lines
    assert ("failed: vm1_stop_0 on jupiter1 returned 'error' (1): User-injected result, "
            "last-rc-change '2026-12-02 08:31:35Z'") in lines
    assert "fail count INFINITY on jupiter1: crm_resource --cleanup -r vm1 -N jupiter1" in lines
    # Its recent operations, from crm_mon's history: call id, rc, last-rc-change.
    ops = [line for line in lines if line.startswith("operation on jupiter1: call ")]
    assert any(" stop → rc=1 (error), last-rc-change '" in line for line in ops), ops
    assert any(" monitor every 30s → rc=0 (ok)" in line for line in ops), ops
    assert len(ops) == len(set(ops))
    assert ("location loc_vm1_connected: never runs where its rule on pingd matches "
            "(-INFINITY)") in lines
    assert "colocation col_vm1_on_drbd: vm1 with ms_drbd_vm1 Promoted (INFINITY)" in lines
    judged = text[text.index("What hadeck judges"):text.index("All fields")]
    assert "needs it with ms_drbd_vm1 Promoted, which is on jupiter2" in judged
    fields = text[text.index("All fields"):]
    assert "True" not in fields and "False" not in fields
    assert any(line.split() == ["blocked", "yes"] for line in fields.splitlines())


def test_a_verdict_row_is_titled_by_its_subject_not_its_key() -> None:
    view = blocked_view()
    assert view.snapshot is not None
    verdict = next(v for v in view.snapshot.judgement.verdicts if v.area == "nodes")
    text = detail_text(Row("nodes|jupiter1|0", (), obj=verdict), view).plain
    assert text.splitlines()[0] == f"hadeck's verdict  {verdict.subject}"
    assert "nodes|jupiter1|0" not in text and "health 2" not in text
    assert f"OK: {verdict.subject}: {verdict.reason}" in text


def test_drbd_in_drbdadm_words() -> None:
    view = blocked_view()
    assert view.snapshot is not None
    res = next(r for r in view.snapshot.state.drbd if (r.name, r.node) == ("r1", "jupiter1"))
    text = detail_text(Row("drbd:r1@jupiter1", (), obj=res, source=("drbd", "jupiter1")),
                       view).plain
    assert ("r1 role:Secondary\n  volume:0 disk:UpToDate\n"
            "  jupiter2 connection:Connected role:Primary\n"
            "    volume:0 replication:Established peer-disk:UpToDate") in text
