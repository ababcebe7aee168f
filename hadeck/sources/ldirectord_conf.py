"""ldirectord.cf: the weights ldirectord is configured to give each real server.

ldirectord, like keepalived, owns the IPVS table it manages: each check that changes a
server's state sets its configured weight again (or 0 / removal when it fails), and a
reload re-applies the file. The grammar is ldirectord's own ``read_config``
(ldirectord 4.12, /usr/sbin/ldirectord): a ``virtual=IP:PORT`` (``virtual6=[V6]:PORT``,
``virtual=MARK`` for a firewall mark) line starts a service, its settings are the
following lines indented by 4 spaces or a tab, among them ``protocol=tcp|udp|sctp|fwm``
(default tcp, udp for port 53) and ``real=IP[:PORT] gate|masq|ipip [WEIGHT] …`` (default
weight 1; no port: 0, which ipvsadm makes the service's port for gate and ipip). ``#``
starts a comment. Host and service names are not resolved here (a reader must not
depend on this node's resolver): such a line is left out. Only services and weights are
kept — the file may hold check passwords (``passwd="…"``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from hadeck.runner import Command
from hadeck.sources.base import ParseError
from hadeck.sources.keepalived_conf import ConfiguredService, LvsConfig

LDIRECTORD_CF = Command("lvs/ldirectord.cf", path="/etc/ha.d/ldirectord.cf")

_PORTS = {"http": 80, "https": 443, "ssh": 22, "smtp": 25, "domain": 53, "ftp": 21,
          "pop3": 110, "imap": 143, "imap2": 143, "ldap": 389, "mysql": 3306,
          "nntp": 119, "sip": 5060, "radius": 1812, "pgsql": 5432}
"""Service names ldirectord resolves through getservbyname, as /etc/services has them."""
_HOST = r"(\d+\.\d+\.\d+\.\d+|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
_REAL = re.compile(rf"^(real6?)\s*=\s*{_HOST}(?:->{_HOST})?(?::(\w[\w-]*))?\s+"
                   r"(gate|masq|ipip)\b\s*(\d+)?")
RANGE_MAX = 256
"""The most addresses one ``real=FIRST->LAST`` range is expanded to."""


@dataclass
class _Virtual:
    """A ``virtual=`` block being read."""

    host: str = ""
    port: int = 0
    fwm: int | None = None
    v6: bool = False
    protocol: str = "tcp"
    weights: list[tuple[str, int]] = field(default_factory=list)

    def key(self) -> str:
        if self.protocol == "fwm":
            return f"FWM {self.fwm}" + (" IPv6" if self.v6 else "")
        return f"{self.protocol.upper()} {self.host}:{self.port}"


def _port(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _PORTS.get(word)


def parse_ldirectord_cf(text: str) -> LvsConfig:
    """The virtual services and real-server weights of an ldirectord.cf.

    Raises:
        ParseError: a ``virtual=`` line whose address is neither ``IP:PORT``,
            ``[V6]:PORT`` nor a firewall mark, or a ``real=`` line without
            ``gate|masq|ipip`` (ldirectord refuses both too).
    """
    services: list[ConfiguredService] = []
    current: _Virtual | None = None

    def close() -> None:
        if current is not None:
            services.append(ConfiguredService(current.key(), tuple(current.weights)))

    for lineno, raw in enumerate(text.splitlines(), start=1):
        if raw.lstrip().startswith("#"):
            continue
        line = raw.split("#", 1)[0].replace("\t", "    ").rstrip()
        if not line.strip():
            continue
        indented = line.startswith("    ")
        if not indented:
            close()
            current = None
            match = re.match(r"^virtual(6)?\s*=\s*(\S+)", line)
            if match is not None:
                current = _virtual(match[2], match[1] is not None, lineno)
            continue
        if current is None:
            continue
        setting = line.strip()
        if setting.startswith("protocol"):
            current.protocol = setting.split("=", 1)[-1].strip().lower()
        elif setting.startswith("real"):
            real = _REAL.match(setting)
            if real is None:
                raise ParseError(f"line {lineno}: a real server needs an address and "
                                 "gate, masq or ipip")
            current.weights.extend(_real(real, current))
    close()
    return LvsConfig(tuple(services))


def _virtual(word: str, v6: bool, lineno: int) -> _Virtual:
    if word.isdigit():
        return _Virtual(fwm=int(word), v6=v6, protocol="fwm")
    host, sep, port = word.rpartition(":")
    number = _port(port) if sep else None
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if number is None or address is None:
        raise ParseError(f"line {lineno}: virtual={word!r} is not IP:PORT, [V6]:PORT or "
                         "a firewall mark")
    shown = f"[{address}]" if address.version == 6 else str(address)
    return _Virtual(shown, number, v6=v6, protocol="udp" if number == 53 else "tcp")


def _real(match: re.Match[str], service: _Virtual) -> list[tuple[str, int]]:
    """Each real server of a ``real=`` line (an IPv4 range ``A->B`` is each address)."""
    try:
        first = ipaddress.ip_address(match[2].strip("[]"))
        last = ipaddress.ip_address(match[3].strip("[]")) if match[3] else first
    except ValueError:
        return []  # a host name: resolved by ldirectord, not here
    port = _port(match[4]) if match[4] else 0
    if port is None or last.version != first.version or int(last) < int(first):
        return []
    if port == 0 and service.protocol != "fwm":
        port = service.port
    weight = int(match[6]) if match[6] else 1
    count = min(int(last) - int(first) + 1, RANGE_MAX)
    out = []
    for n in range(count):
        address = ipaddress.ip_address(int(first) + n) if first.version == 4 else \
            ipaddress.IPv6Address(int(first) + n)
        host = f"[{address}]" if address.version == 6 else str(address)
        out.append((f"{host}:{port}", weight))
    return out
