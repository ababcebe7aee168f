"""``hadeck status --json``: the state and its judgement as a versioned document.

The document passes the secrets policy (:mod:`hadeck.redact`) before it is returned.
It is schema version :data:`SCHEMA` and is described in docs/status-json.md;
docs/status-json.schema.json is the machine-readable form, generated from the model by
:func:`json_schema` (a test keeps the two in step, so any change to the model shows up as
a change to the schema, which then needs a new version number).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, Union, get_args, get_origin, get_type_hints

from hadeck import __version__
from hadeck.health import AREAS, KINDS, Judgement, Problem, Verdict
from hadeck.model import ClusterState, load_all
from hadeck.redact import redact_state, scrub_data, secret_values
from hadeck.serial import to_data

SCHEMA = 1

AREA_FIELDS: dict[str, tuple[str, ...]] = {
    "sources": ("sources",),
    "cluster": ("pacemaker",),
    "nodes": ("pacemaker",),
    "resources": ("pacemaker",),
    "drbd": ("drbd",),
    "guests": ("guests",),
    "lvs": ("lvs", "snmp"),
    "connectivity": ("corosync", "pacemaker", "pings"),
    "host": ("hosts", "snmp"),
    "storage": ("lvm",),
    "backups": ("backups",),
}
"""Which parts of the state each area filter keeps."""


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def verdict_data(v: Verdict) -> dict[str, Any]:
    """A verdict as the document gives it; ``key`` is the subject as fields."""
    key = v.key
    return {"health": v.health.name, "area": v.area, "subject": v.subject,
            "reason": v.reason, "node": v.node,
            "since": _iso(v.since) if v.since is not None else None,
            "key": {"kind": key.kind, "name": key.name, "node": key.node,
                    "peer": key.peer, "volume": key.volume}}


def problem_data(p: Problem) -> dict[str, Any]:
    """A root cause (or a lone problem) with the verdicts it explains."""
    return {"health": p.health.name, "kind": p.kind, "area": p.area, "subject": p.subject,
            "reason": p.reason, "node": p.node,
            "since": _iso(p.since) if p.since is not None else None,
            "advice": p.advice,
            "causes": [verdict_data(v) for v in p.causes],
            "effects": [verdict_data(v) for v in p.effects]}


def status_document(
    state: ClusterState, judgement: Judgement, areas: typing.Sequence[str] | None = None
) -> dict[str, Any]:
    """The ``--json`` document; with ``areas``, only those areas and their state parts.

    Scripts and monitoring systems store it, so it passes the secrets policy
    (:mod:`hadeck.redact`): secret parameters and node attributes are masked, and their
    values scrubbed from every text in it (an agent's exit reason may echo one).
    """
    secrets = secret_values(state)
    state = redact_state(state)
    chosen = tuple(areas) if areas else AREAS
    verdicts = [v for v in judgement.verdicts if v.area in chosen]
    problems = [v for v in judgement.problems() if v.area in chosen]
    grouped = judgement.grouped(chosen)
    overall = Judgement(tuple(verdicts)).overall
    data = to_data(state)
    keep = {"taken_at", "local_node", "origin"}
    for area in chosen:
        keep.update(AREA_FIELDS[area])
    document: dict[str, Any] = scrub_data({
        "schema": SCHEMA,
        "hadeck": __version__,
        "taken_at": _iso(state.taken_at),
        "origin": state.origin,
        "local_node": state.local_node,
        "areas": list(chosen),
        "health": {
            "overall": overall.name,
            "exit_code": int(overall),
            "summary": _summary(grouped),
            "by_area": {a: Judgement(tuple(v for v in verdicts if v.area == a)).overall.name
                        for a in chosen},
        },
        "problems": [verdict_data(v) for v in problems],
        "grouped": [problem_data(p) for p in grouped],
        "verdicts": [verdict_data(v) for v in verdicts],
        "state": {k: v for k, v in data.items() if k in keep},
    }, secrets)
    return document


def _summary(grouped: typing.Sequence[Problem]) -> str:
    if not grouped:
        return "all OK"
    first = grouped[0]
    more = f" (+{len(grouped) - 1} more)" if len(grouped) > 1 else ""
    return f"{first.subject}: {first.reason}{more}"


# --------------------------------------------------------------------------- schema


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the document, generated from the model."""
    defs: dict[str, Any] = {}
    verdict = {
        "type": "object",
        # key came later within schema 1: not required, older documents lack it.
        "required": ["health", "area", "subject", "reason", "node"],
        "properties": {
            "health": {"enum": ["OK", "WARNING", "CRITICAL", "UNKNOWN"]},
            "area": {"enum": list(AREAS)},
            "subject": {"type": "string"},
            "reason": {"type": "string"},
            "node": {"type": ["string", "null"]},
            "since": {"type": ["string", "null"], "format": "date-time"},
            "key": {
                "type": "object",
                "required": ["kind", "name", "node", "peer", "volume"],
                "properties": {
                    "kind": {"enum": list(KINDS)},
                    "name": {"type": "string"},
                    "node": {"type": ["string", "null"]},
                    "peer": {"type": ["string", "null"]},
                    "volume": {"type": ["integer", "null"]},
                },
            },
        },
    }
    defs["Verdict"] = verdict
    defs["Problem"] = {
        "type": "object",
        "required": ["health", "kind", "area", "subject", "reason", "node", "since",
                     "advice", "causes", "effects"],
        "properties": {
            "health": {"enum": ["OK", "WARNING", "CRITICAL", "UNKNOWN"]},
            "kind": {"enum": ["blocked", "failed", "node-down", "ping-lost", "no-quorum",
                              "resource", "drbd", "service", "single"]},
            "area": {"enum": list(AREAS)},
            "subject": {"type": "string"},
            "reason": {"type": "string"},
            "node": {"type": ["string", "null"]},
            "since": {"type": ["string", "null"], "format": "date-time"},
            "advice": {"type": "string"},
            "causes": {"type": "array", "items": {"$ref": "#/$defs/Verdict"}},
            "effects": {"type": "array", "items": {"$ref": "#/$defs/Verdict"}},
        },
    }
    load_all()  # get_type_hints(ClusterState) needs every area's classes (hadeck.model)
    state_ref = _schema_for(ClusterState, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"hadeck status --json, schema {SCHEMA}",
        "type": "object",
        "required": ["schema", "hadeck", "taken_at", "origin", "local_node", "areas",
                     "health", "problems", "verdicts", "state"],
        "properties": {
            "schema": {"const": SCHEMA},
            "hadeck": {"type": "string"},
            "taken_at": {"type": "string", "format": "date-time"},
            "origin": {"type": "string"},
            "local_node": {"type": "string"},
            "areas": {"type": "array", "items": {"enum": list(AREAS)}},
            "health": {
                "type": "object",
                "properties": {
                    "overall": {"enum": ["OK", "WARNING", "CRITICAL", "UNKNOWN"]},
                    "exit_code": {"enum": [0, 1, 2, 3]},
                    "summary": {"type": "string"},
                    "by_area": {"type": "object"},
                },
            },
            "problems": {"type": "array", "items": {"$ref": "#/$defs/Verdict"}},
            "grouped": {"type": "array", "items": {"$ref": "#/$defs/Problem"}},
            "verdicts": {"type": "array", "items": {"$ref": "#/$defs/Verdict"}},
            "state": state_ref,
        },
        "$defs": dict(sorted(defs.items())),
    }


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [_schema_for(a, defs) for a in get_args(tp)]
        return {"anyOf": options}
    if tp is type(None):
        return {"type": "null"}
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0], defs)}
        return {"type": "array", "prefixItems": [_schema_for(a, defs) for a in args]}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_for(get_args(tp)[1], defs)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion (Resource.children)
            hints = get_type_hints(tp)
            defs[name] = {
                "type": "object",
                "properties": {f.name: _schema_for(hints[f.name], defs)
                               for f in dataclasses.fields(tp)},
                "required": [f.name for f in dataclasses.fields(tp)],
            }
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}
