"""Guests: virsh, xl and vzlist parsers on real-format text, and the reader."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hadeck.runner import CommandResult, LocalRunner
from hadeck.sources import guests
from hadeck.sources.base import ParseError
from hadeck.sources.guests import (
    VIRSH_AUTOSTART,
    VIRSH_DOMSTATS,
    VIRSH_LIST,
    VIRSH_URI,
    VZLIST,
    XL_LIST,
    merge_virsh,
    parse_virsh_autostart,
    parse_virsh_domstats,
    parse_virsh_list,
    parse_virsh_uri,
    parse_vzlist,
    parse_xl_list,
    xl_state,
)
from tests.conftest import FIXTURES, SAMPLES, sample
from tests.fakes import ScriptedRunner

VIRSH = FIXTURES / "virsh" / "9.0.0"


def capture(name: str) -> str:
    return (VIRSH / name).read_text()


def by_name(items: tuple[guests.Guest, ...]) -> dict[str, guests.Guest]:
    return {g.name: g for g in items}


def cases(source: str) -> list[str]:
    return sorted(p.name for p in (SAMPLES / source).iterdir())


# --------------------------------------------------------------------------- virsh list


@pytest.mark.parametrize("case", cases("virsh-list"))
def test_every_virsh_list_sample_parses(case: str) -> None:
    for guest in parse_virsh_list(sample("virsh-list", case), "hv1"):
        assert guest.node == "hv1" and guest.hypervisor == "kvm"
        assert guest.name and guest.state


def test_virsh_list_running_paused_shutoff() -> None:
    found = by_name(parse_virsh_list(sample("virsh-list", "running-paused-shutoff.txt"), "hv1"))
    assert list(found) == ["web01", "db01", "backup-vm"]
    assert found["web01"].running and found["web01"].id == "1"
    assert found["db01"].state == "paused" and not found["db01"].running
    assert found["backup-vm"].state == "shut off" and found["backup-vm"].id is None
    assert not found["backup-vm"].running


def test_virsh_list_without_domains() -> None:
    assert parse_virsh_list(sample("virsh-list", "no-domains.txt"), "hv1") == ()
    assert parse_virsh_list(capture("list-all.empty.txt"), "hv1") == ()


def test_virsh_list_real_capture_every_state() -> None:
    found = by_name(parse_virsh_list(capture("list-all.node.txt"), "hv1", "test"))
    assert {name: g.state for name, g in found.items()} == {
        "web01": "running",
        "db01": "paused",
        "mail-relay-with-a-rather-long-domain-name": "in shutdown",
        "crashy": "crashed",
        "sleepy": "pmsuspended",
        "blocked1": "idle",
        "limbo": "no state",
        "backup vm": "shut off",
    }
    assert found["backup vm"].id is None and found["limbo"].id == "7"
    assert found["blocked1"].running and not found["crashy"].running
    assert {g.hypervisor for g in found.values()} == {"test"}


def test_virsh_list_default_test_driver() -> None:
    (guest,) = parse_virsh_list(capture("list-all.default.txt"), "hv1")
    assert (guest.name, guest.id, guest.state) == ("test", "1", "running")


def test_virsh_list_keeps_unknown_state_words() -> None:
    text = (
        " Id   Name    State\n"
        "-----------------------------\n"
        " 1    web01   hibernating now\n"
        " -    db01    shut off\n"
        "\n"
    )
    found = by_name(parse_virsh_list(text, "hv1"))
    assert found["web01"].state == "hibernating now"
    assert not found["web01"].running
    assert found["db01"].state == "shut off"


def test_virsh_list_old_fixed_layout() -> None:
    # The pre-vshTable printf layout (" %-5s %-30s %s", 52 dashes), as in the virsh man
    # page, with a name longer than its 30 columns.
    text = (
        " Id    Name                           State\n"
        "----------------------------------------------------\n"
        " 0     Domain-0                       running\n"
        " 2     fedora                         paused\n"
        " 3     mail-relay-with-a-rather-long-domain-name in shutdown\n"
        " -     my old vm                      shut off\n"
        "\n"
    )
    found = by_name(parse_virsh_list(text, "hv1", "xen"))
    assert "Domain-0" not in found  # the Xen host itself
    assert found["fedora"].state == "paused"
    assert found["mail-relay-with-a-rather-long-domain-name"].state == "in shutdown"
    assert found["my old vm"].state == "shut off" and found["my old vm"].id is None


@pytest.mark.parametrize("text", [
    "",
    "\n",
    "error: failed to connect to the hypervisor\n",
    sample("xl-list", "dom0-and-guests.txt"),
    sample("vzlist", "running-and-stopped.txt"),
    " Id   Name   State\n",
    "\x00\x01\x02garbage\n",
])
def test_virsh_list_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_virsh_list(text, "hv1")


def test_virsh_list_rejects_truncated_output() -> None:
    text = capture("list-all.node.txt")
    with pytest.raises(ParseError):
        parse_virsh_list(text[: text.index("web01") + 3], "hv1")  # cut inside a row
    with pytest.raises(ParseError):
        parse_virsh_list(text[: text.index("paused") + 3], "hv1")  # no final newline


# --------------------------------------------------------------------------- autostart, uri


def test_virsh_autostart_real_captures() -> None:
    assert parse_virsh_autostart(capture("list-all-name-autostart.node.txt")) == {
        "web01", "backup vm",
    }
    assert parse_virsh_autostart(capture("list-all-name-autostart.none.txt")) == set()


def test_virsh_autostart_rejects_a_table_and_truncation() -> None:
    with pytest.raises(ParseError):
        parse_virsh_autostart(capture("list-all.node.txt"))
    with pytest.raises(ParseError):
        parse_virsh_autostart("web01\nbackup")


@pytest.mark.parametrize(("uri", "word"), [
    ("qemu:///system\n\n", "kvm"),
    ("qemu+ssh://root@hv2/system\n\n", "kvm"),
    ("xen:///system\n\n", "xen"),
    ("lxc:///system\n\n", "lxc"),
])
def test_virsh_uri_names_the_hypervisor(uri: str, word: str) -> None:
    assert parse_virsh_uri(uri) == word


def test_virsh_uri_real_capture_and_garbage() -> None:
    assert parse_virsh_uri(capture("uri.node.txt")) == "test"
    with pytest.raises(ParseError):
        parse_virsh_uri("error: failed to connect to the hypervisor\n")


# --------------------------------------------------------------------------- domstats


@pytest.mark.parametrize("case", cases("virsh-domstats"))
def test_every_domstats_sample_parses(case: str) -> None:
    stats = parse_virsh_domstats(sample("virsh-domstats", case))
    assert stats and all(s.state for s in stats.values())


def test_domstats_full_record() -> None:
    stats = parse_virsh_domstats(sample("virsh-domstats", "qemu-running-full.txt"))
    web = stats["web01"]
    assert web.state == "running" and web.state_reason == 1
    assert web.vcpus == 2
    assert web.memory_kib == 2097152
    assert web.cpu_time_s == pytest.approx(3911.231432201)
    assert web.fields["block.0.path"] == "/dev/drbd0"  # unknown keys are kept
    backup = stats["backup-vm"]
    assert backup.state == "shut off" and backup.cpu_time_s is None
    assert backup.memory_kib == 1048576 and backup.vcpus == 1


def test_domstats_real_capture_state_only() -> None:
    stats = parse_virsh_domstats(capture("domstats.node.txt"))
    assert len(stats) == 8
    assert stats["backup vm"].state == "shut off"
    assert stats["limbo"].state == "no state"
    assert stats["blocked1"].state == "idle"
    assert stats["sleepy"].state == "pmsuspended"
    assert stats["web01"].vcpus is None and stats["web01"].memory_kib is None
    assert parse_virsh_domstats(capture("domstats.default.txt"))["test"].state == "running"


def test_domstats_keeps_an_unknown_state_number_and_empty_output() -> None:
    stats = parse_virsh_domstats("Domain: 'future'\n  state.state=9\n  new.key=x\n\n")
    assert stats["future"].state == "9"
    assert stats["future"].fields["new.key"] == "x"
    assert parse_virsh_domstats("") == {}


@pytest.mark.parametrize("text", [
    "  state.state=1\n\n",  # a field outside a record
    "Domain: 'web01'\n  state.state=running\n\n",  # a decoded field that is not a number
    "Domain: 'web01'\n  state.state=1\n  cpu.ti",  # truncated
    sample("xl-list", "dom0-and-guests.txt"),
])
def test_domstats_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_virsh_domstats(text)


def test_merge_adds_autostart_and_stats() -> None:
    listed = parse_virsh_list(sample("virsh-list", "running-paused-shutoff.txt"), "hv1")
    stats = parse_virsh_domstats(sample("virsh-domstats", "qemu-running-full.txt"))
    found = by_name(merge_virsh(listed, {"web01"}, stats))
    assert found["web01"].autostart is True and found["db01"].autostart is False
    assert found["web01"].vcpus == 2 and found["web01"].memory_kib == 2097152
    assert found["db01"].vcpus is None  # no record for db01
    assert found["backup-vm"].state == "shut off"  # the list's word wins
    unknown = by_name(merge_virsh(listed, None, None))
    assert unknown["web01"].autostart is None and unknown["web01"].vcpus is None


# --------------------------------------------------------------------------- xl


@pytest.mark.parametrize("case", cases("xl-list"))
def test_every_xl_sample_parses_without_domain0(case: str) -> None:
    found = parse_xl_list(sample("xl-list", case), "xen1")
    assert found and all(g.hypervisor == "xen" and g.node == "xen1" for g in found)
    assert "Domain-0" not in {g.name for g in found}


def test_xl_blocked_guests_are_idle_and_running() -> None:
    found = by_name(parse_xl_list(sample("xl-list", "dom0-and-guests.txt"), "xen1"))
    assert list(found) == ["web01", "db01"]
    assert found["web01"].state == "idle" and found["web01"].running
    assert found["web01"].memory_kib == 2048 * 1024
    assert found["db01"].vcpus == 4 and found["db01"].cpu_time_s == pytest.approx(80442.1)
    assert found["db01"].id == "4"


def test_xl_paused_and_shutting_down() -> None:
    found = by_name(parse_xl_list(sample("xl-list", "paused-and-shutting-down.txt"), "xen1"))
    assert found["web02"].state == "paused" and not found["web02"].running
    assert found["mail"].state == "in shutdown" and not found["mail"].running


@pytest.mark.parametrize(("flags", "word"), [
    ("r-----", "running"),
    ("-b----", "idle"),
    ("--p---", "paused"),
    ("-bp---", "paused"),
    ("---s--", "in shutdown"),
    ("---sr-", "in shutdown"),
    ("---sc-", "crashed"),
    ("---s-d", "dying"),
    ("------", "running"),
    ("??????", "??????"),  # unknown: kept as printed
])
def test_xl_flags_become_virsh_words(flags: str, word: str) -> None:
    assert xl_state(flags) == word


def test_xl_long_name_shifts_the_row() -> None:
    name = "a-guest-name-that-is-longer-than-forty-characters"
    text = (
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
        f"{name:<40} {9:5d} {512:5d} {1:5d}     -b----  {3.5:8.1f}\n"
    )
    (guest,) = parse_xl_list(text, "xen1")
    assert guest.name == name and guest.id == "9" and guest.state == "idle"


@pytest.mark.parametrize("text", [
    "",
    sample("vzlist", "running-and-stopped.txt"),
    "Name                                        ID   Mem VCPUs\tState\tTime(s)\nweb01 3\n",
    "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
    "web01                                        x  2048     2     -b----   15221.7\n",
])
def test_xl_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xl_list(text, "xen1")


# --------------------------------------------------------------------------- vzlist


def test_vzlist_running_and_stopped() -> None:
    found = by_name(parse_vzlist(sample("vzlist", "running-and-stopped.txt"), "ovz1"))
    assert list(found) == ["101", "102", "103"]
    assert found["101"].running and found["101"].hypervisor == "openvz"
    assert found["103"].state == "stopped" and not found["103"].running
    assert found["103"].id == "103"


def test_vzlist_empty_and_garbage() -> None:
    assert parse_vzlist("", "ovz1") == ()
    with pytest.raises(ParseError):
        parse_vzlist(sample("xl-list", "dom0-and-guests.txt"), "ovz1")
    with pytest.raises(ParseError):
        parse_vzlist("      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n  101\n", "ovz1")


# --------------------------------------------------------------------------- reader


def libvirt_answers() -> dict[tuple[str, ...] | str, str | CommandResult]:
    return {
        VIRSH_LIST.argv: capture("list-all.node.txt"),
        VIRSH_URI.argv: "qemu:///system\n\n",
        VIRSH_AUTOSTART.argv: capture("list-all-name-autostart.node.txt"),
        VIRSH_DOMSTATS.argv: sample("virsh-domstats", "qemu-running-full.txt"),
    }


def libvirtd_down() -> CommandResult:
    return CommandResult(
        VIRSH_LIST.argv,
        stdout=capture("list-all.no-libvirtd.stdout.txt"),
        stderr=capture("list-all.no-libvirtd.stderr.txt"),
        returncode=int(capture("list-all.no-libvirtd.rc.txt")),
    )


def test_read_libvirt_node() -> None:
    reading = guests.read(ScriptedRunner(libvirt_answers(), node="hv1"))
    assert reading.status.ok and reading.status.detail == "virsh (kvm)"
    assert reading.value is not None
    found = by_name(reading.value)
    assert len(found) == 8 and found["web01"].hypervisor == "kvm"
    assert found["web01"].autostart is True and found["db01"].autostart is False
    assert found["backup vm"].autostart is True
    assert found["web01"].vcpus == 2 and found["web01"].node == "hv1"


def test_read_without_any_hypervisor_tool() -> None:
    reading = guests.read(ScriptedRunner({}))
    assert reading.value == () and reading.status.ok
    assert reading.status.detail == guests.NO_HYPERVISOR


def test_read_libvirtd_down_is_an_error() -> None:
    reading = guests.read(ScriptedRunner({VIRSH_LIST.argv: libvirtd_down()}))
    assert reading.value is None
    assert reading.status.error is not None
    assert "failed to connect to the hypervisor" in reading.status.error


def test_read_degrades_without_domstats_and_autostart() -> None:
    answers = libvirt_answers()
    answers[VIRSH_DOMSTATS.argv] = CommandResult(
        VIRSH_DOMSTATS.argv, stderr="error: unsupported flags\n", returncode=1)
    answers[VIRSH_AUTOSTART.argv] = "garbage without final newline"
    del answers[VIRSH_URI.argv]
    reading = guests.read(ScriptedRunner(answers))
    assert reading.status.ok and reading.value is not None
    found = by_name(reading.value)
    assert len(found) == 8 and found["web01"].vcpus is None
    assert found["web01"].autostart is None
    assert found["web01"].hypervisor == "libvirt"  # virsh uri did not answer


def test_read_garbage_from_virsh() -> None:
    reading = guests.read(ScriptedRunner({VIRSH_LIST.argv: "<html>oops</html>\n"}))
    assert reading.value is None
    assert reading.status.error is not None and "cannot parse virsh" in reading.status.error


def test_read_xen_and_openvz_together() -> None:
    runner = ScriptedRunner({
        XL_LIST.argv: sample("xl-list", "paused-and-shutting-down.txt"),
        VZLIST.argv: sample("vzlist", "running-and-stopped.txt"),
    })
    reading = guests.read(runner)
    assert reading.status.ok and reading.status.detail == "xl, vzlist"
    assert reading.value is not None
    assert {g.hypervisor for g in reading.value} == {"xen", "openvz"}
    assert len(reading.value) == 5


def test_read_xl_skipped_when_libvirt_manages_xen() -> None:
    answers = libvirt_answers()
    answers[VIRSH_URI.argv] = "xen:///system\n\n"
    answers[XL_LIST.argv] = sample("xl-list", "dom0-and-guests.txt")
    runner = ScriptedRunner(answers)
    reading = guests.read(runner)
    assert XL_LIST.argv not in runner.calls
    assert reading.value is not None and {g.hypervisor for g in reading.value} == {"xen"}


def test_read_one_tool_failing_beside_another() -> None:
    runner = ScriptedRunner({
        VIRSH_LIST.argv: libvirtd_down(),
        VZLIST.argv: sample("vzlist", "running-and-stopped.txt"),
    })
    reading = guests.read(runner)
    assert reading.value is not None and len(reading.value) == 3
    assert reading.status.error is not None and "virsh" in reading.status.error


def test_read_openvz_without_containers() -> None:
    # vzctl before bug #2149: "Container(s) not found" on stderr, exit code 1.
    old = CommandResult(VZLIST.argv, stderr="Container(s) not found\n", returncode=1)
    assert guests.read(ScriptedRunner({VZLIST.argv: old})).value == ()
    new = CommandResult(VZLIST.argv, stderr="Container(s) not found\n", returncode=0)
    assert guests.read(ScriptedRunner({VZLIST.argv: new})).value == ()


def test_read_vzlist_not_root() -> None:
    denied = CommandResult(VZLIST.argv, stderr="This program can only be run under root.\n",
                           returncode=1)
    reading = guests.read(ScriptedRunner({VZLIST.argv: denied}))
    assert reading.value is None and "root" in (reading.status.error or "")


@pytest.mark.skipif(shutil.which("virsh") is None, reason="virsh is not installed")
def test_read_with_the_real_virsh_and_test_driver() -> None:
    node_xml = Path(VIRSH / "node.xml").resolve()
    runner = LocalRunner(node="hv1", env={"LIBVIRT_DEFAULT_URI": f"test://{node_xml}"})
    reading = guests.read(runner)
    assert reading.value is not None, reading.status.error
    found = by_name(reading.value)
    assert found["backup vm"].state == "shut off" and found["web01"].running
    assert {g.hypervisor for g in found.values()} == {"test"}
    assert all(g.autostart is False for g in found.values())


def test_a_domstats_record_that_reads_as_before_gives_the_very_same_guest() -> None:
    """A dashboard reads every node's libvirt every second: a record whose text did not
    change (a stopped guest, an idle one) is not parsed again, and its guest is the very
    same object; one that changed is read afresh, as a parse of the whole text reads it."""
    stats = sample("virsh-domstats", "test-driver-state-only.txt")
    answers = {VIRSH_LIST.argv: "Id Name State\n---\n 1 web01 running\n - db01 paused\n",
               VIRSH_DOMSTATS.argv: stats}
    first = by_name(guests.read(ScriptedRunner(answers, node="hv-same")).value or ())
    changed = stats.replace("Domain: 'web01'\n  state.state=1\n  state.reason=0\n",
                            "Domain: 'web01'\n  state.state=1\n  state.reason=0\n"
                            "  cpu.time=5000000000\n")
    assert changed != stats
    answers = {**answers, VIRSH_DOMSTATS.argv: changed}
    second = by_name(guests.read(ScriptedRunner(answers, node="hv-same")).value or ())
    assert second["db01"] is first["db01"]
    assert second["web01"] is not first["web01"] and second["web01"].cpu_time_s == 5.0
    # What a whole parse gives, record for record.
    whole = parse_virsh_domstats(answers[VIRSH_DOMSTATS.argv])
    assert second["web01"].cpu_time_s == whole["web01"].cpu_time_s


@pytest.mark.parametrize("text", [
    "Domain: 'a'\n  x=1\n\n\n\nDomain: 'a'\n  y=2\n",  # a name twice: one record
    "\n\nDomain: 'a'\r\n  cpu.time=5\n\n",
    "Domain: 'a'\n  state.state=x\n\nfoo\n",  # the line error comes first, as whole
    "Domain: 'a'\n\n  k=v\n",
    "Domain: 'b'\n  k=v\r\rDomain: 'c'\n  k=1\n",
])
def test_domstats_read_by_record_agrees_with_a_whole_parse(text: str) -> None:
    from hadeck.sources.guests import _NodeGuests, _stats

    def outcome(parse: Callable[[str], object]) -> object:
        try:
            return parse(text)
        except ParseError as exc:
            return str(exc)

    whole = outcome(parse_virsh_domstats)
    assert outcome(lambda t: _stats(_NodeGuests(), _NodeGuests(), t)) == whole
