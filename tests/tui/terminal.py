"""A real terminal for the dashboard tests: one private tmux server per test, read back as a
person sees it."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION = "dash"


class Terminal:
    """One command in an 80×24 tmux window.

    Each test has a server of its own, named afresh: a name shared by consecutive tests raced
    — a ``new-session`` sent while the previous test's server was still exiting reached that
    server and died with it (tmux 3.3a: "server exited unexpectedly"), and the test saw a
    blank screen for a minute. The pane stays after its command ends (``remain-on-exit``),
    so a crash leaves its last screen to report; the command's exit status is written to a
    file, since tmux 3.3a's ``pane_dead_status`` is at times left empty.
    """

    def __init__(self, directory: Path) -> None:
        self.socket = f"hadeck-test-{uuid.uuid4().hex[:16]}"
        self.config = directory / "tmux.conf"
        self.config.write_text("set-option -g remain-on-exit on\n")
        self.status = directory / "tmux-exit-status"

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, "-f", str(self.config), *args],
                              capture_output=True, text=True, timeout=10)

    def start(self, command: str, width: int = 80, height: int = 24) -> None:
        self.status.unlink(missing_ok=True)
        done = self.tmux("new-session", "-d", "-s", SESSION, "-x", str(width), "-y",
                         str(height), "-c", str(ROOT),
                         f"{command}; echo $? > {shlex.quote(str(self.status))}")
        if done.returncode != 0:
            raise AssertionError(f"tmux new-session failed: {done.stderr.strip()}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", SESSION, key)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", SESSION).stdout

    def ended(self) -> str | None:
        """How the command ended ("exit 0"), or None while it runs."""
        try:
            return f"exit {self.status.read_text().strip()}"
        except FileNotFoundError:
            return None

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if needle in screen:
                return screen
            if self.ended() is not None:
                break
            time.sleep(0.2)
        ended = self.ended()
        if ended:  # what it printed on its way out may have scrolled off
            screen = self.tmux("capture-pane", "-p", "-S", "-", "-t", SESSION).stdout
        how = f"the command ended ({ended})" if ended else f"still running after {timeout} s"
        raise AssertionError(f"{needle!r} not on screen, {how}:\n{screen}")

    def wait_gone(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while needle in screen and time.monotonic() < deadline:
            time.sleep(0.1)
            screen = self.screen()
        if needle in screen:
            raise AssertionError(f"{needle!r} still on screen after {timeout} s:\n{screen}")
        return screen

    def wait_until_ended(self, timeout: float = 10.0) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.ended() is None:
            time.sleep(0.1)
        return self.ended()

    def close(self) -> None:
        socket = self.tmux("display-message", "-p", "#{socket_path}").stdout.strip()
        self.tmux("kill-server")
        if socket:  # the server leaves its socket file behind; one per test adds up
            Path(socket).unlink(missing_ok=True)
