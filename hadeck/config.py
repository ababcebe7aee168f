"""Configuration: one optional TOML file.

hadeck needs no configuration on a standard cluster: it discovers the nodes from
Pacemaker on the local node and reads the per-node facts from each of them over ssh. The
file exists for what cannot be discovered (LVS directors outside the cluster, how many real
servers a service should have) and for site preferences.

Precedence, highest first: ``--config FILE``; ``$HADECK_CONFIG``;
``~/.config/hadeck/hadeck.toml``; ``/etc/hadeck/hadeck.toml``. The first file found is
used whole (files are not merged: one place to look). Nagios thresholds do not live here;
they stay on the check's command line.

Example::

    [cluster]
    peers = "ssh"            # read guests/DRBD/host/LVS of the other nodes: "ssh" or "none"
    extra_nodes = []         # nodes Pacemaker does not list (e.g. a quorum device host)
    directors = ["lvs1", "lvs2"]   # LVS directors, if they are not cluster nodes
    timeout = 10             # seconds per command

    [ssh]
    options = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]

    [lvs.expected]           # real servers each virtual service should have
    "TCP 192.0.2.10:80" = 3

    [drbd.states]            # override the verdict of a DRBD state word
    SyncTarget = "OK"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hadeck.health import Policy
from hadeck.model import Health
from hadeck.runner import DEFAULT_TIMEOUT, SSH_OPTIONS

SEARCH_PATH = (
    Path("~/.config/hadeck/hadeck.toml"),
    Path("/etc/hadeck/hadeck.toml"),
)


class ConfigError(ValueError):
    """The configuration file is unreadable or says something hadeck cannot use."""


@dataclass(frozen=True)
class Config:
    peers: str = "ssh"
    """How per-node facts of other nodes are read: ``ssh`` or ``none`` (local node only)."""
    extra_nodes: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    ssh_options: tuple[str, ...] = SSH_OPTIONS
    policy: Policy = field(default_factory=Policy)
    path: str | None = None
    """The file this came from; None for the built-in defaults."""


def find(explicit: str | None = None) -> Path | None:
    """The configuration file to use, by precedence; None when there is none."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HADECK_CONFIG")
    if env:
        return Path(env)
    for candidate in SEARCH_PATH:
        path = candidate.expanduser()
        if path.is_file():
            return path
    return None


def load(explicit: str | None = None) -> Config:
    """Load the configuration; the defaults when no file exists.

    Raises:
        ConfigError: an explicitly named file is missing, or any file is not valid TOML
            or has a value of the wrong kind.
    """
    path = find(explicit)
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        return _from_data(data, str(path))
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _from_data(data: dict[str, object], path: str) -> Config:
    cluster = _table(data, "cluster")
    ssh = _table(data, "ssh")
    lvs = _table(data, "lvs")
    drbd = _table(data, "drbd")
    peers = str(cluster.get("peers", "ssh"))
    if peers not in ("ssh", "none"):
        raise ValueError(f"cluster.peers must be 'ssh' or 'none', not {peers!r}")
    expected = {str(k): int(v) for k, v in _table(lvs, "expected").items()}  # type: ignore[call-overload]
    states = {str(k): Health[str(v).upper()] for k, v in _table(drbd, "states").items()}
    return Config(
        peers=peers,
        extra_nodes=tuple(str(n) for n in _list(cluster, "extra_nodes")),
        directors=tuple(str(n) for n in _list(cluster, "directors")),
        timeout=float(cluster.get("timeout", DEFAULT_TIMEOUT)),  # type: ignore[arg-type]
        ssh_options=tuple(str(o) for o in _list(ssh, "options")) or SSH_OPTIONS,
        policy=Policy(drbd_states=states, expected_real_servers=expected),
        path=path,
    )


def _table(data: dict[str, object], key: str) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{key}] must be a table")
    return value


def _list(data: dict[str, object], key: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return value
