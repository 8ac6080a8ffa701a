"""Deeply immutable containers and the attrs converters and validators that build them."""

from __future__ import annotations

import enum
import math
import reprlib
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


#: The largest integer every JSON reader carries exactly (RFC 7493, I-JSON): 2**53 - 1.
MAX_SAFE_INT = 2**53 - 1

#: How deeply host data (``Dialog.attributes``, ``Router.handle(data=...)``) may nest.
MAX_JSON_DEPTH = 32

_JSON_TYPES = "str, int, float, bool, None, a list or a mapping with string keys"


def json_value(value: Any, field: str) -> Any:
    """Check that ``value`` is plain JSON data and return it deeply frozen.

    Plain JSON data is what survives a JSON round trip unchanged: ``None``, ``bool``,
    ``str``, ``int`` within ±:data:`MAX_SAFE_INT`, finite ``float``, lists and tuples
    (frozen to tuples) and mappings with string keys (frozen to :class:`FrozenMap`),
    nested at most :data:`MAX_JSON_DEPTH` deep.

    Example:
        >>> json_value({"cart": [1, {"sku": "A-1"}]}, "attributes")
        FrozenMap({'cart': (1, FrozenMap({'sku': 'A-1'}))})

    Raises:
        InvalidValue: naming the path inside ``field`` of the first value that is not
            plain JSON, e.g. ``attributes['amount']`` for a ``Decimal`` amount.
    """
    return _json(value, field, 0)


def _json(value: Any, path: str, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _json_text(value, path)
    if isinstance(value, int):
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return int(value)  # an IntEnum member reads back from JSON as its plain int
        raise InvalidValue(path, value, "integers must be within ±(2**53 - 1) to survive JSON")
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        raise InvalidValue(path, value, "NaN and infinities are not JSON numbers")
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_JSON_DEPTH:
        raise InvalidValue(path, reprlib.repr(value), f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValue(path, key, "keys must be strings to survive JSON")
            items.append((_json_text(key, path), _json(item, f"{path}[{key!r}]", depth + 1)))
        return FrozenMap(items)
    if isinstance(value, list | tuple):
        return tuple(_json(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
    problem = f"a {type(value).__name__} is not JSON data: give {_JSON_TYPES}"
    raise InvalidValue(path, reprlib.repr(value), problem)


def _json_text(value: str, path: str) -> str:
    """A plain ``str`` that UTF-8 can encode (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(path, value, "a string with lone surrogates is not UTF-8 text") from None
    return str.__str__(value)  # a str subclass (StrEnum) reads back from JSON as a plain str


def freeze_value(value: Any) -> Any:
    """Plain JSON data (dicts, lists) as hashable equivalents (FrozenMap, tuple).

    Raises:
        InvalidValue: naming ``value`` and the path inside it, as :func:`json_value`.
    """
    return json_value(value, "value")


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
    """attrs converter: plain JSON data under string keys to a deeply frozen FrozenMap.

    Raises:
        InvalidValue: naming ``attributes`` and the path inside it (see :func:`json_value`).
    """
    if value is None or (isinstance(value, Mapping) and not value):
        return EMPTY_MAP
    if not isinstance(value, Mapping):
        raise InvalidValue("attributes", reprlib.repr(value), "must be a mapping with string keys")
    frozen: FrozenMap[str, Any] = json_value(value, "attributes")
    return frozen


def to_frozenset(value: Iterable[Any] | None) -> frozenset[Any]:
    """attrs converter: any iterable (or None) to a frozenset; a lone string is one item."""
    if value is None or (isinstance(value, frozenset | set | tuple | list) and not value):
        return EMPTY_SET  # one shared empty set: CPython makes a new one per frozenset() call
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def to_strings(value: Any, field: str) -> frozenset[str]:
    """Strings (one string, an iterable of them, or None) to a frozenset.

    Raises:
        InvalidValue: naming ``field``, for anything that is not strings (``tags=[42]``).
    """
    try:
        items = to_frozenset(value)
    except TypeError:
        raise InvalidValue(field, reprlib.repr(value), "give a list of strings") from None
    for item in items:
        if not isinstance(item, str):
            raise InvalidValue(field, item, "must hold strings only")
    return items


def to_string_tuple(value: Any, field: str) -> tuple[str, ...]:
    """Strings (one string, an iterable of them, or None) to a tuple, keeping their order.

    Raises:
        InvalidValue: naming ``field`` and the position of the first item that is not a
            string (``operator_ids[1]``).
    """
    try:
        items = to_tuple(value)
    except TypeError:
        raise InvalidValue(field, reprlib.repr(value), "give a list of strings") from None
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidValue(f"{field}[{i}]", item, "must be a string")
    return items


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


#: The longest duration a setting may hold (SLA thresholds, timeouts, grace periods,
#: aging, escalation rings, handle times): 3,653 days, about ten years.
MAX_DURATION = timedelta(days=3653)

_MAX_SECONDS = MAX_DURATION.total_seconds()


def to_timedelta(value: timedelta | float | int, field: str = "duration") -> timedelta:
    """Seconds (int or float) or a timedelta, within ±:data:`MAX_DURATION`, to a timedelta.

    Raises:
        InvalidValue: naming ``field``, for anything else (NaN, infinities, huge numbers).
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(field, value, "give seconds or a timedelta")
    else:
        seconds = value
    if not -_MAX_SECONDS <= seconds <= _MAX_SECONDS:  # NaN fails this too
        raise InvalidValue(field, value, f"give at most {_MAX_SECONDS:.0f} seconds (about ten years)")
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


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


#: The earliest and latest instants chatroute accepts: two :data:`MAX_DURATION` s inside
#: the ends of the datetime range (0021-01-02 to 9979-12-30 UTC). The router adds to a
#: time it accepted at most one setting's duration (a deadline, a timeout, a grace
#: period) and a schedule looks 402 days ahead, so its arithmetic never leaves the range.
EARLIEST = datetime.min.replace(tzinfo=UTC) + 2 * MAX_DURATION
LATEST = datetime.max.replace(tzinfo=UTC) - 2 * MAX_DURATION

_OUT_OF_RANGE = f"must be between {EARLIEST.date()} and {LATEST.date()} UTC"


def aware(value: datetime, field: str = "now") -> datetime:
    """Check that a datetime is timezone-aware and in range, and return it in UTC.

    Raises:
        NaiveDatetime: the datetime has no time zone.
        InvalidValue: the value is not a datetime at all, or lies outside
            :data:`EARLIEST` .. :data:`LATEST`.
    """
    if not isinstance(value, datetime):
        raise InvalidValue(field, value, "a timezone-aware datetime is required")
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetime(field, value)
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            raise InvalidValue(field, value, _OUT_OF_RANGE) from None
    else:
        utc = value
    if not EARLIEST <= utc <= LATEST:
        raise InvalidValue(field, value, _OUT_OF_RANGE)
    return utc
