"""Hosts: MD RAID arrays, disks, memory and load."""

from __future__ import annotations

from collections.abc import Iterable

from hadeck.health.policy import DEFAULT_POLICY, Policy
from hadeck.health.verdict import CRITICAL, OK, WARNING, Kind, Subject, Verdict
from hadeck.model import (
    HostMetrics,
)


def judge_hosts(hosts: Iterable[HostMetrics], policy: Policy = DEFAULT_POLICY) -> list[Verdict]:
    out: list[Verdict] = []
    for host in hosts:
        out += _judge_host(host, policy)
    return out


def _judge_host(host: HostMetrics, policy: Policy) -> list[Verdict]:
    out: list[Verdict] = []
    node = host.node
    for md in host.md_arrays:
        subject = Subject(Kind.HOST, md.name, node)
        if not md.active:
            out.append(Verdict(CRITICAL, "host", subject, "array inactive", node))
        elif md.degraded and md.action in ("recovery", "resync"):
            out.append(Verdict(WARNING, "host", subject,
                               f"degraded [{md.status_map}], {md.action} "
                               f"{md.progress_percent or 0:.1f} %"
                               + (f", {md.finish_minutes:g} min left"
                                  if md.finish_minutes is not None else ""), node))
        elif md.degraded:
            faulty = [m.name for m in md.members if "F" in m.flags]
            out.append(Verdict(CRITICAL, "host", subject,
                               f"degraded [{md.status_map}]: "
                               f"{md.working_disks} of {md.raid_disks} disks working"
                               + (f", {', '.join(faulty)} faulty" if faulty else ""), node))
        elif md.action in ("resync", "recovery", "reshape"):
            out.append(Verdict(WARNING, "host", subject,
                               f"{md.action} {md.progress_percent or 0:.1f} %", node))
        elif md.pending:
            out.append(Verdict(WARNING, "host", subject, f"resync {md.pending}", node))
        else:
            action = f", {md.action} running" if md.action else ""
            out.append(Verdict(OK, "host", subject,
                               f"[{md.status_map}]{action}" if md.status_map
                               else f"active{action}",
                               node))
    for disk in host.disks:
        pct = disk.percent
        health = (CRITICAL if pct >= policy.disk_critical_percent
                  else WARNING if pct >= policy.disk_warning_percent else OK)
        if health != OK:
            out.append(Verdict(health, "host", Subject(Kind.HOST, disk.mountpoint, node),
                               f"{pct:.0f} % full", node))
    mem = host.memory_used_percent
    if mem is not None and mem >= policy.memory_warning_percent:
        out.append(Verdict(WARNING, "host", Subject(Kind.HOST, "memory", node),
                           f"{mem:.0f} % used", node))
    if host.load and host.cpu_count:
        per_cpu = host.load[1] / host.cpu_count
        if per_cpu >= policy.load_warning_per_cpu:
            out.append(Verdict(WARNING, "host", Subject(Kind.HOST, "load", node),
                               f"load {host.load[1]:.2f} on {host.cpu_count} CPUs", node))
    if not out:
        out.append(Verdict(OK, "host", Subject(Kind.HOST, node=node), "ok", node))
    return out
