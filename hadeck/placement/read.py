"""Reading what an explanation needs through a runner: crm_mon, the CIB, the scores.

Three reads, all through the runners that read everything else (live, over ssh, the
lab, a bundle):

* crm_mon, by the Pacemaker source (nodes, and where everything runs);
* the whole CIB, ``cibadmin -Q`` (constraints, rules, defaults, node attributes, fail
  counts), stored in a bundle as ``pacemaker/cib.xml``;
* the scheduler's scores on *that same* CIB: ``crm_simulate -p -s -Q`` with the CIB on
  stdin. On a live node this is what ``crm_simulate -Ls`` computes, but from the one copy
  the constraints were read from, so the scores and the reasons cannot disagree; and it
  works the same on a bundle, whose CIB goes to the local crm_simulate.

A frozen state (a bundle) is scored at the time it was taken (``crm_simulate -t``), so
that a ``--lifetime`` constraint counts as it did then.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from hadeck.placement.cib import parse_cib
from hadeck.placement.explanation import ExplainError, Explanation, explain
from hadeck.placement.scores import parse_scores
from hadeck.runner import Command, LocalRunner, Runner
from hadeck.sources import pacemaker
from hadeck.sources.base import ParseError, parse_output

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from hadeck.collect import Access

CIB = Command("pacemaker/cib.xml", ("cibadmin", "-Q"))
"""The whole CIB, for placement; not read on every poll (it holds the status section)."""
COMMANDS: tuple[Command, ...] = (CIB,)
SCORES = ("crm_simulate", "-p", "-s", "-Q")
"""The scheduler's allocation scores for the CIB given on stdin."""


def read_cib(runner: Runner) -> str:
    """The whole CIB as ``cibadmin -Q`` prints it.

    Raises:
        ExplainError: it cannot be read; the message says why (a bundle without it
            names the file).
    """
    result = runner.fetch(CIB)
    if result.missing:
        raise ExplainError(f"no whole CIB to read ({result.error}); a bundle holds it as "
                           f"<node>/{CIB.name} only when recorded by a hadeck that has "
                           "'explain': record a new one with hadeck snapshot")
    if not result.ok:
        raise ExplainError(f"the CIB could not be read (cibadmin -Q): {result.reason()}")
    return result.stdout


def read_explanation(reader: Runner, resource: str, scheduler: Runner | None = None,
                     at: float | None = None) -> Explanation:
    """Explain one resource's placement, read through ``reader``.

    Args:
        reader: the node that answers crm_mon and cibadmin (a bundle's runner too).
        resource: the resource's id.
        scheduler: where crm_simulate runs (default ``reader``; a bundle cannot run
            anything, so the caller gives the local machine).
        at: the time the state was taken, for a frozen one (None: now, as the
            scheduler's own clock).

    Raises:
        ExplainError: something could not be read or parsed, or no such resource; the
            message says which, on one line.
    """
    # crm_mon meanwhile: on a big cluster each of the three tools takes a second or more
    # (200 guests: crm_mon 1.7 s, cibadmin 0.8 s, crm_simulate 1.5 s on a loaded machine).
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(pacemaker.read, reader)
        try:
            cib_text = read_cib(reader)
        except ExplainError:
            # No cluster answers at all: crm_mon says that best ("not connected").
            failed = status.result()
            if failed.value is None:
                raise ExplainError(failed.status.error or "Pacemaker could not be read") \
                    from None
            raise
        try:
            cib = parse_output(parse_cib, cib_text)
        except ParseError as exc:
            raise ExplainError(f"cannot parse the CIB: {exc}") from None
        argv = SCORES if at is None else (*SCORES, "-t", _iso(at))
        result = (scheduler or reader).run(argv, input=cib_text)
        if not result.ok:
            raise ExplainError("the scheduler's scores could not be computed: "
                               f"{result.reason()}")
        try:
            scores = parse_output(parse_scores, result.stdout)
        except ParseError as exc:
            raise ExplainError(f"cannot parse crm_simulate's scores: {exc}") from None
        reading = status.result()
    if reading.value is None:
        raise ExplainError(reading.status.error or "Pacemaker could not be read")
    return explain(resource, cib, scores, reading.value, time.time() if at is None else at)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def explain_access(access: Access, resource: str, timeout: float | None = None) -> Explanation:
    """Explain one resource's placement in the cluster an access reaches: the one call the
    command line and the dashboard's detail view make.

    Live and in the lab, everything runs on the access's local node. A bundle runs
    nothing: its recorded CIB is scored by this machine's crm_simulate, at the time the
    bundle was taken.

    Args:
        access: the opened cluster (:func:`hadeck.opening.open_cluster`).
        resource: the resource's id.
        timeout: seconds for this machine's crm_simulate on a bundle (default: the
            access's own).

    Raises:
        ExplainError: as :func:`read_explanation`. It may take seconds (crm_simulate on a
            big CIB): call it off a UI thread.
    """
    frozen = access.frozen_at()
    scheduler = None
    if frozen is not None:
        scheduler = LocalRunner(timeout=timeout or access.local.timeout)
    return read_explanation(access.local, resource, scheduler, at=frozen)
