"""The cost of explanations: route + release pairs with ``explain`` on and off (``bench_route.py --explain``).

Two desks of N operators (all ``online``, limit 5, ``Even``), each filled with N
assigned dialogs (a fifth of the capacity, so nobody waits) by a router with
explanations off, whose snapshot is then restored under the config with explanations on
and under the one with them off, so both start from the same state:

* **fallback**: no groups and no rules; every dialog falls back to everyone, so the
  target has all N operators;
* **groups**: 100 groups of about N/100 operators (each operator in one) and one rule
  per group (``topic("tNN")`` to group ``gNN``); each dialog names a random topic, so the
  general path tries about 50 rules.

The timed loop routes a new dialog and releases a random assigned one. Each pair is
timed with the thread's CPU time (``time.thread_time_ns``, so other processes on a loaded
machine count less), up to ``pairs`` pairs per router or ``budget_s`` seconds of it each,
whichever comes first; reported are the median and the minimum in microseconds per
pair. The two routers take turns, :data:`BLOCK` pairs at a time, so a change in the
machine's speed during the run weighs on "off" and "on" alike. The
script uses only the public API, so the same file measures another checkout of the
library (``PYTHONPATH=other/src``).
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

import attrs

from chatroute import Dialog, DialogAssigned, Even, Group, Operator, Router, RoutingConfig, Rule, Target
from chatroute.rules import topic

LIMIT = 5
GROUPS = 100
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def desk(n: int, scenario: str) -> tuple[RoutingConfig, Callable[[str, random.Random], Dialog]]:
    """The config of one scenario (explanations off) and how its dialogs are made."""
    operators = [Operator(id=f"op{i:06d}", status="online", limit=LIMIT) for i in range(n)]
    if scenario == "fallback":
        config = RoutingConfig(operators=operators, strategy=Even(), explain=False)
        return config, lambda dialog_id, rng: Dialog(id=dialog_id)
    groups = [Group(id=f"g{g:02d}", operator_ids=[o.id for o in operators[g::GROUPS]]) for g in range(GROUPS)]
    rules = [
        Rule(name=f"r{g:02d}", when=topic(f"t{g:02d}"), to=Target.group(f"g{g:02d}")) for g in range(GROUPS)
    ]
    config = RoutingConfig(operators=operators, groups=groups, rules=rules, strategy=Even(), explain=False)
    return config, lambda dialog_id, rng: Dialog(id=dialog_id, topic=f"t{rng.randrange(GROUPS):02d}")


#: Pairs each router runs before the other takes its turn: the two alternate in blocks, so
#: a drift of the machine's speed meanwhile weighs on both alike.
BLOCK = 100


def run(n: int, scenario: str, pairs: int, budget_s: float, seed: int = 1) -> dict[str, dict[str, Any]]:
    """Time pairs with explanations off and on, from the same filled state, in alternating blocks."""
    config, make = desk(n, scenario)
    filler = Router(config, seed=seed)
    rng = random.Random(seed)
    assigned: list[str] = []
    for i in range(n):
        decision = filler.route(make(f"s{i}", rng), START)
        if decision.operator_id is not None:
            assigned.append(decision.dialog_id)
    snapshot = filler.snapshot()
    del filler
    runners = {
        name: _Pairs(Router.restore(attrs.evolve(config, explain=on), snapshot), make, list(assigned), seed)
        for name, on in (("off", False), ("on", True))
    }
    warmup = min(50, pairs // 10)
    for runner in runners.values():
        runner.block(warmup, timed=False)
    budget = int(budget_s * 1e9)
    gc.collect()
    while any(len(r.times) < pairs for r in runners.values()):
        for runner in runners.values():
            runner.block(min(BLOCK, pairs - len(runner.times)), timed=True)
        spent = sum(r.spent for r in runners.values())
        if spent > 2 * budget and all(len(r.times) >= 20 for r in runners.values()):
            break
    return {name: runner.result() for name, runner in runners.items()}


class _Pairs:
    """One router's route + release pairs, run a block at a time; their times kept."""

    def __init__(
        self, router: Router, make: Callable[[str, random.Random], Dialog], assigned: list[str], seed: int
    ) -> None:
        self.router = router
        self.make = make
        self.assigned = assigned
        self.rng, self.pick = random.Random(seed + 17), random.Random(seed + 29)
        self.done = 0  # pairs run, timed or not
        self.times: list[int] = []
        self.spent = 0
        self.trace_lines = 0

    def block(self, count: int, *, timed: bool) -> None:
        route, release, assigned = self.router.route, self.router.release, self.assigned
        clock = time.thread_time_ns
        decision = None
        for i in range(self.done, self.done + count):
            dialog = self.make(f"t{i}", self.rng)
            now = START + timedelta(seconds=i + 1)
            t0 = clock()
            decision = route(dialog, now)
            t1 = clock()
            if decision.operator_id is not None:
                assigned.append(dialog.id)
            k = self.pick.randrange(len(assigned))
            assigned[k], assigned[-1] = assigned[-1], assigned[k]
            victim = assigned.pop()
            t2 = clock()
            events = release(victim, now)
            t3 = clock()
            assigned.extend(e.dialog_id for e in events if type(e) is DialogAssigned)
            if timed:
                self.times.append(t1 - t0 + t3 - t2)
                self.spent += t1 - t0 + t3 - t2
        self.done += count
        if decision is not None and decision.trace is not None:
            self.trace_lines = len(decision.trace.render())

    def result(self) -> dict[str, Any]:
        return {
            "pairs": len(self.times),
            "median_us": round(median(self.times) / 1000, 2),
            "min_us": round(min(self.times) / 1000, 2),
            "trace_lines": self.trace_lines,
        }
