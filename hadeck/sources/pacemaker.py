"""Pacemaker: crm_mon's XML status and the CIB configuration.

Two pure parsers and a reader:

* :func:`parse_crm_mon` reads what ``crm_mon`` prints as XML in every dialect in use:
  ``crm_mon --output-as=xml`` (``<pacemaker-result>``, Pacemaker 2.0.3 to 3.0) and the old
  ``crm_mon --as-xml`` (``<crm_mon version="1.1.24">``; 2.1.5 still prints it with
  ``version="2.1.5"``). Role words are normalised to the 2.1 names (``Master`` →
  ``Promoted``, ``Slave`` → ``Unpromoted``) and 1.x agents (``ocf::heartbeat:X``) to one
  colon; every other word is kept as printed. The
  3.0 renames (``removed`` for ``orphaned``, ``fencing-enabled``, ``promoted-only``) are
  read alongside the old names.
* :func:`parse_cib_configuration` reads ``cibadmin -Q -o configuration`` for what crm_mon
  does not show: positive location constraints (``cli-prefer-*`` left by a move, with the
  ``--lifetime`` end date), colocations, and each primitive's agent parameters.
* :func:`read` runs both. Pacemaker before 2.0.3 rejects ``--output-as``; the reader then
  falls back to ``--as-xml``. When only the CIB cannot be read, the crm_mon state is still
  returned, with the reason in ``status.error``.

Parsers raise only :class:`~hadeck.sources.base.ParseError`: crm_mon's own error document
(``<status code="102" message="Not connected">``) becomes a :class:`CrmMonError`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from hadeck.model import (
    Ban,
    ClusterInfo,
    Colocation,
    FailCount,
    FailedAction,
    LocationConstraint,
    Node,
    NodeAttribute,
    Operation,
    Order,
    PacemakerState,
    PrimitiveConfig,
    Resource,
    ResourceKind,
)
from hadeck.record import replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import (
    Clock,
    LastParses,
    ParseError,
    Reading,
    never_raises,
    parse_output,
)

SOURCE = "pacemaker"

CRM_MON = Command("pacemaker/crm_mon.xml", ("crm_mon", "--output-as=xml"))
CRM_MON_AS_XML = Command("pacemaker/crm_mon-as-xml.xml", ("crm_mon", "--as-xml"))
"""Pacemaker 1.1 to 2.0.2 know only this spelling."""
CIB_CONFIGURATION = Command(
    "pacemaker/cib-configuration.xml", ("cibadmin", "-Q", "-o", "configuration")
)
COMMANDS: tuple[Command, ...] = (CRM_MON, CRM_MON_AS_XML, CIB_CONFIGURATION)

INFINITY = 1_000_000
"""Pacemaker's score and fail-count infinity, as crm_mon prints it."""
NOT_CONNECTED = 102
"""crm_mon's exit code (CRM_EX_DISCONNECT) when no cluster answers."""

_ROLE_NAMES = {"master": "Promoted", "slave": "Unpromoted"}
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
# Operation names that themselves contain an underscore, for op keys without ``task``;
# compiled on first use (``re`` caches them): only a failed action's key is split.
_OP_KEYS = (
    r"^(?P<rsc>.+)_(?P<task>migrate_to|migrate_from)_(?P<interval>[0-9]{1,19})$",
    r"^(?P<rsc>.+)_(?P<task>[^_]+)_(?P<interval>[0-9]{1,19})$",
)


class CrmMonError(ParseError):
    """crm_mon printed its error document instead of a status (``<status code=…>``)."""

    def __init__(self, code: int | None, message: str, errors: tuple[str, ...] = ()) -> None:
        self.code = code
        self.message = message
        self.errors = errors
        text = f"crm_mon reported {message or 'an error'}"
        if code is not None:
            text += f" (code {code})"
        if errors:
            text += ": " + "; ".join(errors)
        super().__init__(text)


# ---------------------------------------------------------------------- small readers


def _xml(text: str, what: str) -> ET.Element:
    if not text.strip():
        raise ParseError(f"{what}: empty output")
    try:
        return ET.fromstring(text.strip())
    except ET.ParseError as exc:
        raise ParseError(f"{what}: not well-formed XML ({exc})") from None
    except ValueError:  # a lone surrogate: expat is given UTF-8, which cannot hold one
        raise ParseError(f"{what}: not well-formed XML (not encodable text)") from None


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in _TRUE


def _opt_bool(value: str | None) -> bool | None:
    return None if value is None or value == "" else _bool(value)


def _int(value: str | None, default: int = 0) -> int:
    """A count or score as crm_mon prints it: ``12``, ``1000000``, ``INFINITY``, ``30000ms``."""
    if value is None:
        return default
    text = value.strip().lower().removesuffix("ms")
    if text in ("infinity", "+infinity"):
        return INFINITY
    if text == "-infinity":
        return -INFINITY
    try:
        return int(text)
    except ValueError:
        return default


def _count(value: str | None, default: int = 0) -> int:
    """A number of things (nodes, resources, failures, an interval): never negative."""
    number = _int(value, default)
    if number < 0:
        raise ParseError(f"a count of {number}: counts are not negative")
    return number


def _opt_int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    sentinel = -(10**18)
    number = _int(value, sentinel)
    return None if number == sentinel else number


def _text(value: str | None) -> str | None:
    """An attribute, with crm_mon's empty strings (``time=""``) as None."""
    return value if value else None


def _role(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return _ROLE_NAMES.get(value.strip().lower(), value)


def _first(*values: str | None) -> str | None:
    for value in values:
        if value is not None:
            return value
    return None


# ---------------------------------------------------------------------- crm_mon


def parse_crm_mon(xml_text: str) -> PacemakerState:
    """Parse crm_mon's XML status (``--output-as=xml`` or the old ``--as-xml``).

    Args:
        xml_text: the exact stdout of crm_mon.

    Returns:
        The cluster summary, nodes, resource tree, failures, fail counts and bans;
        locations, colocations and primitives are left empty (they come from the CIB).

    Raises:
        CrmMonError: crm_mon printed its error document (not connected, no CIB …).
        ParseError: the text is not crm_mon XML (garbage, truncated, another tool's).
    """
    root = _xml(xml_text, "crm_mon")
    if root.tag == "pacemaker-result":
        _check_status(root)
        dialect = f"pacemaker-result {root.get('api-version', '?')}"
    elif root.tag == "crm_mon":
        dialect = f"crm_mon {root.get('version', '?')}"
    else:
        raise ParseError(f"not crm_mon XML: the root element is <{root.tag}>")
    _check_sections(root, dialect)
    attributes = _node_attributes(root)
    cluster = _cluster_info(root.find("summary"), dialect)
    nodes = tuple(_node(el, attributes.get(el.get("name", ""), ()))
                  for el in root.iterfind("nodes/node"))
    if cluster.nodes_configured and not nodes:
        raise ParseError(f"{dialect}: {cluster.nodes_configured} nodes configured, "
                         "none listed (truncated?)")
    return PacemakerState(
        cluster=cluster,
        nodes=nodes,
        resources=tuple(_resource_tree(root.find("resources"))),
        failed_actions=tuple(_failure(el) for el in root.iterfind("failures/failure")),
        fail_counts=tuple(_fail_counts(root)),
        operations=tuple(_operations(root)),
        bans=tuple(_ban(el) for el in root.iterfind("bans/ban")),
    )


def _check_sections(root: ET.Element, dialect: str) -> None:
    """crm_mon always prints ``<summary>`` and ``<nodes>`` (``<nodes/>`` when there are
    none), and ``<resources>`` whenever a resource is configured: a document without
    them is cut short or not crm_mon's, and "0 of 0 nodes online" would be a lie."""
    missing = [tag for tag in ("summary", "nodes") if root.find(tag) is None]
    if missing:
        what = " and ".join(f"<{tag}>" for tag in missing)
        raise ParseError(f"{dialect}: no {what}: crm_mon printed no status")
    configured = root.find("summary/resources_configured")
    if (configured is not None and _count(configured.get("number")) > 0
            and root.find("resources") is None):
        raise ParseError(f"{dialect}: resources are configured but there is no <resources>")


def _check_status(root: ET.Element) -> None:
    """Raise crm_mon's own error: a non-zero code, or code 0 with errors and no status."""
    status = root.find("status")
    if status is None:
        return
    errors = tuple((el.text or "").strip() for el in status.iterfind("errors/error"))
    code = _opt_int(status.get("code"))
    if code not in (None, 0):
        raise CrmMonError(code, status.get("message", ""), errors)
    if errors and root.find("summary") is None:
        raise CrmMonError(code, status.get("message", ""), errors)


def _cluster_info(summary: ET.Element | None, dialect: str) -> ClusterInfo:
    if summary is None:
        return ClusterInfo(crm_mon_format=dialect)
    dc = summary.find("current_dc")
    dc_present = dc is not None and _bool(dc.get("present"))
    options = summary.find("cluster_options")
    opt = options.attrib if options is not None else {}
    change = summary.find("last_change")
    resources = summary.find("resources_configured")
    res = resources.attrib if resources is not None else {}
    return ClusterInfo(
        stack=_text(_attr(summary, "stack", "type")),
        pacemaker_version=_text(dc.get("version")) if dc is not None else None,
        dc=_text(dc.get("name")) if dc is not None and dc_present else None,
        have_quorum=_opt_bool(dc.get("with_quorum")) if dc is not None and dc_present else None,
        maintenance_mode=_bool(opt.get("maintenance-mode")),
        stonith_enabled=_opt_bool(_first(opt.get("fencing-enabled"),
                                         opt.get("stonith-enabled"))),
        no_quorum_policy=_text(opt.get("no-quorum-policy")),
        last_update=_text(_attr(summary, "last_update", "time")),
        last_change=_text(change.get("time")) if change is not None else None,
        last_change_by=_changed_by(change),
        nodes_configured=_count(_attr(summary, "nodes_configured", "number")),
        resources_configured=_count(res.get("number")),
        resources_disabled=_count(res.get("disabled")),
        resources_blocked=_count(res.get("blocked")),
        crm_mon_format=dialect,
    )


def _attr(parent: ET.Element, tag: str, name: str) -> str | None:
    child = parent.find(tag)
    return child.get(name) if child is not None else None


def _changed_by(change: ET.Element | None) -> str | None:
    """``root via crm_resource on sun``, as crm_mon's text says it."""
    if change is None:
        return None
    parts = []
    if change.get("user"):
        parts.append(change.get("user", ""))
    if change.get("client"):
        parts.append(f"via {change.get('client')}")
    if change.get("origin"):
        parts.append(f"on {change.get('origin')}")
    return " ".join(parts) or None


def _node_attributes(root: ET.Element) -> dict[str, tuple[NodeAttribute, ...]]:
    found: dict[str, tuple[NodeAttribute, ...]] = {}
    for node in root.iterfind("node_attributes/node"):
        found[node.get("name", "")] = tuple(
            NodeAttribute(el.get("name", ""), el.get("value", ""), _text(el.get("expected")))
            for el in node.iterfind("attribute")
        )
    return found


def _node(el: ET.Element, attributes: tuple[NodeAttribute, ...]) -> Node:
    return Node(
        name=el.get("name", ""),
        id=el.get("id", ""),
        online=_bool(el.get("online")),
        standby=_bool(el.get("standby")),
        standby_onfail=_bool(el.get("standby_onfail")),
        maintenance=_bool(el.get("maintenance")),
        pending=_bool(el.get("pending")),
        unclean=_bool(el.get("unclean")),
        shutdown=_bool(el.get("shutdown")),
        # Absent (an old or odd crm_mon): taken as expected up, so that a crash is never
        # read as a clean shutdown.
        expected_up=_bool(el.get("expected_up"), True),
        is_dc=_bool(el.get("is_dc")),
        resources_running=_count(el.get("resources_running")),
        type=el.get("type") or "member",
        health=_text(el.get("health")),
        attributes=attributes,
    )


_MAX_DEPTH = 8
"""Resources nest at most four deep (a clone of a group, a bundle's replica); a document
nested deeper is no CIB's, and would exhaust Python's recursion on the way down."""


def _too_deep(depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ParseError(f"resources nested more than {_MAX_DEPTH} deep")


def _resource_tree(parent: ET.Element | None, depth: int = 0) -> Iterator[Resource]:
    if parent is None:
        return
    _too_deep(depth)
    for el in parent:
        rsc = _resource(el, depth)
        if rsc is not None:
            yield rsc


def _resource(el: ET.Element, depth: int) -> Resource | None:
    if el.tag == "resource":
        return _primitive(el)
    if el.tag == "group":
        children = tuple(_resource_tree(el, depth + 1))
        return Resource(
            id=el.get("id", ""),
            kind=ResourceKind.GROUP,
            managed=_bool(el.get("managed"), True),
            disabled=_bool(el.get("disabled")),
            active=any(c.active for c in children),
            failed=any(c.failed for c in children),
            blocked=any(c.blocked for c in children),
            children=children,
        )
    if el.tag in ("clone", "master"):
        children = tuple(_resource_tree(el, depth + 1))
        return Resource(
            id=el.get("id", ""),
            kind=ResourceKind.CLONE,
            promotable=_bool(el.get("multi_state")) or el.tag == "master",
            unique=_bool(el.get("unique")),
            managed=_bool(el.get("managed"), True),
            disabled=_bool(el.get("disabled")),
            failed=_bool(el.get("failed")),
            failure_ignored=_bool(el.get("failure_ignored")),
            target_role=_role(el.get("target_role")),
            active=any(c.active for c in children),
            blocked=any(c.blocked for c in children),
            children=children,
        )
    if el.tag == "bundle":
        return _bundle(el, depth)
    return None


def _primitive(el: ET.Element) -> Resource:
    target_role = _role(el.get("target_role"))
    return Resource(
        id=el.get("id", ""),
        kind=ResourceKind.PRIMITIVE,
        agent=_agent_name(el.get("resource_agent")),
        role=_role(el.get("role")),
        target_role=target_role,
        active=_bool(el.get("active")),
        orphaned=_bool(_first(el.get("removed"), el.get("orphaned"))),
        blocked=_bool(el.get("blocked")),
        managed=_bool(el.get("managed"), True),
        failed=_bool(el.get("failed")),
        failure_ignored=_bool(el.get("failure_ignored")),
        disabled=target_role == "Stopped",
        nodes=tuple(n.get("name", "") for n in el.iterfind("node")),
        pending=_text(el.get("pending")),
        locked_to=_text(el.get("locked_to")),
    )


def _agent_name(value: str | None) -> str | None:
    """Pacemaker 1.x printed ``ocf::heartbeat:IPaddr2``; the CIB and 2.x say one colon."""
    return value.replace("::", ":") if value else None


def _bundle(el: ET.Element, depth: int) -> Resource:
    bundle_id = el.get("id", "")
    replicas = []
    for replica in el.iterfind("replica"):
        children = tuple(_resource_tree(replica, depth + 2))
        replicas.append(Resource(
            id=f"{bundle_id}-{replica.get('id', '')}",
            kind=ResourceKind.REPLICA,
            active=any(c.active for c in children),
            failed=any(c.failed for c in children),
            children=children,
        ))
    return Resource(
        id=bundle_id,
        kind=ResourceKind.BUNDLE,
        unique=_bool(el.get("unique")),
        managed=_bool(el.get("managed"), True),
        failed=_bool(el.get("failed")),
        active=any(r.active for r in replicas),
        children=tuple(replicas),
    )


def split_op_key(op_key: str, task: str | None = None) -> tuple[str, str, int]:
    """Split an operation key into resource, task and interval (ms).

    ``vm1_monitor_30000`` → (``vm1``, ``monitor``, 30000); ``vm1_migrate_to_0`` →
    (``vm1``, ``migrate_to``, 0). Resource ids may themselves contain underscores, so
    the task, when known, is matched from the right. A key that does not split is
    returned whole as the resource.
    """
    if task:
        match = re.match(rf"^(?P<rsc>.+)_{re.escape(task)}_(?P<interval>[0-9]{{1,19}})$",
                         op_key)
        if match:
            return match["rsc"], task, int(match["interval"])
    for pattern in _OP_KEYS:
        match = re.match(pattern, op_key)
        if match:
            return match["rsc"], match["task"], int(match["interval"])
    return op_key, task or "", 0


def _failure(el: ET.Element) -> FailedAction:
    op_key = el.get("op_key") or el.get("id") or ""
    resource, task, interval = split_op_key(op_key, el.get("task"))
    return FailedAction(
        op_key=op_key,
        node=el.get("node", ""),
        resource=resource,
        task=el.get("task") or task,
        interval_ms=_count(el.get("interval"), interval),
        exit_status=el.get("exitstatus", ""),
        exit_code=_opt_int(el.get("exitcode")),
        exit_reason=el.get("exitreason", ""),
        status=el.get("status", ""),
        last_rc_change=el.get("last-rc-change", ""),
    )


def _fail_counts(root: ET.Element) -> Iterator[FailCount]:
    for node in root.iterfind("node_history/node"):
        for history in node.iterfind("resource_history"):
            count = _count(history.get("fail-count"))
            if count:
                yield FailCount(
                    resource=history.get("id", ""),
                    node=node.get("name", ""),
                    count=count,
                    migration_threshold=_opt_int(history.get("migration-threshold")),
                    last_failure=_text(history.get("last-failure")),
                )


def _operations(root: ET.Element) -> Iterator[Operation]:
    for node in root.iterfind("node_history/node"):
        for history in node.iterfind("resource_history"):
            for op in history.iterfind("operation_history"):
                yield Operation(
                    resource=history.get("id", ""),
                    node=node.get("name", ""),
                    task=op.get("task", ""),
                    call=_opt_int(op.get("call")),
                    rc=_opt_int(op.get("rc")),
                    rc_text=op.get("rc_text", ""),
                    interval_ms=_count(op.get("interval")),
                    last_rc_change=op.get("last-rc-change", ""),
                    exec_ms=_opt_int(op.get("exec-time")),
                )


def _ban(el: ET.Element) -> Ban:
    return Ban(
        id=el.get("id", ""),
        resource=el.get("resource", ""),
        node=el.get("node", ""),
        weight=_int(el.get("weight")),
        promoted_only=_bool(_first(el.get("promoted-only"), el.get("master_only"))),
    )


# ---------------------------------------------------------------------- CIB


def parse_cib_configuration(
    xml_text: str,
) -> tuple[tuple[LocationConstraint, ...], tuple[Colocation, ...], tuple[PrimitiveConfig, ...]]:
    """Parse ``cibadmin -Q -o configuration`` (a whole ``<cib>`` or ``<constraints>`` too).

    Args:
        xml_text: the exact stdout of cibadmin.

    Returns:
        Location constraints, colocations and primitives, in CIB order.

    Raises:
        ParseError: the text is not a CIB, its configuration or its constraints.
    """
    return _configuration_of(*_configuration(xml_text))


def _configuration_of(
    constraints: ET.Element | None, resources: ET.Element | None,
) -> tuple[tuple[LocationConstraint, ...], tuple[Colocation, ...], tuple[PrimitiveConfig, ...]]:
    locations: list[LocationConstraint] = []
    colocations: list[Colocation] = []
    if constraints is not None:
        locations = [_location(el) for el in constraints.iterfind("rsc_location")]
        colocations = [_colocation(el) for el in constraints.iterfind("rsc_colocation")]
    primitives = tuple(_primitive_configs(resources, None)) if resources is not None else ()
    return tuple(locations), tuple(colocations), primitives


def _configuration(xml_text: str) -> tuple[ET.Element | None, ET.Element | None]:
    """The ``<constraints>`` and ``<resources>`` of cibadmin's output: a whole ``<cib>``,
    its ``<configuration>``, or its ``<constraints>`` alone (no resources then).

    Raises:
        ParseError: the text is not a CIB, its configuration or its constraints.
    """
    root = _xml(xml_text, "cibadmin")
    if root.tag == "constraints":
        return root, None
    if root.tag == "cib":
        config = root.find("configuration")
        if config is None:
            raise ParseError("cibadmin: <cib> without a <configuration>")
        root = config
    if root.tag != "configuration":
        raise ParseError(f"not a CIB configuration: the root element is <{root.tag}>")
    return root.find("constraints"), root.find("resources")


def parse_cib_orders(xml_text: str) -> tuple[Order, ...]:
    """The order constraints of ``cibadmin -Q -o configuration`` (as
    :func:`parse_cib_configuration` takes it); constraints written with resource sets
    are left out (their members are not one first and one then).

    Raises:
        ParseError: the text is not a CIB, its configuration or its constraints.
    """
    constraints, _ = _configuration(xml_text)
    return _orders_of(constraints)


def _orders_of(constraints: ET.Element | None) -> tuple[Order, ...]:
    if constraints is None:
        return ()
    orders = []
    for el in constraints.iterfind("rsc_order"):
        first, then = el.get("first"), el.get("then")
        if not first or not then:
            continue
        kind = el.get("kind") or ("Optional" if el.get("score") == "0" else "Mandatory")
        first_action = el.get("first-action") or "start"
        orders.append(Order(id=el.get("id", ""), first=first, then=then, kind=kind,
                            first_action=first_action,
                            then_action=el.get("then-action") or first_action))
    return tuple(orders)


def _set_refs(el: ET.Element, index: int) -> str | None:
    """The resources of the ``index``-th resource_set, for constraints written with sets."""
    sets = el.findall("resource_set")
    if len(sets) <= index:
        return None
    return " ".join(ref.get("id", "") for ref in sets[index].iterfind("resource_ref")) or None


def _location(el: ET.Element) -> LocationConstraint:
    rules = list(el.iter("rule"))
    node = el.get("node")
    score = el.get("score") or el.get("score-attribute")
    role = _role(_first(el.get("rsc-role"), el.get("role")))
    lifetime = None
    attributes: dict[str, None] = {}
    for rule in rules:
        score = score or rule.get("score") or rule.get("score-attribute")
        role = role or _role(_first(rule.get("rsc-role"), rule.get("role")))
        for expr in rule.iterfind("expression"):
            if (node is None and expr.get("attribute") == "#uname"
                    and expr.get("operation") == "eq"):
                node = expr.get("value")
            name = expr.get("attribute")
            if name and name != "#uname":
                attributes[name] = None
        for date in rule.iterfind("date_expression"):
            if date.get("operation") == "lt" and date.get("end"):
                lifetime = date.get("end")
    resource = el.get("rsc") or el.get("rsc-pattern") or _set_refs(el, 0) or ""
    return LocationConstraint(
        id=el.get("id", ""),
        resource=resource,
        node=node,
        score=score or "0",
        role=role,
        has_rules=bool(rules),
        lifetime=lifetime,
        rule_attributes=tuple(attributes),
    )


def _colocation(el: ET.Element) -> Colocation:
    return Colocation(
        id=el.get("id", ""),
        resource=el.get("rsc") or _set_refs(el, 0) or "",
        with_resource=el.get("with-rsc") or _set_refs(el, 1) or "",
        score=el.get("score") or el.get("score-attribute") or "0",
        resource_role=_role(el.get("rsc-role")),
        with_role=_role(el.get("with-rsc-role")),
    )


def _primitive_configs(
    parent: ET.Element, parent_id: str | None, depth: int = 0
) -> Iterator[PrimitiveConfig]:
    _too_deep(depth)
    for el in parent:
        if el.tag == "primitive":
            yield PrimitiveConfig(
                id=el.get("id", ""),
                agent=_agent(el),
                params=nvpairs(el, "instance_attributes"),
                meta=nvpairs(el, "meta_attributes"),
                parent=parent_id,
            )
        elif el.tag in ("group", "clone", "master", "bundle"):
            yield from _primitive_configs(el, el.get("id"), depth + 1)


def _agent(el: ET.Element) -> str:
    """``class:provider:type``; stonith, systemd and lsb agents have no provider."""
    parts = [el.get("class"), el.get("provider"), el.get("type")]
    return ":".join(part for part in parts if part)


def nvpairs(el: ET.Element, tag: str) -> dict[str, str]:
    """The name → value pairs of ``el``'s ``tag`` sets (``instance_attributes``,
    ``meta_attributes``); the first of a name wins, as Pacemaker reads them."""
    values: dict[str, str] = {}
    for nvset in el.iterfind(tag):
        for nvpair in nvset.iterfind("nvpair"):
            name = nvpair.get("name")
            if name is not None and name not in values:
                values[name] = nvpair.get("value", "")
    return values


# ---------------------------------------------------------------------- reader


@never_raises(SOURCE)
def read(runner: Runner) -> Reading[PacemakerState]:
    """Read Pacemaker's state on the runner's node: crm_mon plus the CIB constraints.

    Never raises: a missing crm_mon, a timeout, no cluster, or output that does not
    parse become a reading without a value and with the reason. If only cibadmin fails,
    the reading keeps the crm_mon state and says that the constraints could not be read.

    Args:
        runner: where to run crm_mon and cibadmin.
    """
    clock = Clock(SOURCE, runner.node)
    # The configuration first: its size sets crm_mon's time (crm_mon_timeout).
    configuration = runner.fetch(CIB_CONFIGURATION)
    if configuration.error_kind == "timeout":
        # crm_mon asks the same CIB manager: it would hang as long again.
        return clock.failed(f"{configuration.reason()}; crm_mon not tried after it",
                            CIB_CONFIGURATION.describe())
    timeout = crm_mon_timeout(runner.timeout, configuration.stdout if configuration.ok
                              else "")
    result = runner.fetch(CRM_MON, timeout=timeout)
    detail = CRM_MON.describe()
    if _output_as_rejected(result):
        result = runner.fetch(CRM_MON_AS_XML, timeout=timeout)
        detail = CRM_MON_AS_XML.describe()
    error = _crm_mon_error(result)
    if error is not None:
        return clock.failed(error, detail)
    try:
        state = parse_output(_parse_status, result.stdout)
    except ParseError as exc:
        return clock.failed(_parse_failure(exc), detail)
    return _with_configuration(clock, configuration, state, detail)


CRM_MON_SECONDS_PER_PLACEMENT = 0.002
"""crm_mon's time per primitive and node, on top of ``[cluster] timeout``.

crm_mon runs the scheduler over the whole status to show it: its time grows with
primitives × nodes. The lab's 16-node CIB with 500 guests (1,004 primitives × 17 nodes)
costs crm_mon ~3.2 s of CPU: 3.5 s on a quiet 2-core machine, 10–30 s on a loaded one,
past the 10 s default, so Pacemaker read UNKNOWN on a cluster that was fine. 2 ms per
placement gives it 10 + 34 s there; the seed lab's 10 primitives × 3 nodes add 0.06 s. A
hung crm_mon is still found: later, in proportion to what it has to do.
"""


def crm_mon_timeout(base: float, configuration: str) -> float:
    """Seconds crm_mon may take: the configured timeout, plus the cluster's size.

    Args:
        base: ``[cluster] timeout`` (the runner's timeout).
        configuration: ``cibadmin -Q -o configuration``'s output ("" when unknown): its
            ``<primitive`` and ``<node`` elements are counted, not parsed.
    """
    extra = CRM_MON_SECONDS_PER_PLACEMENT * _placements(configuration)
    return min(base + extra, max(base, MAX_COMMAND_SECONDS))


def _count_placements(configuration: str) -> int:
    return configuration.count("<primitive ") * max(1, configuration.count("<node "))


# Counting a 16-node configuration (1.6 MB) costs 30 ms; it is the same text every poll.
_placements = LastParses(_count_placements, size=2)


MAX_COMMAND_SECONDS = 3600.0
"""No command is given longer than an hour, whatever the size says (as ``[cluster]
timeout``'s own bound)."""


_LAST_UPDATE = '<last_update time="'
"""Where crm_mon's ``<last_update time="…"`` starts (found with str.find, not a pattern)."""
_parsed_status = LastParses(parse_crm_mon, size=2)


def _parse_cib(xml_text: str) -> tuple[tuple[LocationConstraint, ...], tuple[Colocation, ...],
                                       tuple[PrimitiveConfig, ...], tuple[Order, ...]]:
    """:func:`parse_cib_configuration` and :func:`parse_cib_orders` from one parse of the
    XML (parsing it was half of their cost; issue 15)."""
    constraints, resources = _configuration(xml_text)
    return (*_configuration_of(constraints, resources), _orders_of(constraints))


_parsed_cib = LastParses(_parse_cib, size=2)


_last_status: tuple[str, str, PacemakerState] | None = None
"""The last status parsed: the text before and after its ``<last_update>`` time, and the
state."""


def _parse_status(text: str) -> PacemakerState:
    """:func:`parse_crm_mon`, remembered across polls: crm_mon's output of a cluster where
    nothing happened differs only in the time of ``<last_update>``, which is set apart."""
    global _last_status
    start = text.find(_LAST_UPDATE)
    end = -1 if start < 0 else text.find('"', start + len(_LAST_UPDATE))
    if end < 0:
        return _parsed_status(text)
    start += len(_LAST_UPDATE)
    last = _last_status
    # The text around the time as the last one's, compared in place: building the key
    # copies a 2.5 MB status twice (~2 ms a poll at 16 nodes / 500 guests).
    if (last is not None and start == len(last[0]) and len(text) - end == len(last[1])
            and text.startswith(last[0]) and text.endswith(last[1])):
        state = last[2]
    else:
        state = _parsed_status(text, key=text[:start] + text[end:])
        _last_status = (text[:start], text[end:], state)
    now = _text(text[start:end])
    if state.cluster.last_update == now:
        return state
    return replace(state, cluster=replace(state.cluster, last_update=now))


def _output_as_rejected(result: CommandResult) -> bool:
    """Pacemaker < 2.0.3 prints its usage and fails: it does not know ``--output-as``."""
    return (
        result.error is None
        and result.returncode not in (0, NOT_CONNECTED)
        and "<pacemaker-result" not in result.stdout
    )


def _crm_mon_error(result: CommandResult) -> str | None:
    """Why crm_mon gave no status, or None when its stdout should be parsed."""
    if result.error is not None:
        return result.error
    if result.returncode == 0:
        return None
    if result.returncode == NOT_CONNECTED:
        return _not_connected(_document_errors(result.stdout) or result.stderr.strip())
    try:
        parse_output(parse_crm_mon, result.stdout)
    except CrmMonError as exc:
        return _parse_failure(exc)
    except ParseError:
        pass
    return result.reason()


def _not_connected(detail: str) -> str:
    message = "crm_mon: not connected to the cluster (is Pacemaker running here?)"
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    return f"{message}: {lines[-1]}" if lines else message


def _document_errors(stdout: str) -> str:
    try:
        parse_output(parse_crm_mon, stdout)
    except CrmMonError as exc:
        return "\n".join(exc.errors[-1:]) or exc.message
    except ParseError:
        return ""
    return ""


def _parse_failure(exc: ParseError) -> str:
    if isinstance(exc, CrmMonError):
        if exc.code == NOT_CONNECTED:
            return _not_connected("\n".join(exc.errors[-1:]))
        return f"crm_mon: {'; '.join(exc.errors) or exc.message or 'error'}"
    return f"cannot parse crm_mon output: {exc}"


def _with_configuration(
    clock: Clock, result: CommandResult, state: PacemakerState, detail: str
) -> Reading[PacemakerState]:
    why: str | None = None
    if not result.ok:
        why = result.reason()
    else:
        try:
            locations, colocations, primitives, orders = parse_output(_parsed_cib,
                                                                      result.stdout)
        except ParseError as exc:
            why = str(exc)
        else:
            full = replace(state, locations=locations, colocations=colocations,
                           primitives=primitives, orders=orders)
            return clock.done(full, detail)
    # crm_mon alone still shows the cluster; only constraints and parameters are missing.
    return Reading(state, clock.status(
        error=f"constraints could not be read (cibadmin): {why}", detail=detail))
