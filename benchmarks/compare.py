"""Old and new code in the same run: route + release pairs and the simulator, alternating.

Issue 14 asks that no pair be slower than before the redesign by more than the noise,
and that the simulator's dialogs/s not drop, with old and new measured in the same run.
This script does that on one machine, in one sitting:

* it extracts ``--old`` (a commit; by default ``6dbd3df``, the architecture before the
  redesign) into a temporary directory with ``git archive`` (no worktree is left behind);
* for ``--rounds`` rounds it runs, in alternating order (old-new, new-old, ...), each in a
  fresh process with that tree's sources first on the path:

  * ``count_opcodes.py --no-sim`` of *this* tree (the same harness for both): the least
    thread-CPU microseconds per pair over its own rounds, per strategy, at ``--sizes``,
    with explanations off and (unless ``--no-explain``) on, the config's default;
  * each tree's own ``bench_sim.py`` ``run_chatroute`` on the ``--models`` with
    ``--arrivals`` arrivals (the collector on, as users run it): dialogs per second;

* it prints, per figure, the median of the rounds for old and new and their ratio, and
  the spread (least to most) so the noise is in view.

Usage::

    python benchmarks/compare.py                     # 6dbd3df against the working tree
    python benchmarks/compare.py --old main~5 --rounds 3 --sizes 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEFORE_REDESIGN = "6dbd3df"

# A child that runs one tree's own simulator benchmark and prints "model dialogs/s" lines.
_SIM_CHILD = """
import sys
sys.path[:0] = [sys.argv[1] + "/src", sys.argv[1] + "/benchmarks"]
import bench_sim
arrivals = int(sys.argv[2])
for model in bench_sim.MODELS:
    if model.name in sys.argv[3:]:
        print(model.name, bench_sim.run_chatroute(model, arrivals, 1).per_s, flush=True)
"""


def extract(rev: str, into: Path) -> Path:
    """The commit's ``src`` and ``benchmarks`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src", "benchmarks"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def pairs(
    tree: Path, sizes: Sequence[int], strategies: Sequence[str], n_pairs: int, explain: bool
) -> dict[str, float]:
    """µs per pair (least of count_opcodes' rounds) by ``"strategy size"``, with ``tree``'s chatroute."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    command = [sys.executable, str(HERE / "count_opcodes.py"), "--no-sim", "--rounds", "5"]
    command += ["--pairs", str(n_pairs), "--sizes", *map(str, sizes), "--strategies", *strategies]
    command += ["--explain"] if explain else []
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in strategies:  # "Even 10,000 1,868 24.2"
            found[f"{parts[0]} {parts[1]}{' explained' if explain else ''}"] = float(parts[3])
    return found


def sim(tree: Path, arrivals: int, models: Sequence[str]) -> dict[str, float]:
    """Simulated dialogs per second by model, with ``tree``'s own simulator and benchmark."""
    command = [sys.executable, "-c", _SIM_CHILD, str(tree), str(arrivals), *models]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=tree).stdout
    return {f"sim {name} /s": float(per_s) for name, per_s in (line.split() for line in out.splitlines())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=BEFORE_REDESIGN, help=f"the old commit (default {BEFORE_REDESIGN})")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--strategies", nargs="+", default=["Even", "RoundRobin", "SkillBased"])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--arrivals", type=int, default=50_000)
    parser.add_argument("--models", nargs="+", default=["medium", "large"])
    parser.add_argument("--no-explain", action="store_true", help="skip the pairs with explanations on")
    args = parser.parse_args(argv)

    figures: dict[str, dict[str, list[float]]] = {"old": defaultdict(list), "new": defaultdict(list)}
    with tempfile.TemporaryDirectory(prefix="chatroute-old-") as tmp:
        trees = {"old": extract(args.old, Path(tmp)), "new": ROOT}
        for round_ in range(args.rounds):
            order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
            for name in order:
                found = pairs(trees[name], args.sizes, args.strategies, args.pairs, explain=False)
                if not args.no_explain:
                    found |= pairs(trees[name], args.sizes, args.strategies, args.pairs, explain=True)
                found |= sim(trees[name], args.arrivals, args.models)
                for what, value in found.items():
                    figures[name][what].append(value)
            print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr, flush=True)

    print(f"old {args.old} against this tree; medians of {args.rounds} alternating rounds (spread),")
    print("and the ratio of the medians and of the best rounds (noise only ever slows a round down)")
    print(f"{'what':<26} {'old':>28} {'new':>28} {'median':>7} {'best':>7}")
    for what in figures["new"]:
        old, new = figures["old"][what], figures["new"][what]
        if not old:
            continue
        ratio = statistics.median(new) / statistics.median(old)
        best = max(new) / max(old) if what.startswith("sim") else min(new) / min(old)
        cells = [f"{statistics.median(v):,.1f} ({min(v):,.1f}-{max(v):,.1f})" for v in (old, new)]
        print(f"{what:<26} {cells[0]:>28} {cells[1]:>28} {ratio:>7.3f} {best:>7.3f}")
    print("new/old: us per pair, lower is better; sim dialogs/s, higher is better")
    return 0


if __name__ == "__main__":
    sys.exit(main())
