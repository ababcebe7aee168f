"""A cluster whose names try to drive the terminal: escape-injection tests read it.

Every name is carried where a real tool would carry it, in that tool's own format:

- a guest in ``virsh list`` (libvirt lets a domain name hold ESC and BEL; older virsh
  print it raw): an OSC that sets the window title, a clear-screen, a colour;
- a DRBD resource in ``drbdsetup events2``: a ``|``, BEL, the 8-bit CSI (U+009B, which
  some terminals obey) and a right-to-left override (U+202E);
- a VRRP instance in keepalived's JSON dump (JSON escapes carry any control character);
- a failed action's exit reason in ``crm_mon`` XML: XML 1.0 forbids ESC even as a
  character reference, but a carriage return and a line feed (``&#13;``, ``&#10;``) are
  allowed and kept;
- a mount point in the host facts (psutil's JSON): an ESC and a lone surrogate, as
  psutil decodes a path that is not UTF-8;
- a tool's error output: ``corosync-quorumtool`` failing with an escape on stderr, which
  reaches the source's error message.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests import bundles
from tests.conftest import sample

TITLE = "\x1b]0;pwned\x07"
"""OSC 0: sets the terminal's window title (ended by BEL)."""
GUEST = f"web{TITLE}\x1b[2J\x1b[31m"
DRBD = "r0|\x07\x9b2J\u202eevil"
VRRP = "VI_\x1b[5mWEB"
EXIT_REASON = "Simulated\rOK\naction result"
MOUNT = "/srv/\x1b[8mhidden\udcff"
STDERR = "Cannot initialize QUORUM service\x1b]2;owned\x07"

NAMES = (GUEST, DRBD, VRRP, MOUNT)
"""Names the --json document must carry exactly."""

ALLOWED = frozenset("\n")
"""The only control character a face may write: its own line breaks."""


def raw_controls(text: str) -> set[str]:
    """The characters of ``text`` a terminal would obey (or that cannot be printed)."""
    return {c for c in text if not c.isprintable() and c not in ALLOWED and c != " "}


def cluster(root: Path) -> Path:
    """The seed bundle (jupiter1, DRBD, LVS, guests …) with the names above in it."""
    bundle = bundles.seed_cluster(root)
    node = bundle / "jupiter1"
    virsh = node / "guests" / "virsh-list.txt"
    virsh.write_text(virsh.read_text().replace("web01", GUEST))
    events = node / "drbd" / "events2.txt"
    events.write_text(events.read_text().replace("name:r0 ", f"name:{DRBD} "))
    keepalived = json.loads(sample("keepalived", "json-dump.txt"))
    keepalived[0]["data"]["iname"] = VRRP
    (node / "keepalived").mkdir(exist_ok=True)
    (node / "keepalived" / "keepalived.json").write_text(json.dumps(keepalived))
    crm_mon = (bundles.PCMK / "failed-monitor.xml").read_text()
    assert 'exitreason="Simulated action result"' in crm_mon
    (node / "pacemaker" / "crm_mon.xml").write_text(
        crm_mon.replace('exitreason="Simulated action result"',
                        'exitreason="Simulated&#13;OK&#10;action result"'))
    facts = json.loads((node / "host" / "facts.json").read_text())
    facts["disks"].append({**facts["disks"][0], "mountpoint": MOUNT})
    (node / "host" / "facts.json").write_text(json.dumps(facts))
    meta = json.loads((bundle / "meta.json").read_text())
    meta["commands"]["jupiter1/corosync/quorumtool-s.txt"] = {"returncode": 1,
                                                              "stderr": STDERR}
    (bundle / "meta.json").write_text(json.dumps(meta))
    return bundle
