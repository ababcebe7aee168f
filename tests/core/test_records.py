"""The records' written-out methods (hadeck.record) are what ``@dataclass`` would make.

The model and the classes on a check plugin's path are written out once from their fields
(``scripts/records.py``): no code generation when a plugin starts (issue 15). What must
hold is that the written-out methods stay in step with the fields, and that they behave as
the dataclass did for everything that uses them: equality, hashing, repr, frozenness,
``dataclasses.fields``/``replace``/``is_dataclass`` (the JSON document, the poller).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hadeck.health.verdict import Judgement, Kind, Subject, Verdict
from hadeck.model import DrbdConnection, DrbdResource, Health, PrimitiveConfig, SourceStatus
from hadeck.record import FrozenInstanceError, field, record, replace
from hadeck.runner import Command

ROOT = Path(__file__).resolve().parents[2]


def test_every_generated_block_is_in_step_with_its_fields() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "records.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_a_class_written_out_behaves_as_its_dataclass_twin() -> None:
    """The generator's output for a class with every kind of field, against the dataclass
    made from the same declaration."""
    source = '''
from __future__ import annotations
from hadeck.record import FACTORY, field, record

@record(frozen=True)
class Thing:
    name: str
    count: int = 3
    tags: tuple[str, ...] = field(default_factory=tuple)
    secret: str = field(default="", repr=False)
    note: str = field(default="", compare=False)
    derived: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "derived", self.count * 2)
'''
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import records  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    written: dict[str, object] = {}
    exec(compile(records.generate(source), "<written>", "exec"), written)
    twin: dict[str, object] = {}
    exec(compile(source.replace("from hadeck.record import FACTORY, field, record",
                                "from dataclasses import dataclass as record, field"),
                 "<twin>", "exec"), twin)
    A: Any = written["Thing"]
    B: Any = twin["Thing"]
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("a",), {}), (("a", 5), {"tags": ("k",), "secret": "s"}), (("a",), {"note": "n"})]
    for args, kwargs in cases:
        a, b = A(*args, **kwargs), B(*args, **kwargs)
        assert repr(a).replace("Thing", "X") == repr(b).replace("Thing", "X")
        assert hash(a) == hash(b)
        assert a.derived == b.derived
        assert a == A(*args, **kwargs)
        assert a != replace(a, count=a.count + 1)
        assert a == replace(a, note="other")  # not compared
        assert vars(a) == vars(b)
    assert A.__match_args__ == B.__match_args__
    assert [(f.name, f.init, f.repr, f.compare, f.default) for f in dataclasses.fields(A)] == [
        (f.name, f.init, f.repr, f.compare, f.default) for f in dataclasses.fields(B)]


def test_records_are_frozen_and_read_as_dataclasses() -> None:
    status = SourceStatus("drbd", "n1", 1.0, 0.5)
    with pytest.raises(FrozenInstanceError):
        status.source = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del status.node
    assert dataclasses.is_dataclass(status)
    assert "source" in [f.name for f in dataclasses.fields(SourceStatus)]
    assert dataclasses.replace(status, node="n2") == replace(status, node="n2")
    assert dataclasses.asdict(status)["node"] == "n1"
    primitive = PrimitiveConfig("p", "ocf:heartbeat:IPaddr2")
    assert primitive.params == {} and primitive.params is not PrimitiveConfig(
        "q", "ocf:heartbeat:IPaddr2").params
    assert [f.name for f in dataclasses.fields(Command)][:2] == ["name", "argv"]


def test_post_init_fields_and_explicit_dunders_are_kept() -> None:
    subject = Subject(Kind.DRBD, "r0", "n1", peer="n2")
    assert subject.text == "r0@n1 → n2"
    assert hash(subject) == hash(Subject(Kind.DRBD, "r0", "n1", peer="n2"))
    verdict = Verdict(Health.WARNING, "drbd", subject, "why")
    judgement = Judgement((verdict,))
    assert judgement.overall == Health.WARNING
    assert judgement.of("drbd", subject) == Health.WARNING  # cached_property still works
    res = DrbdResource("r0", connections=(DrbdConnection("n2"),))
    assert res == replace(res) and res is not replace(res)


def test_record_without_frozen_is_mutable_and_unhashable() -> None:
    @record()
    class Box:
        items: list[int] = field(default_factory=list)

        __match_args__ = ("items",)

        def __init__(self, items: list[int] | None = None) -> None:
            self.items = items or []

    box = Box()
    box.items = [1]
    assert box.items == [1]
