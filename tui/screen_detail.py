"""The detail view of one selected row: every field, its source and the data's age."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hadeck.health import Problem, Verdict
from hadeck.text import safe
from hadeck.tui.fmt import age, badge, safe_text
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
    return [v for v in view.snapshot.judgement.verdicts
            if v.key.name == name and (node is None or v.key.node in (None, node))]


def detail_text(row: Row, view: View) -> Text:
    if isinstance(row.obj, Problem):
        return problem_text(row.obj, view)
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
    verdicts = judged(row.obj, view)
    if verdicts:
        text.append("\nWhat hadeck judges\n", style="bold underline")
        for v in verdicts:
            _verdict_line(text, v)
    text.append("\n")
    rows = fields(row.obj)
    width = min(34, max((len(k) for k, _ in rows), default=0))
    for key, value in rows:
        text.append(f"{safe(key):<{width}} ", style="bold")
        text.append(f"{safe(value)}\n")
    # Names were made safe one by one (their own line breaks show); this is the panel's
    # boundary for the rest (hadeck/text.py).
    return safe_text(text, lines=True)


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

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(detail_text(self.row, self.view_now))
        yield Footer(compact=True)

    def action_scroll(self, direction: str) -> None:
        box = self.query_one(VerticalScroll)
        if direction == "down":
            box.scroll_down()
        else:
            box.scroll_up()
