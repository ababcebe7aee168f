"""What every hadeck check plugin shares: options, reading the local node, output.

A plugin is a :class:`Plugin`: a name, the sources it reads, its own options, and an
``assess`` function that turns a :class:`~hadeck.model.ClusterState` into hadeck
:class:`~hadeck.health.Verdict`\\ s (from :mod:`hadeck.health`, the rules every face shares)
plus :class:`Measure`\\ s for perfdata and ``-w/-c`` thresholds. :func:`run` does the rest
the nagiosplugin way, Resource → Context → Summary:

- :class:`StateResource` reads the state (acquisition) and yields one metric per verdict
  and per measure;
- :class:`VerdictContext` maps a verdict to its state, :class:`ThresholdContext`
  (a ``ScalarContext``) judges a measure against ``-w/-c``, :class:`PerfContext` only
  reports one (evaluation);
- :class:`CheckSummary` writes the status line, worst problem first, and the long output
  (presentation).

Rules every plugin follows, from the Monitoring Plugins development guidelines:

- one status line ``HADECK <NAME> <STATE> - <text> | <perfdata>``; ``-v`` adds long
  output, one line per object;
- exit 0/1/2/3. Verdicts combine as :func:`hadeck.health.worst` ranks them (CRITICAL
  above UNKNOWN, unlike nagiosplugin's own ranking), so a check exits with what
  ``hadeck status`` says;
- the plugin's own errors (a bad option or range, an unreadable bundle or config, a
  missing tool, a timeout) are UNKNOWN, on one line, never a traceback; ``--help`` and
  ``--version`` exit 3 as well, as the C plugins of monitoring-plugins do;
- ``-t/--timeout`` defaults to 10 s (nagiosplugin has no default). The alarm is a
  backstop: every command gets the time left before it, less a margin, so a hung tool is
  killed and reported as a source error before the alarm fires.

A check reads the local node only (never ssh): ``collect(access, config,
only=(local node,))``, through a :class:`CheckRunner` that answers only the commands of
the sources the plugin judges. The others get an instant error and are left out, so a
DRBD check never runs crm_mon or virsh. Import cost matters (Nagios runs thousands of
these): this module imports the core and nagiosplugin only. The cluster is opened by
:func:`hadeck.opening.open_cluster`, as every face opens it (``--lab`` with no DIR reads
``$HADECK_LAB``, as ``hadeck --lab`` does); bundle, config and lab support are imported
when used.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Collection, Generator, Sequence

import nagiosplugin
from nagiosplugin.state import Critical, Ok, ServiceState, Unknown, Warn

from hadeck import __version__, checks
from hadeck.health import (
    Judgement,
    Problem,
    Verdict,
    judge_sources,
    nothing_to_judge,
    rank,
)
from hadeck.model import ClusterState, Health
from hadeck.record import record, replace
from hadeck.runner import Command, CommandResult, Runner, failure, not_found
from hadeck.text import safe

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:
    from typing import Any, NoReturn

PREFIX = "HADECK"
"""First word of every status line: ``HADECK DRBD CRITICAL - …``."""

DEFAULT_TIMEOUT = 10
"""Seconds (whole: signal.alarm) before a check gives up, when ``-t`` is not given."""

TIMEOUT_MARGIN = 0.5
"""Seconds kept back from the last command, to report its timeout before the alarm."""

EXIT_UNKNOWN = 3

if TYPE_CHECKING:
    Measurer = Callable[[ClusterState, Any, Any, float, argparse.Namespace], ClusterState]
    """A plugin's own measurement after the read: (state, the opened cluster's access,
    the configuration, the deadline, the options) → the state with what it measured."""

SKIPPED = "not read by this check"
"""The error a skipped command returns; its source is dropped from the state."""

STATES: dict[Health, ServiceState] = {
    Health.OK: Ok,
    Health.WARNING: Warn,
    Health.CRITICAL: Critical,
    Health.UNKNOWN: Unknown,
}
_HEALTH_OF = {state.code: health for health, state in STATES.items()}

SUDO_HINT = "allow it in sudoers (share/sudoers.d/hadeck)"
SUDO_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""Debian's sudo secure_path: where sudo looks for the tools."""


# --------------------------------------------------------------------------- options


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, asking the terminal's width once a run.

    argparse makes a formatter for every option it adds (to check its metavar), and each
    asked the terminal's width (``shutil.get_terminal_size``: ~0.4 M instructions of a
    plugin's start over its options; issue 15). The width is the same, as the help is.
    """

    width: int | None = None

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            if _Formatter.width is None:
                _Formatter.width = shutil.get_terminal_size().columns - 2
            width = _Formatter.width
        super().__init__(prog, indent_increment, max_help_position, width)


class PluginParser(argparse.ArgumentParser):
    """argparse, but every way out is exit 3 and a bad option is one line on stdout.

    argparse exits 2 on a usage error and 0 after ``--help``; the plugin API reserves 2
    for CRITICAL, and Nagios reads only stdout.
    """

    def __init__(self, *args: Any, title: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = title

    def error(self, message: str) -> NoReturn:
        one_line = plugin_text(" ".join(message.split()))
        print(f"{self.title} UNKNOWN - {one_line} (see {self.prog} --help)")
        sys.exit(EXIT_UNKNOWN)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stdout.write(message)
        sys.exit(EXIT_UNKNOWN)


def parse_range(text: str) -> nagiosplugin.Range:
    """A Nagios threshold range (``10``, ``10:``, ``~:10``, ``10:20``, ``@10:20``)."""
    try:
        return nagiosplugin.Range(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid range {text!r}: the format is [@][START:][END], "
            "START ~ for minus infinity, no exponents") from None


MAX_TIMEOUT = 3600
"""``-t`` at most, in seconds: a check that runs for an hour has hung (and ``signal.alarm``
overflows past a C int)."""


def parse_timeout(text: str) -> int:
    """Whole seconds, 1 to :data:`MAX_TIMEOUT`: nagiosplugin's alarm ignores fractions
    (0.5 is off)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid timeout {text!r}: whole seconds expected") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: 1 second at least")
    if value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"invalid timeout {text!r}: {MAX_TIMEOUT} seconds at most")
    return value


def parse_percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid percentage {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"invalid percentage {text!r}: 0 to 100")
    return value


def split_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """Repeated and comma-separated option values as one tuple: ``-x a,b -x c``."""
    out: list[str] = []
    for value in values or ():
        out += [item.strip() for item in value.split(",") if item.strip()]
    return tuple(dict.fromkeys(out))


def add_thresholds(parser: argparse.ArgumentParser, what: str,
                   warning: str | None = None, critical: str | None = None) -> None:
    """``-w/--warning`` and ``-c/--critical`` as Nagios ranges on ``what``."""
    def default(value: str | None) -> str:
        return f" (default {value})" if value else " (default: none)"

    parser.add_argument("-w", "--warning", metavar="RANGE", type=parse_range,
                        default=parse_range(warning) if warning else None,
                        help=f"WARNING when {what} is outside RANGE{default(warning)}")
    parser.add_argument("-c", "--critical", metavar="RANGE", type=parse_range,
                        default=parse_range(critical) if critical else None,
                        help=f"CRITICAL when {what} is outside RANGE{default(critical)}")


def build_parser(plugin: Plugin) -> PluginParser:
    parser = PluginParser(
        prog=f"check_hadeck_{plugin.name}",
        formatter_class=_Formatter,
        title=plugin.title,
        description=plugin.description,
        epilog=(
            "Thresholds are Nagios ranges: N alerts outside 0..N, N: below N, ~:N above N, "
            "A:B outside A..B, @A:B inside A..B. Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, "
            "3 UNKNOWN (also for bad options, --help and --version). Reads the local node "
            "only; verdicts are hadeck's health rules, the same as `hadeck status`."
        ),
    )
    parser.add_argument("-V", "--version", action="version",
                        version=f"check_hadeck_{plugin.name} (hadeck {__version__})")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="long output: every object's verdict (repeat for more)")
    parser.add_argument("-t", "--timeout", metavar="SECONDS", type=parse_timeout,
                        default=DEFAULT_TIMEOUT,
                        help=f"give up (UNKNOWN) after SECONDS (default {DEFAULT_TIMEOUT})")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="bundle", metavar="BUNDLE",
                        help="judge a snapshot bundle (FILE.tar.gz or directory) "
                             "instead of this machine")
    source.add_argument("--lab", nargs="?", const="", metavar="DIR",
                        help="judge a node of the hadeck lab in DIR (default $HADECK_LAB "
                             "or ~/.local/share/hadeck/lab)")
    parser.add_argument("--node", metavar="NAME",
                        help="this node's name in the cluster (default: the hostname; "
                             "with --from, the bundle's host; with --lab, the first lab "
                             "node that is up, so name a director such as lvs1 for the "
                             "lvs check)")
    parser.add_argument("--sudo", action="store_true",
                        help="run the cluster tools through `sudo -n` "
                             "(see share/sudoers.d/hadeck)")
    parser.add_argument("--config", metavar="FILE",
                        help="hadeck configuration (default: $HADECK_CONFIG, "
                             "~/.config/hadeck/hadeck.toml, /etc/hadeck/hadeck.toml)")
    plugin.add_arguments(parser)
    return parser


# --------------------------------------------------------------------------- reading


def source_of(command: Command) -> str:
    """The source a command belongs to: the first part of its bundle name."""
    return command.name.split("/", 1)[0]


class CheckRunner(Runner):
    """A runner for one check: only its sources' commands, within its time, maybe sudo.

    Args:
        inner: the runner that really answers (local, bundle or lab).
        sources: source names whose commands run; others return :data:`SKIPPED`.
        deadline: ``time.monotonic()`` value by which every command must be done.
        sudo: run argv commands as ``sudo -n <argv>``.
    """

    def __init__(self, inner: Runner, sources: Collection[str], deadline: float,
                 sudo: bool = False) -> None:
        self.inner = inner
        self.node = inner.node
        self.timeout = inner.timeout
        # host.read gathers facts in process on a local runner, without fetch: only a
        # check that reads the host may look local.
        self.local = inner.local and "host" in sources
        self.sources = frozenset(sources)
        self.deadline = deadline
        self.sudo = sudo

    def _budget(self, timeout: float | None) -> float:
        # The configured timeout (the inner runner's), capped by what is left of -t.
        return min(self.limit(timeout), self.deadline - time.monotonic() - TIMEOUT_MARGIN)

    def _no_time(self, argv: Sequence[str]) -> CommandResult:
        return failure(argv, "timeout", f"{argv[0]}: not run, the check's time (-t) is used up")

    def run(self, argv: Sequence[str], timeout: float | None = None,
            input: str | None = None) -> CommandResult:
        budget = self._budget(timeout)
        if budget <= 0.05:
            return self._no_time(argv)
        return self.inner.run(argv, timeout=budget, input=input)

    def read_file(self, path: str, timeout: float | None = None) -> CommandResult:
        budget = self._budget(timeout)
        if budget <= 0.05:
            return self._no_time(("cat", path))
        return self.inner.read_file(path, timeout=budget)

    def fetch(self, command: Command, timeout: float | None = None) -> CommandResult:
        argv = command.argv if command.path is None else ("cat", command.path)
        if source_of(command) not in self.sources:
            return failure(argv, "failed", SKIPPED)
        budget = self._budget(timeout)
        if budget <= 0.05:
            return self._no_time(argv)
        if self.sudo and command.path is None and command.argv and self.inner.local:
            # sudo -n answers "a password is required" for a tool that is not installed
            # (no sudoers line can match it): look first, so that a missing tool stays
            # "not installed", which sources skip, and not "failed".
            if shutil.which(command.argv[0], path=SUDO_PATH) is None:
                return not_found(argv)
            return _unsudo(command.argv,
                           self.inner.run(("sudo", "-n", *command.argv), timeout=budget))
        return self.inner.fetch(command, timeout=budget)


_SUDO_NOT_FOUND = r"(?m)^sudo: (\S+): command not found"  # compiled on a failure only


def _unsudo(argv: tuple[str, ...], result: CommandResult) -> CommandResult:
    """A sudo result as if the tool had run itself: its argv, its missing-tool error.

    Sources tell "not installed" (skip it) from "failed" (an error) by the runner's
    ``missing`` kind; sudo says it in words and exits 1. A refusal (``-n``: a password
    would be needed) is a ``permission`` error naming the sudoers file to install.
    """
    if result.error is not None:
        return replace(result, argv=argv)
    if result.returncode == 1 and re.search(_SUDO_NOT_FOUND, result.stderr):
        return not_found(argv)
    if result.returncode == 1 and result.stderr.startswith("sudo:") and not result.stdout:
        why = result.stderr.strip().splitlines()[0]
        return failure(argv, "permission", f"{argv[0]} via sudo: {why}; {SUDO_HINT}",
                       result.stdout, result.stderr, result.duration)
    return replace(result, argv=argv)


def read_state(args: argparse.Namespace, sources: Collection[str],
               deadline: float, measure: Measurer | None = None) -> tuple[ClusterState, Any]:
    """Read the local node's state, for ``sources`` only; then the plugin's own
    ``measure``, if any, with the cluster as opened (``check_hadeck_pingd --probe``).

    Returns:
        The state (its ``sources`` limited to the ones read) and the configuration.

    Raises:
        nagiosplugin.CheckError: the configuration, bundle or lab cannot be used
            (:func:`hadeck.opening.open_cluster` says why).
    """
    from hadeck.collect import Access, read_local, repos_on
    from hadeck.opening import OpenError, open_cluster

    try:
        # Opened as every face opens it; a bundle is seen from its recording host, and
        # CheckAccess below reads it as --node.
        opened = open_cluster(args.config, bundle=args.bundle, lab=args.lab, node=args.node,
                              create_lab=False)
    except OpenError as exc:
        raise nagiosplugin.CheckError(plugin_text(str(exc))) from None
    inner, config = opened.access, opened.config

    class CheckAccess(Access):
        origin = inner.origin
        instant = inner.instant  # a bundle's sources one after the other: no threads

        def __init__(self) -> None:
            local = inner.local
            if args.node and args.bundle:
                local = inner.runner(args.node)
            super().__init__(CheckRunner(local, sources, deadline, args.sudo))

        def runner(self, node: str) -> Runner:
            if node == self.local.node:
                return self.local
            return CheckRunner(inner.runner(node), sources, deadline, args.sudo)

        def nodes(self) -> tuple[str, ...] | None:
            return inner.nodes()

        def frozen_at(self) -> float | None:
            return inner.frozen_at()

    with opened:  # a probe of the peers (--probe) goes over ssh: closed before the verdict
        access = CheckAccess()
        here = access.local.node
        state = read_local(access, sources, director=here in config.directors,
                           repos=repos_on(config, here, here) if "backups" in sources else ())
        kept = tuple(s for s in state.sources if s.source in sources)
        state = replace(state, sources=kept)
        if measure is not None:
            state = measure(state, inner, config, deadline, args)
    return state, config


# --------------------------------------------------------------------------- assessing

# Measure, Assessment and Plugin are records with written-out methods (hadeck.record), not
# dataclasses nor typing.NamedTuple: both generate code at import, and typing alone is ~10 %
# of a plugin's start (issue 15; docs/design.md, "A check plugin's start-up").

@record(frozen=True)
class Measure:
    """A number for perfdata, judged against ``-w/-c`` when ``threshold`` names a context.

    Attributes:
        label: the perfdata label (made safe by :func:`perf_label`).
        value: the number.
        uom: a unit of the guidelines' list: ``""``, ``s``, ``ms``, ``us``, ``%``, ``B``,
            ``KB``, ``MB``, ``TB`` or ``c``.
        min: the least possible value, if known.
        max: the greatest possible value, if known.
        threshold: the :class:`ThresholdContext` that judges it; None for perfdata only.
        subject: what it is about, for the status line: ``r0@alpha → bravo``.
        what: what the number is: ``out of sync``, ``real servers in service``.
    """

    label: str
    value: float
    uom: str = ""
    min: float | None = None
    max: float | None = None
    threshold: str | None = None
    subject: str = ""
    what: str = ""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("label", "value", "uom", "min", "max", "threshold", "subject", "what")

    def __init__(self, label: str, value: float, uom: str = "", min: float | None = None,
                 max: float | None = None, threshold: str | None = None, subject: str = "",
                 what: str = "") -> None:
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "uom", uom)
        object.__setattr__(self, "min", min)
        object.__setattr__(self, "max", max)
        object.__setattr__(self, "threshold", threshold)
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "what", what)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(label={self.label!r}, value={self.value!r}, "
                f"uom={self.uom!r}, min={self.min!r}, max={self.max!r}, "
                f"threshold={self.threshold!r}, subject={self.subject!r}, what={self.what!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.label, self.value, self.uom, self.min, self.max, self.threshold, self.subject,
                 self.what)
                == (other.label, other.value, other.uom, other.min, other.max, other.threshold,
                    other.subject, other.what))

    def __hash__(self) -> int:
        return hash((self.label, self.value, self.uom, self.min, self.max, self.threshold,
                     self.subject, self.what))
    # End of generated code.


@record(frozen=True)
class Assessment:
    """What a plugin concluded: verdicts, measures, and its OK status text."""

    verdicts: Sequence[Verdict]
    measures: Sequence[Measure] = ()
    ok_text: str = ""

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("verdicts", "measures", "ok_text")

    def __init__(self, verdicts: Sequence[Verdict], measures: Sequence[Measure] = (),
                 ok_text: str = "") -> None:
        object.__setattr__(self, "verdicts", verdicts)
        object.__setattr__(self, "measures", measures)
        object.__setattr__(self, "ok_text", ok_text)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(verdicts={self.verdicts!r}, "
                f"measures={self.measures!r}, ok_text={self.ok_text!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.verdicts, self.measures, self.ok_text)
                == (other.verdicts, other.measures, other.ok_text))

    def __hash__(self) -> int:
        return hash((self.verdicts, self.measures, self.ok_text))
    # End of generated code.




def perf_label(*parts: str) -> str:
    """A perfdata label from parts, safe for every reader of perfdata.

    The guidelines forbid ``'`` and ``=`` in a label; Nagios splits the plugin's output at
    ``|``, Icinga 2 splits perfdata at blanks (outside quotes) and a label at its last
    ``=``. So those, and every character that is not printable (controls, bidirectional
    controls, separators: :mod:`hadeck.text`), become ``_``, a run of them one ``_``.
    The rest is kept (nagiosplugin quotes a label that is not all word characters).
    """
    text = "_".join(p for p in parts if p)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    # Now the only blank left is " " (every other is not printable): each run of " ", "'",
    # "=" and "|" becomes one "_" (str methods: no pattern to compile; issue 15).
    spaced = text.replace("'", " ").replace("=", " ").replace("|", " ")
    if " " not in spaced:
        return spaced
    words = spaced.split(" ")
    core = "_".join(w for w in words if w)
    if not core:
        return "_"
    return ("_" if not words[0] else "") + core + ("_" if not words[-1] else "")


def plugin_text(text: str) -> str:
    """Text for a plugin's status line or long output: one line, shown, never obeyed.

    What :func:`hadeck.text.safe` escapes, and ``|`` as ``\\x7c``: Nagios reads what
    follows a ``|`` as perfdata (nagiosplugin would drop it and add a warning line).
    """
    return safe(text).replace("|", "\\x7c")


def source_verdicts(state: ClusterState) -> list[Verdict]:
    """UNKNOWN for each source this check read that failed: it cannot vouch for it."""
    return judge_sources(state.sources)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def fmt_number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- nagiosplugin


class RankedResults(nagiosplugin.Results):
    """Results ranked as hadeck ranks verdicts: CRITICAL above UNKNOWN.

    nagiosplugin ranks by exit code, so an UNKNOWN (a source that could not be read)
    would hide a CRITICAL; :func:`hadeck.health.worst` does not let it.
    """

    @staticmethod
    def _rank(state: ServiceState) -> int:
        return rank(_HEALTH_OF[state.code])

    def __iter__(self) -> Generator[nagiosplugin.Result, None, None]:
        for state in sorted(self.by_state, key=self._rank, reverse=True):
            yield from self.by_state[state]

    @property
    def most_significant_state(self) -> ServiceState:
        return max(self.by_state.keys(), key=self._rank)


class VerdictContext(nagiosplugin.Context):
    """A hadeck verdict is its own evaluation: its health, its subject and reason."""

    def __init__(self) -> None:
        super().__init__("verdict")

    def evaluate(self, metric: nagiosplugin.Metric, resource: Any) -> nagiosplugin.Result:
        verdict: Verdict = metric.value
        return self.result_cls(STATES[verdict.health], f"{verdict.subject}: {verdict.reason}",
                               metric)


class PerfContext(nagiosplugin.Context):
    """A number reported as perfdata, never judged."""

    def __init__(self) -> None:
        super().__init__("perf")

    def evaluate(self, metric: nagiosplugin.Metric, resource: Any) -> nagiosplugin.Result:
        return self.result_cls(Ok, None, metric)

    def performance(self, metric: nagiosplugin.Metric,
                    resource: Any) -> nagiosplugin.Performance:
        return nagiosplugin.Performance(metric.name, metric.value, metric.uom,
                                        min=metric.min, max=metric.max)


class ThresholdContext(nagiosplugin.ScalarContext):
    """``-w/-c`` on a measure; the text says what and where, then the range it left."""

    def __init__(self, name: str, warning: nagiosplugin.Range | None,
                 critical: nagiosplugin.Range | None) -> None:
        super().__init__(name, warning, critical)

    def describe(self, metric: nagiosplugin.Metric) -> str:
        resource = metric.resource
        measure = (resource.measures.get(metric.name)
                   if isinstance(resource, StateResource) else None)
        value = fmt_number(metric.value) + (f" {metric.uom}" if metric.uom else "")
        if measure is None:
            return f"{metric.name} {value}"
        return f"{measure.subject}: {value} {measure.what}".strip()


class LateThresholdContext(ThresholdContext):
    """``-w/-c`` whose defaults come from the configuration, known only after the read:
    the ranges are looked up in the options (``<name>_warning``, ``<name>_critical``)
    when a measure is judged, after ``assess`` filled in what the command line left out.
    """

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self._args = args
        super().__init__(name, None, None)

    @property
    def warning(self) -> nagiosplugin.Range:
        return nagiosplugin.Range(getattr(self._args, f"{self.name}_warning", None))

    @warning.setter
    def warning(self, value: object) -> None:
        pass  # ScalarContext sets it at init; the options hold it

    @property
    def critical(self) -> nagiosplugin.Range:
        return nagiosplugin.Range(getattr(self._args, f"{self.name}_critical", None))

    @critical.setter
    def critical(self, value: object) -> None:
        pass


class StateResource(nagiosplugin.Resource):
    """Acquisition: read the local node's state and hand out the plugin's metrics."""

    def __init__(self, plugin: Plugin, args: argparse.Namespace, deadline: float) -> None:
        self.plugin = plugin
        self.args = args
        self.deadline = deadline
        self.measures: dict[str, Measure] = {}
        self.ok_text = ""
        self.problems: tuple[Problem, ...] = ()
        """The plugin's problems grouped as every face groups them, root cause first."""
        self.own: set[int] = set()
        """The ids of the plugin's own verdicts (a cause may bring witnesses)."""

    # nagiosplugin's Resource.name is a read-only property; its stubs call it an attribute.
    @property
    def name(self) -> str:  # type: ignore[override]
        return self.plugin.title

    def probe(self) -> list[nagiosplugin.Metric]:
        try:
            state, config = read_state(self.args, self.plugin.sources_for(self.args),
                                       self.deadline, self.plugin.measure)
            assessment = self.plugin.assess(state, self.args, config)
        except nagiosplugin.CheckError:
            raise
        except Exception as exc:
            # A bug of ours is still one UNKNOWN line, through the summary like any other
            # (nagiosplugin would print the traceback with -v, and the bare message).
            raise nagiosplugin.CheckError(plugin_text(
                f"internal error, please report it: {type(exc).__name__}: {exc}")) from None
        self.ok_text = assessment.ok_text
        verdicts = list(assessment.verdicts)
        if not verdicts:
            # Never an empty check (nagiosplugin would print a warning line): say why.
            verdicts.append(nothing_to_judge(state.local_node, state.sources))
        self.own = {id(v) for v in verdicts}
        self.problems = grouped_problems(state, verdicts)
        metrics = [nagiosplugin.Metric(f"verdict{i}", v, context="verdict")
                   for i, v in enumerate(verdicts)]
        for m in assessment.measures:
            if not math.isfinite(m.value):
                continue  # nan or inf: no reader of perfdata parses it (a pingd of "1e999")
            m = replace(m, label=perf_label(m.label), min=_finite_or_none(m.min),
                           max=_finite_or_none(m.max))
            self.measures[m.label] = m
            metrics.append(nagiosplugin.Metric(m.label, _tidy(m.value), m.uom or None,
                                               _tidy(m.min), _tidy(m.max),
                                               context=m.threshold or "perf"))
        return metrics


def grouped_problems(state: ClusterState, verdicts: Sequence[Verdict]) -> tuple[Problem, ...]:
    """The problems among a plugin's ``verdicts``, each root cause with what it caused, as
    ``hadeck status`` groups them: the status line leads with the cause.

    A cause may lie outside what the plugin judges — check_hadeck_cluster does not judge
    pingd, yet lost ping nodes are why vm1 stopped — so the pingd verdicts are judged
    too, as witnesses only: a problem is kept when one of the plugin's own verdicts is in
    it, and the plugin's state still comes from its own verdicts alone.
    """
    from hadeck.health.causes import find_causes

    own = {id(v) for v in verdicts}
    witnesses: list[Verdict] = []
    if state.pacemaker is not None and not any(v.area == "connectivity" for v in verdicts):
        from hadeck.health.connectivity import judge_pingd

        witnesses = judge_pingd(state.pacemaker)
    everything = tuple(verdicts) + tuple(witnesses)
    judgement = Judgement(everything, find_causes(state, everything))
    return tuple(p for p in judgement.grouped()
                 if any(id(v) in own for v in p.verdicts))


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _tidy(value: float | None) -> float | None:
    """``100.0`` → ``100``: perfdata and text without a needless ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class CheckSummary(nagiosplugin.Summary):
    """Presentation: the worst problem first with a count of the rest; -v lists all."""

    def __init__(self, resource: StateResource, verbose: int) -> None:
        self.resource = resource
        self.verbosity = verbose

    @staticmethod
    def _said(results: nagiosplugin.Results) -> list[nagiosplugin.Result]:
        return [r for r in results if str(r)]

    # The plugin's output boundary: every line it writes goes through plugin_text, so a
    # name from the cluster can neither drive the terminal nor end the status line.

    def ok(self, results: nagiosplugin.Results) -> str:
        return plugin_text(self.resource.ok_text or "all OK")

    def problem(self, results: nagiosplugin.Results) -> str:
        bad = [r for r in results if r.state != Ok]
        if not bad:  # pragma: no cover - problem() is only called with a problem
            return self.ok(results)
        text = str(bad[0])
        more = len(bad) - 1
        headline = self._headline(bad[0].state)
        if headline is not None:
            # A root cause and what it caused are one problem, said cause first (as
            # hadeck status says it); a threshold that fired is one more.
            text = f"{headline.subject}: {headline.reason}"
            more = len(self.resource.problems) - 1 + len(
                [r for r in bad if r.metric is None or not isinstance(r.metric.value, Verdict)])
        if more > 0:
            text += f" (+{more} more)"
        return plugin_text(text)

    def _headline(self, state: ServiceState) -> Problem | None:
        """The first grouped problem whose own verdicts reach ``state`` (None: the worst
        result is a threshold, not a verdict)."""
        for problem in self.resource.problems:
            if any(STATES[v.health] == state for v in problem.verdicts
                   if id(v) in self.resource.own):
                return problem
        return None

    def verbose(self, results: nagiosplugin.Results) -> list[str]:
        return [plugin_text(f"{str(r.state).upper()}: {r}") for r in self._said(results)]


def _no_contexts(args: argparse.Namespace) -> list[nagiosplugin.Context]:
    return []


def _as_is(args: argparse.Namespace, sources: frozenset[str]) -> frozenset[str]:
    return sources


@record(frozen=True)
class Plugin:
    """One check plugin: what it reads, its options, and how it judges.

    Attributes:
        name: short name, ``drbd``; the script is ``check_hadeck_<name>``.
        description: the ``--help`` text.
        sources: the sources it reads (``pacemaker``, ``drbd``, ``guests``, ``lvs``,
            ``keepalived``, ``corosync``, ``host``).
        add_arguments: adds the plugin's own options.
        assess: the state, the options and the configuration → verdicts and measures.
        thresholds: names of the :class:`ThresholdContext`\\ s ``-w/-c`` feed; other
            contexts come from ``contexts``.
        contexts: builds extra contexts from the options (per-metric thresholds).
        select_sources: narrows ``sources`` from the options (``--expect`` needs no
            Pacemaker).
        measure: measurements of its own after the read (the state, the cluster as
            opened, the configuration, the deadline, the options → the state with them).
    """

    name: str
    description: str
    sources: frozenset[str]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    assess: Callable[[ClusterState, argparse.Namespace, Any], Assessment]
    thresholds: tuple[str, ...] = ()
    contexts: Callable[[argparse.Namespace], list[nagiosplugin.Context]] = _no_contexts
    select_sources: Callable[[argparse.Namespace, frozenset[str]], frozenset[str]] = _as_is
    measure: Measurer | None = None

    @property
    def title(self) -> str:
        return f"{PREFIX} {self.name.upper()}"

    def sources_for(self, args: argparse.Namespace) -> frozenset[str]:
        return self.select_sources(args, self.sources)

    # Generated by scripts/records.py from the fields above; do not edit.
    __match_args__ = ("name", "description", "sources", "add_arguments", "assess", "thresholds",
                      "contexts", "select_sources", "measure")

    def __init__(
        self,
        name: str,
        description: str,
        sources: frozenset[str],
        add_arguments: Callable[[argparse.ArgumentParser], None],
        assess: Callable[[ClusterState, argparse.Namespace, Any], Assessment],
        thresholds: tuple[str, ...] = (),
        contexts: Callable[[argparse.Namespace], list[nagiosplugin.Context]] = _no_contexts,
        select_sources: Callable[[argparse.Namespace, frozenset[str]], frozenset[str]] = _as_is,
        measure: Measurer | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "add_arguments", add_arguments)
        object.__setattr__(self, "assess", assess)
        object.__setattr__(self, "thresholds", thresholds)
        object.__setattr__(self, "contexts", contexts)
        object.__setattr__(self, "select_sources", select_sources)
        object.__setattr__(self, "measure", measure)

    def __repr__(self) -> str:
        return (f"{self.__class__.__qualname__}(name={self.name!r}, "
                f"description={self.description!r}, sources={self.sources!r}, "
                f"add_arguments={self.add_arguments!r}, assess={self.assess!r}, "
                f"thresholds={self.thresholds!r}, contexts={self.contexts!r}, "
                f"select_sources={self.select_sources!r}, measure={self.measure!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return ((self.name, self.description, self.sources, self.add_arguments, self.assess,
                 self.thresholds, self.contexts, self.select_sources, self.measure)
                == (other.name, other.description, other.sources, other.add_arguments, other.assess,
                    other.thresholds, other.contexts, other.select_sources, other.measure))

    def __hash__(self) -> int:
        return hash((self.name, self.description, self.sources, self.add_arguments, self.assess,
                     self.thresholds, self.contexts, self.select_sources, self.measure))
    # End of generated code.


def run(plugin: Plugin, argv: Sequence[str] | None = None) -> NoReturn:
    """Parse the options, run the check, print, exit. Never returns, never raises."""
    # verbose off: whatever goes wrong is one UNKNOWN line, never a traceback.
    try:
        nagiosplugin.guarded(_run, verbose=False)(plugin, argv)
    except SystemExit as exc:
        if isinstance(exc.code, int):
            # Started as a console script, the process ends with it, unfinalized
            # (hadeck/checks/__init__.py).
            checks.exit_code = exc.code
        raise
    sys.exit(EXIT_UNKNOWN)  # pragma: no cover - _run always exits


def _run(plugin: Plugin, argv: Sequence[str] | None) -> NoReturn:
    args = build_parser(plugin).parse_args(argv)
    deadline = time.monotonic() + args.timeout
    resource = StateResource(plugin, args, deadline)
    contexts: list[nagiosplugin.Context] = [VerdictContext(), PerfContext()]
    contexts += [ThresholdContext(name, getattr(args, "warning", None),
                                  getattr(args, "critical", None))
                 for name in plugin.thresholds]
    contexts += plugin.contexts(args)
    check = nagiosplugin.Check(resource, *contexts, CheckSummary(resource, args.verbose),
                               RankedResults())
    check.name = plugin.title
    try:
        check.main(verbose=args.verbose, timeout=args.timeout)
    except nagiosplugin.Timeout:
        print(f"{plugin.title} UNKNOWN - timed out after {args.timeout} s (-t {args.timeout})")
        sys.stdout.flush()
        # Worker threads may still wait on a command; do not wait for them at exit.
        os._exit(EXIT_UNKNOWN)
    sys.exit(check.exitcode)  # pragma: no cover - check.main exits
