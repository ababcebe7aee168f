"""hadeck's Runner for a vmlab VM, and an Access to the pair: hadeck's real sources,
parsers and actions read and change the real kernel's DRBD and IPVS.

Only argv crosses into the guest, quoted with :func:`shlex.join` (the guest has no
sshd: its serial shell is the one way in). A command gets
``timeout`` in the guest too, so one that hangs there is killed there and the serial line
stays usable for the next (coreutils' ``timeout``: busybox's would run its own applets
before ``$PATH``'s programs).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence

from hadeck.collect import Access
from hadeck.config import Config
from hadeck.opening import Opened
from hadeck.runner import CommandResult, LocalRunner, Runner, failure, not_found
from tests.vmlab.machine import Machine, VmError

VM_TIMEOUT = 60.0
"""Seconds a command may take: TCG on a shared 2-core host is 10–50 times slower than a
real node (drbdadm alone takes about a second)."""

_GRACE = 15.0
"""Seconds past a command's own timeout before the serial line is given up on."""


class VmRunner(Runner):
    """Runs argv lists in one VM through its serial shell; never raises."""

    def __init__(self, machine: Machine, timeout: float = VM_TIMEOUT) -> None:
        self.machine = machine
        self.node = machine.name
        self.timeout = timeout
        self.calls: list[tuple[str, ...]] = []
        """Every argv run, in order: what an action really ran."""

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        limit = self.limit(timeout)
        seconds = max(1, math.ceil(limit))
        try:
            answer = self.machine.sh(f"timeout -s KILL {seconds} {shlex.join(args)}",
                                     timeout=limit + _GRACE, stdin=input)
        except VmError as exc:
            return failure(args, "unreachable", str(exc))
        if answer.rc == 127 and not answer.stdout:
            return not_found(args, self.node)
        if answer.rc == 137:
            return failure(args, "timeout", f"{args[0]}: timed out after {limit:g} s",
                           answer.stdout, answer.stderr)
        return CommandResult(args, answer.stdout, answer.stderr, answer.rc)


PACEMAKER_TOOLS = frozenset({"cibadmin", "crm_attribute", "crm_failcount", "crm_mon",
                             "crm_node", "crm_resource", "crm_simulate", "crm_standby",
                             "crm_ticket", "crm_verify", "stonith_admin", "attrd_updater"})
"""Pacemaker's command-line tools: a :class:`WithPacemaker` runner answers them."""


class WithPacemaker(Runner):
    """A VM's runner whose Pacemaker tools run here, on a CIB file of a cluster of the
    two VMs (``CIB_file``, as the lab does): the guests have no Pacemaker, and the DRBD
    actions' guard rails ask it whether it manages a resource. The real tools answer;
    everything else goes to the VM.

    Args:
        vm: the VM's runner.
        cib: the CIB file (:meth:`tests.vmlab.pair.Pair.seed_cib`).
    """

    def __init__(self, vm: VmRunner, cib: str) -> None:
        self.vm = vm
        self.node, self.timeout = vm.node, vm.timeout
        self.pacemaker = LocalRunner(node=vm.node, env={"CIB_file": cib}, timeout=vm.timeout)

    def _for(self, argv: Sequence[str]) -> Runner:
        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        return self.pacemaker if tool in PACEMAKER_TOOLS else self.vm

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        return self._for(argv).run(argv, timeout=timeout, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        return self.vm.read_file(path, timeout=timeout)


class VmAccess(Access):
    """The two VMs as a cluster: node ``a`` is where hadeck runs, ``b`` its peer."""

    def __init__(self, runners: Sequence[Runner]) -> None:
        super().__init__(runners[0])
        self._runners = {r.node: r for r in runners}

    def runner(self, node: str) -> Runner:
        return self._runners[node]

    def nodes(self) -> tuple[str, ...]:
        return tuple(self._runners)


def opened(runners: Sequence[VmRunner], director: str = "a", cib: str | None = None
           ) -> Opened:
    """The pair opened as a face opens a cluster: ``director`` is the LVS director;
    with ``cib``, Pacemaker's tools read and change that CIB file (:class:`WithPacemaker`)."""
    nodes: Sequence[Runner] = runners if cib is None else [WithPacemaker(r, cib)
                                                           for r in runners]
    return Opened(VmAccess(nodes), Config(directors=(director,), timeout=VM_TIMEOUT))
