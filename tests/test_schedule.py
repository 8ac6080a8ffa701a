"""Business hours (schedule.py): windows, midnight, daylight saving, holidays, special days, texts."""

from __future__ import annotations

import json
import time as time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from dateutil.rrule import rrulestr
from hypothesis import given
from hypothesis import strategies as st

from chatroute import serialize
from chatroute.errors import ConfigError, InvalidValue, NaiveDatetime
from chatroute.schedule import HORIZON_DAYS, Closure, Hours, Schedule, SpecialHours, Window

# Berlin: 2026-03-29 02:00 CET -> 03:00 CEST and 2026-10-25 03:00 CEST -> 02:00 CET, both at 01:00 UTC.
BERLIN = "Europe/Berlin"
# New York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC).
NEW_YORK = "America/New_York"
MOSCOW = "Europe/Moscow"  # UTC+3 all year
SECOND = timedelta(seconds=1)


def utc(*args: int) -> datetime:
    """A UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def local(tz: str, *args: int, fold: int = 0) -> datetime:
    """A datetime on the wall clock of ``tz``."""
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold)


def sundays(tz: str, start: str, end: str) -> Schedule:
    """A schedule open only on Sundays from ``start`` to ``end``."""
    return Schedule(tz=tz, windows=[Window(days=["sun"], start=start, end=end)])


def in_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC, for comparing instants.

    Per PEP 495 an aware datetime inside a repeated hour never compares equal to one in
    another zone, so results in the schedule's zone are converted before comparing.
    """
    return None if moment is None else moment.astimezone(UTC)


def check_opening(schedule: Schedule, opens: datetime, closes: datetime) -> None:
    """Assert that ``schedule`` opens exactly at ``opens`` and closes exactly at ``closes``."""
    assert in_utc(schedule.next_open(opens - timedelta(hours=12))) == opens
    assert not schedule.is_open(opens - SECOND)
    assert schedule.is_open(opens)
    assert in_utc(schedule.next_close(opens)) == closes
    assert schedule.is_open(closes - SECOND)
    assert not schedule.is_open(closes)


# ------------------------------------------------------------------ basic windows


def test_weekdays_is_open_monday_to_friday_in_its_zone() -> None:
    """Schedule.weekdays opens 09:00-18:00 local time on Monday to Friday only."""
    s = Schedule.weekdays("09:00", "18:00", tz=MOSCOW)
    assert s.is_open(utc(2026, 1, 12, 6, 0))  # Mon 09:00 MSK
    assert not s.is_open(utc(2026, 1, 12, 5, 59, 59))  # Mon 08:59:59 MSK
    assert s.is_open(utc(2026, 1, 16, 14, 59))  # Fri 17:59 MSK
    assert not s.is_open(utc(2026, 1, 16, 15, 0))  # Fri 18:00 MSK
    assert not s.is_open(utc(2026, 1, 17, 9, 0))  # Sat 12:00 MSK


def test_windows_are_half_open_at_the_exact_instants() -> None:
    """A dialog at the exact opening instant finds it open, at the exact closing instant closed."""
    s = Schedule.weekdays("09:00", "18:00", tz=MOSCOW)
    assert s.is_open(local(MOSCOW, 2026, 1, 12, 9, 0))
    assert not s.is_open(local(MOSCOW, 2026, 1, 12, 18, 0))
    assert s.is_open(local(MOSCOW, 2026, 1, 12, 17, 59, 59, 999999))
    assert s.next_close(local(MOSCOW, 2026, 1, 12, 18, 0)) == local(MOSCOW, 2026, 1, 12, 18, 0)


def test_window_accepts_day_names_and_numbers() -> None:
    """Days may be 0..6 (Monday is 0), short or full names, in any case, or a single value."""
    assert Window(days=["mon", "Friday", 6], start="09:00", end="10:00").days == frozenset({0, 4, 6})
    assert Window(days="sat", start="09:00", end="10:00").days == frozenset({5})
    assert Window(days=2, start=time(9), end=time(10)).days == frozenset({2})


def test_lone_values_are_accepted_where_lists_are_expected() -> None:
    """A single window, closure, date or hours string stands for a one-item tuple."""
    window = Window(days="mon", start="09:00", end="18:00")
    s = Schedule(tz="UTC", windows=window, closures=Closure(dates="2026-01-05"))
    assert s == Schedule(tz="UTC", windows=[window], closures=[Closure(dates=[date(2026, 1, 5)])])
    assert SpecialHours(dates=date(2026, 1, 5), hours="10:00-14:00").hours == (
        Hours(start="10:00", end="14:00"),
    )


def test_window_crossing_midnight_belongs_to_its_start_day() -> None:
    """Friday 22:00-02:00 is open late Friday and early Saturday, not early Friday."""
    s = Schedule(tz=BERLIN, windows=[Window(days=["fri"], start="22:00", end="02:00")])
    assert s.is_open(local(BERLIN, 2026, 1, 16, 22, 0))
    assert s.is_open(local(BERLIN, 2026, 1, 17, 1, 0))  # Saturday 01:00
    assert not s.is_open(local(BERLIN, 2026, 1, 17, 2, 0))
    assert not s.is_open(local(BERLIN, 2026, 1, 16, 1, 0))  # Friday 01:00: Thursday has no window
    assert not s.is_open(local(BERLIN, 2026, 1, 16, 21, 59, 59))
    assert s.next_close(local(BERLIN, 2026, 1, 16, 23, 0)) == local(BERLIN, 2026, 1, 17, 2, 0)


def test_window_ending_at_midnight_runs_to_the_end_of_the_day() -> None:
    """An end of 00:00 (or "24:00") means until midnight."""
    for end in ("00:00", "24:00"):
        s = Schedule(tz=MOSCOW, windows=[Window(days=["mon"], start="18:00", end=end)])
        assert s.is_open(local(MOSCOW, 2026, 1, 12, 23, 59, 59))
        assert not s.is_open(local(MOSCOW, 2026, 1, 13, 0, 0))
        assert s.next_close(local(MOSCOW, 2026, 1, 12, 20, 0)) == local(MOSCOW, 2026, 1, 13, 0, 0)


def test_window_with_equal_start_and_end_lasts_a_full_day() -> None:
    """start == end is 24 hours from the start."""
    s = Schedule(tz=MOSCOW, windows=[Window(days=["mon"], start="09:00", end="09:00")])
    assert s.is_open(local(MOSCOW, 2026, 1, 13, 8, 59))
    assert not s.is_open(local(MOSCOW, 2026, 1, 13, 9, 0))
    assert s.next_close(local(MOSCOW, 2026, 1, 12, 9, 0)) == local(MOSCOW, 2026, 1, 13, 9, 0)


def test_abutting_and_overlapping_windows_close_once() -> None:
    """next_close skips the instant where one window ends and the next begins."""
    s = Schedule(
        tz=MOSCOW,
        windows=[
            Window(days=["mon"], start="09:00", end="13:00"),
            Window(days=["mon"], start="13:00", end="15:00"),
            Window(days=["mon"], start="14:00", end="18:00"),
        ],
    )
    assert s.is_open(local(MOSCOW, 2026, 1, 12, 13, 0))
    assert s.next_close(local(MOSCOW, 2026, 1, 12, 10, 0)) == local(MOSCOW, 2026, 1, 12, 18, 0)


def test_always_open_has_no_closing_within_the_horizon() -> None:
    """Schedule.always is open at any instant; next_open is now, next_close is None."""
    s = Schedule.always()
    now = utc(2026, 7, 1, 3, 4, 5)
    assert s.is_open(now)
    assert s.next_open(now) == now
    assert s.next_close(now) is None
    assert s.closed_until(now) == f"open, with no closing in the next {HORIZON_DAYS} days (UTC)"


def test_schedule_without_hours_never_opens() -> None:
    """A schedule with no windows is closed; next_open is None, next_close is now."""
    s = Schedule(tz="UTC")
    now = utc(2026, 7, 1, 12)
    assert not s.is_open(now)
    assert s.next_open(now) is None
    assert s.next_close(now) == now


def test_next_open_looks_ahead_about_a_horizon() -> None:
    """An opening 300 days ahead is found; one 500 days ahead is beyond the horizon."""
    now = utc(2026, 1, 1)
    near = Schedule(tz="UTC", special=[SpecialHours(dates=[date(2026, 10, 28)], hours=["10:00-11:00"])])
    far = Schedule(tz="UTC", special=[SpecialHours(dates=[date(2027, 5, 16)], hours=["10:00-11:00"])])
    assert near.next_open(now) == utc(2026, 10, 28, 10)
    assert far.next_open(now) is None


def test_returned_datetimes_are_in_the_schedules_zone() -> None:
    """next_open and next_close return aware datetimes in the schedule's zone, whatever now's zone."""
    s = Schedule.weekdays("09:00", "18:00", tz=NEW_YORK)
    opens = s.next_open(local(MOSCOW, 2026, 1, 12, 12, 0))
    closes = s.next_close(local(MOSCOW, 2026, 1, 12, 20, 0))
    assert opens is not None
    assert closes is not None
    assert opens.tzinfo == ZoneInfo(NEW_YORK)
    assert closes.tzinfo == ZoneInfo(NEW_YORK)
    assert (opens.hour, opens.minute, closes.hour) == (9, 0, 18)


@pytest.mark.parametrize("method", ["is_open", "next_open", "next_close", "closed_until"])
def test_naive_now_is_refused(method: str) -> None:
    """Every query refuses a naive datetime with NaiveDatetime naming 'now'."""
    with pytest.raises(NaiveDatetime) as info:
        getattr(Schedule.always(), method)(datetime(2026, 1, 1, 12, 0))
    assert info.value.field == "now"


# ------------------------------------------------------------------ daylight saving


@pytest.mark.parametrize(
    ("tz", "day", "opens", "closes"),
    [
        (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0)),  # 2 h
        (BERLIN, date(2026, 10, 25), utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0)),  # 4 h
        (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 8, 0)),  # 2 h
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 9, 0)),  # 4 h, first 01:00
    ],
)
def test_one_to_four_on_switch_days(tz: str, day: date, opens: datetime, closes: datetime) -> None:
    """01:00-04:00 lasts two real hours on spring-forward days and four on fall-back days."""
    assert day.weekday() == 6
    check_opening(sundays(tz, "01:00", "04:00"), opens, closes)


def test_window_spanning_the_skipped_hour_is_an_hour_shorter() -> None:
    """00:00-06:00 on the Berlin spring-forward day is open five real hours."""
    check_opening(sundays(BERLIN, "00:00", "06:00"), utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 4, 0))


def test_window_spanning_the_repeated_hour_is_an_hour_longer() -> None:
    """00:00-06:00 on the Berlin fall-back day is open seven real hours, both passes included."""
    s = sundays(BERLIN, "00:00", "06:00")
    check_opening(s, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 5, 0))
    assert s.is_open(local(BERLIN, 2026, 10, 25, 2, 30, fold=0))
    assert s.is_open(local(BERLIN, 2026, 10, 25, 2, 30, fold=1))


def test_night_window_across_fall_back_lasts_nine_hours() -> None:
    """Saturday 22:00-06:00 over the New York fall-back night is nine real hours."""
    s = Schedule(tz=NEW_YORK, windows=[Window(days=["sat"], start="22:00", end="06:00")])
    check_opening(s, utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 11, 0))


@pytest.mark.parametrize(
    ("tz", "opens"),
    [(BERLIN, utc(2026, 3, 29, 1, 0)), (NEW_YORK, utc(2026, 3, 8, 7, 0))],
)
def test_window_starting_in_the_skipped_hour_opens_when_clocks_jump(tz: str, opens: datetime) -> None:
    """02:30 does not exist on spring-forward day: 02:30-05:00 opens at 03:00, the jump."""
    s = sundays(tz, "02:30", "05:00")
    check_opening(s, opens, opens + timedelta(hours=2))
    found = s.next_open(opens - SECOND)
    assert found is not None
    assert found.time() == time(3, 0)


def test_window_ending_in_the_skipped_hour_closes_when_clocks_jump() -> None:
    """00:00-02:30 on the Berlin spring-forward day closes at 03:00 CEST."""
    check_opening(sundays(BERLIN, "00:00", "02:30"), utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 1, 0))


def test_window_inside_the_skipped_hour_never_opens_that_day() -> None:
    """02:10-02:50 on the Berlin spring-forward day is skipped; the next Sunday's is found instead."""
    s = sundays(BERLIN, "02:10", "02:50")
    assert s.next_open(utc(2026, 3, 28, 12, 0)) == local(BERLIN, 2026, 4, 5, 2, 10)
    assert not s.is_open(utc(2026, 3, 29, 1, 0))


def test_window_ending_in_the_repeated_hour_does_not_reopen() -> None:
    """00:00-02:30 on the Berlin fall-back day closes at the first 02:30; the second pass stays closed."""
    s = sundays(BERLIN, "00:00", "02:30")
    check_opening(s, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 0, 30))
    assert not s.is_open(local(BERLIN, 2026, 10, 25, 2, 15, fold=1))
    assert in_utc(s.next_open(local(BERLIN, 2026, 10, 25, 2, 15, fold=1))) == utc(2026, 10, 31, 23, 0)


def test_window_starting_in_the_repeated_hour_opens_on_the_first_pass() -> None:
    """01:30-03:00 on the New York fall-back day opens at 01:30 EDT and stays open through 01:30 EST."""
    s = sundays(NEW_YORK, "01:30", "03:00")
    check_opening(s, utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8, 0))
    assert s.is_open(local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1))


@pytest.mark.parametrize(
    ("tz", "friday", "monday_9"),
    [
        (BERLIN, utc(2026, 3, 27, 17, 0), utc(2026, 3, 30, 7, 0)),  # Mon 09:00 CEST
        (BERLIN, utc(2026, 10, 23, 16, 0), utc(2026, 10, 26, 8, 0)),  # Mon 09:00 CET
        (NEW_YORK, utc(2026, 3, 6, 23, 0), utc(2026, 3, 9, 13, 0)),  # Mon 09:00 EDT
        (NEW_YORK, utc(2026, 10, 30, 22, 0), utc(2026, 11, 2, 14, 0)),  # Mon 09:00 EST
    ],
)
def test_next_open_and_close_across_the_switch(tz: str, friday: datetime, monday_9: datetime) -> None:
    """From Friday's closing, next_open is Monday 09:00 in the new offset; it closes at 18:00 the same."""
    s = Schedule.weekdays("09:00", "18:00", tz=tz)
    assert s.next_close(friday - SECOND) == friday
    opens = s.next_open(friday)
    assert opens == monday_9
    assert opens is not None
    assert opens.utcoffset() == ZoneInfo(tz).utcoffset(monday_9.replace(tzinfo=None))
    assert s.next_close(monday_9) == monday_9 + timedelta(hours=9)


# ------------------------------------------------------------------ holidays and special days


def new_year_schedule(**fields: Any) -> Schedule:
    """Weekdays 09:00-18:00 in Moscow, closed every New Year's Day by rrule."""
    holiday = Closure(rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", note="New Year")
    return Schedule(
        tz=MOSCOW, windows=[Window(days=range(5), start="09:00", end="18:00")], closures=[holiday], **fields
    )


def test_holiday_by_date_closes_the_whole_day() -> None:
    """A closure date closes that weekday; the days around it keep their hours."""
    s = attrs.evolve(Schedule.weekdays("09:00", "18:00", tz=MOSCOW), closures=[Closure(dates=["2026-05-01"])])
    assert not s.is_open(local(MOSCOW, 2026, 5, 1, 12, 0))  # Friday, closed
    assert s.is_open(local(MOSCOW, 2026, 4, 30, 12, 0))
    assert s.next_open(local(MOSCOW, 2026, 4, 30, 18, 0)) == local(MOSCOW, 2026, 5, 4, 9, 0)


def test_holiday_by_rrule_recurs_every_year() -> None:
    """FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1 closes New Year's Day in 2026 and 2027, not the 2nd."""
    s = new_year_schedule()
    assert not s.is_open(local(MOSCOW, 2026, 1, 1, 12, 0))  # Thursday
    assert not s.is_open(local(MOSCOW, 2027, 1, 1, 12, 0))  # Friday
    assert s.is_open(local(MOSCOW, 2026, 1, 2, 12, 0))
    assert s.next_open(local(MOSCOW, 2026, 12, 31, 18, 0)) == local(MOSCOW, 2027, 1, 4, 9, 0)


def test_rrule_closure_matches_its_expanded_dates() -> None:
    """A closure on 'last Friday of the month' behaves like the same dates listed explicitly."""
    rule = "FREQ=MONTHLY;BYDAY=-1FR"
    listed = [d.date() for d in rrulestr(rule, dtstart=datetime(2026, 1, 1)).between(
        datetime(2026, 1, 1), datetime(2027, 1, 1))]  # fmt: skip
    assert len(listed) == 12
    assert listed[0] == date(2026, 1, 30)
    base = Schedule.weekdays("09:00", "18:00", tz=BERLIN)
    by_rule = attrs.evolve(base, closures=[Closure(rrule=rule)])
    by_dates = attrs.evolve(base, closures=[Closure(dates=listed)])
    for n in range(365):
        noon = local(BERLIN, 2026, 1, 1, 12, 0) + timedelta(days=n)
        assert by_rule.is_open(noon) == by_dates.is_open(noon), noon


def test_rrule_with_its_own_dtstart_keeps_its_anchor() -> None:
    """'Every other Saturday from 2026-01-03' opens on the 3rd and 17th, not the 10th."""
    rule = "DTSTART:20260103\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"
    s = Schedule(tz=MOSCOW, special=[SpecialHours(rrule=rule, hours=["10:00-14:00"])])
    opened = [d for d in range(1, 32) if s.is_open(local(MOSCOW, 2026, 1, d, 12, 0))]
    assert opened == [3, 17, 31]


def test_night_window_runs_into_a_holiday_morning() -> None:
    """A window that starts the evening before a holiday still runs into the holiday's morning."""
    s = Schedule(
        tz=MOSCOW,
        windows=[Window(days=range(7), start="22:00", end="02:00")],
        closures=[Closure(dates=[date(2026, 1, 1)])],
    )
    assert s.is_open(local(MOSCOW, 2026, 1, 1, 1, 0))
    assert not s.is_open(local(MOSCOW, 2026, 1, 1, 22, 0))
    assert s.next_open(local(MOSCOW, 2026, 1, 1, 3, 0)) == local(MOSCOW, 2026, 1, 2, 22, 0)


def test_short_day_replaces_the_weekly_hours() -> None:
    """A short day on 2026-12-31 opens 10:00-14:00 instead of 09:00-18:00."""
    short = SpecialHours(dates=[date(2026, 12, 31)], hours=[("10:00", "14:00")], note="short day")
    s = new_year_schedule(special=[short])
    assert not s.is_open(local(MOSCOW, 2026, 12, 31, 9, 30))
    check_opening(s, local(MOSCOW, 2026, 12, 31, 10, 0), local(MOSCOW, 2026, 12, 31, 14, 0))
    assert s.is_open(local(MOSCOW, 2026, 12, 30, 17, 0))
    assert s.closed_until(local(MOSCOW, 2026, 12, 31, 15, 0)) == "closed until Mon 09:00 Europe/Moscow"


def test_one_off_opening_on_a_sunday() -> None:
    """Special hours on one Sunday open it; the other Sundays stay closed."""
    s = attrs.evolve(
        Schedule.weekdays("09:00", "18:00", tz=BERLIN),
        special=[SpecialHours(dates=["2026-06-07"], hours="11:00-15:00", note="open day")],
    )
    assert s.is_open(local(BERLIN, 2026, 6, 7, 11, 0))
    assert not s.is_open(local(BERLIN, 2026, 6, 14, 11, 0))
    assert s.next_open(local(BERLIN, 2026, 6, 6, 12, 0)) == local(BERLIN, 2026, 6, 7, 11, 0)
    assert s.next_close(local(BERLIN, 2026, 6, 7, 12, 0)) == local(BERLIN, 2026, 6, 7, 15, 0)


def test_special_hours_win_over_closures_and_the_first_special_wins() -> None:
    """A one-off opening on a recurring holiday opens it; of two special days, the first listed applies."""
    s = new_year_schedule(
        special=[
            SpecialHours(dates=[date(2027, 1, 1)], hours=["12:00-15:00"]),
            SpecialHours(dates=[date(2027, 1, 1)], hours=["08:00-20:00"]),
        ]
    )
    assert not s.is_open(local(MOSCOW, 2027, 1, 1, 11, 0))
    assert s.is_open(local(MOSCOW, 2027, 1, 1, 12, 0))
    assert not s.is_open(local(MOSCOW, 2026, 1, 1, 12, 0))


def test_special_hours_without_hours_close_the_day() -> None:
    """SpecialHours with no hours closes its dates, like a closure."""
    s = attrs.evolve(
        Schedule.weekdays("09:00", "18:00", tz=MOSCOW), special=[SpecialHours(dates=["2026-01-14"])]
    )
    assert s.hours_on(date(2026, 1, 14)) == ()
    assert not s.is_open(local(MOSCOW, 2026, 1, 14, 12, 0))
    assert s.hours_on(date(2026, 1, 13)) == (Hours(start="09:00", end="18:00"),)


# ------------------------------------------------------------------ texts


def test_closed_until_says_the_time_today_and_the_day_otherwise() -> None:
    """closed_until names only the time later today (local), the weekday within a week, else the date too."""
    s = attrs.evolve(
        Schedule.weekdays("09:00", "18:00", tz=MOSCOW),
        closures=[Closure(dates=[date(2026, 1, d) for d in range(1, 12)], note="holidays")],
    )
    assert s.closed_until(local(MOSCOW, 2026, 1, 12, 8, 0)) == "closed until 09:00 Europe/Moscow"
    assert s.closed_until(utc(2026, 1, 12, 22, 0)) == "closed until 09:00 Europe/Moscow"  # Tue 01:00 MSK
    assert s.closed_until(local(MOSCOW, 2026, 1, 17, 12, 0)) == "closed until Mon 09:00 Europe/Moscow"
    assert (
        s.closed_until(local(MOSCOW, 2025, 12, 31, 19, 0))
        == "closed until Mon 2026-01-12 09:00 Europe/Moscow"
    )
    assert s.closed_until(local(MOSCOW, 2026, 1, 12, 10, 0)) == "open until 18:00 Europe/Moscow"


def test_closed_until_when_nothing_opens() -> None:
    """A schedule that never opens says so with the horizon and the zone."""
    assert Schedule(tz=MOSCOW).closed_until(utc(2026, 1, 1)) == (
        f"closed, with no opening in the next {HORIZON_DAYS} days (Europe/Moscow)"
    )


def test_describe_lists_windows_zone_and_exceptions() -> None:
    """describe() renders days as ranges, midnight as 24:00, then closures and special days with notes."""
    s = Schedule(
        tz=BERLIN,
        windows=[
            Window(days=range(5), start="09:00", end="18:00"),
            Window(days=["sat", "sun"], start="20:00", end="00:00"),
            Window(days=["mon", "wed", "thu"], start="22:00", end="02:00"),
        ],
        closures=[Closure(rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", note="New Year")],
        special=[SpecialHours(dates=[date(2026, 12, 31)], hours=["10:00-14:00"], note="short day")],
    )
    assert s.describe() == (
        "Mon-Fri 09:00-18:00, Sat, Sun 20:00-24:00, Mon, Wed, Thu 22:00-02:00 Europe/Berlin; "
        "closed FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1 (New Year); 2026-12-31 10:00-14:00 (short day)"
    )
    assert Schedule(tz="UTC").describe() == "no weekly hours UTC"
    assert Schedule.always().describe() == "Mon-Sun 00:00-24:00 UTC"


# ------------------------------------------------------------------ validation and serialization


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Schedule(tz="Mars/Olympus"), "tz"),
        (lambda: Schedule(tz=""), "tz"),
        (lambda: Schedule(tz="UTC", windows=["mon 09-18"]), "windows[0]"),
        (lambda: Schedule(tz="UTC", windows=5), "windows[0]"),
        (lambda: Schedule(tz="UTC", closures=[SpecialHours(dates=["2026-01-01"])]), "closures[0]"),
        (lambda: Window(days=[], start="09:00", end="18:00"), "days"),
        (lambda: Window(days=["funday"], start="09:00", end="18:00"), "days"),
        (lambda: Window(days=[7], start="09:00", end="18:00"), "days"),
        (lambda: Window(days=[True], start="09:00", end="18:00"), "days"),
        (lambda: Window(days=["mon"], start="9am", end="18:00"), "start"),
        (lambda: Window(days=["mon"], start="09:00", end=time(18, tzinfo=UTC)), "end"),
        (lambda: Window(days=["mon"], start="09:00+03:00", end="18:00"), "start"),
        (lambda: Closure(), "dates"),
        (lambda: Closure(dates=["2026-02-30"]), "dates"),
        (lambda: Closure(dates=[datetime(2026, 1, 1, tzinfo=UTC)]), "dates"),
        (lambda: Closure(dates=[20260101]), "dates"),
        (lambda: Closure(rrule="FREQ=SOMETIMES"), "rrule"),
        (lambda: Closure(rrule=""), "rrule"),
        (lambda: Closure(rrule="FREQ=HOURLY"), "rrule"),
        (lambda: Closure(rrule="FREQ=DAILY;INTERVAL=0"), "rrule"),
        (lambda: Closure(rrule="FREQ=WEEKLY;BYDAY=XX"), "rrule"),
        (lambda: Closure(rrule="FREQ=DAILY;BYHOUR=0,1,2;BYMINUTE=0,30"), "rrule"),
        (lambda: Closure(rrule="FREQ=YEARLY;BYSECOND=0,1"), "rrule"),
        (lambda: Closure(rrule="FREQ=DAILY;COUNT=40000"), "rrule"),
        (lambda: Closure(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=30"), "rrule"),
        (lambda: SpecialHours(dates=["2026-01-01"], hours=["10:00"]), "hours"),
        (lambda: SpecialHours(dates=["2026-01-01"], hours=[("10:00", "noon")]), "end"),
    ],
)
def test_invalid_values_name_the_field(build: Callable[[], object], field: str) -> None:
    """Unknown zones, malformed days, times, dates and rules raise InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as info:
        build()
    assert info.value.field == field


def test_a_rule_that_picks_times_of_day_is_refused_with_its_path() -> None:
    """A DAILY closure with BYHOUR / BYMINUTE (which expanded to 8,640 moments a day and
    stalled routing) is refused when the schedule loads, naming the rule's path."""
    data = serialize.to_dict(full_schedule())
    data["closures"][0]["rrule"] = "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,10,20,30"
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(Schedule, data)
    assert "closures" in info.value.path
    assert info.value.path.endswith("rrule")
    assert "BYHOUR" in str(info.value)


def test_a_count_rule_that_ends_within_a_century_is_kept() -> None:
    """COUNT rules that give all their dates within 100 years of their start are accepted."""
    s = Schedule.always()
    closed = attrs.evolve(s, closures=[Closure(rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;COUNT=30")])
    assert not closed.is_open(datetime(2029, 1, 1, 12, tzinfo=UTC))
    assert closed.is_open(datetime(2030, 1, 1, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    "rule",
    ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SA", "FREQ=DAILY;INTERVAL=3", "DTSTART:00050101\nRRULE:FREQ=DAILY"],
)
def test_far_years_expand_quickly(rule: str) -> None:
    """A rule asked about a year far from its start expands in milliseconds, not seconds
    (a DAILY rule took 11 s for the year 9000)."""
    s = Schedule(
        tz="UTC", windows=[Window(days=range(7), start="09:00", end="18:00")], closures=[Closure(rrule=rule)]
    )
    began = time_module.perf_counter()
    s.is_open(datetime(9000, 3, 2, 10, tzinfo=UTC))
    assert time_module.perf_counter() - began < 1.0


def full_schedule() -> Schedule:
    """A schedule using every kind of field."""
    return Schedule(
        tz=BERLIN,
        windows=[
            Window(days=range(5), start="09:00", end="18:00"),
            Window(days=[5], start="22:00", end="02:00"),
        ],
        closures=[Closure(dates=["2026-05-01"], rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", note="holidays")],
        special=[SpecialHours(dates=["2026-12-31"], hours=["10:00-14:00", "15:00-16:30:30"], note="short")],
    )


def test_schedule_round_trips_through_json() -> None:
    """serialize.to_dict / from_dict through JSON rebuilds an equal schedule with plain fields."""
    s = full_schedule()
    data = serialize.to_dict(s)
    assert data["windows"][0] == {"days": [0, 1, 2, 3, 4], "start": "09:00:00", "end": "18:00:00"}
    assert data["special"][0]["hours"][1] == {"start": "15:00:00", "end": "16:30:30"}
    assert serialize.from_dict(Schedule, json.loads(json.dumps(data))) == s
    assert hash(serialize.from_dict(Schedule, data)) == hash(s)


def test_bad_schedule_data_is_a_config_error_with_a_path() -> None:
    """from_dict on an unknown zone reports a ConfigError whose path names the field."""
    data = serialize.to_dict(full_schedule()) | {"tz": "Nowhere/City"}
    with pytest.raises(ConfigError) as info:
        serialize.from_dict(Schedule, data)
    assert "tz" in str(info.value)


# ------------------------------------------------------------------ properties

LORD_HOWE = "Australia/Lord_Howe"  # half-hour DST: 02:00 -> 01:30 on 2026-04-05, 02:00 -> 02:30 on 2026-10-04
ZONES = ("UTC", BERLIN, NEW_YORK, LORD_HOWE, "Asia/Kolkata")
# Thursdays before each zone's switches in 2026, so that the week checked contains the Sunday.
SWITCH_WEEKS = [
    (BERLIN, date(2026, 3, 26)),
    (BERLIN, date(2026, 10, 22)),
    (NEW_YORK, date(2026, 3, 5)),
    (NEW_YORK, date(2026, 10, 29)),
    (LORD_HOWE, date(2026, 4, 2)),
    (LORD_HOWE, date(2026, 10, 1)),
]
KEY_TIMES = [
    time(h, m) for h, m in [(0, 0), (1, 0), (1, 15), (1, 30), (1, 45), (2, 0), (2, 10), (2, 30), (3, 0)]
]
WEEK = 7 * 24 * 60

times = st.one_of(st.sampled_from(KEY_TIMES), st.integers(0, 1439).map(lambda m: time(m // 60, m % 60)))
windows = st.builds(Window, days=st.frozensets(st.integers(0, 6), min_size=1), start=times, end=times)
hours = st.builds(Hours, start=times, end=times)


@st.composite
def week_schedules(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    """A schedule with minute-aligned hours and exceptions, and the start of a week to check it over.

    Half the weeks contain a daylight-saving switch of their zone, where windows start or
    end inside the skipped or repeated hour more often than chance would give.
    """
    anywhen = st.tuples(st.sampled_from(ZONES), st.dates(date(2026, 1, 1), date(2026, 12, 20)))
    tz, first = draw(st.one_of(st.sampled_from(SWITCH_WEEKS), anywhen))
    days = st.lists(st.integers(-1, 8).map(lambda n: first + timedelta(days=n)), min_size=1, max_size=2)
    schedule = Schedule(
        tz=tz,
        windows=draw(st.lists(windows, max_size=4)),
        closures=draw(st.lists(st.builds(Closure, dates=days), max_size=2)),
        special=draw(
            st.lists(st.builds(SpecialHours, dates=days, hours=st.lists(hours, max_size=2)), max_size=2)
        ),
    )
    return schedule, datetime.combine(first, time(0), UTC) + timedelta(minutes=draw(st.integers(0, 1439)))


def reference_hours(schedule: Schedule, day: date) -> list[tuple[time, time]]:
    """Obviously-correct hours of a day with only explicit dates: first special, else closed, else weekly."""
    for special in schedule.special:
        if day in special.dates:
            return [(h.start, h.end) for h in special.hours]
    if any(day in closure.dates for closure in schedule.closures):
        return []
    return [(w.start, w.end) for w in schedule.windows if day.weekday() in w.days]


def reference_open(schedule: Schedule, start: datetime, minutes: int) -> list[bool]:
    """Minute by minute: open when the latest local clock reading so far is inside a day's hours."""
    zone, flags = ZoneInfo(schedule.tz), []
    latest = datetime.min
    for m in range(-2 * 24 * 60, minutes):
        wall = (start + timedelta(minutes=m)).astimezone(zone).replace(tzinfo=None)
        latest = max(latest, wall)  # during a repeated hour the clock reading goes back; this does not
        if m < 0:
            continue
        flag = False
        for day in (latest.date() - timedelta(days=1), latest.date()):
            for begin, end in reference_hours(schedule, day):
                ends_on = day if end > begin else day + timedelta(days=1)
                flag |= datetime.combine(day, begin) <= latest < datetime.combine(ends_on, end)
        flags.append(flag)
    return flags


def first_index(flags: list[bool], start: int, value: bool) -> int | None:
    """The first index at or after ``start`` where ``flags`` equals ``value``."""
    return next((i for i in range(start, len(flags)) if flags[i] is value), None)


@given(week_schedules(), st.lists(st.integers(0, WEEK - 1), max_size=5))
def test_is_open_agrees_with_a_minute_by_minute_reference(
    case: tuple[Schedule, datetime], picks: list[int]
) -> None:
    """Over a week, is_open matches the reference each minute, and next_open/next_close find its changes."""
    schedule, start = case
    expected = reference_open(schedule, start, WEEK)
    actual = [schedule.is_open(start + timedelta(minutes=m)) for m in range(WEEK)]
    assert actual == expected
    changes = [i for i in range(1, WEEK) if expected[i] != expected[i - 1]]
    for i in sorted({*picks, *changes, *(c - 1 for c in changes)}):
        now = start + timedelta(minutes=i)
        for method, value in ((schedule.next_open, True), (schedule.next_close, False)):
            found, j = in_utc(method(now)), first_index(expected, i, value)
            if j is not None:
                assert found == start + timedelta(minutes=j), (method.__name__, now)
            else:
                assert found is None or found >= start + timedelta(minutes=WEEK)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))


@given(week_schedules(), instants)
def test_next_open_is_an_open_instant_not_before_now(case: tuple[Schedule, datetime], now: datetime) -> None:
    """next_open(t) is None or an open instant >= t, closed just before unless it is t itself."""
    schedule = case[0]
    opens = schedule.next_open(now)
    if opens is not None:
        assert opens >= now
        assert schedule.is_open(opens)
        assert in_utc(opens) == now or not schedule.is_open(opens - timedelta(microseconds=1))
        assert opens.tzinfo == ZoneInfo(schedule.tz)


@given(week_schedules(), instants)
def test_next_close_of_an_open_instant_is_later_and_closed(
    case: tuple[Schedule, datetime], now: datetime
) -> None:
    """For t open, next_close(t) > t, open just before it and closed at it."""
    schedule = case[0]
    opens = schedule.next_open(now)
    if opens is None:
        return
    closes = schedule.next_close(opens)
    if closes is None:  # open around the clock: every day has a 24-hour window
        assert all(schedule.is_open(opens + timedelta(hours=5 * k)) for k in range(40))
        return
    assert closes > opens
    assert schedule.is_open(closes - timedelta(microseconds=1))
    assert not schedule.is_open(closes)
    assert in_utc(schedule.next_close(closes)) == in_utc(closes)


@given(week_schedules())
def test_random_schedules_round_trip(case: tuple[Schedule, datetime]) -> None:
    """Any schedule survives to_dict -> JSON -> from_dict unchanged."""
    schedule = case[0]
    assert serialize.from_dict(Schedule, json.loads(json.dumps(serialize.to_dict(schedule)))) == schedule


@st.composite
def date_rules(draw: st.DrawFn) -> str:
    """An RFC 5545 date rule: a frequency, an interval and some of the filters, sometimes a start."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 4))}"]
    days = st.lists(
        st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, max_size=3, unique=True
    )
    optional = {
        "BYDAY": days.map(",".join),
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True).map(
            lambda m: ",".join(map(str, m))
        ),
        "BYMONTHDAY": st.sampled_from(["1", "13", "29", "-1", "1,15"]),
        "BYSETPOS": st.sampled_from(["1", "-1"]),
    }
    for name, values in optional.items():
        if draw(st.booleans()) and not (name == "BYSETPOS" and freq == "DAILY"):
            parts.append(f"{name}={draw(values)}")
    rule = ";".join(parts)
    if draw(st.booleans()):
        start = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2010, 12, 31)))
        rule = f"DTSTART:{start:%Y%m%d}\nRRULE:{rule}"
    return rule


@given(rule=date_rules(), year=st.integers(2031, 2090))
def test_a_rule_gives_the_same_dates_however_far_the_year(rule: str, year: int) -> None:
    """A closure rule asked about a year far from its start falls on the dates dateutil
    lists when it walks there from the start."""
    walked = rrulestr(rule, dtstart=datetime(2000, 1, 1)).between(
        datetime(year, 1, 1), datetime(year + 1, 1, 1), inc=True
    )
    expected = {moment.date() for moment in walked if moment.year == year}
    closure = Closure(rrule=rule)
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    assert {day for day in days if day.year == year and closure.applies(day)} == expected
