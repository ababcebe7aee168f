"""Connectivity: pingd per node against its expected value, corosync links, quorum, and
hadeck's own pings (loss and round-trip time per host and node, with ``--probe``)."""

from __future__ import annotations

from rich.text import Text

from hadeck.health import Kind, rank
from hadeck.model import PingProbe
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
    pings = {(p.node, p.host): p for p in snap.state.pings}
    for v in [*cluster, *links]:
        what = "pingd" if v.key.kind == Kind.PINGD else \
            "probe" if v.key.kind in (Kind.PING, Kind.PINGD_PROBE) else \
            "quorum" if v.key.kind in (Kind.QUORUM, Kind.CLUSTER) else "corosync"
        source = {"pingd": "pacemaker", "quorum": "corosync", "corosync": "corosync",
                  "probe": "probe"}[what]
        node = v.node or snap.state.local_node
        probe = pings.get((node, v.key.name)) if v.key.kind == Kind.PING else None
        loss, rtt = _measured(probe)
        rows.append(Row(f"{v.area}:{v.subject}",
                        (health_cell(v.health), v.subject, loss, rtt, v.reason),
                        obj=v, source=(source if v.area != "cluster" else "pacemaker", node)))
    return rows


def _measured(probe: PingProbe | None) -> tuple[str, str]:
    """The Loss and RTT cells of a probe's row; blank for other rows."""
    if probe is None or probe.loss_percent is None:
        return "", ""
    rtt = "" if probe.rtt_avg_ms is None else f"{probe.rtt_avg_ms:.2f} ms"
    return f"{probe.loss_percent:.0f}%", rtt


class ConnectivityScreen(AreaScreen):
    TITLE = "Connectivity"
    MODE = "connectivity"
    MARK_KEPT = ("links",)

    def tables(self) -> dict[str, list[Column]]:
        return {"links": [Column("health", "Health", 10), Column("subject", "What", 26),
                          Column("loss", "Loss", 5), Column("rtt", "RTT", 9),
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
