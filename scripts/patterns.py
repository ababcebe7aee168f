"""Write hadeck/checks/patterns.py: the regular expressions a check plugin compiles, compiled.

A check plugin's run compiles ~50 regular expressions (its sources', and the standard
library's own at import: logging, textwrap, gettext, string, json …), ~0.3-0.8 M
instructions each in ``re``'s Python compiler: ~13 % of check_hadeck_cluster's whole run
(issue 15). The compiled program of a pattern depends only on the pattern, its flags and
the ``re`` compiler of the interpreter: this script compiles them once, here, and writes
each program out; a plugin started as its console script (``hadeck/checks/__init__.py``)
puts them into ``re``'s cache before its imports, when its interpreter is the one that
wrote them (``sys.version`` and ``_sre.MAGIC``: otherwise it compiles as usual).

Which patterns: every one a whole run of each plugin compiles on the benchmark's bundle
(``bench/checks.py``) and on the tests' seed bundle, found by running them. A pattern not
in the file is compiled when used, as always: the file makes a run faster, never different
(``tests/checks/test_patterns.py``: each program is the one ``re`` compiles).

    python scripts/patterns.py           rewrite hadeck/checks/patterns.py (checks/patterns.py)
    python scripts/patterns.py --check   exit 1 if it is not what it would write
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "checks" / "patterns.py"
WIDTH = 100

ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
"""The environment of the runs: as Nagios's (a few variables), the same on every machine."""

CAPTURE = """
import sys
import re._compiler as compiler
seen = []
real = compiler.compile
def capture(p, flags=0):
    if isinstance(p, (str, bytes)):
        seen.append((p, flags))
    return real(p, flags)
compiler.compile = capture
sys.argv = ["capture", *{args!r}]  # not check_hadeck_*: no patterns put in the cache
from hadeck.checks.{plugin} import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("PATTERNS", repr(seen), file=sys.stderr)
"""


def plugins() -> list[str]:
    return sorted(p.stem for p in (ROOT / "checks").glob("*.py")
                  if p.stem not in ("__init__", "common", "patterns"))


def bundles(tmp: Path) -> list[Path]:
    import importlib.util

    sys.path.insert(0, str(ROOT))
    from tests import bundles as test_bundles

    spec = importlib.util.spec_from_file_location("bench_checks", ROOT / "bench" / "checks.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    (tmp / "bench").mkdir()

    return [bench.build_bundle(tmp / "bench"),
            test_bundles.seed_cluster(tmp / "seed", storage=True)]


def used_patterns() -> list[tuple[str | bytes, int]]:
    """Every (pattern, flags) a plugin's whole run compiles, in first-use order."""
    found: dict[tuple[type, str | bytes, int], None] = {}
    with tempfile.TemporaryDirectory(prefix="hadeck-patterns-") as tmp:
        for bundle in bundles(Path(tmp)):
            for plugin in plugins():
                code = CAPTURE.format(plugin=plugin, args=["--from", str(bundle)])
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, cwd=tmp, timeout=120, env=ENV | {"HOME": tmp})
                line = [x for x in proc.stderr.splitlines() if x.startswith("PATTERNS ")]
                if not line:
                    sys.exit(f"{plugin}: no patterns reported: {proc.stderr[-500:]}")
                for pattern, flags in ast.literal_eval(line[-1][len("PATTERNS "):]):
                    found[type(pattern), pattern, flags] = None
    return [(pattern, flags) for _, pattern, flags in found]


def compiled(pattern: str | bytes, flags: int) -> tuple[object, ...]:
    """What ``re``'s compiler hands ``_sre.compile`` for this pattern."""
    import re._compiler as compiler

    args: list[tuple[object, ...]] = []
    real = compiler._sre.compile

    def capture(*a: object) -> object:
        args.append(a)
        return real(*a)

    compiler._sre.compile = capture
    try:
        compiler.compile(pattern, flags)
    finally:
        compiler._sre.compile = real
    _, final, code, groups, groupindex, indexgroup = args[0]
    assert isinstance(code, list) and isinstance(groupindex, dict)
    return (pattern, flags, final, tuple(int(c) for c in code), groups,
            tuple(groupindex.items()), indexgroup)


def _wrapped(text: str, indent: str) -> list[str]:
    """``text`` (a tuple of ints's repr) broken at commas into lines of WIDTH at most."""
    lines, line = [], indent
    for part in re.split(r"(?<=,) ", text):
        if len(line) + len(part) + 1 > WIDTH and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += part + " "
    lines.append(line.rstrip())
    return lines


def render(entries: list[tuple[object, ...]]) -> str:
    import _sre

    out = [
        '"""The compiled programs of the regular expressions a check plugin uses.',
        "",
        "Generated by scripts/patterns.py (its docstring says why and how); do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)",
        "if TYPE_CHECKING:",
        "    from typing import Any",
        "",
        f"PYTHON = {sys.version!r}",
        '"""The interpreter whose ``re`` compiled them (``sys.version``)."""',
        f"MAGIC = {_sre.MAGIC!r}",
        '"""Its ``_sre.MAGIC``."""',
        "",
        "# (pattern, flags, compiled flags, program, groups, group index, index group)",
        "PATTERNS: tuple[tuple[Any, ...], ...] = (",
    ]
    for pattern, flags, final, code, groups, groupindex, indexgroup in entries:
        out.append(f"    ({pattern!r}, {flags!r}, {final!r},")
        out += _wrapped(repr(code) + ",", "     ")
        out.append(f"     {groups!r}, {groupindex!r}, {indexgroup!r}),")
    out.append(")")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if checks/patterns.py is not what this would write")
    args = parser.parse_args()
    text = render([compiled(p, f) for p, f in used_patterns()])
    if args.check:
        if OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is not current: run python scripts/patterns.py",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
