"""A UDP relay that holds every datagram a fixed time each way: a round trip on loopback.

This kernel has no netem (``tc qdisc add … netem``: unknown kind), so bench/snmp.py puts
this between the poller and snmpd to stand for agents that are other machines, a network
round trip away. Run as its own process (its CPU is not the poller's)::

    python bench/udp_delay.py --delay-ms D --control PORT ADDRESS:LISTEN:UPSTREAM ...

For each ``ADDRESS``: a socket bound to ``ADDRESS:LISTEN`` (where the poller sends) and
one connected to ``ADDRESS:UPSTREAM`` (where snmpd listens). A datagram from the poller
leaves for snmpd ``D`` ms after it came in; snmpd's answer leaves for the poller ``D`` ms
after it came in: the round trip is ``2 D`` plus what the relay itself adds.

What the relay adds is measured, not assumed: each datagram's lateness (when it left
minus when it was due: the kernel's arrival time, ``SO_TIMESTAMPNS``, plus ``D``, so the
time it waited in the relay's socket counts too) and the relay's own CPU time, asked
for and reset over ``127.0.0.1:PORT`` (``stats`` / ``reset``; the answer is JSON).
Loopback only.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import selectors
import socket
import struct
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--control", type=int, required=True)
    parser.add_argument("routes", nargs="+", help="ADDRESS:LISTEN:UPSTREAM")
    args = parser.parse_args()
    delay = args.delay_ms / 1000
    try:
        # Real-time priority where allowed (root): woken at its due time even when the
        # machine is busy (measured: without it, 0.5–1 ms late at load 3); it runs a few
        # tens of µs per datagram, never spins (epoll or nanosleep), and the kernel keeps
        # 5 % of each second for the others (sched_rt_runtime_us).
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (PermissionError, OSError, AttributeError):
        pass
    chooser = selectors.EpollSelector()
    control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    control.bind(("127.0.0.1", args.control))
    chooser.register(control, selectors.EVENT_READ, None)
    clients: dict[int, object] = {}
    for route in args.routes:
        address, listen, upstream = route.rsplit(":", 2)
        down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        down.bind((address, int(listen)))
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind((address, 0))
        up.connect((address, int(upstream)))
        for sock in (down, up):
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        # (socket read, where its datagrams go, True: towards the agent)
        chooser.register(down, selectors.EVENT_READ, (up, down, True))
        chooser.register(up, selectors.EVENT_READ, (down, down, False))
    due: list[tuple[float, int, socket.socket, bytes, object]] = []
    late: list[float] = []
    sequence = 0
    cpu_at = time.process_time()
    control.setblocking(False)
    while True:
        wait = None if not due else due[0][0] - time.time()
        if wait is not None and wait <= 0.002:
            # epoll waits whole milliseconds (Python rounds up: a 0.5 ms hold became
            # ~1 ms) and select(2) over 500 sockets costs ~0.3 ms a call: the last
            # 2 ms are slept (nanosleep, ~0.07 ms late), in steps short enough that a
            # datagram coming in meanwhile is not held past its own due time.
            if wait > 0:
                time.sleep(min(wait, max(delay / 2, 0.0001)))
            wait = 0
        elif wait is not None:
            wait -= 0.0015
        for key, _ in chooser.select(wait):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if key.data is None:
                request, sender = sock.recvfrom(64)
                if request == b"reset":
                    late.clear()
                    cpu_at = time.process_time()
                late_sorted = sorted(late)
                n = len(late_sorted)
                said = {"datagrams": n, "cpu_s": time.process_time() - cpu_at,
                        "late_median_ms": late_sorted[n // 2] * 1000 if n else 0.0,
                        "late_p99_ms": late_sorted[min(n - 1, n * 99 // 100)] * 1000
                        if n else 0.0,
                        "late_max_ms": late_sorted[-1] * 1000 if n else 0.0}
                sock.sendto(json.dumps(said).encode(), sender)
                continue
            out, down, towards_agent = key.data
            while True:
                try:
                    data, ancillary, _, sender = sock.recvmsg(65535, 64)
                except BlockingIOError:
                    break
                # When the kernel took it in (not when this loop got to it): the
                # time it waited in the socket is the relay's lateness too.
                arrived = time.time()
                for level, kind, raw in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        seconds, nanoseconds = struct.unpack("qq", raw[:16])
                        arrived = seconds + nanoseconds / 1e9
                if towards_agent:
                    clients[down.fileno()] = sender
                    where: object = None
                else:
                    where = clients.get(down.fileno())
                    if where is None:
                        continue
                sequence += 1
                heapq.heappush(due, (arrived + delay, sequence, out, data, where))
        now = time.time()
        while due and due[0][0] <= now:
            at, _, out, data, where = heapq.heappop(due)
            if where is None:
                out.send(data)
            else:
                out.sendto(data, where)
            late.append(time.time() - at)


if __name__ == "__main__":
    main()
