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


def _quick(script: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run a benchmark script with ``--quick`` (and ``extra`` arguments), writing its JSON to ``out``."""
    proc = subprocess.run(
        [_venv_python(), str(script), "--quick", "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    return proc, out


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``bench_route.py --quick`` run, writing its JSON to a temporary file."""
    return _quick(SCRIPT, tmp_path_factory.mktemp("bench") / "bench_route.json")


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


def test_quick_run_times_picks_under_relaxing_requirements(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The relaxing-requirements section times a free pair, a busy route and a busy tick per strategy."""
    (section,) = _report(quick_run)["relaxing"]
    assert section["operators"] == 1000
    for name in ["SkillBased", "Even", "LongestIdle", "RoundRobin", "RandomWithinLimit"]:
        for case in ["free_pair", "busy_route", "busy_tick"]:
            assert section[name][case]["n"] > 0
            assert section[name][case]["min_us"] <= section[name][case]["median_us"]


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
    return _quick(MEMORY_SCRIPT, tmp_path_factory.mktemp("bench") / "memory.json")


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


def test_memory_stays_flat_over_route_release_forget_cycles(
    memory_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """A new client per dialog, forgotten with it: ten times the cycles keep about the same memory."""
    proc, _ = memory_run
    assert sum("route/release/forget cycles" in line for line in proc.stdout.splitlines()) == 2
    kept = _report(memory_run)["cycles_kept_bytes"]
    assert list(kept) == ["1000", "10000"]
    assert kept["10000"] < 64 * 1024  # a client kept per cycle would be over 1 MiB
    assert kept["10000"] < 2 * kept["1000"] + 16 * 1024


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


# ------------------------------------------------------------------ bench_sim.py

SIM_SCRIPT = ROOT / "benchmarks" / "bench_sim.py"
SIM_MODELS = {"small": (100.0, 180.0, 6), "medium": (600.0, 240.0, 45), "large": (3000.0, 300.0, 260)}
SIM_ENGINES = ["chatroute", "ciw", "simpy"]


def _needs_bench_extra() -> None:
    """Skip unless ciw and simpy (the ``bench`` extra) are installed."""
    pytest.importorskip("ciw", reason="bench_sim.py needs the bench extra (ciw, simpy)")
    pytest.importorskip("simpy", reason="bench_sim.py needs the bench extra (ciw, simpy)")


@pytest.fixture(scope="module")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``bench_sim.py --quick`` run (needs the ``bench`` extra), writing its JSON to a temporary file."""
    _needs_bench_extra()
    return _quick(SIM_SCRIPT, tmp_path_factory.mktemp("bench") / "bench_sim.json")


def test_sim_quick_run_prints_every_model_and_engine_with_verdicts(
    sim_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """``bench_sim.py --quick`` exits 0 and prints Erlang C and each engine per model, ratios, 8 verdicts."""
    proc, _ = sim_run
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:2] for line in proc.stdout.splitlines() if line.strip()]
    for model in SIM_MODELS:
        assert [model, "Erlang"] in rows
        for engine in SIM_ENGINES:
            assert [model, engine] in rows
    assert proc.stdout.count("chatroute / ciw: ") == proc.stdout.count("chatroute / simpy: ") == 3
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith("target ")]
    speed = [line for line in verdicts if "dialogs/s" in line or "faster than simpy" in line]
    fidelity = [line for line in verdicts if "of Erlang C" in line]
    assert len(speed) == 2
    assert all(line.endswith((": met", ": NOT met")) for line in speed)
    assert len(fidelity) == 6  # P(wait) and share within 30 s, per model
    assert all(line.endswith(": n/a (needs 1,000,000 arrivals)") for line in fidelity)
    planning = [line for line in proc.stdout.splitlines() if line.startswith("planning: ")]
    assert len(planning) == 2  # per-interval staffing, replicated comparison
    assert all("1 process " in line and line.endswith("same result: yes") for line in planning)


def test_sim_replicates_judge_fidelity_on_the_mean_of_several_seeds(tmp_path: Path) -> None:
    """``--replicates 3`` adds two chatroute runs with their own seeds; the verdicts use the mean of three."""
    _needs_bench_extra()
    proc, out = _quick(SIM_SCRIPT, tmp_path / "sim.json", "--models", "small", "--replicates", "3")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:3] for line in proc.stdout.splitlines() if line.strip()]
    assert ["small", "seed", "1001"] in rows
    assert ["small", "seed", "2001"] in rows
    (section,) = json.loads(out.read_text())["models"]
    deviations = [section["engines"]["chatroute"]["deviation"]["p_wait"]]
    deviations += [run["deviation"]["p_wait"] for run in section["replicates"]]
    assert len(set(deviations)) == 3  # three seeds, three different runs
    (p_wait, _) = [line for line in proc.stdout.splitlines() if line.startswith("target ")]
    assert f"{sum(deviations) / 3:+.2%}" in p_wait
    assert "mean of 3 runs" in p_wait


def test_sim_quick_run_writes_environment_and_settings(
    sim_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The JSON records Python, machine, CPU count, engine versions and 5,000 arrivals per model."""
    import ciw  # type: ignore[import-untyped]
    import simpy

    report = _report(sim_run)
    assert report["python"] == ".".join(map(str, sys.version_info[:3]))
    assert report["platform"]
    assert report["machine"]
    assert report["cpu_count"] >= 1
    assert report["ciw"] == ciw.__version__
    assert report["simpy"] == simpy.__version__
    assert report["quick"] is True
    assert report["settings"]["arrivals"] == 5000
    assert report["settings"]["engines"] == SIM_ENGINES
    models = {m["name"]: (m["rate"], m["handle"], m["agents"]) for m in report["models"]}
    assert models == SIM_MODELS
    assert [m["seed"] for m in report["models"]] == [1, 2, 3]


def test_sim_erlang_c_figures_match_the_library_formulas(
    sim_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Each model's Erlang C row equals erlang_c, mean_wait and service_level at 30 s for its load."""
    from chatroute.simulate import erlang_c, mean_wait, service_level

    report = _report(sim_run)
    for model in report["models"]:
        agents, handle = model["agents"], model["handle"]
        load = model["rate"] * handle / 3600
        assert model["load_erlangs"] == pytest.approx(load, abs=1e-3)
        theory = model["erlang_c"]
        assert theory["p_wait"] == pytest.approx(erlang_c(agents, load), rel=1e-12)
        assert theory["mean_wait"] == pytest.approx(mean_wait(agents, load, handle), rel=1e-12)
        assert theory["within"] == pytest.approx(service_level(agents, load, handle, 30.0), rel=1e-12)
    small = report["models"][0]["erlang_c"]
    assert small["p_wait"] == pytest.approx(0.587516, abs=1e-6)  # 5 Erlangs on 6 operators


def test_sim_quick_run_reports_consistent_counts_rates_and_deviations(
    sim_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """About 5,000 dialogs per engine, 2% unmeasured; rates, ratios and deviations follow from the figures."""
    report = _report(sim_run)
    for model in report["models"]:
        engines = model["engines"]
        assert list(engines) == SIM_ENGINES
        for row in engines.values():
            assert (
                4_600 <= row["simulated"] <= 5_400
            )  # Poisson count around 5,000 (about 6 standard deviations)
            assert 0.95 * row["simulated"] <= row["measured"] < row["simulated"]
            assert row["dialogs_per_s"] == pytest.approx(row["simulated"] / row["seconds"], rel=1e-3)
            for name, value in row["figures"].items():
                assert value > 0 if name == "mean_wait" else 0 < value <= 1
                expected = value / model["erlang_c"][name] - 1
                assert row["deviation"][name] == pytest.approx(expected, abs=1e-5)
                spread = 2 * row["standard_error"][name] / model["erlang_c"][name]
                assert row["relative_2se"][name] == pytest.approx(spread, abs=1e-5)
            assert row["standard_error"]["p_wait"] > 0  # batch means of 5,000 waits differ
        chatroute = engines["chatroute"]["dialogs_per_s"]
        for other in ["ciw", "simpy"]:
            assert model["chatroute_over"][other] == pytest.approx(
                chatroute / engines[other]["dialogs_per_s"],
                abs=0.006,  # ratios are rounded to 0.01
            )


def test_sim_verdicts_follow_the_measurements(
    sim_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Speed verdicts compare the large model's ratios with 5x and 1x; fidelity waits for 1,000,000."""
    report = _report(sim_run)
    large = next(m for m in report["models"] if m["name"] == "large")
    goals = {goal["title"]: goal for goal in report["targets"]}
    over_ciw = goals["chatroute >= 5x ciw dialogs/s (large)"]
    over_simpy = goals["chatroute faster than simpy (large)"]
    # chatroute_over is rounded to 0.001, so it may differ from the measured ratio by 0.0005
    assert over_ciw["measured"] == pytest.approx(large["chatroute_over"]["ciw"], abs=6e-4)
    assert over_ciw["met"] is (over_ciw["measured"] >= 5)
    assert over_simpy["measured"] == pytest.approx(large["chatroute_over"]["simpy"], abs=6e-4)
    assert over_simpy["met"] is (over_simpy["measured"] > 1)
    fidelity = [goal for name, goal in goals.items() if "of Erlang C" in name]
    assert len(fidelity) == 6
    for goal in fidelity:
        assert goal["met"] is None
    p_wait_small = goals["chatroute P(wait) within 2% of Erlang C (small)"]
    small = report["models"][0]["engines"]["chatroute"]
    assert p_wait_small["measured"] == pytest.approx(small["deviation"]["p_wait"], abs=1e-5)


# ------------------------------------------------------------------ probe_floor.py

FLOOR_SCRIPT = ROOT / "benchmarks" / "probe_floor.py"


def test_floor_probe_chooses_as_even_does_and_times_each_kind(tmp_path: Path) -> None:
    """``probe_floor.py --quick`` makes chatroute's Even choices on every pair, then times each kind."""
    proc, out = _quick(FLOOR_SCRIPT, tmp_path / "probe_floor.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    (size,) = data["sizes"]
    assert size["operators"] == 1_000
    assert size["pairs_checked"] == data["settings"]["warmup"] + data["settings"]["pairs"]
    for kind in ("none", "slots", "attrs"):
        assert size["results"][kind]["median_us"] > 0
    assert "chose as chatroute's Even does" in proc.stdout
