"""JSON round-trip of the state model.

The model is frozen dataclasses of plain values, so one generic pair of functions serves
every class: :func:`to_data` turns a dataclass into JSON-ready dicts and lists, and
:func:`from_data` rebuilds it from the type hints. Properties are not stored; they are
derived again on the way back. ``hadeck status --json`` adds computed fields on top of
this (see :mod:`hadeck.report`); a snapshot of the model itself round-trips exactly.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """A dataclass (or tuple, dict, enum, plain value) as JSON-ready Python data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild an instance of ``cls`` from :func:`to_data` output.

    Raises:
        ValueError: when the data does not fit the class (a wrong type or a missing
            required field), with the path to the offending field.
    """
    return typing.cast(T, _convert(cls, data, cls.__name__))


def _convert(tp: Any, data: Any, path: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _convert(args[0], data, path)
    if origin is tuple:
        items = get_args(tp)
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list")
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_convert(items[0], v, f"{path}[{i}]") for i, v in enumerate(data))
        if len(items) != len(data):
            raise ValueError(f"{path}: expected {len(items)} items")
        return tuple(_convert(a, v, f"{path}[{i}]")
                     for i, (a, v) in enumerate(zip(items, data, strict=True)))
    if origin is dict:
        _key, val = get_args(tp)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object")
        return {k: _convert(val, v, f"{path}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif (f.default is dataclasses.MISSING
                  and f.default_factory is dataclasses.MISSING):
                raise ValueError(f"{path}: missing field {f.name!r}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp[data]
        except KeyError:
            raise ValueError(f"{path}: unknown {tp.__name__} {data!r}") from None
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, float, bool) and not isinstance(data, tp):
        raise ValueError(f"{path}: expected {tp.__name__}, got {type(data).__name__}")
    return data
