"""Staffing: the fewest operators that reach a service-level target, in simulation and by Erlang C.

The roster grows or shrinks by whole operators while keeping the scenario's shape: the
operators are taken in turn from each group (so every department keeps someone as
long as possible), and beyond the scenario's head count they are cloned (``anna+1``),
with their groups, skills, limit and shifts. Operators named by a rule or the fallback
are always kept.

Erlang C assumes one dialog at a time per operator. Chat operators hold several at
once (a limit of 3-5), so the simulation usually needs far fewer people; the report
says how many fewer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, overload

import attrs

from .._frozen import to_map
from ..errors import InvalidValue
from ..strategies import Strategy
from ._interval_plan import IntervalStaffing
from ._roster import ServiceTarget, operator_limits, pinned, roster
from .engine import Engine
from .erlang import agents_for_service_level
from .intervals import staff_intervals
from .metrics import share_within
from .scenario import Scenario
from .traffic import Arrival, generate, status_changes
from .variants import Variant, variant

__all__ = ["ServiceTarget", "Staffing", "operator_limits", "roster", "staff"]


@attrs.frozen(kw_only=True)
class Staffing:
    """What :func:`staff` found.

    Attributes:
        target: the service-level target.
        strategy: the variant simulated.
        operators: the fewest operators that reach the target in simulation; None if
            even ``max_operators`` do not.
        levels: service level reached for each head count simulated.
        configured: operators in the scenario.
        limits: the smallest and largest concurrent-dialog limit among them.
        handle_time: mean work per dialog in seconds (both handlings of a transfer).
        load: average offered load in Erlangs over the measured span.
        peak_load: the load of the busiest hour.
        erlang: Erlang C agents (one dialog at a time) for the target at ``load``.
        erlang_peak: the same at ``peak_load``.
    """

    target: ServiceTarget
    strategy: str
    operators: int | None
    levels: Mapping[int, float] = attrs.field(converter=to_map)
    configured: int
    limits: tuple[int, int]
    handle_time: float
    load: float
    peak_load: float
    erlang: int
    erlang_peak: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        data = attrs.asdict(self)
        data["target"] = {"share": self.target.share, "seconds": self.target.seconds}
        data["levels"] = {str(count): level for count, level in self.levels.items()}
        data["limits"] = list(self.limits)
        return data

    def render(self) -> str:
        """A few lines for people."""
        low, high = self.limits
        limits = f"{low}" if low == high else f"{low}-{high}"
        lines = [
            f"target: {self.target} (strategy: {self.strategy}; the scenario has {self.configured} operators)"
        ]
        if self.operators is None:
            best = max(self.levels)
            lines.append(f"simulation: not reached with up to {best} operators ({_pct(self.levels[best])})")
        else:
            below = self.levels.get(self.operators - 1)
            tail = f"; {self.operators - 1}: {_pct(below)}" if below is not None else ""
            lines.append(
                f"simulation: {self.operators} operators reach {_pct(self.levels[self.operators])}{tail}"
            )
        lines.append(
            f"Erlang C (one dialog at a time): {self.erlang} operators at the average load "
            f"({self.load:.1f} Erlangs, {self.handle_time / 60:.1f} min per dialog), "
            f"{self.erlang_peak} at the busiest hour ({self.peak_load:.1f} Erlangs)"
        )
        if self.operators is not None:
            lines.append(f"concurrency (limits {limits}): {self._difference()}")
        tried = ", ".join(f"{n}: {_pct(level)}" for n, level in sorted(self.levels.items()))
        lines.append(f"simulated head counts: {tried}")
        return "\n".join(lines)

    def _difference(self) -> str:
        assert self.operators is not None
        parts = []
        for label, erlang in (("average load", self.erlang), ("busiest hour", self.erlang_peak)):
            gap = erlang - self.operators
            word = "fewer" if gap >= 0 else "more"
            parts.append(f"{abs(gap)} {word} than Erlang C at the {label} ({abs(gap) / erlang:.0%} {word})")
        return "the simulation needs " + ", and ".join(parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


@overload
def staff(
    scenario: Scenario,
    target: str | ServiceTarget = ...,
    *,
    strategy: str | Strategy | Variant = ...,
    seed: int | None = ...,
    max_operators: int | None = ...,
    interval: None = ...,
) -> Staffing: ...


@overload
def staff(
    scenario: Scenario,
    target: str | ServiceTarget = ...,
    *,
    strategy: str | Strategy | Variant = ...,
    seed: int | None = ...,
    max_operators: int | None = ...,
    interval: str | float | timedelta,
    shrinkage: str | float = ...,
    max_occupancy: str | float | None = ...,
    max_abandon: str | float | None = ...,
    replications: int = ...,
    jobs: int | None = ...,
) -> IntervalStaffing: ...


def staff(
    scenario: Scenario,
    target: str | ServiceTarget = "80/30",
    *,
    strategy: str | Strategy | Variant = "config",
    seed: int | None = None,
    max_operators: int | None = None,
    interval: str | float | timedelta | None = None,
    shrinkage: str | float = 0.0,
    max_occupancy: str | float | None = None,
    max_abandon: str | float | None = None,
    replications: int = 4,
    jobs: int | None = None,
) -> Staffing | IntervalStaffing:
    """Find the fewest operators whose simulated service level reaches ``target``.

    Without ``interval``: one head count for the whole day. Every head count is
    simulated on the same traffic. The search starts from the head count whose total
    capacity just covers the average load, and steps down or doubles up, then
    bisects.

    With ``interval`` (``"30min"``, ``"1h"``): the operators each interval needs, with
    shrinkage and optional occupancy and abandonment targets; this is
    :func:`~chatroute.simulate.staff_intervals`, which has the details.

    Args:
        scenario: the scenario; its roster is shrunk or grown (see the module doc).
        target: ``"80/30"`` or a :class:`ServiceTarget`.
        strategy: the variant to staff for (default: the scenario's own config).
        seed: overrides the scenario's seed.
        max_operators: give up above this head count (default: four times Erlang C's
            busiest-hour answer, at least 50; per interval, see ``staff_intervals``).
        interval: plan per interval of this length.
        shrinkage: per interval: the share of paid time not spent answering.
        max_occupancy: per interval: at most this share of the capacity in use.
        max_abandon: per interval: at most this share abandoned.
        replications: per interval: simulated days per round.
        jobs: per interval: processes (default: every core).

    Returns:
        The whole-day :class:`Staffing` with the Erlang C estimates beside it, or the
        :class:`~chatroute.simulate.IntervalStaffing` plan.

    Raises:
        ConfigError / InvalidValue: a bad scenario, target, strategy, interval or
            share; a per-interval setting without ``interval``.
    """
    if interval is not None:
        chosen_variant = (
            strategy if isinstance(strategy, str | Variant) else variant(scenario.config, strategy)
        )
        return staff_intervals(
            scenario,
            target,
            interval=interval,
            shrinkage=shrinkage,
            max_occupancy=max_occupancy,
            max_abandon=max_abandon,
            strategy=chosen_variant,
            seed=seed,
            replications=replications,
            jobs=jobs,
            max_operators=max_operators,
        )
    if shrinkage or max_occupancy is not None or max_abandon is not None:
        raise InvalidValue(
            "interval", None, "shrinkage and occupancy or abandonment targets need an interval"
        )
    scenario.validate()
    goal = target if isinstance(target, ServiceTarget) else ServiceTarget.parse(target)
    seed = scenario.seed if seed is None else seed
    chosen = variant(scenario.config, strategy)
    arrivals = generate(scenario, seed)
    handle, load, peak = _loads(scenario, arrivals)
    erlang = agents_for_service_level(load, handle, goal.share, goal.seconds) if load > 0 else 1
    erlang_peak = agents_for_service_level(peak, handle, goal.share, goal.seconds) if peak > 0 else 1
    limits = operator_limits(chosen.config)
    minimum = max(1, len(pinned(chosen.config)))
    ceiling = max_operators if max_operators is not None else max(50, 4 * erlang_peak)
    levels: dict[int, float] = {}

    def level(count: int) -> float:
        if count not in levels:
            levels[count] = _simulate(scenario, chosen, arrivals, count, goal, seed)
        return levels[count]

    mean_limit = sum(limits) / 2
    start = min(ceiling, max(minimum, math.ceil(load / mean_limit)))
    found = _search(level, start, minimum, ceiling, goal.share)
    return Staffing(
        target=goal,
        strategy=chosen.name,
        operators=found,
        levels=dict(sorted(levels.items())),
        configured=len(scenario.config.operators),
        limits=limits,
        handle_time=handle,
        load=load,
        peak_load=peak,
        erlang=erlang,
        erlang_peak=erlang_peak,
    )


def _search(level: Callable[[int], float], start: int, minimum: int, ceiling: int, goal: float) -> int | None:
    """The smallest head count reaching ``goal``, assuming more operators never hurt."""
    if level(start) >= goal:
        count = start
        while count > minimum and level(count - 1) >= goal:
            count -= 1
        return count
    low, high = start, start
    while level(high) < goal:
        if high >= ceiling:
            return None
        low, high = high, min(ceiling, high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if level(middle) >= goal:
            high = middle
        else:
            low = middle
    return high


def _simulate(
    scenario: Scenario,
    chosen: Variant,
    arrivals: tuple[Arrival, ...],
    count: int,
    goal: ServiceTarget,
    seed: int,
) -> float:
    config, shifts = roster(chosen.config, scenario.shifts, count)
    sized = attrs.evolve(scenario, config=config, shifts=shifts)
    horizon = scenario.hours * 3600.0 + scenario.drain.total_seconds()
    engine = Engine(
        sized, attrs.evolve(chosen, config=config), arrivals, status_changes(sized, horizon), seed=seed
    )
    engine.run()
    return share_within(engine.result().outcomes, lambda _: goal.seconds) or 0.0


def _loads(scenario: Scenario, arrivals: tuple[Arrival, ...]) -> tuple[float, float, float]:
    """Mean work per dialog (s), average load and busiest-hour load (Erlangs) after the warm-up."""
    warmup = scenario.warmup.total_seconds()
    span = scenario.hours * 3600.0 - warmup
    hours: dict[int, float] = {}
    total, count = 0.0, 0
    for arrival in arrivals:
        if arrival.at < warmup:
            continue
        work = arrival.handle
        if arrival.transfer_to is not None and arrival.transfer_after < arrival.handle:
            work = arrival.transfer_after + arrival.second_handle
        total += work
        count += 1
        hour = int(arrival.at // 3600)
        hours[hour] = hours.get(hour, 0.0) + work
    if not count:
        return 1.0, 0.0, 0.0
    return total / count, total / span, max(hours.values()) / min(3600.0, span)
