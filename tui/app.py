"""The ``hadeck`` dashboard: a read-only Textual app over one :class:`Poller`.

Polling: one thread worker (group ``poll``) reads the cluster and posts :class:`Polled`;
the next poll is armed with ``set_timer`` only once the worker has finished, so polls
never overlap and a slow cluster slows the refresh instead of piling up threads (as
dolphie does). While a poll runs, what it has read so far is posted too (a partial
:class:`Polled`, from :meth:`Poller.poll`'s ``on_partial``): the local Pacemaker view
first, then each node as it arrives; a slow peer's rows show its last good data, marked,
until its answer is in. A collector exception ends that worker, not the app
(``exit_on_error=False``): its reason is shown in the status bar, the last good data
stays on screen and turns stale, and polling goes on. A bundle is read once.

Screens are Textual modes, one per area, switched by single keys; only the visible one
is redrawn, by diff. A 1 s tick keeps the status bar's age honest between polls.

The UI thread only applies diffs: the poll worker also builds the visible screen's rows
and diffs them against its tables (:meth:`AreaScreen.plan_view`), and posts that plan
with the snapshot. On a 500-guest lab this moved ~100 ms (and, before the verdicts were
indexed, seconds) per refresh off the thread that answers the keys.

DRBD is also followed live (:mod:`hadeck.tui.drbdstream`) on the nodes where the poll
found ``drbdsetup events2`` working: each change arrives as a :class:`DrbdChanged`, is
held 50 ms so that a burst of lines (a link going down changes four objects) is judged
once, and goes through :meth:`Poller.apply_drbd` into a new snapshot — in a thread
worker too: judging and diffing a 500-guest state takes ~100 ms.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar, Literal

from textual import work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from hadeck.actions import perform
from hadeck.collect import Access
from hadeck.config import Config
from hadeck.model import DrbdResource
from hadeck.opening import Opened
from hadeck.tui.base import AreaScreen, Prepared
from hadeck.tui.commands import CommandError, parse
from hadeck.tui.drbdstream import DrbdChanged, DrbdStreams
from hadeck.tui.messages import Polled, Streamed
from hadeck.tui.screen_connectivity import ConnectivityScreen
from hadeck.tui.screen_detail import DetailScreen
from hadeck.tui.screen_drbd import DrbdScreen
from hadeck.tui.screen_events import EventsScreen
from hadeck.tui.screen_guests import GuestsScreen
from hadeck.tui.screen_help import HelpScreen
from hadeck.tui.screen_lvs import LvsScreen
from hadeck.tui.screen_overview import OverviewScreen
from hadeck.tui.screen_resources import ResourcesScreen
from hadeck.tui.tables import Row
from hadeck.tui.view import View
from hadeck.watch.eventlog import EventLog, default_path
from hadeck.watch.poller import (
    PARTIAL_AFTER,
    Poller,
    Snapshot,
    default_interval,
    over_ssh,
    refresh_delay,
)

READ_ONLY = (f"{perform.READ_ONLY} (started with --read-only, or actions.read_only = true "
             "in the configuration)")
"""Why the action panel offers nothing in read-only mode."""
REPLAY = "a bundle replay shows the past: it cannot be acted on (open the live cluster)"
"""Why the action panel offers nothing on a bundle."""
YOUNG_OBJECTS = 50_000
"""New objects (net of those freed) between two collections of the youngest generation,
once the dashboard runs (Python's default: 700): see :meth:`HadeckApp.on_polled`."""
ACTION_WAIT = 60.0
"""Seconds an action waits for Pacemaker to settle (as ``hadeck move --wait``'s default)."""

SCREENS: dict[str, tuple[str, type[AreaScreen], str, str]] = {
    "overview": ("o", OverviewScreen, "Problems first, then every node", "overview"),
    "resources": ("r", ResourcesScreen, "Pacemaker resources, failures, constraints", "rsc"),
    "drbd": ("d", DrbdScreen, "DRBD resources, connections, resync progress", "drbd"),
    "guests": ("g", GuestsScreen, "Virtual machines and containers per node", "guests"),
    "lvs": ("l", LvsScreen, "LVS services, real servers, VRRP roles", "lvs"),
    "connectivity": ("c", ConnectivityScreen, "pingd, corosync links, quorum", "conn"),
    "events": ("e", EventsScreen, "What changed, newest first", "events"),
}
"""Mode name → (key, screen, palette help, footer label: short, the footer has 80 columns)."""

SCREEN_NAMES: dict[str, str] = {
    alias: name for name, (key, _, _, label) in SCREENS.items() for alias in (name, key, label)
}
"""Every name a screen answers to as a ``:`` command → its mode (``:d``, ``:rsc`` …)."""


class HadeckApp(App[None]):
    """The dashboard.

    Args:
        poller: reads the cluster (see :class:`~hadeck.watch.poller.Poller`).
        interval: seconds between the end of one poll and the start of the next.
        clock: time source for ages (tests inject a fixed one).
        auto_refresh: poll on a timer; tests turn it off and call :meth:`poll_now`.
        stream_drbd: follow DRBD's events2 stream where the nodes offer it.
        read_only: refuse every action (``--read-only``; the configuration's
            ``actions.read_only`` too): the action panel lists them greyed, with why.
        action_wait: seconds an action waits for Pacemaker to settle.
    """

    TITLE = "hadeck"
    CSS = """
    Screen { layout: vertical; }
    #status { height: 2; background: $panel; }
    #info { height: 1; color: $text-muted; }
    #kept { height: 1; }
    #body { height: 1fr; }
    DiffTable { height: 1fr; }
    #filter { dock: bottom; margin-bottom: 1; }
    #command { dock: bottom; margin-bottom: 1; }
    #message { dock: bottom; margin-bottom: 1; height: 1; background: $panel; }
    OverviewScreen #problems { height: auto; max-height: 60%; min-height: 3; }
    """
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        name: cls for name, (_, cls, _, _) in SCREENS.items()
    }
    DEFAULT_MODE = "overview"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"show('{name}')", label) for name, (key, _, _, label) in SCREENS.items()),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("R", "poll_now", "refresh", show=False),
        Binding("colon", "command_line", "commands", show=False),
    ]

    def __init__(
        self,
        poller: Poller,
        interval: float | None = None,
        clock: Callable[[], float] = time.time,
        auto_refresh: bool = True,
        stream_drbd: bool = True,
        read_only: bool = False,
        action_wait: float = ACTION_WAIT,
    ) -> None:
        super().__init__()
        self.read_only = read_only or poller.config.read_only
        self.action_wait = action_wait
        self.acting = False
        """An action runs (:mod:`hadeck.tui.screen_perform`): no screen switch, no quit."""
        self.poller = poller
        self.event_log = poller.log
        self.interval = interval or default_interval()
        self._stretched: float | None = None
        self._costs: deque[float] = deque(maxlen=3)
        """CPU seconds of the last polls: the median decides the refresh, so one poll that
        overlapped a screen being drawn does not stretch it."""
        self._cycle = (time.process_time(), time.monotonic())
        self.clock = clock
        self.refreshing = auto_refresh and not poller.frozen
        self.snapshot: Snapshot | None = None
        self.poll_error: str | None = None
        self.polls = 0
        self._polling = False
        self._timer: Timer | None = None
        self.stream_drbd = stream_drbd and not poller.frozen
        self.streams = DrbdStreams(post=self._post_drbd,
                                   ended=lambda node, _why: self.poller.stream_ended(node))
        self._streamed: dict[str, tuple[tuple[DrbdResource, ...], float]] = {}
        """Changes from the streams not yet applied (held for 50 ms)."""
        self._apply_timer: Timer | None = None
        self._gc_threshold: tuple[int, int, int] | None = None
        """The collector's thresholds before the first poll raised the youngest's."""
        self.shown: AreaScreen | None = None
        """The area screen on top, set on the UI thread; the poll worker plans its rows."""
        if over_ssh():
            # Every frame crosses the network: no animations.
            self.animation_level = "none"

    # ------------------------------------------------------------------ polling

    def on_mount(self) -> None:
        self.poll_now()
        self.set_interval(2.0 if over_ssh() else 1.0, self._tick)

    @property
    def period(self) -> float:
        """The refresh in effect: the interval, or the cycle it was stretched to where a
        poll costs more than :data:`~hadeck.watch.poller.CPU_BUDGET` of a core
        (:func:`~hadeck.watch.poller.refresh_delay`)."""
        return max(self.interval, self._stretched or 0.0)

    def view(self) -> View:
        return View(self.snapshot, self.clock(), self.period, self.poll_error,
                    self.poller.frozen, self._polling)

    def poll_now(self) -> None:
        """Start a poll now, unless one is running (polls never overlap)."""
        if self._polling:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._polling = True
        self._cycle = (time.process_time(), time.monotonic())
        self._poll()

    def action_poll_now(self) -> None:
        self.poll_now()

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def _poll(self) -> Snapshot:
        snapshot = self.poller.poll(on_partial=self._post_partial,
                                    partial_after=PARTIAL_AFTER)
        self.post_message(Polled(snapshot, self._prepare(snapshot)))
        return snapshot

    def _post_partial(self, snapshot: Snapshot) -> None:
        """In the poll worker: show what this poll has read so far."""
        self.post_message(Polled(snapshot, self._prepare(snapshot), partial=True))

    def _prepare(self, snapshot: Snapshot) -> Prepared | None:
        """In a worker thread: the shown screen's plan for ``snapshot`` (None: no screen,
        or the UI thread draws it the plain way)."""
        screen = self.shown
        if screen is None:
            return None
        view = View(snapshot, self.clock(), self.period, None, self.poller.frozen)
        try:
            return screen.plan_view(view)
        except Exception:
            # Drawn on the UI thread instead, where a bug shows as it always did.
            return None

    def on_polled(self, message: Polled) -> None:
        if not isinstance(message, Streamed):
            self.poll_error = None
            self.polls += 0 if message.partial else 1
            if self.polls == 1 and not message.partial:
                # What the start made (modules, Textual, the first state) stays for the
                # whole run: out of the collector's sight, a full collection walks only
                # what came since (on 500 guests they cost ~100 ms each, every few polls).
                gc.freeze()
                # A poll leaves tens of thousands of new objects (its state, verdicts,
                # rows) that live a poll or two and go by reference counting, nearly
                # never in cycles; with Python's default threshold (700) the collector
                # walked them ~20 times a poll, and every ~10 polls all of them: ~30 ms
                # a refresh on the LVS and guests screens at 500 guests (a full pass
                # ~150 ms). Collected once per YOUNG_OBJECTS new objects, it is ~3-6 ms.
                self._gc_threshold = gc.get_threshold()
                gc.set_threshold(YOUNG_OBJECTS, *self._gc_threshold[1:])
        if self.snapshot is None or message.snapshot.seq > self.snapshot.seq:
            # A stream's snapshot and a poll's can cross on their way here: newest wins.
            self.snapshot = message.snapshot
            self._redraw(message.prepared)
        else:
            self._redraw()  # the poll's error line, if any, is gone
        self._follow_drbd()

    def on_streamed(self, message: Streamed) -> None:
        self.on_polled(message)

    def _follow_drbd(self) -> None:
        """Start following events2 on the nodes where the last poll found it working."""
        if not self.stream_drbd or self.snapshot is None:
            return
        nodes = self.streams.wanted(self.snapshot.state.sources)
        if nodes:
            access = self.poller.access()
            for node in nodes:
                self.streams.start(node, access.runner(node))

    def _post_drbd(self, node: str, resources: tuple[DrbdResource, ...], at: float) -> None:
        # Called in a follower thread: post_message is the thread-safe way in.
        self.post_message(DrbdChanged(node, resources, at))

    def on_drbd_changed(self, message: DrbdChanged) -> None:
        self._streamed[message.node] = (message.resources, message.at)
        if self._apply_timer is None:
            self._apply_timer = self.set_timer(0.05, self._apply_streamed)

    def _apply_streamed(self) -> None:
        self._apply_timer = None
        changes, self._streamed = self._streamed, {}
        if changes:
            self._apply_drbd(changes)

    @work(thread=True, exit_on_error=False, group="stream")
    def _apply_drbd(self, changes: dict[str, tuple[tuple[DrbdResource, ...], float]]) -> None:
        snapshot = None
        for node, (resources, at) in changes.items():
            snapshot = self.poller.apply_drbd(node, resources, at) or snapshot
        if snapshot is not None:
            self.post_message(Streamed(snapshot, self._prepare(snapshot)))

    def on_unmount(self) -> None:
        # Kill the followed commands (drbdsetup, or ssh running it) with the app.
        self.streams.stop()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "poll" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        self._polling = False
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.poll_error = f"{type(error).__name__}: {error}" if error else "unknown error"
            self._redraw()
        if self.refreshing:
            cpu, started = self._cycle
            wall = time.monotonic() - started
            self._costs.append(time.process_time() - cpu)
            delay = refresh_delay(self.interval, statistics.median(self._costs), wall)
            self._stretched = round(wall + delay, 1) if delay > self.interval else None
            self._timer = self.set_timer(delay, self.poll_now)

    def _area_screen(self) -> AreaScreen | None:
        """The area screen on top, once mounted: a timer or a message can land while a
        mode is being switched to (no screen on its stack yet, or not composed yet)."""
        try:
            screen = self.screen
        except ScreenStackError:
            return None
        return screen if isinstance(screen, AreaScreen) and screen.ready else None

    def _tick(self) -> None:
        screen = self._area_screen()
        if screen is not None:
            screen.update_status(self.view())

    def _redraw(self, prepared: Prepared | None = None) -> None:
        """Draw the current snapshot on the shown screen: by ``prepared`` if it still fits."""
        screen = self._area_screen()
        if screen is None:
            return  # drawn on mount (on_screen_resume), from the newest snapshot
        view = self.view()
        if prepared is None or not screen.apply_prepared(prepared, view):
            screen.update_view(view)

    # ------------------------------------------------------------------ navigation

    def action_show(self, mode: str) -> None:
        if self.acting:
            self.notify("an action is running: its result first", severity="warning")
            return
        if self.current_mode == mode and isinstance(self.screen, AreaScreen):
            return
        # Leave a detail or help view open on another screen behind.
        while not isinstance(self.screen, AreaScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_mode(mode)

    def action_command_line(self) -> None:
        screen = self.screen
        if isinstance(screen, AreaScreen):
            screen.open_command_line()

    def run_command(self, line: str) -> str | None:
        """Run a ``:`` command line; the error line's text if it is not a command.

        Args:
            line: what was typed after ``:`` (a leading ``:`` is allowed).

        Returns:
            None when it ran, else why not.
        """
        try:
            command = parse(line, SCREEN_NAMES)
        except CommandError as exc:
            return str(exc)
        if command.verb == "show" and command.screen is not None:
            self.action_show(command.screen)
        elif command.verb == "toggle" and command.screen is not None:
            self.action_show(command.screen)
            self.call_after_refresh(self._toggle, command.screen, command.arg)
        elif command.verb == "filter":
            screen = self.screen
            if isinstance(screen, AreaScreen):
                screen.set_filter(command.arg)
        elif command.verb == "refresh":
            self.poll_now()
        elif command.verb == "quit":
            self.exit()
        elif command.verb == "help":
            self.action_help()
        elif command.verb == "actions":
            screen = self.screen
            if isinstance(screen, AreaScreen):
                screen.action_actions()
        elif command.verb == "new-guest":
            return self._new_guest(command.arg)
        return None

    def _new_guest(self, words: str) -> str | None:
        """Open the preview and confirmation of a new guest; why not, for the error line."""
        from hadeck.actions.contract import Selection
        from hadeck.actions.newguest_domain import request_of_words
        from hadeck.actions.plan import Refused
        from hadeck.tui.screen_perform import PerformScreen

        try:
            request = request_of_words(words)
        except Refused as exc:
            return str(exc)
        self.push_screen(PerformScreen(Selection("new guest", request.target, None),
                                       request))
        return None

    def _toggle(self, mode: str, action: str) -> None:
        screen = self.screen
        if isinstance(screen, AreaScreen) and screen.MODE == mode:
            getattr(screen, f"action_{action}")()

    async def action_quit(self) -> None:
        if self.acting:
            self.notify("an action is running: quit once its result is shown",
                        severity="warning")
            return
        await super().action_quit()

    # ------------------------------------------------------------------ actions

    def opened(self) -> Opened:
        """The cluster as the actions open it: the poller's access and configuration."""
        return Opened(self.poller.access(), self.poller.config)

    def actions_refused(self) -> str | None:
        """Why no action may run from this dashboard at all (None: they may)."""
        if self.read_only:
            return READ_ONLY
        if self.poller.frozen:
            return REPLAY
        return None

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_detail(self, row: Row) -> None:
        self.push_screen(DetailScreen(row, self.view()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, (key, _, help_text, _) in SCREENS.items():
            yield SystemCommand(f"Screen: {name} ({key})", help_text,
                                lambda name=name: self.action_show(name))
        yield SystemCommand("Refresh now (R)", "Poll the cluster now", self.poll_now)


def run_dashboard(
    access: Access | Callable[[], Access],
    config: Config | None = None,
    frozen: bool = False,
    origin: str = "",
    interval: float | None = None,
    events_file: Path | Literal[False] | None = False,
    read_only: bool = False,
) -> int:
    """Run the dashboard until the operator quits; the exit code for ``hadeck``.

    Args:
        access: how to reach the cluster, or a factory called before every poll.
        config: site configuration.
        frozen: a bundle: read once.
        origin: shown in the header and written to the event log.
        interval: seconds between polls (default: ``default_interval()``).
        events_file: where to append events; None keeps them in memory only; False
            means the default (``default_path()``).
        read_only: refuse every action (the action panel says why).
    """
    path = default_path() if events_file is False else events_file
    poller = Poller(access, config, EventLog(path, origin), frozen=frozen)
    HadeckApp(poller, interval=interval, read_only=read_only).run()
    return 0
