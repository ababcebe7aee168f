"""What the Pacemaker controller writes to the CIB, where file mode has no controller.

With ``CIB_file`` the tools run without a cluster, so nothing does what the controller
(pacemaker-controld) does between scheduler runs. The lab fills those gaps as it would
(PACEMAKER.md §1, "Pitfalls"), as edits of a parsed CIB:

* a lost member gets ``crmd="offline" join="down"`` and loses its transient attributes,
  and a new DC is chosen if the DC was lost (``crm_simulate --node-fail`` only clears
  ``in_ccm``): :func:`fail_nodes`;
* a member that rejoins has its operation history erased and gets its agents'
  attributes back: :func:`rejoin_node`;
* a cancelled recurring monitor disappears from the history (crm_simulate records the
  cancel as one more operation, and role or maintenance changes then never converge):
  :func:`forget_cancelled`;
* ``crm_resource --cleanup`` crashes in file mode: :func:`clean_up`.

A small lab makes the first two edits with ``cibadmin``, one call each
(:class:`~hadeck.lab.scenario.CibScenario`); on a big CIB each call costs 1.5–2 s, so a
big lab makes them here in one pass, and the fast-path tests check that both leave the
same status.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from hadeck.lab.cib_xml import xml_id
from hadeck.lab.errors import LabError
from hadeck.lab.seed import Layout


def fail_nodes(root: ET.Element, layout: Layout, nodes: Sequence[str],
                have_quorum: bool | None) -> None:
    """What the controller writes for lost members (as :meth:`CibScenario.fail_node`)."""
    lost = set()
    for node in nodes:
        state = _node_state(root, layout, node)
        state.set("in_ccm", "false")
        state.set("crmd", "offline")
        state.set("join", "down")
        _drop_children(state, "transient_attributes")
        lost.add(state.get("id"))
    if root.get("dc-uuid") in lost:
        for state in root.iterfind("status/node_state"):
            if state.get("crmd") == "online" and state.get("in_ccm") != "false":
                root.set("dc-uuid", state.get("id", ""))
                break
    if have_quorum is not None:
        root.set("have-quorum", "1" if have_quorum else "0")


def rejoin_node(root: ET.Element, layout: Layout, node: str) -> None:
    """A member rejoins, with no history and its agents' attributes (as ``recover_node``)."""
    state = _node_state(root, layout, node)
    for name, value in (("in_ccm", "true"), ("crmd", "online"), ("join", "member"),
                        ("expected", "member")):
        state.set(name, value)
    _drop_children(state, "lrm")
    _drop_children(state, "transient_attributes")
    attributes = layout.seed_attributes.get(node, {})
    if attributes:
        node_id = state.get("id", "")
        nvset = ET.SubElement(ET.SubElement(state, "transient_attributes", id=node_id),
                              "instance_attributes", id=f"status-{node_id}")
        for name, value in attributes.items():
            ET.SubElement(nvset, "nvpair", id=xml_id(f"status-{node_id}-{name}"),
                          name=name, value=value)


def forget_cancelled(root: ET.Element) -> bool:
    """Remove cancel records and the monitors they cancelled; whether any were found."""
    changed = False
    for lrm_rsc in root.iterfind("./status/node_state/lrm/lrm_resources/lrm_resource"):
        for cancel in lrm_rsc.findall("lrm_rsc_op[@operation='cancel']"):
            interval = cancel.get("interval")
            for op in lrm_rsc.findall("lrm_rsc_op[@operation='monitor']"):
                if op.get("interval") == interval:
                    lrm_rsc.remove(op)
            lrm_rsc.remove(cancel)
            changed = True
    return changed


def clean_up(root: ET.Element, layout: Layout, rsc: str, nodes: Sequence[str]) -> None:
    """What a clean-up of ``rsc`` on ``nodes`` leaves (as :meth:`CibScenario.cleanup`).

    The resource's fail counts and last-failure attributes go, and its recorded failures;
    where its last operation failed the history goes entirely, so that the resource is
    probed again. A node missing from the status section is skipped.
    """
    for name in nodes:
        node_id = layout.node_id(name)
        state = root.find(f"./status/node_state[@id='{node_id}']")
        if state is None:
            continue
        _drop_failure_attributes(state, rsc)
        _drop_failed_history(state, rsc)


def _node_state(root: ET.Element, layout: Layout, node: str) -> ET.Element:
    node_id = layout.node_id(node)
    state = root.find(f"status/node_state[@id='{node_id}']")
    if state is None:
        raise LabError(f"{node} has no node_state in the CIB")
    return state


def _drop_children(parent: ET.Element, tag: str) -> None:
    for child in parent.findall(tag):
        parent.remove(child)


def _drop_failure_attributes(state: ET.Element, rsc: str) -> None:
    prefixes = (f"fail-count-{rsc}#", f"last-failure-{rsc}#")
    for nvset in state.iterfind("./transient_attributes/instance_attributes"):
        for nvpair in nvset.findall("nvpair"):
            if nvpair.get("name", "").startswith(prefixes):
                nvset.remove(nvpair)


def _drop_failed_history(state: ET.Element, rsc: str) -> None:
    for resources in state.iterfind("./lrm/lrm_resources"):
        for lrm_rsc in resources.findall(f"lrm_resource[@id='{rsc}']"):
            last = lrm_rsc.find(f"lrm_rsc_op[@id='{rsc}_last_0']")
            if last is not None and _op_failed(last):
                resources.remove(lrm_rsc)
                continue
            for op in lrm_rsc.findall(f"lrm_rsc_op[@id='{rsc}_last_failure_0']"):
                lrm_rsc.remove(op)


def _op_failed(op: ET.Element) -> bool:
    """Did the recorded operation end other than expected (transition-magic says)?"""
    magic = op.get("transition-key", "").split(":")
    expected = magic[2] if len(magic) > 2 else "0"
    return op.get("op-status", "0") != "0" or op.get("rc-code", "0") != expected
