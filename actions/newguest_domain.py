"""A new guest on the action path (the verb ``new-guest``).

Planning surveys the nodes and proposes (:mod:`hadeck.actions.newguest`); the preview is
the real tools' verdict on what would be made (``drbdadm -c FILE dump`` as each node,
``crm_verify``, ``crm_simulate``); the steps make the logical volumes, write the resource
files (never over an existing one), create the DRBD metadata, bring the resource up,
start the initial sync from the preferred node, and add the CIB fragment last, in one
``cibadmin --patch`` made by the real ``crm_diff``. A failed step stops the road and the
outcome says how to undo what ran (each step carries its undo).

Request: ``Request("new-guest", NAME, node=PREFERRED, params=(("nodes", "a,b"),
("size", "20G"), ("vg", "vg0"), ("hypervisor", "kvm"), ("like", "vm1"),
("resource", "r9"), ("start", "yes")))``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from hadeck.actions.checks import Check
from hadeck.actions.newguest import Proposal, Spec, propose, survey, validate
from hadeck.actions.plan import Plan, Refused, Step
from hadeck.actions.preview import Preview
from hadeck.outfile import create
from hadeck.runner import LocalRunner, Runner

if TYPE_CHECKING:
    from hadeck.actions.request import Request
    from hadeck.collect import Access
    from hadeck.model import ClusterState
    from hadeck.opening import Opened


def spec_of(request: Request) -> Spec:
    """The request's arguments as a :class:`~hadeck.actions.newguest.Spec`."""
    nodes = tuple(n.strip() for n in (request.param("nodes") or "").split(",") if n.strip())
    size, vg = request.param("size"), request.param("vg")
    if not nodes or not size:
        raise Refused("new-guest needs --nodes A,B and --size")
    return Spec(request.target, nodes, size, vg, request.param("hypervisor"),
                request.param("like"), request.node, request.param("start") == "yes",
                request.param("resource"), _number(request, "minor"),
                _number(request, "port"))


def _number(request: Request, key: str) -> int | None:
    text = request.param(key)
    if text is None:
        return None
    if not text.isdigit():
        raise Refused(f"--{key} {text!r} is not a number")
    return int(text)


_FLAGS = ("nodes", "size", "vg", "hypervisor", "like", "prefer", "resource", "minor", "port")


def request_of_words(text: str) -> Request:
    """``NAME --nodes A,B --size S --vg VG [--hypervisor H] [--like G] [--prefer N]
    [--resource R] [--minor N] [--port P] [--start] [--force]`` (the dashboard's
    ``:new-guest``) as a request.

    Raises:
        Refused: a word that is none of these, or an option without its value.
    """
    from hadeck.actions.request import Request

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise Refused(f"new-guest: {exc}") from None
    name: str | None = None
    values: dict[str, str] = {}
    start = force = False
    while words:
        word = words.pop(0)
        key = word.removeprefix("--")
        if word in ("--start", "--force"):
            start, force = start or word == "--start", force or word == "--force"
        elif word.startswith("--") and key in _FLAGS:
            if not words:
                raise Refused(f"new-guest: {word} needs a value")
            values[key] = words.pop(0)
        elif not word.startswith("-") and name is None:
            name = word
        else:
            raise Refused(f"new-guest: unexpected {word!r} (NAME --nodes A,B --size S "
                          "--vg VG [--hypervisor kvm|xen|openvz] [--like GUEST] "
                          "[--prefer NODE] [--resource RES] [--minor N] [--port P] [--start])")
    if name is None:
        raise Refused("new-guest: the guest's name is missing")
    params = [(k, values[k]) for k in _FLAGS if k in values and k != "prefer"]
    if start:
        params.append(("start", "yes"))
    return Request("new-guest", name, values.get("prefer"), force=force,
                   params=tuple(params))


class Runners(dict[str, Runner]):
    """A runner per node, made when first asked for (only the CIB's nodes are)."""

    def __init__(self, access: Access) -> None:
        super().__init__()
        self.access = access

    def __missing__(self, node: str) -> Runner:
        made = self.access.runner(node)
        self[node] = made
        return made


def patch(proposal: Proposal, original: str, here: Runner | None = None) -> str:
    """The CIB patch (``crm_diff --no-version``) that adds the new guest to ``original``.

    Raises:
        Refused: crm_diff did not make one.
    """
    run = here or LocalRunner()
    workdir = tempfile.mkdtemp(prefix="hadeck-newguest-")
    try:
        old, new = os.path.join(workdir, "old.xml"), os.path.join(workdir, "new.xml")
        for path, text in ((old, original), (new, proposal.fragment.merged)):
            with create(path) as handle:
                handle.write(text.encode())
        got = run.run(("crm_diff", "--original", old, "--new", new, "--no-version"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # crm_diff exits 1 when the files differ: the patch is on stdout.
    if got.returncode not in (0, 1) or "<diff" not in got.stdout:
        raise Refused(f"crm_diff made no patch: {got.reason()}")
    return got.stdout


class _NewGuest:
    name: str = "provision"
    verbs: tuple[str, ...] = ("new-guest",)

    def unreadable(self, state: ClusterState) -> str | None:
        return None if state.pacemaker is not None else "Pacemaker did not answer"

    def plan(self, request: Request, state: ClusterState, opened: Opened | None = None
             ) -> Plan:
        spec = spec_of(request)
        if opened is None:
            raise Refused("a new guest is planned from the nodes themselves (drbdadm dump, "
                          "LVM): it needs the opened cluster")
        at = state.local_node
        seen = survey(spec, Runners(opened.access), at)
        proposal = propose(spec, seen, at)
        steps = tuple(_with_input(s, proposal, seen.cib) for s in proposal.steps)
        summary = (f"new guest {spec.name} ({proposal.template.kind}, like "
                   f"{proposal.template.guest}) on {' and '.join(spec.nodes)}: "
                   f"{spec.size} in {_where(proposal)}, DRBD {proposal.resource.name} minor "
                   f"{proposal.minor} port {proposal.port}")
        return Plan(request, steps, summary, True, spec.name, resource=spec.name,
                    node=proposal.spec.prefer or spec.nodes[0], detail=proposal)

    def preview(self, plan: Plan, opened: Opened, state: ClusterState
                ) -> tuple[Preview | None, Check]:
        proposal = _proposal(plan)
        try:
            checks = validate(proposal)
        except OSError as exc:
            return None, Check("preview", False, f"no preview: {exc}", overridable=False)
        text = "\n".join([
            f"{proposal.path} on {', '.join(proposal.spec.nodes)}:",
            *("  " + line for line in proposal.resource_file.splitlines()),
            "CIB:", *("  " + line for line in proposal.fragment.xml().splitlines()),
            *(f"{'✔' if c.ok else '✖'} {c.name}: {c.reason}" for c in checks)])
        blocked = tuple(f"{c.name}: {c.reason}" for c in checks if not c.ok)
        started = next((c.reason for c in checks if c.name == "crm_simulate" and c.ok), "")
        shown = Preview((), blocked, text, transition=(started,) if started else ())
        return shown, Check("preview", True, "drbdadm as each node, crm_verify and "
                                             "crm_simulate on a copy of the CIB")

    def precheck(self, plan: Plan, state: ClusterState, preview: Preview | None
                 ) -> tuple[Check, ...]:
        checks = list(_proposal(plan).checks)
        if preview is not None:
            checks += [Check("validation", False, b) for b in preview.blocked]
            if not preview.blocked:
                checks.append(Check("validation", True, "the real tools accept it"))
        return tuple(checks)

    def settle(self, plan: Plan, opened: Opened, deadline: float,
               say: Callable[[str], None]) -> bool:
        """Wait until Pacemaker has nothing left to do with the new resources."""
        left = max(1, int(deadline - time.monotonic()))
        say(f"waiting for Pacemaker to settle (up to {left} s)")
        got = opened.access.runner(plan.steps[-1].node).run(
            ("crm_resource", "--wait", f"--timeout={left}s"), timeout=left + 10)
        return got.ok

    def expectations(self, plan: Plan, preview: Preview | None, state: ClusterState
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        proposal = _proposal(plan)
        spec, res = proposal.spec, proposal.resource.name
        good: list[str] = []
        bad: list[str] = []
        pcmk = state.pacemaker
        guest = pcmk.find(spec.name) if pcmk is not None else None
        (good if guest is not None else bad).append(
            f"{spec.name} is in the CIB" if guest is not None else
            f"{spec.name} is not in the CIB")
        for node in spec.nodes:
            seen = next((r for r in state.drbd if r.name == res and r.node == node), None)
            if seen is None:
                bad.append(f"DRBD {res} is not up on {node}")
                continue
            states = {c.state for c in seen.connections}
            (good if "Connected" in states else bad).append(
                f"DRBD {res} on {node}: {seen.role}, "
                f"{', '.join(sorted(states)) or 'no connection'}")
        if guest is not None and spec.start:
            where = sorted(guest.running_on)
            (good if where else bad).append(
                f"{spec.name} runs on {', '.join(where)}" if where else
                f"{spec.name} is not running")
        elif guest is not None:
            (good if not guest.running_on else bad).append(
                f"{spec.name} is stopped (target-role Stopped), ready to start"
                if not guest.running_on else f"{spec.name} runs, yet was to stay stopped")
        return tuple(good), tuple(bad)


def _where(proposal: Proposal) -> str:
    """Where the volume goes: its group, and its thin pool when it is thin."""
    volume = proposal.volume
    if volume is None:
        return str(proposal.spec.vg)
    return f"{volume.vg}/{volume.pool} (thin)" if volume.pool else volume.vg


def _proposal(plan: Plan) -> Proposal:
    if not isinstance(plan.detail, Proposal):
        raise TypeError("a new-guest plan carries its proposal")
    return plan.detail


def _with_input(step: Step, proposal: Proposal, cib: str) -> Step:
    if step.argv[0] == "dd":
        return replace(step, input=proposal.resource_file)
    if step.argv[:2] == ("cibadmin", "--patch"):
        return replace(step, input=patch(proposal, cib))
    return step


NEW_GUEST = _NewGuest()
"""The new-guest domain (:class:`~hadeck.actions.domain.Domain`)."""
