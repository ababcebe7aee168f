"""Where the live cluster cannot run, its tests skip and say why; it never leaves a trace.

These run without starting a cluster (no ``live`` marker): they check the rules of
tests/live/ itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import cluster as live

SMALL_SUITE = """
import pytest
from tests.live.conftest import live_cluster

pytestmark = pytest.mark.live

def test_needs_the_cluster(live_cluster):
    raise AssertionError("a live test ran without its cluster")
"""


def test_a_missing_tool_skips_every_live_test_with_its_name(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "TOOLS", (*live.TOOLS, "hadeck-no-such-corosync-tool"))
    reason = live.unavailable()
    assert reason is not None and "hadeck-no-such-corosync-tool" in reason
    pytester.makeini("[pytest]\nmarkers =\n    live: a live test\n")
    pytester.makepyfile(SMALL_SUITE)
    result = pytester.runpytest_inprocess("-rs", "-p", "no:cacheprovider",
                                          "-p", "no:textual-snapshot")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*hadeck-no-such-corosync-tool*"])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop it")
def test_without_root_the_reason_is_root() -> None:
    # A real unprivileged process, not a patched euid: nobody may not create namespaces.
    code = ("import sys; from tests.live.cluster import unavailable; "
            "sys.stdout.write(unavailable() or 'None')")
    done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "--inh-caps=-all", "--", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60, check=False,
                          cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    assert "needs root" in done.stdout


def test_a_leftover_cluster_is_removed_by_prefix(tmp_path: Path) -> None:
    if live.unavailable() is not None:
        pytest.skip(live.unavailable() or "")
    # what a crashed session leaves: namespaces with the prefix and a state directory
    leftover = live.LiveCluster(base=tmp_path / "state", prefix="hdlx")
    made = ["hdlx-node1", "hdlx-sw"]
    for ns in made:
        subprocess.run(["ip", "netns", "add", ns], check=True)
    sleeper = subprocess.Popen(["ip", "netns", "exec", "hdlx-node1", "sleep", "300"])
    leftover.base.mkdir()
    try:
        leftover.remove()
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                check=True).stdout
        assert not [ns for ns in made if ns in listed.split()], listed
        assert sleeper.wait(timeout=30) == -9
        assert not leftover.base.exists()
    finally:
        sleeper.kill()
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
