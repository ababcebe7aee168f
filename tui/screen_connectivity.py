"""Connectivity: pingd per node against its expected value, corosync links, quorum."""

from __future__ import annotations

from rich.text import Text

from hadeck.health import Kind, rank
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View


def connectivity_rows(view: View) -> list[Row]:
    snap = view.snapshot
    assert snap is not None
    rows = []
    cluster = [v for v in snap.judgement.area("cluster") if v.key.name in ("DC", "quorum")]
    links = sorted(snap.judgement.area("connectivity"),
                   key=lambda v: (-rank(v.health), v.subject))
    for v in [*cluster, *links]:
        what = "pingd" if v.key.kind == Kind.PINGD else \
            "quorum" if v.key.kind in (Kind.QUORUM, Kind.CLUSTER) else "corosync"
        source = {"pingd": "pacemaker", "quorum": "corosync", "corosync": "corosync"}[what]
        node = v.node or snap.state.local_node
        rows.append(Row(f"{v.area}:{v.subject}", (health_cell(v.health), v.subject, v.reason),
                        obj=v, source=(source if v.area != "cluster" else "pacemaker", node)))
    return rows


class ConnectivityScreen(AreaScreen):
    TITLE = "Connectivity"
    MODE = "connectivity"
    MARK_KEPT = ("links",)

    def tables(self) -> dict[str, list[Column]]:
        return {"links": [Column("health", "Health", 10), Column("subject", "What", 26),
                          Column("detail", "Detail", 0)]}

    def info(self, view: View) -> Text | str:
        if view.snapshot is None:
            return ""
        quorums = [c.quorum for c in view.snapshot.state.corosync if c.quorum]
        if not quorums:
            return "corosync quorum: not read"
        q = quorums[0]
        return (f"corosync quorum: {'quorate' if q.quorate else 'NOT quorate'}, "
                f"{q.total_votes} of {q.expected_votes} votes (needs {q.quorum})")

    def build(self, view: View) -> dict[str, list[Row]]:
        return {"links": connectivity_rows(view)}
