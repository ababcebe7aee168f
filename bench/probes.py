"""The ping probe's wall time: 32 hosts × 3 echoes, one of them dead (aim: ≤ 1.5 s).

Informational, not a test. Needs root: it builds the namespaces of
tests/probes/netns.py (prefix ``hdp``; 31 live hosts on a bridge, and one address
nobody answers for), removes them at the end, and pings only inside them. Each way of
pinging is timed inside the prober's namespace, around :func:`hadeck.probes.ping.ping`
alone (not the Python start): in process as root (raw socket), in process as ``nobody``
(datagram socket, with ``ping_group_range`` opened in that namespace), and with the
system ``ping`` through the runner (one process per host, all at once).

    sudo python bench/probes.py [-n 5] [--hosts 32]

Measured here (2 shared cores, median of 5, 32 hosts × 3 echoes 0.2 s apart, replies
awaited 1 s, one host dead):

    in process, root, the live ones only       0.40 s (the last reply ends it)
    in process, root (raw socket)              1.40 s
    in process, nobody (datagram socket)       1.41 s
    system ping via the runner                 1.51 s

A dead host costs the 1 s wait once, whatever the number of hosts (0.4 s of rounds +
1 s), not once per host: every host's echoes go out in the same rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.probes.netns import Net, why_not  # noqa: E402

TIMED = """
import json, sys, time
from hadeck.probes.ping import PingSettings, Target, ping
from hadeck.runner import LocalRunner
args = json.loads(sys.argv[1])
settings = PingSettings(**args["settings"])
start = time.monotonic()
probes = ping(LocalRunner(node="prober"), [Target(h) for h in args["hosts"]], settings)
took = time.monotonic() - start
print(json.dumps({"took": took, "methods": sorted({p.method for p in probes}),
                  "reached": sum(p.reached for p in probes)}))
"""


def timed(net: Net, hosts: list[str], user: str | None, in_process: bool) -> dict[str, object]:
    argv = ["ip", "netns", "exec", net.prober]
    if user:
        argv += ["runuser", "-u", user, "--"]
    settings = {"count": 3, "interval": 0.2, "timeout": 1.0, "in_process": in_process}
    argv += [sys.executable, "-c", TIMED, json.dumps({"hosts": hosts, "settings": settings})]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/",
                          check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="runs per way (median)")
    parser.add_argument("--hosts", type=int, default=32, help="hosts in all (one dead)")
    args = parser.parse_args()
    reason = why_not()
    if reason:
        print(f"bench/probes.py: {reason}", file=sys.stderr)
        return 3
    net = Net(hosts=args.hosts - 1)
    try:
        net.up()
        net.allow_unprivileged(65534)
        hosts = [net.v4(i) for i in range(1, args.hosts)] + [net.dead4]
        print(f"{args.hosts} hosts × 3 echoes (0.2 s apart, 1 s wait), 1 dead; "
              f"median of {args.n}")
        run = [timed(net, hosts[:-1], None, True) for _ in range(args.n)]
        print(f"  {'in process, root, the live ones only':40} "
              f"{statistics.median(float(str(r['took'])) for r in run):6.3f} s")
        ways = [("in process, root (raw socket)", None, True),
                ("in process, nobody (datagram socket)", "nobody", True),
                ("system ping via the runner", None, False)]
        for label, user, in_process in ways:
            runs = [timed(net, hosts, user, in_process) for _ in range(args.n)]
            took = statistics.median(float(str(r["took"])) for r in runs)
            print(f"  {label:40} {took:6.3f} s  method {runs[0]['methods']}, "
                  f"reached {runs[0]['reached']} of {args.hosts}")
    finally:
        net.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
