"""Staffing per interval: the forecast, Erlang's start, the simulated check, shrinkage and the shifts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import InvalidValue
from chatroute.schedule import Window
from chatroute.simulate import (
    Arrivals,
    Duration,
    Scenario,
    Shift,
    Traffic,
    agents_for_service_level,
    staff_intervals,
)
from chatroute.simulate.intervals import parse_interval, parse_share

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


def day(limit: int = 1, concurrency: float = 1.0) -> Scenario:
    """Four hours of an M/M/c-like desk whose traffic doubles in the third hour; two operators on shift."""
    desk = Scenario.queue(arrivals_per_hour=60, handle_time=240, operators=2, limit=limit, hours=4, seed=3)
    profile = [1.0] * 24
    profile[10] = 2.0  # 10:00-11:00 UTC
    traffic = Traffic(
        arrivals=[Arrivals(rate=60, profile=profile)],
        handle_time=Duration(mean=240),
        concurrency=concurrency,
    )
    shift = Shift(operators=["op01", "op02"], window=Window(days=range(7), start="08:00", end="10:00"))
    return Scenario(config=desk.config, traffic=traffic, shifts=[shift], start=START, hours=4, seed=3)


@pytest.mark.parametrize(
    ("text", "minutes"), [("30min", 30), ("1h", 60), ("45 m", 45), (15, 15), ("2 hours", 120)]
)
def test_interval_lengths_read_minutes_and_hours(text: str | int, minutes: int) -> None:
    """'30min', '1h', a number of minutes: the interval's length."""
    assert parse_interval(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["1 fortnight", "0", "2min", "25h"])
def test_bad_interval_lengths_are_refused(text: str) -> None:
    """Anything but 5 minutes to a day is an InvalidValue on 'interval'."""
    with pytest.raises(InvalidValue) as info:
        parse_interval(text)
    assert info.value.field == "interval"


def test_shares_read_percent_or_fractions() -> None:
    """'30%' and 0.3 are the same share; 100% shrinkage is refused."""
    assert parse_share("30%", "shrinkage") == pytest.approx(0.3)
    assert parse_share(0.3, "shrinkage") == 0.3
    with pytest.raises(InvalidValue):
        parse_share("100%", "shrinkage", below_one=True)
    with pytest.raises(InvalidValue):
        parse_share("lots", "shrinkage")


def test_the_plan_follows_the_forecast_and_meets_the_target_everywhere() -> None:
    """One row per half hour; the busy hour needs more; every row's simulated level meets the target."""
    plan = staff_intervals(day(), "80/30", interval="30min", replications=3, jobs=1)
    rows = plan.intervals
    assert len(rows) == 8
    assert rows[0].start == START
    assert rows[0].arrivals == pytest.approx(30.0)
    assert rows[4].arrivals == pytest.approx(60.0)
    assert rows[0].load == pytest.approx(4.0)
    assert rows[0].erlang_c == agents_for_service_level(4.0, 240.0, 0.8, 30.0)
    assert not plan.unmet
    for row in rows:
        assert row.required is not None
        assert row.service_level is not None
        assert row.service_level >= 0.8
    assert min(r.required or 0 for r in rows[4:6]) > max(r.required or 0 for r in rows[:2])


def test_shrinkage_and_the_shifts_give_the_gap() -> None:
    """With 30% shrinkage the heads are required / 0.7 rounded up; scheduled counts the shift."""
    plan = staff_intervals(day(), "80/30", interval="1h", shrinkage="30%", replications=2, jobs=1)
    for row in plan.intervals:
        assert row.required is not None
        assert row.with_shrinkage == -(-row.required * 10 // 7)
    assert [row.scheduled for row in plan.intervals] == [2.0, 2.0, 0.0, 0.0]
    assert [row.start for row in plan.short] == [row.start for row in plan.intervals if row.short]
    assert plan.intervals[2] in plan.short
    text = plan.render()
    assert text.splitlines()[0].startswith("staffing per 60 min for 80% answered within 30 s")
    assert "short: " in text.splitlines()[-1]
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["intervals"][0]["with_shrinkage"] == plan.intervals[0].with_shrinkage
    assert data["shrinkage"] == pytest.approx(0.3)


def test_chats_held_together_need_fewer_operators_than_erlang_c() -> None:
    """With a limit of 3 the plan needs fewer operators than Erlang C's one-at-a-time agents, each hour."""
    plan = staff_intervals(day(limit=3), "80/30", interval="1h", replications=2, jobs=1)
    for row in plan.intervals:
        assert row.required is not None
        assert row.required < row.erlang_c


def test_slower_concurrent_chats_need_more_operators() -> None:
    """A concurrency factor of 1.5 per extra open chat needs at least as many operators in every hour."""
    quick = staff_intervals(day(limit=3), "80/30", interval="1h", replications=2, jobs=1)
    slow = staff_intervals(day(limit=3, concurrency=1.5), "80/30", interval="1h", replications=2, jobs=1)
    assert sum(r.required or 0 for r in slow.intervals) > sum(r.required or 0 for r in quick.intervals)


def test_an_unreachable_target_names_the_intervals() -> None:
    """A cap of one operator cannot answer 99% within 1 s: every interval is unmet, and render says so."""
    plan = staff_intervals(day(), "99/1", interval="1h", replications=1, jobs=1, max_operators=1)
    assert plan.unmet == list(plan.intervals)
    assert all(row.required is None for row in plan.intervals)
    assert "cannot meet the targets: 08:00 (tried 1), 09:00 (tried 1), 10:00 (tried 1)" in plan.render()


def test_the_plan_is_the_same_whatever_the_number_of_processes() -> None:
    """jobs=1 and jobs=2 (one pool for every round) give the same plan."""
    one = staff_intervals(day(), "80/30", interval="1h", replications=2, jobs=1)
    assert staff_intervals(day(), "80/30", interval="1h", replications=2, jobs=2) == one
