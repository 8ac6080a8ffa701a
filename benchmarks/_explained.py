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
machine count less), up to ``pairs`` pairs or ``budget_s`` seconds of it, whichever
comes first; reported are the median and the minimum in microseconds per pair. The
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


def run(n: int, scenario: str, pairs: int, budget_s: float, seed: int = 1) -> dict[str, dict[str, Any]]:
    """Time pairs with explanations off and on, from the same filled state."""
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
    results = {}
    for explain in (False, True):
        router = Router.restore(attrs.evolve(config, explain=explain), snapshot)
        results["on" if explain else "off"] = _pairs(router, make, list(assigned), pairs, budget_s, seed)
        del router
        gc.collect()
    return results


def _pairs(
    router: Router,
    make: Callable[[str, random.Random], Dialog],
    assigned: list[str],
    pairs: int,
    budget_s: float,
    seed: int,
) -> dict[str, Any]:
    rng, pick = random.Random(seed + 17), random.Random(seed + 29)
    route, release = router.route, router.release
    clock = time.thread_time_ns
    times: list[int] = []
    spent, budget = 0, int(budget_s * 1e9)
    warmup = min(50, pairs // 10)
    gc.collect()
    for i in range(pairs + warmup):
        dialog = make(f"t{i}", rng)
        now = START + timedelta(seconds=i + 1)
        t0 = clock()
        decision = route(dialog, now)
        t1 = clock()
        if decision.operator_id is not None:
            assigned.append(dialog.id)
        k = pick.randrange(len(assigned))
        assigned[k], assigned[-1] = assigned[-1], assigned[k]
        victim = assigned.pop()
        t2 = clock()
        events = release(victim, now)
        t3 = clock()
        assigned.extend(e.dialog_id for e in events if type(e) is DialogAssigned)
        if i >= warmup:
            times.append(t1 - t0 + t3 - t2)
            spent += t1 - t0 + t3 - t2
            if spent > budget and len(times) >= 20:
                break
    trace = decision.trace
    return {
        "pairs": len(times),
        "median_us": round(median(times) / 1000, 2),
        "min_us": round(min(times) / 1000, 2),
        "trace_lines": len(trace.render()) if trace is not None else 0,
    }
