"""Pacemaker's dates and times as seconds since the epoch.

:func:`parse_date` reads its ISO 8601 dates (a constraint's lifetime, a rule's date) with
str methods and no calendar or datetime; :func:`cluster_time` reads the times crm_mon
prints (when a failure began), which the verdicts carry as ``since``.

Its own module so that a check plugin reads a constraint's lifetime
(:func:`hadeck.health.pacemaker.judge_constraints`) without loading :mod:`hadeck.placement` (~1 M
instructions of check_hadeck_cluster's start; issue 15); :mod:`hadeck.placement.rules`
re-exports its names.

The cluster's own times: hadeck only knows when it first saw a problem; an operator needs
when it began. Where the cluster records it (``last-rc-change`` of a failed operation, a
fail count's ``last-failure``) a verdict carries it as
:attr:`~hadeck.health.verdict.Verdict.since`, and the faces show "since" from it;
elsewhere they say "seen since" (at least that long).
"""

from __future__ import annotations

import time


def parse_date(text: str) -> float | None:
    """A Pacemaker (ISO 8601) date as seconds since the epoch; None if it is not one.

    ``2026-12-02 09:18:33Z`` (what crm_resource writes for a lifetime),
    ``2026-12-02 10:20:00 +01:00``, ``2026-12-02T09:18:33Z``, ``2026-12-02``. A date
    without a zone is read as UTC.
    """
    found = _date_fields(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, zone = found
    try:
        seconds = timegm(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(seconds)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _date_fields(text: str) -> tuple[str, str, str, str, str, str, str] | None:
    """Year, month, day, hour, minute, second and zone of a date, read with str methods
    (a pattern costs more to compile than a run's dates to read; issue 15) exactly as
    ``YYYY-MM-DD([ T]HH:MM(:SS)?(.fraction)?)? *(Z|[+-]HH:?MM)?`` (ASCII digits; any
    blank before the zone); None if the text is not that."""
    if (len(text) < 10 or text[4] != "-" or text[7] != "-" or not _ascii_digits(text[:4])
            or not _ascii_digits(text[5:7]) or not _ascii_digits(text[8:10])):
        return None
    hour = minute = second = "0"
    rest = text[10:]
    if (rest[:1] in (" ", "T") and len(rest) >= 6 and rest[3] == ":"
            and _ascii_digits(rest[1:3]) and _ascii_digits(rest[4:6])):
        hour, minute, rest = rest[1:3], rest[4:6], rest[6:]
        if len(rest) >= 3 and rest[0] == ":" and _ascii_digits(rest[1:3]):
            second, rest = rest[1:3], rest[3:]
        if len(rest) >= 2 and rest[0] == "." and "0" <= rest[1] <= "9":
            end = 2
            while end < len(rest) and "0" <= rest[end] <= "9":
                end += 1
            rest = rest[end:]
    zone = rest.lstrip()
    if zone and zone != "Z" and not (
            zone[0] in "+-" and (
                (len(zone) == 5 and _ascii_digits(zone[1:]))
                or (len(zone) == 6 and zone[3] == ":" and _ascii_digits(zone[1:3])
                    and _ascii_digits(zone[4:])))):
        return None
    return text[:4], text[5:7], text[8:10], hour, minute, second, zone


def timegm(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
           second: int = 0) -> int:
    """``calendar.timegm`` of these fields, without importing calendar and datetime (~4 M
    instructions, ~2 % of check_hadeck_cluster's run; issue 15): the same errors (a year
    outside 1-9999, a month outside 1-12) and the same arithmetic (a day, hour, minute or
    second past its range carries over). Days from 1970-01-01 by Howard Hinnant's
    ``days_from_civil``, exact over the proleptic Gregorian calendar.

    Raises:
        ValueError: the year or the month is out of range.
    """
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    if not 1 <= month <= 12:
        raise ValueError("month must be in 1..12")
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468 + day - 1
    return ((days * 24 + hour) * 60 + minute) * 60 + second


def cluster_time(text: str | None) -> float | None:
    """Epoch seconds of a time as crm_mon prints it; None when it is not one.

    crm_mon writes ``2026-11-22 02:39:59Z`` (UTC; ``<failures>``, 2.1+) and
    ``Sun Nov 22 02:39:59 2026`` (ctime, in the local time of the node that ran it:
    ``last-failure``, operation history, 1.1's failures).
    """
    if not text:
        return None
    text = text.strip()
    try:
        if text.endswith("Z"):
            import datetime as dt  # here: most runs have no failure with a time (issue 15)

            parsed = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%SZ")
            return parsed.replace(tzinfo=dt.UTC).timestamp()
        return time.mktime(time.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y"))
    except (ValueError, OverflowError):
        return None
