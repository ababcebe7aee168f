"""A new guest's CIB configuration, made the way the cluster already makes its guests.

Operators copy an existing guest's XML and rename it; so does this module, without the
typing mistakes: the template guest's primitive, the promotable DRBD clone it is
colocated with, and every constraint naming either (colocation with the Promoted role,
order promote → start, pingd rules, node preferences) are copied with the old names
replaced by the new ones wherever they stand as a whole word (``vm1`` in
``/etc/libvirt/qemu/vm1.xml``, never in ``vm10``). Node-bound locations follow the new
guest's nodes: the template's preference goes to the preferred node, its ``-INFINITY``
bans to every cluster node the guest may not use. The guest gets ``target-role=Stopped``
unless it is to start at once.

Pure: it reads the CIB text given and returns elements; nothing is written.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hadeck.actions.plan import Refused

_REFERENCES = ("rsc", "with-rsc", "first", "then", "id-ref")


@dataclass(frozen=True)
class Template:
    """What a new guest is copied from.

    Attributes:
        guest: the template guest's primitive id.
        clone: its promotable DRBD clone's id.
        drbd_primitive: the ``ocf:linbit:drbd`` primitive inside the clone.
        drbd_resource: the DRBD resource the primitive manages.
        kind: the guest agent (``VirtualDomain``, ``Xen``, ``ManageVE`` …).
    """

    guest: str
    clone: str
    drbd_primitive: str
    drbd_resource: str
    kind: str


@dataclass(frozen=True)
class Fragment:
    """The new guest's configuration.

    Attributes:
        resources: the elements to add under ``<resources>`` (clone, primitive).
        constraints: the elements to add under ``<constraints>``.
        merged: the whole CIB with both added (what ``crm_verify`` and ``crm_simulate``
            are given, and what the patch is made from).
    """

    resources: tuple[ET.Element, ...]
    constraints: tuple[ET.Element, ...]
    merged: str

    def xml(self) -> str:
        """Both parts as XML, for the operator to read (``--dry-run``)."""
        parts = ["<resources>", *(_pretty(e) for e in self.resources), "</resources>",
                 "<constraints>", *(_pretty(e) for e in self.constraints), "</constraints>"]
        return "\n".join(parts) + "\n"


def _pretty(elem: ET.Element) -> str:
    clone = copy.deepcopy(elem)
    ET.indent(clone, space="  ", level=1)
    return "  " + ET.tostring(clone, encoding="unicode").rstrip()


def _attrs(elem: ET.Element) -> dict[str, str]:
    return {nv.get("name", ""): nv.get("value", "")
            for nv in elem.iter("nvpair")}


def templates(root: ET.Element) -> tuple[Template, ...]:
    """Every guest in the CIB that could be a template: a primitive colocated INFINITY
    with the Promoted role of a promotable clone of ``ocf:linbit:drbd``."""
    resources = root.find("configuration/resources")
    constraints = root.find("configuration/constraints")
    if resources is None or constraints is None:
        return ()
    drbd_clones: dict[str, tuple[str, str]] = {}
    for clone in list(resources.iter("clone")) + list(resources.iter("master")):
        prim = clone.find("primitive")
        if prim is None or prim.get("type") != "drbd":
            continue
        promotable = clone.tag == "master" or _attrs(clone).get("promotable") == "true"
        res = _attrs(prim).get("drbd_resource")
        if promotable and res and clone.get("id") and prim.get("id"):
            drbd_clones[clone.get("id", "")] = (prim.get("id", ""), res)
    found: list[Template] = []
    tops = {e.get("id", ""): e for e in resources if e.tag == "primitive"}
    for col in constraints.iter("rsc_colocation"):
        guest, with_rsc = col.get("rsc", ""), col.get("with-rsc", "")
        if guest in tops and with_rsc in drbd_clones \
                and col.get("score") in ("INFINITY", "+INFINITY") \
                and col.get("with-rsc-role") in ("Promoted", "Master"):
            prim_id, res = drbd_clones[with_rsc]
            found.append(Template(guest, with_rsc, prim_id, res, tops[guest].get("type", "")))
    return tuple(found)


def choose(root: ET.Element, like: str | None, kind: str | None) -> Template:
    """The template: the guest named ``like``, else the first guest of agent ``kind``.

    Raises:
        Refused: no such guest, or none of that kind, in the cluster.
    """
    found = templates(root)
    if not found:
        raise Refused("no guest in the CIB is colocated with the Promoted role of a DRBD "
                      "clone: there is no convention to copy")
    if like is not None:
        match = next((t for t in found if t.guest == like), None)
        if match is None:
            raise Refused(f"{like} is not a guest on DRBD here; choose from "
                          f"{', '.join(t.guest for t in found)}")
        return match
    if kind is not None:
        match = next((t for t in found if t.kind.lower() == kind.lower()), None)
        if match is None:
            kinds = ", ".join(sorted({t.kind for t in found}))
            raise Refused(f"no {kind} guest to copy here (the cluster has {kinds}); "
                          "name one with --like")
        return match
    return found[0]


def _renamer(names: Mapping[str, str]) -> re.Pattern[str]:
    words = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, words))
                      + r")(?![A-Za-z0-9])")


def _rename(elem: ET.Element, names: Mapping[str, str]) -> ET.Element:
    pattern = _renamer(names)
    out = copy.deepcopy(elem)
    for node in out.iter():
        for key, value in list(node.attrib.items()):
            node.set(key, pattern.sub(lambda m: names[m.group(1)], value))
    return out


def _mentions(elem: ET.Element, ids: set[str]) -> bool:
    return any(e.get(k) in ids for e in elem.iter() for k in _REFERENCES)


def fragment(cib: str, template: Template, name: str, drbd_resource: str,
             nodes: Sequence[str], prefer: str, start: bool = False) -> Fragment:
    """The new guest's clone, primitive and constraints, and the CIB with them.

    Args:
        cib: ``cibadmin -Q`` text.
        template: the guest to copy (:func:`choose`).
        name: the new guest's primitive id.
        drbd_resource: the new DRBD resource's name.
        nodes: the nodes that hold its DRBD volume (where it may run).
        prefer: the node it prefers.
        start: leave it free to start; else ``target-role=Stopped``.

    Raises:
        Refused: an id the new guest needs is taken.
    """
    root = ET.fromstring(cib)
    resources = root.find("configuration/resources")
    constraints = root.find("configuration/constraints")
    if resources is None or constraints is None:
        raise Refused("the CIB has no resources or constraints section")
    cluster_nodes = [n.get("uname", "") or n.get("id", "")
                     for n in root.iterfind("configuration/nodes/node")]
    names = {template.guest: name, template.drbd_resource: drbd_resource}
    clone_new = _renamer(names).sub(lambda m: names[m.group(1)], template.clone)
    if clone_new == template.clone:
        clone_new = f"ms_drbd_{name}"
    names[template.clone] = clone_new
    prim_new = _renamer(names).sub(lambda m: names[m.group(1)], template.drbd_primitive)
    if prim_new == template.drbd_primitive:
        prim_new = f"p_drbd_{name}"
    names[template.drbd_primitive] = prim_new

    old_clone = next(e for e in resources if e.get("id") == template.clone)
    old_guest = next(e for e in resources if e.get("id") == template.guest)
    new_clone = _rename(old_clone, names)
    for nv in new_clone.iter("nvpair"):
        if nv.get("name") == "drbd_resource":
            nv.set("value", drbd_resource)
    new_guest = _rename(old_guest, names)
    _set_target_role(new_guest, name, start)
    made_constraints = list(_constraints(constraints, template, names, nodes, prefer,
                                         cluster_nodes))
    taken = {e.get("id") for e in root.iter() if e.get("id")}
    new_ids = [e.get("id", "") for part in (new_clone, new_guest, *made_constraints)
               for e in part.iter() if e.get("id")]
    clash = sorted({i for i in new_ids if i in taken} | _twice(new_ids))
    if clash:
        raise Refused(f"the CIB already has {', '.join(clash[:5])}: "
                      f"choose another name than {name}")
    resources.append(new_clone)
    resources.append(new_guest)
    constraints.extend(made_constraints)
    return Fragment((new_clone, new_guest), tuple(made_constraints),
                    ET.tostring(root, encoding="unicode"))


def _twice(ids: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    double: set[str] = set()
    for i in ids:
        (double if i in seen else seen).add(i)
    return double


def _set_target_role(guest: ET.Element, name: str, start: bool) -> None:
    meta = guest.find("meta_attributes")
    for nv in list(guest.iter("nvpair")):
        if nv.get("name") == "target-role":
            for holder in guest.iter("meta_attributes"):
                if nv in list(holder):
                    holder.remove(nv)
    if start:
        return
    if meta is None:
        meta = ET.SubElement(guest, "meta_attributes", id=f"{name}-meta_attributes")
    ET.SubElement(meta, "nvpair", id=f"{meta.get('id')}-target-role", name="target-role",
                  value="Stopped")


def _constraints(constraints: ET.Element, template: Template, names: Mapping[str, str],
                 nodes: Sequence[str], prefer: str, cluster_nodes: Sequence[str]
                 ) -> Iterable[ET.Element]:
    ids = {template.guest, template.clone}
    outside = [n for n in cluster_nodes if n not in nodes]
    for elem in constraints:
        if not _mentions(elem, ids):
            continue
        node = elem.get("node")
        if elem.tag != "rsc_location" or node is None:
            yield _rename(elem, names)
            continue
        score = elem.get("score", "0")
        targets = outside if score.startswith("-") else [prefer]
        for target in targets:
            made = _rename(elem, {**names, node: target})
            made.set("node", target)
            if target not in (made.get("id") or ""):
                made.set("id", f"{made.get('id')}-{target}")
            yield made
