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

from datetime import timedelta
from itertools import pairwise
from typing import Any

import attrs

from ._builtin_predicates import (
    AttrCompare,
    AttrRef,
    HasAllTags,
    HasAnyTag,
    HasTag,
    InRegion,
    LanguageIs,
    OnChannel,
    OnWeekday,
    Op,
    OpenNow,
    PageMatches,
    TimeBetween,
    TopicIs,
    always,
    attr,
    channel,
    has_all_tags,
    has_any_tag,
    has_tag,
    language,
    open_now,
    page,
    region,
    region_matches,
    time_between,
    topic,
    url_matches,
    weekday,
)
from ._frozen import non_empty_str, to_timedelta, to_tuple
from ._predicates import AllOf, Always, AnyOf, Not, Predicate, RuleContext, predicates
from .errors import InvalidValue
from .model import Target, TargetKind

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
    "region_matches",
    "time_between",
    "topic",
    "url_matches",
    "weekday",
]


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
    when: Predicate = attrs.field(validator=lambda _, a, v: predicates(_, a, (v,)))
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

    The name defaults to ``on``; give one when two triggers share an event.
    """

    on: str = attrs.field(validator=non_empty_str)
    name: str = attrs.field(
        default=attrs.Factory(lambda self: self.on, takes_self=True), validator=non_empty_str
    )
    when: Predicate = attrs.field(factory=lambda: Always(), validator=lambda _, a, v: predicates(_, a, (v,)))
    to: Target = attrs.field(validator=_rule_target)

    def describe(self) -> str:
        """The trigger in words."""
        return f"{self.name}: on {self.on!r} if {self.when.describe()} then {self.to}"
