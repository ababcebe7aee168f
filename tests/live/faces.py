"""hadeck's faces as an operator on a live node runs them: the installed commands, in a node.

The commands are this checkout's, from the virtual environment that runs the tests
(``sys.executable``'s directory: ``.venv/bin`` here, ``$HADECK_VENV/bin`` under
scripts/test), run through ``nsenter`` inside a node of the live cluster, with a home and an
action journal of the test's own (``HOME`` and ``HADECK_JOURNAL`` in ``tmp_path``) and no
configuration file.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.checks.helpers import Output, read_output
from tests.live.cluster import LiveCluster

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
"""The checkout: tests.live.pilot_drive is run from it inside a node."""


def hadeck_missing() -> str | None:
    """Why this checkout's commands cannot be run in a node, or None."""
    if not (BIN / "hadeck").is_file() or not (BIN / "check_hadeck_cluster").is_file():
        return (f"hadeck is not installed next to {sys.executable}: run the tests with the "
                "virtual environment hadeck is installed in (scripts/setup --test)")
    return None


@functools.cache
def has_verb(verb: str) -> bool:
    """Whether this checkout's ``hadeck`` has the subcommand ``verb`` (the actions CLI)."""
    done = subprocess.run([str(BIN / "hadeck"), verb, "--help"], capture_output=True,
                          text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    return done.returncode == 0 and "usage:" in done.stdout


# --------------------------------------------------------------------------- status --json


@dataclass(frozen=True)
class StatusView:
    """The parts of ``hadeck status --json`` the live tests compare with crm_mon."""

    doc: Mapping[str, Any]

    @property
    def pacemaker(self) -> Mapping[str, Any]:
        pcmk = self.doc["state"]["pacemaker"]
        assert pcmk is not None, f"no Pacemaker in hadeck's state: {self.doc['problems']}"
        return pcmk  # type: ignore[no-any-return]

    def online(self) -> frozenset[str]:
        return frozenset(n["name"] for n in self.pacemaker["nodes"] if n["online"])

    def node(self, name: str) -> Mapping[str, Any]:
        return next(n for n in self.pacemaker["nodes"] if n["name"] == name)

    def primitives(self) -> Iterator[Mapping[str, Any]]:
        def walk(items: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
            for item in items:
                if item["kind"] == "primitive":
                    yield item
                yield from walk(item["children"])
        return walk(self.pacemaker["resources"])

    def placements(self) -> frozenset[tuple[str, str, str]]:
        """(primitive, node, role) of every active instance, as crm_mon's view has them."""
        return frozenset((p["id"], node, p["role"]) for p in self.primitives()
                         if p["active"] for node in p["nodes"])

    def where(self, rsc: str) -> frozenset[str]:
        return frozenset(node for p in self.primitives() if p["id"] == rsc and p["active"]
                         for node in p["nodes"])

    def area(self, name: str) -> str:
        return self.doc["health"]["by_area"][name]  # type: ignore[no-any-return]

    def problems(self) -> list[Mapping[str, Any]]:
        return list(self.doc["problems"])


# --------------------------------------------------------------------------- the commands


@dataclass
class Hadeck:
    """This checkout's commands, run inside a node of ``cluster``."""

    cluster: LiveCluster
    home: Path

    @property
    def journal(self) -> Path:
        return self.home / "actions.jsonl"

    ssh: bool = False
    """Read the peers over ssh (the nodes' sshd, :attr:`LiveCluster.ssh_config`) with a
    configuration file of the test's own; else no configuration file."""

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "HADECK_JOURNAL": str(self.journal),
                "HADECK_CONFIG": str(self.config()) if self.ssh else "", "TERM": "dumb",
                "NO_COLOR": "1", "COLUMNS": "200"}

    def config(self) -> Path:
        """hadeck.toml for reading the peers over the nodes' sshd: hadeck's own ssh
        options, then the cluster's ssh_config (which names node1 … by address)."""
        from hadeck.runner import SSH_OPTIONS

        path = self.home / "hadeck-ssh.toml"
        if not path.exists():
            options = [*SSH_OPTIONS, "-F", str(self.cluster.ssh_config)]
            path.write_text(f"[cluster]\ntimeout = 20\n[ssh]\noptions = {json.dumps(options)}\n")
            path.chmod(0o600)
        return path

    def over_ssh(self) -> Hadeck:
        """The same commands, reading the peers over ssh."""
        return Hadeck(self.cluster, self.home, ssh=True)

    def __call__(self, node: str, *args: str, timeout: float = 150,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``hadeck ARGS`` inside ``node``."""
        return self.cluster.run(node, [str(BIN / "hadeck"), *args], timeout=timeout,
                                env=self.env(), input=input)

    def status(self, node: str) -> StatusView:
        """``hadeck status --local --json`` inside ``node`` (without ``--local`` when
        reading over ssh), read."""
        done = self(node, "status", *(() if self.ssh else ("--local",)), "--json",
                    timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        try:
            doc = json.loads(done.stdout)
        except json.JSONDecodeError as err:
            raise AssertionError(f"hadeck status --json on {node} (exit {done.returncode}): "
                                 f"{err}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                                 ) from err
        assert doc["local_node"] == node
        return StatusView(doc)

    def plugin(self, node: str, name: str, *args: str) -> Output:
        """``check_hadeck_<name> ARGS`` inside ``node``, its output read strictly."""
        done = self.cluster.run(node, [str(BIN / f"check_hadeck_{name}"), *args],
                                timeout=60, env=self.env())
        return read_output(done.returncode, done.stdout, done.stderr)

    def pilot(self, node: str, *steps: str, timeout: float = 180) -> list[Any]:
        """The dashboard driven by Pilot inside ``node`` (:mod:`tests.live.pilot_drive`)."""
        env = {**self.env(), "PYTHONPATH": str(ROOT),
               "HADECK_PILOT_PEERS": "ssh" if self.ssh else "none"}
        done = self.cluster.run(node, [sys.executable, "-m", "tests.live.pilot_drive", *steps],
                                timeout=timeout, env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (
            f"the dashboard in {node}: exit {done.returncode}\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}")
        results: list[Any] = json.loads(done.stdout.splitlines()[-1])
        return results

    def journal_entries(self) -> list[dict[str, Any]]:
        """The action journal's lines, read (none if it was never written)."""
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text().splitlines() if line]
