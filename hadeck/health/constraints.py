"""Leftover ``cli-`` constraints: moves and bans nobody cleared.

``crm_resource --move`` (``pcs resource move``, ``crm resource move``) leaves
``cli-prefer-<rsc>`` behind, pinning the resource to a node with INFINITY; ``--ban``
leaves ``cli-ban-<rsc>-on-<node>``, -INFINITY. Both stay until cleared: the next failover
then cannot use that node, or the resource cannot move back. Each one is a WARNING
about the resource, with the node, its lifetime (the ``--lifetime`` end date, or that it
has none), and the command that clears it, ``hadeck clear RESOURCE``. A lifetime that has
passed no longer applies (the scheduler ignores the rule), but the constraint stays in the
CIB until cleared: still a WARNING, saying so.

The CIB does not record when a constraint was made, so a one-shot read cannot give its
age; the dashboard's overview shows for how long it has seen each problem.
"""

from __future__ import annotations

from hadeck.health.verdict import WARNING, Kind, Subject, Verdict
from hadeck.model import LocationConstraint, PacemakerState


def judge_constraints(pcmk: PacemakerState, now: float | None = None) -> list[Verdict]:
    """A WARNING for every ``cli-prefer-*`` / ``cli-ban-*`` location constraint.

    Args:
        pcmk: Pacemaker's state, with the CIB's location constraints.
        now: when the state was read (seconds since the epoch), to tell an expired
            lifetime; None: never expired.
    """
    return [_verdict(loc, now) for loc in pcmk.locations if loc.from_cli]


def _verdict(loc: LocationConstraint, now: float | None) -> Verdict:
    rsc = loc.resource
    node = loc.node or "a node"
    if loc.is_ban:
        what = f"banned from {node} by {loc.id}"
    else:
        what = f"pinned to {node} by {loc.id}"
    if loc.role and loc.role not in ("Started", "Slave", "Unpromoted"):
        what += f" (role {loc.role})"
    end = None
    if loc.lifetime:
        from hadeck.dates import parse_date  # only a constraint with a lifetime reads one

        end = parse_date(loc.lifetime)
    if loc.lifetime is None:
        lifetime = " with no lifetime: it stays until cleared"
    elif end is not None and now is not None and end <= now:
        lifetime = f", expired {loc.lifetime}: no longer applies but is still in the CIB"
    else:
        lifetime = f" until {loc.lifetime}"
    return Verdict(WARNING, "resources", Subject(Kind.RESOURCE, rsc),
                   f"{what}{lifetime}; hadeck clear {rsc}", loc.node)
