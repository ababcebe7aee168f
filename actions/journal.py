"""The journal: one JSON line per executed action, for the audit.

Where: ``$HADECK_JOURNAL`` if set (tests, a site's own place); as root
``/var/log/hadeck/actions.jsonl``; otherwise ``~/.local/state/hadeck/actions.jsonl``.
The file is written as every file hadeck writes (:mod:`hadeck.outfile`): mode 0600, its
directory 0700 when hadeck creates it, never through a symlink — neither at the file nor
at its directory, and through a symlink above it only when root or the writer owns that
link; the directory must be root's or the writer's, writable by no one else
(:func:`hadeck.outfile.open_private_append`). Each line goes through
the one secrets policy before it is written: :func:`hadeck.redact.redact_data` for
fields named like secrets, :func:`hadeck.redact.scrub` for free text (``passwd=…`` in a
tool's output, and any secret value the caller knows) — and for a command line, which
names a parameter in one word and gives its value in the next (``crm_resource -p passwd
-v …``, ``crm_attribute -n secret_token -v …``), by the name before the value
(:func:`redact_argv`), in an argv list and in text that quotes one. The cluster state the
actions read is already redacted (:func:`hadeck.collect.collect`), so what the journal
quotes from it holds no secret either.

A line holds: ``time`` (ISO 8601, UTC), ``who`` (the user, ``SUDO_USER``, the SSH
client's address), the request, the preview's summary, the pre-check verdicts, every
command with the node it ran on and its exit code, and the verified outcome.
"""

from __future__ import annotations

import json
import os
import pwd
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hadeck.outfile import WriteError, open_private_append
from hadeck.redact import MASK, is_secret, redact_data, scrub_data

ROOT_PATH = Path("/var/log/hadeck/actions.jsonl")
USER_PATH = Path("~/.local/state/hadeck/actions.jsonl")
ENV = "HADECK_JOURNAL"

NAME_OPTIONS = frozenset({"-p", "--parameter", "--set-parameter", "-n", "--name",
                          "--attr-name", "--meta-attr-name"})
"""Options of crm_resource / crm_attribute that name a parameter or attribute."""
VALUE_OPTIONS = frozenset({"-v", "--value", "--parameter-value", "--update",
                           "--attr-value"})
"""Options that give the value of the parameter named before them."""
_OPTION = re.compile(r"(?P<opt>--?[A-Za-z][\w-]*)(?P<sep>[ =]+)(?P<arg>'[^']*'|\"[^\"]*\"|\S+)")


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
    data = scrub_data(_redact_commands(redact_data(dict(entry))), frozenset(secrets))
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    with open_private_append(where) as handle:
        handle.write(line.encode())
    return where


def redact_argv(argv: list[str]) -> list[str]:
    """A command line with the value of a parameter named like a secret masked.

    ``["crm_resource", "-r", "fence1", "-p", "passwd", "-v", "x"]`` →
    ``[…, "-v", "***"]``; ``--set-parameter=passwd --parameter-value=x`` likewise.
    """
    out = list(argv)
    secret = False
    i = 0
    while i < len(out):
        opt, eq, inline = out[i].partition("=")
        takes = opt in NAME_OPTIONS or opt in VALUE_OPTIONS
        has_next = not eq and takes and i + 1 < len(out)
        arg = inline if eq else (out[i + 1] if has_next else "")
        if opt in NAME_OPTIONS:
            secret = is_secret(arg.strip("'\""))
        elif opt in VALUE_OPTIONS and secret and arg and not arg.startswith("lrm://"):
            if eq:
                out[i] = f"{opt}={MASK}"
            elif has_next:
                out[i + 1] = MASK
        i += 2 if has_next else 1
    return out


def _redact_text_argv(text: str) -> str:
    """Text quoting a command line (``crm_resource … -p passwd -v x failed``), redacted as
    :func:`redact_argv` would the argv."""
    secret = False

    def one(match: re.Match[str]) -> str:
        nonlocal secret
        opt, arg = match["opt"], match["arg"]
        if opt in NAME_OPTIONS:
            secret = is_secret(arg.strip("'\""))
        elif opt in VALUE_OPTIONS and secret and not arg.strip("'\"").startswith("lrm://"):
            return f"{opt}{match['sep']}{MASK}"
        return match.group(0)

    return _OPTION.sub(one, text)


def _redact_commands(data: Any) -> Any:
    """``data`` with every argv list and every text quoting one redacted."""
    if isinstance(data, str):
        return _redact_text_argv(data)
    if isinstance(data, list):
        if data and all(isinstance(item, str) for item in data):
            return [_redact_text_argv(w) for w in redact_argv(data)]
        return [_redact_commands(item) for item in data]
    if isinstance(data, dict):
        return {k: _redact_commands(v) for k, v in data.items()}
    return data


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


__all__ = ["WriteError", "append", "path", "read", "redact_argv", "who"]
