"""A transition graph carried out as ``crm_simulate -S`` records it, in Python.

``crm_simulate -S`` executes the scheduler's transition on a file: every action is one
modification of the whole CIB (copied, diffed and digested), 0.5 s each on a 13 MB CIB
and 4.2–4.8 s for a move's 34 actions on a 1.6 MiB one, against 0.3–0.5 s for the
scheduler's own run. The graph it executes (``crm_simulate -R -G FILE``, no extra cost)
holds every action, so the same records can be written here: the lab converges a big
cluster this way (:mod:`hadeck.lab.graph`), and a move's preview settles its copy this
way for the check after the constraint is cleared (:mod:`hadeck.actions.settle`).

As Pacemaker 2.1.5 does it: synapses fire in graph order once their inputs are
confirmed, pass after pass, every action succeeding at once with the result the
scheduler expects (``pcmk__execute_graph``); each resource action is one
``lrm_rsc_op`` (``simulate_resource_action``, ``pcmk__create_history_xml``) — ``R_last_0``
for a one-off action, ``R_monitor_N`` / ``R_cancel_N`` for a recurring one,
``R_migrate_to_0`` / ``R_migrate_from_0`` with the migration's source and target,
``R_post_notify_demote_0`` for a notification — with a call id above the resource's
last one and the parameters' digest; an entry already there is updated in place.
Pseudo and cluster actions leave no trace; fencing is for the caller to refuse.
tests/actions/test_settle.py and the lab's ``TestFastPaths`` compare the records with
the real tool's.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

FAKE_UUID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
"""The transition UUID crm_simulate records in every operation it executes."""
DEFAULT_OP_TIMEOUT_MS = "20000"
"""No op sets a timeout, so recurring monitors' digests carry the 20 s default."""
CRM_FEATURE_SET = "3.16.1"
"""The feature set Pacemaker 2.1.5's tools record."""


def op_digest(params: dict[str, str], interval_ms: int = 0,
              timeout_ms: str = DEFAULT_OP_TIMEOUT_MS) -> str:
    """The ``op-digest`` Pacemaker records: MD5 of the agent's parameters, v1 format.

    The parameters minus the meta-attributes, plus ``CRM_meta_timeout`` for a recurring
    operation, as one ``<parameters …/>`` element with sorted attributes, preceded by a
    space and followed by a newline (``pcmk__filter_op_for_digest`` and
    ``calculate_xml_digest_v1`` in lib/common/digest.c). A wrong digest would make the
    scheduler restart the resource ("parameters changed"); the converged 2-guest CIB's
    digests are reproduced exactly.
    """
    attrs = dict(params)
    if interval_ms:
        attrs["CRM_meta_timeout"] = timeout_ms
    text = " <parameters" + "".join(
        f' {name}="{_xml_escape(value)}"' for name, value in sorted(attrs.items())) + "/>\n"
    return hashlib.md5(text.encode()).hexdigest()


def op_record(op_id: str, key: str, operation: str, call_id: int, target_rc: int,
              interval_ms: int, last_rc_change: str,
              feature_set: str = CRM_FEATURE_SET) -> dict[str, str]:
    """The attributes of one ``lrm_rsc_op`` crm_simulate records, but the digest.

    An operation that succeeded at once with the expected ``target_rc``, in the order
    ``pcmk__create_history_xml`` adds them (the caller adds the migration attributes and
    ``op-digest`` after these): the scheduler reads the result back from
    ``transition-magic``, and the fast-path tests compare the order too.

    Args:
        op_id: the record's id (``<rsc>_last_0``, ``<rsc>_monitor_<ms>`` …).
        key: the ``operation_key`` (``<rsc>_<operation>_<interval>``).
        operation: ``start``, ``monitor``, ``notify`` …
        call_id: the call id, also the action number in the transition key.
        target_rc: the result the scheduler expects, recorded as the result.
        interval_ms: the recurring interval, 0 for a one-off operation.
        last_rc_change: epoch seconds, as text.
        feature_set: the recording tool's CRM feature set.
    """
    transition_key = f"{call_id}:-1:{target_rc}:{FAKE_UUID}"
    return {
        "id": op_id, "operation_key": key, "operation": operation,
        "crm-debug-origin": "crm_simulate", "crm_feature_set": feature_set,
        "transition-key": transition_key,
        "transition-magic": f"0:{target_rc};{transition_key}", "exit-reason": "",
        "call-id": str(call_id), "rc-code": str(target_rc), "op-status": "0",
        "interval": str(interval_ms), "last-rc-change": last_rc_change, "exec-time": "0",
        "queue-time": "0",
    }


def _xml_escape(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def fired(graph: ET.Element) -> tuple[list[ET.Element], bool]:
    """The graph's actions in the order crm_simulate's executor fires them, and whether
    every synapse fired (a synapse waiting on an action that never comes does not)."""
    synapses = []
    for synapse in graph.iter("synapse"):
        actions = list(synapse.iterfind("action_set/*"))
        inputs = {trigger.get("id", "") for trigger in synapse.iterfind("inputs/trigger/*")}
        synapses.append((actions, inputs))
    confirmed: set[str] = set()
    done = [False] * len(synapses)
    order: list[ET.Element] = []
    fire = True
    while fire:
        fire = False
        for number, (actions, inputs) in enumerate(synapses):
            if done[number] or not inputs <= confirmed:
                continue
            done[number] = fire = True
            for action in actions:
                order.append(action)
                confirmed.add(action.get("id", ""))
    return order, all(done)


NOT_RECORDED = ("reprobe", "delete", "meta-data")
"""Resource actions crm_simulate shows and never records."""


def record(action: ET.Element, history: ET.Element, now: int,
           feature_set: str = CRM_FEATURE_SET) -> bool:
    """Record one resource action (``<rsc_op>`` of a graph) in the node's history of
    its resource (``<lrm_resource>``), as ``simulate_resource_action`` does.

    Returns:
        Whether something was recorded (not for :data:`NOT_RECORDED`).
    """
    operation = action.get("operation", "")
    rsc = action.find("primitive")
    params = action.find("attributes")
    if operation in NOT_RECORDED or rsc is None or params is None:
        return False
    rsc_id = rsc.get("id", "")
    meta = params.attrib
    target_rc = int(meta.get("CRM_meta_op_target_rc", "0"))
    interval = int(meta.get("CRM_meta_interval", "0"))
    call_id = 1 + max((int(op.get("call-id", "0")) for op in history), default=0)
    task = "start" if operation in ("reload", "reload-agent") else operation
    key = f"{rsc_id}_{task}_{interval}"
    if task == "notify":
        op_id = (f"{rsc_id}_{meta.get('CRM_meta_notify_type')}_notify_"
                 f"{meta.get('CRM_meta_notify_operation')}_0")
    elif interval > 0 or task in ("migrate_to", "migrate_from"):
        op_id = key
    else:
        op_id = f"{rsc_id}_last_0"
    entry = next((op for op in history if op.get("id") == op_id), None)
    if entry is None:
        entry = ET.SubElement(history, "lrm_rsc_op")
    # Set in crm_xml_add order: an existing record keeps its attribute order, as in libxml2.
    values = op_record(op_id, key, task, call_id, target_rc, interval, str(now),
                       feature_set)
    if task in ("migrate_to", "migrate_from"):
        values["migrate_source"] = meta.get("CRM_meta_migrate_source", "")
        values["migrate_target"] = meta.get("CRM_meta_migrate_target", "")
    values["op-digest"] = op_digest(
        {name: value for name, value in meta.items() if not digest_filtered(name)},
        interval, meta.get("CRM_meta_timeout", DEFAULT_OP_TIMEOUT_MS))
    for name, value in values.items():
        entry.set(name, value)
    return True


def digest_filtered(name: str) -> bool:
    """Attributes ``pcmk__filter_op_for_digest`` drops (the timeout comes back for monitors)."""
    return name.startswith("CRM_meta_") or name in (
        "id", "crm_feature_set", "op-digest", "on_node", "on_node_uuid", "pcmk_external_ip")
