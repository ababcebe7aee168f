"""The first process of one live-cluster node: its mounts, its hostname, corosync, pacemakerd.

Started by :mod:`tests.live.cluster` as
``ip netns exec NS unshare -m -u --propagation private -- python3 node_init.py NODE DIR``,
so it already runs in the node's network, mount and UTS namespaces. It gives the node its
own view of the files the cluster stack keeps (bind mounts from ``DIR``) and a private
``/run`` and ``/dev/shm``: Dummy and Stateful keep their state in ``/run/Dummy-<rsc>.state``
and libqb its ring buffers in ``/dev/shm``, so a shared one would make every node believe
it runs every resource. Then it starts corosync, waits for it to answer, starts pacemakerd,
writes its pid to ``DIR/init.pid`` (what ``nsenter -t`` enters) and waits for them.

A script, not a test module: it imports nothing of hadeck or of the tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

MOUNTS = (
    ("etc-corosync", "/etc/corosync"),
    ("lib-corosync", "/var/lib/corosync"),
    ("lib-pacemaker", "/var/lib/pacemaker"),
    ("log-pacemaker", "/var/log/pacemaker"),
    ("log-corosync", "/var/log/corosync"),
)
"""Per-node directories under DIR, bind-mounted over the stack's own."""

CLUSTER_ENV = {
    # Pacemaker logs to its own file in the node's directory, never to the host's syslog.
    "PCMK_logfile": "/var/log/pacemaker/pacemaker.log",
    "PCMK_logfacility": "none",
    "PCMK_debug": "no",
    "HA_LOGFACILITY": "none",
}


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)


def _corosync_answers() -> bool:
    done = subprocess.run(["corosync-cfgtool", "-s"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return done.returncode == 0


def main(argv: list[str]) -> int:
    node, state = argv[1], Path(argv[2])
    socket.sethostname(node)
    for source, target in MOUNTS:
        _run("mount", "--bind", str(state / source), target)
    _run("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run")
    _run("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/dev/shm")
    for directory in ("/run/resource-agents", "/run/crm", "/run/lock"):
        os.makedirs(directory, exist_ok=True)
    _run("chown", "hacluster:haclient", "/run/crm")
    env = {**os.environ, **CLUSTER_ENV}
    with open(state / "corosync.stdout", "ab") as out:
        corosync = subprocess.Popen(["corosync", "-f"], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while not _corosync_answers() and time.monotonic() < deadline:
        if corosync.poll() is not None:
            print(f"corosync exited with {corosync.returncode}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    with open(state / "pacemakerd.stdout", "ab") as out:
        pacemakerd = subprocess.Popen(["pacemakerd"], stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, env=env)
    # Written last: whoever enters the node through this pid finds its mounts in place.
    (state / "init.pid.new").write_text(f"{os.getpid()}\n")
    os.replace(state / "init.pid.new", state / "init.pid")
    pacemakerd.wait()
    corosync.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
