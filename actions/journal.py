"""The journal: one JSON line per executed action, for the audit.

Where: ``$HADECK_JOURNAL`` if set (tests, a site's own place); as root
``/var/log/hadeck/actions.jsonl``; otherwise ``~/.local/state/hadeck/actions.jsonl``.
The file is written as every file hadeck writes (:mod:`hadeck.outfile`): mode 0600, its
directory 0700 when hadeck creates it, never through a symlink. Each line goes through
the one secrets policy before it is written: :func:`hadeck.redact.redact_data` for
fields named like secrets, :func:`hadeck.redact.scrub` for free text (``passwd=…`` in a
tool's output, and any secret value the caller knows). The cluster state the actions
read is already redacted (:func:`hadeck.collect.collect`), so what the journal quotes
from it holds no secret either.

A line holds: ``time`` (ISO 8601, UTC), ``who`` (the user, ``SUDO_USER``, the SSH
client's address), the request, the preview's summary, the pre-check verdicts, every
command with the node it ran on and its exit code, and the verified outcome.
"""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hadeck.outfile import DIR_MODE, WriteError, open_append
from hadeck.redact import redact_data, scrub_data

ROOT_PATH = Path("/var/log/hadeck/actions.jsonl")
USER_PATH = Path("~/.local/state/hadeck/actions.jsonl")
ENV = "HADECK_JOURNAL"


def path() -> Path:
    """Where the journal is (see the module docstring)."""
    named = os.environ.get(ENV)
    if named:
        return Path(named).expanduser()
    if os.geteuid() == 0:
        return ROOT_PATH
    return USER_PATH.expanduser()


def who() -> dict[str, str | None]:
    """Who acts: the user, the one sudo ran for, and the SSH client's address."""
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    ssh = os.environ.get("SSH_CLIENT") or os.environ.get("SSH_CONNECTION") or ""
    return {"user": user, "sudo_user": os.environ.get("SUDO_USER") or None,
            "ssh_client": ssh.split()[0] if ssh.split() else None}


def append(entry: Mapping[str, Any], secrets: Iterable[str] = ()) -> Path:
    """Append one entry as one JSON line, redacted.

    Args:
        entry: JSON-like data.
        secrets: secret values the cluster holds (:func:`hadeck.redact.secret_values`),
            scrubbed wherever they appear in free text (a tool's stderr).

    Returns:
        The journal's path.

    Raises:
        WriteError: the journal cannot be written.
    """
    where = path()
    # Keys named like secrets are masked; in free text (a tool's output), "passwd=…"
    # and the cluster's known secret values are.
    data = scrub_data(redact_data(dict(entry)), frozenset(secrets))
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        where.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{where.parent}: cannot create: {exc.strerror or exc}") from None
    with open_append(where) as handle:
        handle.write(line.encode())
    return where


def read(at: Path | None = None) -> list[dict[str, Any]]:
    """Every entry of the journal, oldest first; a line that is not a JSON object is
    returned as ``{"unreadable": LINE}``. No journal yet: an empty list."""
    where = at or path()
    try:
        text = where.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        entries.append(value if isinstance(value, dict) else {"unreadable": line[:200]})
    return entries


__all__ = ["WriteError", "append", "path", "read", "who"]
