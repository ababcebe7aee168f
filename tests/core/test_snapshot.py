"""Snapshot bundles: record, write, replay, and keep secrets out."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from hadeck.collect import collect
from hadeck.health import judge
from hadeck.runner import Command, CommandResult
from hadeck.serial import to_data
from hadeck.snapshot import (
    Bundle,
    BundleAccess,
    BundleError,
    Record,
    RecordingAccess,
    layout,
    redact,
    write_bundle,
)
from tests import bundles


def test_hand_assembled_bundle_shows_every_area(tmp_path: Path) -> None:
    state = collect(BundleAccess(bundles.seed_cluster(tmp_path / "b")))
    assert state.origin == f"bundle:{tmp_path / 'b'}"
    assert state.taken_at == 1795312800.0
    assert state.pacemaker is not None and state.pacemaker.cluster.dc is not None
    assert {r.name for r in state.drbd} == {"r0"}
    assert state.lvs and state.lvs[0].services
    assert {g.name for g in state.guests} >= {"web01"}
    assert state.corosync and state.corosync[0].quorum is not None
    assert state.hosts[0].md_arrays
    # Every source read at bundle time, not now.
    assert {s.read_at for s in state.sources} == {1795312800.0}


def test_missing_files_read_as_tools_not_installed(tmp_path: Path) -> None:
    root = bundles.write(tmp_path / "b", "alpha", {})
    state = collect(BundleAccess(root))
    by_source = {s.source: s for s in state.sources}
    assert "crm_mon: command not found (not in bundle)" in by_source["pacemaker"].error
    assert by_source["drbd"].error is None  # no /proc/drbd: no DRBD here
    assert judge(state).overall.name == "UNKNOWN"


def test_recorded_failures_replay_as_failures(tmp_path: Path) -> None:
    root = bundles.write(tmp_path / "b", "alpha", {}, commands={
        "alpha/host/facts.json": {"error": "ssh alpha: connect to host alpha port 22: "
                                           "No route to host"}})
    state = collect(BundleAccess(root))
    node = [s for s in state.sources if s.source == "node"]
    assert node and node[0].error.startswith("ssh alpha:")
    # An unreachable node is one reason, not one per source.
    assert [s.source for s in state.sources
            if s.node == "alpha" and s.source != "pacemaker"] == ["node"]


def test_record_write_replay_round_trip(tmp_path: Path) -> None:
    original = BundleAccess(bundles.seed_cluster(tmp_path / "src"))
    recording = RecordingAccess(original)
    first = collect(recording)
    assert recording.records
    out = write_bundle(tmp_path / "snap.tar.gz", recording.records, first.local_node,
                       first.taken_at, {"pacemaker": "Pacemaker 2.1.5"})
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "hadeck-bundle/meta.json" in names
    assert "hadeck-bundle/jupiter1/pacemaker/crm_mon.xml" in names
    replayed = collect(BundleAccess(out))
    a, b = to_data(first), to_data(replayed)
    for data in (a, b):
        data.pop("origin")
        for status in data["sources"]:
            status.pop("duration")  # how long this replay took, not the recording
    assert a == b
    assert Bundle(out).meta["tools"] == {"pacemaker": "Pacemaker 2.1.5"}


def test_a_bundle_keeps_each_failure_kind(tmp_path: Path) -> None:
    crm_mon = Command("pacemaker/crm_mon.xml", ("crm_mon", "--output-as=xml"))
    slow = CommandResult(crm_mon.argv, returncode=None, error="crm_mon: took too long",
                         error_kind="timeout")
    out = write_bundle(tmp_path / "b", [Record("alpha", crm_mon, slow)], "alpha", 1.0, {})
    replayed = BundleAccess(out).local.fetch(crm_mon)
    # The kind recorded, not one guessed from the words.
    assert (replayed.error, replayed.error_kind) == ("crm_mon: took too long", "timeout")


def test_a_bundle_written_before_error_kinds_replays_with_them(tmp_path: Path) -> None:
    # Recorded by an earlier hadeck: errors without kinds, and ``cat`` over ssh that
    # exited 1 for a file that is not there.
    proc_drbd = "cat: /proc/drbd: No such file or directory\n"
    root = bundles.write(tmp_path / "b", "alpha", {"beta/drbd/proc-drbd.txt": ""}, commands={
        "alpha/guests/virsh-list.txt": {"error": "virsh: command not found"},
        "alpha/pacemaker/crm_mon.xml": {"error": "crm_mon: timed out after 10 s"},
        "beta/host/facts.json": {"error": "python3: command not found on beta"},
        "beta/drbd/proc-drbd.txt": {"returncode": 1, "stderr": proc_drbd},
        "gamma/host/facts.json": {"error": "ssh gamma: ssh: connect to host gamma port 22: "
                                           "No route to host"},
    })
    bundle = BundleAccess(root)
    kinds = {
        (node, name): bundle.runner(node).fetch(command).error_kind
        for node, name, command in [
            ("alpha", "virsh", Command("guests/virsh-list.txt", ("virsh", "list", "--all"))),
            ("alpha", "crm_mon", Command("pacemaker/crm_mon.xml", ("crm_mon",))),
            ("beta", "facts", Command("host/facts.json", ("python3",))),
            ("beta", "proc", Command("drbd/proc-drbd.txt", path="/proc/drbd")),
            ("gamma", "facts", Command("host/facts.json", ("python3",))),
        ]
    }
    assert kinds == {("alpha", "virsh"): "missing", ("alpha", "crm_mon"): "timeout",
                     ("beta", "facts"): "missing", ("beta", "proc"): "missing",
                     ("gamma", "facts"): "unreachable"}
    state = collect(bundle)
    drbd_beta = next(s for s in state.sources if s.source == "drbd" and s.node == "beta")
    assert drbd_beta.error is None and drbd_beta.detail == "no DRBD module loaded"


def test_secrets_are_redacted() -> None:
    cib = ('<nvpair id="f-passwd" name="passwd" value="s3cret"/>'
           '<nvpair id="f-ip" name="ipaddr" value="10.0.0.9"/>'
           '<nvpair id="f-c" name="snmp_community" value="public2"/>')
    out = redact("pacemaker/cib-configuration.xml", cib)
    assert "s3cret" not in out and "public2" not in out
    assert 'value="10.0.0.9"' in out
    keep = redact("keepalived/keepalived.data", "   Authentication type = PASS\n"
                  "   auth_pass = hunter2\n")
    assert "hunter2" not in keep and "Authentication type = PASS" in keep
    dump = redact("keepalived/keepalived.json", '[{"data":{"iname":"VI_1",'
                  '"auth_pass":"hunter2","state":2}}]')
    assert "hunter2" not in dump and '"iname":"VI_1"' in dump


def test_secrets_never_reach_the_bundle(tmp_path: Path) -> None:
    cmd = Command("pacemaker/cib-configuration.xml", ("cibadmin", "-Q", "-o", "configuration"))
    text = '<configuration><nvpair id="x" name="password" value="topsecret"/></configuration>'
    out = write_bundle(tmp_path / "b.tar.gz",
                       [Record("n1", cmd, CommandResult(cmd.argv, text))], "n1", 0.0)
    with tarfile.open(out) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member)
            assert data is None or b"topsecret" not in data.read()


def test_unsafe_member_names_are_refused(tmp_path: Path) -> None:
    cmd = Command("../../etc/passwd", ("true",))
    with pytest.raises(BundleError, match="unsafe"):
        write_bundle(tmp_path / "b", [Record("n1", cmd, CommandResult(cmd.argv, "x"))],
                     "n1", 0.0)


@pytest.mark.parametrize("content", [b"", b"not a tarball at all", b"\x1f\x8b\x08garbage"])
def test_unreadable_bundles_say_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(content)
    with pytest.raises(BundleError):
        BundleAccess(path)


def test_bundle_without_meta(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    with pytest.raises(BundleError, match=r"no meta\.json"):
        BundleAccess(tmp_path / "b")


def test_layout_lists_every_source_command() -> None:
    rows = dict(layout())
    assert rows["<node>/pacemaker/crm_mon.xml"] == "crm_mon --output-as=xml"
    assert rows["<node>/drbd/proc-drbd.txt"] == "/proc/drbd"
    assert "<node>/lvs/ipvsadm-Ln.txt" in rows
