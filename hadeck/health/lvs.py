"""LVS: virtual services on each director, and the directors' VRRP roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hadeck.health.verdict import CRITICAL, OK, UNKNOWN, WARNING, Kind, Subject, Verdict
from hadeck.model import (
    LvsDirector,
    VirtualService,
)

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
