"""``?``: the keys, on one page."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from hadeck.tui.panel import TextPanel

HELP = """\
hadeck — the cluster's dashboard

Screens      o overview   r resources   d DRBD   g guests, backups
             l LVS        c connectivity         e events
Move         ↑ ↓ / j k, PgUp PgDn, Home End / G, Tab between tables
Open         Enter: every field of the selected row, its source and age
                (a node: its volume groups, thin pools, DRBD disks)
Act          a: what can be done to the selected row (greyed: why not now);
                Enter previews it (crm_simulate), pre-checks, shows the
                commands; y runs it, a destructive one needs its name
                typed; Esc cancels, nothing run. --read-only: none run
Filter       /  type to filter rows, Enter keeps it, Esc clears it
Back         Esc  (from a screen back to the overview)
Screen keys  DRBD p: problems only   guests s: sort (node/state/CPU/mem)
             resources n: grouped by node, or the tree
Commands     :  any screen (:drbd, :d), :filter TEXT, :refresh, :quit,
                :help, :actions, :problems, :sort, :bynode
             Ctrl+P  command palette
Refresh      R  poll now      q  quit

Health is a symbol and a word, never colour alone:
  ✔ OK   ▲ WARNING   ✖ CRITICAL   ? UNKNOWN
⌛ STALE: data older than three refresh intervals. A source that fails
shows its reason among the problems; its last good data stays, marked
⌛ with its age. DRBD live: where drbdsetup events2 runs, a DRBD change
shows within half a second.
"""


class HelpScreen(TextPanel):
    """Esc (or ?, or q) closes the help."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "dismiss", "back", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP)
