"""The weight a real server had before its last drain, as the journal remembers it.

A drain's journal line keeps ``remember.weight_before`` (:mod:`hadeck.actions.lvs_plan`)
with the service and the real server; ``hadeck lvs restore`` puts that weight back, on
whichever director holds the service now (after a VRRP failover, the new MASTER). Only a
drain whose ``ipvsadm`` ran counts: a refused or failed one changed nothing.
"""

from __future__ import annotations

from typing import Any

from hadeck.actions import journal


def weight_before_drain(service: str, real_server: str,
                        entries: list[dict[str, Any]] | None = None
                        ) -> tuple[int, str] | None:
    """(weight, time of the drain) of the latest drain of ``real_server`` in
    ``service`` (keys as ipvsadm names them: ``TCP 192.0.2.80:80``, ``192.0.2.22:80``);
    None when the journal has none."""
    for entry in reversed(journal.read() if entries is None else entries):
        request = entry.get("request")
        memo = entry.get("remember")
        if not isinstance(request, dict) or not isinstance(memo, dict):
            continue
        if request.get("verb") != "lvs-drain" or memo.get("service") != service \
                or memo.get("real_server") != real_server:
            continue
        commands = entry.get("commands")
        ran = isinstance(commands, list) and bool(commands) and isinstance(commands[0], dict) \
            and commands[0].get("exit_code") == 0
        before = str(memo.get("weight_before", ""))
        if ran and before.isdigit() and int(before) > 0:
            return int(before), str(entry.get("time", "?"))
    return None
