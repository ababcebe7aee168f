"""The action hook: what the operator may do to a selected object.

This release is read-only. ``a`` on a selected row opens a panel that says what the
object is and lists :func:`actions_for` of it — an empty list for now. The actions issue
fills :func:`actions_for` (migrate a guest, move or clear a resource, put a node in
standby, drain a real server …); the panel already renders whatever it returns, so that
change needs no new screen.

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

from hadeck.health import Verdict
from hadeck.model import (
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

LATER = "actions come in a later release: this dashboard is read-only for now"
"""What the panel says while :func:`actions_for` has nothing to offer."""


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


def actions_for(selection: Selection) -> list[Action]:
    """What may be done to ``selection``, in the order to offer it.

    Args:
        selection: the object under the cursor.

    Returns:
        Nothing yet: the actions issue fills this in (see the module docstring).
    """
    return []
