"""DRBD's configuration as ``drbdadm dump`` prints it: read it, and write a resource file.

``drbdadm dump all`` prints the configuration after drbdadm has read every include and
filled in what it implies, in one normal form for 8.4 and 9 (9 adds ``node-id`` and may
add ``connection`` sections): the conventions of a running cluster — minors, ports,
protocol, options — are read from it, not from ``/etc/drbd.d`` files in their authors'
many styles. A new resource is written in the same form, in 8.4 or 9 syntax.

The parser is pure and never raises but :class:`~hadeck.sources.base.ParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from hadeck.sources.base import ParseError

_TOKEN = re.compile(r'\s*(?:#[^\n]*|"((?:[^"\\]|\\.)*)"|([{};])|([^\s{};"#]+))')
_ADDRESS = re.compile(r"^(?:(?P<family>ipv4|ipv6|ssocks|sdp)\s+)?"
                      r"(?P<host>\[[^\]]+\]|[^\s:]+):(?P<port>\d+)$")

SECTIONS = ("options", "net", "disk", "startup", "handlers")
"""The option sections a resource carries over to a new one, in drbdadm's order."""


@dataclass(frozen=True)
class Statement:
    """One statement: its words, and the statements of its block if it has one."""

    words: tuple[str, ...]
    block: tuple[Statement, ...] | None = None

    @property
    def key(self) -> str:
        return self.words[0] if self.words else ""

    @property
    def value(self) -> str:
        return " ".join(self.words[1:])


@dataclass(frozen=True)
class DrbdHost:
    """One ``on HOST { … }`` section of a resource.

    Attributes:
        name: the host name (what ``uname -n`` says on that node).
        device: the device path (``/dev/drbd1``).
        minor: the device minor.
        disk: the backing device.
        meta_disk: ``internal`` or a device.
        address: the replication address without the family (``10.0.0.1``).
        port: the replication port.
        family: ``ipv4`` (also when the dump gives none), ``ipv6``.
        node_id: DRBD 9's node id, if the dump has one.
    """

    name: str
    device: str | None = None
    minor: int | None = None
    disk: str | None = None
    meta_disk: str | None = None
    address: str | None = None
    port: int | None = None
    family: str = "ipv4"
    node_id: int | None = None


@dataclass(frozen=True)
class DrbdResourceConfig:
    """One resource of the configuration.

    Attributes:
        name: the resource name.
        hosts: its ``on`` sections.
        sections: its option sections (``net``, ``disk`` …), each as (key, value) pairs;
            8.4's resource-level ``protocol`` is kept under ``net`` as 9 writes it.
        ports: every port its addresses use (hosts and DRBD 9 connections).
    """

    name: str
    hosts: tuple[DrbdHost, ...]
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    ports: tuple[int, ...] = ()

    def section(self, name: str) -> dict[str, str]:
        return dict(next((pairs for key, pairs in self.sections if key == name), ()))

    @property
    def protocol(self) -> str:
        return self.section("net").get("protocol", "C")

    def host(self, name: str) -> DrbdHost | None:
        return next((h for h in self.hosts if h.name == name), None)

    @property
    def minors(self) -> tuple[int, ...]:
        return tuple(sorted({h.minor for h in self.hosts if h.minor is not None}))


@dataclass(frozen=True)
class DrbdConfig:
    """The whole configuration one node's ``drbdadm dump all`` printed."""

    resources: tuple[DrbdResourceConfig, ...] = ()
    common: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())

    def resource(self, name: str) -> DrbdResourceConfig | None:
        return next((r for r in self.resources if r.name == name), None)

    @property
    def minors(self) -> set[int]:
        return {m for r in self.resources for m in r.minors}

    @property
    def ports(self) -> set[int]:
        return {p for r in self.resources for p in r.ports}

    def next_minor(self) -> int:
        """The lowest minor above every one in use (gaps are left: a minor freed by a
        resource that was removed may still be named in a node's udev or fstab)."""
        return max(self.minors, default=-1) + 1

    def next_port(self, first: int = 7789) -> int:
        """The port after the highest in use; DRBD's documented first port when none."""
        return max(self.ports, default=first - 1) + 1


# --------------------------------------------------------------------------- parsing


def _tokens(text: str) -> Iterator[str]:
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ParseError(f"drbdadm dump: cannot read {text[pos:pos + 20]!r}")
        pos = match.end()
        quoted, mark, word = match.groups()
        if quoted is not None:
            yield quoted
        elif mark is not None:
            yield mark
        elif word is not None:
            yield word


def parse_statements(text: str) -> tuple[Statement, ...]:
    """The statements of a DRBD configuration text (``drbdadm dump``'s form).

    Raises:
        ParseError: unbalanced braces, a statement without its ``;``.
    """
    stack: list[list[Statement]] = [[]]
    heads: list[tuple[str, ...]] = []
    words: list[str] = []
    for token in _tokens(text):
        if token == ";":
            if words:
                stack[-1].append(Statement(tuple(words)))
            words = []
        elif token == "{":
            heads.append(tuple(words))
            stack.append([])
            words = []
        elif token == "}":
            if words or not heads:
                raise ParseError("drbdadm dump: unbalanced '}' or a statement without ';'")
            block = tuple(stack.pop())
            stack[-1].append(Statement(heads.pop(), block))
        else:
            words.append(token)
    if heads or words:
        raise ParseError("drbdadm dump: the text ends inside a section")
    return tuple(stack[0])


def parse_dump(text: str) -> DrbdConfig:
    """``drbdadm dump all`` (8.4 or 9) as a :class:`DrbdConfig`.

    Raises:
        ParseError: the text is not a DRBD configuration.
    """
    resources: list[DrbdResourceConfig] = []
    common: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    for stmt in parse_statements(text):
        if stmt.block is None:
            continue
        if stmt.key == "common":
            common = _sections(stmt.block)
        elif stmt.key == "resource" and len(stmt.words) == 2:
            resources.append(_resource(stmt.words[1], stmt.block))
    return DrbdConfig(tuple(resources), common)


def _sections(block: Sequence[Statement]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    found: dict[str, list[tuple[str, str]]] = {}
    for stmt in block:
        if stmt.block is not None and stmt.key in SECTIONS and len(stmt.words) == 1:
            found.setdefault(stmt.key, []).extend(
                (s.key, s.value) for s in stmt.block if s.block is None)
        elif stmt.block is None and stmt.key == "protocol":
            found.setdefault("net", []).insert(0, ("protocol", stmt.value))
    return tuple((k, tuple(found[k])) for k in SECTIONS if k in found)


def _resource(name: str, block: Sequence[Statement]) -> DrbdResourceConfig:
    hosts: list[DrbdHost] = []
    ports: set[int] = set()
    for stmt in block:
        if stmt.block is None:
            continue
        if stmt.key == "on" and len(stmt.words) >= 2:
            host = _host(stmt.words[1], stmt.block)
            hosts.append(host)
            if host.port is not None:
                ports.add(host.port)
        else:
            ports.update(_ports(stmt.block))
    return DrbdResourceConfig(name, tuple(hosts), _sections(block), tuple(sorted(ports)))


def _ports(block: Sequence[Statement]) -> Iterator[int]:
    """Every port of the ``address`` statements in a block, at any depth (DRBD 9's
    ``connection { host a address …; }``)."""
    for stmt in block:
        if stmt.block is not None:
            yield from _ports(stmt.block)
            continue
        if "address" in stmt.words:
            rest = stmt.words[stmt.words.index("address") + 1:]
            parsed = _address(" ".join(rest))
            if parsed is not None:
                yield parsed[2]


def _address(text: str) -> tuple[str, str, int] | None:
    match = _ADDRESS.match(text.strip())
    if match is None:
        return None
    port = _int(match["port"])
    if port is None:
        return None
    return (match["family"] or "ipv4", match["host"].strip("[]"), port)


def _host(name: str, block: Sequence[Statement]) -> DrbdHost:
    values: dict[str, str] = {s.key: s.value for s in block if s.block is None}
    # DRBD 9 with volumes: device, disk and meta-disk sit in ``volume N { … }``; a new
    # resource takes the first volume's.
    volume = next((s.block for s in block if s.key == "volume" and s.block is not None), ())
    for stmt in volume:
        if stmt.block is None:
            values.setdefault(stmt.key, stmt.value)
    device = values.get("device")
    minor: int | None = None
    if device:
        # "device /dev/drbd1 minor 1", "device minor 1", "device /dev/drbd1"
        words = device.split()
        if "minor" in words and words.index("minor") + 1 < len(words):
            minor = _int(words[words.index("minor") + 1])
        path = next((w for w in words if w.startswith("/")), None)
        if minor is None and path:
            digits = re.search(r"(\d+)$", path)
            minor = _int(digits.group(1)) if digits else None
        device = path or (f"/dev/drbd{minor}" if minor is not None else None)
    parsed = _address(values.get("address", ""))
    return DrbdHost(
        name, device, minor, values.get("disk"), values.get("meta-disk"),
        parsed[1] if parsed else None, parsed[2] if parsed else None,
        parsed[0] if parsed else "ipv4", _int(values.get("node-id")))


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- writing


def render(res: DrbdResourceConfig, version: str = "8.4") -> str:
    """``res`` as a resource file (``/etc/drbd.d/NAME.res``) in 8.4 or 9 syntax.

    8.4 has no node ids; 9 needs them on every host (0, 1 … in host order when the
    resource has none). Values are written as drbdadm dump prints them: words, and a
    quoted string where a value holds a blank (handlers).
    """
    nine = version.startswith("9")
    lines = [f"resource {res.name} {{"]
    for index, host in enumerate(res.hosts):
        lines.append(f"    on {host.name} {{")
        if nine:
            node_id = host.node_id if host.node_id is not None else index
            lines.append(f"        node-id   {node_id};")
        if host.minor is not None:
            lines.append(f"        device    {host.device or f'/dev/drbd{host.minor}'} "
                         f"minor {host.minor};")
        if host.disk:
            lines.append(f"        disk      {host.disk};")
        lines.append(f"        meta-disk {host.meta_disk or 'internal'};")
        if host.address and host.port is not None:
            ip = f"[{host.address}]" if host.family == "ipv6" else host.address
            lines.append(f"        address   {host.family} {ip}:{host.port};")
        lines.append("    }")
    for name, pairs in res.sections:
        if not pairs:
            continue
        lines.append(f"    {name} {{")
        lines.extend(f"        {key:<18} {_quoted(value)};" for key, value in pairs)
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    if value and not any(c in value for c in ' \t;{}#"'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
