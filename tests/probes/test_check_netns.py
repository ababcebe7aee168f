"""``check_hadeck_pingd --probe`` with real pings in namespaces and the real crm_mon.

The lab's CIB, with the ping resource's ``host_list`` pointed at a host in the test's
namespaces, is read by the real ``crm_mon`` (``CIB_file``); the plugin runs in the
prober's namespace as it would on jupiter1 and pings for real. When the ping node drops
off, Pacemaker still holds ``pingd 100`` (no agent runs here to lower it): the plugin
says the node's resources are about to move — before Pacemaker acts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hadeck.lab.world import Lab
from tests.probes.netns import Net, why_not

pytestmark = [pytest.mark.pacemaker,
              pytest.mark.skipif(why_not() is not None, reason=why_not() or "")]

PLUGIN = Path(sys.executable).parent / "check_hadeck_pingd"


@pytest.fixture
def net() -> Iterator[Net]:
    made = Net(hosts=2)
    try:
        yield made.up()
    finally:
        made.down()


@pytest.fixture
def cib(tmp_path: Path, net: Net) -> Path:
    Lab.init(tmp_path / "lab")
    text = (tmp_path / "lab" / "pacemaker" / "cib.xml").read_text()
    pointed, count = re.subn(r'(name="host_list" value=")[^"]*"', rf'\g<1>{net.v4(1)}"', text)
    assert count == 1
    path = tmp_path / "cib.xml"
    path.write_text(pointed)
    return path


def check(net: Net, cib: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "CIB_file": str(cib)}
    done = subprocess.run(["ip", "netns", "exec", net.prober, str(PLUGIN), "--node",
                           "jupiter1", "--probe", *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd="/")
    return done.returncode, done.stdout


def test_agrees_while_the_ping_node_answers(net: Net, cib: Path) -> None:
    code, out = check(net, cib, "-v")
    assert code == 0, out
    assert "pingd 100 agrees with the probe (1 of 1 ping nodes reached)" in out
    assert f"'loss_{net.v4(1)}'=0%;;;0;100" in out
    assert "pingd_expected_jupiter1=100;;;0;100" in out
    assert re.search(rf"'rtt_{re.escape(net.v4(1))}'=[0-9.]+ms", out)


def test_lost_ping_node_says_the_resources_are_about_to_move(net: Net, cib: Path) -> None:
    net.lose(1)
    code, out = check(net, cib)
    assert code == 2, out
    first = out.splitlines()[0]
    assert first.startswith("HADECK PINGD CRITICAL - pingd jupiter1 (probe): jupiter1 "
                            f"reaches no ping node ({net.v4(1)} silent) → its resources "), out
    assert "vm1" in first and "Pacemaker still holds pingd 100" in first
    assert f"'loss_{net.v4(1)}'=100%" in out
    assert "pingd_expected_jupiter1=0;;;0;100" in out
