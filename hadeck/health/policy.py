"""The site settings the health rules need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hadeck.model import Health


@dataclass(frozen=True)
class Policy:
    """Site settings the rules need. The defaults suit the clusters hadeck was made for.

    Nagios thresholds stay in the check's command line; these are what the dashboard and
    ``hadeck status`` use.
    """

    drbd_states: Mapping[str, Health] = field(default_factory=dict)
    """Overrides by DRBD state word (connection, replication, disk or role), as the old
    check_drbd had: e.g. ``{"SyncTarget": Health.OK}``."""
    expected_real_servers: Mapping[str, int] = field(default_factory=dict)
    """Real servers each virtual service should have, by key (``TCP 192.0.2.10:80``)."""
    disk_warning_percent: float = 90.0
    disk_critical_percent: float = 95.0
    memory_warning_percent: float = 95.0
    load_warning_per_cpu: float = 4.0
    unmanaged_guests_ok: bool = False
    """Whether guests running outside cluster control are fine (WARNING otherwise)."""
    directors: tuple[str, ...] = ()
    """The LVS directors that should be up (``cluster.directors``; the lab's own): a
    director that cannot be reached is judged as a director down, in the lvs area."""
    director_down: Health = Health.WARNING
    """A director down while another is MASTER: the service runs, its redundancy is lost.
    With no director MASTER it is CRITICAL whatever this says."""


DEFAULT_POLICY = Policy()
