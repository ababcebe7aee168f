"""Shared test helpers: where the real-format captures live."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "formats" / "samples"
CAPTURED = FIXTURES / "formats" / "captured"


def sample(source: str, case: str) -> str:
    """The exact text of ``samples/<source>/<case>``, trailing blanks and all."""
    return (SAMPLES / source / case).read_text()


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES
