"""Staffing: service-level targets, resized rosters, and the head count search beside Erlang C."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatroute import Group, InvalidValue, Operator, RoutingConfig, Rule, Target
from chatroute.rules import topic
from chatroute.schedule import Window
from chatroute.simulate import (
    Arrivals,
    Duration,
    IntervalStaffing,
    Scenario,
    ServiceTarget,
    Shift,
    Traffic,
    staff,
    staff_intervals,
)
from chatroute.simulate.erlang import agents_for_service_level
from chatroute.simulate.staffing import roster

START = datetime(2026, 3, 2, tzinfo=UTC)


def pool(limit: int, operators: int = 6, hours: float = 24) -> Scenario:
    """One channel, ``operators`` of the given limit, 4 Erlangs of exponential traffic, nobody leaves."""
    config = RoutingConfig(
        operators=[Operator(id=f"op{i}", status="online", limit=limit) for i in range(operators)]
    )
    traffic = Traffic(arrivals=[Arrivals(rate=120)], handle_time=Duration(mean=120))
    return Scenario(config=config, traffic=traffic, start=START, hours=hours, warmup=30, seed=9)


@pytest.mark.parametrize(
    ("text", "share", "seconds"), [("80/30", 0.8, 30.0), ("90 / 20s", 0.9, 20.0), ("95%/15", 0.95, 15.0)]
)
def test_targets_parse_percent_over_seconds(text: str, share: float, seconds: float) -> None:
    """'80/30' is 80 % within 30 s; spaces, a % sign and an 's' are allowed."""
    assert ServiceTarget.parse(text) == ServiceTarget(share=share, seconds=seconds)


@pytest.mark.parametrize("text", ["80", "80/", "120/30", "0/30", "80/0", "eighty/30"])
def test_malformed_targets_are_refused(text: str) -> None:
    """Anything but percent/seconds with 0 < percent < 100 and seconds > 0 is an InvalidValue on 'target'."""
    with pytest.raises(InvalidValue) as info:
        ServiceTarget.parse(text)
    assert info.value.field == "target"


def test_with_one_dialog_at_a_time_the_simulation_agrees_with_erlang_c() -> None:
    """Limit 1 and exponential times: the simulated head count is Erlang C's, give or take one."""
    result = staff(pool(limit=1), "80/20")
    expected = agents_for_service_level(4.0, 120.0, 0.8, 20.0)
    assert result.erlang == pytest.approx(expected, abs=1)
    assert result.operators is not None
    assert abs(result.operators - expected) <= 1
    assert result.levels[result.operators] >= 0.8
    assert result.levels[result.operators - 1] < 0.8
    assert result.load == pytest.approx(4.0, rel=0.1)


def test_concurrency_needs_fewer_operators_and_the_report_says_how_many() -> None:
    """With a limit of 3 the simulation needs far fewer people than Erlang C; render() says how many fewer."""
    result = staff(pool(limit=3), "80/20")
    assert result.operators is not None
    assert result.operators <= result.erlang - 3
    assert result.limits == (3, 3)
    text = result.render()
    assert (
        text.splitlines()[0]
        == "target: 80% answered within 20 s (strategy: config; the scenario has 6 operators)"
    )
    assert f"simulation: {result.operators} operators reach" in text
    gap = result.erlang - result.operators
    assert f"the simulation needs {gap} fewer than Erlang C at the average load" in text


def test_an_unreachable_target_reports_none() -> None:
    """When even the largest head count allowed misses the target, operators is None and render says so."""
    result = staff(pool(limit=1, hours=4), "99/1", max_operators=5)
    assert result.operators is None
    assert max(result.levels) == 5
    assert "not reached with up to 5 operators" in result.render()


def test_a_resized_roster_keeps_every_group_staffed_and_clones_beyond_the_original() -> None:
    """Shrinking takes operators from each group in turn; growing clones them with groups and shifts."""
    config = RoutingConfig(
        operators=[Operator(id=name) for name in ("a1", "a2", "a3", "b1", "boss")],
        groups=[Group(id="a", operator_ids=["a1", "a2", "a3"]), Group(id="b", operator_ids=["b1"])],
        rules=[Rule(name="vip", when=topic("vip"), to=Target.operator("boss"))],
    )
    shift = Shift(operators=["a1", "b1"], window=Window(days=range(7), start="09:00", end="18:00"))
    small, small_shifts = roster(config, (shift,), 3)
    assert [o.id for o in small.operators] == ["boss", "a1", "b1"]
    assert [g.operator_ids for g in small.groups] == [("a1",), ("b1",)]
    assert small_shifts[0].operators == ("a1", "b1")
    big, big_shifts = roster(config, (shift,), 7)
    assert [o.id for o in big.operators] == ["boss", "a1", "b1", "a2", "a3", "boss+1", "a1+1"]
    assert big.groups[0].operator_ids == ("a1", "a1+1", "a2", "a3")
    assert big_shifts[0].operators == ("a1", "a1+1", "b1")
    assert big.problems() == []
    with pytest.raises(InvalidValue):
        roster(config, (), 0)


def test_staffing_the_embedded_scenario_by_strategy() -> None:
    """The car dealer can be staffed for a named strategy; the head count is within the search's bounds."""
    result = staff(Scenario.default(), ServiceTarget(share=0.8, seconds=30), strategy="even")
    assert result.strategy == "even"
    assert result.operators is not None
    assert 4 <= result.operators <= 20
    assert result.erlang_peak >= result.erlang
    assert result.levels[result.operators] >= 0.8


def test_staff_with_an_interval_plans_per_interval() -> None:
    """staff(..., interval="1h", shrinkage=0.3) is the per-interval plan; shrinkage without one is refused."""
    scenario = pool(limit=2, hours=3)
    plan = staff(scenario, "80/20", interval="1h", shrinkage=0.3, replications=2, jobs=1)
    assert isinstance(plan, IntervalStaffing)
    assert plan == staff_intervals(scenario, "80/20", interval="1h", shrinkage=0.3, replications=2, jobs=1)
    assert len(plan.intervals) == 3
    with pytest.raises(InvalidValue) as info:
        staff(scenario, "80/20", shrinkage=0.3)
    assert info.value.field == "interval"
