"""Health rules: the one place where a state is judged.

:func:`judge` turns a whole :class:`~hadeck.model.ClusterState` into verdicts: one per
object (node, resource, DRBD connection and volume, guest, virtual service, link, array),
each OK / WARNING / CRITICAL / UNKNOWN with a reason a person can act on. The dashboard
colours what it says, the check plugins exit with it, and ``hadeck status`` returns it as
its exit code; none of them judges on its own.

Rules are grouped by area, one module per area (:mod:`~hadeck.health.pacemaker`, with
leftover ``cli-`` moves and bans, membership, colocations and orders,
:mod:`~hadeck.health.drbd`, :mod:`~hadeck.health.guests`, :mod:`~hadeck.health.lvs`,
:mod:`~hadeck.health.connectivity`, :mod:`~hadeck.health.host`; the reads themselves in
:mod:`~hadeck.health.verdict`), so that a check plugin can judge just its area (with
per-state overrides where the old Nagios plugins had them, and its options as
parameters) and still agree with the dashboard. :mod:`~hadeck.health.verdict` holds what
they return: a :class:`Verdict` about a typed :class:`Subject`, and the
:class:`Judgement` that indexes them.
"""

from __future__ import annotations

from functools import partial

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hadeck.health.causes import Problem, find_causes
    from hadeck.health.connectivity import (
        PING_AGENTS,
        judge_corosync,
        judge_corosync_on,
        judge_ping_probes,
        judge_pingd,
    )
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
    from hadeck.health.pacemaker import (
        in_transition,
        judge_cluster,
        judge_colocations,
        judge_constraints,
        judge_guest_disks,
        judge_membership,
        judge_node,
        judge_nodes,
        judge_orders,
        judge_resources,
        out_of_cluster,
    )
    from hadeck.health.policy import DEFAULT_POLICY, Policy
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
        KINDS,
        OK,
        UNKNOWN,
        WARNING,
        Judgement,
        Kind,
        Memo,
        Subject,
        Verdict,
        interned,
        judge_sources,
        nothing_to_judge,
        rank,
        worst,
    )
    from hadeck.model import ClusterState, PacemakerState

# Where each name lives. A check plugin judges one area: importing every area's rules
# (and the model classes they need) on every start cost it ~45 ms of a ~250 ms run
# (issue 15), so a name is imported from its module when it is first used.
_LAZY = {
    "Problem": "causes",
    "find_causes": "causes",
    "PING_AGENTS": "connectivity",
    "judge_corosync": "connectivity",
    "judge_corosync_on": "connectivity",
    "judge_ping_probes": "connectivity",
    "judge_pingd": "connectivity",
    "judge_constraints": "pacemaker",
    "drbd_subject": "drbd",
    "format_duration": "drbd",
    "judge_drbd": "drbd",
    "judge_drbd_on": "drbd",
    "judge_primaries": "drbd",
    "select_drbd": "drbd",
    "sync_text": "drbd",
    "GUEST_AGENTS": "guests",
    "guest_lists": "guests",
    "guest_subject": "guests",
    "guests_expected_on": "guests",
    "judge_guests": "guests",
    "judge_guests_on": "guests",
    "judge_hosts": "host",
    "directors_down": "lvs",
    "judge_director": "lvs",
    "judge_directors_down": "lvs",
    "judge_lvs": "lvs",
    "judge_service": "lvs",
    "select_services": "lvs",
    "service_subject": "lvs",
    "vrrp_subject": "lvs",
    "judge_membership": "pacemaker",
    "out_of_cluster": "pacemaker",
    "in_transition": "pacemaker",
    "judge_cluster": "pacemaker",
    "judge_node": "pacemaker",
    "judge_nodes": "pacemaker",
    "judge_resources": "pacemaker",
    "judge_colocations": "pacemaker",
    "judge_guest_disks": "pacemaker",
    "judge_orders": "pacemaker",
    "DEFAULT_POLICY": "policy",
    "Policy": "policy",
    "judge_sources": "verdict",
    "nothing_to_judge": "verdict",
    "backup_subject": "storage",
    "judge_backup": "storage",
    "judge_backups": "storage",
    "judge_lvm": "storage",
    "lvm_subject": "storage",
    "thin_use": "storage",
    "AREAS": "verdict",
    "CRITICAL": "verdict",
    "OK": "verdict",
    "UNKNOWN": "verdict",
    "WARNING": "verdict",
    "Judgement": "verdict",
    "KINDS": "verdict",
    "Kind": "verdict",
    "Memo": "verdict",
    "Subject": "verdict",
    "Verdict": "verdict",
    "interned": "verdict",
    "rank": "verdict",
    "worst": "verdict",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hadeck.health' has no attribute {name!r}")
    value = getattr(__import__(f"hadeck.health.{module}", fromlist=[name]), name)
    globals()[name] = value  # the next access does not come here
    return value

__all__ = [
    "AREAS",
    "CRITICAL",
    "DEFAULT_POLICY",
    "GUEST_AGENTS",
    "KINDS",
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
    "guests_key",
    "in_transition",
    "interned",
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
    "pacemaker_key",
    "rank",
    "select_drbd",
    "select_services",
    "service_subject",
    "sync_text",
    "thin_use",
    "vrrp_subject",
    "worst",
]


def judge(state: ClusterState, policy: Policy | None = None,
          memo: Memo | None = None) -> Judgement:
    """Judge a whole state: every area, every object.

    Args:
        state: what was read.
        policy: the site's thresholds and overrides (default :data:`DEFAULT_POLICY`).
        memo: verdicts of earlier judgements to reuse for unchanged objects.
    """
    from hadeck.health.causes import find_causes
    from hadeck.health.connectivity import judge_corosync, judge_ping_probes, judge_pingd
    from hadeck.health.drbd import judge_drbd, judge_primaries
    from hadeck.health.guests import guest_lists, judge_guests
    from hadeck.health.host import judge_hosts
    from hadeck.health.lvs import directors_down, judge_directors_down, judge_lvs
    from hadeck.health.pacemaker import (
        in_transition,
        judge_cluster,
        judge_colocations,
        judge_constraints,
        judge_guest_disks,
        judge_membership,
        judge_nodes,
        judge_orders,
        judge_resources,
    )
    from hadeck.health.policy import DEFAULT_POLICY
    from hadeck.health.verdict import Judgement, judge_sources

    if policy is None:
        policy = DEFAULT_POLICY
    verdicts: list[Verdict] = []
    down = directors_down(policy.directors, state.sources)
    verdicts += judge_sources(state.sources, explained=down)
    pcmk = state.pacemaker
    if pcmk is not None:
        def cluster() -> list[Verdict]:
            assert pcmk is not None
            return [*judge_cluster(pcmk), *judge_nodes(pcmk), *judge_resources(pcmk, memo)]

        def placement() -> list[Verdict]:
            assert pcmk is not None
            return [*judge_pingd(pcmk), *judge_colocations(pcmk),
                    *judge_orders(pcmk, in_transition(pcmk))]

        # Pure in the Pacemaker view: judged again only when it changed (not its time).
        key = pacemaker_key(pcmk)
        verdicts += cluster() if memo is None else memo.last("pacemaker", key, cluster)
        verdicts += judge_constraints(pcmk, state.taken_at)
        verdicts += placement() if memo is None else memo.last("placement", key, placement)
    verdicts += judge_drbd(state.drbd, policy.drbd_states, memo)
    verdicts += judge_primaries(state.drbd)
    guests_read, guest_tools = guest_lists(state.sources)

    def guests() -> list[Verdict]:
        return judge_guests(state.guests, state.pacemaker, guests_read,
                            policy.unmanaged_guests_ok, guest_tools)

    # Judged by value: a running guest is a new object every poll (its CPU time moves),
    # but its verdicts read only what the key holds (issue 15: ~9 ms a poll at 500 guests).
    verdicts += guests() if memo is None else memo.last(
        "guests", guests_key(state, guests_read, guest_tools,
                             policy.unmanaged_guests_ok), guests)
    verdicts += judge_guest_disks(state.guests, state.drbd)
    verdicts += judge_lvs(state.lvs, policy.expected_real_servers)
    verdicts += judge_directors_down(down, state.lvs, policy.director_down)
    verdicts += judge_corosync(state.corosync)
    verdicts += judge_ping_probes(state.pacemaker, state.pings, state.taken_at,
                                  state.corosync)
    verdicts += judge_membership(state)
    verdicts += judge_hosts(state.hosts, policy)
    if state.lvm or state.backups:  # a check of another area never loads these rules
        from hadeck.health.storage import judge_backups, judge_lvm

        for report in state.lvm:  # the same report while LVM prints the same
            verdicts += judge_lvm((report,), policy) if memo is None else memo.get(
                report, policy, partial(judge_lvm, (report,), policy))
        verdicts += judge_backups(state.backups, state.taken_at, policy)
    if memo is not None:
        memo.turn()
    return Judgement(tuple(verdicts), find_causes(state, verdicts))




def guests_key(state: ClusterState, read: frozenset[str],
               tools: Mapping[str, tuple[str, ...]], unmanaged_ok: bool) -> tuple[object, ...]:
    """What :func:`~hadeck.health.guests.judge_guests` reads: each guest's name, node,
    state and resource (not its CPU time, memory or id), Pacemaker's resources (the same
    object while crm_mon prints the same), the nodes read and their tools."""
    pcmk = state.pacemaker
    return (tuple([(g.name, g.node, g.state, g.resource) for g in state.guests]),
            None if pcmk is None else pcmk.resources, read, tuple(sorted(tools.items())),
            unmanaged_ok)


def pacemaker_key(pcmk: PacemakerState) -> tuple[object, ...]:
    """The Pacemaker view's parts, but for the time crm_mon printed it (no rule reads it):
    equal while crm_mon prints the same, compared part by part by identity."""
    import dataclasses

    return (dataclasses.replace(pcmk.cluster, last_update=None),
            *(getattr(pcmk, f.name) for f in dataclasses.fields(pcmk) if f.name != "cluster"))
