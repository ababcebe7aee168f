"""The overview: problems first (worst first, with reason and age), then one row per node."""

from __future__ import annotations

from rich.text import Text

from hadeck.health import AREAS, Judgement, Kind, Subject, drbd_subject, worst
from hadeck.model import ClusterState, Health
from hadeck.text import safe
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.fmt import STALE_MARK, STYLE, age
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View
from hadeck.watch.poller import problem_keys

_NODE_STATE = {"online": Health.OK, "offline": Health.CRITICAL, "unclean": Health.CRITICAL}

SUBJECT_WIDTH = 22
"""The problem column: a node, resource or DRBD name and its ``+N``."""

COUNT_AREAS = ("nodes", "resources", "drbd", "guests", "lvs", "connectivity", "host",
               "storage", "backups")

_AREA_SOURCES = {
    "nodes": ("pacemaker",), "resources": ("pacemaker",), "drbd": ("drbd",),
    "guests": ("guests",), "lvs": ("lvs", "keepalived"), "connectivity": ("corosync",),
    "host": ("host",), "storage": ("lvm",), "backups": ("backups",),
}
"""The sources each area is read from."""


def area_counts(state: ClusterState, judgement: Judgement) -> Text:
    """``✔ nodes 3/3  ▲ drbd 3/4  …``: per area, its health symbol and what is fine."""
    text = Text()
    by_source: dict[str, list[Health]] = {}  # once, not once per area (17 nodes × 7)
    for v in judgement.area("sources"):
        by_source.setdefault(v.key.name, []).append(v.health)
    for area in COUNT_AREAS:
        verdicts = judgement.area(area)
        if not verdicts:
            continue
        # An area whose source failed somewhere is not all fine: "✔ lvs 7/7" with a
        # director's ipvsadm unreadable was a lie; it shows the source's "?".
        unread = [h for source in _AREA_SOURCES.get(area, ()) for h in by_source.get(source, ())]
        health = worst([judgement.area_health(area), *unread])
        symbol, style = STYLE[health]
        fine = sum(1 for v in verdicts if v.health == Health.OK)
        if area == "nodes" and state.pacemaker is not None:
            members = [n for n in state.pacemaker.nodes if n.type != "ping"]
            shown = f"{sum(1 for n in members if n.online)}/{len(members)}"
        elif area == "guests":
            shown = f"{sum(1 for g in state.guests if g.running)}/{len(state.guests)}"
        elif area == "drbd" and state.drbd:
            # Resources as each node sees them, not verdicts (12/12 for two resources).
            ok = sum(1 for r in state.drbd
                     if judgement.drbd_resource(drbd_subject(r)) == Health.OK)
            shown = f"{ok}/{len(state.drbd)}"
        elif area == "resources" and state.pacemaker is not None:
            tops = state.pacemaker.resources
            ok = sum(1 for r in tops if judgement.resource_health(r) == Health.OK)
            shown = f"{ok}/{len(tops)}"
        else:
            shown = f"{fine}/{len(verdicts)}"
        text.append(f"{symbol} ", style=style)
        name = {"connectivity": "conn", "resources": "rsc", "storage": "lvm",
                "backups": "bkp"}.get(area, area)
        text.append(f"{name} {shown}  ")
    return text


class OverviewScreen(AreaScreen):
    TITLE = "Overview"
    MODE = "overview"
    KEPT_ALL = True

    DEFAULT_CSS = """
    OverviewScreen #nodes { height: 1fr; }
    """

    def tables(self) -> dict[str, list[Column]]:
        return {
            "problems": [Column("health", "Health", 10),
                         Column("subject", "Problem", SUBJECT_WIDTH),
                         Column("reason", "Reason", 0), Column("age", "Since", 6)],
            "nodes": [Column("node", "Node", 10), Column("state", "State", 13),
                      Column("dc", "DC", 2), Column("guests", "Guests", 6),
                      Column("drbd", "DRBD P/S", 8), Column("pingd", "pingd", 7),
                      Column("load", "Load", 5), Column("age", "Age", 0)],
        }

    def info(self, view: View) -> Text | str:
        if view.snapshot is None:
            return ""
        return area_counts(view.snapshot.state, view.snapshot.judgement)

    def build(self, view: View) -> dict[str, list[Row]]:
        snap = view.snapshot
        assert snap is not None
        # A replay's durations are the bundle's: measured to when it was recorded.
        now = snap.state.taken_at if view.frozen else view.now
        return {"problems": _problems(snap.judgement, snap.first_seen, now),
                "nodes": _nodes(snap.state, view)}


def _problems(judgement: Judgement, first_seen: dict[str, float], now: float) -> list[Row]:
    """One row per problem: a root cause is one row whose reason says what it caused
    (Enter shows each effect); the row is keyed by its first cause's problem key.

    Since is the cluster's own time where it gives one (a failed operation's
    last-rc-change): ``5m``; otherwise when hadeck first saw it, marked as a lower
    bound: ``≥6s`` (the problem may be much older than this session).
    """
    grouped = judgement.grouped()
    if not grouped:
        return [Row("none", (health_cell(Health.OK), "no problems", "every check passes", ""))]
    keys = {id(v): key for key, v in zip(problem_keys(judgement), judgement.problems(),
                                         strict=True)}
    rows = []
    for p in grouped:
        seen = [first_seen[k] for v in p.verdicts
                if (k := keys.get(id(v))) is not None and k in first_seen]
        if p.since is not None:
            when = age(now - p.since)
        elif seen:
            when = "≥" + age(now - min(seen))
        else:
            when = "-"
        # Longer than its column: cut with a visible "…" (never a word cut into another
        # meaning); Enter shows it whole, with each effect.
        reason = Text(safe(p.reason), overflow="ellipsis", no_wrap=True)
        # "+4": what it caused, folded under it (Enter lists it); kept beside the name,
        # where a long reason cannot push it out of sight.
        more = f" +{len(p.effects)}" if p.effects else ""
        rows.append(Row(keys[id(p.causes[0])],
                        (health_cell(p.health),
                         _subject_cell(p.subject, more), reason,
                         when),
                        obj=p, source=_source_of(p.area, p.node)))
    return rows


def _subject_cell(subject: str, more: str) -> Text:
    """The problem's name, cut with a visible … if long, with its ``+N`` always shown."""
    width = SUBJECT_WIDTH - len(more)
    name = safe(subject)
    if len(name) > width:
        name = name[:width - 1] + "…"
    text = Text(name, overflow="ellipsis", no_wrap=True)
    if more:
        text.append(more, style="bold")
    return text


def _source_of(area: str, node: str | None) -> tuple[str, str] | None:
    if node is None:
        return None
    source = {"nodes": "pacemaker", "resources": "pacemaker", "cluster": "pacemaker",
              "connectivity": "corosync", "storage": "lvm"}.get(area, area if area in AREAS
                                                                else "")
    return (source, node) if source else None


def _nodes(state: ClusterState, view: View) -> list[Row]:
    if state.pacemaker is None:
        return []
    hosts = {h.node: h for h in state.hosts}
    guests: dict[str, int] = {}
    for g in state.guests:
        if g.running:
            guests[g.node] = guests.get(g.node, 0) + 1
    roles: dict[str, list[int]] = {}
    for res in state.drbd:
        counts = roles.setdefault(res.node, [0, 0])
        if res.role == "Primary":
            counts[0] += 1
        elif res.role == "Secondary":
            counts[1] += 1
    rows = []
    for node in state.pacemaker.nodes:
        if node.type == "ping":
            continue
        health = view.snapshot.judgement.of("nodes", Subject(Kind.NODE, node.name)) \
            if view.snapshot else \
            _NODE_STATE.get(node.state, Health.WARNING)
        symbol = STYLE[health][0]
        state_cell = Text(f"{symbol} {safe(node.state)}", style=STYLE[health][1])
        pingd = node.attribute("pingd")
        score = "-"
        if pingd is not None:
            score = pingd.value + (f"/{pingd.expected}" if pingd.expected else "")
        host = hosts.get(node.name)
        load = f"{host.load[0]:.2f}" if host and host.load else "-"
        drbd = roles.get(node.name)
        status = view.source("host", node.name) or view.source("node", node.name)
        if status is not None and status.error:
            age_cell = "? unreachable" if status.source == "node" else "? " + status.error
        elif view.snapshot is not None and node.name in view.snapshot.pending:
            age_cell = STALE_MARK + " reading"  # this poll has not heard from it yet
        else:
            age_cell = view.age_cell(status.read_at if status else None)
        rows.append(Row(node.name, (node.name, state_cell, "DC" if node.is_dc else "",
                                    str(guests.get(node.name, 0)),
                                    f"{drbd[0]}/{drbd[1]}" if drbd else "-", score, load,
                                    age_cell),
                        obj=node, source=("pacemaker", state.local_node)))
    return rows
