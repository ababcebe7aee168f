"""LVS: virtual service → real servers (weights, connections, rates); VRRP roles.

A real server's weights side by side: the kernel's (``Weight``), the one keepalived.conf
gives it (``Conf``; a kernel weight that differs is drift — a manual ipvsadm change
keepalived will set back — shown yellow and named in the info column), the one
hadeck's formula computes from its load over SNMP (``Comp``, :mod:`hadeck.weights`) and
that load (``Load``, the 1-minute laLoad), when ``[snmp.agents]`` names its agent."""

from __future__ import annotations

from rich.text import Text

from hadeck.config import Config
from hadeck.health import service_subject, vrrp_subject
from hadeck.model import RealServer, SnmpReading, VirtualService
from hadeck.text import safe
from hadeck.tui.base import AreaScreen, health_cell
from hadeck.tui.fmt import sparkline
from hadeck.tui.tables import Column, Row
from hadeck.tui.view import View
from hadeck.watch.poller import lvs_key
from hadeck.weights import agent_for, compute, configured_weight, reading_for

TREND = 10
"""Polls shown by the Conn/s sparkline (the poller keeps more)."""


def weight_cells(svc: VirtualService, rs: RealServer, config: Config | None,
                 readings: tuple[SnmpReading, ...]) -> tuple[Text | str, str, str, str, str]:
    """(kernel weight, configured, computed, load, drift note) of one real server."""
    conf = rs.configured_weight
    drift = ""
    if conf is not None and conf != rs.weight:
        drift = f"drift: keepalived.conf {conf}, kernel {rs.weight}"
    elif conf is None and svc.managed_by:
        drift = "not in keepalived.conf (added by hand?)"
    kernel: Text | str = str(rs.weight)
    if rs.weight == 0:
        kernel = Text("0 quiesced", style="yellow")
    elif drift:
        kernel = Text(str(rs.weight), style="bold yellow")
    load = computed = "-"
    if config is not None and config.snmp_agents:
        agent = agent_for(rs, config.snmp_agents)
        reading = reading_for(rs, readings) if agent is not None else None
        if reading is not None and reading.load:
            load = f"{reading.load[0]:.2f}"
        if agent is not None:
            decision = compute(config.weights, configured_weight(rs, agent, config.weights),
                               rs.weight, reading)
            computed = str(decision.computed)
    return kernel, "-" if conf is None else str(conf), computed, load, drift


def lvs_rows(view: View, config: Config | None = None) -> list[Row]:
    snap = view.snapshot
    assert snap is not None
    judgement = snap.judgement
    rows: list[Row] = []

    history = snap.cps

    def trend(key: str) -> str:
        return sparkline(history.get(key, ()), TREND)

    for director in snap.state.lvs:
        source = ("lvs", director.node)
        for svc in director.services:
            key = service_subject(svc.key, svc.director)
            subject = str(key)
            health = judgement.of("lvs", key)
            sched = svc.scheduler + (f" persist {svc.persistent_s}s" if svc.persistent_s else "")
            cps = str(svc.rates.conns) if svc.rates else "-"
            rows.append(Row(f"svc:{subject}",
                            (health_cell(health, word=False),
                             Text(safe(subject), style="bold"), "", "", "", "", "", "", "",
                             cps, trend(lvs_key(subject)),
                             sched + (f" │ {svc.managed_by}" if svc.managed_by else "")),
                            obj=svc, source=source))
            if not svc.real_servers:
                rows.append(Row(f"rs:{subject}/none", (health_cell(health, word=False),
                                "  (no real servers)", "", "", "", "", "", "", "", "", "",
                                ""),
                            source=source))
            for rs in svc.real_servers:
                kernel, conf, computed, load, drift = weight_cells(svc, rs, config,
                                                                   snap.state.snmp)
                rates = rs.rates
                info = f"in {rates.in_bytes} B/s" if rates else ""
                rs_key = rs.key  # a property that formats: once per row, not three times
                rows.append(Row(f"rs:{subject}/{rs_key}",
                                ("", "  " + rs_key, rs.forward, kernel, conf, computed, load,
                                 str(rs.active_conns), str(rs.inactive_conns),
                                 str(rates.conns) if rates else "-",
                                 sparkline(history.get(lvs_key(subject, rs_key), ()), TREND),
                                 Text(safe(drift), style="yellow") + Text(" " + info)
                                 if drift else info),
                                obj=rs, source=source))
            # Gone from the table (keepalived removed it; seen in an earlier poll): a
            # named row, down, rather than a silent gap.
            for gone in svc.gone:
                rows.append(Row(f"rs:{subject}/{gone}",
                                (Text("✖", style="bold red"), "  " + gone,
                                 Text("down", style="bold red"), "-", "-", "-", "-", "-",
                                 "-", "-", "", "gone from the IPVS table"),
                                source=source))
    for director in snap.state.lvs:
        for inst in director.vrrp:
            key = vrrp_subject(inst.name, director.node)
            subject = str(key)
            prio = f"prio {inst.effective_priority or inst.priority or '-'}"
            rows.append(Row(f"vrrp:{subject}",
                            (health_cell(judgement.of("lvs", key), word=False), subject,
                             "", "", "", "", "", "", "", "", "", f"{inst.state} {prio}"),
                            obj=inst, source=("keepalived", director.node)))
    return rows


class LvsScreen(AreaScreen):
    TITLE = "LVS"
    MODE = "lvs"
    MARK_KEPT = ("lvs",)
    ONE_CELL = ("lvs",)  # ~800 real servers' counters, rates and trends move every poll

    def tables(self) -> dict[str, list[Column]]:
        return {"lvs": [Column("health", "", 2), Column("object", "Service / real server", 24),
                        Column("fwd", "Fwd", 5), Column("weight", "Weight", 6),
                        Column("conf", "Conf", 4), Column("comp", "Comp", 4),
                        Column("load", "Load", 5),
                        Column("active", "Active", 6), Column("inactive", "Inact", 6),
                        Column("cps", "Conn/s", 6),
                        Column("trend", "CPS trend", TREND),
                        Column("info", "Info", 0)]}

    def info(self, view: View) -> Text | str:
        if view.snapshot is None:
            return ""
        lvs = view.snapshot.state.lvs
        services = sum(len(d.services) for d in lvs)
        masters = [d.node for d in lvs for v in d.vrrp if v.state == "MASTER"]
        return (f"{len(lvs)} directors, {services} services │ "
                f"MASTER: {', '.join(masters) or 'NONE'}")

    def build(self, view: View) -> dict[str, list[Row]]:
        poller = getattr(self.app, "poller", None)
        return {"lvs": lvs_rows(view, getattr(poller, "config", None))}
