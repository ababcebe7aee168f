"""What the action screens say, as rich Text (pure: no Textual, tested without an app).

:func:`prepared_text` is the preview/confirm screen's body: what the operator asked for,
what Pacemaker's scheduler would do (from the preview on a copy of the CIB), each
pre-check with its verdict and reason, and the exact commands per node. :func:`verdict`
says whether it may run and, when not, why. :func:`outcome_text` is the result after it
ran; :func:`outcome_event` the line the events screen gets for it.

Names come from the cluster: every one goes through :func:`hadeck.text.safe` where it is
put in the text, and the whole text through :func:`hadeck.tui.fmt.safe_text` at the end.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from hadeck.actions.perform import Outcome, Prepared, StepResult
from hadeck.actions.request import Request
from hadeck.model import Health
from hadeck.text import safe
from hadeck.tui.fmt import safe_text
from hadeck.watch.events import Event

AREA = "action"
"""The events' area for what the operator ran from the dashboard."""


class Hanging:
    """A text whose long lines wrap under their own start, not at the left edge.

    At 80 columns a pre-check's reason or a command line often wraps; wrapped to column
    0 it reads as a new item. Each line continues two cells right of where its own text
    starts (past its indent), as a hanging indent does on paper. Only the layout
    changes: the text, its styles and its line breaks are ``text``'s.
    """

    def __init__(self, text: Text) -> None:
        self.text = text

    @property
    def plain(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for line in self.text.split("\n", allow_blank=True):
            start = len(line.plain) - len(line.plain.lstrip(" "))
            indent = start + 2
            if line.cell_len <= width or indent * 2 >= width:
                line.no_wrap = True
                line.overflow = "fold"
                yield line
                continue
            head, rest = line.divide([start])
            pieces = rest.wrap(console, width - indent)
            for i, piece in enumerate(pieces):
                out = Text(" " * indent) if i else head.copy()
                out.append_text(piece)
                out.no_wrap = True
                yield out


def describe(request: Request) -> str:
    """The request in the command line's words (``move vm1 jupiter2``)."""
    return request.describe()


def forcible(prepared: Prepared) -> bool:
    """Whether ``--force`` would let a refused action run: only checks that may be
    overridden failed (never a request that makes no sense, never read-only)."""
    failed = [c for c in prepared.checks if not c.ok]
    return (prepared.refused is not None and prepared.plan is not None and bool(failed)
            and all(c.overridable for c in failed) and not prepared.plan.request.force)


def preview_heading(prepared: Prepared) -> str:
    """The preview's heading: who says what would happen (the scheduler; drbdadm -d)."""
    how = next((c.reason for c in prepared.checks if c.name == "preview" and c.ok), "")
    if not how or how.startswith("the scheduler (crm_simulate)"):
        return "Pacemaker would (crm_simulate on a copy of the CIB)"
    return f"What will happen ({how})"


def _heading(text: Text, title: str) -> None:
    text.append("\n\n")
    text.append(title, style="bold underline")
    text.append("\n")


def _commands(prepared: Prepared) -> Iterable[tuple[str, str, str]]:
    """(node, command line, why) of every step; those run once settled say so."""
    plan = prepared.plan
    if plan is None:
        return ()
    after = [(s.node, shlex.join(s.argv), f"once settled: {s.why}" if s.why else
              "once settled") for s in plan.after]
    return [*((s.node, shlex.join(s.argv), s.why) for s in plan.steps), *after]


def prepared_text(request: Request, prepared: Prepared) -> Text:
    """The preview/confirm body: request, summary, scheduler preview, pre-checks, commands.

    Args:
        request: what the operator chose.
        prepared: what :func:`hadeck.actions.perform.prepare` returned for it.
    """
    text = Text()
    text.append(safe(describe(request)), style="bold")
    plan = prepared.plan
    if plan is not None and plan.summary:
        text.append(f"\n{safe(plan.summary)}")
    if plan is not None and plan.destructive:
        text.append("\n⚠ destructive", style="bold red")

    preview = prepared.preview
    if preview is not None:
        _heading(text, preview_heading(prepared))
        # Its text: one line per top-level resource in the operator's words, what the
        # scheduler would not do ("not done: …", with the score or constraint), and
        # what it leaves alone.
        for line in preview.text.splitlines():
            if line.startswith("not done: "):
                text.append(f"  ✘ {safe(line)}\n", style="bold red")
            elif line.startswith("no change: ") or line.startswith("the scheduler would"):
                text.append(f"  {safe(line)}\n", style="dim")
            else:
                text.append(f"  {safe(line)}\n")
        text.rstrip()

    if prepared.checks:
        _heading(text, "Pre-checks")
        for check in prepared.checks:
            if check.ok:
                text.append("  ✔ ", style="green")
            else:
                text.append("  ✘ ", style="bold red")
            text.append(f"{safe(check.name)}: {safe(check.reason)}")
            if not check.ok and check.overridable:
                text.append(" (overridden: forced)" if request.force else
                            " (--force overrides)", style="yellow")
            text.append("\n")
        text.rstrip()

    commands = list(_commands(prepared))
    if commands:
        _heading(text, "Commands")
        for node, argv, why in commands:
            text.append(f"  {safe(node)}: ", style="bold")
            text.append(safe(argv))
            if why:
                text.append(f"\n      {safe(why)}", style="dim")
            text.append("\n")
        text.rstrip()

    if prepared.refused:
        text.append("\n\n✘ refused: ", style="bold red")
        text.append(safe(prepared.refused))
    return safe_text(text, lines=True)


def outcome_text(request: Request, outcome: Outcome) -> Text:
    """The result: verified outcome and exit code, each step's result."""
    text = Text()
    text.append(safe(describe(request)), style="bold")
    text.append("\n")
    health = outcome_health(outcome)
    symbol = {Health.OK: "✔", Health.WARNING: "▲", Health.CRITICAL: "✘", Health.UNKNOWN: "?"}
    style = {Health.OK: "bold green", Health.WARNING: "bold yellow",
             Health.CRITICAL: "bold red", Health.UNKNOWN: "bold magenta"}
    # The word the command line and the journal use too: done, failed, not settled.
    word = outcome.word if outcome.exit_code != 1 else "refused"
    label = f"{symbol[health]} {word}"
    text.append(label, style=style[health])
    text.append(f" (exit {outcome.exit_code})\n")
    # What was found afterwards: each fact that holds ✔, each that does not ✘; a failed
    # command or a wait that ran out is one line (``verified`` says which).
    found = [("✔", fact, "green") for fact in outcome.facts]
    if not outcome.ok and outcome.unmet:
        found = [("✘", unmet, "bold red") for unmet in outcome.unmet] + found
    elif not outcome.ok or not found:
        found = [("", outcome.verified, "")] if outcome.verified else []
    for mark, line, colour in found:
        if mark:
            text.append(f"  {mark} ", style=colour)
        text.append(f"{safe(line)}\n")
    for result in outcome.results:
        text.append(f"  {safe(_result_line(result))}\n", style="dim")
    if outcome.journal:
        text.append(f"journal: {safe(outcome.journal)}\n", style="dim")
    text.rstrip()
    return safe_text(text, lines=True)


def _result_line(result: StepResult) -> str:
    """One command that ran: node, command line, how it ended."""
    end = f"exit {result.exit_code}" if result.error is None else result.error
    return f"{result.node}: {shlex.join(result.argv)} → {end}"


def outcome_health(outcome: Outcome) -> Health:
    """The outcome's health, from its exit code (0 done, 1 refused, 2 failed, 3 no read);
    everything ran but Pacemaker was still busy at the deadline: a WARNING, not a failure."""
    if outcome.exit_code == 2 and outcome.word == "not settled":
        return Health.WARNING
    return {0: Health.OK, 1: Health.WARNING, 2: Health.CRITICAL}.get(outcome.exit_code,
                                                                     Health.UNKNOWN)


def started_event(request: Request, at: float) -> Event:
    """The events screen's line when the operator confirms an action."""
    return Event(at, Health.OK, AREA, request.target,
                 f"action {describe(request)}: confirmed in the dashboard, running")


def outcome_event(request: Request, outcome: Outcome, at: float) -> Event:
    """The events screen's line for an action's result."""
    health = outcome_health(outcome)
    word = outcome.word if health == Health.OK else f"{outcome.word} (exit {outcome.exit_code})"
    verified = f": {outcome.verified}" if outcome.verified else ""
    return Event(at, health, AREA, request.target,
                 f"action {describe(request)} {word}{verified}")


def failed_event(request: Request, error: str, at: float) -> Event:
    """The events screen's line when running an action raised instead of answering."""
    return Event(at, Health.CRITICAL, AREA, request.target,
                 f"action {describe(request)} failed: {error}")
