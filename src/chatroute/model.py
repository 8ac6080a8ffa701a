"""Immutable values: channels, statuses, operators, groups, clients, dialogs, targets.

All are frozen, slotted attrs classes with keyword-only arguments; change them with
:func:`attrs.evolve`. Containers are converted on the way in to tuples, frozensets and
read-only :class:`~chatroute._frozen.FrozenMap` mappings, so a value can be shared
freely and hashed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from ._durations import parse_duration
from ._frozen import (
    EMPTY_MAP,
    MAX_SAFE_INT,
    non_empty_str,
    of_type,
    optional_aware,
    to_deep_map,
    to_enum,
    to_map,
    to_string_tuple,
    to_strings,
    to_timedelta,
)
from .errors import InvalidValue
from .requirements import Relax, to_relaxes
from .schedule import Schedule

__all__ = [
    "AWAY",
    "BUILTIN_STATUSES",
    "MAX_PRIORITY",
    "OFFLINE",
    "ONLINE",
    "SLA",
    "Channel",
    "Client",
    "Dialog",
    "DialogState",
    "Group",
    "Operator",
    "Overflow",
    "Rating",
    "RatingScale",
    "SlaLevel",
    "Status",
    "StrategyLike",
    "Target",
    "TargetKind",
    "Visitor",
]


def _to_warn(value: Any) -> timedelta:
    return to_timedelta(value, "warn")


def _to_critical(value: Any) -> timedelta:
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


def _to_channel_wrap_up(value: Any) -> timedelta:
    return _wrap_up(value, "wrap_up")


def _to_operator_wrap_up(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "wrap_up")


def _to_tags(value: Any) -> frozenset[str]:
    return to_strings(value, "tags")


def _to_languages(value: Any) -> frozenset[str]:
    return to_strings(value, "languages")


def _to_channels(value: Any) -> frozenset[str] | None:
    return None if value is None else to_strings(value, "channels")


def _to_regions_include(value: Any) -> frozenset[str]:
    return to_strings(value, "regions_include")


def _to_regions_exclude(value: Any) -> frozenset[str]:
    return to_strings(value, "regions_exclude")


def _to_operator_ids(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "operator_ids")


def _to_pages_include(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "pages_include")


def _to_pages_exclude(value: Any) -> tuple[str, ...]:
    return to_string_tuple(value, "pages_exclude")


def _to_kind(value: Any) -> TargetKind:
    return to_enum(TargetKind, value, "kind")


def _to_wait(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "wait")


def _to_overflow_wait(value: Any) -> timedelta | None:
    return None if value is None else _wrap_up(value, "overflow.wait")


#: A validator for the optional text fields of values a host builds (ids, codes, URLs).
_OPTIONAL_TEXT = of_type(str, optional=True)
_TEXT = of_type(str)
_FLAG = of_type(bool)

#: Dialog priorities lie in ``-MAX_PRIORITY .. MAX_PRIORITY`` and channel priorities in
#: ``1 .. MAX_PRIORITY``, so queue aging (priority times a duration) stays finite.
MAX_PRIORITY = 1_000_000


def _to_created_at(value: Any) -> datetime | None:
    return optional_aware(value, "created_at")


def _to_scale(value: Any) -> RatingScale:
    return to_enum(RatingScale, value, "scale")


def _int_in(low: int, high: int, *, optional: bool = False) -> Any:
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


_positive_int = _int_in(1, MAX_SAFE_INT)
_limit = _int_in(0, MAX_SAFE_INT, optional=True)


def _to_int_map(value: Any) -> Any:
    try:
        return to_map(value)
    except (TypeError, ValueError):
        return value  # not a mapping: the validator names the field


def _int_map(low: int, high: int) -> Any:
    """A validator: a mapping of strings to integers in ``low..high``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Mapping):
            raise InvalidValue(attribute.name, value, "must be a mapping of names to integers")
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValue(f"{attribute.name}[{key!r}]", key, "names must be strings")
            _check_int(f"{attribute.name}[{key!r}]", item, low, high)

    return check


class StrategyLike(Protocol):
    """What a group's own strategy is to the model: a :class:`chatroute.strategies.Strategy`.

    Named here by the little the model and its readers ask of it, because strategies
    read the model's dialogs and clients and the model must not depend on them.
    :class:`~chatroute.config.RoutingConfig` checks that every group's strategy is a
    ``Strategy``, and :meth:`~chatroute.config.RoutingConfig.strategy_of` gives it as one.
    """

    manual: bool
    broadcast: bool

    def describe(self) -> str:
        """The strategy in words."""
        ...


def _strategy(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A strategy or None; a strategy is anything with a ``choose`` method (the protocol)."""
    if value is not None and not callable(getattr(value, "choose", None)):
        raise InvalidValue(attribute.name, value, "must be a Strategy such as Even(), or None")


class SlaLevel(enum.Enum):
    """How long a dialog has waited, against its channel's thresholds (LiveTex)."""

    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"


@attrs.frozen(kw_only=True)
class SLA:
    """Highlight thresholds for a waiting dialog: yellow after ``warn``, red after ``critical``.

    Seconds are accepted for both and converted to :class:`~datetime.timedelta`.
    """

    warn: timedelta = attrs.field(default=timedelta(seconds=30), converter=_to_warn)
    critical: timedelta = attrs.field(default=timedelta(seconds=60), converter=_to_critical)

    def __attrs_post_init__(self) -> None:
        if self.warn <= timedelta(0):
            raise InvalidValue("warn", self.warn, "must be positive")
        if self.critical < self.warn:
            raise InvalidValue("critical", self.critical, "must not be shorter than warn")

    def level(self, waited: timedelta) -> SlaLevel:
        """The SLA level after waiting ``waited``."""
        if waited >= self.critical:
            return SlaLevel.CRITICAL
        if waited >= self.warn:
            return SlaLevel.WARN
        return SlaLevel.OK


@attrs.frozen(kw_only=True)
class Channel:
    """A way a dialog reaches the business: site widget, telegram, email...

    Attributes:
        name: the key dialogs use in ``Dialog.channel``.
        priority: 1 is served first; a higher number waits behind lower ones (LiveTex);
            at most :data:`MAX_PRIORITY`.
        sla: thresholds for highlighting a dialog nobody has taken.
        carries_ip: False for social and messenger channels, whose dialogs have no IP.
        capacity_weight: how many units of an operator's limit one dialog takes.
        wrap_up: after-chat work: how long a released dialog's slot stays taken before
            it frees (or until ``Router.ready``); zero for none. Seconds, a timedelta or
            a text such as ``"30s"``.
    """

    name: str = attrs.field(validator=non_empty_str)
    priority: int = attrs.field(default=1, validator=_int_in(1, MAX_PRIORITY))
    sla: SLA = attrs.field(factory=SLA, validator=of_type(SLA))
    carries_ip: bool = attrs.field(default=True, validator=_FLAG)
    capacity_weight: int = attrs.field(default=1, validator=_positive_int)
    wrap_up: timedelta = attrs.field(default=timedelta(0), converter=_to_channel_wrap_up)


@attrs.frozen(kw_only=True)
class Status:
    """An operator status (Jivo): only routable statuses receive new dialogs.

    Attributes:
        key: the id used in calls (``"online"``).
        label: text shown to colleagues.
        emoji: an optional emoji shown beside the label.
        routable: whether an operator in this status receives new dialogs.
        order: where the status sits in the status menu.
    """

    key: str = attrs.field(validator=non_empty_str)
    label: str = attrs.field(default="", validator=_TEXT)
    emoji: str = attrs.field(default="", validator=_TEXT)
    routable: bool = attrs.field(default=False, validator=_FLAG)
    order: int = attrs.field(default=0, validator=_int_in(-MAX_SAFE_INT, MAX_SAFE_INT))


ONLINE = Status(key="online", label="Online", emoji="🟢", routable=True, order=0)
AWAY = Status(key="away", label="Away", emoji="🟡", routable=False, order=1)
OFFLINE = Status(key="offline", label="Offline", emoji="⚪", routable=False, order=2)
BUILTIN_STATUSES = (ONLINE, AWAY, OFFLINE)


@attrs.frozen(kw_only=True)
class Operator:
    """A person who answers dialogs.

    Attributes:
        id: unique operator id.
        name: display name.
        status: key of the status the operator starts in.
        limit: maximum concurrent dialogs; None takes the group's or the config's default.
        channel_limits: optional maximum concurrent dialogs per channel name.
        skills: skill name -> level 1..10.
        languages: language codes the operator speaks.
        tags: free-form tags.
        wrap_up: the operator's own after-chat time, overriding their dialogs' channels'
            (None: the channel's applies).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(default="", validator=_TEXT)
    status: str = attrs.field(default="offline", validator=non_empty_str)
    limit: int | None = attrs.field(default=None, validator=_limit)
    channel_limits: Mapping[str, int] = attrs.field(
        default=EMPTY_MAP, converter=_to_int_map, validator=_int_map(0, MAX_SAFE_INT)
    )
    skills: Mapping[str, int] = attrs.field(
        default=EMPTY_MAP, converter=_to_int_map, validator=_int_map(1, 10)
    )
    languages: frozenset[str] = attrs.field(default=frozenset(), converter=_to_languages)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_to_tags)
    wrap_up: timedelta | None = attrs.field(default=None, converter=_to_operator_wrap_up)


class TargetKind(enum.Enum):
    """What a :class:`Target` points at."""

    GROUP = "group"
    OPERATOR = "operator"
    EVERYONE = "everyone"
    PREFERRED_OPERATOR = "preferred_operator"


@attrs.frozen(kw_only=True, repr=False)
class Target:
    """Where a rule, fallback or transfer sends a dialog.

    Build one with the class methods:

        >>> Target.group("sales")
        Target(kind=<TargetKind.GROUP: 'group'>, id='sales', otherwise=None)
        >>> str(Target.preferred_operator(otherwise=Target.group("sales")))
        "the client's preferred operator, otherwise group 'sales'"
        >>> str(Target.group("sales", tags=["vip"]))
        "group 'sales' tagged 'vip'"

    ``tags`` narrows a group (or everyone) to the operators who carry every one of them
    (``Operator.tags``); a narrowed target must appear in the config (a rule, ring,
    trigger or the fallback), which gives it an index and a queue of its own.
    """

    kind: TargetKind = attrs.field(converter=_to_kind)
    id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    otherwise: Target | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_to_tags)
    wait: timedelta | None = attrs.field(default=None, converter=_to_wait)

    def __repr__(self) -> str:
        tags = f", tags={self.tags!r}" if self.tags else ""
        wait = f", wait={self.wait!r}" if self.wait is not None else ""
        return f"Target(kind={self.kind!r}, id={self.id!r}, otherwise={self.otherwise!r}{tags}{wait})"

    def __attrs_post_init__(self) -> None:
        needs_id = self.kind in (TargetKind.GROUP, TargetKind.OPERATOR)
        if needs_id and not self.id:
            raise InvalidValue("id", self.id, f"a {self.kind.value} target needs an id")
        if not needs_id and self.id is not None:
            raise InvalidValue("id", self.id, f"a {self.kind.value} target takes no id")
        if self.otherwise is not None and self.kind is not TargetKind.PREFERRED_OPERATOR:
            raise InvalidValue("otherwise", self.otherwise, "only a preferred_operator target has one")
        if self.tags and self.kind not in (TargetKind.GROUP, TargetKind.EVERYONE):
            raise InvalidValue("tags", sorted(self.tags), "only a group or everyone can be narrowed by tags")
        if self.wait is not None and self.kind is not TargetKind.PREFERRED_OPERATOR:
            raise InvalidValue("wait", self.wait, "only a preferred_operator target has one")
        if self.wait is not None and self.wait <= timedelta(0):
            raise InvalidValue("wait", self.wait, "must be positive")

    @classmethod
    def group(cls, group_id: str, *, tags: Any = ()) -> Target:
        """Any eligible member of the group (with every one of ``tags``), chosen by the group's strategy."""
        return cls(kind=TargetKind.GROUP, id=group_id, tags=tags)

    @classmethod
    def operator(cls, operator_id: str) -> Target:
        """This operator; the dialog waits for them when they cannot take it now."""
        return cls(kind=TargetKind.OPERATOR, id=operator_id)

    @classmethod
    def everyone(cls, *, tags: Any = ()) -> Target:
        """Any eligible operator (with every one of ``tags``), chosen by the config's default strategy."""
        return cls(kind=TargetKind.EVERYONE, tags=tags)

    @classmethod
    def preferred_operator(cls, otherwise: Target | None = None, wait: timedelta | None = None) -> Target:
        """The client's preferred (managing) operator when eligible now, else ``otherwise``.

        Without ``otherwise`` the config's fallback applies. With ``wait``, a preferred
        operator who is routable but busy (at their limit) is waited for, up to that
        long, even though others are free; then ``otherwise`` applies.
        """
        return cls(kind=TargetKind.PREFERRED_OPERATOR, otherwise=otherwise, wait=wait)

    def __str__(self) -> str:
        tagged = (" tagged " + " and ".join(repr(tag) for tag in sorted(self.tags))) if self.tags else ""
        if self.kind is TargetKind.GROUP:
            return f"group {self.id!r}{tagged}"
        if self.kind is TargetKind.OPERATOR:
            return f"operator {self.id!r}"
        if self.kind is TargetKind.EVERYONE:
            return "everyone" + tagged
        tail = f", otherwise {self.otherwise}" if self.otherwise else ""
        if self.wait is not None:
            tail = f" (waited for up to {self.wait.total_seconds():g} s){tail}"
        return f"the client's preferred operator{tail}"


@attrs.frozen(kw_only=True)
class Overflow:
    """When a group's new dialogs go on to another target instead of waiting in the group.

    A dialog that would wait in the group goes to ``to`` when any of the conditions
    given holds (those left out do not apply):

        >>> Overflow(to=Target.group("support"), queue=10, nobody=True).describe()
        "to group 'support' when 10 or more dialogs wait or nobody is routable"

    Attributes:
        to: where the dialog goes instead (its own overflow may send it further).
        queue: the group's queue holds this many dialogs or more.
        wait: the estimated wait of a new dialog exceeds this: the dialogs waiting plus
            one, times the router's mean handle time, over the group's capacity (the
            limits of its routable members); nobody routable counts as longer than any.
        nobody: no member of the group is routable now (their capacity is zero).
    """

    to: Target = attrs.field(validator=of_type(Target))
    queue: int | None = attrs.field(default=None, validator=_limit)
    wait: timedelta | None = attrs.field(default=None, converter=_to_overflow_wait)
    nobody: bool = attrs.field(default=False, validator=_FLAG)

    def __attrs_post_init__(self) -> None:
        if self.queue is None and self.wait is None and not self.nobody:
            raise InvalidValue("overflow", self.to, "give at least one of queue, wait or nobody")
        if self.wait is not None and self.wait < timedelta(0):
            raise InvalidValue("overflow.wait", self.wait, "must not be negative")

    def describe(self) -> str:
        """The overflow in words."""
        when = []
        if self.queue is not None:
            when.append(f"{self.queue} or more dialogs wait")
        if self.wait is not None:
            when.append(f"the estimated wait exceeds {self.wait.total_seconds():g} s")
        if self.nobody:
            when.append("nobody is routable")
        return f"to {self.to} when {' or '.join(when)}"


@attrs.frozen(kw_only=True)
class Group:
    """A department: operators who share dialogs, with filters on what reaches them.

    Attributes:
        id: unique group id, used by rules and transfers.
        name: internal name, seen by operators.
        title: name shown to the visitor (Jivo, Callibri); defaults to ``name``.
        operator_ids: members; one operator may be in many groups.
        channels: channel names this group takes; None means all channels.
        regions_include / regions_exclude: ISO 3166 codes (``RU``, ``RU-MOW``); give one
            list or the other, not both.
        pages_include / pages_exclude: URL globs (``*/finance*``).
        schedule: business hours; a closed group takes no new dialogs. None means
            always open.
        enabled: a disabled group takes nothing.
        strategy: overrides the config's default strategy inside this group.
        limit: default concurrent-dialog limit for members who have none of their own.
        overflow: where new dialogs go instead of waiting here, and when (None: they
            wait here).
        queue_cap: at most this many dialogs wait here; a new dialog that would wait
            past it is ``rejected`` with the reason code ``queue_full`` (None: no cap).
    """

    id: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(default="", validator=_TEXT)
    title: str = attrs.field(default="", validator=_TEXT)
    operator_ids: tuple[str, ...] = attrs.field(default=(), converter=_to_operator_ids)
    channels: frozenset[str] | None = attrs.field(default=None, converter=_to_channels)
    regions_include: frozenset[str] = attrs.field(default=frozenset(), converter=_to_regions_include)
    regions_exclude: frozenset[str] = attrs.field(default=frozenset(), converter=_to_regions_exclude)
    pages_include: tuple[str, ...] = attrs.field(default=(), converter=_to_pages_include)
    pages_exclude: tuple[str, ...] = attrs.field(default=(), converter=_to_pages_exclude)
    schedule: Schedule | None = attrs.field(default=None, validator=of_type(Schedule, optional=True))
    enabled: bool = attrs.field(default=True, validator=_FLAG)
    strategy: StrategyLike | None = attrs.field(default=None, validator=_strategy)
    limit: int | None = attrs.field(default=None, validator=_limit)
    overflow: Overflow | None = attrs.field(default=None, validator=of_type(Overflow, optional=True))
    queue_cap: int | None = attrs.field(default=None, validator=_limit)

    def __attrs_post_init__(self) -> None:
        if self.regions_include and self.regions_exclude:
            raise InvalidValue("regions", self.id, "give include or exclude, not both")
        if len(set(self.operator_ids)) != len(self.operator_ids):
            raise InvalidValue("operator_ids", self.operator_ids, "lists an operator twice")

    @property
    def display_title(self) -> str:
        """What the visitor sees: ``title``, else ``name``, else ``id``."""
        return self.title or self.name or self.id


@attrs.frozen(kw_only=True)
class Client:
    """The person on the other side of dialogs.

    Attributes:
        id: unique client id.
        tags: tags on the client (Chat2Desk), seen by tag predicates.
        preferred_operator_id: the client's managing operator, if any.
        last_operator_id: who handled the client last; the router keeps it up to date.
    """

    id: str = attrs.field(validator=non_empty_str)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_to_tags)
    preferred_operator_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    last_operator_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)


@attrs.frozen(kw_only=True)
class Dialog:
    """An incoming conversation as the host knows it when asking where it goes.

    Attributes:
        id: unique dialog id.
        client_id: the client, if known.
        channel: channel name.
        created_at: when the client started it (defaults to the routing time).
        topic: a topic chosen by the visitor or a bot.
        tags: dialog tags.
        page_url: the page the widget was opened on.
        ip: visitor IP, when the channel carries one.
        region: ISO 3166 region code, if already known.
        language: language code.
        priority: lower is served sooner within the same channel priority (default 0),
            from ``-MAX_PRIORITY`` to :data:`MAX_PRIORITY` (a million).
        required_skills: skill -> minimum level an operator needs.
        relax: how its requirements (skills, language) relax while it waits
            (:class:`~chatroute.requirements.Relax`); these replace the config's
            ``relax`` for the same requirement.
        chosen_group_id: the department the visitor picked, if any.
        attributes: plain JSON data for ``attr`` predicates: strings, integers within
            ±(2**53 - 1), finite floats, booleans, None, lists and mappings with string
            keys, nested at most 32 deep; anything else raises ``InvalidValue`` naming
            the path (``attributes['amount']``).
    """

    id: str = attrs.field(validator=non_empty_str)
    client_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    channel: str = attrs.field(default="site", validator=non_empty_str)
    created_at: datetime | None = attrs.field(default=None, converter=_to_created_at)
    topic: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_to_tags)
    page_url: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    ip: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    region: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    language: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    priority: int = attrs.field(default=0, validator=_int_in(-MAX_PRIORITY, MAX_PRIORITY))
    required_skills: Mapping[str, int] = attrs.field(
        default=EMPTY_MAP, converter=_to_int_map, validator=_int_map(1, 10)
    )
    chosen_group_id: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    attributes: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=to_deep_map)
    relax: tuple[Relax, ...] = attrs.field(default=(), converter=to_relaxes)


@attrs.frozen(kw_only=True)
class Visitor:
    """Someone on the site who has not started a dialog yet (the widget's question).

    The widget asks :meth:`Router.available_groups` which departments to show this
    visitor (Callibri), then starts a :class:`Dialog` with :meth:`dialog`.

    Attributes:
        ip: the visitor's IP, when the channel carries one.
        url: the page the widget is open on.
        channel: channel name.
        language: language code.
        region: ISO 3166 region code, when the host knows it already (skips GeoIP).
    """

    ip: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    url: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    channel: str = attrs.field(default="site", validator=non_empty_str)
    language: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    region: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)

    def dialog(self, dialog_id: str, **fields: Any) -> Dialog:
        """A dialog started by this visitor, e.g. after they picked a department.

        Args:
            dialog_id: the new dialog's id.
            **fields: any other :class:`Dialog` field (``chosen_group_id``, ``topic`` ...).

        Example:
            >>> Visitor(ip="203.0.113.9", url="https://shop.example/cars").dialog(
            ...     "d1", chosen_group_id="sales"
            ... ).page_url
            'https://shop.example/cars'
        """
        seen = {"ip": self.ip, "page_url": self.url, "channel": self.channel}
        seen |= {"language": self.language, "region": self.region}
        return Dialog(id=dialog_id, **(seen | fields))


class DialogState(enum.Enum):
    """Where a dialog is: exactly one of these at any time."""

    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class RatingScale(enum.Enum):
    """Rating scales of Jivo and Chat2Desk, with the values each allows."""

    LIKE = "like"  # 0 dislike, 1 like
    SMILEYS_3 = "smileys3"  # 1..3
    SMILEYS_5 = "smileys5"  # 1..5
    TEN = "ten"  # 1..10

    @property
    def bounds(self) -> tuple[int, int]:
        """Lowest and highest allowed value."""
        return {
            RatingScale.LIKE: (0, 1),
            RatingScale.SMILEYS_3: (1, 3),
            RatingScale.SMILEYS_5: (1, 5),
            RatingScale.TEN: (1, 10),
        }[self]


@attrs.frozen(kw_only=True)
class Rating:
    """A client's rating of a closed dialog.

    Example:
        >>> Rating(scale=RatingScale.SMILEYS_5, value=4).score
        0.75
    """

    scale: RatingScale = attrs.field(converter=_to_scale)
    value: int

    def __attrs_post_init__(self) -> None:
        low, high = self.scale.bounds
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidValue("rating.value", self.value, "must be an integer")
        if not low <= self.value <= high:
            raise InvalidValue(
                "rating.value", self.value, f"must be in {low}..{high} on the {self.scale.value} scale"
            )

    @property
    def score(self) -> float:
        """The rating on a 0..1 scale."""
        low, high = self.scale.bounds
        return (self.value - low) / (high - low)

    @property
    def positive(self) -> bool:
        """Whether the rating is in the upper half of its scale."""
        return self.score > 0.5

    @property
    def negative(self) -> bool:
        """Whether the rating is in the lower half of its scale."""
        return self.score < 0.5

    @property
    def sentiment(self) -> str:
        """``"positive"``, ``"negative"`` or ``"neutral"`` (the middle of an odd scale).

        Jivo and Chat2Desk send an automatic reply to good and bad ratings.

        >>> Rating(scale=RatingScale.SMILEYS_3, value=2).sentiment
        'neutral'
        >>> Rating(scale=RatingScale.LIKE, value=0).sentiment
        'negative'
        """
        return "positive" if self.positive else "negative" if self.negative else "neutral"
