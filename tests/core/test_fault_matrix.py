"""The fault matrix: every lab fault × every face, the exit code each must give.

One row per fault, read left to right: ``hadeck status`` (the whole cluster, read from
jupiter1), the check plugins (``cluster``, ``drbd``, ``guests`` and ``corosync`` on
jupiter1, ``lvs`` on the MASTER director lvs1) and the dashboard's poller (the overall
health of its snapshot, as the status bar colours it). Exit codes are the plugins' own:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

A tool fault (``hadeck lab fault NODE TOOL hang|garbage|missing``) sits on the node whose
plugins read it: crm_mon, drbdsetup and virsh on jupiter1, ipvsadm on lvs1. What the
rows say, in words:

- **hang**: the source is UNKNOWN (it timed out), every other source still answers, and
  the face takes about one ``[cluster] timeout`` (1 s here), not the sum of them (the
  test bounds each face's time).
- **garbage**: UNKNOWN, even where a fallback (drbdadm status for drbdsetup,
  /proc/net/ip_vs for ipvsadm) still shows the data: the tool is broken.
- **missing**: a tool that is not installed is no error where another form answers
  (drbdadm status; /proc/net/ip_vs) or where its absence means "nothing here"; but no
  virsh where Pacemaker runs a VirtualDomain guest is "cannot tell" (UNKNOWN), not "not
  running" (the guests source says which hypervisor tools it had); crm_mon missing on a
  cluster node is UNKNOWN.
- **a director down** is the pair's verdict: WARNING while the other is MASTER (lost
  standby), not an UNKNOWN; the lvs plugin run on the dead director itself is UNKNOWN
  (Nagios: the host is down).
- **corosync killed** on jupiter1 (out of the cluster, still running vm1 that the
  survivors restart on jupiter2) is CRITICAL in status and in jupiter1's cluster plugin.

Everything runs in process, on a copy of one frozen seed lab per row (the helpers of
:mod:`tests.core.test_faces_agree`), with ``[cluster] timeout = 1`` from a configuration
file named by ``$HADECK_CONFIG``, which every face reads.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.opening import open_cluster
from hadeck.watch.poller import Poller
from tests.core.test_faces_agree import plugin, pristine, status

__all__ = ["pristine"]  # the seed lab fixture, shared with test_faces_agree

pytestmark = pytest.mark.pacemaker

TIMEOUT = 1.0
"""``[cluster] timeout`` for every face: a hung tool costs this, not 10 s."""
SLOWEST = 1.8 * TIMEOUT
"""Seconds a face may take with one hung tool: one timeout, plus the reads and the real
crm_mon (~1.1 s measured). Before, the timeouts added up: 2 s for a hung drbdsetup (two
forms tried) or crm_mon (``--output-as=xml``, then ``--as-xml``)."""

CODES = {"O": 0, "W": 1, "C": 2, "U": 3}
"""The cells: OK, WARNING, CRITICAL, UNKNOWN, as exit codes 0 to 3."""
FACES = ("status", "cluster", "drbd", "guests", "corosync", "lvs", "poller")
"""The columns: ``hadeck status``; the plugins (lvs on lvs1, the others on jupiter1); the
dashboard's poller."""

Fault = Callable[[Lab], object]


def tool(node: str, name: str, mode: str) -> Fault:
    return lambda lab: faults.tool_fault(lab, node, name, mode)


def both_directors(lab: Lab) -> None:
    faults.fail_director(lab, "lvs1")
    faults.fail_director(lab, "lvs2")


MATRIX: dict[str, tuple[Fault, str]] = {
    #                                                          status cluster drbd guests
    #                                                            |  corosync lvs poller
    "none": (lambda lab: None,                                  "O  O  O  O  O  O  O"),
    "kill-rs 192.0.2.22": (lambda lab: faults.kill_rs(lab, "192.0.2.22"),
                                                                "W  O  O  O  O  W  W"),
    "fail-node jupiter2": (lambda lab: faults.fail_node(lab, "jupiter2"),
                                                                "C  C  C  O  C  O  C"),
    "cut-drbd r1": (lambda lab: faults.cut_drbd(lab, "r1"),     "C  O  C  O  O  O  C"),
    "split-brain r1": (lambda lab: faults.split_brain(lab, "r1"),
                                                                "C  O  C  O  O  O  C"),
    "fail-resource vm2": (lambda lab: faults.fail_resource(lab, "vm2"),
                                                                "W  W  O  O  O  O  W"),
    "ping-lost": (lambda lab: faults.ping_lost(lab),            "C  C  O  O  O  O  C"),
    # A director down: lost redundancy (WARNING), not an unknown; none MASTER: CRITICAL.
    # The lvs plugin run on a dead director is UNKNOWN (Nagios: the host is down).
    "fail-director lvs2 (BACKUP)": (lambda lab: faults.fail_director(lab, "lvs2"),
                                                                "W  O  O  O  O  O  W"),
    "fail-director lvs1 (MASTER)": (lambda lab: faults.fail_director(lab, "lvs1"),
                                                                "W  O  O  O  O  U  W"),
    "fail-director lvs1 and lvs2": (both_directors,             "C  O  O  O  O  U  C"),
    # Out of the cluster, still running vm1, which the survivors restarted on jupiter2.
    "kill-corosync jupiter1": (lambda lab: faults.kill_corosync(lab, "jupiter1"),
                                                                "C  C  C  U  U  O  C"),
    "crm_mon hang": (tool("jupiter1", "crm_mon", "hang"),       "U  U  O  U  O  O  U"),
    "crm_mon garbage": (tool("jupiter1", "crm_mon", "garbage"), "U  U  O  U  O  O  U"),
    "crm_mon missing": (tool("jupiter1", "crm_mon", "missing"), "U  U  O  U  O  O  U"),
    "drbdsetup hang": (tool("jupiter1", "drbdsetup", "hang"),   "U  O  U  O  O  O  U"),
    # drbdadm status still shows the resources; the broken drbdsetup is UNKNOWN.
    "drbdsetup garbage": (tool("jupiter1", "drbdsetup", "garbage"),
                                                                "U  O  U  O  O  O  U"),
    "drbdsetup missing": (tool("jupiter1", "drbdsetup", "missing"),
                                                                "O  O  O  O  O  O  O"),
    "ipvsadm hang": (tool("lvs1", "ipvsadm", "hang"),           "U  O  O  O  O  U  U"),
    # /proc/net/ip_vs still shows the table; the broken ipvsadm is UNKNOWN.
    "ipvsadm garbage": (tool("lvs1", "ipvsadm", "garbage"),     "U  O  O  O  O  U  U"),
    "ipvsadm missing": (tool("lvs1", "ipvsadm", "missing"),     "O  O  O  O  O  O  O"),
    "virsh hang": (tool("jupiter1", "virsh", "hang"),           "U  O  O  U  O  O  U"),
    "virsh garbage": (tool("jupiter1", "virsh", "garbage"),     "U  O  O  U  O  O  U"),
    # No virsh on jupiter1, where Pacemaker runs vm1 (VirtualDomain): hadeck cannot see
    # it, so "cannot tell" (UNKNOWN), not "not running there" (CRITICAL).
    "virsh missing": (tool("jupiter1", "virsh", "missing"),     "U  O  O  U  O  O  U"),
}


PLUGINS = ("cluster", "drbd", "guests", "corosync", "lvs")
PLUGIN_NODE = {"lvs": "lvs1"}


def faces(directory: Path) -> tuple[dict[str, int], dict[str, float], dict[str, str]]:
    """Every face's exit code on the lab, how long each took, and what each said."""
    codes: dict[str, int] = {}
    took: dict[str, float] = {}
    said: dict[str, str] = {}

    def timed(face: str, run: Callable[[], tuple[int, str]]) -> None:
        start = time.monotonic()
        codes[face], said[face] = run()
        took[face] = time.monotonic() - start

    def hadeck_status() -> tuple[int, str]:
        code, text = status(directory, "--json")
        return code, json.loads(text)["health"]["summary"]

    timed("status", hadeck_status)
    for name in PLUGINS:
        args = ("--lab", str(directory), "--node", PLUGIN_NODE.get(name, "jupiter1"))
        timed(name, lambda: plugin(name, *args))  # noqa: B023 - called at once

    def poll() -> tuple[int, str]:
        opened = open_cluster(lab=str(directory))
        snapshot = Poller(opened.access, opened.config).poll()
        return int(snapshot.judgement.overall), snapshot.judgement.summary()

    timed("poller", poll)
    return codes, took, said


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hadeck.toml"
    config.write_text(f"[cluster]\ntimeout = {TIMEOUT}\n")
    monkeypatch.setenv("HADECK_CONFIG", str(config))


@pytest.mark.parametrize("fault", MATRIX)
def test_fault_matrix(pristine: Path, tmp_path: Path, configured: None, fault: str) -> None:
    directory = tmp_path / "lab"
    shutil.copytree(pristine, directory)
    inject, cells = MATRIX[fault]
    inject(Lab(directory))
    codes, took, said = faces(directory)
    expected = dict(zip(FACES, (CODES[c] for c in cells.split()), strict=True))
    assert codes == expected, "\n".join(f"{face}: {codes[face]} {said[face]}" for face in codes)
    slow = {face: round(t, 1) for face, t in took.items() if t > SLOWEST}
    assert not slow, f"a face took more than one timeout: {slow}"
