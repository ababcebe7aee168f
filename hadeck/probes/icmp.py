"""ICMP echo in process: many hosts at once, one socket per address family.

Two kinds of socket can send echoes without the system ``ping``:

- the unprivileged ICMP datagram socket (``SOCK_DGRAM, IPPROTO_ICMP``; ``IPPROTO_ICMPV6``
  for IPv6), allowed when ``net.ipv4.ping_group_range`` (it governs IPv6 too) admits one
  of the user's groups. The kernel fills in the identifier (the socket's "port") and
  hands the socket only the replies meant for it;
- a raw socket, for root (``CAP_NET_RAW``): every ICMP packet the host receives comes in
  (IPv4 with its IP header), so replies are told apart by an identifier of our own.

:func:`available` says which one this process may open, per family; :func:`echo` sends
``count`` echoes to every target, ``interval`` apart, all targets in the same round, and
waits for replies until ``timeout`` after the last round. The time is therefore the same
for 1 host or 32 and for live or dead ones: a dead host costs the wait, once, not per host.
No thread, no subprocess; a select loop.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

DGRAM = "icmp-dgram"
RAW = "icmp-raw"
_TYPES: dict[int, tuple[int, int]] = {socket.AF_INET: (8, 0), socket.AF_INET6: (128, 129)}
"""Echo request and echo reply types, per family."""
_PROTO: dict[int, int] = {socket.AF_INET: socket.IPPROTO_ICMP,
                          socket.AF_INET6: socket.IPPROTO_ICMPV6}
_PAYLOAD = b"hadeck-probe" + bytes(range(44))
"""56 bytes, as ping sends by default."""


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(family: int, ident: int, seq: int, payload: bytes = _PAYLOAD) -> bytes:
    """An ICMP (or ICMPv6) echo request. The ICMPv6 checksum is left to the kernel, which
    computes it for every ICMPv6 socket (it covers a pseudo-header we do not know)."""
    kind = _TYPES[family][0]
    header = struct.pack("!BBHHH", kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    if family == socket.AF_INET6:
        return header + payload
    total = checksum(header + payload)
    return struct.pack("!BBHHH", kind, 0, total, ident & 0xFFFF, seq & 0xFFFF) + payload


def parse_reply(family: int, packet: bytes, with_ip_header: bool) -> tuple[int, int] | None:
    """The ``(identifier, sequence)`` of an echo reply; None for any other packet.

    Args:
        family: ``AF_INET`` or ``AF_INET6``.
        packet: what the socket received.
        with_ip_header: a raw IPv4 socket receives the IP header too.
    """
    if with_ip_header:
        if len(packet) < 20 or packet[0] >> 4 != 4:
            return None
        packet = packet[(packet[0] & 0x0F) * 4:]
    if len(packet) < 8 or packet[0] != _TYPES[family][1] or packet[1] != 0:
        return None
    ident, seq = struct.unpack("!HH", packet[4:8])
    return ident, seq


def open_socket(family: int) -> tuple[socket.socket, str] | None:
    """An ICMP socket of ``family`` this process may use, and its kind; None if none.

    The datagram socket is tried first: it needs no privilege where ping_group_range
    allows it, and as root it keeps other processes' ICMP out of our loop.
    """
    for kind, name in ((socket.SOCK_DGRAM, DGRAM), (socket.SOCK_RAW, RAW)):
        try:
            sock = socket.socket(family, kind, _PROTO[family])
        except OSError:
            continue
        sock.setblocking(False)
        return sock, name
    return None


def available(family: int) -> str | None:
    """Which in-process method this process may use for ``family``; None: none."""
    opened = open_socket(family)
    if opened is None:
        return None
    opened[0].close()
    return opened[1]


@dataclass
class Echoes:
    """What one target answered."""

    method: str
    sent: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Family:
    sock: socket.socket
    method: str
    ident: int


def _same(a: str, b: str) -> bool:
    return a.split("%", 1)[0] == b.split("%", 1)[0]


def echo(targets: Sequence[tuple[int, tuple[object, ...]]], count: int, interval: float,
         timeout: float) -> list[Echoes | None]:
    """Send ``count`` echoes to every target and collect the replies.

    Args:
        targets: ``(family, sockaddr)`` per target, as :func:`socket.getaddrinfo` gives
            them.
        count: echoes per target.
        interval: seconds between two rounds of echoes.
        timeout: seconds to wait for replies after the last round.

    Returns:
        Per target, in order: its echoes, or None when no ICMP socket of its family may
        be opened here (the caller falls back to the system ``ping``).
    """
    families: dict[int, _Family] = {}
    for family in {f for f, _ in targets}:
        opened = open_socket(family)
        if opened is not None:
            # The kernel replaces the identifier of a datagram socket's echoes with its own.
            ident = (os.getpid() ^ id(opened[0]) ^ time.monotonic_ns()) & 0xFFFF
            families[family] = _Family(opened[0], opened[1], ident)
    results: list[Echoes | None] = [
        Echoes(families[f].method) if f in families else None for f, _ in targets]
    try:
        _run(targets, families, results, count, interval, timeout)
    finally:
        for fam in families.values():
            fam.sock.close()
    return results


def _run(targets: Sequence[tuple[int, tuple[object, ...]]], families: dict[int, _Family],
         results: list[Echoes | None], count: int, interval: float, timeout: float) -> None:
    pending: dict[tuple[int, int], tuple[int, float]] = {}
    """(family, sequence) → (target index, time sent)."""
    seq = 0
    start = time.monotonic()
    rounds = 0
    deadline = start + max(0, count - 1) * interval + timeout
    by_sock = {fam.sock: family for family, fam in families.items()}
    while True:
        now = time.monotonic()
        if rounds < count and now >= start + rounds * interval:
            for index, (family, addr) in enumerate(targets):
                result = results[index]
                if result is None or family not in families or result.error:
                    continue
                seq = (seq + 1) & 0xFFFF
                fam = families[family]
                try:
                    fam.sock.sendto(echo_request(family, fam.ident, seq), addr)
                except OSError as exc:
                    if result.sent == 0:
                        result.error = exc.strerror or str(exc)
                    continue
                result.sent += 1
                pending[(family, seq)] = (index, time.monotonic())
            rounds += 1
            continue
        if rounds >= count and (not pending or now >= deadline):
            return
        wake = min(start + rounds * interval if rounds < count else deadline, deadline)
        ready, _, _ = select.select(list(by_sock), [], [], max(0.0, wake - now))
        for sock in ready:
            family = by_sock[sock]
            _receive(sock, family, families[family], targets, results, pending)


def _receive(sock: socket.socket, family: int, fam: _Family,
             targets: Sequence[tuple[int, tuple[object, ...]]], results: list[Echoes | None],
             pending: dict[tuple[int, int], tuple[int, float]]) -> None:
    while True:
        try:
            packet, source = sock.recvfrom(4096)
        except BlockingIOError:
            return
        except OSError as exc:
            # A queued ICMP error (EHOSTUNREACH) surfaces here: that echo is just lost.
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return
            continue
        got = time.monotonic()
        raw = fam.method == RAW
        reply = parse_reply(family, packet, with_ip_header=raw and family == socket.AF_INET)
        if reply is None or (raw and reply[0] != fam.ident):
            continue
        entry = pending.get((family, reply[1]))
        if entry is None:
            continue
        index, sent_at = entry
        if not _same(str(source[0]), str(targets[index][1][0])):
            continue
        del pending[(family, reply[1])]
        result = results[index]
        if result is not None:
            result.rtts_ms.append((got - sent_at) * 1000.0)
