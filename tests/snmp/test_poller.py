"""The poller against a real snmpd: real answers, a stopped agent, a wrong password."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

from hadeck.serial import to_data
from hadeck.snmp import oids
from hadeck.snmp.parse import parse_reading
from hadeck.snmp.poller import Poller, budget, poll, poll_answers, reading
from tests.snmp.conftest import Snmpd


def meminfo_kib(field: str) -> int:
    for line in open("/proc/meminfo"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def check_real_answers(reading: object) -> None:
    """The numbers an operator would check against the host itself."""
    from hadeck.model import SnmpReading

    assert isinstance(reading, SnmpReading)
    assert reading.error is None, reading.error
    assert reading.memory_total == meminfo_kib("MemTotal") * 1024
    assert reading.memory_available is not None
    assert 0 < reading.memory_available <= reading.memory_total
    assert reading.load is not None
    assert abs(reading.load[0] - os.getloadavg()[0]) < 2.0
    assert reading.cpu_count == len([ln for ln in open("/proc/cpuinfo")
                                     if ln.startswith("processor")])
    assert reading.uptime_s is not None and 0 <= reading.uptime_s < 600


def test_v2c_reads_load_and_memory_of_this_host(snmpd: Snmpd) -> None:
    (reading,) = poll([snmpd.agent()])
    check_real_answers(reading)
    assert reading.agent == "rs1" and reading.address == "127.0.0.1"


@pytest.mark.parametrize("privacy", [True, False], ids=["authPriv-SHA-AES", "authNoPriv-SHA"])
def test_v3_reads_the_same(snmpd: Snmpd, privacy: bool) -> None:
    agent = snmpd.v3(privacy=privacy)
    assert agent.security == ("authPriv" if privacy else "authNoPriv")
    (reading,) = poll([agent])
    check_real_answers(reading)


def test_a_node_gets_disks_and_interfaces(snmpd: Snmpd) -> None:
    (reading,) = poll([snmpd.agent(role="node")])
    assert reading.error is None
    root = {d.mountpoint: d for d in reading.disks}["/"]
    stat = os.statvfs("/")
    assert abs(root.total_bytes - stat.f_blocks * stat.f_frsize) < 1024 * 1024
    names = {i.name: i for i in reading.interfaces}
    assert names["lo"].oper_status == "up"
    assert (names["lo"].in_octets or 0) > 0


def test_a_real_server_is_not_walked_for_disks(snmpd: Snmpd) -> None:
    """A weight needs load, CPUs and memory: a real server's poll stays small."""
    (reading,) = poll([snmpd.agent()])
    assert reading.disks == () and reading.interfaces == ()


def test_wrong_v3_password_is_an_authentication_error(snmpd: Snmpd) -> None:
    start = time.monotonic()
    (reading,) = poll([snmpd.v3(auth_password="not-the-password")])
    assert reading.error_kind == "auth"
    assert reading.error is not None
    assert "authentication failed for SNMPv3 user 'hpriv'" in reading.error
    assert "wrong password" in reading.error
    assert time.monotonic() - start < 2.0  # refused at once, not waited out


def test_unknown_v3_user_is_said(snmpd: Snmpd) -> None:
    (reading,) = poll([snmpd.v3(user="nobody")])
    assert reading.error_kind == "auth"
    assert reading.error == "the agent has no SNMPv3 user 'nobody'"


def test_an_agent_stopped_mid_test_times_out_and_the_other_still_answers(
        snmpd_factory: Callable[..., Snmpd]) -> None:
    first, second = snmpd_factory(), snmpd_factory()
    agents = [first.agent("web1"), second.agent("web2")]
    assert [r.error for r in poll(agents)] == [None, None]

    second.stop()
    start = time.monotonic()
    web1, web2 = poll(agents)
    took = time.monotonic() - start
    check_real_answers(web1)
    assert web2.error_kind == "timeout"
    assert web2.error == (f"no answer from 127.0.0.1:{second.port} in 1 s (2 tries): snmpd "
                          "down or unreachable, or a wrong community (an agent answers that "
                          "with silence)")
    assert web2.load is None and web2.memory_total is None
    # Concurrent: the dead agent costs its own timeout, once, not the live one's time too.
    assert took < budget(agents[1])


def test_wrong_community_is_a_timeout_that_says_so(snmpd: Snmpd) -> None:
    (reading,) = poll([snmpd.agent(community="wrong-community", retries=0)])
    assert reading.error_kind == "timeout"
    assert reading.error is not None and "wrong community" in reading.error


def test_a_name_that_does_not_resolve(snmpd: Snmpd) -> None:
    (reading,) = poll([snmpd.agent(address="no-such-host.invalid")])
    assert reading.error_kind == "failed"
    assert reading.error is not None
    assert reading.error.startswith("cannot resolve no-such-host.invalid")


def test_an_agent_given_by_name_answers_at_every_poll_of_a_kept_poller(snmpd: Snmpd) -> None:
    # A name is resolved at every poll (an IP address's target is kept): both paths answer.
    poller = Poller()
    try:
        for _ in range(2):
            by_name, by_ip = (reading(a) for a in poller.poll_answers(
                [snmpd.agent("byname", address="localhost"), snmpd.agent("byip")]))
            check_real_answers(by_name)
            check_real_answers(by_ip)
            assert by_name.address == "localhost"
    finally:
        poller.close()


def test_secrets_never_appear_in_outputs_or_logs(
        snmpd: Snmpd, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    agents = [snmpd.agent("v2"), snmpd.v3("v3"), snmpd.v3("bad", auth_password="x" * 12),
              snmpd.v3("badpriv", priv_password=snmpd.auth_password + "-no"),
              snmpd.agent("dead", port=1, retries=0)]
    answers = poll_answers(agents)
    readings = poll(agents)
    shown = "\n".join([repr(agents), repr(answers), repr(readings),
                       str(to_data(readings)), caplog.text])
    for secret in snmpd.secrets():
        assert secret not in shown
    assert {r.agent: r.error_kind for r in readings} == {
        "v2": None, "v3": None, "bad": "auth", "badpriv": "timeout", "dead": "timeout"}
    badpriv = next(r for r in readings if r.agent == "badpriv")
    assert badpriv.error is not None and "wrong privacy password" in badpriv.error


@pytest.mark.skipif(shutil.which("snmpwalk") is None, reason="snmpwalk (Debian snmp) missing")
def test_the_parser_reads_what_net_snmps_own_snmpwalk_prints(snmpd: Snmpd) -> None:
    """The answers' text is the real tool's format: snmpwalk -On of the same agent reads
    into the same reading as the poller's (the values that do not move)."""
    text = ""
    for oid in (oids.SYS_UPTIME, oids.MEM_TOTAL_REAL, oids.LA_LOAD, *oids.LOAD_COLUMNS,
                *oids.HOST_COLUMNS):
        run = subprocess.run(["snmpwalk", "-On", "-v2c", "-c", snmpd.community,
                              f"127.0.0.1:{snmpd.port}", oid],
                             capture_output=True, text=True, timeout=20, check=True)
        text += run.stdout
    walked = parse_reading(text, "rs1", "127.0.0.1", 0.0)
    (polled,) = poll([snmpd.agent(role="node")])
    assert walked.memory_total == polled.memory_total
    assert walked.cpu_count == polled.cpu_count
    assert [(d.mountpoint, d.device, d.total_bytes) for d in walked.disks] == \
        [(d.mountpoint, d.device, d.total_bytes) for d in polled.disks]
    assert [i.name for i in walked.interfaces] == [i.name for i in polled.interfaces]
    assert walked.load is not None


def test_polls_leave_no_socket_open(snmpd: Snmpd) -> None:
    """Each poll closes its engines' UDP sockets (a dashboard polls for days)."""
    agents = [snmpd.agent(), snmpd.v3("v3")]
    poll(agents)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        assert [r.error for r in poll(agents)] == [None, None]
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("new_engine_id", [False, True], ids=["restarted", "reinstalled"])
def test_a_kept_poller_reads_an_agent_restarted_between_polls(
        snmpd: Snmpd, new_engine_id: bool) -> None:
    """The poller keeps each SNMPv3 agent's engine ID and clock from one poll to the
    next: an snmpd started again (its engine boots once more) or reinstalled (a new
    engine ID) still answers the next poll, not a stale-discovery error."""
    poller = Poller()
    agents = [snmpd.agent("v2"), snmpd.v3("v3"), snmpd.v3("v3-auth", privacy=False)]
    try:
        assert [a.error for a in poller.poll_answers(agents)] == [None] * 3
        snmpd.restart(new_engine_id=new_engine_id)
        answers = poller.poll_answers(agents)
        assert [a.error for a in answers] == [None] * 3
        for a in answers:
            check_real_answers(reading(a))
    finally:
        poller.close()


def test_a_kept_poller_says_a_stopped_agent_and_a_wrong_password_as_a_new_one_does(
        snmpd: Snmpd) -> None:
    poller = Poller()
    good, wrong = snmpd.v3("good"), snmpd.v3("wrong", auth_password="not-the-password")
    try:
        assert [a.error_kind for a in poller.poll_answers([good, wrong])] == [None, "auth"]
        snmpd.stop()
        assert [a.error_kind for a in poller.poll_answers([good, wrong])] == ["timeout"] * 2
    finally:
        poller.close()
