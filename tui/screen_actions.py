"""``a``: the action panel of the selected object — what may be done to it.

It lists whatever :func:`hadeck.actions.contract.actions_for` returns for the selection:
the object (kind, id, node), then one entry per action. An action that cannot run now
stays listed, greyed (a disabled option), with the reason; in read-only mode (or on a
bundle replay) every action is listed that way, and the line above the list says why.
Choosing an available action (Enter on it, or its key) closes the panel and opens the
action's preview (:class:`hadeck.tui.screen_perform.PerformScreen`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from hadeck.actions.contract import Action, Selection
from hadeck.text import safe
from hadeck.tui.fmt import safe_text
from hadeck.tui.footer import Footer
from hadeck.tui.panel import TextPanel


def refuse_all(actions: list[Action], reason: str | None) -> list[Action]:
    """``actions`` with every one unavailable for ``reason`` (read-only, a replay); as
    they are when ``reason`` is None. They stay listed: the operator sees what would be
    possible, and why not here."""
    if reason is None:
        return actions
    return [dataclasses.replace(a, unavailable=a.unavailable or reason) for a in actions]


def header_text(selection: Selection, actions: list[Action], note: str | None = None,
                about: str | None = None) -> Text:
    """What the object is (and ``about`` it: a split brain's two sides); then ``note``
    (why nothing can run) or the hint to choose."""
    text = Text()
    text.append(f"Actions — {selection.kind} {safe(selection.id)}\n\n", style="bold")
    for label, value in (("kind", selection.kind), ("id", selection.id),
                         ("node", selection.node or "-")):
        text.append(f"{label:<6}", style="bold")
        text.append(f"{safe(value)}\n")
    if about:
        text.append(f"\n{safe(about)}\n")
    if note:
        text.append("\n✖ ", style="bold magenta")
        text.append(safe(note), style="magenta")
    elif not actions:
        text.append(f"\n(none) hadeck acts through Pacemaker, on nodes and on the "
                    f"resources it manages (guests too): this {safe(selection.kind)} is "
                    "none of those", style="italic")
    elif any(a.unavailable is None for a in actions):
        text.append("\n↑ ↓ Enter (or its key): preview it; nothing runs before you confirm",
                    style="italic")
    else:
        text.append("\nnone of these can run now (the reasons are beside them)",
                    style="italic")
    return safe_text(text, lines=True)


def option_text(action: Action, note: str | None = None) -> Text:
    """One action's entry: key, label, and why not now (only ``✖ not now`` when the
    panel's ``note`` above already says why: read-only, a replay)."""
    text = Text()
    text.append(f"[{action.key}] " if action.key else "    ", style="bold")
    text.append(safe(action.label))
    if action.unavailable and note and note.startswith(action.unavailable):
        text.append("  ✖ not now", style="magenta")
    elif action.unavailable:
        text.append(f"  ✖ not now: {safe(action.unavailable)}", style="magenta")
    return safe_text(text)


def panel_text(selection: Selection, actions: list[Action], note: str | None = None) -> Text:
    """The whole panel as one text: the header and every action, a line each."""
    text = header_text(selection, actions, note)
    text.append("\n\n" if actions else "\n")
    for action in actions:
        text.append_text(option_text(action, note))
        text.append("\n")
    return text


class ActionScreen(TextPanel):
    """Esc (or a, or q) closes the panel; Enter or an action's key chooses it.

    Args:
        selection: the object under the cursor.
        actions: from ``actions_for``, already marked unavailable when nothing may run.
        note: why nothing may run here (read-only, a replay), or None.
        about: more about the object (a split brain's two sides), or None.
    """

    DEFAULT_CSS = """
    /* As wide as the terminal: a reason beside an action wraps instead of being cut. */
    ActionScreen > VerticalScroll { width: 100%; }
    ActionScreen Static { width: 100%; }
    ActionScreen OptionList, ActionScreen OptionList:focus {
        width: 100%; height: auto; max-height: 100%; border: none; padding: 0;
        margin-top: 1; background: $surface; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "dismiss", "back", show=False),
    ]

    def __init__(self, selection: Selection, actions: list[Action],
                 note: str | None = None, about: str | None = None) -> None:
        super().__init__()
        self.selection = selection
        self.actions = actions
        self.note = note
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="actions"):
            yield Static(header_text(self.selection, self.actions, self.note, self.about),
                         id="about")
            if self.actions:
                yield OptionList(*(Option(option_text(a, self.note), id=str(i),
                                          disabled=a.unavailable is not None
                                          or a.request is None)
                                   for i, a in enumerate(self.actions)), id="choices")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        choices = self.query(OptionList)
        if choices:
            choices.first().focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(self.actions[int(event.option.id or 0)])

    def on_key(self, event: events.Key) -> None:
        for action in self.actions:
            if action.key and event.character == action.key and action.key not in "aq":
                event.stop()
                event.prevent_default()
                if action.unavailable is None:
                    self.choose(action)
                else:
                    self.notify(f"{action.label}: not now: {action.unavailable}",
                                severity="warning")
                return

    def choose(self, action: Action) -> None:
        """Close the panel and open ``action``'s preview and confirmation."""
        if action.unavailable is not None or action.request is None:
            return
        from hadeck.tui.screen_perform import PerformScreen

        app = self.app
        self.dismiss()
        app.push_screen(PerformScreen(self.selection, action.request))
