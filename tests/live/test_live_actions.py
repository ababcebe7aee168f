"""hadeck's actions on a real running cluster, from the command line, checked with crm_mon.

Each test runs ``hadeck VERB …`` inside a node, as an operator logged in there would
(``--local --yes``: no ssh to the peers, no prompt), then reads crm_mon on that node:
the exit code says "done and verified", so crm_mon must already show it. The action
journal is the test's own (``HADECK_JOURNAL``). The command line is the one ACTIONS.md
agrees on; a test marked ``hadeck_verbs(...)`` skips, and says so, before the cluster is
touched when this checkout's ``hadeck`` does not have one of those verbs yet.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.live.cluster import NODES, PRIMITIVES, CrmMon, LiveCluster
from tests.live.faces import Hadeck

pytestmark = pytest.mark.live

AT = "node1"
"""Where the commands run (any node would do: Pacemaker's tools act cluster-wide)."""

CLONE = {"ms_drbd_vm1": "p_drbd_vm1", "g_services": "svc_a"}
"""A preview may name a clone or group; crm_mon shows its primitives."""


def act(hadeck: Hadeck, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """``hadeck ARGS --local --yes`` on AT; assert its exit code (output in the message)."""
    done = hadeck(AT, *args, "--local", "--yes")
    assert done.returncode == expect, (
        f"hadeck {' '.join(args)}: exit {done.returncode}, expected {expect}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    assert "Traceback" not in done.stdout + done.stderr
    return done


def mon_at(cluster: LiveCluster) -> CrmMon:
    mon = cluster.crm_mon(AT)
    assert mon is not None, cluster.crm_mon_text(AT)
    return mon


def where(cluster: LiveCluster, rsc: str) -> str:
    (node,) = mon_at(cluster).where(rsc)
    return node


def cli_of(cluster: LiveCluster, rsc: str) -> list[Mapping[str, str]]:
    return [c for c in cluster.cli_constraints(AT) if c.get("rsc") == rsc]


def journaled(hadeck: Hadeck, *words: str) -> list[dict[str, Any]]:
    """The journal lines that mention every one of ``words``."""
    return [e for e in hadeck.journal_entries()
            if all(w in json.dumps(e) for w in words)]


# --------------------------------------------------------------------------- move


@pytest.mark.hadeck_verbs("move")
def test_move_goes_there_then_clears_its_constraint(cluster: LiveCluster,
                                                   hadeck: Hadeck) -> None:
    source = where(cluster, "dummy_vm2")
    dest = next(n for n in NODES if n != source)
    act(hadeck, "move", "dummy_vm2", dest)
    mon = mon_at(cluster)
    assert mon.where("dummy_vm2") == {dest}, cluster.crm_mon_text(AT)
    assert cli_of(cluster, "dummy_vm2") == [], "the cli-prefer was not cleared after the move"
    assert mon.where("svc_a") == mon.where("svc_b"), "the group was split"
    (entry,) = journaled(hadeck, "move", "dummy_vm2", dest)
    assert oct(hadeck.journal.stat().st_mode & 0o777) == "0o600"
    # what was asked, what ran where, and what came of it
    assert entry["request"]["verb"] == "move" and entry["request"]["target"] == "dummy_vm2"
    assert any(c["argv"][:2] == ["crm_resource", "--move"] for c in entry["commands"])
    assert entry["exit_code"] == 0 and entry["who"]["user"]
    assert dest in entry["verified"]
    # `hadeck journal` shows the operator what was written
    shown = hadeck(AT, "journal", "--json")
    assert shown.returncode == 0, shown.stderr
    assert entry in json.loads(shown.stdout)


@pytest.mark.hadeck_verbs("migrate")
def test_migrate_is_a_live_migration(cluster: LiveCluster, hadeck: Hadeck) -> None:
    # dummy_vm2 has allow-migrate=true, and ocf:pacemaker:Dummy can migrate_to/_from
    source = where(cluster, "dummy_vm2")
    dest = next(n for n in NODES if n != source)
    act(hadeck, "migrate", "dummy_vm2", dest)
    mon = mon_at(cluster)
    assert mon.where("dummy_vm2") == {dest}
    assert mon.last_action(dest, "dummy_vm2") == "migrate_from", mon.history
    assert mon.last_action(source, "dummy_vm2") == "stop"
    assert "migrate_to" in {task for _, task in mon.history[(source, "dummy_vm2")]}
    assert cli_of(cluster, "dummy_vm2") == []


@pytest.mark.hadeck_verbs("move", "clear")
def test_move_keep_leaves_the_preference_and_clear_removes_it(cluster: LiveCluster,
                                                              hadeck: Hadeck) -> None:
    source = where(cluster, "dummy_vm2")
    dest = next(n for n in NODES if n != source)
    act(hadeck, "move", "dummy_vm2", dest, "--keep")
    assert mon_at(cluster).where("dummy_vm2") == {dest}
    (kept,) = cli_of(cluster, "dummy_vm2")
    assert kept["id"].startswith("cli-prefer-") and kept.get("node") == dest, kept
    act(hadeck, "clear", "dummy_vm2")
    assert cli_of(cluster, "dummy_vm2") == []
    # stickiness keeps it where it is once the preference is gone
    assert mon_at(cluster).where("dummy_vm2") == {dest}
    assert journaled(hadeck, "clear", "dummy_vm2")


@pytest.mark.hadeck_verbs("move")
def test_a_guest_moves_with_its_drbd_promoted_there(cluster: LiveCluster,
                                                    hadeck: Hadeck) -> None:
    source = where(cluster, "dummy_vm1")
    (dest,) = {"node1", "node2"} - {source}
    act(hadeck, "move", "dummy_vm1", dest)
    mon = mon_at(cluster)
    assert mon.where("dummy_vm1") == {dest}
    assert mon.role_on("p_drbd_vm1", "Promoted") == {dest}
    assert mon.role_on("p_drbd_vm1", "Unpromoted") == {source}
    assert cli_of(cluster, "dummy_vm1") == []


@pytest.mark.hadeck_verbs("move")
def test_a_move_to_a_node_in_standby_is_refused(cluster: LiveCluster,
                                                hadeck: Hadeck) -> None:
    before = mon_at(cluster)
    (source,) = before.where("dummy_vm2")
    target = next(n for n in NODES if n != source)
    # standby set with Pacemaker's own tool: this test is about the refusal only
    cluster.run(AT, ["crm_attribute", "-N", target, "-n", "standby", "-v", "on"])
    cluster.wait_for(f"{target} in standby, empty",
                     lambda m: m.node_flag(target, "standby")
                     and all(target not in m.where(r) for r in PRIMITIVES), 60, node=AT)
    done = act(hadeck, "move", "dummy_vm2", target, expect=1)
    assert "standby" in (done.stdout + done.stderr).lower()
    assert mon_at(cluster).where("dummy_vm2") == {source}
    assert cli_of(cluster, "dummy_vm2") == [], "a refused move left a constraint"


@pytest.mark.hadeck_verbs("move")
def test_read_only_refuses_and_changes_nothing(cluster: LiveCluster, hadeck: Hadeck) -> None:
    source = where(cluster, "dummy_vm2")
    dest = next(n for n in NODES if n != source)
    done = act(hadeck, "move", "dummy_vm2", dest, "--read-only", expect=1)
    assert "read-only" in (done.stdout + done.stderr).lower()
    assert mon_at(cluster).where("dummy_vm2") == {source}
    assert cli_of(cluster, "dummy_vm2") == []
    assert hadeck.journal_entries() == []


# --------------------------------------------------------------------------- ban / clear


@pytest.mark.hadeck_verbs("ban", "clear")
def test_ban_moves_it_away_and_clear_lifts_the_ban(cluster: LiveCluster,
                                                  hadeck: Hadeck) -> None:
    source = where(cluster, "dummy_vm2")
    act(hadeck, "ban", "dummy_vm2", source)
    mon = mon_at(cluster)
    assert len(mon.where("dummy_vm2")) == 1 and source not in mon.where("dummy_vm2")
    (ban,) = cli_of(cluster, "dummy_vm2")
    assert ban["id"].startswith("cli-ban-") and ban.get("node") == source, ban
    assert ban.get("score") == "-INFINITY"
    act(hadeck, "clear", "dummy_vm2", source)
    assert cli_of(cluster, "dummy_vm2") == []
    assert journaled(hadeck, "ban", "dummy_vm2", source)


# --------------------------------------------------------------------------- nodes


@pytest.mark.hadeck_verbs("standby", "online")
def test_standby_empties_the_node_and_online_brings_it_back(cluster: LiveCluster,
                                                            hadeck: Hadeck) -> None:
    node = where(cluster, "svc_a")
    act(hadeck, "standby", node)
    mon = mon_at(cluster)
    assert mon.node_flag(node, "standby")
    assert node in mon.online()
    assert all(node not in mon.where(r) for r in PRIMITIVES), cluster.crm_mon_text(AT)
    assert all(mon.where(r) for r in PRIMITIVES), "standby stopped a resource"
    act(hadeck, "online", node)
    mon = mon_at(cluster)
    assert not mon.node_flag(node, "standby")
    assert journaled(hadeck, "standby", node) and journaled(hadeck, "online", node)


@pytest.mark.hadeck_verbs("standby")
def test_standby_of_the_last_node_for_a_resource_is_refused(cluster: LiveCluster,
                                                            hadeck: Hadeck) -> None:
    # dummy_vm1 and its DRBD stand-in may run on node1 and node2 only: with one of them
    # in standby already, the other is the last
    (home,) = mon_at(cluster).where("dummy_vm1")
    (other,) = {"node1", "node2"} - {home}
    cluster.run(AT, ["crm_attribute", "-N", other, "-n", "standby", "-v", "on"])
    cluster.wait_for(f"{other} in standby", lambda m: m.node_flag(other, "standby")
                     and other not in m.where("p_drbd_vm1"), 60, node=AT)
    done = act(hadeck, "standby", home, expect=1)
    assert "dummy_vm1" in done.stdout + done.stderr
    mon = mon_at(cluster)
    assert not mon.node_flag(home, "standby")
    assert mon.where("dummy_vm1") == {home}
    assert hadeck.journal_entries() == []


@pytest.mark.hadeck_verbs("standby")
def test_standby_without_yes_and_without_a_terminal_is_refused(cluster: LiveCluster,
                                                               hadeck: Hadeck) -> None:
    node = where(cluster, "svc_a")
    done = hadeck(AT, "standby", node, "--local")  # stdin is not a tty
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not mon_at(cluster).node_flag(node, "standby")
    assert hadeck.journal_entries() == []


@pytest.mark.hadeck_verbs("maintenance")
def test_node_maintenance_leaves_its_resources_running_unmanaged(cluster: LiveCluster,
                                                                 hadeck: Hadeck) -> None:
    node = where(cluster, "svc_a")
    act(hadeck, "maintenance", node, "on")
    mon = mon_at(cluster)
    assert mon.node_flag(node, "maintenance")
    for rsc in ("svc_a", "svc_b"):
        inst = mon.instance(rsc)
        assert inst is not None and inst.nodes == (node,) and not inst.managed, inst
    act(hadeck, "maintenance", node, "off")
    mon = mon_at(cluster)
    assert not mon.node_flag(node, "maintenance")
    inst = mon.instance("svc_a")
    assert inst is not None and inst.managed and inst.nodes == (node,)


@pytest.mark.hadeck_verbs("maintenance")
def test_cluster_maintenance_mode_on_and_off(cluster: LiveCluster, hadeck: Hadeck) -> None:
    before = mon_at(cluster)
    act(hadeck, "maintenance", "--cluster", "on")
    mon = mon_at(cluster)
    assert mon.maintenance_mode
    assert all(not i.managed for i in mon.instances if i.active)
    assert mon.placements() == before.placements(), "maintenance-mode moved something"
    act(hadeck, "maintenance", "--cluster", "off")
    mon = mon_at(cluster)
    assert not mon.maintenance_mode
    assert all(i.managed for i in mon.instances if i.active)


# --------------------------------------------------------------------------- resources


@pytest.mark.hadeck_verbs("stop", "start")
def test_stop_and_start_set_the_target_role(cluster: LiveCluster, hadeck: Hadeck) -> None:
    act(hadeck, "stop", "dummy_vm2")
    mon = mon_at(cluster)
    assert mon.where("dummy_vm2") == set()
    assert mon.where("dummy_vm1") and mon.where("svc_a"), "stop stopped something else"
    act(hadeck, "start", "dummy_vm2")
    # started anew, it goes where the scores say (its preference, node2), not
    # necessarily where it ran before (stickiness holds only while it runs)
    assert mon_at(cluster).where("dummy_vm2") == {"node2"}


@pytest.mark.hadeck_verbs("unmanage", "manage")
def test_unmanage_and_manage(cluster: LiveCluster, hadeck: Hadeck) -> None:
    node = where(cluster, "dummy_vm2")
    act(hadeck, "unmanage", "dummy_vm2")
    inst = mon_at(cluster).instance("dummy_vm2")
    assert inst is not None and not inst.managed and inst.nodes == (node,)
    act(hadeck, "manage", "dummy_vm2")
    inst = mon_at(cluster).instance("dummy_vm2")
    assert inst is not None and inst.managed and inst.nodes == (node,)


# --------------------------------------------------------------------------- cleanup


@pytest.mark.hadeck_verbs("cleanup")
def test_cleanup_after_a_failed_monitor_clears_the_failure(cluster: LiveCluster,
                                                          hadeck: Hadeck) -> None:
    node, _ = cluster.fail_monitor("dummy_vm2")
    cluster.wait_for("dummy_vm2 recovered", lambda m: m.where("dummy_vm2") == {node}
                     and bool(m.failures_of("dummy_vm2")), 60, node=AT)
    act(hadeck, "cleanup", "dummy_vm2")
    mon = mon_at(cluster)
    assert mon.failures_of("dummy_vm2") == ()
    assert mon.where("dummy_vm2") == {node}
    fails = cluster.run(AT, ["crm_failcount", "-G", "-r", "dummy_vm2", "-N", node, "-q"])
    assert fails.stdout.strip() in ("0", ""), fails.stdout + fails.stderr
    assert hadeck.plugin(AT, "cluster").state == "OK"
    assert journaled(hadeck, "cleanup", "dummy_vm2")


# --------------------------------------------------------------------------- preview


_MOVED = re.compile(r"^(?P<resource>\S+): (?P<verb>\w+) (?P<source>\S+) → (?P<dest>\S+)")
_ACTED = re.compile(r"^(?P<resource>\S+): (?P<verb>\w+) on (?P<source>\S+)")


def _change(entry: Any) -> Mapping[str, Any]:
    """A change as data: --json gives each in the operator's words (``vm1: move a → b``,
    ``ms_drbd_vm1: promote on b``) or as an object with the same fields."""
    if isinstance(entry, dict):
        return entry
    match = _MOVED.match(str(entry)) or _ACTED.match(str(entry))
    assert match, f"a change hadeck --json shows that says no resource, verb and node: {entry!r}"
    return match.groupdict()


def _changes(doc: Any) -> Iterator[Mapping[str, Any]]:
    """Every entry of a ``changes`` list anywhere in the --json document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "changes" and isinstance(value, list):
                yield from (_change(c) for c in value)
            else:
                yield from _changes(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _changes(item)


@pytest.mark.hadeck_verbs("move")
def test_the_preview_is_what_the_cluster_then_does(cluster: LiveCluster,
                                                  hadeck: Hadeck) -> None:
    before = mon_at(cluster)
    (source,) = before.where("dummy_vm1")
    (dest,) = {"node1", "node2"} - {source}
    done = act(hadeck, "move", "dummy_vm1", dest, "--dry-run", "--json")
    changes = list(_changes(json.loads(done.stdout)))
    # the dry run changed nothing and wrote no journal line
    assert mon_at(cluster).placements() == before.placements()
    assert cli_of(cluster, "dummy_vm1") == []
    assert hadeck.journal_entries() == []

    act(hadeck, "move", "dummy_vm1", dest)
    after = mon_at(cluster)
    named = {CLONE.get(c["resource"], c["resource"]) for c in changes}
    assert {"dummy_vm1", "p_drbd_vm1"} <= named, changes
    for change in changes:
        rsc = CLONE.get(change["resource"], change["resource"])
        # dest: where it goes; source: where it leaves, or where it is acted on
        verb, frm = change["verb"], change.get("source")
        to = change.get("dest") or frm
        if verb in ("move", "migrate", "start", "restart", "recover"):
            assert to in after.where(rsc), (change, after.placements())
            if verb in ("move", "migrate") and rsc != "p_drbd_vm1":
                assert after.where(rsc) == {to}, (change, after.placements())
        elif verb == "promote":
            assert to in after.role_on(rsc, "Promoted"), (change, after.placements())
        elif verb == "demote":
            assert frm not in after.role_on(rsc, "Promoted"), (change, after.placements())
        elif verb == "stop":
            assert frm not in after.where(rsc), (change, after.placements())
    # what the preview did not name stayed where it was
    for rsc in set(PRIMITIVES) - named:
        assert after.where(rsc) == before.where(rsc), rsc
