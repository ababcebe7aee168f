"""The optional TOML configuration: defaults, precedence and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.cli.main import main
from hadeck.config import Config, ConfigError, describe, key_lines, load
from hadeck.model import Health


def test_no_file_means_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HADECK_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("hadeck.config.SEARCH_PATH", (tmp_path / "none.toml",))
    assert load() == Config()


def test_file_values(tmp_path: Path) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(
        '[cluster]\npeers = "none"\ndirectors = ["lvs1", "lvs2"]\ntimeout = 4\n'
        '[lvs.expected]\n"TCP 192.0.2.10:80" = 3\n'
        '[drbd.states]\nSyncTarget = "ok"\n'
    )
    config = load(str(path))
    assert config.peers == "none"
    assert config.directors == ("lvs1", "lvs2")
    assert config.timeout == 4.0
    assert config.policy.expected_real_servers == {"TCP 192.0.2.10:80": 3}
    assert config.policy.drbd_states == {"SyncTarget": Health.OK}
    assert config.path == str(path)


def test_env_overrides_search_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "env.toml"
    path.write_text('[cluster]\nextra_nodes = ["qdevice"]\n')
    monkeypatch.setenv("HADECK_CONFIG", str(path))
    assert load().extra_nodes == ("qdevice",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cluster\n", "Expected ']'"),
        ('[cluster]\npeers = "telnet"\n', "cluster.peers must be 'ssh' or 'none'"),
        ('[drbd.states]\nSyncTarget = "GREEN"\n', "GREEN"),
        ('cluster = 3\n', "[cluster] must be a table"),
        ('[cluster]\ntimeout = "ten"\n',
         ":2: cluster.timeout must be a positive number of seconds, not 'ten'"),
        ('[cluster]\ntimeout = 0\n', ":2: cluster.timeout must be a positive number"),
        ('[ssh]\noptions = "-v"\n', ":2: ssh.options must be a list of strings"),
        ('[lvs.expected]\n"TCP 192.0.2.10:80" = "three"\n',
         ':2: lvs.expected."TCP 192.0.2.10:80" must be a whole number'),
    ],
)
def test_bad_files_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(str(path))


def test_named_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load(str(tmp_path / "missing.toml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('# site settings\n[cluster]\npeers = "none"\ntimout = 3\n',
         ":4: unknown key cluster.timout (did you mean cluster.timeout?)"),
        ('[cluster]\ndirector = ["lvs1"]\n',
         ":2: unknown key cluster.director (did you mean cluster.directors?)"),
        ('peers = "none"\ncluster.timout = 3\n',
         ":1: unknown key peers (did you mean cluster.peers?)"),
        ('[cluster]\npeers = "none"\n\n[clustr]\ntimeout = 3\n',
         ":4: unknown table [clustr] (did you mean [cluster]?)"),
        ('[lvs.expectd]\n"TCP 192.0.2.10:80" = 3\n',
         ":1: unknown table [lvs.expectd] (did you mean [lvs.expected]?)"),
        ('[drbd]\nstates.SyncTarget = "OK"\nstate.Outdated = "OK"\n',
         ":3: unknown table [drbd.state] (did you mean [drbd.states]?)"),
        ('[snmpd]\ncommunity = "public"\n', ":1: unknown table [snmpd] (did you mean [snmp]?)"),
    ],
)
def test_unknown_keys_name_the_line_and_the_nearest_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load(str(path))
    assert str(raised.value) == f"{path}{message}"


def test_key_lines_follow_tables_dotted_keys_and_skip_multiline_strings() -> None:
    text = ('note = """\n[cluster]\ntimeout = 1\n"""\n'
            '[cluster]\n  timeout = 3 # seconds\n'
            '[lvs.expected]\n"TCP 192.0.2.10:80" = 3\n'
            "[drbd]\nstates . 'SyncTarget' = \"OK\"\n")
    lines = key_lines(text)
    assert lines[("note",)] == 1
    assert lines[("cluster",)] == 5 and lines[("cluster", "timeout")] == 6
    assert lines[("lvs", "expected", "TCP 192.0.2.10:80")] == 8
    assert lines[("drbd", "states")] == 10 and lines[("drbd", "states", "SyncTarget")] == 10


def test_every_value_says_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[cluster]\ntimeout = 30\n\n[lvs.expected]\n"TCP 192.0.2.10:80" = 3\n')
    monkeypatch.setenv("HADECK_CONFIG", str(path))
    assert main(["config", "--local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"# file: {path}"
    rows = {line.split(" = ")[0]: (line.split(" = ", 1)[1].split("  # ")[0].strip(),
                                   line.split("  # ")[1]) for line in out[1:]}
    assert rows["cluster.timeout"] == ("30.0", f"$HADECK_CONFIG {path}:2")
    assert rows['lvs.expected."TCP 192.0.2.10:80"'] == ("3", f"$HADECK_CONFIG {path}:5")
    assert rows["cluster.peers"] == ('"none"', "command line (--local)")
    assert rows["cluster.directors"] == ("[]", "built-in default")
    assert rows["drbd.states"] == ("{}", "built-in default")
    assert set(rows) >= {"cluster.extra_nodes", "ssh.options"}
    # --config names the file instead; a file found on the search path is just itself.
    assert main(["config", "--config", str(path)]) == 0
    assert f"# --config {path}:2" in capsys.readouterr().out
    monkeypatch.delenv("HADECK_CONFIG")
    monkeypatch.setattr("hadeck.config.SEARCH_PATH", (path,))
    assert load().origins["cluster.timeout"] == f"{path}:2"


def test_a_bad_file_is_one_clear_line_from_hadeck_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text("[cluster]\ntimout = 3\n")
    assert main(["config", "--config", str(path)]) == 3
    assert capsys.readouterr().err == (
        f"hadeck: configuration: {path}:2: unknown key cluster.timout "
        "(did you mean cluster.timeout?)\n")



def test_a_director_down_is_as_bad_as_the_file_says(tmp_path: Path) -> None:
    # lvs2 is MASTER and lvs1 cannot be reached: redundancy lost, WARNING by default.
    from hadeck.health import judge
    from hadeck.model import ClusterState, LvsDirector, SourceStatus, VrrpInstance

    state = ClusterState(
        taken_at=0.0, local_node="lvs2",
        lvs=(LvsDirector("lvs2", vrrp=(VrrpInstance("VI_1", "MASTER", "lvs2"),)),),
        sources=(SourceStatus("node", "lvs1", 0.0, 0.0, error="ssh lvs1: connect to host "
                              "lvs1 port 22: No route to host"),))
    site = tmp_path / "hadeck.toml"
    base = '[cluster]\ndirectors = ["lvs1", "lvs2"]\n'
    site.write_text(base)
    assert judge(state, load(str(site)).policy).overall == Health.WARNING
    site.write_text(base + '[lvs]\ndirector_down = "critical"\n')
    config = load(str(site))
    judgement = judge(state, config.policy)
    assert judgement.overall == Health.CRITICAL
    assert any(v.reason.startswith("director lvs1 down") for v in judgement.verdicts)
    # ``hadeck config`` shows it with its line.
    assert ("lvs.director_down", "CRITICAL", f"--config {site}:4") in describe(config)


@pytest.mark.parametrize("value", ['"OK"', "2", '"red"', "true"])
def test_a_wrong_director_down_is_refused_with_its_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(f'[lvs]\n\ndirector_down = {value}\n')
    with pytest.raises(ConfigError) as raised:
        load(str(path))
    assert str(raised.value) == (f'{path}:3: lvs.director_down must be "WARNING" or '
                                 f'"CRITICAL", not {value.replace(chr(34), chr(39))}'
                                 .replace("true", "True"))
