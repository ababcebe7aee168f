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
from hadeck.model import LvmReport
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
    vg: str | None = None
    """The volume group (default: the template guest's DRBD disk's)."""
    hypervisor: str | None = None
    like: str | None = None
    prefer: str | None = None
    start: bool = False
    resource: str | None = None
    """The DRBD resource's name (default: the guest's)."""
    minor: int | None = None
    """The DRBD minor (default: the next above every one configured)."""
    port: int | None = None
    """The replication port (default: the next above every one configured)."""


@dataclass(frozen=True)
class Survey:
    """What the cluster said, read through the runners.

    Attributes:
        cib: ``cibadmin -Q``.
        drbd: each node's ``drbdadm dump all``, parsed.
        drbd_version: ``8.4`` or ``9`` (``drbdadm --version``'s kernel version).
        lvm: each node's LVM as the LVM source reads it (None: unreadable, or no LVM).
        errors: what could not be read, one line each.
        kernel: each node's DRBD minors as its kernel has them (the DRBD source's read),
            minor → resource; a node whose DRBD could not be read is missing, with the
            reason in ``kernel_errors``. A resource brought up by hand and never written
            to a file is in the kernel, not in the dump.
    """

    cib: str
    drbd: Mapping[str, DrbdConfig]
    drbd_version: str
    lvm: Mapping[str, LvmReport | None]
    errors: tuple[str, ...] = ()
    kernel: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    kernel_errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Volume:
    """The logical volume the guest's DRBD disk will be, made as the template's is.

    Attributes:
        vg: its volume group.
        name: its name.
        pool: the thin pool it is made in, when the template guest's volume is thin.
    """

    vg: str
    name: str
    pool: str | None = None

    @property
    def path(self) -> str:
        return f"/dev/{self.vg}/{self.name}"

    @property
    def lv(self) -> str:
        return f"{self.vg}/{self.name}"


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
    volume: Volume | None = None


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
    lvm: dict[str, LvmReport | None] = {}
    version = "8.4"
    kernel: dict[str, dict[int, str]] = {}
    kernel_errors: dict[str, str] = {}
    from hadeck.sources import drbd as drbd_source
    from hadeck.sources import lvm as lvm_source
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
        lvm[node] = lvm_source.read(run).value
        running = drbd_source.read(run)
        if running.value is None:
            kernel_errors[node] = running.status.error or "not readable"
        else:
            kernel[node] = {v.minor: r.name for r in running.value for v in r.volumes
                            if v.minor is not None}
    return Survey(cib, drbd, version, lvm, tuple(errors), kernel, kernel_errors)


def _members(cib: str) -> set[str]:
    try:
        root = ET.fromstring(cib) if cib else None
    except ET.ParseError:
        return set()
    if root is None:
        return set()
    return {n.get("uname", "") for n in root.iterfind("configuration/nodes/node")}


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
    minor, port = _minor_and_port(spec, merged)
    volume = _volume(spec, base, seen)
    hosts = []
    for node in spec.nodes:
        address = _address(merged, node)
        if address is None:
            raise Refused(f"no DRBD resource replicates on {node}: its replication address "
                          "is unknown")
        hosts.append(DrbdHost(node, f"/dev/drbd{minor}", minor, volume.path, "internal",
                              address[1], port, address[0]))
    resource = DrbdResourceConfig(res_name, tuple(hosts), base.sections, (port,))
    text = render(resource, seen.drbd_version)
    path = f"/etc/drbd.d/{res_name}.res"
    made = fragment(seen.cib, template, spec.name, res_name, spec.nodes, prefer, spec.start)
    started = fragment(seen.cib, template, spec.name, res_name, spec.nodes, prefer, True)
    checks = _checks(spec, seen, size, volume) + _in_kernel(spec, seen, minor)
    steps = _steps(spec, res_name, path, prefer, at, volume)
    return Proposal(spec, template, minor, port, resource, text, path, made, started,
                    steps, size, checks, volume)


def _minor_and_port(spec: Spec, merged: DrbdConfig) -> tuple[int, int]:
    """The asked minor and port, or the next free ones; one in use is refused."""
    minor = merged.next_minor() if spec.minor is None else spec.minor
    port = merged.next_port() if spec.port is None else spec.port
    if not 0 <= minor <= MAX_MINOR:
        raise Refused(f"minor {minor} is out of DRBD's range (0–{MAX_MINOR})")
    if not 1 <= port <= 65535:
        raise Refused(f"port {port} is not a TCP port (1–65535)")
    for res in merged.resources:
        if minor in res.minors:
            raise Refused(f"minor {minor} is in use: DRBD resource {res.name} has it "
                          f"(the next free one is {merged.next_minor()})")
        if port in res.ports:
            raise Refused(f"port {port} is in use: DRBD resource {res.name} replicates on "
                          f"it (the next free one is {merged.next_port()})")
    return minor, port


MAX_MINOR = (1 << 20) - 1
"""The highest minor DRBD accepts (``drbdsetup new-minor``: 2^20 - 1)."""


def _in_kernel(spec: Spec, seen: Survey, minor: int) -> tuple[Check, ...]:
    """The minor free in each node's kernel too: a resource brought up by hand and never
    written to a file holds its minor without being in any dump."""
    checks = []
    for node in spec.nodes:
        name = f"minor {minor} on {node}"
        if node in seen.kernel_errors:
            checks.append(Check(name, False, f"DRBD on {node} could not be read: "
                                f"{seen.kernel_errors[node]}", overridable=True))
            continue
        holder = seen.kernel.get(node, {}).get(minor)
        checks.append(Check(name, holder is None, f"minor {minor} is free on {node}"
                            if holder is None else f"minor {minor} is in use on {node} by "
                            f"DRBD resource {holder}, which no configuration file names"))
    return tuple(checks)


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


def _volume(spec: Spec, base: DrbdResourceConfig, seen: Survey) -> Volume:
    """The new volume, as the template guest's DRBD disk is made: in its volume group
    (unless ``--vg`` names another), thin in its pool when it is thin."""
    for node in spec.nodes:
        host = base.host(node) or (base.hosts[0] if base.hosts else None)
        report = seen.lvm.get(node)
        if host is None or host.disk is None or report is None:
            continue
        lv = report.volume_for(host.disk)
        if lv is None:
            continue
        if spec.vg is None or spec.vg == lv.vg:
            pool = lv.pool if lv.segtype == "thin" and lv.pool else None
            return Volume(lv.vg, spec.name, pool)
    if spec.vg is None:
        raise Refused(f"the disk of {base.name} is no logical volume hadeck can read: name "
                      "the volume group (--vg)")
    return Volume(spec.vg, spec.name)


def _checks(spec: Spec, seen: Survey, size: int, volume: Volume) -> tuple[Check, ...]:
    checks = [Check("read", not seen.errors, "; ".join(seen.errors) or "every node answered")]
    for node in spec.nodes:
        report = seen.lvm.get(node)
        name = f"{volume.lv} on {node}"
        if report is None:
            checks.append(Check(name, False, f"LVM on {node} could not be read"))
            continue
        taken = any(v.vg == volume.vg and v.name == volume.name for v in report.volumes)
        checks.append(Check(name, not taken, f"{volume.lv} already exists on {node}" if taken
                            else f"{volume.lv} is free on {node}"))
        checks.append(_space(report, node, size, volume))
    return tuple(checks)


def _space(report: LvmReport, node: str, size: int, volume: Volume) -> Check:
    if volume.pool is not None:
        name = f"thin pool {volume.vg}/{volume.pool} on {node}"
        pool = next((v for v in report.volumes
                     if v.vg == volume.vg and v.name == volume.pool), None)
        if pool is None:
            return Check(name, False, f"no thin pool {volume.vg}/{volume.pool} on {node}")
        if pool.data_percent is None:
            return Check(name, False, f"the use of {volume.vg}/{volume.pool} on {node} is not "
                         "known (the pool is not active)", overridable=True)
        free = int(pool.size_bytes * (1 - pool.data_percent / 100))
        # Thin pools are overcommitted by design: a volume larger than what the pool has
        # left is the operator's call (--force), not a refusal.
        return Check(name, size <= free, f"{_gib(free)} free in the pool on {node} "
                     f"({pool.data_percent:.0f} % used), {_gib(size)} virtual",
                     overridable=True)
    name = f"{volume.vg} on {node}"
    group = next((g for g in report.groups if g.name == volume.vg), None)
    if group is None:
        return Check(name, False, f"no volume group {volume.vg} on {node}")
    return Check(name, group.free_bytes >= size, f"{_gib(group.free_bytes)} free in "
                 f"{volume.vg} on {node}, {_gib(size)} needed")


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"


def _steps(spec: Spec, res: str, path: str, prefer: str, at: str,
           volume: Volume) -> tuple[Step, ...]:
    steps: list[Step] = []
    if volume.pool is not None:
        make: tuple[str, ...] = ("lvcreate", "--thin", "--virtualsize", spec.size, "--name",
                                 volume.name, f"{volume.vg}/{volume.pool}")
        what = f"the thin volume {volume.lv} in {volume.pool}"
    else:
        make = ("lvcreate", "--name", volume.name, "--size", spec.size, volume.vg)
        what = f"the logical volume {volume.lv}"
    for node in spec.nodes:
        steps.append(Step(node, make, what, undo=("lvremove", "--yes", volume.lv)))
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
