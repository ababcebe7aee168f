"""What the operator asks for: one :class:`Request`, the same from every face.

A request is data, not a command: :func:`hadeck.actions.plan.plan` turns it into the argv
to run, and nothing runs before it has been previewed and pre-checked
(:mod:`hadeck.actions.perform`). The verbs keep Pacemaker's own vocabulary (crm / pcs).
"""

from __future__ import annotations

from dataclasses import dataclass

VERBS = ("move", "migrate", "ban", "clear", "standby", "online", "node-maintenance",
         "cluster-maintenance", "manage", "unmanage", "start", "stop", "cleanup")
"""Every verb hadeck can carry out, in the order the faces list them."""

ON_OFF = ("on", "off")


@dataclass(frozen=True)
class Request:
    """One action the operator asked for.

    Attributes:
        verb: one of :data:`VERBS`.
        target: what it acts on: a resource (move, migrate, ban, clear, manage,
            unmanage, start, stop, cleanup; ``""`` for a cleanup of every resource), a
            node (standby, online, node-maintenance) or ``"cluster"``
            (cluster-maintenance).
        node: the node it acts towards: where to move or migrate, what to ban from,
            which node's constraint to clear, where to clean up (None: every node).
        lifetime: an ISO 8601 duration for move and ban (``PT1H``): Pacemaker drops the
            constraint after it.
        keep: move only: keep the ``cli-prefer`` constraint after the move has settled
            (by default it is cleared, as ``pcs resource move`` does since 0.11).
        force: override the pre-checks that may be overridden; the journal records it.
        option: ``"on"`` or ``"off"`` for node-maintenance and cluster-maintenance.
        value: the verb's one argument where it has one that is none of the above (a
            real server's weight); DRBD and LVS verbs say what theirs is.
        method: ``lvs-add`` only: the forwarding method (``dr``, ``nat``, ``tun``).

    LVS verbs (``lvs-weight``, ``lvs-drain``, ``lvs-restore``, ``lvs-add``,
    ``lvs-remove``): ``target`` is the virtual service, ``option`` the real server,
    ``value`` the weight, ``node`` the director (None: the one that holds the service).
    """

    verb: str
    target: str
    node: str | None = None
    lifetime: str | None = None
    keep: bool = False
    force: bool = False
    option: str | None = None
    value: str | None = None
    method: str | None = None

    def describe(self) -> str:
        """The request in the command line's words (``move vm1 jupiter2``)."""
        if self.verb == "cluster-maintenance":
            return f"maintenance --cluster {self.option}"
        if self.verb == "node-maintenance":
            return f"maintenance {self.target} {self.option}"
        if self.verb.startswith("lvs-"):
            # hadeck lvs weight 192.0.2.80:80 192.0.2.22:80 3 --director lvs1
            words = ["lvs", self.verb[4:], self.target, self.option or "?"]
            words += [self.value] if self.value else []
            words += ["--method", self.method] if self.method else []
            words += ["--director", self.node] if self.node else []
            return " ".join(words + (["--force"] if self.force else []))
        if self.verb.startswith(("drbd-", "lvs-")):
            # hadeck drbd connect r1 --node jupiter2; hadeck lvs weight SERVICE RS 3
            words = [*self.verb.split("-", 1), self.target]
            if self.verb == "drbd-resolve":
                words += ["--victim", self.node] if self.node else []
            else:
                words += ["--node", self.node] if self.node else []
            words += ["--peer", self.option] if self.option and self.verb.startswith(
                "drbd-") else []
            words += [self.value] if self.value else []
            return " ".join(words + (["--force"] if self.force else []))
        words = [self.verb, self.target or "(all resources)"]
        if self.node and self.verb == "cleanup":
            words += ["--node", self.node]
        elif self.node:
            words.append(self.node)
        if self.lifetime:
            words += ["--lifetime", self.lifetime]
        if self.keep:
            words.append("--keep")
        if self.force:
            words.append("--force")
        return " ".join(words)

    def as_dict(self) -> dict[str, object]:
        """The request as JSON data (the journal, ``--json``)."""
        return {"verb": self.verb, "target": self.target, "node": self.node,
                "lifetime": self.lifetime, "keep": self.keep, "force": self.force,
                "option": self.option, "value": self.value,
                **({"method": self.method} if self.method else {})}
