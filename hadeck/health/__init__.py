"""Health rules: the one place where a state is judged.

:func:`judge` turns a whole :class:`~hadeck.model.ClusterState` into verdicts: one per
object (node, resource, DRBD connection and volume, guest, virtual service, link, array),
each OK / WARNING / CRITICAL / UNKNOWN with a reason a person can act on. The dashboard
colours what it says, the check plugins exit with it, and ``hadeck status`` returns it as
its exit code; none of them judges on its own.

Rules are grouped by area, one module per area (:mod:`~hadeck.health.pacemaker`,
:mod:`~hadeck.health.constraints` (leftover ``cli-`` moves and bans),
:mod:`~hadeck.health.drbd`, :mod:`~hadeck.health.guests`, :mod:`~hadeck.health.lvs`,
:mod:`~hadeck.health.connectivity`, :mod:`~hadeck.health.host`,
:mod:`~hadeck.health.sources`), so that a check plugin can judge just its area (with
per-state overrides where the old Nagios plugins had them, and its options as
parameters) and still agree with the dashboard. :mod:`~hadeck.health.verdict` holds what
they return: a :class:`Verdict` about a typed :class:`Subject`, and the
:class:`Judgement` that indexes them.
"""

from __future__ import annotations

from hadeck.health.causes import Problem, find_causes
from hadeck.health.connectivity import (
    PING_AGENTS,
    judge_corosync,
    judge_corosync_on,
    judge_ping_probes,
    judge_pingd,
)
from hadeck.health.constraints import judge_constraints
from hadeck.health.drbd import (
    drbd_subject,
    format_duration,
    judge_drbd,
    judge_drbd_on,
    judge_primaries,
    select_drbd,
    sync_text,
)
from hadeck.health.guests import (
    GUEST_AGENTS,
    guest_lists,
    guest_subject,
    guests_expected_on,
    judge_guests,
    judge_guests_on,
)
from hadeck.health.host import judge_hosts
from hadeck.health.lvs import (
    directors_down,
    judge_director,
    judge_directors_down,
    judge_lvs,
    judge_service,
    select_services,
    service_subject,
    vrrp_subject,
)
from hadeck.health.membership import judge_membership, out_of_cluster
from hadeck.health.pacemaker import (
    in_transition,
    judge_cluster,
    judge_node,
    judge_nodes,
    judge_resources,
)
from hadeck.health.placement import judge_colocations, judge_guest_disks, judge_orders
from hadeck.health.policy import DEFAULT_POLICY, Policy
from hadeck.health.sources import judge_sources, nothing_to_judge
from hadeck.health.storage import (
    backup_subject,
    judge_backup,
    judge_backups,
    judge_lvm,
    lvm_subject,
    thin_use,
)
from hadeck.health.verdict import (
    AREAS,
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Judgement,
    Kind,
    Memo,
    Subject,
    Verdict,
    rank,
    worst,
)
from hadeck.model import ClusterState

__all__ = [
    "AREAS",
    "CRITICAL",
    "DEFAULT_POLICY",
    "GUEST_AGENTS",
    "OK",
    "PING_AGENTS",
    "UNKNOWN",
    "WARNING",
    "Judgement",
    "Kind",
    "Memo",
    "Policy",
    "Problem",
    "Subject",
    "Verdict",
    "backup_subject",
    "directors_down",
    "drbd_subject",
    "find_causes",
    "format_duration",
    "guest_lists",
    "guest_subject",
    "guests_expected_on",
    "in_transition",
    "judge",
    "judge_backup",
    "judge_backups",
    "judge_cluster",
    "judge_colocations",
    "judge_constraints",
    "judge_corosync",
    "judge_corosync_on",
    "judge_director",
    "judge_directors_down",
    "judge_drbd",
    "judge_drbd_on",
    "judge_guest_disks",
    "judge_guests",
    "judge_guests_on",
    "judge_hosts",
    "judge_lvm",
    "judge_lvs",
    "judge_membership",
    "judge_node",
    "judge_nodes",
    "judge_orders",
    "judge_ping_probes",
    "judge_pingd",
    "judge_primaries",
    "judge_resources",
    "judge_service",
    "judge_sources",
    "lvm_subject",
    "nothing_to_judge",
    "out_of_cluster",
    "rank",
    "select_drbd",
    "select_services",
    "service_subject",
    "sync_text",
    "thin_use",
    "vrrp_subject",
    "worst",
]


def judge(state: ClusterState, policy: Policy = DEFAULT_POLICY,
          memo: Memo | None = None) -> Judgement:
    """Judge a whole state: every area, every object.

    Args:
        state: what was read.
        policy: the site's thresholds and overrides.
        memo: verdicts of earlier judgements to reuse for unchanged objects.
    """
    verdicts: list[Verdict] = []
    down = directors_down(policy.directors, state.sources)
    verdicts += judge_sources(state.sources, explained=down)
    if state.pacemaker is not None:
        verdicts += judge_cluster(state.pacemaker)
        verdicts += judge_nodes(state.pacemaker)
        verdicts += judge_resources(state.pacemaker, memo)
        verdicts += judge_constraints(state.pacemaker, state.taken_at)
        verdicts += judge_pingd(state.pacemaker)
        verdicts += judge_colocations(state.pacemaker)
        verdicts += judge_orders(state.pacemaker, in_transition(state.pacemaker))
    verdicts += judge_drbd(state.drbd, policy.drbd_states, memo)
    verdicts += judge_primaries(state.drbd)
    guests_read, guest_tools = guest_lists(state.sources)
    verdicts += judge_guests(state.guests, state.pacemaker, guests_read,
                             policy.unmanaged_guests_ok, guest_tools)
    verdicts += judge_guest_disks(state.guests, state.drbd)
    verdicts += judge_lvs(state.lvs, policy.expected_real_servers)
    verdicts += judge_directors_down(down, state.lvs, policy.director_down)
    verdicts += judge_corosync(state.corosync)
    verdicts += judge_ping_probes(state.pacemaker, state.pings, state.taken_at,
                                  state.corosync)
    verdicts += judge_membership(state)
    verdicts += judge_hosts(state.hosts, policy)
    verdicts += judge_lvm(state.lvm, policy)
    verdicts += judge_backups(state.backups, state.taken_at, policy)
    if memo is not None:
        memo.turn()
    return Judgement(tuple(verdicts), find_causes(state, verdicts))


