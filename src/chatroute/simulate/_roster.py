"""Rosters and targets for staffing: a config resized to a head count, and "80/30" targets.

The roster grows or shrinks by whole operators while keeping the scenario's shape: the
operators are taken in turn from each group (so every department keeps someone as
long as possible), and beyond the scenario's head count they are cloned (``anna+1``),
with their groups, skills, limit and shifts. Operators named by a rule or the fallback
are always kept.
"""

from __future__ import annotations

import math
import re
from typing import Any

import attrs

from ..config import RoutingConfig
from ..errors import InvalidValue
from ..model import Target, TargetKind
from ._parts import Shift

__all__ = ["ServiceTarget", "operator_limits", "pinned", "roster"]

_TARGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def _share(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise InvalidValue("target", value, "the share must be between 0 and 1 (exclusive)")


def _seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise InvalidValue("target", value, "the time must be a positive number of seconds")


@attrs.frozen(kw_only=True)
class ServiceTarget:
    """A service-level target: ``share`` of dialogs answered within ``seconds``.

    Example:
        >>> str(ServiceTarget.parse("80/30"))
        '80% answered within 30 s'
    """

    share: float = attrs.field(validator=_share)
    seconds: float = attrs.field(validator=_seconds)

    @classmethod
    def parse(cls, text: str) -> ServiceTarget:
        """Read ``"80/30"`` (percent / seconds).

        Raises:
            InvalidValue: anything else.
        """
        match = _TARGET.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidValue("target", text, "give percent/seconds, such as 80/30")
        return cls(share=float(match[1]) / 100, seconds=float(match[2]))

    def __str__(self) -> str:
        return f"{100 * self.share:g}% answered within {self.seconds:g} s"


def operator_limits(config: RoutingConfig) -> tuple[int, int]:
    """The smallest and largest concurrent-dialog limit among the config's operators."""
    limits: dict[str, int] = {}
    for group in config.groups:
        for op_id in group.operator_ids:
            if group.limit is not None:
                limits[op_id] = min(limits.get(op_id, group.limit), group.limit)
    found = [
        op.limit if op.limit is not None else limits.get(op.id, config.default_limit)
        for op in config.operators
    ]
    return (min(found), max(found)) if found else (config.default_limit, config.default_limit)


def pinned(config: RoutingConfig) -> list[str]:
    """Operators a rule or the fallback names: they are never dropped."""
    targets = [rule.to for rule in config.rules] + [config.fallback]
    found: list[str] = []
    for first in targets:
        target: Target | None = first
        while target is not None:
            if target.kind is TargetKind.OPERATOR and target.id not in found:
                found.append(str(target.id))
            target = target.otherwise
    return found


def _order(config: RoutingConfig) -> list[str]:
    """Operators in the order the roster takes them: pinned ones, then each group in turn."""
    order = pinned(config)
    queues = [[m for m in group.operator_ids if m not in order] for group in config.groups]
    while any(queues):
        for queue in queues:
            while queue and queue[0] in order:
                queue.pop(0)
            if queue:
                order.append(queue.pop(0))
    order += [op.id for op in config.operators if op.id not in order]
    return order


def roster(
    config: RoutingConfig, shifts: tuple[Shift, ...], count: int
) -> tuple[RoutingConfig, tuple[Shift, ...]]:
    """The config and shifts with ``count`` operators, shaped like the original (see the module doc).

    Raises:
        InvalidValue: ``count`` below one, or the config has no operators.
    """
    order = _order(config)
    if not order or count < 1:
        raise InvalidValue("count", count, "needs a positive count and a config with operators")
    originals = {op.id: op for op in config.operators}
    copies: dict[str, list[str]] = {}
    operators = []
    for k in range(count):
        source = order[k % len(order)]
        copy = k // len(order)
        new_id = source if copy == 0 else f"{source}+{copy}"
        copies.setdefault(source, []).append(new_id)
        operators.append(attrs.evolve(originals[source], id=new_id))

    def members(ids: tuple[str, ...]) -> list[str]:
        return [new for old in ids for new in copies.get(old, [])]

    groups = [attrs.evolve(group, operator_ids=members(group.operator_ids)) for group in config.groups]
    resized: list[Any] = [attrs.evolve(s, operators=members(s.operators)) for s in shifts]
    return (
        attrs.evolve(config, operators=operators, groups=groups),
        tuple(s for s in resized if s.operators),
    )
