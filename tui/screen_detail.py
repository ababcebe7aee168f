"""The detail view of one selected row: every field, its source and the data's age.

For a row about a Pacemaker resource (a resource, its failed action, fail count,
constraint, guest, or a problem about it) the view also says where it runs and why, and
why not on each other node (:func:`hadeck.placement.explain_access`): asked of the
scheduler in a thread once the view is open, since crm_simulate takes a moment.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hadeck.health import Kind, Verdict
from hadeck.model import Ban, FailCount, FailedAction, Guest, LocationConstraint, Resource
from hadeck.text import safe
from hadeck.tui.fmt import age, safe_text
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
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    return str(value)


def detail_text(row: Row, view: View) -> Text:
    text = Text()
    title = type(row.obj).__name__
    text.append(f"{title}  {safe(row.key.split(':', 1)[-1])}\n", style="bold")
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
    text.append("\n")
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
