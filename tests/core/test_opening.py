"""``open_cluster``: every kind of access with its configuration, every failure one error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hadeck.collect import LiveAccess
from hadeck.config import describe
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab, lab_directory
from hadeck.opening import OpenError, open_cluster
from hadeck.snapshot import BundleAccess
from tests import bundles


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("crm_simulate") and shutil.which("crm_mon")):
        pytest.skip("pacemaker-cli-utils (crm_simulate, crm_mon) not installed")
    directory = tmp_path_factory.mktemp("opening") / "lab"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


def test_live_local_reads_this_node_only(tmp_path: Path) -> None:
    opened = open_cluster(str(_config(tmp_path, "")), local=True, node="alpha")
    assert isinstance(opened.access, LiveAccess)
    assert opened.access.local.node == "alpha"
    assert opened.config.peers == "none"
    assert open_cluster(str(_config(tmp_path, ""))).config.peers == "ssh"


def test_bundle_is_seen_from_its_host(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b")
    opened = open_cluster(str(_config(tmp_path, "")), bundle=str(bundle), node="ignored")
    assert isinstance(opened.access, BundleAccess)
    assert opened.access.local.node == "jupiter1"


@pytest.mark.pacemaker
def test_lab_brings_its_expected_real_servers_and_the_site_wins(seeded: Path,
                                                                 tmp_path: Path) -> None:
    config = _config(tmp_path, '[lvs.expected]\n"TCP 192.0.2.80:22" = 5\n')
    opened = open_cluster(str(config), lab=str(seeded), node="lvs1")
    assert isinstance(opened.access, LabAccess)
    assert opened.access.local.node == "lvs1"
    assert dict(opened.config.policy.expected_real_servers) == {
        "TCP 192.0.2.80:80": 3, "TCP 192.0.2.80:22": 5}
    # `hadeck config --lab` says which count came from where.
    origins = {key: origin for key, _, origin in describe(opened.config)}
    assert origins['lvs.expected."TCP 192.0.2.80:80"'] == f"the lab's keepalived ({seeded})"
    assert origins['lvs.expected."TCP 192.0.2.80:22"'] == f"--config {config}:2"


def test_local_is_said_to_come_from_the_command_line(tmp_path: Path) -> None:
    opened = open_cluster(str(_config(tmp_path, "[cluster]\ntimeout = 7\n")), local=True)
    origins = {key: origin for key, _, origin in describe(opened.config)}
    assert origins["cluster.peers"] == "command line (--local)"
    assert opened.access.local.timeout == 7


@pytest.mark.pacemaker
def test_lab_without_a_directory_is_HADECK_LAB(seeded: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADECK_LAB", str(seeded))
    assert lab_directory("") == seeded
    assert lab_directory(str(tmp_path)) == tmp_path
    opened = open_cluster(str(_config(tmp_path, "")), lab="", create_lab=False)
    assert isinstance(opened.access, LabAccess)
    assert opened.access.lab.directory == seeded
    monkeypatch.delenv("HADECK_LAB")
    assert lab_directory("") == Path("~/.local/share/hadeck/lab").expanduser()


@pytest.mark.pacemaker
def test_every_failure_is_one_open_error(seeded: Path, tmp_path: Path) -> None:
    good = str(_config(tmp_path, ""))
    with pytest.raises(OpenError, match=r"^configuration: .*bad\.toml"):
        open_cluster(str(_config(tmp_path, "[cluster\n", "bad.toml")))
    with pytest.raises(OpenError, match=r"^cannot read bundle: .*no such file or directory"):
        open_cluster(good, bundle=str(tmp_path / "missing.tar.gz"))
    with pytest.raises(OpenError, match=r"^cannot open the lab: no lab in "):
        open_cluster(good, lab=str(tmp_path / "nolab"), create_lab=False)
    with pytest.raises(OpenError, match=r"^cannot open the lab: no node 'pluto' in .*; its "
                                        r"nodes are jupiter1, jupiter2, sun, lvs1, lvs2$"):
        open_cluster(good, lab=str(seeded), node="pluto")


def _config(tmp_path: Path, text: str, name: str = "hadeck.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path
