"""Operators' words for Pacemaker's numbers (issue 12): not ``ban -1000000``, not a
threshold of ``1000000`` cut to ``threshold 10``."""

from __future__ import annotations

import dataclasses

from hadeck.health.words import count_text, location_words, score_text
from hadeck.model import FailCount
from hadeck.sources.pacemaker import parse_cib_configuration, parse_crm_mon
from hadeck.tui.screen_resources import resource_rows
from hadeck.tui.view import View
from tests.conftest import FIXTURES

PCMK = FIXTURES / "pacemaker" / "2.1.5"


def test_scores_in_words() -> None:
    assert (score_text(-1000000), location_words(-1000000)) == ("-INFINITY", "never runs on")
    assert (score_text("INFINITY"), location_words("INFINITY")) == ("INFINITY", "runs only on")
    assert (score_text("+INFINITY"), location_words("50"), location_words("-50")) == (
        "INFINITY", "prefers", "avoids")
    assert count_text(1000000) == "INFINITY" and count_text(3) == "3"


def cells(rows: list[object]) -> list[tuple[str, ...]]:
    return [tuple(getattr(c, "plain", c) for c in r.cells)  # type: ignore[attr-defined]
            for r in rows]


def test_resources_screen_says_banned_and_infinity() -> None:
    pcmk = parse_crm_mon((PCMK / "moved-with-lifetime.xml").read_text())
    locations, _, _ = parse_cib_configuration(
        (PCMK / "moved-with-lifetime.cib-configuration.xml").read_text())
    pcmk = dataclasses.replace(pcmk, locations=locations, fail_counts=(
        FailCount("vm1", "jupiter1", 1000000, migration_threshold=1000000),))
    rows = cells(resource_rows(pcmk, View(None, 0.0, 2.0)))
    text = "\n".join(" | ".join(r) for r in rows)
    assert "-1000000" not in text and "1000000" not in text
    assert any("never runs on" in r and "-INFINITY" in r for r in rows), text
    assert any("cli-prefer-vm1" in " ".join(r) and "runs only on" in r for r in rows), text
    assert any("fail count" in r and "INFINITY" in r and "threshold INFINITY" in r
               for r in rows), text
