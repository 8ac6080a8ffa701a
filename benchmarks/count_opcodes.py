"""Count Python opcodes per route + release pair and per simulated dialog, and time them.

Opcode counts are deterministic (the same code and seed give the same count on any
machine and under any load), so they show a hot-path change of 1% that thread-CPU
timings on a shared machine cannot. They count bytecode only: work done in C (a
``heapq`` push, a dict copy) counts as the one opcode that calls it.

* ``pairs``: the ``bench_route.py`` floor (10,000 waiting dialogs in hot groups),
  ``--pairs`` route + release pairs after a warm-up, per strategy. Opcodes are counted
  over the pairs under ``sys.settrace`` with ``f_trace_opcodes``; the thread CPU per
  pair is the minimum, over ``--rounds`` rounds, of a round's mean (another router on
  the same floor, untraced).
* ``sim``: the ``bench_sim.py`` models (M/M/c, ``Even``) with ``--arrivals`` arrivals:
  opcodes per simulated dialog, and the thread CPU per dialog (minimum over rounds).

To compare with an older commit, run the same file with that commit's sources first on
the path (``git worktree add --detach OLD REV``, then ``PYTHONPATH=OLD/src``): the
benchmark modules of this tree are used with either. Alternate the two a few times.

Usage::

    python benchmarks/count_opcodes.py                  # pairs at 1k and 10k, and sim
    python benchmarks/count_opcodes.py --sizes 10000 --no-sim
"""

from __future__ import annotations

import argparse
import gc
import importlib
import random
import sys
import time
import types
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType
from typing import Any


def _import_bench(name: str) -> Any:
    """A benchmark module of this tree; its sections an older chatroute lacks are left out."""
    for optional in ("_relaxed", "_explained"):
        try:
            importlib.import_module(optional)
        except ImportError:  # an older chatroute (no Relax): bench_route's other sections only
            sys.modules[optional] = types.SimpleNamespace(STRATEGIES={}, run=None)  # type: ignore[assignment]
    return importlib.import_module(name)


class Counter:
    """Counts the opcodes run under it, in every Python frame."""

    def __init__(self) -> None:
        self.opcodes = 0

    def _local(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        if event == "opcode":
            self.opcodes += 1
        return self._local

    def _global(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        frame.f_trace_opcodes = True
        return self._local

    def __enter__(self) -> Counter:
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)


def pairs(n: int, strategy: str, n_pairs: int, rounds: int, explain: bool = False) -> tuple[float, float]:
    """Opcodes per route + release pair, and the least thread-CPU microseconds per pair.

    ``explain``: with traces on every decision (the config's default), else without.
    """
    bench = _import_bench("bench_route")
    settings = bench.Settings(sizes=(n,), queued=10_000, pairs=n_pairs, warmup=100, naive_budget=0, seed=1)
    floor = bench.build_floor(n, settings.seed)
    counted = 0
    best = float("inf")
    for round_ in range(rounds + 1):
        config = bench.RoutingConfig(
            operators=floor.operators,
            groups=floor.groups,
            strategy=bench.STRATEGIES[strategy](),
            explain=explain,
        )
        router = bench.Router(config, seed=settings.seed)
        book = bench.fill(router, floor, settings.queued, settings.seed)
        groups = bench.workload(floor, settings, settings.warmup + n_pairs)
        pick = random.Random(settings.seed + 29)
        spent = 0
        gc.collect()
        for i, group_id in enumerate(groups):
            dialog = bench.Dialog(id=f"t{i}", chosen_group_id=group_id)
            now = bench.START + timedelta(seconds=i)
            victim = book.pick(pick) if book.assigned else None
            timed = i >= settings.warmup
            if timed and round_ == 0:
                with Counter() as counter:
                    decision = router.route(dialog, now)
                    if victim is not None:
                        events = router.release(victim, now)
                counted += counter.opcodes
            else:
                t0 = time.thread_time_ns()
                decision = router.route(dialog, now)
                if victim is not None:
                    events = router.release(victim, now)
                if timed:
                    spent += time.thread_time_ns() - t0
            if decision.operator_id is not None:
                book.assign(dialog.id, decision.operator_id)
            if victim is not None:
                book.drop(victim)
                for event in events:
                    if type(event) is bench.DialogAssigned:
                        book.assign(event.dialog_id, event.operator_id)
        if round_:
            best = min(best, spent / n_pairs / 1000)
    return counted / n_pairs, best


def sim(model_name: str, arrivals: int, rounds: int) -> tuple[float, float]:
    """Opcodes per simulated dialog, and the least thread-CPU microseconds per dialog."""
    bench = _import_bench("bench_sim")
    from chatroute.simulate import simulate

    model = next(m for m in bench.MODELS if m.name == model_name)
    desk = bench.scenario(model, arrivals)
    with Counter() as counter:
        run = simulate(desk, [bench.Even()], seed=1).runs[0]
    opcodes = counter.opcodes / run.simulated
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        t0 = time.thread_time_ns()
        run = simulate(desk, [bench.Even()], seed=1).runs[0]
        best = min(best, (time.thread_time_ns() - t0) / run.simulated / 1000)
    return opcodes, best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--strategies", nargs="+", default=["Even", "RoundRobin", "SkillBased"])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arrivals", type=int, default=3_000)
    parser.add_argument("--no-sim", action="store_true")
    parser.add_argument("--explain", action="store_true", help="pairs with traces on (the default)")
    args = parser.parse_args(argv)
    import chatroute

    print(f"chatroute {chatroute.__version__} from {chatroute.__file__}")
    print(f"{'what':<24} {'opcodes':>10} {'us (min)':>10}")
    for n in args.sizes:
        for name in args.strategies:
            ops, us = pairs(n, name, args.pairs, args.rounds, args.explain)
            print(f"{f'{name} {n:,}':<24} {ops:>10,.0f} {us:>10.1f}", flush=True)
    if not args.no_sim:
        for model in ("small", "medium", "large"):
            ops, us = sim(model, args.arrivals, args.rounds)
            print(f"{f'sim {model}':<24} {ops:>10,.0f} {us:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
