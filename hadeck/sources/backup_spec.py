"""What the configuration names as a backup repository to watch (``[backups.repos.NAME]``).

Apart from :mod:`hadeck.sources.backups` (which re-exports it) so that reading the
configuration, or a bundle that recorded repositories, loads neither the backups source
nor its model: a check of another area never needs them (issue 15).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class RepoSpec:
    """A repository to watch (``[backups.repos.NAME]``)."""

    name: str
    """A short name (letters, digits, ``_.-``): also the bundle's folder for it."""
    path: str
    """The repository's directory on its node (the one holding ``rdiff-backup-data``)."""
    node: str = ""
    """The node that holds it; empty: the local node."""
    guest: str | None = None
    """The guest (or resource) it backs up, for the dashboard's guest lines."""


def valid_name(name: str) -> bool:
    return _SAFE_NAME.fullmatch(name) is not None and ".." not in name
