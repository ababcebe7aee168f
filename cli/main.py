"""The ``hadeck`` command: the dashboard, ``status``, ``snapshot``, ``config``, ``weights``
and ``lab``.

The command line sits above the core and the faces (docs/design.md, "Layout and layers"):
it opens the cluster with :func:`hadeck.opening.open_cluster`, as every face does, and
starts the face asked for. Faces that need rich or textual are imported inside their
command, so that ``hadeck status --json`` in a script never pays for the dashboard's
imports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hadeck import __version__
from hadeck.health import AREAS
from hadeck.text import safe

if TYPE_CHECKING:
    from hadeck.opening import Opened

EXIT_UNKNOWN = 3
EXIT_BROKEN_PIPE = 141
"""What a shell reports for a command killed by SIGPIPE (128 + 13), as `head` expects."""


class UsageError(Exception):
    """Something the operator asked for cannot be done; the message says why."""


def _interval(text: str) -> float:
    """An argparse type: the dashboard's refresh, a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: a positive number of seconds")
    return value


def _add_source_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """The options that say where the state comes from.

    They are accepted before and after the subcommand (``hadeck --lab status`` and
    ``hadeck status --lab``); on subcommands their defaults are suppressed so that they
    do not overwrite what was given before the subcommand.
    """
    source = parser.add_mutually_exclusive_group()
    default = None if top else argparse.SUPPRESS
    source.add_argument("--from", dest="bundle", metavar="BUNDLE", default=default,
                        help="replay a snapshot bundle (FILE.tar.gz or directory) "
                             "instead of reading the live cluster")
    source.add_argument("--lab", nargs="?", const="", default=default, metavar="DIR",
                        help="read the built-in simulated cluster (created on first use; "
                             "default directory $HADECK_LAB or ~/.local/share/hadeck/lab)")
    parser.add_argument("--local", action="store_true", default=False if top else default,
                        help="read only this node (no ssh to the other nodes)")
    parser.add_argument("--config", metavar="FILE", default=default,
                        help="configuration file (default: $HADECK_CONFIG, "
                             "~/.config/hadeck/hadeck.toml, /etc/hadeck/hadeck.toml)")


PROBE_HELP = ("ping the ping nodes and the peers' corosync addresses from every node (every "
              "poll in the dashboard) and judge the pingd scores Pacemaker holds against "
              "them; [probes] ping = true in the configuration does it always")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadeck",
        description="The operator's deck for small HA virtualization clusters.",
    )
    parser.add_argument("--version", action="version", version=f"hadeck {__version__}")
    _add_source_options(parser, top=True)
    parser.add_argument("--interval", type=_interval, metavar="SECONDS",
                        help="dashboard refresh (default 2 s, 5 s over SSH; "
                             "$HADECK_INTERVAL)")
    # Its own dest: an action subcommand's --read-only default (False) would overwrite a
    # shared one given before the subcommand (argparse copies the subparser's namespace).
    parser.add_argument("--read-only", dest="read_only_top", action="store_true",
                        help="change nothing: the dashboard lists actions greyed, with why "
                             "(as actions.read_only = true)")
    parser.add_argument("--events-file", metavar="FILE",
                        help="append the dashboard's events here (default "
                             "~/.local/state/hadeck/events.log; '' keeps them in memory)")
    parser.add_argument("--probe", action="store_true", help=PROBE_HELP)
    sub = parser.add_subparsers(dest="command")

    status = sub.add_parser("status", help="print the cluster's state once",
                            description="Print the cluster's state once. The exit code is "
                                        "the overall health: 0 OK, 1 WARNING, 2 CRITICAL, "
                                        "3 UNKNOWN.")
    _add_source_options(status)
    status.add_argument("--json", action="store_true",
                        help="print the versioned JSON document (docs/status-json.md)")
    status.add_argument("--area", metavar="AREA[,AREA]",
                        help=f"only these areas: {', '.join(AREAS)}")
    status.add_argument("--json-schema", action="store_true",
                        help="print the JSON Schema of --json and exit")
    status.add_argument("--probe", action="store_true", default=argparse.SUPPRESS,
                        help=PROBE_HELP)

    snap = sub.add_parser("snapshot", help="record every source's raw output in a bundle",
                          description="Record every source's raw output, with tool versions, "
                                      "hostname and time, into a bundle for replay with "
                                      "--from or for a bug report. Secrets are removed.")
    snap.add_argument("file", nargs="?", help="FILE.tar.gz (or a directory)")
    _add_source_options(snap)
    snap.add_argument("--layout", action="store_true",
                      help="list the bundle's file names and the commands that make them")
    snap.add_argument("--force", action="store_true",
                      help="replace FILE.tar.gz if it exists (a directory is never "
                           "replaced; the bundle is written mode 0600)")

    explain = sub.add_parser("explain", help="where a resource runs and why",
                             description="Where a resource runs and why: the scheduler's "
                                         "allocation scores per node (crm_simulate on the "
                                         "CIB), the constraints, rules, stickiness and fail "
                                         "counts that apply, and for each other node why "
                                         "it does not run there. Exit 0, or 3 when it "
                                         "cannot be read or there is no such resource.")
    explain.add_argument("resource", help="a primitive, group or clone id")
    _add_source_options(explain)
    explain.add_argument("--json", action="store_true", help="print it as JSON")

    config = sub.add_parser("config", help="print every configuration value and its origin",
                            description="Print every effective configuration value and "
                                        "where it came from: the built-in default, the "
                                        "file and line (named by --config, "
                                        "$HADECK_CONFIG or found in the search path), or "
                                        "the command line; with --lab, the lab's own "
                                        "keepalived counts.")
    _add_source_options(config)

    from hadeck.cli.weights import add_parser as add_weights

    add_weights(sub, _add_source_options)
    from hadeck.cli.lvs import add_parser as add_lvs

    add_lvs(sub, _add_source_options)

    from hadeck.lab.cli import add_parser

    add_parser(sub)
    from hadeck.cli.newguest import add_parser as add_new_guest

    add_new_guest(sub, _add_source_options)
    from hadeck.cli.act import add_parsers

    add_parsers(sub, _add_source_options)
    from hadeck.cli.drbd import add_parser as add_drbd

    add_drbd(sub, _add_source_options)
    return parser


def _areas(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    chosen = tuple(a.strip() for a in text.split(",") if a.strip())
    unknown = [a for a in chosen if a not in AREAS]
    if unknown:
        raise UsageError(f"unknown area {', '.join(unknown)}; choose from {', '.join(AREAS)}")
    return chosen


def _open(args: argparse.Namespace) -> Opened:
    """The cluster the source options name (see :func:`hadeck.opening.open_cluster`)."""
    from hadeck.opening import open_cluster

    return open_cluster(args.config, bundle=args.bundle, lab=args.lab, local=args.local)


def cmd_status(args: argparse.Namespace) -> int:
    from hadeck.report import json_schema, status_document

    if args.json_schema:
        print(json.dumps(json_schema(), indent=2))
        return 0
    from hadeck.collect import collect
    from hadeck.health import judge, worst

    areas = _areas(args.area)
    with _open(args) as opened:
        state = collect(opened.access, opened.config, snmp=True)
        if args.probe or opened.config.probe_ping:
            from hadeck.probes.prober import probe_state

            state = probe_state(state, opened.access, opened.config)
    judgement = judge(state, opened.config.policy)
    if args.json:
        doc = status_document(state, judgement, areas)
        print(json.dumps(doc, indent=2))
        return int(doc["health"]["exit_code"])
    # The document (redaction, every verdict as data) is built only for --json; the
    # exit code is the same worst verdict of the chosen areas.
    from hadeck.cli.status_view import print_status

    print_status(state, judgement, areas)
    return int(worst(judgement.area_health(a) for a in (areas or AREAS)))


def cmd_snapshot(args: argparse.Namespace) -> int:
    from hadeck.outfile import WriteError
    from hadeck.snapshot import (
        BundleError,
        RecordingAccess,
        layout,
        tool_versions,
        write_bundle,
    )

    if args.layout:
        for name, command in layout():
            print(f"{name:40} {command}")
        return 0
    if not args.file:
        if args.lab:
            # --lab takes an optional directory: `snapshot --lab FILE` gave it FILE.
            raise UsageError(f"snapshot needs a FILE.tar.gz (or a directory) to write; "
                             f"{args.lab!r} was taken as the lab's directory: write "
                             f"'hadeck snapshot FILE --lab' or 'hadeck snapshot --lab DIR "
                             f"FILE'")
        raise UsageError("snapshot needs a FILE.tar.gz (or a directory) to write")
    from hadeck.collect import collect

    with _open(args) as opened:
        access, config = opened.access, opened.config
        recording = RecordingAccess(access)
        state = collect(recording, config, snmp=True)
        if state.pacemaker is not None:
            from hadeck.placement import CIB

            recording.local.fetch(CIB)  # the whole CIB, for hadeck explain --from
        tools = {} if args.bundle else tool_versions(access.local)
    try:
        path = write_bundle(args.file, recording.records, state.local_node, state.taken_at,
                            tools, force=args.force)
    except (WriteError, BundleError) as exc:
        raise UsageError(f"snapshot: {exc}") from None
    failed = [s for s in state.sources if s.error]
    print(f"wrote {path}: {len(recording.records)} outputs from "
          f"{len({r.node for r in recording.records})} node(s)"
          + (f", {len(failed)} source(s) failed (recorded with their reasons)" if failed else ""))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain one resource's placement (:func:`hadeck.placement.explain_access`)."""
    from hadeck.placement import ExplainError, explain_access

    with _open(args) as opened:
        try:
            explained = explain_access(opened.access, args.resource, opened.config.timeout)
        except ExplainError as exc:
            raise UsageError(f"explain {args.resource}: {exc}") from None
    if args.json:
        print(json.dumps(explained.to_dict(), indent=2))
    else:
        from hadeck.cli.explain_view import print_explanation

        print_explanation(explained)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Print every effective configuration value, as TOML, with where it came from."""
    from hadeck.config import describe

    with _open(args) as opened:
        config = opened.config
    print(safe(f"# file: {config.path or 'none (built-in defaults)'}"))
    # Keys and origins are shown, never obeyed: a TOML key may hold any character
    # ("\u001b" is valid in a quoted key), a path too (hadeck/text.py).
    rows = [(safe(f"{key} = {json.dumps(value)}"), safe(origin))
            for key, value, origin in describe(config)]
    width = min(40, max(len(setting) for setting, _ in rows))
    for setting, origin in rows:
        print(f"{setting:{width}}  # {origin}")
    return 0


def _missing_package_hint(message: str) -> str:
    tools = ("crm_simulate", "crm_mon", "cibadmin", "crm_resource", "crm_attribute",
             "crm_verify")
    if "command not found" in message and any(t in message for t in tools):
        return ("\nThe lab runs the real Pacemaker scheduler: install the Debian package "
                "pacemaker-cli-utils (apt-get install pacemaker-cli-utils).")
    return ""


def cmd_dashboard(args: argparse.Namespace) -> int:
    """The dashboard (textual) on the live cluster, the lab or a bundle.

    Over SSH it refreshes every 5 s, else every 2 s; ``$HADECK_INTERVAL`` sets seconds.
    Events are appended to ``$HADECK_EVENTS_FILE`` (default
    ``~/.local/state/hadeck/events.log``; empty: memory only).
    """
    with _open(args) as opened:
        return _dashboard(args, opened)


def _dashboard(args: argparse.Namespace, opened: Opened) -> int:
    access, config = opened.access, opened.config
    if args.probe:
        from hadeck.config import override

        config = override(config, "probes.ping", True, "command line (--probe)")
    from pathlib import Path

    from hadeck.lab.runner import LabAccess
    from hadeck.tui.app import run_dashboard

    options: dict[str, Any] = {"interval": args.interval, "read_only": args.read_only_top}
    if args.events_file is not None:
        options["events_file"] = Path(args.events_file).expanduser() if args.events_file \
            else None

    if isinstance(access, LabAccess):
        lab = access.lab
        # Re-open the lab on every poll: the node an operator is logged in to follows a
        # failover, as a new ssh login would.
        return int(run_dashboard(lambda: LabAccess(lab, timeout=config.timeout), config,
                                 origin="lab", **options))
    return int(run_dashboard(access, config, frozen=bool(args.bundle), origin=access.origin,
                             **options))


_TOP_VALUED = frozenset({"--from", "--config", "--interval", "--events-file"})
"""The top-level options that take a value (the next word is theirs, not a command)."""


def _commands(parser: argparse.ArgumentParser) -> frozenset[str]:
    """The subcommand names ``parser`` knows."""
    return frozenset(name for action in parser._actions
                     if isinstance(action, argparse._SubParsersAction)
                     for name in action.choices)


def lab_before_command(argv: Sequence[str], commands: frozenset[str]) -> list[str]:
    """``argv`` with a bare ``--lab`` before the subcommand made explicit (``--lab=``).

    ``--lab [DIR]`` takes an optional value, so argparse reads ``hadeck --lab status`` as
    the lab in a directory named ``status`` and no subcommand (the dashboard would
    create that directory). A word that names a subcommand is the subcommand: a lab
    directory of that name is still reachable as ``--lab ./status``.
    """
    out = list(argv)
    i = 0
    while i < len(out):
        word = out[i]
        if word == "--":
            break
        if word in _TOP_VALUED:
            i += 2
            continue
        if word == "--lab" and i + 1 < len(out) and out[i + 1] in commands:
            out[i] = "--lab="
            break
        if word in commands:
            break
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(lab_before_command(words, _commands(parser)))
    from hadeck.lab.errors import LabError
    from hadeck.opening import OpenError

    try:
        if args.command == "status":
            return cmd_status(args)
        if args.command == "snapshot":
            return cmd_snapshot(args)
        if args.command == "config":
            return cmd_config(args)
        if args.command == "weights":
            from hadeck.cli.weights import keepalived_guard
            from hadeck.cli.weights import run as run_weights

            def weights() -> int:
                with _open(args) as opened:
                    return run_weights(args, opened)

            return keepalived_guard(weights, args.keepalived) if args.keepalived else weights()
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "new-guest":
            from hadeck.cli.newguest import run as new_guest

            args.read_only = bool(args.read_only or args.read_only_top)
            return new_guest(args)
        if args.command == "lvs":
            from hadeck.cli.lvs import run as run_lvs

            return run_lvs(args)
        if args.command == "lab":
            from hadeck.lab.cli import run

            return run(args)
        if args.command == "drbd":
            from hadeck.cli.drbd import run as run_drbd

            return run_drbd(args)
        from hadeck.cli.act import COMMANDS as ACTIONS
        from hadeck.cli.act import run as act

        if args.command in (*ACTIONS, "journal"):
            if args.read_only_top:  # hadeck --read-only move …: refused all the same
                args.read_only = True
            return act(args)
        return cmd_dashboard(args)
    # Every way out is one line on stderr, made safe to show (a message may quote a name
    # from the cluster or a file), and exit 3: a traceback would exit 1, which `hadeck
    # status` means as WARNING.
    except UsageError as exc:
        return _fail(str(exc))
    except OpenError as exc:
        return _fail(str(exc), _missing_package_hint(str(exc)))
    except LabError as exc:
        return _fail(f"lab: {exc}", _missing_package_hint(str(exc)))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `hadeck status | head`: the reader left. Nothing more can be said on stdout, and
        # Python would print a traceback when it flushes at exit: point stdout elsewhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        # A file or directory named on the command line that cannot be used.
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except Exception as exc:
        if os.environ.get("HADECK_DEBUG"):
            raise
        return _fail(f"internal error, please report it: {type(exc).__name__}: {exc} "
                     "(HADECK_DEBUG=1 shows where)")


def _fail(message: str, hint: str = "") -> int:
    """Say why on one line on stderr (plus a fixed hint), and return exit 3."""
    print(f"hadeck: {safe(message)}{hint}", file=sys.stderr)
    return EXIT_UNKNOWN


if __name__ == "__main__":
    sys.exit(main())
