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
    # -- LVM and backups (issue #16): ``[lvm]`` and ``[backups]`` in the configuration
    thin_data_warning_percent: float = 80.0
    """A thin pool's data use from which it is WARNING (``lvm.thin_data_warning``)."""
    thin_data_critical_percent: float = 90.0
    """… CRITICAL: a full pool stops every write of every thin volume in it, the DRBD
    devices on them included (``lvm.thin_data_critical``)."""
    thin_metadata_warning_percent: float = 80.0
    """A thin pool's metadata use from which it is WARNING (``lvm.thin_metadata_warning``)."""
    thin_metadata_critical_percent: float = 90.0
    """… CRITICAL: full metadata can corrupt the pool (``lvm.thin_metadata_critical``)."""
    vg_free_warning_percent: float = 0.0
    """Free space of a volume group below which it is WARNING; 0 (the default) judges no
    volume group by its free space: DRBD under LVM often fills its groups on purpose
    (``lvm.vg_free_warning``)."""
    backup_warning_hours: float = 26.0
    """A backup older than this is WARNING: nightly runs, with two hours of slack
    (``backups.warning_hours``)."""
    backup_critical_hours: float = 50.0
    """… CRITICAL: two nights missed (``backups.critical_hours``)."""
    backup_full_every_days: float = 14.0
    """The seeds' schedule: a new full every fortnight, nightly increments after it.
    rdiff-backup keeps the full as the repository's oldest session: a chain reaching back
    further than this (plus a day) is WARNING, and so is a night missed inside it
    (``backups.full_every_days``; 0: not judged)."""


DEFAULT_POLICY = Policy()
