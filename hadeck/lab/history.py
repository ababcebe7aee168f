"""Operation history as Pacemaker records it, written in Python for a big lab.

A small lab leaves every record to the real tools. A big one records in Python what
crm_simulate would (:mod:`hadeck.lab.graph` executes the scheduler's transitions; here
:func:`write_converged_status` writes the status of the seed once it has settled), and
the real scheduler must then read those records exactly as its own: an operation whose
:func:`op_digest` differs from the one Pacemaker computes would make it restart the
resource ("parameters changed"). So the digest is Pacemaker's own algorithm, and the
records (:func:`op_record`) copy crm_simulate 2.1.5's attribute for attribute, mirrored
from a converged 2-guest CIB (both in :mod:`hadeck.transition`, which a move's preview
shares); tests/sources/test_pacemaker.py (``TestFastPaths``)
compares them with what the real tools record on the small seeds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from hadeck.lab.cib_xml import xml_id
from hadeck.lab.errors import LabError
from hadeck.lab.seed import Layout, seed_placement
from hadeck.transition import DEFAULT_OP_TIMEOUT_MS, FAKE_UUID, op_digest, op_record

__all__ = ["DEFAULT_OP_TIMEOUT_MS", "FAKE_UUID", "op_digest", "op_record",
           "write_converged_status"]

# ---------------------------------------------------------------------- the settled seed

# What crm_simulate records for one resource as it brings the seed up, mirrored from a
# converged 2-guest CIB: (operation id suffix, operation, action id = call id, expected rc).
# "monitor" stands for the role's recurring monitor; notifications come from notify=true.
_PROBE = (("last_0", "probe", 1, 7),)
_STARTED = (("last_0", "start", 2, 0), ("monitor", "monitor", 3, 0))
_UNPROMOTED = (
    ("last_0", "start", 2, 0), ("post_notify_start_0", "notify", 3, 0),
    ("monitor", "monitor", 4, 0), ("pre_notify_promote_0", "notify", 5, 0),
    ("post_notify_promote_0", "notify", 6, 0),
)
_PROMOTED = (
    ("last_0", "promote", 7, 0), ("post_notify_start_0", "notify", 3, 0),
    ("pre_notify_promote_0", "notify", 6, 0), ("post_notify_promote_0", "notify", 8, 0),
    ("monitor", "monitor", 9, 8),
)
_HISTORY = {None: _PROBE, "Started": _STARTED, "Unpromoted": _UNPROMOTED,
            "Promoted": _PROMOTED}


@dataclass(frozen=True)
class _Primitive:
    """What the status section needs of a configured primitive."""

    id: str
    attrs: dict[str, str]
    """``class``, ``provider`` and ``type``, in that order, as lrm_resource carries them."""
    params: dict[str, str]
    monitors: dict[str | None, int]
    """Recurring monitor interval in ms by role (None: the monitor without a role)."""
    notify: bool


def write_converged_status(root: ET.Element, layout: Layout, now: int) -> None:
    """Fill ``<status>`` as the controller records the seed once it has settled.

    Every node online and a member, every primitive probed on every node ("not running",
    rc 7) except where :func:`seed_placement` runs it: there the start (and promote) and
    the role's recurring monitor, with the operation digests the scheduler compares, and
    the transient attributes the agents set. The result is what ``crm_simulate`` writes
    itself after bringing the nodes up, up to the timestamps.

    Args:
        root: the seed CIB (``<cib>`` with its configuration); changed in place.
        layout: nodes, guests and seed attributes.
        now: ``last-rc-change`` of every operation (epoch seconds).
    """
    primitives = _configured_primitives(root)
    placement = seed_placement(layout)
    status = root.find("status")
    if status is None:
        status = ET.SubElement(root, "status")
    status.clear()
    stamp = str(now)
    for node in layout.nodes:
        node_id = layout.node_id(node)
        state = ET.SubElement(status, "node_state", {
            "id": node_id, "uname": node, "in_ccm": "true", "crmd": "online",
            "join": "member", "expected": "member", "crm-debug-origin": "crm_simulate"})
        resources = ET.SubElement(ET.SubElement(state, "lrm", id=node_id), "lrm_resources")
        for prim in primitives:
            role = placement.get(prim.id, {}).get(node)
            lrm_rsc = ET.SubElement(resources, "lrm_resource", {"id": prim.id, **prim.attrs})
            for suffix, task, action, target_rc in _HISTORY[role]:
                if task == "notify" and not prim.notify:
                    continue
                interval = prim.monitors.get(role if role != "Started" else None, 0) \
                    if task == "monitor" else 0
                if task == "monitor" and not interval:
                    continue
                _record_op(lrm_rsc, prim, suffix, task, action, target_rc, interval, stamp)
        transient = ET.SubElement(state, "transient_attributes", id=node_id)
        nvset = ET.SubElement(transient, "instance_attributes", id=f"status-{node_id}")
        for name, value in layout.seed_attributes.get(node, {}).items():
            ET.SubElement(nvset, "nvpair", id=xml_id(f"status-{node_id}-{name}"),
                          name=name, value=value)
    root.set("have-quorum", "1")


def _record_op(lrm_rsc: ET.Element, prim: _Primitive, suffix: str, task: str,
               action: int, target_rc: int, interval: int, stamp: str) -> None:
    operation = "monitor" if task == "probe" else task
    if task == "monitor":
        op_id = key = f"{prim.id}_monitor_{interval}"
    else:
        op_id = f"{prim.id}_{suffix}"
        key = f"{prim.id}_{operation}_0"
    values = op_record(op_id, key, operation, action, target_rc, interval, stamp)
    values["op-digest"] = op_digest(prim.params, interval)
    ET.SubElement(lrm_rsc, "lrm_rsc_op", values)


def _configured_primitives(root: ET.Element) -> list[_Primitive]:
    """Primitives in configuration order (crm_simulate probes, and records, in it)."""
    found: list[_Primitive] = []

    def walk(parent: ET.Element, notify: bool) -> None:
        for child in parent:
            if child.tag == "primitive":
                found.append(_describe(child, notify))
            elif child.tag in ("group", "clone"):
                walk(child, notify or (child.tag == "clone" and _meta(child, "notify")))

    resources = root.find("configuration/resources")
    if resources is not None:
        walk(resources, False)
    return found


def _meta(element: ET.Element, name: str) -> bool:
    return any(nv.get("value", "").lower() in ("true", "yes", "1")
               for nv in element.iterfind(f"meta_attributes/nvpair[@name='{name}']"))


def _describe(prim: ET.Element, notify: bool) -> _Primitive:
    attrs = {key: prim.get(key, "") for key in ("class", "provider", "type")
             if prim.get(key) is not None}
    params = {nv.get("name", ""): nv.get("value", "")
              for nv in prim.iterfind("instance_attributes/nvpair")}
    monitors: dict[str | None, int] = {}
    for op in prim.iterfind("operations/op[@name='monitor']"):
        interval = _interval_ms(op.get("interval", "0"))
        if interval:
            monitors[op.get("role")] = interval
    return _Primitive(prim.get("id", ""), attrs, params, monitors, notify)


def _interval_ms(text: str) -> int:
    """``29s`` → 29000 (the interval forms the seed uses: ms, s, min, h, bare seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*(ms|msec|s|sec|m|min|h|hr)?\s*", text)
    if match is None:
        raise LabError(f"cannot read the interval {text!r}")
    factor = {"ms": 1, "msec": 1, "m": 60_000, "min": 60_000, "h": 3_600_000,
              "hr": 3_600_000}.get(match.group(2) or "s", 1000)
    return int(match.group(1)) * factor
