"""Benchmark: chatroute's simulator against ciw and a minimal SimPy model on M/M/c queues.

Three M/M/c desks (one channel, operators of limit 1, Poisson arrivals, exponential
handle times, nobody gives up), all seeded:

* small: 100 dialogs/h, mean handle 180 s, 6 operators (5 Erlangs, 83% busy);
* medium: 600 dialogs/h, mean handle 240 s, 45 operators (40 Erlangs, 89% busy);
* large: 3,000 dialogs/h, mean handle 300 s, 260 operators (250 Erlangs, 96% busy).

Each model runs once through each engine, for as many hours as ``--arrivals`` dialogs
take to arrive (200,000 by default), with the same seed for every engine:

* chatroute: the full simulator, ``simulate(scenario, [Even()], seed)`` with
  explanations off: drawing the traffic, routing every dialog through a real
  ``Router``, and folding the outcomes into a report;
* ciw: a one-node network (``ciw.seed(seed)``, exponential arrivals and services, c
  servers), run until the last dialog is served, then its records read;
* simpy: the smallest SimPy M/M/c model, a ``Resource`` with capacity c, one process
  per dialog, waits recorded in a list; arrivals and services drawn from
  ``random.Random(seed)``.

Arrivals stop at the end of the span; every engine then serves the dialogs still
waiting. Dialogs that arrive in the first 2% of the span are simulated but not
measured (the warm-up). The wall time of each run (``time.perf_counter``, garbage
collector on, as in a host process) gives simulated dialogs per second; the ratios
chatroute / ciw and chatroute / simpy compare those. Each engine's probability of
waiting, mean wait and share answered within 30 s are compared with Erlang C
(``chatroute.simulate.erlang``; the share within t is ``1 - C exp(-(c mu - lambda) t)``)
as relative deviations. The engines draw different random numbers, so their
deviations differ by sampling noise, which shrinks with more arrivals (at 96% busy it
is several per cent at 200,000 arrivals); the fidelity targets are only judged at
``--arrivals 1000000`` or more.

Usage::

    python benchmarks/bench_sim.py                      # 200,000 arrivals per model
    python benchmarks/bench_sim.py --quick              # 5,000 arrivals per model
    python benchmarks/bench_sim.py --arrivals 1000000   # judges the fidelity targets too
    python benchmarks/bench_sim.py --arrivals 1000000 --models large --replicates 6

At 96% busy one run of 1,000,000 arrivals still has several per cent of noise in the
probability of waiting, more than the 2% tolerance; ``--replicates K`` runs chatroute K
times per model with different seeds and judges the fidelity targets on the mean
deviation, with its noise taken from the spread between the runs.

Planning (issue 16): the wall time of the default scenario's per-interval staffing
(``staff_intervals``, 30 min, 80/30, shrinkage 30%) and of a 20-replication comparison
of four strategies (``simulate(..., replications=20)``), each on one process and on
every core, in the same run, with a check that both give the same result. ``--quick``
shortens both (4 replications; staffing on 4 hours); ``--no-planning`` skips them.

Writes ``benchmarks/results/bench_sim.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, astuple, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import ciw  # type: ignore[import-untyped]
import simpy
from _report import machine, write_report

from chatroute import Channel, Even, Operator, RoutingConfig, __version__
from chatroute.simulate import (
    Arrivals,
    Duration,
    Scenario,
    Traffic,
    erlang_c,
    mean_wait,
    simulate,
    staff_intervals,
)
from chatroute.simulate.run import cores

FULL_ARRIVALS = 200_000
QUICK_ARRIVALS = 5_000
FIDELITY_ARRIVALS = 1_000_000  # the fidelity targets are judged from this many arrivals on
WARMUP_SHARE = 0.02  # of the span: dialogs arriving this early are not measured
THRESHOLD = 30.0  # seconds: "answered within 30 s"
DRAIN = timedelta(hours=6)  # time after the span to serve the dialogs still waiting
START = datetime(2026, 3, 2, tzinfo=UTC)
ENGINES = ("chatroute", "ciw", "simpy")
SPEED_TARGET = 5.0  # chatroute / ciw dialogs per second on the large model
P_WAIT_TOLERANCE = 0.02  # relative deviation from Erlang C
WITHIN_TOLERANCE = 0.01
BATCHES = 20  # batch means for the standard errors
REPLICATE_SEED_STEP = 1000  # --replicates: run r of a model is seeded with its seed + r * this
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "bench_sim.json"


@dataclass(frozen=True)
class Model:
    """An M/M/c desk: arrivals per hour, mean handle time in seconds, operators."""

    name: str
    rate: float
    handle: float
    agents: int

    @property
    def load(self) -> float:
        """Offered traffic in Erlangs."""
        return self.rate * self.handle / 3600.0

    @property
    def utilisation(self) -> float:
        """The share of the operators' time spent handling dialogs."""
        return self.load / self.agents

    def span(self, arrivals: int) -> float:
        """Seconds in which ``arrivals`` dialogs arrive on average."""
        return arrivals / self.rate * 3600.0


MODELS = (
    Model(name="small", rate=100.0, handle=180.0, agents=6),
    Model(name="medium", rate=600.0, handle=240.0, agents=45),
    Model(name="large", rate=3000.0, handle=300.0, agents=260),
)


@dataclass(frozen=True)
class Figures:
    """The three service figures Erlang C predicts."""

    p_wait: float  # share of dialogs that wait at all
    mean_wait: float  # seconds, over every dialog
    within: float  # share answered within THRESHOLD seconds


@dataclass(frozen=True)
class Measured:
    """One engine's run of one model: its size, wall time and service figures."""

    engine: str
    simulated: int  # dialogs simulated, warm-up included
    measured: int  # dialogs that count (arrived after the warm-up)
    seconds: float
    figures: Figures
    noise: Figures  # standard error of each figure, from batch means

    @property
    def per_s(self) -> float:
        """Simulated dialogs per second of wall time."""
        return self.simulated / self.seconds

    def spread(self, theory: Figures) -> Figures:
        """Two standard errors of each figure, relative to Erlang C: the deviation chance alone allows."""
        return Figures(
            p_wait=2 * self.noise.p_wait / theory.p_wait,
            mean_wait=2 * self.noise.mean_wait / theory.mean_wait,
            within=2 * self.noise.within / theory.within,
        )

    def deviation(self, theory: Figures) -> Figures:
        """Relative deviation of each figure from Erlang C (``+0.01`` is 1% above)."""
        return Figures(
            p_wait=self.figures.p_wait / theory.p_wait - 1,
            mean_wait=self.figures.mean_wait / theory.mean_wait - 1,
            within=self.figures.within / theory.within - 1,
        )


def erlang(model: Model) -> Figures:
    """What Erlang C predicts for the model."""
    c = erlang_c(model.agents, model.load)
    decay = (model.agents - model.load) / model.handle  # c mu - lambda, per second
    return Figures(
        p_wait=c,
        mean_wait=mean_wait(model.agents, model.load, model.handle),
        within=1.0 - c * math.exp(-decay * THRESHOLD),
    )


def figures_of(waits: Sequence[float]) -> Figures:
    """P(wait), mean wait and share within THRESHOLD of a list of waits."""
    n = len(waits)
    return Figures(
        p_wait=sum(1 for w in waits if w > 0) / n,
        mean_wait=sum(waits) / n,
        within=sum(1 for w in waits if w <= THRESHOLD) / n,
    )


def batch_errors(waits: Sequence[float], batches: int = BATCHES) -> Figures:
    """Standard errors of the figures from the means of consecutive batches of waits (in arrival order).

    Waits in a queue are correlated, so the spread of long batches' figures, not of
    single waits, says how far a run's figures may be from the truth by chance.
    """
    size = len(waits) // batches
    parts = [figures_of(waits[b * size : (b + 1) * size]) for b in range(batches)]

    def error(values: list[float]) -> float:
        mean = sum(values) / batches
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (batches - 1) / batches)

    return Figures(
        p_wait=error([f.p_wait for f in parts]),
        mean_wait=error([f.mean_wait for f in parts]),
        within=error([f.within for f in parts]),
    )


def measured(engine: str, simulated: int, seconds: float, waits: Sequence[float]) -> Measured:
    """An engine's run from its measured waits, in arrival order."""
    return Measured(engine, simulated, len(waits), seconds, figures_of(waits), batch_errors(waits))


def timed(run: Callable[[], tuple[int, Sequence[float]]]) -> tuple[float, int, Sequence[float]]:
    """Run an engine after a full collection; its wall seconds, dialogs simulated and measured waits."""
    gc.collect()
    started = time.perf_counter()
    simulated, waits = run()
    return time.perf_counter() - started, simulated, waits


# ------------------------------------------------------------------ chatroute


def scenario(model: Model, arrivals: int) -> Scenario:
    """The model as a chatroute scenario: one channel, operators of limit 1, no patience."""
    span = model.span(arrivals)
    config = RoutingConfig(
        channels=[Channel(name="site")],
        operators=[Operator(id=f"op{i:03d}", status="online", limit=1) for i in range(model.agents)],
        explain=False,
    )
    return Scenario(
        config=config,
        traffic=Traffic(arrivals=[Arrivals(rate=model.rate)], handle_time=Duration(mean=model.handle)),
        name=model.name,
        start=START,
        hours=span / 3600.0,
        warmup=timedelta(seconds=span * WARMUP_SHARE),
        drain=DRAIN,
    )


def run_chatroute(model: Model, arrivals: int, seed: int) -> Measured:
    """The full simulator (traffic, router, report) with one strategy; figures from its report."""
    desk = scenario(model, arrivals)
    gc.collect()
    started = time.perf_counter()
    run = simulate(desk, [Even()], seed=seed).runs[0]
    seconds = time.perf_counter() - started
    overall = run.overall
    if overall.answered != overall.offered or overall.wait_mean is None or overall.service_level is None:
        raise SystemExit(f"chatroute {model.name}: {overall.offered - overall.answered} dialogs not answered")
    result = measured("chatroute", run.simulated, seconds, [o.wait for o in run.outcomes])
    reported = Figures(
        p_wait=overall.waited / overall.answered, mean_wait=overall.wait_mean, within=overall.service_level
    )
    if not all(math.isclose(a, b) for a, b in zip(astuple(reported), astuple(result.figures), strict=True)):
        raise SystemExit(f"chatroute {model.name}: the report says {reported}, its waits {result.figures}")
    return result


# ------------------------------------------------------------------------ ciw


class _ArrivalsUntil(ciw.dists.Exponential):  # type: ignore[misc]
    """Exponential gaps between arrivals, and none after ``end`` seconds."""

    def __init__(self, rate: float, end: float) -> None:
        super().__init__(rate=rate)
        self.end = end

    def sample(self, t: float | None = None, ind: object = None) -> float:
        gap: float = super().sample()
        return gap if t is None or t + gap < self.end else math.inf


def ciw_mmc(model: Model, span: float, seed: int) -> tuple[int, list[float]]:
    """Simulate the model in ciw; dialogs simulated and the waits of those after the warm-up."""
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[_ArrivalsUntil(model.rate / 3600.0, span)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / model.handle)],
        number_of_servers=[model.agents],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(span + DRAIN.total_seconds())
    warmup = span * WARMUP_SHARE
    records = sim.get_all_records(only=["service"])
    if len(records) != sim.nodes[0].number_of_individuals:
        raise SystemExit(f"ciw {model.name}: not every dialog was served before the drain ended")
    records.sort(key=lambda r: r.arrival_date)
    waits = [r.waiting_time for r in records if r.arrival_date >= warmup]
    return sim.nodes[0].number_of_individuals, waits


def run_ciw(model: Model, arrivals: int, seed: int) -> Measured:
    """ciw's run of the model: wall time of building, simulating and reading the records."""
    seconds, simulated, waits = timed(lambda: ciw_mmc(model, model.span(arrivals), seed))
    return measured("ciw", simulated, seconds, waits)


# ---------------------------------------------------------------------- simpy


def simpy_mmc(model: Model, span: float, seed: int) -> tuple[int, list[float]]:
    """The minimal SimPy M/M/c: dialogs simulated and the waits of those after the warm-up."""
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=model.agents)
    rng = random.Random(seed)
    arrival_rate, service_rate = model.rate / 3600.0, 1.0 / model.handle
    warmup = span * WARMUP_SHARE
    waits: list[float] = []
    count = 0

    def dialog(arrived: float) -> Generator[simpy.Event, Any, None]:
        with desk.request() as request:
            yield request
            if arrived >= warmup:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(service_rate))

    def source() -> Generator[simpy.Event, Any, None]:
        nonlocal count
        while True:
            gap = rng.expovariate(arrival_rate)
            if env.now + gap >= span:
                return
            yield env.timeout(gap)
            count += 1
            env.process(dialog(env.now))

    env.process(source())
    env.run()
    return count, waits


def run_simpy(model: Model, arrivals: int, seed: int) -> Measured:
    """The minimal SimPy model's run: wall time of simulating and recording waits."""
    seconds, simulated, waits = timed(lambda: simpy_mmc(model, model.span(arrivals), seed))
    return measured("simpy", simulated, seconds, waits)


RUNNERS: dict[str, Callable[[Model, int, int], Measured]] = {
    "chatroute": run_chatroute,
    "ciw": run_ciw,
    "simpy": run_simpy,
}


# ------------------------------------------------------------------ reporting


def run_model(
    model: Model, arrivals: int, seed: int, out: Callable[[str], None]
) -> tuple[dict[str, Measured], dict[str, Any]]:
    """Every engine on one model, printing a row each; the results and the JSON section."""
    theory = erlang(model)
    out(_theory_row(model, theory))
    results: dict[str, Measured] = {}
    for engine in ENGINES:
        results[engine] = RUNNERS[engine](model, arrivals, seed)
        out(_row(model.name, results[engine], theory))
    ratios = {
        other: results["chatroute"].per_s / results[other].per_s for other in ENGINES if other != "chatroute"
    }
    out(f"{'':<7} chatroute / ciw: {ratios['ciw']:.2f}x, chatroute / simpy: {ratios['simpy']:.2f}x")
    section = {
        **asdict(model),
        "load_erlangs": round(model.load, 3),
        "utilisation": round(model.utilisation, 4),
        "seed": seed,
        "erlang_c": asdict(theory),
        "engines": {name: _as_dict(m, theory) for name, m in results.items()},
        "chatroute_over": {name: round(r, 3) for name, r in ratios.items()},
    }
    return results, section


def _as_dict(m: Measured, theory: Figures) -> dict[str, Any]:
    return {
        "simulated": m.simulated,
        "measured": m.measured,
        "seconds": round(m.seconds, 6),
        "dialogs_per_s": round(m.per_s, 1),
        "figures": asdict(m.figures),
        "deviation": {k: round(v, 5) for k, v in asdict(m.deviation(theory)).items()},
        "standard_error": asdict(m.noise),
        "relative_2se": {k: round(v, 5) for k, v in asdict(m.spread(theory)).items()},
    }


HEADER = (
    f"{'model':<7} {'engine':<10} {'simulated':>10} {'measured':>10} {'wall s':>7} {'dialogs/s':>10} "
    f"{'P(wait)':>8} {'dev ±2se':>15} {'mean wait':>9} {'dev ±2se':>15} {'<=30 s':>7} {'dev ±2se':>15}"
)


def _theory_row(model: Model, theory: Figures) -> str:
    blank = ""
    return (
        f"{model.name:<7} {'Erlang C':<10} {blank:>10} {blank:>10} {blank:>7} {blank:>10} "
        f"{theory.p_wait:>8.4f} {blank:>15} {theory.mean_wait:>9.2f} {blank:>15} {theory.within:>7.4f}"
    )


def _dev(deviation: float, spread: float) -> str:
    """``+1.23% ±0.80%``: a relative deviation and two standard errors."""
    return f"{deviation:+.2%} ±{spread:.2%}"


def _row(model: str, m: Measured, theory: Figures) -> str:
    dev, spread = m.deviation(theory), m.spread(theory)
    return (
        f"{model:<7} {m.engine:<10} {m.simulated:>10,} {m.measured:>10,} {m.seconds:>7.2f} {m.per_s:>10,.0f} "
        f"{m.figures.p_wait:>8.4f} {_dev(dev.p_wait, spread.p_wait):>15} "
        f"{m.figures.mean_wait:>9.2f} {_dev(dev.mean_wait, spread.mean_wait):>15} "
        f"{m.figures.within:>7.4f} {_dev(dev.within, spread.within):>15}"
    )


@dataclass(frozen=True)
class Goal:
    """One target of the issue: what was measured and whether it is met (None: not judged)."""

    title: str
    measured: float
    shown: str
    met: bool | None

    def verdict(self) -> str:
        """``target <title>: <measured>: met`` (or ``NOT met``, or ``n/a (...)``)."""
        if self.met is None:
            judged = f"n/a (needs {FIDELITY_ARRIVALS:,} arrivals)"
        else:
            judged = "met" if self.met else "NOT met"
        return f"target {self.title}: {self.shown}: {judged}"


def speed_goals(large: dict[str, Measured]) -> list[Goal]:
    """chatroute against ciw and simpy in dialogs per second, on the large model."""
    chatroute = large["chatroute"].per_s
    over_ciw, over_simpy = chatroute / large["ciw"].per_s, chatroute / large["simpy"].per_s
    return [
        Goal(
            f"chatroute >= {SPEED_TARGET:g}x ciw dialogs/s (large)",
            over_ciw,
            f"{over_ciw:.2f}x",
            over_ciw >= SPEED_TARGET,
        ),
        Goal("chatroute faster than simpy (large)", over_simpy, f"{over_simpy:.2f}x", over_simpy > 1.0),
    ]


def fidelity_goals(model: Model, runs: Sequence[Measured], arrivals: int) -> list[Goal]:
    """chatroute's P(wait) and share within 30 s against Erlang C; judged from 1,000,000 arrivals.

    With several runs (``--replicates``, each with its own seed) the deviation judged is
    their mean, and its two standard errors come from the spread between the runs.
    """
    theory = erlang(model)
    deviations = [run.deviation(theory) for run in runs]
    judged = arrivals >= FIDELITY_ARRIVALS
    goals = []
    for label, field, tolerance in (
        ("P(wait)", "p_wait", P_WAIT_TOLERANCE),
        ("share within 30 s", "within", WITHIN_TOLERANCE),
    ):
        values = [getattr(d, field) for d in deviations]
        value = sum(values) / len(values)
        if len(runs) == 1:
            noise = getattr(runs[0].spread(theory), field)
            shown = f"{_dev(value, noise)} (2 standard errors)"
        else:
            noise = 2 * statistics.stdev(values) / math.sqrt(len(values))
            shown = f"{_dev(value, noise)} (mean of {len(runs)} runs, 2 standard errors between them)"
        title = f"chatroute {label} within {tolerance:.0%} of Erlang C ({model.name})"
        goals.append(Goal(title, value, shown, abs(value) <= tolerance if judged else None))
    return goals


def replicate(
    model: Model, arrivals: int, seed: int, count: int, out: Callable[[str], None]
) -> list[Measured]:
    """``count`` more chatroute runs of the model, each with its own seed, printing a row each."""
    theory = erlang(model)
    runs = []
    for r in range(1, count + 1):
        own_seed = seed + REPLICATE_SEED_STEP * r
        run = run_chatroute(model, arrivals, own_seed)
        out(_row(model.name, replace(run, engine=f"seed {own_seed}"), theory))
        runs.append(run)
    return runs


PLAN_STRATEGIES = ("config", "even", "random", "round-robin")
PLAN_REPLICATIONS = 20


def planning(quick: bool, out: Callable[[str], None]) -> dict[str, Any]:
    """Time per-interval staffing and a replicated comparison on one process and on every core."""
    scenario = Scenario.default()
    if quick:
        scenario = attrs.evolve(scenario, hours=4.0)
    replications = 4 if quick else PLAN_REPLICATIONS
    every = cores()
    found: dict[str, Any] = {"cores": every, "replications": replications, "hours": scenario.hours}
    for name, work in (
        (
            "staffing",
            lambda jobs: staff_intervals(scenario, "80/30", interval="30min", shrinkage=0.3, jobs=jobs),
        ),
        (
            "comparison",
            lambda jobs: simulate(scenario, list(PLAN_STRATEGIES), replications=replications, jobs=jobs),
        ),
    ):
        times, results = {}, []
        for jobs in sorted({1, every}):
            started = time.perf_counter()
            results.append(work(jobs))
            times[jobs] = time.perf_counter() - started
        same = all(r == results[0] for r in results)
        speedup = times[1] / times[every]
        label = {
            "staffing": f"per-interval staffing of the default scenario ({scenario.hours:g} h, 30 min)",
            "comparison": f"{replications}-replication comparison of {len(PLAN_STRATEGIES)} strategies",
        }[name]
        out(
            f"planning: {label}: 1 process {times[1]:.1f} s, {every} processes {times[every]:.1f} s "
            f"({speedup:.2f}x), same result: {'yes' if same else 'NO'}"
        )
        found[name] = {"seconds": {str(k): round(v, 2) for k, v in times.items()}, "same": same}
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ARRIVALS:,} arrivals per model")
    parser.add_argument("--arrivals", type=int, help=f"arrivals per model (default {FULL_ARRIVALS:,})")
    parser.add_argument(
        "--models", nargs="+", choices=[m.name for m in MODELS], help="which models (default: all)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the first model; +1 per model")
    parser.add_argument(
        "--replicates",
        type=int,
        default=1,
        help="chatroute runs per model for the fidelity verdicts (more seeds, less noise; default 1)",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    parser.add_argument("--no-planning", action="store_true", help="skip the planning timings")
    args = parser.parse_args(argv)
    arrivals = args.arrivals or (QUICK_ARRIVALS if args.quick else FULL_ARRIVALS)
    chosen = [(i, m) for i, m in enumerate(MODELS) if args.models is None or m.name in args.models]
    print(
        f"chatroute {__version__}, ciw {ciw.__version__}, simpy {simpy.__version__}, "
        f"Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs; "
        f"M/M/c, {arrivals:,} arrivals per model, first {WARMUP_SHARE:.0%} of the span not measured; "
        f"dev = relative deviation from Erlang C, ±2se = two standard errors ({BATCHES} batch means)",
        flush=True,
    )
    print(HEADER, flush=True)
    started = time.perf_counter()
    load_start = os.getloadavg()
    results: dict[str, dict[str, Measured]] = {}
    sections = []
    goals: list[Goal] = []
    for i, model in chosen:
        measured, section = run_model(model, arrivals, args.seed + i, lambda line: print(line, flush=True))
        runs = [measured["chatroute"]]
        runs += replicate(
            model, arrivals, args.seed + i, args.replicates - 1, lambda line: print(line, flush=True)
        )
        section["replicates"] = [_as_dict(run, erlang(model)) for run in runs[1:]]
        results[model.name] = measured
        sections.append(section)
        goals += fidelity_goals(model, runs, arrivals)
    if "large" in results:
        goals[:0] = speed_goals(results["large"])
    print()
    for goal in goals:
        print(goal.verdict())
    plans = None if args.no_planning else planning(args.quick, lambda line: print(line, flush=True))
    report = {
        "benchmark": "M/M/c simulation: chatroute vs ciw vs simpy",
        "ciw": ciw.__version__,
        "simpy": simpy.__version__,
        **machine(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "quick": args.quick,
        "settings": {
            "arrivals": arrivals,
            "warmup_share": WARMUP_SHARE,
            "threshold_s": THRESHOLD,
            "seed": args.seed,
            "replicates": args.replicates,
            "engines": list(ENGINES),
        },
        "total_s": round(time.perf_counter() - started, 1),
        "models": sections,
        "targets": [asdict(goal) for goal in goals],
        "planning": plans,
    }
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
