"""One real three-node cluster per test session, for every test under tests/live/.

``live_cluster`` (package scope: once per session) starts it — or skips every live test
with the reason when this machine cannot (not root, no namespaces, no corosync /
Pacemaker) — and removes it in every case, also what a crashed earlier run left.
``cluster`` (per test) hands it back to the seed state first
(:meth:`LiveCluster.restore`), so tests do not depend on each other's order. ``hadeck``
runs the command line of this checkout inside a node. A test marked
``hadeck_verbs("move", …)`` skips before any of that when a verb is missing.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.cluster import LiveCluster, unavailable
from tests.live.faces import Hadeck, hadeck_missing, has_verb


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hadeck_verbs(*verbs): skip unless this checkout's hadeck has each of "
                   "these subcommands (the actions command line)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test whose hadeck verbs are missing before its fixtures start a cluster."""
    marker = item.get_closest_marker("hadeck_verbs")
    for verb in marker.args if marker else ():
        if not has_verb(verb):
            pytest.skip(f"hadeck {verb} not available (this checkout's hadeck has no "
                        f"'{verb}' subcommand yet: issue #10, ACTIONS.md)")


# Package scope: one cluster for the whole session (every live test is in this package),
# and gone before the next package's tests run (the dashboard's timing tests among them).
@pytest.fixture(scope="package")
def live_cluster() -> Iterator[LiveCluster]:
    """The running cluster, settled; removed after the last live test whatever happens."""
    reason = unavailable() or hadeck_missing()
    if reason is not None:
        pytest.skip(reason)
    cluster = LiveCluster()
    with _owned(cluster) as why_not:
        if why_not is not None:
            pytest.skip(why_not)
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.remove()


LOCK_WAIT = float(os.environ.get("HADECK_LIVE_LOCK_WAIT", "900"))
"""Seconds to wait for another test run on this machine to let go of the cluster."""


class _owned:
    """Hold the machine's one live cluster for this run (an exclusive lock on a file
    beside its state directory), waiting for another run that holds it.

    Two test runs at once (two checkouts on one machine) would otherwise share the
    namespaces: the second one's start removes the first one's cluster under its tests.
    Whatever holds the lock is running; what is left without it was a crashed run, which
    :meth:`LiveCluster.start` removes.
    """

    def __init__(self, cluster: LiveCluster) -> None:
        self.path = cluster.base.with_name(cluster.base.name + ".lock")
        self.fd = -1

    def __enter__(self) -> str | None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return None
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return (f"another test run on this machine has held the live cluster "
                            f"({self.path}) for {LOCK_WAIT:g} s")
                time.sleep(1)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing lets go of the lock


@pytest.fixture
def cluster(live_cluster: LiveCluster) -> LiveCluster:
    """The session's cluster back in the seed state: every node up, nothing left over."""
    live_cluster.restore()
    return live_cluster


@pytest.fixture
def hadeck(cluster: LiveCluster, tmp_path: Path) -> Hadeck:
    """This checkout's ``hadeck`` and plugins, run inside a node with a journal in tmp_path."""
    return Hadeck(cluster, tmp_path)
