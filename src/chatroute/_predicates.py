"""The predicate algebra: the context a predicate sees, the base class and its combinators.

:class:`RuleContext` is what a predicate may look at besides the dialog. :class:`Predicate`
is the abstract base (``__call__``, ``describe()``, ``observed()``, ``explain()``) whose
``&``, ``|`` and ``~`` build the flattened combinators :class:`AllOf`, :class:`AnyOf` and
:class:`Not`; :class:`Always` matches every dialog. :func:`predicates` is the validator of
fields that hold predicates. ``chatroute.rules`` re-exports the public names.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from ._frozen import to_tuple
from .errors import InvalidValue
from .model import Client, Dialog

__all__ = ["AllOf", "Always", "AnyOf", "Not", "Predicate", "RuleContext", "predicates"]


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


def predicates(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise InvalidValue(attribute.name, value, "needs at least one predicate")
    for item in value:
        if not isinstance(item, Predicate):
            raise InvalidValue(attribute.name, item, "is not a predicate")


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

    items: tuple[Predicate, ...] = attrs.field(converter=to_tuple, validator=predicates)

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

    items: tuple[Predicate, ...] = attrs.field(converter=to_tuple, validator=predicates)

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

    item: Predicate = attrs.field(validator=lambda _, a, v: predicates(_, a, (v,)))

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return not self.item(dialog, ctx)

    def describe(self) -> str:
        return f"not {_grouped(self.item)}"

    def observed(self, dialog: Dialog, ctx: RuleContext) -> str | None:
        return self.item.observed(dialog, ctx)


def _grouped(item: Predicate) -> str:
    text = item.describe()
    return f"({text})" if isinstance(item, AllOf | AnyOf) else text
