"""Deeply immutable containers and the attrs converters and validators that build them."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from .errors import InvalidValue, NaiveDatetime

K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", bound=enum.Enum)


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping that keeps insertion order.

    Example:
        >>> m = FrozenMap({"b": 2, "a": 1})
        >>> m["a"], len(m), dict(m)
        (1, 2, {'b': 2, 'a': 1})
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Any:
        return self._data.keys()

    def values(self) -> Any:
        return self._data.values()

    def items(self) -> Any:
        return self._data.items()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


EMPTY_MAP: FrozenMap[Any, Any] = FrozenMap()


def freeze_value(value: Any) -> Any:
    """Turn JSON-like data (dicts, lists) into hashable equivalents (FrozenMap, tuple)."""
    if isinstance(value, Mapping):
        return FrozenMap((k, freeze_value(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(freeze_value(v) for v in value)
    if isinstance(value, set | frozenset):
        raise InvalidValue("attributes", value, "sets are not JSON data: use a list")
    return value


def thaw_value(value: Any) -> Any:
    """Inverse of :func:`freeze_value` for JSON: FrozenMap -> dict, tuple -> list."""
    if isinstance(value, Mapping):
        return {k: thaw_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw_value(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(thaw_value(v) for v in value)
    return value


#: The empty frozenset that empty collections of values share.
EMPTY_SET: frozenset[Any] = frozenset()


def to_map(value: Mapping[Any, Any] | None) -> FrozenMap[Any, Any]:
    """attrs converter: any mapping (or None) to a FrozenMap."""
    if value is None:
        return EMPTY_MAP
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value)


def to_deep_map(value: Mapping[str, Any] | None) -> FrozenMap[str, Any]:
    """attrs converter: a JSON-like mapping to a deeply frozen FrozenMap."""
    if not value:
        return EMPTY_MAP
    frozen: FrozenMap[str, Any] = freeze_value(value)
    return frozen


def to_frozenset(value: Iterable[Any] | None) -> frozenset[Any]:
    """attrs converter: any iterable (or None) to a frozenset; a lone string is one item."""
    if value is None or (isinstance(value, frozenset | set | tuple | list) and not value):
        return EMPTY_SET  # one shared empty set: CPython makes a new one per frozenset() call
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def to_tuple(value: Iterable[Any] | None) -> tuple[Any, ...]:
    """attrs converter: any iterable (or None) to a tuple; a lone string is one item."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def to_days(value: Any) -> frozenset[int]:
    """attrs converter: weekdays as 0..6 (Monday is 0) or names ("mon", "Monday"); one or many."""
    items = (value,) if isinstance(value, int | str) else value
    try:
        items = to_tuple(items)
    except TypeError:
        raise InvalidValue("days", value, "give 0..6 (Monday is 0) or day names") from None
    days: set[int] = set()
    for day in items:
        name = day.lower() if isinstance(day, str) else None
        if name is not None and (name in DAY_NAMES or name in _FULL_DAY_NAMES):
            days.add(DAY_NAMES.index(name[:3]))
        elif isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
            days.add(day)
        else:
            raise InvalidValue("days", day, "give 0..6 (Monday is 0) or a day name such as 'mon'")
    return frozenset(days)


def to_timedelta(value: timedelta | float | int, field: str = "duration") -> timedelta:
    """Seconds (int or float) or a timedelta to a timedelta.

    Raises:
        InvalidValue: naming ``field``, for anything else.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue(field, value, "give seconds or a timedelta")
    return timedelta(seconds=value)


def optional_aware(value: datetime | None, field: str) -> datetime | None:
    """None, or an aware datetime normalised to UTC."""
    return None if value is None else aware(value, field)


def to_enum(cls: type[E], value: Any, field: str) -> E:
    """Check that ``value`` is a member of ``cls`` (a plain string is not).

    Raises:
        InvalidValue: naming ``field`` and the allowed members.
    """
    if isinstance(value, cls):
        return value
    allowed = ", ".join(f"{cls.__name__}.{m.name}" for m in cls)
    raise InvalidValue(field, value, f"must be one of {allowed}")


def non_empty_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a non-empty string."""
    if not isinstance(value, str) or not value:
        raise InvalidValue(attribute.name, value, "must be a non-empty string")


def integer(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: an int (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(attribute.name, value, "must be an integer")


def of_type(kind: type, *, optional: bool = False) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """A validator refusing values that are not ``kind`` (or None, when ``optional``)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind) and not (optional and value is None):
            raise InvalidValue(attribute.name, value, f"must be a {kind.__name__}")

    return check


def aware(value: datetime, field: str = "now") -> datetime:
    """Check that a datetime is timezone-aware and return it in UTC.

    Raises:
        NaiveDatetime: the datetime has no time zone.
        InvalidValue: the value is not a datetime at all.
    """
    if not isinstance(value, datetime):
        raise InvalidValue(field, value, "a timezone-aware datetime is required")
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(field, value)
    return value.astimezone(UTC)
