"""The copy of the CIB as a move's transition leaves it, for the check after the clear.

A move's preview asks the scheduler twice: what it does with the move's ``cli-prefer``,
and — on the cluster as that leaves it — what it would do once the constraint is
cleared (a resource that would go straight back is refused, as ``pcs resource move``
refuses it). ``crm_simulate -S -O`` gives that settled cluster at several times the cost
of the scheduler's own run on a big CIB; :mod:`hadeck.transition` writes the same
records from the transition graph the first run saved (``crm_simulate -R -G FILE``).
Here only the resource histories an action touches are parsed, and written back into
the CIB's text in place: the rest of a big CIB is neither parsed nor serialised again
(parsing and writing all of a 1.6 MiB CIB with ElementTree costs 0.1–0.15 s).

Anything it does not reproduce exactly — fencing or another cluster action, a Pacemaker
Remote node, a resource history the status does not hold yet, a parameter that would
need XML escaping in its digest — makes :func:`settled_cib` return None, and the preview
asks ``crm_simulate -S -O`` instead. tests/actions/test_settle.py compares the result
with the real tool's.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

from hadeck.transition import NOT_RECORDED, digest_filtered, fired, record

_PLAIN = re.compile(r"^[^&<>\"'\x00-\x1f\x7f]*$")


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
        order, complete = fired(ET.fromstring(graph))
    except ET.ParseError:
        return None
    if not complete:
        return None
    histories = _Histories(cib)
    stamp = int(time.time()) if now is None else now
    for action in order:
        if action.tag == "pseudo_event":
            continue
        if action.tag != "rsc_op" or action.get("router_node"):
            return None     # fencing, a shutdown, a remote node's action
        if action.get("operation", "") in NOT_RECORDED:
            continue
        rsc, params = action.find("primitive"), action.find("attributes")
        node = action.get("on_node", "")
        if rsc is None or params is None or not node or not all(
                _PLAIN.match(v) for k, v in params.attrib.items() if not digest_filtered(k)):
            return None
        history = histories.get(node, rsc.get("id", ""), rsc.get("long-id"))
        if history is None or not record(action, history, stamp,
                                         params.get("crm_feature_set") or
                                         _cib_attribute(cib, "crm_feature_set") or ""):
            return None
    return histories.text()


def _cib_attribute(cib: str, name: str) -> str | None:
    head = re.search(r"<cib\b[^>]*>", cib[:4096])
    found = re.search(rf'\s{name}="([^"]*)"', head.group(0)) if head else None
    return found.group(1) if found else None


class _Histories:
    """The status section's resource histories, each parsed when an action first touches
    it and written back into the CIB text in place (the rest of the text untouched)."""

    def __init__(self, cib: str) -> None:
        self.cib = cib
        self.touched: dict[tuple[str, str], tuple[int, int, ET.Element]] = {}

    def get(self, node: str, rsc: str, long_id: str | None) -> ET.Element | None:
        """The ``<lrm_resource>`` of ``rsc`` (an anonymous clone's instance by its
        primitive's id, else ``long_id``) in ``node``'s status."""
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
