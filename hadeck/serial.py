"""The state model as JSON-ready data.

The model is frozen records of plain values (:mod:`hadeck.record`: dataclasses to
``dataclasses.fields``), so one generic function serves every class: :func:`to_data` turns
one into dicts and lists; enums become their names.
Properties are not stored. ``hadeck status --json`` adds computed fields on top of this
(see :mod:`hadeck.report`). Nothing reads the data back into the model: a state is
replayed from a snapshot bundle of the tools' raw outputs, through the very parsers that
read a live cluster, never from JSON.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


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
