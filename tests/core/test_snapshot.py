"""Snapshot bundles: record, write, replay, and keep secrets out."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from hadeck import snapshot
from hadeck.collect import collect
from hadeck.health import judge
from hadeck.outfile import WriteError
from hadeck.redact import redact_output as redact
from hadeck.runner import Command, CommandResult
from hadeck.serial import to_data
from hadeck.snapshot import (
    Bundle,
    BundleAccess,
    BundleError,
    Record,
    RecordingAccess,
    layout,
    write_bundle,
)
from tests import bundles
from tests.core.test_status_cli import hadeck


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
    cib = ('<configuration><nvpair id="f-passwd" name="passwd" value="s3cret"/>'
           '<nvpair id="f-ip" name="ipaddr" value="10.0.0.9"/>'
           '<nvpair id="f-c" name="snmp_community" value="public2"/></configuration>')
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


# --------------------------------------------------------------------------- writing safely


def _records() -> list[Record]:
    cmd = Command("pacemaker/crm_mon.xml", ("crm_mon", "--output-as=xml"))
    return [Record("n1", cmd, CommandResult(cmd.argv, "<crm_mon/>\n"))]


@pytest.mark.parametrize("name", ["b.tar.gz", "bdir"])
def test_bundles_are_private(tmp_path: Path, name: str) -> None:
    out = write_bundle(tmp_path / name, _records(), "n1", 0.0)
    paths = [out] + (list(out.rglob("*")) if out.is_dir() else [])
    for path in paths:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    if not out.is_dir():
        with tarfile.open(out) as tar:
            assert {m.mode for m in tar.getmembers()} == {0o600}


def test_a_symlink_at_the_target_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / "b.tar.gz").symlink_to(victim)
    with pytest.raises(WriteError, match="symbolic link"):
        write_bundle(tmp_path / "b.tar.gz", _records(), "n1", 0.0)
    assert victim.read_text() == "keep me\n"
    # --force replaces the link itself, never what it points to.
    write_bundle(tmp_path / "b.tar.gz", _records(), "n1", 0.0, force=True)
    assert victim.read_text() == "keep me\n" and not (tmp_path / "b.tar.gz").is_symlink()


def test_a_symlinked_directory_inside_the_target_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "bdir").mkdir()
    (tmp_path / "bdir" / "n1").symlink_to(elsewhere)
    with pytest.raises(WriteError):
        write_bundle(tmp_path / "bdir", _records(), "n1", 0.0)
    assert list(elsewhere.iterdir()) == []


def test_an_existing_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "b.tar.gz"
    target.write_text("an older bundle\n")
    with pytest.raises(WriteError, match="already exists"):
        write_bundle(target, _records(), "n1", 0.0)
    assert target.read_text() == "an older bundle\n"
    write_bundle(target, _records(), "n1", 0.0, force=True)
    assert Bundle(target).hostname == "n1"
    (tmp_path / "bdir").mkdir()
    (tmp_path / "bdir" / "meta.json").write_text("{}")
    with pytest.raises(WriteError, match="not empty"):
        write_bundle(tmp_path / "bdir", _records(), "n1", 0.0, force=True)


# --------------------------------------------------------------------------- reading safely


def test_a_directory_bundle_does_not_follow_a_symlink_out(tmp_path: Path) -> None:
    outside = tmp_path / "shadow"
    outside.write_text("root:$6$secrethash:19000:0:99999:7:::\n")
    root = bundles.write(tmp_path / "b", "n1", {})
    (root / "n1" / "pacemaker").mkdir(parents=True)
    (root / "n1" / "pacemaker" / "crm_mon.xml").symlink_to(outside)
    with pytest.raises(BundleError, match=r"crm_mon\.xml is a symbolic link .* outside"):
        BundleAccess(root)


def test_a_tar_bundle_with_a_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        meta = b'{"hostname": "n1"}'
        info = tarfile.TarInfo("hadeck-bundle/meta.json")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
        link = tarfile.TarInfo("hadeck-bundle/n1/pacemaker/crm_mon.xml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(link)
    with pytest.raises(BundleError, match="link to /etc/shadow"):
        BundleAccess(path)


def test_bad_meta_values_are_refused_in_words(tmp_path: Path) -> None:
    root = bundles.write(tmp_path / "b", "n1", {}, commands={
        "n1/pacemaker/crm_mon.xml": {"duration": "slow"}})
    with pytest.raises(BundleError, match=r"duration is not a number \('slow'\)"):
        BundleAccess(root)


# --------------------------------------------------------------------------- the command


def test_snapshot_command_bad_inputs_end_in_one_line(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "src")
    bad = bundles.write(tmp_path / "bad", "n1", {}, commands={
        "n1/pacemaker/crm_mon.xml": {"duration": "slow"}})
    existing = tmp_path / "old.tar.gz"
    existing.write_text("old\n")
    cases = [
        (("status", "--from", str(bad)), "duration is not a number"),
        (("snapshot", "--from", str(bundle), "/nonexistent/dir/x.tar.gz"),
         "No such file or directory"),
        (("snapshot", "--from", str(bundle), "/proc/version"), "not a directory"),
        (("snapshot", "--from", str(bundle), str(existing)), "already exists"),
    ]
    for args, words in cases:
        run = hadeck(*args)
        assert run.returncode == 3, (args, run.stderr)
        assert words in run.stderr and "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    run = hadeck("snapshot", "--from", str(bundle), "--force", str(existing))
    assert run.returncode == 0, run.stderr
    assert Bundle(existing).hostname == "jupiter1"


def test_snapshot_from_a_bundle_linking_out_copies_nothing(tmp_path: Path) -> None:
    # As root, this once copied /etc/shadow into a world-readable tarball.
    outside = tmp_path / "shadow"
    outside.write_text("root:$6$secrethash:19000:0:99999:7:::\n")
    bundle = bundles.seed_cluster(tmp_path / "src")
    mon = bundle / "jupiter1" / "pacemaker" / "crm_mon.xml"
    mon.unlink()
    mon.symlink_to(outside)
    run = hadeck("snapshot", "--from", str(bundle), str(tmp_path / "out.tar.gz"))
    assert run.returncode == 3 and "outside the bundle" in run.stderr, run.stderr
    assert not (tmp_path / "out.tar.gz").exists()


# --------------------------------------------------------------------------- bounded reads


def _tarball(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A gzip bundle with ``meta.json`` first, then ``members``."""
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, data in [("meta.json", b'{"hostname": "n1"}'), *members]:
            info = tarfile.TarInfo(f"hadeck-bundle/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_tar_of_countless_tiny_files_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for i in range(snapshot.MAX_BUNDLE_MEMBERS + 1):
            tar.addfile(tarfile.TarInfo(f"hadeck-bundle/n1/f{i}"), io.BytesIO(b""))
    run = hadeck("status", "--from", str(path))
    assert run.returncode == 3, run.stderr
    assert f"more than {snapshot.MAX_BUNDLE_MEMBERS} entries" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_a_member_bigger_than_any_output_is_refused_by_its_header(tmp_path: Path) -> None:
    # The header claims 100 MiB; the bytes need not even be there: it is refused unread.
    huge = tarfile.TarInfo("hadeck-bundle/n1/pacemaker/crm_mon.xml")
    huge.size = 100 * 2**20
    path = tmp_path / "bomb.tar.gz"
    with open(path, "wb") as raw, tarfile.open(fileobj=raw, mode="w|gz") as tar:
        tar.fileobj.write(huge.tobuf())  # type: ignore[union-attr]
    with pytest.raises(BundleError, match=r"crm_mon\.xml is 100 MiB, more than the 64 MiB"):
        BundleAccess(path)


def test_members_summing_past_the_total_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # At the real cap this needs half a gigabyte; the rule is the same at a small one.
    monkeypatch.setattr(snapshot, "MAX_BUNDLE_BYTES", 2**20)
    part = b"x" * 400_000
    path = _tarball(tmp_path / "big.tar.gz",
                    [(f"n1/pacemaker/part{i}", part) for i in range(3)])
    with pytest.raises(BundleError, match=r"more than 1 MiB together \(at .*part2\)"):
        BundleAccess(path)
    ok = _tarball(tmp_path / "ok.tar.gz", [(f"n1/pacemaker/part{i}", part) for i in range(2)])
    assert Bundle(ok).hostname == "n1"


def test_a_directory_bundle_summing_past_the_total_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MAX_BUNDLE_BYTES", 2**20)
    monkeypatch.setattr(snapshot, "MAX_BUNDLE_MEMBERS", 50)
    part = "x" * 400_000
    root = bundles.write(tmp_path / "b", "n1", {f"n1/p{i}": part for i in range(3)})
    with pytest.raises(BundleError, match=r"more than 1 MiB together"):
        BundleAccess(root)
    many = bundles.write(tmp_path / "m", "n1", {f"n1/f{i}": "" for i in range(60)})
    with pytest.raises(BundleError, match=r"more than 50 entries"):
        BundleAccess(many)


def test_a_long_name_bomb_is_refused_before_it_fills_memory(tmp_path: Path) -> None:
    # tarfile reads a GNU long name whole before the member it names can be looked at:
    # 100 MiB of name, in 100 KiB of gzip.
    longname = tarfile.TarInfo("././@LongLink")
    longname.type, longname.size = tarfile.GNUTYPE_LONGNAME, 100 * 2**20
    path = tmp_path / "longname.tar.gz"
    with open(path, "wb") as raw, tarfile.open(fileobj=raw, mode="w|gz") as tar:
        stream = tar.fileobj
        stream.write(longname.tobuf(tarfile.USTAR_FORMAT))  # type: ignore[union-attr]
        chunk = b"a" * 2**20
        for _ in range(100):
            stream.write(chunk)  # type: ignore[union-attr]
    assert path.stat().st_size < 2**20
    with pytest.raises(BundleError, match=r"headers inflate to more than 64 MiB beyond its "
                                          r"files \(a bomb\)"):
        BundleAccess(path)


def test_a_fifo_given_as_a_bundle_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "b.tar.gz"
    os.mkfifo(fifo)
    with pytest.raises(BundleError, match="not a regular file"):
        BundleAccess(fifo)
