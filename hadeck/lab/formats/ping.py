"""The system ``ping`` (iputils 20221126) as the lab answers it: the inverse of
:mod:`hadeck.probes.ping_output`, in the layout of the captures in tests/fixtures/ping/
(IPv4, ``-n``): one line per reply, the statistics, the rtt line when anything answered.
"""

from __future__ import annotations

from collections.abc import Sequence


def ping(host: str, sent: int, rtts_ms: Sequence[float], interval: float) -> tuple[str, int]:
    """``ping -n -c SENT -i INTERVAL HOST``'s stdout and exit code (0 answered, 1 not).

    Args:
        host: the address pinged.
        sent: echoes sent.
        rtts_ms: the round-trip times of the echoes that came back, in order.
        interval: seconds between echoes (the run's ``time``).
    """
    lines = [f"PING {host} ({host}) 56(84) bytes of data."]
    lines += [f"64 bytes from {host}: icmp_seq={seq} ttl=64 time={rtt:.3f} ms"
              for seq, rtt in enumerate(rtts_ms, start=1)]
    received = len(rtts_ms)
    loss = 100.0 * (sent - received) / sent if sent else 0.0
    elapsed = int(max(0, sent - 1) * interval * 1000) + 3
    lines += ["", f"--- {host} ping statistics ---",
              f"{sent} packets transmitted, {received} received, {loss:g}% packet loss, "
              f"time {elapsed}ms"]
    if not received:
        lines.append("")  # iputils ends the summary with an empty line when nothing answered
    else:
        low, high = min(rtts_ms), max(rtts_ms)
        mean = sum(rtts_ms) / received
        mdev = (sum((r - mean) ** 2 for r in rtts_ms) / received) ** 0.5
        lines.append(f"rtt min/avg/max/mdev = {low:.3f}/{mean:.3f}/{high:.3f}/{mdev:.3f} ms")
    return "\n".join(lines) + "\n", 0 if received else 1
