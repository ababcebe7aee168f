"""How a test reads the lab (``lab``, a copy of the session's seed lab, is tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hadeck.collect import collect
from hadeck.health import Judgement, judge
from hadeck.lab.world import Lab
from hadeck.model import ClusterState
from hadeck.opening import open_cluster

Read = Callable[[], tuple[ClusterState, Judgement]]


@pytest.fixture
def read(lab: Lab) -> Read:
    """Read the lab as ``hadeck status --lab`` does (from its first node that is up)."""
    def reading() -> tuple[ClusterState, Judgement]:
        opened = open_cluster(lab=str(lab.directory), create_lab=False)
        state = collect(opened.access, opened.config)
        return state, judge(state, opened.config.policy)

    return reading
