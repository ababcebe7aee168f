"""One SNMP agent to poll, as the configuration describes it (``[snmp.agents.NAME]``).

The secrets (a v2c community, v3 passwords) are fields like the others, but left out of
``repr()``: an agent written into a log line or an exception shows who and where, never
how it is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VERSIONS = ("2c", "3")
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")
ROLES = ("real-server", "node")


@dataclass(frozen=True)
class SnmpAgent:
    """Who to ask, where, and how."""

    name: str
    """The name in the configuration; for a real server, its address by default."""
    address: str
    """Host name or IPv4/IPv6 address of the agent."""
    port: int = 161
    version: str = "2c"
    """``2c`` or ``3``."""
    community: str = field(default="", repr=False)
    """SNMPv2c community (a password sent in clear text: prefer v3 with privacy)."""
    user: str = ""
    """SNMPv3 user name."""
    auth_protocol: str = "SHA"
    auth_password: str = field(default="", repr=False)
    priv_protocol: str = ""
    """``AES`` (AES-128), ``AES192``, ``AES256``, ``DES``, or empty for authNoPriv."""
    priv_password: str = field(default="", repr=False)
    timeout: float = 1.0
    """Seconds to wait for each answer."""
    retries: int = 1
    """Requests sent again after a timeout: a dead agent costs timeout × (retries + 1)."""
    role: str = "real-server"
    """``real-server`` (an LVS real server: load beside its row, weights) or ``node``
    (a node or director read by SNMP instead of ssh)."""
    weight: int | None = None
    """The weight this real server has when it is idle (``[weights] base`` when not
    set): the computed weight scales it by the free capacity."""

    @property
    def security(self) -> str:
        """``v2c``, or the v3 security level: ``authPriv``, ``authNoPriv``,
        ``noAuthNoPriv``."""
        if self.version == "2c":
            return "v2c"
        if not self.auth_password:
            return "noAuthNoPriv"
        return "authPriv" if self.priv_protocol else "authNoPriv"

    def secrets(self) -> frozenset[str]:
        """The values that must never be shown (for scrubbing free text)."""
        return frozenset(v for v in (self.community, self.auth_password, self.priv_password)
                         if v)
