"""``hadeck status`` as a person and a script use it: a subprocess, its output, its exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hadeck.report import SCHEMA, json_schema
from tests import bundles

ROOT = Path(__file__).parents[2]


def hadeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hadeck.cli", *args], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                      "COLUMNS": "160", "HOME": "/nonexistent"})


def test_json_document(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b", drbd_case="syncsource-in-progress.txt")
    run = hadeck("status", "--from", str(bundle), "--json")
    doc = json.loads(run.stdout)
    assert doc["schema"] == SCHEMA
    assert doc["local_node"] == "jupiter1"
    assert doc["taken_at"] == "2026-11-22T02:00:00+00:00"
    assert set(doc["health"]["by_area"]) == {"sources", "cluster", "nodes", "resources", "drbd",
                                             "guests", "lvs", "connectivity", "host",
                                             "storage", "backups"}
    assert run.returncode == doc["health"]["exit_code"]
    drbd = [p for p in doc["problems"] if p["area"] == "drbd"]
    assert drbd[0]["health"] == "WARNING"
    assert drbd[0]["reason"].startswith("SyncSource 43.6 %")
    # The subject as fields: a script needs not parse "r0@jupiter1 → bravo".
    key = drbd[0]["key"]
    assert (key["kind"], key["node"], key["peer"]) == ("drbd", "jupiter1", "bravo")
    assert drbd[0]["subject"].startswith(f"{key['name']}@jupiter1 → bravo")
    assert doc["state"]["drbd"][0]["connections"][0]["peer"] == "bravo"
    assert doc["state"]["pacemaker"]["cluster"]["dc"]


def test_area_filter(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b")
    doc = json.loads(hadeck("status", "--from", str(bundle), "--json", "--area", "lvs").stdout)
    assert doc["areas"] == ["lvs"]
    assert set(doc["state"]) == {"taken_at", "local_node", "origin", "lvs", "snmp"}
    assert {v["area"] for v in doc["verdicts"]} == {"lvs"}


def test_rich_view_shows_every_area_problems_first(tmp_path: Path) -> None:
    bundle = bundles.seed_cluster(tmp_path / "b", drbd_case="standalone-split-brain.txt")
    run = hadeck("status", "--from", str(bundle))
    out = run.stdout
    assert run.returncode == 2
    titles = ["Problems", "Cluster", "Nodes", "Resources", "DRBD", "Guests", "LVS",
              "Connectivity", "Hosts", "Sources"]
    lines = [line.strip() for line in out.splitlines()]
    positions = [lines.index(t) for t in titles]  # each table's title line
    assert positions == sorted(positions)
    problems = "\n".join(lines[positions[0]:positions[1]])
    assert "✖ CRITICAL" in problems and "StandAlone" in problems


def test_bad_area_is_one_line_and_exit_3(tmp_path: Path) -> None:
    run = hadeck("status", "--from", str(bundles.seed_cluster(tmp_path / "b")),
                 "--area", "dbrd")
    assert run.returncode == 3
    assert run.stderr.strip().splitlines() == [
        "hadeck: unknown area dbrd; choose from sources, cluster, nodes, resources, drbd, "
        "guests, lvs, connectivity, host, storage, backups"]


def test_unreadable_bundle_is_one_line_and_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "x.tar.gz"
    bad.write_text("garbage")
    run = hadeck("status", "--from", str(bad))
    assert run.returncode == 3
    assert len(run.stderr.strip().splitlines()) == 1
    assert run.stderr.startswith(f"hadeck: cannot read bundle: {bad}: ")
    assert "Traceback" not in run.stderr


def test_nothing_installed_says_why_and_exits_3() -> None:
    """On a bare machine (no cluster tools on PATH) every source says what is missing."""
    run = hadeck("status", "--local", "--json")
    doc = json.loads(run.stdout)
    assert run.returncode == 3
    errors = {p["key"]["name"]: p["reason"] for p in doc["problems"]
              if p["key"]["kind"] == "source"}
    assert "pacemaker" in errors


def test_schema_document_is_current() -> None:
    stored = json.loads((ROOT / "docs" / "status-json.schema.json").read_text())
    assert stored == json_schema(), (
        "the model changed: regenerate docs/status-json.schema.json with "
        "'hadeck status --json-schema' and decide whether the schema version must change")


def test_snapshot_of_this_machine_replays(tmp_path: Path) -> None:
    out = tmp_path / "here.tar.gz"
    run = hadeck("snapshot", "--local", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out}:")
    replay = json.loads(hadeck("status", "--from", str(out), "--json").stdout)
    assert replay["origin"] == f"bundle:{out}"
    assert replay["state"]["hosts"][0]["memory_total"] > 0


def test_snapshot_layout_is_documented() -> None:
    run = hadeck("snapshot", "--layout")
    listed = [line.split()[0] for line in run.stdout.splitlines()]
    doc = (ROOT / "docs" / "bundles.md").read_text()
    assert all(f"`{name}`" in doc for name in listed), "docs/bundles.md misses a file name"


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["tables", "json"])
def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path,
                                                      json_flag: tuple[str, ...]) -> None:
    """``hadeck status | head -1``: the pipe closes before hadeck writes; hadeck ends as a
    command killed by SIGPIPE (141), not with a traceback or a health exit code."""
    bundle = bundles.seed_cluster(tmp_path / "b")
    proc = subprocess.Popen([sys.executable, "-m", "hadeck.cli", "status", *json_flag,
                             "--from", str(bundle)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            env={"PATH": "/usr/bin:/bin", "COLUMNS": "160",
                                 "HOME": "/nonexistent"})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err
