"""Picks under a relaxing skill requirement that few operators meet (``bench_route.py --relax``).

A desk of N operators (all ``online``, limit 5, no groups: every dialog falls back to
everyone) where few have the skill ``printing`` at a high level: 0.5% at level 8-10,
2.5% at 5-7, 20% at 1-4, the rest not at all. Every timed dialog needs ``printing`` 8
or more, relaxing to 5 or more after 30 s. Three strategies: ``SkillBased("printing")``,
``Even`` and ``LongestIdle``. Two cases, each timed in the thread's CPU time
(``time.thread_time_ns``) and reported as median and minimum microseconds:

* **free**: the level-8 operators have room. A pair routes a dialog (assigned to one of
  them) and releases it.
* **busy**: every level-8 operator is at the limit (with dialogs that need level 8 and
  do not relax). The route queues the dialog (nobody can take it); a tick 30 s later
  relaxes it to level 5 and places it with a level-5 operator; it is then released
  (not timed). Reported: the route and the tick, each.

The script uses only the public API, so the same file measures another checkout of the
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

from chatroute import (
    Dialog,
    Even,
    LongestIdle,
    Operator,
    RandomWithinLimit,
    Relax,
    RoundRobin,
    Router,
    RoutingConfig,
    SkillBased,
    Strategy,
)

LIMIT = 5
SKILL = "printing"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RELAX = (Relax(skill=SKILL, steps=[(30, 5)]),)

STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "SkillBased": lambda: SkillBased(SKILL),
    "Even": Even,
    "LongestIdle": LongestIdle,
    "RoundRobin": RoundRobin,
    "RandomWithinLimit": RandomWithinLimit,
}


def operators(n: int, seed: int) -> list[Operator]:
    """N online operators; few have the skill at a high level."""
    rng = random.Random(seed * 7919 + n)
    found = []
    for i in range(n):
        draw = rng.random()
        if draw < 0.005:
            skills = {SKILL: rng.randint(8, 10)}
        elif draw < 0.03:
            skills = {SKILL: rng.randint(5, 7)}
        elif draw < 0.23:
            skills = {SKILL: rng.randint(1, 4)}
        else:
            skills = {}
        found.append(Operator(id=f"op{i:06d}", status="online", limit=LIMIT, skills=skills))
    return found


def _dialog(dialog_id: str, *, relax: bool = True) -> Dialog:
    return Dialog(id=dialog_id, required_skills={SKILL: 8}, relax=RELAX if relax else ())


def run(n: int, strategy: str, pairs: int, budget_s: float, seed: int = 1) -> dict[str, Any]:
    """Time both cases for one strategy at one size."""
    ops = operators(n, seed)
    config = RoutingConfig(operators=ops, strategy=STRATEGIES[strategy](), explain=False)
    clock = time.thread_time_ns
    budget = int(budget_s * 1e9)
    router = Router(config, seed=seed)
    route, release, tick = router.route, router.release, router.tick
    free: list[int] = []
    gc.collect()
    for i in range(pairs):
        now = START + timedelta(seconds=i)
        t0 = clock()
        decision = route(_dialog(f"f{i}"), now)
        release(decision.dialog_id, now)
        free.append(clock() - t0)
        if sum(free) > budget and len(free) >= 20:
            break
    high = sum(1 for op in ops if op.skills.get(SKILL, 0) >= 8)
    at = START + timedelta(days=1)
    for k in range(high * LIMIT):  # every level-8 operator at the limit
        route(_dialog(f"h{k}", relax=False), at)
    queued: list[int] = []
    ticked: list[int] = []
    gc.collect()
    for i in range(pairs):
        t0 = clock()
        decision = route(_dialog(f"b{i}"), at)
        t1 = clock()
        tick(at + timedelta(seconds=30))
        t2 = clock()
        assert decision.operator_id is None, "a level-8 operator had room"
        release(decision.dialog_id, at + timedelta(seconds=30))
        queued.append(t1 - t0)
        ticked.append(t2 - t1)
        at += timedelta(seconds=31)
        if sum(queued) + sum(ticked) > budget and len(queued) >= 20:
            break
    return {
        "operators": n,
        "strategy": strategy,
        "free_pair": _summary(free),
        "busy_route": _summary(queued),
        "busy_tick": _summary(ticked),
    }


def _summary(times: list[int]) -> dict[str, Any]:
    return {
        "n": len(times),
        "median_us": round(median(times) / 1000, 2),
        "min_us": round(min(times) / 1000, 2),
    }
