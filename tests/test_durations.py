"""Durations as people write them: parse and format, exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute._durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1h", 3600), ("90m", 5400), ("1.5s", 1.5), ("0s", 0)],
)
def test_durations_read_hours_minutes_and_seconds(text: str, seconds: float) -> None:
    """'30s', '5m', '1h30m' and fractions of a second mean what they say."""
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "30", "1:30", "1 h", "1m1h", "1.5m", "s", "1.1234567s", "5d", "99999999999h"]
)
def test_anything_else_is_not_a_duration(text: str) -> None:
    """Bare numbers as text, clock times, spaces, wrong order and unknown units are refused."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.timedeltas(min_value=timedelta(days=-9999), max_value=timedelta(days=9999)))
def test_every_duration_reads_back_exactly(value: timedelta) -> None:
    """format_duration writes what parse_duration reads back to the microsecond."""
    assert parse_duration(format_duration(value)) == value


def test_durations_are_written_in_the_largest_units() -> None:
    """Hours, then minutes, then seconds with only the decimals needed."""
    assert format_duration(timedelta(seconds=5400)) == "1h30m"
    assert format_duration(timedelta(seconds=123.5)) == "2m3.5s"
    assert format_duration(timedelta(0)) == "0s"
    assert format_duration(timedelta(seconds=-30)) == "-30s"
