"""Nagios / Icinga check plugins (installed as ``hadeck.checks``).

A plugin started as its console script (``check_hadeck_<name>``, as Nagios starts it, once
per check) is a short process of its own; for it, and only for it (not for a test or a
face that imports a plugin), this package spares it two costs of the interpreter that
such a process does not need (issue 15; docs/design.md, "A check plugin's start-up"):

- the cyclic garbage collector: its passes during the imports and the run are ~4 % of a
  whole run (instructions), and nothing a plugin builds in its few seconds needs it
  (reference counting frees the rest, the process's end frees all);
- the interpreter's finalization (tearing down every module, a last collection): ~10 %
  of a run. When the plugin has said its line (:func:`hadeck.checks.common.run` keeps its
  exit code in :data:`exit_code`), the last exit handler flushes stdout and stderr and
  ends the process with that code, after every other exit handler has run (they run last
  registered first; this one is registered before any other of ours or the libraries').
"""

from __future__ import annotations

import sys

STANDALONE = bool(sys.argv) and sys.argv[0].rpartition("/")[2].startswith("check_hadeck_")
"""Started as a plugin's console script (what Nagios runs), not imported by other code."""

exit_code: int | None = None
"""The plugin's exit code once it has printed its output (set by ``common.run``)."""


def _end() -> None:
    """The last exit handler: end now, with the plugin's code, without finalization."""
    if exit_code is None:
        return  # not ended by common.run: the interpreter's own way out
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed or broken stdout: let the interpreter report it as it does
    import os

    os._exit(exit_code)


if STANDALONE:
    import atexit
    import gc

    gc.disable()
    atexit.register(_end)
