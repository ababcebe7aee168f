"""hadeck.text.safe: what a terminal would obey is shown, the rest is kept, and it is cheap."""

from __future__ import annotations

import time

from hadeck.text import safe, safe_lines

UNSAFE = ([chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
          + ["\u061c", "\u200e", "\u200f", "\u2028", "\u2029"]
          + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
          + ["\ud800", "\udcff"])


def test_injections_are_shown_not_obeyed() -> None:
    assert safe("vm\x1b]0;pwned\x07\x1b[2J\x1b[31m") == "vm\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m"
    assert safe("r0\x9b2J") == "r0\\x9b2J"
    assert safe("abc\u202edef") == "abc\\u202edef"
    assert safe("a\rb\nc\td") == "a\\rb\\nc\\td"
    assert safe("/srv/\udcff") == "/srv/\\udcff"


def test_every_unsafe_character_is_escaped_and_the_result_prints() -> None:
    for char in UNSAFE:
        shown = safe(f"x{char}y")
        assert shown.startswith("x\\") and shown.endswith("y"), repr(char)
        assert shown.isprintable(), repr(char)
        shown.encode("utf-8")  # a lone surrogate would raise here


def test_printable_text_in_any_script_is_kept_as_it_is() -> None:
    for name in ("web01", "[bold]x", "a:heart:b", "back\\slash", "Überwachung", "שרת-1",
                 "节点一", "vm 1", "✔ ▲ ✖ ⌛", "café\u00a0bar", "👩\u200d💻"):
        assert safe(name) == name


def test_the_fast_path_is_exact() -> None:
    # safe() returns printable text untouched without a look: that is right only if every
    # character it escapes is one str.isprintable() refuses.
    for char in UNSAFE:
        assert not char.isprintable(), repr(char)


def test_idempotent_and_one_line() -> None:
    for text in ("vm\x1b[2J\n\r", "\\x1b", "ok"):
        assert safe(safe(text)) == safe(text)
        assert "\n" not in safe(text)


def test_safe_lines_keeps_line_breaks_only() -> None:
    assert safe_lines("a\x1b\nb\r\nc") == "a\\x1b\nb\\r\nc"


def test_cheap_on_five_thousand_names() -> None:
    # Faces call it per cell per poll. Measured ~0.8 ms for 5,000 plain names and ~16 ms
    # for 5,000 hostile ones on these machines; the bounds leave room for a busy machine.
    plain = [f"vm{i}-web.example.org" for i in range(5000)]
    hostile = [f"vm{i}\x1b]0;pwned\x07\x1b[2J" for i in range(5000)]
    for names, bound in ((plain, 0.025), (hostile, 0.25)):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for name in names:
                safe(name)
            best = min(best, time.perf_counter() - start)
        assert best < bound, f"{len(names)} names took {best * 1000:.1f} ms"
