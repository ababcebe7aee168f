"""A transition graph executed in Python, as crm_simulate's executor executes it.

The scheduler (``crm_simulate -R``) decides what a big lab does next and saves the
transition graph; :func:`apply_graph` then records its actions in the CIB as
``crm_simulate -S`` would have, without crm_simulate's cost: its executor rewrites the
whole CIB for every action, 0.5 s each on a 13 MB CIB. Synapses fire in graph order once
their inputs are confirmed, every action succeeds with the result the scheduler expects,
and each resource action is recorded as ``simulate_resource_action`` and
``pcmk__create_history_xml`` in Pacemaker 2.1.5 record it (:mod:`hadeck.lab.history`).
Fencing is left to crm_simulate (:class:`NotSimulated`).

:func:`count_synapses` and :func:`graph_actions` read a saved graph: how much is left to
do, and what, when a cluster does not settle.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hadeck.lab.cib_xml import read_xml
from hadeck.lab.history import DEFAULT_OP_TIMEOUT_MS, op_digest, op_record


class NotSimulated(Exception):
    """The graph holds an action :func:`apply_graph` leaves to crm_simulate."""


def apply_graph(root: ET.Element, graph: ET.Element, now: int) -> int:
    """Execute a transition graph against a CIB as crm_simulate's executor does.

    Synapses fire in graph order once all their inputs are confirmed, pass after pass
    (``pcmk__execute_graph``); every action succeeds at once. Resource actions are
    recorded in the node's history; pseudo and cluster actions leave no trace.

    Args:
        root: the CIB; its status section is changed in place.
        graph: the ``<transition_graph>`` the scheduler saved for this CIB.
        now: the time recorded as ``last-rc-change``.

    Returns:
        How many history entries were written.

    Raises:
        NotSimulated: a fencing action, or a node missing from the status section.
    """
    synapses = []
    for synapse in graph.iter("synapse"):
        actions = list(synapse.iterfind("action_set/*"))
        inputs = {trigger.get("id", "") for trigger in synapse.iterfind("inputs/trigger/*")}
        synapses.append((actions, inputs))
    states = {state.get("uname"): state for state in root.iterfind("status/node_state")}
    histories: dict[tuple[str, str], ET.Element] = {}
    confirmed: set[str] = set()
    done = [False] * len(synapses)
    recorded = 0
    fired = True
    while fired:
        fired = False
        for number, (actions, inputs) in enumerate(synapses):
            if done[number] or not inputs <= confirmed:
                continue
            done[number] = fired = True
            for action in actions:
                if action.tag == "rsc_op":
                    recorded += _execute_rsc_op(action, states, histories, now)
                elif action.tag == "crm_event" and action.get("operation") == "stonith":
                    raise NotSimulated("fencing")
                confirmed.add(action.get("id", ""))
    return recorded


def _execute_rsc_op(action: ET.Element, states: dict[str | None, ET.Element],
                    histories: dict[tuple[str, str], ET.Element], now: int) -> int:
    """Record one resource action (``simulate_resource_action``); 1 if recorded."""
    operation = action.get("operation", "")
    if operation in ("reprobe", "delete", "meta-data"):
        return 0  # shown by crm_simulate, never recorded
    rsc = action.find("primitive")
    params = action.find("attributes")
    node = action.get("on_node", "")
    state = states.get(node)
    if rsc is None or params is None or state is None:
        raise NotSimulated(f"{operation} on {node}")
    rsc_id = rsc.get("id", "")
    history = histories.get((node, rsc_id))
    if history is None:
        history = _resource_history(state, rsc)
        histories[(node, rsc_id)] = history
    meta = params.attrib
    target_rc = int(meta.get("CRM_meta_op_target_rc", "0"))
    interval = int(meta.get("CRM_meta_interval", "0"))
    call_id = 1 + max((int(op.get("call-id", "0")) for op in history), default=0)
    task = "start" if operation in ("reload", "reload-agent") else operation
    key = f"{rsc_id}_{task}_{interval}"
    if task == "notify":
        op_id = (f"{rsc_id}_{meta.get('CRM_meta_notify_type')}_notify_"
                 f"{meta.get('CRM_meta_notify_operation')}_0")
    elif interval > 0:
        op_id = key
    else:
        op_id = f"{rsc_id}_last_0"
    record = next((op for op in history if op.get("id") == op_id), None)
    if record is None:
        record = ET.SubElement(history, "lrm_rsc_op")
    # Set in crm_xml_add order: an existing record keeps its attribute order, as in libxml2.
    values = op_record(op_id, key, task, call_id, target_rc, interval, str(now))
    if task in ("migrate_to", "migrate_from"):
        values["migrate_source"] = meta.get("CRM_meta_migrate_source", "")
        values["migrate_target"] = meta.get("CRM_meta_migrate_target", "")
    values["op-digest"] = op_digest(
        {name: value for name, value in meta.items() if not _digest_filtered(name)},
        interval, meta.get("CRM_meta_timeout", DEFAULT_OP_TIMEOUT_MS))
    for name, value in values.items():
        record.set(name, value)
    return 1


def _digest_filtered(name: str) -> bool:
    """Attributes ``pcmk__filter_op_for_digest`` drops (the timeout comes back for monitors)."""
    return name.startswith("CRM_meta_") or name in (
        "id", "crm_feature_set", "op-digest", "on_node", "on_node_uuid", "pcmk_external_ip")


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
