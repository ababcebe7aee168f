"""Guests as the hypervisor tools print them: ``virsh``, ``xl list`` and ``vzlist -a``.

The inverse of :mod:`hadeck.sources.guests`. Each function takes the lab's
:class:`~hadeck.model.Guest` objects and returns the exact stdout of one command, in the
layout of the versions hadeck's parsers were written against (FORMATS.md, section h):

- ``virsh list --all``: libvirt's vshTable (virsh 9.0.0, Debian 12), checked byte for
  byte against real captures made with libvirt's test driver;
- ``virsh list --all --name --autostart`` and ``virsh domstats``: virsh 9.0.0's printing
  code (``virshDomainStatsPrintRecord``) with the fields a QEMU domain reports;
- ``xl list``: ``tools/xl/xl_list.c`` ``list_domains``;
- ``vzlist -a``: vzctl's default fields ``ctid,numproc,status,ip,hostname``.

The model does not hold everything these tools print. What a renderer has to make up, it
makes up deterministically from the guest (never randomly), so the same lab state always
gives the same text: domstats' state reasons and CPU split, Domain-0's row in ``xl list``,
a container's process count. The IP address and host name of a container are not in the
model and print as ``-``, as vzlist prints unset values.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from hadeck.model import Guest
from hadeck.sources.guests import VIRSH_STATES

# --------------------------------------------------------------------------- virsh list


def _width(text: str) -> int:
    """Terminal columns of ``text``, as vshTable measures cells (mbrtowc + wcwidth).

    East Asian wide and full-width characters take two columns, combining marks none.
    Only matters under a UTF-8 locale: hadeck runs virsh with ``LC_ALL=C``, where virsh
    9.0.0 prints non-ASCII names as ``\\xff`` escapes (a libvirt quirk the lab does not
    copy; its guest names are ASCII).
    """
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _virsh_order(guests: Sequence[Guest]) -> list[Guest]:
    """Guests in the order virsh lists them (``virshDomainSorter``).

    Active domains first by id, then inactive ones by name, compared with
    ``vshStrcasecmp`` (ASCII case folding only, hence ``bytes.lower``).
    """
    def key(guest: Guest) -> tuple[int, int, bytes]:
        if guest.id is None:
            return (1, 0, guest.name.encode().lower())
        ident = int(guest.id) if guest.id.isdigit() else 0
        return (0, ident, b"")

    return sorted(guests, key=key)


def _vsh_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """libvirt's vshTable: the layout of ``virsh list`` since libvirt 4.x.

    Each cell is preceded by one blank and padded to its column's widest cell plus two
    blanks (so columns are 3 blanks apart); the last cell is not padded. The dash line
    has ``width + 3`` dashes per column, and virsh prints an empty line after the table.
    """
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for index, row in enumerate(table):
        parts = []
        for i, cell in enumerate(row):
            parts.append(" " + cell)
            if i < len(row) - 1:
                parts.append(" " * (widths[i] - _width(cell) + 2))
        lines.append("".join(parts))
        if index == 0:
            lines.append("-" * sum(width + 3 for width in widths))
    return "\n".join(lines) + "\n\n"


def virsh_list(guests: Sequence[Guest]) -> str:
    """``virsh list --all`` as virsh 9.0.0 prints it.

    Args:
        guests: the node's libvirt guests, in any order (virsh's own order is applied:
            running domains by id, then shut-off ones by name).

    Returns:
        The table, with ``-`` as the id of inactive domains and the final empty line.
    """
    rows = [
        ("-" if guest.id is None else guest.id, guest.name, guest.state)
        for guest in _virsh_order(guests)
    ]
    return _vsh_table(("Id", "Name", "State"), rows)


def virsh_autostart(guests: Sequence[Guest]) -> str:
    """``virsh list --all --name --autostart``: one name per line, then an empty line.

    Only guests whose ``autostart`` is True are listed, in virsh's list order. With none,
    the output is the empty line alone (as captured from virsh 9.0.0).
    """
    names = [guest.name for guest in _virsh_order(guests) if guest.autostart]
    return "".join(f"{name}\n" for name in names) + "\n"


# --------------------------------------------------------------------------- domstats

# virsh's extra words for states it only shows with other options, and the xl words:
# the virDomainState code each stands for.
_STATE_CODES: dict[str, int] = {
    **{word: code for code, word in enumerate(VIRSH_STATES)},
    "blocked": 2, "shutdown": 4, "saved": 5,
}

# A plausible state.reason per state (virDomain*Reason enums): the model keeps only the
# state word, and these are what a domain that got there the ordinary way reports.
# running 1 = booted, paused 1 = user, in shutdown 1 = user, shut off 1 = shutdown,
# crashed 1 = panicked, saved = shut off with reason 5 (saved).
_STATE_REASONS: dict[str, int] = {
    "running": 1, "paused": 1, "in shutdown": 1, "shut off": 1, "crashed": 1, "saved": 5,
}

_NS = 1_000_000_000


def _state_code(guest: Guest) -> int:
    if guest.state in _STATE_CODES:
        return _STATE_CODES[guest.state]
    if guest.state.isdigit():
        # The parser keeps a code virsh has no word for as the number itself.
        return int(guest.state)
    raise ValueError(f"guest {guest.name}: no libvirt state code for {guest.state!r}")


def _domstats_record(guest: Guest) -> list[str]:
    fields = [
        f"state.state={_state_code(guest)}",
        f"state.reason={_STATE_REASONS.get(guest.state, 0)}",
    ]
    active = guest.id is not None
    # --cpu-total reads the domain's cgroup, which only a running QEMU process has.
    if active and guest.cpu_time_s is not None:
        total = round(guest.cpu_time_s * _NS)
        # cgroup v2 counts user and system time in microseconds; made-up split of the
        # total (3/4 user, 1/5 system, the rest unaccounted), as real counters never
        # add up exactly either.
        fields += [
            f"cpu.time={total}",
            f"cpu.user={total * 3 // 4 // 1000 * 1000}",
            f"cpu.system={total // 5 // 1000 * 1000}",
        ]
    if guest.memory_kib is not None:
        # The model has one memory figure: the balloon is at its maximum.
        fields += [f"balloon.current={guest.memory_kib}", f"balloon.maximum={guest.memory_kib}"]
    if guest.vcpus is not None:
        fields += [f"vcpu.current={guest.vcpus}", f"vcpu.maximum={guest.vcpus}"]
    return fields


def virsh_domstats(guests: Sequence[Guest]) -> str:
    """``virsh domstats --state --cpu-total --balloon --vcpu --nowait`` for QEMU guests.

    Per guest: ``Domain: 'name'``, then ``  key=value`` lines, then an empty line. A
    running guest has ``state.*``, ``cpu.time``/``cpu.user``/``cpu.system`` (ns),
    ``balloon.current``/``balloon.maximum`` (KiB) and ``vcpu.current``/``vcpu.maximum``;
    a shut-off guest the same without ``cpu.*``, as QEMU reports it.

    Left out, because the model has nothing to fill them with: QEMU's per-vCPU fields
    (``vcpu.<n>.state/time/wait/delay``), the guest's balloon statistics
    (``balloon.rss``, ``balloon.unused`` …, which need a stats period) and
    ``cpu.haltpoll.*``. hadeck's parser keeps but does not use them.

    Args:
        guests: the node's libvirt guests; printed in the given order (libvirt's own
            order here is its hash table's, which no caller can rely on).

    Returns:
        The records; the empty string when there are no guests, as virsh prints nothing.

    Raises:
        ValueError: a guest's state has no libvirt state code.
    """
    out = []
    for guest in guests:
        out.append(f"Domain: '{guest.name}'\n")
        out.extend(f"  {field}\n" for field in _domstats_record(guest))
        out.append("\n")
    return "".join(out)


# --------------------------------------------------------------------------- xl list

_XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"

# The flags xl prints for each virsh word that parse_xl_list gives (xl_state's inverse).
_XL_FLAGS: dict[str, str] = {
    "running": "r-----",
    "idle": "-b----",
    "blocked": "-b----",
    "paused": "--p---",
    "in shutdown": "---s--",
    "shutdown": "---s--",
    "crashed": "---sc-",
    "dying": "-----d",
    "no state": "------",
}

# Domain-0: made up. Its memory and vCPUs are what a small Xen host gives dom0
# (dom0_mem=4096M, dom0_max_vcpus=4); its CPU time grows with the guests' (dom0 runs
# their block and network back ends), so it advances with the lab's clock.
_DOM0_MEM_MIB = 4096
_DOM0_VCPUS = 4
_DOM0_BASE_S = 300.0
_DOM0_SHARE = 0.1


def _xl_flags(guest: Guest) -> str:
    if guest.state in _XL_FLAGS:
        return _XL_FLAGS[guest.state]
    if len(guest.state) == 6 and all(c in "-rbpscwS?d" for c in guest.state):
        return guest.state  # flags the parser kept as printed
    raise ValueError(f"guest {guest.name}: no xl state flags for {guest.state!r}")


def _xl_row(name: str, dom_id: int, mem_mib: int, vcpus: int, flags: str, time_s: float) -> str:
    # xl_list.c: "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"; Python's float format
    # rounds like glibc's printf (both exact on the binary value).
    return f"{name:<40} {dom_id:5d} {mem_mib:5d} {vcpus:5d}     {flags}  {time_s:8.1f}\n"


def xl_list(guests: Sequence[Guest]) -> str:
    """``xl list``: the header, Domain-0, then the guests by domain id.

    xl lists running domains only, so guests without an id are left out. Memory is
    printed in MiB (``memory_kib // 1024``); unknown figures print as 0.

    Raises:
        ValueError: a guest's state has no xl flags.
    """
    active = sorted(
        (g for g in guests if g.id is not None),
        key=lambda g: int(g.id) if g.id and g.id.isdigit() else 0,
    )
    guest_time = sum(g.cpu_time_s or 0.0 for g in active)
    rows = [_xl_row("Domain-0", 0, _DOM0_MEM_MIB, _DOM0_VCPUS, "r-----",
                    _DOM0_BASE_S + _DOM0_SHARE * guest_time)]
    for guest in active:
        rows.append(_xl_row(
            guest.name, int(guest.id or 0), (guest.memory_kib or 0) // 1024,
            guest.vcpus or 0, _xl_flags(guest), guest.cpu_time_s or 0.0,
        ))
    return _XL_HEADER + "".join(rows)


# --------------------------------------------------------------------------- vzlist

_VZ_HEADER = "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n"


def _nproc(guest: Guest) -> str:
    """NPROC: ``-`` unless running; else a made-up count that stays the same per CT."""
    if guest.state != "running":
        return "-"
    return str(10 + sum(guest.name.encode()) % 40)


def vzlist(guests: Sequence[Guest]) -> str:
    """``vzlist -a`` with its default fields, rows ``%10s %10s %-9s %-15s %-32s`` trimmed.

    Containers are listed by CTID. The model has no IP address or host name, so both
    print as ``-`` (vzlist's word for an unset value).

    Returns:
        The table; the empty string when there are no containers (vzlist then writes
        ``Container(s) not found`` to stderr only).
    """
    if not guests:
        return ""
    ordered = sorted(guests, key=lambda g: (int(g.name) if g.name.isdigit() else 0, g.name))
    rows = [
        f"{g.id or g.name:>10} {_nproc(g):>10} {g.state:<9} {'-':<15} {'-':<32}".rstrip() + "\n"
        for g in ordered
    ]
    return _VZ_HEADER + "".join(rows)
