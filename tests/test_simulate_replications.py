"""Replications: common random numbers, parallel runs that change nothing, intervals and the verdict."""

from __future__ import annotations

import json
import math
import random
import statistics

import pytest

from chatroute import InvalidValue
from chatroute.simulate import Scenario, Variant, simulate
from chatroute.simulate.confidence import estimate, paired, student_t
from chatroute.simulate.run import replicate_seeds


def desk(hours: float = 2) -> Scenario:
    """A small busy desk: 3 operators of limit 2, 40 dialogs an hour of 6 minutes, impatient clients."""
    return Scenario.queue(
        arrivals_per_hour=40, handle_time=360, operators=3, limit=2, patience=120, hours=hours, seed=11
    )


# Student's t quantiles t(0.975, df), from the table in Abramowitz & Stegun (1964), table 26.10.
@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (19, 2.093), (30, 2.042), (120, 1.980)],
)
def test_student_t_matches_the_published_table(df: int, expected: float) -> None:
    """The 97.5% quantile agrees with the printed table to its three decimals."""
    assert student_t(df) == pytest.approx(expected, abs=5e-4)


def test_the_interval_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    """Of 2,000 five-sample intervals of a normal mean, 95% ± 1.5% cover it (with z instead of t: 88%)."""
    rng = random.Random(4)
    covered = 0
    for _ in range(2000):
        found = estimate([rng.gauss(10.0, 3.0) for _ in range(5)])
        covered += abs(found.mean - 10.0) <= found.half_width
    assert covered / 2000 == pytest.approx(0.95, abs=0.015)


def test_estimate_and_paired_differences() -> None:
    """The half-width is t s / sqrt(n); a pair missing one side is left out; one value has no width."""
    values = [1.0, 2.0, 4.0]
    found = estimate(values)
    assert found.half_width == pytest.approx(student_t(2) * statistics.stdev(values) / math.sqrt(3))
    assert math.isnan(estimate([3.0]).half_width)
    assert not estimate([3.0]).significant
    change = paired([1.0, None, 2.0, 3.0], [2.0, 5.0, 3.1, 4.0])
    assert change is not None
    assert change.n == 3
    assert change.mean == pytest.approx(1.0333, abs=1e-4)
    assert change.significant


def test_replicate_seeds_start_with_the_seed_and_differ() -> None:
    """The first replication is the seed itself (one replication is the old report); the rest are distinct."""
    seeds = replicate_seeds(5, 50)
    assert seeds[0] == 5
    assert len(set(seeds)) == 50
    assert replicate_seeds(5, 3) == seeds[:3]


def test_every_set_up_sees_the_same_days() -> None:
    """Common random numbers: every variant of a replication is offered the same dialogs."""
    report = simulate(desk(), ["even", "random", "round-robin"], replications=4, jobs=1)
    for day in report.replicates:
        assert len({run.overall.offered for run in day}) == 1
    assert len({day[0].overall.offered for day in report.replicates}) > 1
    assert report.replicates[0] == report.runs


def test_the_report_is_the_same_whatever_the_number_of_processes() -> None:
    """jobs=1 and jobs=2 give equal reports, estimates and verdicts."""
    one = simulate(desk(), ["even", "random"], replications=4, jobs=1)
    two = simulate(desk(), ["even", "random"], replications=4, jobs=2)
    assert one == two
    assert one.to_dict() == two.to_dict()


def test_one_replication_is_the_report_of_the_seed() -> None:
    """replications=1 is the single-seed report: the same runs, no replicates, no estimates in JSON."""
    single = simulate(desk(), ["even"])
    many = simulate(desk(), ["even"], replications=3, jobs=1)
    assert single.runs == many.runs
    assert single.replicates == ()
    assert "estimates" not in single.to_dict()["runs"][0]
    assert single.verdict() == "one set-up: nothing to compare"


def test_every_figure_has_an_interval_in_the_table_and_the_json() -> None:
    """With replications the table shows mean ± half-width, and the JSON has every figure's estimate."""
    report = simulate(desk(), ["even", "random"], replications=5, jobs=1)
    text = report.render()
    assert "5 replications (mean ± 95% half-width)" in text.splitlines()[0]
    level = report.estimate("even", "service_level")
    assert level is not None
    assert level.n == 5
    assert f"{100 * level.mean:.1f} ± {100 * level.half_width:.1f}%" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["replications"] == 5
    assert len(data["seeds"]) == 5
    overall = data["runs"][0]["estimates"]["overall"]
    assert overall["service_level"]["mean"] == pytest.approx(level.mean)
    assert set(overall) >= {"offered", "abandoned_share", "wait_p90", "occupancy", "fairness"}
    assert data["verdict"] == report.verdict()
    assert {d["figure"] for d in data["differences"]} == {"service_level", "abandoned_share", "wait_mean"}


def test_the_verdict_names_a_real_difference_and_not_noise() -> None:
    """Three operators against two is named significant; a set-up against itself is not."""
    base = desk()
    smaller = Scenario.queue(
        arrivals_per_hour=40, handle_time=360, operators=2, limit=2, patience=120, hours=2, seed=11
    )
    fewer = Variant(name="two operators", config=smaller.config)
    report = simulate(base, ["even", fewer], replications=6, jobs=1)
    assert report.verdict().startswith("significant differences from even")
    assert "two operators: service level -" in report.verdict()
    same = simulate(base, ["even", Variant(name="again", config=base.config)], replications=6, jobs=1)
    assert same.verdict() == "no significant difference from even (95% together, paired over 6 shared days)"


@pytest.mark.parametrize(("field", "value"), [("replications", 0), ("jobs", 0), ("replications", 2.5)])
def test_bad_replications_or_jobs_name_the_field(field: str, value: object) -> None:
    """A non-positive or non-integer count is an InvalidValue naming it."""
    with pytest.raises(InvalidValue) as info:
        simulate(desk(), ["even"], **{field: value})  # type: ignore[arg-type]
    assert info.value.field == field
