"""Resources: the crm_mon tree, then failed actions, fail counts and cli- constraints.

``n`` toggles crm_mon's ``--group-by-node`` view: one heading per node, the resources
running there under it (each with the group or clone it belongs to), then the inactive
ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from hadeck.health import Kind, interned, pacemaker_key
from hadeck.health.words import count_text, location_words, score_text
from hadeck.model import Ban, PacemakerState, Resource, ResourceKind
from hadeck.text import safe
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.fmt import flags
from hadeck.tui.tables import Column, DiffTable, Row
from hadeck.tui.view import View


def _section(key: str, title: str, width: int = 5) -> Row:
    return Row(f"section:{key}", (Text(f"── {title}", style="bold"),) + ("",) * width)


def resource_rows(pcmk: PacemakerState, view: View) -> list[Row]:
    """The resource tree flattened, crm_mon style: clones show one line per role and nodes."""
    judgement = view.snapshot.judgement if view.snapshot else None
    rows: list[Row] = []
    source = ("pacemaker", view.snapshot.state.local_node) if view.snapshot else None

    def health(rid: str) -> Text | str:
        return health_cell(judgement.of("resources", interned(Kind.RESOURCE, rid)),
                           word=False) if judgement else ""

    def add(rsc: Resource, depth: int, path: str) -> None:
        indent = "  " * depth
        key = f"rsc:{path}{rsc.id}"
        if rsc.kind == ResourceKind.PRIMITIVE:
            rows.append(Row(key, (indent + rsc.id, (rsc.agent or "-").split(":")[-1],
                                  rsc.role or "-", ", ".join(rsc.nodes) or "-", flags(rsc),
                                  health(rsc.id)), obj=rsc, source=source))
            return
        kind = "promotable" if rsc.promotable else rsc.kind
        # A group or clone shows the worst of its members (issue 12).
        worst_cell = health_cell(judgement.resource_health(rsc), word=False) \
            if judgement else ""
        rows.append(Row(key, (Text(safe(indent + rsc.id), style="bold"), kind, "",
                              ", ".join(rsc.running_on) or "-", flags(rsc), worst_cell),
                        obj=rsc, source=source))
        if rsc.kind == ResourceKind.CLONE:
            # One line per role and node set, as crm_mon does, not one per instance.
            seen: dict[tuple[str, str], Resource] = {}
            for prim in rsc.primitives():
                seen.setdefault((prim.role or "-", ", ".join(prim.nodes) or "-"), prim)
            for (role, nodes), prim in seen.items():
                rows.append(Row(f"{key}/{role}/{nodes}",
                                (indent + "  " + prim.id, "instance", role, nodes,
                                 flags(prim), ""), obj=prim, source=source))
            return
        for child in rsc.children:
            add(child, depth + 1, f"{path}{rsc.id}/")

    for rsc in pcmk.resources:
        add(rsc, 0, "")
    _tail(rows, pcmk, health, source)
    # Built in crm_mon's reading order; on screen the health symbol leads, as elsewhere.
    for row in rows:
        row.cells = (row.cells[-1], *row.cells[:-1])
    return rows


def _tail(rows: list[Row], pcmk: PacemakerState, health: Callable[[str], Text | str],
          source: tuple[str, str] | None) -> None:
    """Failed actions, fail counts, bans and cli- constraints, each under a heading."""
    if pcmk.failed_actions:
        rows.append(_section("failed", "failed actions"))
        for fa in pcmk.failed_actions:
            rows.append(Row(f"failed:{fa.op_key}@{fa.node}",
                            ("  " + fa.resource, fa.task or fa.op_key, fa.exit_status or "-",
                             fa.node, fa.exit_reason or fa.last_rc_change,
                             health(fa.resource)), obj=fa, source=source))
    counts = [fc for fc in pcmk.fail_counts if fc.count > 0]
    if counts:
        rows.append(_section("failcounts", "fail counts"))
        for fc in counts:
            shown = count_text(fc.count)
            limit = (f"threshold {count_text(fc.migration_threshold)}"
                     if fc.migration_threshold else "")
            rows.append(Row(f"failcount:{fc.resource}@{fc.node}",
                            ("  " + fc.resource, "fail count", shown, fc.node, limit,
                             health(fc.resource)), obj=fc, source=source))
    cli = [loc for loc in pcmk.locations if loc.from_cli]
    bans = [b for b in pcmk.bans if not b.id.startswith("cli-")]
    if cli or bans:
        rows.append(_section("constraints", "bans and cli constraints"))
        for loc in cli:
            rows.append(Row(f"loc:{loc.id}",
                            ("  " + loc.resource, location_words(loc.score),
                             score_text(loc.score),
                             loc.node or "-", loc.id + (f" until {loc.lifetime}"
                                                        if loc.lifetime else ""),
                             health(loc.resource)), obj=loc, source=source))
        for ban in _grouped(bans):
            rows.append(Row(f"ban:{ban.id}/{ban.resource}", (
                "  " + ban.resource, location_words(ban.weight), score_text(ban.weight),
                ban.node, ban.id, ""),
                obj=ban, source=source))


def _grouped(bans: list[Ban]) -> list[Ban]:
    """One ban per constraint and resource, its nodes joined.

    crm_mon prints a ban per node it applies to, all with the constraint's id: a rule
    that keeps a DRBD resource off 15 of 16 nodes is 15 ``<ban>`` elements. One row each
    would bury the ban an operator left behind under thousands of configured ones.
    """
    nodes: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], Ban] = {}
    for ban in bans:
        key = (ban.id, ban.resource)
        first.setdefault(key, ban)
        nodes.setdefault(key, []).append(ban.node)
    return [dataclasses.replace(ban, node=", ".join(nodes[key])) if len(nodes[key]) > 1
            else ban for key, ban in first.items()]


def resource_rows_by_node(pcmk: PacemakerState, view: View) -> list[Row]:
    """crm_mon ``--group-by-node``: per node, what runs there; then what runs nowhere."""
    judgement = view.snapshot.judgement if view.snapshot else None
    source = ("pacemaker", view.snapshot.state.local_node) if view.snapshot else None
    rows: list[Row] = []

    def health(rid: str) -> Text | str:
        return health_cell(judgement.of("resources", interned(Kind.RESOURCE, rid)),
                           word=False) if judgement else ""

    # Every primitive instance with the top-level resource it belongs to, in crm_mon order.
    placed: list[tuple[Resource, Resource]] = [
        (top, prim) for top in pcmk.resources for prim in top.primitives()]

    def row(key: str, top: Resource, prim: Resource) -> Row:
        within = "" if top is prim else f"in {top.id}"
        return Row(key, (health(prim.id), "  " + prim.id, (prim.agent or "-").split(":")[-1],
                         prim.role or "-", within, flags(prim)), obj=prim, source=source)

    for node in pcmk.nodes:
        if node.type == "ping":
            continue
        state = node.state + (" DC" if node.is_dc else "")
        rows.append(Row(f"node:{node.name}", ("", Text(f"Node {safe(node.name)}", style="bold"),
                                              "node", state, "", ""), obj=node, source=source))
        for i, (top, prim) in enumerate(placed):
            if node.name in prim.nodes:
                rows.append(row(f"on:{node.name}/{top.id}/{prim.id}/{i}", top, prim))
    inactive = [(i, top, prim) for i, (top, prim) in enumerate(placed) if not prim.nodes]
    if inactive:
        rows.append(_section("inactive", "inactive resources"))
        for i, top, prim in inactive:
            rows.append(row(f"inactive:{top.id}/{prim.id}/{i}", top, prim))
    tail: list[Row] = []
    _tail(tail, pcmk, health, source)
    # _tail builds in crm_mon's reading order (health last), as resource_rows does.
    for item in tail:
        item.cells = (item.cells[-1], *item.cells[:-1])
    return rows + tail


class ResourcesScreen(AreaScreen):
    TITLE = "Resources"
    MODE = "resources"
    MARK_KEPT = ("resources",)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "by_node", "by node", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.by_node = False
        self._built: tuple[object, list[Row]] | None = None
        """The last rows and what they were built from (see :meth:`build`)."""

    def tables(self) -> dict[str, list[Column]]:
        return {"resources": [Column("health", "", 2), Column("id", "Resource", 18),
                              Column("type", "Type", 11), Column("role", "Role", 10),
                              Column("nodes", "Node(s)", 14), Column("flags", "Flags", 0)]}

    def info(self, view: View) -> Text | str:
        pcmk = view.snapshot.state.pacemaker if view.snapshot else None
        if pcmk is None:
            return Text("? Pacemaker could not be read: see the overview's problems",
                        style="magenta") if view.snapshot else ""
        info = pcmk.cluster
        grouping = "by node (n: tree)" if self.by_node else "tree (n: by node)"
        return (f"{info.resources_configured} configured, "
                f"{info.resources_disabled} disabled, {info.resources_blocked} blocked"
                f"{' │ MAINTENANCE MODE' if info.maintenance_mode else ''} │ {grouping}")

    def build(self, view: View) -> dict[str, list[Row]]:
        pcmk = view.snapshot.state.pacemaker if view.snapshot else None
        if pcmk is None or view.snapshot is None:
            return {"resources": []}
        # The rows read the Pacemaker view and the resources' verdicts only: while both
        # are the same (crm_mon printed the same; the verdicts are the memo's very
        # objects), so are the rows — 3,000 of them at 1,000 resources, ~30 ms a refresh.
        snap = view.snapshot
        key = (self.by_node, snap.state.local_node, pacemaker_key(pcmk),
               snap.judgement.area("resources"))
        if self._built is not None and self._built[0] == key:
            return {"resources": list(self._built[1])}
        rows = (resource_rows_by_node if self.by_node else resource_rows)(pcmk, view)
        self._built = (key, rows)
        return {"resources": list(rows)}

    def action_by_node(self) -> None:
        self.by_node = not self.by_node
        # The column that names the nodes in the tree names the parent in the by-node view.
        table = self.query_one("#resources", DiffTable)
        for key, column in table.columns.items():
            if key.value == "nodes":
                column.label = Text("Part of" if self.by_node else "Node(s)")
        table.refresh()
        self.redraw()
