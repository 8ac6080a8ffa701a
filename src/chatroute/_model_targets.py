"""Where dialogs go, as public values: targets, groups and their overflows (see :mod:`chatroute.model`)."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any, Protocol

import attrs

from ._frozen import non_empty_str, of_type, to_enum
from ._model_fields import (
    FLAG,
    OPTIONAL_TEXT,
    TEXT,
    optional_count,
    to_channels,
    to_operator_ids,
    to_overflow_wait,
    to_pages_exclude,
    to_pages_include,
    to_regions_exclude,
    to_regions_include,
    to_tags,
    to_wait,
)
from .errors import InvalidValue
from .schedule import Schedule

__all__ = ["Group", "Overflow", "StrategyLike", "Target", "TargetKind"]


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


def _to_kind(value: Any) -> TargetKind:
    return to_enum(TargetKind, value, "kind")


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
    id: str | None = attrs.field(default=None, validator=OPTIONAL_TEXT)
    otherwise: Target | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_tags)
    wait: timedelta | None = attrs.field(default=None, converter=to_wait)

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
    queue: int | None = attrs.field(default=None, validator=optional_count)
    wait: timedelta | None = attrs.field(default=None, converter=to_overflow_wait)
    nobody: bool = attrs.field(default=False, validator=FLAG)

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
    name: str = attrs.field(default="", validator=TEXT)
    title: str = attrs.field(default="", validator=TEXT)
    operator_ids: tuple[str, ...] = attrs.field(default=(), converter=to_operator_ids)
    channels: frozenset[str] | None = attrs.field(default=None, converter=to_channels)
    regions_include: frozenset[str] = attrs.field(default=frozenset(), converter=to_regions_include)
    regions_exclude: frozenset[str] = attrs.field(default=frozenset(), converter=to_regions_exclude)
    pages_include: tuple[str, ...] = attrs.field(default=(), converter=to_pages_include)
    pages_exclude: tuple[str, ...] = attrs.field(default=(), converter=to_pages_exclude)
    schedule: Schedule | None = attrs.field(default=None, validator=of_type(Schedule, optional=True))
    enabled: bool = attrs.field(default=True, validator=FLAG)
    strategy: StrategyLike | None = attrs.field(default=None, validator=_strategy)
    limit: int | None = attrs.field(default=None, validator=optional_count)
    overflow: Overflow | None = attrs.field(default=None, validator=of_type(Overflow, optional=True))
    queue_cap: int | None = attrs.field(default=None, validator=optional_count)

    def __attrs_post_init__(self) -> None:
        if self.regions_include and self.regions_exclude:
            raise InvalidValue("regions", self.id, "give include or exclude, not both")
        if len(set(self.operator_ids)) != len(self.operator_ids):
            raise InvalidValue("operator_ids", self.operator_ids, "lists an operator twice")

    @property
    def display_title(self) -> str:
        """What the visitor sees: ``title``, else ``name``, else ``id``."""
        return self.title or self.name or self.id
