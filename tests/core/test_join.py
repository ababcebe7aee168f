"""Joining guests to their Pacemaker resource and DRBD resources (hadeck.join)."""

from __future__ import annotations

import random

from hadeck.join import DRBD_AGENTS, DrbdLinks, drbd_resources_of, join_guests
from hadeck.model import Colocation, Guest, PacemakerState, PrimitiveConfig


def _reference(resource_id: str, pcmk: PacemakerState) -> tuple[str, ...]:
    """The original per-call walk over every colocation: what the lookup table must match."""
    prims = {p.id: p for p in pcmk.primitives}
    by_parent: dict[str, list[PrimitiveConfig]] = {}
    for prim in pcmk.primitives:
        if prim.parent:
            by_parent.setdefault(prim.parent, []).append(prim)
    own = prims.get(resource_id)
    subjects = {resource_id}
    if own is not None and own.parent:
        subjects.add(own.parent)
    found: dict[str, None] = {}
    for col in pcmk.colocations:
        if col.score.startswith("-"):
            continue
        for mine, other in ((col.resource, col.with_resource), (col.with_resource, col.resource)):
            if mine not in subjects:
                continue
            for prim in [prims[other]] if other in prims else by_parent.get(other, []):
                if prim.agent in DRBD_AGENTS and prim.params.get("drbd_resource"):
                    found[prim.params["drbd_resource"]] = None
    return tuple(found)


def _cib() -> PacemakerState:
    prims = (
        PrimitiveConfig("p_drbd_r0", "ocf:linbit:drbd", {"drbd_resource": "r0"}, parent="ms_r0"),
        PrimitiveConfig("p_drbd_r1", "ocf:linbit:drbd", {"drbd_resource": "r1"}, parent="ms_r1"),
        PrimitiveConfig("vm1", "ocf:heartbeat:VirtualDomain", {"config": "/etc/vm1.xml"}),
        PrimitiveConfig("vm2", "ocf:heartbeat:VirtualDomain", {"config": "/etc/vm2.xml"},
                        parent="g_vm2"),
        PrimitiveConfig("ip2", "ocf:heartbeat:IPaddr2", parent="g_vm2"),
    )
    cols = (
        Colocation("c1", "vm1", "ms_r0", "INFINITY", with_role="Promoted"),
        Colocation("c2", "g_vm2", "ms_r1", "INFINITY"),
        Colocation("c3", "ms_r0", "vm2", "INFINITY"),
        Colocation("c4", "vm1", "ms_r1", "-INFINITY"),
    )
    return PacemakerState(primitives=prims, colocations=cols)


def test_drbd_of_a_resource_its_group_and_either_side() -> None:
    pcmk = _cib()
    assert drbd_resources_of("vm1", pcmk) == ("r0",)  # c4 is anti-colocation: ignored
    assert drbd_resources_of("vm2", pcmk) == ("r1", "r0")  # via its group, then directly
    assert drbd_resources_of("ip2", pcmk) == ("r1",)
    assert drbd_resources_of("nothing", pcmk) == ()
    guests = join_guests([Guest("vm2", "n1", "kvm", "running"),
                          Guest("other", "n1", "kvm", "running")], pcmk)
    assert (guests[0].resource, guests[0].drbd) == ("vm2", ("r1", "r0"))
    assert (guests[1].resource, guests[1].drbd) == (None, ())


def test_lookup_table_matches_the_walk_on_a_random_cib() -> None:
    rnd = random.Random(5)
    ids = [f"r{i}" for i in range(40)]
    groups = [f"g{i}" for i in range(8)]
    prims = tuple(
        PrimitiveConfig(rid, rnd.choice([*DRBD_AGENTS, "ocf:heartbeat:VirtualDomain"]),
                        {"drbd_resource": f"d{rnd.randrange(12)}"} if rnd.random() < 0.8
                        else {}, parent=rnd.choice([None, *groups]))
        for rid in ids)
    names = ids + groups + ["missing"]
    cols = tuple(Colocation(f"c{i}", rnd.choice(names), rnd.choice(names),
                            rnd.choice(["INFINITY", "100", "-INFINITY", "0"]))
                 for i in range(120))
    pcmk = PacemakerState(primitives=prims, colocations=cols)
    links = DrbdLinks(pcmk)
    for rid in names:
        assert links.of(rid) == _reference(rid, pcmk), rid
