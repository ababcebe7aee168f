"""Actions on a real lab: one seeded lab per session, copied for each test, its clock
frozen; the journal in the test's own directory. What the tests read back comes from the
real crm_mon and cibadmin on the lab's CIB, not from hadeck."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadeck.cli.main import main
from hadeck.lab.world import Lab


@pytest.fixture
def lab(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """A private copy of the seed lab; ``$HADECK_LAB`` and ``$HADECK_JOURNAL`` point into
    the test's directory (no configuration file is read)."""
    target = tmp_path / "lab"
    shutil.copytree(pristine, target)
    monkeypatch.setenv("HADECK_LAB", str(target))
    monkeypatch.setenv("HADECK_JOURNAL", str(tmp_path / "state" / "actions.jsonl"))
    monkeypatch.delenv("HADECK_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield Lab(target)


@pytest.fixture
def journal_file(lab: Lab) -> Path:
    return Path(os.environ["HADECK_JOURNAL"])


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def hadeck(lab: Lab, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``hadeck ARGS --lab`` in process (``hadeck journal`` reads no cluster: no
    ``--lab``); returns its exit code, stdout and stderr."""
    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main([*args] if args[0] == "journal" else [*args, "--lab"])
        got = capsys.readouterr()
        return Ran(code, got.out, got.err)
    return run


def crm_mon(lab: Lab) -> ET.Element:
    """The real crm_mon's XML on the lab's CIB."""
    out = subprocess.run(["crm_mon", "--output-as=xml"], capture_output=True, text=True,
                         env={**os.environ, "CIB_file": str(lab.directory / "pacemaker" /
                                                               "cib.xml")}, check=True)
    return ET.fromstring(out.stdout)


def constraints(lab: Lab) -> list[str]:
    """The ids of the lab CIB's location constraints (the real cibadmin)."""
    out = subprocess.run(["cibadmin", "-Q", "-o", "constraints"], capture_output=True,
                         text=True, check=True,
                         env={**os.environ, "CIB_file": str(lab.directory / "pacemaker" /
                                                            "cib.xml")})
    return [el.get("id", "") for el in ET.fromstring(out.stdout).iter("rsc_location")]


def running_on(root: ET.Element, rsc: str) -> list[str]:
    """Nodes where crm_mon shows the primitive ``rsc`` active."""
    return sorted({n.get("name", "") for r in root.iter("resource") if r.get("id") == rsc
                   and r.get("active") == "true" for n in r.iter("node")})


def node(root: ET.Element, name: str) -> ET.Element:
    found = next((n for n in root.find("nodes") or () if n.get("name") == name), None)
    assert found is not None, name
    return found


def promoted_on(root: ET.Element, rsc: str) -> list[str]:
    return sorted({n.get("name", "") for r in root.iter("resource") if r.get("id") == rsc
                   and r.get("role") == "Promoted" for n in r.iter("node")})
