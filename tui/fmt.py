"""Small text formatters shared by the dashboard's screens (pure, no Textual).

Every health is shown as a symbol and a word beside its colour (``badge``), so the
dashboard reads the same on a monochrome terminal or in a ``capture-pane`` dump.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Span, Text

from hadeck.model import Health, Resource
from hadeck.text import safe, safe_lines
from hadeck.watch.eventlog import SYMBOL

STYLE = {
    Health.OK: (SYMBOL[Health.OK], "green"),
    Health.WARNING: (SYMBOL[Health.WARNING], "yellow"),
    Health.CRITICAL: (SYMBOL[Health.CRITICAL], "bold red"),
    Health.UNKNOWN: (SYMBOL[Health.UNKNOWN], "magenta"),
}
"""A symbol and a colour per health: the symbol carries the meaning without colour."""


def badge(health: Health) -> Text:
    """``✖ CRITICAL``: symbol and word, coloured."""
    symbol, style = STYLE[health]
    return Text(f"{symbol} {health.name}", style=style)

__all__ = ["STALE_MARK", "STYLE", "age", "badge", "bar", "coarse_age", "mark", "rate",
           "safe_text", "size", "sparkline"]


def safe_text(text: Text, lines: bool = False) -> Text:
    """``text`` with what a terminal would obey shown as escapes (:func:`hadeck.text.safe`),
    its styles kept.

    The dashboard's and ``hadeck status``'s output boundary for rich ``Text`` (a ``str``
    goes through :func:`hadeck.text.safe` itself). Text that is safe already, nearly all
    of it, is returned as it is, at the cost of one test.

    Args:
        text: a cell, a line or a panel.
        lines: keep line breaks (a panel or a two-line status bar); a name inside such
            a text should have been made safe on its own, so its breaks show.
    """
    clean = safe_lines if lines else safe
    plain = text.plain
    if clean(plain) == plain:
        return text
    # Split where styles start or end, so each piece has one set of styles; escaping
    # lengthens the pieces, and their styles are laid again over the new lengths.
    cuts = sorted({o for span in text.spans for o in (span.start, span.end)
                   if 0 < o < len(plain)})
    out = text.blank_copy()
    for part in text.divide(cuts):
        piece = clean(part.plain)
        out.append_text(Text(piece, spans=[Span(0, len(piece), s.style) for s in part.spans]))
    return out


STALE_MARK = "⌛"
"""Beside data that is not current (two cells wide: health columns that carry it are)."""


def mark(health: Health) -> Text:
    """The symbol alone, coloured (for narrow columns; the word is in the row's reason)."""
    symbol, style = STYLE[health]
    return Text(symbol, style=style)


def age(seconds: float) -> str:
    """``4s``, ``3m``, ``2h05``, ``3d``: how long ago, in at most five characters."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    if seconds < 86400:
        hours, rest = divmod(int(seconds), 3600)
        return f"{hours}h{rest // 60:02d}"
    return f"{seconds // 86400:.0f}d"


def coarse_age(seconds: float) -> str:
    """An age that changes rarely: 10 s steps under a minute, then minutes.

    Table cells show this one, so that a stale row is repainted a few times a minute
    rather than every second (each repainted cell costs, FACTS.md).
    """
    if seconds < 60:
        return f"{int(seconds // 10) * 10}s+"
    return age(seconds)


def size(kib: int | float | None) -> str:
    """KiB as ``512 KiB``, ``1.5 GiB``; ``-`` when unknown."""
    if kib is None:
        return "-"
    value = float(kib)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "KiB" else f"{value:.1f} {unit}"
        value /= 1024
    return "-"  # pragma: no cover - the loop always returns


def flags(rsc: Resource) -> str:
    """What is unusual about a resource, in crm_mon's words (``FAILED blocked …``)."""
    words = []
    if rsc.failed:
        words.append("FAILED")
    if rsc.blocked:
        words.append("blocked")
    if not rsc.managed:
        words.append("unmanaged")
    if rsc.orphaned and rsc.active:
        # crm_mon's XML marks a promotable clone's surplus stopped instances orphaned
        # too (its text hides them): only a running orphan is news.
        words.append("orphaned")
    if rsc.target_role:
        words.append(f"target-role={rsc.target_role}")
    if rsc.pending and rsc.pending not in ("Monitoring", "Monitor"):
        words.append(rsc.pending)
    return " ".join(words)


def rate(kib_s: float | None) -> str:
    """A resync speed: ``8.0 MiB/s``; ``-`` when unknown."""
    if not kib_s:
        return "-"
    return f"{size(kib_s)}/s"


def bar(percent: float | None, width: int = 10) -> str:
    """``[####......] 43%``: plain characters, legible without colour and over any TERM."""
    if percent is None:
        return ""
    done = max(0, min(width, round(percent / 100 * width)))
    return f"[{'#' * done}{'.' * (width - done)}] {percent:3.0f}%"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int) -> str:
    """The last ``width`` values as ``▁▂▃▄▅▆▇█``, right-aligned; a gap for an unknown one.

    Scaled from zero to the largest value shown, so an idle server is a flat ``▁`` line
    and one busy poll stands out. Plain characters: it reads in tmux and in a
    ``capture-pane`` dump, no colour needed.
    """
    if width <= 0:
        return ""
    shown = values[-width:] if isinstance(values, (tuple, list)) else tuple(values)[-width:]
    # The LVS screen draws one per real server every refresh (~800): one pass, no calls.
    top = 0.0
    for value in shown:
        if value is not None and value > top:
            top = value
    if top <= 0:
        line = "".join([" " if value is None else SPARKS[0] for value in shown])
    else:
        # value <= top, so value / top <= 1.0 exactly and the index is at most ``last``.
        last = len(SPARKS) - 1
        line = "".join([" " if value is None else SPARKS[int(value / top * last + 0.5)]
                        for value in shown])
    return line.rjust(width)
