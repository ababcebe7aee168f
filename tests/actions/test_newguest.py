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
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from hadeck.actions.newguest import Spec, propose, survey, validate
from hadeck.actions.plan import Refused
from hadeck.drbdconf import parse_dump, parse_statements, render
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.runner import CommandResult, Runner
from hadeck.sources.base import ParseError

FIXTURES = Path(__file__).parents[1] / "fixtures"
DUMPS = FIXTURES / "drbd-utils-9.22"
VGS = (FIXTURES / "lvm2-2.03.16" / "vgs-json.txt").read_text()
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


class _Lvm(Runner):
    """The lab's node, with lvm2's answers for a volume group of ``free`` bytes."""

    def __init__(self, inner: Runner, free: int, lvs: Sequence[str] = ()) -> None:
        self.inner, self.node, self.free, self.lvs = inner, inner.node, free, lvs

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        args = tuple(argv)
        if args[0] == "vgs":
            return CommandResult(args, VGS.replace("ngwvg", args[-1])
                                 .replace("62914560", str(self.free)))
        if args[0] == "lvs":
            if args[-1].split("/")[-1] in self.lvs:
                return CommandResult(args, "  vm9\n")
            return CommandResult(args, "", f'  Failed to find logical volume "{args[-1]}"\n', 5)
        return self.inner.run(args, timeout, input)


def _runners(lab: Lab, free: int = 50 << 30, lvs: Mapping[str, Sequence[str]] | None = None
             ) -> tuple[dict[str, Runner], str]:
    access = open_cluster(lab=str(lab.directory)).access
    at = access.local.node
    names = {"jupiter1", "jupiter2", "sun", at}
    return {n: _Lvm(access.runner(n), free, (lvs or {}).get(n, ())) for n in names}, at


def _propose(lab: Lab, spec: Spec, **kw: object):  # type: ignore[no-untyped-def]
    runners, at = _runners(lab, **kw)  # type: ignore[arg-type]
    return propose(spec, survey(spec, runners, at), at)


def test_a_new_guest_follows_the_clusters_conventions(lab: Lab) -> None:
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0", "xen", prefer="jupiter2")
    proposal = _propose(lab, spec)
    assert proposal.template.guest == "vm2"  # the lab's Xen guest
    # The lab's resources use minors 0, 1 and ports 7788, 7789.
    assert (proposal.minor, proposal.port) == (2, 7790)
    assert "address   ipv4 10.0.0.2:7790;" in proposal.resource_file
    assert "disk      /dev/vg0/vm9;" in proposal.resource_file
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
    argv = [(s.node, s.argv[:2]) for s in proposal.steps]
    assert argv[0] == ("jupiter1", ("lvcreate", "--name"))
    assert ("jupiter2", ("drbdadm", "create-md")) in argv
    assert argv[-1] == (proposal.steps[-1].node, ("cibadmin", "--patch"))
    assert all(c.ok for c in proposal.checks), proposal.checks


@pytest.mark.pacemaker
def test_the_real_tools_accept_it_and_say_where_it_would_start(lab: Lab) -> None:
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0", "kvm", prefer="jupiter2")
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


def test_a_full_volume_group_or_a_taken_volume_fails_its_check(lab: Lab) -> None:
    spec = Spec("vm9", ("jupiter1", "jupiter2"), "10G", "vg0")
    proposal = _propose(lab, spec, free=5 << 30, lvs={"jupiter2": ["vm9"]})
    failed = {c.name: c.reason for c in proposal.checks if not c.ok}
    assert failed["vg0 on jupiter1"] == "5.0 GiB free in vg0 on jupiter1, 10.0 GiB needed"
    assert failed["vg0/vm9 on jupiter2"] == "vg0/vm9 already exists on jupiter2"
    assert "vg0/vm9 on jupiter1" not in failed


def test_the_command_line_prints_a_validated_proposal(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    from hadeck.cli.main import main

    code = main(["--lab", str(lab.directory), "new-guest", "vm9", "--nodes",
                 "jupiter1,jupiter2", "--size", "10G", "--vg", "vg0", "--json"])
    doc = json.loads(capsys.readouterr().out)
    # Without volume groups in the lab, the free space check refuses: exit 1, and why.
    assert code == 1
    assert doc["drbd"]["minor"] == 2 and doc["drbd"]["port"] == 7790
    assert any(not c["ok"] and "free space of vg0" in c["reason"] for c in doc["checks"])
    assert doc["commands"][-1]["argv"] == ["cibadmin", "--patch", "--xml-pipe"]
