"""Guests: libvirt domains (virsh), Xen domains (xl) and OpenVZ containers (vzlist).

A node runs one hypervisor stack, sometimes two (libvirt beside containers). :func:`read`
asks each tool in turn; a tool that is not installed simply says that this is not the
node's hypervisor, while a tool that is installed but fails (libvirtd down, not root) is a
source error. Every guest carries the hypervisor it came from:

- libvirt: the scheme of ``virsh uri`` (``qemu`` → ``kvm``, ``xen``, ``lxc``, ``test`` …),
  or ``libvirt`` when ``virsh uri`` does not answer. One extra, cheap command buys the
  right word on Xen and LXC hosts managed through libvirt.
- ``xen`` for ``xl list``; ``openvz`` for ``vzlist -a``.

When libvirt manages Xen itself (``xen://``), ``xl list`` shows the same domains again, so
it is skipped.

``virsh list --all`` is the authority for which libvirt guests exist and their state; the
autostart list and ``virsh domstats`` only add detail, and a failure of either leaves the
guests listed without it.
"""

from __future__ import annotations

import re

from hadeck.model import Guest
from hadeck.record import FACTORY, field, record, replace
from hadeck.runner import Command, Runner
from hadeck.sources.base import (
    Clock,
    ParseError,
    Reading,
    decimal,
    never_raises,
    parsed,
    whole,
)

VIRSH_LIST = Command("guests/virsh-list.txt", ("virsh", "list", "--all"))
VIRSH_AUTOSTART = Command(
    "guests/virsh-autostart.txt", ("virsh", "list", "--all", "--name", "--autostart")
)
# --nowait: a domain whose QEMU monitor is busy or hung would otherwise block domstats
# until the runner's timeout on every poll; with it, that domain just lacks some fields.
VIRSH_DOMSTATS = Command(
    "guests/virsh-domstats.txt",
    ("virsh", "domstats", "--state", "--cpu-total", "--balloon", "--vcpu", "--nowait"),
)
VIRSH_URI = Command("guests/virsh-uri.txt", ("virsh", "uri"))
XL_LIST = Command("guests/xl-list.txt", ("xl", "list"))
VZLIST = Command("guests/vzlist.txt", ("vzlist", "-a"))

COMMANDS: tuple[Command, ...] = (
    VIRSH_LIST, VIRSH_AUTOSTART, VIRSH_DOMSTATS, VIRSH_URI, XL_LIST, VZLIST,
)

NO_HYPERVISOR = "no hypervisor tools (virsh, xl, vzlist)"

# The words virsh prints (virshDomainStateToString), indexed by virDomainState.
VIRSH_STATES: tuple[str, ...] = (
    "no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed",
    "pmsuspended",
)
_KNOWN_STATES = (*VIRSH_STATES, "saved", "blocked", "shutdown", "dying")

_URI_HYPERVISORS = {"qemu": "kvm", "kvm": "kvm"}


# --------------------------------------------------------------------------- helpers


def _lines(text: str, what: str) -> list[str]:
    """The lines of a complete output: real tools end every line with a newline."""
    _complete(text, what)
    return text.splitlines()


def _complete(text: str, what: str) -> None:
    """Raise unless ``text`` is a complete output: not empty, ending with a newline."""
    if not text.strip():
        raise ParseError(f"empty {what} output")
    if not text.endswith("\n"):
        raise ParseError(f"{what} output is truncated (no final newline)")


def _int(value: str, what: str) -> int:
    """A count, size or id: no guest has a negative one."""
    return whole(value, what)


def _float(value: str, what: str) -> float:
    """CPU seconds: never negative, infinite or NaN."""
    return decimal(value, what)


# --------------------------------------------------------------------------- virsh list



def _virsh_header(line: str) -> bool:
    """Whether this is virsh list's header, ``^ *Id +Name +State *$`` (blanks are spaces
    only; a last newline allowed), read with str methods (issue 15)."""
    line = line[:-1] if line.endswith("\n") else line
    return [word for word in line.split(" ") if word] == ["Id", "Name", "State"]



def parse_virsh_list(text: str, node: str, hypervisor: str = "kvm") -> tuple[Guest, ...]:
    """Parse ``virsh list --all``: the vshTable layout (libvirt ≥ 4.x) and the older one.

    Columns are cut at the header's offsets, which vshTable pads every cell to, so names
    and states with blanks (``backup vm``, ``shut off``) come out whole. A name that
    overflows its column (the old fixed ``%-30s`` layout, or wide characters) is split on
    a known state word at the end of the row instead.

    Args:
        text: the command's stdout.
        node: the node the guests run on.
        hypervisor: the word to record for each guest (see the module docstring).

    Returns:
        One guest per row, in virsh's order; ``id`` is None for inactive domains. Xen's
        Domain-0 (the host) is left out.

    Raises:
        ParseError: not a virsh table, or truncated.
    """
    lines = _lines(text, "virsh list")
    if not _virsh_header(lines[0]):
        raise ParseError(f"not a virsh list table: {lines[0][:80]!r}")
    if len(lines) < 2 or len(lines[1]) < 3 or lines[1].strip("-"):
        raise ParseError("virsh list table has no dash line under its header")
    name_at, state_at = lines[0].index("Name"), lines[0].index("State")
    guests = []
    for row in lines[2:]:
        if not row.strip():
            continue
        ident, name, state = _virsh_row(row, name_at, state_at)
        if ident == "0" and name == "Domain-0":
            continue  # libvirt on Xen lists the host itself as domain 0
        guests.append(Guest(name=name, node=node, hypervisor=hypervisor, state=state,
                            id=None if ident == "-" else ident))
    return tuple(guests)


def _virsh_row(row: str, name_at: int, state_at: int) -> tuple[str, str, str]:
    ident = row[:name_at].strip()
    if not ident or " " in ident:
        raise ParseError(f"virsh list row has no Id: {row!r}")
    cut_name, cut_state = row[name_at:state_at].strip(), row[state_at:].strip()
    cut_clean = (
        len(row) > state_at and row[state_at - 1] == " " and row[state_at] != " "
        and row[name_at - 1] == " " and bool(cut_name)
    )
    # vshTable always leaves 3 blanks before a column; the old layout only 1, and its
    # long names run into the State column.
    if cut_clean and (row[state_at - 3:state_at] == "   " or cut_state in _KNOWN_STATES):
        return ident, cut_name, cut_state
    rest = row[len(row) - len(row.lstrip()) + len(ident):].strip()
    for state in sorted(_KNOWN_STATES, key=len, reverse=True):
        if rest.endswith(" " + state):
            return ident, rest[: -len(state)].rstrip(), state
    if cut_clean:
        return ident, cut_name, cut_state
    parts = re.split(r" {3,}", rest)
    if len(parts) == 2:
        return ident, parts[0], parts[1]
    raise ParseError(f"cannot split virsh list row into name and state: {row!r}")


def parse_virsh_autostart(text: str) -> set[str]:
    """Parse ``virsh list --all --name --autostart``: one domain name per line.

    Raises:
        ParseError: a table instead of bare names, or truncated output.
    """
    if not text.endswith("\n"):
        raise ParseError("virsh autostart list is truncated (no final newline)")
    names = {line for line in text.splitlines() if line.strip()}
    if any(_virsh_header(name) or re.fullmatch(r"-{3,}", name) for name in names):
        raise ParseError("expected bare domain names, got a virsh table")
    return names


def parse_virsh_uri(text: str) -> str:
    """The hypervisor word for a ``virsh uri`` answer: ``qemu:///system`` → ``kvm``.

    Raises:
        ParseError: no URI in the text.
    """
    match = re.match(r"\s*([a-z][a-z0-9]*)(?:\+[a-z0-9]+)?://", text)
    if not match:
        raise ParseError(f"not a libvirt URI: {text.strip()[:80]!r}")
    scheme = match.group(1)
    return _URI_HYPERVISORS.get(scheme, scheme)


# --------------------------------------------------------------------------- domstats


@record(frozen=True)
class DomStats:
    """One ``virsh domstats`` record, with the fields hadeck uses decoded."""

    name: str
    state: str | None = None
    """The virsh word for ``state.state`` (``running``, ``shut off`` …); the raw number
    when libvirt has a state virsh did not know."""
    state_reason: int | None = None
    vcpus: int | None = None
    """``vcpu.current``."""
    memory_kib: int | None = None
    """``balloon.current``: the memory the guest has now, KiB."""
    cpu_time_s: float | None = None
    """``cpu.time``: nanoseconds in libvirt, seconds here."""
    fields: dict[str, str] = field(default_factory=dict)
    """Every ``key=value`` of the record, as printed."""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("name", "state", "state_reason", "vcpus", "memory_kib", "cpu_time_s",
                      "fields")

    def __init__(self, name: str, state: str | None = None, state_reason: int | None = None,
                 vcpus: int | None = None, memory_kib: int | None = None,
                 cpu_time_s: float | None = None, fields: dict[str, str] = FACTORY) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "state_reason", state_reason)
        object.__setattr__(self, "vcpus", vcpus)
        object.__setattr__(self, "memory_kib", memory_kib)
        object.__setattr__(self, "cpu_time_s", cpu_time_s)
        object.__setattr__(self, "fields", dict() if fields is FACTORY else fields)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(name={self.name!r}, state={self.state!r}, "
                f"state_reason={self.state_reason!r}, vcpus={self.vcpus!r}, "
                f"memory_kib={self.memory_kib!r}, cpu_time_s={self.cpu_time_s!r}, "
                f"fields={self.fields!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.name, self.state, self.state_reason, self.vcpus, self.memory_kib,
                 self.cpu_time_s, self.fields)
                == (other.name, other.state, other.state_reason, other.vcpus, other.memory_kib,
                    other.cpu_time_s, other.fields))

    def __hash__(self) -> int:
        return hash((self.name, self.state, self.state_reason, self.vcpus, self.memory_kib,
                     self.cpu_time_s, self.fields))
    # End of generated code.


def parse_virsh_domstats(text: str) -> dict[str, DomStats]:
    """Parse ``virsh domstats``: ``Domain: 'name'`` then ``  key=value`` lines per record.

    Unknown keys are kept in :attr:`DomStats.fields`; which keys appear depends on the
    hypervisor and the domain's state.

    Returns:
        Records by domain name; empty when there are no domains.

    Raises:
        ParseError: a line outside a record, a non-number in a decoded field, truncation.
    """
    return {name: _domstats(name, fields) for name, fields in _records(text).items()}


def _records(text: str) -> dict[str, dict[str, str]]:
    """``virsh domstats``'s records, each its ``key=value`` words as printed.

    Raises:
        ParseError: as :func:`parse_virsh_domstats`.
    """
    if text == "":
        return {}
    return _record_lines(_lines(text, "virsh domstats"))


def _record_lines(lines: list[str]) -> dict[str, dict[str, str]]:
    records: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in lines:
        if line.startswith("Domain: '") and line.endswith("'") and len(line) > 10:
            current = records.setdefault(line[9:-1], {})
        elif line.startswith("  ") and "=" in line and current is not None:
            key, value = line[2:].split("=", 1)
            current[key] = value
        elif line == "":
            current = None
        else:
            raise ParseError(f"unexpected line in virsh domstats output: {line[:80]!r}")
    return records


def _domstats(name: str, fields: dict[str, str]) -> DomStats:
    def number(key: str) -> int | None:
        return _int(fields[key], f"{name}: {key}") if key in fields else None

    code = number("state.state")
    state = None
    if code is not None:
        state = VIRSH_STATES[code] if 0 <= code < len(VIRSH_STATES) else fields["state.state"]
    cpu_ns = number("cpu.time")
    return DomStats(
        name=name,
        state=state,
        state_reason=number("state.reason"),
        vcpus=number("vcpu.current"),
        memory_kib=number("balloon.current"),
        cpu_time_s=cpu_ns / 1e9 if cpu_ns is not None else None,
        fields=dict(fields),
    )


Merges = dict[tuple[int, bool | None, int], tuple[Guest, DomStats | None, Guest]]
"""Merged guests by (id of the listed guest, autostart, id of its record), each kept
with its parts (which keeps the ids from being reused while it is kept)."""


def merge_virsh(
    listed: tuple[Guest, ...],
    autostart: set[str] | None = None,
    stats: dict[str, DomStats] | None = None,
    known: Merges | None = None,
    remember: Merges | None = None,
) -> tuple[Guest, ...]:
    """Add autostart and domstats detail to the guests of ``virsh list --all``.

    The list's state word is kept: it is what an operator sees in virsh. ``None`` for
    ``autostart`` or ``stats`` means that command failed, and the fields stay unknown.

    Args:
        listed: the guests of ``virsh list --all``.
        autostart: the names of ``virsh list --autostart``.
        stats: ``virsh domstats``'s records by name.
        known: earlier merges, by the very listed guest and record: the same parts
            give the very same guest back (the dashboard's poll: a stopped guest is the
            same object poll after poll, and judged as such).
        remember: where this call's merges are recorded, for the next call's ``known``.
    """
    merged = []
    for guest in listed:
        record = (stats or {}).get(guest.name)
        auto = None if autostart is None else guest.name in autostart
        key = (id(guest), auto, id(record))
        hit = known.get(key) if known is not None else None
        if hit is not None and hit[0] is guest and hit[1] is record:
            merged.append(hit[2])
            if remember is not None:
                remember[key] = hit
            continue
        one = replace(
            guest,
            autostart=auto,
            vcpus=record.vcpus if record else guest.vcpus,
            memory_kib=record.memory_kib if record else guest.memory_kib,
            cpu_time_s=record.cpu_time_s if record else guest.cpu_time_s,
        )
        if remember is not None:
            remember[key] = (guest, record, one)
        merged.append(one)
    return tuple(merged)


class _NodeGuests:
    """One node's last reading of libvirt, to give back what did not change: the list
    (by its text), each domstats record (by its text), each merged guest (by the very
    list row and record). Replaced at each read, so it holds one reading's worth."""

    def __init__(self) -> None:
        self.lists: dict[tuple[str, str], tuple[Guest, ...]] = {}
        self.records: dict[str, tuple[tuple[str, DomStats], ...]] = {}
        self.merged: Merges = {}


_NODES_KEPT = 256
_last_reads: dict[str, _NodeGuests] = {}
"""Node → its last libvirt reading (each node is read by one thread at a time)."""


def _listed(last: _NodeGuests, text: str, node: str, hypervisor: str) -> tuple[Guest, ...]:
    found = last.lists.get((text, hypervisor))
    return found if found is not None else parse_virsh_list(text, node, hypervisor)


def _stats(last: _NodeGuests, now: _NodeGuests, text: str) -> dict[str, DomStats]:
    """:func:`parse_virsh_domstats`, each record parsed only if its text is new.

    The records are the text's parts between blank lines (a blank line ends a record):
    a part that reads as it did at the last read gives the very same records back. Only
    running guests' counters move, so about half of a node's ~60 records are parsed a
    poll, not all, and none is split into its words again (~10 ms a poll at 500 guests).
    """
    if text == "":
        return {}
    _complete(text, "virsh domstats")
    parts = text.split("\n\n")
    # Every new part's lines first, then their numbers: the first error is the one a
    # parse of the whole text meets first.
    new = {part: _record_lines(part.splitlines()) for part in parts
           if part not in last.records}
    out: dict[str, DomStats] = {}
    for part in parts:
        records = last.records.get(part)
        if records is None:
            records = tuple((name, _domstats(name, fields))
                            for name, fields in new[part].items())
        now.records[part] = records
        for name, one in records:
            if name in out:  # a name printed twice: its records are one, as parsed whole
                return parse_virsh_domstats(text)
            out[name] = one
    return out


# --------------------------------------------------------------------------- xl

# Compiled on first use (``re`` caches them): most nodes run libvirt (issue 15).
_XL_HEADER = r"^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)\s*$"
_XL_FLAGS = r"^[r-][b-][p-][s-][-rscwS?][d-]$"


def parse_xl_list(text: str, node: str) -> tuple[Guest, ...]:
    """Parse ``xl list``; Domain-0 (the host itself) is left out.

    Rows are ``%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f``, read from the right so that a
    name longer than 40 characters (which shifts the row) or with blanks stays whole. The
    flags become virsh's words: ``r`` running, ``b`` idle, ``p`` paused, ``s`` in
    shutdown (``crashed`` with the ``c`` reason), ``d`` dying; a flag string hadeck does
    not know is kept as printed.

    Raises:
        ParseError: not ``xl list`` output, or a malformed row.
    """
    lines = _lines(text, "xl list")
    if not re.match(_XL_HEADER, lines[0]):
        raise ParseError(f"not xl list output: {lines[0][:80]!r}")
    guests = []
    for row in lines[1:]:
        if not row.strip():
            continue
        parts = row.rsplit(None, 5)
        if len(parts) != 6:
            raise ParseError(f"xl list row has too few columns: {row!r}")
        name, dom_id, mem_mib, vcpus, flags, seconds = parts
        if dom_id == "0" or name == "Domain-0":
            continue
        guests.append(Guest(
            name=name.strip(),
            node=node,
            hypervisor="xen",
            state=xl_state(flags),
            id=str(_int(dom_id, f"xl {name} ID")),
            vcpus=_int(vcpus, f"xl {name} VCPUs"),
            memory_kib=_int(mem_mib, f"xl {name} Mem") * 1024,
            cpu_time_s=_float(seconds, f"xl {name} Time(s)"),
        ))
    return tuple(guests)


def xl_state(flags: str) -> str:
    """The virsh word for xl's six state flags (``-b----`` → ``idle``)."""
    if not re.match(_XL_FLAGS, flags):
        return flags
    if flags[5] == "d":
        return "dying"
    if flags[3] == "s":
        return "crashed" if flags[4] == "c" else "in shutdown"
    if flags[2] == "p":
        return "paused"
    if flags[1] == "b" and flags[0] != "r":
        return "idle"
    # No flag at all is a runnable domain waiting for a CPU: alive, so running.
    return "running"


# --------------------------------------------------------------------------- vzlist

_VZ_HEADER = r"^\s*CTID\s+NPROC\s+STATUS\s+IP_ADDR\s+HOSTNAME\s*$"  # compiled on first use


def parse_vzlist(text: str, node: str) -> tuple[Guest, ...]:
    """Parse ``vzlist -a`` (default fields ``ctid,numproc,status,ip,hostname``).

    The guest's name and id are the CTID, which Pacemaker's ManageVE agent names as
    ``veid``. vzlist prints nothing on stdout when there are no containers.

    Raises:
        ParseError: not vzlist's table, or a malformed row.
    """
    if text == "":
        return ()
    lines = _lines(text, "vzlist")
    if not re.match(_VZ_HEADER, lines[0]):
        raise ParseError(f"not vzlist -a output: {lines[0][:80]!r}")
    guests = []
    for row in lines[1:]:
        if not row.strip():
            continue
        parts = row.split()
        if len(parts) < 3:
            raise ParseError(f"vzlist row has too few columns: {row!r}")
        ctid, _nproc, status = parts[:3]
        _int(ctid, "vzlist CTID")
        guests.append(Guest(name=ctid, node=node, hypervisor="openvz", state=status, id=ctid))
    return tuple(guests)


# --------------------------------------------------------------------------- reading


@record()
class _Probe:
    """What one hypervisor tool said: absent, guests, or an error."""

    installed: bool
    guests: tuple[Guest, ...] = ()
    error: str | None = None
    detail: str = ""
    hypervisor: str | None = None

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("installed", "guests", "error", "detail", "hypervisor")

    def __init__(self, installed: bool, guests: tuple[Guest, ...] = (), error: str | None = None,
                 detail: str = "", hypervisor: str | None = None) -> None:
        object.__setattr__(self, "installed", installed)
        object.__setattr__(self, "guests", guests)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "detail", detail)
        object.__setattr__(self, "hypervisor", hypervisor)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(installed={self.installed!r}, "
                f"guests={self.guests!r}, error={self.error!r}, detail={self.detail!r}, "
                f"hypervisor={self.hypervisor!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.installed, self.guests, self.error, self.detail, self.hypervisor)
                == (other.installed, other.guests, other.error, other.detail, other.hypervisor))
    # End of generated code.


def _probe_libvirt(runner: Runner) -> _Probe:
    listing = runner.fetch(VIRSH_LIST)
    if listing.missing:
        return _Probe(installed=False)
    if not listing.ok:
        return _Probe(True, (), listing.reason(), "virsh")
    uri, _ = parsed(runner.fetch(VIRSH_URI), parse_virsh_uri)
    hypervisor = uri or "libvirt"
    detail = f"virsh ({hypervisor})"
    node = runner.node
    last, now = _last_reads.get(node) or _NodeGuests(), _NodeGuests()
    listed, error = parsed(listing, lambda text: _listed(last, text, node, hypervisor))
    if listed is None:
        return _Probe(True, (), error, detail, hypervisor)
    now.lists[(listing.stdout, hypervisor)] = listed
    autostart, _ = parsed(runner.fetch(VIRSH_AUTOSTART), parse_virsh_autostart)
    stats, _ = parsed(runner.fetch(VIRSH_DOMSTATS), lambda text: _stats(last, now, text))
    guests = merge_virsh(listed, autostart, stats, last.merged, now.merged)
    _last_reads.pop(node, None)
    while len(_last_reads) >= _NODES_KEPT:
        del _last_reads[next(iter(_last_reads))]
    _last_reads[node] = now
    return _Probe(True, guests, None, detail, hypervisor)


def _probe_xl(runner: Runner) -> _Probe:
    result = runner.fetch(XL_LIST)
    if result.missing:
        return _Probe(installed=False)
    guests, error = parsed(result, lambda text: parse_xl_list(text, runner.node))
    return _Probe(True, guests or (), error, "xl")


def _probe_vzlist(runner: Runner) -> _Probe:
    result = runner.fetch(VZLIST)
    if result.missing:
        return _Probe(installed=False)
    # vzctl before bug #2149 was fixed exited 1 when a node had no containers.
    if result.returncode == 1 and "Container(s) not found" in result.stderr:
        return _Probe(True, (), None, "vzlist")
    guests, error = parsed(result, lambda text: parse_vzlist(text, runner.node))
    return _Probe(True, guests or (), error, "vzlist")


@never_raises("guests")
def read(runner: Runner) -> Reading[tuple[Guest, ...]]:
    """Read the node's guests from every hypervisor tool it has.

    Never raises. A tool that is not installed is skipped; none at all gives an empty
    reading with the detail :data:`NO_HYPERVISOR`. A tool that is installed but fails
    is an error; when another tool answered, its guests are still returned beside it.
    """
    clock = Clock("guests", runner.node)
    libvirt = _probe_libvirt(runner)
    probes = [("virsh", libvirt)]
    if libvirt.hypervisor != "xen":
        probes.append(("xl", _probe_xl(runner)))
    probes.append(("vzlist", _probe_vzlist(runner)))
    installed = [p for _, p in probes if p.installed]
    # Which tools could look: health tells "no such guest here" from "nothing to see it".
    tools = tuple(name for name, p in probes if p.installed)
    if not installed:
        return clock.done((), detail=NO_HYPERVISOR)
    guests = tuple(g for p in installed for g in p.guests)
    errors = [p.error for p in installed if p.error is not None]
    detail = ", ".join(p.detail for p in installed)
    if not errors:
        return clock.done(guests, detail=detail, tools=tools)
    if len(errors) == len(installed):
        return clock.failed("; ".join(errors), detail=detail)
    return Reading(guests, clock.status(error="; ".join(errors), detail=detail, tools=tools))
