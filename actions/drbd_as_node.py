"""Run ``drbdadm -c FILE dump RES`` as a given node would: its host name, its address.

drbdadm reads the ``on HOST`` section whose name is this machine's and refuses an
address the machine does not have, so a resource file is only checked for real where
both match. :mod:`hadeck.actions.newguest` runs this module inside a fresh UTS and
network namespace (``unshare --uts --net``, root): the name and address set here are the
namespace's and vanish with it.

    python -m hadeck.actions.drbd_as_node NODE ADDRESS FILE RES DRBDADM...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 5:
        print("usage: drbd_as_node NODE ADDRESS FILE RES DRBDADM...", file=sys.stderr)
        return 2
    node, address, path, res, *tool = argv
    socket.sethostname(node)
    subprocess.run(("ip", "link", "set", "lo", "up"), check=False)
    if address:
        prefix = "128" if ":" in address else "32"
        subprocess.run(("ip", "addr", "add", f"{address}/{prefix}", "dev", "lo"),
                       check=False)
    os.execvp(tool[0], (*tool, "-c", path, "dump", res))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
