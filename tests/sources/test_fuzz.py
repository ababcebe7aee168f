"""Every parser is total: on any text it returns a value or raises ParseError, nothing else.

Property-based: hypothesis mutates the real captures in ``tests/fixtures/`` the ways real
outputs go wrong and hostile ones are made — cut short, bits flipped, lines duplicated,
deleted or swapped, numbers replaced by huge (past Python's 4,300-digit int limit),
negative, infinite or NaN ones, control characters and line separators put in, words
moved — and asks each parser for a value or a :class:`ParseError`. Anything else would
escape a source's read boundary as an "internal error" (UNKNOWN), which is a bug to fix.

The runs are repeatable (``derandomize``, no example database): the same examples on
every machine, so a failure in CI is a failure here. ``HADECK_FUZZ_EXAMPLES`` sets the
examples per parser (default :data:`DEFAULT_EXAMPLES`, which keeps this file within
about half a minute); a long hunt is ``HADECK_FUZZ_EXAMPLES=20000``, with
``HADECK_FUZZ_SEED=N`` to draw other examples than CI's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hadeck import placement, probes, snmp
from hadeck.drbdconf import parse_dump
from hadeck.placement import cib as placement_cib
from hadeck.placement import rules as placement_rules
from hadeck.placement import scores as placement_scores
from hadeck.placement.cib import parse_cib
from hadeck.placement.rules import parse_date
from hadeck.placement.scores import parse_scores, score_value
from hadeck.probes import ping as ping_batch
from hadeck.probes import ping_output, pingd
from hadeck.probes.ping_output import parse_ping
from hadeck.snmp import answers as snmp_answers
from hadeck.snmp import parse as snmp_parse
from hadeck.snmp.poller import Answers, reading
from hadeck.sources import (
    backups,
    corosync,
    drbd,
    drbd_proc,
    guests,
    host,
    keepalived,
    keepalived_conf,
    ldirectord_conf,
    lvm,
    lvs,
    pacemaker,
)
from hadeck.sources.base import ParseError
from tests.conftest import FIXTURES
from tests.snmp.test_answers import NET_SNMP

DEFAULT_EXAMPLES = 200
EXAMPLES = int(os.environ.get("HADECK_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
SEED = os.environ.get("HADECK_FUZZ_SEED")

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    database=None,
    deadline=None,  # a loaded machine is no bug
    suppress_health_check=list(HealthCheck),
)


def _texts(*globs: str) -> list[str]:
    found: list[str] = []
    for pattern in globs:
        found += [p.read_text(errors="replace") for p in sorted(FIXTURES.glob(pattern))]
    assert found, globs
    return found


def _seeded(test: Callable[..., None]) -> Callable[..., None]:
    return seed(int(SEED))(test) if SEED is not None else test


# --------------------------------------------------------------------------- mutations

HOSTILE_NUMBERS = (
    "9" * 4301, "-" + "9" * 4301, "1" + "0" * 5000, "-1", "-0", "-999999999999", "0",
    "4294967296", "18446744073709551616", "inf", "-inf", "Infinity", "-Infinity", "nan",
    "NaN", "1e999", "-1e999", "1e-999", ".", "-", "+", "1.2.3", "", "1_000", "\u0663",
    "0x10", "+5", " 7", "7 ", "1e5", "12abc", "٣٣",
)
CONTROL = ("\x00", "\x1b", "\x1b[2J", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028",
           "\t", "\x7f", "\ufeff", "\ud800", "]", "<", "&", '"', "'", "{", "}", ":", "=")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _truncate(draw: st.DrawFn, text: str) -> str:
    return text[: draw(st.integers(0, len(text)))]


def _flip_bit(draw: st.DrawFn, text: str) -> str:
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    if not data:
        return text
    at = draw(st.integers(0, len(data) - 1))
    data[at] ^= 1 << draw(st.integers(0, 7))
    return data.decode("utf-8", "replace")


def _lines_op(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = draw(st.integers(0, len(lines) - 1))
    op = draw(st.sampled_from(("duplicate", "delete", "swap", "move")))
    if op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "delete":
        del lines[i]
    else:
        j = draw(st.integers(0, len(lines) - 1))
        if op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(j, lines.pop(i))
    return "".join(lines)


def _number(draw: st.DrawFn, text: str) -> str:
    spans = [m.span() for m in _NUMBER.finditer(text)]
    if not spans:
        return text
    start, end = draw(st.sampled_from(spans))
    new = draw(st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    ))
    return text[:start] + new + text[end:]


def _control(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.sampled_from(CONTROL)) + text[at:]


def _word(draw: st.DrawFn, text: str) -> str:
    words = text.split()
    if len(words) < 2:
        return text
    old, new = draw(st.sampled_from(words)), draw(st.sampled_from(words))
    return text.replace(old, new, draw(st.integers(1, 3)))


MUTATIONS = (_truncate, _flip_bit, _lines_op, _number, _number, _control, _word)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str]) -> str:
    """A real capture with one to four mutations applied (or none, now and then)."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


def _total(parser: Callable[[str], Any], text: str) -> None:
    try:
        parser(text)
    except ParseError:
        pass


# --------------------------------------------------------------------------- the parsers

PARSERS: dict[str, tuple[Callable[[str], Any], list[str]]] = {
    "parse_crm_mon": (pacemaker.parse_crm_mon,
                      _texts("pacemaker/*/*.xml")),
    "parse_cib_configuration": (pacemaker.parse_cib_configuration,
                                _texts("pacemaker/*/*.cib-configuration.xml")),
    "placement.parse_cib": (parse_cib, _texts("pacemaker/*/*.cib.xml",
                                              "pacemaker/*/*.cib-configuration.xml")),
    "placement.parse_scores": (parse_scores, _texts("pacemaker/*/*.scores.txt")),
    "parse_cib_orders": (pacemaker.parse_cib_orders,
                         _texts("pacemaker/*/*.cib-configuration.xml")),
    "parse_events2": (drbd.parse_events2,
                      _texts("formats/samples/drbd-events2/*", "formats/captured/*events2*")),
    "parse_status_json": (drbd.parse_status_json, _texts("formats/samples/drbd-status-json/*")),
    "parse_drbdadm_status": (drbd.parse_drbdadm_status,
                             _texts("formats/samples/drbdadm-status/*",
                                    "formats/captured/drbdadm_status*")),
    "parse_proc_drbd": (drbd_proc.parse_proc_drbd,
                        _texts("formats/samples/proc-drbd/*", "formats/captured/proc_drbd*")),
    "proc_drbd_version": (drbd_proc.proc_drbd_version,
                          _texts("formats/samples/proc-drbd/*")),
    "parse_ipvsadm": (lvs.parse_ipvsadm,
                      _texts("formats/samples/ipvsadm-*/*", "formats/captured/ipvsadm*")),
    "parse_proc_ip_vs": (lvs.parse_proc_ip_vs,
                         _texts("formats/samples/proc-net-ip_vs/*",
                                "formats/captured/proc_net_ip_vs*")),
    "parse_proc_ip_vs_stats": (lvs.parse_proc_ip_vs_stats,
                               _texts("formats/samples/proc-net-ip_vs_stats/*")),
    "parse_data_dump": (keepalived.parse_data_dump,
                        _texts("formats/samples/keepalived/data-dump*")),
    "parse_json_dump": (keepalived.parse_json_dump,
                        _texts("formats/samples/keepalived/json-dump*")),
    "parse_notify_fifo": (keepalived.parse_notify_fifo,
                          _texts("formats/samples/keepalived/notify-fifo*")),
    "parse_cfgtool": (corosync.parse_cfgtool, _texts("formats/samples/corosync-cfgtool/*")),
    "parse_quorumtool": (corosync.parse_quorumtool,
                         _texts("formats/samples/corosync-quorumtool/*")),
    "parse_virsh_list": (partial(guests.parse_virsh_list, node="n1"),
                         _texts("formats/samples/virsh-list/*", "virsh/9.0.0/list*")),
    "parse_virsh_autostart": (guests.parse_virsh_autostart,
                              _texts("virsh/9.0.0/*autostart*", "formats/samples/virsh-list/*")),
    "parse_virsh_uri": (guests.parse_virsh_uri, ["qemu:///system\n", "xen+ssh://h/\n",
                                                 "test:///default\n", "lxc:///\n"]),
    "parse_virsh_domstats": (guests.parse_virsh_domstats,
                             _texts("formats/samples/virsh-domstats/*", "virsh/9.0.0/domstats*")),
    "parse_xl_list": (partial(guests.parse_xl_list, node="n1"),
                      _texts("formats/samples/xl-list/*")),
    "parse_vzlist": (partial(guests.parse_vzlist, node="n1"),
                     _texts("formats/samples/vzlist/*")),
    "parse_facts": (partial(host.parse_facts, node="n1"), _texts("host/*.json")),
    "parse_mdstat": (host.parse_mdstat, _texts("formats/samples/proc-mdstat/*")),
    "parse_loadavg": (host.parse_loadavg, _texts("host/proc/proc-loadavg.txt")),
    "parse_proc_stat": (host.parse_proc_stat, _texts("host/proc/proc-stat.txt")),
    "parse_meminfo": (host.parse_meminfo, _texts("host/proc/proc-meminfo.txt")),
    "parse_uptime": (host.parse_uptime, _texts("host/proc/proc-uptime.txt")),
    "parse_mounts": (host.parse_mounts, _texts("host/proc/proc-mounts.txt")),
    "parse_df": (partial(host.parse_df, mounts=host.parse_mounts(
        (FIXTURES / "host/proc/proc-mounts.txt").read_text())), _texts("host/proc/df-P.txt")),
    "parse_vgs_json": (lvm.parse_vgs_json, _texts("lvm/*/vgs.json", "lvm/*/vgs-*.json")),
    "parse_lvs_json": (lvm.parse_lvs_json, _texts("lvm/*/lvs*.json")),
    "parse_vgs_columns": (lvm.parse_vgs_columns, _texts("lvm/*/vgs.txt",
                                                        "lvm/2.03.16-vmlab/vgs-*.txt")),
    "parse_lvs_columns": (lvm.parse_lvs_columns, _texts("lvm/*/lvs.txt", "lvm/*/lvs-*.txt")),
    "parse_show_84": (drbd.parse_show_84, _texts("lvm/*/drbdsetup-84-show-*.txt")),
    "parse_increments": (backups.parse_increments, _texts("rdiff-backup/*/increments*.txt")),
    "parse_data_dir": (backups.parse_data_dir, _texts("rdiff-backup/*/data-dir*.txt")),
}


def _events2_stream(text: str) -> None:
    """The dashboard's follower: one line at a time, as the stream gives them."""
    tracker = drbd.Events2Tracker()
    for line in text.splitlines():
        try:
            tracker.feed(line)
        except ParseError:
            continue
    tracker.resources()


def _lvs_readings(text: str) -> None:
    """What the LVS reader does with three ipvsadm texts: variant, parse, merge."""
    lvs.ipvsadm_variant(text)
    _, services = lvs.parse_ipvsadm(text)
    lvs.merge_lvs(services, services, services)


def _op_keys(text: str) -> None:
    """crm_mon's operation keys, split with and without the task it names."""
    for key in re.findall(r'op_key="([^"]*)"', text) or [text]:
        pacemaker.split_op_key(key)
        pacemaker.split_op_key(key, "monitor")


PARSERS["Events2Tracker.feed"] = (_events2_stream, PARSERS["parse_events2"][1])
PARSERS["split_op_key"] = (_op_keys, ['op_key="vm1_monitor_30000"', 'op_key="a_b_migrate_to_0"',
                                      'op_key="drbd_r0_promote_0"'])
PARSERS["xl_state"] = (guests.xl_state, ["-b----", "r-----", "--p---", "---sc-", "-----d"])
PARSERS["ipvsadm_variant+merge_lvs"] = (_lvs_readings, PARSERS["parse_ipvsadm"][1])


def _ping(text: str) -> None:
    # The probes' parser (hadeck.probes): the same text as stdout, and as the stderr of a
    # ping that could not start.
    for code in (0, 1):
        parse_ping(text, "", code)
    parse_ping("", text, 2)


PARSERS["parse_ping"] = (_ping, _texts("ping/*/*.txt", "ping/*/*.stderr"))

_DATES = ["2026-12-02 09:18:33Z", "2026-12-02 10:20:00 +01:00", "2026-12-02T09:18:33Z",
          "2026-12-02", "2026-12-02 09:18:33.250 -0500"]
PARSERS["drbdconf.parse_dump"] = (parse_dump, _texts("drbd-utils-*/*.txt", "drbd-utils-*/*.res"))
PARSERS["placement.parse_date"] = (parse_date, _DATES)
PARSERS["placement.score_value"] = (score_value, ["INFINITY", "+INFINITY", "-INFINITY", "50",
                                                  "-1000000", "0"])
PARSERS["parse_keepalived_conf"] = (keepalived_conf.parse_keepalived_conf, [
    (Path(__file__).resolve().parents[2] / "share" / "keepalived" /
     "hadeck-weights.conf").read_text(),
    "virtual_server_group g {\n 192.0.2.80 80\n fwmark 7\n}\nvirtual_server group g {\n"
    " real_server 192.0.2.21 80 { weight 3 }\n}\nvirtual_server fwmark 9 {\n"
    " ip_family inet6\n real_server 2001:db8::1 443\n {\n weight 2\n }\n}\n"])
PARSERS["parse_ldirectord_cf"] = (ldirectord_conf.parse_ldirectord_cf, [
    (FIXTURES / "ldirectord" / "4.12" / "ldirectord.cf").read_text(),
    "virtual=1\n\treal=10.0.0.2->10.0.0.9 gate 3\nvirtual6=[2001:db8::5]:119\n"
    "\treal6=[2001:db8::4]:119 masq\n\tprotocol=tcp\n"])
PARSERS["probes.duration_s"] = (pingd.duration_s, ["5s", "5", "1m", "250ms", "2h", "10 sec"])


def _split_batch(text: str) -> None:
    # The batch's output as the node's shell prints it, split for 1 to 3 hosts; each
    # section then goes to parse_ping as the probe does.
    for hosts in (1, 3):
        for section in ping_batch.split_batch(text, hosts):
            if section is not None:
                _total(partial(parse_ping, stderr="", returncode=section[0]), section[1])


_PINGS = _texts("ping/*/*.txt")
PARSERS["probes.split_batch"] = (_split_batch, [
    "".join(f"== hadeck-ping {i} {code}\n{text}" for i, (code, text)
            in enumerate([(0, _PINGS[0]), (1, _PINGS[-1])], start=1)),
    f"== hadeck-ping 1 0\n{_PINGS[0]}", "== hadeck-ping 2 127\n"])


def _snmp_answers(text: str) -> None:
    # The text's own error (AnswerError) is its documented refusal, as ParseError is.
    try:
        snmp_answers.parse(text)
    except snmp_answers.AnswerError:
        pass


def _snmp_reading(text: str) -> None:
    # Through the poller's boundary, which turns an unreadable answer into the reading's
    # error: it never raises, whatever the agent (or a bundle) says.
    got = reading(Answers("web1", "192.0.2.21", 0.0, 0.0, text))
    assert got.agent == "web1"


PARSERS["snmp.parse"] = (_snmp_answers, [NET_SNMP])
PARSERS["snmp.parse_reading"] = (_snmp_reading, [NET_SNMP])


def test_every_parser_is_fuzzed() -> None:
    """A parser added to a source without a fuzz test here fails this test."""
    public = {
        f"{name}" for module in (pacemaker, drbd_proc, drbd, lvs, keepalived, corosync,
                                 guests, host, lvm, backups)
        for name in dir(module)
        if name.startswith("parse_") and callable(getattr(module, name))
        and getattr(getattr(module, name), "__module__", "") == module.__name__
    }
    assert public <= set(PARSERS), sorted(public - set(PARSERS))
    # The parsers outside the sources: the probes', the placement's and SNMP's, named by
    # their package (``placement.parse_cib``) or bare (``parse_ping``).
    for package, module in ((probes, ping_output), (probes, pingd), (probes, ping_batch),
                            (placement, placement_cib), (placement, placement_scores),
                            (placement, placement_rules), (snmp, snmp_parse),
                            (snmp, snmp_answers)):
        short = package.__name__.rsplit(".", 1)[-1]
        for name in dir(module):
            function = getattr(module, name)
            if (name.startswith("parse")
                    or name in ("score_value", "duration_s", "split_batch")) \
                    and callable(function) \
                    and getattr(function, "__module__", "") == module.__name__:
                assert {name, f"{short}.{name}"} & set(PARSERS), f"{module.__name__}.{name}"


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parser_returns_a_value_or_raises_parse_error(name: str) -> None:
    parser, seeds = PARSERS[name]

    @FUZZ
    @_seeded
    @given(text=mutated(seeds))
    def check(text: str) -> None:
        _total(parser, text)

    check()


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parser_on_arbitrary_text(name: str) -> None:
    """Not only near the captures: any text at all (a tool's wrapper, another tool)."""
    parser, _ = PARSERS[name]

    @settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
    @_seeded
    @given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
    def check(text: str) -> None:
        _total(parser, text)

    check()
