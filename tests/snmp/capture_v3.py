"""Capture a real snmpd's SNMPv3 answers for tests/fixtures/snmp/net-snmp-5.9-v3.json.

Run ``python -m tests.snmp.capture_v3 tests/fixtures/snmp/net-snmp-5.9-v3.json`` from the
repository root (as root or not): it starts Debian's snmpd on 127.0.0.1 with
tests/snmp/conftest.py's throwaway users, sends each request hadeck's own SNMPv3 code
writes (:mod:`hadeck.snmp.usm`), and records the request and snmpd's answer as hex,
with the throwaway passphrases the keys come from (they exist nowhere else).
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from hadeck.snmp import ber, oids, usm
from hadeck.snmp.poller import _first_asked
from tests.snmp.conftest import start_snmpd


def main(out: Path) -> None:
    directory = Path(tempfile.mkdtemp(prefix="capture-v3-"))
    snmpd = start_snmpd(directory)
    exchanges: list[dict[str, object]] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)

            def ask(what: str, msg_id: int, message: bytes) -> bytes:
                sock.sendto(message, ("127.0.0.1", snmpd.port))
                answer = sock.recv(65535)
                exchanges.append({"what": what, "msg_id": msg_id,
                                  "request": message.hex(), "answer": answer.hex()})
                return answer

            found = usm.decode(ask("discovery", 1001, usm.discovery(1001)), 1001, None)
            engine = usm.Engine(found.engine_id, found.boots, found.time, time.monotonic())
            auth = usm.pass_key(snmpd.auth_password, "SHA")
            priv = usm.pass_key(snmpd.priv_password, "SHA")
            with_priv = usm.localize(auth, priv, "SHA", "AES", engine.engine_id)
            with_des = usm.localize(auth, priv, "SHA", "DES", engine.engine_id)
            without = usm.localize(auth, None, "SHA", "", engine.engine_id)
            wrong = usm.localize(usm.pass_key("not-the-passphrase", "SHA"), None, "SHA", "",
                                 engine.engine_id)

            def bulk(msg_id: int) -> bytes:
                return ber.bulk_pdu(msg_id, len(oids.SCALARS), 8, ber.varbinds(_first_asked()))

            ask("authPriv SHA/AES, user hpriv", 1002,
                usm.request(1002, engine, b"hpriv", with_priv, bulk(1002)))
            ask("authNoPriv SHA, user hauth", 1003,
                usm.request(1003, engine, b"hauth", without, bulk(1003)))
            ask("authNoPriv SHA, user hauth, a wrong passphrase", 1004,
                usm.request(1004, engine, b"hauth", wrong, bulk(1004)))
            ask("authNoPriv SHA, user nobody (unknown)", 1005,
                usm.request(1005, engine, b"nobody", without, bulk(1005)))
            later = usm.Engine(engine.engine_id, engine.boots + 1, 0, time.monotonic())
            ask("authNoPriv SHA, user hauth, engine boots one too many", 1006,
                usm.request(1006, later, b"hauth", without, bulk(1006)))
            other = usm.Engine(b"\x80\x00\x1f\x88\x04another", engine.boots, engine.time,
                               time.monotonic())
            ask("authNoPriv SHA, user hauth, another engine ID", 1007,
                usm.request(1007, other, b"hauth", without, bulk(1007)))
            ask("authPriv SHA/DES, user hdes", 1008,
                usm.request(1008, engine, b"hdes", with_des, bulk(1008)))
    finally:
        snmpd.stop()
        shutil.rmtree(directory)
    out.write_text(json.dumps({
        "source": ("Debian 12 snmpd 5.9.3 on 127.0.0.1, tests/snmp/conftest.py's configuration "
                   "(createUser hauth SHA, hpriv SHA/AES, hdes SHA/DES), asked by "
                   "tests/snmp/capture_v3.py"),
        "captured": time.strftime("%Y-%m-%d", time.gmtime()),
        "throwaway_phrases": {"auth": snmpd.auth_password, "priv": snmpd.priv_password},
        "engine_id": engine.engine_id.hex(),
        "exchanges": exchanges}, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
