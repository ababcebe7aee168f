"""Preview: what Pacemaker's own scheduler would do, decided on a copy of the live CIB.

The same way an experienced operator previews by hand (shared PACEMAKER.md, section 3)::

    cibadmin -Q > copy.xml                     # through the runner: the node's live CIB
    CIB_file=copy.xml <the plan's argv>        # here, on the private copy
    crm_simulate -x copy.xml -R                # the real scheduler's transition

The copy is a private file (a 0700 directory, the file 0600, never through a symlink:
:mod:`hadeck.outfile`) removed afterwards; it holds the whole CIB, secrets included.
``crm_resource --cleanup`` cannot run on a file (Pacemaker 2.1.5 skips it and then
crashes), so a clean-up is applied to the copy as the controller would: fail counts,
last-failure attributes and failed operations forgotten.

The "Transition Summary" lines become :class:`Change` objects in the operator's words
(``vm1: migrate jupiter1 → jupiter2``; a clone's instances under the clone's name). A
request the scheduler would not carry out — the resource stays where it is, or does not
start — is listed in :attr:`Preview.blocked` with the allocation score that stops it
(``crm_simulate -s`` of the copy) and the constraints behind that score.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from xml.sax.saxutils import quoteattr

from hadeck.actions.plan import Plan
from hadeck.actions.settle import settled_cib
from hadeck.outfile import create
from hadeck.runner import CommandResult, LocalRunner, Runner

SIMULATE = ("crm_simulate", "-R")
"""The scheduler's run on the copy (``-x FILE`` added): its transition, nothing executed."""
SCORES = ("crm_simulate", "-s")
"""Allocation scores of the copy, asked only when something would not happen."""

_LINE = re.compile(r"^\s*\*\s+(?P<verb>[A-Z][\w-]*(?: \([\w-]+\))?)\s+(?P<rsc>\S+)\s+"
                   r"\(\s*(?P<inside>.*?)\s*\)\s*(?P<rest>.*)$")
_SCORE = re.compile(r"^(?:\S+: )?(?P<rsc>\S+) allocation score on (?P<node>\S+): "
                    r"(?P<score>\S+)$")
_ROLES = ("Started", "Stopped", "Promoted", "Unpromoted", "Master", "Slave")


class PreviewError(Exception):
    """The preview could not be made; the message says why, in one line."""


@dataclass(frozen=True)
class Change:
    """One line of the scheduler's transition, in the operator's words.

    Attributes:
        resource: the primitive (a clone instance's ``:N`` dropped).
        verb: ``move``, ``migrate``, ``start``, ``stop``, ``promote``, ``demote``,
            ``restart``, ``recover`` … (the scheduler's word, lower case).
        source: the node it leaves or acts on, if any.
        dest: the node it goes to, if any.
        words: ``vm1: migrate jupiter1 → jupiter2``.
        top: the top-level resource it belongs to (its group or clone; itself).
        reason: the scheduler's ``due to …``, if it gave one.
    """

    resource: str
    verb: str
    source: str | None
    dest: str | None
    words: str
    top: str = ""
    reason: str = ""

    @property
    def node(self) -> str | None:
        """Where it ends up: the destination, else the node it acts on."""
        return self.dest or self.source

    def action(self) -> str:
        """The change without the resource's name: ``migrate jupiter1 → jupiter2``."""
        return self.words.split(": ", 1)[-1]


@dataclass(frozen=True)
class Preview:
    """What the scheduler would do.

    Attributes:
        changes: every line of the transition.
        blocked: what was asked but would not happen, each with its reason.
        text: the preview as shown to the operator, one line per top-level resource.
        unchanged: top-level resources the transition leaves alone.
        scores: the copy's allocation scores by (resource, node), when they were asked.
        transition: the scheduler's own "Transition Summary" lines.
        if_gone: for maintenance of a node, what the scheduler would do if that node
            could run nothing (what would stop has no other node to go to).
        afterwards: what the scheduler would do once the plan's ``after`` steps ran
            (a move's cli-prefer cleared), on the cluster settled as previewed.
    """

    changes: tuple[Change, ...]
    blocked: tuple[str, ...]
    text: str
    unchanged: tuple[str, ...] = ()
    scores: Mapping[tuple[str, str], str] = field(default_factory=dict)
    transition: tuple[str, ...] = ()
    if_gone: tuple[Change, ...] = ()
    afterwards: tuple[Change, ...] = ()

    def of(self, top: str) -> tuple[Change, ...]:
        """The changes of one top-level resource (or one primitive)."""
        return tuple(c for c in self.changes if top in (c.top, c.resource))


# --------------------------------------------------------------------------- parsing


def transition_lines(text: str) -> tuple[str, ...]:
    """The lines under crm_simulate's "Transition Summary:" heading."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("Transition Summary:"):
            inside = True
            continue
        if inside:
            if line and not line.startswith(" "):
                break
            if line.strip():
                lines.append(line.rstrip())
    return tuple(lines)


def parse_transition(text: str, tops: Mapping[str, str] | None = None,
                     nodes: Sequence[str] = (), clones: Sequence[str] = ()
                     ) -> tuple[Change, ...]:
    """crm_simulate's "Transition Summary" as changes (pure).

    Args:
        text: crm_simulate's output (``-R`` or ``-S``).
        tops: primitive → top-level resource (its group or clone); missing: itself.
        nodes: the cluster's node names, to tell a node from a role inside ``( … )``.
        clones: the clones among the top-level resources: their instances are shown
            under the clone's name (``ms_drbd_vm1: promote on jupiter2``).

    Returns:
        One change per summary line it understands (fencing and shutdown lines too,
        with the node as ``source``).
    """
    tops = tops or {}
    known = set(nodes)
    changes: list[Change] = []
    for line in transition_lines(text):
        match = _LINE.match(line)
        if match is None:
            # "* Fence (reboot) jupiter1 'peer is no longer part of the cluster'",
            # "* Shutdown jupiter1"
            node = re.match(r"^\s*\*\s+(Fence|Shutdown)(?: \([\w-]+\))?\s+'?([^\s']+)",
                            line)
            if node:
                words = line.strip().lstrip("* ").strip()
                changes.append(Change("", node.group(1).lower(), node.group(2), None,
                                      " ".join(words.split())))
            continue
        verb = match.group("verb").lower()
        prim = match.group("rsc").split(":", 1)[0]
        top = tops.get(prim, prim)
        left, _, right = match.group("inside").partition("->")
        source = _node_word(left, known)
        dest = _node_word(right, known) if right else None
        reason = match.group("rest").strip()
        shown = top if top in clones else prim
        if verb in ("move", "migrate") and source and dest:
            action = f"{verb} {source} → {dest}"
        elif verb in ("promote", "demote") and (dest or source):
            action = f"{verb} on {dest or source}"
        else:
            where = dest or source
            action = f"{verb} on {where}" if where else verb
        if reason:
            action += f" ({reason})"
        changes.append(Change(prim, verb, source, dest, f"{shown}: {action}", top, reason))
    return tuple(changes)


def _node_word(text: str, known: set[str]) -> str | None:
    words = [w for w in text.split() if w not in _ROLES]
    if not words:
        return None
    if known:
        found = [w for w in words if w in known]
        return found[-1] if found else None
    return words[-1]


def parse_scores(text: str) -> dict[tuple[str, str], str]:
    """``crm_simulate -s`` allocation scores by (resource, node); the last one printed
    for a pair wins (the primitive's own assignment comes after its parent's)."""
    scores: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        match = _SCORE.match(line.strip())
        if match:
            scores[(match.group("rsc"), match.group("node"))] = match.group("score")
    return scores


# --------------------------------------------------------------------------- the CIB copy


@dataclass(frozen=True)
class CibFacts:
    """What the preview needs from the copied CIB."""

    tops: Mapping[str, str]
    """primitive (or group) id → its top-level resource."""
    parents: Mapping[str, tuple[str, ...]]
    """resource id → itself and the resources above it (group, clone)."""
    nodes: tuple[str, ...]
    clones: frozenset[str]
    """Top-level clones (promotable or not)."""
    configuration: ET.Element
    """The CIB's ``<configuration>``."""
    text: str
    """The whole CIB."""

    @cached_property
    def root(self) -> ET.Element:
        """The whole CIB, status included, parsed when first asked (a clean-up, or why
        something would not happen): on a 1.6 MiB CIB that is 35–60 ms, mostly for a
        status section the preview does not read otherwise."""
        return _parsed(self.text)


_CIB = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?<cib\b")
_CONFIGURATION = re.compile(r"<configuration\s*>")


def _parsed(text: str) -> ET.Element:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise PreviewError(f"cibadmin -Q printed no CIB: {exc}") from None
    if root.tag != "cib":
        raise PreviewError(f"cibadmin -Q printed <{root.tag}>, not a CIB")
    return root


def cib_facts(text: str) -> CibFacts:
    """The resource tree and nodes of a CIB document.

    Only the ``<configuration>`` section is parsed (the status is most of a big CIB),
    unless the text does not look like one whole CIB: then all of it, to say why not.

    Raises:
        PreviewError: the text is not a CIB.
    """
    start = _CONFIGURATION.search(text)
    end = text.find("</configuration>", start.end()) if start else -1
    configuration: ET.Element | None = None
    if start and end >= 0 and _CIB.match(text) and text.rstrip().endswith("</cib>"):
        try:
            configuration = ET.fromstring(text[start.start():end + len("</configuration>")])
        except ET.ParseError:
            configuration = None
    if configuration is None:
        configuration = _parsed(text).find("configuration")
        if configuration is None:
            configuration = ET.Element("configuration")
    tops: dict[str, str] = {}
    parents: dict[str, tuple[str, ...]] = {}
    resources = configuration.find("resources")

    def walk(el: ET.Element, chain: tuple[str, ...], top: str | None) -> None:
        for child in el:
            if child.tag not in ("primitive", "group", "clone", "master", "bundle"):
                continue
            ident = child.get("id", "")
            here = (ident, *chain)
            parents[ident] = here
            tops[ident] = top or ident
            walk(child, here, top or ident)

    if resources is not None:
        walk(resources, (), None)
    nodes = tuple(n.get("uname", "") for n in configuration.iterfind("./nodes/node"))
    clones = frozenset(el.get("id", "") for el in (resources if resources is not None else ())
                       if el.tag in ("clone", "master"))
    return CibFacts(tops, parents, nodes, clones, configuration, text)


def clean_up_copy(root: ET.Element, rsc: str | None, node: str | None) -> None:
    """What ``crm_resource --cleanup [-r rsc] [-N node]`` leaves in the status section.

    Fail counts and last-failure attributes go, failed operations too; a resource whose
    last operation failed loses its history, so the scheduler probes it again (as the
    controller does).
    """
    prefixes = ((f"fail-count-{rsc}#", f"last-failure-{rsc}#") if rsc else
                ("fail-count-", "last-failure-"))
    for state in root.iterfind("./status/node_state"):
        if node and state.get("uname") != node:
            continue
        for nvset in state.iterfind("./transient_attributes/instance_attributes"):
            for nvpair in list(nvset):
                if nvpair.get("name", "").startswith(prefixes):
                    nvset.remove(nvpair)
        for holder in state.iterfind("./lrm/lrm_resources"):
            for lrm in list(holder):
                ident = lrm.get("id", "")
                if rsc and ident.split(":", 1)[0] != rsc:
                    continue
                failed = [op for op in lrm if op.get("id", "").endswith("_last_failure_0")]
                last = next((op for op in lrm if op.get("id", "").endswith("_last_0")), None)
                if failed or (last is not None and (last.get("op-status", "0") != "0" or
                                                    last.get("rc-code", "0") not in
                                                    ("0", "7", "8"))):
                    holder.remove(lrm)


# --------------------------------------------------------------------------- the preview


def preview(plan: Plan, runner: Runner, local: Runner | None = None,
            timeout: float | None = None) -> Preview:
    """Preview ``plan`` with the real scheduler on a copy of the live CIB.

    Args:
        plan: what would run.
        runner: the runner of the node the plan's commands run on (``cibadmin -Q``).
        local: runs the plan's commands and crm_simulate on the copy (default: a
            :class:`~hadeck.runner.LocalRunner` here, with ``CIB_file`` set).
        timeout: seconds for each command (default: the runner's).

    Returns:
        The preview.

    Raises:
        PreviewError: the CIB could not be read, a command failed on the copy, or
            crm_simulate did not answer.
    """
    got = runner.run(("cibadmin", "-Q"), timeout=timeout)
    if not got.ok or not got.stdout.strip():
        raise PreviewError(f"cannot copy the CIB: {got.reason()}")
    facts = cib_facts(got.stdout)
    workdir = tempfile.mkdtemp(prefix="hadeck-preview-")
    try:
        copy = os.path.join(workdir, "cib.xml")
        text = got.stdout
        moved = None
        if plan.request.verb == "cleanup":
            clean_up_copy(facts.root, plan.resource, plan.node)
            text = ET.tostring(facts.root, encoding="unicode")
        else:
            moved = move_on_copy(plan, text, facts) or attribute_on_copy(plan, text)
            if moved is not None:
                text = moved
        written = _unvalidated(text)
        with create(copy) as handle:
            handle.write(written.encode())
        here = local or LocalRunner(env=copy_env(copy), timeout=timeout or runner.timeout)
        if_gone: tuple[Change, ...] = ()
        if plan.request.verb == "node-maintenance" and plan.request.option == "on" \
                and plan.node:
            # On the CIB as read (not with the maintenance): what if the node went.
            if_gone = _if_gone(plan.node, _unvalidated(got.stdout), workdir, facts,
                               timeout or runner.timeout)
        if plan.request.verb != "cleanup" and moved is None:
            for step in plan.steps:
                done = here.run(step.argv, timeout=timeout)
                if not done.ok:
                    raise PreviewError(f"on a copy of the CIB, {_quoted(step.argv)} failed: "
                                       f"{done.reason()}")
            if plan.after:
                with open(copy, encoding="utf-8") as handle:
                    written = handle.read()
        graph = os.path.join(workdir, "graph.xml")
        if plan.after:
            # -G: the transition graph, from which the settled cluster is written
            # (hadeck.actions.settle) for the check after the constraint is cleared.
            with create(graph):
                pass
            sim = _simulate(here, (*SIMULATE, "-G", graph), copy, timeout)
        else:
            sim = _simulate(here, SIMULATE, copy, timeout)
        changes = parse_transition(sim.stdout, facts.tops, facts.nodes, tuple(facts.clones))
        afterwards: tuple[Change, ...] = ()
        if plan.after:
            afterwards = _afterwards(plan, written, graph, workdir, facts, here, copy,
                                     timeout or runner.timeout)
        blocked, scores = _blocked(plan, changes, facts, here, copy, timeout)
        # The scheduler's own "blocked" (a failed stop without fencing, for one).
        blocked += tuple(f"{c.words}: Pacemaker cannot carry it out" for c in changes
                         if "blocked" in c.reason.split())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    touched = {c.top for c in changes}
    unchanged = tuple(t for t in dict.fromkeys(facts.tops.values()) if t not in touched)
    text = _text(changes, blocked, unchanged)
    if afterwards:
        text += "\nonce the constraint is cleared: " + "; ".join(c.words for c in afterwards)
    return Preview(changes, blocked, text, unchanged, scores, transition_lines(sim.stdout),
                   if_gone, afterwards)


def _afterwards(plan: Plan, copied: str, graph: str, workdir: str, facts: CibFacts,
                here: Runner, copy: str, timeout: float) -> tuple[Change, ...]:
    """What the scheduler would do once the plan's ``after`` steps ran on the settled
    cluster: a move's cli-prefer cleared, is the resource moved back (its preferences
    outweighing stickiness)? ``pcs resource move`` asks the same before it clears.

    The settled cluster is the copy (``copied``, its text) with the transition ``graph``
    carried out (:func:`hadeck.actions.settle.settled_cib`); where that cannot reproduce
    the graph, ``crm_simulate -S -O`` carries it out on the copy (a second run of the
    scheduler, and one CIB modification per action: several times ``-R``'s cost on a
    big CIB)."""
    settled = os.path.join(workdir, "settled.xml")
    with open(graph, encoding="utf-8") as handle:
        text = settled_cib(copied, handle.read())
    if text is None:
        with create(settled):
            pass
        _simulate(here, ("crm_simulate", "-S", "-Q", "-O", settled), copy, timeout)
        with open(settled, encoding="utf-8") as handle:
            text = handle.read()
    cleared = _cleared_text(plan, text)
    with create(settled, force=True) as handle:
        handle.write((cleared if cleared is not None else text).encode())
    there = LocalRunner(env=copy_env(settled), timeout=timeout)
    if cleared is None:
        for step in plan.after:
            ran = there.run(step.argv, timeout=timeout)
            if not ran.ok:
                raise PreviewError(f"on a copy of the CIB, {_quoted(step.argv)} failed: "
                                   f"{ran.reason()}")
    sim = _simulate(there, SIMULATE, settled, timeout)
    return parse_transition(sim.stdout, facts.tops, facts.nodes, tuple(facts.clones))


def _prefer_move(plan: Plan) -> tuple[str, str] | None:
    """(resource, node) when the plan is one plain ``crm_resource --move -r R -N N``."""
    if len(plan.steps) != 1:
        return None
    argv = plan.steps[0].argv
    if len(argv) != 6 or argv[:3] != ("crm_resource", "--move", "-r") or argv[4] != "-N":
        return None
    return argv[3], argv[5]


def move_on_copy(plan: Plan, cib: str, facts: CibFacts) -> str | None:
    """The CIB with the plan's move applied as ``crm_resource --move -r R -N N`` applies
    it, or None to run crm_resource on the copy.

    On a file, crm_resource unpacks the whole status to find where the resource runs
    before it writes one constraint: 12.5 s on a 4-node CIB with 125 guests (1.6 MiB),
    against 3.7 s for the scheduler's own run, so the preview of a move was mostly
    crm_resource. It writes ``<rsc_location id="cli-prefer-R" rsc="R" role="Started"
    node="N" score="INFINITY"/>`` after removing the resource's earlier cli-prefer and
    its cli-ban on N; that is done here for a plain move of a primitive or group where
    there is none to remove (tests/actions/test_preview.py compares it with the real
    tool's result). Anything else — a lifetime, a clone, an earlier cli- constraint —
    still runs the real crm_resource.
    """
    move = _prefer_move(plan)
    if move is None:
        return None
    rsc, node = move
    if rsc in facts.clones or len(facts.parents.get(rsc, ())) != 1 \
            or node not in facts.nodes:
        return None
    resources = facts.configuration.find("resources")
    kinds = [el.tag for el in (resources if resources is not None else ())
             if el.get("id") == rsc]
    if kinds not in (["primitive"], ["group"]):
        return None
    for loc in facts.configuration.iterfind("./constraints/rsc_location"):
        if (loc.get("id") or "").startswith(("cli-prefer-", "cli-ban-")) \
                and loc.get("rsc") == rsc:
            return None
    end = cib.rfind("</constraints>")
    empty = re.search(r"<constraints\s*/>", cib)
    element = (f'<rsc_location id={quoteattr("cli-prefer-" + rsc)} rsc={quoteattr(rsc)} '
               f'role="Started" node={quoteattr(node)} score="INFINITY"/>')
    if end >= 0 and empty is None:
        return cib[:end] + element + cib[end:]
    if end < 0 and empty is not None:
        return cib[:empty.start()] + f"<constraints>{element}</constraints>" + \
            cib[empty.end():]
    return None


def _cleared_on_copy(plan: Plan, settled: str) -> bool:
    """Clear the cli-prefer a plain move left on the file ``settled`` (see
    :func:`_cleared_text`); False to run crm_resource there instead."""
    with open(settled, encoding="utf-8") as handle:
        cleared = _cleared_text(plan, handle.read())
    if cleared is None:
        return False
    with create(settled, force=True) as handle:
        handle.write(cleared.encode())
    return True


def _cleared_text(plan: Plan, text: str) -> str | None:
    """``text`` without the cli-prefer a plain move left, as ``crm_resource --clear -r R
    -N N`` clears it when it is the only cli- constraint of R (see :func:`move_on_copy`);
    None to run crm_resource instead (it costs as much as the move)."""
    move = _prefer_move(plan)
    if move is None or len(plan.after) != 1 or plan.after[0].argv != (
            "crm_resource", "--clear", "-r", move[0], "-N", move[1]):
        return None
    rsc = re.escape(move[0])
    if len(re.findall(rf'<rsc_location id="cli-(?:prefer|ban)-{rsc}\b', text)) != 1:
        return None
    found = list(re.finditer(rf'<rsc_location id="cli-prefer-{rsc}"[^<>]*/>', text))
    if len(found) != 1:
        return None
    return text[:found[0].start()] + text[found[0].end():]


def _if_gone(node: str, cib: str, workdir: str, facts: CibFacts,
             timeout: float) -> tuple[Change, ...]:
    """What the scheduler would do if ``node`` could run nothing (standby on a second
    copy): a node in maintenance pins what runs there, and this says which of it could
    run nowhere else once the node has to go."""
    second = os.path.join(workdir, "if-gone.xml")
    argv = ("crm_attribute", "-N", node, "-n", "standby", "-v", "on", "-l", "forever")
    gone = node_attribute_on_copy(cib, argv)
    with create(second) as handle:
        handle.write((gone if gone is not None else cib).encode())
    there = LocalRunner(env=copy_env(second), timeout=timeout)
    if gone is None:
        done = there.run(argv)
        if not done.ok:
            raise PreviewError(f"on a copy of the CIB, standby of {node} failed: "
                               f"{done.reason()}")
    sim = _simulate(there, SIMULATE, second, timeout)
    return parse_transition(sim.stdout, facts.tops, facts.nodes, tuple(facts.clones))


_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def attribute_on_copy(plan: Plan, cib: str) -> str | None:
    """The CIB with the plan's node attribute set as its one ``crm_attribute -N NODE -n
    NAME -v VALUE -l forever`` sets it (a standby, a node's maintenance), or None to run
    crm_attribute on the copy (see :func:`node_attribute_on_copy`)."""
    if len(plan.steps) != 1:
        return None
    return node_attribute_on_copy(cib, plan.steps[0].argv)


def node_attribute_on_copy(cib: str, argv: Sequence[str]) -> str | None:
    """``cib`` with ``argv`` — ``crm_attribute -N NODE -n NAME -v VALUE -l forever`` —
    applied as crm_attribute writes it, or None to run the real tool.

    crm_attribute on a file parses, validates and writes the whole CIB: 110–125 ms CPU on
    a 1.6 MiB CIB, a quarter of crm_simulate's run there. It sets ``<nvpair
    id="nodes-ID-NAME" name=NAME value=VALUE>`` in the node's ``<instance_attributes
    id="nodes-ID">`` (created if the node has none), or the value of the one nvpair of
    that name already there. Done here for a node with at most one plain attribute set
    and at most one such nvpair; anything else (rules, several sets, an id already taken)
    runs crm_attribute (tests/actions/test_preview.py compares both with the real tool).
    """
    if len(argv) != 9 or argv[:2] != ("crm_attribute", "-N") or argv[3] != "-n" \
            or argv[5] != "-v" or tuple(argv[7:]) != ("-l", "forever"):
        return None
    node, name, value = argv[2], argv[4], argv[6]
    nodes = re.search(r"<nodes\s*>", cib)
    end = cib.find("</nodes>", nodes.end()) if nodes else -1
    if nodes is None or end < 0 or not _ID.match(name) or not _PLAIN_VALUE.match(value):
        return None
    found = re.compile(rf'<node\b[^>]*\suname="{re.escape(node)}"[^>]*?(/?)>') \
        .search(cib, nodes.end(), end)
    if found is None:
        return None
    stop = found.end() if found.group(1) else cib.find("</node>", found.end(), end)
    if stop < 0:
        return None
    if not found.group(1):
        stop += len("</node>")
    try:
        element = ET.fromstring(cib[found.start():stop])
    except ET.ParseError:
        return None
    ident = element.get("id", "")
    if not _ID.match(ident) or any(c.tag != "instance_attributes" for c in element) \
            or len(element) > 1:
        return None
    if len(element):
        attributes = element[0]
        if attributes.attrib.keys() - {"id"} or any(c.tag != "nvpair" for c in attributes):
            return None
        pairs = [p for p in attributes if p.get("name") == name]
        if len(pairs) > 1:
            return None
        if pairs:
            pairs[0].set("value", value)
        else:
            pair_id = f"{attributes.get('id', '')}-{name}"
            if not _ID.match(pair_id) or f'id="{pair_id}"' in cib:
                return None
            ET.SubElement(attributes, "nvpair", {"id": pair_id, "name": name,
                                                 "value": value})
    else:
        set_id, pair_id = f"nodes-{ident}", f"nodes-{ident}-{name}"
        if f'id="{set_id}"' in cib or f'id="{pair_id}"' in cib:
            return None
        attributes = ET.SubElement(element, "instance_attributes", {"id": set_id})
        ET.SubElement(attributes, "nvpair", {"id": pair_id, "name": name, "value": value})
    return cib[:found.start()] + ET.tostring(element, encoding="unicode") + cib[stop:]


_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:+-]*$")


def copy_env(path: str) -> dict[str, str]:
    """The environment of the Pacemaker tools run on a private copy of the CIB: the copy
    (``CIB_file``), and glibc's allocator without its fast bins.

    The scheduler on a big CIB frees and allocates a great many small blocks; with fast
    bins glibc spends 15–25 % of a ``crm_simulate -R`` run consolidating them
    (``malloc_consolidate``, perf on a 1.6 MiB CIB). ``glibc.malloc.mxfast=0`` turns them
    off: 15 % less CPU for the same output (median of 10, paired). Other C libraries
    ignore the variable; a tunable the user set is kept.
    """
    tunables = [t for t in os.environ.get("GLIBC_TUNABLES", "").split(":") if t]
    if not any(t.startswith("glibc.malloc.mxfast=") for t in tunables):
        tunables.append("glibc.malloc.mxfast=0")
    return {"CIB_file": path, "GLIBC_TUNABLES": ":".join(tunables)}


_VALIDATE = re.compile(r'(<cib\b[^>]*?\svalidate-with=")[^"]*(")')


def _unvalidated(cib: str) -> str:
    """The CIB with schema validation off (``validate-with="none"``) for the tools that
    run on the copy.

    Validating against the RNG schema is most of each tool's run on a file: 80–90 ms of
    crm_resource's and crm_simulate's ~100 ms on the seed lab's 35 KiB CIB, against 35–42 ms
    without (Pacemaker 2.1.5, measured). The live CIB was validated by the cluster when it
    was written; the scheduler decides the same either way. The copy only ever feeds
    the scheduler and is deleted.
    """
    head, tail = cib[:4096], cib[4096:]
    return _VALIDATE.sub(r"\g<1>none\g<2>", head, count=1) + tail


def _quoted(argv: Sequence[str]) -> str:
    return " ".join(argv)


def _simulate(here: Runner, argv: tuple[str, ...], copy: str,
              timeout: float | None) -> CommandResult:
    sim = here.run((*argv, "-x", copy), timeout=timeout)
    if not sim.ok:
        raise PreviewError(f"crm_simulate on the copy: {sim.reason()}")
    return sim


def _text(changes: Sequence[Change], blocked: Sequence[str],
          unchanged: Sequence[str]) -> str:
    by_top: dict[str, list[Change]] = {}
    for change in changes:
        by_top.setdefault(change.top or change.resource or change.verb, []).append(change)
    lines: list[str] = []
    for top, group in by_top.items():
        same = {c.action() for c in group}
        if len(group) > 1 and len(same) == 1:
            # A group whose members all do the same: "g_services: move j1 → j2".
            actions = list(same)
        else:
            actions = list(dict.fromkeys(_member_action(top, c) for c in group))
        lines.append(f"{top}: {', '.join(actions)}")
    if not changes:
        lines.append("the scheduler would change nothing")
    lines.extend(f"not done: {b}" for b in blocked)
    if unchanged and changes:
        lines.append(f"no change: {', '.join(unchanged)}")
    return "\n".join(lines)


def _member_action(top: str, change: Change) -> str:
    action = change.action()
    if change.resource and change.resource != top and change.words.split(": ", 1)[0] != top:
        return f"{change.resource} {action}"
    return action


# --------------------------------------------------------------------------- not done


def _blocked(plan: Plan, changes: Sequence[Change], facts: CibFacts, here: Runner,
             copy: str, timeout: float | None
             ) -> tuple[tuple[str, ...], dict[tuple[str, str], str]]:
    verb = plan.request.verb
    rsc, node = plan.resource, plan.node
    if rsc is None or verb not in ("move", "migrate", "start"):
        return (), {}
    mine = [c for c in changes if rsc in (c.top, c.resource)
            or rsc in facts.parents.get(c.resource, ())]
    if verb in ("move", "migrate") and node is not None:
        if any(c.dest == node or (c.verb == "start" and c.source == node) for c in mine):
            return (), {}
    elif verb == "start":
        if any(c.verb in ("start", "promote", "move", "migrate") for c in mine):
            return (), {}
    scores = parse_scores(_simulate(here, SCORES, copy, timeout).stdout)
    if verb == "start":
        why = "; ".join(_why_not(facts, rsc, n, scores) for n in facts.nodes)
        return (f"{rsc} would not start: {why}",), scores
    assert node is not None
    stays = [c for c in mine if c.verb == "stop"]
    fate = "would stop" if stays else "would stay where it is"
    return (f"{rsc} {fate}, not {verb} to {node}: {_why_not(facts, rsc, node, scores)}",), \
        scores


def _score_of(facts: CibFacts, rsc: str, node: str,
              scores: Mapping[tuple[str, str], str]) -> str | None:
    if (rsc, node) in scores:
        return scores[(rsc, node)]
    # A group's score is its first member's; a clone's its instances'.
    for (name, where), score in scores.items():
        if where == node and rsc in facts.parents.get(name.split(":", 1)[0], ()):
            return score
    return None


def _why_not(facts: CibFacts, rsc: str, node: str,
             scores: Mapping[tuple[str, str], str]) -> str:
    score = _score_of(facts, rsc, node, scores)
    chain = set(facts.parents.get(rsc, (rsc,)))
    for name, parents in facts.parents.items():
        if rsc in parents:
            chain.add(name)
    reasons = [*_locations(facts.root, chain, node), *_colocations(facts.root, chain)]
    state = _node_state(facts.root, node)
    if state:
        reasons.insert(0, f"{node} is {state}")
    held = _held(facts.root, chain)
    if held:
        reasons.insert(0, held)
    said = f"its allocation score on {node} is {score}" if score else \
        f"no allocation score on {node}"
    return said + (f" — {'; '.join(reasons)}" if reasons else "")


def _held(root: ET.Element, chain: set[str]) -> str | None:
    """Why Pacemaker would not act on the resource at all: maintenance-mode, unmanaged."""
    for nv in root.iterfind("./configuration/crm_config/cluster_property_set/nvpair"):
        if nv.get("name") == "maintenance-mode" and _true(nv.get("value")):
            return "the cluster is in maintenance-mode: Pacemaker moves nothing"
    for state in root.iterfind("./status/node_state"):
        for lrm in state.iterfind("./lrm/lrm_resources/lrm_resource"):
            ident = lrm.get("id", "").split(":", 1)[0]
            if ident not in chain:
                continue
            for op in lrm.iterfind("lrm_rsc_op"):
                if op.get("operation") == "stop" and op.get("rc-code", "0") != "0":
                    return (f"{ident}'s stop failed on {state.get('uname')}: Pacemaker "
                            f"leaves it blocked until it is cleaned up (hadeck cleanup "
                            f"{ident})")
    for el in root.iter():
        if el.get("id") in chain and el.tag in ("primitive", "group", "clone", "master"):
            for nv in el.iterfind("./meta_attributes/nvpair"):
                if nv.get("name") == "is-managed" and not _true(nv.get("value")):
                    return f"{el.get('id')} is unmanaged: Pacemaker leaves it where it is"
    return None


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "on", "yes", "1", "y")


def _locations(root: ET.Element, chain: set[str], node: str) -> list[str]:
    out: list[str] = []
    attrs = _node_attributes(root, node)
    for loc in root.iterfind("./configuration/constraints/rsc_location"):
        if loc.get("rsc") not in chain:
            continue
        score = loc.get("score", "")
        if loc.get("node") == node and score.startswith("-"):
            out.append(f"location {loc.get('id')} ({score} on {node})")
        for rule in loc.iterfind("rule"):
            rscore = rule.get("score", "")
            if rscore.startswith("-") and _rule_true(rule, attrs):
                out.append(f"location {loc.get('id')}: rule {rule.get('id')} "
                           f"({rscore}) matches {node} ({_rule_words(rule, attrs)})")
    return out


def _colocations(root: ET.Element, chain: set[str]) -> list[str]:
    out: list[str] = []
    for col in root.iterfind("./configuration/constraints/rsc_colocation"):
        if col.get("rsc") in chain and col.get("score") in ("INFINITY", "+INFINITY"):
            role = col.get("with-rsc-role")
            out.append(f"colocation {col.get('id')}: with {col.get('with-rsc')}"
                       + (f" ({role})" if role else ""))
    return out


def _node_state(root: ET.Element, node: str) -> str | None:
    attrs = _node_attributes(root, node)
    for name in ("standby", "maintenance"):
        if attrs.get(name, "off").lower() in ("on", "true", "yes", "1"):
            return f"in {name}"
    for state in root.iterfind("./status/node_state"):
        if state.get("uname") == node and (state.get("crmd") == "offline" or
                                           state.get("in_ccm") == "false"):
            return "offline"
    return None


def _node_attributes(root: ET.Element, node: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for el in root.iterfind("./configuration/nodes/node"):
        if el.get("uname") == node:
            for nv in el.iterfind("./instance_attributes/nvpair"):
                attrs[nv.get("name", "")] = nv.get("value", "")
    for state in root.iterfind("./status/node_state"):
        if state.get("uname") == node:
            for nv in state.iterfind("./transient_attributes/instance_attributes/nvpair"):
                attrs[nv.get("name", "")] = nv.get("value", "")
    return attrs


def _rule_true(rule: ET.Element, attrs: Mapping[str, str]) -> bool:
    results = [_expression_true(e, attrs) for e in rule.iterfind("expression")]
    if not results:
        return False
    return any(results) if rule.get("boolean-op", "and") == "or" else all(results)


def _expression_true(expr: ET.Element, attrs: Mapping[str, str]) -> bool:
    name, op, value = expr.get("attribute", ""), expr.get("operation", ""), expr.get("value")
    have = attrs.get(name)
    if op == "not_defined":
        return have is None
    if op == "defined":
        return have is not None
    if have is None or value is None:
        return False
    try:
        left, right = float(have), float(value)
    except ValueError:
        return {"eq": have == value, "ne": have != value}.get(op, False)
    return {"lt": left < right, "lte": left <= right, "gt": left > right,
            "gte": left >= right, "eq": left == right, "ne": left != right}.get(op, False)


def _rule_words(rule: ET.Element, attrs: Mapping[str, str]) -> str:
    parts = []
    for expr in rule.iterfind("expression"):
        name = expr.get("attribute", "")
        if _expression_true(expr, attrs):
            have = attrs.get(name)
            parts.append(f"{name} {expr.get('operation')} {expr.get('value') or ''}".strip()
                         + (f", {name}={have}" if have is not None else ""))
    return "; ".join(parts)
