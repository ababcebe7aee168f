"""The Pacemaker side of the lab: a CIB file driven by the real Pacemaker tools.

A :class:`CibScenario` is one directory holding ``cib.xml``. Every change goes through
the real command-line tools of pacemaker-cli-utils with ``CIB_file`` pointing at that file
(``crm_resource``, ``crm_attribute``, ``cibadmin``), and the real scheduler decides what
happens next: :meth:`CibScenario.converge` runs ``crm_simulate -S -O`` until the
transition graph it computes is empty, as a cluster settles after an event. What
``crm_mon`` then prints is byte-for-byte what it would print on a cluster in that state,
so the lab feeds the very parsers used on a real cluster.

This module is the driver: it runs the tools, converges, and keeps the timings. What it
drives with lives beside it, one job per module:

* :mod:`hadeck.lab.seed`: the seed cluster's shape (:class:`~hadeck.lab.seed.Layout`,
  kept next to the CIB as ``scenario.json``), its CIB, and where the scheduler places it;
* :mod:`hadeck.lab.controller`: what the controller would write where file mode has
  none (lost and rejoining members, cancelled monitors, clean-up);
* :mod:`hadeck.lab.history` and :mod:`hadeck.lab.graph`: a big lab's fast paths, the
  operation records as Pacemaker writes them and the scheduler's transitions executed
  in Python;
* :mod:`hadeck.lab.cib_xml`: reading and writing the CIB file;
* :mod:`hadeck.lab.errors`: :class:`~hadeck.lab.errors.LabError`.

File mode has gaps where the controller normally acts; the scenario fills them the way
the controller would (PACEMAKER.md §1, "Pitfalls"):

* a failed node gets ``crmd="offline" join="down"`` and loses its transient attributes
  (``crm_simulate --node-fail`` only clears ``in_ccm``);
* a cancelled recurring monitor disappears from the history (crm_simulate records the
  cancel as one more operation, and role or maintenance changes then never converge);
* a failed stop sets the fail count to INFINITY (2.1.5's crm_simulate adds 1);
* ``crm_resource --cleanup`` crashes in file mode, so clean-up deletes the fail counts
  and the failed operations itself;
* promotion scores (``master-<primitive>``) and ``pingd`` are transient attributes that
  the DRBD and ping agents would set; the seed sets them.

Big clusters (more than :data:`FAST_PATH_ABOVE` guests) take two shortcuts where
crm_simulate's cost grows with the CIB, both checked against the real tools on the small
seed (tests/sources/test_pacemaker.py, ``TestFastPaths``): the seed writes the status the
controller records once the cluster has settled and the scheduler only confirms it
(:func:`~hadeck.lab.history.write_converged_status`), and each transition the scheduler
computes (``crm_simulate -R``) is recorded in Python exactly as ``crm_simulate -S``
records it (:func:`~hadeck.lab.graph.apply_graph`). The scheduler still makes every
decision. Measured on 2 cores at 16 nodes / 500 guests (a 13 MB CIB): seeding 10 s
instead of many minutes, a node failure 15 s instead of 110 s, a node's recovery 22 s
instead of more than 10 minutes.

Every operation raises :class:`LabError` with the tool's own message when a command fails.
Timings of the crm_simulate runs are kept in :attr:`CibScenario.timings`.
"""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hadeck.lab.cib_xml import read_xml, write_xml, xml_id
from hadeck.lab.controller import clean_up, fail_nodes, forget_cancelled, rejoin_node
from hadeck.lab.errors import LabError
from hadeck.lab.graph import NotSimulated, apply_graph, count_synapses, graph_actions
from hadeck.lab.history import write_converged_status
from hadeck.lab.seed import Layout, seed_attributes, seed_cib
from hadeck.runner import CommandResult, LocalRunner

CIB_NAME = "cib.xml"
GRAPH_NAME = "graph.xml"
LAYOUT_NAME = "scenario.json"

MAX_CONVERGE_ROUNDS = 25
COMMAND_TIMEOUT = 600.0
"""Generous: a 500-guest scheduler run takes a while, a hung tool still ends."""
FAST_PATH_ABOVE = 8
"""Above this many guests the seed writes the converged status itself and transitions are
recorded in Python (:attr:`CibScenario.fast`).

Measured on 2 cores: letting crm_simulate bring 16 nodes / 100 guests up took 212 s, nearly
all of it executing ~5,000 probes inside crm_simulate; the small seeds take under a second
and stay exactly as the real tools make them (the 2.1.5 fixtures come from them). Both
paths give the same status there apart from timestamps, but the real one stays the
reference.
"""


@dataclass(frozen=True)
class Timing:
    """How long one crm_simulate run took."""

    label: str
    seconds: float


class CibScenario:
    """A simulated Pacemaker cluster: one CIB file and the real tools that change it.

    Build one with :meth:`seed` (or :meth:`open` an existing directory, or :meth:`copy`
    a converged one, which is much cheaper than seeding again), change it with the
    operations below, and read it with :meth:`crm_mon_xml` and
    :meth:`cib_configuration_xml`. Each operation leaves the cluster converged.
    """

    def __init__(self, directory: Path | str, layout: Layout) -> None:
        self.directory = Path(directory)
        self.layout = layout
        self.cib = self.directory / CIB_NAME
        self.graph = self.directory / GRAPH_NAME
        self.runner = LocalRunner(node="lab", env={"CIB_file": str(self.cib)})
        self.timings: list[Timing] = []
        self.fast = layout.guests > FAST_PATH_ABOVE
        """Execute transitions in Python (:meth:`execute_graph`) rather than in crm_simulate:
        by default above :data:`FAST_PATH_ABOVE` guests, so small labs stay exactly as
        crm_simulate makes them."""

    # ------------------------------------------------------------------ building

    @classmethod
    def seed(
        cls,
        directory: Path | str,
        *,
        guest_nodes: Sequence[str] = ("jupiter1", "jupiter2"),
        arbiter: str | None = "sun",
        guests: int = 2,
        ping_host_count: int = 1,
        xen_guests: Sequence[int] = (),
        fast: bool | None = None,
    ) -> CibScenario:
        """Write the seed cluster into ``directory`` and bring it up, converged.

        Small clusters are brought up by the scheduler itself (``crm_simulate --node-up``
        probes and starts everything); above :data:`FAST_PATH_ABOVE` guests that costs
        minutes, so the status section the controller would have recorded is written
        directly (:func:`write_converged_status`) and the scheduler only confirms it.

        Args:
            directory: where ``cib.xml`` goes (created if missing).
            guest_nodes: nodes that carry guests and DRBD (two or more).
            arbiter: a quorum node that may run nothing but the ping clone; None for none.
            guests: how many ``vmN`` guests, each on its own promotable DRBD clone.
            ping_host_count: hosts in the ping clone's ``host_list`` (pingd = 100 × this).
            xen_guests: which guest numbers are Xen guests (``ocf:heartbeat:Xen``).
            fast: write the converged status directly (True), let crm_simulate bring the
                nodes up (False), or decide by size (None).

        Returns:
            The scenario, with every node online and every resource placed.

        Raises:
            LabError: a tool rejected the CIB or the cluster did not settle.
        """
        if len(guest_nodes) < 2:
            raise LabError("the seed needs at least two guest nodes")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        layout = Layout(tuple(guest_nodes), arbiter, guests, ping_host_count)
        layout = Layout(
            layout.guest_nodes, arbiter, guests, ping_host_count, seed_attributes(layout),
            tuple(xen_guests),
        )
        scenario = cls(directory, layout)
        scenario.cib.write_text(seed_cib(layout))
        (directory / LAYOUT_NAME).write_text(layout.to_json())
        scenario.run(("crm_verify", "-x", str(scenario.cib)))
        if fast if fast is not None else guests > FAST_PATH_ABOVE:
            # The controller's record of the placement, written at once; the real
            # scheduler then confirms it (an empty graph) or corrects it.
            root = read_xml(scenario.cib)
            write_converged_status(root, layout, int(time.time()))
            write_xml(scenario.cib, root)
            scenario.converge()
            return scenario
        node_up = [arg for node in layout.nodes for arg in ("--node-up", node)]
        scenario.simulate("nodes up", *node_up, "--quorum", "1")
        for node in layout.nodes:
            scenario._set_transient(node, layout.seed_attributes.get(node, {}))
        scenario.converge()
        return scenario

    @classmethod
    def open(cls, directory: Path | str) -> CibScenario:
        """A scenario already on disk (seeded earlier, or copied)."""
        directory = Path(directory)
        layout_file = directory / LAYOUT_NAME
        if not (directory / CIB_NAME).is_file() or not layout_file.is_file():
            raise LabError(f"{directory}: no seeded scenario here")
        return cls(directory, Layout.from_json(layout_file.read_text()))

    def copy(self, directory: Path | str) -> CibScenario:
        """Copy this scenario's files into ``directory`` and return the copy."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name in (CIB_NAME, LAYOUT_NAME):
            shutil.copyfile(self.directory / name, target / name)
        return CibScenario(target, self.layout)

    # ------------------------------------------------------------------ tools

    def run(self, argv: Sequence[str], ok_codes: Sequence[int] = (0,),
            input: str | None = None) -> CommandResult:
        """Run one tool against this CIB (``CIB_file`` is set).

        Raises:
            LabError: the tool could not run, or exited with a code not in ``ok_codes``.
        """
        result = self.runner.run(argv, timeout=COMMAND_TIMEOUT, input=input)
        if result.error is not None or result.returncode not in ok_codes:
            detail = (result.stderr.strip() or result.stdout.strip())[-2000:]
            raise LabError(f"{' '.join(argv)}: {result.reason()}\n{detail}".rstrip())
        return result

    def simulate(self, label: str, *args: str) -> int:
        """One scheduler run that applies its own transition; returns its action count.

        Args:
            label: what the run is for, kept with its timing.
            *args: extra crm_simulate options (``--node-up n``, ``-i op@n=rc`` …).
        """
        argv = ("crm_simulate", "-x", str(self.cib), *args,
                "-S", "-O", str(self.cib), "-G", str(self.graph))
        start = time.monotonic()
        self.run(argv)
        self.timings.append(Timing(label, time.monotonic() - start))
        self._forget_cancelled_monitors()
        return count_synapses(self.graph)

    def schedule(self, label: str = "schedule") -> int:
        """One scheduler run that only computes the transition; returns its action count.

        ``crm_simulate -R`` leaves the CIB alone and saves the graph, which
        :meth:`execute_graph` then applies.
        """
        argv = ("crm_simulate", "-x", str(self.cib), "-R", "-Q", "-G", str(self.graph))
        start = time.monotonic()
        self.run(argv)
        self.timings.append(Timing(label, time.monotonic() - start))
        return count_synapses(self.graph)

    def execute_graph(self) -> bool:
        """Record the saved transition's actions in the CIB as ``crm_simulate -S`` does.

        Every action succeeds with the result the scheduler expects (probes of resources
        not running get rc 7, a promoted monitor rc 8), recorded exactly as
        ``simulate_resource_action`` and ``pcmk__create_history_xml`` in Pacemaker 2.1.5
        record it; cancelled monitors are then forgotten as the controller forgets them.

        Returns:
            False when the graph holds something this does not execute (fencing): the
            caller lets crm_simulate run it instead.
        """
        start = time.monotonic()
        root = read_xml(self.cib)
        graph = read_xml(self.graph)
        try:
            recorded = apply_graph(root, graph, int(time.time()))
        except NotSimulated:
            return False
        forget_cancelled(root)
        root.set("num_updates", str(int(root.get("num_updates", "0")) + recorded))
        write_xml(self.cib, root)
        self.timings.append(Timing("execute", time.monotonic() - start))
        return True

    def converge(self, max_rounds: int = MAX_CONVERGE_ROUNDS) -> int:
        """Run the scheduler until it has nothing left to do; returns the rounds run.

        A big cluster's transitions are executed here rather than by ``crm_simulate -S``,
        whose executor rewrites the whole CIB for every action: on 16 nodes / 500 guests
        (a 13 MB CIB) each action cost 0.5 s, so a failed node's 260 actions took 150 s
        and a recovered node's 1,000 probes more than 10 minutes. The scheduler still
        decides every action; only the recording of their results moves to Python.

        Raises:
            LabError: still busy after ``max_rounds`` (the pending actions are named).
        """
        for rounds in range(1, max_rounds + 1):
            if not self.fast:
                if self.simulate("converge") == 0:
                    return rounds
                continue
            if self.schedule("converge") == 0:
                return rounds
            if not self.execute_graph():
                self.simulate("converge")
        raise LabError(
            f"the cluster did not settle after {max_rounds} scheduler runs; pending: "
            + ", ".join(graph_actions(self.graph)[:20])
        )

    # ------------------------------------------------------------------ reading

    def crm_mon_xml(self) -> str:
        """``crm_mon --output-as=xml``, exactly as the tool prints it."""
        return self.run(("crm_mon", "--output-as=xml")).stdout

    def crm_mon_as_xml(self) -> str:
        """The old-style ``crm_mon --as-xml`` of the same cluster."""
        return self.run(("crm_mon", "--as-xml")).stdout

    def crm_mon_text(self) -> str:
        """``crm_mon -1 -r -f -A``: the text an operator reads."""
        return self.run(("crm_mon", "-1", "-r", "-f", "-A")).stdout

    def cib_configuration_xml(self) -> str:
        """``cibadmin -Q -o configuration``, exactly as the tool prints it."""
        return self.run(("cibadmin", "-Q", "-o", "configuration")).stdout

    # ------------------------------------------------------------------ nodes

    def fail_node(self, *nodes: str, have_quorum: bool | None = None) -> None:
        """Crash ``nodes`` at once, writing what the controller writes for lost members.

        Args:
            *nodes: the nodes that go down.
            have_quorum: whether the survivors keep quorum; None leaves it as it is
                (``fail_node("jupiter2", "sun", have_quorum=False)`` loses quorum).
        """
        if self.fast:
            self._edit_status(lambda root: fail_nodes(root, self.layout, nodes, have_quorum))
            self.converge()
            return
        for node in nodes:
            node_id = self.layout.node_id(node)
            self._modify_status(
                f'<node_state id="{node_id}" uname="{node}" in_ccm="false" crmd="offline" '
                'join="down"/>'
            )
            self._delete_transient(node_id)
        if self._dc_id() in {self.layout.node_id(node) for node in nodes}:
            self._elect_dc()
        if have_quorum is not None:
            self._set_have_quorum(have_quorum)
        self.converge()

    def recover_node(self, node: str) -> None:
        """Bring ``node`` back: it rejoins with an empty history and its agents' attributes."""
        if self.fast:
            self._edit_status(lambda root: rejoin_node(root, self.layout, node))
            self.converge()
            return
        node_id = self.layout.node_id(node)
        self._modify_status(
            f'<node_state id="{node_id}" uname="{node}" in_ccm="true" crmd="online" '
            'join="member" expected="member"/>'
        )
        # The DC erases a joining node's operation history; the node is probed afresh.
        self._delete_xpath(f"//node_state[@id='{node_id}']/lrm")
        self._delete_transient(node_id)
        self._set_transient(node, self.layout.seed_attributes.get(node, {}))
        self.converge()

    def add_agent_attributes(self, node: str, attributes: dict[str, str]) -> None:
        """Attributes an agent of a resource added since the seed would set on ``node``
        (a new guest's DRBD promotion score): set now, and again whenever the node
        rejoins, like the seed's."""
        self.layout.seed_attributes.setdefault(node, {}).update(attributes)
        (self.directory / LAYOUT_NAME).write_text(self.layout.to_json())
        self._set_transient(node, attributes)

    def set_node_attr(self, node: str, name: str, value: str | None) -> None:
        """Set (or with None delete) a transient node attribute, as an agent would."""
        if value is None:
            self.run(("crm_attribute", "-N", node, "-n", name, "-l", "reboot", "-D"))
        else:
            self.run(("crm_attribute", "-N", node, "-n", name, "-v", value, "-l", "reboot"))
        self.converge()

    def standby(self, node: str, on: bool = True) -> None:
        """Put ``node`` in standby (or take it out)."""
        self._node_flag(node, "standby", on)

    def node_maintenance(self, node: str, on: bool = True) -> None:
        """Put ``node`` in maintenance mode (or take it out)."""
        self._node_flag(node, "maintenance", on)

    def cluster_maintenance(self, on: bool = True) -> None:
        """Set or clear the cluster-wide ``maintenance-mode`` property."""
        argv = ["crm_attribute", "-t", "crm_config", "-n", "maintenance-mode"]
        self.run((*argv, "-v", "true") if on else (*argv, "-D"))
        self.converge()

    def set_quorum(self, have_quorum: bool) -> None:
        """Tell the scheduler the partition has (or lost) quorum."""
        if self.fast:
            self._edit_status(lambda root: root.set("have-quorum", "1" if have_quorum else "0"))
        else:
            self._set_have_quorum(have_quorum)
        self.converge()

    # ------------------------------------------------------------------ resources

    def fail_op(
        self,
        rsc: str,
        node: str,
        op: str = "monitor",
        interval_ms: int | None = None,
        rc: int = 7,
    ) -> None:
        """Make one operation of primitive ``rsc`` fail on ``node``.

        A monitor failure is injected with ``crm_simulate -i``; a stop failure is what
        really happens when a monitor fails and the recovery's stop fails too, so the
        running monitor fails and the stop gets ``rc`` (default 1 then), and the fail
        count is set to INFINITY as the controller does.

        Args:
            rsc: the primitive (for a clone, the primitive inside it).
            node: where the operation fails.
            op: ``monitor``, ``stop``, ``start``, ``promote`` …
            interval_ms: for a monitor, its interval; default the recurring monitor
                that runs there now.
            rc: the OCF exit code (7 = not running).
        """
        if op == "monitor":
            interval = interval_ms if interval_ms is not None else self._monitor_interval(rsc,
                                                                                        node)
            self.simulate(f"fail {rsc} monitor", "-i", f"{rsc}_monitor_{interval}@{node}={rc}")
        elif op == "stop":
            interval = self._monitor_interval(rsc, node)
            stop_rc = 1 if rc == 7 else rc
            self.simulate(f"fail {rsc} stop",
                          "-i", f"{rsc}_monitor_{interval}@{node}=7",
                          "-F", f"{rsc}_stop_0@{node}={stop_rc}")
            self.run(("crm_attribute", "-N", node, "-n", f"fail-count-{rsc}#stop_0",
                      "-v", "INFINITY", "-l", "reboot"))
        else:
            interval = interval_ms or 0
            self.simulate(f"fail {rsc} {op}", "-i", f"{rsc}_{op}_{interval}@{node}={rc}")
        self.converge()

    def move(self, rsc: str, node: str, lifetime: str | None = None) -> None:
        """``crm_resource --move``: leaves a ``cli-prefer-<rsc>`` constraint behind."""
        extra = ("--lifetime", lifetime) if lifetime else ()
        self.run(("crm_resource", "--move", "-r", rsc, "-N", node, *extra))
        self.converge()

    def ban(self, rsc: str, node: str) -> None:
        """``crm_resource --ban``: a ``cli-ban-<rsc>-on-<node>`` constraint."""
        self.run(("crm_resource", "--ban", "-r", rsc, "-N", node))
        self.converge()

    def clear(self, rsc: str, node: str | None = None) -> None:
        """``crm_resource --clear``: drop the ``cli-`` constraints of ``rsc``."""
        extra = ("-N", node) if node else ()
        self.run(("crm_resource", "--clear", "-r", rsc, *extra))
        self.converge()

    def set_target_role(self, rsc: str, role: str | None) -> None:
        """Set the ``target-role`` meta attribute (``Stopped`` disables); None removes it."""
        base = ("crm_resource", "-r", rsc, "--meta")
        if role is None:
            self.run((*base, "-d", "target-role"))
        else:
            self.run((*base, "-p", "target-role", "-v", role))
        self.converge()

    def set_managed(self, rsc: str, managed: bool) -> None:
        """Set the ``is-managed`` meta attribute."""
        self.run(("crm_resource", "-r", rsc, "--meta", "-p", "is-managed",
                  "-v", "true" if managed else "false"))
        self.converge()

    def cleanup(self, rsc: str | None, node: str | None = None) -> None:
        """Emulate ``crm_resource --cleanup [-r rsc] [-N node]``, which crashes in file mode.

        Deletes the resource's fail counts and last-failure attributes and its recorded
        failures; where its last operation failed the history goes entirely, so the
        resource is probed again, as the controller does after a clean-up. Without
        ``rsc``, every resource the status section knows.
        """
        root = read_xml(self.cib)
        names = [rsc] if rsc else sorted({
            lrm.get("id", "") for lrm in root.iterfind(
                "./status/node_state/lrm/lrm_resources/lrm_resource")})
        for name in names:
            clean_up(root, self.layout, name, (node,) if node else self.layout.nodes)
        write_xml(self.cib, root)
        self.converge()

    # ------------------------------------------------------------------ helpers

    def _node_flag(self, node: str, name: str, on: bool) -> None:
        self.run(("crm_attribute", "-N", node, "-n", name, "-v", "on" if on else "off",
                  "-l", "forever"))
        self.converge()

    def _monitor_interval(self, rsc: str, node: str) -> str:
        root = read_xml(self.cib)
        node_id = self.layout.node_id(node)
        for op in root.iterfind(
            f"./status/node_state[@id='{node_id}']/lrm/lrm_resources/"
            f"lrm_resource[@id='{rsc}']/lrm_rsc_op[@operation='monitor']"
        ):
            if op.get("interval", "0") != "0":
                return op.get("interval", "0")
        raise LabError(f"{rsc} has no recurring monitor running on {node}")

    def _set_transient(self, node: str, attributes: dict[str, str]) -> None:
        """Write transient attributes in one cibadmin call (crm_attribute takes one each)."""
        if not attributes:
            return
        node_id = self.layout.node_id(node)
        set_id = f"status-{node_id}"
        state = ET.Element("node_state", id=node_id)
        transient = ET.SubElement(state, "transient_attributes", id=node_id)
        nvset = ET.SubElement(transient, "instance_attributes", id=set_id)
        for name, value in attributes.items():
            ET.SubElement(nvset, "nvpair", id=xml_id(f"{set_id}-{name}"), name=name,
                          value=value)
        self._modify_status(ET.tostring(state, encoding="unicode"))

    def _edit_status(self, edit: Callable[[ET.Element], object]) -> None:
        """Apply the controller's node-state edits of a big cluster in one pass.

        The small-cluster path makes the same edits with cibadmin, one call each; on a
        13 MB CIB each call costs 1.5–2 s (a recovery takes four). The fast-path tests
        check that both leave the same status.
        """
        root = read_xml(self.cib)
        edit(root)
        root.set("num_updates", str(int(root.get("num_updates", "0")) + 1))
        write_xml(self.cib, root)

    def _modify_status(self, xml_text: str) -> None:
        self.run(("cibadmin", "--modify", "-o", "status", "--xml-pipe"), input=xml_text)

    def _delete_transient(self, node_id: str) -> None:
        self._delete_xpath(f"//node_state[@id='{node_id}']/transient_attributes")

    def _delete_xpath(self, xpath: str) -> None:
        # cibadmin exits 105 (no such device or address) when nothing matches.
        self.run(("cibadmin", "--delete", "--xpath", xpath), ok_codes=(0, 105))

    def _dc_id(self) -> str | None:
        return read_xml(self.cib).get("dc-uuid")

    def _elect_dc(self) -> None:
        """A new DC is elected among the members still up."""
        root = read_xml(self.cib)
        for state in root.iterfind("./status/node_state"):
            if state.get("crmd") == "online" and state.get("in_ccm") != "false":
                self.run(("cibadmin", "--modify", "--xml-text",
                          f'<cib dc-uuid="{state.get("id")}"/>'))
                return

    def _set_have_quorum(self, have_quorum: bool) -> None:
        # crm_simulate --quorum does not persist into -O; the attribute on <cib> does.
        self.run(("cibadmin", "--modify", "--xml-text",
                  f'<cib have-quorum="{1 if have_quorum else 0}"/>'))

    def _forget_cancelled_monitors(self) -> None:
        """Drop cancel records and the monitors they cancelled, as the controller does."""
        # Parsing a 13 MB CIB costs 0.5 s; most runs cancel nothing.
        if 'operation="cancel"' not in self.cib.read_text():
            return
        root = read_xml(self.cib)
        if forget_cancelled(root):
            write_xml(self.cib, root)
