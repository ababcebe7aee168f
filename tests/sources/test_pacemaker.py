"""The Pacemaker source, on the real tools' output.

Two tiers: tests marked ``pacemaker`` build a scenario with the real crm_simulate /
crm_resource / crm_attribute (:class:`hadeck.lab.scenario.CibScenario`), run the real
crm_mon and cibadmin, and check the parsed state as an operator would; the others parse
stored captures (tests/fixtures/pacemaker/, see its README) and need no Pacemaker.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hadeck.lab.errors import LabError
from hadeck.lab.history import op_digest
from hadeck.lab.scenario import CibScenario
from hadeck.lab.seed import Layout, seed_cib
from hadeck.model import PacemakerState, Resource
from hadeck.runner import CommandResult, LocalRunner
from hadeck.sources import pacemaker
from hadeck.sources.base import ParseError
from hadeck.sources.pacemaker import (
    CIB_CONFIGURATION,
    COMMANDS,
    CRM_MON,
    CRM_MON_AS_XML,
    CrmMonError,
    crm_mon_timeout,
    parse_cib_configuration,
    parse_crm_mon,
    split_op_key,
)
from tests.conftest import FIXTURES
from tests.fakes import ScriptedRunner

PCMK = FIXTURES / "pacemaker"
HAVE_TOOLS = all(shutil.which(tool) for tool in ("crm_mon", "crm_simulate", "cibadmin"))
real_tools = [
    pytest.mark.pacemaker,
    pytest.mark.skipif(not HAVE_TOOLS, reason="pacemaker-cli-utils not installed"),
]


def fixture(path: str) -> str:
    return (PCMK / path).read_text()


# ---------------------------------------------------------------------- helpers


def instances(state: PacemakerState, clone_id: str) -> dict[str, str]:
    """Node → role of a clone's running instances."""
    clone = state.find(clone_id)
    assert clone is not None
    return {node: child.role or "" for child in clone.children for node in child.nodes}


def primitive(state: PacemakerState, rsc_id: str) -> Resource:
    rsc = state.find(rsc_id)
    assert rsc is not None, rsc_id
    return rsc


def assert_healthy_seed(state: PacemakerState) -> None:
    assert [n.name for n in state.nodes] == ["jupiter1", "jupiter2", "sun"]
    assert all(n.state == "online" for n in state.nodes)
    assert state.cluster.dc == "sun" and state.cluster.have_quorum is True
    assert primitive(state, "vm1").running_on == ("jupiter1",)
    assert primitive(state, "vm2").running_on == ("jupiter2",)
    assert instances(state, "ms_drbd_vm1") == {"jupiter1": "Promoted", "jupiter2": "Unpromoted"}
    assert instances(state, "ms_drbd_vm2") == {"jupiter2": "Promoted", "jupiter1": "Unpromoted"}
    assert primitive(state, "g_services").running_on == ("jupiter1",)
    assert primitive(state, "cl_ping").running_on == ("jupiter1", "jupiter2", "sun")


# ---------------------------------------------------------------------- scenarios


@pytest.fixture(scope="session")
def seed_scenario(tmp_path_factory: pytest.TempPathFactory) -> CibScenario:
    if not HAVE_TOOLS:
        pytest.skip("pacemaker-cli-utils not installed")
    return CibScenario.seed(tmp_path_factory.mktemp("pcmk") / "seed")


@pytest.fixture
def scenario(seed_scenario: CibScenario, tmp_path: Path) -> CibScenario:
    """A private copy of the converged seed: each test changes its own cluster."""
    return seed_scenario.copy(tmp_path / "cib")


def observe(scenario: CibScenario) -> PacemakerState:
    reading = pacemaker.read(scenario.runner)
    assert reading.status.error is None, reading.status.error
    assert reading.value is not None
    return reading.value


class TestRealTools:
    pytestmark = real_tools

    def test_seed_is_fast_and_converged(self, seed_scenario: CibScenario) -> None:
        assert sum(t.seconds for t in seed_scenario.timings) < 5
        assert seed_scenario.converge() == 1  # nothing left to do

    def test_all_up(self, scenario: CibScenario) -> None:
        state = observe(scenario)
        assert_healthy_seed(state)
        info = state.cluster
        assert info.crm_mon_format == "pacemaker-result 2.25"
        assert (info.stack, info.stonith_enabled, info.no_quorum_policy) == (
            "corosync", False, "stop")
        assert info.pacemaker_version and info.pacemaker_version.startswith("2.1.5")
        assert (info.nodes_configured, info.resources_configured) == (3, 12)
        assert not info.maintenance_mode and info.last_update
        sun = state.node("sun")
        assert sun is not None and sun.is_dc and sun.health == "green"
        pingd = state.node("jupiter1").attribute("pingd")  # type: ignore[union-attr]
        assert pingd is not None and (pingd.value, pingd.expected) == ("100", "100")
        assert state.failed_actions == () and state.fail_counts == ()
        assert {b.resource for b in state.bans} == {
            "vm1", "vm2", "ms_drbd_vm1", "ms_drbd_vm2", "g_services"}
        assert all(b.node == "sun" and b.weight == -1_000_000 for b in state.bans)

    def test_configuration_joined(self, scenario: CibScenario) -> None:
        state = observe(scenario)
        prims = {p.id: p for p in state.primitives}
        assert prims["vm1"].params["config"] == "/etc/libvirt/qemu/vm1.xml"
        assert prims["vm1"].meta == {"allow-migrate": "true"}
        assert prims["p_drbd_vm2"].params["drbd_resource"] == "r2"
        assert prims["p_drbd_vm2"].agent == "ocf:linbit:drbd"
        assert prims["p_drbd_vm2"].parent == "ms_drbd_vm2"
        assert prims["ip_service"].parent == "g_services"
        colo = {c.resource: c for c in state.colocations}
        assert (colo["vm1"].with_resource, colo["vm1"].with_role, colo["vm1"].score) == (
            "ms_drbd_vm1", "Promoted", "INFINITY")
        ping_rules = [loc for loc in state.locations if loc.id == "loc_vm1_connected"]
        assert ping_rules[0].has_rules and ping_rules[0].node is None
        assert not any(loc.from_cli for loc in state.locations)

    def test_node_failed(self, scenario: CibScenario) -> None:
        scenario.fail_node("jupiter1")
        state = observe(scenario)
        j1 = state.node("jupiter1")
        assert j1 is not None and j1.state == "offline" and j1.attributes == ()
        assert primitive(state, "vm1").running_on == ("jupiter2",)
        assert primitive(state, "g_services").running_on == ("jupiter2",)
        assert instances(state, "ms_drbd_vm1") == {"jupiter2": "Promoted"}
        assert state.cluster.have_quorum is True

    def test_dc_failed_elects_another(self, scenario: CibScenario) -> None:
        scenario.fail_node("sun")
        state = observe(scenario)
        assert state.cluster.dc in ("jupiter1", "jupiter2")
        assert primitive(state, "vm1").running_on == ("jupiter1",)

    def test_node_recovers_and_guests_stay(self, scenario: CibScenario) -> None:
        scenario.fail_node("jupiter1")
        scenario.recover_node("jupiter1")
        state = observe(scenario)
        assert all(n.state == "online" for n in state.nodes)
        # Stickiness 100 beats the location preference of 50: vm1 stays put.
        assert primitive(state, "vm1").running_on == ("jupiter2",)
        assert instances(state, "ms_drbd_vm1") == {"jupiter2": "Promoted",
                                                   "jupiter1": "Unpromoted"}

    def test_standby(self, scenario: CibScenario) -> None:
        scenario.standby("jupiter2")
        state = observe(scenario)
        assert state.node("jupiter2").state == "standby"  # type: ignore[union-attr]
        assert primitive(state, "vm2").running_on == ("jupiter1",)
        assert "jupiter2" not in primitive(state, "ms_drbd_vm2").running_on
        scenario.standby("jupiter2", False)
        assert observe(scenario).node("jupiter2").state == "online"  # type: ignore[union-attr]

    def test_node_maintenance(self, scenario: CibScenario) -> None:
        scenario.node_maintenance("jupiter1")
        state = observe(scenario)
        assert state.node("jupiter1").state == "maintenance"  # type: ignore[union-attr]
        vm1 = primitive(state, "vm1")
        assert vm1.running_on == ("jupiter1",) and not vm1.managed
        assert primitive(state, "vm2").managed

    def test_cluster_maintenance(self, scenario: CibScenario) -> None:
        scenario.cluster_maintenance(True)
        state = observe(scenario)
        assert state.cluster.maintenance_mode
        assert not any(p.managed for r in state.resources for p in r.primitives())
        scenario.cluster_maintenance(False)
        assert not observe(scenario).cluster.maintenance_mode

    def test_failed_monitor(self, scenario: CibScenario) -> None:
        scenario.fail_op("vm2", "jupiter2", interval_ms=30000)
        state = observe(scenario)
        (failure,) = state.failed_actions
        assert (failure.resource, failure.node, failure.task, failure.interval_ms) == (
            "vm2", "jupiter2", "monitor", 30000)
        assert (failure.exit_code, failure.exit_status) == (7, "not running")
        assert failure.exit_reason == "Simulated action result"
        (count,) = state.fail_counts
        assert (count.resource, count.node, count.count) == ("vm2", "jupiter2", 1)
        vm2 = primitive(state, "vm2")
        assert vm2.running_on == ("jupiter2",) and not vm2.failed  # recovered in place

    def test_blocked_stop(self, scenario: CibScenario) -> None:
        scenario.fail_op("vm1", "jupiter1", op="stop")
        state = observe(scenario)
        vm1 = primitive(state, "vm1")
        assert (vm1.blocked, vm1.failed, vm1.managed) == (True, True, False)
        assert vm1.running_on == ("jupiter1",)
        assert state.cluster.resources_blocked == 1
        (count,) = state.fail_counts
        assert (count.resource, count.count) == ("vm1", 1_000_000)
        assert [f.op_key for f in state.failed_actions] == ["vm1_stop_0"]

    def test_cleanup_after_blocked_stop(self, scenario: CibScenario) -> None:
        scenario.fail_op("vm1", "jupiter1", op="stop")
        scenario.cleanup("vm1")
        state = observe(scenario)
        assert state.failed_actions == () and state.fail_counts == ()
        vm1 = primitive(state, "vm1")
        assert vm1.running_on and vm1.managed and not vm1.blocked

    def test_move_with_lifetime(self, scenario: CibScenario) -> None:
        scenario.move("vm1", "jupiter2", lifetime="PT1H")
        state = observe(scenario)
        assert primitive(state, "vm1").running_on == ("jupiter2",)
        assert instances(state, "ms_drbd_vm1")["jupiter2"] == "Promoted"
        (prefer,) = [loc for loc in state.locations if loc.from_cli]
        assert (prefer.id, prefer.resource, prefer.node, prefer.score) == (
            "cli-prefer-vm1", "vm1", "jupiter2", "INFINITY")
        assert prefer.has_rules and prefer.lifetime and not prefer.is_ban
        assert not any(b.id.startswith("cli-") for b in state.bans)  # positive: never a ban
        scenario.clear("vm1")
        assert not any(loc.from_cli for loc in observe(scenario).locations)

    def test_ban(self, scenario: CibScenario) -> None:
        scenario.ban("vm2", "jupiter2")
        state = observe(scenario)
        assert primitive(state, "vm2").running_on == ("jupiter1",)
        (ban,) = [b for b in state.bans if b.id.startswith("cli-")]
        assert (ban.id, ban.resource, ban.node, ban.weight, ban.promoted_only) == (
            "cli-ban-vm2-on-jupiter2", "vm2", "jupiter2", -1_000_000, False)
        (loc,) = [loc for loc in state.locations if loc.from_cli]
        assert loc.is_ban and loc.node == "jupiter2" and loc.score == "-INFINITY"

    def test_no_quorum(self, scenario: CibScenario) -> None:
        scenario.fail_node("jupiter2", "sun", have_quorum=False)
        state = observe(scenario)
        assert state.cluster.have_quorum is False
        assert state.cluster.dc == "jupiter1"
        assert all(not r.running_on for r in state.resources)  # no-quorum-policy=stop

    def test_pingd_lost(self, scenario: CibScenario) -> None:
        scenario.set_node_attr("jupiter1", "pingd", "0")
        state = observe(scenario)
        pingd = state.node("jupiter1").attribute("pingd")  # type: ignore[union-attr]
        assert pingd is not None and (pingd.value, pingd.expected) == ("0", "100")
        assert primitive(state, "vm1").running_on == ("jupiter2",)
        assert primitive(state, "g_services").running_on == ("jupiter2",)
        assert primitive(state, "cl_ping").running_on == ("jupiter1", "jupiter2", "sun")

    def test_promotable_roles_and_target_role(self, scenario: CibScenario) -> None:
        state = observe(scenario)
        clone = primitive(state, "ms_drbd_vm1")
        assert clone.promotable and clone.kind == "clone"
        assert [c.role for c in clone.children] == ["Promoted", "Unpromoted", "Stopped"]
        scenario.set_target_role("ms_drbd_vm1", "Unpromoted")
        state = observe(scenario)
        clone = primitive(state, "ms_drbd_vm1")
        assert clone.target_role == "Unpromoted"
        assert set(instances(state, "ms_drbd_vm1").values()) == {"Unpromoted"}
        assert primitive(state, "vm1").running_on == ()

    def test_old_as_xml_matches(self, scenario: CibScenario) -> None:
        new = parse_crm_mon(scenario.crm_mon_xml())
        old = parse_crm_mon(scenario.crm_mon_as_xml())
        assert old.cluster.crm_mon_format == "crm_mon 2.1.5"
        assert old.nodes == new.nodes
        assert old.resources == new.resources
        assert old.bans == new.bans

    def test_fallback_to_as_xml(self, scenario: CibScenario) -> None:
        usage = CommandResult(CRM_MON.argv, "", "crm_mon: unrecognized option '--output-as=xml'"
                              "\nusage: crm_mon mode [options]\n", 64)
        runner = ScriptedRunner({
            CRM_MON.argv: usage,
            CRM_MON_AS_XML.argv: scenario.crm_mon_as_xml(),
            CIB_CONFIGURATION.argv: scenario.cib_configuration_xml(),
        })
        reading = pacemaker.read(runner)
        assert reading.status.error is None and reading.value is not None
        assert reading.status.detail == "crm_mon --as-xml"
        assert_healthy_seed(reading.value)

    def test_not_connected(self) -> None:
        # No CIB_file and no cluster on this machine: crm_mon's real exit 102.
        reading = pacemaker.read(LocalRunner())
        assert reading.value is None
        assert reading.status.error is not None
        assert reading.status.error.startswith(
            "crm_mon: not connected to the cluster (is Pacemaker running here?)")

    def test_missing_cib_file(self, tmp_path: Path) -> None:
        reading = pacemaker.read(LocalRunner(env={"CIB_file": str(tmp_path / "none.xml")}))
        assert reading.value is None
        assert reading.status.error == "crm_mon: Could not connect to the CIB: No such device " \
            "or address"

    def test_lab_error_is_clear(self, scenario: CibScenario) -> None:
        with pytest.raises(LabError, match="crm_resource"):
            scenario.move("no_such_rsc", "jupiter2")
        with pytest.raises(LabError, match="no recurring monitor"):
            scenario.fail_op("vm1", "jupiter2")

    def test_scales_to_more_nodes(self, tmp_path: Path) -> None:
        lab = CibScenario.seed(tmp_path / "big", guest_nodes=("j1", "j2", "j3", "j4"),
                               guests=8, ping_host_count=2)
        state = parse_crm_mon(lab.crm_mon_xml())
        for index in range(1, 9):
            vm = primitive(state, f"vm{index}")
            (node,) = vm.running_on
            assert instances(state, f"ms_drbd_vm{index}")[node] == "Promoted"
            assert len(instances(state, f"ms_drbd_vm{index}")) == 2
        assert {primitive(state, f"vm{i}").running_on[0] for i in range(1, 5)} == {
            "j1", "j2", "j3", "j4"}
        pingd = state.node("j1").attribute("pingd")  # type: ignore[union-attr]
        assert pingd is not None and pingd.value == "200"


# ---------------------------------------------------------------------- big-lab fast paths


def status_records(scenario: CibScenario) -> list[tuple[str, ...]]:
    """The status section, in document order, without the wall-clock ``last-rc-change``."""
    root = ET.parse(scenario.cib).getroot()
    status = root.find("status")
    assert status is not None
    return [("cib", f"dc-uuid={root.get('dc-uuid')}", f"have-quorum={root.get('have-quorum')}")] + [
        (element.tag, *(f"{k}={v}" for k, v in element.attrib.items()
                        if k != "last-rc-change"))
        for element in status.iter()
    ]


def crm_mon_untimed(scenario: CibScenario) -> str:
    """What crm_mon prints, with its wall-clock times blanked."""
    return re.sub(r'(last-rc-change|last_update time|last-failure)="[^"]*"', r'\1=""',
                  scenario.crm_mon_xml())


def test_op_digest_is_pacemakers() -> None:
    # Recorded by crm_simulate 2.1.5 in the converged seed for p_drbd_vm1 (drbd_resource=r1).
    assert op_digest({"drbd_resource": "r1"}) == "58850437bf287086d1b41caade76bbf1"
    assert op_digest({"drbd_resource": "r1"}, 29000) == "bde7f6c25b7422011c0f88e09938be0e"
    assert op_digest({}) == "f2317cad3d54cec5d7d7aa7d0bf35cf8"


class TestFastPaths:
    """The big-lab shortcuts give exactly what the real tools give on the small seeds."""

    pytestmark = real_tools

    def test_fast_seed_is_what_the_scheduler_records(
        self, seed_scenario: CibScenario, tmp_path: Path
    ) -> None:
        fast = CibScenario.seed(tmp_path / "fast", fast=True)
        assert [t.label for t in fast.timings] == ["converge"]  # confirmed at once
        assert status_records(fast) == status_records(seed_scenario)
        assert crm_mon_untimed(fast) == crm_mon_untimed(seed_scenario)

    def test_fast_seed_of_more_nodes(self, tmp_path: Path) -> None:
        shape = {"guest_nodes": ("j1", "j2", "j3", "j4"), "guests": 8, "ping_host_count": 2}
        slow = CibScenario.seed(tmp_path / "slow", fast=False, **shape)  # type: ignore[arg-type]
        fast = CibScenario.seed(tmp_path / "fast", fast=True, **shape)  # type: ignore[arg-type]
        assert status_records(fast) == status_records(slow)

    @pytest.mark.parametrize("change", [
        lambda s: s.fail_node("jupiter1"),
        lambda s: (s.fail_node("jupiter1"), s.recover_node("jupiter1")),
        lambda s: s.fail_node("jupiter2", "sun", have_quorum=False),
        lambda s: s.move("vm1", "jupiter2"),  # a live migration: migrate_to/migrate_from
        lambda s: s.standby("jupiter2"),
        lambda s: s.set_target_role("ms_drbd_vm1", "Unpromoted"),
        lambda s: (s.node_maintenance("jupiter1"), s.node_maintenance("jupiter1", False)),
        lambda s: s.set_node_attr("jupiter1", "pingd", "0"),
    ], ids=["fail", "fail-recover", "lose-quorum", "migrate", "standby", "demote",
            "maintenance", "pingd-lost"])
    def test_python_executor_records_what_crm_simulate_records(
        self, seed_scenario: CibScenario, tmp_path: Path,
        change: Callable[[CibScenario], object],
    ) -> None:
        real = seed_scenario.copy(tmp_path / "real")
        fast = seed_scenario.copy(tmp_path / "fast")
        fast.fast = True
        change(real)
        change(fast)
        assert "execute" in [t.label for t in fast.timings]
        assert "execute" not in [t.label for t in real.timings]
        assert status_records(fast) == status_records(real)
        assert crm_mon_untimed(fast) == crm_mon_untimed(real)


# ---------------------------------------------------------------------- captures


def test_capture_all_up() -> None:
    assert_healthy_seed(parse_crm_mon(fixture("2.1.5/all-up.xml")))


def test_capture_as_xml_same_as_new() -> None:
    new = parse_crm_mon(fixture("2.1.5/all-up.xml"))
    old = parse_crm_mon(fixture("2.1.5/all-up.as-xml.xml"))
    assert old.cluster.crm_mon_format == "crm_mon 2.1.5"
    assert (old.nodes, old.resources) == (new.nodes, new.resources)


def test_capture_node_failed() -> None:
    state = parse_crm_mon(fixture("2.1.5/node-failed.xml"))
    assert state.node("jupiter1").state == "offline"  # type: ignore[union-attr]
    assert primitive(state, "vm1").running_on == ("jupiter2",)
    assert instances(state, "ms_drbd_vm1") == {"jupiter2": "Promoted"}


def test_capture_failed_monitor() -> None:
    state = parse_crm_mon(fixture("2.1.5/failed-monitor.xml"))
    (failure,) = state.failed_actions
    assert (failure.op_key, failure.resource, failure.interval_ms, failure.exit_code) == (
        "vm2_monitor_30000", "vm2", 30000, 7)
    assert failure.last_rc_change.endswith("Z")
    assert [(c.resource, c.node, c.count) for c in state.fail_counts] == [
        ("vm2", "jupiter2", 1)]


def test_capture_blocked_stop() -> None:
    state = parse_crm_mon(fixture("2.1.5/blocked-stop.xml"))
    vm1 = primitive(state, "vm1")
    assert (vm1.blocked, vm1.failed, vm1.managed) == (True, True, False)
    assert state.fail_counts[0].count == 1_000_000


def test_capture_move_configuration() -> None:
    locations, colocations, primitives = parse_cib_configuration(
        fixture("2.1.5/moved-with-lifetime.cib-configuration.xml"))
    (prefer,) = [loc for loc in locations if loc.from_cli]
    assert (prefer.node, prefer.role, prefer.score) == ("jupiter2", "Started", "INFINITY")
    assert prefer.lifetime is not None and prefer.lifetime.endswith("Z")
    assert len(colocations) == 2 and len(primitives) == 8


def test_capture_not_connected() -> None:
    with pytest.raises(CrmMonError) as caught:
        parse_crm_mon(fixture("2.1.5/not-connected.xml"))
    assert caught.value.code == 102
    assert "Not connected" in str(caught.value)


def test_capture_cib_file_missing() -> None:
    with pytest.raises(CrmMonError, match="Could not connect to the CIB"):
        parse_crm_mon(fixture("2.1.5/cib-file-missing.xml"))


def test_pacemaker_1_1_master_slave() -> None:
    state = parse_crm_mon(fixture("1.1.24/master-slave.xml"))
    info = state.cluster
    assert info.crm_mon_format == "crm_mon 1.1.24"
    assert (info.dc, info.have_quorum, info.pacemaker_version) == (
        "jupiter2", True, "1.1.24-8f22be2ae")
    assert info.last_change_by == "root via crm_resource on jupiter1"
    assert state.node("sun").state == "offline"  # type: ignore[union-attr]
    assert state.node("jupiter1").health is None  # type: ignore[union-attr]
    assert instances(state, "ms_drbd_vm1") == {"jupiter2": "Promoted", "jupiter1": "Unpromoted"}
    assert primitive(state, "ms_drbd_vm2").target_role == "Unpromoted"
    assert primitive(state, "vm1").agent == "ocf:heartbeat:VirtualDomain"
    group = primitive(state, "g_services")
    assert group.kind == "group" and group.managed and len(group.children) == 3
    assert state.fail_counts[0].count == 1
    assert state.failed_actions[0].resource == "vm1"
    ban = state.bans[0]
    assert ban.promoted_only and not state.bans[1].promoted_only


def test_pacemaker_3_0_spellings() -> None:
    state = parse_crm_mon(fixture("3.0/renamed-attributes.xml"))
    info = state.cluster
    assert info.crm_mon_format == "pacemaker-result 2.42"
    assert (info.stonith_enabled, info.no_quorum_policy) == (True, "freeze")
    assert state.node("sun").type == "quorum-only"  # unknown words are kept
    assert state.node("jupiter2").health == "yellow"  # type: ignore[union-attr]
    assert primitive(state, "old_vm").orphaned and not primitive(state, "vm1").orphaned
    assert primitive(state, "vm1").locked_to == "jupiter1"
    assert primitive(state, "fence_ipmi").agent == "stonith:fence_ipmilan"
    bundle = primitive(state, "web-bundle")
    assert bundle.kind == "bundle" and [r.id for r in bundle.children] == [
        "web-bundle-0", "web-bundle-1"]
    assert bundle.children[0].kind == "replica" and bundle.running_on == ("jupiter2",)
    assert bundle.children[1].children[0].pending == "Migrating"
    (failure,) = state.failed_actions
    assert (failure.resource, failure.task, failure.interval_ms) == ("vm1", "migrate_to", 0)
    assert state.fail_counts[0].migration_threshold == 3
    assert state.bans[0].promoted_only


# ---------------------------------------------------------------------- parser edges


@pytest.mark.parametrize(("key", "task", "expected"), [
    ("vm1_monitor_30000", None, ("vm1", "monitor", 30000)),
    ("vm1_monitor_30000", "monitor", ("vm1", "monitor", 30000)),
    ("p_drbd_vm1_promote_0", None, ("p_drbd_vm1", "promote", 0)),
    ("my_vm_migrate_from_0", None, ("my_vm", "migrate_from", 0)),
    ("db:0_stop_0", "stop", ("db:0", "stop", 0)),
    ("strange-key", None, ("strange-key", "", 0)),
])
def test_split_op_key(key: str, task: str | None, expected: tuple[str, str, int]) -> None:
    assert split_op_key(key, task) == expected


BAD_INPUTS = {
    "empty": "",
    "garbage": "Segmentation fault (core dumped)\n",
    "truncated": fixture("2.1.5/all-up.xml")[:1500],
    "other-tool": "<nodes resource=\"vm1\"><node>jupiter2</node></nodes>",
    "empty-as-xml": '<crm_mon version="2.1.5"/>',
    "text-mode": "Cluster Summary:\n  * Stack: corosync\n",
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_crm_mon_is_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_crm_mon(text)


@pytest.mark.parametrize("text", [
    "", "garbage", "<cib><configuration>", "<status/>",
    fixture("2.1.5/moved-with-lifetime.cib-configuration.xml")[:700],
])
def test_bad_cib_is_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cib_configuration(text)


def test_cib_accepts_whole_cib_and_bare_constraints() -> None:
    config = fixture("2.1.5/moved-with-lifetime.cib-configuration.xml")
    whole = f'<cib epoch="3">{config}<status/></cib>'
    assert parse_cib_configuration(whole) == parse_cib_configuration(config)
    constraints = config[config.index("<constraints>"):config.index("</constraints>") + 14]
    locations, colocations, primitives = parse_cib_configuration(constraints)
    assert len(locations) == 12 and len(colocations) == 2 and primitives == ()


def test_cib_rules_roles_and_agents() -> None:
    text = """<configuration><resources>
      <primitive id="fence1" class="stonith" type="fence_ipmilan"/>
      <primitive id="web" class="systemd" type="nginx"/>
      <master id="ms_old"><primitive id="old" class="ocf" provider="linbit" type="drbd">
        <instance_attributes id="ia"><nvpair id="n1" name="drbd_resource" value="r0"/>
        <nvpair id-ref="shared"/></instance_attributes></primitive></master>
      <clone id="cl"><group id="grp"><primitive id="inner" class="lsb" type="foo"/></group></clone>
    </resources><constraints>
      <rsc_location id="l1" rsc="old" role="Master" node="n1" score="100"/>
      <rsc_location id="l2" rsc-pattern="^vm" score-attribute="prio"><rule id="r" score="5"
         rsc-role="Slave"><expression id="e" attribute="#uname" operation="eq" value="n2"/></rule>
      </rsc_location>
      <rsc_location id="l3"><resource_set id="s"><resource_ref id="a"/><resource_ref id="b"/>
        </resource_set><lifetime id="lt"><rule id="lr" score="-INFINITY"><date_expression
        id="d" operation="lt" end="2020-01-01"/></rule></lifetime></rsc_location>
      <rsc_colocation id="c1" rsc="a" rsc-role="Master" with-rsc="b" with-rsc-role="Slave"
        score="-100"/>
      <rsc_order id="o1" first="a" then="b"/><unknown_future_constraint id="x"/>
    </constraints></configuration>"""
    locations, colocations, primitives = parse_cib_configuration(text)
    agents = {p.id: (p.agent, p.parent) for p in primitives}
    assert agents == {"fence1": ("stonith:fence_ipmilan", None), "web": ("systemd:nginx", None),
                      "old": ("ocf:linbit:drbd", "ms_old"), "inner": ("lsb:foo", "grp")}
    assert primitives[2].params == {"drbd_resource": "r0"}
    l1, l2, l3 = locations
    assert (l1.role, l1.node, l1.has_rules) == ("Promoted", "n1", False)
    assert (l2.resource, l2.node, l2.role, l2.score, l2.has_rules) == (
        "^vm", "n2", "Unpromoted", "prio", True)
    assert (l3.resource, l3.lifetime, l3.score) == ("a b", "2020-01-01", "-INFINITY")
    (c1,) = colocations
    assert (c1.resource_role, c1.with_role, c1.score) == ("Promoted", "Unpromoted", "-100")


def test_unknown_words_and_attributes_survive() -> None:
    text = fixture("2.1.5/all-up.xml").replace(
        'role="Started"', 'role="Hibernating" shiny="yes"', 1).replace(
        "<bans>", "<future_section><x/></future_section><bans>")
    state = parse_crm_mon(text)
    assert any(p.role == "Hibernating" for r in state.resources for p in r.primitives())


def test_bad_numbers_do_not_crash() -> None:
    text = fixture("2.1.5/failed-monitor.xml").replace(
        'fail-count="1"', 'fail-count="INFINITY"').replace(
        'exitcode="7"', 'exitcode="seven"').replace('resources_running="', 'resources_running="x')
    state = parse_crm_mon(text)
    assert state.fail_counts[0].count == 1_000_000
    assert state.failed_actions[0].exit_code is None
    assert state.nodes[0].resources_running == 0


def test_no_dc_means_unknown_quorum() -> None:
    text = fixture("2.1.5/all-up.xml")
    start = text.index("<current_dc")
    end = text.index("/>", start) + 2
    state = parse_crm_mon(text[:start] + '<current_dc present="false"/>' + text[end:])
    assert state.cluster.dc is None and state.cluster.have_quorum is None


# ---------------------------------------------------------------------- reader


def answers(**overrides: str | CommandResult) -> dict[tuple[str, ...] | str,
                                                        str | CommandResult]:
    table: dict[tuple[str, ...] | str, str | CommandResult] = {
        CRM_MON.argv: fixture("2.1.5/moved-with-lifetime.xml"),
        CIB_CONFIGURATION.argv: fixture("2.1.5/moved-with-lifetime.cib-configuration.xml"),
    }
    names = {"crm_mon": CRM_MON.argv, "as_xml": CRM_MON_AS_XML.argv,
             "cib": CIB_CONFIGURATION.argv}
    for key, value in overrides.items():
        table[names[key]] = value
    return table


def test_commands_are_exported() -> None:
    assert COMMANDS == (CRM_MON, CRM_MON_AS_XML, CIB_CONFIGURATION)
    assert CRM_MON.name == "pacemaker/crm_mon.xml"
    assert CIB_CONFIGURATION.argv == ("cibadmin", "-Q", "-o", "configuration")


def test_read_joins_crm_mon_and_cib() -> None:
    runner = ScriptedRunner(answers(), node="jupiter1")
    reading = pacemaker.read(runner)
    assert reading.status.ok and reading.status.node == "jupiter1"
    assert reading.status.source == "pacemaker"
    assert reading.value is not None
    assert [loc.id for loc in reading.value.locations if loc.from_cli] == ["cli-prefer-vm1"]
    # The configuration first: its size sets crm_mon's timeout.
    assert runner.calls == [CIB_CONFIGURATION.argv, CRM_MON.argv]


class _TimedRunner(ScriptedRunner):
    """Answers as scripted and notes the timeout each command was given."""

    def __init__(self, answers: dict[tuple[str, ...] | str, str | CommandResult],
                 timeout: float) -> None:
        super().__init__(answers)
        self.timeout = timeout
        self.timeouts: dict[tuple[str, ...], float] = {}

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        self.timeouts[tuple(argv)] = self.limit(timeout)
        return super().run(argv, timeout, input)


def test_crm_mon_timeout_follows_the_configuration_and_the_size() -> None:
    # The seed cluster's crm_mon gets [cluster] timeout; a 16-node one with 500 guests
    # (crm_mon took 10–21 s there on a loaded machine: UNKNOWN at the 10 s default) gets
    # more, in proportion to primitives × nodes.
    small = _TimedRunner(answers(), timeout=7.0)
    assert pacemaker.read(small).status.ok
    assert 7.0 <= small.timeouts[CRM_MON.argv] < 7.5
    assert small.timeouts[CIB_CONFIGURATION.argv] == 7.0
    nodes = tuple(f"jupiter{i}" for i in range(1, 17))
    big_cib = seed_cib(Layout(nodes, "sun", 500, 1))
    big = _TimedRunner(answers(cib=big_cib), timeout=10.0)
    pacemaker.read(big)
    assert 25.0 <= big.timeouts[CRM_MON.argv] <= 60.0
    assert crm_mon_timeout(10.0, big_cib) == big.timeouts[CRM_MON.argv]
    # A longer configured timeout is kept; nothing gets more than an hour.
    assert crm_mon_timeout(600.0, big_cib) > 600.0
    assert crm_mon_timeout(3000.0, big_cib * 40) == 3600.0
    assert crm_mon_timeout(7200.0, "") == 7200.0  # never less than configured


def test_a_hung_cib_manager_costs_one_timeout() -> None:
    hung = CommandResult(CIB_CONFIGURATION.argv, returncode=None,
                         error="cibadmin: timed out after 10 s", error_kind="timeout")
    runner = ScriptedRunner(answers(cib=hung))
    reading = pacemaker.read(runner)
    assert reading.value is None
    assert reading.status.error == ("cibadmin: timed out after 10 s; crm_mon not tried "
                                    "after it")
    assert runner.calls == [CIB_CONFIGURATION.argv]


def test_read_again_reuses_the_parse_of_an_unchanged_cluster() -> None:
    # A dashboard reads crm_mon every second; between two polls of a steady cluster only
    # <last_update> differs. That poll reuses the parse (the same objects), with the new
    # time; a real change parses anew.
    status = fixture("2.1.5/moved-with-lifetime.xml")
    later = re.sub(r'<last_update time="[^"]*"', '<last_update time="Mon Jan  1 00:00:00 2035"',
                   status)
    assert later != status
    first = pacemaker.read(ScriptedRunner(answers())).value
    again = pacemaker.read(ScriptedRunner(answers(crm_mon=later))).value
    assert first is not None and again is not None
    assert again.resources is first.resources and again.locations is first.locations
    assert again.cluster.last_update == "Mon Jan  1 00:00:00 2035"
    assert first.cluster.last_update != again.cluster.last_update
    failed = pacemaker.read(ScriptedRunner(answers(
        crm_mon=fixture("2.1.5/failed-monitor.xml")))).value
    assert failed is not None and failed.resources is not first.resources
    assert failed == dataclasses.replace(
        parse_crm_mon(fixture("2.1.5/failed-monitor.xml")), locations=failed.locations,
        colocations=failed.colocations, primitives=failed.primitives, orders=failed.orders)
    assert [o.id for o in failed.orders] == ["ord_ms_drbd_vm1_before_vm1",
                                             "ord_ms_drbd_vm2_before_vm2"]
    # Garbage is not remembered as anything: it fails every time.
    for _ in range(2):
        assert pacemaker.read(ScriptedRunner(answers(crm_mon="<nope"))).value is None


READ_FAILURES: dict[str, tuple[str | CommandResult, str]] = {
    "missing": (CommandResult(CRM_MON.argv, returncode=None,
                              error="crm_mon: command not found"), "crm_mon: command not found"),
    "timeout": (CommandResult(CRM_MON.argv, returncode=None,
                              error="crm_mon: timed out after 10 s"), "timed out"),
    "not-connected": (CommandResult(CRM_MON.argv, fixture("2.1.5/not-connected.xml"), "", 102),
                      "crm_mon: not connected to the cluster (is Pacemaker running here?): "
                      "crm_mon: Connection to cluster failed: Connection refused"),
    "garbage": ("\x00\x01 not xml", "cannot parse crm_mon output"),
    "truncated": (fixture("2.1.5/all-up.xml")[:3000], "not well-formed"),
    "denied": (CommandResult(CRM_MON.argv, '<pacemaker-result api-version="2.25">'
                             '<status code="13" message="Permission denied"><errors><error>'
                             'crm_mon: Permission denied</error></errors></status>'
                             '</pacemaker-result>', "", 13), "crm_mon: crm_mon: Permission"),
}


@pytest.mark.parametrize("answer,expected", READ_FAILURES.values(), ids=READ_FAILURES.keys())
def test_read_failures_become_errors(answer: str | CommandResult, expected: str) -> None:
    reading = pacemaker.read(ScriptedRunner(answers(crm_mon=answer)))
    assert reading.value is None
    assert reading.status.error is not None and expected in reading.status.error


def test_read_old_crm_mon_not_connected_after_fallback() -> None:
    usage = CommandResult(CRM_MON.argv, "", "crm_mon: invalid option -- '-'\n", 64)
    down = CommandResult(CRM_MON_AS_XML.argv, "", "Could not establish cib connection: "
                         "Transport endpoint is not connected\n", 102)
    reading = pacemaker.read(ScriptedRunner(answers(crm_mon=usage, as_xml=down)))
    assert reading.value is None
    assert reading.status.error is not None
    assert "not connected to the cluster" in reading.status.error
    assert reading.status.detail == "crm_mon --as-xml"


@pytest.mark.parametrize("cib", [
    CommandResult(CIB_CONFIGURATION.argv, "", "Call cib_query failed (-13): Permission denied\n",
                  13),
    "<configuration",
])
def test_read_keeps_crm_mon_when_cib_fails(cib: str | CommandResult) -> None:
    reading = pacemaker.read(ScriptedRunner(answers(cib=cib)))
    assert reading.value is not None and reading.value.locations == ()
    assert reading.value.node("jupiter1") is not None
    assert reading.status.error is not None
    assert reading.status.error.startswith("constraints could not be read")


@pytest.mark.parametrize("name", ["all-up", "node-failed", "blocked-stop"])
def test_read_never_raises_on_mangled_output(name: str) -> None:
    text = fixture(f"2.1.5/{name}.xml")
    mutations: list[Callable[[str], str]] = [
        lambda t: t.replace('"', "'", 40),
        lambda t: t.replace("<node ", "<node name='' ", 2),
        lambda t: t.replace("resource ", "resource id='' ", 3),
        lambda t: t[: len(t) // 2],
        lambda t: t.replace("=\"", "=\"\x7f", 5),
    ]
    for mutate in mutations:
        reading = pacemaker.read(ScriptedRunner(answers(crm_mon=mutate(text))))
        assert reading.value is not None or reading.status.error
