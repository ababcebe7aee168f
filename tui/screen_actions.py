"""``a``: the action panel of the selected object (read-only release: no actions yet).

It renders whatever :func:`hadeck.actions.contract.actions_for` returns: the object (kind, id,
node), then one line per action with its key, or why it cannot run now; with no actions
it says they come in a later release.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from hadeck.actions.contract import LATER, Action, Selection
from hadeck.text import safe
from hadeck.tui.fmt import safe_text
from hadeck.tui.footer import Footer
from hadeck.tui.panel import TextPanel


def panel_text(selection: Selection, actions: list[Action]) -> Text:
    """The panel's content: what the object is, then what may be done to it."""
    text = Text()
    text.append(f"Actions — {selection.kind} {safe(selection.id)}\n\n", style="bold")
    for label, value in (("kind", selection.kind), ("id", selection.id),
                         ("node", selection.node or "-")):
        text.append(f"{label:<6}", style="bold")
        text.append(f"{safe(value)}\n")
    text.append("\n")
    if not actions:
        text.append(f"(none) {LATER}\n", style="italic")
    for action in actions:
        text.append(f"[{action.key}] " if action.key else "    ", style="bold")
        text.append(action.label)
        if action.unavailable:
            text.append(f"  ✖ not now: {action.unavailable}", style="magenta")
        text.append("\n")
    # The panel's boundary: names were made safe one by one (hadeck/text.py).
    return safe_text(text, lines=True)


class ActionScreen(TextPanel):
    """Esc (or a, or q) closes the panel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "dismiss", "back", show=False),
    ]

    def __init__(self, selection: Selection, actions: list[Action]) -> None:
        super().__init__()
        self.selection = selection
        self.actions = actions

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="actions"):
            yield Static(panel_text(self.selection, self.actions))
        yield Footer(compact=True)
