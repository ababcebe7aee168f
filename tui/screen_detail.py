"""The detail view of one selected row: every field, its source and the data's age.

For a row about a Pacemaker resource (a resource, its failed action, fail count,
constraint, guest, or a problem about it) the view also says where it runs and why, and
why not on each other node (:func:`hadeck.placement.explain_access`): asked of the
scheduler in a thread once the view is open, since crm_simulate takes a moment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hadeck.health import Kind, Problem, Verdict, thin_use
from hadeck.health.words import count_text, location_words, score_text
from hadeck.model import (
    BackupRepo,
    Ban,
    ClusterState,
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    FailCount,
    FailedAction,
    Guest,
    LocationConstraint,
    Node,
    PacemakerState,
    Resource,
    ResourceKind,
)
from hadeck.text import safe
from hadeck.tui.fmt import age, badge, flags, safe_text, size
from hadeck.tui.footer import Footer
from hadeck.tui.tables import Row
from hadeck.tui.view import View


def fields(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every field of a model object, nested ones flattened as ``a.b``; tuples of objects
    numbered ``a[0].b``."""
    out: list[tuple[str, str]] = []
    if not dataclasses.is_dataclass(obj):
        return [(prefix or "value", repr(obj))]
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out += fields(value, name + ".")
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                out += fields(item, f"{name}[{i}].")
        else:
            out.append((name, _value(value)))
    return out


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    return str(value)


def _when(since: float | None, view: View) -> str:
    if since is None:
        return ""
    now = view.snapshot.state.taken_at if view.frozen and view.snapshot else view.now
    stamp = dt.datetime.fromtimestamp(since).strftime("%Y-%m-%d %H:%M:%S")
    return f"since {stamp} ({age(now - since)} before this reading, the cluster's own time)"


def _verdict_line(text: Text, v: Verdict, indent: str = "  ") -> None:
    text.append(indent)
    text.append_text(badge(v.health))
    text.append(f"  {safe(v.subject)}", style="bold")
    text.append(f"  {safe(v.reason)}\n")


def problem_text(problem: Problem, view: View) -> Text:
    """A problem in words: the headline, when it began, its cause, what it caused, and
    what an operator would do."""
    text = Text()
    text.append_text(badge(problem.health))
    text.append(f"  {safe(problem.subject)}\n", style="bold")
    text.append(f"{safe(problem.reason)}\n")
    when = _when(problem.since, view)
    if when:
        text.append(when + "\n", style="dim")
    else:
        text.append("the cluster records no time for it: 'Since' is when hadeck first saw "
                    "it\n", style="dim")
    text.append("\nCause\n", style="bold underline")
    for v in problem.causes:
        _verdict_line(text, v)
    if problem.effects:
        text.append("\nWhat it caused\n", style="bold underline")
        for v in problem.effects:
            _verdict_line(text, v)
    if problem.advice:
        text.append("\nWhat to do\n", style="bold underline")
        text.append(f"  {safe(problem.advice)}\n")
    return safe_text(text, lines=True)


def judged(obj: Any, view: View) -> list[Verdict]:
    """What hadeck judges about the object of a row (resource, node, guest, DRBD …)."""
    if view.snapshot is None:
        return []
    name = getattr(obj, "id", None) or getattr(obj, "name", None)
    if not isinstance(name, str):
        return []
    node = getattr(obj, "node", None)
    found = [v for v in view.snapshot.judgement.verdicts
             if v.key.name == name and (node is None or v.key.node in (None, node))]
    if isinstance(obj, Node):  # its storage is judged under the volumes' names
        found += [v for v in view.snapshot.judgement.area("storage") if v.node == obj.name]
    return found


_TITLES = {
    "Verdict": "hadeck's verdict", "Resource": "Resource", "Node": "Node",
    "DrbdResource": "DRBD resource", "DrbdConnection": "DRBD connection",
    "DrbdPeerVolume": "DRBD peer volume", "Guest": "Guest", "FailedAction": "Failed action",
    "FailCount": "Fail count", "LocationConstraint": "Location constraint",
    "Ban": "Ban", "VirtualService": "LVS virtual service", "RealServer": "LVS real server",
    "VrrpInstance": "VRRP instance", "Event": "Event", "BackupRepo": "Backup repository",
}
"""What each row's object is called in the detail view's title."""


def detail_text(row: Row, view: View) -> Text:
    if isinstance(row.obj, Problem):
        return problem_text(row.obj, view)
    text = Text()
    title = _TITLES.get(type(row.obj).__name__, type(row.obj).__name__)
    name = row.obj.subject if isinstance(row.obj, Verdict) else row.key.split(":", 1)[-1]
    text.append(f"{title}  {safe(name)}\n", style="bold")
    if row.source is not None:
        source, node = row.source
        status = view.source(source, node)
        text.append(f"source {source}@{safe(node)}: ")
        if status is None:
            text.append("not read this time\n", style="magenta")
        else:
            text.append(f"read {view.describe_age(status.read_at)}, took "
                        f"{status.duration * 1000:.0f} ms"
                        + (f", via {status.detail}" if status.detail else "") + "\n")
            if status.error:
                text.append(f"? error: {safe(status.error)}\n", style="bold magenta")
            kept = view.kept_at(row.source)
            if kept is not None:
                text.append(f"⌛ shown: the last good data, read {age(view.now - kept)} ago\n",
                            style="bold yellow")
    elif view.snapshot is not None:
        text.append(f"state taken {view.describe_age(view.snapshot.state.taken_at)}\n")
    words = in_words(row.obj, view)
    if words:
        text.append("\n")
        for line in words:
            text.append(f"{safe(line)}\n")
    verdicts = [] if isinstance(row.obj, Verdict) else judged(row.obj, view)
    if verdicts:
        text.append("\nWhat hadeck judges\n", style="bold underline")
        for v in verdicts:
            _verdict_line(text, v)
    text.append("\nAll fields\n", style="bold underline")
    rows = fields(row.obj)
    width = min(34, max((len(k) for k, _ in rows), default=0))
    for key, value in rows:
        text.append(f"{safe(key):<{width}} ", style="bold")
        text.append(f"{safe(value)}\n")
    # Names were made safe one by one (their own line breaks show); this is the panel's
    # boundary for the rest (hadeck/text.py).
    return safe_text(text, lines=True)


def resource_of(obj: Any) -> str | None:
    """The Pacemaker resource a row is about, if any: what the placement is asked for."""
    if isinstance(obj, Resource):
        return obj.id
    if isinstance(obj, Problem):
        # A grouped problem is about the resource of its cause, if its cause is one.
        return resource_of(obj.causes[0])
    if isinstance(obj, Verdict):
        return obj.key.name if obj.key.kind == Kind.RESOURCE and obj.key.name else None
    if isinstance(obj, (FailedAction, FailCount, LocationConstraint, Ban, Guest)):
        return obj.resource or None
    return None


def placement_text(lines: list[str]) -> Text:
    """The placement section: a heading and the explanation's lines, made safe."""
    text = Text("\nplacement (hadeck explain)\n", style="bold")
    for line in lines:
        text.append(f"{safe(line)}\n")
    return text


# --------------------------------------------------------------------------- in words


def in_words(obj: Any, view: View) -> list[str]:
    """The object's state as crm_mon, drbdadm or virsh would say it (empty when there is
    no better way to say it than its fields)."""
    pcmk = view.snapshot.state.pacemaker if view.snapshot else None
    if isinstance(obj, Verdict):
        lines = [f"{obj.health.name}: {obj.subject}: {obj.reason}",
                 f"area {obj.area}" + (f", seen on {obj.node}" if obj.node else "")]
        when = _when(obj.since, view)
        return [*lines, when] if when else lines
    if isinstance(obj, Resource):
        return _resource_words(obj, pcmk)
    if isinstance(obj, Node):
        lines = _node_words(obj, pcmk)
        if view.snapshot is not None:
            lines += storage_words(view.snapshot.state, obj.name)
        return lines
    if isinstance(obj, DrbdResource):
        return _drbd_words(obj)
    if isinstance(obj, DrbdConnection):
        return [_connection_line(obj), *(f"  {_peer_volume_line(pv)}"
                                          for pv in obj.peer_volumes)]
    if isinstance(obj, DrbdPeerVolume):
        return [_peer_volume_line(obj)]
    if isinstance(obj, Guest):
        return _guest_words(obj)
    if isinstance(obj, BackupRepo):
        return _backup_words(obj)
    if isinstance(obj, FailedAction):
        return [failed_action_text(obj)]
    if isinstance(obj, FailCount):
        return [f"{obj.resource} on {obj.node}: fail count {count_text(obj.count)}"
                + (f" (migration-threshold {count_text(obj.migration_threshold)})"
                   if obj.migration_threshold else "")
                + (f", last failure {obj.last_failure}" if obj.last_failure else ""),
                f"clean up: crm_resource --cleanup -r {obj.resource} -N {obj.node}"]
    if isinstance(obj, LocationConstraint):
        verb = location_words(obj.score)
        where = (f"{verb} {obj.node}" if obj.node else
                 verb.removesuffix(" on") + (
                     f" where its rule on {', '.join(obj.rule_attributes)} matches"
                     if obj.rule_attributes else " where its rule matches"))
        return [f"{obj.resource} {where} "
                f"({score_text(obj.score)}, constraint {obj.id})"
                + (f", until {obj.lifetime}" if obj.lifetime else "")]
    if isinstance(obj, Ban):
        return [f"{obj.resource} {location_words(obj.weight)} {obj.node} "
                f"({score_text(obj.weight)}, constraint {obj.id})"
                + (" in the Promoted role" if obj.promoted_only else "")]
    return []


def failed_action_text(fa: FailedAction) -> str:
    """A failed action as crm_mon words it."""
    if fa.status and fa.status not in ("complete", "done"):
        what = f"could not be executed ({fa.status})"
    else:
        what = f"returned '{fa.exit_status or 'error'}' ({fa.exit_code})"
    extra = f": {fa.exit_reason}" if fa.exit_reason else ""
    when = f", last-rc-change '{fa.last_rc_change}'" if fa.last_rc_change else ""
    return f"{fa.op_key} on {fa.node} {what}{extra}{when}"


def _flags_words(rsc: Resource) -> str:
    words = " ".join(w for w in flags(rsc).split() if w != "FAILED")
    return f" ({words})" if words else ""


def _resource_words(rsc: Resource, pcmk: PacemakerState | None) -> list[str]:
    lines: list[str] = []
    if rsc.kind == ResourceKind.PRIMITIVE:
        where = " ".join(rsc.nodes)
        # crm_mon: "vm1 (ocf:heartbeat:VirtualDomain): FAILED jupiter1 (blocked)".
        state = "FAILED" if rsc.failed else (rsc.role or "Unknown")
        lines.append(f"{rsc.id} ({rsc.agent or '?'}): {state} {where}".rstrip()
                     + _flags_words(rsc))
    else:
        kind = "promotable clone" if rsc.promotable else rsc.kind
        lines.append(f"{kind} {rsc.id}: runs on {', '.join(rsc.running_on) or 'no node'}"
                     + _flags_words(rsc))
        for child in rsc.primitives():
            lines.append(f"  {child.id}: {child.role or 'Unknown'} "
                         f"{' '.join(child.nodes)}".rstrip())
    if pcmk is None:
        return lines
    ids = {rsc.id, *(p.id for p in rsc.primitives())}
    for fa in pcmk.failed_actions:
        if fa.resource in ids:
            lines.append("failed: " + failed_action_text(fa))
    for fc in pcmk.fail_counts:
        if fc.resource in ids and fc.count > 0:
            lines.append(f"fail count {count_text(fc.count)} on {fc.node}: "
                         f"crm_resource --cleanup -r {fc.resource} -N {fc.node}")
    seen: set[tuple[str, str, int | None, str]] = set()
    for op in pcmk.operations:
        key = (op.resource, op.node, op.call, op.task)
        if op.resource not in ids or key in seen:
            continue  # crm_mon lists a failed operation twice: as last and as failure
        seen.add(key)
        every = f" every {op.interval_ms // 1000}s" if op.interval_ms else ""
        lines.append(f"operation on {op.node}: call {op.call} {op.task}{every} → rc={op.rc} "
                     f"({op.rc_text}), last-rc-change '{op.last_rc_change}'")
    for loc in pcmk.locations:
        if loc.resource in ids:
            rule = (f"where its rule on {', '.join(loc.rule_attributes)} matches"
                    if loc.rule_attributes else "where its rule matches")
            verb = location_words(loc.score)
            lines.append(f"location {loc.id}: "
                         + (f"{verb} {loc.node}" if loc.node else
                            f"{verb.removesuffix(' on')} {rule}")
                         + f" ({score_text(loc.score)})")
    for col in pcmk.colocations:
        if col.resource in ids or col.with_resource in ids:
            role = f" {col.with_role}" if col.with_role else ""
            lines.append(f"colocation {col.id}: {col.resource} with {col.with_resource}{role} "
                         f"({score_text(col.score)})")
    return lines


def _node_words(node: Node, pcmk: PacemakerState | None) -> list[str]:
    state = node.state
    if state == "offline":
        state += " (expected up: crashed or cut off)" if node.expected_up \
            else " (shut down cleanly)"
    lines = [f"Node {node.name}: {state}" + (", DC" if node.is_dc else "")
             + f", {node.resources_running} resource instances running"]
    for attr in node.attributes:
        expected = f" (expected {attr.expected})" if attr.expected else ""
        lines.append(f"  {attr.name} = {attr.value}{expected}")
    if pcmk is not None:
        here = [p.id for r in pcmk.resources for p in r.primitives() if node.name in p.nodes]
        if here:
            lines.append("runs " + ", ".join(dict.fromkeys(here)))
    return lines


def storage_words(state: ClusterState, node: str) -> list[str]:
    """The node's LVM: each volume group's free space, each thin pool's use and the DRBD
    volumes on it, each DRBD backing device's logical volume."""
    lines: list[str] = []
    for report in state.lvm:
        if report.node != node:
            continue
        for vg in report.groups:
            lines.append(f"volume group {vg.name}: {size(vg.free_bytes / 1024)} free of "
                         f"{size(vg.size_bytes / 1024)}"
                         + (" (a physical volume is missing)" if vg.partial else ""))
        for lv in report.volumes:
            if lv.is_thin_pool:
                on = [d for v in report.volumes if v.pool == lv.name and v.vg == lv.vg
                      for d in v.drbd]
                lines.append(f"  thin pool {lv.vg}/{lv.name} {size(lv.size_bytes / 1024)}: "
                             f"{thin_use(lv)[1]}" + (f" (DRBD {', '.join(on)})" if on else ""))
        for lv in report.volumes:
            for drbd in lv.drbd:
                lines.append(f"  DRBD {drbd} on {lv.path or lv.dm_path}"
                             + (f" (thin, pool {lv.pool})" if lv.pool else ""))
    return lines


def _backup_words(repo: BackupRepo) -> list[str]:
    """As ``rdiff-backup list increments`` would say it, with the last run's errors."""
    lines = [f"rdiff-backup repository {repo.path} on {repo.node}"
             + (f", backs up {repo.guest}" if repo.guest else "")]
    if repo.error:
        return [*lines, f"cannot be read: {repo.error}"]
    if repo.runs:
        first = dt.datetime.fromtimestamp(repo.runs[0].time).strftime("%Y-%m-%d %H:%M")
        last = dt.datetime.fromtimestamp(repo.runs[-1].time).strftime("%Y-%m-%d %H:%M")
        lines.append(f"{repo.increments} increments since {first}; current mirror {last}")
    if repo.interrupted:
        lines.append("the last run did not finish: rdiff-backup regress (or the next run) "
                     "repairs it")
    if repo.error_log:
        lines.append("the last run's error log:")
        lines += [f"  {line}" for line in repo.error_log.splitlines()]
    return lines


def _drbd_words(res: DrbdResource) -> list[str]:
    """As ``drbdadm status`` prints it."""
    lines = [f"{res.name} role:{res.role}" + ("" if res.suspended in ("no", "")
                                              else f" suspended:{res.suspended}")]
    for vol in res.volumes:
        extra = "" if vol.quorum is not False else " quorum:no"
        lines.append(f"  volume:{vol.volume} disk:{vol.disk}{extra}")
    for conn in res.connections:
        lines.append("  " + _connection_line(conn))
        lines += [f"    {_peer_volume_line(pv)}" for pv in conn.peer_volumes]
    return lines


def _connection_line(conn: DrbdConnection) -> str:
    return f"{conn.peer} connection:{conn.state} role:{conn.peer_role}"


def _peer_volume_line(pv: DrbdPeerVolume) -> str:
    line = f"volume:{pv.volume} replication:{pv.replication} peer-disk:{pv.peer_disk}"
    if pv.done_percent is not None:
        line += f" done:{pv.done_percent:.2f}"
    if pv.out_of_sync_kib:
        line += f" out-of-sync:{size(pv.out_of_sync_kib)}"
    return line


def _guest_words(g: Guest) -> list[str]:
    lines = [f"{g.name} on {g.node}: {g.state} ({g.hypervisor})"]
    if g.resource:
        lines.append(f"managed by the cluster as {g.resource}")
    if g.drbd:
        lines.append(f"on DRBD {', '.join(g.drbd)}")
    if g.vcpus is not None or g.memory_kib is not None:
        lines.append(f"{g.vcpus or '?'} vCPU, {size(g.memory_kib) if g.memory_kib else '?'}"
                     " memory")
    return lines

class DetailScreen(ModalScreen[None]):
    """Esc (or q, or Enter) goes back to the list."""

    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > VerticalScroll { width: 100%; height: 100%; border: round $accent;
                                    background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "back"),
        Binding("enter", "dismiss", "back", show=False),
        Binding("q", "dismiss", "back", show=False),
        Binding("j", "scroll('down')", "down", show=False),
        Binding("k", "scroll('up')", "up", show=False),
    ]

    def __init__(self, row: Row, view: View) -> None:
        super().__init__()
        self.row = row
        self.view_now = view
        self.resource = resource_of(row.obj)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(detail_text(self.row, self.view_now))
            if self.resource is not None:
                yield Static(placement_text(["asking the scheduler …"]), id="placement")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.resource is not None:
            self._explain(self.resource)

    @work(thread=True, exit_on_error=False, group="placement")
    def _explain(self, resource: str) -> None:
        from hadeck.placement import ExplainError, explain_access

        poller = getattr(self.app, "poller", None)
        try:
            if poller is None:
                raise ExplainError("no cluster to ask")
            lines = explain_access(poller.access(), resource).lines()
        except ExplainError as exc:
            lines = [f"? cannot tell: {exc}"]
        except Exception as exc:  # a view must not close the app (FACTS.md: workers)
            lines = [f"? cannot tell: internal error {type(exc).__name__}: {exc}"]
        self.app.call_from_thread(self._show, lines)

    def _show(self, lines: list[str]) -> None:
        if not self.is_attached:
            return  # closed while the scheduler was asked
        self.query_one("#placement", Static).update(safe_text(placement_text(lines),
                                                              lines=True))

    def action_scroll(self, direction: str) -> None:
        box = self.query_one(VerticalScroll)
        if direction == "down":
            box.scroll_down()
        else:
            box.scroll_up()
