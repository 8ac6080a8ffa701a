"""Staffing per interval: how many operators each half hour (or hour) of the day needs.

A planner's way: forecast each interval's arrivals from the traffic's profiles, ask
Erlang A (or Erlang C when nobody gives up) how many one-at-a-time agents that load
needs, and turn agents into chat operators by their concurrency (a limit of 3 is
about three agents, slowed by ``traffic.concurrency``). That is only a start: queues
carry over from one interval to the next, and chats are not calls. So the whole day
is then simulated with that many operators online in each interval (on common
random days, see :func:`~chatroute.simulate.simulate`), and each interval is raised
while it misses a target and lowered while it has room, until every interval meets
the targets with the fewest operators, or is found to miss them even at the most
operators allowed.

The result is a table per interval: the forecast arrivals, Erlang C's one-at-a-time
answer, the operators required, required after shrinkage (breaks, meetings, sick
leave: ``required / (1 - shrinkage)``), scheduled by the scenario's shifts, and the
gap.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._frozen import to_tuple
from ..errors import InvalidValue
from .erlang import agents_for_erlang_a, agents_for_service_level
from .run import Task, cores, replicate_seeds, run_tasks
from .scenario import Scenario
from .staffing import ServiceTarget, operator_limits, roster
from .traffic import StatusChange, expected_arrivals, status_changes
from .variants import Variant, variant

__all__ = ["Interval", "IntervalStaffing", "parse_interval", "parse_share", "staff_intervals"]

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hours?|m|min|minutes?)?\s*$")
_MAX_PASSES = 12  # simulated days of adjustment at most


def parse_interval(value: str | float | timedelta) -> timedelta:
    """``"30min"``, ``"1h"``, minutes as a number, or a timedelta: an interval length.

    Example:
        >>> parse_interval("1h"), parse_interval("30min")
        (datetime.timedelta(seconds=3600), datetime.timedelta(seconds=1800))

    Raises:
        InvalidValue: anything else, or not between 5 minutes and a day.
    """
    if isinstance(value, timedelta):
        length = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        length = timedelta(minutes=value)
    else:
        match = _INTERVAL.match(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidValue("interval", value, "give minutes or hours, such as 30min or 1h")
        hours = (match[2] or "m").startswith("h")
        length = timedelta(hours=float(match[1])) if hours else timedelta(minutes=float(match[1]))
    if not timedelta(minutes=5) <= length <= timedelta(days=1):
        raise InvalidValue("interval", value, "must be between 5 minutes and a day")
    return length


def parse_share(value: str | float, field: str, *, below_one: bool = False) -> float:
    """``"30%"`` or ``0.3``: a share in [0, 1] (``below_one``: [0, 1)).

    Raises:
        InvalidValue: anything else, naming ``field``.
    """
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise InvalidValue(field, value, "give a share such as 30% or 0.3") from None
    ok = isinstance(number, int | float) and not isinstance(number, bool) and 0 <= number <= 1
    if not ok or (below_one and number >= 1):
        raise InvalidValue(field, value, "must be a share from 0 to 1 (or 0% to 100%)")
    return float(number)


@attrs.frozen(kw_only=True)
class Interval:
    """One interval of the plan.

    Attributes:
        start: when it starts (aware).
        end: when it ends.
        arrivals: the forecast dialogs arriving in it.
        load: the forecast work in Erlangs (arrivals times work per dialog over its length).
        erlang_c: Erlang C's agents for the target, one dialog at a time, nobody leaving.
        estimate: the operators the simulation started from (Erlang A or C, by concurrency).
        required: the fewest operators that meet the targets in simulation; None when
            none tried did (see ``tried``).
        tried: the operators of the last simulated day (``required`` when met).
        with_shrinkage: ``required / (1 - shrinkage)``, rounded up: the heads to schedule.
        scheduled: operators on shift by the scenario's shifts (time-averaged).
        service_level: simulated share answered within the target time, at ``required``
            (or at the most allowed).
        abandoned: simulated share that gave up.
        occupancy: the load over the operators' capacity (required times limit), after
            the abandoned work.
        judged: False for an interval in the warm-up or without dialogs.
    """

    start: datetime
    end: datetime
    arrivals: float
    load: float
    erlang_c: int
    estimate: int
    required: int | None
    tried: int
    with_shrinkage: int | None
    scheduled: float
    service_level: float | None
    abandoned: float | None
    occupancy: float | None
    judged: bool = True

    @property
    def gap(self) -> float | None:
        """Scheduled minus required with shrinkage: negative means short."""
        return None if self.with_shrinkage is None else self.scheduled - self.with_shrinkage

    @property
    def short(self) -> bool:
        """Fewer operators are scheduled than required with shrinkage, or none is enough."""
        gap = self.gap
        return gap is None or gap < 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        data = attrs.asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        data["gap"], data["short"] = self.gap, self.short
        return data


@attrs.frozen(kw_only=True)
class IntervalStaffing:
    """What :func:`staff_intervals` found: one :class:`Interval` per interval of the span.

    Attributes:
        target: the service-level target.
        strategy: the variant simulated.
        length: the intervals' length.
        shrinkage: the share of scheduled time not spent answering.
        max_occupancy: the occupancy target, if any.
        max_abandon: the abandonment target, if any.
        replications: simulated days behind each figure.
        passes: simulated rounds of adjustment.
        timezone: the scenario's zone (for display).
        intervals: the plan.
    """

    target: ServiceTarget
    strategy: str
    length: timedelta
    shrinkage: float
    max_occupancy: float | None
    max_abandon: float | None
    replications: int
    passes: int
    timezone: str
    intervals: tuple[Interval, ...] = attrs.field(converter=to_tuple)

    @property
    def unmet(self) -> list[Interval]:
        """Intervals whose targets no head count allowed could meet."""
        return [i for i in self.intervals if i.judged and i.required is None]

    @property
    def short(self) -> list[Interval]:
        """Intervals where the scenario's shifts schedule fewer than required with shrinkage."""
        return [i for i in self.intervals if i.judged and i.short]

    def targets(self) -> str:
        """The targets in words."""
        parts = [str(self.target)]
        if self.max_abandon is not None:
            parts.append(f"at most {100 * self.max_abandon:g}% abandoned")
        if self.max_occupancy is not None:
            parts.append(f"occupancy at most {100 * self.max_occupancy:g}%")
        return ", ".join(parts)

    def render(self) -> str:
        """The table per interval, and a line on what is short."""
        minutes = self.length.total_seconds() / 60
        lines = [
            f"staffing per {minutes:g} min for {self.targets()} (strategy: {self.strategy}; "
            f"shrinkage {100 * self.shrinkage:g}%; {self.replications} simulated days, {self.passes} rounds)",
            "",
            f"{'interval':<13}{'arrivals':>9}{'Erlangs':>8}{'Erlang C':>9}{'required':>9}{'+shrink':>8}"
            f"{'scheduled':>10}{'gap':>7}{'served in time':>15}{'abandoned':>10}",
        ]
        for row in self.intervals:
            local = row.start.astimezone(_zone(self.timezone))
            end = row.end.astimezone(_zone(self.timezone))
            required = "-" if row.required is None else str(row.required)
            extra = "-" if row.with_shrinkage is None else str(row.with_shrinkage)
            gap = "-" if row.gap is None else f"{row.gap:+.1f}"
            mark = "  short" if row.judged and row.short else ""
            lines.append(
                f"{local:%H:%M}-{end:%H:%M}  {row.arrivals:>9.1f}{row.load:>8.1f}{row.erlang_c:>9}"
                f"{required:>9}{extra:>8}{row.scheduled:>10.1f}{gap:>7}"
                f"{_pct(row.service_level):>15}{_pct(row.abandoned):>10}{mark}"
            )
        judged = [i for i in self.intervals if i.judged]
        needed = sum(i.required or 0 for i in judged) * minutes / 60
        erlang = sum(i.erlang_c for i in judged) * minutes / 60
        lines.append("")
        lines.append(
            f"operator-hours: {needed:,.1f} required ({erlang:,.1f} by Erlang C, one dialog at a time), "
            f"{sum(i.with_shrinkage or 0 for i in judged) * minutes / 60:,.1f} with shrinkage, "
            f"{sum(i.scheduled for i in judged) * minutes / 60:,.1f} scheduled"
        )
        if self.unmet:
            tried = ", ".join(f"{self._label(i)} (tried {i.tried})" for i in self.unmet)
            lines.append(f"cannot meet the targets: {tried}")
        short = self.short
        lines.append(
            f"short: {', '.join(self._label(i) for i in short)}" if short else "every interval is covered"
        )
        return "\n".join(lines)

    def _label(self, row: Interval) -> str:
        return f"{row.start.astimezone(_zone(self.timezone)):%H:%M}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "target": {"share": self.target.share, "seconds": self.target.seconds},
            "strategy": self.strategy,
            "interval_minutes": self.length.total_seconds() / 60,
            "shrinkage": self.shrinkage,
            "max_occupancy": self.max_occupancy,
            "max_abandon": self.max_abandon,
            "replications": self.replications,
            "passes": self.passes,
            "timezone": self.timezone,
            "intervals": [row.to_dict() for row in self.intervals],
            "unmet": [row.start.isoformat() for row in self.unmet],
            "short": [row.start.isoformat() for row in self.short],
        }


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


@attrs.frozen(kw_only=True)
class _Measured:
    """Simulated figures of one interval, pooled over the replications."""

    offered: int
    service_level: float | None
    abandoned: float | None


def staff_intervals(
    scenario: Scenario,
    target: str | ServiceTarget = "80/30",
    *,
    interval: str | float | timedelta = "30min",
    shrinkage: str | float = 0.0,
    max_occupancy: str | float | None = None,
    max_abandon: str | float | None = None,
    strategy: str | Variant = "config",
    seed: int | None = None,
    replications: int = 4,
    jobs: int | None = None,
    max_operators: int | None = None,
) -> IntervalStaffing:
    """The operators each interval of the span needs, checked on simulated days.

    See the module documentation for the method.

    Args:
        scenario: the scenario; its shifts give the ``scheduled`` column only.
        target: ``"80/30"`` or a :class:`ServiceTarget`, met in every interval by the
            dialogs arriving in it.
        interval: ``"30min"``, ``"1h"``, minutes or a timedelta.
        shrinkage: the share of paid time not spent answering (``"30%"`` or 0.3).
        max_occupancy: at most this share of the operators' capacity in use.
        max_abandon: at most this share of the dialogs abandoned.
        strategy: the variant to staff for (default: the scenario's own config).
        seed: overrides the scenario's seed.
        replications: simulated days per round (common random numbers).
        jobs: processes (default: every core).
        max_operators: never more than this many in an interval (default: twice
            Erlang C's answer, and at least ten more than the start).

    Raises:
        ConfigError / InvalidValue: a bad scenario, target, interval or share.
    """
    scenario.validate()
    goal = target if isinstance(target, ServiceTarget) else ServiceTarget.parse(target)
    length = parse_interval(interval).total_seconds()
    shrink = parse_share(shrinkage, "shrinkage", below_one=True)
    occupancy = None if max_occupancy is None else parse_share(max_occupancy, "max_occupancy")
    abandon = None if max_abandon is None else parse_share(max_abandon, "max_abandon")
    if occupancy == 0 or abandon == 0:
        raise InvalidValue("max_occupancy" if occupancy == 0 else "max_abandon", 0, "must be above 0")
    chosen = variant(scenario.config, strategy)
    plan = _Plan(scenario, chosen, goal, length, occupancy, abandon, seed, replications, jobs)
    counts, caps = plan.start(max_operators)
    measured, passes = plan.adjust(counts, caps)
    scheduled = _scheduled(scenario, plan.edges)
    rows = []
    for i, (begin, end) in enumerate(plan.edges):
        found = measured[i]
        met = plan.met(i, counts[i], found)
        required = counts[i] if met else None
        rows.append(
            Interval(
                start=scenario.start + timedelta(seconds=begin),
                end=scenario.start + timedelta(seconds=end),
                arrivals=plan.arrivals[i],
                load=plan.loads[i],
                erlang_c=plan.erlang[i],
                estimate=plan.estimates[i],
                required=required,
                tried=counts[i],
                with_shrinkage=None if required is None else math.ceil(required / (1 - shrink) - 1e-9),
                scheduled=scheduled[i],
                service_level=found.service_level,
                abandoned=found.abandoned,
                occupancy=plan.occupancy(i, counts[i], found),
                judged=plan.judged(i, found),
            )
        )
    return IntervalStaffing(
        target=goal,
        strategy=chosen.name,
        length=timedelta(seconds=length),
        shrinkage=shrink,
        max_occupancy=occupancy,
        max_abandon=abandon,
        replications=replications,
        passes=passes,
        timezone=scenario.timezone,
        intervals=rows,
    )


class _Plan:
    """The forecast per interval and the simulated days that check a head count per interval."""

    def __init__(
        self,
        scenario: Scenario,
        chosen: Variant,
        goal: ServiceTarget,
        length: float,
        max_occupancy: float | None,
        max_abandon: float | None,
        seed: int | None,
        replications: int,
        jobs: int | None,
    ) -> None:
        self.scenario = scenario
        self.chosen = chosen
        self.goal = goal
        self.max_occupancy = max_occupancy
        self.max_abandon = max_abandon
        span = scenario.hours * 3600.0
        count = math.ceil(span / length - 1e-9)
        self.edges = [(i * length, min((i + 1) * length, span)) for i in range(count)]
        self.warmup = scenario.warmup.total_seconds()
        self.seeds = replicate_seeds(scenario.seed if seed is None else seed, replications)
        self.jobs = cores() if jobs is None else jobs
        low, high = operator_limits(chosen.config)
        self.limit = (low + high) / 2
        self.arrivals, self.loads, self.erlang, self.estimates = [], [], [], []
        for begin, end in self.edges:
            streams = expected_arrivals(scenario, begin, end)
            arrivals = sum(n for _, n in streams)
            work = sum(n * _work(scenario, stream) for stream, n in streams)
            handle = work / arrivals if arrivals else 1.0
            load = work / (end - begin)
            self.arrivals.append(arrivals)
            self.loads.append(load)
            self.erlang.append(
                agents_for_service_level(load, handle, goal.share, goal.seconds) if load > 0 else 0
            )
            self.estimates.append(self._estimate(load, handle))
        self.cache: dict[tuple[int, ...], list[_Measured]] = {}

    def _estimate(self, load: float, handle: float) -> int:
        """Operators from one-at-a-time agents: each operator is ``limit`` agents, slowed by concurrency."""
        if load <= 0:
            return 0
        traffic = self.scenario.traffic
        slow = traffic.concurrency ** ((self.limit - 1) / 2)  # the handle time at a middling load
        if traffic.patience is not None:
            agents = agents_for_erlang_a(
                load * slow,
                handle * slow,
                traffic.patience.mean,
                self.goal.share,
                self.goal.seconds,
                max_abandon=self.max_abandon,
                max_occupancy=self.max_occupancy,
            )
        else:
            agents = agents_for_service_level(load * slow, handle * slow, self.goal.share, self.goal.seconds)
            if self.max_occupancy is not None:
                agents = max(agents, math.ceil(load * slow / self.max_occupancy))
        return max(1, math.ceil(agents / self.limit))

    def start(self, max_operators: int | None) -> tuple[list[int], list[int]]:
        counts = list(self.estimates)
        if max_operators is not None:
            caps = [max_operators] * len(counts)
        else:
            caps = [max(2 * e, n + 10) for e, n in zip(self.erlang, counts, strict=True)]
        return [min(c, cap) for c, cap in zip(counts, caps, strict=True)], caps

    def adjust(self, counts: list[int], caps: list[int]) -> tuple[list[_Measured], int]:
        """Raise failing intervals and lower roomy ones until none changes; returns the last figures."""
        settled = [False] * len(counts)  # raised after a lowering, or failed one: never lowered again
        passes = 0
        while passes < _MAX_PASSES:
            measured = self.measure(counts)
            passes += 1
            failing = [i for i in range(len(counts)) if not self.met(i, counts[i], measured[i])]
            raisable = [i for i in failing if counts[i] < caps[i]]
            if raisable:
                for i in raisable:
                    counts[i] += 1
                    settled[i] = True if counts[i] > self.estimates[i] else settled[i]
                continue
            lowerable = [
                i for i in range(len(counts)) if not settled[i] and i not in failing and counts[i] > 1
            ]
            if not lowerable:
                return measured, passes
            trial = [c - 1 if i in lowerable else c for i, c in enumerate(counts)]
            tried = self.measure(trial)
            passes += 1
            for i in lowerable:
                if self.met(i, trial[i], tried[i]):
                    counts[i] = trial[i]
                else:
                    settled[i] = True
        return self.measure(counts), passes

    def measure(self, counts: Sequence[int]) -> list[_Measured]:
        key = tuple(counts)
        if key not in self.cache:
            self.cache[key] = self._simulate(key)
        return self.cache[key]

    def _simulate(self, counts: tuple[int, ...]) -> list[_Measured]:
        config, _ = roster(self.chosen.config, (), max(1, *counts))
        sized = attrs.evolve(self.scenario, config=config, shifts=())
        chosen = attrs.evolve(self.chosen, config=config)
        changes = _changes([op.id for op in config.operators], self.edges, counts)
        tasks = [Task(sized, chosen, seed, keep=True, changes=changes) for seed in self.seeds]
        runs = run_tasks(tasks, self.jobs)
        offered = [0] * len(self.edges)
        hits = [0] * len(self.edges)
        left = [0] * len(self.edges)
        length = self.edges[0][1] - self.edges[0][0]
        for run in runs:
            for outcome in run.outcomes:
                i = min(int(outcome.at // length), len(self.edges) - 1)
                offered[i] += 1
                hits[i] += outcome.answered and outcome.wait <= self.goal.seconds
                left[i] += outcome.abandoned
        return [
            _Measured(
                offered=n,
                service_level=hits[i] / n if n else None,
                abandoned=left[i] / n if n else None,
            )
            for i, n in enumerate(offered)
        ]

    def judged(self, i: int, found: _Measured) -> bool:
        return self.edges[i][1] > self.warmup and found.offered > 0

    def occupancy(self, i: int, count: int, found: _Measured) -> float | None:
        if count == 0:
            return None
        return self.loads[i] * (1 - (found.abandoned or 0.0)) / (count * self.limit)

    def met(self, i: int, count: int, found: _Measured) -> bool:
        if not self.judged(i, found):
            return True
        if (found.service_level or 0.0) < self.goal.share:
            return False
        if self.max_abandon is not None and (found.abandoned or 0.0) > self.max_abandon:
            return False
        occupancy = self.occupancy(i, count, found)
        return self.max_occupancy is None or occupancy is None or occupancy <= self.max_occupancy


def _work(scenario: Scenario, stream: Any) -> float:
    """Mean seconds of handling per dialog of a stream (both handlings of a transfer)."""
    handle = scenario.traffic.handle_for(stream.topic).mean
    transfer = stream.transfer
    if transfer is None:
        return float(handle)
    return float(handle + transfer.share * transfer.after.mean)


def _changes(
    ids: list[str], edges: list[tuple[float, float]], counts: Sequence[int]
) -> tuple[StatusChange, ...]:
    """The k-th operator is online in the intervals that need more than k, offline otherwise."""
    found = []
    for k, op_id in enumerate(ids):
        current = None
        for (begin, _), count in zip(edges, counts, strict=True):
            status = "online" if k < count else "offline"
            if status != current:
                found.append(StatusChange(at=begin, operator_id=op_id, status=status))
                current = status
    return tuple(sorted(found, key=lambda c: (c.at, c.operator_id)))


def _scheduled(scenario: Scenario, edges: list[tuple[float, float]]) -> list[float]:
    """Operators on shift (any status but offline) in each interval, time-averaged."""
    horizon = scenario.hours * 3600.0
    timelines: dict[str, list[StatusChange]] = {}
    for change in status_changes(scenario, horizon):
        timelines.setdefault(change.operator_id, []).append(change)
    always = sum(1 for op in scenario.config.operators if op.id not in timelines and op.status != "offline")
    found = []
    for begin, end in edges:
        total = 0.0
        for changes in timelines.values():
            for j, change in enumerate(changes):
                until = changes[j + 1].at if j + 1 < len(changes) else math.inf
                overlap = min(until, end) - max(change.at, begin)
                if overlap > 0 and change.status != "offline":
                    total += overlap
        found.append(always + total / (end - begin))
    return found
