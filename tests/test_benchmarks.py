"""The route benchmark runs end to end in its quick form and writes its JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_route.py"
STRATEGIES = ["Even", "RandomWithinLimit", "RoundRobin", "LongestIdle", "SkillBased"]


def _venv_python() -> str:
    """The project's virtualenv interpreter, or the running one when there is no .venv."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``bench_route.py --quick`` run, writing its JSON to a temporary file."""
    out = tmp_path_factory.mktemp("bench") / "bench_route.json"
    proc = subprocess.run(
        [_venv_python(), str(SCRIPT), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    return proc, out


def _report(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> dict[str, Any]:
    proc, out = quick_run
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_quick_run_exits_zero_and_prints_every_strategy(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """``--quick`` exits 0 and its table has a row per strategy, the baseline and the ratio."""
    proc, _ = quick_run
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    for name in STRATEGIES:
        assert name in rows
    assert "naive" in rows
    assert "naive / Even (median):" in proc.stdout


def test_quick_run_writes_environment_and_settings(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The JSON records the Python version, platform, CPU count and the quick settings."""
    report = _report(quick_run)
    assert report["python"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(report["platform"], str)
    assert report["platform"]
    assert report["cpu_count"] >= 1
    assert report["quick"] is True
    assert report["settings"]["sizes"] == [1000]
    assert [size["operators"] for size in report["sizes"]] == [1000]


def test_quick_run_reports_every_strategy_with_its_pairs(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Each run starts half full with the queue asked for, and times as many pairs as asked."""
    report = _report(quick_run)
    pairs = report["settings"]["pairs"]
    (size,) = report["sizes"]
    results = size["results"]
    assert list(results) == [*STRATEGIES, "naive scan"]
    for name in [*STRATEGIES, "naive scan"]:
        row = results[name]
        assert row["setup_assigned"] == size["capacity"] // 2 == 2500
        assert row["setup_queued"] == report["settings"]["queued"]
    for name in STRATEGIES:
        row = results[name]
        assert row["pairs"] == pairs
        assert row["median_us"] > 0
        assert row["p99_us"] >= row["median_us"]
        assert row["pairs_per_s"] > 0
        assert row["queued_start"] > 0
        assert row["drained"] > 0
        assert len(row["gc_collections"]) == 3
    assert results["naive scan"]["pairs"] > 0
    assert size["naive_over_even"] == pytest.approx(
        results["naive scan"]["median_us"] / results["Even"]["median_us"], rel=0.02
    )


# ------------------------------------------------------------------ bench_memory.py

MEMORY_SCRIPT = ROOT / "benchmarks" / "bench_memory.py"
MEMORY_STEPS = [
    "config",
    "empty router",
    "router, online",
    "router, offline",
    "dialog values",
    "queued dialogs",
    "assigned dialogs",
]


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``bench_memory.py --quick`` run, writing its JSON to a temporary file."""
    out = tmp_path_factory.mktemp("bench") / "memory.json"
    proc = subprocess.run(
        [_venv_python(), str(MEMORY_SCRIPT), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    return proc, out


def test_memory_quick_run_prints_every_step_and_both_targets(
    memory_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """``bench_memory.py --quick`` exits 0, prints a row per step and a verdict per target."""
    proc, _ = memory_run
    assert proc.returncode == 0, proc.stderr
    for step in MEMORY_STEPS:
        assert any(line.startswith(step + " ") for line in proc.stdout.splitlines()), step
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith("target ")]
    assert len(verdicts) == 2
    assert all(line.endswith((": met", ": NOT met")) for line in verdicts)


def test_memory_quick_run_writes_environment_and_sizes(
    memory_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The JSON records the Python version, platform, CPU count and 2,000 operators and dialogs."""
    report = _report(memory_run)
    assert report["python"] == ".".join(map(str, sys.version_info[:3]))
    assert report["platform"]
    assert report["cpu_count"] >= 1
    assert report["quick"] is True
    assert report["settings"]["operators"] == report["settings"]["dialogs"] == 2000
    steps = report["steps"]
    assert list(steps) == MEMORY_STEPS
    for name in ["config", "router, online", "router, offline"]:
        assert steps[name]["units"] == 2000
        assert steps[name]["unit"] == "operator"
    for name in ["dialog values", "queued dialogs", "assigned dialogs"]:
        assert steps[name]["units"] == 2000
        assert steps[name]["unit"] == "dialog"


def test_memory_quick_run_reports_consistent_bytes_and_verdicts(
    memory_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Per-unit bytes are totals over units; indexes make online operators cost more; verdicts match."""
    report = _report(memory_run)
    steps = report["steps"]
    for step in steps.values():
        assert step["bytes"] > 0
        assert step["bytes_per_unit"] == pytest.approx(step["bytes"] / step["units"], abs=0.1)
    assert steps["router, online"]["bytes"] > steps["router, offline"]["bytes"]
    assert steps["queued dialogs"]["top_sites"], "the allocation sites of queued dialogs are listed"
    targets = report["targets"]
    per_operator = targets["router bytes per operator"]
    per_queued = targets["bytes per queued dialog (router + Dialog value)"]
    assert per_operator["measured"] == steps["router, online"]["bytes_per_unit"]
    assert per_queued["measured"] == pytest.approx(
        steps["queued dialogs"]["bytes_per_unit"] + steps["dialog values"]["bytes_per_unit"], abs=1
    )  # each figure is rounded on its own
    for goal in (per_operator, per_queued):
        assert goal["limit"] == 1024
        assert goal["met"] is (goal["measured"] <= goal["limit"])
