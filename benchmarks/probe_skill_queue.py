"""Probe: route + release cost when waiting dialogs need a skill few operators have.

Not run by ``make bench``; a reproduction of a slow path found while writing
``bench_route.py``. 10,000 operators in 100 groups (1-3 each), 2% with skill ``vip``,
limit 5. Dialogs that require ``vip`` are routed into ``--vip-groups`` groups until
``--queued`` wait; then plain dialogs fill half the capacity. Timed pairs: route a plain
dialog to a random group, release a random assigned dialog.

Two costs grow with something other than log n:

* routing a ``vip`` dialog nobody free can take walks the group's available operators,
  checking each (``_Placement._fitting``): O(group members);
* releasing an operator who lacks ``vip`` walks the ``vip`` dialogs waiting in each of
  their groups before giving up (``_Placement._drain``): O(waiting dialogs).

Usage: ``python benchmarks/probe_skill_queue.py [--vip-groups 5] [--queued 10000]``
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from chatroute import Dialog, DialogAssigned, Group, Operator, Router, RoutingConfig

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def percentile_us(values: list[int], q: float) -> float:
    """Nearest-rank percentile of nanosecond values, in microseconds."""
    ordered = sorted(values)
    return ordered[max(int(q / 100 * len(ordered) + 0.999999) - 1, 0)] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operators", type=int, default=10_000)
    parser.add_argument("--vip-groups", type=int, default=5, help="groups the vip dialogs wait in")
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(1)
    group_ids = [f"g{g:02d}" for g in range(100)]
    members: dict[str, list[str]] = {g: [] for g in group_ids}
    operators = []
    for i in range(args.operators):
        op_id = f"op{i:06d}"
        skills = {"vip": 5} if rng.random() < 0.02 else {}
        operators.append(Operator(id=op_id, status="online", skills=skills))
        for g in rng.sample(group_ids, rng.randint(1, 3)):
            members[g].append(op_id)
    groups = [Group(id=g, operator_ids=members[g]) for g in group_ids]
    router = Router(RoutingConfig(operators=operators, groups=groups, explain=False))
    assigned: list[str] = []
    queued_ns: list[int] = []
    k = 0
    while len(queued_ns) < args.queued:
        group = group_ids[rng.randrange(args.vip_groups)]
        dialog = Dialog(id=f"v{k}", chosen_group_id=group, required_skills={"vip": 1})
        k += 1
        t0 = time.perf_counter_ns()
        decision = router.route(dialog, START)
        t1 = time.perf_counter_ns()
        if decision.operator_id is None:
            queued_ns.append(t1 - t0)
        else:
            assigned.append(dialog.id)
    while len(assigned) < args.operators * 5 // 2:
        dialog = Dialog(id=f"p{k}", chosen_group_id=group_ids[rng.randrange(100)])
        k += 1
        if router.route(dialog, START).operator_id is not None:
            assigned.append(dialog.id)
    pair_ns: list[int] = []
    for i in range(args.pairs):
        dialog = Dialog(id=f"t{i}", chosen_group_id=group_ids[rng.randrange(100)])
        t0 = time.perf_counter_ns()
        decision = router.route(dialog, START)
        t1 = time.perf_counter_ns()
        if decision.operator_id is not None:
            assigned.append(dialog.id)
        j = rng.randrange(len(assigned))
        victim = assigned[j]
        assigned[j] = assigned[-1]
        assigned.pop()
        t2 = time.perf_counter_ns()
        events = router.release(victim, START)
        t3 = time.perf_counter_ns()
        assigned.extend(e.dialog_id for e in events if type(e) is DialogAssigned)
        pair_ns.append(t1 - t0 + t3 - t2)
    print(
        f"{args.operators:,} operators, {args.queued:,} vip dialogs waiting in {args.vip_groups} groups\n"
        f"routing a vip dialog that waits: median {percentile_us(queued_ns, 50):.0f} us\n"
        f"route + release pairs: median {percentile_us(pair_ns, 50):.0f} us, "
        f"p99 {percentile_us(pair_ns, 99):.0f} us, max {max(pair_ns) / 1000:.0f} us"
    )


if __name__ == "__main__":
    main()
