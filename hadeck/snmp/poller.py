"""Poll many SNMP agents at once (pysnmp 7, asyncio), and keep their answers as text.

pysnmp (~0.2 s to import) and asyncio are imported by a poll, never at module level: a
check plugin or ``hadeck status`` that reads no SNMP agent never pays for them
(tests/core/test_import_hygiene.py imports every core module and fails if they load).

One poll of one agent is:

1. one GETBULK (:func:`_first`) that asks for the scalars
   (:data:`hadeck.snmp.oids.SCALARS`: uptime, load, memory) as its non-repeaters — each
   as a GETNEXT of the OID just before it, so the answer is the scalar itself — and the
   first rows of the processor table (:data:`hadeck.snmp.oids.LOAD_COLUMNS`) as its
   repeaters (:data:`MAX_REPETITIONS` at first, then one more than the agent had:
   each value past a table's end costs its decoding). A real server (its weight needs
   the load and the number of CPUs) is usually done in this one round trip. It is also
   the liveness and credentials check: an agent that does not answer it, or refuses the
   user, is not asked anything more (a dead agent costs one timeout, not one per table);
2. a bulk walk of what is left, all columns at once (:func:`_walk`): each GETBULK asks
   for the next rows of all the columns not yet finished, so the whole poll is two or
   three round trips whatever the number of columns: the rest of the processor table
   on a host with many CPUs, and for a node disks and interfaces (``HOST_COLUMNS``), and
   hrStorage when it has no dskTable.

The poll is CPU-bound: pyasn1, which pysnmp encodes and decodes with, costs ~0.05–0.1 ms
per value, so one request where there were two, and fewer values, matter more than the
round trips they save (bench/snmp.py); v2c messages are written and read by
:mod:`hadeck.snmp.ber` instead (~25× faster), SNMPv3 ones by :mod:`hadeck.snmp.usm`
(~15× less CPU per agent than pysnmp's engine).

All agents are polled concurrently in one event loop, each with its own timeout and
retries and an overall budget (:func:`budget`). The loop is a :class:`Poller`'s, in a
thread of its own, kept from one poll to the next (the process shares one,
:func:`shared`: the dashboard's and the weight loop's polls), and with it what pysnmp
would otherwise build again at every poll:

* v2c goes through pysnmp's engine-less v1/v2c dispatcher (``hlapi.v1arch``: its
  socket, resends and timeouts; the request written and the answer read by
  :mod:`hadeck.snmp.ber`, matched by request ID), not through an SNMP engine and the
  target configuration pysnmp writes into its own MIB for each agent;
* SNMPv3 (authNoPriv and authPriv; MD5, SHA, SHA-2; AES, DES) goes through the same
  dispatcher and socket, its messages written, signed, encrypted and read by
  :mod:`hadeck.snmp.usm`, matched by msgID (:meth:`_Session._bulk_v3`). The session
  keeps each agent's engine (ID, boots, clock) and the user's keys localised for it:
  the engine's discovery and the keys are paid at an agent's first poll; an agent
  that booted again (a signed notInTimeWindow report) or got a new engine ID (an
  unknownEngineIDs report) is caught up with at once, and the request sent again;
* the rest of SNMPv3 (noAuthNoPriv; everything when
  :data:`OWN_V3` is off) needs pysnmp's engine: one per set of credentials (pysnmp keeps
  one key per user name in an engine), kept, so each agent's engine-ID discovery, key
  localisation and target configuration are paid at its first poll, not at every one.
  pysnmp keeps a discovered engine ID for 300 s and drops unanswered what is signed with
  another: an agent that falls silent in a kept engine is forgotten and asked once more,
  which rediscovers a reinstalled agent at once (and costs a dead agent one more
  timeout, once: it is then no longer known).

:func:`poll_async` polls in the caller's loop with nothing kept: a cold poll.

Errors are said for an operator and never carry a secret: an agent's
usmStatsWrongDigests report (pysnmp's ``Wrong SNMP PDU digest``) becomes "authentication
failed (wrong SNMPv3 password or auth protocol)", a timeout says how long was waited and
that a wrong v2c community looks the same (an agent answers a wrong community with
silence).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hadeck.model import SnmpReading
from hadeck.redact import MASK
from hadeck.snmp import ber, oids, usm
from hadeck.snmp.agent import SnmpAgent
from hadeck.snmp.answers import AnswerError, line
from hadeck.snmp.parse import parse_reading

MAX_REPETITIONS = 8
"""Rows per column in one GETBULK. Each column costs up to this many values past its end
(each decoded: ~0.05–0.1 ms of CPU in pyasn1, where pysnmp reads v3): enough for a
host's CPUs and disks in one round, interfaces in a few."""
MAX_IN_FLIGHT = 64
"""SNMPv3 agents polled through pysnmp's engine (:data:`OWN_V3`) at the same moment at
most. Each answer costs pysnmp ~3–4 ms of CPU: 64 answers coming in at once wait ~0.25 s
for the last to be read, well inside the default 1 s timeout; past this, an agent whose
timeout is short would be counted dead while it answered in time. (It was 32: 64 agents
a round trip away took two.)"""
MAX_IN_FLIGHT_V2C = 256
"""v2c agents, and SNMPv3 agents whose messages hadeck reads itself, polled at the same
moment at most. An answer costs ~0.1–0.2 ms to read (:mod:`hadeck.snmp.ber`,
:mod:`hadeck.snmp.usm`): 256 waiting are ~50 ms, far inside any timeout, and 64 agents
a round trip away are asked in one round, not two (bench/snmp.py: at 32, 64 agents took
two round trips)."""
RECEIVE_BUFFER = 1 << 20
"""Bytes the v2c socket may hold unread (asked for; the kernel caps it at
``net.core.rmem_max``): 256 answers arriving at once are ~300 KiB in the kernel's
accounting, more than the default 208 KiB."""
MAX_RESOLVED = 4096
"""Request OIDs kept resolved (the scalars, and the table rows where walks go on), and
agents whose processor rows are remembered."""
MAX_ENGINES = 16
"""SNMPv3 engines a poller keeps (one per set of credentials) before it closes those a
poll does not use."""
OWN_V3 = True
"""SNMPv3 messages written and read by :mod:`hadeck.snmp.usm` (~0.2 ms of CPU per agent
polled, where pysnmp spent ~3–4 ms); False sends every SNMPv3 agent through pysnmp's
engine, as noAuthNoPriv always is (tests/snmp compare the two
paths' answers)."""
MAX_ROUNDS = 200
"""GETBULKs per agent at most: past this an agent that keeps sending rows is cut off."""


@dataclass(frozen=True)
class Answers:
    """What one agent answered, as text (:mod:`hadeck.snmp.answers`), and how it went."""

    agent: str
    address: str
    read_at: float
    duration: float
    text: str = ""
    error: str | None = None
    error_kind: str | None = None


def budget(agent: SnmpAgent) -> float:
    """Seconds one agent's whole poll may take: the first request's worst case, plus as
    much for the walk's round trips (each answers in milliseconds when the agent is
    alive) or for the one rediscovery of an SNMPv3 agent that fell silent."""
    return 2 * agent.timeout * (agent.retries + 1) + 1.0


def poll(agents: Sequence[SnmpAgent]) -> tuple[SnmpReading, ...]:
    """Poll every agent once, concurrently, and read the model from the answers.

    Never raises for an agent that fails: its reading says why (``error``,
    ``error_kind``). Polls through the process's :class:`Poller` and waits for it.
    """
    return tuple(reading(a) for a in poll_answers(agents))


def reading(answers: Answers) -> SnmpReading:
    """The model from one agent's answers; answers that cannot be read become the error."""
    try:
        return parse_reading(answers.text, answers.agent, answers.address, answers.read_at,
                             answers.duration, answers.error, answers.error_kind)
    except AnswerError as exc:
        return SnmpReading(agent=answers.agent, address=answers.address,
                           read_at=answers.read_at, duration=answers.duration,
                           error=f"unreadable answer: {exc}", error_kind="failed")


def poll_answers(agents: Sequence[SnmpAgent]) -> list[Answers]:
    """Poll every agent once, concurrently; their answers as text, in the agents' order.

    Polls through the process's :class:`Poller` (started by the first poll, kept for the
    next ones): call it from any thread but the poller's own.
    """
    if not agents:
        return []
    return shared().poll_answers(agents)


async def poll_async(agents: Sequence[SnmpAgent]) -> list[Answers]:
    """Poll every agent once in the running event loop, from nothing: what a poll costs
    when nothing is kept (a new v2c dispatcher, new SNMPv3 engines and discoveries)."""
    session = _Session()
    try:
        return await session.poll(agents)
    finally:
        session.close()


class Poller:
    """Polls from one event loop in a thread of its own, kept from one poll to the next.

    pysnmp's dispatcher and SNMP engines belong to the event loop that opened their
    sockets, so a poller that runs each poll in a new loop (``asyncio.run``) pays every
    time for what could be kept: the SNMPv3 engine, its discovery of each agent's engine
    ID and the key localised for it, the target pysnmp configures in its own MIB for each
    agent (~4 ms of CPU). This one keeps its loop, and with it those, for its life: the
    first poll of an agent costs that once, the next ones only the request and its
    answer (bench/snmp.py: cold and warm figures).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: Any = None
        self._thread: threading.Thread | None = None
        self._session: _Session | None = None

    def poll_answers(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        """:func:`poll_answers` in this poller's loop (waits for the answers)."""
        if not agents:
            return []
        import asyncio

        loop, session = self._started()
        # Each agent's poll ends within its budget (asyncio.timeout): this wait does too.
        waited = max(budget(a) for a in agents) * (1 + len(agents) // MAX_IN_FLIGHT) + 10
        return asyncio.run_coroutine_threadsafe(session.poll(agents), loop).result(waited)

    def close(self) -> None:
        """Close the sockets and stop the loop and its thread (a new poll starts them)."""
        import asyncio

        with self._lock:
            loop, thread, session = self._loop, self._thread, self._session
            self._loop = self._thread = self._session = None
        if loop is None or thread is None or session is None:
            return

        async def close() -> None:
            # An answer that came in as the sockets closed (a retry's late twin) finds
            # its transport gone: pysnmp raises for it, and nobody is waiting for it.
            loop.set_exception_handler(lambda _loop, _context: None)
            session.close()
            await asyncio.sleep(0)  # the transports' closing callbacks run
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        thread.join(10)
        loop.close()

    def _started(self) -> tuple[Any, _Session]:
        with self._lock:
            if self._loop is None or self._session is None:
                import asyncio

                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="hadeck-snmp",
                                          daemon=True)
                thread.start()
                self._loop, self._thread, self._session = loop, thread, _Session()
            return self._loop, self._session


_SHARED: dict[int, Poller] = {}


def shared() -> Poller:
    """The process's poller (the dashboard's and the weight loop's polls reuse it).

    One per process id: a forked child has the parent's poller but not its thread.
    """
    import os

    with _LOCK:
        pid = os.getpid()
        if pid not in _SHARED:
            _SHARED.clear()
            _SHARED[pid] = Poller()
            import atexit

            atexit.register(_close_at_exit, pid, _SHARED[pid])
        return _SHARED[pid]


def _close_at_exit(pid: int, poller: Poller) -> None:
    """Stop the poller's loop and thread before the interpreter finalizes: a daemon
    thread woken by a late answer during finalization is ended by ``pthread_exit``,
    which aborts the process (signal 6) where libgcc_s cannot be loaded — seen as
    keepalived's check dying by signal 6 in the vmlab VMs. Only in the process that
    started it (a forked child has its own)."""
    import os

    if os.getpid() == pid:
        poller.close()


class _Session:
    """What one event loop keeps between polls: the dispatcher (pysnmp's engine-less
    v1/v2c one, sending what :mod:`hadeck.snmp.ber` and :mod:`hadeck.snmp.usm` write),
    each SNMPv3 agent's engine and the keys localised for it, pysnmp's SNMPv3 engines
    (one per set of credentials, for what usm does not do), and the processor rows each
    agent had (the next poll asks for that many, not :data:`MAX_REPETITIONS`)."""

    def __init__(self) -> None:
        self.dispatcher: Any = None
        self.engines: dict[tuple[object, ...], Any] = {}
        self.rows: dict[tuple[str, int], int] = {}
        self.targets: dict[tuple[object, ...], Any] = {}
        self.usm_engines: dict[tuple[str, int], usm.Engine] = {}
        self.pass_keys: dict[tuple[str, str], bytes] = {}
        self.keys: dict[tuple[object, ...], usm.Keys] = {}

    async def target(self, agent: SnmpAgent) -> Any:
        """pysnmp's transport target for ``agent``: kept when its address is an IP
        address (pysnmp's ``create`` resolves it in the loop's thread pool, a thread
        hop per agent per poll); a name is resolved again at every poll."""
        if _own(agent):
            from pysnmp.hlapi.v1arch.asyncio import Udp6TransportTarget, UdpTransportTarget
        else:
            from pysnmp.hlapi.v3arch.asyncio import (
                Udp6TransportTarget,
                UdpTransportTarget,
            )

        key = (_own(agent), agent.address, agent.port, agent.timeout, agent.retries)
        found = self.targets.get(key)
        if found is None:
            target_class = Udp6TransportTarget if ":" in agent.address \
                else UdpTransportTarget
            found = await target_class.create((agent.address, agent.port),
                                              timeout=agent.timeout, retries=agent.retries)
            if _is_ip(agent.address):
                if len(self.targets) >= MAX_RESOLVED:
                    self.targets.clear()
                self.targets[key] = found
        return found

    async def poll(self, agents: Sequence[SnmpAgent]) -> list[Answers]:
        import asyncio

        self._forget(agents)
        slots = {True: asyncio.Semaphore(MAX_IN_FLIGHT_V2C),
                 False: asyncio.Semaphore(MAX_IN_FLIGHT)}

        async def one(agent: SnmpAgent) -> Answers:
            async with slots[_own(agent)]:
                return await _poll_within_budget(agent, self)

        return list(await asyncio.gather(*(one(a) for a in agents)))

    def close(self) -> None:
        """Close the sockets, in the loop that opened them."""
        if self.dispatcher is not None:
            self.dispatcher.close()
            self.dispatcher = None
        for engine in self.engines.values():
            engine.close_dispatcher()
        self.engines.clear()

    def _forget(self, agents: Sequence[SnmpAgent]) -> None:
        """Past :data:`MAX_ENGINES` sets of credentials (a configuration changed many
        times), close the engines this poll does not use."""
        if len(self.engines) > MAX_ENGINES:
            used = {_engine_key(a) for a in agents}
            for key in [k for k in self.engines if k not in used]:
                self.engines.pop(key).close_dispatcher()
        if len(self.rows) > MAX_RESOLVED:
            self.rows.clear()
        for kept in (self.usm_engines, self.pass_keys, self.keys):
            if len(kept) > MAX_RESOLVED:
                kept.clear()

    def repetitions(self, agent: SnmpAgent) -> int:
        """Processor rows to ask for: one past the rows the agent had (the extra row
        shows the table ended), :data:`MAX_REPETITIONS` when not known yet."""
        rows = self.rows.get((agent.address, agent.port))
        return MAX_REPETITIONS if rows is None else min(rows + 1, MAX_REPETITIONS)

    def engine(self, agent: SnmpAgent) -> Any:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        key = _engine_key(agent)
        if key not in self.engines:
            engine = SnmpEngine()
            # pysnmp builds a MIB view per engine (~0.3 s, compiling its MIB modules) to
            # resolve the OIDs asked for: one for the process does, it is only read.
            engine.cache["mibViewController"] = _mib_view()
            self.engines[key] = engine
        return self.engines[key]

    def forget(self, agent: SnmpAgent, target: Any) -> bool:
        """Forget the engine ID this poller's engine learned for ``agent`` (the next
        request discovers it again); True when it had one.

        pysnmp keeps a peer's engine ID by its address for 300 s and drops, unanswered,
        an answer signed with another: an agent reinstalled (or whose engineID changed)
        would time out for five minutes. pysnmp has no call for this: its cache is
        reached by name (pysnmp 7.1; tests/snmp/test_poller.py fails if that changes).
        """
        if agent.version == "3" and _own(agent):
            # hadeck's own SNMPv3: an agent with a new engine ID reports it (the next
            # request goes on with it), so silence is silence: no second try, but the
            # next poll discovers the engine again.
            self.usm_engines.pop((agent.address, agent.port), None)
            return False
        engine = self.engines.get(_engine_key(agent))
        model = engine.message_processing_subsystems.get(3) if engine is not None else None
        prefix = "_SnmpV3MessageProcessingModel__engineIdCache"
        cache, queue = getattr(model, prefix, None), getattr(model, prefix + "ExpQueue", None)
        if not isinstance(cache, dict) or not isinstance(queue, dict):
            return False
        address = tuple(target.transport_address)[:2]
        stale = [k for k in cache if tuple(k[1])[:2] == address]
        for k in stale:
            del cache[k]
            for keys in queue.values():  # its expiry would delete it again: a KeyError
                while k in keys:
                    keys.remove(k)
        return bool(stale)

    async def bulk(self, agent: SnmpAgent, target: Any, non_repeaters: int,
                   repetitions: int, asked: Sequence[str]) -> Any:
        """One GETBULK: pysnmp's (errorIndication, errorStatus, errorIndex, varBinds)."""
        if agent.version == "2c":
            return await self._bulk_v2c(agent, target, non_repeaters, repetitions, asked)
        if agent.version == "3" and _own(agent):
            return await self._bulk_v3(agent, target, non_repeaters, repetitions, asked)
        from pysnmp.hlapi.v3arch.asyncio import ContextData, bulk_cmd

        return await bulk_cmd(self.engine(agent), _auth(agent), target, ContextData(),
                              non_repeaters, repetitions, *(_asked(oid) for oid in asked),
                              lookupMib=False)


    async def _bulk_v2c(self, agent: SnmpAgent, target: Any, non_repeaters: int,
                        repetitions: int, asked: Sequence[str]) -> Any:
        """A v2c GETBULK written and read by :mod:`hadeck.snmp.ber`, sent, resent and
        timed out by pysnmp's dispatcher; its answer's values are ``ber.Value``."""
        request_id = self._new_id()
        message = ber.get_bulk(agent.community.encode(), request_id, non_repeaters,
                               repetitions, _encoded(tuple(asked)))
        indication, answer = await self._exchange(target, message, request_id)
        if indication is not None:
            return indication, 0, 0, ()
        return None, answer.error_status, answer.error_index, answer.values

    async def _bulk_v3(self, agent: SnmpAgent, target: Any, non_repeaters: int,
                       repetitions: int, asked: Sequence[str]) -> Any:
        """An SNMPv3 GETBULK written and read by :mod:`hadeck.snmp.usm` (sent, resent and
        timed out by the same dispatcher as v2c), after the engine's discovery when this
        session does not know it yet; a report that the engine changed (a new engine
        ID, a reboot: notInTimeWindow) is taken and the request sent again."""
        from functools import partial

        place = (agent.address, agent.port)
        for _ in range(4):  # discovery, a new engine ID, a new boot, the request
            engine = self.usm_engines.get(place)
            if engine is None:
                msg_id = self._new_id()
                indication, answer = await self._exchange(
                    target, usm.discovery(msg_id), msg_id, partial(usm.decode, msg_id=msg_id,
                                                                   keys=None))
                if indication is not None:
                    return indication, 0, 0, ()
                if answer.report != usm.UNKNOWN_ENGINE_ID or not answer.engine_id:
                    return (f"the agent answered its engine's discovery with "
                            f"{usm.report_name(answer.report or 'a response')}"), 0, 0, ()
                self.usm_engines[place] = usm.Engine(answer.engine_id, answer.boots,
                                                     answer.time, time.monotonic())
                continue
            keys = self._keys(agent, engine.engine_id)
            msg_id = self._new_id()
            message = usm.request(msg_id, engine, agent.user.encode(), keys,
                                  ber.bulk_pdu(msg_id, non_repeaters, repetitions,
                                               _encoded(tuple(asked))))
            indication, answer = await self._exchange(
                target, message, msg_id, partial(usm.decode, msg_id=msg_id, keys=keys))
            if indication is not None:
                return indication, 0, 0, ()
            if answer.authentic:
                engine.heard_from(answer.boots, answer.time)
            if answer.report is None:
                found = answer.response
                return None, found.error_status, found.error_index, found.values
            if answer.report == usm.UNKNOWN_ENGINE_ID and answer.engine_id:
                # Another engine ID (a reinstalled agent): the report carries it.
                self.usm_engines[place] = usm.Engine(answer.engine_id, answer.boots,
                                                     answer.time, time.monotonic())
                continue
            if answer.report == usm.NOT_IN_TIME_WINDOW and answer.authentic:
                # The agent booted again (or its clock moved): its report, signed,
                # carries its boots and time (RFC 3414 3.2 step 7b, 4).
                engine.boots, engine.time = answer.boots, answer.time
                engine.heard = time.monotonic()
                continue
            return _reported(answer.report), 0, 0, ()
        return "the agent's engine could not be synchronised (it keeps changing)", 0, 0, ()

    def _keys(self, agent: SnmpAgent, engine_id: bytes) -> usm.Keys:
        """The agent's user's keys localised for its engine: computed once per password
        (~1 MiB hashed) and once per engine, then kept."""
        key = (agent.auth_protocol, agent.auth_password, agent.priv_protocol,
               agent.priv_password, engine_id)
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = usm.localize(
                self._pass_key(agent.auth_password, agent.auth_protocol),
                self._pass_key(agent.priv_password, agent.auth_protocol)
                if agent.priv_protocol else None,
                agent.auth_protocol, agent.priv_protocol, engine_id)
        return found

    def _pass_key(self, password: str, protocol: str) -> bytes:
        found = self.pass_keys.get((protocol, password))
        if found is None:
            found = self.pass_keys[(protocol, password)] = usm.pass_key(password, protocol)
        return found

    def _new_id(self) -> int:
        """A request (or SNMPv3 message) ID no request in flight has."""
        import random

        if self.dispatcher is None:
            self.dispatcher = _v2c_dispatcher()
        found = random.randrange(1, 2**31 - 1)
        while found in self.dispatcher.pending():
            found = random.randrange(1, 2**31 - 1)
        return found

    async def _exchange(self, target: Any, message: bytes, request_id: int,
                        decode: Any = None) -> tuple[Any, Any]:
        """Send ``message``; its answer (what ``decode`` reads of an SNMPv3 message whose
        msgID is ``request_id``; a v2c answer of that request ID when None) or pysnmp's
        error indication: (indication, answer)."""
        import asyncio

        from pysnmp.proto import errind

        if self.dispatcher is None:
            self.dispatcher = _v2c_dispatcher()
        future = asyncio.get_running_loop().create_future()

        def done(*args: Any) -> None:
            # (dispatcher, request id, error indication, answer, context); pysnmp's
            # close() calls it with one argument fewer, for a request it drops.
            if future.done() or future.get_loop().is_closed():
                return
            indication, answer = (args[2], args[3]) if len(args) == 5 else ("closed", None)
            if indication is not None or answer is None:
                future.set_result((indication or errind.requestTimedOut, None))
            else:
                future.set_result((None, answer))

        self.dispatcher.send(target, message, request_id, done, decode)
        return await future  # type: ignore[no-any-return]


def _v2c_dispatcher() -> Any:
    """pysnmp's v1/v2c dispatcher (its socket, resends and timeouts), sending messages
    already written and reading answers with :func:`hadeck.snmp.ber.decode_response`,
    or, an SNMPv3 answer, with what the request in flight with its msgID left
    (:func:`hadeck.snmp.usm.decode` with the agent's keys). A resend is the same bytes
    (an SNMPv3 message's clock is then a timeout older: far inside the 150 s window)."""
    import socket

    from pysnmp.hlapi.v1arch.asyncio import SnmpDispatcher

    class Dispatcher(SnmpDispatcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.sized: set[object] = set()  # the domains whose socket has its buffer

        # pysnmp 7.1's send_pdu without its encoding: the pending request's fields are
        # the ones its _timer_callback resends and times out by (tests/snmp run both).
        def send(self, target: Any, message: bytes, request_id: int, done: Any,
                 decode: Any = None) -> None:
            domain = target.TRANSPORT_DOMAIN
            if self._automaticDispatcher and domain not in self._configuredTransports:
                self.transport_dispatcher.register_transport(
                    domain, target.PROTO_TRANSPORT().open_client_mode(target.iface))
                self._configuredTransports.add(domain)
            self._pendingReqs[request_id] = {
                "outgoingMsg": message, "transportTarget": target, "cbFun": done,
                "cbCtx": None, "timestamp": time.time() + target.timeout, "retries": 0,
                "decode": decode}
            if domain not in self.sized:
                # The socket exists once asyncio has made the endpoint (after the first
                # send is queued): room for every answer of a poll.
                transport = getattr(self.transport_dispatcher.get_transport(domain),
                                    "transport", None)
                if transport is not None:
                    transport.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
                    self.sized.add(domain)
            self.transport_dispatcher.send_message(message, domain, target.transport_address)
            self.transport_dispatcher.job_started(id(self))

        def pending(self) -> dict[int, Any]:
            return self._pendingReqs  # type: ignore[no-any-return]

        def _recv_callback(self, snmpEngine: Any, transportDomain: Any,
                           transportAddress: Any, wholeMsg: bytes) -> bytes:
            # What is not an answer to a request in flight (a bad digest, a message that
            # does not decrypt, bytes that are no message) is dropped, as pysnmp drops
            # what it cannot read: the request waits on for its answer or its timeout.
            data = bytes(wholeMsg)
            try:
                msg_id = usm.message_id(data)
                if msg_id is None:
                    answer: Any = ber.decode_response(data)
                    key = answer.request_id
                    state = self._pendingReqs.get(key)
                    if state is None or state["decode"] is not None:
                        return b""
                else:
                    key = msg_id
                    state = self._pendingReqs.get(key)
                    if state is None or state["decode"] is None:
                        return b""
                    answer = state["decode"](data)
            except ber.BerError:
                return b""
            del self._pendingReqs[key]
            self.transport_dispatcher.job_finished(id(self))
            state["cbFun"](self, key, None, answer, state["cbCtx"])
            return b""

    return Dispatcher()


_ENCODED: dict[tuple[str, ...], bytes] = {}


def _encoded(asked: tuple[str, ...]) -> bytes:
    """A v2c request's (OID, NULL) pairs for ``asked``, encoded once (the first request
    of every poll asks the same; a walk's go on from rows seen before)."""
    found = _ENCODED.get(asked)
    if found is None:
        found = ber.varbinds(list(asked))
        with _LOCK:
            if len(_ENCODED) >= MAX_RESOLVED:
                _ENCODED.clear()
            _ENCODED[asked] = found
    return found


def _is_ip(address: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _engine_key(agent: SnmpAgent) -> tuple[object, ...]:
    # pysnmp keeps one key per user name in an engine: a user name with two different
    # passwords needs an engine of its own.
    return ("v3", agent.user, agent.auth_protocol, agent.auth_password,
            agent.priv_protocol, agent.priv_password)


_MIB_VIEW: list[Any] = []
_RESOLVED: dict[str, Any] = {}
_LOCK = threading.Lock()


def _mib_view() -> Any:
    with _LOCK:
        if not _MIB_VIEW:
            from pysnmp.smi import builder, view

            _MIB_VIEW.append(view.MibViewController(builder.MibBuilder()))
        return _MIB_VIEW[0]


def _asked(oid: str) -> Any:
    """The request's value for ``oid``, resolved once: pysnmp resolves every OID asked
    for against its MIB view (~0.4 ms of CPU each, the largest cost of a poll), and a
    resolved one is used as it is."""
    found = _RESOLVED.get(oid)
    if found is None:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType

        found = ObjectType(ObjectIdentity(oid)).resolve_with_mib(_mib_view())
        with _LOCK:
            if len(_RESOLVED) >= MAX_RESOLVED:
                _RESOLVED.clear()
            _RESOLVED[oid] = found
    return found


async def _poll_within_budget(agent: SnmpAgent, session: _Session) -> Answers:
    import asyncio

    read_at, start = time.time(), time.monotonic()
    lines: list[str] = []
    limit = budget(agent)
    try:
        async with asyncio.timeout(limit):  # not wait_for: no task more per agent
            error, kind = await _poll(agent, session, lines)
    except TimeoutError:
        error, kind = f"no complete answer within {limit:g} s", "timeout"
    except Exception as exc:  # pysnmp's own errors (a name that does not resolve …)
        error, kind = _say(exc, agent), "failed"
    if error is not None:
        for secret in agent.secrets():  # what pysnmp says is not ours to trust
            error = error.replace(secret, MASK)
    return Answers(agent=agent.name, address=agent.address, read_at=read_at,
                   duration=time.monotonic() - start, text="\n".join(lines),
                   error=error, error_kind=kind if error else None)


def _say(exc: object, agent: SnmpAgent | None = None) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if agent is not None and text.startswith("Bad IPv"):
        # pysnmp: "Bad IPv4/UDP transport address HOST@PORT: [Errno -2] Name or service
        # not known caused by <class 'socket.gaierror'>: …": the reason once is enough.
        reason = text.split("caused by")[0].rsplit("]", 1)[-1].strip() or "no address"
        return f"cannot resolve {agent.address}: {reason}"
    return text[:300]


async def _poll(agent: SnmpAgent, session: _Session, lines: list[str]
                ) -> tuple[str | None, str]:
    """Ask one agent; fill ``lines``; return the error and its kind (None when it answered)."""
    target = await session.target(agent)
    first = await _first(agent, session, target, lines)
    if isinstance(first, tuple) and first[1] == "timeout" and agent.version == "3" \
            and session.forget(agent, target):
        # Silence from an agent this engine knew: it may be answering with another
        # engine ID (reinstalled); ask again, discovering it. A dead agent costs this
        # once (it is then no longer known), not at every poll.
        first = await _first(agent, session, target, lines)
    if isinstance(first, tuple):
        return first
    current = {**first, **{c: c for c in (oids.HOST_COLUMNS if agent.role == "node"
                                           else ())}}
    problem = await _walk(agent, session, target, current, lines)
    if problem is None and agent.role == "node" \
            and not any(ln.startswith(f".{oids.DSK_PATH}.") for ln in lines):
        problem = await _walk(agent, session, target,
                              {c: c for c in oids.STORAGE_COLUMNS}, lines)
    if problem is not None:
        return f"while walking the tables: {problem[0]}", problem[1]
    rows = sum(ln.startswith(f".{oids.HR_PROCESSOR_FRW_ID}.") for ln in lines)
    session.rows[(agent.address, agent.port)] = rows
    return None, ""


def _before(oid: str) -> str:
    """The OID a GETNEXT asks for to be answered ``oid``: ``X`` for ``X.0`` (a scalar),
    ``X.(n-1)`` for ``X.n`` (a row of a table indexed by one number, as the UCD tables
    hadeck reads are): nothing can sit between the two."""
    parent, _, last = oid.rpartition(".")
    return parent if int(last) == 0 else f"{parent}.{int(last) - 1}"


def _first_asked() -> list[str]:
    """What the first GETBULK asks: the scalars (each as the OID before it), then the
    load columns."""
    if not _FIRST_ASKED:
        _FIRST_ASKED.extend([*(_before(oid) for oid in oids.SCALARS), *oids.LOAD_COLUMNS])
    return _FIRST_ASKED


_FIRST_ASKED: list[str] = []


async def _first(agent: SnmpAgent, session: _Session, target: Any,
                 lines: list[str]) -> dict[str, str] | tuple[str, str]:
    """The scalars and the first rows of the load columns, in one GETBULK.

    Returns the load columns not finished yet, each with the last row seen (what
    :func:`_walk` goes on from), or the error and its kind.
    """
    scalars, columns = oids.SCALARS, oids.LOAD_COLUMNS
    found = await session.bulk(agent, target, len(scalars), session.repetitions(agent),
                               _first_asked())
    problem = _problem(agent, found)
    if problem is not None:
        return problem
    table = list(found[3])
    for oid, (name, value) in zip(scalars, table, strict=False):
        # A GETNEXT past a scalar the agent lacks answers the next object: that is the
        # scalar missing, as a GET would have said.
        lines.append(_render(oid, value) if str(name) == oid else line(oid, "", None))
    lines.extend(line(oid, "", None) for oid in scalars[len(table):])
    current = {column: column for column in columns}
    # A column that did not leave its subtree goes on in the walk (fewer rows than asked
    # only means the agent cut its answer to fit a message).
    _take(current, columns, table[len(scalars):], lines)
    return current


def _take(current: dict[str, str], asked: Sequence[str], table: Sequence[Any],
          lines: list[str]) -> None:
    """Append the rows of a GETBULK's repeaters (``asked``, in order) to ``lines``;
    drop from ``current`` each column that is finished (left its subtree, ended, or
    stopped increasing: a loop)."""
    width = len(asked)
    for i, (name, value) in enumerate(table):
        column = asked[i % width]
        last = current.get(column)
        if last is None:
            continue
        oid = str(name)
        # (A column's first row is past the column itself: only later rows are compared.)
        if (not oid.startswith(column + ".") or _is_end(value)
                or (last != column and _key(oid) <= _key(last))):
            del current[column]
            continue
        lines.append(_render(oid, value))
        current[column] = oid


async def _walk(agent: SnmpAgent, session: _Session, target: Any,
                current: dict[str, str], lines: list[str]) -> tuple[str, str] | None:
    """Bulk-walk several table columns at once (``current``: each column → the last row
    seen, or the column itself to start), appending their rows to ``lines``.

    Each GETBULK asks for the rows after the last one seen of each column not yet
    finished. A column is finished when an answer leaves it (GETBULK goes on into the
    next column) or the MIB ends; not when fewer rows came than asked, which only means
    the agent cut its answer to fit a message.
    """
    for _ in range(MAX_ROUNDS):
        if not current:
            return None
        asked = list(current)
        found = await session.bulk(agent, target, 0, MAX_REPETITIONS,
                                   [current[c] for c in asked])
        problem = _problem(agent, found)
        if problem is not None:
            return problem
        table = found[3]
        if not table:
            return None
        _take(current, asked, table, lines)
    return f"more than {MAX_ROUNDS} GETBULK rounds: answers cut off", "failed"


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


def _auth(agent: SnmpAgent) -> Any:
    """An SNMPv3 agent's user, as pysnmp takes it (v2c goes without an engine)."""
    from pysnmp.hlapi.v3arch.asyncio import UsmUserData, auth

    auth_protocols = {
        "MD5": auth.usmHMACMD5AuthProtocol, "SHA": auth.usmHMACSHAAuthProtocol,
        "SHA224": auth.usmHMAC128SHA224AuthProtocol,
        "SHA256": auth.usmHMAC192SHA256AuthProtocol,
        "SHA384": auth.usmHMAC256SHA384AuthProtocol,
        "SHA512": auth.usmHMAC384SHA512AuthProtocol,
    }
    # pysnmp's usmAesCfb192/256Protocol are Cisco's key extension (net-snmp's AES192C);
    # net-snmp's AES192/AES256 are pysnmp's "Blumenthal" ones.
    priv_protocols = {
        "DES": auth.usmDESPrivProtocol, "AES": auth.usmAesCfb128Protocol,
        "AES192": auth.usmAesBlumenthalCfb192Protocol,
        "AES256": auth.usmAesBlumenthalCfb256Protocol,
        "AES192C": auth.usmAesCfb192Protocol, "AES256C": auth.usmAesCfb256Protocol,
    }
    if not agent.auth_password:
        return UsmUserData(agent.user)
    if not agent.priv_protocol:
        return UsmUserData(agent.user, agent.auth_password,
                           authProtocol=auth_protocols[agent.auth_protocol])
    return UsmUserData(agent.user, agent.auth_password, agent.priv_password,
                       authProtocol=auth_protocols[agent.auth_protocol],
                       privProtocol=priv_protocols[agent.priv_protocol])


def _problem(agent: SnmpAgent, found: Any) -> tuple[str, str] | None:
    """The operator's words for a failed request, and its kind; None when it succeeded."""
    from pysnmp.proto import errind

    indication, status, index, _ = found
    if indication:
        waited = agent.timeout * (agent.retries + 1)
        if isinstance(indication, errind.RequestTimedOut):
            # An agent answers a wrong community, or a request it cannot decrypt, with
            # silence: net-snmp 5.9 sends no report for either.
            also = ""
            if agent.version == "2c":
                also = ", or a wrong community (an agent answers that with silence)"
            elif agent.security == "authPriv" and _extended(agent):
                # Both extensions verified against net-snmp 5.9 (its AES256 and AES256C
                # users): the other one is answered with silence, as a wrong password.
                plain = agent.priv_protocol.rstrip("C")
                also = (f", or a wrong privacy password or AES key extension "
                        f"(priv_protocol {plain} is net-snmp's, {plain}C Cisco's; an agent "
                        f"answers either with silence)")
            elif agent.security == "authPriv":
                also = (", or a wrong privacy password (an agent answers that with "
                        "silence)")
            tries = "1 try" if agent.retries == 0 else f"{agent.retries + 1} tries"
            return (f"no answer from {agent.address}:{agent.port} in {waited:g} s "
                    f"({tries}): snmpd down or unreachable{also}",
                    "timeout")
        if isinstance(indication, (errind.WrongDigest, errind.AuthenticationFailure)):
            return (f"authentication failed for SNMPv3 user {agent.user!r}: wrong "
                    f"password or auth protocol ({agent.auth_protocol})", "auth")
        if isinstance(indication, errind.UnknownUserName):
            return f"the agent has no SNMPv3 user {agent.user!r}", "auth"
        if isinstance(indication, (errind.DecryptionError, errind.UnsupportedSecurityLevel)):
            return (f"privacy failed for SNMPv3 user {agent.user!r}: wrong privacy password, "
                    f"protocol ({agent.priv_protocol or 'none'}) or security level", "auth")
        return f"SNMP error: {_say(indication)}", "failed"
    if status:
        said = status.prettyPrint() if hasattr(status, "prettyPrint") else \
            _ERROR_STATUS.get(int(status), str(status))
        return f"the agent answered {said} (at value {index})", "failed"
    return None


def _extended(agent: SnmpAgent) -> bool:
    """Whether the agent's AES key is longer than its authentication hash, so extended:
    then AES192/AES256 and AES192C/AES256C differ (with SHA-256 and longer they don't)."""
    import hashlib

    bits = {"AES192": 192, "AES256": 256}.get(agent.priv_protocol.rstrip("C"))
    name = usm.AUTH.get(agent.auth_protocol, ("", 0))[0]
    return bits is not None and bool(name) and hashlib.new(name).digest_size * 8 < bits


def _reported(oid: str) -> Any:
    """pysnmp's error indication for a report's usmStats OID (what :func:`_problem`
    says for it), or the report said by its counter's name."""
    from pysnmp.proto import errind

    found = {usm.NOT_IN_TIME_WINDOW: errind.notInTimeWindow,
             usm.UNSUPPORTED_SEC_LEVEL: errind.unsupportedSecurityLevel,
             usm.UNKNOWN_USER_NAME: errind.unknownUserName,
             usm.WRONG_DIGEST: errind.wrongDigest,
             usm.DECRYPTION_ERROR: errind.decryptionError}.get(oid)
    return found if found is not None else f"the agent reported {usm.report_name(oid)}"


def _own(agent: SnmpAgent) -> bool:
    """Whether hadeck writes and reads this agent's messages itself (v2c, and SNMPv3
    but for noAuthNoPriv: :func:`hadeck.snmp.usm.handles`)."""
    return agent.version == "2c" or (OWN_V3 and usm.handles(agent))


_ERROR_STATUS = dict(enumerate((
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
    "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
    "inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
    "authorizationError", "notWritable", "inconsistentName")))
"""RFC 3416 error-status names (what pysnmp prints for a v3 answer's)."""


def _is_end(value: Any) -> bool:
    if isinstance(value, ber.Value):
        return not value.kind
    from pysnmp.proto.rfc1902 import Null
    from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

    return isinstance(value, (EndOfMibView, NoSuchInstance, NoSuchObject, Null))


_NUMBERS = frozenset(("INTEGER", "Counter32", "Gauge32", "Counter64"))


def _render(oid: str, value: Any) -> str:
    """One value (``ber.Value`` or pysnmp's) as an answer line
    (:func:`hadeck.snmp.answers.line`)."""
    if isinstance(value, ber.Value):
        kind, number = value
        if kind in _NUMBERS and isinstance(number, int):
            return f".{oid} = {kind}: {number}"  # most values: what line() would write
        return line(oid, "STRING" if kind == "Opaque" else kind, number)
    if _is_end(value):
        return line(oid, "", None)
    kind = type(value).__name__
    if kind in ("OctetString", "Opaque", "Bits"):
        return line(oid, "STRING", bytes(value.asOctets()))
    if kind == "TimeTicks":
        return line(oid, "Timeticks", int(value))
    if kind == "ObjectIdentifier":
        return line(oid, "OID", str(value))
    if kind == "IpAddress":
        return line(oid, "IpAddress", value.prettyPrint())
    if kind in ("Integer", "Integer32"):
        return line(oid, "INTEGER", int(value))
    return line(oid, kind, int(value))  # Counter32, Counter64, Gauge32, Unsigned32
