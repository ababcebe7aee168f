"""Text from the cluster, made safe to show on a terminal.

Every name hadeck shows comes from the cluster: a guest, a DRBD resource, a node, a
resource, a VRRP instance, a mount point, and the tools' own error output. A terminal
obeys some characters instead of showing them: a guest named ``vm\\x1b]0;pwned\\x07``
sets the window title, ``\\x1b[2J`` clears the screen, ``\\x1b[31m`` paints what
follows red, a carriage return lets a name write over its own line. So the model keeps
the real names (the ``--json`` document carries them exactly, escaped by ``json.dumps``)
and every face passes what it shows through :func:`safe` at its output boundary: the
rich tables of ``hadeck status``, the dashboard's cells, lines and panels, the check
plugins' status line and long output. Nothing else in the core needs it.

What :func:`safe` shows as an escape, Python's way (``\\x1b``, ``\\n``, ``\\u202e``):

- the C0 controls, DEL and the C1 controls (U+0000–U+001F, U+007F–U+009F): ESC, BEL,
  CR, backspace and their 8-bit twins such as CSI (U+009B), which some terminals obey;
- the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069):
  invisible, they reorder what follows them (the "Trojan Source" trick), so a name could
  read as another one or turn the rest of a table row around. Right-to-left letters are
  shown as they are; only the invisible controls are escaped;
- the line and paragraph separators (U+2028, U+2029), which some tools break lines at;
- lone surrogates (U+D800–U+DFFF): a JSON document can carry them (psutil decodes odd
  mount-point bytes that way), and printing one raises ``UnicodeEncodeError``.

Everything printable is kept, in any script. The backslash is kept as it is: a name
written with a literal ``\\x1b`` in it looks like an escaped ESC, which is harmless;
the exact name is in the JSON document.

Cost: faces call this per cell per poll (thousands of names on a big cluster), so the
common case is one C-level ``str.isprintable()`` test, exact because every character
escaped here is one that ``isprintable`` refuses. ``tests/core/test_text.py`` measures it.
"""

from __future__ import annotations

import re

_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
"""Compiled on the first name that is not printable (re caches it): not at a plugin's
start, where it cost ~4 M instructions, as much as the rest of the module."""
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every character a terminal would obey shown as an escape.

    Args:
        text: a name or message that came from the cluster.

    Returns:
        The same text when it is printable (the common case, at the cost of one test);
        otherwise control, bidirectional-control and separator characters and lone
        surrogates as ``\\x1b``, ``\\n``, ``\\u202e``, ``\\udc80``. The result is one
        line, and ``safe(safe(t)) == safe(t)``.
    """
    if text.isprintable():
        return text
    return re.sub(_UNSAFE, _escape, text)


def safe_lines(text: str) -> str:
    """Like :func:`safe`, but the line breaks (``\\n``) of a multi-line text are kept.

    For panels built of several lines; a name inside such a panel should still go
    through :func:`safe` itself, so that its own line breaks show.
    """
    if text.isprintable():
        return text
    return "\n".join(safe(line) for line in text.split("\n"))
