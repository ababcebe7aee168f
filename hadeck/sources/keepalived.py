"""keepalived: the VRRP state of a director's instances.

keepalived has no query interface that leaves it alone: its state comes out as files it
writes when signalled, or as lines on a notify FIFO. This module reads them:

- :func:`parse_json_dump`: ``/tmp/keepalived.json``, written on the JSON signal
  (``keepalived --signum=JSON`` prints its number; keepalived must be built with JSON).
- :func:`parse_data_dump`: ``/tmp/keepalived.data``, written on SIGUSR1
  (``keepalived --signum=DATA``). Only ``State =`` lines inside the VRRP Topology section
  are trusted: the Interfaces section has ``State = UP, RUNNING`` lines too.
- :func:`parse_notify_fifo`: the lines keepalived writes to ``notify_fifo`` /
  ``vrrp_notify_fifo`` / ``lvs_notify_fifo``.

**The reader never signals keepalived.** A reader must not change anything, and the dumps
are written by whoever runs keepalived: for example a systemd timer or cron job running
``kill -s $(keepalived --signum=JSON) $(cat /run/keepalived.pid)`` every few seconds, or a
``notify`` script that does so on every transition. Without them :func:`read` reports
"keepalived state not available", which is not an error: most nodes run no keepalived.
The dumps are mode 0600 and owned by root, so a non-root reader gets "permission denied";
and they can be stale, since nothing here knows when they were written.

The JSON dump is preferred (one stable structure); it has no master router address, so
when the data dump is also there and agrees on an instance's state, its ``Master router``
is added. The dump directory is fixed at build time (``--with-tmp-dir``); newer keepalived
can move it with ``state_dump_file``, and the Command paths then need to follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from hadeck.model import VrrpInstance
from hadeck.record import record, replace
from hadeck.runner import Command, CommandResult, Runner
from hadeck.sources.base import Clock, ParseError, Reading, never_raises, parse_output

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any

JSON_DUMP = Command("keepalived/keepalived.json", path="/tmp/keepalived.json")
DATA_DUMP = Command("keepalived/keepalived.data", path="/tmp/keepalived.data")

COMMANDS: tuple[Command, ...] = (JSON_DUMP, DATA_DUMP)

NOT_AVAILABLE = "keepalived state not available"

# keepalived/include/vrrp.h; 97 and 98 are internal but can reach a dump during shutdown.
STATE_NAMES: dict[int, str] = {
    0: "INIT",
    1: "BACKUP",
    2: "MASTER",
    3: "FAULT",
    97: "DELETED",
    98: "STOP",
}

_SECTION_RE = re.compile(r"^------< (.+?) >------\s*$")
# Matched on rstripped lines: "(.*?)\s*$" takes quadratic time on a long blank run
# (20,000 blanks: 4 s), which a garbled dump would be.
_INSTANCE_RE = re.compile(r"^ VRRP Instance = (.+)$")
_FIELD_RE = re.compile(r"^   (\S[^=]*?) = (.*)$")
_VIP_LIST_RE = re.compile(r"^   Virtual IP(?: Excluded)? \(\d+\):\s*$")
_LIST_ITEM_RE = re.compile(r"^    +(\S+)")
_FIFO_VRRP_RE = re.compile(r'^(INSTANCE|GROUP) "(.*)" (\S+)(?: (-?[0-9]+))?$')

_TOPOLOGY = "VRRP Topology"


# --------------------------------------------------------------------------- data dump


def parse_data_dump(text: str) -> tuple[VrrpInstance, ...]:
    """Parse ``/tmp/keepalived.data`` (keepalived's SIGUSR1 dump).

    Args:
        text: the file's exact text.

    Returns:
        The instances of the VRRP Topology section in file order; none when keepalived
        runs no VRRP (a checker-only dump has no such section). Virtual IPs (plain and
        excluded) are kept as ``address/prefix``. ``master_router`` is only printed for
        BACKUP instances.

    Raises:
        ParseError: not a keepalived dump, or an instance without a ``State`` (truncated).
    """
    lines = text.splitlines()
    if not any(_SECTION_RE.match(line) for line in lines):
        first = next((line.strip() for line in lines if line.strip()), "")
        raise ParseError(f"not a keepalived data dump: first line is {first[:80]!r}")
    blocks = _instance_blocks(_section(lines, _TOPOLOGY))
    return tuple(_dump_instance(name, block) for name, block in blocks)


def _section(lines: list[str], title: str) -> list[str]:
    found: list[str] = []
    inside = False
    for line in lines:
        match = _SECTION_RE.match(line)
        if match is not None:
            inside = match.group(1) == title
        elif inside:
            found.append(line)
    return found


def _instance_blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _INSTANCE_RE.match(line.rstrip())
        if match is not None:
            blocks.append((match.group(1), []))
        elif blocks:
            blocks[-1][1].append(line)
    return blocks


def _dump_instance(name: str, lines: list[str]) -> VrrpInstance:
    fields: dict[str, str] = {}
    vips: list[str] = []
    in_vips = False
    for line in lines:
        if _VIP_LIST_RE.match(line):
            in_vips = True
            continue
        item = _LIST_ITEM_RE.match(line)
        if item is not None:
            if in_vips:
                vips.append(item.group(1))
            continue
        in_vips = False
        field = _FIELD_RE.match(line.rstrip())
        if field is not None:
            fields.setdefault(field.group(1), field.group(2))
    if "State" not in fields:
        raise ParseError(f"VRRP instance {name!r} has no State line (truncated dump?)")
    return VrrpInstance(
        name=name,
        state=fields["State"],
        priority=_maybe_int(fields.get("Priority")),
        effective_priority=_maybe_int(fields.get("Effective priority")),
        virtual_router_id=_maybe_int(fields.get("Virtual Router ID")),
        interface=fields.get("Interface"),
        master_router=fields.get("Master router"),
        virtual_ips=tuple(vips),
    )


def _maybe_int(text: str | None) -> int | None:
    # At most 20 digits: int() of a longer one could raise (the 4,300-digit limit).
    if text is None or re.fullmatch(r"-?[0-9]{1,20}", text) is None:
        return None
    return int(text)


# --------------------------------------------------------------------------- JSON dump


def parse_json_dump(text: str) -> tuple[VrrpInstance, ...]:
    """Parse ``/tmp/keepalived.json`` (keepalived's JSON dump).

    States may be numbers (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 97 DELETED, 98 STOP) or
    names; an unknown number is kept as its digits. The dump has no master router
    address, so ``master_router`` is None.

    Args:
        text: the file's exact text.

    Returns:
        One instance per list entry, in file order.

    Raises:
        ParseError: not JSON, or not a list of ``{"data": {"iname": ...}}`` objects.
    """
    try:
        entries = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not a keepalived JSON dump: {exc}") from None
    if not isinstance(entries, list):
        raise ParseError("not a keepalived JSON dump: the top level is not a list")
    return tuple(_json_instance(entry, index) for index, entry in enumerate(entries))


def _json_instance(entry: Any, index: int) -> VrrpInstance:
    data = entry.get("data") if isinstance(entry, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("iname"), str):
        raise ParseError(f"entry {index} of the JSON dump has no data.iname")
    return VrrpInstance(
        name=data["iname"],
        state=_state_name(data.get("state"), index),
        priority=_json_int(data.get("base_priority")),
        effective_priority=_json_int(data.get("effective_priority")),
        virtual_router_id=_json_int(data.get("vrid")),
        interface=data.get("ifp_ifname") if isinstance(data.get("ifp_ifname"), str) else None,
        virtual_ips=_json_vips(data),
    )


def _state_name(state: Any, index: int) -> str:
    if isinstance(state, bool) or state is None:
        raise ParseError(f"entry {index} of the JSON dump has no state")
    if isinstance(state, int):
        return STATE_NAMES.get(state, str(state))
    if isinstance(state, str) and state:
        return state
    raise ParseError(f"entry {index} of the JSON dump has state {state!r}")


def _json_int(value: Any) -> int | None:
    # Priorities and router ids are 0-255; anything far outside is no number keepalived wrote.
    if isinstance(value, bool) or not isinstance(value, int) or not -2**31 <= value < 2**32:
        return None
    return value


def _json_vips(data: dict[str, Any]) -> tuple[str, ...]:
    # Each entry is format_ipaddress(): "10.99.0.100/24 dev v0 scope global set".
    found: list[str] = []
    for key in ("vips", "evips"):
        vips = data.get(key)
        for vip in vips if isinstance(vips, list) else ():
            if isinstance(vip, str) and vip.split():
                found.append(vip.split()[0])
    return tuple(found)


# --------------------------------------------------------------------------- notify FIFO


@record(frozen=True)
class FifoState:
    """What a run of notify-FIFO lines says, latest line per name winning."""

    instances: tuple[VrrpInstance, ...] = ()
    """``INSTANCE`` lines: one per instance, with the state and priority of its last line."""
    groups: tuple[VrrpInstance, ...] = ()
    """``GROUP`` lines (VRRP sync groups), in the same shape."""
    checks: tuple[tuple[str, str, bool], ...] = ()
    """``VS``/``RS`` lines from ``lvs_notify_fifo`` as (kind, name, up). For ``RS`` the
    name is ``"<rs> <vs>"`` as written, e.g. ``[192.0.2.11]:tcp:80 [192.0.2.100]:tcp:80``."""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("instances", "groups", "checks")

    def __init__(self, instances: tuple[VrrpInstance, ...] = (),
                 groups: tuple[VrrpInstance, ...] = (),
                 checks: tuple[tuple[str, str, bool], ...] = ()) -> None:
        object.__setattr__(self, "instances", instances)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "checks", checks)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(instances={self.instances!r}, "
                f"groups={self.groups!r}, checks={self.checks!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.instances, self.groups, self.checks)
                == (other.instances, other.groups, other.checks))

    def __hash__(self) -> int:
        return hash((self.instances, self.groups, self.checks))
    # End of generated code.


def parse_notify_fifo(lines: str | Iterable[str]) -> FifoState:
    """Fold keepalived notify-FIFO lines into the latest state of each name.

    Lines are ``INSTANCE "VI_1" MASTER 100`` or ``GROUP "VG_1" BACKUP 0`` (the priority is
    missing before keepalived 2.0), and on the LVS FIFO ``VS <vs> UP|DOWN`` and
    ``RS <rs> <vs> UP|DOWN``. keepalived writes a NUL byte after each VS/RS line; NUL
    bytes are removed wherever they are. State words are kept as written (``{UNKNOWN}``
    included).

    Args:
        lines: the text read from the FIFO, or its lines.

    Returns:
        Instances, sync groups and VS/RS check results, each in first-seen order.

    Raises:
        ParseError: a line that is none of these.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    instances: dict[str, VrrpInstance] = {}
    groups: dict[str, VrrpInstance] = {}
    checks: dict[tuple[str, str], bool] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.replace("\0", "").strip()
        if not line:
            continue
        vrrp = _FIFO_VRRP_RE.match(line)
        if vrrp is not None:
            kind, name, state, priority = vrrp.groups()
            target = instances if kind == "INSTANCE" else groups
            target[name] = VrrpInstance(name=name, state=state, priority=_maybe_int(priority))
            continue
        kind, name, up = _fifo_check(line, lineno)
        checks[(kind, name)] = up
    return FifoState(
        instances=tuple(instances.values()),
        groups=tuple(groups.values()),
        checks=tuple((kind, name, up) for (kind, name), up in checks.items()),
    )


def _fifo_check(line: str, lineno: int) -> tuple[str, str, bool]:
    words = line.split()
    # A VS may be written "FWM <mark>", so the name is everything between kind and state.
    if len(words) < 3 or words[0] not in ("VS", "RS") or words[-1] not in ("UP", "DOWN"):
        raise ParseError(f"line {lineno}: not a keepalived notify line: {line[:80]!r}")
    return words[0], " ".join(words[1:-1]), words[-1] == "UP"


# --------------------------------------------------------------------------- reader


@never_raises("keepalived")
def read(runner: Runner) -> Reading[tuple[VrrpInstance, ...]]:
    """Read the VRRP instances from keepalived's dump files; never raises.

    The JSON dump is preferred, then the data dump. Nothing is signalled: the dumps must
    be written by the operator's keepalived setup (see the module docstring).

    Args:
        runner: reads the files on the node (``runner.node`` names the director).

    Returns:
        The instances with ``director`` set; ``()`` with detail "keepalived state not
        available" when neither dump exists. A dump that exists but cannot be read or
        parsed is an error, unless the other one is good.
    """
    clock = Clock("keepalived", runner.node)
    json_result = runner.fetch(JSON_DUMP)
    data_result = runner.fetch(DATA_DUMP)
    from_json, json_error = _parse(json_result, JSON_DUMP, parse_json_dump)
    from_data, data_error = _parse(data_result, DATA_DUMP, parse_data_dump)
    if from_json is not None:
        found = _add_master_routers(from_json, from_data or ())
        detail = JSON_DUMP.describe() + (f" ({data_error})" if data_error else "")
    elif from_data is not None:
        found = from_data
        detail = DATA_DUMP.describe() + (f" ({json_error})" if json_error else "")
    else:
        errors = [e for e in (json_error, data_error) if e]
        if errors:
            return clock.failed("; ".join(errors), detail="keepalived dumps")
        return clock.done((), detail=NOT_AVAILABLE)
    return clock.done(tuple(replace(i, director=runner.node) for i in found), detail=detail)


def _parse(
    result: CommandResult, command: Command, parser: Callable[[str], tuple[VrrpInstance, ...]]
) -> tuple[tuple[VrrpInstance, ...] | None, str | None]:
    """The instances from one dump, or None and why (no reason when the file is absent)."""
    path = command.describe()
    if result.missing:
        return None, None
    if not result.ok:
        return None, f"{path}: {result.reason()}"
    try:
        return parse_output(parser, result.stdout), None
    except ParseError as exc:
        return None, f"cannot parse {path}: {exc}"


def _add_master_routers(
    instances: tuple[VrrpInstance, ...], dumped: tuple[VrrpInstance, ...]
) -> tuple[VrrpInstance, ...]:
    # The two dumps are written at different moments: only trust the data dump's master
    # router for an instance whose state it reports the same.
    by_name = {i.name: i for i in dumped}
    enriched: list[VrrpInstance] = []
    for inst in instances:
        other = by_name.get(inst.name)
        if inst.master_router is None and other is not None and other.state == inst.state:
            inst = replace(inst, master_router=other.master_router)
        enriched.append(inst)
    return tuple(enriched)
