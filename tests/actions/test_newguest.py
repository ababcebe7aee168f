"""hadeck new-guest: the cluster's conventions read, a guest proposed, the real tools agree.

The DRBD parser is tested on drbdadm's own output (tests/fixtures/drbd-utils-9.22), the
file it writes is read back by the real drbdadm, the CIB fragment is checked by the real
crm_verify and placed by the real crm_simulate, on the lab. ``vgs`` and ``lvs`` are
answered at the runner boundary with lvm2's real JSON (tests/fixtures/lvm2-2.03.16): the
lab has no volume groups.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from hadeck.actions.newguest import Proposal, Spec, propose, survey, validate
from hadeck.actions.newguest_domain import Runners
from hadeck.actions.perform import execute, prepare
from hadeck.actions.plan import Refused
from hadeck.actions.request import Request
from hadeck.drbdconf import parse_dump, parse_statements, render
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.sources.base import ParseError

FIXTURES = Path(__file__).parents[1] / "fixtures"
DUMPS = FIXTURES / "drbd-utils-9.22"
needs_drbdadm = pytest.mark.skipif(shutil.which("drbdadm") is None,
                                   reason="drbd-utils is not installed (scripts/setup --test)")


@pytest.mark.parametrize("name", ["dump-all-9.txt", "dump-all-84.txt"])
def test_drbdadm_dump_is_read_as_the_tool_printed_it(name: str) -> None:
    config = parse_dump((DUMPS / name).read_text())
    res = config.resource("vm3")
    assert res is not None
    assert [h.name for h in res.hosts] == ["jupiter1", "jupiter2"]
    assert [(h.minor, h.address, h.port, h.disk) for h in res.hosts] == [
        (3, "10.0.0.1", 7791, "/dev/vg0/vm3"), (3, "10.0.0.2", 7791, "/dev/vg0/vm3")]
    assert res.protocol == "C"
    assert res.section("net")["after-sb-0pri"] == "discard-zero-changes"
    assert (config.next_minor(), config.next_port()) == (4, 7792)
    assert (res.hosts[0].node_id == 0) == name.endswith("-9.txt")


@pytest.mark.parametrize("text", ["resource r0 {", "}", "resource r0 { on a { disk x }",
                                  "resource r0 { net { protocol C; } } }", '"unclosed'])
def test_a_broken_configuration_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_statements(text)


@needs_drbdadm
@pytest.mark.parametrize("version", ["8.4", "9"])
def test_the_file_written_is_read_back_by_the_real_drbdadm(version: str,
                                                         tmp_path: Path) -> None:
    res = parse_dump((DUMPS / "dump-all-9.txt").read_text()).resources[0]
    path = tmp_path / "r.res"
    path.write_text(render(res, version))
    tool = ["drbdadm"] if version == "9" else ["/lib/drbd/drbdadm-84"]
    if not os.path.exists(tool[0]) and version != "9":
        pytest.skip("drbd-utils has no 8.4 drbdadm here")
    out = subprocess.run([*tool, "-c", str(path), "dump", "all"], capture_output=True,
                         text=True, check=True).stdout
    again = parse_dump(out).resources[0]
    assert again.hosts == tuple(h if version == "9" else _no_id(h) for h in res.hosts)
    assert again.section("net") == res.section("net")


def _no_id(host: object) -> object:
    from dataclasses import replace
    return replace(host, node_id=None)  # type: ignore[type-var]


def _propose(lab: Lab, spec: Spec) -> Proposal:
    access = open_cluster(lab=str(lab.directory)).access
    at = access.local.node
    return propose(spec, survey(spec, Runners(access), at), at)


def _run(lab: Lab, *words: str) -> tuple[int, str]:
    got = subprocess.run(["hadeck", "--lab", str(lab.directory), *words],
                         capture_output=True, text=True, timeout=300)
    return got.returncode, got.stdout + got.stderr


def test_a_new_guest_follows_the_clusters_conventions(lab: Lab) -> None:
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg_drbd", "xen", prefer="jupiter2")
    proposal = _propose(lab, spec)
    assert proposal.template.guest == "vm2"  # the lab's Xen guest
    # The lab's resources use minors 0, 1 and ports 7788, 7789.
    assert (proposal.minor, proposal.port) == (2, 7790)
    assert "address   ipv4 10.0.0.2:7790;" in proposal.resource_file
    assert "disk      /dev/vg_drbd/vm9;" in proposal.resource_file
    xml = proposal.fragment.xml()
    for expected in ('<primitive id="vm9" class="ocf" provider="heartbeat" type="Xen">',
                     'value="/etc/xen/vm9.cfg"', 'name="drbd_resource" value="vm9"',
                     'rsc="vm9" with-rsc="ms_drbd_vm9" with-rsc-role="Promoted"',
                     'first="ms_drbd_vm9" first-action="promote" then="vm9"',
                     'id="loc_vm9_prefers_jupiter2" rsc="vm9" node="jupiter2"',
                     'id="loc_vm9_not_sun" rsc="vm9" node="sun" score="-INFINITY"',
                     'attribute="pingd" operation="lte"', 'name="target-role" value="Stopped"'):
        assert expected in xml
    assert not re.search(r"(?<![\w-])(vm2|r2)(?![\w])", xml)  # nothing of the template left
    # The lab's guests sit on thin volumes in vg_drbd/pool: so does the new one.
    assert proposal.steps[0].argv == ("lvcreate", "--thin", "--virtualsize", "10G", "--name",
                                      "vm9", "vg_drbd/pool")
    argv = [(s.node, s.argv[:2]) for s in proposal.steps]
    assert ("jupiter2", ("drbdadm", "create-md")) in argv
    assert argv[-1] == (proposal.steps[-1].node, ("cibadmin", "--patch"))
    assert all(c.ok for c in proposal.checks), proposal.checks


@pytest.mark.pacemaker
def test_the_real_tools_accept_it_and_say_where_it_would_start(lab: Lab) -> None:
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg_drbd", "kvm", prefer="jupiter2")
    checks = {c.name: c for c in validate(_propose(lab, spec))}
    assert checks["crm_verify"].ok, checks["crm_verify"].reason
    assert checks["crm_simulate"].reason == "the scheduler would start vm9 on jupiter2"
    if shutil.which("drbdadm"):
        assert all(checks[f"drbdadm dump on {n}"].ok for n in spec.nodes), checks


@pytest.mark.parametrize(("spec", "why"), [
    (Spec("vm1", ("jupiter1", "jupiter2"), "10G", "vg0"), "the CIB already has"),
    (Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0", resource="r1"),
     "DRBD resource r1 is already configured"),
    (Spec("vm9", ("jupiter1", "mars"), "10G", "vg0"), "mars is not a node of this cluster"),
    (Spec("vm9", ("jupiter1",), "10G", "vg0"), "needs two different nodes"),
    (Spec("vm9", ("jupiter1", "jupiter2"), "ten", "vg0"), "is not a size"),
    (Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0", "openvz"), "no ManageVE guest"),
    (Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0", like="fs_data"),
     "fs_data is not a guest on DRBD"),
    (Spec("vm 9", ("jupiter1", "jupiter2"), "10G", "vg0"), "not a usable name"),
])
def test_what_cannot_be_made_is_refused_with_the_reason(lab: Lab, spec: Spec,
                                                         why: str) -> None:
    with pytest.raises(Refused, match=why):
        _propose(lab, spec)


@pytest.mark.parametrize(("minor", "port", "why"), [
    (1, None, "minor 1 is in use: DRBD resource r2 has it (the next free one is 2)"),
    (None, 7788, "port 7788 is in use: DRBD resource r1 replicates on it (the next free one "
                 "is 7790)"),
    (1 << 20, None, "minor 1048576 is out of DRBD's range"),
    (None, 70000, "port 70000 is not a TCP port"),
])
def test_a_minor_or_port_in_use_is_refused(lab: Lab, minor: int | None, port: int | None,
                                           why: str) -> None:
    with pytest.raises(Refused, match=re.escape(why)):
        _propose(lab, Spec("vm9", ("jupiter1", "jupiter2"), "10G", minor=minor, port=port))
    chosen = _propose(lab, Spec("vm9", ("jupiter1", "jupiter2"), "10G", minor=7, port=7800))
    assert (chosen.minor, chosen.port) == (7, 7800)
    assert "device    /dev/drbd7 minor 7;" in chosen.resource_file
    assert "10.0.0.2:7800;" in chosen.resource_file


def test_a_minor_the_kernel_holds_unconfigured_fails_its_check(lab: Lab) -> None:
    access = open_cluster(lab=str(lab.directory)).access
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G")
    seen = survey(spec, Runners(access), access.local.node)
    # The survey reads each node's kernel through the DRBD source: the lab's r1 and r2.
    assert seen.kernel["jupiter1"] == {0: "r1", 1: "r2"}, seen.kernel
    # A resource brought up by hand on jupiter2 and never written to a file (no dump has
    # it) holds minor 2 there: the proposal's minor 2 is then refused by its check.
    by_hand = replace(seen, kernel={**seen.kernel, "jupiter2": {**seen.kernel["jupiter2"],
                                                                2: "scratch"}})
    proposal = propose(spec, by_hand, access.local.node)
    failed = {c.name: c for c in proposal.checks if not c.ok}
    assert failed["minor 2 on jupiter2"].reason == (
        "minor 2 is in use on jupiter2 by DRBD resource scratch, which no configuration "
        "file names")
    assert not failed["minor 2 on jupiter2"].overridable
    assert "minor 2 on jupiter1" not in failed


def test_a_full_pool_or_a_taken_volume_fails_its_check(lab: Lab) -> None:
    access = open_cluster(lab=str(lab.directory)).access
    made = access.runner("jupiter2").run(("lvcreate", "--name", "vm9", "--size", "1G",
                                          "vg_drbd"))
    assert made.stdout == '  Logical volume "vm9" created.\n'
    proposal = _propose(lab, Spec("vm9", ("jupiter1", "jupiter2"), "2000G"))
    failed = {c.name: c for c in proposal.checks if not c.ok}
    pool = failed["thin pool vg_drbd/pool on jupiter1"]
    assert pool.reason == ("236.0 GiB free in the pool on jupiter1 (41 % used), "
                           "2000.0 GiB virtual")
    assert pool.overridable  # thin pools are overcommitted by design: the operator's call
    assert failed["vg_drbd/vm9 on jupiter2"].reason == "vg_drbd/vm9 already exists on jupiter2"
    assert not failed["vg_drbd/vm9 on jupiter2"].overridable
    assert "vg_drbd/vm9 on jupiter1" not in failed
    # A linear volume in a named group: the group's free space, and no way round it.
    linear = _propose(lab, Spec("vm8", ("jupiter1", "jupiter2"), "200G", "vg_other"))
    assert {c.name: c.reason for c in linear.checks if not c.ok}["vg_other on jupiter1"] \
        == "no volume group vg_other on jupiter1"
    assert linear.steps[0].argv == ("lvcreate", "--name", "vm8", "--size", "200G",
                                    "vg_other")


@pytest.mark.pacemaker
def test_the_new_guest_appears_syncs_and_starts_where_the_preview_said(lab: Lab) -> None:
    code, out = _run(lab, "new-guest", "vm9", "--nodes", "jupiter2,jupiter1", "--size", "10G",
                     "--vg", "vg_drbd", "--hypervisor", "xen", "--start", "--yes")
    assert code == 0, out
    assert "the scheduler would start vm9 on jupiter2" in out
    assert "✔ vm9 runs on jupiter2" in out
    code, status = _run(lab, "status", "--json")
    doc = json.loads(status)
    mine = [r for r in doc["state"]["drbd"] if r["name"] == "vm9"]
    roles = {r["node"]: (r["role"], r["volumes"][0]["disk"]) for r in mine}
    assert roles == {"jupiter2": ("Primary", "UpToDate"), "jupiter1": ("Secondary",
                                                                        "Inconsistent")}
    replication = {r["node"]: r["connections"][0]["peer_volumes"][0]["replication"]
                   for r in mine}
    assert replication == {"jupiter2": "SyncSource", "jupiter1": "SyncTarget"}
    # The same request again is refused: the name is taken now.
    code, out = _run(lab, "new-guest", "vm9", "--nodes", "jupiter2,jupiter1", "--size",
                     "10G", "--vg", "vg_drbd", "--dry-run")
    assert code == 1 and "DRBD resource vm9 is already configured" in out


@pytest.mark.pacemaker
def test_a_failed_step_stops_and_says_how_to_undo_what_ran(lab: Lab, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("HADECK_JOURNAL", str(tmp_path / "journal.jsonl"))
    opened = open_cluster(lab=str(lab.directory))
    request = Request("new-guest", "vm9", params=(("nodes", "jupiter1,jupiter2"),
                                                  ("size", "10G"), ("vg", "vg_drbd")))
    prepared = prepare(request, opened)
    assert prepared.refused is None, prepared.checks
    # Someone writes the resource file on jupiter2 between the preview and the run.
    assert opened.access.runner("jupiter2").run(
        ("dd", "of=/etc/drbd.d/vm9.res", "conv=excl", "status=none"), input="# mine\n").ok
    outcome = execute(prepared, opened, wait=30)
    assert outcome.exit_code == 2
    assert "dd: failed to open '/etc/drbd.d/vm9.res': File exists" in outcome.verified
    assert outcome.verified.endswith(
        "to undo what ran: jupiter2: lvremove --yes vg_drbd/vm9; "
        "jupiter1: rm -- /etc/drbd.d/vm9.res; jupiter1: lvremove --yes vg_drbd/vm9")
    entry = json.loads((tmp_path / "journal.jsonl").read_text().splitlines()[-1])
    assert entry["domain"] == "provision" and entry["outcome"] == "failed"
    assert entry["request"]["params"]["nodes"] == "jupiter1,jupiter2"


def test_read_only_refuses_a_new_guest(lab: Lab) -> None:
    code, out = _run(lab, "--read-only", "new-guest", "vm9", "--nodes", "jupiter1,jupiter2",
                     "--size", "10G", "--vg", "vg_drbd", "--yes")
    assert code == 1 and "read-only" in out


def test_the_dry_run_prints_the_plan_and_changes_nothing(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    from hadeck.cli.main import main

    code = main(["--lab", str(lab.directory), "new-guest", "vm9", "--nodes",
                 "jupiter1,jupiter2", "--size", "10G", "--dry-run", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc["refused"]
    assert doc["domain"] == "provision" and doc["confirm_word"] == "vm9"
    assert "minor 2 port 7790" in doc["summary"]
    assert "10G in vg_drbd/pool (thin)" in doc["summary"]  # the copied guest's, not --vg
    assert doc["commands"][-1]["argv"] == ["cibadmin", "--patch", "--xml-pipe"]
    assert all(c["ok"] for c in doc["checks"])
    # Nothing was made: the volume is still free, as LVM reads it.
    from hadeck.sources import lvm

    report = lvm.read(open_cluster(lab=str(lab.directory)).access.runner("jupiter1")).value
    assert report is not None and "r1" in {v.name for v in report.volumes}
    assert "vm9" not in {v.name for v in report.volumes}
