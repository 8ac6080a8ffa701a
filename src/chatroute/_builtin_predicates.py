"""The built-in predicates and the functions that build them.

Topic, channel, tags (dialog and client), page URL globs, ISO 3166 regions, language,
local time and weekday in a named time zone, business hours (:class:`OpenNow`) and
attribute comparisons (:class:`AttrCompare`, started with :func:`attr`), each a frozen
attrs subclass of :class:`~chatroute.rules.Predicate`, with the lower-case builders
(``topic("billing")``) and the matching helpers :func:`url_matches` and
:func:`region_matches`. ``chatroute.rules`` re-exports them.
"""

from __future__ import annotations

import enum
import fnmatch
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any, ClassVar

import attrs

from ._frozen import (
    DAY_NAMES,
    freeze_value,
    non_empty_str,
    of_type,
    to_days,
    to_enum,
    to_frozenset,
    to_tuple,
)
from ._predicates import Always, Predicate, RuleContext
from .errors import InvalidValue
from .model import Dialog
from .schedule import Schedule

__all__ = [
    "AttrCompare",
    "AttrRef",
    "HasAllTags",
    "HasAnyTag",
    "HasTag",
    "InRegion",
    "LanguageIs",
    "OnChannel",
    "OnWeekday",
    "Op",
    "OpenNow",
    "PageMatches",
    "TimeBetween",
    "TopicIs",
    "always",
    "attr",
    "channel",
    "has_all_tags",
    "has_any_tag",
    "has_tag",
    "language",
    "open_now",
    "page",
    "region",
    "region_matches",
    "time_between",
    "topic",
    "url_matches",
    "weekday",
]


def _to_op(value: Any) -> Op:
    return to_enum(Op, value, "op")


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))


def _one_or_many(noun: str, values: frozenset[str] | tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{noun} is {next(iter(values))!r}"
    return f"{noun} is one of {_quoted(values)}"


def _strings(instance: object, attribute: attrs.Attribute[Any], value: Iterable[Any]) -> None:
    items = list(value)
    if not items:
        raise InvalidValue(attribute.name, value, "needs at least one value")
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidValue(attribute.name, item, "must be a non-empty string")


@attrs.frozen(kw_only=True)
class TopicIs(Predicate):
    """The dialog's topic is one of ``topics``."""

    topics: frozenset[str] = attrs.field(converter=to_frozenset, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return dialog.topic in self.topics

    def describe(self) -> str:
        return _one_or_many("topic", self.topics)

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"dialog topic: {dialog.topic!r}"


@attrs.frozen(kw_only=True)
class OnChannel(Predicate):
    """The dialog came through one of ``channels``."""

    channels: frozenset[str] = attrs.field(converter=to_frozenset, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return dialog.channel in self.channels

    def describe(self) -> str:
        return _one_or_many("channel", self.channels)

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"dialog channel: {dialog.channel!r}"


def _all_tags(dialog: Dialog, ctx: RuleContext) -> frozenset[str]:
    if ctx.client is None or not ctx.client.tags:
        return dialog.tags
    return dialog.tags | ctx.client.tags


class _TagPredicate(Predicate):
    """Base of the tag predicates: they all look at dialog and client tags."""

    __slots__ = ()

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        tags = _all_tags(dialog, ctx)
        return f"tags: {_quoted(tags)}" if tags else "no tags"


@attrs.frozen(kw_only=True)
class HasTag(_TagPredicate):
    """The dialog or its client carries ``tag``."""

    tag: str = attrs.field(validator=non_empty_str)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return self.tag in dialog.tags or (ctx.client is not None and self.tag in ctx.client.tags)

    def describe(self) -> str:
        return f"has tag {self.tag!r}"


@attrs.frozen(kw_only=True)
class HasAnyTag(_TagPredicate):
    """The dialog or its client carries at least one of ``tags``."""

    tags: frozenset[str] = attrs.field(converter=to_frozenset, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return not self.tags.isdisjoint(_all_tags(dialog, ctx))

    def describe(self) -> str:
        return f"has any tag of {_quoted(self.tags)}"


@attrs.frozen(kw_only=True)
class HasAllTags(_TagPredicate):
    """The dialog and its client together carry every one of ``tags``."""

    tags: frozenset[str] = attrs.field(converter=to_frozenset, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return self.tags <= _all_tags(dialog, ctx)

    def describe(self) -> str:
        return f"has all tags {_quoted(self.tags)}"


def url_matches(url: str | None, globs: Iterable[str]) -> bool:
    """Whether a page URL matches any of the globs (``*`` spans any characters)."""
    return url is not None and any(fnmatch.fnmatchcase(url, glob) for glob in globs)


@attrs.frozen(kw_only=True)
class PageMatches(Predicate):
    """The dialog's page URL matches one of the globs (``*/finance*``)."""

    globs: tuple[str, ...] = attrs.field(converter=to_tuple, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return url_matches(dialog.page_url, self.globs)

    def describe(self) -> str:
        return _one_or_many("page", self.globs).replace(" is ", " matches ", 1)

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"page: {dialog.page_url!r}"


def region_matches(region: str | None, codes: Iterable[str]) -> bool:
    """Whether a region code falls in any of the codes; a country covers its subdivisions.

    >>> region_matches("RU-MOW", {"RU"}), region_matches("RU-SPE", {"RU-MOW"})
    (True, False)
    """
    if not region:
        return False
    return any(region == code or region.startswith(code + "-") for code in codes)


@attrs.frozen(kw_only=True)
class InRegion(Predicate):
    """The dialog comes from one of the ISO 3166 regions (``RU`` covers ``RU-MOW``)."""

    codes: frozenset[str] = attrs.field(converter=to_frozenset, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return region_matches(ctx.region or dialog.region, self.codes)

    def describe(self) -> str:
        return _one_or_many("region", self.codes)

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        found = ctx.region or dialog.region
        return f"region: {found!r}" if found else "region unknown"


def _lower_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(v.lower() if isinstance(v, str) else v for v in to_frozenset(value))


@attrs.frozen(kw_only=True)
class LanguageIs(Predicate):
    """The dialog's language is one of ``languages`` (case-insensitive)."""

    languages: frozenset[str] = attrs.field(converter=_lower_set, validator=_strings)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return dialog.language is not None and dialog.language.lower() in self.languages

    def describe(self) -> str:
        return _one_or_many("language", self.languages)

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"dialog language: {dialog.language!r}"


def _zone(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidValue(attribute.name, value, "unknown IANA time zone") from None


def _to_time(value: time | str) -> time:
    try:
        parsed = value if isinstance(value, time) else time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidValue("time", value, "give a time such as '09:30'") from None
    if parsed.tzinfo is not None:
        raise InvalidValue("time", value, "give a local time without an offset; the zone is tz")
    return parsed


@attrs.frozen(kw_only=True)
class TimeBetween(Predicate):
    """Local time in ``tz`` is in ``[start, end)``; a window may cross midnight (22:00-06:00)."""

    start: time = attrs.field(converter=_to_time)
    end: time = attrs.field(converter=_to_time)
    tz: str = attrs.field(default="UTC", validator=_zone)

    def _local(self, ctx: RuleContext) -> datetime:
        return ctx.now.astimezone(zoneinfo.ZoneInfo(self.tz))

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        now = self._local(ctx).time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def describe(self) -> str:
        return f"time is {self.start:%H:%M}-{self.end:%H:%M} {self.tz}"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"local time {self._local(ctx):%H:%M %a}"


@attrs.frozen(kw_only=True)
class OpenNow(Predicate):
    """The business hours of ``schedule`` are open at the routing time.

    Jivo: one scenario in working hours, another at night and on holidays.

    >>> from datetime import datetime, UTC
    >>> hours = Schedule.weekdays("09:00", "18:00", tz="Europe/Moscow")
    >>> ctx = RuleContext(now=datetime(2026, 1, 10, 7, 0, tzinfo=UTC))  # Saturday
    >>> open_now(hours).explain(Dialog(id="d1"), ctx)
    'open now (Mon-Fri 09:00-18:00 Europe/Moscow): no (closed until Mon 09:00 Europe/Moscow)'
    """

    schedule: Schedule = attrs.field(validator=of_type(Schedule))

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return self.schedule.is_open(ctx.now)

    def describe(self) -> str:
        return f"open now ({self.schedule.describe()})"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return self.schedule.closed_until(ctx.now)


def _some_days(instance: object, attribute: attrs.Attribute[Any], value: frozenset[int]) -> None:
    if not value:
        raise InvalidValue(attribute.name, value, "needs at least one day")


@attrs.frozen(kw_only=True)
class OnWeekday(Predicate):
    """The local day in ``tz`` is one of ``days`` (0 is Monday)."""

    days: frozenset[int] = attrs.field(converter=to_days, validator=_some_days)
    tz: str = attrs.field(default="UTC", validator=_zone)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return ctx.now.astimezone(zoneinfo.ZoneInfo(self.tz)).weekday() in self.days

    def describe(self) -> str:
        names = ", ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"weekday is {names} in {self.tz}"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return f"local day {ctx.now.astimezone(zoneinfo.ZoneInfo(self.tz)):%a}"


class Op(enum.Enum):
    """Comparison operators of :class:`~chatroute.rules.AttrCompare`."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"


@attrs.frozen(kw_only=True)
class AttrCompare(Predicate):
    """``dialog.attributes[name] <op> value``; a missing attribute, or values that cannot be
    ordered against each other (``"9" < 10``), never match."""

    name: str = attrs.field(validator=non_empty_str)
    op: Op = attrs.field(converter=_to_op)
    value: Any = attrs.field(converter=freeze_value)

    _OPS: ClassVar[dict[Op, Any]] = {
        Op.EQ: lambda a, b: a == b,
        Op.NE: lambda a, b: a != b,
        Op.LT: lambda a, b: a < b,
        Op.LE: lambda a, b: a <= b,
        Op.GT: lambda a, b: a > b,
        Op.GE: lambda a, b: a >= b,
        Op.IN: lambda a, b: a in b,
    }

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        if self.name not in dialog.attributes:
            return False
        try:
            return bool(self._OPS[self.op](dialog.attributes[self.name], self.value))
        except TypeError:
            return False

    def describe(self) -> str:
        return f"attribute {self.name!r} {self.op.value} {self.value!r}"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        if self.name not in dialog.attributes:
            return f"no attribute {self.name!r}"
        return f"{self.name}={dialog.attributes[self.name]!r}"


class AttrRef:
    """The left side of an attribute comparison: ``attr("amount") > 1000``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, value: object) -> AttrCompare:  # type: ignore[override]
        return AttrCompare(name=self.name, op=Op.EQ, value=value)

    def __ne__(self, value: object) -> AttrCompare:  # type: ignore[override]
        return AttrCompare(name=self.name, op=Op.NE, value=value)

    def __lt__(self, value: object) -> AttrCompare:
        return AttrCompare(name=self.name, op=Op.LT, value=value)

    def __le__(self, value: object) -> AttrCompare:
        return AttrCompare(name=self.name, op=Op.LE, value=value)

    def __gt__(self, value: object) -> AttrCompare:
        return AttrCompare(name=self.name, op=Op.GT, value=value)

    def __ge__(self, value: object) -> AttrCompare:
        return AttrCompare(name=self.name, op=Op.GE, value=value)

    def is_in(self, values: Iterable[Any]) -> AttrCompare:
        """The attribute is one of ``values``."""
        return AttrCompare(name=self.name, op=Op.IN, value=tuple(values))

    __hash__ = None  # type: ignore[assignment]


def always() -> Always:
    """A predicate that matches every dialog."""
    return Always()


def topic(*topics: str) -> TopicIs:
    """The dialog's topic is one of ``topics``."""
    return TopicIs(topics=topics)


def channel(*channels: str) -> OnChannel:
    """The dialog came through one of ``channels``."""
    return OnChannel(channels=channels)


def has_tag(tag: str) -> HasTag:
    """The dialog or its client has ``tag``."""
    return HasTag(tag=tag)


def has_any_tag(*tags: str) -> HasAnyTag:
    """The dialog or its client has at least one of ``tags``."""
    return HasAnyTag(tags=tags)


def has_all_tags(*tags: str) -> HasAllTags:
    """The dialog and its client together have all of ``tags``."""
    return HasAllTags(tags=tags)


def page(*globs: str) -> PageMatches:
    """The page URL matches one of the globs."""
    return PageMatches(globs=globs)


def region(*codes: str) -> InRegion:
    """The visitor is in one of the ISO 3166 regions."""
    return InRegion(codes=codes)


def language(*codes: str) -> LanguageIs:
    """The dialog's language is one of ``codes``."""
    return LanguageIs(languages=codes)


def time_between(start: time | str, end: time | str, tz: str = "UTC") -> TimeBetween:
    """Local time in ``tz`` is in ``[start, end)``."""
    return TimeBetween(start=start, end=end, tz=tz)


def weekday(*days: int | str, tz: str = "UTC") -> OnWeekday:
    """The local weekday in ``tz`` is one of ``days`` (0 or "mon" is Monday)."""
    return OnWeekday(days=days, tz=tz)


def open_now(schedule: Schedule) -> OpenNow:
    """The schedule's business hours are open at the routing time."""
    return OpenNow(schedule=schedule)


def attr(name: str) -> AttrRef:
    """Start an attribute comparison: ``attr("amount") >= 1000``."""
    return AttrRef(name)
