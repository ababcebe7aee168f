"""The CIB as placement sees it: resources, constraints, defaults and node attributes.

:func:`parse_cib` reads what ``cibadmin -Q`` prints (the whole ``<cib>``; a bare
``<configuration>`` works too, without node attributes and fail counts) into a frozen
:class:`Cib`:

* the resource tree (primitives, groups, clones, bundles) with each one's meta
  attributes, so that a resource's group or clone — whose constraints apply to it too —
  is known;
* every location (with its rules), colocation and order constraint, including those
  written with resource sets;
* ``rsc_defaults`` (stickiness, migration-threshold) and the cluster options
  (``symmetric-cluster``);
* node attributes: the permanent ones of ``<nodes>`` and the transient ones of the status
  section (``pingd``, ``master-…``), which location rules test;
* fail counts: the ``fail-count-<rsc>#<op>_<interval>`` transient attributes, summed per
  resource and node as Pacemaker counts them.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from hadeck.model import Colocation
from hadeck.placement.rules import Expression, Rule
from hadeck.placement.scores import INFINITY, score_value
from hadeck.sources.base import ParseError
from hadeck.sources.pacemaker import nvpairs as _nvpairs

_MAX_DEPTH = 64
"""Resources and rules nest a few levels; deeper is no CIB's (and would exhaust
Python's recursion)."""
_ROLES = {"master": "Promoted", "slave": "Unpromoted"}


def _role(value: str | None) -> str | None:
    if not value:
        return None
    return _ROLES.get(value.lower(), value)


@dataclass(frozen=True)
class ResourceDef:
    """A configured resource: its kind, where it sits in the tree, and its meta."""

    id: str
    kind: str
    """``primitive``, ``group``, ``clone`` or ``bundle`` (``master`` is read as a
    promotable clone)."""
    parent: str | None = None
    children: tuple[str, ...] = ()
    agent: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def promotable(self) -> bool:
        value = self.meta.get("promotable", "")
        return self.kind == "clone" and value.lower() in ("true", "yes", "on", "1", "y")


@dataclass(frozen=True)
class Location:
    """An ``rsc_location``: a fixed node and score, or rules."""

    id: str
    resources: tuple[str, ...]
    """The resource, or a resource set's members."""
    pattern: str | None = None
    """``rsc-pattern``: a regular expression over resource ids."""
    node: str | None = None
    score: str | None = None
    role: str | None = None
    rules: tuple[Rule, ...] = ()

    @property
    def from_cli(self) -> bool:
        """Left by ``crm_resource --move`` / ``--ban`` (and pcs / crmsh moves)."""
        return self.id.startswith(("cli-prefer-", "cli-ban-"))

    def lifetime(self) -> str | None:
        for rule in self.rules:
            end = rule.lifetime()
            if end:
                return end
        return None


@dataclass(frozen=True)
class Order:
    id: str
    first: str
    then: str
    first_action: str = "start"
    then_action: str = "start"
    kind: str = "Mandatory"
    symmetrical: bool = True


@dataclass(frozen=True)
class Cib:
    """What placement needs of one CIB."""

    resources: tuple[ResourceDef, ...] = ()
    locations: tuple[Location, ...] = ()
    colocations: tuple[Colocation, ...] = ()
    orders: tuple[Order, ...] = ()
    rsc_defaults: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    nodes: tuple[str, ...] = ()
    node_attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per node name: permanent attributes, then the transient ones over them, with
    ``#uname`` (and ``#id``) as the scheduler sees them."""
    fail_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    """(resource, node) → fail count (INFINITY is 1000000), clone instances under their
    primitive's id."""

    def resource(self, rid: str) -> ResourceDef | None:
        for rsc in self.resources:
            if rsc.id == rid:
                return rsc
        return None

    def ancestors(self, rid: str) -> tuple[str, ...]:
        """The group and clone (outermost last) that contain a resource."""
        found: list[str] = []
        rsc = self.resource(rid)
        while rsc is not None and rsc.parent is not None and len(found) < _MAX_DEPTH:
            found.append(rsc.parent)
            rsc = self.resource(rsc.parent)
        return tuple(found)

    def descendants(self, rid: str) -> tuple[str, ...]:
        """Every resource inside this one, depth first."""
        out: list[str] = []
        top = self.resource(rid)
        stack = list(reversed(top.children)) if top is not None else []
        while stack and len(out) < 100_000:
            child = stack.pop()
            out.append(child)
            rsc = self.resource(child)
            if rsc is not None:
                stack.extend(reversed(rsc.children))
        return tuple(out)

    def meta(self, rid: str, name: str) -> tuple[str, str] | None:
        """A meta attribute as Pacemaker inherits it: the resource's own, its group's or
        clone's, then ``rsc_defaults``. Returns (value, where it was set) or None."""
        for owner in (rid, *self.ancestors(rid)):
            rsc = self.resource(owner)
            if rsc is not None and name in rsc.meta:
                return rsc.meta[name], owner
        if name in self.rsc_defaults:
            return self.rsc_defaults[name], "rsc_defaults"
        return None

    @property
    def symmetric(self) -> bool:
        return self.options.get("symmetric-cluster", "true").lower() not in (
            "false", "no", "off", "0", "n")


def parse_cib(xml_text: str) -> Cib:
    """Parse ``cibadmin -Q`` (or ``-Q -o configuration``).

    Args:
        xml_text: the exact stdout.

    Returns:
        The resources, constraints, defaults, node attributes and fail counts.

    Raises:
        ParseError: not a CIB (or its configuration), or nested beyond any real one.
    """
    if not xml_text.strip():
        raise ParseError("cibadmin: empty output")
    try:
        root = ET.fromstring(xml_text.strip())
    except ET.ParseError as exc:
        raise ParseError(f"cibadmin: not well-formed XML ({exc})") from None
    except ValueError:
        raise ParseError("cibadmin: not well-formed XML (not encodable text)") from None
    if root.tag == "cib":
        config = root.find("configuration")
        if config is None:
            raise ParseError("cibadmin: <cib> without a <configuration>")
    elif root.tag == "configuration":
        config = root
    else:
        raise ParseError(f"not a CIB: the root element is <{root.tag}>")
    resources_el = config.find("resources")
    resources = tuple(_resources(resources_el, None)) if resources_el is not None else ()
    constraints = config.find("constraints")
    locations: list[Location] = []
    colocations: list[Colocation] = []
    orders: list[Order] = []
    if constraints is not None:
        for el in constraints:
            if el.tag == "rsc_location":
                locations.append(_location(el))
            elif el.tag == "rsc_colocation":
                colocations.extend(_colocations(el))
            elif el.tag == "rsc_order":
                orders.extend(_orders(el))
    node_names: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    for node in config.iterfind("nodes/node"):
        name = node.get("uname") or node.get("id") or ""
        node_names[node.get("id", name)] = name
        attributes[name] = {"#uname": name, "#id": node.get("id", ""),
                            **_nvpairs(node, "instance_attributes")}
    fail_counts: dict[tuple[str, str], int] = {}
    status = root.find("status") if root.tag == "cib" else None
    if status is not None:
        for state in status.iterfind("node_state"):
            name = state.get("uname") or node_names.get(state.get("id", ""), "")
            if not name:
                continue
            attrs = attributes.setdefault(name, {"#uname": name, "#id": state.get("id", "")})
            for transient in state.iterfind("transient_attributes"):
                attrs.update(_nvpairs(transient, "instance_attributes"))
            for key, count in _fail_counts(attrs):
                fail_counts[(key, name)] = min(INFINITY, fail_counts.get((key, name), 0) + count)
    return Cib(
        resources=resources,
        locations=tuple(locations),
        colocations=tuple(colocations),
        orders=tuple(orders),
        rsc_defaults=_nvpairs_all(config.find("rsc_defaults")),
        options=_nvpairs_all(config.find("crm_config")),
        nodes=tuple(attributes),
        node_attributes=attributes,
        fail_counts=fail_counts,
    )


def _fail_counts(attrs: dict[str, str]) -> Iterator[tuple[str, int]]:
    for name, value in attrs.items():
        if not name.startswith("fail-count-"):
            continue
        rsc = name[len("fail-count-"):].split("#", 1)[0]
        try:
            count = score_value(value)
        except ParseError:
            continue
        if count > 0:
            yield rsc.rsplit(":", 1)[0] if rsc.rsplit(":", 1)[-1].isdigit() else rsc, count


def _nvpairs_all(el: ET.Element | None) -> dict[str, str]:
    """Every nvpair under ``el``, whatever set it is in (first one wins)."""
    values: dict[str, str] = {}
    if el is None:
        return values
    for nvpair in el.iter("nvpair"):
        name = nvpair.get("name")
        if name is not None and name not in values:
            values[name] = nvpair.get("value", "")
    return values


def _resources(parent: ET.Element, parent_id: str | None,
               depth: int = 0) -> Iterator[ResourceDef]:
    if depth > _MAX_DEPTH:
        raise ParseError(f"resources nested more than {_MAX_DEPTH} deep")
    for el in parent:
        if el.tag not in ("primitive", "group", "clone", "master", "bundle"):
            continue
        rid = el.get("id", "")
        meta = _nvpairs(el, "meta_attributes")
        if el.tag == "master":
            meta.setdefault("promotable", "true")
        kids = [c for c in el if c.tag in ("primitive", "group", "clone", "master")]
        agent = ":".join(p for p in (el.get("class"), el.get("provider"), el.get("type")) if p)
        yield ResourceDef(
            id=rid,
            kind="clone" if el.tag == "master" else el.tag,
            parent=parent_id,
            children=tuple(c.get("id", "") for c in kids),
            agent=agent,
            meta=meta,
        )
        yield from _resources(el, rid, depth + 1)


def _set_members(el: ET.Element) -> list[tuple[str, ...]]:
    return [tuple(ref.get("id", "") for ref in rset.iterfind("resource_ref"))
            for rset in el.iterfind("resource_set")]


def _location(el: ET.Element) -> Location:
    sets = _set_members(el)
    rsc = el.get("rsc")
    resources = (rsc,) if rsc else tuple(r for s in sets for r in s)
    return Location(
        id=el.get("id", ""),
        resources=resources,
        pattern=el.get("rsc-pattern"),
        node=el.get("node"),
        score=el.get("score") or el.get("score-attribute"),
        role=_role(el.get("rsc-role") or el.get("role")),
        rules=tuple(_rule(r) for r in el.iterfind("rule")),
    )


def _rule(el: ET.Element, depth: int = 0) -> Rule:
    if depth > _MAX_DEPTH:
        raise ParseError(f"rules nested more than {_MAX_DEPTH} deep")
    expressions: list[Expression] = []
    for child in el:
        if child.tag == "expression":
            source = child.get("value-source", "literal")
            expressions.append(Expression(
                kind="attribute",
                attribute=child.get("attribute", ""),
                operation=child.get("operation", ""),
                value=child.get("value"),
                type=child.get("type", "string"),
                unsupported=source != "literal",
            ))
        elif child.tag == "date_expression":
            expressions.append(Expression(
                kind="date", operation=child.get("operation", ""),
                start=child.get("start"), end=child.get("end"),
                unsupported=child.get("operation") not in ("lt", "gt", "in_range")
                or child.find("duration") is not None,
            ))
        elif child.tag == "rule":
            expressions.append(Expression(kind="rule", rule=_rule(child, depth + 1)))
        else:
            expressions.append(Expression(kind=child.tag, unsupported=True))
    return Rule(
        id=el.get("id", ""),
        score=el.get("score"),
        score_attribute=el.get("score-attribute"),
        boolean_op=(el.get("boolean-op") or "and").lower(),
        role=_role(el.get("role")),
        expressions=tuple(expressions),
    )


def _colocations(el: ET.Element) -> Iterator[Colocation]:
    cid = el.get("id", "")
    score = el.get("score") or el.get("score-attribute") or "0"
    if el.get("rsc"):
        yield Colocation(cid, el.get("rsc", ""), el.get("with-rsc", ""), score,
                         _role(el.get("rsc-role")), _role(el.get("with-rsc-role")))
        return
    # With sets, each member of a later set is placed with the members of the earlier
    # ones: name each pair (rare on these clusters, and enough to say "with what").
    sets = _set_members(el)
    for i, later in enumerate(sets[1:], start=1):
        for rsc in later:
            for with_rsc in sets[i - 1]:
                yield Colocation(cid, rsc, with_rsc, score)
    for members in sets:
        for a, b in zip(members[1:], members[:-1], strict=False):
            yield Colocation(cid, a, b, score)


def _orders(el: ET.Element) -> Iterator[Order]:
    oid = el.get("id", "")
    kind = el.get("kind") or ("Optional" if el.get("score") == "0" else "Mandatory")
    symmetrical = (el.get("symmetrical") or "true").lower() not in ("false", "no", "0")
    if el.get("first"):
        yield Order(oid, el.get("first", ""), el.get("then", ""),
                    el.get("first-action") or "start", el.get("then-action") or
                    el.get("first-action") or "start", kind, symmetrical)
        return
    sets = _set_members(el)
    flat = [r for s in sets for r in s]
    for a, b in itertools.pairwise(flat):
        yield Order(oid, a, b, kind=kind, symmetrical=symmetrical)
