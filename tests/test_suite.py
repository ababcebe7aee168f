"""The suite's own rules: without the Pacemaker CLI, its tests skip and say why."""

from __future__ import annotations

import pytest

from tests import conftest

SMALL_SUITE = """
import pytest

@pytest.fixture(scope="session")
def pristine():
    raise AssertionError("the lab fixture ran: it would have run crm_simulate")

@pytest.mark.pacemaker
def test_marked():
    raise AssertionError("a pacemaker test ran")

def test_uses_the_lab(pristine):
    pass

def test_plain():
    pass
"""


def run_small_suite(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makeconftest("from tests.conftest import pytest_collection_modifyitems\n")
    pytester.makeini("[pytest]\nmarkers =\n    pacemaker: needs the Pacemaker CLI\n")
    pytester.makepyfile(SMALL_SUITE)
    # textual-snapshot keeps its report directory in a global the inner run would remove.
    return pytester.runpytest_inprocess("-rs", "-p", "no:cacheprovider",
                                        "-p", "no:textual-snapshot")


def test_pacemaker_tests_skip_with_the_reason_when_the_cli_is_missing(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "PACEMAKER_TOOLS", ("crm_mon", "hadeck-no-such-crm_tool"))
    result = run_small_suite(pytester)
    result.assert_outcomes(passed=1, skipped=2)
    reason = ("*: the Pacemaker CLI is not installed (hadeck-no-such-crm_tool not found): "
              "apt-get install pacemaker-cli-utils, or run scripts/setup --test")
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] {reason}"] * 2)


def test_pacemaker_tests_run_when_the_cli_is_there(pytester: pytest.Pytester) -> None:
    if conftest.pacemaker_missing():
        pytest.skip(conftest.pacemaker_missing())
    result = run_small_suite(pytester)
    # The stand-ins above fail when they run: the test, and the fixture (an error).
    result.assert_outcomes(passed=1, failed=1, errors=1)
