"""How the SNMP poller scales: 1, 64 and 256 agents polled at once, and memory per agent.

Starts one real snmpd (Debian's net-snmp) listening on 127.0.0.1 … 127.0.0.N (one UDP
port, many loopback addresses: N agents for the poller, one process for the machine),
with a throwaway community and SNMPv3 user (addresses past 127.0.0.250 go on at
127.0.1.1), and times, median of ``--repeat``:

* one agent, then 64 and 256 agents at once, each polled as a real server (the GETBULK of
  load, memory and the processor table) and, with ``--role node``, as a node (disks and
  interfaces too);
* the same over SNMPv3 authPriv (SHA/AES) with ``--v3``;

each **cold** (a new :class:`~hadeck.snmp.poller.Poller`: what a one-shot command such
as ``hadeck status`` pays) and **warm** (a poller that has polled these agents before:
what the dashboard and ``hadeck weights --every`` pay at every poll after the first),
as wall time and CPU time (``time.process_time``, the whole process: the poller's
thread too), and the ratio to one agent (the issue's goal: 64 at once ≤ 2× one), and
the memory per agent: Python's allocations at a warm poll's peak (tracemalloc), what the
poller keeps between polls, and the process's RSS growth.

Run ``python bench/snmp.py`` (``--help`` for the options). No pytest: this is a report.
Other work on the machine stretches the wall times; read the CPU times.

Before (2026-12-02, main at 7303185: every poll in a new event loop with new SNMP
engines, pyasn1 for every message; the brief's figures, quiet machine, median of 5):
v2c one agent 57 ms, 64 agents 538 ms = 9.4×, 8.4 ms per agent. Measured again beside
the new poller (same process, alternating, median of 5, CPU ms; the machine at load
9–13, so the CPU times are the figures to read):

====================  ==========  ============  ============
CPU ms                 1 agent     64 agents     256 agents
====================  ==========  ============  ============
v2c, before            79–89       380–504       2,040–2,350
v2c, cold              1.7         24            92
v2c, warm              0.9         19            73
v3 authPriv, before    87–119      574–687       2,470–2,770
v3 authPriv, cold      102–130     540–643       2,350–2,670
v3 authPriv, warm      4.3–4.8     174–206       1,135–1,240
====================  ==========  ============  ============

This bench (wall / CPU ms, median of 5; v2c at load ~10, v3 at load ~3):

=============  ===========  ===========  ===========  ==================================
wall / CPU ms   1 agent      64 agents    256 agents   memory per agent (64 / 256)
=============  ===========  ===========  ===========  ==================================
v2c cold        6.2 / 1.8    127 / 25     192 / 77
v2c warm        0.8 / 0.6    33 / 15      175 / 70     8 / 3 KiB peak, 0.9 / 0.3 KiB kept
v3 cold         107 / 104    552 / 528    1931 / 1904
v3 warm         5.2 / 4.5    258 / 256    981 / 964    62 / 34 KiB peak, 41 / 28 KiB kept
=============  ===========  ===========  ===========  ==================================

(v2c ``--role node``, disks and interfaces too: 64 agents warm 70 ms of CPU, 1.1 ms
each.) RSS grows by a few KiB per agent (less than the allocator's granularity); one
SNMPv3 engine keeps ~1.1 MiB.

**The issue's goal (64 at once ≤ 2× one) is still not met — warm, 64 agents take
~20–40× one agent — though each agent costs 15–30× less CPU than before:** 64 v2c
agents now take less than *one* agent took before (33 ms against 57 ms), 256 agents
~1/30 of the CPU they took. The ratio did not fall because one agent got as much
cheaper: on loopback a poll is all CPU and nothing overlaps but round trips of ~0.1 ms,
so 64 agents cost 64 agents' CPU (~0.25 ms each for v2c), one agent ~1 ms. The 2× would
need each agent's round trip to outweigh the CPU of all the others (≥ ~20 ms for 64
v2c agents, ~250 ms for v3): true for agents far away, not here. Which "one agent" to
compare with: for a long-lived poller (the dashboard, the weight loop) the warm poll is
what recurs, so warm against warm is the honest ratio; cold against cold is what a
one-shot command sees (v3 cold 64/1 is ~5×, because one agent's cold poll is mostly its
new engine, ~0.1 s).

What was done, in order (each measured): the MIB view pysnmp builds per engine is
shared (was ~0.3 s a poll); request OIDs resolved once per process (~0.4 ms each: 64
agents 3.9 s → 1.05 s); one request per agent, not two (the scalars as the
non-repeaters of the GETBULK that starts the processor table: ~8 %); then, in this
version: a long-lived poller, one event loop in a thread of its own, keeping the v2c
dispatcher and the SNMPv3 engines, so v3 discovery, key localisation and target
configuration are paid once per agent, not per poll (v3 warm: a third of the CPU);
v2c through pysnmp's engine-less v1/v2c dispatcher (``hlapi.v1arch``: no SNMP engine,
no per-agent target configuration in pysnmp's MIB, which cost ~4 ms an agent): v2c
CPU ~0.4×; a kept agent asked for one processor row more than it had, not 8 (2 CPUs:
6 values instead of 16); laLoadInt no longer asked (laLoad says the same); and the v2c
messages written and read by ``hadeck.snmp.ber`` instead of pyasn1 (one answer of ~20
values: 1.1 ms → 0.04 ms to decode): v2c CPU another ~8× less. SNMPv3 is still pyasn1
in pysnmp (~75 % of its CPU). Next, if v3 matters: its USM (HMAC-SHA, AES-CFB) over
``ber`` as well; and for v2c, nothing much is left (the event loop and the answer text).

snmpd 5.9 listens on only the first ~121 addresses of one ``agentAddress`` line (the
rest silently not): this bench passes the addresses on snmpd's command line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from hadeck.snmp.agent import SnmpAgent
from hadeck.snmp.poller import Answers, Poller, reading


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_snmpd(directory: Path, count: int) -> tuple[subprocess.Popen[bytes], int, str, str]:
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    port = free_port()
    community, password = "c-" + secrets.token_hex(8), "p-" + secrets.token_hex(8)
    # On the command line, not an agentAddress line: snmpd 5.9 reads a config line only
    # so far (121 addresses were listened on, the rest silently not).
    listen = ",".join(f"udp:{address(i)}:{port}" for i in range(count))
    conf = directory / "snmpd.conf"
    conf.write_text(f"rocommunity {community} 127.0.0.0/8\n"
                    f'createUser bench SHA "{password}" AES "{password}"\n'
                    "rouser bench priv\ndisk /\n")
    log = directory / "snmpd.log"
    process = subprocess.Popen(
        [snmpd, "-f", "-Lo", "-C", "-c", str(conf), "-M", "/dev/null", "-m", "",
         f"--persistentDir={directory / 'persist'}", listen],
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while "NET-SNMP version" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"snmpd did not start: {log.read_text(errors='replace')[-400:]}")
        time.sleep(0.05)
    return process, port, community, password


class Relay:
    """bench/udp_delay.py in a process of its own: every agent's address on ``port``,
    each datagram held ``rtt / 2`` each way on its way to snmpd's ``upstream`` port."""

    def __init__(self, count: int, upstream: int, rtt_ms: float) -> None:
        self.port, self.control = free_port(), free_port()
        script = Path(__file__).with_name("udp_delay.py")
        routes = [f"{address(i)}:{self.port}:{upstream}" for i in range(count)]
        self.process = subprocess.Popen(
            [sys.executable, str(script), "--delay-ms", str(rtt_ms / 2),
             "--control", str(self.control), *routes])
        pin(self.process.pid, AGENTS_CPU)
        deadline = time.monotonic() + 15
        while True:
            try:
                self.ask("reset")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the relay did not start")
                time.sleep(0.1)

    def ask(self, what: str) -> dict[str, float]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.5)
            sock.sendto(what.encode(), ("127.0.0.1", self.control))
            return json.loads(sock.recv(4096))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


POLLER_CPU: set[int] = set()
AGENTS_CPU: set[int] = set()
"""With ``--pin`` (the default on 2 CPUs or more): this process (the poller's thread
too) on the first CPU, snmpd and the relay on the last: the agents stand for other
machines, with CPUs of their own, and the relay for the network; neither takes CPU
from the poller (other work on the machine still does)."""


def pin(pid: int, cpus: set[int]) -> None:
    if cpus:
        os.sched_setaffinity(pid, cpus)


def cpu_of(pid: int) -> float:
    """Seconds of CPU a process (all its threads) has run: the scheduler's own count
    (``/proc/PID/schedstat``, nanoseconds), finer than utime's 10 ms ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def address(i: int) -> str:
    """The i-th loopback address (from 0): 127.0.0.1 … 127.0.0.250, then 127.0.1.1 …"""
    return f"127.0.{i // 250}.{1 + i % 250}"


def agents(count: int, port: int, community: str, password: str, v3: bool,
           role: str) -> list[SnmpAgent]:
    base = {"port": port, "timeout": 2.0, "retries": 1, "role": role}
    if v3:
        base |= {"version": "3", "user": "bench", "auth_password": password,
                 "priv_protocol": "AES", "priv_password": password}
    else:
        base |= {"community": community}
    return [SnmpAgent(name=f"a{i}", address=address(i), **base)  # type: ignore[arg-type]
            for i in range(count)]


def check(answers: list[Answers]) -> None:
    failed = [a for a in answers if a.error]
    if failed:
        sys.exit(f"{len(failed)} agent(s) failed: {failed[0].error}")
    for a in answers:
        if reading(a).load is None:
            sys.exit(f"{a.agent}: no load in the answers")


def timed(poller: Poller, group: list[SnmpAgent]) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process's: the poller's thread too) of one poll."""
    start, cpu = time.perf_counter(), time.process_time()
    answers = poller.poll_answers(group)
    took, used = time.perf_counter() - start, time.process_time() - cpu
    check(answers)
    return took, used


def cold(group: list[SnmpAgent]) -> tuple[float, float]:
    """A poll by a new poller (a one-shot command's poll): its thread, v2c dispatcher,
    SNMPv3 engine and discoveries, the target of each agent, all new."""
    poller = Poller()
    try:
        return timed(poller, group)
    finally:
        poller.close()


def memory(group: list[SnmpAgent]) -> tuple[float, float, float]:
    """Per agent, KiB: Python's allocations at a warm poll's peak (tracemalloc), what the
    poller keeps between polls, and the process's RSS growth over both."""
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    poller = Poller()
    tracemalloc.start()
    try:
        poller.poll_answers(group)
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        poller.poll_answers(group)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        poller.close()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = len(group)
    return (peak - current) / 1024 / n + kept / 1024 / n, kept / 1024 / n, \
        float(rss_after - rss_before) / n


def round_trips(args: argparse.Namespace, sizes: list[int], snmpd: subprocess.Popen[bytes],
                port: int, community: str, password: str) -> None:
    """Warm polls through the relay at each round trip, the sizes alternated poll by
    poll (paired: the machine's load drifts alike for all), and what the relay added."""
    print(f"\nThrough bench/udp_delay.py (each datagram held rtt/2 each way); warm polls, "
          f"sizes alternated, median of {args.repeat}: wall ms, CPU ms (this process), "
          f"× of one agent's wall; the relay's lateness p99 / max and CPU per poll; "
          f"snmpd's CPU per poll")
    for rtt in [None, *(float(r) for r in args.rtt.split(",") if r)]:
        relay = None if rtt is None else Relay(max(sizes), port, rtt)
        try:
            group_port = port if relay is None else relay.port
            every = agents(max(sizes), group_port, community, password, args.v3, args.role)
            pollers = {size: Poller() for size in sizes}
            runs: dict[int, list[tuple[float, float, float, float, float, float]]] = {
                size: [] for size in sizes}
            try:
                for size in sizes:
                    timed(pollers[size], every[:size])  # the cold poll
                    timed(pollers[size], every[:size])
                for _ in range(args.repeat):
                    for size in sizes:
                        if relay is not None:
                            relay.ask("reset")
                            relay_cpu = cpu_of(relay.process.pid)
                        snmpd_cpu = cpu_of(snmpd.pid)
                        wall, cpu = timed(pollers[size], every[:size])
                        snmpd_cpu = cpu_of(snmpd.pid) - snmpd_cpu
                        late = (0.0, 0.0, 0.0)
                        if relay is not None:
                            relay_cpu = cpu_of(relay.process.pid) - relay_cpu
                            said = relay.ask("stats")
                            late = (said["late_p99_ms"], said["late_max_ms"], relay_cpu)
                        runs[size].append((wall, cpu, *late, snmpd_cpu))
            finally:
                for poller in pollers.values():
                    poller.close()
            name = "direct" if rtt is None else f"rtt {rtt:g} ms"
            one = statistics.median(r[0] for r in runs[sizes[0]])
            for size in sizes:
                m = [statistics.median(r[i] for r in runs[size]) for i in range(6)]
                print(f"{name:>11} {size:4} agents: {m[0] * 1000:7.1f} / {m[1] * 1000:6.1f} "
                      f"(×{m[0] / one:4.2f}); {m[1] / size * 1000:5.3f} ms CPU per agent"
                      + ("" if relay is None else
                         f"; relay late {m[2]:.2f} / {m[3]:.2f} ms, CPU {m[4] * 1000:.1f} ms")
                      + f"; snmpd CPU {m[5] * 1000:.1f} ms")
        finally:
            if relay is not None:
                relay.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--v3", action="store_true", help="SNMPv3 authPriv SHA/AES")
    parser.add_argument("--role", choices=("real-server", "node"), default="real-server")
    parser.add_argument("--sizes", default="1,64,256")
    parser.add_argument("--rtt", default="0,1,5,20",
                        help="round trips (ms, comma-separated) to measure through the "
                             "relay; '' for none")
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction,
                        default=len(os.sched_getaffinity(0)) >= 2,
                        help="this process on one CPU, snmpd and the relay on another")
    parser.add_argument("--only-rtt", action="store_true",
                        help="only the round trips (not the cold / warm table on loopback)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="hadeck-bench-snmp-") as name:
        if args.pin:
            cpus = sorted(os.sched_getaffinity(0))
            POLLER_CPU.add(cpus[0])
            AGENTS_CPU.add(cpus[-1])
            pin(0, POLLER_CPU)
        process, port, community, password = start_snmpd(Path(name), max(sizes))
        pin(process.pid, AGENTS_CPU)
        try:
            every = agents(max(sizes), port, community, password, args.v3, args.role)
            cold(every[:1])  # pysnmp's own imports and first MIB view, not measured
            print(f"snmpd on {address(0)}..{address(max(sizes) - 1)}:{port}, "
                  f"{'v3 authPriv SHA/AES' if args.v3 else 'v2c'}, role {args.role}, "
                  f"median of {args.repeat}; wall ms / CPU ms (× of one agent's wall); "
                  + (f"poller on CPU {sorted(POLLER_CPU)}, snmpd and relay on CPU "
                     f"{sorted(AGENTS_CPU)}" if args.pin else "not pinned")
                  + f"; load {os.getloadavg()[0]:.1f}")
            first: dict[str, float] = {}
            for size in [] if args.only_rtt else sizes:
                group = every[:size]
                runs = {"cold": [cold(group) for _ in range(args.repeat)]}
                poller = Poller()
                try:
                    timed(poller, group)  # its first poll: the cold one
                    runs["warm"] = [timed(poller, group) for _ in range(args.repeat)]
                finally:
                    poller.close()
                said = []
                for kind, measured in runs.items():
                    wall = statistics.median(w for w, _ in measured)
                    cpu = statistics.median(c for _, c in measured)
                    first.setdefault(kind, wall)
                    said.append(f"{kind} {wall * 1000:7.1f} / {cpu * 1000:6.1f} "
                                f"(×{wall / first[kind]:4.1f})")
                peak, kept, rss = memory(group)
                print(f"{size:4} agents: {', '.join(said)}; per agent: "
                      f"{statistics.median(c for _, c in runs['warm']) / size * 1000:5.2f} "
                      f"ms CPU warm, {peak:5.1f} KiB peak, {kept:5.1f} KiB kept, "
                      f"RSS +{rss:.1f} KiB")
            if args.rtt:
                round_trips(args, sizes, process, port, community, password)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
