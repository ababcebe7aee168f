"""LVS on the action path: what the operator names, found in the directors' tables (pure).

A virtual service is named as ipvsadm prints it or as an operator types it:
``192.0.2.80:80`` (TCP unless only a UDP or SCTP service has that address and port),
``udp:192.0.2.80:53``, ``TCP 192.0.2.80:80``, ``[2001:db8::80]:443``, ``fwm:1`` or
``FWM 1``. A real server is ``ADDRESS:PORT`` (``[v6]:PORT``), or the address alone when
only one real server of the service has it.

The change is made on the director that holds the service: the one whose keepalived VRRP
instance for the virtual address is MASTER. A BACKUP's table carries no traffic (and
keepalived there keeps its own): a change there is refused. With no VRRP state read, the
only director that has the service holds it; with several and no VRRP state, the operator
names one (``--director``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hadeck.actions.plan import Refused
from hadeck.model import ClusterState, LvsDirector, RealServer, VirtualService

PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP", "fwm": "FWM", "fwmark": "FWM"}
FORWARD_FLAGS = {"Route": "-g", "Local": "-g", "Masq": "-m", "Tunnel": "-i"}
"""ipvsadm's forwarding option per method as ``ipvsadm -Ln`` names it. ``ipvsadm -e``
without one resets the real server to direct routing, and without ``-w`` to weight 1
(ipvsadm.c ``process_options`` starts every command from those defaults), so hadeck's
``-e`` always gives both."""
METHODS = {"dr": "Route", "nat": "Masq", "tun": "Tunnel"}
"""``--method`` words → the forwarding method as ipvsadm prints it."""


@dataclass(frozen=True)
class ServiceName:
    """A virtual service as the operator named it (protocol None: TCP, or whichever)."""

    protocol: str | None
    address: str
    port: int
    ipv6: bool = False

    def matches(self, service: VirtualService) -> bool:
        if self.protocol == "FWM" or service.protocol == "FWM":
            return service.protocol == "FWM" and self.protocol == "FWM" \
                and service.address == self.address and service.ipv6 == self.ipv6
        return (self.protocol in (None, service.protocol) and service.address == self.address
                and service.port == self.port)


@dataclass(frozen=True)
class Target:
    """A service and one of its real servers on the director that holds it.

    Attributes:
        director: the director's table.
        service: the virtual service there.
        server: the real server (None when it is not in the table: ``lvs-add``).
        address, port: the real server's address and port.
        role: ``MASTER``, ``BACKUP``, … of the VRRP instance for the service on the
            director; None when no VRRP state was read.
        how: why this director was chosen, in one line.
    """

    director: LvsDirector
    service: VirtualService
    server: RealServer | None
    address: str
    port: int
    role: str | None
    how: str

    @property
    def rs_key(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_service(text: str) -> ServiceName:
    """``192.0.2.80:80``, ``udp:…``, ``TCP 192.0.2.80:80``, ``fwm:1``, ``FWM 1`` (and
    ``FWM 1 IPv6``) → the service name; raises :class:`Refused` with the forms."""
    words = text.strip().replace("\t", " ").split()
    protocol: str | None = None
    rest = text.strip()
    if len(words) >= 2 and words[0].lower() in PROTOCOLS:
        protocol, rest = PROTOCOLS[words[0].lower()], " ".join(words[1:])
    else:
        head, sep, tail = rest.partition(":")
        if sep and head.lower() in PROTOCOLS:
            protocol, rest = PROTOCOLS[head.lower()], tail
    if protocol == "FWM":
        mark, _, family = rest.partition(" ")
        if not mark.isdigit() or not 0 < int(mark) < 2**32:
            raise Refused(f"{text!r}: a firewall mark is a whole number (fwm:1)")
        return ServiceName("FWM", str(int(mark)), 0, family.strip().lower() == "ipv6")
    try:
        address, port, v6 = host_port(rest)
    except ValueError as exc:
        raise Refused(f"{text!r} is not a virtual service: {exc} (forms: 192.0.2.80:80, "
                      "udp:192.0.2.80:53, [2001:db8::80]:443, fwm:1)") from None
    return ServiceName(protocol, address, port, v6)


def host_port(text: str, default_port: int | None = None) -> tuple[str, int, bool]:
    """``192.0.2.1:80`` or ``[2001:db8::1]:80`` (or the address alone, with
    ``default_port``) → (canonical address, port, is IPv6); raises ValueError."""
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port[1:] if port.startswith(":") else ("" if not port else "x")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a numeric address") from None
    if not port:
        if default_port is None:
            raise ValueError(f"{text!r} has no port")
        return str(address), default_port, address.version == 6
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{port!r} is not a port")
    return str(address), int(port), address.version == 6


def vrrp_role(director: LvsDirector, service: VirtualService) -> str | None:
    """The VRRP state of the instance that carries the service's virtual address on the
    director (any instance for a firewall-mark service, or when none names the address);
    None when no keepalived VRRP state was read there."""
    if not director.vrrp:
        return None
    covering = [v for v in director.vrrp
                if service.protocol != "FWM"
                and any(vip.split("/")[0].split()[0] == service.address
                        for vip in v.virtual_ips if vip.split())]
    instances = covering or list(director.vrrp)
    if any(v.state == "MASTER" for v in instances):
        return "MASTER"
    return instances[0].state


def find(state: ClusterState, service_text: str, server_text: str,
         director: str | None = None, adding: bool = False) -> Target:
    """The service and real server named, on the director that holds the service.

    Args:
        state: the cluster as read.
        service_text: the virtual service as typed.
        server_text: the real server as typed.
        director: the director the operator named (None: the one that holds it).
        adding: the real server is to be added (it must not be there yet).

    Raises:
        Refused: no such service or real server, an ambiguous name, or no director
            known to hold it.
    """
    name = parse_service(service_text)
    having: list[tuple[LvsDirector, VirtualService]] = []
    for lvs in state.lvs:
        found = [s for s in lvs.services if name.matches(s)]
        if name.protocol is None and len(found) > 1:
            protos = ", ".join(s.protocol.lower() for s in found)
            raise Refused(f"{service_text!r} names several services ({protos}): say which, "
                          f"e.g. {found[0].protocol.lower()}:{service_text}")
        having.extend((lvs, s) for s in found)
    if not having:
        known = sorted({s.key for d in state.lvs for s in d.services})
        raise Refused(f"no virtual service {service_text!r} on any director"
                      + (f" (services: {', '.join(known)})" if known else
                         " (no LVS director was read)"))
    lvs, service, role, how = _holder(having, director, service_text)
    server = _server(service, server_text, adding)
    if adding:
        try:
            # A firewall-mark service has no port: its real servers may have none (0).
            address, port, _ = host_port(server_text, default_port=service.port)
        except ValueError as exc:
            raise Refused(f"real server {server_text!r}: {exc}") from None
    else:
        assert server is not None
        address, port = server.address, server.port
    return Target(lvs, service, server, address, port, role, how)


def _holder(having: list[tuple[LvsDirector, VirtualService]], named: str | None,
            text: str) -> tuple[LvsDirector, VirtualService, str | None, str]:
    roles = [(d, s, vrrp_role(d, s)) for d, s in having]
    if named is not None:
        for d, s, role in roles:
            if d.node == named:
                how = (f"{named} is {role} for {s.key}" if role else
                       f"{named} named (no keepalived VRRP state read there)")
                return d, s, role, how
        where = ", ".join(d.node for d, _, _ in roles)
        raise Refused(f"{named} has no {having[0][1].key} (it is on {where})")
    masters = [(d, s, r) for d, s, r in roles if r == "MASTER"]
    if len(masters) == 1:
        d, s, role = masters[0]
        return d, s, role, f"{d.node} is MASTER for {s.key} (keepalived VRRP)"
    if len(masters) > 1:
        both = ", ".join(d.node for d, _, _ in masters)
        raise Refused(f"{both} are all MASTER for {masters[0][1].key}: VRRP is split; "
                      "name the director with --director")
    if len(roles) == 1:
        d, s, role = roles[0]
        if role is None:
            return d, s, role, f"{d.node} is the only director with {s.key}"
        return d, s, role, f"{d.node} is {role} for {s.key}"
    known = ", ".join(f"{d.node} {r or 'no VRRP state'}" for d, _, r in roles)
    if all(r is not None for _, _, r in roles):
        raise Refused(f"no director is MASTER for {having[0][1].key} ({known}): nothing "
                      "carries its traffic")
    raise Refused(f"which director holds {having[0][1].key} is not known ({known}): name "
                  "it with --director")


def _server(service: VirtualService, text: str, adding: bool) -> RealServer | None:
    try:
        address, port, _ = host_port(text, default_port=-1)
    except ValueError as exc:
        raise Refused(f"real server {text!r}: {exc}") from None
    same = [rs for rs in service.real_servers if rs.address == address
            and (port == -1 or rs.port == port)]
    if adding:
        if port == -1:
            port = service.port
            same = [rs for rs in same if rs.port == port]
        if same:
            raise Refused(f"{same[0].key} is already a real server of {service.key} "
                          f"(weight {same[0].weight})")
        return None
    if len(same) > 1:
        raise Refused(f"{service.key} has {len(same)} real servers at {address}: give the "
                      f"port ({', '.join(rs.key for rs in same)})")
    if not same:
        known = ", ".join(rs.key for rs in service.real_servers) or "none"
        raise Refused(f"{text} is not a real server of {service.key} on "
                      f"{service.director or 'the director'} (real servers: {known})")
    return same[0]


def service_option(service: VirtualService) -> tuple[str, ...]:
    """How ipvsadm names the service on its command line (``-t VIP:PORT``, ``-f 1``)."""
    if service.protocol == "FWM":
        return ("-f", service.address, *(("-6",) if service.ipv6 else ()))
    option = {"TCP": "-t", "UDP": "-u", "SCTP": "--sctp-service"}.get(service.protocol, "-t")
    host = f"[{service.address}]" if service.ipv6 else service.address
    return (option, f"{host}:{service.port}")


def not_holding(target: Target, state: ClusterState) -> str | None:
    """Why the target's director must not be changed (a BACKUP, FAULT … of the VRRP
    instance for the service), or None."""
    if target.role in (None, "MASTER"):
        return None
    masters = [d.node for d in state.lvs if any(v.state == "MASTER" for v in d.vrrp)]
    also = f"; the MASTER is {', '.join(masters)}" if masters else ""
    return (f"{target.director.node} is {target.role} for {target.service.key}: its table "
            f"carries no traffic and keepalived there keeps its own{also}")
