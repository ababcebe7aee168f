"""The action commands: ``hadeck move | migrate | ban | clear | standby | online |
maintenance | manage | unmanage | start | stop | cleanup`` and ``hadeck journal``.

Each one is a :class:`~hadeck.actions.request.Request` handed to the one action path
(:mod:`hadeck.actions.perform`): the preview and the pre-checks are printed, the operator
confirms (``--yes`` for scripts; without it and without a terminal the action is
refused, never taken silently), then it runs, waits until Pacemaker settles and says
what it found. Exit codes: 0 done and verified; 1 refused (a pre-check, a request that
makes no sense, read-only, not confirmed); 2 failed or not settled in time; 3 the
cluster could not be read (or bad usage).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any, TextIO

from hadeck.text import safe

COMMANDS = ("move", "migrate", "ban", "clear", "standby", "online", "maintenance", "manage",
            "unmanage", "start", "stop", "cleanup")
"""The action subcommands (``journal`` is separate: it reads, it does not act)."""
DEFAULT_WAIT = 60.0


class NotConfirmed(Exception):
    """The operator did not confirm, or could not be asked."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 <= value <= 86400):
        raise argparse.ArgumentTypeError(f"{text!r}: seconds between 0 and 86400")
    return value


def add_action_flags(parser: argparse.ArgumentParser, wait_help: str) -> None:
    """The flags every action subcommand takes (``hadeck move``, ``drbd``, ``lvs``,
    ``new-guest`` …), the same words everywhere; ``wait_help`` says what ``--wait``
    waits for in that domain."""
    parser.add_argument("--dry-run", action="store_true",
                        help="print the preview and the pre-checks only (exit 0, or 1 "
                             "when refused)")
    parser.add_argument("--yes", "-y", action="store_true",
                        help="do not ask (without it and without a terminal: refused)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--wait", type=_seconds, default=DEFAULT_WAIT, metavar="SECONDS",
                        help=wait_help)
    parser.add_argument("--force", action="store_true",
                        help="override the pre-checks that may be overridden (recorded "
                             "in the journal; the prompt then asks for the name)")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse to act (as actions.read_only = true)")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                source_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the action subcommands and ``journal`` to ``hadeck``'s parser.

    Args:
        sub: the subparsers of ``hadeck``.
        source_options: adds ``--from/--lab/--local/--config`` (cli/main.py's).
    """
    def action(name: str, help: str, seen_from: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help, description=help + ". " + _EXITS)
        source_options(parser)
        if seen_from:
            parser.add_argument("--node", dest="seen_from", metavar="N",
                                help="the node to read and act from (default: this one; "
                                     "in the lab its first node that is up)")
        add_action_flags(parser, "how long to wait for Pacemaker to settle (default 60)")
        return parser

    p = action("move", "Move a resource or guest to a node (crm_resource --move); the "
                       "cli-prefer constraint is cleared once the move has settled")
    p.add_argument("resource")
    p.add_argument("to_node", metavar="NODE")
    p.add_argument("--lifetime", metavar="PT1H", help="ISO 8601 duration: the constraint "
                                                       "expires (and is not cleared)")
    p.add_argument("--keep", action="store_true", help="keep the cli-prefer constraint")
    p = action("migrate", "Migrate a guest live to a node (its resource has allow-migrate)")
    p.add_argument("resource", metavar="GUEST")
    p.add_argument("to_node", metavar="NODE")
    p = action("ban", "Ban a resource from a node (a cli-ban constraint)")
    p.add_argument("resource")
    p.add_argument("to_node", metavar="NODE")
    p.add_argument("--lifetime", metavar="PT1H", help="ISO 8601 duration: the ban expires")
    p = action("clear", "Clear a resource's cli-prefer / cli-ban constraints")
    p.add_argument("resource")
    p.add_argument("to_node", metavar="NODE", nargs="?", help="only the ones on this node")
    for verb, what in (("standby", "Put a node in standby: Pacemaker moves its resources "
                                   "away"),
                       ("online", "Take a node out of standby")):
        p = action(verb, what)
        p.add_argument("target", metavar="NODE")
    p = action("maintenance", "Node maintenance (NODE on|off) or the cluster's "
                              "maintenance-mode (--cluster on|off)")
    p.usage = "hadeck maintenance (NODE on|off | --cluster on|off) [options]"
    p.add_argument("words", nargs="+", metavar="NODE on|off", help="or: --cluster on|off")
    p.add_argument("--cluster", action="store_true", help="the cluster's maintenance-mode")
    for verb, what in (("manage", "Let Pacemaker manage a resource again (is-managed)"),
                       ("unmanage", "Stop Pacemaker from acting on a resource (is-managed "
                                    "false)"),
                       ("start", "Start a resource (remove target-role Stopped)"),
                       ("stop", "Stop a resource (target-role Stopped)")):
        p = action(verb, what)
        p.add_argument("resource")
    p = action("cleanup", "Forget fail counts and failed operations (one resource or all)",
               seen_from=False)
    p.add_argument("resource", nargs="?", default="")
    p.add_argument("--node", dest="cleanup_node", metavar="NODE",
                   help="only on this node")
    j = sub.add_parser("journal", help="print the actions' journal",
                       description="Print the journal of executed actions (root: "
                                   "/var/log/hadeck/actions.jsonl, else "
                                   "~/.local/state/hadeck/actions.jsonl; $HADECK_JOURNAL).")
    j.add_argument("--json", action="store_true", help="a JSON array of the entries")


_EXITS = ("Exit 0 done and verified, 1 refused (pre-check, read-only, not confirmed), "
          "2 failed or not settled in time, 3 the cluster could not be read")


def request_of(args: argparse.Namespace) -> Any:
    """The request the command line asks for."""
    from hadeck.actions.request import ON_OFF, Request

    from .main import UsageError

    verb = args.command
    force = bool(getattr(args, "force", False))
    if verb in ("move", "migrate", "ban"):
        return Request(verb, args.resource, args.to_node,
                       lifetime=getattr(args, "lifetime", None),
                       keep=bool(getattr(args, "keep", False)), force=force)
    if verb == "clear":
        return Request("clear", args.resource, args.to_node, force=force)
    if verb in ("standby", "online"):
        return Request(verb, args.target, force=force)
    if verb == "maintenance":
        words = list(args.words)
        if args.cluster:
            if len(words) != 1 or words[0] not in ON_OFF:
                raise UsageError("maintenance --cluster takes on or off")
            return Request("cluster-maintenance", "cluster", option=words[0], force=force)
        if len(words) != 2 or words[1] not in ON_OFF:
            raise UsageError("maintenance takes NODE on|off (or --cluster on|off)")
        return Request("node-maintenance", words[0], option=words[1], force=force)
    if verb == "cleanup":
        return Request("cleanup", args.resource or "", args.cleanup_node, force=force)
    return Request(verb, args.resource, force=force)


def run(args: argparse.Namespace) -> int:
    """Run one action subcommand (see the module docstring for the exit codes)."""
    if args.command == "journal":
        return show_journal(args.json)
    return act(args, request_of(args))


def act(args: argparse.Namespace, request: Any) -> int:
    """Prepare, print, confirm, execute and report ``request`` with the action flags in
    ``args`` (``--dry-run --yes --json --wait --read-only``): every action command's
    face, whatever its domain (cli/drbd.py, cli/lvs.py, cli/newguest.py use it too)."""
    from hadeck.opening import open_cluster

    from .main import UsageError

    if getattr(args, "bundle", None):
        raise UsageError("a snapshot bundle cannot be acted on (--from): act on the live "
                         "cluster or the lab")
    with open_cluster(args.config, lab=args.lab, local=bool(args.local),
                      node=getattr(args, "seen_from", None)) as opened:
        return _run(args, request, opened)


def _run(args: argparse.Namespace, request: Any, opened: Any) -> int:
    """Prepare, confirm and execute ``request`` on the opened cluster."""
    from hadeck.actions.perform import EXIT_REFUSED, execute, prepare

    read_only = bool(args.read_only) or bool(opened.config.read_only)
    prepared = prepare(request, opened, read_only=read_only)
    out = sys.stdout
    if not args.json:
        print_prepared(prepared, out)
    if prepared.refused is not None or args.dry_run:
        if args.json:
            _print_json({**prepared.as_dict(), "dry_run": bool(args.dry_run),
                         "outcome": None, "exit_code": prepared.exit_code})
        elif prepared.refused is not None:
            print(safe(f"refused: {prepared.refused}"), file=sys.stderr)
        return prepared.exit_code
    try:
        confirm(prepared, args.yes)
    except NotConfirmed as exc:
        if args.json:
            _print_json({**prepared.as_dict(), "refused": str(exc), "outcome": None,
                         "exit_code": EXIT_REFUSED})
        print(safe(f"hadeck: not done: {exc}"), file=sys.stderr)
        return EXIT_REFUSED
    progress_to = sys.stderr if args.json else out

    def progress(line: str) -> None:
        print(safe(f"… {line}"), file=progress_to, flush=True)

    outcome = execute(prepared, opened, wait=args.wait, progress=progress)
    if args.json:
        _print_json({**prepared.as_dict(), "outcome": outcome.as_dict(),
                     "exit_code": outcome.exit_code})
    else:
        if outcome.ok:
            print("done:")
            for fact in outcome.facts:
                print(safe(f"  ✔ {fact}"))
        else:
            print(safe(f"{outcome.word}: {outcome.verified}"))
            for fact in outcome.facts:
                if fact not in outcome.unmet:
                    print(safe(f"  ✔ {fact}"))
    return outcome.exit_code


def confirm(prepared: Any, yes: bool, stdin: TextIO | None = None,
            out: TextIO | None = None) -> None:
    """Ask the operator; raise :class:`NotConfirmed` unless they agree.

    A destructive plan (or a forced one) needs its object's name typed; another one a
    ``y``. Without ``yes`` and without a terminal nobody can be asked: refused.
    """
    if yes:
        return
    stdin = stdin or sys.stdin
    out = out or sys.stderr
    if not stdin.isatty():
        raise NotConfirmed("no terminal to confirm on; pass --yes to act without a prompt")
    plan = prepared.plan
    word = plan.confirm_word if plan is not None else None
    if plan is not None and plan.destructive and word:
        out.write(safe(f"This is disruptive. Type {word} to confirm: "))
        out.flush()
        answer = stdin.readline().strip()
        if answer != word:
            raise NotConfirmed(f"confirmation did not match {word!r}")
        return
    out.write("Proceed? [y/N] ")
    out.flush()
    if stdin.readline().strip().lower() not in ("y", "yes"):
        raise NotConfirmed("not confirmed")


def print_prepared(prepared: Any, out: TextIO) -> None:
    """The plan, the preview, the pre-checks and the commands, for people."""
    plan = prepared.plan
    if plan is not None:
        print(safe(plan.summary), file=out)
    if prepared.preview is not None:
        # The preview check says how it was learnt (the scheduler, drbdadm -d …).
        how = next((c.reason for c in prepared.checks if c.name == "preview" and c.ok),
                   "crm_simulate on a copy of the live CIB")
        if how.startswith("the scheduler (crm_simulate)"):
            how = "crm_simulate on a copy of the live CIB"
        print(safe(f"preview ({how}):"), file=out)
        for line in prepared.preview.text.splitlines():
            print(safe(f"  {line}"), file=out)
    if prepared.checks:
        print("pre-checks:", file=out)
        forced = {c.name for c in prepared.overridden}
        for check in prepared.checks:
            mark = "✔" if check.ok else ("⚠ forced" if check.name in forced else "✘")
            hint = " (--force overrides)" if not check.ok and check.overridable \
                and check.name not in forced else ""
            print(safe(f"  {mark} {check.name}: {check.reason}{hint}"), file=out)
    if plan is not None:
        print("commands:", file=out)
        for step in plan.steps:
            fed = "  < the file above" if step.input and step.argv[0] == "dd" else ""
            print(safe(f"  {step.node}: {' '.join(step.argv)}{fed}"), file=out)
        for step in plan.after:
            print(safe(f"  then, once settled, {step.node}: {' '.join(step.argv)}"),
                  file=out)


def _print_json(doc: dict[str, Any]) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


def show_journal(as_json: bool) -> int:
    """Print the journal (``hadeck journal``): one line per action, or ``--json``."""
    from hadeck.actions import journal

    entries = journal.read()
    if as_json:
        _print_json_list(entries)
        return 0
    if not entries:
        print(safe(f"no actions recorded ({journal.path()})"))
        return 0
    for entry in entries:
        print(safe(journal_line(entry)))
    return 0


def _print_json_list(entries: list[dict[str, Any]]) -> None:
    print(json.dumps(entries, indent=2, ensure_ascii=False))


def journal_line(entry: dict[str, Any]) -> str:
    """One journal entry in one line: when, who, what, how it ended."""
    if "unreadable" in entry:
        return f"(unreadable line: {entry['unreadable']})"
    who = entry.get("who") or {}
    by = str(who.get("user") or "?")
    if who.get("sudo_user"):
        by += f" (sudo by {who['sudo_user']})"
    if who.get("ssh_client"):
        by += f" from {who['ssh_client']}"
    request = entry.get("request") or {}
    forced = entry.get("forced") or []
    what = entry.get("summary") or request.get("verb", "?")
    extra = f" [forced: {', '.join(map(str, forced))}]" if forced else ""
    return (f"{entry.get('time', '?')} {by}: {what}{extra} → {entry.get('outcome', '?')} "
            f"(exit {entry.get('exit_code', '?')}): {entry.get('verified', '')}")
