"""The system ``ping``'s output (iputils), read into counts: a pure parser.

hadeck runs ``ping -n -c N -W T -i I HOST`` where it cannot send ICMP itself (no socket
allowed to this user) and on other nodes over ssh; the lab answers the same argv. Only the
summary is read, which iputils prints the same way since at least 2015 (busybox's
``packets received`` and ``round-trip`` are read too)::

    --- 192.0.2.254 ping statistics ---
    3 packets transmitted, 2 received, +1 errors, 33.3333% packet loss, time 406ms
    rtt min/avg/max/mdev = 0.035/0.049/0.075/0.018 ms

The rtt line is missing when nothing answered. A ping that could not start (no route,
a name that does not resolve) prints one line on stderr and exits 2: that is the
reason, not a parse error. Real captures: tests/fixtures/ping/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hadeck.sources.base import ParseError, decimal, whole

_STATS = re.compile(
    r"^(?P<sent>\d+) packets transmitted, (?P<received>\d+) (?:packets )?received"
    r"(?:, \+\d+ duplicates)?(?:, \+\d+ corrupted)?(?:, \+\d+ errors)?"
    r", [0-9.]+% packet loss", re.MULTILINE)
_RTT = re.compile(
    r"^(?:rtt|round-trip) min/avg/max(?:/mdev|/stddev)? = "
    r"(?P<min>[0-9.]+)/(?P<avg>[0-9.]+)/(?P<max>[0-9.]+)(?:/[0-9.]+)? ms", re.MULTILINE)


@dataclass(frozen=True)
class PingCounts:
    """What one ``ping`` run measured; ``error`` when it could not measure at all."""

    sent: int = 0
    received: int = 0
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    error: str | None = None


def parse_ping(stdout: str, stderr: str = "", returncode: int | None = 0) -> PingCounts:
    """Read one iputils ``ping`` run.

    Args:
        stdout: what ping printed (its summary is what counts).
        stderr: its error line, the reason when it printed no summary.
        returncode: its exit code: 0 something answered, 1 nothing did, 2 an error.

    Returns:
        The counts, or counts with ``error`` when ping measured nothing (exit 2 and no
        summary: no route, the name does not resolve).

    Raises:
        ParseError: the output is not ping's: no summary where there must be one, more
            received than sent, replies without round-trip times.
    """
    stats = _STATS.search(stdout)
    if stats is None:
        reason = _first_line(stderr) or _first_line(stdout)
        if returncode not in (0, 1) and reason:
            return PingCounts(error=reason[:200])
        raise ParseError("no 'packets transmitted' summary in ping's output")
    sent = whole(stats["sent"], "packets transmitted")
    received = whole(stats["received"], "packets received")
    if received > sent:
        raise ParseError(f"ping says {received} received of {sent} sent")
    rtt = _RTT.search(stdout, stats.end())
    if received and rtt is None:
        raise ParseError("replies were received but ping printed no rtt line")
    if rtt is None:
        return PingCounts(sent, received)
    low, mean, high = (decimal(rtt[k], f"rtt {k}") for k in ("min", "avg", "max"))
    if not low <= mean <= high:
        raise ParseError(f"rtt min/avg/max out of order: {low}/{mean}/{high}")
    return PingCounts(sent, received, low, mean, high)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
