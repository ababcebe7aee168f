"""The key footer of every screen: Textual's, minus a leak that grows with each screen switch.

Textual's :class:`~textual.widgets.Footer` builds its keys again (``recompose``) whenever
the screen's bindings change: on every screen switch, every focus move to the filter or
command line and back. Each key binds its ``compact`` to the footer's
(``FooterKey(...).data_bind(compact=Footer.compact)``), and that registers a watcher, on
the footer, that holds the key. Textual drops the watchers of removed widgets only when
the watched value changes, and ``compact`` never does: every rebuild kept the removed
keys alive, with their styles, render caches and signals (Textual 8.2.8; upstream issue
"watchers from data_bind are not removed when the owner is removed from the DOM"). On a
dashboard left open with screens switched, that was ~600 dead widgets a minute and most
of its resident growth (bench/soak.py, tests/tui/test_soak.py).

:class:`Footer` drops, after each rebuild, the watchers whose widget is closed, by the
test Textual itself applies when the value changes. The removed keys are held once more,
by ``StylesCache.get_inner_outer``: an ``lru_cache`` on a method, so keyed by the widget's
styles cache (which keeps its rendered lines), up to 1,024 of them; it only saves making
two ``Style`` objects, so it is emptied after each rebuild too. Both reach into Textual's
private state: :data:`PRIVATE_ATTRIBUTES` names it, Textual is pinned exactly, and
``tests/tui/test_textual_private.py`` fails on a Textual that lacks it.
"""

from __future__ import annotations

from textual._styles_cache import StylesCache
from textual.widgets import Footer as TextualFooter

PRIVATE_ATTRIBUTES: tuple[str, ...] = ("__watchers", "_closing")
"""Textual's private names used here: the watchers Textual keeps on a watched object (a
dict set with ``setattr``: attribute name → list of (watching node, callback)), and the
flag of a node that is closing or closed."""

_WATCHERS = PRIVATE_ATTRIBUTES[0]


class Footer(TextualFooter):
    """Textual's footer, whose rebuilds leave nothing behind."""

    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)
        StylesCache.get_inner_outer.cache_clear()


def forget_closed_watchers(watched: object) -> int:
    """Drop ``watched``'s watchers that belong to closed nodes; how many were dropped."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(watched, _WATCHERS, {})
    dropped = 0
    for entries in watchers.values():
        alive = [(node, callback) for node, callback in entries
                 if not getattr(node, "_closing", False)]
        dropped += len(entries) - len(alive)
        entries[:] = alive
    return dropped
