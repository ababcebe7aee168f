"""The seed cluster: its shape (:class:`Layout`), its CIB and where the scheduler puts it.

The seed is the cluster PACEMAKER.md §1 describes, in any size: two or more guest nodes
and an optional arbiter; per guest ``vmN`` a promotable DRBD clone ``ms_drbd_vmN``, the
guest colocated with its Promoted side and ordered after the promotion, preferring one
node of its pair; a ``g_services`` group (Filesystem, IPaddr2, Dummy) on the first guest
node; a ping clone everywhere, every guest and the group kept off a node without
connectivity. Above two guest nodes each DRBD resource lives on its own pair of nodes,
alternating round them (:func:`guest_pair`).

:func:`seed_cib` writes the configuration with an empty status for the real tools to
bring up; :func:`seed_attributes` are the transient attributes the DRBD and ping agents
would set (pingd, promotion scores); :func:`seed_placement` is where the real scheduler
places the seed, which a big lab records at once instead of letting the scheduler bring
it up. The constants are what Pacemaker 2.1.5 writes, so the CIB reads as one made by
that version.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from hadeck.lab.cib_xml import xml_id
from hadeck.transition import CRM_FEATURE_SET

# CRM_FEATURE_SET (hadeck.transition): what Pacemaker 2.1.5 writes; ``#feature-set`` of
# every node, so no node looks mixed.
VALIDATE_WITH = "pacemaker-3.8"
"""3.7 is the first schema with Promoted/Unpromoted; 3.10 is rejected by 2.1.5."""
DC_VERSION = "2.1.5-a3f44794f94"
PROMOTION_SCORE = "10000"
"""What the DRBD agent's crm_master sets for an UpToDate disk."""
PING_MULTIPLIER = 100


@dataclass(frozen=True)
class Layout:
    """The shape a scenario was seeded with; kept next to the CIB as ``scenario.json``."""

    guest_nodes: tuple[str, ...]
    arbiter: str | None
    guests: int
    ping_host_count: int
    seed_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per node, the transient attributes the agents would set (pingd, promotion scores)."""
    xen_guests: tuple[int, ...] = ()
    """Guest numbers managed by ``ocf:heartbeat:Xen`` instead of VirtualDomain."""

    @property
    def nodes(self) -> tuple[str, ...]:
        return (*self.guest_nodes, self.arbiter) if self.arbiter else self.guest_nodes

    def node_id(self, name: str) -> str:
        return str(self.nodes.index(name) + 1)

    def to_json(self) -> str:
        return json.dumps(
            {
                "guest_nodes": list(self.guest_nodes),
                "arbiter": self.arbiter,
                "guests": self.guests,
                "ping_host_count": self.ping_host_count,
                "seed_attributes": self.seed_attributes,
                "xen_guests": list(self.xen_guests),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Layout:
        data = json.loads(text)
        return cls(
            guest_nodes=tuple(data["guest_nodes"]),
            arbiter=data["arbiter"],
            guests=int(data["guests"]),
            ping_host_count=int(data["ping_host_count"]),
            seed_attributes=data.get("seed_attributes", {}),
            xen_guests=tuple(data.get("xen_guests", ())),
        )


def seed_attributes(layout: Layout) -> dict[str, dict[str, str]]:
    """Per node, the transient attributes its agents would set once the seed is up.

    ``#feature-set`` everywhere, ``pingd`` from the ping clone, and on both nodes of each
    guest's pair the DRBD agent's promotion score ``master-p_drbd_vmN``.
    """
    pingd = str(PING_MULTIPLIER * layout.ping_host_count)
    attrs: dict[str, dict[str, str]] = {
        node: {"#feature-set": CRM_FEATURE_SET, "pingd": pingd} for node in layout.nodes
    }
    for index in range(1, layout.guests + 1):
        for node in guest_pair(layout, index):
            attrs[node][f"master-p_drbd_vm{index}"] = PROMOTION_SCORE
    return attrs


def guest_pair(layout: Layout, index: int) -> tuple[str, str]:
    """The preferred node of guest ``index`` and its DRBD peer, alternating round the nodes."""
    nodes = layout.guest_nodes
    return nodes[(index - 1) % len(nodes)], nodes[index % len(nodes)]


def seed_cib(layout: Layout) -> str:
    """The seed CIB (configuration plus an empty status) as PACEMAKER.md §1 describes.

    Args:
        layout: nodes, guest count and ping hosts.

    Returns:
        The XML text of ``cib.xml`` before any node is up.
    """
    cib = ET.Element("cib", {
        "crm_feature_set": CRM_FEATURE_SET, "validate-with": VALIDATE_WITH,
        "epoch": "1", "num_updates": "0", "admin_epoch": "0",
        "dc-uuid": layout.node_id(layout.nodes[-1]),
    })
    config = ET.SubElement(cib, "configuration")
    _crm_config(ET.SubElement(config, "crm_config"))
    nodes = ET.SubElement(config, "nodes")
    for name in layout.nodes:
        ET.SubElement(nodes, "node", id=layout.node_id(name), uname=name)
    resources = ET.SubElement(config, "resources")
    constraints = ET.SubElement(config, "constraints")
    for index in range(1, layout.guests + 1):
        _guest(resources, constraints, layout, index)
    _services(resources, constraints, layout)
    _ping_clone(resources, layout)
    defaults = ET.SubElement(config, "rsc_defaults")
    _nvset(defaults, "meta_attributes", "rsc-options", {"resource-stickiness": "100"})
    ET.SubElement(cib, "status")
    ET.indent(cib)
    return ET.tostring(cib, encoding="unicode") + "\n"


def _crm_config(parent: ET.Element) -> None:
    _nvset(parent, "cluster_property_set", "cib-bootstrap-options", {
        "have-watchdog": "false",
        "dc-version": DC_VERSION,
        "cluster-infrastructure": "corosync",
        "cluster-name": "jupiter",
        "stonith-enabled": "false",
        "no-quorum-policy": "stop",
    })


def _nvset(parent: ET.Element, tag: str, set_id: str, values: dict[str, str]) -> ET.Element:
    nvset = ET.SubElement(parent, tag, id=set_id)
    for name, value in values.items():
        ET.SubElement(nvset, "nvpair", id=xml_id(f"{set_id}-{name}"), name=name, value=value)
    return nvset


def _primitive(parent: ET.Element, rsc_id: str, agent: str, params: dict[str, str],
               monitors: Sequence[tuple[str, str | None]]) -> ET.Element:
    klass, provider, kind = agent.split(":")
    prim = ET.SubElement(parent, "primitive", {"id": rsc_id, "class": klass,
                                               "provider": provider, "type": kind})
    if params:
        _nvset(prim, "instance_attributes", f"{rsc_id}-instance_attributes", params)
    ops = ET.SubElement(prim, "operations")
    for interval, role in monitors:
        op = ET.SubElement(ops, "op", id=f"{rsc_id}-monitor-{interval}", name="monitor",
                           interval=interval)
        if role:
            op.set("role", role)
    return prim


def _guest(resources: ET.Element, constraints: ET.Element, layout: Layout, index: int) -> None:
    vm, ms, prim = f"vm{index}", f"ms_drbd_vm{index}", f"p_drbd_vm{index}"
    clone = ET.SubElement(resources, "clone", id=ms)
    _nvset(clone, "meta_attributes", f"{ms}-meta_attributes", {
        "promotable": "true", "clone-max": "2", "clone-node-max": "1",
        "promoted-max": "1", "promoted-node-max": "1", "notify": "true",
    })
    _primitive(clone, prim, "ocf:linbit:drbd", {"drbd_resource": f"r{index}"},
               [("29s", "Promoted"), ("31s", "Unpromoted")])
    if index in layout.xen_guests:
        guest = _primitive(resources, vm, "ocf:heartbeat:Xen",
                           {"xmfile": f"/etc/xen/{vm}.cfg"}, [("30s", None)])
    else:
        guest = _primitive(resources, vm, "ocf:heartbeat:VirtualDomain", {
            "config": f"/etc/libvirt/qemu/{vm}.xml", "hypervisor": "qemu:///system",
            "migration_transport": "ssh",
        }, [("30s", None)])
    _nvset(guest, "meta_attributes", f"{vm}-meta_attributes", {"allow-migrate": "true"})
    preferred, peer = guest_pair(layout, index)
    ET.SubElement(constraints, "rsc_colocation", {
        "id": f"col_{vm}_on_drbd", "score": "INFINITY", "rsc": vm, "with-rsc": ms,
        "with-rsc-role": "Promoted"})
    ET.SubElement(constraints, "rsc_order", {
        "id": f"ord_{ms}_before_{vm}", "kind": "Mandatory", "first": ms,
        "first-action": "promote", "then": vm, "then-action": "start"})
    ET.SubElement(constraints, "rsc_location", id=f"loc_{vm}_prefers_{preferred}", rsc=vm,
                  node=preferred, score="50")
    if len(layout.guest_nodes) > 2:
        _only_on(constraints, ms, (preferred, peer))
    if layout.arbiter:
        for rsc in (ms, vm):
            ET.SubElement(constraints, "rsc_location", id=f"loc_{rsc}_not_{layout.arbiter}",
                          rsc=rsc, node=layout.arbiter, score="-INFINITY")
    _ping_rule(constraints, vm)


def _only_on(constraints: ET.Element, rsc: str, nodes: Sequence[str]) -> None:
    """-INFINITY everywhere but ``nodes``: a DRBD resource lives on its two peers only."""
    loc = ET.SubElement(constraints, "rsc_location", id=f"loc_{rsc}_pair", rsc=rsc)
    rule = ET.SubElement(loc, "rule", {"id": f"loc_{rsc}_pair-rule", "score": "-INFINITY",
                                       "boolean-op": "and"})
    for number, node in enumerate(nodes):
        ET.SubElement(rule, "expression", id=f"loc_{rsc}_pair-expr-{number}",
                      attribute="#uname", operation="ne", value=node)


def _ping_rule(constraints: ET.Element, rsc: str) -> None:
    loc = ET.SubElement(constraints, "rsc_location", id=f"loc_{rsc}_connected", rsc=rsc)
    rule = ET.SubElement(loc, "rule", {"id": f"loc_{rsc}_connected-rule",
                                       "score": "-INFINITY", "boolean-op": "or"})
    ET.SubElement(rule, "expression", id=f"loc_{rsc}_connected-undefined",
                  attribute="pingd", operation="not_defined")
    ET.SubElement(rule, "expression", id=f"loc_{rsc}_connected-zero",
                  attribute="pingd", operation="lte", value="0", type="number")


def _services(resources: ET.Element, constraints: ET.Element, layout: Layout) -> None:
    group = ET.SubElement(resources, "group", id="g_services")
    _primitive(group, "fs_data", "ocf:heartbeat:Filesystem", {
        "device": "/dev/vg_data/services", "directory": "/srv/data", "fstype": "ext4",
    }, [("20s", None)])
    _primitive(group, "ip_service", "ocf:heartbeat:IPaddr2",
               {"ip": "192.0.2.10", "cidr_netmask": "24"}, [("10s", None)])
    _primitive(group, "svc_dummy", "ocf:pacemaker:Dummy", {}, [("10s", None)])
    ET.SubElement(constraints, "rsc_location", id="loc_g_services_prefers_"
                  f"{layout.guest_nodes[0]}", rsc="g_services", node=layout.guest_nodes[0],
                  score="50")
    if layout.arbiter:
        ET.SubElement(constraints, "rsc_location", id=f"loc_g_services_not_{layout.arbiter}",
                      rsc="g_services", node=layout.arbiter, score="-INFINITY")
    _ping_rule(constraints, "g_services")


def _ping_clone(resources: ET.Element, layout: Layout) -> None:
    clone = ET.SubElement(resources, "clone", id="cl_ping")
    hosts = " ".join(f"192.0.2.{254 - n}" for n in range(layout.ping_host_count))
    _primitive(clone, "p_ping", "ocf:pacemaker:ping",
               {"host_list": hosts, "multiplier": str(PING_MULTIPLIER), "dampen": "5s"},
               [("10s", None)])


def seed_placement(layout: Layout) -> dict[str, dict[str, str]]:
    """Where the scheduler places the seed, by primitive: node → role.

    Guest ``i`` on its preferred node with its DRBD clone promoted there and unpromoted on
    the peer, ``g_services`` on the first guest node, the ping clone everywhere. This is
    what the real scheduler chooses for the seed (location 50 + stickiness, promotion
    scores on both peers, the colocation with the Promoted role); :meth:`CibScenario.seed`
    lets it confirm the guess.
    """
    placement: dict[str, dict[str, str]] = {}
    for index in range(1, layout.guests + 1):
        preferred, peer = guest_pair(layout, index)
        placement[f"p_drbd_vm{index}"] = {preferred: "Promoted", peer: "Unpromoted"}
        placement[f"vm{index}"] = {preferred: "Started"}
    for rsc in ("fs_data", "ip_service", "svc_dummy"):
        placement[rsc] = {layout.guest_nodes[0]: "Started"}
    placement["p_ping"] = dict.fromkeys(layout.nodes, "Started")
    return placement
