"""The simulator's entry points: :func:`simulate` and :func:`explain_at`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from .._frozen import aware
from ..decision import Decision
from ..errors import InvalidValue
from ..model import Dialog
from ..strategies import Strategy
from .engine import Engine, RunData
from .metrics import summarize
from .report import Report, Run
from .scenario import Scenario
from .traffic import Arrival, generate, status_changes
from .variants import Variant, variant

__all__ = ["NO_GROUP", "explain_at", "simulate"]

#: The row of dialogs routed to everyone or to one operator rather than to a group.
NO_GROUP = "(no group)"

Choice = str | Strategy | Variant


def simulate(
    scenario: Scenario,
    strategies: Sequence[Choice] | None = None,
    seed: int | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> Report:
    """Simulate the scenario once per strategy, every one on the same traffic.

    The arrivals, handle times and patience are drawn once from ``seed`` and replayed
    to each variant; the routers are seeded with it too. Same inputs, same report.

    Args:
        scenario: config, traffic, shifts and span.
        strategies: what to compare: names (``"config"``, ``"even"``, ``"random"``,
            ``"round-robin"``... see :data:`~chatroute.simulate.variants.STRATEGIES`),
            :class:`~chatroute.Strategy` objects (each replaces every strategy of the
            config) or ready :class:`Variant` s (whole other configs). Defaults to
            the scenario's ``compare`` list.
        seed: overrides the scenario's seed.
        progress: called now and then with the share done (0..1), for progress bars.

    Returns:
        A :class:`Report` with one :class:`Run` per strategy, in the order given.

    Raises:
        ConfigError: the scenario has problems.
        InvalidValue: an unknown strategy name, or two variants with one name.
    """
    scenario.validate()
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidValue("seed", seed, "must be an integer")
    variants = [variant(scenario.config, choice) for choice in (strategies or scenario.compare)]
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise InvalidValue("strategies", names, "name each variant once")
    arrivals = generate(scenario, seed)
    runs = []
    for i, chosen in enumerate(variants):
        engine = _engine(scenario, chosen, arrivals, seed)
        report = None if progress is None else _part(progress, i, len(variants))
        engine.run(progress=report)
        runs.append(build_run(chosen, engine.result()))
    return Report(
        scenario=scenario.name,
        start=scenario.start,
        timezone=scenario.timezone,
        hours=scenario.hours,
        warmup=scenario.warmup,
        seed=seed,
        runs=runs,
    )


def explain_at(scenario: Scenario, dialog: Dialog, at: datetime | None = None) -> Decision:
    """Where ``dialog`` would go at ``at`` in the simulated day, with the full trace.

    Simulates the scenario's own config up to ``at`` (so statuses and loads are those
    of that moment), then asks :meth:`Router.explain`, which changes nothing.

    Args:
        scenario: the scenario.
        dialog: the dialog to explain.
        at: a moment in the simulated span; defaults to its start.

    Raises:
        InvalidValue / NaiveDatetime: ``at`` outside the span, or naive.
        UnknownChannel / UnknownGroup: the dialog names something the config lacks.
    """
    scenario.validate()
    moment = scenario.start if at is None else aware(at, "at")
    seconds = (moment - scenario.start).total_seconds()
    if not 0 <= seconds <= scenario.hours * 3600:
        raise InvalidValue(
            "at", at, f"must be within the simulated span {scenario.start} + {scenario.hours:g} h"
        )
    arrivals = generate(scenario, scenario.seed)
    engine = _engine(scenario, variant(scenario.config, "config"), arrivals, scenario.seed)
    return engine.explain(dialog, seconds)


def _engine(scenario: Scenario, chosen: Variant, arrivals: Sequence[Arrival], seed: int) -> Engine:
    horizon = scenario.hours * 3600.0 + scenario.drain.total_seconds()
    return Engine(scenario, chosen, arrivals, status_changes(scenario, horizon), seed=seed)


def _part(progress: Callable[[float], None], index: int, count: int) -> Callable[[float], None]:
    def report(share: float) -> None:
        progress((index + share) / count)

    return report


def build_run(chosen: Variant, data: RunData) -> Run:
    """Fold one engine's raw results into a :class:`Run`."""
    config = chosen.config
    outcomes = data.outcomes
    by_id = {op.id: op for op in data.operators}
    groups = {}
    seen = {o.group for o in outcomes}
    for group in config.groups:
        if group.id in seen:
            members = [by_id[m] for m in group.operator_ids if m in by_id]
            mine = [o for o in outcomes if o.group == group.id]
            groups[group.id] = summarize(mine, members, data.max_queues.get(f"group:{group.id}", 0))
    if None in seen:
        mine = [o for o in outcomes if o.group is None]
        groups[NO_GROUP] = summarize(mine, [], data.max_queues.get("group:-", 0))
    channels = {}
    for channel in config.channels:
        mine = [o for o in outcomes if o.channel == channel.name]
        if mine:
            channels[channel.name] = summarize(mine, [], data.max_queues.get(f"channel:{channel.name}", 0))
    return Run(
        name=chosen.name,
        description=chosen.description,
        overall=summarize(outcomes, data.operators, data.max_queues.get("", 0)),
        groups=groups,
        channels=channels,
        operators=data.operators,
        simulated=data.simulated,
        outcomes=outcomes,
    )
