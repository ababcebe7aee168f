"""The model's representation, measured: frozen dataclasses against the alternatives.

For each way of writing the model's classes (37 classes of 8 fields, the size of
hadeck.model): the cost of defining them (what a process pays at import, in a fresh
interpreter, compiled bytecode), of constructing an object, of ``replace`` (a copy with
one field changed, as the parsers and the poller do), and of the JSON of a whole state
(2,000 objects in nested tuples). "define" includes importing the representation's own
module (dataclasses with inspect, typing, msgspec): a plugin pays that too. The decision
and these figures are in docs/design.md ("The model's representation").

    python bench/model.py [-n 9]

msgspec is measured when it is importable (it is not a dependency of hadeck).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CLASSES = 37
FIELDS = 8


def source(kind: str) -> str:
    """A module defining CLASSES classes of FIELDS fields in the given style."""
    head = {
        "dataclass": "from dataclasses import dataclass\n",
        "slots": "",
        "namedtuple": "from typing import NamedTuple\n",
        "msgspec": "import msgspec\n",
    }[kind]
    out = ["from __future__ import annotations\n", head]
    names = [f"f{i}" for i in range(FIELDS)]
    for c in range(CLASSES):
        if kind == "dataclass":
            out.append(f"@dataclass(frozen=True)\nclass C{c}:\n")
            out += [f"    {n}: int = 0\n" for n in names]
        elif kind == "namedtuple":
            out.append(f"class C{c}(NamedTuple):\n")
            out += [f"    {n}: int = 0\n" for n in names]
        elif kind == "msgspec":
            out.append(f"class C{c}(msgspec.Struct, frozen=True):\n")
            out += [f"    {n}: int = 0\n" for n in names]
        else:  # __slots__ written out: what dataclass(frozen=True) generates, by hand
            args = ", ".join(f"{n}: int = 0" for n in names)
            mine = ", ".join(f"self.{n}" for n in names)
            theirs = ", ".join(f"other.{n}" for n in names)
            out += [
                f"class C{c}:\n",
                f"    __slots__ = {tuple(names)!r}\n\n",
                f"    def __init__(self, {args}) -> None:\n",
                *(f"        object.__setattr__(self, {n!r}, {n})\n" for n in names),
                "\n    def __repr__(self) -> str:\n",
                f"        return f'C{c}{{({mine})!r}}'\n",
                "\n    def __eq__(self, other: object) -> bool:\n",
                "        if other.__class__ is not self.__class__:\n",
                "            return NotImplemented\n",
                f"        return ({mine},) == ({theirs},)\n",
                "\n    def __hash__(self) -> int:\n",
                f"        return hash(({mine},))\n",
                "\n    def __setattr__(self, name: str, value: object) -> None:\n",
                "        raise AttributeError(name)\n",
                "\n    def __delattr__(self, name: str) -> None:\n",
                "        raise AttributeError(name)\n",
            ]
        out.append("\n")
    return "".join(out)


DEFINE = """
import sys, time
sys.path.insert(0, {path!r})
t = time.perf_counter()
import {module}
print(time.perf_counter() - t)
"""

USE = """
import sys, timeit, json, dataclasses
sys.path.insert(0, {path!r})
import {module} as m
kind = {kind!r}
C = m.C0
obj = C(1, 2, 3, 4, 5, 6, 7, 8)
if kind == "dataclass":
    replace = lambda o: dataclasses.replace(o, f3=9)
    def data(o):
        if isinstance(o, tuple):
            return [data(v) for v in o]
        if dataclasses.is_dataclass(o):
            return {{f.name: data(getattr(o, f.name)) for f in dataclasses.fields(o)}}
        return o
    dump = lambda s: json.dumps(data(s))
elif kind == "namedtuple":
    replace = lambda o: o._replace(f3=9)
    def data(o):
        if hasattr(o, "_asdict"):
            return {{k: data(v) for k, v in zip(o._fields, o)}}
        if isinstance(o, tuple):
            return [data(v) for v in o]
        return o
    dump = lambda s: json.dumps(data(s))
elif kind == "msgspec":
    import msgspec
    replace = lambda o: msgspec.structs.replace(o, f3=9)
    dump = msgspec.json.encode
else:
    def replace(o):
        values = {{n: getattr(o, n) for n in o.__slots__}}
        values["f3"] = 9
        return C(**values)
    def data(o):
        if isinstance(o, tuple):
            return [data(v) for v in o]
        if hasattr(o, "__slots__"):
            return {{n: data(getattr(o, n)) for n in o.__slots__}}
        return o
    dump = lambda s: json.dumps(data(s))
# a whole state: 200 parents, each with 9 children (2,000 objects)
state = tuple(m.C1(i, 2, 3, 4, 5, 6, 7, tuple(C(j) for j in range(9))) for i in range(200))
n = 20000
build = min(timeit.repeat(lambda: C(1, 2, 3, 4, 5, 6, 7, 8), number=n, repeat=5)) / n
rep = min(timeit.repeat(lambda: replace(obj), number=n, repeat=5)) / n
js = min(timeit.repeat(lambda: dump(state), number=5, repeat=5)) / 5
print(build, rep, js)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=9, help="fresh processes")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    kinds = ["dataclass", "slots", "namedtuple"]
    if subprocess.run([sys.executable, "-c", "import msgspec"], capture_output=True,
                      env=env).returncode == 0:
        kinds.append("msgspec")
    with tempfile.TemporaryDirectory(prefix="hadeck-model-") as tmp:
        print(f"{CLASSES} classes of {FIELDS} fields; median of {args.runs} fresh "
              "processes (define) and best of 5 (the rest)")
        print(f"{'representation':12} {'define ms':>10} {'build us':>9} {'replace us':>11}"
              f" {'JSON 2k ms':>11}")
        for kind in kinds:
            module = f"m_{kind}"
            (Path(tmp) / f"{module}.py").write_text(source(kind))
            subprocess.run([sys.executable, "-m", "compileall", "-q", tmp], env=env,
                           check=True, capture_output=True)
            define = statistics.median(
                float(subprocess.run([sys.executable, "-c",
                                      DEFINE.format(path=tmp, module=module)],
                                     capture_output=True, text=True, env=env,
                                     check=True).stdout)
                for _ in range(args.runs))
            use = subprocess.run([sys.executable, "-c",
                                  USE.format(path=tmp, module=module, kind=kind)],
                                 capture_output=True, text=True, env=env, check=True)
            build, rep, js = (float(x) for x in use.stdout.split())
            print(f"{kind:12} {define * 1000:10.1f} {build * 1e6:9.2f} {rep * 1e6:11.2f}"
                  f" {js * 1000:11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
