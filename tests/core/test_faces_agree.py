"""Every face gives one answer: ``hadeck status`` and the check plugins, area by area.

On one lab per fault, ``hadeck status --lab DIR`` (the whole cluster, read from one node)
and the ``check_hadeck_*`` plugins (each on the node it runs on, the local node only) must
exit with the same code for the same area. A plugin sees one node, so "agree" means:

========================  =========================  ======================================
status area(s)            plugin                     agree when
========================  =========================  ======================================
cluster, nodes,           check_hadeck_cluster       on a cluster node that is up (not the
resources                                            one status reads from), the plugin
                                                     exits as status does for the three
                                                     areas: Pacemaker shows every node the
                                                     whole cluster
drbd                      check_hadeck_drbd          the worst exit over the up nodes that
                                                     have DRBD (the guest nodes)
guests                    check_hadeck_guests        the worst exit over the up guest nodes
lvs                       check_hadeck_lvs           the worst exit over the up directors,
                                                     against status's verdicts on them (a
                                                     director down is the pair's verdict,
                                                     which only status gives)
connectivity              check_hadeck_corosync,     the worst exit of corosync over the up
                          check_hadeck_pingd         cluster nodes and of pingd (cluster
                                                     wide) on one of them
host                      check_hadeck_node          the worst exit over every up node
sources                   every plugin, on a node    status says UNKNOWN when a cluster
                          that is down               node is down, and every plugin run on
                                                     a down node says UNKNOWN (Nagios: the
                                                     host is down)
========================  =========================  ======================================

"Worst" ranks as hadeck does (:func:`hadeck.health.rank`: CRITICAL above UNKNOWN above
WARNING). A plugin is not run where its area does not exist (DRBD on the arbiter, LVS on
a cluster node): there it says UNKNOWN or WARNING about nothing to check, which is right
for a misplaced check and says nothing about agreement.

Status's exit for every area comes from one ``--json`` run; the exit code of
``--area A,B`` is checked as well for the areas the fault makes non-OK. Everything runs in
process (the CLI's ``main``, each plugin's ``main`` with its ``SystemExit`` caught): a
subprocess per face would cost a second per case.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from hadeck.cli.main import main as hadeck
from hadeck.health import rank
from hadeck.lab import faults
from hadeck.lab.world import Lab
from hadeck.model import Health

pytestmark = pytest.mark.pacemaker

FAULTS: dict[str, Callable[[Lab], object]] = {
    "none": lambda lab: None,
    "kill-rs 192.0.2.22": lambda lab: faults.kill_rs(lab, "192.0.2.22"),
    "fail-node jupiter1": lambda lab: faults.fail_node(lab, "jupiter1"),
    "cut-drbd r1": lambda lab: faults.cut_drbd(lab, "r1"),
    "fail-resource vm2 --op monitor": lambda lab: faults.fail_resource(lab, "vm2", "monitor"),
    "ping-lost": lambda lab: faults.ping_lost(lab),
    "fail-director": lambda lab: faults.fail_director(lab),
    "split-brain r1": lambda lab: faults.split_brain(lab, "r1"),
}

EXPECTED_NOT_OK = {
    "kill-rs 192.0.2.22": {"lvs"},
    "fail-node jupiter1": {"nodes", "drbd", "connectivity", "sources"},
    "cut-drbd r1": {"drbd"},
    "fail-resource vm2 --op monitor": {"resources"},
    "ping-lost": {"connectivity", "resources"},
    "fail-director": {"lvs"},
    "split-brain r1": {"drbd"},
}
"""What each fault must break at least, so that agreement on all-OK cannot pass alone."""


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed lab, its clock frozen; each case copies it, so faults do not leak."""
    if not (shutil.which("crm_simulate") and shutil.which("crm_mon")):
        pytest.skip("pacemaker-cli-utils (crm_simulate, crm_mon) not installed")
    directory = tmp_path_factory.mktemp("faces") / "seed"
    faults.freeze(Lab.init(directory), at=1_800_000_000.0)
    return directory


def status(lab: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = hadeck(["status", "--lab", str(lab), *args])
    return code, out.getvalue()


def plugin(name: str, *args: str) -> tuple[int, str]:
    """Run ``check_hadeck_<name>`` in process: its exit code and status line."""
    main = importlib.import_module(f"hadeck.checks.{name}").main
    out = io.StringIO()
    code: int | str | None = None
    with contextlib.redirect_stdout(out):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code
    assert isinstance(code, int), f"check_hadeck_{name} did not exit with a code"
    return code, (out.getvalue().splitlines() or [""])[0]


def worst(codes: Iterable[int]) -> int:
    return int(max((Health(c) for c in codes), key=rank, default=Health.OK))


@pytest.mark.parametrize("fault", FAULTS)
def test_status_and_plugins_agree(pristine: Path, tmp_path: Path, fault: str) -> None:
    directory = tmp_path / "lab"
    shutil.copytree(pristine, directory)
    lab = Lab(directory)
    FAULTS[fault](lab)
    world = lab.read()
    topo = world.topology
    up = [n for n in world.all_nodes() if world.up(n)]
    down = [n for n in world.all_nodes() if not world.up(n)]
    cluster = [n for n in topo.cluster_nodes if n in up]
    guest_nodes = [n for n in topo.guest_nodes if n in up]
    directors = [n for n in topo.directors if n in up]

    code, text = status(directory, "--json")
    doc = json.loads(text)
    by_area = {area: int(Health[name]) for area, name in doc["health"]["by_area"].items()}
    assert code == worst(by_area.values())
    assert EXPECTED_NOT_OK.get(fault, set()) <= {a for a, c in by_area.items() if c}, by_area

    said: dict[tuple[str, str], tuple[int, str]] = {}

    def run(name: str, node: str) -> int:
        said[(name, node)] = plugin(name, "--lab", str(directory), "--node", node)
        return said[(name, node)][0]

    faces = {
        "drbd": worst(run("drbd", n) for n in guest_nodes),
        "guests": worst(run("guests", n) for n in guest_nodes),
        "lvs": worst(run("lvs", n) for n in directors),
        "connectivity": worst([*(run("corosync", n) for n in cluster),
                               run("pingd", cluster[0])]),
        "host": worst(run("node", n) for n in up),
    }
    # Status reads Pacemaker on the first cluster node that is up; the plugin runs on the
    # last one, so it is the cluster's view that agrees, not one node's with itself.
    pacemaker = worst(by_area[a] for a in ("cluster", "nodes", "resources"))
    assert run("cluster", cluster[-1]) == pacemaker, said[("cluster", cluster[-1])]
    # A director's plugin sees itself; a director that is down is the pair's verdict,
    # which status alone gives (the lvs plugin leaves MASTER questions to it).
    pair = [Health[v["health"]] for v in doc["verdicts"]
            if v["area"] == "lvs" and v["node"] in directors]
    expected = {**by_area, "lvs": worst(int(h) for h in pair)}
    for area, face in faces.items():
        lines = [f"{n}@{node}: {c} {line}" for (n, node), (c, line) in said.items()]
        assert face == expected[area], (area, expected[area], lines)

    if set(down) & set(topo.cluster_nodes):
        assert by_area["sources"] == int(Health.UNKNOWN)
        for node in down:
            for name in ("cluster", "drbd", "lvs", "node"):
                assert run(name, node) == int(Health.UNKNOWN), said[(name, node)]

    # --area exits with the health of the areas named, as the --json document says.
    broken = [a for a, c in by_area.items() if c]
    if broken:
        assert status(directory, "--area", ",".join(broken))[0] == code


def test_plugins_read_the_lab_that_HADECK_LAB_names(pristine: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``--lab`` without a directory is $HADECK_LAB, as for ``hadeck --lab``."""
    directory = tmp_path / "lab"
    shutil.copytree(pristine, directory)
    faults.kill_rs(Lab(directory), "192.0.2.22")
    monkeypatch.setenv("HADECK_LAB", str(directory))
    code, line = plugin("lvs", "--lab", "--node", "lvs1")
    assert (code, line.split(" - ")[0]) == (1, "HADECK LVS WARNING")
    # One read names it: keepalived.conf configures it, the table lacks it.
    assert "real server 192.0.2.22 down (gone from the IPVS table)" in line, line
    assert hadeck(["status", "--lab", "--area", "lvs", "--json"]) == 1
