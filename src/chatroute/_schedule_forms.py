"""The hand-written forms of a schedule's parts: read into values, and written back for people.

Times come as ``time`` values or strings (``"09:30"``, ``"24:00"`` for midnight), dates
as ``date`` values or ISO strings, a lone item where a list is expected; zones by their
IANA name. Each converter raises :class:`~chatroute.errors.InvalidValue` naming the
field. :func:`clock` and :func:`day_list` write times and days back the short way
(``"09:00"``, ``"Mon-Fri"``).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any

import attrs

from ._frozen import DAY_NAMES, to_tuple
from .errors import InvalidValue

__all__ = ["clock", "day_list", "items_of", "to_dates", "to_end", "to_items", "to_start", "zone_name"]


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


def to_start(value: time | str) -> time:
    """A start time from a ``time`` or a string such as ``"09:30"``."""
    return _to_time(value, "start")


def to_end(value: time | str) -> time:
    """An end time, likewise; ``"24:00"`` is the midnight that ends the day."""
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


def to_dates(value: Any) -> tuple[date, ...]:
    """One date or several, as ``date`` values or ISO strings."""
    if isinstance(value, date | str):
        return (_to_date(value),)
    try:
        return tuple(_to_date(item) for item in to_tuple(value))
    except TypeError:
        raise InvalidValue("dates", value, "give a list of dates") from None


def to_items(value: Any) -> tuple[Any, ...]:
    """A tuple of the items; a lone value (a Window, say) is one item."""
    try:
        return (value,) if attrs.has(type(value)) else to_tuple(value)
    except TypeError:
        return (value,)  # not iterable: the validator names the field


def items_of(kind: type) -> Any:
    """A validator: every item is a ``kind``; a stray one is named by field and index."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                raise InvalidValue(f"{attribute.name}[{i}]", item, f"must be a {kind.__name__}")

    return check


def zone_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """A validator: the value names an IANA time zone."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidValue(attribute.name, value, "unknown IANA time zone") from None


def clock(moment: time, *, end: bool = False) -> str:
    """09:00, or 24:00 for a window ending at midnight; seconds only when there are some."""
    if end and moment == time(0):
        return "24:00"
    return f"{moment:%H:%M:%S}" if moment.second or moment.microsecond else f"{moment:%H:%M}"


def day_list(days: frozenset[int]) -> str:
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
