"""keepalived renderers: VRRP instances as keepalived 2.2.7 dumps them.

The inverse of :mod:`hadeck.sources.keepalived`:

- :func:`json_dump` writes ``/tmp/keepalived.json`` (the JSON signal): one compact line,
  a list of ``{"data": {...}, "stats": {...}}`` with numeric states, keys in keepalived's
  order, ``/`` escaped as ``\\/`` and floats as ``%f`` (keepalived's own JSON writer).
- :func:`data_dump` writes ``/tmp/keepalived.data`` (SIGUSR1): the Global definitions,
  VRRP Topology, VRRP Sockpool and Interfaces sections, laid out as the real dump, with
  the ``State = UP, RUNNING`` lines of the Interfaces section that a careless reader
  would take for a VRRP state.

Both were modelled on the captures in ``samples/keepalived/`` (two peers in network
namespaces). The model holds an instance's name, state, priorities, router id,
interface, master router and virtual IPs; everything else (counters, timers, fds, MAC
addresses, the master's priority) gets a plausible fixed value, or one derived the way
keepalived derives it (the master down timer from the priority). What the dumps cannot
carry back: the JSON dump has no master router; neither says which virtual IPs are
"excluded"; a ``None`` priority, router id or interface is printed as keepalived's
default (100, 51, ``eth0``) and reads back as that value.

All functions are pure: no I/O, no clock (the dump time is a parameter).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from hadeck.model import VrrpInstance

DEFAULT_NOW = 1795312821.001821
"""The dump time used when none is given (that of the captured samples)."""
DEFAULT_SRC_IP = "192.0.2.1"
"""The director's own address on the VRRP interface, when none is given."""
DEFAULT_INTERFACE = "eth0"
DEFAULT_PRIORITY = 100
DEFAULT_VRID = 51

# keepalived/include/vrrp.h
_STATE_NUMBERS = {"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3, "DELETED": 97, "STOP": 98}
_ADVERT_US = 1_000_000  # advert_int 1 s, keepalived's default
_FIRST_FD = 13  # what the capture shows: fds 0-12 are taken by then


def _int_or(value: int | None, default: int) -> int:
    return default if value is None else value


def _master_priority(
    inst: VrrpInstance, master_priorities: Mapping[str, int] | None
) -> int:
    """The priority of the master we hear, for a BACKUP; 0 when none (as a MASTER shows).

    The model does not hold it: the caller may give it, otherwise it is one above ours,
    the least that makes the peer win.
    """
    if inst.state != "BACKUP":
        return 0
    if master_priorities and inst.name in master_priorities:
        return master_priorities[inst.name]
    own = _int_or(inst.effective_priority, _int_or(inst.priority, DEFAULT_PRIORITY))
    return min(own + 1, 255)


# --------------------------------------------------------------------------- JSON dump


def json_dump(
    instances: Sequence[VrrpInstance],
    *,
    now: float = DEFAULT_NOW,
    master_priorities: Mapping[str, int] | None = None,
) -> str:
    """Render ``/tmp/keepalived.json`` as keepalived writes it on the JSON signal.

    Args:
        instances: the VRRP instances of one keepalived, in configuration order.
        now: the last transition time (seconds since the epoch).
        master_priorities: the priority of the current master per BACKUP instance name.

    Returns:
        One line of JSON and a newline. States are numbers (0 INIT, 1 BACKUP,
        2 MASTER, 3 FAULT, 97 DELETED, 98 STOP); a state keepalived has no number for is
        written as its name. Virtual IPs are ``"<addr/prefix> dev <if> scope global"``,
        with `` set`` while they are installed (MASTER).
    """
    return "[" + ",".join(_json_entry(i, now, master_priorities) for i in instances) + "]\n"


def _json_entry(
    inst: VrrpInstance, now: float, master_priorities: Mapping[str, int] | None
) -> str:
    state = _json_state(inst.state)
    master = inst.state == "MASTER"
    ifname = inst.interface or DEFAULT_INTERFACE
    priority = _int_or(inst.priority, DEFAULT_PRIORITY)
    data: list[tuple[str, object]] = [
        ("iname", inst.name),
        ("dont_track_primary", 0),
        ("skip_check_adv_addr", 0),
        ("strict_mode", 0),
        ("vmac_ifname", ""),
        ("ifp_ifname", ifname),
        ("master_priority", _master_priority(inst, master_priorities)),
        ("last_transition", now),
        ("garp_delay", 5),
        ("garp_refresh", 0),
        ("garp_rep", 5),
        ("garp_refresh_rep", 1),
        ("garp_lower_prio_delay", 5),
        ("garp_lower_prio_rep", 5),
        ("lower_prio_no_advert", 0),
        ("higher_prio_send_advert", 0),
        ("vrid", _int_or(inst.virtual_router_id, DEFAULT_VRID)),
        ("base_priority", priority),
        ("effective_priority", _int_or(inst.effective_priority, priority)),
        ("vipset", master),
        ("promote_secondaries", False),
        ("adver_int", 1),
        ("master_adver_int", 1),
        ("accept", 1),
        ("nopreempt", False),
        ("preempt_delay", 0),
        ("state", state),
        ("wantstate", state),
        ("version", 2),
        ("smtp_alert", False),
        ("notify_deleted", False),
        ("vips", [_vip_text(vip, ifname, master) for vip in inst.virtual_ips]),
        ("auth_type", 0),
    ]
    # Plausible counters: a master sends adverts, a backup receives them.
    stats: list[tuple[str, object]] = [
        ("advert_rcvd", 0 if master else 10),
        ("advert_sent", 11 if master else 1),
        ("become_master", 1),
        ("release_master", 0 if master else 1),
        ("packet_len_err", 0),
        ("advert_interval_err", 0),
        ("ip_ttl_err", 0),
        ("invalid_type_rcvd", 0),
        ("addr_list_err", 0),
        ("invalid_authtype", 0),
        ("authtype_mismatch", 0),
        ("auth_failure", 0),
        ("pri_zero_rcvd", 0),
        ("pri_zero_sent", 0),
    ]
    return f'{{"data":{_json_object(data)},"stats":{_json_object(stats)}}}'


def _json_state(state: str) -> int | str:
    if state in _STATE_NUMBERS:
        return _STATE_NUMBERS[state]
    # The parser keeps an unknown number as its digits: give the number back.
    return int(state) if state.isdigit() else state


def _json_object(fields: list[tuple[str, object]]) -> str:
    return "{" + ",".join(f"{_json_str(k)}:{_json_value(v)}" for k, v in fields) + "}"


def _json_value(value: object) -> str:
    # bool before int: bool is an int in Python.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:f}"  # jsonw_float_fmt(..., "%f", ...)
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    raise TypeError(f"no JSON form for {value!r}")


_JSON_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "/": "\\/",
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
}


def _json_str(text: str) -> str:
    # keepalived's json writer escapes '/' too (the sample has "10.99.0.100\/24").
    out = []
    for ch in text:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _vip_text(vip: str, ifname: str, installed: bool) -> str:
    """format_ipaddress(): ``10.99.0.100/24 dev v0 scope global[ set]``."""
    return f"{vip} dev {ifname} scope global" + (" set" if installed else "")


# --------------------------------------------------------------------------- data dump


def data_dump(
    instances: Sequence[VrrpInstance],
    *,
    now: float = DEFAULT_NOW,
    router_id: str | None = None,
    src_ip: str = DEFAULT_SRC_IP,
    master_priorities: Mapping[str, int] | None = None,
) -> str:
    """Render ``/tmp/keepalived.data`` as keepalived writes it on SIGUSR1.

    Args:
        instances: the VRRP instances of one keepalived, in configuration order.
        now: the dump time; the last transition is shown at this time.
        router_id: ``Router ID`` of the global definitions; defaults to the first
            instance's director, else ``lvs``.
        src_ip: the director's address on the VRRP interfaces (``Using src_ip``).
        master_priorities: the priority of the current master per BACKUP instance name.

    Returns:
        The dump's full text. ``Master router``/``Master priority`` are printed for
        BACKUP instances that have a master router (keepalived prints them for every
        BACKUP; without a master in the model there is nothing true to print).
    """
    if router_id is None:
        router_id = next((i.director for i in instances if i.director), "lvs")
    interfaces = list(dict.fromkeys(i.interface or DEFAULT_INTERFACE for i in instances))
    lines = ["------< Global definitions >------"]
    lines += [line.replace("{router_id}", router_id) for line in _GLOBAL_DEFINITIONS]
    if instances:
        lines.append("------< VRRP Topology >------")
        for inst in instances:
            lines += _dump_instance(inst, interfaces, now, src_ip, master_priorities)
        lines.append("------< VRRP Sockpool >------")
        for index, ifname in enumerate(interfaces):
            lines += _dump_sockpool(index, ifname, instances)
    lines.append("------< Interfaces >------")
    lines += _LOOPBACK
    for index, ifname in enumerate(interfaces):
        lines += _dump_interface(index, ifname, src_ip, instances)
    return "\n".join(lines) + "\n"


def _fds(interfaces: list[str], ifname: str) -> tuple[int, int]:
    # One socket pair per interface, shared by the instances on it.
    first = _FIRST_FD + 2 * interfaces.index(ifname)
    return first, first + 1


def _dump_instance(
    inst: VrrpInstance,
    interfaces: list[str],
    now: float,
    src_ip: str,
    master_priorities: Mapping[str, int] | None,
) -> list[str]:
    ifname = inst.interface or DEFAULT_INTERFACE
    priority = _int_or(inst.priority, DEFAULT_PRIORITY)
    effective = _int_or(inst.effective_priority, priority)
    master = inst.state == "MASTER"
    # ms_down_timer = 3 * master_adver_int + VRRP_TIMER_SKEW (vrrp.h).
    down_us = 3 * _ADVERT_US + (256 - effective) * _ADVERT_US // 256
    read_timeout = now + (_ADVERT_US if master else down_us) / 1_000_000
    fd_in, fd_out = _fds(interfaces, ifname)
    lines = [
        f" VRRP Instance = {inst.name}",
        "   VRRP Version = 2",
        f"   State = {inst.state}",
    ]
    if inst.state == "BACKUP" and inst.master_router is not None:
        lines += [
            f"   Master router = {inst.master_router}",
            f"   Master priority = {_master_priority(inst, master_priorities)}",
        ]
    lines += [
        "   Flags: none",
        f"   Wantstate = {inst.state}",
        "   Number of config faults = 0",
        "   Number of interface and track script faults = 0",
        "   Number of track scripts init = 0",
        f"   Last transition = {_timestamp(now)}",
        f"   Read timeout = {_timestamp(read_timeout)}",
        f"   Master down timer = {down_us} usecs",
        f"   Interface = {ifname}",
        f"   Using src_ip = {src_ip}",
        "   Multicast address 224.0.0.18",
        "   Gratuitous ARP delay = 5",
        "   Gratuitous ARP repeat = 5",
        "   Gratuitous ARP refresh = 0",
        "   Gratuitous ARP refresh repeat = 1",
        "   Gratuitous ARP lower priority delay = 5",
        "   Gratuitous ARP lower priority repeat = 5",
        "   Down timer adverts = 3",
        "   Send advert after receive lower priority advert = true",
        "   Send advert after receive higher priority advert = false",
        f"   Virtual Router ID = {_int_or(inst.virtual_router_id, DEFAULT_VRID)}",
        f"   Priority = {priority}",
        f"   Effective priority = {effective}",
        f"   Total priority = {effective}",
        "   Advert interval = 1 sec",
        "   Accept = enabled",
        "   Preempt = enabled",
        "   Promote_secondaries = disabled",
        "   Authentication type = none",
    ]
    if inst.virtual_ips:  # keepalived prints no "Virtual IP (0):" header
        lines.append(f"   Virtual IP ({len(inst.virtual_ips)}):")
        lines += [f"     {_vip_text(vip, ifname, master)}" for vip in inst.virtual_ips]
    lines += [
        f"   fd_in {fd_in}, fd_out {fd_out}",
        "   Using smtp notification = no",
        "   Notify deleted = Fault",
        "   Notify priority changes = false",
    ]
    return lines


def _timestamp(when: float) -> str:
    """``1795312821.001821 (Sun Nov 22 02:00:21.001821 2026)``, in UTC."""
    seconds = int(when)
    micros = round((when - seconds) * 1_000_000)
    if micros == 1_000_000:
        seconds, micros = seconds + 1, 0
    t = time.gmtime(seconds)
    clock = time.strftime("%a %b", t) + f" {t.tm_mday:2d} " + time.strftime("%H:%M:%S", t)
    return f"{seconds}.{micros:06d} ({clock}.{micros:06d} {t.tm_year})"


def _dump_sockpool(index: int, ifname: str, instances: Sequence[VrrpInstance]) -> list[str]:
    fd_in = _FIRST_FD + 2 * index
    lines = [
        f" fd_in {fd_in} fd_out = {fd_in + 1}",
        f"   Interface = {ifname}",
        "   Family = IPv4",
        "   Protocol = VRRP",
        "   Type = Multicast",
        "   Rx buf size = 0",
        "   VRRP instances",
    ]
    lines += [
        f"     {i.name} vrid {_int_or(i.virtual_router_id, DEFAULT_VRID)}"
        for i in instances
        if (i.interface or DEFAULT_INTERFACE) == ifname
    ]
    return lines


def _dump_interface(
    index: int, ifname: str, src_ip: str, instances: Sequence[VrrpInstance]
) -> list[str]:
    # A locally administered MAC made from the interface's position: fixed, plausible.
    mac = f"32:77:86:1e:{0x24 + index:02x}:9a"
    lines = [
        f" Name = {ifname}",
        f"   index = {index + 3}",
        f"   IPv4 address = {src_ip}",
        f"   IPv6 address = fe80::3077:86ff:fe1e:{0x24 + index:02x}9a",
        f"   MAC = {mac}",
        "   MAC broadcast = ff:ff:ff:ff:ff:ff",
        "   State = UP, RUNNING",
        "   Seen up = 1",
        "   Delayed state change running = false",
        "   Up debounce timer = 0us",
        "   Down debounce timer = 0us",
        "   MTU = 1500",
        "   HW Type = ETHERNET",
        "   NIC netlink status update",
        "   Reset ARP config counter 0",
        "   Original arp_ignore 0",
        "   Original arp_filter 0",
        "   Original promote_secondaries 0",
        "   Reset promote_secondaries counter 0",
        "   Tracking VRRP instances :",
    ]
    lines += [
        f"     {i.name}, weight 0"
        for i in instances
        if (i.interface or DEFAULT_INTERFACE) == ifname
    ]
    return lines


# The captured keepalived 2.2.7 global definitions; only the Router ID varies.
_GLOBAL_DEFINITIONS = (
    " Network namespace = (default)",
    " Network namespace ipvs = (main namespace)",
    " Router ID = {router_id}",
    " Default smtp_alert = unset",
    " Default smtp_alert_vrrp = unset",
    " Default smtp_alert_checker = unset",
    " Checkers log all failures = false",
    " No test config before reload",
    " Dynamic interfaces = false",
    f" Default interface = {DEFAULT_INTERFACE}",
    " Disable local IGMP = no",
    " LVS flush = false",
    " LVS flush on stop = disabled",
    " FIFO write vrrp states on reload = false",
    " VRRP notify priority changes = false",
    " VRRP IPv4 mcast group = 224.0.0.18",
    " VRRP IPv6 mcast group = ff02::12",
    " Gratuitous ARP delay = 5",
    " Gratuitous ARP repeat = 5",
    " Gratuitous ARP refresh timer = 0",
    " Gratuitous ARP refresh repeat = 1",
    " Gratuitous ARP lower priority delay = 5",
    " Gratuitous ARP lower priority repeat = 5",
    " Num adverts before down = 3",
    " Gratuitous ARP for each secondary VMAC = 0s",
    " Send advert after receive lower priority advert = true",
    " Send advert after receive higher priority advert = false",
    " Gratuitous ARP interval = 0.000000",
    " Gratuitous NA interval = 0.000000",
    " VRRP default protocol version = 2",
    " nftables without counters",
    " libnftnl version 1.2.3",
    " VRRP check unicast_src = false",
    " VRRP skip check advert addresses = false",
    " VRRP strict mode = false",
    " Max auto priority = 0",
    " Min auto priority delay = 1000000 usecs",
    " VRRP process priority = 0",
    " VRRP don't swap = false",
    " VRRP realtime priority = 0",
    " VRRP realtime limit = 10000",
    " Checker process priority = 0",
    " Checker don't swap = false",
    " Checker realtime priority = 0",
    " Checker realtime limit = 10000",
    " BFD process priority = 0",
    " BFD don't swap = false",
    " BFD realtime priority = 0",
    " BFD realtime limit = 10000",
    " SNMP vrrp disabled",
    " SNMP checker disabled",
    " SNMP RFCv2 disabled",
    " SNMP RFCv3 disabled",
    " SNMP traps disabled",
    " SNMP socket = default (unix:/var/agentx/master)",
    " DBus disabled",
    " DBus service name = ",
    " Script security disabled",
    " Default script uid:gid 0:0",
    " vrrp_netlink_cmd_rcv_bufs = 0",
    " vrrp_netlink_cmd_rcv_bufs_force = 0",
    " vrrp_netlink_monitor_rcv_bufs = 0",
    " vrrp_netlink_monitor_rcv_bufs_force = 0",
    " process_monitor_rcv_bufs = 0",
    " process_monitor_rcv_bufs_force = 0",
    " lvs_netlink_cmd_rcv_bufs = 0",
    " lvs_netlink_cmd_rcv_bufs_force = 0",
    " lvs_netlink_monitor_rcv_bufs = 0",
    " lvs_netlink_monitor_rcv_bufs_force = 0",
    " rs_init_notifies = 0",
    " no_checker_emails = 0",
    " rx_bufs_multiples = 3",
    " umask = 0177",
)

_LOOPBACK = (
    " Name = lo",
    "   index = 1",
    "   IPv4 address = 127.0.0.1",
    "   IPv6 address = (none)",
    "   State = UP, RUNNING, no broadcast, loopback, no multicast",
    "   Seen up = 1",
    "   Delayed state change running = false",
    "   Up debounce timer = 0us",
    "   Down debounce timer = 0us",
    "   MTU = 65536",
    "   HW Type = LOOPBACK",
    "   NIC netlink status update",
    "   Reset ARP config counter 0",
    "   Original arp_ignore 0",
    "   Original arp_filter 0",
    "   Original promote_secondaries 0",
    "   Reset promote_secondaries counter 0",
)


def config(services: Sequence[Any], instance: str, priority: int, vips: Sequence[str],
           state: str) -> str:
    """``/etc/keepalived/keepalived.conf`` of a lab director: its VRRP instance and one
    ``virtual_server`` per lab service, each real server with its configured weight (the
    lab's :class:`~hadeck.lab.world.LabService`; keepalived.conf(5) syntax, checked with
    ``keepalived -t -f`` in tests/lab)."""
    kinds = {"Route": "DR", "Masq": "NAT", "Tunnel": "TUN"}
    lines = ["! Configuration File for keepalived (hadeck lab)", "",
             "global_defs {", "    router_id hadeck_lab", "}", "",
             f"vrrp_instance {instance} {{", f"    state {state}", "    interface eth0",
             "    virtual_router_id 51", f"    priority {priority}", "    advert_int 1",
             "    authentication {", "        auth_type PASS", "        auth_pass labpass",
             "    }", "    virtual_ipaddress {",
             *(f"        {vip}" for vip in vips), "    }", "}"]
    for svc in services:
        forwards = {rs.get("forward", "Route") for rs in svc.real_servers}
        kind = kinds.get(forwards.pop() if len(forwards) == 1 else "Route", "DR")
        lines += ["", f"virtual_server {svc.vip} {svc.port} {{", "    delay_loop 6",
                  f"    lb_algo {svc.scheduler}", f"    lb_kind {kind}",
                  f"    protocol {svc.protocol}"]
        if svc.persistent:
            lines.append(f"    persistence_timeout {svc.persistent}")
        for rs in svc.real_servers:
            lines += ["", f"    real_server {rs['address']} {rs['port']} {{",
                      f"        weight {rs['weight']}", "        TCP_CHECK {",
                      "            connect_timeout 3", "        }", "    }"]
        lines.append("}")
    return "\n".join(lines) + "\n"
