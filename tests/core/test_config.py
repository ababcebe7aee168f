"""The optional TOML configuration: defaults, precedence and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.config import Config, ConfigError, load
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
