"""Pinging hosts from a node: loss and round-trip time over N echoes, many hosts at once.

On the machine hadeck runs on, echoes are sent in process where the kernel allows it
(:mod:`hadeck.probes.icmp`: an unprivileged ICMP datagram socket when
``net.ipv4.ping_group_range`` admits one of the user's groups, a raw socket as root),
IPv4 and IPv6 alike. Everywhere else the system ``ping`` runs through the node's runner
and its summary is read by :func:`hadeck.probes.ping_output.parse_ping`: on another node
(over ssh) and in the lab, every host's ping in one command (:data:`BATCH`), one round
trip per node and poll; on this machine when no socket may be opened, one process per
host, all at once (:func:`ping_argv`, no shell).

Every host gets the same budget, so one dead host never slows the others: in process,
the whole probe takes ``(count - 1) × interval + timeout`` at most; with ``ping``, each run
is bounded by the same plus a margin for starting it (and for ssh).
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hadeck.model import PingProbe
from hadeck.probes import icmp
from hadeck.probes.ping_output import parse_ping
from hadeck.runner import Runner
from hadeck.sources.base import parse_output

_HOST = re.compile(r"[A-Za-z0-9_.:%\[\]][A-Za-z0-9_.:%\[\]-]{0,252}")
"""What a host of a ``host_list`` may be: a name, an IPv4 or IPv6 address (``%scope``);
never an option (a leading ``-``), a blank or a control character."""

MAX_PARALLEL = 32
"""``ping`` processes (or ssh sessions) run at once per node."""


@dataclass(frozen=True)
class PingSettings:
    """How hosts are pinged: ``count`` echoes, ``interval`` apart, replies awaited for
    ``timeout`` seconds after the last (``ping -c COUNT -i INTERVAL -W TIMEOUT``)."""

    count: int = 3
    interval: float = 0.2
    timeout: float = 1.0
    in_process: bool = True
    """Send echoes in process on the local node where allowed (else always ``ping``)."""
    batch: bool | None = None
    """Run every host's ``ping`` in one command (:data:`BATCH`): one ssh round trip per
    node instead of one per host. None: on every node but the local one."""

    @property
    def budget(self) -> float:
        """Seconds the echoes and their replies take at most."""
        return max(0, self.count - 1) * self.interval + self.timeout


DEFAULT_SETTINGS = PingSettings()


@dataclass(frozen=True)
class Target:
    """A host to ping and why."""

    host: str
    roles: tuple[str, ...] = ()


def ping_argv(host: str, settings: PingSettings) -> tuple[str, ...]:
    """The system ping's argv (iputils; IPv4 and IPv6 alike)."""
    return ("ping", "-n", "-c", str(settings.count), "-W", f"{settings.timeout:g}",
            "-i", f"{settings.interval:g}", "--", host)


BATCH = (
    'c=$1 w=$2 i=$3; shift 3; d=$(mktemp -d) || exit 125; n=0; '
    'for h in "$@"; do n=$((n+1)); '
    '(ping -n -c "$c" -W "$w" -i "$i" -- "$h" >"$d/$n" 2>&1; echo $? >"$d/$n.rc") & '
    'done; wait; n=0; '
    'for h in "$@"; do n=$((n+1)); echo "== hadeck-ping $n $(cat "$d/$n.rc")"; '
    'cat "$d/$n"; done; rm -rf "$d"'
)
"""The remote side of a batched probe, for ``sh -c`` with the settings and hosts as its
arguments: every host's ping at once, then each one's output after a ``== hadeck-ping N
EXIT`` line, in order. A fixed script, like the runner's stream watchdog: the hosts stay
data in ``"$@"`` (quoted by :func:`shlex.join` over ssh), each after ``--``."""
_SECTION = re.compile(r"^== hadeck-ping (\d+) (\d+)$", re.MULTILINE)


def batch_argv(hosts: Sequence[str], settings: PingSettings) -> tuple[str, ...]:
    """``sh -c BATCH`` with its arguments."""
    return ("sh", "-c", BATCH, "hadeck-ping", str(settings.count), f"{settings.timeout:g}",
            f"{settings.interval:g}", *hosts)


def split_batch(text: str, hosts: int) -> list[tuple[int, str] | None]:
    """Each host's ``(exit code, output)`` from :data:`BATCH`'s output; None for a host
    the output does not have (the command was cut short)."""
    out: list[tuple[int, str] | None] = [None] * hosts
    marks = list(_SECTION.finditer(text))
    # Each mark with the next (None after the last); no marks at all (garbage) is no host.
    for mark, after in zip(marks, [*marks[1:], None][:len(marks)], strict=True):
        index = int(mark[1][:6]) - 1
        if 0 <= index < hosts:
            end = after.start() if after is not None else len(text)
            out[index] = (int(mark[2][:3]), text[mark.end():end].lstrip("\n"))
    return out


def ping(runner: Runner, targets: Sequence[Target],
         settings: PingSettings = DEFAULT_SETTINGS) -> tuple[PingProbe, ...]:
    """Ping every target from the runner's node; never raises.

    Args:
        runner: the node's runner; a local one may send echoes in process.
        targets: the hosts, each once.
        settings: count, interval and timeout.

    Returns:
        One probe per target, in order.
    """
    if not targets:
        return ()
    found: list[PingProbe | None] = [None] * len(targets)
    for index, target in enumerate(targets):
        if not _HOST.fullmatch(target.host):
            # From the CIB or a configuration file: data, and not always a host name.
            found[index] = PingProbe(runner.node, target.host, roles=target.roles,
                                     error=f"not a host name or address: {target.host!r}")
    targets_left = [i for i, p in enumerate(found) if p is None]
    if not targets_left:
        return tuple(p for p in found if p is not None)
    if runner.local and settings.in_process:
        _in_process(runner.node, targets, settings, found, targets_left)
    rest = [i for i, p in enumerate(found) if p is None]
    batch = settings.batch if settings.batch is not None else not runner.local
    if rest and batch:
        for index, probe in zip(rest, _batched(runner, [targets[i] for i in rest], settings),
                                strict=True):
            found[index] = probe
    elif rest:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(rest)),
                                thread_name_prefix=f"ping-{runner.node}") as pool:
            done = pool.map(lambda i: _with_ping(runner, targets[i], settings), rest)
            for index, probe in zip(rest, done, strict=True):
                found[index] = probe
    return tuple(p for p in found if p is not None)


def _in_process(node: str, targets: Sequence[Target], settings: PingSettings,
                found: list[PingProbe | None], indexes: Sequence[int]) -> None:
    """Fill in what the in-process echoes can measure of ``targets[indexes]``; the rest
    stays None."""
    addresses = _resolve([targets[i].host for i in indexes], settings.timeout)
    sendable: list[int] = []
    sockaddrs: list[tuple[int, tuple[object, ...]]] = []
    for index, address in zip(indexes, addresses, strict=True):
        target = targets[index]
        if isinstance(address, str):
            found[index] = PingProbe(node, target.host, error=address, roles=target.roles,
                                     method="resolve")
        else:
            sendable.append(index)
            sockaddrs.append(address)
    if not sendable:
        return
    try:
        echoes = icmp.echo(sockaddrs, settings.count, settings.interval, settings.timeout)
    except OSError:
        # Whatever the socket layer refused, the system ping may still do: fall back.
        for index in sendable:
            found[index] = None
        return
    for index, result in zip(sendable, echoes, strict=True):
        target = targets[index]
        if result is None:
            found[index] = None  # no socket for its family: the system ping tries
            continue
        rtts = result.rtts_ms
        found[index] = PingProbe(
            node, target.host, sent=result.sent, received=len(rtts),
            rtt_min_ms=min(rtts) if rtts else None,
            rtt_avg_ms=sum(rtts) / len(rtts) if rtts else None,
            rtt_max_ms=max(rtts) if rtts else None,
            method=result.method, error=result.error, roles=target.roles)


def _resolve(hosts: Sequence[str], limit: float) -> list[tuple[int, tuple[object, ...]] | str]:
    """Each host's ``(family, sockaddr)``, or why it has none; names given ``limit`` s.

    Addresses resolve at once; a name asks the resolver, which may hang (no DNS server):
    those lookups run in daemon threads and what has not answered in time is an error.
    """
    out: list[tuple[int, tuple[object, ...]] | str] = ["" for _ in hosts]
    threads = []

    def lookup(index: int, host: str, numeric: bool) -> None:
        flags = socket.AI_NUMERICHOST if numeric else 0
        try:
            info = socket.getaddrinfo(host, None, type=socket.SOCK_RAW, flags=flags)
        except (OSError, ValueError) as exc:  # UnicodeError is a ValueError
            out[index] = f"{host}: {getattr(exc, 'strerror', None) or exc}"
            return
        family, _, _, _, sockaddr = info[0]
        out[index] = (int(family), tuple(sockaddr))

    for index, host in enumerate(hosts):
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET,
                             host.split("%", 1)[0])
            lookup(index, host, numeric=True)
        except (OSError, ValueError):
            thread = threading.Thread(target=lookup, args=(index, host, False), daemon=True)
            thread.start()
            threads.append((index, host, thread))
    deadline = time.monotonic() + limit
    for index, host, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive() or out[index] == "":
            out[index] = f"{host}: name did not resolve within {limit:g} s"
    return out


def _batched(runner: Runner, targets: Sequence[Target],
             settings: PingSettings) -> list[PingProbe]:
    """Every host with the system ping, in one command on the node (:data:`BATCH`)."""
    margin = 1.0 if runner.local else 5.0  # process start; ssh's connection
    result = runner.run(batch_argv([t.host for t in targets], settings),
                        timeout=settings.budget + margin)
    if result.error is None and result.returncode not in (0, None):
        # The script itself failed (no sh, no mktemp): every host for the same reason.
        result = dataclasses.replace(result, error=result.reason())
    sections = split_batch(result.stdout, len(targets)) if result.error is None else []
    missing = "ping: no output for this host"
    if result.stdout.strip() and not any(sections):
        # Not one section: not the batch's output at all (a wrapper, a broken shell).
        first = result.stdout.strip().splitlines()[0][:80]
        missing = f"ping: not ping's output: {first!r}"
    out = []
    for index, target in enumerate(targets):
        section = sections[index] if sections else None
        base = PingProbe(runner.node, target.host, method="ping", roles=target.roles)
        if section is None:
            out.append(_replace(base, error=result.error or missing))
        elif section[0] == 127:
            out.append(_replace(base, error=f"ping: command not found on {runner.node}"))
        else:
            out.append(_counted(base, section[1], section[1], section[0]))
    return out


def _with_ping(runner: Runner, target: Target, settings: PingSettings) -> PingProbe:
    """One host with the system ping through the runner."""
    margin = 1.0 if runner.local else 5.0  # process start; ssh's connection
    result = runner.run(ping_argv(target.host, settings), timeout=settings.budget + margin)
    base = PingProbe(runner.node, target.host, method="ping", roles=target.roles)
    if result.error is not None:
        return _replace(base, error=result.error)
    return _counted(base, result.stdout, result.stderr, result.returncode)


def _counted(base: PingProbe, stdout: str, stderr: str, code: int | None) -> PingProbe:
    """``base`` with what one ping run printed."""
    try:
        counts = parse_output(lambda text: parse_ping(text, stderr, code), stdout)
    except ValueError as exc:
        return _replace(base, error=f"ping: {exc}")
    return dataclasses.replace(base, sent=counts.sent, received=counts.received,
                               rtt_min_ms=counts.rtt_min_ms, rtt_avg_ms=counts.rtt_avg_ms,
                               rtt_max_ms=counts.rtt_max_ms, error=counts.error)


def _replace(probe: PingProbe, error: str) -> PingProbe:
    return PingProbe(probe.node, probe.host, method=probe.method, error=error,
                     roles=probe.roles)
