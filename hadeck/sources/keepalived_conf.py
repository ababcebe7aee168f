"""keepalived.conf: the weights keepalived is configured to give each real server.

keepalived owns a director's IPVS table: at start and on every reload it sets each
``real_server`` to its configured ``weight`` (1 when none is given), and its checkers
take a server out and put it back with that weight. A kernel weight that differs is
*drift*: someone ran ``ipvsadm`` by hand (or a ``misc_dynamic`` check set it), and it
lasts until keepalived sets it back. :func:`parse_keepalived_conf` reads the
``virtual_server`` blocks of the file (keepalived's own grammar, keepalived.conf(5)):

- ``virtual_server IP PORT``, ``virtual_server fwmark N`` and ``virtual_server group
  NAME`` (each member of the ``virtual_server_group``: ``IP PORT`` or ``fwmark N``);
- inside, ``protocol TCP|UDP|SCTP`` (default TCP), ``ip_family inet6`` for a firewall
  mark, and ``real_server IP [PORT] { weight N … }``;
- comments start with ``#`` or ``!`` anywhere outside quotes; braces may stand alone or
  touch a word.

``include`` cannot be followed through a runner: a file with one says so
(:attr:`LvsConfig.includes`), so that a service found nowhere is "not known"
rather than "not configured". Nothing else is kept: the file also holds VRRP
``auth_pass`` values, and no secret leaves this parser (a bundle keeps the file only
through :func:`hadeck.redact.redact_output`, which masks ``keyword value`` secrets).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from hadeck.runner import Command
from hadeck.sources.base import ParseError

KEEPALIVED_CONF = Command("lvs/keepalived.conf", path="/etc/keepalived/keepalived.conf")

_TOKEN = re.compile(r'"[^"]*"|[{}]|[^\s{}"]+')


@dataclass(frozen=True)
class ConfiguredService:
    """One virtual service keepalived is configured with.

    Attributes:
        key: as ipvsadm names it (``TCP 192.0.2.80:80``, ``FWM 1``).
        weights: each real server's configured weight, by ``ADDRESS:PORT``
            (``[v6]:PORT``).
    """

    key: str
    weights: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class LvsConfig:
    """The services a director's keepalived.conf (or ldirectord.cf) configures."""

    services: tuple[ConfiguredService, ...]
    includes: tuple[str, ...] = ()

    def weights(self, service_key: str) -> dict[str, int] | None:
        """The configured weights of a service; None when the file does not name it."""
        for svc in self.services:
            if svc.key == service_key:
                return dict(svc.weights)
        return None


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        quoted = False
        cut = len(line)
        for i, ch in enumerate(line):
            if ch == '"':
                quoted = not quoted
            elif ch in "#!" and not quoted:
                cut = i
                break
        out.extend(_TOKEN.findall(line[:cut]))
        out.append("\n")
    return out


def _blocks(tokens: list[str]) -> list[tuple[list[str], list[str]]]:
    """Top-level statements: (the words before ``{`` or the line, the block's tokens)."""
    out: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "{":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += {"{": 1, "}": -1}.get(tokens[j], 0)
                j += 1
            if depth:
                raise ParseError(f"unbalanced braces after {' '.join(words)[:60]!r}")
            out.append((words, tokens[i + 1:j - 1]))
            words, i = [], j
            continue
        if tok == "}":
            raise ParseError("a closing brace without its opening one")
        if tok == "\n":
            if words and (i + 1 >= len(tokens) or _next_word(tokens, i + 1) != "{"):
                out.append((words, []))
                words = []
        else:
            words.append(tok)
        i += 1
    if words:
        out.append((words, []))
    return out


def _next_word(tokens: list[str], i: int) -> str | None:
    while i < len(tokens) and tokens[i] == "\n":
        i += 1
    return tokens[i] if i < len(tokens) else None


def _host(address: str, port: int) -> tuple[str, bool]:
    ip = ipaddress.ip_address(address.strip('"'))
    return (f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"), ip.version == 6


def parse_keepalived_conf(text: str) -> LvsConfig:
    """The virtual services and real-server weights of a keepalived.conf.

    Raises:
        ParseError: unbalanced braces, or a virtual_server / real_server line whose
            address or port is not one.
    """
    blocks = _blocks(_tokens(text))
    groups: dict[str, list[list[str]]] = {}
    includes: list[str] = []
    for words, body in blocks:
        if words[:1] == ["virtual_server_group"] and len(words) >= 2:
            members = [w for w, _ in _blocks(body)]
            groups[words[1]] = members
        elif words[:1] == ["include"]:
            includes.extend(w.strip('"') for w in words[1:])
    services: list[ConfiguredService] = []
    for words, body in blocks:
        if words[:1] != ["virtual_server"]:
            continue
        inner = _blocks(body)
        settings = {w[0]: w[1:] for w, b in inner if w and not b}
        protocol = (settings.get("protocol") or ["TCP"])[0].upper()
        v6_family = (settings.get("ip_family") or [""])[0] == "inet6"
        weights = tuple(_real_servers(inner, words))
        if len(words) >= 3 and words[1] == "group":
            members = groups.get(words[2], [])
        else:
            members = [words[1:]]
        for member in members:
            key = _service_key(member, protocol, v6_family)
            if key is not None:
                services.append(ConfiguredService(key, weights))
    return LvsConfig(tuple(services), tuple(includes))


def _service_key(member: list[str], protocol: str, v6_family: bool) -> str | None:
    try:
        if member[:1] == ["fwmark"] and len(member) >= 2:
            return f"FWM {int(member[1])}" + (" IPv6" if v6_family else "")
        if len(member) >= 2:
            address, _ = _host(member[0], int(member[1]))
            return f"{protocol} {address}"
    except ValueError:
        raise ParseError(f"virtual_server {' '.join(member)[:60]!r}: not an address and "
                         "port") from None
    return None


def _real_servers(inner: list[tuple[list[str], list[str]]], vs: list[str]
                  ) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    # A real server without a port takes the virtual server's (keepalived's rule).
    vs_port = int(vs[2]) if len(vs) >= 3 and vs[2].isdigit() else 0
    for words, body in inner:
        if words[:1] != ["real_server"] or len(words) < 2:
            continue
        settings = {w[0]: w[1:] for w, b in _blocks(body) if w and not b}
        try:
            port = int(words[2]) if len(words) >= 3 else vs_port
            key, _ = _host(words[1], port)
            weight = int((settings.get("weight") or ["1"])[0])
        except ValueError:
            raise ParseError(f"real_server {' '.join(words)[:60]!r}: not an address, port "
                             "and weight") from None
        out.append((key, weight))
    return out
