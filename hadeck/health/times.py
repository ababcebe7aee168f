"""The cluster's own times: when a problem began, as Pacemaker recorded it.

hadeck only knows when it first saw a problem; an operator needs when it began. Where the
cluster records it (``last-rc-change`` of a failed operation, a fail count's
``last-failure``) a verdict carries it as :attr:`~hadeck.health.verdict.Verdict.since`,
and the faces show "since" from it; elsewhere they say "seen since" (at least that long).
"""

from __future__ import annotations

import time


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
