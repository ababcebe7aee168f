"""A new guest on DRBD, proposed from the cluster's own conventions and validated by the
real tools before anything would run.

``survey`` reads what the proposal needs through the nodes' runners (``cibadmin -Q``,
``drbdadm dump all``, ``vgs``, ``lvs``); ``propose`` is pure: the next free minor and
port, the DRBD resource file (8.4 or 9 syntax, options copied from the template guest's
resource), the CIB fragment (:mod:`hadeck.actions.guest_template`) and the commands, in
order; ``validate`` gives the file to ``drbdadm -c FILE dump`` as each node would read it
(a UTS and network namespace with the node's name and replication address, as root) and
the merged CIB to ``crm_verify`` and ``crm_simulate``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from hadeck.actions.checks import Check
from hadeck.actions.guest_template import Fragment, Template, choose, fragment
from hadeck.actions.plan import Refused, Step
from hadeck.drbdconf import DrbdConfig, DrbdHost, DrbdResourceConfig, parse_dump, render
from hadeck.outfile import create
from hadeck.runner import LocalRunner, Runner
from hadeck.sources.base import ParseError

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([KMGT]?)i?B?$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,47}$")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_KINDS = {"kvm": "VirtualDomain", "xen": "Xen", "openvz": "ManageVE"}


@dataclass(frozen=True)
class Spec:
    """What the operator asked for (``hadeck new-guest``)."""

    name: str
    nodes: tuple[str, ...]
    size: str
    vg: str
    hypervisor: str | None = None
    like: str | None = None
    prefer: str | None = None
    start: bool = False
    resource: str | None = None
    """The DRBD resource's name (default: the guest's)."""


@dataclass(frozen=True)
class Survey:
    """What the cluster said, read through the runners.

    Attributes:
        cib: ``cibadmin -Q``.
        drbd: each node's ``drbdadm dump all``, parsed.
        drbd_version: ``8.4`` or ``9`` (``drbdadm --version``'s kernel version).
        vg_free: each node's free bytes in the volume group (None: unreadable).
        lv_taken: the nodes where the logical volume already exists.
        errors: what could not be read, one line each.
    """

    cib: str
    drbd: Mapping[str, DrbdConfig]
    drbd_version: str
    vg_free: Mapping[str, int | None]
    lv_taken: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """Everything that would be made, and the commands that would make it."""

    spec: Spec
    template: Template
    minor: int
    port: int
    resource: DrbdResourceConfig
    resource_file: str
    path: str
    fragment: Fragment
    started: Fragment
    """The same fragment free to start: what ``crm_simulate`` is asked about."""
    steps: tuple[Step, ...]
    size_bytes: int
    checks: tuple[Check, ...] = field(default=())


def size_bytes(text: str) -> int:
    """``20G`` (LVM's units: powers of 1024) in bytes.

    Raises:
        Refused: not a size.
    """
    match = _SIZE.match(text.strip())
    if match is None or float(match[1]) <= 0:
        raise Refused(f"size {text!r} is not a size (20G, 512M, 1T)")
    return int(float(match[1]) * _UNITS[match[2].upper()])


# --------------------------------------------------------------------------- survey


def survey(spec: Spec, runners: Mapping[str, Runner], at: str) -> Survey:
    """Read what :func:`propose` needs; never raises (what fails is in ``errors``).

    Args:
        spec: the request.
        runners: a runner per node of ``spec.nodes`` (and ``at``).
        at: the node the CIB is read from.
    """
    errors: list[str] = []
    got = runners[at].run(("cibadmin", "-Q"))
    cib = got.stdout if got.ok else ""
    if not got.ok:
        errors.append(f"cibadmin -Q on {at}: {got.reason()}")
    drbd: dict[str, DrbdConfig] = {}
    vg_free: dict[str, int | None] = {}
    taken: list[str] = []
    version = "8.4"
    lv = f"{spec.vg}/{spec.name}"
    # Only the cluster's own nodes are asked: a mistyped name must not become an ssh
    # connection to whatever answers it (propose refuses it).
    for node in _members(cib) & set(spec.nodes):
        run = runners[node]
        dump = run.run(("drbdadm", "dump", "all"))
        try:
            drbd[node] = parse_dump(dump.stdout) if dump.ok else DrbdConfig()
        except ParseError as exc:
            errors.append(f"drbdadm dump all on {node}: {exc}")
        if not dump.ok:
            errors.append(f"drbdadm dump all on {node}: {dump.reason()}")
        ver = run.run(("drbdadm", "--version"))
        if ver.ok and re.search(r"DRBD_KERNEL_VERSION=9", ver.stdout):
            version = "9"
        vg_free[node] = _vg_free(run, spec.vg)
        if run.run(("lvs", "--noheadings", "-o", "lv_name", lv)).ok:
            taken.append(node)
    return Survey(cib, drbd, version, vg_free, tuple(taken), tuple(errors))


def _members(cib: str) -> set[str]:
    try:
        root = ET.fromstring(cib) if cib else None
    except ET.ParseError:
        return set()
    if root is None:
        return set()
    return {n.get("uname", "") for n in root.iterfind("configuration/nodes/node")}


def _vg_free(run: Runner, vg: str) -> int | None:
    got = run.run(("vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                   "-o", "vg_name,vg_free", vg))
    if not got.ok:
        return None
    try:
        rows = json.loads(got.stdout)["report"][0]["vg"]
        return int(float(rows[0]["vg_free"]))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# --------------------------------------------------------------------------- propose


def propose(spec: Spec, seen: Survey, at: str) -> Proposal:
    """The resources, files and commands for ``spec``; pure.

    Raises:
        Refused: the request cannot be met here, with the reason.
    """
    if not _NAME.match(spec.name):
        raise Refused(f"{spec.name!r} is not a usable name (a letter, then letters, "
                      "digits, '_', '.', '-')")
    if len(spec.nodes) != 2 or spec.nodes[0] == spec.nodes[1]:
        raise Refused("a guest on DRBD needs two different nodes (--nodes a,b)")
    if not seen.cib:
        raise Refused("; ".join(seen.errors) or "the CIB could not be read")
    try:
        root = ET.fromstring(seen.cib)
    except ET.ParseError as exc:
        raise Refused(f"cibadmin -Q printed no CIB: {exc}") from None
    members = _members(seen.cib)
    for node in spec.nodes:
        if node not in members:
            raise Refused(f"{node} is not a node of this cluster")
    prefer = spec.prefer or spec.nodes[0]
    if prefer not in spec.nodes:
        raise Refused(f"the preferred node {prefer} is not one of {', '.join(spec.nodes)}")
    kind = _KINDS.get(spec.hypervisor.lower()) if spec.hypervisor else None
    if spec.hypervisor and kind is None:
        raise Refused(f"hypervisor {spec.hypervisor!r}: choose kvm, xen or openvz")
    template = choose(root, spec.like, kind)
    res_name = spec.resource or spec.name
    size = size_bytes(spec.size)
    merged = _union(seen.drbd.values())
    if merged.resource(res_name) is not None:
        raise Refused(f"DRBD resource {res_name} is already configured")
    base = merged.resource(template.drbd_resource)
    if base is None:
        raise Refused(f"DRBD resource {template.drbd_resource} of {template.guest} is not in "
                      "the nodes' drbdadm dump: its conventions cannot be read")
    minor, port = merged.next_minor(), merged.next_port()
    hosts = []
    for node in spec.nodes:
        address = _address(merged, node)
        if address is None:
            raise Refused(f"no DRBD resource replicates on {node}: its replication address "
                          "is unknown")
        hosts.append(DrbdHost(node, f"/dev/drbd{minor}", minor, f"/dev/{spec.vg}/{spec.name}",
                              "internal", address[1], port, address[0]))
    resource = DrbdResourceConfig(res_name, tuple(hosts), base.sections, (port,))
    text = render(resource, seen.drbd_version)
    path = f"/etc/drbd.d/{res_name}.res"
    made = fragment(seen.cib, template, spec.name, res_name, spec.nodes, prefer, spec.start)
    started = fragment(seen.cib, template, spec.name, res_name, spec.nodes, prefer, True)
    checks = _checks(spec, seen, size)
    steps = _steps(spec, res_name, path, text, prefer, at)
    return Proposal(spec, template, minor, port, resource, text, path, made, started,
                    steps, size, checks)


def _union(configs: Iterable[DrbdConfig]) -> DrbdConfig:
    resources: dict[str, DrbdResourceConfig] = {}
    for config in configs:
        for res in config.resources:
            resources.setdefault(res.name, res)
    return DrbdConfig(tuple(resources.values()))


def _address(config: DrbdConfig, node: str) -> tuple[str, str] | None:
    for res in config.resources:
        host = res.host(node)
        if host is not None and host.address:
            return host.family, host.address
    return None


def _checks(spec: Spec, seen: Survey, size: int) -> tuple[Check, ...]:
    checks = [Check("read", not seen.errors, "; ".join(seen.errors) or "every node answered")]
    for node in spec.nodes:
        free = seen.vg_free.get(node)
        if free is None:
            checks.append(Check(f"{spec.vg} on {node}", False,
                                f"the free space of {spec.vg} on {node} is unknown"))
        else:
            checks.append(Check(f"{spec.vg} on {node}", free >= size,
                                f"{_gib(free)} free in {spec.vg} on {node}, "
                                f"{_gib(size)} needed"))
        checks.append(Check(f"{spec.vg}/{spec.name} on {node}", node not in seen.lv_taken,
                            f"{spec.vg}/{spec.name} already exists on {node}"
                            if node in seen.lv_taken else
                            f"{spec.vg}/{spec.name} is free on {node}"))
    return tuple(checks)


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"


def _steps(spec: Spec, res: str, path: str, text: str, prefer: str,
           at: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    lv = f"{spec.vg}/{spec.name}"
    for node in spec.nodes:
        steps.append(Step(node, ("lvcreate", "--name", spec.name, "--size", spec.size,
                                 spec.vg), f"the logical volume {lv}",
                          undo=("lvremove", "--yes", lv)))
        steps.append(Step(node, ("dd", f"of={path}", "conv=excl", "status=none"),
                          f"the resource file {path} (never over an existing one)",
                          undo=("rm", "--", path)))
    for node in spec.nodes:
        steps.append(Step(node, ("drbdadm", "create-md", "--force", res),
                          "DRBD metadata on the new volume"))
        steps.append(Step(node, ("drbdadm", "up", res), f"{res} up and connecting",
                          undo=("drbdadm", "down", res)))
    steps.append(Step(prefer, ("drbdadm", "primary", "--force", res),
                      f"the initial full sync from {prefer} (both sides are new: no data "
                      "is lost)"))
    steps.append(Step(prefer, ("drbdadm", "secondary", res),
                      "back to Secondary: Pacemaker promotes it"))
    steps.append(Step(at, ("cibadmin", "--patch", "--xml-pipe"),
                      f"{spec.name} and its DRBD clone and constraints into the CIB"
                      + ("" if spec.start else ", the guest stopped")))
    return tuple(steps)


# --------------------------------------------------------------------------- validate


def validate(proposal: Proposal, here: Runner | None = None) -> tuple[Check, ...]:
    """The real tools on what would be made, here, on private copies.

    ``drbdadm -c FILE dump`` for each node as that node (root: a UTS and network
    namespace with its name and replication address; else the syntax only),
    ``crm_verify -x`` on the merged CIB, ``crm_simulate -S`` on the copy where the guest
    may start: where it would run.
    """
    run = here or LocalRunner()
    checks: list[Check] = []
    workdir = tempfile.mkdtemp(prefix="hadeck-newguest-")
    try:
        res_file = os.path.join(workdir, "drbd.conf")
        with create(res_file) as handle:
            handle.write(proposal.resource_file.encode())
        checks.extend(_drbd_checks(proposal, run, res_file))
        merged = os.path.join(workdir, "cib.xml")
        with create(merged) as handle:
            handle.write(proposal.fragment.merged.encode())
        got = run.run(("crm_verify", "-V", "-x", merged))
        errors = [ln for ln in (got.stderr + got.stdout).splitlines()
                  if "error" in ln.lower()]
        checks.append(Check("crm_verify", got.ok and not errors,
                            "crm_verify accepts the CIB with the new guest" if got.ok
                            and not errors else "crm_verify: "
                            + ("; ".join(errors[:3]) or got.reason())))
        started = os.path.join(workdir, "started.xml")
        with create(started) as handle:
            handle.write(_promotable(proposal).encode())
        sim = run.run(("crm_simulate", "-x", started, "-S"))
        where = _would_start(sim.stdout, proposal.spec.name) if sim.ok else None
        checks.append(Check("crm_simulate", where is not None,
                            f"the scheduler would start {proposal.spec.name} on {where}"
                            if where else f"crm_simulate: {proposal.spec.name} would not "
                            f"start ({sim.reason() if not sim.ok else 'no start planned'})"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return tuple(checks)


def _promotable(proposal: Proposal) -> str:
    """The copy free to start, with the promotion scores DRBD's agent sets once both
    sides are UpToDate (``master-PRIMITIVE`` transient attributes, 10000): without them
    the scheduler starts the clone but promotes nothing, and the guest never starts."""
    root = ET.fromstring(proposal.started.merged)
    prim = next(c.get("id", "") for c in proposal.started.resources[0].iter("primitive"))
    status = root.find("status")
    if status is None:
        status = ET.SubElement(root, "status")
    for node in proposal.spec.nodes:
        state = next((s for s in status.iterfind("node_state") if s.get("uname") == node),
                     None)
        if state is None:
            continue
        attrs = state.find("transient_attributes")
        if attrs is None:
            attrs = ET.SubElement(state, "transient_attributes", id=state.get("id", node))
        holder = attrs.find("instance_attributes")
        if holder is None:
            holder = ET.SubElement(attrs, "instance_attributes",
                                   id=f"status-{state.get('id', node)}")
        ET.SubElement(holder, "nvpair", id=f"status-{node}-master-{prim}",
                      name=f"master-{prim}", value="10000")
    return ET.tostring(root, encoding="unicode")


def _would_start(text: str, name: str) -> str | None:
    match = re.search(rf"^\s*\*\s+Start\s+{re.escape(name)}\s+\(\s*(\S+)", text, re.M)
    return match.group(1) if match else None


def _drbd_checks(proposal: Proposal, run: Runner, res_file: str) -> list[Check]:
    tool = ("drbdadm",) if proposal.resource_file.find("node-id") >= 0 else \
        (("/lib/drbd/drbdadm-84",) if os.path.exists("/lib/drbd/drbdadm-84") else ("drbdadm",))
    name = proposal.resource.name
    if shutil.which("drbdadm") is None:
        return [Check("drbdadm dump", False, "drbd-utils is not installed here: the "
                      "resource file cannot be checked", overridable=True)]
    checks: list[Check] = []
    as_node = os.geteuid() == 0 and shutil.which("unshare") is not None
    for host in proposal.resource.hosts:
        if as_node:
            argv: tuple[str, ...] = (
                "unshare", "--uts", "--net", "--", sys.executable, "-m",
                "hadeck.actions.drbd_as_node", host.name, host.address or "", res_file,
                name, *tool)
        else:
            argv = (*tool, "-c", res_file, "dump", name)
        got = run.run(argv)
        problem = (got.stderr.strip() or got.reason()) if not got.ok else ""
        checks.append(Check(f"drbdadm dump on {host.name}", got.ok,
                            f"drbdadm reads the file as {host.name} would"
                            if got.ok and as_node else
                            "drbdadm reads the file (syntax only: not root)" if got.ok
                            else f"drbdadm -c FILE dump {name} as {host.name}: {problem}"))
    return checks


def with_checks(proposal: Proposal, checks: Sequence[Check]) -> Proposal:
    return replace(proposal, checks=(*proposal.checks, *checks))
