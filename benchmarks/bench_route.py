"""Benchmark: route + release pairs per built-in strategy, against a naive linear scan.

Scenario ("hot departments", all seeded):

* N operators (1,000 / 10,000 / 100,000), all ``online``, limit 5 each, skill
  ``billing`` at a random level 1..10 (for ``SkillBased``).
* 100 groups ``g00``..``g99``; each operator is a member of 1-3 groups chosen at random.
  Dialogs name the group the visitor chose (``Dialog.chosen_group_id``), as a widget
  with a department picker does.
* 20 of the groups are *hot*: a campaign has flooded them. Set-up routes dialogs into
  every hot group until its next dialog has to wait, so each member of a hot group is
  at its limit (about 35% of all capacity). Then it routes dialogs into random *cold*
  groups until exactly half the total capacity is in use, and finally routes more
  dialogs into random hot groups until 10,000 wait in their queues. This is the usual
  way dialogs wait while the floor as a whole has spare capacity: departments are
  separate queues, and a busy department does not borrow another's operators.
  (The other way, dialogs waiting for a skill few operators have, hits a linear scan
  in the router today; ``probe_skill_queue.py`` measures it separately.)
* The timed loop repeats a pair: route a new dialog to a uniformly random group (one in
  five lands in a hot group and waits; the rest are assigned), then release a random
  assigned dialog. About 70% of releases free an operator of a hot group, and the
  router drains a waiting dialog into them, so each pair exercises route, release and
  drain. The queue shrinks by about half a dialog per pair (reported as
  ``queued_start`` / ``queued_end``).

Each pair is timed with ``time.perf_counter_ns`` around ``route`` and around ``release``
(the harness's own bookkeeping in between is not counted), after a warm-up, with
``RoutingConfig(explain=False)``. Reported per strategy: median and p99 (nearest rank)
microseconds per pair, and pairs per second (pairs / summed pair time). The garbage
collector stays on, as in a host process; the JSON counts its collections during the
timed pairs (a generation-2 pass over a 100k-operator router takes 0.1-0.4 s and lands
in whichever pair triggers it) and the load average, since other processes on the
machine show up in p99.

The baseline is what most products do: a plain Python loop over a list of operator
objects for the least loaded online member of the group under the limit, FIFO queues per
group, and on release the oldest waiting dialog of the operator's groups. It starts
from the same state as the ``Even`` run (same loads, same queues) and runs the same
sequence of groups; at large sizes it times fewer pairs (it is slow), which the JSON
records. ``naive / Even`` is the ratio of medians.

A second section measures what explanations cost (``_explained.py``): route + release
pairs on ``Even`` with ``explain`` on and off, for dialogs that fall back to everyone
and for rules to groups of about N/100, timed in thread CPU time.

A third section measures picks under a relaxing skill requirement few operators meet
(``_relaxed.py``): dialogs that need ``printing`` 8 or more, relaxing to 5 after 30 s,
on a desk where 0.5% have level 8, with ``SkillBased``, ``Even``, ``LongestIdle``,
``RoundRobin`` and ``RandomWithinLimit``:
a route + release pair when a level-8 operator has room, and when none has, the route
that queues the dialog and the tick that relaxes and places it.

Usage::

    python benchmarks/bench_route.py            # 1k, 10k, 100k operators, both sections
    python benchmarks/bench_route.py --quick    # 1k operators, fewer pairs, smaller queue
    python benchmarks/bench_route.py --explain  # only the explanations section
    python benchmarks/bench_route.py --relax    # only the relaxing-requirements section

Writes ``benchmarks/results/bench_route.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _explained import run as run_explained
from _relaxed import STRATEGIES as RELAXED
from _relaxed import run as run_relaxed
from _report import machine, write_report

from chatroute import (
    Dialog,
    DialogAssigned,
    Even,
    Group,
    LongestIdle,
    Operator,
    RandomWithinLimit,
    RoundRobin,
    Router,
    RoutingConfig,
    SkillBased,
    Strategy,
    __version__,
)

GROUPS = 100
HOT_GROUPS = 20
LIMIT = 5
SKILL = "billing"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "bench_route.json"

STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "Even": Even,
    "RandomWithinLimit": lambda: RandomWithinLimit(seed=7),
    "RoundRobin": RoundRobin,
    "LongestIdle": LongestIdle,
    "SkillBased": lambda: SkillBased(skill=SKILL),
}


@dataclass(frozen=True)
class Settings:
    """What to run: sizes, queue length, pair counts and the seed."""

    sizes: tuple[int, ...]
    queued: int
    pairs: int
    warmup: int
    naive_budget: int  # operator-visits the naive baseline may spend: pairs x operators
    seed: int


FULL = Settings(
    sizes=(1_000, 10_000, 100_000), queued=10_000, pairs=3_000, warmup=300, naive_budget=30_000_000, seed=1
)
QUICK = Settings(sizes=(1_000,), queued=1_000, pairs=300, warmup=50, naive_budget=300_000, seed=1)


# ------------------------------------------------------------------ the floor


@dataclass(frozen=True)
class Floor:
    """The operators and groups of one size, shared by every strategy's run."""

    operators: tuple[Operator, ...]
    groups: tuple[Group, ...]
    memberships: dict[str, tuple[str, ...]]  # operator id -> ids of their groups
    hot: tuple[str, ...]
    cold: tuple[str, ...]

    @property
    def capacity(self) -> int:
        return LIMIT * len(self.operators)


def build_floor(n: int, seed: int) -> Floor:
    """N online operators in 100 groups (1-3 each), the first 20 groups hot."""
    rng = random.Random(seed * 1_000_003 + n)
    group_ids = [f"g{g:02d}" for g in range(GROUPS)]
    members: dict[str, list[str]] = {g: [] for g in group_ids}
    operators = []
    memberships = {}
    for i in range(n):
        op_id = f"op{i:06d}"
        operators.append(Operator(id=op_id, status="online", skills={SKILL: rng.randint(1, 10)}))
        mine = tuple(sorted(rng.sample(group_ids, rng.randint(1, 3))))
        memberships[op_id] = mine
        for g in mine:
            members[g].append(op_id)
    groups = tuple(Group(id=g, name=g, operator_ids=members[g]) for g in group_ids)
    return Floor(
        operators=tuple(operators),
        groups=groups,
        memberships=memberships,
        hot=tuple(group_ids[:HOT_GROUPS]),
        cold=tuple(group_ids[HOT_GROUPS:]),
    )


# ---------------------------------------------------------------- bookkeeping


@dataclass
class Book:
    """The harness's view of the state: who holds what, and what waits where.

    ``assigned`` is an array with swap-remove so a random assigned dialog is O(1).
    """

    assigned: list[str] = field(default_factory=list)
    slot: dict[str, int] = field(default_factory=dict)
    holder: dict[str, str] = field(default_factory=dict)  # dialog id -> operator id
    waiting: dict[str, list[str]] = field(default_factory=dict)  # group id -> dialog ids, in order
    queued: int = 0

    def assign(self, dialog_id: str, operator_id: str) -> None:
        self.slot[dialog_id] = len(self.assigned)
        self.assigned.append(dialog_id)
        self.holder[dialog_id] = operator_id

    def wait(self, dialog_id: str, group_id: str) -> None:
        self.waiting.setdefault(group_id, []).append(dialog_id)
        self.queued += 1

    def drop(self, dialog_id: str) -> None:
        i = self.slot.pop(dialog_id)
        last = self.assigned.pop()
        if last != dialog_id:
            self.assigned[i] = last
            self.slot[last] = i
        del self.holder[dialog_id]

    def copy(self) -> Book:
        return Book(
            assigned=list(self.assigned),
            slot=dict(self.slot),
            holder=dict(self.holder),
            waiting={g: list(ds) for g, ds in self.waiting.items()},
            queued=self.queued,
        )

    def pick(self, rng: random.Random) -> str:
        return self.assigned[rng.randrange(len(self.assigned))]


def _route(router: Router, book: Book, dialog_id: str, group_id: str) -> bool:
    """Route one set-up dialog into a group; True when it was assigned."""
    decision = router.route(Dialog(id=dialog_id, chosen_group_id=group_id), START)
    if decision.operator_id is None:
        book.wait(dialog_id, group_id)
        return False
    book.assign(dialog_id, decision.operator_id)
    return True


def fill(router: Router, floor: Floor, queued: int, seed: int) -> Book:
    """Saturate the hot groups, fill half the capacity, then queue ``queued`` dialogs."""
    book = Book()
    counter = iter(range(10**9))
    for g in floor.hot:  # every member of a hot group at their limit
        while _route(router, book, f"s{next(counter)}", g):
            pass
    half = floor.capacity // 2
    if len(book.assigned) > half:
        raise SystemExit(f"hot groups alone hold {len(book.assigned)} of {floor.capacity}: over half")
    rng = random.Random(seed)
    open_cold = list(floor.cold)
    while len(book.assigned) < half:  # spread the rest over the cold groups
        g = open_cold[rng.randrange(len(open_cold))]
        if not _route(router, book, f"s{next(counter)}", g):
            open_cold.remove(g)  # full by overlap with hot groups; its dialog waits
    while book.queued < queued:
        _route(router, book, f"s{next(counter)}", floor.hot[rng.randrange(len(floor.hot))])
    return book


# ------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Result:
    """Timings of one strategy (or the baseline) at one size."""

    name: str
    pair_ns: tuple[int, ...]
    setup_s: float
    setup_assigned: int  # dialogs assigned when set-up ended (half the capacity)
    setup_queued: int  # dialogs waiting when set-up ended
    queued_start: int
    queued_end: int
    drained: int
    gc_collections: tuple[int, ...]  # garbage collections per generation during the timed pairs

    @property
    def median_us(self) -> float:
        return percentile(self.pair_ns, 50) / 1000

    @property
    def p99_us(self) -> float:
        return percentile(self.pair_ns, 99) / 1000

    @property
    def pairs_per_s(self) -> float:
        return len(self.pair_ns) * 1e9 / sum(self.pair_ns)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pairs": len(self.pair_ns),
            "median_us": round(self.median_us, 2),
            "p99_us": round(self.p99_us, 2),
            "pairs_per_s": round(self.pairs_per_s, 1),
            "setup_s": round(self.setup_s, 3),
            "setup_assigned": self.setup_assigned,
            "setup_queued": self.setup_queued,
            "queued_start": self.queued_start,
            "queued_end": self.queued_end,
            "drained": self.drained,
            "gc_collections": list(self.gc_collections),
        }


def _gc_counts() -> tuple[int, ...]:
    return tuple(generation["collections"] for generation in gc.get_stats())


def _gc_since(start: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(now - then for now, then in zip(_gc_counts(), start, strict=True))


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)])


def workload(floor: Floor, settings: Settings, n_pairs: int) -> list[str]:
    """The groups the timed dialogs go to: the same sequence for every strategy."""
    rng = random.Random(settings.seed + 17)
    group_ids = [g.id for g in floor.groups]
    return [group_ids[rng.randrange(GROUPS)] for _ in range(n_pairs)]


def time_router(
    name: str, floor: Floor, strategy: Strategy, settings: Settings, *, keep_start: bool = False
) -> tuple[Result, Book | None]:
    """Set up a router with ``strategy`` and time route + release pairs on it.

    Returns the result and, with ``keep_start``, a copy of the state before the pairs.
    """
    started = time.perf_counter()
    config = RoutingConfig(operators=floor.operators, groups=floor.groups, strategy=strategy, explain=False)
    router = Router(config, seed=settings.seed)
    book = fill(router, floor, settings.queued, settings.seed)
    setup_s = time.perf_counter() - started
    start = book.copy() if keep_start else None
    setup_assigned, setup_queued = len(book.assigned), book.queued
    total = settings.warmup + settings.pairs
    dialogs = [Dialog(id=f"t{i}", chosen_group_id=g) for i, g in enumerate(workload(floor, settings, total))]
    pick = random.Random(settings.seed + 29)
    route, release = router.route, router.release
    pair_ns: list[int] = []
    queued_start = book.queued
    drained = 0
    gc_start = _gc_counts()
    gc.collect()
    for i, dialog in enumerate(dialogs):
        now = START + timedelta(seconds=i)
        t0 = time.perf_counter_ns()
        decision = route(dialog, now)
        t1 = time.perf_counter_ns()
        if decision.operator_id is None:
            book.queued += 1
        else:
            book.assign(dialog.id, decision.operator_id)
        victim = book.pick(pick)
        t2 = time.perf_counter_ns()
        events = release(victim, now)
        t3 = time.perf_counter_ns()
        book.drop(victim)
        for event in events:
            if type(event) is DialogAssigned:
                book.assign(event.dialog_id, event.operator_id)
                book.queued -= 1
                drained += 1
        if i == settings.warmup - 1:
            queued_start, drained, gc_start = book.queued, 0, _gc_counts()
        if i >= settings.warmup:
            pair_ns.append(t1 - t0 + t3 - t2)
    result = Result(
        name,
        tuple(pair_ns),
        setup_s,
        setup_assigned,
        setup_queued,
        queued_start,
        book.queued,
        drained,
        _gc_since(gc_start),
    )
    return result, start


@dataclass(slots=True)
class NaiveOperator:
    """An operator row as a hand-written router keeps it."""

    id: str
    status: str
    limit: int
    load: int
    groups: frozenset[str]


class NaiveRouter:
    """The usual hand-written router: scan every operator for the least loaded one.

    Operators are plain objects in a list; each group has a FIFO queue of
    ``(arrival, dialog id)``; a release gives the operator the oldest dialog waiting in
    any of their groups.
    """

    def __init__(self, floor: Floor, book: Book) -> None:
        loads: dict[str, int] = {}
        for op_id in book.holder.values():
            loads[op_id] = loads.get(op_id, 0) + 1
        self.operators = [
            NaiveOperator(
                id=op.id,
                status=op.status,
                limit=LIMIT,
                load=loads.get(op.id, 0),
                groups=frozenset(floor.memberships[op.id]),
            )
            for op in floor.operators
        ]
        by_id = {op.id: op for op in self.operators}
        self.holder = {d: by_id[op_id] for d, op_id in book.holder.items()}
        self.arrivals = 0
        self.queues: dict[str, deque[tuple[int, str]]] = {g.id: deque() for g in floor.groups}
        order = sorted((int(d[1:]), g, d) for g, ds in book.waiting.items() for d in ds)
        for arrival, g, d in order:
            self.queues[g].append((arrival, d))
            self.arrivals = max(self.arrivals, arrival)

    def route(self, dialog_id: str, group_id: str) -> str | None:
        """The least loaded online member under the limit, or None (the dialog waits)."""
        best: NaiveOperator | None = None
        for op in self.operators:
            if (
                op.status == "online"
                and group_id in op.groups
                and op.load < op.limit
                and (best is None or op.load < best.load)
            ):
                best = op
        if best is None:
            self.arrivals += 1
            self.queues[group_id].append((self.arrivals, dialog_id))
            return None
        best.load += 1
        self.holder[dialog_id] = best
        return best.id

    def release(self, dialog_id: str) -> tuple[str, str] | None:
        """Free the operator; they take the oldest dialog waiting in their groups, if any."""
        op = self.holder.pop(dialog_id)
        op.load -= 1
        oldest: deque[tuple[int, str]] | None = None
        for g in op.groups:
            queue = self.queues[g]
            if queue and (oldest is None or queue[0] < oldest[0]):
                oldest = queue
        if oldest is None:
            return None
        _, drained = oldest.popleft()
        op.load += 1
        self.holder[drained] = op
        return drained, op.id


def time_naive(floor: Floor, book: Book, settings: Settings) -> Result:
    """Time the baseline on the state the ``Even`` run started from."""
    started = time.perf_counter()
    naive = NaiveRouter(floor, book)
    setup_s = time.perf_counter() - started
    setup_assigned, setup_queued = len(book.assigned), book.queued
    pairs = max(100, min(settings.pairs, settings.naive_budget // len(floor.operators)))
    warmup = min(settings.warmup, pairs // 10)
    groups = workload(floor, settings, warmup + pairs)
    pick = random.Random(settings.seed + 29)
    pair_ns: list[int] = []
    queued_start = book.queued
    drained = 0
    gc_start = _gc_counts()
    gc.collect()
    for i, g in enumerate(groups):
        dialog_id = f"t{i}"
        t0 = time.perf_counter_ns()
        operator_id = naive.route(dialog_id, g)
        t1 = time.perf_counter_ns()
        if operator_id is None:
            book.queued += 1
        else:
            book.assign(dialog_id, operator_id)
        victim = book.pick(pick)
        t2 = time.perf_counter_ns()
        moved = naive.release(victim)
        t3 = time.perf_counter_ns()
        book.drop(victim)
        if moved is not None:
            book.assign(*moved)
            book.queued -= 1
            drained += 1
        if i == warmup - 1:
            queued_start, drained, gc_start = book.queued, 0, _gc_counts()
        if i >= warmup:
            pair_ns.append(t1 - t0 + t3 - t2)
    return Result(
        "naive scan",
        tuple(pair_ns),
        setup_s,
        setup_assigned,
        setup_queued,
        queued_start,
        book.queued,
        drained,
        _gc_since(gc_start),
    )


# ------------------------------------------------------------------ reporting


def run_size(n: int, settings: Settings, out: Callable[[str], None]) -> dict[str, Any]:
    """Every strategy and the baseline at one size; the JSON section for it."""
    started = time.perf_counter()
    floor = build_floor(n, settings.seed)
    build_s = time.perf_counter() - started
    out(f"\n{n:,} operators, {GROUPS} groups ({HOT_GROUPS} hot), limit {LIMIT}, built in {build_s:.1f} s")
    out(f"{'strategy':<18} {'median us':>10} {'p99 us':>10} {'pairs/s':>10} {'setup s':>8} {'queued':>13}")
    results: list[Result] = []
    even_start: Book | None = None
    for name, make in STRATEGIES.items():
        result, start = time_router(name, floor, make(), settings, keep_start=name == "Even")
        even_start = even_start or start
        results.append(result)
        out(_row(result))
        gc.collect()
    assert even_start is not None
    naive = time_naive(floor, even_start, settings)
    results.append(naive)
    out(_row(naive))
    even = results[0]
    ratio = naive.median_us / even.median_us
    out(f"naive / Even (median): {ratio:.1f}x")
    return {
        "operators": n,
        "groups": GROUPS,
        "hot_groups": HOT_GROUPS,
        "limit": LIMIT,
        "capacity": floor.capacity,
        "build_s": round(build_s, 3),
        "results": {r.name: r.as_dict() for r in results},
        "naive_over_even": round(ratio, 2),
    }


def _row(r: Result) -> str:
    queued = f"{r.queued_start}->{r.queued_end}"
    return (
        f"{r.name:<18} {r.median_us:>10.1f} {r.p99_us:>10.1f} {r.pairs_per_s:>10,.0f} "
        f"{r.setup_s:>8.2f} {queued:>13}"
    )


def explain_size(n: int, settings: Settings, out: Callable[[str], None]) -> dict[str, Any]:
    """Explanations on and off at one size, both scenarios; the JSON section for it."""
    out(f"\n{n:,} operators, Even: explanations on / off (thread CPU time per route + release pair)")
    out("scenario     off us    on us  on/off  off min   on min  lines")
    section: dict[str, Any] = {"operators": n}
    for scenario in ("fallback", "groups"):
        found = run_explained(n, scenario, settings.pairs, budget_s=5.0, seed=settings.seed)
        off, on = found["off"], found["on"]
        ratio = on["median_us"] / off["median_us"]
        out(
            f"{scenario:<10} {off['median_us']:>8.1f} {on['median_us']:>8.1f} {ratio:>7.2f} "
            f"{off['min_us']:>8.1f} {on['min_us']:>8.1f} {on['trace_lines']:>6}"
        )
        section[scenario] = {**found, "on_over_off": round(ratio, 2)}
        gc.collect()
    return section


def relax_size(n: int, settings: Settings, out: Callable[[str], None]) -> dict[str, Any]:
    """Picks under a relaxing skill requirement at one size; the JSON section for it."""
    out(f"\n{n:,} operators, 0.5% with 'printing' 8+: dialogs need 8, then 5 after 30 s (thread CPU us)")
    out(f"{'strategy':<17} {'free pair':>10} {'busy route':>11} {'busy tick':>10}")
    section: dict[str, Any] = {"operators": n}
    for name in RELAXED:
        found = run_relaxed(n, name, settings.pairs, budget_s=5.0, seed=settings.seed)
        out(
            f"{name:<17} {found['free_pair']['median_us']:>10.1f} {found['busy_route']['median_us']:>11.1f}"
            f" {found['busy_tick']['median_us']:>10.1f}"
        )
        section[name] = found
        gc.collect()
    return section


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k operators, fewer pairs, smaller queue")
    parser.add_argument("--sizes", type=int, nargs="+", help="operator counts (overrides the preset)")
    parser.add_argument("--pairs", type=int, help="timed pairs per strategy (overrides the preset)")
    parser.add_argument("--explain", action="store_true", help="only the explanations on / off section")
    parser.add_argument("--relax", action="store_true", help="only the relaxing-requirements section")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.sizes:
        settings = replace(settings, sizes=tuple(args.sizes))
    if args.pairs:
        settings = replace(settings, pairs=args.pairs)
    print(
        f"chatroute {__version__}, Python {platform.python_version()}, {platform.platform()}, "
        f"{os.cpu_count()} CPUs; {settings.queued:,} queued, {settings.pairs:,} pairs "
        f"after {settings.warmup} warm-up; times per route + release pair"
    )
    started = time.perf_counter()
    load_start = os.getloadavg()

    def out(line: str) -> None:
        print(line, flush=True)

    only = args.explain or args.relax
    sizes = [] if only else [run_size(n, settings, out) for n in settings.sizes]
    explained = [] if args.relax else [explain_size(n, settings, out) for n in settings.sizes]
    relaxed = [] if args.explain else [relax_size(n, settings, out) for n in settings.sizes]
    report = {
        "benchmark": "route + release pairs",
        **machine(),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "quick": args.quick,
        "settings": {**asdict(settings), "sizes": list(settings.sizes)},
        "total_s": round(time.perf_counter() - started, 1),
        "sizes": sizes,
        "explanations": explained,
        "relaxing": relaxed,
    }
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
