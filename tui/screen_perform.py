"""One action from the dashboard: preview, pre-checks, commands, confirm, progress, result.

The screen goes through phases, each saying on its prompt line what the keys do:

- **preparing** — :func:`hadeck.actions.perform.prepare` runs in a thread worker (it reads
  the CIB and runs the real scheduler on a copy: a second or more on a real cluster), so
  the dashboard keeps answering; Esc leaves, nothing has been changed.
- **confirm** — the preview in the operator's words, each pre-check ✔/✘ with its reason,
  and the exact commands per node. ``y`` runs it; a destructive one (the plan's
  ``confirm_word``, and anything forced) instead needs that word typed into the box and
  Enter. Esc leaves, nothing run.
- **refused** — the refusal or the failed pre-checks stay on screen and nothing can be
  run; where only checks that are safe to override stop it, ``f`` prepares it again
  forced (which then needs the word typed).
- **running** — :func:`hadeck.actions.perform.execute` runs in a thread worker owned by
  the app (not by this screen), its progress lines appended as they come, until
  Pacemaker settles. The screen cannot be left meanwhile, and the app neither switches
  screens nor quits (:attr:`HadeckApp.acting`): an operator must see how it ended.
- **done** — the verified outcome and the exit code; both lines (started, result) are in
  the events screen too, and the dashboard polls at once to show the new state.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from hadeck.actions.contract import Selection
from hadeck.actions.perform import Outcome, Prepared, execute, prepare
from hadeck.actions.request import Request
from hadeck.text import safe
from hadeck.tui.actiontext import (
    Hanging,
    describe,
    failed_event,
    forcible,
    outcome_event,
    outcome_text,
    prepared_text,
    started_event,
)
from hadeck.tui.fmt import safe_text
from hadeck.tui.footer import Footer

if TYPE_CHECKING:
    from hadeck.tui.app import HadeckApp


class ActionProgress(Message):
    """A progress line from the running action (posted from its worker thread)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class ActionFinished(Message):
    """The running action ended: its outcome, or the error that ended it."""

    def __init__(self, outcome: Outcome | None, error: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error


class PerformScreen(ModalScreen[None]):
    """The preview / confirm / progress / result of one chosen action.

    Args:
        selection: the object the action was chosen for.
        request: the chosen action's request: what is prepared and run.
    """

    DEFAULT_CSS = """
    PerformScreen { align: center middle; }
    PerformScreen > #box { width: 100%; height: 100%; border: round $accent;
                           background: $surface; padding: 0 1; }
    PerformScreen #body { height: 1fr; }
    PerformScreen #text { width: 100%; height: auto; }
    PerformScreen #prompt { height: auto; margin-top: 1; }
    PerformScreen #word { width: 100%; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "back"),
        Binding("y", "confirm", "run it"),
        Binding("f", "force", "force"),
        Binding("enter", "close", "close", show=False),
        # The body scrolls while the confirmation box has the focus.
        Binding("up", "scroll('up')", "up", show=False),
        Binding("down", "scroll('down')", "down", show=False),
        Binding("pageup", "scroll('page_up')", "page up", show=False),
        Binding("pagedown", "scroll('page_down')", "page down", show=False),
    ]

    def __init__(self, selection: Selection, request: Request) -> None:
        super().__init__()
        self.selection = selection
        self.request = request
        self.phase = "preparing"
        """preparing, confirm, refused, running, done (see the module docstring)."""
        self.prepared: Prepared | None = None
        self.outcome: Outcome | None = None
        self.progress: list[str] = []
        self.confirm_word: str | None = None
        self.shown = Text()
        """The body's text as shown (wrapped with a hanging indent)."""

    @property
    def hadeck(self) -> HadeckApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            with VerticalScroll(id="body"):
                yield Static(id="text")
            yield Static(id="prompt")
            yield Input(id="word", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#word", Input).display = False
        self._start_prepare()

    # ------------------------------------------------------------------ prepare

    def _start_prepare(self) -> None:
        self.phase = "preparing"
        how = ("drbdadm -d" if self.request.verb.startswith("drbd-") else
               "crm_simulate on a copy of the CIB")
        self._body(Text.assemble((safe(describe(self.request)), "bold"), "\n\npreparing: "
                                 f"planning, previewing with {how}, pre-checking …"))
        self._prompt("Esc: cancel (nothing has been changed)")
        self.refresh_bindings()
        self._prepare()

    @work(thread=True, exclusive=True, exit_on_error=False, group="action-prepare")
    def _prepare(self) -> Prepared:
        return prepare(self.request, self.hadeck.opened(), read_only=self.hadeck.read_only)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "action-prepare" or self.phase != "preparing":
            return
        if event.state == WorkerState.SUCCESS:
            result = event.worker.result
            if isinstance(result, Prepared):
                self._show_prepared(result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self.phase = "refused"
            self._body(Text.assemble(
                (safe(describe(self.request)), "bold"), "\n\n",
                ("✘ could not prepare it: ", "bold red"),
                safe(f"{type(error).__name__}: {error}" if error else "unknown error"),
                "\nNothing has been changed."))
            self._prompt("Esc: back")

    def _show_prepared(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.call_after_refresh(self.refresh_bindings)
        self._body(prepared_text(self.request, prepared))
        box = self.query_one("#word", Input)
        if prepared.refused is not None or prepared.plan is None:
            self.phase = "refused"
            box.display = False
            prompt = Text("✘ refused: nothing will run", style="bold red")
            if forcible(prepared):
                prompt.append("   f: force the checks marked so", style="yellow")
            prompt.append("   Esc: back")
            self._prompt(prompt)
            return
        self.phase = "confirm"
        plan = prepared.plan
        word = plan.confirm_word if plan is not None else None
        if word is None and self.request.force:
            # Anything forced is destructive (the issue says); a cleanup of every resource
            # has no target: its verb is the word, never an empty Enter.
            word = self.request.target or self.request.verb
        self.confirm_word = word
        if word is None:
            box.display = False
            self._prompt(Text.assemble(("y", "bold"), ": run it   ", ("Esc", "bold"),
                                       ": cancel (nothing is run)"))
            return
        self._prompt(Text.assemble(("⚠ type ", "bold red"), (safe(word), "bold"),
                                   (" and Enter to run it", "bold red"), "   ",
                                   ("Esc", "bold"), ": cancel (nothing is run)"))
        box.value = ""
        box.placeholder = f"type {safe(word)} to confirm"
        box.display = True
        box.focus()

    # ------------------------------------------------------------------ keys

    def action_cancel(self) -> None:
        if self.phase == "running":
            self.notify("it runs until Pacemaker settles: the result follows",
                        severity="warning")
            return
        self.dismiss()

    def action_close(self) -> None:
        if self.phase in ("done", "refused"):
            self.dismiss()

    def action_confirm(self) -> None:
        if self.phase == "confirm" and self.confirm_word is None:
            self._run()

    def action_scroll(self, how: str) -> None:
        body = self.query_one("#body", VerticalScroll)
        getattr(body, f"scroll_{how}")(animate=False)

    def action_force(self) -> None:
        if self.phase == "refused" and self.prepared is not None and forcible(self.prepared):
            self.request = dataclasses.replace(self.request, force=True)
            self._start_prepare()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.phase != "confirm" or self.confirm_word is None:
            return
        if event.value.strip() == self.confirm_word:
            self._run()
            return
        event.input.value = ""
        self.notify(f"not run: type {safe(self.confirm_word)} exactly to confirm "
                    "(Esc cancels)", severity="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only the keys of the phase show in the footer.
        if action == "confirm":
            return self.phase == "confirm" and self.confirm_word is None
        if action == "force":
            return self.phase == "refused" and self.prepared is not None \
                and forcible(self.prepared)
        if action == "close":
            return self.phase in ("done", "refused")
        return True

    # ------------------------------------------------------------------ run

    def _run(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        self.phase = "running"
        self.refresh_bindings()
        self.query_one("#word", Input).display = False
        app = self.hadeck
        app.acting = True
        request = self.request
        app.event_log.extend([started_event(request, time.time())])
        self._prompt(Text("running … until DRBD shows the result" if
                          request.verb.startswith("drbd-") else
                          "running … until Pacemaker settles", style="bold"))
        self._show_progress()
        opened = app.opened()
        wait = app.action_wait
        post = self.post_message

        def progress(line: str) -> None:
            post(ActionProgress(line))

        def run() -> None:
            # In a thread owned by the app: the result is logged even if this screen
            # were gone, and post_message is the thread-safe way back to it.
            try:
                outcome = execute(prepared, opened, wait, progress)
            except Exception as exc:  # an action that raised is reported, never a crash
                error = f"{type(exc).__name__}: {exc}"
                app.event_log.extend([failed_event(request, error, time.time())])
                post(ActionFinished(None, error))
                return
            app.event_log.extend([outcome_event(request, outcome, time.time())])
            post(ActionFinished(outcome))

        app.run_worker(run, thread=True, exit_on_error=False, group="action",
                       name=f"action {describe(request)}")

    def on_action_progress(self, message: ActionProgress) -> None:
        self.progress.append(message.line)
        if self.phase == "running":
            self._show_progress()

    def on_action_finished(self, message: ActionFinished) -> None:
        app = self.hadeck
        app.acting = False
        self.phase = "done"
        self.outcome = message.outcome
        if message.outcome is not None:
            text = outcome_text(self.request, message.outcome)
        else:
            text = Text.assemble((safe(describe(self.request)), "bold"), "\n",
                                 ("✘ failed: ", "bold red"), safe(message.error or ""),
                                 "\nThe dashboard's next poll shows where things are.")
        if self.progress:
            text.append_text(self._progress_text())
        self._body(text)
        # After the new text is laid out: scrolled at once, the old end would stay.
        body = self.query_one("#body", VerticalScroll)
        self.call_after_refresh(body.scroll_home, animate=False)
        self._prompt(Text.assemble("also in the events screen (e)   ", ("Esc", "bold"),
                                   "/", ("Enter", "bold"), ": close"))
        self.refresh_bindings()
        app.poll_now()  # show the cluster as it is now

    # ------------------------------------------------------------------ drawing

    def _progress_text(self, heading: str = "Progress") -> Text:
        text = Text()
        text.append(f"\n\n{heading}\n", style="bold underline")
        text.append("\n".join(f"  {safe(line)}" for line in self.progress) or "  …")
        return text

    def _show_progress(self) -> None:
        assert self.prepared is not None
        text = prepared_text(self.request, self.prepared)
        text.append_text(self._progress_text("Running"))
        self._body(text)
        self.query_one("#body", VerticalScroll).scroll_end(animate=False)

    def _body(self, text: Text) -> None:
        self.shown = safe_text(text, lines=True)
        self.query_one("#text", Static).update(Hanging(self.shown))

    def _prompt(self, text: Text | str) -> None:
        shown = text if isinstance(text, Text) else Text(text)
        self.query_one("#prompt", Static).update(safe_text(shown, lines=True))
