"""Pacemaker on the action path: resources, nodes and the cluster, through the CRM tools.

The preview is the real scheduler (``crm_simulate``) on a private copy of the live CIB
(:mod:`hadeck.actions.preview`); the change has settled when ``crm_resource --wait``
says the scheduler has nothing left to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hadeck.actions.checks import Check, precheck
from hadeck.actions.plan import Plan, plan
from hadeck.actions.preview import Change, Preview, PreviewError, preview
from hadeck.actions.request import VERBS
from hadeck.model import PacemakerState, Resource, ResourceKind
from hadeck.outfile import WriteError

if TYPE_CHECKING:
    from hadeck.actions.request import Request
    from hadeck.model import ClusterState
    from hadeck.opening import Opened


class _Pacemaker:
    name: str = "pacemaker"
    verbs: tuple[str, ...] = VERBS

    def unreadable(self, state: ClusterState) -> str | None:
        if state.pacemaker is not None:
            return None
        reasons = "; ".join(f"{s.source}@{s.node}: {s.error}" for s in state.sources
                            if s.source == "pacemaker" and s.error)
        return reasons or "Pacemaker did not answer"

    def plan(self, request: Request, state: ClusterState) -> Plan:
        return plan(request, state)

    def preview(self, plan: Plan, opened: Opened, state: ClusterState
                ) -> tuple[Preview | None, Check]:
        runner = opened.access.runner(plan.steps[0].node)
        try:
            shown = preview(plan, runner)
        except (PreviewError, WriteError, OSError) as exc:
            # OSError: no private temporary directory could be made for the copy.
            return None, Check("preview", False, f"no preview: {exc}", overridable=True)
        return shown, Check("preview", True, "the scheduler (crm_simulate) on a copy of "
                                             "the live CIB")

    def precheck(self, plan: Plan, state: ClusterState, preview: Preview | None
                 ) -> tuple[Check, ...]:
        return precheck(plan, state, preview)

    def settle(self, plan: Plan, opened: Opened, deadline: float,
               say: Callable[[str], None]) -> bool:
        """Wait until Pacemaker has no pending actions (``crm_resource --wait``)."""
        step = plan.steps[-1]
        left = max(1, int(deadline - time.monotonic()))
        say(f"waiting for Pacemaker to settle (up to {left} s)")
        got = opened.access.runner(step.node).run(
            ("crm_resource", "--wait", f"--timeout={left}s"), timeout=left + 10)
        return got.ok

    def expectations(self, plan: Plan, preview: Preview | None, state: ClusterState
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if state.pacemaker is None:
            return (), ("Pacemaker could not be read",)
        return expectations(plan, preview, state.pacemaker)


def expectations(planned: Plan, shown: Preview | None, pcmk: PacemakerState
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What was asked for, and what the preview said would happen, against the cluster.

    Args:
        planned: the plan that ran.
        shown: its preview (its changes are checked too), or None.
        pcmk: Pacemaker's state read afterwards.

    Returns:
        (facts that hold, facts that do not), each in the operator's words.
    """
    good: list[str] = []
    bad: list[str] = []

    def expect(holds: bool, yes: str, no: str) -> None:
        (good if holds else bad).append(yes if holds else no)

    req = planned.request
    verb = req.verb
    rsc = pcmk.find(planned.resource) if planned.resource else None
    node = pcmk.node(planned.node) if planned.node else None
    if verb in ("move", "migrate") and rsc is not None and planned.node:
        where = _where(rsc)
        expect(where == (planned.node,), f"{rsc.id} runs on {planned.node}",
               f"{rsc.id} runs on {', '.join(where) or 'no node'}, not {planned.node}")
    elif verb == "ban" and rsc is not None and planned.node:
        expect(planned.node not in _where(rsc), f"{rsc.id} does not run on {planned.node}",
               f"{rsc.id} still runs on {planned.node}")
    elif verb == "clear" and planned.resource:
        left = [c.id for c in pcmk.locations if c.from_cli and c.resource == planned.resource
                and (planned.node is None or c.node == planned.node)]
        expect(not left, f"no cli- constraint left on {planned.resource}",
               f"still there: {', '.join(left)}")
    elif verb in ("standby", "online") and node is not None:
        on = verb == "standby"
        expect(node.standby == on, f"{node.name} is {'in standby' if on else 'online'}",
               f"{node.name} is {'not ' if on else ''}in standby")
    elif verb == "node-maintenance" and node is not None:
        on = req.option == "on"
        expect(node.maintenance == on, f"{node.name} maintenance {req.option}",
               f"{node.name} maintenance is {'off' if on else 'on'}")
    elif verb == "cluster-maintenance":
        on = req.option == "on"
        expect(pcmk.cluster.maintenance_mode == on, f"cluster maintenance-mode {req.option}",
               f"cluster maintenance-mode is {'off' if on else 'on'}")
    elif verb in ("manage", "unmanage") and rsc is not None:
        managed = verb == "manage"
        prims = rsc.primitives() or (rsc,)
        expect(all(p.managed == managed for p in prims),
               f"{rsc.id} is {'managed' if managed else 'unmanaged'}",
               f"{rsc.id} is still {'unmanaged' if managed else 'managed'}")
    elif verb == "stop" and rsc is not None:
        expect(not _where(rsc), f"{rsc.id} is stopped",
               f"{rsc.id} still runs on {', '.join(_where(rsc))}")
    elif verb == "start" and rsc is not None:
        expect(bool(_where(rsc)), f"{rsc.id} runs on {', '.join(_where(rsc))}",
               f"{rsc.id} is not running")
    elif verb == "cleanup":
        left = [f"{f.resource}@{f.node}" for f in pcmk.failed_actions
                if (not planned.resource or f.resource.split(":")[0] == planned.resource)
                and (planned.node is None or f.node == planned.node)]
        expect(not left, f"no failed operations of {planned.resource or 'any resource'}",
               f"failed operations still recorded: {', '.join(left)}")
    if shown is not None:
        for change in shown.changes:
            holds = _happened(change, pcmk)
            if holds is not None:
                expect(holds, f"as previewed: {change.words}",
                       f"not as previewed: {change.words}")
    return tuple(good), tuple(bad)


def _where(rsc: Resource) -> tuple[str, ...]:
    return tuple(sorted(rsc.running_on))


def _instances(pcmk: PacemakerState, prim: str) -> list[Resource]:
    found: list[Resource] = []
    stack = list(pcmk.resources)
    while stack:
        r = stack.pop()
        if r.id == prim and r.kind == ResourceKind.PRIMITIVE:
            found.append(r)
        stack.extend(r.children)
    return found


def _happened(change: Change, pcmk: PacemakerState) -> bool | None:
    """Whether the cluster shows ``change`` done; None for a change it cannot show."""
    if not change.resource:
        return None
    inst = _instances(pcmk, change.resource)
    if change.verb in ("move", "migrate", "start", "restart", "recover") and change.node:
        return any(change.node in r.nodes for r in inst)
    if change.verb == "stop" and change.source:
        return not any(change.source in r.nodes for r in inst)
    if change.verb == "promote" and change.node:
        return any(change.node in r.nodes and r.role == "Promoted" for r in inst)
    if change.verb == "demote" and change.node:
        return not any(change.node in r.nodes and r.role == "Promoted" for r in inst)
    return None



PACEMAKER = _Pacemaker()
"""The Pacemaker domain (:class:`~hadeck.actions.domain.Domain`)."""
