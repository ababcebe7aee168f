"""What a new guest's commands do to the lab, as they would to real nodes.

``hadeck new-guest`` writes a DRBD resource file on each node (``dd of=FILE
conv=excl``), creates its metadata, brings it up, starts the initial sync and adds the
CIB fragment. The lab keeps the files it was given per node, knows a resource from its
file before it is up (``drbdadm create-md``, ``up``, ``dump``), adds the guest to its
topology at the first ``up`` (up by hand until Pacemaker runs its clone), and syncs it
from the node made Primary with ``--force``. When the CIB gains the resource's
``ocf:linbit:drbd`` primitive, the lab sets the promotion scores the DRBD agent would (the
sync source first), so that the real scheduler promotes it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from hadeck.drbdconf import DrbdResourceConfig, parse_dump
from hadeck.runner import CommandResult
from hadeck.sources.base import ParseError

if TYPE_CHECKING:
    from hadeck.lab.world import Lab, LabState

PROMOTION = "10000"
"""The DRBD agent's score for an UpToDate side (the seed's)."""
CATCHING_UP = "1000"
"""What the lab gives the side still being synced, so the source is promoted first."""


def made_volumes(state: LabState, node: str) -> dict[str, dict[str, Any]]:
    """The logical volumes ``lvcreate`` made on ``node``: name → ``{"vg", "size", "pool"}``
    (the lab's LVM picture adds them: :func:`hadeck.lab.storage.lvm`)."""
    return dict(state.world.get("lvs_made", {}).get(node, {}))


def _size(text: str) -> int | None:
    units = {"": 1 << 20, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "K": 1 << 10}
    number, unit = text[:-1], text[-1:].upper()
    if unit.isdigit():
        number, unit = text, ""
    try:
        return int(float(number) * units[unit])
    except (ValueError, KeyError):
        return None


def _option(args: tuple[str, ...], *names: str) -> str | None:
    for name in names:
        if name in args and args.index(name) + 1 < len(args):
            return args[args.index(name) + 1]
    return None


def lvm(lab: Lab, state: LabState, node: str, args: tuple[str, ...]) -> CommandResult:
    """``lvcreate`` (``--name N --size S VG``, or thin: ``--thin --virtualsize S --name N
    VG/POOL``) and ``lvremove --yes VG/N``, in lvm2 2.03's words, on the lab's LVM."""
    from hadeck.lab.storage import lvm as lab_lvm

    found = lab_lvm(state, node)
    if found is None:
        return CommandResult(args, "", "  No volume groups found.\n", 5)
    groups, volumes = found
    target = args[-1]
    vg, _, rest = target.partition("/")
    group = next((g for g in groups if g.name == vg), None)
    if group is None:
        return CommandResult(args, "", f'  Volume group "{vg}" not found\n', 5)
    names = {v.name for v in volumes if v.vg == vg}
    if args[0] == "lvremove":
        mine = made_volumes(state, node)
        if rest not in names:
            return CommandResult(args, "", f'  Failed to find logical volume "{target}"\n', 5)
        if rest not in mine:
            return CommandResult(args, "", f'  Logical volume {target} is used by another '
                                           "device.\n", 5)
        with lab.changing() as world:
            world["lvs_made"][node].pop(rest, None)
        return CommandResult(args, f'  Logical volume "{rest}" successfully removed.\n')
    name = _option(args, "--name", "-n") or ""
    thin = "--thin" in args or "-T" in args
    size = _size(_option(args, "--virtualsize", "-V") or "") if thin else \
        _size(_option(args, "--size", "-L") or "")
    if not name or size is None:
        return CommandResult(args, "", "  Please specify either size or extents but not "
                                       "both.\n", 3)
    if name in names:
        return CommandResult(args, "", f'  Logical Volume "{name}" already exists in volume '
                                       f'group "{vg}"\n', 5)
    pool = rest if thin else None
    if thin and pool not in names:
        return CommandResult(args, "", f'  Failed to find logical volume "{target}"\n', 5)
    if not thin and size > group.free_bytes:
        return CommandResult(args, "", f'  Volume group "{vg}" has insufficient free space '
                                       f"({group.free_bytes >> 22} extents): {size >> 22} "
                                       "required.\n", 5)
    with lab.changing() as world:
        world.setdefault("lvs_made", {}).setdefault(node, {})[name] = {
            "vg": vg, "size": size, "pool": pool}
        world.setdefault("lv_sizes", {})[f"/dev/{vg}/{name}"] = size >> 10
    return CommandResult(args, f'  Logical volume "{name}" created.\n')


def files(state: LabState, node: str) -> dict[str, str]:
    """The files written on ``node`` by commands (path → text)."""
    return dict(state.world.get("files", {}).get(node, {}))


def write(lab: Lab, state: LabState, node: str, args: tuple[str, ...],
          text: str | None) -> CommandResult:
    """``dd of=PATH conv=excl status=none`` with the file on stdin."""
    path = next((a[3:] for a in args if a.startswith("of=")), None)
    if path is None or "conv=excl" not in args:
        return CommandResult(args, "", "dd: the lab writes files only with of=FILE "
                                       "conv=excl\n", 1)
    if path in files(state, node):
        return CommandResult(args, "", f"dd: failed to open '{path}': File exists\n", 1)
    with lab.changing() as world:
        world.setdefault("files", {}).setdefault(node, {})[path] = text or ""
    return CommandResult(args, "")


def remove(lab: Lab, state: LabState, node: str, args: tuple[str, ...]) -> CommandResult:
    """``rm -- PATH`` of a file a command wrote."""
    path = args[-1]
    if path not in files(state, node):
        return CommandResult(args, "", f"rm: cannot remove '{path}': No such file or "
                                       "directory\n", 1)
    with lab.changing() as world:
        world["files"][node].pop(path, None)
    return CommandResult(args, "")


def written(state: LabState, node: str) -> list[DrbdResourceConfig]:
    """The resources of the resource files written on ``node``."""
    found: list[DrbdResourceConfig] = []
    for path, text in files(state, node).items():
        if not path.startswith("/etc/drbd.d/"):
            continue
        try:
            found.extend(parse_dump(text).resources)
        except ParseError:
            continue
    return found


def defined(state: LabState, node: str, name: str) -> DrbdResourceConfig | None:
    """The resource ``name`` from a file written on ``node`` (None: no such file)."""
    return next((r for r in written(state, node) if r.name == name), None)


def written_dumps(state: LabState, node: str) -> str:
    """The written resource files, as ``drbdadm dump`` adds them to its output."""
    parts = []
    for path, text in sorted(files(state, node).items()):
        if path.startswith("/etc/drbd.d/") and path.endswith(".res"):
            parts.append(f"# defined at {path}:1\n{text}")
    return "\n".join(parts)


def drbdadm(lab: Lab, state: LabState, node: str, verb: str, name: str,
            args: tuple[str, ...]) -> CommandResult | None:
    """A drbdadm command on a resource known from a written file; None for the others."""
    res = defined(state, node, name)
    if res is None:
        return None
    info = state.world["drbd"].get(name)
    up = info is not None and node in info.get("up_by_hand", [])
    if verb == "create-md":
        if up:
            return CommandResult(args, "", f"Device '{name}' is configured!\nCommand "
                                           f"'drbdmeta 0 v09 /dev/vg0/{name} internal "
                                           "create-md 1' terminated with exit code 20\n", 20)
        with lab.changing() as world:
            world.setdefault("drbd_md", {}).setdefault(node, [])
            if name not in world["drbd_md"][node]:
                world["drbd_md"][node].append(name)
        return CommandResult(args, "initializing activity log\ninitializing bitmap "
                                   "(640 KB) to all zero\nWriting meta data...\nNew drbd "
                                   "meta data block successfully created.\nsuccess\n")
    if verb == "up":
        if name not in state.world.get("drbd_md", {}).get(node, []):
            return CommandResult(args, "", f"{name}: no valid meta data found\nCommand "
                                           f"'drbdsetup attach {res.minors[0]}' terminated "
                                           "with exit code 10\n", 10)
        with lab.changing() as world:
            _up(world, res, node)
        return CommandResult(args, "")
    if verb == "down" and up:
        with lab.changing() as world:
            world["drbd"][name]["up_by_hand"].remove(node)
        return CommandResult(args, "")
    if verb == "primary" and info is not None and info.get("initial"):
        if "--force" not in args:
            return CommandResult(args, "", f"{name}: State change failed: (-2) Need access "
                                           "to UpToDate data\nCommand 'drbdsetup primary "
                                           f"{name}' terminated with exit code 17\n", 17)
        size = next(int(g["size_kib"]) for g in state.topology.guests if g["drbd"] == name)
        with lab.changing() as world:
            entry = world["drbd"][name]
            entry["initial"] = False
            entry["resync"] = {"source": node, "total_kib": size, "started": state.now}
            entry.setdefault("manual_roles", {})[node] = "Primary"
        return CommandResult(args, "")
    return None


def _up(world: dict[str, Any], res: DrbdResourceConfig, node: str) -> None:
    name = res.name
    guests = world["topology"]["guests"]
    if not any(g["drbd"] == name for g in guests):
        disk = next((h.disk for h in res.hosts if h.name == node), None) or ""
        sizes = world.get("lv_sizes", {})
        guests.append({
            "name": world.get("new_guests", {}).get(name, name), "kind": "kvm",
            "drbd": name, "minor": res.minors[0] if res.minors else 0, "vcpus": 2,
            "memory_kib": 2 << 20, "size_kib": int(sizes.get(disk, 20 << 20)),
            "nodes": [h.name for h in res.hosts],
        })
    info = world["drbd"].setdefault(name, {
        "cut": False, "split_brain": False, "disconnected_at": None, "resync": None,
        "standalone_on": [], "initial": True, "up_by_hand": []})
    if node not in info.setdefault("up_by_hand", []):
        info["up_by_hand"].append(node)


def after_cib_change(world: dict[str, Any], cib: str) -> dict[str, dict[str, str]]:
    """The promotion scores to set now that the CIB may manage a new resource.

    For each resource brought up by hand whose ``ocf:linbit:drbd`` primitive is now in
    the CIB, the agent's scores: the sync source (or both sides once in sync) 10000, the
    other 1000. Returns per node the attributes to set; records the guest's name and
    kind from the CIB in the lab's topology.
    """
    try:
        root = ET.fromstring(cib)
    except ET.ParseError:
        return {}
    prims = {}
    for prim in root.iter("primitive"):
        if prim.get("type") == "drbd":
            res = next((nv.get("value") for nv in prim.iter("nvpair")
                        if nv.get("name") == "drbd_resource"), None)
            if res:
                prims[res] = prim.get("id", "")
    kinds = {p.get("id"): p.get("type") for p in root.iter("primitive")}
    scores: dict[str, dict[str, str]] = {}
    for guest in world["topology"]["guests"]:
        name = guest["drbd"]
        info = world["drbd"].get(name, {})
        if "up_by_hand" not in info or name not in prims:
            continue
        guest["name"] = _guest_of(root, prims[name]) or guest["name"]
        guest["kind"] = "xen" if kinds.get(guest["name"]) == "Xen" else "kvm"
        source = (info.get("resync") or {}).get("source")
        for node in guest.get("nodes", []):
            score = PROMOTION if source in (None, node) else CATCHING_UP
            scores.setdefault(node, {})[f"master-{prims[name]}"] = score
        info.pop("up_by_hand", None)
    return scores


def _guest_of(root: ET.Element, prim: str) -> str | None:
    """The guest colocated with the Promoted role of ``prim``'s clone."""
    clone = next((c.get("id") for c in root.iter("clone")
                  if any(p.get("id") == prim for p in c.iter("primitive"))), None)
    return next((c.get("rsc") for c in root.iter("rsc_colocation")
                 if c.get("with-rsc") == clone), None)
