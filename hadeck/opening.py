"""Open a cluster: the one way every face gets an access and its configuration.

A face names where the state comes from — a snapshot bundle, the simulated lab, or the
live cluster — and :func:`open_cluster` returns the :class:`~hadeck.collect.Access` to
read it with and the :class:`~hadeck.config.Config` to judge it by. The command line,
the dashboard and the check plugins all call it, so they read the same cluster with the
same rules: the lab's configured real-server counts (its keepalived knows how many real
servers each service should have) reach every face, not only ``hadeck status``.

Every reason it cannot open (a bad configuration, an unreadable bundle, a lab that is
missing or broken) is one :class:`OpenError` whose message says what and why.

Import cost matters (a check plugin imports this): the bundle, the lab and even the
configuration are imported inside :func:`open_cluster`, when used.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hadeck.collect import Access
    from hadeck.config import Config

class OpenError(Exception):
    """The cluster cannot be opened; the message says what and why, on one line."""


@dataclass(frozen=True)
class Opened:
    """An opened cluster.

    Attributes:
        access: how to reach its nodes (:class:`~hadeck.collect.LiveAccess`,
            :class:`~hadeck.snapshot.BundleAccess` or :class:`~hadeck.lab.runner.LabAccess`;
            its ``origin`` says which).
        config: the configuration to read and judge it with, including what the source
            itself knows (the lab's expected real servers).
    """

    access: Access
    config: Config

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        # Every face closes what it opened when it is done, not at interpreter exit:
        # a peer's ssh master (and its session on the peer) ends with the command.
        self.access.close()


def open_cluster(
    config_file: str | None = None,
    *,
    bundle: str | None = None,
    lab: str | None = None,
    local: bool = False,
    node: str | None = None,
    create_lab: bool = True,
) -> Opened:
    """Open the cluster the options name, with its configuration.

    Args:
        config_file: the configuration file (None: ``$HADECK_CONFIG``, then the usual
            places; see :func:`hadeck.config.load`).
        bundle: replay this bundle (FILE.tar.gz or a directory).
        lab: read the simulated lab in this directory; ``""`` for the default one
            (:func:`hadeck.lab.world.lab_directory`). None (and no bundle): the live cluster.
        local: read this node only (peers ``none``: no ssh to the other nodes).
        node: the node the lab or the live cluster is seen from (default: the lab's
            first node that is up; this machine's hostname). A bundle is seen from the
            host that recorded it.
        create_lab: create a lab that does not exist yet (the command line does; a check
            plugin reports it missing instead).

    Returns:
        The access and its configuration.

    Raises:
        OpenError: the configuration, the bundle or the lab cannot be used.
    """
    from hadeck.config import ConfigError, load, override

    try:
        config = load(config_file)
    except ConfigError as exc:
        raise OpenError(f"configuration: {exc}") from None
    if local:
        config = override(config, "cluster.peers", "none", "command line (--local)")
    if bundle:
        from hadeck.snapshot import BundleAccess, BundleError

        try:
            access = BundleAccess(bundle)
        except BundleError as exc:
            raise OpenError(f"cannot read bundle: {exc}") from None
        if not config.backup_repos:
            # The repositories it recorded, as the recording configuration named them.
            config = dataclasses.replace(config, backup_repos=access.bundle.backup_repos())
        return Opened(access, config)
    if lab is not None:
        return _open_lab(lab, config, node, create_lab)
    from hadeck.collect import LiveAccess
    from hadeck.runner import LocalRunner

    return Opened(LiveAccess(config, local=LocalRunner(node=node, timeout=config.timeout)),
                  config)


def _open_lab(named: str, config: Config, node: str | None, create: bool) -> Opened:
    from hadeck.config import entry_key
    from hadeck.lab.cli import DAMAGE, damaged, open_lab
    from hadeck.lab.errors import LabError
    from hadeck.lab.runner import LabAccess
    from hadeck.lab.world import expected_real_servers, lab_directory

    directory = lab_directory(named)

    try:
        lab = open_lab(directory, create=create)
        world = lab.read()
        if node is not None and node not in world.all_nodes():
            raise OpenError(f"cannot open the lab: no node {node!r} in {directory}; its "
                            f"nodes are {', '.join(world.all_nodes())}")
        access = LabAccess(lab, node, timeout=config.timeout)
    except LabError as exc:
        raise OpenError(f"cannot open the lab: {exc}") from None
    except DAMAGE as exc:
        raise OpenError(f"cannot open the lab: {damaged(directory, exc)}") from None
    # The lab knows how its keepalived is configured: a killed real server is then
    # "2 of 3 in service", as the health rules say for a configured count. The site's
    # own [lvs.expected] wins where both name a service.
    from_lab = expected_real_servers(world.topology)
    expected = {**from_lab, **config.policy.expected_real_servers}
    # Its directors too: one that is down is then "director lvs1 down", not an unknown.
    directors = tuple(dict.fromkeys([*config.policy.directors, *world.topology.directors]))
    policy = dataclasses.replace(config.policy, expected_real_servers=expected,
                                 directors=directors)
    # Its real servers answer SNMP (hadeck/lab/snmp.py): their load beside their LVS
    # rows and in hadeck weights, unless the site's configuration names its own agents.
    from hadeck.lab.snmp import lab_agents

    agents = config.snmp_agents or lab_agents(world.topology)
    origins = {**{entry_key("lvs.expected", service): f"the lab's keepalived ({directory})"
                  for service in from_lab},
               **config.origins}
    # Its backup host's repositories, unless the site configured its own.
    from hadeck.lab.storage import backup_repos

    repos = config.backup_repos or backup_repos(world.topology)
    if not config.backup_repos:
        origins = {**origins, **{entry_key("backups.repos", r.name): "the lab's backup host"
                                 for r in repos}}
    return Opened(access, dataclasses.replace(config, policy=policy, origins=origins,
                                              snmp_agents=agents, backup_repos=repos))
