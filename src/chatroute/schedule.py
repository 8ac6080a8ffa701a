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

import math
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import attrs

from ._frozen import aware, to_days
from ._recurrence import occurrences, rule_text
from ._schedule_forms import (
    clock,
    day_list,
    items_of,
    to_dates,
    to_end,
    to_items,
    to_start,
    zone_name,
)
from .errors import InvalidValue

__all__ = ["HORIZON_DAYS", "Closure", "Hours", "Schedule", "SpecialHours", "Window"]

HORIZON_DAYS = 400
"""How far ahead :meth:`Schedule.next_open` and :meth:`Schedule.next_close` look, in days."""

_ONE_DAY = timedelta(days=1)


def _to_hours(value: Any) -> tuple[Hours, ...]:
    items = (value,) if isinstance(value, str | Hours) else to_items(value)
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


@attrs.frozen(kw_only=True)
class Hours:
    """Opening hours within one day: ``[start, end)`` in local time.

    ``end <= start`` means the hours run into the next day (22:00-06:00); ``end`` 00:00
    means until midnight; ``start == end`` is a full 24 hours. Strings such as ``"09:30"``
    are accepted (and ``"24:00"`` for midnight).
    """

    start: time = attrs.field(converter=to_start)
    end: time = attrs.field(converter=to_end)

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """The naive local start and end when the hours start on ``day``."""
        start = datetime.combine(day, self.start)
        end = datetime.combine(day if self.end > self.start else day + _ONE_DAY, self.end)
        return start, end

    def __str__(self) -> str:
        return f"{clock(self.start)}-{clock(self.end, end=True)}"


@attrs.frozen(kw_only=True)
class Window:
    """Weekly opening hours: ``start`` to ``end`` on each of ``days`` (0 is Monday).

    Days may also be names (``"mon"``, ``"friday"``). The window belongs to the day it
    starts on: ``Window(days=["fri"], start="22:00", end="02:00")`` is open at Saturday 01:00.

    Raises:
        InvalidValue: naming ``days``, ``start`` or ``end``.
    """

    days: frozenset[int] = attrs.field(converter=to_days)
    start: time = attrs.field(converter=to_start)
    end: time = attrs.field(converter=to_end)

    def __attrs_post_init__(self) -> None:
        if not self.days:
            raise InvalidValue("days", self.days, "needs at least one day")

    @property
    def hours(self) -> Hours:
        """The window's hours on each of its days."""
        return Hours(start=self.start, end=self.end)

    def describe(self) -> str:
        """``"Mon-Fri 09:00-18:00"``."""
        return f"{day_list(self.days)} {self.hours}"


@attrs.frozen(kw_only=True)
class _OnDates:
    """Local dates given explicitly, by an RFC 5545 rule, or both.

    A rule without a ``DTSTART`` line starts on 2000-01-01 (a Saturday), which anchors
    ``INTERVAL`` and ``COUNT``; write ``"DTSTART:20260103\\nRRULE:FREQ=WEEKLY;INTERVAL=2"``
    to anchor it elsewhere.
    """

    dates: tuple[date, ...] = attrs.field(default=(), converter=to_dates)
    rrule: str | None = attrs.field(default=None, validator=rule_text)
    note: str = attrs.field(default="", validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        if not self.dates and self.rrule is None:
            raise InvalidValue("dates", self.dates, "give dates, an rrule, or both")

    def applies(self, day: date) -> bool:
        """Whether ``day`` (a local date) is one of the dates."""
        return day in self.dates or (self.rrule is not None and day in occurrences(self.rrule, day.year))

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

    tz: str = attrs.field(validator=zone_name)
    windows: tuple[Window, ...] = attrs.field(default=(), converter=to_items, validator=items_of(Window))
    closures: tuple[Closure, ...] = attrs.field(default=(), converter=to_items, validator=items_of(Closure))
    special: tuple[SpecialHours, ...] = attrs.field(
        default=(), converter=to_items, validator=items_of(SpecialHours)
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
        return f"{day}{clock(local.time())} {self.tz}"

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
