"""The secrets policy, and every way out of hadeck that must go through it.

Bundles, ``hadeck status --json`` and the events log are checked as a user would: the
secret's value is nowhere in what was written, and what is not secret is still there.
"""

from __future__ import annotations

import dataclasses
import json
import tarfile
import time
from pathlib import Path

import pytest

from hadeck.model import (
    ClusterState,
    FailedAction,
    Health,
    Node,
    NodeAttribute,
    PacemakerState,
    PrimitiveConfig,
)
from hadeck.redact import (
    MASK,
    is_secret,
    redact_json,
    redact_output,
    redact_state,
    redact_text,
    redact_xml,
)
from hadeck.runner import Command, CommandResult
from hadeck.snapshot import Record, write_bundle
from hadeck.watch.eventlog import EventLog
from hadeck.watch.events import Event
from tests import bundles
from tests.conftest import sample
from tests.core.test_status_cli import hadeck

SECRET = "hunter2-Xq9"


@pytest.mark.parametrize("name", [
    "password", "passwd", "pw", "pwd", "psk", "secret", "token", "community", "credentials",
    "bind_pw", "ipmi_pw", "snmp_priv_passwd", "passwd_script", "auth_data", "auth_pass",
    "secret_token", "access_key", "secret_key", "apikey", "hexadecimal_kg", "SSL password",
    "Password", "bindPw", "key",
])
def test_secret_names(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", [
    "ip", "ipaddr", "port", "login", "username", "plug", "auth", "auth_type",
    "snmp_auth_prot", "identity_file", "key_file", "token_file", "auth_url",
    "Authentication type", "check_passwd_use_empty", "use_sudo", "keepalive", "target-role",
])
def test_names_that_are_not_secret(name: str) -> None:
    assert not is_secret(name)


CIB = f"""<configuration>
  <resources>
    <primitive id="fence1" class="stonith" type="fence_ipmilan">
      <instance_attributes id="fence1-ia">
        <nvpair value="{SECRET}" id="fence1-passwd" name="passwd"/>
        <nvpair id='fence1-pw' name='ipmi_pw' value='{SECRET}'/>
        <nvpair
           id="fence1-ip"
           name="ip" value="10.0.0.9"/>
        <nvpair id="fence1-cred" name="credentials" value="{SECRET}"/>
        <nvpair id="fence1-sec" name="password" value="lrm://"/>
      </instance_attributes>
    </primitive>
  </resources>
  <constraints>
    <rsc_location id="l1" rsc="fence1">
      <rule id="r1" score="-INFINITY">
        <expression id="e1" attribute="secret_token" operation="eq" value="{SECRET}"/>
      </rule>
    </rsc_location>
  </constraints>
</configuration>
"""


def test_cib_nvpairs_in_any_order_and_quoting() -> None:
    out = redact_xml(CIB)
    assert SECRET not in out
    assert 'value="10.0.0.9"' in out
    # cibsecret's reference is not the secret: it says where the secret lives.
    assert 'value="lrm://"' in out
    assert out.count(MASK) == 4


def test_crm_mon_node_attributes() -> None:
    text = (bundles.PCMK / "all-up.xml").read_text().replace(
        '<attribute name="pingd" value="100" expected="100"/>',
        f'<attribute name="pingd" value="100" expected="100"/>'
        f'<attribute value="{SECRET}" name="secret_token"/>')
    assert SECRET in text
    out = redact_output("pacemaker/crm_mon.xml", text)
    assert SECRET not in out and 'name="pingd" value="100"' in out


def test_nothing_secret_leaves_the_output_byte_for_byte() -> None:
    text = (bundles.PCMK / "all-up.xml").read_text()
    assert redact_output("pacemaker/crm_mon.xml", text) is text
    dump = sample("keepalived", "json-dump.txt")
    assert redact_output("keepalived/keepalived.json", dump) is dump
    data = sample("keepalived", "data-dump-master-and-backup.txt")
    assert redact_output("keepalived/keepalived.data", data) == data


def test_keepalived_dumps() -> None:
    # keepalived's own words: the JSON dump's "auth_data", the data dump's "Password = ".
    dump = sample("keepalived", "json-dump.txt").replace(
        '"auth_type":0', f'"auth_type":1,"auth_data":"{SECRET}"')
    out = redact_json(dump)
    assert SECRET not in out
    assert json.loads(out)[0]["data"]["auth_type"] == 1
    data = sample("keepalived", "data-dump-master-and-backup.txt").replace(
        "   Authentication type = none",
        f"   Authentication type = SIMPLE_PASSWORD\n   Password = {SECRET}")
    out = redact_text(data)
    assert SECRET not in out and "Authentication type = SIMPLE_PASSWORD" in out


def test_unparseable_output_naming_a_secret_is_withheld() -> None:
    broken = f'<nvpair name="passwd" value="{SECRET}"'
    with pytest.raises(ValueError, match="withheld"):
        redact_output("pacemaker/cib-configuration.xml", broken)
    assert redact_output("pacemaker/crm_mon.xml", "garbage\n") == "garbage\n"


def test_free_text() -> None:
    out = redact_text(f"error: fence_ipmilan --password={SECRET} -a 10.0.0.9 failed\n"
                      f"url=https://admin:{SECRET}@keystone:5000/v3\n")
    assert SECRET not in out and "10.0.0.9" in out and "admin:" in out


# --------------------------------------------------------------------------- the faces


def _cib_record() -> Record:
    cmd = Command("pacemaker/cib-configuration.xml", ("cibadmin", "-Q", "-o", "configuration"))
    return Record("n1", cmd, CommandResult(cmd.argv, CIB))


def _keepalived_record() -> Record:
    cmd = Command("keepalived/keepalived.json", path="/tmp/keepalived.json")
    dump = sample("keepalived", "json-dump.txt").replace(
        '"auth_type":0', f'"auth_type":1,"auth_data":"{SECRET}"')
    return Record("n1", cmd, CommandResult(("cat", "/tmp/keepalived.json"), dump))


def test_bundle_holds_no_secret(tmp_path: Path) -> None:
    out = write_bundle(tmp_path / "b.tar.gz", [_cib_record(), _keepalived_record()],
                       "n1", 0.0)
    with tarfile.open(out) as tar:
        blob = b"".join(f.read() for m in tar.getmembers()
                        if (f := tar.extractfile(m)) is not None)
    assert b"hunter2" not in blob
    assert b"10.0.0.9" in blob and b"VI_WEB" in blob


def _with_fence_device(bundle: Path) -> None:
    cib = bundle / "jupiter1" / "pacemaker" / "cib-configuration.xml"
    cib.write_text(cib.read_text().replace(
        "<resources>",
        '<resources><primitive id="fence1" class="stonith" type="fence_ipmilan">'
        '<instance_attributes id="fence1-ia">'
        f'<nvpair id="fence1-passwd" name="passwd" value="{SECRET}"/>'
        '<nvpair id="fence1-ip" name="ip" value="10.0.0.9"/>'
        '</instance_attributes></primitive>', 1))
    mon = bundle / "jupiter1" / "pacemaker" / "crm_mon.xml"
    mon.write_text(mon.read_text().replace(
        '<attribute name="pingd" value="100" expected="100"/>',
        '<attribute name="pingd" value="100" expected="100"/>'
        f'<attribute name="secret_token" value="{SECRET}"/>', 1))


def test_status_json_holds_no_secret(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b")
    _with_fence_device(bundle)
    run = hadeck("status", "--from", str(bundle), "--json")
    assert run.stdout.startswith("{"), run.stderr
    assert SECRET not in run.stdout
    doc = json.loads(run.stdout)
    fence = next(p for p in doc["state"]["pacemaker"]["primitives"] if p["id"] == "fence1")
    assert fence["params"] == {"passwd": MASK, "ip": "10.0.0.9"}
    attrs = {a["name"]: a["value"] for n in doc["state"]["pacemaker"]["nodes"]
             for a in n["attributes"]}
    assert attrs["secret_token"] == MASK and attrs["pingd"] == "100"


def test_status_json_scrubs_a_secret_echoed_in_free_text(tmp_path: Path) -> None:
    # An agent whose exit reason echoes its command line: the value is known to be secret.
    state = ClusterState(taken_at=0.0, local_node="n1", pacemaker=PacemakerState(
        nodes=(Node("n1", online=True, attributes=(NodeAttribute("pingd", "1"),)),),
        primitives=(PrimitiveConfig("fence1", "stonith:fence_ipmilan",
                                    {"passwd": SECRET}),),
        failed_actions=(FailedAction("fence1_start_0", "n1", "fence1", "start",
                                     exit_status="error", exit_code=1,
                                     exit_reason=f"ipmitool -P {SECRET} failed"),),
    ))
    from hadeck.health import judge
    from hadeck.report import status_document

    doc = json.dumps(status_document(state, judge(state)))
    assert SECRET not in doc
    assert redact_state(state).pacemaker.primitives[0].params == {"passwd": MASK}


def test_events_log_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    log = EventLog(path)
    log.extend([Event(time.time(), Health.CRITICAL, "resources", "fence1",
                      f"fence1 start failed on n1: login failed, passwd={SECRET}")])
    assert SECRET not in path.read_text()
    assert all(SECRET not in e.text for e in log.events())
    assert "fence1 start failed on n1" in path.read_text()


def test_events_log_scrubs_the_values_it_is_told_are_secret(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    log = EventLog(path)
    log.extend([Event(time.time(), Health.CRITICAL, "resources", "fence1",
                      f"fence1 start failed on n1: ipmitool -P {SECRET}: timeout")],
               secrets=frozenset({SECRET}))
    assert SECRET not in path.read_text()


def test_events_log_is_private_and_not_written_through_a_symlink(tmp_path: Path) -> None:
    event = Event(time.time(), Health.OK, "cluster", "n1", "n1 online")
    log = EventLog(tmp_path / "state" / "events.log")
    log.extend([event])
    assert (tmp_path / "state" / "events.log").stat().st_mode & 0o777 == 0o600
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (tmp_path / "link.log").symlink_to(victim)
    linked = EventLog(tmp_path / "link.log")
    linked.extend([event])
    assert victim.read_text() == "keep me\n"
    assert linked.error is not None and "symbolic link" in linked.error
    assert linked.events() == [event]  # memory carries on


def _echoing_failure(bundle: Path) -> None:
    """fence1's start failed and its exit reason echoes the password."""
    mon = bundle / "jupiter1" / "pacemaker" / "crm_mon.xml"
    text = mon.read_text()
    failure = (f'<failure op_key="fence1_start_0" node="jupiter1" exitstatus="error" '
               f'exitreason="ipmitool -I lanplus -P {SECRET} chassis power status: timeout" '
               f'exitcode="1" call="12" status="complete" '
               f'last-rc-change="2026-11-22 01:59:00 +00:00" queued="0" exec="1000" '
               f'interval="0" task="start"/>')
    if "<failures>" in text:
        text = text.replace("<failures>", "<failures>" + failure, 1)
    else:
        text = text.replace("</node_history>", f"</node_history><failures>{failure}"
                                               "</failures>", 1)
    mon.write_text(text)


def test_no_face_holds_a_secret(tmp_path: Path) -> None:
    from hadeck.collect import collect
    from hadeck.snapshot import BundleAccess

    bundle = bundles.seed_cluster(tmp_path / "b")
    _with_fence_device(bundle)
    _echoing_failure(bundle)
    state = collect(BundleAccess(bundle))
    assert state.pacemaker is not None
    reasons = [f.exit_reason for f in state.pacemaker.failed_actions]
    assert any("ipmitool" in r for r in reasons), reasons
    assert SECRET not in repr(state)
    run = hadeck("status", "--from", str(bundle))
    assert "fence1" in run.stdout and "ipmitool" in run.stdout, run.stderr
    assert SECRET not in run.stdout + run.stderr
    from tests.checks.helpers import call_plugin

    check = call_plugin("cluster", "--from", bundle, "-v", "-v", "-v")
    assert "fence1" in check.stdout, check.stdout + check.stderr
    assert SECRET not in check.stdout + check.stderr


def test_redacting_a_state_again_gives_the_same_objects(tmp_path: Path) -> None:
    # The poll loop's memos work by identity: an unchanged Pacemaker state must redact to
    # the very same objects, poll after poll.
    from hadeck.collect import collect
    from hadeck.snapshot import BundleAccess

    bundle = bundles.seed_cluster(tmp_path / "b")
    _with_fence_device(bundle)
    state = collect(BundleAccess(bundle))
    assert state.pacemaker is not None
    again = redact_state(state)
    assert again is state
    raw = dataclasses.replace(state.pacemaker, primitives=tuple(
        dataclasses.replace(p, params={**p.params, "passwd": SECRET})
        if p.id == "fence1" else p for p in state.pacemaker.primitives))
    first = redact_state(dataclasses.replace(state, pacemaker=raw))
    second = redact_state(dataclasses.replace(state, pacemaker=raw))
    assert first.pacemaker is not None and second.pacemaker is not None
    assert first.pacemaker.primitives is second.pacemaker.primitives
    assert first.pacemaker.nodes is state.pacemaker.nodes


def test_keepalived_own_field_names() -> None:
    # Every field of a real keepalived 2.2.7 JSON dump is shown; its VRRP password field
    # (auth_data, written when an instance has authentication) and the data dump's
    # password lines ("   Password = %s", " Password : %s", "  SSL password:%s" in
    # keepalived's own format strings) are not.
    dump = json.loads(sample("keepalived", "json-dump.txt"))
    fields = {key for inst in dump for part in inst.values() for key in part}
    assert {"iname", "vrid", "state", "auth_type", "auth_failure", "vips"} <= fields
    assert not [f for f in fields if is_secret(f)]
    assert is_secret("auth_data")
    lines = f"   Password = {SECRET}\n Password : {SECRET}\n  SSL password:{SECRET}\n"
    assert SECRET not in redact_text(lines)


def test_every_real_capture_passes_unchanged() -> None:
    # The captures hold no secret: the policy must leave each byte for byte, or replaying
    # a bundle would read something else (crm_mon's op_key once came out as "***").
    from tests.conftest import FIXTURES

    checked = 0
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".md"):
            continue
        text = path.read_text(errors="replace")
        name = path.name if path.suffix in (".xml", ".json") else f"{path.name}.txt"
        if path.parent.parent.name == "ldirectord":
            # ldirectord's shipped sample holds example check passwords: masked, as
            # every ldirectord.cf's are.
            assert "passwd=***" in redact_output(name, text), path
            continue
        assert redact_output(name, text) == text, path
        checked += 1
    assert checked > 100
