"""The ``chatroute`` command line: ``check``, ``simulate``, ``explain`` and ``staff``.

``chatroute check FILE`` validates a routing set-up or a scenario (TOML or JSON): it
prints every problem with its path (and its line in the file) and exits 1, or prints a
one-screen summary and exits 0. ``chatroute simulate`` compares strategies on simulated
traffic (the embedded car-dealer scenario when no file is given), ``chatroute explain``
shows where one dialog would go and why, and ``chatroute staff`` finds the head count
for a service-level target. ``chatroute schema config|scenario`` prints a JSON Schema
for editors, and ``chatroute init`` writes a commented starter desk. A user's mistake
is one line on stderr and exit code 1 (2 for a malformed command line), never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from datetime import time as clock
from typing import Any, NoReturn, TextIO
from zoneinfo import ZoneInfo

import attrs

from . import _starter
from ._locate import json_lines, line_of, toml_lines
from ._schema import config_schema, scenario_schema
from .config import RoutingConfig, parse_text, read_text
from .errors import ChatrouteError, ConfigError
from .model import Dialog, TargetKind
from .serialize import from_dict

__all__ = ["main", "main_exit", "summary"]

_CHECK_EXAMPLE = """example:
  chatroute check desk.toml
  desk.toml: 2 problems
  desk.toml:14: operators[3].limit: must be a non-negative integer (got -1)
  desk.toml:31: rules[0].to.group: unknown group 'salez' (did you mean 'sales'?)

Every problem is listed in one pass, with its line in the file (TOML or JSON). A scenario file
(one with [config] and [traffic] tables) is checked as a whole:
  chatroute check examples/support_desk.toml
"""
_SCHEMA_EXAMPLE = """examples:
  chatroute schema config > chatroute-config.schema.json
  chatroute schema scenario > chatroute-scenario.schema.json

Point your editor at them: in a TOML file, a first line such as
  #:schema ./chatroute-config.schema.json
lets Even Better TOML (Taplo) complete keys and flag mistakes as you type.
Conditions and strategies of your own are in the schema once the module that
registers them (chatroute.serialize.register) is imported:
  chatroute schema config --register myapp.routing > chatroute-config.schema.json
"""
_INIT_EXAMPLE = """example:
  chatroute init my-desk
  chatroute check my-desk/desk.toml
  chatroute simulate my-desk/scenario.toml
"""
_SIMULATE_EXAMPLE = """examples:
  chatroute simulate                                  # the embedded car-dealer scenario
  chatroute simulate examples/support_desk.toml --compare config,even,random
  chatroute simulate --hours 4 --seed 7 --json > report.json
  chatroute simulate --plot waits.png
  chatroute simulate --replications 30 --jobs 4     # 30 simulated days on 4 processes

Every figure is a mean ± 95% half-width over --replications simulated days (10 by
default; every set-up sees the same days), and a verdict line names the set-ups whose
difference from the first one is significant.

strategies for --compare: config (the scenario as written), even, random,
round-robin, longest-idle, most-available, even-ratio, sticky, manual, broadcast,
skill:NAME; and the scenario's config with a feature switched: no-wrap-up,
hold-frees-slot, no-overflow (the config without its groups' overflows and queue caps),
no-queue-cap (without the caps only), no-relax (without the config's relax steps)
"""
_EXPLAIN_EXAMPLE = """examples:
  chatroute explain examples/support_desk.toml --dialog '{"channel": "site", "topic": "billing"}'
  chatroute explain default --dialog '{"page_url": "https://cheshka.example/used/x"}' --at 10:30

The dialog is JSON with Dialog's fields (id defaults to "explained"). --at is a time
in the simulated span (ISO 8601, or HH:MM on the scenario's first day); the scenario
is simulated up to then, so statuses and loads are those of that moment.
"""
_STAFF_EXAMPLE = """examples:
  chatroute staff examples/support_desk.toml --target 80/30
  chatroute staff default --target 90/20 --strategy even
  chatroute staff default --interval 30min --shrinkage 30%
  chatroute staff default --interval 1h --max-abandon 5% --json > plan.json
  chatroute staff default --interval 30min --plot staffing.png

Without --interval: the fewest operators for the whole day, beside Erlang C. With
--interval: operators per interval (Erlang A or C, then checked on simulated days,
queues carrying over), with shrinkage, against the scenario's shifts; exits 1 when
an interval cannot meet the targets.
"""
_DEFAULT = "default"
_PROGRESS_AFTER = 2.0  # seconds of work before a progress bar appears


class _Fail(Exception):
    """A user's mistake, reported as one line."""


def summary(config: RoutingConfig) -> list[str]:
    """A one-screen description of a set-up."""
    lines = []
    channels = ", ".join(
        f"{c.name} (priority {c.priority}, SLA {c.sla.warn.total_seconds():g}"
        f"/{c.sla.critical.total_seconds():g} s)"
        for c in config.channels
    )
    lines.append(f"channels: {channels}")
    extra = ", ".join(f"{s.key}{'' if s.routable else ' (not routable)'}" for s in config.statuses)
    lines.append(f"statuses: online, away, offline{', ' + extra if extra else ''}")
    lines.append(f"operators: {len(config.operators)}, default limit {config.default_limit}")
    lines.append(f"groups: {len(config.groups)}")
    for group in config.groups:
        strategy = (group.strategy or config.strategy).describe()
        title = f" shown as {group.display_title!r}" if group.title else ""
        state = "" if group.enabled else " [disabled]"
        lines.append(f"  {group.id}{title}: {len(group.operator_ids)} operators, {strategy}{state}")
    lines.append(f"rules: {len(config.rules)}")
    lines.extend(f"  {i + 1}. {rule.describe()}" for i, rule in enumerate(config.rules))
    fallback = config.fallback
    everyone = " (every routable operator)" if fallback.kind is TargetKind.EVERYONE else ""
    lines.append(f"fallback: {fallback}{everyone}")
    lines.append(f"default strategy: {config.strategy.describe()}")
    lines.append(f"when an operator goes offline: {config.offline_policy.value} their dialogs")
    return lines


# ----------------------------------------------------------------------- commands


def _check(args: argparse.Namespace, out: TextIO) -> int:
    path = args.file
    text, kind = "", ""
    try:
        text, kind = read_text(path)
        data = parse_text(text, kind)
        if "config" in data or "traffic" in data:
            from .simulate import Scenario
            from .simulate.describe import describe_scenario

            scenario = Scenario.load(path)
            lines = summary(scenario.config) + describe_scenario(scenario)
        else:
            lines = summary(RoutingConfig.from_dict(data))
    except ConfigError as exc:
        count = len(exc.problems)
        out.write(f"{path}: {count} problem{'s' if count != 1 else ''}\n")
        out.writelines(_problem_lines(path, text, kind, exc.problems))
        return 1
    out.write(f"{path}: ok\n")
    out.writelines(f"  {line}\n" for line in lines)
    return 0


def _problem_lines(path: str, text: str, kind: str, problems: Sequence[tuple[str, str]]) -> list[str]:
    """Each problem on its own line, ``file:line: path: message`` where the line is known."""
    positions = {}
    if kind == "toml":
        positions = toml_lines(text)
    elif kind == "json":
        try:
            positions = json_lines(text)
        except (ValueError, IndexError, RecursionError):  # not JSON: the problem says so, without a line
            positions = {}
    lines = []
    for where, message in problems:
        number = line_of(where, positions) if where else None
        text = f"{where}: {message}" if where else message
        lines.append(f"  {path}:{number}: {text}\n" if number else f"  {text}\n")
    return lines


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    schema = config_schema() if args.kind == "config" else scenario_schema()
    out.write(json.dumps(schema, indent=2) + "\n")
    return 0


def _init(args: argparse.Namespace, out: TextIO) -> int:
    files = {
        os.path.join(args.dir, "desk.toml"): _starter.CONFIG,
        os.path.join(args.dir, "scenario.toml"): _starter.scenario(),
    }
    there = [name for name in files if os.path.exists(name)]
    if there and not args.force:
        raise _Fail(f"{there[0]} exists: give --force to overwrite it")
    os.makedirs(args.dir, exist_ok=True)
    for name, text in files.items():
        with open(name, "w", encoding="utf-8") as file:
            file.write(text)
        out.write(f"wrote {name}\n")
    config, scenario_file = files
    out.write(f"next: chatroute check {config}\n      chatroute simulate {scenario_file}\n")
    return 0


def _simulate(args: argparse.Namespace, out: TextIO) -> int:
    from .simulate import simulate

    scenario = _scenario(args.scenario)
    if args.hours is not None:
        scenario = attrs.evolve(scenario, hours=args.hours)
    strategies = _names(args.compare) if args.compare else None
    with _Progress() as progress:
        report = simulate(
            scenario,
            strategies,
            seed=args.seed,
            replications=args.replications,
            jobs=args.jobs,
            progress=progress.update,
        )
    if args.json:
        out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report.render() + "\n")
    if args.plot:
        from .simulate.plot import write_plot

        _draw(write_plot, report, args, out)
    return 0


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from .simulate import explain_at

    scenario = _scenario(args.scenario)
    try:
        data = json.loads(args.dialog)
    except json.JSONDecodeError as exc:
        raise _Fail(f"--dialog: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise _Fail('--dialog: give a JSON object, such as \'{"channel": "site"}\'')
    data.setdefault("id", "explained")
    try:
        dialog = from_dict(Dialog, data)
    except ConfigError as exc:
        path, message = exc.problems[0]
        raise _Fail(f"--dialog: {path}: {message}" if path else f"--dialog: {message}") from None
    at = _moment(args.at, scenario) if args.at else None
    decision = explain_at(scenario, dialog, at)
    when = at or scenario.start
    out.write(f"at {when.isoformat()} in {scenario.name!r}:\n")
    out.write(decision.explain() + "\n")
    return 0


def _staff(args: argparse.Namespace, out: TextIO) -> int:
    from .simulate import staff, staff_intervals

    scenario = _scenario(args.scenario)
    per_interval = args.interval is not None or any(
        v is not None for v in (args.shrinkage, args.max_occupancy, args.max_abandon, args.plot)
    )
    if not per_interval:
        found = staff(
            scenario, args.target, strategy=args.strategy, seed=args.seed, max_operators=args.max_operators
        )
        out.write(json.dumps(found.to_dict(), indent=2) + "\n" if args.json else found.render() + "\n")
        return 0 if found.operators is not None else 1
    with _Progress():
        plan = staff_intervals(
            scenario,
            args.target,
            interval=args.interval or "30min",
            shrinkage=args.shrinkage or 0.0,
            max_occupancy=args.max_occupancy,
            max_abandon=args.max_abandon,
            strategy=args.strategy,
            seed=args.seed,
            replications=args.replications,
            jobs=args.jobs,
            max_operators=args.max_operators,
        )
    out.write(json.dumps(plan.to_dict(), indent=2) + "\n" if args.json else plan.render() + "\n")
    if args.plot:
        from .simulate.plot import write_staffing_plot

        _draw(write_staffing_plot, plan, args, out)
    return 1 if plan.unmet else 0


def _draw(write: Callable[[Any, str], None], result: Any, args: argparse.Namespace, out: TextIO) -> None:
    """Write ``--plot`` with ``write``, and say where unless the output is JSON."""
    try:
        write(result, args.plot)
    except OSError as exc:
        raise _Fail(f"cannot write {args.plot}: {exc.strerror or exc}") from None
    if not args.json:
        out.write(f"\nplot written to {args.plot}\n")


# ------------------------------------------------------------------------ helpers


def _scenario(path: str | None) -> Any:
    from .simulate import Scenario

    if path is None or path == _DEFAULT:
        return Scenario.default()
    try:
        return Scenario.load(path)
    except ConfigError as exc:
        line = _config_line(exc)
        raise _Fail(line if line.startswith(path) else f"{path}: {line}") from None


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise _Fail("--compare: give strategy names separated by commas, such as even,random")
    return names


def _moment(text: str, scenario: Any) -> datetime:
    zone = ZoneInfo(scenario.timezone)
    try:
        if len(text) <= 8 and ":" in text:
            local = scenario.start.astimezone(zone)
            return datetime.combine(local.date(), clock.fromisoformat(text), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Fail(f"--at: give HH:MM or an ISO 8601 time (got {text!r})") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of hours, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of hours, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


class _Progress:
    """A progress bar on stderr, shown only on a terminal and only once a run takes a while."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, share: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < _PROGRESS_AFTER:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

            self.bar = Progress(
                "simulating",
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("simulate", total=1.0)
        self.bar.update(self.task, completed=share)


# --------------------------------------------------------------------------- main


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chatroute", description="Route customer chats to operators.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=example,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    check = command("check", "validate a routing set-up or a scenario (TOML or JSON)", _CHECK_EXAMPLE)
    check.add_argument("file", help="a .toml or .json routing config or scenario")
    schema = command("schema", "print the JSON Schema of config or scenario files", _SCHEMA_EXAMPLE)
    schema.add_argument("kind", choices=["config", "scenario"], help="which kind of file")
    for registers in (check, schema):
        registers.add_argument(
            "--register",
            action="append",
            default=[],
            metavar="MODULE",
            help="import a module that registers your own condition or strategy kinds first",
        )
    init = command("init", "write a commented starter config and scenario for a small desk", _INIT_EXAMPLE)
    init.add_argument("dir", nargs="?", default=".", help="where to write them (default: here)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    sim = command("simulate", "compare routing strategies on simulated traffic", _SIMULATE_EXAMPLE)
    sim.add_argument("scenario", nargs="?", help="a scenario file (default: the embedded car dealer)")
    sim.add_argument("--compare", metavar="LIST", help="strategies to compare, comma-separated")
    sim.add_argument("--hours", type=_positive_float, metavar="H", help="simulate H hours of arrivals")
    sim.add_argument("--seed", type=int, metavar="S", help="seed of the traffic and the routers")
    sim.add_argument("--json", action="store_true", help="print the full report as JSON")
    sim.add_argument("--plot", metavar="FILE.png", help="also draw waits and service levels to a PNG")
    sim.add_argument(
        "--replications",
        type=_positive_int,
        default=10,
        metavar="R",
        help="simulated days per set-up, for the confidence intervals (default: 10)",
    )
    sim.add_argument(
        "--jobs", type=_positive_int, metavar="J", help="processes to run on (default: every core)"
    )
    explain = command("explain", "show where one dialog would go, and why", _EXPLAIN_EXAMPLE)
    explain.add_argument("scenario", help="a scenario file, or 'default'")
    explain.add_argument("--dialog", required=True, metavar="JSON", help="the dialog, as a JSON object")
    explain.add_argument("--at", metavar="TIME", help="when, within the simulated span (default: its start)")
    staff = command("staff", "find the fewest operators that reach a service-level target", _STAFF_EXAMPLE)
    staff.add_argument("scenario", help="a scenario file, or 'default'")
    staff.add_argument("--target", default="80/30", help="percent/seconds, such as 80/30 (the default)")
    staff.add_argument("--strategy", default="config", help="the strategy to staff for (default: config)")
    staff.add_argument("--seed", type=int, metavar="S", help="seed of the traffic and the routers")
    staff.add_argument("--max-operators", type=int, metavar="N", help="give up above N operators")
    staff.add_argument("--interval", metavar="LENGTH", help="plan per interval: 30min or 1h")
    staff.add_argument("--shrinkage", metavar="SHARE", help="share of paid time not answering, such as 30%%")
    staff.add_argument("--max-occupancy", metavar="SHARE", help="occupancy target per interval, such as 85%%")
    staff.add_argument("--max-abandon", metavar="SHARE", help="abandonment target per interval, such as 5%%")
    staff.add_argument(
        "--replications",
        type=_positive_int,
        default=4,
        metavar="R",
        help="simulated days per round (default: 4)",
    )
    staff.add_argument("--jobs", type=_positive_int, metavar="J", help="processes (default: every core)")
    staff.add_argument("--json", action="store_true", help="print the result as JSON")
    staff.add_argument("--plot", metavar="FILE.png", help="draw the plan per interval to a PNG")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "check": _check,
    "schema": _schema,
    "init": _init,
    "simulate": _simulate,
    "explain": _explain,
    "staff": _staff,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        out: where results go (default: stdout); errors go to stderr.
    """
    args = _parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        for module in getattr(args, "register", ()):
            _register(module)
        return _COMMANDS[args.command](args, stream)
    except ConfigError as exc:
        _error(_config_line(exc))
    except (ChatrouteError, _Fail) as exc:
        _error(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        _error("interrupted")
    return 1


def _register(module: str) -> None:
    """Import a host's module, whose import registers its own kinds with chatroute.serialize."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise _Fail(f"--register {module}: cannot import it ({exc})") from None


def _config_line(exc: ConfigError) -> str:
    path, message = exc.problems[0] if exc.problems else ("", str(exc))
    more = len(exc.problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''}: run chatroute check)" if more > 0 else ""
    return (f"{path}: {message}" if path else message) + tail


def _error(message: str) -> None:
    sys.stderr.write(f"chatroute: error: {message}\n")


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main_exit()
