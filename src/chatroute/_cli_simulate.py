"""The command line's commands that run the simulator: ``simulate``, ``explain`` and ``staff``.

The simulator (and matplotlib for ``--plot``, rich for the progress bar) loads only
when one of them runs, so ``check``, ``schema`` and ``init`` start without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import attrs

from ._cli_common import Fail, config_line
from .errors import ConfigError
from .model import Dialog
from .serialize import from_dict

__all__ = ["add_commands"]

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


def add_commands(
    command: Callable[[str, str, str], argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace, TextIO], int]]:
    """Add ``simulate``, ``explain`` and ``staff`` with ``command``; their functions by name."""
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
    return {"simulate": _simulate, "explain": _explain, "staff": _staff}


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
        raise Fail(f"--dialog: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise Fail('--dialog: give a JSON object, such as \'{"channel": "site"}\'')
    data.setdefault("id", "explained")
    try:
        dialog = from_dict(Dialog, data)
    except ConfigError as exc:
        path, message = exc.problems[0]
        raise Fail(f"--dialog: {path}: {message}" if path else f"--dialog: {message}") from None
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
        raise Fail(f"cannot write {args.plot}: {exc.strerror or exc}") from None
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
        line = config_line(exc)
        raise Fail(line if line.startswith(path) else f"{path}: {line}") from None


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise Fail("--compare: give strategy names separated by commas, such as even,random")
    return names


def _moment(text: str, scenario: Any) -> datetime:
    zone = ZoneInfo(scenario.timezone)
    try:
        if len(text) <= 8 and ":" in text:
            local = scenario.start.astimezone(zone)
            return datetime.combine(local.date(), clock.fromisoformat(text), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Fail(f"--at: give HH:MM or an ISO 8601 time (got {text!r})") from None
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
