"""The rich view of ``hadeck status``: one table per area, problems first.

Every health is shown as a symbol and a word beside its colour, so the view reads the
same on a monochrome terminal, in a mail or piped through ``less``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from hadeck.cli.table_lines import table_segments
from hadeck.health import (
    AREAS,
    Judgement,
    Kind,
    Subject,
    backup_subject,
    drbd_subject,
    guest_subject,
    lvm_subject,
    rank,
    service_subject,
    sync_text,
    thin_use,
    vrrp_subject,
    worst,
)
from hadeck.model import ClusterState, Health, Resource, ResourceKind, SnmpReading
from hadeck.text import safe
from hadeck.tui.fmt import badge, flags, safe_text, size
from hadeck.weights import reading_for


class _Table(Table):
    """A table whose cells are shown as written, never obeyed: the view's output boundary.

    Names come from the cluster: a resource called ``[bold]x`` or ``a:heart:b`` must
    show as written (a string cell is text, never markup or emoji codes), and a guest
    called ``vm\x1b[2J`` must not clear the screen (:func:`hadeck.text.safe`).
    """

    def add_row(self, *cells: RenderableType | None, **kwargs: object) -> None:
        super().add_row(*(_cell(c) for c in cells), **kwargs)  # type: ignore[arg-type]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Line by line when nothing wraps: the same output, in linear time
        # (cli/table_lines.py); rich lays out what has to fold.
        lines = table_segments(self, console, options)
        if lines is None:
            yield from super().__rich_console__(console, options)
        else:
            yield from lines


def _cell(cell: RenderableType | None) -> RenderableType | None:
    if isinstance(cell, str):
        return Text(safe(cell))
    if isinstance(cell, Text):
        return safe_text(cell)
    return cell


def _table(title: str, *columns: str) -> Table:
    table = _Table(title=title, title_justify="left", title_style="bold", expand=False,
                   show_lines=False, pad_edge=False)
    for i, col in enumerate(columns):
        # The first column names the object: keep it on one line, let the others wrap.
        table.add_column(col, overflow="fold", no_wrap=i == 0)
    return table


def render(
    state: ClusterState, judgement: Judgement, areas: Sequence[str] | None = None
) -> RenderableType:
    """The whole status view, limited to ``areas`` when given."""
    chosen = tuple(areas) if areas else AREAS
    parts: list[RenderableType] = [_header(state, judgement, chosen)]
    problems = judgement.grouped(chosen)
    if problems:
        # A root cause is the headline; what it caused folds under it, marked └.
        table = _table("Problems", "Health", "Area", "Subject", "Reason")
        for p in problems:
            table.add_row(badge(p.health), p.area, p.subject, p.reason)
            for v in p.causes[1:] + p.effects:
                table.add_row(badge(v.health), v.area, Text("└ " + safe(v.subject)),
                              Text(safe(v.reason), style="dim"))
            if p.advice:
                table.add_row("", "", Text("└ what to do", style="italic"),
                              Text(safe(p.advice), style="italic"))
        parts.append(table)
    builders = {
        "cluster": _cluster, "nodes": _nodes, "resources": _resources, "drbd": _drbd,
        "guests": _guests, "lvs": _lvs, "connectivity": _connectivity, "host": _host,
        "sources": _sources, "storage": _storage, "backups": _backups,
    }
    order = [a for a in AREAS if a != "sources"] + ["sources"]
    for area in order:
        if area in chosen:
            part = builders[area](state, judgement)
            if part is not None:
                parts.append(part)
    return Group(*parts)


def _header(state: ClusterState, judgement: Judgement, chosen: Iterable[str]) -> Text:
    overall = worst(judgement.area_health(a) for a in chosen)
    when = dt.datetime.fromtimestamp(state.taken_at).strftime("%Y-%m-%d %H:%M:%S")
    text = Text("hadeck status  ", style="bold")
    text.append_text(badge(overall))
    count = len(judgement.grouped(chosen))
    text.append(f"  {count} problem{'s' if count != 1 else ''}" if count else "  no problems")
    text.append(f"\n{safe(state.origin)}, local node {safe(state.local_node)}, taken {when}",
                style="dim")
    return text


def _cluster(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if state.pacemaker is None:
        return Text("Cluster: Pacemaker could not be read (see Sources)", style="magenta")
    info = state.pacemaker.cluster
    quorum = {True: "yes", False: "NO", None: "unknown"}[info.have_quorum]
    table = _table("Cluster", "Stack", "Pacemaker", "DC", "Quorum", "Maintenance", "STONITH",
                   "Health")
    table.add_row(info.stack or "-", info.pacemaker_version or "-", info.dc or "NONE", quorum,
                  "ON" if info.maintenance_mode else "off",
                  {True: "enabled", False: "disabled", None: "-"}[info.stonith_enabled],
                  badge(judgement.area_health("cluster")))
    return table


def _nodes(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if state.pacemaker is None:
        return None
    hosts = {h.node: h for h in state.hosts}
    guests: dict[str, int] = {}
    for g in state.guests:
        if g.running:
            guests[g.node] = guests.get(g.node, 0) + 1
    table = _table("Nodes", "Node", "State", "DC", "Resources", "Guests", "pingd", "Load",
                   "Health")
    rows = []
    for node in state.pacemaker.nodes:
        health = judgement.of("nodes", Subject(Kind.NODE, node.name))
        pingd = node.attribute("pingd")
        host = hosts.get(node.name)
        load = f"{host.load[0]:.2f}" if host and host.load else "-"
        score = "-"
        if pingd is not None:
            score = pingd.value + (f"/{pingd.expected}" if pingd.expected else "")
        rows.append((health, [node.name, node.state, "DC" if node.is_dc else "",
                              str(node.resources_running), str(guests.get(node.name, 0)),
                              score, load, badge(health)]))
    for _, row in sorted(rows, key=lambda r: -rank(r[0])):
        table.add_row(*row)
    return table


def _resources(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    pcmk = state.pacemaker
    if pcmk is None:
        return None
    table = _table("Resources", "Resource", "Type", "Role", "Node(s)", "Flags", "Health")

    def add(rsc: Resource, depth: int) -> None:
        indent = "  " * depth
        health = judgement.resource_health(rsc)
        if rsc.kind == ResourceKind.PRIMITIVE:
            table.add_row(indent + rsc.id, rsc.agent or "-", rsc.role or "-",
                          ", ".join(rsc.nodes) or "-", flags(rsc), badge(health))
            return
        kind = "promotable clone" if rsc.promotable else rsc.kind
        table.add_row(Text(safe(indent + rsc.id), style="bold"), kind, "",
                      ", ".join(rsc.running_on) or "-", flags(rsc), badge(health))
        if rsc.kind == ResourceKind.CLONE:
            # One line per role and node set, as crm_mon does, not one per instance.
            seen: dict[tuple[str, str], None] = {}
            for prim in rsc.primitives():
                seen[(prim.role or "-", ", ".join(prim.nodes) or "-")] = None
            for role, nodes in seen:
                table.add_row(indent + "  " + rsc.children[0].id if rsc.children else "",
                              "instance", role, nodes, "", "")
            return
        for child in rsc.children:
            add(child, depth + 1)

    for rsc in pcmk.resources:
        add(rsc, 0)
    parts: list[RenderableType] = [table]
    if pcmk.failed_actions:
        failed = _table("Failed actions", "Operation", "Node", "Result", "Reason", "When")
        for fa in pcmk.failed_actions:
            failed.add_row(fa.op_key, fa.node, fa.exit_status, fa.exit_reason, fa.last_rc_change)
        parts.append(failed)
    cli = [loc for loc in pcmk.locations if loc.from_cli]
    if cli:
        cons = _table("Constraints left by crm_resource", "Id", "Resource", "Node", "Score",
                      "Until")
        for loc in cli:
            cons.add_row(loc.id, loc.resource, loc.node or "-", loc.score, loc.lifetime or "-")
        parts.append(cons)
    return Group(*parts)


def _drbd(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if not state.drbd:
        return None
    table = _table("DRBD", "Resource", "Role", "Disk", "Peer", "Connection", "Peer role",
                   "Replication", "Peer disk", "Out of sync", "Health")
    for res in state.drbd:
        key = drbd_subject(res)
        subject = str(key)
        health = judgement.drbd_resource(key)
        disks = "/".join(v.disk for v in res.volumes) or "-"
        if not res.connections:
            table.add_row(subject, res.role, disks, "-", "-", "-", "-", "-", "-", badge(health))
        for i, conn in enumerate(res.connections):
            repl = ", ".join(sync_text(pv) if pv.syncing else pv.replication
                             for pv in conn.peer_volumes) or "-"
            peer_disk = "/".join(pv.peer_disk for pv in conn.peer_volumes) or "-"
            oos = sum(pv.out_of_sync_kib or 0 for pv in conn.peer_volumes)
            table.add_row(subject if i == 0 else "", res.role if i == 0 else "",
                          disks if i == 0 else "", conn.peer, conn.state, conn.peer_role,
                          repl, peer_disk, size(oos) if oos else "0",
                          badge(health) if i == 0 else "")
    return table


def _guests(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if not state.guests:
        return None
    table = _table("Guests", "Guest", "Node", "Type", "State", "vCPU", "Memory", "CPU time",
                   "Resource", "DRBD", "Health")
    rows: list[tuple[Health, list[RenderableType]]] = []
    for g in state.guests:
        health = judgement.of("guests", guest_subject(g.name, g.node))
        cpu = f"{g.cpu_time_s:.0f} s" if g.cpu_time_s is not None else "-"
        rows.append((health, [g.name, g.node, g.hypervisor, g.state,
                              str(g.vcpus) if g.vcpus is not None else "-",
                              size(g.memory_kib), cpu, g.resource or "-",
                              ", ".join(g.drbd) or "-", badge(health)]))
    for _, row in sorted(rows, key=lambda r: -rank(r[0])):
        table.add_row(*row)
    return table


def _lvs(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if not state.lvs:
        return _snmp(state)
    # The real servers' load over SNMP, only when agents were polled ([snmp.agents]).
    snmp = bool(state.snmp)
    table = _table("LVS", "Virtual service", "Director", "Scheduler", "Real server", "Forward",
                   "Weight", "Active", "Inactive", "CPS", *(("Load",) if snmp else ()),
                   "Health")
    for director in state.lvs:
        for svc in director.services:
            health = judgement.of("lvs", service_subject(svc.key, svc.director))
            sched = svc.scheduler + (f" persistent {svc.persistent_s}"
                                     if svc.persistent_s else "")
            if not svc.real_servers:
                table.add_row(svc.key, director.node, sched, "(none)", "", "", "", "", "",
                              *(("",) if snmp else ()), badge(health))
            for i, rs in enumerate(svc.real_servers):
                cps = str(rs.rates.conns) if rs.rates else "-"
                load = (_snmp_load(reading_for(rs, state.snmp)),) if snmp else ()
                table.add_row(svc.key if i == 0 else "", director.node if i == 0 else "",
                              sched if i == 0 else "", rs.key, rs.forward, str(rs.weight),
                              str(rs.active_conns), str(rs.inactive_conns), cps, *load,
                              badge(health) if i == 0 else "")
            # keepalived took these out of the table: a named row, down, not a gap.
            for rs_key in svc.gone:
                table.add_row("", "", "", rs_key, "-", "-", "-", "-", "-",
                              *(("",) if snmp else ()), Text("✖ down", style="bold red"))
    parts: list[RenderableType] = [table]
    vrrp = [(d.node, inst) for d in state.lvs for inst in d.vrrp]
    if vrrp:
        roles = _table("VRRP", "Instance", "Director", "State", "Priority", "Master",
                       "Health")
        for node, inst in vrrp:
            health = judgement.of("lvs", vrrp_subject(inst.name, node))
            roles.add_row(inst.name, node, inst.state,
                          str(inst.priority) if inst.priority is not None else "-",
                          inst.master_router or "-", badge(health))
        parts.append(roles)
    agents = _snmp(state)
    if agents is not None:
        parts.append(agents)
    return parts[0] if len(parts) == 1 else Group(*parts)


def _snmp_load(reading: SnmpReading | None) -> str:
    if reading is None:
        return "-"
    if reading.error is not None:
        return f"no answer ({reading.error_kind})"
    if reading.load is None:
        return "?"
    cpus = f" /{reading.cpu_count}" if reading.cpu_count else ""
    return f"{reading.load[0]:.2f}{cpus}"


def _snmp(state: ClusterState) -> RenderableType | None:
    """What each SNMP agent answered (hadeck's own reads; no verdict of their own)."""
    if not state.snmp:
        return None
    table = _table("SNMP agents", "Agent", "Address", "Load", "CPU", "Memory", "Up",
                   "Answer")
    for r in state.snmp:
        mem = r.memory_used_percent
        cpu = f"{r.cpu_percent:.0f} %" if r.cpu_percent is not None else "-"
        up = f"{r.uptime_s / 86400:.1f} d" if r.uptime_s is not None else "-"
        load = " ".join(f"{x:.2f}" for x in r.load) if r.load else "-"
        table.add_row(r.agent, r.address, load, cpu, f"{mem:.0f} %" if mem is not None else "-",
                      up, r.error or f"ok in {r.duration * 1000:.0f} ms")
    return table


def _connectivity(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    verdicts = judgement.area("connectivity")
    if not verdicts and not state.corosync:
        return None
    table = _table("Connectivity", "What", "Health", "Detail")
    for v in sorted(verdicts, key=lambda v: -rank(v.health)):
        table.add_row(v.subject, badge(v.health), v.reason)
    return table


def _host(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    if not state.hosts:
        return None
    table = _table("Hosts", "Node", "Load", "CPU", "Memory", "Fullest disk", "RAID", "Health")
    for h in state.hosts:
        health = judgement.on_node("host", h.node)
        load = " ".join(f"{x:.2f}" for x in h.load) if h.load else "-"
        cpu = f"{h.cpu_percent:.0f} % of {h.cpu_count}" if h.cpu_percent is not None else "-"
        mem = h.memory_used_percent
        fullest = max(h.disks, key=lambda d: d.percent, default=None)
        disk = f"{fullest.mountpoint} {fullest.percent:.0f} %" if fullest else "-"
        raid = ", ".join(f"{md.name} {md.status_map or ('active' if md.active else 'inactive')}"
                         for md in h.md_arrays) or "-"
        table.add_row(h.node, load, cpu, f"{mem:.0f} %" if mem is not None else "-", disk, raid,
                      badge(health))
    return table


def _storage(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    """Volume groups and thin pools per node, with the DRBD volumes on each."""
    if not any(r.groups or r.volumes for r in state.lvm):
        return None
    table = _table("Storage (LVM)", "Node", "Volume", "Size", "Free / used", "DRBD on it",
                   "Health")
    for report in state.lvm:
        for vg in report.groups:
            key = lvm_subject(vg.name, None, report.node)
            table.add_row(report.node, vg.name, size(vg.size_bytes / 1024),
                          f"{size(vg.free_bytes / 1024)} free", "",
                          badge(judgement.of("storage", key)))
        for lv in report.volumes:
            if lv.hidden or not (lv.is_thin_pool or lv.drbd):
                continue
            key = lvm_subject(lv.vg, lv.name, report.node)
            use = thin_use(lv)[1] if lv.is_thin_pool else \
                (f"{lv.data_percent:.1f} % of {lv.pool}" if lv.data_percent is not None
                 and lv.pool else "")
            drbd = ", ".join(lv.drbd) or ", ".join(
                d for v in report.volumes if v.pool == lv.name and v.vg == lv.vg
                for d in v.drbd)
            table.add_row(report.node, f"{lv.vg}/{lv.name}", size(lv.size_bytes / 1024),
                          use, drbd or "-",
                          badge(judgement.of("storage", key)) if lv.is_thin_pool else "")
    return table


def _backups(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    """One line per rdiff-backup repository (per guest where it names one)."""
    if not state.backups:
        return None
    verdicts = {v.key: v for v in judgement.area("backups")}
    table = _table("Backups", "Guest / path", "Node", "Last backup", "Increments", "Health",
                   "Reason")
    for repo in state.backups:
        verdict = verdicts.get(backup_subject(repo))
        last = dt.datetime.fromtimestamp(repo.last).strftime("%Y-%m-%d %H:%M") \
            if repo.last is not None else "-"
        table.add_row(repo.guest or repo.path, repo.node, last,
                      str(repo.increments) if repo.last is not None else "-",
                      badge(verdict.health if verdict else Health.UNKNOWN),
                      verdict.reason if verdict else "")
    return table


def _sources(state: ClusterState, judgement: Judgement) -> RenderableType | None:
    table = _table("Sources", "Source", "Node", "Read", "Took", "Result")
    for s in sorted(state.sources, key=lambda s: (s.ok, s.node, s.source)):
        result = Text(f"? {safe(s.error)}", style="magenta") if s.error \
            else Text(safe(s.detail or "ok"))
        when = dt.datetime.fromtimestamp(s.read_at).strftime("%H:%M:%S")
        table.add_row(s.source, s.node, when, f"{s.duration * 1000:.0f} ms", result)
    return table


class _Console(Console):
    """rich's console, but a reader that left (``| head``) is the command line's to handle.

    rich would exit 1 itself, which reads as WARNING; the command line exits as a command
    killed by SIGPIPE does, whatever it prints.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


PIPE_WIDTH = 1000
"""The width when stdout is not a terminal and $COLUMNS says nothing: wide enough that
no table folds a value (tables are as wide as their content, never wider)."""


def output_width(stream: IO[str], environ: Mapping[str, str]) -> int | None:
    """The width to render at: the terminal's (None: rich asks it), else ``$COLUMNS``,
    else :data:`PIPE_WIDTH`.

    rich falls back to 80 columns on a pipe or file, folding ``192.0.2.21:80`` into
    ``192. / 0.2.`` and ``Inactive`` into ``Ina / ctive``: a reader of ``hadeck status |
    less`` or a mail wants whole values, its pager scrolls sideways.
    """
    try:
        if stream.isatty():
            return None
    except (AttributeError, ValueError):  # a closed or odd stream is not a terminal
        pass
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return PIPE_WIDTH


def print_status(
    state: ClusterState, judgement: Judgement, areas: Sequence[str] | None = None,
    console: Console | None = None,
) -> None:
    if console is None:
        console = _Console(emoji=False, highlight=False,
                           width=output_width(sys.stdout, os.environ))
    console.print(render(state, judgement, areas))
