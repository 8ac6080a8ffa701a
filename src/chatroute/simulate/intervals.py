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
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

import attrs

from ..errors import InvalidValue
from ._interval_plan import Interval, IntervalStaffing, parse_interval, parse_share
from ._roster import ServiceTarget, operator_limits, roster
from .erlang import agents_for_erlang_a, agents_for_service_level
from .run import Task, cores, process_pool, replicate_seeds, run_tasks
from .scenario import Scenario
from .traffic import StatusChange, expected_arrivals, status_changes
from .variants import Variant, variant

__all__ = ["Interval", "IntervalStaffing", "parse_interval", "parse_share", "staff_intervals"]

_MAX_PASSES = 12  # simulated days of adjustment at most


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
    if plan.jobs > 1 and replications > 1:  # one pool for every round
        with process_pool(min(plan.jobs, replications)) as pool:
            plan.pool = pool
            measured, passes = plan.adjust(counts, caps)
    else:
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
        self.pool: Executor | None = None

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
                    if counts[i] > self.estimates[i]:  # raised past the start: it needs it
                        settled[i] = True
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
        runs = run_tasks(tasks, self.jobs, pool=self.pool)
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
