"""``hadeck lvs …`` on a real IPVS director: weight, drain with real connections, restore,
add and remove, through the command line, read back from the kernel's own table.

The command line runs in this process with the VM pair as its cluster (``hadeck``
fixture, tests/vmlab/conftest.py): everything it runs goes through the VMs' runners.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from tests.vmlab.conftest import Hadeck
from tests.vmlab.pair import CLIENT_NS, VIP, WEB_PORTS, Pair

pytestmark = [pytest.mark.vmlab, pytest.mark.usefixtures("lvs")]

SERVICE = f"TCP {VIP}:80"
BIG, SMALL = (f"10.0.0.2:{port}" for port in WEB_PORTS)


@pytest.fixture
def web(lvs: Pair) -> Pair:
    """``TCP VIP:80`` (wlc, NAT) with b's two web servers, weights 3 and 1."""
    lvs.a.check(f"ipvsadm -A -t {VIP}:80 -s wlc && "
                f"ipvsadm -a -t {VIP}:80 -r {BIG} -m -w 3 && "
                f"ipvsadm -a -t {VIP}:80 -r {SMALL} -m -w 1")
    return lvs


def kernel_row(pair: Pair, server: str) -> tuple[str, int, int] | None:
    """(forward, weight, ActiveConn) of ``server`` in the director's ``ipvsadm -Ln``."""
    table = pair.a.check("ipvsadm -Ln")
    match = re.search(rf"^  -> {re.escape(server)}\s+(\w+)\s+(\d+)\s+(\d+)", table, re.M)
    return (match.group(1), int(match.group(2)), int(match.group(3))) if match else None


def finish_after_drain_began(pair: Pair) -> None:
    """Once the drain's weight 0 is in the table, let hadeck see the two connections
    for a few seconds, then end them, as clients finishing their requests would."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        row = kernel_row(pair, BIG)
        if row is not None and row[1] == 0:
            break
        time.sleep(0.5)
    time.sleep(4)
    pair.a.sh("kill $(pidof nc)")


def test_weight_sets_the_kernels_weight(web: Pair, hadeck: Hadeck) -> None:
    code, out, err = hadeck("lvs", "weight", SERVICE, SMALL, "5", "--yes")
    assert code == 0, out + err
    assert kernel_row(web, SMALL) == ("Masq", 5, 0)
    assert kernel_row(web, BIG) == ("Masq", 3, 0)  # the other one untouched
    assert "done:" in out


def test_drain_follows_real_connections_to_zero_then_restore(web: Pair,
                                                             hadeck: Hadeck) -> None:
    # Two connections held open from the client namespace to the bigger server (the
    # smaller one quiesced meanwhile, so both land there); they end a few seconds into
    # the drain.
    web.a.check(f"ipvsadm -e -t {VIP}:80 -r {SMALL} -m -w 0")
    web.a.check(f"ip netns exec {CLIENT_NS} sh -c 'sleep 300 | nc {VIP} 80 >/dev/null & "
                f"sleep 300 | nc {VIP} 80 >/dev/null &'")
    web.wait_lvs(rf"{re.escape(BIG)}\s+Masq\s+3\s+2\s", "ipvsadm -Ln")
    web.a.check(f"ipvsadm -e -t {VIP}:80 -r {SMALL} -m -w 1")
    clients_done = threading.Thread(target=finish_after_drain_began, args=(web,))
    clients_done.start()
    try:
        code, out, err = hadeck("lvs", "drain", SERVICE, BIG, "--yes", "--wait", "120")
    finally:
        clients_done.join()
    assert code == 0, out + err
    assert "2 active connections left" in out  # it followed them …
    assert f"{BIG} is empty: no active connections" in out  # … down to 0
    assert kernel_row(web, BIG) == ("Masq", 0, 0)
    # New requests all go to the server still in service.
    for _ in range(3):
        web.client(f"wget -q -O - http://{VIP}/ >/dev/null")
    assert kernel_row(web, BIG) == ("Masq", 0, 0)

    code, out, err = hadeck("lvs", "restore", SERVICE, BIG, "--yes")
    assert code == 0, out + err
    assert kernel_row(web, BIG) == ("Masq", 3, 0)  # the weight before the drain


def test_add_and_remove_a_real_server(web: Pair, hadeck: Hadeck) -> None:
    new = "10.0.0.2:8081"
    code, out, err = hadeck("lvs", "add", SERVICE, new, "--weight", "2", "--yes")
    assert code == 0, out + err
    assert kernel_row(web, new) == ("Masq", 2, 0)  # NAT, as the service's others
    code, out, err = hadeck("lvs", "remove", SERVICE, new, "--yes")
    assert code == 0, out + err
    assert kernel_row(web, new) is None
    assert kernel_row(web, BIG) == ("Masq", 3, 0)


def test_refusals_change_nothing(web: Pair, hadeck: Hadeck) -> None:
    before = web.a.check("ipvsadm -Sn")
    code, _, err = hadeck("lvs", "weight", SERVICE, "10.0.0.9:80", "5", "--yes")
    assert code == 1 and "10.0.0.9:80" in err
    code, _, err = hadeck("lvs", "weight", SERVICE, BIG, "70000", "--yes")
    assert code == 1 and "0 to 65535" in err
    code, _, err = hadeck("lvs", "restore", SERVICE, BIG, "--yes")
    assert code == 1 and "no drain" in err
    code, _, err = hadeck("--read-only", "lvs", "drain", SERVICE, BIG, "--yes")
    assert code == 1
    assert web.a.check("ipvsadm -Sn") == before
