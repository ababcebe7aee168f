"""The CIB as a transition leaves it, written the way ``crm_simulate -S`` writes it.

A move's preview asks the scheduler twice: what it does with the move's ``cli-prefer``,
and — on the cluster as that leaves it — what it would do once the constraint is
cleared (a resource that would go straight back is refused, as ``pcs resource move``
refuses it). ``crm_simulate -S -O`` gives that settled cluster, but it carries the
transition out on a file: every resource action is one modification of the whole CIB
(copied, diffed and digested each time), 4.2–4.8 s on a 1.6 MiB CIB (4 nodes, 125
guests) against 0.3–0.5 s for the scheduler's own ``-R`` run. The transition graph
(``crm_simulate -R -G FILE``, no extra cost) holds every action, so this module records
its resource actions in the status section itself, as Pacemaker 2.1's simulator does
(``pcmk__simulate_transition``): synapses fired in the graph's order as their inputs are
confirmed; each resource action one ``lrm_rsc_op`` — ``R_last_0`` for a one-off action,
``R_monitor_N`` / ``R_cancel_N`` for a recurring one, ``R_migrate_to_0`` /
``R_migrate_from_0`` (with the migration's source and target) for a live migration's
two halves, ``R_post_notify_demote_0`` for a notification — with a call id above the
resource's last one, the expected result, and the parameters' digest (md5 of
`` <parameters …/>`` with the sorted, filtered parameters). An entry that is already
there is updated in place, as the simulator does.

Anything it does not reproduce — fencing or another cluster action, a Pacemaker Remote
node, a resource or node the status does not know yet, a parameter that needs XML
escaping — makes :func:`settled_cib` return None, and the preview asks ``crm_simulate
-S -O`` instead. tests/actions/test_settle.py compares the result with the real tool's.
"""

from __future__ import annotations

import hashlib
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_FAKE_TE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
# Attributes left out of the digest (besides CRM_meta_*): pcmk__filter_op_for_digest.
_NOT_DIGESTED = frozenset(("id", "crm_feature_set", "op-digest", "on_node", "on_node_uuid",
                           "pcmk_external_ip"))
_PLAIN = re.compile(r"^[^&<>\"'\x00-\x1f\x7f]*$")


@dataclass(frozen=True)
class _Action:
    ident: str
    tag: str
    element: ET.Element


def settled_cib(cib: str, graph: str, now: int | None = None) -> str | None:
    """``cib`` with the transition ``graph`` carried out, as ``crm_simulate -S`` records
    it; None when the graph holds something this does not reproduce.

    Args:
        cib: the CIB the graph was computed from (the text given to crm_simulate).
        graph: the transition graph (``crm_simulate -G FILE``).
        now: the time recorded as the actions' ``last-rc-change`` (default: now).

    Returns:
        The settled CIB text, or None.
    """
    try:
        root = ET.fromstring(graph)
    except ET.ParseError:
        return None
    synapses: list[tuple[list[_Action], list[str]]] = []
    for synapse in root.iterfind("synapse"):
        actions = [_Action(el.get("id", ""), el.tag, el)
                   for aset in synapse.iterfind("action_set") for el in aset]
        inputs = [el.get("id", "") for trigger in synapse.iterfind("inputs/trigger")
                  for el in trigger]
        for action in actions:
            if action.tag == "pseudo_event":
                continue
            if action.tag != "rsc_op" or action.element.get("router_node"):
                return None     # fencing, a shutdown, a remote node's action
        synapses.append((actions, inputs))
    order = _fired(synapses)
    if order is None:
        return None
    history = _History(cib)
    stamp = str(int(time.time()) if now is None else now)
    feature = _cib_attribute(cib, "crm_feature_set")
    for action in order:
        if action.tag == "rsc_op" and not history.record(action.element, stamp, feature):
            return None
    return history.text()


def _fired(synapses: list[tuple[list[_Action], list[str]]]) -> list[_Action] | None:
    """Every action in the order the simulator fires them: passes over the synapses in
    the graph's order, each fired once its inputs are confirmed (a simulated action is
    confirmed as it fires); None if some synapse could never fire."""
    confirmed: set[str] = set()
    done = [False] * len(synapses)
    order: list[_Action] = []
    progress = True
    while progress:
        progress = False
        for index, (actions, inputs) in enumerate(synapses):
            if done[index] or any(i not in confirmed for i in inputs):
                continue
            done[index] = progress = True
            for action in actions:
                confirmed.add(action.ident)
                order.append(action)
    return order if all(done) else None


def _cib_attribute(cib: str, name: str) -> str | None:
    head = re.search(r"<cib\b[^>]*>", cib[:4096])
    found = re.search(rf'\s{name}="([^"]*)"', head.group(0)) if head else None
    return found.group(1) if found else None


def digest(params: dict[str, str], interval: int) -> str | None:
    """The operation digest Pacemaker records (``op-digest``) for an action's parameters
    (its graph ``<attributes>``); None for a value that needs XML escaping."""
    kept = {k: v for k, v in params.items()
            if not k.startswith("CRM_meta_") and k not in _NOT_DIGESTED}
    if interval and "CRM_meta_timeout" in params:
        kept["CRM_meta_timeout"] = params["CRM_meta_timeout"]
    if not all(_PLAIN.match(k) and _PLAIN.match(v) for k, v in kept.items()):
        return None
    body = "".join(f' {k}="{kept[k]}"' for k in sorted(kept))
    return hashlib.md5(f" <parameters{body}/>\n".encode()).hexdigest()


class _History:
    """The status section's resource histories, each parsed only when an action touches
    it and written back into the CIB text in place (the rest of the text untouched)."""

    def __init__(self, cib: str) -> None:
        self.cib = cib
        self.touched: dict[tuple[str, str], tuple[int, int, ET.Element]] = {}

    def record(self, op: ET.Element, stamp: str, feature: str | None) -> bool:
        prim = op.find("primitive")
        attributes = op.find("attributes")
        node = op.get("on_node")
        task = op.get("operation")
        if prim is None or attributes is None or not node or not task:
            return False
        if task in ("delete", "meta-data"):
            return True         # the simulator records neither
        params = dict(attributes.attrib)
        rsc = prim.get("id", "")
        found = self._resource(node, rsc, prim.get("long-id"))
        if found is None:
            return False
        try:
            interval = int(params.get("CRM_meta_interval", "0"))
            rc = int(params.get("CRM_meta_op_target_rc", "0"))
        except ValueError:
            return False
        if task == "notify":
            kind = params.get("CRM_meta_notify_type")
            what = params.get("CRM_meta_notify_operation")
            if not kind or not what:
                return False
            ident, rc = f"{rsc}_{kind}_notify_{what}_0", 0
        elif interval or task in ("migrate_to", "migrate_from"):
            ident = f"{rsc}_{task}_{interval}"
        else:
            ident = f"{rsc}_last_0"
        sums = digest(params, interval)
        if sums is None:
            return False
        call = 1 + max((_int(el.get("call-id")) for el in found), default=0)
        key = f"{call}:-1:{rc}:{_FAKE_TE}"
        entry = next((el for el in found if el.get("id") == ident), None)
        if entry is None:
            entry = ET.SubElement(found, "lrm_rsc_op")
        values = {
            "id": ident, "operation_key": f"{rsc}_{task}_{interval}", "operation": task,
            "crm-debug-origin": "crm_simulate",
            "crm_feature_set": params.get("crm_feature_set") or feature or "",
            "transition-key": key, "transition-magic": f"0:{rc};{key}", "exit-reason": "",
            "call-id": str(call), "rc-code": str(rc), "op-status": "0",
            "interval": str(interval), "last-rc-change": stamp, "exec-time": "0",
            "queue-time": "0",
        }
        if task in ("migrate_to", "migrate_from"):
            for name in ("migrate_source", "migrate_target"):
                value = params.get(f"CRM_meta_{name}")
                if value is not None:
                    values[name] = value
        values["op-digest"] = sums
        for name, value in values.items():
            entry.set(name, value)
        return True

    def _resource(self, node: str, rsc: str, long_id: str | None) -> ET.Element | None:
        for name in (rsc, long_id):
            if not name:
                continue
            if (node, name) in self.touched:
                return self.touched[(node, name)][2]
            span = self._find(node, name)
            if span is not None:
                start, end = span
                try:
                    element = ET.fromstring(self.cib[start:end])
                except ET.ParseError:
                    return None
                self.touched[(node, name)] = (start, end, element)
                return element
        return None

    def _find(self, node: str, rsc: str) -> tuple[int, int] | None:
        """Where ``<lrm_resource id=rsc>`` of ``node``'s status is in the text."""
        state = re.search(rf'<node_state\b[^>]*\suname="{re.escape(node)}"', self.cib)
        if state is None:
            return None
        stop = self.cib.find("</node_state>", state.end())
        if stop < 0:
            return None
        found = re.compile(rf'<lrm_resource\b[^>]*\sid="{re.escape(rsc)}"[^>]*?(/?)>') \
            .search(self.cib, state.end(), stop)
        if found is None:
            return None
        if found.group(1):
            return found.start(), found.end()
        end = self.cib.find("</lrm_resource>", found.end(), stop)
        return None if end < 0 else (found.start(), end + len("</lrm_resource>"))

    def text(self) -> str:
        out = self.cib
        for start, end, element in sorted(self.touched.values(), key=lambda t: -t[0]):
            out = out[:start] + ET.tostring(element, encoding="unicode") + out[end:]
        return out


def _int(value: str | None) -> int:
    try:
        return int(value or "0")
    except ValueError:
        return 0
