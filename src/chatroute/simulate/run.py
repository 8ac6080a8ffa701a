"""The simulator's entry points: :func:`simulate` and :func:`explain_at`."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from datetime import datetime
from typing import Any

import attrs

from .._frozen import aware
from ..decision import Decision
from ..errors import InvalidValue
from ..model import Dialog
from ..strategies import Strategy
from .engine import Engine, RunData
from .metrics import DialogOutcome, Metrics, OperatorMetrics, summarize, with_operators
from .report import Report, Run
from .scenario import Scenario
from .traffic import Arrival, StatusChange, draw_arrivals, generate, status_changes
from .variants import Variant, variant

__all__ = [
    "NO_GROUP",
    "Task",
    "cores",
    "explain_at",
    "process_pool",
    "replicate_seeds",
    "run_tasks",
    "simulate",
]

#: The row of dialogs routed to everyone or to one operator rather than to a group.
NO_GROUP = "(no group)"

Choice = str | Strategy | Variant


def simulate(
    scenario: Scenario,
    strategies: Sequence[Choice] | None = None,
    seed: int | None = None,
    *,
    replications: int = 1,
    jobs: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> Report:
    """Simulate the scenario once per strategy and replication, every strategy on the same traffic.

    Each replication is one simulated day: its arrivals, handle times and patience
    are drawn from its own seed (the first replication's is ``seed`` itself, the
    others are derived from it, see :func:`replicate_seeds`) and replayed to every
    variant (common random numbers); the routers are seeded with it too. The runs go
    in parallel on ``jobs`` processes; the report is the same whatever ``jobs``.

    Args:
        scenario: config, traffic, shifts and span.
        strategies: what to compare: names (``"config"``, ``"even"``, ``"random"``,
            ``"round-robin"``... see :data:`~chatroute.simulate.variants.STRATEGIES`),
            :class:`~chatroute.Strategy` objects (each replaces every strategy of the
            config) or ready :class:`Variant` s (whole other configs). Defaults to
            the scenario's ``compare`` list.
        seed: overrides the scenario's seed.
        replications: simulated days per variant; with two or more, every figure
            comes with a 95% confidence interval and the report has a verdict.
        jobs: processes to run on (default: every core; 1 runs in this process).
        progress: called now and then with the share done (0..1), for progress bars.

    Returns:
        A :class:`Report`: ``runs`` has one :class:`Run` per strategy (the first
        replication), ``replicates`` every replication's.

    Raises:
        ConfigError: the scenario has problems.
        InvalidValue: an unknown strategy name, two variants with one name, or a bad
            ``seed``, ``replications`` or ``jobs``.
    """
    scenario.validate()
    seed = scenario.seed if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidValue("seed", seed, "must be an integer")
    _count("replications", replications)
    workers = cores() if jobs is None else _count("jobs", jobs)
    variants = [variant(scenario.config, choice) for choice in (strategies or scenario.compare)]
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise InvalidValue("strategies", names, "name each variant once")
    seeds = replicate_seeds(seed, replications)
    tasks = [Task(scenario, chosen, day, keep=r == 0) for r, day in enumerate(seeds) for chosen in variants]
    runs = run_tasks(tasks, workers, progress)
    width = len(variants)
    replicates = tuple(tuple(runs[r * width : (r + 1) * width]) for r in range(replications))
    return Report(
        scenario=scenario.name,
        start=scenario.start,
        timezone=scenario.timezone,
        hours=scenario.hours,
        warmup=scenario.warmup,
        seed=seed,
        runs=replicates[0],
        replicates=replicates if replications > 1 else (),
        seeds=seeds,
    )


def replicate_seeds(seed: int, replications: int) -> tuple[int, ...]:
    """The seed of each replication: ``seed`` itself, then 63-bit numbers derived from it.

    Example:
        >>> replicate_seeds(7, 3)[0], len(set(replicate_seeds(7, 3)))
        (7, 3)
    """
    derived = (
        int.from_bytes(hashlib.sha256(f"{seed}/replication/{r}".encode()).digest()[:8], "big") >> 1
        for r in range(1, replications)
    )
    return (seed, *derived)


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _count(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(field, value, "must be a positive integer")
    return value


@attrs.frozen
class Task:
    """One run to do: a variant on one replication's traffic.

    Attributes:
        scenario: the scenario.
        chosen: the variant.
        seed: the replication's seed.
        keep: keep each dialog's outcome in the run.
        changes: the operators' status changes, if not the scenario's shifts'.
    """

    scenario: Scenario
    chosen: Variant
    seed: int
    keep: bool
    changes: tuple[StatusChange, ...] | None = None


def _run_one(task: Task) -> Run:
    """Simulate one task (in a worker process, or in this one)."""
    arrivals = draw_arrivals(task.scenario, task.seed)
    if task.changes is None:
        engine = _engine(task.scenario, task.chosen, arrivals, task.seed)
    else:
        engine = Engine(task.scenario, task.chosen, arrivals, task.changes, seed=task.seed)
    engine.run()
    run = build_run(task.chosen, engine.result())
    return run if task.keep else attrs.evolve(run, outcomes=())


def run_tasks(
    tasks: Sequence[Task],
    workers: int,
    progress: Callable[[float], None] | None = None,
    *,
    pool: Executor | None = None,
) -> list[Run]:
    """Every task's run, in the tasks' order, on up to ``workers`` processes.

    Args:
        tasks: the runs to do.
        workers: processes; 1 runs them in this process.
        progress: called with the share done after each run.
        pool: a process pool to reuse (see :func:`process_pool`); else one is made
            for these tasks.
    """
    if workers == 1 or len(tasks) == 1:
        runs = []
        for i, task in enumerate(tasks):
            runs.append(_run_one(task))
            if progress is not None:
                progress((i + 1) / len(tasks))
        return runs
    if pool is None:
        with process_pool(min(workers, len(tasks))) as own:
            return run_tasks(tasks, workers, progress, pool=own)
    found: list[Run | None] = [None] * len(tasks)
    futures = {pool.submit(_run_one, task): i for i, task in enumerate(tasks)}
    for done, future in enumerate(as_completed(futures), 1):
        found[futures[future]] = future.result()
        if progress is not None:
            progress(done / len(tasks))
    return [run for run in found if run is not None]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for :func:`run_tasks` (forked where the platform can)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context())


def _context() -> Any:
    """Fork where the platform has it: workers start at once and share the parent's hash seed."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


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


def _engine(scenario: Scenario, chosen: Variant, arrivals: Iterable[Arrival], seed: int) -> Engine:
    horizon = scenario.hours * 3600.0 + scenario.drain.total_seconds()
    return Engine(scenario, chosen, arrivals, status_changes(scenario, horizon), seed=seed)


def build_run(chosen: Variant, data: RunData) -> Run:
    """Fold one engine's raw results into a :class:`Run`."""
    config = chosen.config
    outcomes = data.outcomes
    overall = summarize(outcomes, data.operators, data.max_queues.get("", 0))

    def fold(mine: Sequence[DialogOutcome], members: Sequence[OperatorMetrics], queue: str) -> Metrics:
        # a part that kept every measured dialog (in their order) has the overall dialog figures
        if len(mine) == len(outcomes):
            return with_operators(overall, members, data.max_queues.get(queue, 0))
        return summarize(mine, members, data.max_queues.get(queue, 0))

    by_id = {op.id: op for op in data.operators}
    groups = {}
    seen = {o.group for o in outcomes}
    for group in config.groups:
        if group.id in seen:
            members = [by_id[m] for m in group.operator_ids if m in by_id]
            mine = [o for o in outcomes if o.group == group.id]
            groups[group.id] = fold(mine, members, f"group:{group.id}")
    if None in seen:
        groups[NO_GROUP] = fold([o for o in outcomes if o.group is None], [], "group:-")
    channels = {}
    for channel in config.channels:
        mine = [o for o in outcomes if o.channel == channel.name]
        if mine:
            channels[channel.name] = fold(mine, [], f"channel:{channel.name}")
    return Run(
        name=chosen.name,
        description=chosen.description,
        overall=overall,
        groups=groups,
        channels=channels,
        operators=data.operators,
        simulated=data.simulated,
        outcomes=outcomes,
    )
