"""A transition graph executed in Python, as crm_simulate's executor executes it.

The scheduler (``crm_simulate -R``) decides what a big lab does next and saves the
transition graph; :func:`apply_graph` then records its actions in the CIB as
``crm_simulate -S`` would have, without crm_simulate's cost: its executor rewrites the
whole CIB for every action, 0.5 s each on a 13 MB CIB. Synapses fire in graph order once
their inputs are confirmed, every action succeeds with the result the scheduler expects,
and each resource action is recorded as ``simulate_resource_action`` and
``pcmk__create_history_xml`` in Pacemaker 2.1.5 record it (:mod:`hadeck.transition`,
which a move's preview shares).
Fencing is left to crm_simulate (:class:`NotSimulated`).

:func:`count_synapses` and :func:`graph_actions` read a saved graph: how much is left to
do, and what, when a cluster does not settle.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hadeck.lab.cib_xml import read_xml
from hadeck.transition import NOT_RECORDED, fired, record


class NotSimulated(Exception):
    """The graph holds an action :func:`apply_graph` leaves to crm_simulate."""


def apply_graph(root: ET.Element, graph: ET.Element, now: int) -> int:
    """Execute a transition graph against a CIB as crm_simulate's executor does.

    Synapses fire in graph order once all their inputs are confirmed, pass after pass
    (``pcmk__execute_graph``); every action succeeds at once. Resource actions are
    recorded in the node's history (:func:`hadeck.transition.record`); pseudo and
    cluster actions leave no trace.

    Args:
        root: the CIB; its status section is changed in place.
        graph: the ``<transition_graph>`` the scheduler saved for this CIB.
        now: the time recorded as ``last-rc-change``.

    Returns:
        How many history entries were written.

    Raises:
        NotSimulated: a fencing action, or a node missing from the status section.
    """
    order, _ = fired(graph)
    if any(a.tag == "crm_event" and a.get("operation") == "stonith" for a in order):
        raise NotSimulated("fencing")
    states = {state.get("uname"): state for state in root.iterfind("status/node_state")}
    histories: dict[tuple[str, str], ET.Element] = {}
    recorded = 0
    for action in order:
        if action.tag != "rsc_op" or action.get("operation", "") in NOT_RECORDED:
            continue
        rsc = action.find("primitive")
        node = action.get("on_node", "")
        state = states.get(node)
        if rsc is None or action.find("attributes") is None or state is None:
            raise NotSimulated(f"{action.get('operation', '')} on {node}")
        history = histories.get((node, rsc.get("id", "")))
        if history is None:
            history = _resource_history(state, rsc)
            histories[(node, rsc.get("id", ""))] = history
        recorded += record(action, history, now)
    return recorded


def _resource_history(state: ET.Element, rsc: ET.Element) -> ET.Element:
    """The node's ``lrm_resource`` for ``rsc``, created as ``pcmk__inject_resource_history``."""
    rsc_id = rsc.get("id", "")
    lrm = state.find("lrm")
    if lrm is None:
        lrm = ET.SubElement(state, "lrm", id=state.get("id", ""))
    resources = lrm.find("lrm_resources")
    if resources is None:
        resources = ET.SubElement(lrm, "lrm_resources")
    for history in resources.iterfind("lrm_resource"):
        if history.get("id") == rsc_id:
            return history
    attrs = {"id": rsc_id}
    for name in ("class", "provider", "type"):
        value = rsc.get(name)
        if value is not None:
            attrs[name] = value
    return ET.SubElement(resources, "lrm_resource", attrs)


def count_synapses(graph: Path) -> int:
    """How many synapses the saved graph holds: 0 when the cluster has settled."""
    return sum(1 for _ in read_xml(graph).iter("synapse"))


def graph_actions(graph: Path) -> list[str]:
    """The saved graph's actions as ``operation_key@node``, in graph order."""
    actions: list[str] = []
    for synapse in read_xml(graph).iter("synapse"):
        for action in synapse.findall("action_set/*"):
            key = action.get("operation_key", action.get("operation", "?"))
            actions.append(f"{key}@{action.get('on_node', '')}")
    return actions
