"""The journal: one private JSON line per executed action, redacted; ``hadeck journal``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from hadeck.actions import journal
from hadeck.lab.world import Lab

SECRET = "Sup3r-Secret-pw"


def test_a_line_says_who_what_and_how_it_ended(hadeck, lab: Lab, journal_file: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "alice")
    monkeypatch.setenv("SSH_CLIENT", "192.0.2.7 50122 22")
    assert hadeck("standby", "jupiter1", "--yes").code == 0
    (line,) = journal_file.read_text().splitlines()
    entry = json.loads(line)
    assert entry["who"]["sudo_user"] == "alice"
    assert entry["who"]["ssh_client"] == "192.0.2.7"
    assert entry["who"]["user"]
    assert entry["time"].endswith("+00:00")
    assert entry["request"]["verb"] == "standby"
    assert entry["request"]["target"] == "jupiter1"
    assert entry["summary"] == "standby jupiter1: Pacemaker moves its resources away"
    assert "g_services: move jupiter1 → jupiter2" in entry["preview"]["text"]
    assert {c["name"]: c["ok"] for c in entry["checks"]}["quorum"] is True
    assert entry["commands"] == [{
        "node": "jupiter1",
        "argv": ["crm_attribute", "-N", "jupiter1", "-n", "standby", "-v", "on", "-l",
                 "forever"],
        "exit_code": 0, "error": None, "output": ""}]
    assert entry["outcome"] == "done"
    assert entry["exit_code"] == 0
    assert "jupiter1 is in standby" in entry["verified"]
    assert entry["cluster"] == "lab"
    assert stat.S_IMODE(journal_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal_file.parent.stat().st_mode) == 0o700


def test_hadeck_journal_prints_it(hadeck, lab: Lab) -> None:
    assert "no actions recorded" in hadeck("journal").out
    assert hadeck("ban", "vm2", "jupiter2", "--yes").code == 0
    assert hadeck("clear", "vm2", "--yes").code == 0
    lines = hadeck("journal").out.splitlines()
    assert len(lines) == 2
    assert "ban vm2 from jupiter2 → done (exit 0): vm2 does not run on jupiter2" in lines[0]
    assert "clear cli-ban-vm2-on-jupiter2 → done" in lines[1]
    entries = json.loads(hadeck("journal", "--json").out)
    assert [e["request"]["verb"] for e in entries] == ["ban", "clear"]


def test_no_secret_reaches_the_journal(hadeck, lab: Lab, journal_file: Path) -> None:
    cib = str(lab.directory / "pacemaker" / "cib.xml")
    subprocess.run(["crm_resource", "-r", "svc_dummy", "-p", "passwd", "-v", SECRET],
                   env={**os.environ, "CIB_file": cib}, check=True, capture_output=True)
    assert hadeck("move", "g_services", "jupiter2", "--yes").code == 0
    assert journal_file.read_text().count("g_services") > 0
    assert SECRET not in journal_file.read_text()
    # A tool that echoes a secret, a field named like one, a value the caller knows.
    journal.append({"commands": [{"output": f"error: passwd={SECRET} refused"}],
                    "password": SECRET})
    journal.append({"commands": [{"output": f"it was {SECRET}"}]}, {SECRET})
    assert SECRET not in journal_file.read_text()
    assert "it was ***" in journal_file.read_text()


def test_a_symlink_at_the_journal_is_not_written_through(
        hadeck, lab: Lab, journal_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    journal_file.parent.mkdir(mode=0o700)
    journal_file.symlink_to(target)
    ran = hadeck("standby", "jupiter1", "--yes")
    assert ran.code == 0
    assert "journal: not written" in ran.out and "symbolic link" in ran.out
    assert target.read_text() == ""


def test_a_secret_parameter_on_a_command_line_is_redacted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An action that sets a fence device's passwd: the value is on crm_resource's argv,
    # where no field is named like a secret, and in the text that quotes the command.
    where = tmp_path / "actions.jsonl"
    monkeypatch.setenv(journal.ENV, str(where))
    journal.append({
        "commands": [
            {"node": "n1", "argv": ["crm_resource", "-r", "fence1", "-p", "passwd", "-v",
                                    SECRET], "exit_code": 1,
             "output": f"crm_resource -r fence1 -p passwd -v {SECRET}: no such resource"},
            {"node": "n1", "argv": ["crm_resource", "--resource", "fence1",
                                    "--set-parameter=ipmi_pw", f"--parameter-value={SECRET}"]},
            {"node": "n1", "argv": ["crm_attribute", "-N", "n1", "-n", "secret_token",
                                    "--update", SECRET]},
            {"node": "n1", "argv": ["crm_resource", "-r", "ip1", "-p", "ip", "-v",
                                    "192.0.2.10"]},
        ],
        "request": {"verb": "param", "target": "fence1", "params": {"passwd": SECRET}},
        "verified": f"crm_resource -r fence1 -p passwd -v '{SECRET}' failed on n1",
    })
    text = where.read_text()
    assert SECRET not in text
    (entry,) = journal.read(where)
    first, second, third, plain = (c["argv"] for c in entry["commands"])
    assert first == ["crm_resource", "-r", "fence1", "-p", "passwd", "-v", "***"]
    assert second[-1] == "--parameter-value=***"
    assert third[-1] == "***"
    # What is not secret stays, to be audited.
    assert plain == ["crm_resource", "-r", "ip1", "-p", "ip", "-v", "192.0.2.10"]
    assert entry["request"]["params"] == {"passwd": "***"}
    assert entry["verified"] == "crm_resource -r fence1 -p passwd -v *** failed on n1"
    assert stat.S_IMODE(where.stat().st_mode) == 0o600


def test_the_journal_appends_and_never_follows_a_symlink(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "actions.jsonl"
    monkeypatch.setenv(journal.ENV, str(where))
    where.write_text('{"summary": "an older action"}\n')
    where.chmod(0o644)  # a journal from before the rule
    journal.append({"summary": "a new one"})
    assert [e["summary"] for e in journal.read()] == ["an older action", "a new one"]
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    # A symlink planted at the journal: to a file, or dangling (it would create one).
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    for link, to in ((tmp_path / "to-file.jsonl", victim),
                     (tmp_path / "dangling.jsonl", tmp_path / "created")):
        link.symlink_to(to)
        monkeypatch.setenv(journal.ENV, str(link))
        with pytest.raises(journal.WriteError, match="symbolic link"):
            journal.append({"summary": "x"})
    assert victim.read_text() == "keep me\n"
    assert not (tmp_path / "created").exists()


def test_the_journal_never_follows_a_symlinked_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#17: the journal's directory swapped for a symlink (``hadeck → /etc``) is refused;
    nothing is written where it points."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "hadeck").symlink_to(elsewhere)
    monkeypatch.setenv(journal.ENV, str(tmp_path / "hadeck" / "actions.jsonl"))
    with pytest.raises(journal.WriteError, match="hadeck: is a symbolic link"):
        journal.append({"summary": "x"})
    assert list(elsewhere.iterdir()) == []


def test_the_journal_makes_its_missing_directories_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symlink the writer owns above the journal is followed (a site's /var/log → /srv
    link); the levels hadeck makes are 0700 and the file 0600."""
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "mine").symlink_to(real)
    monkeypatch.setenv(journal.ENV, str(tmp_path / "mine" / "state" / "hadeck" / "j.jsonl"))
    journal.append({"summary": "x"})
    made = real / "state" / "hadeck"
    assert [e["summary"] for e in journal.read()] == ["x"]
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((real / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((made / "j.jsonl").stat().st_mode) == 0o600


def test_the_journal_refuses_a_directory_others_may_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone could swap the journal for a file of their own
    monkeypatch.setenv(journal.ENV, str(shared / "actions.jsonl"))
    with pytest.raises(journal.WriteError, match=r"others may write in it \(mode 0777\)"):
        journal.append({"summary": "x"})
    assert list(shared.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a link and a directory "
                                              "to another user (lchown)")
def test_the_journal_refuses_what_another_user_planted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root: a symlink above the journal owned by another user is not followed, and a
    directory another user owns is not written into."""
    nobody = 65534
    victim = tmp_path / "etc"
    victim.mkdir(mode=0o700)
    link = tmp_path / "planted"
    link.symlink_to(victim)
    os.lchown(link, nobody, nobody)
    monkeypatch.setenv(journal.ENV, str(link / "hadeck" / "actions.jsonl"))
    with pytest.raises(journal.WriteError, match="symbolic link owned by uid 65534"):
        journal.append({"summary": "x"})
    assert list(victim.iterdir()) == []
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, nobody, nobody)
    monkeypatch.setenv(journal.ENV, str(theirs / "actions.jsonl"))
    with pytest.raises(journal.WriteError, match="belongs to uid 65534"):
        journal.append({"summary": "x"})
    assert list(theirs.iterdir()) == []
