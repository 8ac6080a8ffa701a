"""Composable predicates over a dialog, and ordered routing rules.

A predicate is a small frozen value with ``__call__(dialog, ctx) -> bool`` and
``describe()``. Predicates combine with ``&``, ``|`` and ``~`` into :class:`AllOf`,
:class:`AnyOf` and :class:`Not`; nesting is flattened, so ``a & b & c`` is one
``AllOf`` of three:

    >>> p = topic("billing") & channel("telegram", "whatsapp") & ~has_tag("spam")
    >>> p.describe()
    "topic is 'billing' and channel is one of 'telegram', 'whatsapp' and not has tag 'spam'"
    >>> len(p.items)
    3

Routing tries the rules of a config in order; the first whose predicate matches (and
whose target can take the dialog) wins.
"""

from __future__ import annotations

import abc
import enum
import fnmatch
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from itertools import pairwise
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
    to_timedelta,
    to_tuple,
)
from .errors import InvalidValue
from .model import Client, Dialog, Target, TargetKind
from .schedule import Schedule

__all__ = [
    "AllOf",
    "Always",
    "AnyOf",
    "AttrCompare",
    "AttrRef",
    "HasAllTags",
    "HasAnyTag",
    "HasTag",
    "InRegion",
    "LanguageIs",
    "Not",
    "OnChannel",
    "OnWeekday",
    "Op",
    "OpenNow",
    "PageMatches",
    "Predicate",
    "Ring",
    "Rule",
    "RuleContext",
    "Target",
    "TargetKind",
    "TimeBetween",
    "TopicIs",
    "Trigger",
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
    "time_between",
    "topic",
    "weekday",
]


def _to_op(value: Any) -> Op:
    return to_enum(Op, value, "op")


@attrs.frozen(kw_only=True)
class RuleContext:
    """What a predicate may look at besides the dialog.

    Attributes:
        now: the routing time (aware).
        client: the dialog's client, when the host passed one.
        region: the dialog's region code, resolved once per decision.
    """

    now: datetime
    client: Client | None = None
    region: str | None = None


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))


def _one_or_many(noun: str, values: frozenset[str] | tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{noun} is {next(iter(values))!r}"
    return f"{noun} is one of {_quoted(values)}"


class Predicate(abc.ABC):
    """A yes/no question about a dialog. Subclasses are frozen attrs classes."""

    __slots__ = ()

    @abc.abstractmethod
    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        """Whether the dialog satisfies the predicate."""

    @abc.abstractmethod
    def describe(self) -> str:
        """The condition in words, e.g. ``"topic is 'billing'"``."""

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        """What the dialog had that the predicate looked at, for explanations."""
        return None

    def explain(self, dialog: Dialog, ctx: RuleContext) -> str:
        """``describe()``, the answer, and what the dialog had."""
        seen = self.observed(dialog, ctx)
        answer = "yes" if self(dialog, ctx) else "no"
        return f"{self.describe()}: {answer}" + (f" ({seen})" if seen else "")

    def __and__(self, other: Predicate) -> Predicate:
        return AllOf(items=_flatten(AllOf, (self, other)))

    def __or__(self, other: Predicate) -> Predicate:
        return AnyOf(items=_flatten(AnyOf, (self, other)))

    def __invert__(self) -> Predicate:
        return self.item if isinstance(self, Not) else Not(item=self)


def _flatten(kind: type[AllOf] | type[AnyOf], parts: Iterable[Predicate]) -> tuple[Predicate, ...]:
    flat: list[Predicate] = []
    for part in parts:
        if not isinstance(part, Predicate):
            raise InvalidValue("predicate", part, "can only combine predicates")
        flat.extend(part.items if isinstance(part, kind) else (part,))
    return tuple(flat)


def _predicates(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise InvalidValue(attribute.name, value, "needs at least one predicate")
    for item in value:
        if not isinstance(item, Predicate):
            raise InvalidValue(attribute.name, item, "is not a predicate")


def _strings(instance: object, attribute: attrs.Attribute[Any], value: Iterable[Any]) -> None:
    items = list(value)
    if not items:
        raise InvalidValue(attribute.name, value, "needs at least one value")
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidValue(attribute.name, item, "must be a non-empty string")


@attrs.frozen(kw_only=True)
class Always(Predicate):
    """Matches every dialog."""

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return True

    def describe(self) -> str:
        return "always"


@attrs.frozen(kw_only=True)
class AllOf(Predicate):
    """Matches when every item matches (``a & b``)."""

    items: tuple[Predicate, ...] = attrs.field(converter=to_tuple, validator=_predicates)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return all(item(dialog, ctx) for item in self.items)

    def describe(self) -> str:
        return " and ".join(_grouped(item) for item in self.items)

    def explain(self, dialog: Dialog, ctx: RuleContext) -> str:
        failed = [item for item in self.items if not item(dialog, ctx)]
        if not failed:
            return f"{self.describe()}: yes"
        return f"{self.describe()}: no, because " + "; ".join(i.explain(dialog, ctx) for i in failed)


@attrs.frozen(kw_only=True)
class AnyOf(Predicate):
    """Matches when at least one item matches (``a | b``)."""

    items: tuple[Predicate, ...] = attrs.field(converter=to_tuple, validator=_predicates)

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return any(item(dialog, ctx) for item in self.items)

    def describe(self) -> str:
        return " or ".join(_grouped(item) for item in self.items)

    def explain(self, dialog: Dialog, ctx: RuleContext) -> str:
        hits = [item for item in self.items if item(dialog, ctx)]
        if hits:
            return f"{self.describe()}: yes, because " + hits[0].explain(dialog, ctx)
        parts = "; ".join(item.explain(dialog, ctx) for item in self.items)
        return f"{self.describe()}: no ({parts})"


@attrs.frozen(kw_only=True)
class Not(Predicate):
    """Matches when its item does not (``~a``)."""

    item: Predicate = attrs.field(validator=lambda _, a, v: _predicates(_, a, (v,)))

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return not self.item(dialog, ctx)

    def describe(self) -> str:
        return f"not {_grouped(self.item)}"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return self.item.observed(dialog, ctx)


def _grouped(item: Predicate) -> str:
    text = item.describe()
    return f"({text})" if isinstance(item, AllOf | AnyOf) else text


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
    """Comparison operators of :class:`AttrCompare`."""

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


def _rule_target(instance: object, attribute: attrs.Attribute[Target], value: Target) -> None:
    if not isinstance(value, Target):
        raise InvalidValue(attribute.name, value, "must be a Target")


def _to_after(value: Any) -> timedelta:
    return to_timedelta(value, "after")


@attrs.frozen(kw_only=True)
class Ring:
    """A wider target a waiting dialog may reach after ``after`` of waiting.

    Attributes:
        after: waiting time since the dialog was routed.
        to: the wider target, e.g. a group holding the sibling departments, or everyone.
    """

    after: timedelta = attrs.field(converter=_to_after)
    to: Target = attrs.field(validator=_rule_target)

    def __attrs_post_init__(self) -> None:
        if self.after <= timedelta(0):
            raise InvalidValue("after", self.after, "must be positive")


def _rings(instance: object, attribute: attrs.Attribute[Any], value: tuple[Ring, ...]) -> None:
    for ring in value:
        if not isinstance(ring, Ring):
            raise InvalidValue(attribute.name, ring, "must be a Ring")
    if any(a.after >= b.after for a, b in pairwise(value)):
        raise InvalidValue(attribute.name, [r.after for r in value], "rings must come later and later")


@attrs.frozen(kw_only=True)
class Rule:
    """If ``when`` matches, send the dialog to ``to``; while it waits, widen through ``escalate``.

    >>> r = Rule(name="billing", when=topic("billing"), to=Target.group("accounting"))
    >>> r.describe()
    "billing: if topic is 'billing' then group 'accounting'"
    >>> Rule(name="b", when=topic("billing"), to=Target.group("accounting"),
    ...      escalate=[Ring(after=60, to=Target.group("office")), Ring(after=180, to=Target.everyone())]
    ... ).describe()
    "b: if topic is 'billing' then group 'accounting'; after 60 s group 'office'; after 180 s everyone"
    """

    name: str = attrs.field(validator=non_empty_str)
    when: Predicate = attrs.field(validator=lambda _, a, v: _predicates(_, a, (v,)))
    to: Target = attrs.field(validator=_rule_target)
    escalate: tuple[Ring, ...] = attrs.field(default=(), converter=to_tuple, validator=_rings)

    def describe(self) -> str:
        """The rule in words."""
        rings = "".join(f"; after {r.after.total_seconds():g} s {r.to}" for r in self.escalate)
        return f"{self.name}: if {self.when.describe()} then {self.to}{rings}"


@attrs.frozen(kw_only=True)
class Trigger:
    """On the host's event ``on``, if ``when`` matches, move the dialog to ``to`` (Chat2Desk).

    :meth:`Router.handle` tries the triggers in order; the first that matches and
    would move the dialog somewhere new fires.

    >>> t = Trigger(name="paid", on="invoice.paid", to=Target.group("logistics"))
    >>> t.describe()
    "paid: on 'invoice.paid' if always then group 'logistics'"
    """

    name: str = attrs.field(validator=non_empty_str)
    on: str = attrs.field(validator=non_empty_str)
    when: Predicate = attrs.field(factory=lambda: Always(), validator=lambda _, a, v: _predicates(_, a, (v,)))
    to: Target = attrs.field(validator=_rule_target)

    def describe(self) -> str:
        """The trigger in words."""
        return f"{self.name}: on {self.on!r} if {self.when.describe()} then {self.to}"
