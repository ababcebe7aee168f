"""A modal panel of text: help, the action panel. Esc or q closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen


class TextPanel(ModalScreen[None]):
    """Centred, sized by its text, scrolling when the terminal is smaller than it."""

    DEFAULT_CSS = """
    TextPanel { align: center middle; }
    TextPanel > VerticalScroll { width: auto; max-width: 100%; height: auto;
                                 max-height: 100%; border: round $accent;
                                 background: $surface; padding: 0 1; }
    /* A Static is 1fr wide by default: inside an auto-sized box that is a loop that
       Textual settles at zero, and the box showed empty. Size it by its text. */
    TextPanel Static { width: auto; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "back"),
        Binding("q", "dismiss", "back", show=False),
    ]
