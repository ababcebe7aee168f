"""[lvm] and [backups] in the configuration: values, provenance, and refusals with the
line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.config import ConfigError, describe, load
from hadeck.sources.backups import RepoSpec

GOOD = """\
[lvm]
thin_data_warning = 70
thin_data_critical = 85.5
vg_free_warning = 10

[backups]
warning_hours = 30
full_every_days = 0

[backups.repos.vm1]
path = "/srv/backup/vm1"
node = "sun"
guest = "vm1"

[backups.repos.etc]
path = "/srv/backup/etc"
"""


def test_values_and_where_they_came_from(tmp_path: Path) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(GOOD)
    config = load(str(path))
    policy = config.policy
    assert (policy.thin_data_warning_percent, policy.thin_data_critical_percent) == (70, 85.5)
    assert policy.thin_metadata_warning_percent == 80  # the default
    assert policy.vg_free_warning_percent == 10
    assert (policy.backup_warning_hours, policy.backup_critical_hours) == (30, 50)
    assert policy.backup_full_every_days == 0
    assert config.backup_repos == (RepoSpec("vm1", "/srv/backup/vm1", "sun", "vm1"),
                                   RepoSpec("etc", "/srv/backup/etc"))
    rows = {key: (value, origin) for key, value, origin in describe(config)}
    assert rows["lvm.thin_data_warning"] == (70, f"--config {path}:2")
    assert rows["lvm.thin_metadata_warning"] == (80.0, "built-in default")
    assert rows["backups.repos.vm1.path"] == ("/srv/backup/vm1", f"--config {path}:10")
    assert rows["backups.repos.vm1.guest"][0] == "vm1"
    assert "backups.repos.etc.guest" not in rows


@pytest.mark.parametrize(("text", "message"), [
    ("[lvm]\nthin_data_warnin = 70\n", "unknown key lvm.thin_data_warnin (did you mean "
                                       "lvm.thin_data_warning?)"),
    ("[lvm]\nthin_data_warning = 101\n", "lvm.thin_data_warning must be a number from 0 "
                                         "to 100, not 101"),
    ("[lvm]\nthin_data_warning = 95\n", "lvm.thin_data_warning (95) is above "
                                        "lvm.thin_data_critical (90)"),
    ("[backups]\nwarning_hours = \"26\"\n", "backups.warning_hours must be a number"),
    ("[backups]\nwarning_hours = 60\n", "backups.warning_hours (60) is above "
                                        "backups.critical_hours (50)"),
    ("[backups.repos.vm1]\nguest = \"vm1\"\n", "backups.repos.vm1.path must be an absolute "
                                              "path"),
    ("[backups.repos.vm1]\npath = \"/x\"\nhost = \"sun\"\n", "unknown key "
                                                             "backups.repos.vm1.host"),
    ("[backups.repos.\"a b\"]\npath = \"/x\"\n", "a repository's name is letters, digits"),
    ("[backups.repos.vm1]\npath = 3\n", "backups.repos.vm1.path must be a string"),
])
def test_bad_values_are_refused_with_the_reason(tmp_path: Path, text: str,
                                                message: str) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(str(path))
    assert message in str(caught.value)
    assert f"{path}:" in str(caught.value)  # the file and line
