"""The read boundary: a source's read() never raises, whatever its tools print.

Each case below is an input that once escaped a parser as ValueError, IndexError or
OverflowError (a traceback in ``hadeck status``, a blank dashboard), or was read with
confidence though it cannot be true (a negative port, an infinite CPU time, a crm_mon
document without its nodes). Now each source reads as failed, with the reason, and what
the other tool of the same source said is kept.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from hadeck.runner import MAX_OUTPUT_BYTES, CommandResult, LocalRunner
from hadeck.snapshot import BundleAccess, BundleError
from hadeck.sources import corosync, drbd, guests, host, keepalived, lvs, pacemaker
from hadeck.sources.base import ParseError, parse_output
from hadeck.ssh import SshRunner
from tests import bundles
from tests.conftest import FIXTURES, sample
from tests.fakes import ScriptedRunner

HUGE = "9" * 5000
"""Past Python's 4,300-digit limit: int() of it raises ValueError."""


def crm_mon(name: str) -> str:
    return (FIXTURES / "pacemaker" / "2.1.5" / name).read_text()


# --------------------------------------------------------------------------- the helper


def test_parse_output_turns_any_parser_exception_into_a_parse_error() -> None:
    def buggy(text: str) -> int:
        return len(text) // 0

    with pytest.raises(ParseError, match=r"^internal error ZeroDivisionError: .*zero"):
        parse_output(buggy, "x")


def test_parse_output_survives_an_exception_that_cannot_even_be_printed() -> None:
    def buggy(text: str) -> int:
        raise ValueError(10**5000)  # str() of it raises ValueError (4,300-digit limit)

    with pytest.raises(ParseError, match=r"^internal error ValueError$"):
        parse_output(buggy, "x")


def test_parse_output_keeps_the_parsers_own_parse_error() -> None:
    with pytest.raises(ParseError, match="empty output"):
        parse_output(pacemaker.parse_crm_mon, "")


def test_parse_output_refuses_an_output_past_the_cap_without_parsing_it() -> None:
    calls: list[int] = []
    with pytest.raises(ParseError, match=r"output too large \(64 MiB; the limit is 64 MiB\)"):
        parse_output(lambda text: calls.append(len(text)), " " * (MAX_OUTPUT_BYTES + 1))
    assert calls == []


# --------------------------------------------------------------------------- per source


def test_corosync_quorum_device_row_without_votes_is_a_reason_not_an_index_error() -> None:
    text = sample("corosync-quorumtool", "2node-qdevice.txt").replace(
        "         0          1            Qdevice", "         0")
    runner = ScriptedRunner({
        corosync.CFGTOOL.argv: sample("corosync-cfgtool", "3node-knet-all-connected.txt"),
        corosync.QUORUMTOOL.argv: text,
    })
    reading = corosync.read(runner)
    assert reading.status.error is not None
    assert "cannot parse corosync-quorumtool output: quorum device row has no votes" in (
        reading.status.error)
    assert reading.value is not None and reading.value.links  # cfgtool's part is kept


def test_corosync_huge_node_id_is_a_reason() -> None:
    text = sample("corosync-cfgtool", "3node-knet-all-connected.txt").replace(
        "Local node ID 1", f"Local node ID {HUGE}")
    with pytest.raises(ParseError, match="local node id is not a count"):
        corosync.parse_cfgtool(text)


def facts(**changes: object) -> str:
    document = json.loads((FIXTURES / "host" / "facts.json").read_text())
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(("text", "why"), [
    (facts(cpu_percent=1e400).replace("Infinity", "1e400"), "cpu_percent is not a finite"),
    (facts(uptime_s=float("nan")), "uptime_s is not a finite number"),
    (facts(memory_total=-1), "memory_total is out of range"),
    (facts().replace('"cpu_count": 2', f'"cpu_count": {HUGE}'), "host facts are not JSON"),
    (facts(load=[1.0, "x", 2.0]), "load is not a number"),
], ids=["inf", "nan", "negative", "huge", "text"])
def test_host_facts_with_impossible_numbers_are_refused(text: str, why: str) -> None:
    runner = ScriptedRunner({host.HOST_FACTS.argv: text})
    reading = host.read(runner)
    assert reading.value is None
    assert reading.status.error is not None and why in reading.status.error


def test_mdstat_progress_of_a_lone_dot_is_a_reason_not_float_error() -> None:
    text = sample("proc-mdstat", "raid1-resync-and-check.txt").replace("5.7%", ".%")
    runner = ScriptedRunner({host.HOST_FACTS.argv: facts(), "/proc/mdstat": text})
    reading = host.read(runner)
    assert reading.value is not None and reading.value.cpu_count == 2  # facts kept
    assert "cannot parse /proc/mdstat: /proc/mdstat md0: progress is not a decimal" in (
        reading.status.error or "")


def drbd_runner(**answers: str | CommandResult) -> ScriptedRunner:
    table: dict[tuple[str, ...] | str, str | CommandResult] = {
        "/proc/drbd": "version: 9.2.5 (api:2/proto:86-122)\n",
    }
    table.update({getattr(drbd, name).argv: text for name, text in answers.items()})
    return ScriptedRunner(table)


def test_drbd_status_json_with_a_huge_integer_is_a_reason() -> None:
    text = sample("drbd-status-json", "healthy-primary-2node.json.txt").replace(
        '"size": 20971520', f'"size": {HUGE}')
    with pytest.raises(ParseError, match="not JSON"):
        drbd.parse_status_json(text)


@pytest.mark.parametrize(("key", "value"), [
    ("size", "-5"), ("out-of-sync", "-4096"), ("received", "+7"), ("sent", "1_000"),
    ("volume", "\u0663"), ("done", "inf"), ("eta", "-1"), ("dbdt1", "1e999"),
])
def test_drbd_events2_impossible_numbers_are_refused(key: str, value: str) -> None:
    text = sample("drbd-events2", "syncsource-in-progress.txt")
    line = next(line for line in text.splitlines() if f" {key}:" in line)
    old = next(token for token in line.split() if token.startswith(f"{key}:"))
    with pytest.raises(ParseError, match=key):
        drbd.parse_events2(text.replace(old, f"{key}:{value}", 1))


def test_drbd_status_json_negative_and_infinite_numbers_are_refused() -> None:
    text = sample("drbd-status-json", "healthy-primary-2node.json.txt")
    for old, new in (('"size": 20971520', '"size": -20971520'),
                     ('"size": 20971520', '"size": Infinity')):
        with pytest.raises(ParseError, match="size"):
            drbd.parse_status_json(text.replace(old, new))


def test_proc_drbd_huge_minor_and_version_are_reasons() -> None:
    text = sample("proc-drbd", "84-syncsource.txt")
    with pytest.raises(ParseError, match="minor is not a count"):
        drbd.parse_proc_drbd(text.replace(" 0: cs:", f" {HUGE}: cs:"))
    # The reader took the module's major version with int() before any parser ran.
    reading = drbd.read(ScriptedRunner({"/proc/drbd": f"version: {HUGE}.1 (api:1)\n"}))
    assert reading.value is None
    assert reading.status.error == "cannot parse /proc/drbd output: no 'version:' line"


@pytest.mark.parametrize(("old", "new", "why"), [
    ("192.168.10.100:80 wlc", f"192.168.10.100:{HUGE} wlc", "port is not a count"),
    ("192.168.10.100:80 wlc", "192.168.10.100:65536 wlc", "port 65536 is above 65535"),
    ("192.168.10.100:80 wlc", "192.168.10.100:-80 wlc", "port is not a count"),
    ("Route   1      37", f"Route   1      {HUGE}", "ActiveConn is not a count"),
], ids=["huge-port", "port-65536", "negative-port", "huge-count"])
def test_ipvsadm_impossible_numbers_are_refused_and_proc_stands_in(
        old: str, new: str, why: str) -> None:
    text = sample("ipvsadm-Ln", "dr-http-https-persistent.txt")
    assert old in text
    runner = ScriptedRunner({
        "/proc/net/ip_vs": sample("proc-net-ip_vs", "dr-http-https-persistent.txt"),
        lvs.IPVSADM_LIST.argv: text.replace(old, new, 1),
    })
    reading = lvs.read(runner)
    assert reading.status.error is not None
    assert reading.status.error.startswith("cannot parse ipvsadm output") and why in (
        reading.status.error)
    assert reading.value is not None and reading.value.services  # from /proc/net/ip_vs


def test_keepalived_huge_priority_is_unknown_not_a_crash() -> None:
    text = sample("keepalived", "data-dump-master-and-backup.txt").replace(
        "Priority = 150", f"Priority = {HUGE}")
    reading = keepalived.read(ScriptedRunner({"/tmp/keepalived.data": text}))
    assert reading.status.error is None
    assert reading.value is not None and reading.value[0].priority is None


@pytest.mark.parametrize(("old", "new"), [
    ("15221.7", "inf"), ("15221.7", "nan"), ("15221.7", "-1.0"), ("2048", "-2048"),
])
def test_xl_list_impossible_numbers_are_refused(old: str, new: str) -> None:
    text = sample("xl-list", "dom0-and-guests.txt").replace(old, new)
    with pytest.raises(ParseError, match="is not a"):
        guests.parse_xl_list(text, "n1")


def test_domstats_negative_cpu_time_is_refused() -> None:
    text = "Domain: 'vm1'\n  state.state=1\n  cpu.time=-5000000000\n\n"
    with pytest.raises(ParseError, match=r"cpu\.time is not a count"):
        guests.parse_virsh_domstats(text)


# --------------------------------------------------------------------------- Pacemaker


def test_crm_mon_without_nodes_is_a_parse_error_not_zero_of_zero_online() -> None:
    text = crm_mon("all-up.xml")
    start, end = text.index("  <nodes>"), text.index("</nodes>") + len("</nodes>")
    with pytest.raises(ParseError, match="no <nodes>"):
        pacemaker.parse_crm_mon(text[:start] + text[end:])
    reading = pacemaker.read(ScriptedRunner({pacemaker.CRM_MON.argv: text[:start] + text[end:]}))
    assert reading.value is None
    assert reading.status.error == (
        "cannot parse crm_mon output: pacemaker-result 2.25: no <nodes>: "
        "crm_mon printed no status")


def test_crm_mon_without_resources_while_some_are_configured_is_a_parse_error() -> None:
    text = crm_mon("all-up.xml")
    start = text.index("  <resources>")
    end = text.index("</resources>") + len("</resources>")
    with pytest.raises(ParseError, match="resources are configured but there is no"):
        pacemaker.parse_crm_mon(text[:start] + text[end:])


@pytest.mark.pacemaker
def test_crm_mon_of_a_cluster_with_no_resources_still_parses(tmp_path: Path) -> None:
    """The real crm_mon leaves ``<resources>`` out when none is configured: that is fine."""
    cib = tmp_path / "cib.xml"
    cib.write_text(
        '<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" '
        'num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
        "<constraints/></configuration><status/></cib>\n")
    result = LocalRunner(env={"CIB_file": str(cib)}).run(["crm_mon", "--output-as=xml"])
    assert result.ok and "<resources" not in result.stdout.replace("<resources_", "")
    state = pacemaker.parse_crm_mon(result.stdout)
    assert state.nodes == () and state.resources == ()


def test_crm_mon_negative_counts_and_huge_op_intervals() -> None:
    text = crm_mon("all-up.xml").replace('resources_running="7"', 'resources_running="-7"')
    with pytest.raises(ParseError, match="counts are not negative"):
        pacemaker.parse_crm_mon(text)
    key = f"vm1_monitor_{HUGE}"
    assert pacemaker.split_op_key(key) == (key, "", 0)
    assert pacemaker.split_op_key(key, "monitor") == (key, "monitor", 0)


# --------------------------------------------------------------------------- the size cap


def test_a_runaway_command_is_cut_at_the_cap_quickly() -> None:
    start = time.monotonic()
    result = LocalRunner().run(["yes", "garbage"], timeout=60)
    assert time.monotonic() - start < 20  # not the 60 s timeout: stopped at 64 MiB
    assert result.error == "yes: output larger than 64 MiB, not read"
    assert result.stdout == ""


def test_a_file_past_the_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "crm_mon.xml"
    with big.open("wb") as handle:
        handle.truncate(MAX_OUTPUT_BYTES + 1)  # sparse: costs no disk
    start = time.monotonic()
    result = LocalRunner().read_file(str(big))
    assert time.monotonic() - start < 10
    assert result.error == f"{big}: larger than 64 MiB, not read"


def _bomb(path: Path, size: int) -> None:
    """A bundle whose crm_mon.xml inflates to ``size`` bytes of blanks (a gzip bomb)."""
    meta = b'{"hostname": "n1"}\n'
    with gzip.open(path, "wb", compresslevel=1) as out:
        for name, length in (("hadeck-bundle/meta.json", len(meta)),
                             ("hadeck-bundle/n1/pacemaker/crm_mon.xml", size)):
            info = tarfile.TarInfo(name)
            info.size = length
            out.write(info.tobuf())
            if name.endswith("meta.json"):
                out.write(meta)
            else:
                chunk = b" " * 2**20
                for _ in range(size // len(chunk)):
                    out.write(chunk)
                out.write(b" " * (size % len(chunk)))
            out.write(b"\0" * (-length % tarfile.BLOCKSIZE))
        out.write(b"\0" * (2 * tarfile.BLOCKSIZE))


def test_a_gzip_bomb_in_a_bundle_is_refused_quickly(tmp_path: Path) -> None:
    bundle = tmp_path / "bomb.tar.gz"
    _bomb(bundle, MAX_OUTPUT_BYTES + 2**20)
    assert bundle.stat().st_size < 2**20  # inflates 65 MiB from less than 1 MiB
    start = time.monotonic()
    with pytest.raises(BundleError) as caught:
        BundleAccess(bundle)
    assert time.monotonic() - start < 5
    assert str(caught.value) == (
        f"{bundle}: hadeck-bundle/n1/pacemaker/crm_mon.xml is 65 MiB, more than the 64 MiB "
        "a bundle file may hold")


def test_a_huge_file_in_a_bundle_directory_is_refused_unread(tmp_path: Path) -> None:
    top = tmp_path / "hadeck-bundle"
    (top / "n1" / "pacemaker").mkdir(parents=True)
    (top / "meta.json").write_text('{"hostname": "n1"}\n')
    with (top / "n1" / "pacemaker" / "crm_mon.xml").open("wb") as handle:
        handle.truncate(MAX_OUTPUT_BYTES + 1)
    with pytest.raises(BundleError, match=r"n1/pacemaker/crm_mon\.xml is 64 MiB, more than"):
        BundleAccess(top)


def test_a_bundle_within_the_cap_still_reads(tmp_path: Path) -> None:
    top = tmp_path / "hadeck-bundle"
    (top / "n1" / "pacemaker").mkdir(parents=True)
    (top / "meta.json").write_text('{"hostname": "n1"}\n')
    (top / "n1" / "pacemaker" / "crm_mon.xml").write_text(crm_mon("all-up.xml"))
    reading = pacemaker.read(BundleAccess(top).local)
    assert reading.value is not None and len(reading.value.nodes) == 3


def test_a_stream_that_never_ends_its_line_stays_bounded() -> None:
    """The dashboard follows events2 with a stream: one endless line is cut in pieces."""
    argv = ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo exists -"]
    with LocalRunner().stream(argv) as stream:
        lines = list(stream)
    assert max(len(line) for line in lines) <= 2**20
    assert sum(len(line) for line in lines) == 3_000_000 + 1 + len("exists -\n")
    assert lines[-1] == "exists -\n"


class BrokenRunner(ScriptedRunner):
    """A runner that breaks its own contract (it raises): read() still must not."""

    def fetch(self, command: object, timeout: float | None = None) -> CommandResult:
        raise RuntimeError("runner bug\nsecond line")


@pytest.mark.parametrize("source", [corosync, drbd, guests, host, keepalived, lvs, pacemaker],
                         ids=lambda module: module.__name__.rsplit(".", 1)[-1])
def test_read_never_raises_even_when_the_code_around_the_parser_does(source: object) -> None:
    reading = source.read(BrokenRunner({}, node="n1"))  # type: ignore[attr-defined]
    assert reading.value is None
    assert reading.status.node == "n1" and not reading.status.ok
    name = source.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
    assert reading.status.error == f"cannot read {name}: internal error RuntimeError: runner bug"


# --------------------------------------------------------------------------- bounded work


def test_resources_nested_past_any_cib_are_a_parse_error_not_a_recursion_error() -> None:
    deep = "<group id='g'>" * 3000 + "</group>" * 3000
    status = f"<crm_mon><summary/><nodes/><resources>{deep}</resources></crm_mon>"
    with pytest.raises(ParseError, match="nested more than 8 deep"):
        pacemaker.parse_crm_mon(status)
    with pytest.raises(ParseError, match="nested more than 8 deep"):
        pacemaker.parse_cib_configuration(f"<configuration><resources>{deep}</resources>"
                                          "</configuration>")


def test_a_long_blank_run_in_a_keepalived_dump_is_read_in_linear_time() -> None:
    """``(.*?)\\s*$`` took 4 s on 20,000 blanks, and quadratically more on more."""
    text = sample("keepalived", "data-dump-master-and-backup.txt").replace(
        "   Priority = 150", "   Priority = 150" + " " * 200_000 + "x", 1)
    start = time.monotonic()
    (first, *_) = keepalived.parse_data_dump(text)
    assert time.monotonic() - start < 2
    assert first.priority is None  # "150 … x" is no number


def test_a_long_blank_run_in_a_quorum_device_name_is_read_in_linear_time() -> None:
    text = sample("corosync-quorumtool", "2node-qdevice.txt").replace(
        "            Qdevice", "            Qdevice" + " " * 200_000 + "x (votes 1)")
    start = time.monotonic()
    quorum = corosync.parse_quorumtool(text)
    assert time.monotonic() - start < 2
    assert quorum.qdevice_name is not None and quorum.qdevice_name.endswith(" x")


# --------------------------------------------------------------------------- end to end


def test_status_of_a_bundle_with_broken_outputs_says_why_and_shows_the_rest(
        tmp_path: Path) -> None:
    """What once printed a traceback (host facts with 1e400) and "OK" for a crm_mon
    document without nodes: now UNKNOWN (exit 3) with both reasons, the rest intact."""
    bundle = bundles.seed_cluster(tmp_path / "b")
    xml = bundle / "jupiter1" / "pacemaker" / "crm_mon.xml"
    text = xml.read_text()
    xml.write_text(text[:text.index("  <nodes>")] + text[text.index("</nodes>") + 8:])
    (bundle / "jupiter1" / "host" / "facts.json").write_text(
        facts(cpu_percent=1.0).replace('"cpu_percent": 1.0', '"cpu_percent": 1e400'))
    run = subprocess.run([sys.executable, "-m", "hadeck.cli", "status", "--from", str(bundle),
                          "--json"], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    assert run.stderr == ""
    doc = json.loads(run.stdout)
    assert run.returncode == 3 == doc["health"]["exit_code"]
    reasons = {p["subject"]: p["reason"] for p in doc["problems"] if p["area"] == "sources"}
    assert any("cannot parse crm_mon output: pacemaker-result 2.25: no <nodes>" in r
               for r in reasons.values()), reasons
    assert any("host facts: cpu_percent is not a finite number" in r
               for r in reasons.values()), reasons
    assert doc["state"]["drbd"] and doc["state"]["guests"]  # the other sources still show


def test_a_percentage_above_100_is_refused() -> None:
    events2 = sample("drbd-events2", "syncsource-in-progress.txt").replace("done:43.57",
                                                                         "done:143.57")
    with pytest.raises(ParseError, match=r"done is 143\.57 %, above 100 %"):
        drbd.parse_events2(events2)
    mdstat = sample("proc-mdstat", "raid1-resync-and-check.txt").replace("5.7%", "105.7%")
    with pytest.raises(ParseError, match=r"progress is 105\.7 %, above 100 %"):
        host.parse_mdstat(mdstat)
    proc = sample("proc-drbd", "84-syncsource.txt")
    assert "sync'ed:" in proc
    with pytest.raises(ParseError, match="above 100 %"):
        drbd.parse_proc_drbd(re.sub(r"sync'ed:\s*[0-9.]+%", "sync'ed:100.1%", proc))


def test_too_much_output_over_ssh_is_the_commands_fault_not_the_nodes(tmp_path: Path) -> None:
    """A stand-in ssh client that runs the remote command with sh, as sshd would."""
    ssh = tmp_path / "ssh"
    ssh.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    ssh.chmod(0o755)
    via = LocalRunner(env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    result = SshRunner("jupiter2", via=via).run(["yes", "garbage"], timeout=60)
    assert result.error == "yes: output larger than 64 MiB, not read"
    assert result.error_kind == "failed"  # not "unreachable": the node answered
