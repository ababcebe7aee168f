"""The action path, end to end: prepare (plan, preview, pre-checks) → execute → verify → journal.

Every face calls these two functions, and nothing else in hadeck changes a cluster::

    prepared = prepare(request, opened)          # reads the cluster; changes nothing
    # the face shows prepared.preview / prepared.checks and asks the operator
    outcome = execute(prepared, opened, wait=60, progress=print)

What differs between Pacemaker, DRBD and LVS — how to plan, preview, pre-check, settle
and verify — is asked of the request's domain (:mod:`hadeck.actions.domain`); the road
is the same. :func:`execute` runs the plan's commands through the runner of their node
(argv only), waits until the domain says the change has settled (Pacemaker:
``crm_resource --wait``), then reads the cluster with the core's
:func:`~hadeck.collect.collect` until what was asked for — and what the preview said
would happen — holds, or the time is up. A move's ``cli-prefer`` constraint is cleared
after it settled (unless ``--keep`` or a lifetime) and the placement checked again. The
journal gets one line either way.

Exit codes, the same in every face: 0 done and verified; 1 refused (a pre-check, a
request that makes no sense, read-only); 2 failed or not settled in time; 3 the cluster
could not be read.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hadeck.actions import journal
from hadeck.actions.checks import Check, failed
from hadeck.actions.domain import Domain, domain_for, domains
from hadeck.actions.plan import Plan, Refused, Step
from hadeck.actions.preview import Preview
from hadeck.actions.request import Request
from hadeck.model import ClusterState
from hadeck.outfile import WriteError

if TYPE_CHECKING:
    from hadeck.opening import Opened

EXIT_DONE = 0
EXIT_REFUSED = 1
EXIT_FAILED = 2
EXIT_UNREADABLE = 3

READ_ONLY = "read-only: this hadeck does not change the cluster"
"""What every face says when actions are refused by ``--read-only`` or the configuration."""
POLL = 1.0
"""Seconds between two reads of the cluster while verifying."""


@dataclass(frozen=True)
class Prepared:
    """Everything known before the operator confirms; nothing has changed yet.

    Attributes:
        plan: the plan (None when the request was refused before planning).
        preview: the scheduler's preview (None when it could not be made, or no plan).
        checks: the pre-checks' verdicts.
        refused: why the action may not run (None: it may, after confirmation).
        state: the cluster as read for it.
        exit_code: 0 when it may run; else 1 (refused) or 3 (the cluster could not be read).
        overridden: the failed checks that ``--force`` overrides.
    """

    plan: Plan | None
    preview: Preview | None
    checks: tuple[Check, ...]
    refused: str | None
    state: ClusterState | None = None
    exit_code: int = EXIT_DONE
    overridden: tuple[Check, ...] = ()
    request: Request | None = None

    def as_dict(self) -> dict[str, Any]:
        """The preparation as JSON data (``--dry-run --json``, the journal)."""
        plan_ = self.plan
        return {
            "request": self.request.as_dict() if self.request else None,
            "domain": _domain_name(self.request),
            "summary": plan_.summary if plan_ else None,
            "destructive": plan_.destructive if plan_ else None,
            "confirm_word": plan_.confirm_word if plan_ else None,
            "commands": [{"node": s.node, "argv": list(s.argv), "why": s.why}
                         for s in ((*plan_.steps, *plan_.after) if plan_ else ())],
            "preview": _preview_data(self.preview),
            "checks": [c.as_dict() for c in self.checks],
            "forced": [c.name for c in self.overridden],
            "refused": self.refused,
            **({"remember": dict(plan_.remember)} if plan_ and plan_.remember else {}),
        }


@dataclass(frozen=True)
class StepResult:
    """One command that ran, and how it ended."""

    node: str
    argv: tuple[str, ...]
    exit_code: int | None
    error: str | None = None
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.exit_code == 0

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "argv": list(self.argv), "exit_code": self.exit_code,
                "error": self.error, "output": self.output}


@dataclass(frozen=True)
class Outcome:
    """How an executed action ended.

    Attributes:
        ok: it ran, settled and was verified.
        settled: what carries the change out (Pacemaker: its scheduler) had nothing left
            to do before the time was up.
        results: every command run, in order.
        verified: what was found afterwards, in one line per fact.
        exit_code: 0 done and verified, 2 failed or not settled (1 when it was refused).
        journal: the journal file, or why it could not be written.
    """

    ok: bool
    settled: bool
    results: tuple[StepResult, ...]
    verified: str
    exit_code: int
    journal: str | None = None
    elapsed: float = 0.0
    unmet: tuple[str, ...] = field(default=())
    facts: tuple[str, ...] = field(default=())
    """What was found to hold afterwards, one fact each (``verified`` joins them)."""

    @property
    def word(self) -> str:
        """``done``, ``failed`` (a command failed, or the result is not what was asked)
        or ``not settled`` (everything ran; Pacemaker was still busy at the deadline)."""
        if self.ok:
            return "done"
        if all(r.ok for r in self.results) and not self.settled:
            return "not settled"
        return "failed"

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "outcome": self.word, "settled": self.settled,
                "verified": self.verified,
                "unmet": list(self.unmet), "exit_code": self.exit_code,
                "commands": [r.as_dict() for r in self.results],
                "elapsed_s": round(self.elapsed, 2), "journal": self.journal}


def _preview_data(pv: Preview | None) -> dict[str, Any] | None:
    if pv is None:
        return None
    return {"text": pv.text, "changes": [c.words for c in pv.changes],
            "blocked": list(pv.blocked), "transition": list(pv.transition)}


# --------------------------------------------------------------------------- prepare


def prepare(request: Request, opened: Opened, read_only: bool | None = None,
            state: ClusterState | None = None) -> Prepared:
    """Everything before the confirmation: read, plan, preview, pre-check.

    Args:
        request: what the operator asked for.
        opened: the opened cluster (:func:`hadeck.opening.open_cluster`).
        read_only: refuse every action (None: the configuration's ``actions.read_only``).
        state: the cluster as just read (None: read it now).

    Returns:
        The preparation; nothing in the cluster has changed.
    """
    if read_only is None:
        read_only = bool(getattr(opened.config, "read_only", False))
    if read_only:
        check = Check("read-only", False, READ_ONLY)
        return Prepared(None, None, (check,), READ_ONLY, state, EXIT_REFUSED,
                        request=request)
    if opened.access.origin.startswith("bundle"):
        why = "a snapshot bundle is a recording: it cannot be acted on"
        return Prepared(None, None, (Check("cluster", False, why),), why, state,
                        EXIT_REFUSED, request=request)
    domain = domain_for(request.verb)
    if domain is None:
        known = ", ".join(v for d in domains() for v in d.verbs)
        why = f"unknown action {request.verb!r}; choose from {known}"
        return Prepared(None, None, (Check("request", False, why),), why, state,
                        EXIT_REFUSED, request=request)
    if state is None:
        from hadeck.collect import collect

        state = collect(opened.access, opened.config)
    unreadable = domain.unreadable(state)
    if unreadable is not None:
        why = f"could not read the cluster: {unreadable}"
        return Prepared(None, None, (Check("cluster", False, why),), why, state,
                        EXIT_UNREADABLE, request=request)
    try:
        planned = domain.plan(request, state)
    except Refused as exc:
        return Prepared(None, None, (Check("request", False, str(exc)),), str(exc), state,
                        EXIT_REFUSED, request=request)
    shown, how = domain.preview(planned, opened, state)
    checks = (how, *domain.precheck(planned, state, shown))
    refusing = failed(checks, request.force)
    overridden = tuple(c for c in checks if not c.ok and c not in refusing)
    refused = "; ".join(c.reason for c in refusing) or None
    return Prepared(planned, shown, checks, refused, state,
                    EXIT_REFUSED if refused else EXIT_DONE, overridden, request)


# --------------------------------------------------------------------------- execute


def execute(prepared: Prepared, opened: Opened, wait: float = 60.0,
            progress: Callable[[str], None] | None = None) -> Outcome:
    """Carry out a prepared action the operator confirmed, wait, verify, journal.

    Args:
        prepared: from :func:`prepare`; one that was refused is not run (exit 1).
        opened: the same opened cluster.
        wait: seconds to wait for the change to settle and the result to show.
        progress: called with one line at each stage (the faces show it).

    Returns:
        The outcome; the journal has its line (``outcome.journal`` says where, or why
        not).
    """
    say = progress or (lambda _line: None)
    started = time.monotonic()
    planned = prepared.plan
    if prepared.refused is not None or planned is None:
        return Outcome(False, False, (), f"refused: {prepared.refused}",
                       prepared.exit_code or EXIT_REFUSED)
    deadline = started + max(wait, 0.0)
    domain = _domain(planned)
    results: list[StepResult] = []
    ok = _run_steps(planned.steps, opened, results, say)
    settled = False
    state: ClusterState | None = None
    unmet: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    if ok:
        settled = domain.settle(planned, opened, deadline, say)
        # Not settled: the domain waited to the deadline or knows it will not (DRBD back
        # to StandAlone): read once, do not wait on.
        state, facts, unmet = _verify(domain, planned, prepared.preview, opened,
                                      deadline if settled else time.monotonic(), say)
        if not unmet and planned.after:
            ok = _run_steps(planned.after, opened, results, say)
            if ok:
                settled = domain.settle(planned, opened, deadline, say) and settled
                state, more, unmet = _verify(domain, planned, None, opened, deadline, say)
                facts = (*facts, *(f for f in more if f not in facts),
                         *_cleared(planned, state))
    done = ok and settled and not unmet
    if not ok:
        failed_step = next(r for r in results if not r.ok)
        verified = (f"{' '.join(failed_step.argv)} failed on {failed_step.node}: "
                    f"{failed_step.error or failed_step.output or failed_step.exit_code}")
    elif unmet:
        verified = "; ".join(unmet)
    else:
        verified = "; ".join(facts) or "done"
    if ok and not settled and not unmet:
        verified = f"not settled within {wait:g} s; {verified}"
    outcome = Outcome(done, settled, tuple(results), verified,
                      EXIT_DONE if done else EXIT_FAILED, None,
                      time.monotonic() - started, unmet, tuple(facts))
    where = _journal(prepared, outcome, state or prepared.state)
    say(f"journal: {where}")
    return dataclasses.replace(outcome, journal=where)


def _run_steps(steps: Sequence[Step], opened: Opened, results: list[StepResult],
               say: Callable[[str], None]) -> bool:
    for step in steps:
        say(f"{step.node}: {' '.join(step.argv)}")
        got = opened.access.runner(step.node).run(step.argv)
        output = (got.stderr.strip() or got.stdout.strip())[:2000]
        results.append(StepResult(step.node, step.argv, got.returncode, got.error, output))
        if not got.ok:
            say(f"failed: {got.reason()}")
            return False
    return True


def _domain_name(request: Request | None) -> str | None:
    found = domain_for(request.verb) if request is not None else None
    return found.name if found is not None else None


def _domain(planned: Plan) -> Domain:
    found = domain_for(planned.request.verb)
    if found is None:  # prepare() planned it, so some domain knows the verb
        raise ValueError(f"no domain carries out {planned.request.verb!r}")
    return found


def _verify(domain: Domain, planned: Plan, shown: Preview | None, opened: Opened,
            deadline: float, say: Callable[[str], None]
            ) -> tuple[ClusterState | None, tuple[str, ...], tuple[str, ...]]:
    """Read the cluster until every expectation holds or the deadline passes."""
    from hadeck.collect import collect

    state: ClusterState | None = None
    unmet: tuple[str, ...] = ("the cluster could not be read",)
    facts: tuple[str, ...] = ()
    while True:
        state = collect(opened.access, opened.config)
        facts, unmet = domain.expectations(planned, shown, state)
        if not unmet or time.monotonic() >= deadline:
            break
        say("waiting: " + "; ".join(unmet))
        time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
    return state, facts, unmet


def _cleared(planned: Plan, state: ClusterState | None) -> tuple[str, ...]:
    if state is None or state.pacemaker is None or planned.resource is None:
        return ()
    left = [c.id for c in state.pacemaker.locations
            if c.id == f"cli-prefer-{planned.resource}"]
    if left:
        return (f"{left[0]} is still there",)
    return (f"cli-prefer-{planned.resource} cleared",)


# --------------------------------------------------------------------------- journal


def _journal(prepared: Prepared, outcome: Outcome, state: ClusterState | None) -> str:
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": journal.who(),
        "cluster": state.origin if state is not None else None,
        **prepared.as_dict(),
        "outcome": outcome.word,
        "settled": outcome.settled,
        "verified": outcome.verified,
        "exit_code": outcome.exit_code,
        "commands": [r.as_dict() for r in outcome.results],
        "elapsed_s": round(outcome.elapsed, 2),
    }
    try:
        return str(journal.append(entry))
    except WriteError as exc:
        return f"not written: {exc}"
