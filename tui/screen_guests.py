"""Guests: per node, sortable by state, CPU or memory, joined to resource and DRBD."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from hadeck.health import backup_subject, guest_subject, rank
from hadeck.model import Guest, Health
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.fmt import age, size
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View

SORTS = ("node", "state", "cpu", "memory")


def guest_rows(view: View, sort: str = "node") -> list[Row]:
    snap = view.snapshot
    assert snap is not None
    judgement = snap.judgement

    def key(g: Guest) -> tuple[object, ...]:
        cpu = snap.guest_cpu.get(f"{g.name}@{g.node}", -1.0)
        if sort == "state":
            return (-rank(judgement.of("guests", guest_subject(g.name, g.node))), g.state, g.name)
        if sort == "cpu":
            return (-cpu, g.name, g.node)
        if sort == "memory":
            return (-(g.memory_kib or 0), g.name, g.node)
        return (g.node, g.name)

    rows = []
    for g in sorted(snap.state.guests, key=key):
        label = f"{g.name}@{g.node}"
        cpu = snap.guest_cpu.get(label)
        health = judgement.of("guests", guest_subject(g.name, g.node))
        rows.append(Row(f"guest:{label}",
                        (health_cell(health, word=False), g.name, g.node, g.state,
                         f"{cpu:.0f}%" if cpu is not None else "-",
                         size(g.memory_kib), g.resource or "-", ", ".join(g.drbd) or "-"),
                        obj=g, source=("guests", g.node)))
    return rows


def backup_rows(view: View) -> list[Row]:
    """One row per rdiff-backup repository: the guest it backs up (or its path), when its
    last session ran, and hadeck's verdict on it."""
    snap = view.snapshot
    assert snap is not None
    verdicts = {v.key: v for v in snap.judgement.area("backups")}
    rows = []
    for repo in sorted(snap.state.backups, key=lambda r: (r.guest is None, r.guest or r.path)):
        verdict = verdicts.get(backup_subject(repo))
        health = verdict.health if verdict is not None else Health.UNKNOWN
        last = age(snap.state.taken_at - repo.last) + " ago" if repo.last is not None else "-"
        rows.append(Row(f"backup:{repo.name}@{repo.node}",
                        (health_cell(health, word=False), repo.guest or repo.path, repo.node,
                         last, str(repo.increments) if repo.last is not None else "-",
                         verdict.reason if verdict is not None else ""),
                        obj=repo, source=("backups", repo.node)))
    return rows


class GuestsScreen(AreaScreen):
    TITLE = "Guests"
    MODE = "guests"
    MARK_KEPT = ("guests",)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "sort", "sort", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "node"

    def tables(self) -> dict[str, list[Column]]:
        return {"guests": [Column("health", "", 2), Column("name", "Guest", 12),
                           Column("node", "Node", 10), Column("state", "State", 9),
                           Column("cpu", "CPU%", 5), Column("mem", "Memory", 9),
                           Column("resource", "Resource", 10), Column("drbd", "DRBD", 0)],
                "backups": [Column("health", "", 2), Column("name", "Backup of", 12),
                            Column("node", "Node", 10), Column("last", "Last", 9),
                            Column("incr", "Incr", 5), Column("reason", "Reason", 0)]}

    def info(self, view: View) -> Text | str:
        if view.snapshot is None:
            return ""
        guests = view.snapshot.state.guests
        running = sum(1 for g in guests if g.running)
        return f"{running} of {len(guests)} guests running │ sorted by {self.sort} (s: next)"

    def build(self, view: View) -> dict[str, list[Row]]:
        return {"guests": guest_rows(view, self.sort), "backups": backup_rows(view)}

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.redraw()
