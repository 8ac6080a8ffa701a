"""The dates of RFC 5545 recurrence rules: a rule checked once, then expanded a year at a time.

Rules pick local dates (``"FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"`` is New Year's Day every
year), so they repeat DAILY or less often and name no time of day. A rule without a
``DTSTART`` line starts on 2000-01-01. Parsed rules and each year's dates are cached.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rruleset, rrulestr

from .errors import InvalidValue

__all__ = ["occurrences", "rule_text"]

_RULE_START = datetime(2000, 1, 1)  # local midnight in the schedule's zone, for rules without DTSTART
_SUB_DAILY = re.compile(r"FREQ\s*=\s*(HOURLY|MINUTELY|SECONDLY)", re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"BY(HOUR|MINUTE|SECOND)\s*=", re.IGNORECASE)
#: A rule with COUNT must have given all its dates within this many years of its start.
_COUNT_SPAN_YEARS = 100
#: Rules are expanded from their start; further than this, from a start moved closer.
_NEAR_YEARS = 30
#: The Gregorian calendar repeats every 400 years, so a moved start is found within them.
_CALENDAR_CYCLE = 400
_INTERVAL = re.compile(r"INTERVAL\s*=\s*([-+]?\d+)", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _parse_rule(text: str) -> rrule | rruleset:
    return rrulestr(text, dtstart=_RULE_START, ignoretz=True)


@functools.lru_cache(maxsize=1024)
def occurrences(text: str, year: int) -> frozenset[date]:
    """The local dates in ``year`` on which the rule falls."""
    try:
        rule = _nearer(_parse_rule(text), year)
        found = rule.between(datetime(year, 1, 1), datetime(year + 1, 1, 1), inc=True)
    except (ValueError, OverflowError) as exc:
        raise InvalidValue("rrule", text, f"cannot expand the rule: {exc}") from None
    return frozenset(moment.date() for moment in found if moment.year == year)


def _private(rule: rrule | rruleset, name: str) -> Any:
    """A part of a dateutil rule, which keeps them in private attributes with no accessors:
    ``_rrule``, ``_exrule``, ``_rdate`` and ``_exdate`` of a set; ``_dtstart``, ``_count``,
    ``_freq`` and ``_interval`` of a rule."""
    return getattr(rule, name)


def _nearer(rule: rrule | rruleset, year: int) -> rrule | rruleset:
    """The same rule, started shortly before ``year`` where that keeps its dates.

    Expanding a rule walks every period from its start: a daily rule asked about the
    year 9000 would walk 2.6 million days. Each part is moved by :func:`_moved`; dates
    given one by one stay as they are.
    """
    if isinstance(rule, rrule):
        return _moved(rule, year)
    moved = rruleset()
    for part in _private(rule, "_rrule"):
        moved.rrule(_moved(part, year))
    for part in _private(rule, "_exrule"):
        moved.exrule(_moved(part, year))
    for day in _private(rule, "_rdate"):
        moved.rdate(day)
    for day in _private(rule, "_exdate"):
        moved.exdate(day)
    return moved


def _moved(rule: rrule, year: int) -> rrule:
    """``rule`` from a later start with the same dates from there on, when one is found.

    A rule takes its defaults (weekday, day of month, month, time) from its start, and
    its INTERVAL counts periods from it. So a start on the same month, day and weekday
    a whole number of intervals later gives the same dates after it. A COUNT rule keeps
    its start: it ends within :data:`_COUNT_SPAN_YEARS` anyway.
    """
    start: datetime = _private(rule, "_dtstart")
    if _private(rule, "_count") is not None or year - start.year <= _NEAR_YEARS:
        return rule
    freq, interval = _private(rule, "_freq"), _private(rule, "_interval")
    for candidate in range(year - 2, max(start.year, year - 2 - _CALENDAR_CYCLE), -1):
        try:
            later = start.replace(year=candidate)
        except ValueError:  # 29 February in a common year
            continue
        if later.weekday() == start.weekday() and _in_step(freq, interval, start, later):
            return rule.replace(dtstart=later)
    return rule


def _in_step(freq: int, interval: int, start: datetime, later: datetime) -> bool:
    """Whether ``later`` is a whole number of the rule's intervals after ``start``."""
    periods = {
        YEARLY: later.year - start.year,
        MONTHLY: 12 * (later.year - start.year),
        WEEKLY: (later - start).days // 7,
        DAILY: (later - start).days,
    }
    return freq in periods and periods[freq] % interval == 0


def _count_ends(text: str, rule: rrule | rruleset) -> None:
    """Refuse a rule with COUNT that has not given all its dates within the span."""
    parts = [rule] if isinstance(rule, rrule) else [*_private(rule, "_rrule"), *_private(rule, "_exrule")]
    for part in parts:
        count: int | None = _private(part, "_count")
        if count is None:
            continue
        start: datetime = _private(part, "_dtstart")
        end = start + timedelta(days=366 * _COUNT_SPAN_YEARS)
        if count > 366 * _COUNT_SPAN_YEARS or len(part.between(start, end, inc=True)) < count:
            problem = f"a COUNT rule must end within {_COUNT_SPAN_YEARS} years of its start: use UNTIL"
            raise InvalidValue("rrule", text, problem)


def rule_text(instance: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    """A validator: ``None``, or an RFC 5545 rule that picks dates and ends in time."""
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(attribute.name, value, "must be a non-empty RFC 5545 rule or None")
    if _SUB_DAILY.search(value):
        raise InvalidValue(attribute.name, value, "rules pick dates: repeat DAILY or less often")
    if _TIME_OF_DAY.search(value):
        raise InvalidValue(
            attribute.name, value, "rules pick dates: BYHOUR, BYMINUTE and BYSECOND pick times"
        )
    if any(int(n) < 1 for n in _INTERVAL.findall(value)):
        raise InvalidValue(attribute.name, value, "INTERVAL must be at least 1")
    try:
        rule = _parse_rule(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidValue(attribute.name, value, f"not an RFC 5545 rule ({exc})") from None
    _count_ends(value, rule)
