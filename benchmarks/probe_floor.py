"""Probe: the least a route + release pair can cost in CPython, on bench_route.py's state.

``bench_route.py``'s targets ask for at most 10 us per pair at 10,000 operators, and a
100,000-operator figure at most 1.5x the 1,000-operator one. This probe asks what the
interpreter allows. It times a flat, hand-inlined router that does only the indexed work
``Even`` needs, on the same operators, the same queued dialogs and the same pairs:

* route: read the head of the group's min-heap of ``(load, last assignment, id)`` keys,
  dropping stale entries; make a small record; count the load and push the operator's
  new key into each of their groups' heaps. Nobody free: the dialog joins the group's
  FIFO queue.
* release: take the load off; compare the heads of the operator's groups' queues and
  hand them the oldest waiting dialog while they have room; push their key again.

It does far less than chatroute. It validates nothing a host could get wrong (ids,
datetimes, states). It keeps no SLA clocks, queue positions, wait estimates, clients or
handle-time average, and it knows one strategy. What it returns per call is one of three
kinds:

* ``none``: the chosen operator's id, and ``(dialog, operator)`` tuples for drains;
* ``slots``: one plain slotted result per route and one event per assignment or release,
  the least a library can hand a host;
* ``attrs``: chatroute's own frozen attrs values, a ``Decision`` per route and a
  ``DialogAssigned`` per event (15 and 5 fields), as the library returns.

Before timing, the probe routes the same pairs through chatroute's ``Router`` with
``Even``. It checks that both pick the same operator on every route and drain the same
dialogs on every release. So the probe makes the library's decisions, and does nothing
else.

Usage::

    python benchmarks/probe_floor.py            # 1k, 10k, 100k operators
    python benchmarks/probe_floor.py --quick    # 1k operators, fewer pairs, smaller queue

Writes ``benchmarks/results/probe_floor.json`` (or ``--json PATH``).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _report import machine, write_report
from bench_route import (
    FULL,
    LIMIT,
    QUICK,
    START,
    Book,
    Floor,
    Settings,
    build_floor,
    fill,
    percentile,
    workload,
)

from chatroute import Decision, Dialog, DialogAssigned, Even, Outcome, Router, RoutingConfig, Via

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "probe_floor.json"
KINDS = ("none", "slots", "attrs")
TARGET_US = 10.0  # bench_route.py's target at 10,000 operators
TARGET_RATIO = 1.5  # and for 100,000 over 1,000 operators
OUTCOMES = {"assigned": Outcome.ASSIGNED, "queued": Outcome.QUEUED}


class SlotResult:
    """The least a route can return: a plain slotted object."""

    __slots__ = ("dialog_id", "events", "group_id", "operator_id", "outcome")

    def __init__(
        self, dialog_id: str, outcome: str, operator_id: str | None, group_id: str, events: tuple[Any, ...]
    ) -> None:
        self.dialog_id = dialog_id
        self.outcome = outcome
        self.operator_id = operator_id
        self.group_id = group_id
        self.events = events


class SlotEvent:
    """The least an event can be: a plain slotted object."""

    __slots__ = ("at", "dialog_id", "group_id", "operator_id")

    def __init__(self, at: datetime, dialog_id: str, operator_id: str, group_id: str) -> None:
        self.at = at
        self.dialog_id = dialog_id
        self.operator_id = operator_id
        self.group_id = group_id


def _result_none(
    dialog_id: str, outcome: str, operator_id: str | None, group_id: str, events: tuple[Any, ...]
) -> Any:
    return operator_id


def _event_none(at: datetime, dialog_id: str, operator_id: str, group_id: str) -> Any:
    return dialog_id, operator_id


def _result_attrs(
    dialog_id: str, outcome: str, operator_id: str | None, group_id: str, events: tuple[Any, ...]
) -> Any:
    return Decision(
        dialog_id=dialog_id,
        outcome=OUTCOMES[outcome],
        operator_id=operator_id,
        group_id=group_id,
        events=events,
    )


def _event_attrs(at: datetime, dialog_id: str, operator_id: str, group_id: str) -> Any:
    return DialogAssigned(
        at=at, dialog_id=dialog_id, operator_id=operator_id, group_id=group_id, via=Via.ROUTE
    )


MAKERS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "none": (_result_none, _event_none),
    "slots": (SlotResult, SlotEvent),
    "attrs": (_result_attrs, _event_attrs),
}


class FlatOperator:
    """An operator: load, groups, and when they were last given a dialog."""

    __slots__ = ("groups", "id", "load", "seq")

    def __init__(self, op_id: str, groups: tuple[str, ...]) -> None:
        self.id = op_id
        self.groups = groups
        self.load = 0
        self.seq = 0  # order of their last assignment: Even's tie-break


class FlatDialog:
    """A dialog: its group and, once assigned, its operator."""

    __slots__ = ("group", "id", "operator")

    def __init__(self, dialog_id: str, group: str) -> None:
        self.id = dialog_id
        self.group = group
        self.operator: FlatOperator | None = None


class FlatEven:
    """Even, hand-inlined: per-group heaps of current keys with lazy invalidation, FIFO queues."""

    def __init__(self, floor: Floor, kind: str) -> None:
        self.result, self.event = MAKERS[kind]
        self.heaps: dict[str, list[tuple[int, int, str]]] = {g.id: [] for g in floor.groups}
        self.current: dict[str, dict[str, tuple[int, int, str]]] = {g.id: {} for g in floor.groups}
        self.queues: dict[str, list[tuple[int, str]]] = {g.id: [] for g in floor.groups}
        self.dialogs: dict[str, FlatDialog] = {}
        self.ops = {op.id: FlatOperator(op.id, floor.memberships[op.id]) for op in floor.operators}
        self.assigned = 0  # assignments so far (Even's idle order)
        self.arrived = 0  # dialogs queued so far (FIFO order)
        for op in self.ops.values():
            self._rank(op)

    def _rank(self, op: FlatOperator) -> None:
        key = (op.load, op.seq, op.id) if op.load < LIMIT else None
        for g in op.groups:
            current = self.current[g]
            if current.get(op.id) == key:
                continue
            if key is None:
                del current[op.id]
                continue
            current[op.id] = key
            heap = self.heaps[g]
            heapq.heappush(heap, key)
            if len(heap) > 2 * len(current) + 16:
                self.heaps[g] = sorted(current.values())

    def _take(self, rec: FlatDialog, op: FlatOperator) -> None:
        self.assigned += 1
        op.load += 1
        op.seq = self.assigned
        rec.operator = op
        self._rank(op)

    def route(self, dialog_id: str, group: str, now: datetime) -> Any:
        heap, current = self.heaps[group], self.current[group]
        while heap and current.get(heap[0][2]) != heap[0]:
            heapq.heappop(heap)  # stale: re-ranked or full since
        rec = self.dialogs[dialog_id] = FlatDialog(dialog_id, group)
        if not heap:
            self.arrived += 1
            heapq.heappush(self.queues[group], (self.arrived, dialog_id))
            return self.result(dialog_id, "queued", None, group, ())
        op = self.ops[heap[0][2]]
        self._take(rec, op)
        return self.result(dialog_id, "assigned", op.id, group, (self.event(now, dialog_id, op.id, group),))

    def release(self, dialog_id: str, now: datetime) -> tuple[Any, ...]:
        rec = self.dialogs.pop(dialog_id)
        op = rec.operator
        assert op is not None
        op.load -= 1
        events = [self.event(now, dialog_id, op.id, rec.group)]
        handed = False
        queues = self.queues
        while op.load < LIMIT:
            oldest: list[tuple[int, str]] | None = None
            for g in op.groups:
                queue = queues[g]
                if queue and (oldest is None or queue[0] < oldest[0]):
                    oldest = queue
            if oldest is None:
                break
            _, waiting_id = heapq.heappop(oldest)
            waiting = self.dialogs[waiting_id]
            self._take(waiting, op)
            handed = True
            events.append(self.event(now, waiting_id, op.id, waiting.group))
        if not handed:
            self._rank(op)
        return tuple(events)


class _Setup:
    """``fill`` routes through ``route(Dialog, now)`` and reads ``operator_id``: FlatEven behind that."""

    def __init__(self, flat: FlatEven) -> None:
        self.flat = flat

    def route(self, dialog: Dialog, now: datetime) -> SlotResult:
        chosen = _chosen(self.flat.route(dialog.id, str(dialog.chosen_group_id), now))
        return SlotResult(dialog.id, "", chosen, "", ())


def _chosen(result: Any) -> str | None:
    """The operator a route chose, whatever kind of result it returned."""
    return result if result is None or isinstance(result, str) else result.operator_id


def _drained(events: Sequence[Any]) -> list[tuple[str, str]]:
    """``(dialog, operator)`` of every dialog a release handed out (the first event is the release)."""
    return [(e.dialog_id, e.operator_id) if hasattr(e, "dialog_id") else e for e in events[1:]]


def play(
    route: Callable[..., Any],
    release: Callable[[str, datetime], Sequence[Any]],
    calls: Sequence[tuple[Any, ...]],
    book: Book,
    settings: Settings,
    choices: list[tuple[str | None, list[tuple[str, str]]]] | None = None,
) -> list[int]:
    """Play route + release pairs like ``bench_route.py`` does; nanoseconds per pair.

    ``calls[i]`` are the arguments of the i-th route (their last is the time). With
    ``choices``, every pair's chosen operator and drained dialogs are appended to it.
    """
    pick = random.Random(settings.seed + 29)
    pair_ns = []
    gc.collect()
    for i, args in enumerate(calls):
        t0 = time.perf_counter_ns()
        result = route(*args)
        t1 = time.perf_counter_ns()
        chosen = _chosen(result)
        dialog_id = f"t{i}"  # as _calls and bench_route.py name them
        if chosen is not None:
            book.assign(dialog_id, chosen)
        victim = book.pick(pick)
        t2 = time.perf_counter_ns()
        events = release(victim, args[-1])
        t3 = time.perf_counter_ns()
        book.drop(victim)
        drained = _drained(events)
        for moved in drained:
            book.assign(*moved)
        if choices is not None:
            choices.append((chosen, drained))
        if i >= settings.warmup:
            pair_ns.append(t1 - t0 + t3 - t2)
    return pair_ns


def _calls(floor: Floor, settings: Settings) -> list[tuple[str, str, datetime]]:
    """``(dialog id, group, time)`` of each timed route: bench_route.py's sequence."""
    groups = workload(floor, settings, settings.warmup + settings.pairs)
    return [(f"t{i}", g, START + timedelta(seconds=i)) for i, g in enumerate(groups)]


def check_same_choices(floor: Floor, settings: Settings) -> int:
    """Play the pairs on chatroute's Router (Even) and on FlatEven; they must choose alike.

    Returns the number of pairs checked; exits with a message at the first difference.
    """
    config = RoutingConfig(operators=floor.operators, groups=floor.groups, strategy=Even(), explain=False)
    router = Router(config, seed=settings.seed)
    flat = FlatEven(floor, "none")
    book = fill(router, floor, settings.queued, settings.seed)
    flat_book = fill(_Setup(flat), floor, settings.queued, settings.seed)  # type: ignore[arg-type]
    if flat_book.holder != book.holder or flat_book.waiting != book.waiting:
        raise SystemExit("probe: the set-up differs from chatroute's")
    calls = _calls(floor, settings)
    theirs: list[tuple[str | None, list[tuple[str, str]]]] = []
    mine: list[tuple[str | None, list[tuple[str, str]]]] = []
    dialogs = [(Dialog(id=dialog_id, chosen_group_id=g), now) for dialog_id, g, now in calls]
    play(router.route, router.release, dialogs, book, settings, theirs)
    play(flat.route, flat.release, calls, flat_book, settings, mine)
    for i, (a, b) in enumerate(zip(theirs, mine, strict=True)):
        if a != b:
            raise SystemExit(f"probe: pair {i}: chatroute {a}, the probe {b}")
    return len(mine)


def time_kind(floor: Floor, settings: Settings, kind: str) -> list[int]:
    """Nanoseconds per pair of FlatEven returning ``kind`` results, after bench_route's set-up."""
    flat = FlatEven(floor, kind)
    book = fill(_Setup(flat), floor, settings.queued, settings.seed)  # type: ignore[arg-type]
    return play(flat.route, flat.release, _calls(floor, settings), book, settings)


def run_size(n: int, settings: Settings, out: Callable[[str], None]) -> dict[str, Any]:
    """Check the choices, then time each kind of result, at one size; the JSON section for it."""
    floor = build_floor(n, settings.seed)
    checked = check_same_choices(floor, settings)
    medians = {}
    for kind in KINDS:
        pair_ns = time_kind(floor, settings, kind)
        medians[kind] = {
            "median_us": round(percentile(pair_ns, 50) / 1000, 2),
            "p99_us": round(percentile(pair_ns, 99) / 1000, 2),
        }
        gc.collect()
    cells = " ".join(f"{medians[k]['median_us']:>8.1f}" for k in KINDS)
    out(f"{n:>9,} {cells}   ({checked:,} pairs chose as chatroute's Even does)")
    return {"operators": n, "pairs_checked": checked, "results": medians}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k operators, fewer pairs, smaller queue")
    parser.add_argument("--sizes", type=int, nargs="+", help="operator counts (overrides the preset)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.sizes:
        settings = replace(settings, sizes=tuple(args.sizes))
    started = time.perf_counter()
    print(f"a flat Even doing only the indexed work: median us per route + release, {settings.pairs:,} pairs")
    print(f"{'operators':>9} " + " ".join(f"{k:>8}" for k in KINDS))
    sizes = [run_size(n, settings, lambda line: print(line, flush=True)) for n in settings.sizes]
    by_size = {s["operators"]: s["results"] for s in sizes}
    verdicts = {}
    if 10_000 in by_size:
        verdicts["attrs_at_10k_within_target"] = by_size[10_000]["attrs"]["median_us"] <= TARGET_US
    if 1_000 in by_size and 100_000 in by_size:
        for kind in KINDS:
            ratio = by_size[100_000][kind]["median_us"] / by_size[1_000][kind]["median_us"]
            verdicts[f"{kind}_100k_over_1k"] = round(ratio, 2)
            print(f"100k / 1k, {kind}: {ratio:.2f}x (target {TARGET_RATIO}x)")
    report = {
        "benchmark": "the floor: a flat Even doing only the indexed work",
        **machine(),
        "settings": {"queued": settings.queued, "pairs": settings.pairs, "warmup": settings.warmup},
        "sizes": sizes,
        "verdicts": verdicts,
        "total_s": round(time.perf_counter() - started, 1),
    }
    write_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
