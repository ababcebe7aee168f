"""Joining guests to the Pacemaker resources that manage them and the DRBD they sit on.

virsh knows a domain by name, Pacemaker knows a resource by id, DRBD knows a resource by
its own name: the CIB is what links them. A guest resource names its guest in a parameter
(VirtualDomain ``config`` is the domain's XML file, by convention ``<domain>.xml``; Xen
``xmfile`` or ``name``; ManageVE ``veid``; lxc ``container``), and it is colocated with
the promotable clone of an ``ocf:linbit:drbd`` primitive whose ``drbd_resource`` names the
DRBD resource.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from hadeck.record import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:  # types only: a check plugin need not load every area's classes
    from hadeck.model import CorosyncStatus, Guest, PacemakerState, PrimitiveConfig

DRBD_AGENTS = ("ocf:linbit:drbd", "ocf:heartbeat:drbd")


def guest_name_of(prim: PrimitiveConfig) -> str | None:
    """The guest name a guest-managing primitive refers to, or None for other agents."""
    params = prim.params
    if prim.agent == "ocf:heartbeat:VirtualDomain":
        config = params.get("config")
        return _stem(config) if config else prim.id
    if prim.agent == "ocf:heartbeat:Xen":
        if params.get("name"):
            return params["name"]
        xmfile = params.get("xmfile")
        return _stem(xmfile) if xmfile else prim.id
    if prim.agent == "ocf:heartbeat:ManageVE":
        return params.get("veid") or prim.id
    if prim.agent == "ocf:heartbeat:lxc":
        return params.get("container") or prim.id
    return None


def _stem(path: str) -> str:
    base = posixpath.basename(path)
    for suffix in (".xml", ".cfg", ".conf"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def drbd_resources_of(resource_id: str, pcmk: PacemakerState) -> tuple[str, ...]:
    """DRBD resource names a Pacemaker resource (or its group) is colocated with."""
    return DrbdLinks(pcmk).of(resource_id)


class DrbdLinks:
    """Which DRBD resources each Pacemaker resource is colocated with: built once per CIB.

    Asking :func:`drbd_resources_of` once per guest walked every primitive and every
    colocation per guest: quadratic, ~1 s of the poll at 500 guests and 500 DRBD
    resources. This indexes the colocations by the resource on either side once, so each
    lookup only reads the few colocations that name it (or its group), in CIB order.

    Args:
        pcmk: the Pacemaker state whose CIB links resources.
    """

    def __init__(self, pcmk: PacemakerState) -> None:
        self._parent = {p.id: p.parent for p in pcmk.primitives}
        prims = {p.id: p for p in pcmk.primitives}
        by_parent: dict[str, list[PrimitiveConfig]] = {}
        for prim in pcmk.primitives:
            if prim.parent:
                by_parent.setdefault(prim.parent, []).append(prim)
        drbd_of: dict[str, tuple[str, ...]] = {}

        def drbd_names(other: str) -> tuple[str, ...]:
            if other not in drbd_of:
                members = [prims[other]] if other in prims else by_parent.get(other, [])
                drbd_of[other] = tuple(
                    p.params["drbd_resource"] for p in members
                    if p.agent in DRBD_AGENTS and p.params.get("drbd_resource"))
            return drbd_of[other]

        # Subject → (position in CIB order, DRBD names found through it).
        self._links: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        position = 0
        for col in pcmk.colocations:
            if col.score.startswith("-"):
                continue
            for mine, other in ((col.resource, col.with_resource),
                                (col.with_resource, col.resource)):
                names = drbd_names(other)
                if names:
                    self._links.setdefault(mine, []).append((position, names))
                position += 1

    def of(self, resource_id: str) -> tuple[str, ...]:
        """DRBD resource names ``resource_id`` (or its group) is colocated with."""
        found = list(self._links.get(resource_id, ()))
        parent = self._parent.get(resource_id)
        if parent and parent != resource_id:
            found += self._links.get(parent, ())
            found.sort(key=lambda link: link[0])
        return tuple(dict.fromkeys(name for _, names in found for name in names))


GuestOwners = dict[str, tuple[str, tuple[str, ...]]]
"""Guest name → (its resource, the DRBD resources that resource is colocated with)."""

_last_owners: tuple[tuple[object, object], GuestOwners] | None = None


def guest_owners(pcmk: PacemakerState) -> GuestOwners:
    """Which resource manages each guest, and on which DRBD resources it runs.

    Remembered for the very same primitives and colocations: the CIB's configuration is
    parsed once while it does not change (:mod:`hadeck.sources.pacemaker`), and a
    dashboard joins every poll (~20 ms at 500 guests).
    """
    global _last_owners
    inputs = (pcmk.primitives, pcmk.colocations)
    last = _last_owners
    if last is not None and last[0][0] is inputs[0] and last[0][1] is inputs[1]:
        return last[1]
    links = DrbdLinks(pcmk)
    owners: GuestOwners = {}
    for prim in pcmk.primitives:
        name = guest_name_of(prim)
        if name is not None:
            owners[name] = (prim.id, links.of(prim.id))
    _last_owners = (inputs, owners)
    return owners


def join_guests(guests: Iterable[Guest], pcmk: PacemakerState | None) -> tuple[Guest, ...]:
    """Guests with ``resource`` and ``drbd`` filled from the CIB where a resource manages them."""
    guests = tuple(guests)
    if pcmk is None or not pcmk.primitives:
        return guests
    global _last_joined
    owners = guest_owners(pcmk)
    joined = []
    last_joined, now_joined = _last_joined, {}
    for guest in guests:
        owner = owners.get(guest.name)
        if owner is None or (guest.resource, guest.drbd) == owner:
            joined.append(guest)
            continue
        # A guest that is the very same object as at the last join (a stopped one, poll
        # after poll) gives the very same joined guest.
        last = last_joined.get(id(guest))
        if last is not None and last[0] is guest and last[1] == owner:
            one = last[2]
        else:
            one = replace(guest, resource=owner[0], drbd=owner[1])
        now_joined[id(guest)] = (guest, owner, one)
        joined.append(one)
    _last_joined = now_joined
    return tuple(joined)


_last_joined: dict[int, tuple[Guest, tuple[str, tuple[str, ...]], Guest]] = {}
"""The last join's guests by id: each (which keeps its id from being reused), its owner
and the joined guest. Replaced at each join (a lost race only joins twice)."""


def name_corosync_peers(
    statuses: Iterable[CorosyncStatus], pcmk: PacemakerState | None
) -> tuple[CorosyncStatus, ...]:
    """Corosync link peers named after Pacemaker's nodes where corosync gave no name.

    ``corosync-cfgtool -s`` prints node ids only, and quorumtool's membership (which
    names them) lacks exactly the nodes that are down, the ones an operator asks about.
    Pacemaker's node ids are corosync's node ids.
    """
    statuses = tuple(statuses)
    if pcmk is None:
        return statuses
    global _last_named
    names = {n.id: n.name for n in pcmk.nodes if n.id}
    named = []
    last_named, now_named = _last_named, {}
    for status in statuses:
        # The very same status named by the same names as before: the very same result
        # (a steady node's corosync is the same object poll after poll).
        last = last_named.get(id(status))
        if last is not None and last[0] is status and last[1] == names:
            now_named[id(status)] = last
            named.append(last[2])
            continue
        links = tuple(
            replace(link, peers=tuple(
                replace(peer, name=names.get(str(peer.node_id)))
                if peer.name is None and str(peer.node_id) in names else peer
                for peer in link.peers))
            for link in status.links)
        one = replace(status, links=links)
        now_named[id(status)] = (status, names, one)
        named.append(one)
    _last_named = now_named
    return tuple(named)


_last_named: dict[int, tuple[CorosyncStatus, dict[str, str], CorosyncStatus]] = {}
"""The last call's statuses by id: each (which keeps its id from being reused), the names
it was given and the named status. Replaced at each call (a lost race only names twice)."""
