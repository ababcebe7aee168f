"""The action hook: what the operator may do to a selected object.

``a`` on a selected row opens a panel that says what the object is and lists
:func:`actions_for` of it: each :class:`Action` carries the
:class:`~hadeck.actions.request.Request` it would make, which the panel hands to
:func:`hadeck.actions.perform.prepare` (preview, pre-checks) and, once confirmed,
:func:`~hadeck.actions.perform.execute`.

The contract between the faces and ``hadeck.actions``; it imports no textual or rich
(an import contract in pyproject.toml holds it to that), so the dashboard imports it and
not the other way round:

- :func:`selection_of` turns a row's model object into a :class:`Selection` (kind, id,
  node), or None for a row that is not an object (a section heading);
- :func:`actions_for` returns the :class:`Action` entries for a selection, in the order
  to show them; an action that cannot run now stays in the list with ``unavailable``
  saying why, so the operator learns why not instead of wondering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hadeck.actions.domain import domain_for
from hadeck.actions.drbd_plan import sides, split
from hadeck.actions.plan import Refused, plan
from hadeck.actions.request import Request
from hadeck.health import Verdict
from hadeck.model import (
    ClusterState,
    DrbdConnection,
    DrbdPeerVolume,
    DrbdResource,
    Guest,
    Node,
    RealServer,
    Resource,
    ResourceKind,
    VirtualService,
    VrrpInstance,
)


@dataclass(frozen=True)
class Selection:
    """The object under the cursor, as the actions see it."""

    kind: str
    """What it is: ``guest``, ``resource``, ``DRBD resource``, ``real server`` …"""
    id: str
    """Its name, unique within its kind (``vm1@jupiter1``, ``ms_drbd_vm1``)."""
    node: str | None
    """The node it is on, or None (a cluster-wide object, or one on several nodes)."""
    obj: Any = None
    """The model object itself."""


@dataclass(frozen=True)
class Action:
    """One thing the operator may do to a selection."""

    name: str
    """A stable id (``migrate``): what ``hadeck.actions`` plans and the audit records."""
    label: str
    """What the panel shows (``Migrate vm1 to jupiter2``)."""
    key: str | None = None
    """The key that starts it from the panel, if it has one."""
    unavailable: str | None = None
    """Why it cannot run now (None: it can)."""
    request: Request | None = None
    """What choosing it asks :mod:`hadeck.actions.perform` to prepare."""


_KINDS: tuple[tuple[type, str], ...] = (
    (Guest, "guest"),
    (DrbdResource, "DRBD resource"),
    (DrbdConnection, "DRBD connection"),
    (DrbdPeerVolume, "DRBD peer volume"),
    (VirtualService, "virtual service"),
    (RealServer, "real server"),
    (VrrpInstance, "VRRP instance"),
    (Node, "node"),
    (Resource, "resource"),
    (Verdict, "problem"),
)


def selection_of(key: str, obj: Any, source: tuple[str, str] | None = None) -> Selection | None:
    """The selection behind a table row.

    Args:
        key: the row's stable key (``guest:vm1@jupiter1``); its id is what follows the
            first ``:``.
        obj: the row's model object; None for a row that is no object.
        source: (source, node) the row was read from: the node of objects that do not
            name one.

    Returns:
        The selection, or None when the row is not an object.
    """
    if obj is None:
        return None
    kind = next((name for cls, name in _KINDS if isinstance(obj, cls)),
                type(obj).__name__)
    if isinstance(obj, Resource):
        kind = "resource" if obj.kind == ResourceKind.PRIMITIVE else f"{obj.kind} resource"
    ident = key.split(":", 1)[-1]
    node: str | None
    if isinstance(obj, Node):
        node = obj.name
    elif isinstance(obj, Resource):
        running = obj.running_on
        node = running[0] if len(running) == 1 else None
    else:
        node = getattr(obj, "node", None) or (source[1] if source else None)
    return Selection(kind, ident, node or None, obj)


def actions_for(selection: Selection, state: ClusterState | None = None,
                read_only: bool = False) -> list[Action]:
    """What may be done to ``selection``, in the order to offer it.

    Args:
        selection: the object under the cursor.
        state: the cluster as last read; None: nothing is offered (nothing known).
        read_only: every action is listed as unavailable, with the reason.

    Returns:
        The actions; one that cannot run now has ``unavailable`` set, with the reason
        (the plan's refusal: already in standby, not running, no cli- constraint …).
        Only the plan is consulted here (pure and fast); the preview and the pre-checks
        come when one is chosen.
    """
    if state is None:
        return []
    if isinstance(selection.obj, RealServer):
        from hadeck.actions.lvs import real_server_requests

        requests = real_server_requests(selection.id, selection.obj, selection.node, state)
    else:
        requests = drbd_requests(selection, state)
        if not requests and state.pacemaker is None:
            return []
        requests = requests or _requests(selection, state)
    out: list[Action] = []
    for label, request in requests:
        why: str | None = None
        if read_only:
            from hadeck.actions.perform import READ_ONLY

            why = READ_ONLY
        else:
            domain = domain_for(request.verb)
            try:
                (domain.plan if domain is not None else plan)(request, state)
            except Refused as exc:
                why = str(exc)
            if why is None and request.verb in ("move", "migrate") and request.node:
                why = _never_on(state, request.target, request.node)
        out.append(Action(request.verb, label, None, why, request))
    return out


def _never_on(state: ClusterState, rsc: str, node: str) -> str | None:
    """Why ``rsc`` can never run on ``node``: a configured, unconditional -INFINITY
    location there (an arbiter, a node without the guest's storage); None if there is none.

    The command line lets the scheduler's preview say so, naming the constraint; the
    panel greys the choice at once instead of offering a move that cannot happen.
    """
    pcmk = state.pacemaker
    for loc in pcmk.locations if pcmk else ():
        if (loc.resource == rsc and loc.node == node and not loc.has_rules
                and not loc.from_cli and loc.role is None
                and loc.score.strip().upper() in ("-INFINITY", "-INF")):
            return f"{rsc} never runs on {node}: location {loc.id} ({loc.score})"
    return None


def _requests(selection: Selection, state: ClusterState) -> list[tuple[str, Request]]:
    pcmk = state.pacemaker
    assert pcmk is not None
    obj = selection.obj
    nodes = [n.name for n in pcmk.nodes]
    if isinstance(obj, Node) or selection.kind == "node":
        name = obj.name if isinstance(obj, Node) else selection.id
        node = pcmk.node(name)
        if node is None:
            return []
        on = "off" if node.maintenance else "on"
        cluster = "off" if pcmk.cluster.maintenance_mode else "on"
        return [
            (f"Standby {name}", Request("standby", name)),
            (f"Online {name}", Request("online", name)),
            (f"Maintenance {on} on {name}", Request("node-maintenance", name, option=on)),
            (f"Clean up failures on {name}", Request("cleanup", "", node=name)),
            (f"Cluster maintenance-mode {cluster}",
             Request("cluster-maintenance", "cluster", option=cluster)),
        ]
    rsc_id: str | None = None
    guest = False
    if isinstance(obj, Guest):
        rsc_id = obj.resource
        guest = True
    elif isinstance(obj, Resource):
        rsc_id = obj.id
    elif selection.kind.endswith("resource") and not selection.kind.startswith("DRBD"):
        rsc_id = selection.id
    if not rsc_id:
        return []
    rsc = pcmk.find(rsc_id)
    if rsc is None:
        return []
    running = rsc.running_on
    out: list[tuple[str, Request]] = []
    others = [n for n in nodes if n not in running]
    if guest or any(p.id == rsc_id and p.meta.get("allow-migrate", "").lower() == "true"
                    for p in pcmk.primitives):
        out += [(f"Migrate {rsc_id} to {n}", Request("migrate", rsc_id, n)) for n in others]
    out += [(f"Move {rsc_id} to {n}", Request("move", rsc_id, n)) for n in others]
    out += [(f"Ban {rsc_id} from {n}", Request("ban", rsc_id, n)) for n in running]
    out.append((f"Clear {rsc_id}'s cli- constraints", Request("clear", rsc_id)))
    out.append((f"Start {rsc_id}", Request("start", rsc_id)))
    out.append((f"Stop {rsc_id}", Request("stop", rsc_id)))
    out.append((f"Unmanage {rsc_id}", Request("unmanage", rsc_id)))
    out.append((f"Manage {rsc_id}", Request("manage", rsc_id)))
    out.append((f"Clean up {rsc_id}", Request("cleanup", rsc_id)))
    return out


def drbd_requests(selection: Selection, state: ClusterState) -> list[tuple[str, Request]]:
    """The DRBD actions of a DRBD row (the resource, a connection or a peer volume as
    one node sees it), run on that node; a split resource leads with the recovery, one
    entry per possible victim. Empty for any other row."""
    obj = selection.obj
    if not isinstance(obj, (DrbdResource, DrbdConnection, DrbdPeerVolume)):
        return []
    name = obj.name if isinstance(obj, DrbdResource) else selection.id.split("@", 1)[0]
    node = selection.node
    peer = obj.peer if isinstance(obj, DrbdConnection) else None
    all_sides = sides(state, name)
    mine = next((s for s in all_sides if s.node == node), None)
    if mine is None:
        return []
    # DRBD 9 with several peers: a connection row acts on that connection only.
    option = peer if peer is not None and len(mine.res.connections) > 1 else None
    out: list[tuple[str, Request]] = []
    for other in all_sides:
        if other is not mine and split(mine, other):
            out += [(f"Resolve the split brain of {name}: discard {victim}'s changes",
                     Request("drbd-resolve", name, victim))
                    for victim in (node, other.node)]
    out += [
        (f"Connect {name} on {node}", Request("drbd-connect", name, node, option=option)),
        (f"Disconnect {name} on {node}", Request("drbd-disconnect", name, node,
                                                 option=option)),
        (f"Adjust {name} on {node} to its configuration", Request("drbd-adjust", name,
                                                                  node)),
        (f"Primary: promote {name} on {node}", Request("drbd-primary", name, node)),
        (f"Secondary: demote {name} on {node}", Request("drbd-secondary", name, node)),
        (f"Verify {name} online from {node}", Request("drbd-verify", name, node,
                                                      option=option)),
        (f"Invalidate {name} on {node}: full resync from the peer",
         Request("drbd-invalidate", name, node)),
        (f"Pause the resync of {name} on {node}", Request("drbd-pause-sync", name, node,
                                                          option=option)),
        (f"Resume the resync of {name} on {node}", Request("drbd-resume-sync", name, node,
                                                           option=option)),
    ]
    return out


def about_of(selection: Selection, state: ClusterState | None) -> str | None:
    """What the panel shows above the actions beyond kind, id and node: for a DRBD
    resource in split brain, both sides side by side, to choose the victim from."""
    obj = selection.obj
    if state is None or not isinstance(obj, (DrbdResource, DrbdConnection,
                                             DrbdPeerVolume)):
        return None
    from hadeck.actions.drbd import split_brain_table, split_sides

    name = obj.name if isinstance(obj, DrbdResource) else selection.id.split("@", 1)[0]
    if selection.node not in split_sides(state, name):
        return None
    return "\n".join([f"{name} is in split brain: every side stands alone. Choose the "
                      "victim: its changes since the split are discarded.",
                      *split_brain_table(state, name, None)])
