"""LVS: virtual services on each director, and the directors' VRRP roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hadeck.health.verdict import CRITICAL, OK, UNKNOWN, WARNING, Kind, Subject, Verdict
from hadeck.model import Health, LvsDirector, SourceStatus, VirtualService

_VRRP = {"MASTER": OK, "BACKUP": OK, "INIT": WARNING, "STOP": WARNING, "FAULT": CRITICAL}


def service_subject(key: str, director: str | None = None) -> Subject:
    """``TCP 192.0.2.10:80@lvs1``: a virtual service on a director (``key`` alone when the
    director is not known)."""
    return Subject(Kind.SERVICE, key, director or None)


def vrrp_subject(instance: str, director: str | None = None) -> Subject:
    """``VRRP VI_1@lvs1``: an instance on one director; ``VRRP VI_1``: the pair's."""
    return Subject(Kind.VRRP, instance, director or None)


def judge_lvs(
    directors: Iterable[LvsDirector], expected: Mapping[str, int] | None = None
) -> list[Verdict]:
    expected = expected or {}
    directors = tuple(directors)
    out: list[Verdict] = []
    for director in directors:
        for svc in director.services:
            out.append(judge_service(svc, expected.get(svc.key)))
    out += _judge_vrrp(directors)
    return out


def judge_service(svc: VirtualService, expected: int | None = None) -> Verdict:
    """A virtual service: CRITICAL with no weighted real server, WARNING when short."""
    weighted = svc.weighted
    total = len(svc.real_servers)
    subject = service_subject(svc.key, svc.director)
    node = svc.director or None
    if svc.gone:
        return _judge_gone(svc, subject, expected)
    if not weighted:
        why = ("no real servers" if not total
               else f"all {total} real servers quiesced (weight 0)")
        return Verdict(CRITICAL, "lvs", subject, f"{why}: service is down", node)
    quiesced = total - len(weighted)
    if expected is not None and len(weighted) < expected:
        return Verdict(WARNING, "lvs", subject,
                       f"{len(weighted)} of {expected} real servers in service", node)
    if quiesced:
        return Verdict(WARNING, "lvs", subject,
                       f"{len(weighted)} of {total} real servers in service, "
                       f"{quiesced} quiesced (weight 0)", node)
    return Verdict(OK, "lvs", subject, f"{total} real servers in service", node)


def gone_reason(gone: Sequence[str]) -> str:
    """``real server 192.0.2.22:80 down (gone from the IPVS table)``."""
    servers = "real server" if len(gone) == 1 else "real servers"
    return f"{servers} {', '.join(gone)} down (gone from the IPVS table)"


def _judge_gone(svc: VirtualService, subject: Subject, expected: int | None) -> Verdict:
    """Real servers known to belong to the service are gone from its table: they are
    named, as down; CRITICAL when none is left in service."""
    weighted = len(svc.weighted)
    total = max(len(svc.real_servers) + len(svc.gone), expected or 0)
    reason = f"{gone_reason(svc.gone)}; {weighted} of {total} real servers in service"
    if not weighted:
        return Verdict(CRITICAL, "lvs", subject, f"{reason}: service is down",
                       svc.director or None)
    return Verdict(WARNING, "lvs", subject, reason, svc.director or None)


def _judge_vrrp(directors: tuple[LvsDirector, ...]) -> list[Verdict]:
    out: list[Verdict] = []
    by_name: dict[str, list[tuple[str, str]]] = {}
    for director in directors:
        for inst in director.vrrp:
            by_name.setdefault(inst.name, []).append((director.node, inst.state))
            health = _VRRP.get(inst.state, UNKNOWN)
            reason = inst.state if health != UNKNOWN else \
                f"VRRP state {inst.state!r} not known to hadeck"
            out.append(Verdict(health, "lvs", vrrp_subject(inst.name, director.node), reason,
                               director.node))
    for name, seen in by_name.items():
        masters = [node for node, state in seen if state == "MASTER"]
        if not masters:
            out.append(Verdict(CRITICAL, "lvs", vrrp_subject(name),
                               "no director is MASTER: the virtual IPs are down"))
        elif len(masters) > 1:
            out.append(Verdict(CRITICAL, "lvs", vrrp_subject(name),
                               f"{len(masters)} directors MASTER at once: "
                               f"{', '.join(masters)}"))
        else:
            out.append(Verdict(OK, "lvs", vrrp_subject(name), f"MASTER on {masters[0]}"))
    return out


def directors_down(directors: Iterable[str], sources: Iterable[SourceStatus]
                   ) -> dict[str, str]:
    """The configured directors that could not be reached this read, with the reason.

    collect() gives an unreachable node one ``node`` source error and nothing else.
    """
    wanted = set(directors)
    return {s.node: s.error for s in sources
            if s.source == "node" and s.error is not None and s.node in wanted}


def judge_directors_down(
    down: Mapping[str, str],
    seen: Iterable[LvsDirector],
    health: Health = WARNING,
) -> list[Verdict]:
    """A director that is down, judged by what the others do now.

    While another director is MASTER the virtual IPs are served and only the
    redundancy is lost: ``health`` (the policy's ``director_down``, WARNING by default).
    With no director MASTER, the virtual IPs are down: CRITICAL.

    Args:
        down: director → why it could not be reached (:func:`directors_down`).
        seen: the directors that were read.
        health: the verdict for a lost standby while a MASTER serves.
    """
    seen = tuple(d for d in seen if d.node not in down)
    masters = sorted({d.node for d in seen for i in d.vrrp if i.state == "MASTER"})
    standby = sorted({d.node for d in seen for i in d.vrrp if i.state == "BACKUP"}
                     - set(masters))
    out = []
    for node, why in sorted(down.items()):
        if not masters:
            verdict, now = CRITICAL, "no director is MASTER: the virtual IPs are down"
        else:
            verdict = health
            now = (f"{', '.join(masters)} {'is' if len(masters) == 1 else 'are'} MASTER; "
                   + (f"standby {', '.join(standby)}" if standby else "no standby director"))
        out.append(Verdict(verdict, "lvs", Subject(Kind.NODE, node),
                           f"director {node} down ({why}) — {now}", node))
    return out


def select_services(director: LvsDirector | None, wanted: Sequence[str] = ()
                    ) -> tuple[list[VirtualService], list[str]]:
    """The director's services named in ``wanted`` (all when empty), and the names in
    ``wanted`` that it does not have. Names compare case-blind (``tcp 192.0.2.10:80``)."""
    services = list(director.services) if director else []
    if not wanted:
        return services, []
    by_key = {s.key.lower(): s for s in services}
    return ([by_key[w.lower()] for w in wanted if w.lower() in by_key],
            [w for w in wanted if w.lower() not in by_key])


def judge_director(
    node: str,
    director: LvsDirector | None,
    *,
    wanted: Sequence[str] = (),
    expected: Mapping[str, int] | None = None,
    role: str | None = None,
    sources: Iterable[SourceStatus] = (),
) -> list[Verdict]:
    """One director on its own, as its check plugin judges it.

    Its services and VRRP instances by :func:`judge_lvs`'s rules, without the pair's
    verdicts ("no MASTER", "two MASTERs" need both directors).

    Args:
        node: the director.
        director: what was read of it (None: no IPVS table, no keepalived state).
        wanted: only these services (:func:`select_services`); one that is not in the
            IPVS table is CRITICAL. Without it, an empty table is a WARNING.
        expected: real servers each service should have, by key.
        role: ``MASTER`` or ``BACKUP``: an instance in the other role is a WARNING (a
            failover happened; the peer serves); None: either is fine.
        sources: what was read; a failed lvs or keepalived read already says why its
            part is missing (:func:`~hadeck.health.judge_sources`), so it is not
            judged again.
    """
    sources = tuple(sources)
    services, missing = select_services(director, wanted)
    vrrp = director.vrrp if director else ()
    local = LvsDirector(node=node, services=tuple(services), vrrp=vrrp)
    out = [v for v in judge_lvs([local], expected) if v.node is not None]
    for key in missing:
        out.append(Verdict(CRITICAL, "lvs", service_subject(key), "not in the IPVS table",
                           node))
    # collect() keeps the lvs status only for a director or an error: no error is a read.
    if not services and not missing and not _failed(sources, "lvs"):
        out.append(Verdict(WARNING, "lvs", Subject(Kind.NODE, node),
                           "no virtual services (IPVS not loaded, or its table is empty)",
                           node))
    if role is not None:
        out += _judge_role(local, role, _failed(sources, "keepalived"))
    return out


def _failed(sources: Iterable[SourceStatus], name: str) -> bool:
    return any(s.source == name and s.error for s in sources)


def _judge_role(director: LvsDirector, role: str, keepalived_failed: bool) -> list[Verdict]:
    node = director.node
    if not director.vrrp:
        if keepalived_failed:
            return []  # the keepalived source error already says why
        return [Verdict(UNKNOWN, "lvs", vrrp_subject("", node),
                        f"expected {role}, but keepalived's state is not available (no "
                        "dump file: see hadeck.sources.keepalived)", node)]
    out = []
    for inst in director.vrrp:
        if inst.state in ("MASTER", "BACKUP") and inst.state != role:
            out.append(Verdict(WARNING, "lvs", vrrp_subject(inst.name, node),
                               f"{inst.state}, expected {role}", node))
    return out
