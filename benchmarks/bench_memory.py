"""Benchmark: bytes per operator and per queued dialog, measured with tracemalloc.

Scenario (seeded, the floor of ``bench_route.py``): N operators (100,000; 2,000 with
``--quick``) in 100 groups ``g00``..``g99``, each operator a member of 1-3 groups chosen
at random, limit 5, strategy ``Even``, ``RoutingConfig(explain=False)``.

Measured, each as the growth of memory traced by :mod:`tracemalloc` after a full
garbage collection (objects alive at the end of the step, not transient peaks):

* **config**: the ``Operator`` and ``Group`` values and the ``RoutingConfig`` holding
  them, minus a config with the same 100 groups and no operators. This is the host's
  data: it exists whether or not a router is built.
* **router, online**: ``Router(config)`` with every operator ``online`` (so every
  operator sits in the available-operator index of each of its groups and of
  "everyone"), minus ``Router`` on the empty config. The config is not counted.
* **router, offline**: the same with every operator ``offline`` (indexes empty).
* **queued dialogs**: on the offline router, route N dialogs, each into a random group;
  nobody is routable, so all N wait. Counted separately: the ``Dialog`` values the host
  built (the router keeps a reference to each) and the router's own state per dialog
  (its record, queue entry, SLA deadlines, indexes). Returned decisions are dropped.
* **assigned dialogs** (for comparison, no target): on the online router, route N
  dialogs that are all assigned.

* **route/release/forget cycles** (issue 18): on a router with one operator, route a
  dialog of a new client, release it and forget it, again and again; the memory the
  router keeps after 10,000, 100,000 and 1,000,000 cycles (1,000 and 10,000 with
  ``--quick``; ``--cycles`` sets them) must stay flat: clients go with their last dialog.

Targets (issue 6): at most 1 KiB of router state per operator, and at most 1 KiB per
queued dialog counting the ``Dialog`` value the router keeps alive. Up to 20,000
operators (or with ``--sites``) each step also lists the source lines that allocated
most of its growth; at 100,000 the snapshots that takes would run for many minutes.

Usage::

    python benchmarks/bench_memory.py            # 100,000 operators and queued dialogs
    python benchmarks/bench_memory.py --quick    # 2,000 of each

Writes ``benchmarks/results/memory.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from _report import machine, write_report

from chatroute import Dialog, Group, Operator, Outcome, Router, RoutingConfig, __version__

GROUPS = 100
LIMIT = 5
KIB = 1024
TARGET_BYTES = 1 * KIB  # per operator and per queued dialog
SITES = 8  # allocation sites listed per step
SITES_UP_TO = 20_000  # tracemalloc snapshots grow slow with millions of blocks
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "memory.json"
FULL_N = 100_000
QUICK_N = 2_000

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """Memory kept alive by one step, with the source lines that allocated most of it."""

    name: str
    bytes: int
    units: int
    unit: str
    seconds: float
    sites: tuple[tuple[str, int, int], ...]  # (file:line, bytes, blocks)

    @property
    def per_unit(self) -> float:
        return self.bytes / self.units

    def as_dict(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "units": self.units,
            "unit": self.unit,
            "bytes_per_unit": round(self.per_unit, 1),
            "seconds": round(self.seconds, 3),
            "top_sites": [{"site": s, "bytes": b, "blocks": n} for s, b, n in self.sites],
        }


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def _snapshot() -> tracemalloc.Snapshot:
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<unknown>")]
    )


def _site(frame: tracemalloc.Frame) -> str:
    path = Path(frame.filename)
    parts = path.parts
    short = "/".join(parts[parts.index("chatroute") :]) if "chatroute" in parts else path.name
    return f"{short}:{frame.lineno}"


def measure(name: str, units: int, unit: str, action: Callable[[], T], *, sites: bool) -> tuple[Step, T]:
    """Run ``action`` and report the memory its result and side effects keep alive."""
    before = _snapshot() if sites else None
    start = _traced()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    grown = _traced() - start
    top: tuple[tuple[str, int, int], ...] = ()
    if before is not None:
        diff = _snapshot().compare_to(before, "lineno")
        top = tuple((_site(d.traceback[0]), d.size_diff, d.count_diff) for d in diff[:SITES])
    return Step(name, grown, units, unit, seconds, top), result


# ------------------------------------------------------------------ the floor


def build_config(n: int, status: str, seed: int) -> RoutingConfig:
    """N operators with ``status`` in 100 groups (1-3 each), limit 5, no explanations."""
    rng = random.Random(seed * 1_000_003 + n)
    group_ids = [f"g{g:02d}" for g in range(GROUPS)]
    members: dict[str, list[str]] = {g: [] for g in group_ids}
    operators = []
    for i in range(n):
        op_id = f"op{i:06d}"
        operators.append(Operator(id=op_id, status=status))
        for g in rng.sample(group_ids, rng.randint(1, 3)):
            members[g].append(op_id)
    groups = [Group(id=g, name=g, operator_ids=members[g]) for g in group_ids]
    return RoutingConfig(operators=operators, groups=groups, default_limit=LIMIT, explain=False)


def dialogs_for(n: int, prefix: str, seed: int) -> list[Dialog]:
    """N dialogs, each naming a random group as the visitor's choice."""
    rng = random.Random(seed + 17)
    return [Dialog(id=f"{prefix}{i:06d}", chosen_group_id=f"g{rng.randrange(GROUPS):02d}") for i in range(n)]


def route_all(router: Router, dialogs: Sequence[Dialog], expected: Outcome) -> int:
    """Route every dialog, one second apart; check each has the expected outcome."""
    for i, dialog in enumerate(dialogs):
        decision = router.route(dialog, START + timedelta(seconds=i))
        if decision.outcome is not expected:
            raise SystemExit(f"{dialog.id}: {decision.outcome.value}, expected {expected.value}")
    return len(dialogs)


# ------------------------------------------------------------------ running


def run(n: int, seed: int, *, sites: bool) -> dict[str, Step]:
    """Every step at size N; the steps by name."""
    steps: dict[str, Step] = {}

    def keep(step: Step) -> None:
        steps[step.name] = step

    empty_config = build_config(0, "online", seed)
    base_config, _ = measure(
        "empty config", 1, "config", lambda: build_config(0, "online", seed), sites=False
    )
    config_step, online_config = measure(
        "config", n, "operator", lambda: build_config(n, "online", seed), sites=sites
    )
    keep(_minus(config_step, base_config))

    base_router, _empty_router = measure(
        "empty router", 1, "router", lambda: Router(empty_config), sites=False
    )
    keep(base_router)
    step, online = measure("router, online", n, "operator", lambda: Router(online_config), sites=sites)
    keep(_minus(step, base_router))

    offline_config = build_config(n, "offline", seed)
    step, offline = measure("router, offline", n, "operator", lambda: Router(offline_config), sites=sites)
    keep(_minus(step, base_router))

    step, queued_dialogs = measure(
        "dialog values", n, "dialog", lambda: dialogs_for(n, "q", seed), sites=False
    )
    keep(step)
    step, _ = measure(
        "queued dialogs", n, "dialog", lambda: route_all(offline, queued_dialogs, Outcome.QUEUED), sites=sites
    )
    keep(step)

    assigned_dialogs = dialogs_for(n, "a", seed)
    step, _ = measure(
        "assigned dialogs",
        n,
        "dialog",
        lambda: route_all(online, assigned_dialogs, Outcome.ASSIGNED),
        sites=sites,
    )
    keep(step)
    return steps


def _minus(step: Step, baseline: Step) -> Step:
    return Step(step.name, step.bytes - baseline.bytes, step.units, step.unit, step.seconds, step.sites)


def targets(steps: dict[str, Step]) -> dict[str, dict[str, Any]]:
    """Each issue target: the measured bytes, the limit and whether it is met."""
    per_operator = steps["router, online"].per_unit
    per_queued = steps["queued dialogs"].per_unit + steps["dialog values"].per_unit
    return {
        "router bytes per operator": {
            "measured": round(per_operator, 1),
            "limit": TARGET_BYTES,
            "met": per_operator <= TARGET_BYTES,
        },
        "bytes per queued dialog (router + Dialog value)": {
            "measured": round(per_queued, 1),
            "limit": TARGET_BYTES,
            "met": per_queued <= TARGET_BYTES,
        },
    }


def table(steps: dict[str, Step], goals: dict[str, dict[str, Any]]) -> list[str]:
    """The report as lines of text."""
    lines = [f"{'step':<18} {'bytes':>13} {'units':>9} {'bytes/unit':>11} {'seconds':>8}"]
    for step in steps.values():
        units = f"{step.units:,}" if step.units > 1 else "-"
        lines.append(
            f"{step.name:<18} {step.bytes:>13,} {units:>9} {step.per_unit:>11,.0f} {step.seconds:>8.2f}"
        )
    lines.append("")
    for name, goal in goals.items():
        verdict = "met" if goal["met"] else "NOT met"
        lines.append(f"target {name}: {goal['measured']:,.0f} B <= {goal['limit']:,} B: {verdict}")
    for step in steps.values():
        if step.sites:
            lines.append(f"\n{step.name}: top allocation sites (bytes per {step.unit})")
            lines.extend(f"  {site:<40} {size / step.units:>8,.1f}" for site, size, _ in step.sites)
    return lines


def cycles(checkpoints: Sequence[int]) -> dict[int, int]:
    """Bytes the router keeps after each checkpoint of route / release / forget cycles, a new client each."""
    router = Router(RoutingConfig(operators=[Operator(id="op", status="online")], explain=False))
    base = _traced()
    kept: dict[int, int] = {}
    done = 0
    for checkpoint in sorted(checkpoints):
        for n in range(done, checkpoint):
            dialog_id = f"d{n}"
            router.route(Dialog(id=dialog_id, client_id=f"c{n}"), START)
            router.release(dialog_id, START)
            router.forget(dialog_id)
        done = checkpoint
        kept[checkpoint] = _traced() - base
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N:,} operators and dialogs")
    parser.add_argument("-n", type=int, help="operators and dialogs (overrides the preset)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sites",
        action=argparse.BooleanOptionalAction,
        help=f"list allocation sites (default: only up to {SITES_UP_TO:,} operators; slow beyond)",
    )
    parser.add_argument(
        "--cycles",
        type=lambda text: [int(part) for part in text.split(",")],
        help="checkpoints of route/release/forget cycles, e.g. 10000,100000,1000000",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    n = args.n or (QUICK_N if args.quick else FULL_N)
    print(
        f"chatroute {__version__}, Python {platform.python_version()}, {platform.platform()}, "
        f"{os.cpu_count()} CPUs; {n:,} operators in {GROUPS} groups (1-3 each), limit {LIMIT}, "
        f"{n:,} dialogs; memory kept alive, traced by tracemalloc",
        flush=True,
    )
    started = time.perf_counter()
    tracemalloc.start()
    sites = args.sites if args.sites is not None else n <= SITES_UP_TO
    steps = run(n, args.seed, sites=sites)
    checkpoints = args.cycles or ([1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000])
    kept = cycles(checkpoints)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    goals = targets(steps)
    for line in table(steps, goals):
        print(line)
    for count, size in kept.items():
        print(f"after {count:>9,} route/release/forget cycles: router keeps {size / KIB:10.1f} KiB")
    report = {
        "benchmark": "memory per operator and per queued dialog",
        **machine(),
        "quick": args.quick,
        "settings": {"operators": n, "dialogs": n, "groups": GROUPS, "limit": LIMIT, "seed": args.seed},
        "traced_peak_bytes": peak,
        "total_s": round(time.perf_counter() - started, 1),
        "steps": {name: step.as_dict() for name, step in steps.items()},
        "targets": goals,
        "cycles_kept_bytes": {str(count): size for count, size in kept.items()},
    }
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
