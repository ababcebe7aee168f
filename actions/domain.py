"""What a part of the cluster must provide to be changed on the one action path.

:mod:`hadeck.actions.perform` runs every action the same way — read, plan, preview,
pre-check, confirm, execute, settle, verify, journal — and asks the request's *domain*
for the parts that differ: Pacemaker previews with the real scheduler on a copy of the
CIB and settles with ``crm_resource --wait``; DRBD previews with ``drbdadm -d`` and
settles when the resource's states say so; LVS previews the ``ipvsadm`` change against
the kernel table. A domain is a module-level object; :func:`domain_for` finds it by verb.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hadeck.actions.checks import Check
    from hadeck.actions.plan import Plan
    from hadeck.actions.preview import Preview
    from hadeck.actions.request import Request
    from hadeck.model import ClusterState
    from hadeck.opening import Opened


class Domain(Protocol):
    """The parts of the action path that depend on what is changed.

    Every method is given the cluster as just read; none asks the operator anything
    (the faces do) and only :meth:`settle` may wait.
    """

    name: str
    """``pacemaker``, ``drbd``, ``lvs``: the journal and ``--json`` record it."""
    verbs: tuple[str, ...]
    """The :class:`~hadeck.actions.request.Request` verbs it carries out."""

    def unreadable(self, state: ClusterState) -> str | None:
        """Why ``state`` lacks what this domain needs to plan (None: it has it)."""
        ...

    def plan(self, request: Request, state: ClusterState) -> Plan:
        """The commands for ``request``; raises :class:`~hadeck.actions.plan.Refused`."""
        ...

    def preview(self, plan: Plan, opened: Opened, state: ClusterState
                ) -> tuple[Preview | None, Check]:
        """What the real tool says the plan would do, and a check saying how that was
        learnt (or, failed, why there is no preview)."""
        ...

    def precheck(self, plan: Plan, state: ClusterState, preview: Preview | None
                 ) -> tuple[Check, ...]:
        """Every pre-check that applies, passed and failed, in the order to show them."""
        ...

    def settle(self, plan: Plan, opened: Opened, deadline: float,
               say: Callable[[str], None]) -> bool:
        """Wait (until the monotonic ``deadline`` at most) for the change to be carried
        out by whatever carries it out; whether it was."""
        ...

    def expectations(self, plan: Plan, preview: Preview | None, state: ClusterState
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(facts that hold, facts that do not) about what was asked — and what the
        preview said would happen — in the cluster as read after the change."""
        ...


def domain_for(verb: str) -> Domain | None:
    """The domain that carries out ``verb``; None for a verb nobody knows."""
    return next((d for d in domains() if verb in d.verbs), None)


def domains() -> tuple[Domain, ...]:
    """Every domain, in the order the faces list their verbs."""
    # Imported here: the domains import the action path's modules, which import this one.
    from hadeck.actions.drbd import DRBD
    from hadeck.actions.lvs import LVS
    from hadeck.actions.pacemaker import PACEMAKER

    return (PACEMAKER, DRBD, LVS)
