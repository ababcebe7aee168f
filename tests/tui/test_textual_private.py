"""Textual's private API: two modules use it, on the pinned Textual, and it is all there.

``hadeck.tui.tables`` reaches under DataTable's public methods for speed, and
``hadeck.tui.footer`` under Footer's watchers to stop a leak (their docstrings say what
and why). A Textual upgrade must fail here, naming what moved, and not deep in a screen
at run time.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from textual.app import App
from textual.cache import LRUCache
from textual.widgets import DataTable

import hadeck.tui
from hadeck.tui import footer, tables

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PRIVATE_MODULE = "hadeck.tui.tables"
PRIVATE_MODULES = (PRIVATE_MODULE, "hadeck.tui.footer")


def _pins() -> dict[str, str]:
    """Every requirement pinned exactly (``name==version``): runtime and test extras."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    requirements = list(project["dependencies"])
    requirements += project.get("optional-dependencies", {}).get("test", [])
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;,]+)\s*", requirement)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_the_installed_textual_is_the_pinned_one() -> None:
    pinned = _pins().get("textual")
    assert pinned, (f"{PYPROJECT} must pin Textual exactly (textual==X.Y.Z): "
                    f"{PRIVATE_MODULE} uses its private DataTable API")
    installed = version("textual")
    assert installed == pinned, (
        f"Textual {installed} is installed but pyproject.toml pins textual=={pinned}. "
        f"{PRIVATE_MODULE} uses Textual's private DataTable API (listed in its docstring): "
        f"install the pinned version, or move the pin only after checking that API, "
        f"re-running the table benchmarks and the SVG snapshots on the new version.")


@pytest.mark.parametrize("name", sorted(_pins()))
def test_every_exact_pin_is_the_installed_version(name: str) -> None:
    # rich draws the SVG snapshots, mypy decides which ignores are needed: an exact pin
    # that the environment does not honour makes other tests fail for the wrong reason.
    pinned = _pins()[name]
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(f"pyproject.toml pins {name}=={pinned}, which is not installed")
    assert installed == pinned, (f"{name} {installed} is installed but pyproject.toml "
                                 f"pins {name}=={pinned}: reinstall the test extras")


def test_the_private_names_the_tables_use_exist_on_the_installed_textual() -> None:
    table = DataTable[object]()
    missing = [name for name in tables.PRIVATE_ATTRIBUTES if not hasattr(table, name)]
    assert not missing, (f"Textual {version('textual')}'s DataTable lacks {missing}, "
                         f"which {PRIVATE_MODULE} uses: see its docstring before upgrading")
    # The shapes the diff table writes into, as DataTable itself writes them.
    from textual._two_way_dict import TwoWayDict

    assert isinstance(table._row_locations, TwoWayDict)
    assert isinstance(table._data, dict) and isinstance(table._new_rows, set)
    assert isinstance(table._updated_cells, set) and isinstance(table._update_count, int)
    for cache in ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache",
                  "_line_cache"):
        assert isinstance(getattr(table, cache), LRUCache), cache
    assert list(inspect.signature(DataTable._update_dimensions).parameters) == \
        ["self", "new_rows"], "DataTable._update_dimensions, overridden by DiffTable, changed"
    assert list(inspect.signature(DataTable._highlight_cursor).parameters) == ["self"]


def test_the_footer_finds_the_watchers_it_prunes_on_the_installed_textual() -> None:
    # Footer keeps its watchers as a dict set with setattr under this very name, and a
    # node has the flag Textual itself prunes watchers by; the pruning works end to end
    # in tests/tui/test_soak.py (removed footer keys are freed).
    import textual.reactive
    from textual.message_pump import MessagePump

    watchers, closing = footer.PRIVATE_ATTRIBUTES
    source = inspect.getsource(textual.reactive)
    assert f'setattr(obj, "{watchers}", {{}})' in source, (
        f"Textual {version('textual')} no longer keeps watchers in {watchers!r}: "
        f"see hadeck/tui/footer.py")
    assert f"reactable.{closing}" in source, (
        f"Textual {version('textual')} no longer prunes watchers by {closing!r}")
    assert closing in _privates_of(MessagePump)
    from textual._styles_cache import StylesCache

    assert callable(StylesCache.get_inner_outer.cache_clear)


def _private_attributes(node: ast.AST) -> set[str]:
    """The ``_name`` attributes read or written anywhere under ``node``."""
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            and n.attr.startswith("_") and not n.attr.startswith("__")}


def test_the_list_of_private_names_is_what_the_table_uses() -> None:
    source = ast.parse(inspect.getsource(tables.DiffTable))
    cls = source.body[0]
    assert isinstance(cls, ast.ClassDef)
    own = {f.name for f in cls.body if isinstance(f, ast.FunctionDef)
           if not hasattr(DataTable, f.name)}
    used = _private_attributes(cls) - own
    assert used == set(tables.PRIVATE_ATTRIBUTES), (
        "PRIVATE_ATTRIBUTES in hadeck/tui/tables.py must list exactly the DataTable "
        f"private names DiffTable uses: missing {sorted(used - set(tables.PRIVATE_ATTRIBUTES))}"
        f", unused {sorted(set(tables.PRIVATE_ATTRIBUTES) - used)}")


@functools.cache
def _privates_of(base: type) -> frozenset[str]:
    """The private names one Textual class defines or assigns to ``self``."""
    names = {n for n in vars(base) if n.startswith("_") and not n.startswith("__")}
    try:
        names |= set(re.findall(r"self\.(_[A-Za-z]\w*)\s*[:=]", inspect.getsource(base)))
    except (OSError, TypeError):  # pragma: no cover - a class without source
        pass
    return frozenset(names)


def _textual_private_names(cls: type) -> set[str]:
    """The private names of Textual's classes in ``cls``'s ancestry, of the App every
    widget reaches (``self.app``) and of the DataTable the screens hold."""
    bases = [*cls.__mro__, *App.__mro__, *DataTable.__mro__]
    return set().union(*(_privates_of(base) for base in bases
                         if base.__module__.startswith("textual")))


def _imported_names(tree: ast.AST) -> set[str]:
    """Every module and every ``module.name`` that ``tree`` imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _dashboard_modules() -> list[str]:
    return sorted(f"hadeck.tui.{m.name}" for m in pkgutil.iter_modules(hadeck.tui.__path__))


@pytest.mark.parametrize("module_name", _dashboard_modules())
def test_only_the_tables_module_touches_textual_private_api(module_name: str) -> None:
    if module_name in PRIVATE_MODULES:
        return
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    private_imports = sorted(name for name in _imported_names(tree)
                             if name.split(".")[0] == "textual"
                             and any(part.startswith("_") for part in name.split(".")))
    assert not private_imports, (f"{module_name} imports Textual's private "
                                 f"{private_imports}: keep that in "
                                 f"{PRIVATE_MODULE}")
    for cls in vars(module).values():
        if not (isinstance(cls, type) and cls.__module__ == module_name):
            continue
        if not any(b.__module__.startswith("textual") for b in cls.__mro__[1:]):
            continue
        touched = _private_attributes(ast.parse(inspect.getsource(cls)))
        clash = touched & _textual_private_names(cls)
        assert not clash, (f"{module_name}.{cls.__name__} touches Textual's private "
                           f"{sorted(clash)}: keep that in {PRIVATE_MODULE}")
