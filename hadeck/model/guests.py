"""Virtual machines as the hypervisor lists them.

Part of :mod:`hadeck.model`, which re-exports every class here: import them from
there (``from hadeck.model import Guest``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guest:
    """A virtual machine or container on one node."""

    name: str
    node: str
    hypervisor: str
    """``kvm`` / ``qemu`` (libvirt), ``xen`` (xl), ``openvz`` (vzlist), ``lxc``."""
    state: str
    """As the tool prints it (virsh: ``running``, ``shut off``, ``paused`` …; xl flags are
    turned into the same words)."""
    id: str | None = None
    """Domain id or container id; None for inactive libvirt domains."""
    vcpus: int | None = None
    memory_kib: int | None = None
    cpu_time_s: float | None = None
    autostart: bool | None = None
    resource: str | None = None
    """The Pacemaker resource that manages this guest, once joined."""
    drbd: tuple[str, ...] = ()
    """DRBD resources the guest's resource depends on, once joined."""

    @property
    def running(self) -> bool:
        return self.state in ("running", "idle", "blocked")
