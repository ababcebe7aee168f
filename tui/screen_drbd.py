"""DRBD: resource → connection → peer volume, with sync progress, rate, ETA, out-of-sync."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from hadeck.health import Judgement, Subject, drbd_subject, format_duration
from hadeck.model import DrbdResource, Health
from hadeck.text import safe
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.fmt import bar, rate, size
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View


def resource_health(judgement: Judgement, res: DrbdResource) -> Health:
    """The worst verdict on the resource, its volumes and its connections."""
    return judgement.drbd_resource(drbd_subject(res))


Built = dict[int, tuple[DrbdResource, Subject, list[Row]]]
"""A resource's rows by the id of the very resource, kept with it and its subject."""


def drbd_rows(view: View, problems_only: bool = False, built: Built | None = None,
              into: Built | None = None) -> list[Row]:
    """The DRBD table's rows.

    Args:
        view: a view with a snapshot.
        problems_only: only the resources that are not OK.
        built: the rows of resources built before, by the very resource object: a
            resource whose object did not change and that is OK, as it was, has the
            same rows (a quiet events2 stream keeps its objects; 1,000 resource views
            are ~3,000 rows a refresh).
        into: where this call's OK resources' rows go, for the next call's ``built``.
    """
    snap = view.snapshot
    assert snap is not None
    judgement = snap.judgement
    rows: list[Row] = []
    before = built or {}
    for res in snap.state.drbd:
        hit = before.get(id(res))
        key = hit[1] if hit is not None and hit[0] is res else drbd_subject(res)
        health = judgement.drbd_resource(key)
        if problems_only and health == Health.OK:
            continue
        if hit is not None and hit[0] is res and health == Health.OK:
            # OK is the worst of the resource and everything under it: every row is OK.
            rows += hit[2]
            if into is not None:
                into[id(res)] = hit
            continue
        first = len(rows)
        subject = str(key)
        source = ("drbd", res.node)
        disks = "/".join(v.disk for v in res.volumes) or "-"
        rows.append(Row(f"res:{subject}", (health_cell(health, word=False), Text(safe(subject),
                        style="bold"), res.role, disks, "", ""), obj=res, source=source))
        for conn in res.connections:
            label = f"{subject} → {conn.peer}"
            rows.append(Row(f"conn:{label}",
                            (health_cell(judgement.of("drbd", drbd_subject(res, conn.peer)),
                                         word=False),
                             f"  → {conn.peer}", conn.state, conn.peer_role, "", ""),
                            obj=conn, source=source))
            # health numbers peer volumes as it numbers the resource's own volumes.
            many = len(res.volumes) > 1
            for pv in conn.peer_volumes:
                vkey = drbd_subject(res, conn.peer, pv.volume if many else None)
                details = []
                if pv.eta_seconds is not None:
                    details.append(f"ETA {format_duration(pv.eta_seconds)}")
                if pv.rate_kib_s:
                    details.append(rate(pv.rate_kib_s))
                if pv.out_of_sync_kib:
                    details.append(f"oos {size(pv.out_of_sync_kib)}")
                rows.append(Row(f"pv:{label}/{pv.volume}",
                                (health_cell(judgement.of("drbd", vkey), word=False),
                                 f"    vol {pv.volume}", pv.replication, pv.peer_disk,
                                 bar(pv.done_percent, 8) if pv.syncing else "",
                                 " · ".join(details)), obj=pv, source=source))
        if into is not None and health == Health.OK:
            into[id(res)] = (res, key, rows[first:])
    return rows


class DrbdScreen(AreaScreen):
    TITLE = "DRBD"
    MODE = "drbd"
    MARK_KEPT = ("drbd",)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "problems_only", "problems only", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.problems_only = False
        self._built: Built = {}

    def tables(self) -> dict[str, list[Column]]:
        return {"drbd": [Column("health", "", 2), Column("object", "Resource / peer", 20),
                         Column("state", "State", 11), Column("disk", "Disk / peer", 12),
                         Column("sync", "Sync", 15), Column("detail", "ETA · rate · oos", 0)]}

    def info(self, view: View) -> Text | str:
        if view.snapshot is None:
            return ""
        res = view.snapshot.state.drbd
        syncing = sum(1 for r in res for c in r.connections for pv in c.peer_volumes
                      if pv.syncing)
        shown = "problems only (p: all)" if self.problems_only else "all (p: problems only)"
        return f"{len(res)} resource views, {syncing} syncing │ showing {shown}"

    def build(self, view: View) -> dict[str, list[Row]]:
        built: Built = {}  # replaced whole: the poll worker and the UI thread both build
        rows = drbd_rows(view, self.problems_only, self._built, built)
        self._built = built
        return {"drbd": rows}

    def action_problems_only(self) -> None:
        self.problems_only = not self.problems_only
        self.redraw()
