"""Business hours: weekly opening windows in an IANA time zone, with holidays and special days.

A :class:`Schedule` says when a group takes dialogs. Its weekly :class:`Window` s give
the usual hours; :class:`Closure` s close whole days (holidays); :class:`SpecialHours`
replace a day's hours (short days, one-off openings). Dates are local dates in the
schedule's zone, given explicitly or as an RFC 5545 recurrence rule
(``"FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"`` is New Year's Day every year).

How a day's hours become instants:

* A window belongs to the day it starts on: Friday 22:00-02:00 runs into Saturday
  morning, even when Saturday is a holiday. ``end <= start`` means the window ends on
  the next day; ``end`` 00:00 means until midnight; ``start == end`` is 24 hours.
* Windows are half-open, ``[start, end)``: open at the opening instant, closed at the
  closing one.
* Across daylight-saving changes, a window opens (or closes) the first moment the local
  clock shows its start (or end) time or later. In a skipped hour that is the moment the
  clocks jump (02:30-05:00 on a spring-forward day opens at 03:00); in a repeated hour it
  is the first pass, and the second pass keeps the state the schedule had just before
  the clocks went back (a window ending at 02:30 does not open again at 02:00).

Returned datetimes are in the schedule's zone. Inside a repeated hour such a datetime
never compares equal to one in another zone (PEP 495): compare ``astimezone(UTC)`` values.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rruleset, rrulestr

from ._frozen import DAY_NAMES, aware, to_days, to_tuple
from .errors import InvalidValue

__all__ = ["HORIZON_DAYS", "Closure", "Hours", "Schedule", "SpecialHours", "Window"]

HORIZON_DAYS = 400
"""How far ahead :meth:`Schedule.next_open` and :meth:`Schedule.next_close` look, in days."""

_ONE_DAY = timedelta(days=1)
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


# -- converters and validators -------------------------------------------------------------


def _to_time(value: time | str, field: str) -> time:
    if value == "24:00":
        return time(0)
    try:
        parsed = value if isinstance(value, time) else time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidValue(field, value, "give a time such as '09:30'") from None
    if parsed.tzinfo is not None:
        raise InvalidValue(field, value, "give a local time without an offset; the zone is tz")
    return parsed


def _to_start(value: time | str) -> time:
    return _to_time(value, "start")


def _to_end(value: time | str) -> time:
    return _to_time(value, "end")


def _to_date(value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise InvalidValue("dates", value, "give a date such as 2026-01-01")


def _to_dates(value: Any) -> tuple[date, ...]:
    if isinstance(value, date | str):
        return (_to_date(value),)
    try:
        return tuple(_to_date(item) for item in to_tuple(value))
    except TypeError:
        raise InvalidValue("dates", value, "give a list of dates") from None


def _to_hours(value: Any) -> tuple[Hours, ...]:
    items = (value,) if isinstance(value, str | Hours) else _to_items(value)
    hours = []
    for item in items:
        if isinstance(item, Hours):
            hours.append(item)
        elif isinstance(item, str) and item.count("-") == 1:
            start, end = item.split("-")
            hours.append(Hours(start=start.strip(), end=end.strip()))
        elif isinstance(item, tuple | list) and len(item) == 2:
            hours.append(Hours(start=item[0], end=item[1]))
        else:
            raise InvalidValue("hours", item, "give Hours, (start, end) pairs or '10:00-14:00'")
    return tuple(sorted(hours, key=lambda h: h.start))


def _to_items(value: Any) -> tuple[Any, ...]:
    """A tuple of the items; a lone value (a Window, say) is one item."""
    try:
        return (value,) if attrs.has(type(value)) else to_tuple(value)
    except TypeError:
        return (value,)  # not iterable: the validator names the field


def _items_of(kind: type) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                raise InvalidValue(f"{attribute.name}[{i}]", item, f"must be a {kind.__name__}")

    return check


def _zone_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidValue(attribute.name, value, "unknown IANA time zone") from None


@functools.lru_cache(maxsize=256)
def _parse_rule(text: str) -> rrule | rruleset:
    return rrulestr(text, dtstart=_RULE_START, ignoretz=True)


@functools.lru_cache(maxsize=1024)
def _occurrences(text: str, year: int) -> frozenset[date]:
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


def _rule_text(instance: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
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


# -- values --------------------------------------------------------------------------------


def _clock(moment: time, *, end: bool = False) -> str:
    """09:00, or 24:00 for a window ending at midnight; seconds only when there are some."""
    if end and moment == time(0):
        return "24:00"
    return f"{moment:%H:%M:%S}" if moment.second or moment.microsecond else f"{moment:%H:%M}"


def _day_list(days: frozenset[int]) -> str:
    """Mon-Fri, Sat, Sun or Mon, Wed, Fri: runs of three or more days joined with a dash."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        names = [DAY_NAMES[d].capitalize() for d in run]
        parts += [f"{names[0]}-{names[-1]}"] if len(run) >= 3 else names
    return ", ".join(parts)


@attrs.frozen(kw_only=True)
class Hours:
    """Opening hours within one day: ``[start, end)`` in local time.

    ``end <= start`` means the hours run into the next day (22:00-06:00); ``end`` 00:00
    means until midnight; ``start == end`` is a full 24 hours. Strings such as ``"09:30"``
    are accepted (and ``"24:00"`` for midnight).
    """

    start: time = attrs.field(converter=_to_start)
    end: time = attrs.field(converter=_to_end)

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """The naive local start and end when the hours start on ``day``."""
        start = datetime.combine(day, self.start)
        end = datetime.combine(day if self.end > self.start else day + _ONE_DAY, self.end)
        return start, end

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end, end=True)}"


@attrs.frozen(kw_only=True)
class Window:
    """Weekly opening hours: ``start`` to ``end`` on each of ``days`` (0 is Monday).

    Days may also be names (``"mon"``, ``"friday"``). The window belongs to the day it
    starts on: ``Window(days=["fri"], start="22:00", end="02:00")`` is open at Saturday 01:00.

    Raises:
        InvalidValue: naming ``days``, ``start`` or ``end``.
    """

    days: frozenset[int] = attrs.field(converter=to_days)
    start: time = attrs.field(converter=_to_start)
    end: time = attrs.field(converter=_to_end)

    def __attrs_post_init__(self) -> None:
        if not self.days:
            raise InvalidValue("days", self.days, "needs at least one day")

    @property
    def hours(self) -> Hours:
        """The window's hours on each of its days."""
        return Hours(start=self.start, end=self.end)

    def describe(self) -> str:
        """``"Mon-Fri 09:00-18:00"``."""
        return f"{_day_list(self.days)} {self.hours}"


@attrs.frozen(kw_only=True)
class _OnDates:
    """Local dates given explicitly, by an RFC 5545 rule, or both.

    A rule without a ``DTSTART`` line starts on 2000-01-01 (a Saturday), which anchors
    ``INTERVAL`` and ``COUNT``; write ``"DTSTART:20260103\\nRRULE:FREQ=WEEKLY;INTERVAL=2"``
    to anchor it elsewhere.
    """

    dates: tuple[date, ...] = attrs.field(default=(), converter=_to_dates)
    rrule: str | None = attrs.field(default=None, validator=_rule_text)
    note: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        if not self.dates and self.rrule is None:
            raise InvalidValue("dates", self.dates, "give dates, an rrule, or both")

    def applies(self, day: date) -> bool:
        """Whether ``day`` (a local date) is one of the dates."""
        return day in self.dates or (self.rrule is not None and day in _occurrences(self.rrule, day.year))

    def _which(self) -> str:
        chosen = [d.isoformat() for d in self.dates] + ([self.rrule] if self.rrule else [])
        return ", ".join(chosen)

    def _noted(self, text: str) -> str:
        return f"{text} ({self.note})" if self.note else text


@attrs.frozen(kw_only=True)
class Closure(_OnDates):
    """Days closed from midnight to midnight (holidays).

    Windows that start the evening before still run into the morning of a closed day.

    Raises:
        InvalidValue: naming ``dates`` or ``rrule``.
    """

    def describe(self) -> str:
        """``"closed 2026-01-01 (New Year)"``."""
        return self._noted(f"closed {self._which()}")


@attrs.frozen(kw_only=True)
class SpecialHours(_OnDates):
    """Days whose ``hours`` replace the weekly windows: short days, one-off openings.

    Empty ``hours`` close the day. Special hours win over closures, so a one-off opening
    on a recurring holiday works. ``hours`` accepts :class:`Hours`, ``(start, end)``
    pairs or strings like ``"10:00-14:00"``.

    Raises:
        InvalidValue: naming ``dates``, ``rrule``, ``hours``, ``start`` or ``end``.
    """

    hours: tuple[Hours, ...] = attrs.field(default=(), converter=_to_hours)

    def describe(self) -> str:
        """``"2026-12-31 10:00-14:00 (short day)"``."""
        return self._noted(f"{self._which()} {', '.join(map(str, self.hours)) or 'closed'}")


@attrs.frozen(kw_only=True)
class Schedule:
    """When a group is open: weekly windows in ``tz``, holidays and special days.

    For each local date, the first :class:`SpecialHours` that applies gives the day's
    hours; otherwise a :class:`Closure` that applies closes it; otherwise the weekly
    windows of that weekday apply. See the module docs for midnight and daylight saving.

    Example:
        >>> from datetime import datetime, UTC
        >>> hours = Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow")
        >>> hours.is_open(datetime(2026, 1, 12, 7, 0, tzinfo=UTC))  # Monday 10:00 in Moscow
        True
        >>> hours.next_open(datetime(2026, 1, 10, 7, 0, tzinfo=UTC))  # Saturday
        datetime.datetime(2026, 1, 12, 9, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Moscow'))
        >>> hours.closed_until(datetime(2026, 1, 10, 7, 0, tzinfo=UTC))
        'closed until Mon 09:00 Europe/Moscow'

    Raises:
        InvalidValue: an unknown zone (``tz``) or a malformed window or exception,
            naming the field.
    """

    tz: str = attrs.field(validator=_zone_name)
    windows: tuple[Window, ...] = attrs.field(default=(), converter=_to_items, validator=_items_of(Window))
    closures: tuple[Closure, ...] = attrs.field(default=(), converter=_to_items, validator=_items_of(Closure))
    special: tuple[SpecialHours, ...] = attrs.field(
        default=(), converter=_to_items, validator=_items_of(SpecialHours)
    )

    @classmethod
    def weekdays(cls, start: time | str, end: time | str, *, tz: str = "UTC") -> Schedule:
        """Open Monday to Friday from ``start`` to ``end`` in ``tz``."""
        return cls(tz=tz, windows=(Window(days=range(5), start=start, end=end),))

    @classmethod
    def always(cls, tz: str = "UTC") -> Schedule:
        """Open around the clock, every day."""
        return cls(tz=tz, windows=(Window(days=range(7), start=time(0), end=time(0)),))

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The schedule's time zone."""
        return zoneinfo.ZoneInfo(self.tz)

    def hours_on(self, day: date) -> tuple[Hours, ...]:
        """The hours that start on the local date ``day``, earliest first.

        Args:
            day: a date in the schedule's zone.

        Returns:
            The special hours, nothing for a closed day, or the weekly windows.
        """
        for special in self.special:
            if special.applies(day):
                return special.hours
        if any(closure.applies(day) for closure in self.closures):
            return ()
        weekday = day.weekday()
        return tuple(sorted((w.hours for w in self.windows if weekday in w.days), key=lambda h: h.start))

    def is_open(self, now: datetime) -> bool:
        """Whether the schedule is open at ``now``.

        Args:
            now: a timezone-aware datetime.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        instant = aware(now, "now")
        first = instant.astimezone(self.zone).date() - _ONE_DAY
        return any(opens <= instant < closes for opens, closes in self._intervals(first, 3))

    def next_open(self, now: datetime) -> datetime | None:
        """The first instant at or after ``now`` when the schedule is open.

        Args:
            now: a timezone-aware datetime.

        Returns:
            ``now`` itself when open; else the next opening, in the schedule's zone; None
            when nothing opens within :data:`HORIZON_DAYS`.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        instant = aware(now, "now")
        if self.is_open(instant):
            return instant.astimezone(self.zone)
        first = instant.astimezone(self.zone).date() - _ONE_DAY
        for opens, _ in self._intervals(first, HORIZON_DAYS + 2):
            if opens > instant:
                return opens.astimezone(self.zone)
        return None

    def next_close(self, now: datetime) -> datetime | None:
        """The first instant at or after ``now`` when the schedule is closed.

        Windows that overlap or abut count as one opening.

        Args:
            now: a timezone-aware datetime.

        Returns:
            ``now`` itself when closed; else the closing instant, in the schedule's zone;
            None when it stays open for all of :data:`HORIZON_DAYS`.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        instant = aware(now, "now")
        if not self.is_open(instant):
            return instant.astimezone(self.zone)
        closes = instant
        first = instant.astimezone(self.zone).date() - _ONE_DAY
        for opens, ends in self._intervals(first, HORIZON_DAYS + 2):
            if opens > closes:
                break
            closes = max(closes, ends)
        horizon = _first_instant(
            datetime.combine(first + timedelta(days=HORIZON_DAYS + 2), time(0)), self.zone
        )
        return closes.astimezone(self.zone) if closes < horizon else None

    def closed_until(self, now: datetime) -> str:
        """Text for a visitor or a trace: ``"closed until Mon 09:00 Europe/Moscow"``.

        The day is left out when the opening is later the same local day, and the date is
        added when it is a week or more away. When open, says until when instead
        (``"open until 18:00 Europe/Moscow"``).

        Args:
            now: a timezone-aware datetime.

        Raises:
            NaiveDatetime: ``now`` has no time zone.
        """
        instant = aware(now, "now")
        if self.is_open(instant):
            closes = self.next_close(instant)
            return f"open until {self._when(instant, closes)}" if closes else f"open{self._never('closing')}"
        opens = self.next_open(instant)
        if opens is None:
            return f"closed{self._never('opening')}"
        return f"closed until {self._when(instant, opens)}"

    def describe(self) -> str:
        """One line for people: ``"Mon-Fri 09:00-18:00 Europe/Moscow; closed 2026-01-01"``."""
        weekly = ", ".join(w.describe() for w in self.windows) or "no weekly hours"
        rest = [c.describe() for c in self.closures] + [s.describe() for s in self.special]
        return "; ".join([f"{weekly} {self.tz}", *rest])

    def _never(self, what: str) -> str:
        return f", with no {what} in the next {HORIZON_DAYS} days ({self.tz})"

    def _when(self, now: datetime, then: datetime) -> str:
        today, local = now.astimezone(self.zone).date(), then.astimezone(self.zone)
        if local.date() == today:
            day = ""
        elif local.date() - today < timedelta(days=7):
            day = f"{local:%a} "
        else:
            day = f"{local:%a} {local.date().isoformat()} "
        return f"{day}{_clock(local.time())} {self.tz}"

    def _intervals(self, first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
        """Non-empty ``[opens, closes)`` UTC intervals of hours starting on ``days`` dates.

        Ordered by opening instant, since later local dates open later.
        """
        zone = self.zone
        for offset in range(days):
            day = first + timedelta(days=offset)
            for hours in self.hours_on(day):
                start, end = hours.bounds(day)
                opens, closes = _first_instant(start, zone), _first_instant(end, zone)
                if opens < closes:
                    yield opens, closes


def _first_instant(wall: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant (in UTC) at which the local clock shows ``wall`` or later.

    A repeated time gives its first pass; a skipped time gives the moment the clocks jump.
    """
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # A skipped time: fold=1 reads it with the offset from after the jump, which gives an
    # instant before the jump; fold=0 gives one after it. Look for the jump in between.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = math.floor(before.timestamp()), math.ceil(instant.timestamp())
    offset = instant.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
