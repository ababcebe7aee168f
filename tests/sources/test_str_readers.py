"""The readers that took over from a pattern (issue 15) read exactly what the pattern did.

A check plugin reads its sources' usual lines with str methods instead of regular
expressions (compiling a pattern costs more than a run's reads of it). Each reader's
docstring names its pattern; here each is compared with that pattern, compiled as it
was, on real forms of the line mutated at random (seeded: the same strings every run):
characters replaced, inserted and deleted from a set with the edge cases of ``\\s``,
``\\d`` and ``[0-9]`` (tabs, no-break and ideographic spaces, Arabic-Indic digits,
superscripts, newlines where a reader may see one).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from hadeck.checks.common import perf_label
from hadeck.placement.rules import _date_fields
from hadeck.redact import MASK, _mask_url_password, words
from hadeck.sources import corosync, drbd, guests
from hadeck.sources.base import ParseError, decimal, whole

CASES = 20_000
"""Mutated strings per reader (the first check of each reader ran 300,000)."""

ODD = " \t\n\u00a0\u3000\u0663\u00b2"
"""Characters on the edges of ``\\s``, ``\\d`` and ``[0-9]``."""


def mutated(rng: random.Random, forms: list[str], alphabet: str, edits: int = 3) -> str:
    chars = list(rng.choice(forms))
    for _ in range(rng.randint(0, edits)):
        at = rng.randint(0, len(chars))
        roll = rng.random()
        if roll < 0.4 and chars:
            chars[min(at, len(chars) - 1)] = rng.choice(alphabet)
        elif roll < 0.7:
            chars.insert(at, rng.choice(alphabet))
        elif chars:
            del chars[min(at, len(chars) - 1)]
    return "".join(chars)


def value(read: Callable[[], object]) -> object:
    try:
        return read()
    except ParseError:
        return None


def groups(match: re.Match[str] | None, *which: int) -> tuple[str | None, ...] | None:
    return None if match is None else tuple(match.group(n) for n in which)


def check(forms: list[str], alphabet: str, new: Callable[[str], object],
          old: Callable[[str], object], *, strip: bool = False) -> None:
    rng = random.Random(15)
    for form in forms:
        assert new(form) == old(form), form
    for _ in range(CASES):
        text = mutated(rng, forms, alphabet + ODD)
        text = text.strip() if strip else text
        assert new(text) == old(text), repr(text)


def test_numbers() -> None:
    unsigned, signed = re.compile(r"[0-9]{1,20}"), re.compile(r"-?[0-9]{1,20}")
    dec = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")
    check(["0", "42", "18446744073709551615", "-7", "12.5", "1" * 21, "3.25.1"],
          "0123456789-.+_",
          lambda t: (value(lambda: whole(t, "n")), value(lambda: whole(t, "n", signed=True)),
                     value(lambda: decimal(t, "d"))),
          lambda t: (int(t) if unsigned.fullmatch(t) else None,
                     int(t) if signed.fullmatch(t) else None,
                     float(t) if dec.fullmatch(t) else None))


def test_perf_label() -> None:
    bad = re.compile(r"[\s'=|]+")

    def old(text: str) -> str:
        if not text.isprintable():
            text = "".join(c if c.isprintable() else " " for c in text)
        return bad.sub("_", text)

    check(["vm1@jupiter2", " a=b 'c'|d ", "r0 → charlie"], "a '=|_\x00\u2028", perf_label, old)


@pytest.mark.parametrize("forms", [["2026-12-02", "2026-12-02 09:18:33Z",
                                    "2026-12-02 10:20:00 +01:00", "2026-12-02T09:18:33.25Z",
                                    "2026-12-02T09:18", "2026-12-02 -0130"]])
def test_pacemaker_date(forms: list[str]) -> None:
    pattern = re.compile(
        r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
        r"(?:[ T](?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?(?:\.[0-9]+)?)?"
        r"\s*(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?$")

    def old(text: str) -> object:
        f = pattern.match(text)
        return None if f is None else (f["y"], f["m"], f["d"], f["H"] or "0", f["M"] or "0",
                                       f["S"] or "0", f["zone"] or "")

    check(forms, "0123456789- T:.Z+", _date_fields, old, strip=True)


def test_drbd() -> None:
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
    check(["2026-12-02T09:18:33.123+01:00"], "0123456789-T:x", drbd._timestamped,
          lambda t: stamp.match(t) is not None)
    version = re.compile(r"^version:\s*([0-9]{1,4}(?:\.[0-9]{1,4})+)")
    check(["version: 8.4.11 (api:1/proto:86-101)", "version: 9.2.5", "version: 12345.6",
           "version: 1.22222.3"], "0123456789. :v", drbd._version,
          lambda t: m.group(1) if (m := version.match(t)) else None)


def test_virsh_header() -> None:
    header = re.compile(r"^ *Id +Name +State *$")
    check([" Id   Name     State", "Id Name State", " Id Name State \n"], " IdNameStatex",
          guests._virsh_header, lambda t: header.match(t) is not None)


def test_corosync() -> None:
    forms = ["Local node ID 1, transport knet", "Local node ID 2", "LINK ID 0 udp", "RING ID 1",
             "LINK ID 0 ", "\taddr\t= 10.0.0.1", "\tid\t= 10.0.0.1 ",
             "\tstatus\t= ring 0 active with no faults", "\tstatus:",
             "\t\tnodeid:          1:\tlocalhost", "\t\tnodeid  2:\tconnected",
             "Quorum provider:  corosync_votequorum", "Node ID:          0x00000001"]
    alphabet = "0123:=,xaZLN-"
    for new, pattern, which in (
            (corosync._local, r"^Local node ID (\d+)(?:, transport (\S+))?\s*$", (1, 2)),
            (corosync._link, r"^(LINK|RING) ID (\d+)(?: (\S*))?\s*$", (2, 3)),
            (corosync._key_value, r"^\s+(addr|id|status)\s*=\s*(.*?)\s*$", (1, 2)),
            (corosync._node, r"^\s+nodeid:?\s*(\d+):\s*(.*?)\s*$", (1, 2)),
            (corosync._field, r"^([A-Z][A-Za-z ]*?):\s*(.*?)\s*$", (1, 2))):
        compiled = re.compile(pattern)
        # a line of splitlines has no line break
        check(forms, alphabet, lambda t, new=new: new(t.replace("\n", " ")),
              lambda t, c=compiled, w=which: groups(c.match(t.replace("\n", " ")), *w))
    status = re.compile(r"^\s+status:\s*$")
    check(forms, alphabet, lambda t: corosync._status_header(t.replace("\n", " ")),
          lambda t: status.match(t.replace("\n", " ")) is not None)


def test_redaction() -> None:
    split = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
    check(["snmp_priv_passwd", "authKey", "Password", "secret-token2X"], "aZ9_- .\u0130K",
          words, lambda t: tuple(w.lower() for w in split.split(t) if w))
    url = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")
    check(["https://admin:pw@keystone/", "x http://a:b@c d", "://:@"], "a:/@ ",
          _mask_url_password, lambda t: url.sub(r"\g<1>" + MASK + "@", t))
