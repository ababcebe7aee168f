"""keepalived source: data dump, JSON dump, notify FIFO, and the reader's preferences."""

from __future__ import annotations

import json

import pytest

from hadeck.model import VrrpInstance
from hadeck.runner import CommandResult
from hadeck.sources import keepalived
from hadeck.sources.base import ParseError
from tests.conftest import sample
from tests.fakes import ScriptedRunner

DATA = sample("keepalived", "data-dump-master-and-backup.txt")
JSON = sample("keepalived", "json-dump.txt")
FIFO = sample("keepalived", "notify-fifo-lines.txt")


def by_name(found: tuple[VrrpInstance, ...]) -> dict[str, VrrpInstance]:
    return {inst.name: inst for inst in found}


# --------------------------------------------------------------------------- data dump


def test_data_dump_master_and_backup() -> None:
    found = keepalived.parse_data_dump(DATA)
    assert [i.name for i in found] == ["VI_WEB", "VI_DB"]
    web, db = found
    assert web == VrrpInstance(
        name="VI_WEB", state="MASTER", priority=150, effective_priority=150,
        virtual_router_id=51, interface="v0", master_router=None,
        virtual_ips=("10.99.0.100/24",),
    )
    assert (db.state, db.master_router) == ("BACKUP", "10.99.0.2")
    assert (db.priority, db.effective_priority, db.virtual_router_id) == (90, 90, 52)
    assert db.virtual_ips == ("10.99.0.101/24",)


def test_data_dump_ignores_interface_state_lines() -> None:
    # "State = UP, RUNNING" belongs to the Interfaces section, never to an instance.
    assert "State = UP, RUNNING" in DATA
    assert all(i.state in ("MASTER", "BACKUP") for i in keepalived.parse_data_dump(DATA))
    topology_start = DATA.index("------< VRRP Topology >------")
    sockpool_start = DATA.index("------< VRRP Sockpool >------")
    without_topology = DATA[:topology_start] + DATA[sockpool_start:]
    assert keepalived.parse_data_dump(without_topology) == ()


def test_data_dump_keeps_unknown_state_and_excluded_vips() -> None:
    text = (
        "------< VRRP Topology >------\n"
        " VRRP Instance = VI_X\n"
        "   State = MASTER_RX_LOWER_PRI\n"
        "   Interface = eth1\n"
        "   Virtual IP (2):\n"
        "     192.0.2.1/32 dev eth1 scope global\n"
        "     192.0.2.2/32 dev eth1 scope global\n"
        "   Virtual IP Excluded (1):\n"
        "     2001:db8::1/64 dev eth1 scope global\n"
        "   fd_in 13, fd_out 14\n"
    )
    (inst,) = keepalived.parse_data_dump(text)
    assert inst.state == "MASTER_RX_LOWER_PRI"
    assert inst.virtual_ips == ("192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/64")
    assert inst.priority is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage\n",
        sample("keepalived", "stats-dump.txt"),
        JSON,
        FIFO,
        DATA[: DATA.index("   State = BACKUP")],  # cut inside VI_DB, before its State
    ],
    ids=["empty", "garbage", "stats-dump", "json", "fifo", "truncated"],
)
def test_data_dump_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        keepalived.parse_data_dump(text)


# --------------------------------------------------------------------------- JSON dump


def test_json_dump_numeric_states() -> None:
    found = keepalived.parse_json_dump(JSON)
    assert [(i.name, i.state) for i in found] == [("VI_WEB", "MASTER"), ("VI_DB", "BACKUP")]
    web, db = found
    assert (web.priority, web.effective_priority, web.virtual_router_id) == (150, 150, 51)
    assert (db.priority, db.virtual_router_id, db.interface) == (90, 52, "v0")
    assert web.virtual_ips == ("10.99.0.100/24",)
    assert db.master_router is None  # the JSON dump has no master address


def test_json_and_data_dump_agree() -> None:
    from_json = keepalived.parse_json_dump(JSON)
    from_data = keepalived.parse_data_dump(DATA)
    strip = [(i.name, i.state, i.priority, i.effective_priority, i.virtual_router_id,
              i.interface, i.virtual_ips) for i in from_json]
    assert strip == [(i.name, i.state, i.priority, i.effective_priority, i.virtual_router_id,
                      i.interface, i.virtual_ips) for i in from_data]


@pytest.mark.parametrize(
    ("state", "expected"),
    [(0, "INIT"), (1, "BACKUP"), (2, "MASTER"), (3, "FAULT"), (97, "DELETED"), (98, "STOP"),
     (7, "7"), ("MASTER", "MASTER"), ("BACKUP", "BACKUP"), ("{UNKNOWN}", "{UNKNOWN}")],
)
def test_json_dump_state_values(state: int | str, expected: str) -> None:
    entries = json.loads(JSON)
    entries[0]["data"]["state"] = state
    assert keepalived.parse_json_dump(json.dumps(entries))[0].state == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        JSON[: len(JSON) // 2],
        '{"data": {"iname": "VI_1", "state": 2}}',
        '[{"stats": {}}]',
        '[{"data": {"iname": "VI_1"}}]',
        '[{"data": {"iname": "VI_1", "state": true}}]',
        "[1, 2]",
        DATA,
    ],
    ids=["empty", "text", "truncated", "not-a-list", "no-data", "no-state", "bool-state",
         "numbers", "data-dump"],
)
def test_json_dump_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        keepalived.parse_json_dump(text)


def test_every_cut_parses_or_raises_parse_error() -> None:
    for text in (DATA, JSON, FIFO):
        for end in range(0, len(text), 7):
            for parser in (keepalived.parse_data_dump, keepalived.parse_json_dump,
                           keepalived.parse_notify_fifo):
                try:
                    parser(text[:end])
                except ParseError:
                    pass


# --------------------------------------------------------------------------- notify FIFO


def test_notify_fifo_latest_state_per_instance() -> None:
    assert "\0" in FIFO  # the sample keeps the NUL written after VS/RS lines
    state = keepalived.parse_notify_fifo(FIFO)
    assert [(i.name, i.state, i.priority) for i in state.instances] == [
        ("VI_WEB", "STOP", 150),
        ("VI_DB", "FAULT", 90),
    ]
    assert [(g.name, g.state) for g in state.groups] == [("VG_LVS", "MASTER")]
    assert state.checks == (
        ("VS", "[192.168.10.100]:tcp:80", True),
        ("RS", "[192.168.10.11]:tcp:80 [192.168.10.100]:tcp:80", True),
        ("RS", "[192.168.10.12]:tcp:80 [192.168.10.100]:tcp:80", False),
    )


def test_notify_fifo_accepts_lines_and_old_format() -> None:
    state = keepalived.parse_notify_fifo(
        ['INSTANCE "VI 1" BACKUP\n', "VS FWM 3 DOWN\0", "", "VS FWM 3 UP\0",
         'INSTANCE "VI 1" MASTER 101']
    )
    assert [(i.name, i.state, i.priority) for i in state.instances] == [("VI 1", "MASTER", 101)]
    assert state.checks == (("VS", "FWM 3", True),)


@pytest.mark.parametrize(
    "line",
    ["hello", "INSTANCE VI_1 MASTER 100", "VS [192.0.2.1]:tcp:80 MAYBE", "RS UP"],
)
def test_notify_fifo_rejects_garbage(line: str) -> None:
    with pytest.raises(ParseError):
        keepalived.parse_notify_fifo([line])


# --------------------------------------------------------------------------- reader


def test_commands() -> None:
    assert keepalived.JSON_DUMP.path == "/tmp/keepalived.json"
    assert keepalived.DATA_DUMP.path == "/tmp/keepalived.data"
    assert {c.name for c in keepalived.COMMANDS} == {
        "keepalived/keepalived.json", "keepalived/keepalived.data",
    }
    assert all(not c.argv for c in keepalived.COMMANDS)


def test_read_prefers_json_and_adds_master_router() -> None:
    runner = ScriptedRunner({"/tmp/keepalived.json": JSON, "/tmp/keepalived.data": DATA},
                            node="lvs-a")
    reading = keepalived.read(runner)
    assert reading.status.ok
    assert reading.status.detail == "/tmp/keepalived.json"
    found = by_name(reading.value or ())
    assert found["VI_WEB"].state == "MASTER" and found["VI_WEB"].master_router is None
    assert found["VI_DB"].master_router == "10.99.0.2"
    assert {i.director for i in found.values()} == {"lvs-a"}


def test_read_does_not_mix_a_stale_data_dump() -> None:
    entries = json.loads(JSON)
    entries[1]["data"]["state"] = 2  # VI_DB became MASTER since the data dump
    runner = ScriptedRunner({"/tmp/keepalived.json": json.dumps(entries),
                             "/tmp/keepalived.data": DATA})
    found = by_name(keepalived.read(runner).value or ())
    assert (found["VI_DB"].state, found["VI_DB"].master_router) == ("MASTER", None)


def test_read_falls_back_to_data_dump() -> None:
    reading = keepalived.read(ScriptedRunner({"/tmp/keepalived.data": DATA}, node="lvs-b"))
    assert reading.status.ok
    assert reading.status.detail == "/tmp/keepalived.data"
    found = by_name(reading.value or ())
    assert found["VI_DB"].master_router == "10.99.0.2"
    assert found["VI_DB"].director == "lvs-b"


def test_read_unparseable_json_uses_data_dump_and_says_so() -> None:
    runner = ScriptedRunner({"/tmp/keepalived.json": JSON[:40], "/tmp/keepalived.data": DATA})
    reading = keepalived.read(runner)
    assert reading.status.ok
    assert len(reading.value or ()) == 2
    assert "cannot parse /tmp/keepalived.json" in (reading.status.detail or "")


def test_read_nothing_is_not_an_error() -> None:
    reading = keepalived.read(ScriptedRunner({}, node="web1"))
    assert reading.status.ok
    assert reading.value == ()
    assert reading.status.detail == "keepalived state not available"


def test_read_missing_over_ssh_is_not_an_error() -> None:
    gone = CommandResult(("cat", "/tmp/keepalived.json"), returncode=1,
                         stderr="cat: /tmp/keepalived.json: No such file or directory\n")
    reading = keepalived.read(ScriptedRunner({"/tmp/keepalived.json": gone}))
    assert reading.status.ok and reading.value == ()


def test_read_permission_denied_is_an_error() -> None:
    denied = CommandResult(("cat", "/tmp/keepalived.json"), returncode=None,
                           error="/tmp/keepalived.json: permission denied")
    reading = keepalived.read(ScriptedRunner({"/tmp/keepalived.json": denied}))
    assert reading.value is None
    assert reading.status.error is not None and "permission denied" in reading.status.error


def test_read_garbage_names_the_file() -> None:
    runner = ScriptedRunner({"/tmp/keepalived.data": "garbage\n"})
    reading = keepalived.read(runner)
    assert reading.value is None
    assert reading.status.error is not None
    assert reading.status.error.startswith("cannot parse /tmp/keepalived.data")


def test_read_never_signals_keepalived() -> None:
    runner = ScriptedRunner({"/tmp/keepalived.json": JSON})
    keepalived.read(runner)
    assert all(isinstance(call, str) for call in runner.calls)  # file reads only
