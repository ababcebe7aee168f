"""``hadeck status`` renders in linear time, and its fast tables draw exactly what rich would.

The work is counted, not timed: every verdict the view reads through the judgement (each
scan of ``Judgement.verdicts``, each verdict an ``area()`` hands back) and every question
it asks (``of``, ``resource_health``, ``drbd_resource`` …), on the seed lab and on a lab
about ten times its size. A view that scanned the verdicts once per row (as ``tui/status``
once did: 13 s at 16 nodes / 500 guests) reads rows × verdicts of them and fails here; so
does one that hands a big table to rich's cell-by-cell layout (``Table._render``).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from hadeck.cli.status_view import PIPE_WIDTH, _table, render
from hadeck.collect import collect
from hadeck.health import Judgement, Subject, judge
from hadeck.lab import faults
from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab, seed_topology
from hadeck.model import ClusterState, Health, Resource
from hadeck.tui.fmt import badge

pytestmark = [
    pytest.mark.pacemaker,
    pytest.mark.skipif(shutil.which("crm_simulate") is None,
                       reason="pacemaker-cli-utils not installed"),
]


class _Counted(tuple):  # type: ignore[type-arg]
    """The verdicts, counting every one handed out by a scan."""

    touched = 0

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            _Counted.touched += 1
            yield item


class _Asking(Judgement):
    """A judgement that counts the questions asked of it."""

    asked = 0

    def of(self, area: str, subject: Subject) -> Health:
        _Asking.asked += 1
        return super().of(area, subject)

    def resource_health(self, rsc: Resource) -> Health:
        _Asking.asked += 1
        return super().resource_health(rsc)

    def drbd_resource(self, resource: Subject) -> Health:
        _Asking.asked += 1
        return super().drbd_resource(resource)

    def on_node(self, area: str, node: str) -> Health:
        _Asking.asked += 1
        return super().on_node(area, node)

    def area_health(self, area: str) -> Health:
        _Asking.asked += 1
        return super().area_health(area)

    def area(self, area: str) -> tuple[Any, ...]:
        _Asking.asked += 1
        found = super().area(area)
        _Counted.touched += len(found)
        return found


def _work(state: ClusterState, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int, int]:
    """(lines printed, verdicts read, questions asked, cells rich laid out itself)."""
    plain = judge(state)
    judgement = _Asking(_Counted(plain.verdicts), plain.causes)
    laid_out = 0
    inner = Table._render

    def counting(self: Table, *args: Any, **kwargs: Any) -> Any:
        nonlocal laid_out
        laid_out += sum(len(c._cells) for c in self.columns)
        return inner(self, *args, **kwargs)

    monkeypatch.setattr(Table, "_render", counting)
    _Counted.touched = _Asking.asked = 0
    out = io.StringIO()
    Console(file=out, width=PIPE_WIDTH, emoji=False, highlight=False).print(
        render(state, judgement))
    monkeypatch.undo()
    return out.getvalue().count("\n"), _Counted.touched, _Asking.asked, laid_out


@pytest.fixture(scope="module")
def bigger(tmp_path_factory: pytest.TempPathFactory) -> ClusterState:
    """A lab of 4 guest nodes, 40 guests and 40 real servers, one node failed."""
    topology = seed_topology(nodes=4, guests=40, services=8, real_servers=40)
    lab = Lab.init(tmp_path_factory.mktemp("sts") / "lab", topology)
    faults.fail_node(lab, "jupiter3")
    return collect(LabAccess(lab, timeout=60))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> ClusterState:
    lab = Lab.init(tmp_path_factory.mktemp("sts") / "seed")
    return collect(LabAccess(lab, timeout=60))


def test_work_grows_with_the_rows_not_rows_times_verdicts(
        seed: ClusterState, bigger: ClusterState, monkeypatch: pytest.MonkeyPatch) -> None:
    small_lines, small_read, small_asked, small_laid = _work(seed, monkeypatch)
    big_lines, big_read, big_asked, big_laid = _work(bigger, monkeypatch)
    small_verdicts, big_verdicts = len(judge(seed).verdicts), len(judge(bigger).verdicts)
    assert big_lines > 3 * small_lines  # the bigger lab is much bigger
    # A few whole scans (the overall health, the index, the problem list), never one
    # per row: a per-row scan reads rows × verdicts (here > 100× the verdicts).
    assert small_read <= 4 * small_verdicts
    assert big_read <= 4 * big_verdicts
    # About one question per row of output.
    assert small_asked <= 2 * small_lines
    assert big_asked <= 2 * big_lines
    # Every table fits the pipe width: none goes through rich's per-cell layout.
    assert small_laid == big_laid == 0


def _segments(table: Table, console: Console, width: int) -> list[Segment]:
    return list(console.render(table, console.options.update_width(width)))


def _rich(table: Table, console: Console, width: int) -> list[Segment]:
    # The same table as rich lays it out itself.
    plain = Table.__new__(Table)
    plain.__dict__.update(table.__dict__)
    return list(console.render(plain, console.options.update_width(width)))


@pytest.mark.parametrize("width", [PIPE_WIDTH, 160])
def test_fast_tables_draw_what_rich_draws(bigger: ClusterState, width: int) -> None:
    console = Console(width=width, force_terminal=True, color_system="truecolor",
                      emoji=False, highlight=False)
    group = render(bigger, judge(bigger))
    tables = [t for t in _walk(group) if isinstance(t, Table)]
    assert len(tables) >= 8
    for table in tables:
        assert _segments(table, console, width) == _rich(table, console, width), table.title


def test_hostile_and_wide_cells_draw_what_rich_draws() -> None:
    console = Console(width=120, force_terminal=True, color_system="truecolor",
                      emoji=False, highlight=False)
    table = _table("Names", "Name", "Where", "Health")
    table.add_row("[bold]x", "a:heart:b", badge(Health.CRITICAL))
    table.add_row(Text.assemble(("日本", "red"), " ok"), "", None)
    table.add_row("vm\x1b[2J", Text("dim", style="dim"), badge(Health.OK))
    assert _segments(table, console, 120) == _rich(table, console, 120)
    # Too narrow to fit: rich folds it, as before.
    assert _segments(table, console, 12) == _rich(table, console, 12)


def _walk(renderable: Any) -> Iterator[Any]:
    yield renderable
    for child in getattr(renderable, "renderables", ()):
        yield from _walk(child)


def test_exit_code_without_the_document(seed: ClusterState, tmp_path: Path) -> None:
    # The text view's exit code is the worst verdict of the chosen areas, as --json's.
    from hadeck.report import status_document

    judgement = judge(seed)
    for areas in (None, ("drbd",), ("nodes", "lvs")):
        doc = status_document(seed, judgement, areas)
        from hadeck.health import AREAS, worst
        mine = worst(judgement.area_health(a) for a in (areas or AREAS))
        assert int(mine) == doc["health"]["exit_code"]


def test_judging_walks_the_resource_tree_once_not_once_per_constraint(
        bigger: ClusterState, monkeypatch: pytest.MonkeyPatch) -> None:
    # PacemakerState.find walks the whole tree: once per colocation and order made
    # judging quadratic (4,000 × 4,000 at 32 nodes / 1,000 guests).
    from hadeck.model import PacemakerState

    walks = 0
    inner = PacemakerState.find

    def counting(self: PacemakerState, resource_id: str) -> Resource | None:
        nonlocal walks
        walks += 1
        return inner(self, resource_id)

    monkeypatch.setattr(PacemakerState, "find", counting)
    assert bigger.pacemaker is not None and len(bigger.pacemaker.colocations) >= 40
    judge(bigger)
    assert walks <= 2
