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
from hadeck.snmp.agent import SnmpAgent
from hadeck.snmp.parse import parse_reading
from hadeck.snmp.poller import Answers, Poller, budget, poll, poll_answers, reading
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


V3_PROTOCOLS = [("hpriv", "SHA", "AES"), ("hauth", "SHA", ""), ("hmd5", "MD5", "AES"),
                ("hsha256", "SHA256", "AES"), ("hsha512", "SHA512", ""),
                ("hdes", "SHA", "DES"), ("haes256", "SHA", "AES256"),
                ("haes192", "MD5", "AES192"), ("haes256c", "SHA", "AES256C"),
                ("haes192c", "MD5", "AES192C")]


@pytest.mark.parametrize(("user", "auth", "priv"), V3_PROTOCOLS,
                         ids=["-".join(p[1:]).strip("-") for p in V3_PROTOCOLS])
def test_every_v3_protocol_reads_this_host(snmpd: Snmpd, user: str, auth: str,
                                           priv: str) -> None:
    """hadeck signs and encrypts MD5, SHA, SHA-2, AES (128, 192, 256; both key
    extensions) and DES itself (hadeck.snmp.usm): each reads the real answers, twice from
    a kept poller."""
    from hadeck.snmp import usm

    agent = snmpd.v3(user=user, auth_protocol=auth, privacy=bool(priv),
                     **({"priv_protocol": priv} if priv else {}))
    assert usm.handles(agent)
    poller = Poller()
    try:
        for _ in range(2):
            (answers,) = poller.poll_answers([agent])
            check_real_answers(reading(answers))
    finally:
        poller.close()


def steady(text: str) -> list[str]:
    """An answer's lines, but the values that move between two polls (clocks, load,
    memory in use, counters) replaced by their type."""
    moving = (oids.SYS_UPTIME, "1.3.6.1.2.1.25.1.1.0", "1.3.6.1.4.1.2021.10.1.",
              "1.3.6.1.4.1.2021.4.", "1.3.6.1.2.1.25.3.3.1.2.", "1.3.6.1.4.1.2021.9.1.",
              "1.3.6.1.2.1.2.2.1.", "1.3.6.1.2.1.31.1.1.1.", "1.3.6.1.2.1.25.2.3.1.6.")
    out = []
    for ln in text.splitlines():
        oid, _, value = ln.partition(" = ")
        if any(oid.lstrip(".").startswith(m) for m in moving):
            value = value.split(":")[0]
        out.append(f"{oid} = {value}")
    return out


def both_paths(agent: SnmpAgent, monkeypatch: pytest.MonkeyPatch) -> tuple[Answers, Answers]:
    """The agent read through hadeck.snmp.usm, then through pysnmp's engine."""
    from hadeck.snmp import poller as poller_module

    (own,) = poll_answers([agent])
    monkeypatch.setattr(poller_module, "OWN_V3", False)
    theirs_poller = Poller()  # a poller of its own: the shared one keeps the own path's
    try:
        (theirs,) = theirs_poller.poll_answers([agent])
    finally:
        theirs_poller.close()
    return own, theirs


@pytest.mark.parametrize("role", ["real-server", "node"])
@pytest.mark.parametrize("privacy", [True, False], ids=["authPriv-SHA-AES", "authNoPriv-SHA"])
def test_hadecks_own_v3_answers_what_pysnmp_answers(
        snmpd: Snmpd, monkeypatch: pytest.MonkeyPatch, privacy: bool, role: str) -> None:
    """The same agent read through hadeck.snmp.usm and through pysnmp's engine
    (poller.OWN_V3 off): the same lines, in the same order, the same values but those
    that move between two polls."""
    own, theirs = both_paths(snmpd.v3(privacy=privacy, role=role), monkeypatch)
    assert own.error is None and theirs.error is None, (own.error, theirs.error)
    assert len(own.text.splitlines()) > 10
    assert steady(own.text) == steady(theirs.text)
    mine, pysnmps = reading(own), reading(theirs)
    assert (mine.memory_total, mine.cpu_count, mine.swap_total) == \
        (pysnmps.memory_total, pysnmps.cpu_count, pysnmps.swap_total)


OTHER_PRIVACY = [("haes256", "SHA", "AES256"), ("haes192", "MD5", "AES192"),
                 ("haes256c", "SHA", "AES256C"), ("haes192c", "MD5", "AES192C"),
                 ("hdes", "SHA", "DES")]


@pytest.mark.parametrize(("user", "auth", "priv"), OTHER_PRIVACY,
                         ids=["-".join(p[1:]) for p in OTHER_PRIVACY])
def test_hadecks_own_aes_192_256_and_des_answer_what_pysnmp_answers(
        snmpd: Snmpd, monkeypatch: pytest.MonkeyPatch, user: str, auth: str,
        priv: str) -> None:
    """AES-192/256 whose key is extended (net-snmp's way: AES192/AES256, pysnmp's
    "Blumenthal" protocols; Cisco's: AES192C/AES256C), and DES, read by hadeck.snmp.usm
    and by pysnmp's engine: the same lines and values."""
    own, theirs = both_paths(snmpd.v3(user=user, auth_protocol=auth, priv_protocol=priv),
                             monkeypatch)
    assert own.error is None and theirs.error is None, (own.error, theirs.error)
    assert len(own.text.splitlines()) > 10
    assert steady(own.text) == steady(theirs.text)


@pytest.mark.parametrize("own", [True, False], ids=["own", "pysnmp"])
def test_the_other_aes_key_extension_is_a_timeout_that_names_both(
        snmpd: Snmpd, monkeypatch: pytest.MonkeyPatch, own: bool) -> None:
    """An AES256 user asked as AES256C (Cisco's extension) and an AES192C user asked as
    AES192 (net-snmp's): snmpd cannot decrypt either and answers nothing; the timeout
    says that the key extension may be the cause, and which name is which. With SHA-256
    the key needs no extension: both names read the same user."""
    from hadeck.snmp import poller as poller_module

    monkeypatch.setattr(poller_module, "OWN_V3", own)
    agents = [snmpd.v3("cisco", user="haes256", priv_protocol="AES256C", retries=0),
              snmpd.v3("netsnmp", user="haes192c", auth_protocol="MD5",
                       priv_protocol="AES192", retries=0),
              snmpd.v3("sha256", user="hsha256x256", auth_protocol="SHA256",
                       priv_protocol="AES256C", retries=0)]
    poller = Poller()
    try:
        cisco, netsnmp, sha256 = poller.poll_answers(agents)
    finally:
        poller.close()
    for got, plain in ((cisco, "AES256"), (netsnmp, "AES192")):
        assert got.error_kind == "timeout"
        assert got.error == (f"no answer from 127.0.0.1:{snmpd.port} in 0.5 s (1 try): "
                             f"snmpd down or unreachable, or a wrong privacy password or "
                             f"AES key extension (priv_protocol {plain} is net-snmp's, "
                             f"{plain}C Cisco's; an agent answers either with silence)")
    assert sha256.error is None, sha256.error


def test_a_v3_agent_stopped_mid_poll_times_out_and_answers_once_it_goes_on(
        snmpd_factory: Callable[..., Snmpd]) -> None:
    """An snmpd stopped (SIGSTOP: it neither answers nor refuses) while a kept poller
    knows its engine: a timeout said as for any silent agent, the other agent still read
    in the same poll; continued, it answers the next poll (its engine discovered again)."""
    import signal

    first, second = snmpd_factory(), snmpd_factory()
    agents = [first.v3("web1"), second.v3("web2", retries=0)]
    poller = Poller()
    try:
        assert [a.error for a in poller.poll_answers(agents)] == [None, None]
        second.process.send_signal(signal.SIGSTOP)
        try:
            start = time.monotonic()
            web1, web2 = (reading(a) for a in poller.poll_answers(agents))
            took = time.monotonic() - start
        finally:
            second.process.send_signal(signal.SIGCONT)
        check_real_answers(web1)
        assert web2.error_kind == "timeout"
        assert web2.error == (f"no answer from 127.0.0.1:{second.port} in 0.5 s (1 try): "
                              "snmpd down or unreachable, or a wrong privacy password (an "
                              "agent answers that with silence)")
        assert took < budget(agents[1])
        check_real_answers(reading(poller.poll_answers(agents)[1]))
    finally:
        poller.close()


def test_a_wrong_v3_password_on_each_own_protocol_is_said(snmpd: Snmpd) -> None:
    agents = [snmpd.v3(user=u, auth_protocol=a, privacy=bool(p), auth_password="wrong-one",
                       **({"priv_protocol": p} if p else {}))
              for u, a, p in V3_PROTOCOLS]
    for agent, got in zip(agents, poll(agents), strict=True):
        assert got.error_kind == "auth", (agent.user, got.error)
        assert got.error == (f"authentication failed for SNMPv3 user {agent.user!r}: wrong "
                             f"password or auth protocol ({agent.auth_protocol})")


class CutRelay:
    """A UDP relay in front of a real snmpd that passes the first ``answers`` answers
    and then drops everything (an agent that stops answering in the middle of a poll),
    until :meth:`heal`."""

    def __init__(self, snmpd: Snmpd, answers: int) -> None:
        import socket
        import threading

        self.left = answers
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.connect(("127.0.0.1", snmpd.port))
        for sock in (self.front, self.back):
            sock.settimeout(0.1)  # the threads see ``stopped`` at least this often
        self.client: tuple[str, int] | None = None
        self.stopped = False
        self.threads = [threading.Thread(target=self._requests, daemon=True),
                        threading.Thread(target=self._answers, daemon=True)]
        for thread in self.threads:
            thread.start()

    def heal(self) -> None:
        self.left = 10**9

    def _requests(self) -> None:
        while not self.stopped:
            try:
                data, self.client = self.front.recvfrom(65535)
            except TimeoutError:
                continue
            self.back.send(data)

    def _answers(self) -> None:
        while not self.stopped:
            try:
                data = self.back.recv(65535)
            except TimeoutError:
                continue
            if self.left > 0 and self.client is not None:
                self.left -= 1
                self.front.sendto(data, self.client)

    def close(self) -> None:
        self.stopped = True
        for thread in self.threads:
            thread.join(5)
        self.front.close()
        self.back.close()


@pytest.mark.parametrize("version", ["3", "2c"])
def test_an_agent_that_stops_answering_in_the_middle_of_a_poll(snmpd: Snmpd,
                                                                version: str) -> None:
    """A node's poll is several round trips (SNMPv3: the engine's discovery, the first
    GETBULK, the walk of disks and interfaces): the agent answers the first ones and then
    nothing: a timeout said as such, in the walk; answering again, the next poll of the
    same poller reads it whole."""
    relay = CutRelay(snmpd, answers=2 if version == "3" else 1)
    agent = (snmpd.v3("node1", port=relay.port, role="node", retries=0) if version == "3"
             else snmpd.agent("node1", port=relay.port, role="node", retries=0))
    poller = Poller()
    try:
        (cut,) = (reading(a) for a in poller.poll_answers([agent]))
        assert cut.error_kind == "timeout"
        assert cut.error is not None
        assert cut.error.startswith(f"while walking the tables: no answer from "
                                    f"127.0.0.1:{relay.port} in 0.5 s (1 try)")
        relay.heal()
        (whole,) = (reading(a) for a in poller.poll_answers([agent]))
        check_real_answers(whole)
        assert whole.disks and whole.interfaces
    finally:
        poller.close()
        relay.close()
