"""Resources: the crm_mon tree, then failed actions, fail counts and cli- constraints."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from hadeck.model import PacemakerState, Resource, ResourceKind
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View


def _flags(rsc: Resource) -> str:
    flags = []
    if rsc.failed:
        flags.append("FAILED")
    if rsc.blocked:
        flags.append("blocked")
    if not rsc.managed:
        flags.append("unmanaged")
    if rsc.orphaned:
        flags.append("orphaned")
    if rsc.target_role:
        flags.append(f"target={rsc.target_role}")
    if rsc.pending:
        flags.append(rsc.pending)
    return " ".join(flags)


def _section(key: str, title: str, width: int = 5) -> Row:
    return Row(f"section:{key}", (Text(f"── {title}", style="bold"),) + ("",) * width)


def resource_rows(pcmk: PacemakerState, view: View) -> list[Row]:
    """The resource tree flattened, crm_mon style: clones show one line per role and nodes."""
    judgement = view.snapshot.judgement if view.snapshot else None
    rows: list[Row] = []
    source = ("pacemaker", view.snapshot.state.local_node) if view.snapshot else None

    def health(rid: str) -> Text | str:
        return health_cell(judgement.of("resources", rid), word=False) if judgement else ""

    def add(rsc: Resource, depth: int, path: str) -> None:
        indent = "  " * depth
        key = f"rsc:{path}{rsc.id}"
        if rsc.kind == ResourceKind.PRIMITIVE:
            rows.append(Row(key, (indent + rsc.id, (rsc.agent or "-").split(":")[-1],
                                  rsc.role or "-", ", ".join(rsc.nodes) or "-", _flags(rsc),
                                  health(rsc.id)), obj=rsc, source=source))
            return
        kind = "promotable" if rsc.promotable else rsc.kind
        rows.append(Row(key, (Text(indent + rsc.id, style="bold"), kind, "",
                              ", ".join(rsc.running_on) or "-", _flags(rsc), health(rsc.id)),
                        obj=rsc, source=source))
        if rsc.kind == ResourceKind.CLONE:
            # One line per role and node set, as crm_mon does, not one per instance.
            seen: dict[tuple[str, str], Resource] = {}
            for prim in rsc.primitives():
                seen.setdefault((prim.role or "-", ", ".join(prim.nodes) or "-"), prim)
            for (role, nodes), prim in seen.items():
                rows.append(Row(f"{key}/{role}/{nodes}",
                                (indent + "  " + prim.id, "instance", role, nodes,
                                 _flags(prim), ""), obj=prim, source=source))
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
            shown = "INFINITY" if fc.count >= 1000000 else str(fc.count)
            limit = f"threshold {fc.migration_threshold}" if fc.migration_threshold else ""
            rows.append(Row(f"failcount:{fc.resource}@{fc.node}",
                            ("  " + fc.resource, "fail count", shown, fc.node, limit,
                             health(fc.resource)), obj=fc, source=source))
    cli = [loc for loc in pcmk.locations if loc.from_cli]
    bans = [b for b in pcmk.bans if not b.id.startswith("cli-")]
    if cli or bans:
        rows.append(_section("constraints", "bans and cli constraints"))
        for loc in cli:
            rows.append(Row(f"loc:{loc.id}",
                            ("  " + loc.resource, "ban" if loc.is_ban else "prefer", loc.score,
                             loc.node or "-", loc.id + (f" until {loc.lifetime}"
                                                        if loc.lifetime else ""),
                             health(loc.resource)), obj=loc, source=source))
        for ban in bans:
            rows.append(Row(f"ban:{ban.id}", ("  " + ban.resource, "ban", str(ban.weight),
                                              ban.node, ban.id, ""), obj=ban, source=source))


class ResourcesScreen(AreaScreen):
    TITLE = "Resources"
    MODE = "resources"

    def tables(self) -> dict[str, list[Column]]:
        return {"resources": [Column("health", "", 1), Column("id", "Resource", 18),
                              Column("type", "Type", 11), Column("role", "Role", 10),
                              Column("nodes", "Node(s)", 14), Column("flags", "Flags", 0)]}

    def info(self, view: View) -> Text | str:
        pcmk = view.snapshot.state.pacemaker if view.snapshot else None
        if pcmk is None:
            return Text("? Pacemaker could not be read: see the overview's problems",
                        style="magenta") if view.snapshot else ""
        info = pcmk.cluster
        return (f"{info.resources_configured} resources configured, "
                f"{info.resources_disabled} disabled, {info.resources_blocked} blocked"
                f"{' │ MAINTENANCE MODE' if info.maintenance_mode else ''}")

    def build(self, view: View) -> dict[str, list[Row]]:
        pcmk = view.snapshot.state.pacemaker if view.snapshot else None
        return {"resources": resource_rows(pcmk, view) if pcmk else []}
