"""The converters and validators of the public values' fields (:mod:`chatroute.model`).

Each converter names the field it reads in its errors; each validator is made for
the range it checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._durations import parse_duration
from ._frozen import (
    EMPTY_SET,
    MAX_SAFE_INT,
    of_type,
    optional_aware,
    to_map,
    to_string_tuple,
    to_strings,
    to_timedelta,
)
from .errors import InvalidValue

__all__ = [
    "FLAG",
    "MAX_PRIORITY",
    "OPTIONAL_TEXT",
    "TEXT",
    "int_in",
    "int_map",
    "optional_count",
    "positive_int",
    "to_avoid",
    "to_channel_wrap_up",
    "to_channels",
    "to_created_at",
    "to_critical",
    "to_int_map",
    "to_languages",
    "to_operator_ids",
    "to_operator_wrap_up",
    "to_overflow_wait",
    "to_pages_exclude",
    "to_pages_include",
    "to_regions_exclude",
    "to_regions_include",
    "to_tags",
    "to_wait",
    "to_warn",
]


def to_warn(value: Any) -> timedelta:
    return to_timedelta(value, "warn")


def to_critical(value: Any) -> timedelta:
    return to_timedelta(value, "critical")


def _wrap_up(value: Any, field: str) -> timedelta:
    """Seconds, a timedelta or a duration text (``"30s"``), not negative (wrap-ups, waits)."""
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ValueError as exc:
            raise InvalidValue(field, value, str(exc).split(" (got")[0]) from None
    duration = to_timedelta(value, field)
    if duration < timedelta(0):
        raise InvalidValue(field, duration, "must not be negative")
    return duration


def to_channel_wrap_up(value: Any) -> timedelta:
    return _wrap_up(value, "wrap_up")


def to_operator_wrap_up(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "wrap_up")


def to_tags(value: Any) -> frozenset[str]:
    return to_strings(value, "tags")


def to_avoid(value: object) -> frozenset[str]:
    if value is EMPTY_SET:  # the default, so most dialogs: one identity check
        return EMPTY_SET
    return to_strings(value, "avoid")


def to_languages(value: Any) -> frozenset[str]:
    return to_strings(value, "languages")


def to_channels(value: Any) -> frozenset[str] | None:
    return None if value is None else to_strings(value, "channels")


def to_regions_include(value: Any) -> frozenset[str]:
    return to_strings(value, "regions_include")


def to_regions_exclude(value: Any) -> frozenset[str]:
    return to_strings(value, "regions_exclude")


def to_operator_ids(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "operator_ids")


def to_pages_include(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "pages_include")


def to_pages_exclude(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "pages_exclude")


def to_wait(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "wait")


def to_overflow_wait(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "overflow.wait")


#: A validator for the optional text fields of values a host builds (ids, codes, URLs).
OPTIONAL_TEXT = of_type(str, optional=True)
TEXT = of_type(str)
FLAG = of_type(bool)

#: Dialog priorities lie in ``-MAX_PRIORITY .. MAX_PRIORITY`` and channel priorities in
#: ``1 .. MAX_PRIORITY``, so queue aging (priority times a duration) stays finite.
MAX_PRIORITY = 1_000_000


def to_created_at(value: Any) -> datetime | None:
    return optional_aware(value, "created_at")


def int_in(low: int, high: int, *, optional: bool = False) -> Any:
    """A validator: an integer (bools refused) in ``low..high``, or None when ``optional``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        _check_int(attribute.name, value, low, high)

    return check


def _check_int(field: str, value: Any, low: int, high: int) -> None:
    if high < MAX_SAFE_INT:
        wanted = f"an integer {low}..{high}"
    else:
        wanted = {0: "a non-negative integer", 1: "an integer of at least 1"}.get(low, "an integer")
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidValue(field, value, f"must be {wanted}")
    if value > high:
        most = "" if high < MAX_SAFE_INT else ", at most 2**53 - 1 (the largest integer JSON carries)"
        raise InvalidValue(field, value, f"must be {wanted}{most}")


positive_int = int_in(1, MAX_SAFE_INT)
optional_count = int_in(0, MAX_SAFE_INT, optional=True)


def to_int_map(value: Any) -> Any:
    try:
        return to_map(value)
    except (TypeError, ValueError):
        return value  # not a mapping: the validator names the field


def int_map(low: int, high: int) -> Any:
    """A validator: a mapping of strings to integers in ``low..high``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Mapping):
            raise InvalidValue(attribute.name, value, "must be a mapping of names to integers")
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValue(f"{attribute.name}[{key!r}]", key, "names must be strings")
            _check_int(f"{attribute.name}[{key!r}]", item, low, high)

    return check
