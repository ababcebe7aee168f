"""The rich view of ``hadeck explain``: where a resource runs, each node's score and why.

One line of summary, a table with a row per node (the node it runs on first, then by
score), the constraints that concern the resource, fail counts and notes. Every name in it
comes from the cluster and is shown as written, never obeyed (:func:`hadeck.text.safe`).
"""

from __future__ import annotations

import os
import sys

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from hadeck.cli.status_view import _Console, output_width
from hadeck.placement import Explanation, NodePlacement, score_text
from hadeck.text import safe


def _node_order(placement: NodePlacement) -> tuple[int, int]:
    score = placement.score if placement.score is not None else -2_000_000
    return (0 if placement.runs_here else 1, -score)


def render(explained: Explanation) -> RenderableType:
    """The explanation as rich renderables (no colour needed to read it)."""
    parts: list[RenderableType] = [Text(safe(explained.summary), style="bold")]
    facts = [explained.kind, f"stickiness {explained.stickiness}",
             f"migration-threshold {explained.migration_threshold}"]
    if explained.members:
        facts.append("members " + ", ".join(explained.members))
    parts.append(Text(safe(" · ".join(facts))))

    nodes = Table(title="Nodes", title_justify="left", title_style="bold", pad_edge=False)
    nodes.add_column("Node", no_wrap=True)
    nodes.add_column("State", no_wrap=True)
    nodes.add_column("Score", no_wrap=True, justify="right")
    if any(p.promotion is not None for p in explained.nodes):
        promotion = True
        nodes.add_column("Promotion", no_wrap=True, justify="right")
    else:
        promotion = False
    nodes.add_column("Why here / why not here", overflow="fold")
    for p in sorted(explained.nodes, key=_node_order):
        mark = f"● {p.role}" if p.runs_here else "-"
        head = Text(safe(p.node), style="bold" if p.runs_here else "")
        why = "\n".join(safe(r) for r in p.reasons) or "-"
        cells: list[RenderableType] = [
            head, Text(f"{safe(p.state)}  {safe(mark)}"),
            "?" if p.score is None else score_text(p.score)]
        if promotion:
            cells.append("-" if p.promotion is None else score_text(p.promotion))
        cells.append(Text(why))
        nodes.add_row(*cells)
    parts += [Text(""), nodes]

    if explained.constraints:
        table = Table(title="Constraints", title_justify="left", title_style="bold",
                      pad_edge=False)
        for name in ("Kind", "Id", "What"):
            table.add_column(name, overflow="fold", no_wrap=name != "What")
        for c in explained.constraints:
            style = "yellow" if c.from_cli else ""
            table.add_row(c.kind, Text(safe(c.id), style=style), Text(safe(c.text)))
        parts += [Text(""), table]
    if explained.fail_counts:
        parts += [Text(""), Text("Fail counts", style="bold")]
        parts += [Text(safe(f"  {rsc} on {node}: {score_text(count)}"))
                  for rsc, node, count in explained.fail_counts]
    if explained.notes:
        parts += [Text(""), Text("Notes", style="bold")]
        parts += [Text(safe(f"  {note}")) for note in explained.notes]
    return Group(*parts)


def print_explanation(explained: Explanation, console: Console | None = None) -> None:
    """Print ``hadeck explain``'s view on the terminal (or ``console``)."""
    if console is None:
        # Piped or redirected: whole values, as hadeck status prints them.
        console = _Console(emoji=False, highlight=False,
                           width=output_width(sys.stdout, os.environ))
    console.print(render(explained))
