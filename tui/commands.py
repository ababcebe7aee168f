"""``:`` commands, vim style: ``:drbd``, ``:filter vm1``, ``:refresh``, ``:quit`` …

Parsing is pure (no Textual) and tested on its own; the app runs the result
(:meth:`hadeck.tui.app.HadeckApp.run_command`). A command that is not known gives a
:class:`CommandError` whose message the command line shows as an error line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

VERBS: dict[str, tuple[tuple[str, ...], str]] = {
    "filter": (("f",), "filter rows; no text clears the filter"),
    "refresh": (("reload",), "poll the cluster now"),
    "quit": (("q", "exit"), "leave hadeck"),
    "help": (("h", "?"), "the keys and commands"),
    "actions": (("a",), "the action panel of the selected row"),
    "new-guest": ((), "NAME --nodes A,B --size S --vg VG [--hypervisor …] [--like GUEST] "
                      "[--prefer NODE] [--start]: a new guest on DRBD, previewed first"),
}
"""Verb → (aliases, help). Screens are commands too (see :func:`parse`)."""

TOGGLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "problems": ((), "drbd", "problems_only", "DRBD: problems only, or all"),
    "sort": ((), "guests", "sort", "guests: next sort order"),
    "bynode": (("group-by-node",), "resources", "by_node", "resources: by node, or the tree"),
}
"""Verb → (aliases, screen, screen action, help): a screen's toggle key as a command."""


class CommandError(ValueError):
    """A command line that is not a command; the message says why, for the error line."""


@dataclass(frozen=True)
class Parsed:
    """A command: ``show`` (a screen), a verb of :data:`VERBS`, or ``toggle``."""

    verb: str
    arg: str = ""
    screen: str | None = None
    """For ``show`` and ``toggle``: the screen (mode name)."""


def parse(line: str, screens: Mapping[str, str]) -> Parsed:
    """Parse a command line (with or without its leading ``:``).

    Args:
        line: what the operator typed.
        screens: every name a screen answers to (its name, key, short label) → its mode.

    Returns:
        The command.

    Raises:
        CommandError: empty, unknown, or a command that takes no argument got one.
    """
    text = line.strip().removeprefix(":").strip()
    if not text:
        raise CommandError("empty command (try :help)")
    word, _, rest = text.partition(" ")
    name, rest = word.lower(), rest.strip()
    verb = next((v for v, (aliases, _) in VERBS.items() if name == v or name in aliases), None)
    if verb in ("filter", "new-guest"):
        return Parsed(verb, rest)
    if name in screens:
        _no_argument(word, rest)
        return Parsed("show", screen=screens[name])
    if verb is not None:
        _no_argument(word, rest)
        return Parsed(verb)
    for toggle, (aliases, screen, action, _) in TOGGLES.items():
        if name == toggle or name in aliases:
            _no_argument(word, rest)
            return Parsed("toggle", action, screen)
    raise CommandError(f"unknown command :{word} (try :help)")


def _no_argument(word: str, rest: str) -> None:
    if rest:
        raise CommandError(f":{word} takes no argument (got {rest!r})")
