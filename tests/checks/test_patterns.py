"""The regular expressions a check plugin finds compiled (``hadeck.checks.patterns``).

``scripts/patterns.py`` writes out ``re``'s program for each pattern the plugins use, and a
plugin started as its console script puts them in ``re``'s cache (issue 15: compiling them
was ~13 % of check_hadeck_cluster's run). A program must be exactly the one ``re``
compiles from the pattern, and the file must be current.
"""

from __future__ import annotations

import ast
import re
import re._compiler
import subprocess
import sys
from pathlib import Path

import pytest

from hadeck.checks import patterns
from tests import bundles

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ["cluster", "drbd", "guests", "lvs", "pingd", "corosync", "node", "lvm", "backup"]

same_python = pytest.mark.skipif(
    patterns.PYTHON != sys.version,
    reason=f"the programs are {patterns.PYTHON}'s (a plugin here compiles them itself)")


@same_python
@pytest.mark.parametrize("entry", patterns.PATTERNS, ids=lambda e: repr(e[0])[:40])
def test_each_program_is_the_one_re_compiles(entry: tuple[object, ...]) -> None:
    import _sre  # type: ignore[import-not-found]

    pattern, flags, final, code, groups, groupindex, indexgroup = entry
    assert isinstance(pattern, str | bytes) and isinstance(flags, int)
    made = _sre.compile(pattern, final, list(code), groups, dict(groupindex), indexgroup)
    compiled = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
    assert made == compiled  # a Pattern's == compares its flags, text and program
    assert (made.groups, made.groupindex) == (compiled.groups, compiled.groupindex)


@same_python
def test_the_file_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "patterns.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


COUNT = """
import sys
import re._compiler as compiler
compiled = []
real = compiler.compile
def counting(p, flags=0):
    compiled.append(p)
    return real(p, flags)
compiler.compile = counting
sys.argv = ["/usr/lib/nagios/plugins/check_hadeck_{plugin}", *{args!r}]
from hadeck.checks.{plugin} import main
try:
    main()
finally:
    print("COMPILED", repr(compiled), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundles.seed_cluster(tmp_path_factory.mktemp("patterns") / "seed", storage=True)


@same_python
@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_plugin_started_as_nagios_starts_it_compiles_nothing(plugin: str,
                                                               seed_bundle: Path) -> None:
    """Every pattern its whole run uses (the standard library's and hadeck's) is found in
    ``re``'s cache, and it still says what it says."""
    code = COUNT.format(plugin=plugin, args=["--from", str(seed_bundle)])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                                           "HOME": str(seed_bundle.parent)})
    assert proc.stdout.startswith(f"HADECK {plugin.upper()} "), proc.stdout + proc.stderr
    line = [x for x in proc.stderr.splitlines() if x.startswith("COMPILED ")][-1]
    assert ast.literal_eval(line[len("COMPILED "):]) == []


def test_another_interpreter_compiles_as_usual(seed_bundle: Path) -> None:
    """Programs of another Python are not used: the plugin compiles, and says the same."""
    code = ("import sys\nimport hadeck.checks.patterns as p\np.PYTHON = 'another'\n"
            + COUNT.format(plugin="drbd", args=["--from", str(seed_bundle)]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.startswith("HADECK DRBD OK - "), proc.stdout + proc.stderr
    line = [x for x in proc.stderr.splitlines() if x.startswith("COMPILED ")][-1]
    assert len(ast.literal_eval(line[len("COMPILED "):])) > 5
    assert re.compile  # the module is fine in this process
