"""The import contracts of pyproject.toml (``[tool.importlinter]``) hold, and they bite.

The faces live beside the core (``tui/``, ``checks/``, ``actions/``, ``cli/``) and are
installed as ``hadeck.tui`` … through ``[tool.setuptools.package-dir]``. import-linter
reads packages from the file system, so in a source tree or an editable install it would
not find ``hadeck.tui`` at all. :func:`stage` lays the package out as it is installed
(symbolic links, from the package-dir table), and ``lint-imports`` runs there.

Run it by hand: ``python tests/core/test_import_contracts.py`` (exit code of
``lint-imports``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def lint_imports() -> str:
    """The ``lint-imports`` beside this interpreter, or the one on PATH."""
    beside = Path(sys.executable).parent / "lint-imports"
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.skip("import-linter is not installed (pip install import-linter)")
    return found


def package_dirs() -> dict[str, str]:
    """``[tool.setuptools.package-dir]``: package → its directory in the source tree."""
    table: dict[str, str] = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"][
        "package-dir"]
    return table


def stage(target: Path, copies: tuple[str, ...] = ()) -> Path:
    """Lay out the ``hadeck`` package under ``target`` as it is installed.

    Args:
        target: an empty directory.
        copies: files (package-relative, ``hadeck/model/drbd.py``) to copy rather than link,
            so that a test may change them.

    Returns:
        ``target``, to run ``lint-imports`` in.
    """
    for package, source in package_dirs().items():
        home = target.joinpath(*package.split("."))
        for path in sorted((ROOT / source).rglob("*")):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            place = home / path.relative_to(ROOT / source)
            place.parent.mkdir(parents=True, exist_ok=True)
            if place.relative_to(target).as_posix() in copies:
                shutil.copy(path, place)
            else:
                place.symlink_to(path)
    return target


def run_lint(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([lint_imports(), "--no-cache", str(PYPROJECT)],
                          cwd=directory, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold(tmp_path: Path) -> None:
    run = run_lint(stage(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


FORBIDDEN = (
    ("hadeck/model/drbd.py", "import hadeck.cli.main", "Layers", "hadeck.cli.main"),
    ("hadeck/watch/poller.py", "from textual.message import Message", "textual or rich",
     "textual"),
    ("hadeck/sources/drbd.py", "from hadeck.health import judge", "Sources only read",
     "hadeck.health"),
    ("checks/drbd.py", "import hadeck.tui.app", "Layers", "hadeck.tui.app"),
    ("actions/contract.py", "from hadeck.tui.fmt import badge", "Layers", "hadeck.tui.fmt"),
)
"""(file in the source tree, an import it must not make, the contract that forbids it, the
module the report names: an outside package by its top-level name)."""


def test_forbidden_imports_break_the_contracts(tmp_path: Path) -> None:
    """One staged tree with every forbidden import above: each is reported, and broken."""
    staged = {}
    for module, *_ in FORBIDDEN:
        source_dir, name = module.split("/", 1)
        package = next(p for p, d in package_dirs().items() if d == source_dir)
        staged[module] = package.replace(".", "/") + "/" + name
    directory = stage(tmp_path, copies=tuple(staged.values()))
    for module, line, *_ in FORBIDDEN:
        with open(directory / staged[module], "a", encoding="utf-8") as handle:
            handle.write(f"\n{line}  # forbidden\n")
    run = run_lint(directory)
    assert run.returncode == 1, run.stdout
    assert "Contracts: 0 kept, 3 broken." in run.stdout, run.stdout
    broken = broken_sections(run.stdout)
    for module, _, contract, imported in FORBIDDEN:
        importer = staged[module].removesuffix(".py").replace("/", ".")
        (section,) = [text for name, text in broken.items() if contract in name]
        assert f"{importer} -> {imported} " in section, (module, section)


def broken_sections(report: str) -> dict[str, str]:
    """The "Broken contracts" part of a report: contract name → what it says."""
    part = report.split("Broken contracts\n----------------\n", 1)[1]
    headers = list(re.finditer(r"^(\S.*)\n-+$", part, re.MULTILINE))
    return {h.group(1): part[h.end():nxt.start() if nxt else len(part)]
            for h, nxt in zip(headers, [*headers[1:], None], strict=True)}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        result = run_lint(stage(Path(tmp)))
        print(result.stdout + result.stderr, end="")
        sys.exit(result.returncode)
