"""Configuration: one optional TOML file.

hadeck needs no configuration on a standard cluster: it discovers the nodes from
Pacemaker on the local node and reads the per-node facts from each of them over ssh. The
file exists for what cannot be discovered (LVS directors outside the cluster, how many real
servers a service should have) and for site preferences.

Precedence, highest first: ``--config FILE``; ``$HADECK_CONFIG``;
``~/.config/hadeck/hadeck.toml``; ``/etc/hadeck/hadeck.toml``. The first file found is
used whole (files are not merged: one place to look). Nagios thresholds do not live here;
they stay on the check's command line.

The file is checked whole: a key or table hadeck does not know is an error naming the
file, the line and the nearest valid key (``hadeck.toml:3: unknown key cluster.timout
(did you mean cluster.timeout?)``), so a typo never silently leaves a default in place.
:mod:`tomllib` gives no line numbers; they are found by scanning the text for the table
headers and keys (:func:`key_lines`). Every loaded :class:`Config` remembers where each
value came from (:attr:`Config.origins`); :func:`describe` lists every effective value
with its origin, for ``hadeck config``.

Example::

    [cluster]
    peers = "ssh"            # read guests/DRBD/host/LVS of the other nodes: "ssh" or "none"
    extra_nodes = []         # nodes Pacemaker does not list (e.g. a quorum device host)
    directors = ["lvs1", "lvs2"]   # LVS directors, if they are not cluster nodes
    timeout = 10             # seconds per command (crm_mon: + 2 ms per primitive × node)

    [ssh]
    options = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
    sudo = ["*"]             # peers logged in to as a user, not root: sudo -n for root's tools

    [lvs]
    director_down = "WARNING"  # a director of cluster.directors down while another is
                               # MASTER: "WARNING" (default) or "CRITICAL"; with no
                               # director MASTER it is CRITICAL whatever this says

    [lvs.expected]           # real servers each virtual service should have
    "TCP 192.0.2.10:80" = 3

    [drbd.states]            # override the verdict of a DRBD state word
    SyncTarget = "OK"

    [actions]
    read_only = true         # every face refuses to change the cluster (--read-only)

    [probes]                 # hadeck's own pings (hadeck.probes)
    ping = true              # every poll, from every node (else only with --probe)
    hosts = ["192.0.2.254"]  # besides the ping nodes of the CIB's ping resources
    count = 3                # echoes per host
    timeout = 1              # seconds to wait for replies after the last echo
    links = true             # ping the other nodes' corosync link addresses too

    [snmp]                   # defaults for every agent below (any of them per agent too)
    version = "3"            # "2c" or "3"
    user = "hadeck"          # SNMPv3 user; auth_protocol MD5/SHA/SHA224…SHA512
    auth_password = "…"
    priv_protocol = "AES"    # AES (AES-128), AES192, AES256, DES, or "" for authNoPriv;
                             # AES192C/AES256C: Cisco's AES key extension (net-snmp's -x
                             # names; the wrong one is answered with silence: a timeout)
    priv_password = "…"
    # community = "…"        # SNMPv2c
    timeout = 1              # seconds per request; retries = 1

    [snmp.agents.web1]       # one table per agent
    address = "192.0.2.21"   # default: the table's name
    role = "real-server"     # or "node": host facts by SNMP (name the table as the node)
    weight = 100             # its LVS weight when idle (default: weights.base)

    [weights]                # hadeck weights: see hadeck/weights.py for the formula
    base = 100
    floor = 10               # percent of the configured weight (never below 1)
    ceiling = 100
    hysteresis = 10
    full_load = 1.0          # load per CPU at which a real server counts as full

    [lvm]                    # thin pools under DRBD (percent of the pool)
    thin_data_warning = 80
    thin_data_critical = 90
    thin_metadata_warning = 80
    thin_metadata_critical = 90
    vg_free_warning = 0      # percent free below which a volume group is WARNING (0: off)

    [backups]                # rdiff-backup repositories: the policy for all of them
    warning_hours = 26       # last backup older than this: WARNING
    critical_hours = 50      # … CRITICAL
    full_every_days = 14     # a new full (repository) every fortnight; 0: not judged

    [backups.repos.web]      # one table per repository (the name: letters, digits, _.-)
    path = "/srv/backup/web" # the repository (holding rdiff-backup-data)
    node = "backup1"         # the node that holds it (default: the local node); a node
                             # outside the cluster must be in cluster.extra_nodes
    guest = "web"            # the guest it backs up (its line in the dashboard)

A file holding SNMP secrets (a community or a password) must not be readable or writable
by every user, nor writable by its group: it is refused otherwise (``chmod 600`` or
``640``), as ssh refuses a private key. ``hadeck config`` shows those values as ``***``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

from hadeck.model import Health
from hadeck.record import FACTORY, field, record, replace
from hadeck.runner import DEFAULT_TIMEOUT, SSH_OPTIONS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    # What a Config's defaults need is imported when a field is first read (__lazy__).
    from hadeck.health import Policy
    from hadeck.snmp.agent import SnmpAgent

    # The backups source (and its model) load only where a configuration has
    # repositories: a check of another area never loads them (issue 15).
    from hadeck.sources.backup_spec import RepoSpec
    from hadeck.weights import WeightRule

MAX_FILE_BYTES = 1024 * 1024
"""A configuration file larger than this is refused, not read (a device, a wrong file)."""
MAX_TIMEOUT = 3600
"""``cluster.timeout`` at most, in seconds: a command slower than an hour has hung
(``inf`` or ``1e300`` would overflow the clocks that wait for it)."""

SEARCH_PATH: tuple[str | os.PathLike[str], ...] = (
    "~/.config/hadeck/hadeck.toml",
    "/etc/hadeck/hadeck.toml",
)
"""Where the configuration is looked for, in order (strings: pathlib, with urllib.parse
and ipaddress, is imported only when a file is found; ~2 ms of a check's start)."""
DEFAULT_ORIGIN = "built-in default"


class ConfigError(ValueError):
    """The configuration file is unreadable or says something hadeck cannot use."""


def _default_policy() -> Policy:
    from hadeck.health import Policy

    return Policy()


def _default_snmp() -> SnmpAgent:
    from hadeck.snmp.agent import SnmpAgent

    return SnmpAgent(name="", address="")


def _default_weights() -> WeightRule:
    from hadeck.weights import WeightRule

    return WeightRule()


@record(frozen=True)
class Config:
    """The effective configuration: the file's values over the built-in defaults."""

    peers: str = "ssh"
    """``cluster.peers``: how per-node facts of other nodes are read: ``ssh`` or ``none``
    (local node only; ``--local`` on the command line)."""
    extra_nodes: tuple[str, ...] = ()
    """``cluster.extra_nodes``: nodes Pacemaker does not list whose facts are read too
    (a quorum device host)."""
    directors: tuple[str, ...] = ()
    """``cluster.directors``: LVS directors, read over ssh like nodes, when they are not
    cluster nodes."""
    timeout: float = DEFAULT_TIMEOUT
    """``cluster.timeout``: seconds each command may take (crm_mon, virsh, ssh …) before
    it is killed and its source reads UNKNOWN. A check plugin gives a command no more
    than what is left of its ``-t``. Raise it for big clusters: crm_mon on a 16-node,
    500-guest CIB took 10–21 s on a loaded 2-core machine."""
    ssh_options: tuple[str, ...] = SSH_OPTIONS
    """``ssh.options``: options for the system ssh client, before the host (the default
    never prompts and gives up on a dead host in about 5 s)."""
    ssh_sudo: tuple[str, ...] = ()
    """``ssh.sudo``: peers whose ssh login is not root (``"*"``: every peer): the tools
    that answer root only run there as ``sudo -n``, allowed by share/sudoers.d/hadeck."""
    read_only: bool = False
    """``actions.read_only``: every face refuses actions (move, standby, cleanup …) and
    says so; the same as ``--read-only`` on the command line. For a monitoring host or
    an account that must only look."""
    policy: Policy = field(default_factory=_default_policy)
    """``lvs.expected`` (real servers each virtual service should have, by
    ``"TCP 192.0.2.10:80"``) and ``drbd.states`` (the verdict of a DRBD state word,
    ``SyncTarget = "OK"``) go here, for the health rules."""
    probe_ping: bool = False
    """``probes.ping``: ping the ping nodes (and peers) from every node at every poll
    (the dashboard, ``hadeck status``); ``--probe`` does it for one run."""
    probe_hosts: tuple[str, ...] = ()
    """``probes.hosts``: hosts to ping besides the ``host_list`` of the CIB's ping
    resources."""
    probe_count: int = 3
    """``probes.count``: echoes per host (1 to 100), 0.2 s apart."""
    probe_timeout: float = 1.0
    """``probes.timeout``: seconds to wait for replies after the last echo (at most 60)."""
    probe_links: bool = True
    """``probes.links``: ping the other nodes' corosync link addresses too, to tell a link
    that is down from a peer that is."""
    snmp_defaults: SnmpAgent = field(default_factory=_default_snmp)
    """``[snmp]``: what every agent has unless its own table says otherwise."""
    snmp_agents: tuple[SnmpAgent, ...] = ()
    """``[snmp.agents.NAME]``: the SNMP agents hadeck polls itself, each with the
    ``[snmp]`` defaults under its own keys (see the module docstring)."""
    weights: WeightRule = field(default_factory=_default_weights)
    """``[weights]``: how ``hadeck weights`` turns load into LVS weights."""
    backup_repos: tuple[RepoSpec, ...] = ()
    """``[backups.repos.NAME]``: the rdiff-backup repositories to watch (``path``,
    ``node``, ``guest``); their policy is ``[backups]``, in :attr:`policy`."""
    path: str | None = None
    """The file this came from; None for the built-in defaults."""
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Where each value came from, by dotted key (``cluster.timeout``, or
    ``lvs.expected."TCP 192.0.2.10:80"``): ``FILE:LINE``, prefixed with ``--config`` or
    ``$HADECK_CONFIG`` when that named the file, or a command-line option. A key not here
    has its built-in default."""

    __lazy__ = ("policy", "snmp_defaults", "weights")
    """Fields whose default is built on first access: a check plugin never reads the last
    two and check_hadeck_cluster none, and building them imported
    :mod:`hadeck.health.policy`, :mod:`hadeck.weights` and :mod:`hadeck.snmp.agent` at
    every start (~1.8 M instructions; issue 15). :func:`hadeck.record.replace` keeps them
    unbuilt."""

    def __init__(self, peers: str = "ssh", extra_nodes: tuple[str, ...] = (),
                 directors: tuple[str, ...] = (), timeout: float = DEFAULT_TIMEOUT,
                 ssh_options: tuple[str, ...] = SSH_OPTIONS, ssh_sudo: tuple[str, ...] = (),
                 read_only: bool = False, policy: Policy = FACTORY, probe_ping: bool = False,
                 probe_hosts: tuple[str, ...] = (), probe_count: int = 3,
                 probe_timeout: float = 1.0, probe_links: bool = True,
                 snmp_defaults: SnmpAgent = FACTORY, snmp_agents: tuple[SnmpAgent, ...] = (),
                 weights: WeightRule = FACTORY, backup_repos: tuple[RepoSpec, ...] = (),
                 path: str | None = None, origins: Mapping[str, str] = FACTORY) -> None:
        object.__setattr__(self, "peers", peers)
        object.__setattr__(self, "extra_nodes", extra_nodes)
        object.__setattr__(self, "directors", directors)
        object.__setattr__(self, "timeout", timeout)
        object.__setattr__(self, "ssh_options", ssh_options)
        object.__setattr__(self, "ssh_sudo", ssh_sudo)
        object.__setattr__(self, "read_only", read_only)
        if policy is not FACTORY:  # else built on first access (__getattr__)
            object.__setattr__(self, "policy", policy)
        object.__setattr__(self, "probe_ping", probe_ping)
        object.__setattr__(self, "probe_hosts", probe_hosts)
        object.__setattr__(self, "probe_count", probe_count)
        object.__setattr__(self, "probe_timeout", probe_timeout)
        object.__setattr__(self, "probe_links", probe_links)
        if snmp_defaults is not FACTORY:
            object.__setattr__(self, "snmp_defaults", snmp_defaults)
        object.__setattr__(self, "snmp_agents", snmp_agents)
        if weights is not FACTORY:
            object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "backup_repos", backup_repos)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "origins", dict() if origins is FACTORY else origins)

    if not TYPE_CHECKING:  # mypy: no attribute of Config is made up

        def __getattr__(self, name: str) -> object:
            if name == "policy":
                value: object = _default_policy()
            elif name == "snmp_defaults":
                value = _default_snmp()
            elif name == "weights":
                value = _default_weights()
            else:
                raise AttributeError(
                    f"{self.__class__.__name__!r} object has no attribute {name!r}")
            object.__setattr__(self, name, value)
            return value

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("peers", "extra_nodes", "directors", "timeout", "ssh_options", "ssh_sudo",
                      "read_only", "policy", "probe_ping", "probe_hosts", "probe_count",
                      "probe_timeout", "probe_links", "snmp_defaults", "snmp_agents", "weights",
                      "backup_repos", "path", "origins")

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(peers={self.peers!r}, "
                f"extra_nodes={self.extra_nodes!r}, directors={self.directors!r}, "
                f"timeout={self.timeout!r}, ssh_options={self.ssh_options!r}, "
                f"ssh_sudo={self.ssh_sudo!r}, read_only={self.read_only!r}, "
                f"policy={self.policy!r}, probe_ping={self.probe_ping!r}, "
                f"probe_hosts={self.probe_hosts!r}, probe_count={self.probe_count!r}, "
                f"probe_timeout={self.probe_timeout!r}, probe_links={self.probe_links!r}, "
                f"snmp_defaults={self.snmp_defaults!r}, snmp_agents={self.snmp_agents!r}, "
                f"weights={self.weights!r}, backup_repos={self.backup_repos!r}, "
                f"path={self.path!r}, origins={self.origins!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.peers, self.extra_nodes, self.directors, self.timeout, self.ssh_options,
                 self.ssh_sudo, self.read_only, self.policy, self.probe_ping, self.probe_hosts,
                 self.probe_count, self.probe_timeout, self.probe_links, self.snmp_defaults,
                 self.snmp_agents, self.weights, self.backup_repos, self.path)
                == (other.peers, other.extra_nodes, other.directors, other.timeout,
                    other.ssh_options, other.ssh_sudo, other.read_only, other.policy,
                    other.probe_ping, other.probe_hosts, other.probe_count, other.probe_timeout,
                    other.probe_links, other.snmp_defaults, other.snmp_agents, other.weights,
                    other.backup_repos, other.path))

    def __hash__(self) -> int:
        return hash((self.peers, self.extra_nodes, self.directors, self.timeout, self.ssh_options,
                     self.ssh_sudo, self.read_only, self.policy, self.probe_ping, self.probe_hosts,
                     self.probe_count, self.probe_timeout, self.probe_links, self.snmp_defaults,
                     self.snmp_agents, self.weights, self.backup_repos, self.path))
    # End of generated code.


KEYS: Mapping[str, str] = {
    "cluster.peers": "peers",
    "cluster.extra_nodes": "extra_nodes",
    "cluster.directors": "directors",
    "cluster.timeout": "timeout",
    "ssh.options": "ssh_options",
    "ssh.sudo": "ssh_sudo",
    "probes.ping": "probe_ping",
    "probes.hosts": "probe_hosts",
    "probes.count": "probe_count",
    "probes.timeout": "probe_timeout",
    "probes.links": "probe_links",
    "actions.read_only": "read_only",
}
"""The plain keys, dotted, and the :class:`Config` field each one sets."""
FREE_TABLES = ("lvs.expected", "drbd.states", "snmp.agents", "backups.repos")
"""Tables whose keys are the site's own names (a virtual service, a DRBD state word, an
SNMP agent)."""
TABLES = ("cluster", "ssh", "lvs", "drbd", "probes", "snmp", "weights", "actions", "lvm",
          "backups")
SNMP_KEYS = ("version", "port", "community", "user", "auth_protocol", "auth_password",
             "priv_protocol", "priv_password", "timeout", "retries")
"""Keys of ``[snmp]`` (every agent's defaults) and of each ``[snmp.agents.NAME]``."""
AGENT_KEYS = (*SNMP_KEYS, "address", "role", "weight")
"""Keys only an agent's own table has, with the defaults'."""
WEIGHT_KEYS = ("base", "floor", "ceiling", "hysteresis", "full_load")
LVM_KEYS: Mapping[str, str] = {
    "thin_data_warning": "thin_data_warning_percent",
    "thin_data_critical": "thin_data_critical_percent",
    "thin_metadata_warning": "thin_metadata_warning_percent",
    "thin_metadata_critical": "thin_metadata_critical_percent",
    "vg_free_warning": "vg_free_warning_percent",
}
"""``[lvm]`` keys (percentages, 0 to 100) and the :class:`Policy` field each sets."""
BACKUP_KEYS: Mapping[str, str] = {
    "warning_hours": "backup_warning_hours",
    "critical_hours": "backup_critical_hours",
    "full_every_days": "backup_full_every_days",
}
"""``[backups]`` keys and the :class:`Policy` field each sets."""
REPO_KEYS = ("path", "node", "guest")
POLICY_KEYS = ("lvs.director_down", *(f"lvm.{k}" for k in LVM_KEYS),
               *(f"backups.{k}" for k in BACKUP_KEYS))
"""Plain keys read into the health :class:`~hadeck.health.Policy` (``Config.policy``)."""
DIRECTOR_DOWN = (Health.WARNING, Health.CRITICAL)
"""What ``lvs.director_down`` may say."""
NESTED_KEYS = (*(f"snmp.{k}" for k in SNMP_KEYS), *(f"weights.{k}" for k in WEIGHT_KEYS),
               *POLICY_KEYS)
"""Plain keys of [snmp], [weights] and the policy's, read into their own objects rather
than a field."""
MAX_SNMP_TIMEOUT = 60.0
MAX_SNMP_RETRIES = 10


def find(explicit: str | None = None) -> Path | None:
    """The configuration file to use, by precedence; None when there is none."""
    return _find(explicit)[0]


def _find(explicit: str | None) -> tuple[Path | None, str]:
    """The file to use and what named it (``--config``, ``$HADECK_CONFIG`` or "")."""
    env = os.environ.get("HADECK_CONFIG")
    named, by = (explicit, "--config") if explicit else (env, "$HADECK_CONFIG")
    if not named:
        by = ""
        named = next((found for candidate in SEARCH_PATH
                      if os.path.isfile(found := os.path.expanduser(candidate))), None)
    if not named:
        return None, ""
    from pathlib import Path

    return Path(named), by


def load(explicit: str | None = None) -> Config:
    """Load the configuration; the defaults when no file exists.

    Args:
        explicit: the file named on the command line (``--config``), if any.

    Returns:
        The configuration, with :attr:`Config.origins` saying where each value came from.

    Raises:
        ConfigError: an explicitly named file is missing, or any file is not valid TOML,
            has a key or table hadeck does not know, or a value of the wrong kind; the
            message names the file and, where it can be found, the line.
    """
    path, named_by = _find(explicit)
    if path is None:
        return Config()
    try:
        with path.open("rb") as handle:
            # Bounded: `--config /dev/zero` would otherwise read until memory runs out.
            raw = handle.read(MAX_FILE_BYTES + 1)
            mode = os.fstat(handle.fileno()).st_mode  # the file read, not a later one
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB: not a hadeck "
                          "configuration")
    import tomllib  # only when there is a file: with datetime, ~2 ms of a plugin's start

    try:
        text = raw.decode()
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _check_mode(path, mode, data)
    lines = key_lines(text)

    def where(key: tuple[str, ...]) -> str:
        for end in range(len(key), 0, -1):
            if key[:end] in lines:
                return f"{path}:{lines[key[:end]]}"
        return str(path)

    try:
        _check_keys(data)
        config = _from_data(data, str(path))
    except _Problem as problem:
        raise ConfigError(f"{where(problem.key)}: {problem}") from None
    prefix = f"{named_by} " if named_by else ""
    origins = {_dotted(key): prefix + where(key) for key in _leaves(data)}
    return replace(config, origins=origins)


def _check_mode(path: Path, mode: int, data: Mapping[str, object]) -> None:
    """Refuse a file holding SNMP secrets that others can read, or others can change."""
    snmp = data.get("snmp")
    if not isinstance(snmp, dict):
        return
    from hadeck.redact import is_secret

    agents = snmp.get("agents")
    tables = [snmp, *(t for t in agents.values() if isinstance(t, dict))] \
        if isinstance(agents, dict) else [snmp]
    if not any(is_secret(str(k)) and v for t in tables for k, v in t.items()):
        return
    if mode & 0o027:
        raise ConfigError(
            f"{path}: holds SNMP secrets but is "
            + ("readable by every user" if mode & 0o004 else "writable by others")
            + f" (mode {mode & 0o777:04o}): chmod 600 (or 640) {path}")


def override(config: Config, key: str, value: object, origin: str) -> Config:
    """``config`` with one plain key set from elsewhere (a command-line option).

    Args:
        config: the loaded configuration.
        key: a dotted key of :data:`KEYS` (``cluster.peers``).
        value: its new value, of the field's type.
        origin: what set it, for :func:`describe` (``command line (--local)``).
    """
    return replace(config, **{KEYS[key]: value},
                   origins={**config.origins, key: origin})


def describe(config: Config) -> list[tuple[str, object, str]]:
    """Every effective value and where it came from, for ``hadeck config``.

    Returns:
        ``(dotted key, value, origin)`` rows: the plain keys, then one row per entry of
        the free tables (or one row for the table itself when it is empty). Values are
        plain TOML-ready data (strings, numbers, lists, dicts).
    """
    origins = config.origins
    rows: list[tuple[str, object, str]] = []
    for key, name in KEYS.items():
        value = getattr(config, name)
        rows.append((key, list(value) if isinstance(value, tuple) else value,
                     origins.get(key, DEFAULT_ORIGIN)))
    rows.append(("lvs.director_down", config.policy.director_down.name,
                 origins.get("lvs.director_down", DEFAULT_ORIGIN)))
    for table, keys in (("lvm", LVM_KEYS), ("backups", BACKUP_KEYS)):
        for key, name in keys.items():
            rows.append((f"{table}.{key}", getattr(config.policy, name),
                         origins.get(f"{table}.{key}", DEFAULT_ORIGIN)))
    for spec in config.backup_repos:
        key = entry_key("backups.repos", spec.name)
        for field_name in REPO_KEYS:
            value = getattr(spec, field_name)
            if value:
                rows.append((f"{key}.{field_name}", value, origins.get(key, DEFAULT_ORIGIN)))
    for key, value in _weight_rows(config.weights):
        rows.append((key, value, origins.get(key, DEFAULT_ORIGIN)))
    for key, value in _snmp_rows(config, origins):
        rows.append((key, value, origins.get(key, DEFAULT_ORIGIN)))
    free: dict[str, Mapping[str, object]] = {
        "lvs.expected": config.policy.expected_real_servers,
        "drbd.states": {k: v.name for k, v in config.policy.drbd_states.items()},
    }
    for table, entries in free.items():
        if not entries:
            rows.append((table, {}, origins.get(table, DEFAULT_ORIGIN)))
        for name, value in entries.items():
            key = entry_key(table, name)
            rows.append((key, value, origins.get(key, DEFAULT_ORIGIN)))
    return rows


def _weight_rows(rule: WeightRule) -> list[tuple[str, object]]:
    return [(f"weights.{key}", getattr(rule, key)) for key in WEIGHT_KEYS]


def _snmp_rows(config: Config, origins: Mapping[str, str]) -> list[tuple[str, object]]:
    """The SNMP keys the file set (defaults and agents), secrets shown as ``***``."""
    from hadeck.redact import MASK, is_secret

    agents = {a.name: a for a in config.snmp_agents}
    rows: list[tuple[str, object]] = []
    for key in (k for k in origins if k.startswith("snmp.")):
        parts = _parts(key)
        if parts[1] == "agents" and len(parts) != 4:  # an empty [snmp.agents]
            rows.append((key, {}))
            continue
        holder: SnmpAgent | None = (config.snmp_defaults if len(parts) == 2
                                    else agents.get(parts[2]))
        value = getattr(holder, parts[-1], None) if holder is not None else None
        rows.append((key, MASK if is_secret(parts[-1]) and value else value))
    return rows


def entry_key(table: str, name: str) -> str:
    """The dotted key of one entry of a free table: ``lvs.expected."TCP 192.0.2.10:80"``."""
    return _dotted((*table.split("."), name))


class _Problem(ValueError):
    """What is wrong with one key of the file (its dotted path in ``key``)."""

    def __init__(self, key: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.key = key


def _check_keys(data: Mapping[str, object]) -> None:
    """Raise for the first key or table hadeck does not know, with the nearest valid one."""
    for top, value in data.items():
        if top not in TABLES:
            kind = "table" if isinstance(value, dict) else "key"
            raise _Problem((top,), _unknown(kind, top))
        if not isinstance(value, dict):
            raise _Problem((top,), f"[{top}] must be a table")
        for name, inner in value.items():
            dotted = f"{top}.{name}"
            if dotted in KEYS or dotted in FREE_TABLES or dotted in NESTED_KEYS:
                continue
            kind = "table" if isinstance(inner, dict) else "key"
            raise _Problem((top, name), _unknown(kind, dotted))


def _unknown(kind: str, dotted: str) -> str:
    import difflib  # only on this error path: a check plugin never pays for it

    known = [*KEYS, *FREE_TABLES, *NESTED_KEYS] if "." in dotted or kind == "key" \
        else list(TABLES)
    near = difflib.get_close_matches(dotted, known, n=1, cutoff=0.6)
    if not near:  # a bare key at the top, or a table's key under the wrong table
        last = {k.rsplit(".", 1)[-1]: k for k in known}
        found = difflib.get_close_matches(dotted.rsplit(".", 1)[-1], list(last), n=1)
        near = [last[found[0]]] if found else []
    shown = f"[{dotted}]" if kind == "table" else dotted
    if not near:
        return f"unknown {kind} {shown}"
    is_table = near[0] in TABLES or near[0] in FREE_TABLES
    hint = f"[{near[0]}]" if kind == "table" and is_table else near[0]
    return f"unknown {kind} {shown} (did you mean {hint}?)"


def _from_data(data: Mapping[str, object], path: str) -> Config:
    from hadeck.health import Policy

    cluster = _table(data, "cluster")
    ssh = _table(data, "ssh")
    lvs = _table(data, "lvs")
    drbd = _table(data, "drbd")
    peers = cluster.get("peers", "ssh")
    if peers not in ("ssh", "none"):
        raise _Problem(("cluster", "peers"),
                       f"cluster.peers must be 'ssh' or 'none', not {peers!r}")
    timeout = cluster.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise _Problem(("cluster", "timeout"),
                       f"cluster.timeout must be a positive number of seconds, not "
                       f"{timeout!r} (at most {MAX_TIMEOUT})")
    expected: dict[str, int] = {}
    for name, count in _table(lvs, "expected", "lvs").items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _Problem(("lvs", "expected", name),
                           f"lvs.expected.{_quoted(name)} must be a whole number, not {count!r}")
        expected[name] = count
    states: dict[str, Health] = {}
    for name, word in _table(drbd, "states", "drbd").items():
        try:
            states[name] = Health[str(word).upper()]
        except KeyError:
            raise _Problem(("drbd", "states", name),
                           f"drbd.states.{_quoted(name)} must be OK, WARNING, CRITICAL or "
                           f"UNKNOWN, not {word!r}") from None
    director_down = _director_down(lvs)
    ssh_options = tuple(_strings(ssh, "options", "ssh"))
    read_only = _table(data, "actions").get("read_only", False)
    if not isinstance(read_only, bool):
        raise _Problem(("actions", "read_only"),
                       f"actions.read_only must be true or false, not {read_only!r}")
    directors = tuple(_strings(cluster, "directors", "cluster"))
    probes = _table(data, "probes")
    backups = _table(data, "backups")
    limits: dict[str, Any] = {**_percents(_table(data, "lvm")), **_backup_policy(backups)}
    snmp = _table(data, "snmp")
    defaults = _snmp_settings(_default_snmp(), snmp, ("snmp",))
    agents = tuple(_snmp_agent(defaults, name, table)
                   for name, table in _table(snmp, "agents", "snmp").items())
    return Config(
        peers=str(peers),
        extra_nodes=tuple(_strings(cluster, "extra_nodes", "cluster")),
        directors=directors,
        timeout=float(timeout),
        ssh_options=ssh_options or SSH_OPTIONS,
        ssh_sudo=tuple(_strings(ssh, "sudo", "ssh")),
        read_only=read_only,
        policy=replace(Policy(drbd_states=states, expected_real_servers=expected,
                              directors=directors, director_down=director_down),
                       **limits),
        backup_repos=tuple(_repo(name, table)
                           for name, table in _table(backups, "repos", "backups").items()),
        probe_ping=_flag(probes, "ping", False),
        probe_hosts=tuple(_strings(probes, "hosts", "probes")),
        probe_count=int(_number(probes, "count", 3, 1, 100, whole=True)),
        probe_timeout=float(_number(probes, "timeout", 1.0, 0.001, 60)),
        probe_links=_flag(probes, "links", True),
        snmp_defaults=defaults,
        snmp_agents=agents,
        weights=_weights(_table(data, "weights")),
        path=path,
    )


def _limit(table: str, key: str, value: object, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not (math.isfinite(value) and 0 <= value <= high):
        raise _Problem((table, key), f"{table}.{key} must be a number from 0 to {high:g}, "
                                     f"not {value!r}")
    return float(value)


def _percents(lvm: Mapping[str, object]) -> dict[str, float]:
    """``[lvm]``: the thin pool and volume group thresholds, in percent."""
    from hadeck.health import Policy

    found = {LVM_KEYS[k]: _limit("lvm", k, v, 100) for k, v in lvm.items() if k in LVM_KEYS}
    defaults = Policy()
    for kind in ("data", "metadata"):
        warn = found.get(f"thin_{kind}_warning_percent",
                         getattr(defaults, f"thin_{kind}_warning_percent"))
        crit = found.get(f"thin_{kind}_critical_percent",
                         getattr(defaults, f"thin_{kind}_critical_percent"))
        if warn > crit:
            raise _Problem(("lvm", f"thin_{kind}_warning"),
                           f"lvm.thin_{kind}_warning ({warn:g}) is above "
                           f"lvm.thin_{kind}_critical ({crit:g})")
    return found


def _backup_policy(backups: Mapping[str, object]) -> dict[str, float]:
    """``[backups]``: the age thresholds (hours) and the full's period (days)."""
    from hadeck.health import Policy

    found = {BACKUP_KEYS[k]: _limit("backups", k, v, 24 * 3660)
             for k, v in backups.items() if k in BACKUP_KEYS}
    warn = found.get("backup_warning_hours", Policy().backup_warning_hours)
    crit = found.get("backup_critical_hours", Policy().backup_critical_hours)
    if warn > crit:
        raise _Problem(("backups", "warning_hours"),
                       f"backups.warning_hours ({warn:g}) is above backups.critical_hours "
                       f"({crit:g})")
    return found


def _repo(name: str, table: object) -> RepoSpec:
    from hadeck.sources.backup_spec import RepoSpec, valid_name

    where = ("backups", "repos", name)
    dotted = ".".join(_quoted(p) for p in where)
    if not valid_name(name):
        raise _Problem(where, f"[{dotted}]: a repository's name is letters, digits, '_', "
                              "'.' and '-' (it names its folder in a bundle)")
    if not isinstance(table, dict):
        raise _Problem(where, f"[{dotted}] must be a table")
    for key, value in table.items():
        if key not in REPO_KEYS:
            raise _Problem((*where, key), f"unknown key {dotted}.{_quoted(key)} (a "
                                          f"repository has {', '.join(REPO_KEYS)})")
        if not isinstance(value, str):
            raise _Problem((*where, key), f"{dotted}.{key} must be a string")
    path = table.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise _Problem((*where, "path"), f"{dotted}.path must be an absolute path")
    return RepoSpec(name=name, path=path, node=str(table.get("node", "")),
                    guest=table.get("guest") or None)


def _director_down(lvs: Mapping[str, object]) -> Health:
    """``lvs.director_down``: how bad a director down is while another is MASTER."""
    word = lvs.get("director_down", Health.WARNING.name)
    health = Health.__members__.get(word.upper()) if isinstance(word, str) else None
    if health is None or health not in DIRECTOR_DOWN:
        raise _Problem(("lvs", "director_down"),
                       f"lvs.director_down must be \"WARNING\" or \"CRITICAL\", not {word!r}")
    return health


def _flag(table: Mapping[str, object], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _Problem(("probes", key), f"probes.{key} must be true or false, not {value!r}")
    return value


def _number(table: Mapping[str, object], key: str, default: float, low: float, high: float,
            whole: bool = False) -> float:
    value = table.get(key, default)
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) \
            or not (math.isfinite(value) and low <= value <= high):
        kind = "a whole number" if whole else "a number"
        raise _Problem(("probes", key), f"probes.{key} must be {kind} from {low:g} to "
                                        f"{high:g}, not {value!r}")
    return float(value)
def _snmp_settings(base: SnmpAgent, table: Mapping[str, object],
                   where: tuple[str, ...]) -> SnmpAgent:
    """``base`` with the SNMP keys of one table ([snmp] or an agent's) applied, checked."""
    from hadeck.snmp.agent import AUTH_PROTOCOLS, PRIV_PROTOCOLS, VERSIONS
    changes: dict[str, object] = {}
    for key in SNMP_KEYS:
        if key not in table:
            continue
        value, at = table[key], (*where, key)
        name = ".".join(_quoted(p) for p in at)
        if key == "version":
            value = str(value)
            if value not in VERSIONS:
                raise _Problem(at, f"{name} must be \"2c\" or \"3\", not {table[key]!r}")
        elif key in ("port", "retries"):
            top = 65535 if key == "port" else MAX_SNMP_RETRIES
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not (key == "retries" or value > 0) or not 0 <= value <= top:
                raise _Problem(at, f"{name} must be a whole number from "
                                   f"{0 if key == 'retries' else 1} to {top}, not {value!r}")
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not (math.isfinite(value) and 0 < value <= MAX_SNMP_TIMEOUT):
                raise _Problem(at, f"{name} must be a positive number of seconds "
                                   f"(at most {MAX_SNMP_TIMEOUT:g}), not {value!r}")
            value = float(value)
        elif not isinstance(value, str):
            # Never echo the value: it may be a password typed without quotes.
            raise _Problem(at, f"{name} must be a string")
        elif key == "auth_protocol" and _protocol(value) not in AUTH_PROTOCOLS:
            raise _Problem(at, f"{name} must be one of {', '.join(AUTH_PROTOCOLS)}, "
                               f"not {value!r}")
        elif key == "priv_protocol" and value and _protocol(value) not in PRIV_PROTOCOLS:
            raise _Problem(at, f"{name} must be one of {', '.join(PRIV_PROTOCOLS)} or "
                               f"\"\", not {value!r}")
        if key in ("auth_protocol", "priv_protocol"):
            value = _protocol(str(value))
        changes[key] = value
    return replace(base, **changes)


def _protocol(value: str) -> str:
    """A protocol's name as hadeck keeps it, from any spelling net-snmp takes (``sha-256``,
    ``AES-256-C``, ``AES-128``: upper case, no hyphens; AES128 is AES)."""
    value = value.upper().replace("-", "")
    return "AES" if value == "AES128" else value


def _snmp_agent(defaults: SnmpAgent, name: str, table: object) -> SnmpAgent:
    from hadeck.snmp.agent import ROLES

    where = ("snmp", "agents", name)
    dotted = ".".join(_quoted(p) for p in where)
    if not isinstance(table, dict):
        raise _Problem(where, f"[{dotted}] must be a table")
    for key in table:
        if key not in AGENT_KEYS:
            import difflib

            near = difflib.get_close_matches(key, AGENT_KEYS, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise _Problem((*where, key), f"unknown key {dotted}.{_quoted(key)}{hint}")
    agent = _snmp_settings(replace(defaults, name=name, address=name), table, where)
    address, role, weight = table.get("address", name), table.get("role", agent.role), \
        table.get("weight")
    if not isinstance(address, str) or not address.strip():
        raise _Problem((*where, "address"), f"{dotted}.address must be a host or address")
    if role not in ROLES:
        raise _Problem((*where, "role"), f"{dotted}.role must be \"real-server\" or "
                                          f"\"node\", not {role!r}")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int)
                               or not 0 <= weight <= 65535):
        raise _Problem((*where, "weight"),
                       f"{dotted}.weight must be a whole number from 0 to 65535, not "
                       f"{weight!r}")
    agent = replace(agent, address=address.strip(), role=str(role), weight=weight)
    if agent.version == "2c" and not agent.community:
        raise _Problem(where, f"[{dotted}] is SNMPv2c and has no community "
                              "(set snmp.community or its own)")
    if agent.version == "3" and not agent.user:
        raise _Problem(where, f"[{dotted}] is SNMPv3 and has no user "
                              "(set snmp.user or its own)")
    if agent.priv_protocol and not (agent.auth_password and agent.priv_password):
        raise _Problem(where, f"[{dotted}] has a privacy protocol: it needs auth_password "
                              "and priv_password")
    return agent


def _weights(table: Mapping[str, object]) -> WeightRule:
    from hadeck.weights import WeightRule

    values: dict[str, object] = {}
    for key in WEIGHT_KEYS:
        if key not in table:
            continue
        value = table[key]
        at = ("weights", key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise _Problem(at, f"weights.{key} must be a number from 0, not {value!r}")
        if key == "base" and (not isinstance(value, int) or not 1 <= value <= 65535):
            raise _Problem(at, f"weights.base must be a whole number from 1 to 65535, not "
                               f"{value!r}")
        if key == "full_load" and value == 0:
            raise _Problem(at, "weights.full_load must be above 0")
        if key in ("floor", "ceiling", "hysteresis") and value > 100 and key != "ceiling":
            raise _Problem(at, f"weights.{key} is a percentage: at most 100, not {value!r}")
        values[key] = value if key == "base" else float(value)
    rule = WeightRule(**values)  # type: ignore[arg-type]
    if rule.floor > rule.ceiling:
        raise _Problem(("weights", "floor"),
                       f"weights.floor ({rule.floor:g}) is above weights.ceiling "
                       f"({rule.ceiling:g})")
    return rule


def _table(data: Mapping[str, object], key: str, parent: str = "") -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        dotted = f"{parent}.{key}" if parent else key
        raise _Problem((*parent.split(".")[:1], key) if parent else (key,),
                       f"[{dotted}] must be a table")
    return value


def _strings(data: Mapping[str, object], key: str, parent: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem((parent, key), f"{parent}.{key} must be a list of strings")
    return value


# ------------------------------------------------------------------ lines and keys

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = rf"^\s*\[\[?\s*({_DOTTED})\s*\]"
_KEY = rf"^\s*({_DOTTED})\s*="
_BARE = r"[A-Za-z0-9_-]+"
# Patterns, compiled by re (and cached there) when a configuration file is read: a check
# plugin without one does not compile them.


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line (from 1) where each table and key of a TOML text first appears.

    A scan, not a parser: table headers set the prefix of the keys below them, dotted keys
    count for each of their prefixes, and lines inside multi-line strings are skipped.
    Inline tables' keys are not found (their line is the table's).
    """
    lines: dict[tuple[str, ...], int] = {}
    prefix: tuple[str, ...] = ()
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        quotes = line.count('"""') + line.count("'''")
        if in_string:
            in_string = quotes % 2 == 0
            continue
        header = re.match(_HEADER, line)
        if header:
            prefix = _parts(header.group(1))
            lines.setdefault(prefix, number)
            continue
        key = re.match(_KEY, line)
        if key:
            parts = _parts(key.group(1))
            for end in range(1, len(parts) + 1):
                lines.setdefault((*prefix, *parts[:end]), number)
        in_string = quotes % 2 == 1
    return lines


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in re.findall(_PART, dotted))


def _quoted(name: str) -> str:
    return name if re.fullmatch(_BARE, name) else '"' + name.replace('"', '\\"') + '"'


def _dotted(parts: tuple[str, ...]) -> str:
    return ".".join(_quoted(p) for p in parts)


def _leaves(data: Mapping[str, object]) -> list[tuple[str, ...]]:
    """The keys the file set: plain keys, free tables' entries, and empty free tables."""
    found: list[tuple[str, ...]] = []
    for top, table in data.items():
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if f"{top}.{name}" == "snmp.agents" and isinstance(value, dict):
                found += [(top, name, agent, key) for agent, inner in value.items()
                          if isinstance(inner, dict) for key in inner] or [(top, name)]
            elif f"{top}.{name}" in FREE_TABLES and isinstance(value, dict):
                found += [(top, name, k) for k in value] or [(top, name)]
            else:
                found.append((top, name))
    return found
