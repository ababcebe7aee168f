"""The settled CIB a move's preview writes from the transition graph is the one the real
``crm_simulate -S -O`` writes: every resource history entry the same (but the time of
the change), for a move with DRBD's promotion, a live migration and a group's move."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hadeck.actions.settle import settled_cib
from hadeck.lab.world import Lab
from hadeck.transition import op_digest

Entries = dict[tuple[str, str, str], dict[str, str]]


def _entries(cib: str) -> Entries:
    """Every lrm_rsc_op by (node, resource, id), its attributes but last-rc-change."""
    found: Entries = {}
    for state in ET.fromstring(cib).iterfind("./status/node_state"):
        for lrm in state.iterfind("./lrm/lrm_resources/lrm_resource"):
            for op in lrm:
                attrs = dict(op.attrib)
                attrs.pop("last-rc-change", None)
                found[(state.get("uname", ""), lrm.get("id", ""), op.get("id", ""))] = attrs
    return found


def _moved(lab: Lab, tmp_path: Path, rsc: str, node: str, *edits: str) -> Path:
    copy = tmp_path / "copy.xml"
    copy.write_text((lab.directory / "pacemaker" / "cib.xml").read_text())
    env = {**os.environ, "CIB_file": str(copy)}
    for xpath in edits:
        subprocess.run(["cibadmin", "--delete", "--xpath", xpath], env=env, check=True,
                       capture_output=True)
    subprocess.run(["crm_resource", "--move", "-r", rsc, "-N", node], env=env, check=True,
                   capture_output=True)
    return copy


@pytest.mark.parametrize(("rsc", "node", "edits", "summary"), [
    ("vm1", "jupiter2", (), "Promote"),
    ("vm1", "jupiter2", ("//rsc_colocation[@rsc='vm1']", "//rsc_order[@then='vm1']"),
     "Migrate"),
    ("g_services", "jupiter2", (), "Move"),
], ids=["drbd-promotion", "live-migration", "group"])
def test_settled_as_crm_simulate_writes_it(lab: Lab, tmp_path: Path, rsc: str, node: str,
                                           edits: tuple[str, ...], summary: str) -> None:
    copy = _moved(lab, tmp_path, rsc, node, *edits)
    graph, real = tmp_path / "graph.xml", tmp_path / "real.xml"
    ran = subprocess.run(["crm_simulate", "-R", "-G", str(graph), "-x", str(copy)],
                         check=True, capture_output=True, text=True)
    assert f"* {summary}" in ran.stdout
    subprocess.run(["crm_simulate", "-S", "-O", str(real), "-x", str(copy)], check=True,
                   capture_output=True)
    ours = settled_cib(copy.read_text(), graph.read_text())
    assert ours is not None
    assert _entries(ours) == _entries(real.read_text())
    assert _entries(ours) != _entries(copy.read_text())
    # Outside the status, nothing changed.
    assert ours.split("<status", 1)[0] == copy.read_text().split("<status", 1)[0]


def test_what_it_does_not_reproduce_is_left_to_crm_simulate(lab: Lab,
                                                              tmp_path: Path) -> None:
    copy = _moved(lab, tmp_path, "vm1", "jupiter2")
    graph = tmp_path / "graph.xml"
    subprocess.run(["crm_simulate", "-R", "-G", str(graph), "-x", str(copy)], check=True,
                   capture_output=True)
    text = graph.read_text()
    fencing = ('<synapse id="999"><action_set><crm_event id="9999" operation="stonith" '
               'operation_key="stonith-jupiter1-reboot" on_node="jupiter1" '
               'on_node_uuid="1"><attributes CRM_meta_on_node="jupiter1" '
               'CRM_meta_stonith_action="reboot"/></crm_event></action_set><inputs/>'
               '</synapse>')
    assert settled_cib(copy.read_text(), text.replace("</transition_graph>",
                                                      fencing + "</transition_graph>")) is None
    # An action on a resource the node's status does not know.
    assert settled_cib(copy.read_text(), text.replace('id="vm1"', 'id="vm99"')) is None
    assert settled_cib(copy.read_text(), "not a graph") is None
    # A parameter whose digest would need XML escaping.
    assert 'config="/etc/libvirt/qemu/vm1.xml"' in text
    assert settled_cib(copy.read_text(), text.replace(
        'config="/etc/libvirt/qemu/vm1.xml"', 'config="/etc/a&amp;b.xml"')) is None


def test_the_digest_is_pacemakers() -> None:
    # Recorded by crm_simulate 2.1.5 for the lab's vm1 (a start, and its 30 s monitor).
    params = {"config": "/etc/libvirt/qemu/vm1.xml", "hypervisor": "qemu:///system",
              "migration_transport": "ssh"}
    assert op_digest(params) == "0d451529ec7b05930047c4f9808df7fd"
    assert op_digest(params, 30000, "20000") == "749ed8828e22322af8f98d7c0ba841a9"
