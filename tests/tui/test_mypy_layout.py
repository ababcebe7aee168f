"""mypy sees every mapped package under its installed name (.typecheck/README.md).

``hadeck.tui``, ``hadeck.checks`` and ``hadeck.actions`` live outside ``hadeck/``; mypy
reaches them through links in ``.typecheck/hadeck/``. A package mapped in
``[tool.setuptools] package-dir`` without its link would go unchecked, or make
``mypy hadeck`` fail on an import it cannot find.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / ".typecheck" / "hadeck"


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_mapped_package_is_linked_where_mypy_looks() -> None:
    data = _pyproject()
    mapping = data["tool"]["setuptools"]["package-dir"]
    mypy = data["tool"]["mypy"]
    files = set(mypy["files"])
    assert mypy["mypy_path"] == "$MYPY_CONFIG_FILE_DIR/.typecheck"
    assert "hadeck" in files
    assert (TREE / "__init__.py").resolve() == ROOT / "hadeck" / "__init__.py"
    for package, directory in mapping.items():
        if package == "hadeck":
            continue
        parent, _, name = package.rpartition(".")
        assert parent == "hadeck", f"{package}: only hadeck.<name> packages are linked"
        link = TREE / name
        assert link.is_symlink() and link.resolve() == (ROOT / directory).resolve(), (
            f"{package} is mapped to {directory}/: link it for mypy with "
            f"`ln -s ../../{directory} .typecheck/hadeck/{name}`")
        assert f".typecheck/hadeck/{name}" in files, (
            f"add \".typecheck/hadeck/{name}\" to [tool.mypy] files in pyproject.toml")


def test_no_link_is_left_for_a_package_that_went_away() -> None:
    mapping = _pyproject()["tool"]["setuptools"]["package-dir"]
    linked = {p.name for p in TREE.iterdir() if p.is_symlink() and p.name != "__init__.py"}
    assert linked == {package.rpartition(".")[2] for package in mapping if package != "hadeck"}
