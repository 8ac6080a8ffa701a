"""What is compared: the scenario's own config, the same config under another strategy,
or the same config with a feature switched off.

A compared strategy replaces the config's default strategy and every group's override,
so "random" means "route everything with RandomWithinLimit". A switch
(:data:`SWITCHES`) keeps the strategies and takes a feature away: ``no-overflow`` is
the config without its groups' overflows and queue caps, so comparing it with
``config`` shows what they change (dialogs rejected, waits).

    >>> sorted(STRATEGIES)[:4]
    ['broadcast', 'config', 'even', 'longest-idle']
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ..config import RoutingConfig
from ..errors import InvalidValue, did_you_mean
from ..strategies import (
    Broadcast,
    Even,
    LongestIdle,
    ManualPool,
    MostAvailable,
    RandomWithinLimit,
    RoundRobin,
    SkillBased,
    Sticky,
    Strategy,
)

__all__ = ["STRATEGIES", "SWITCHES", "Variant", "strategy_problem", "variant"]

#: Names accepted by ``--compare``; ``config`` is the scenario's config as written.
STRATEGIES: dict[str, Strategy | None] = {
    "config": None,
    "even": Even(),
    "random": RandomWithinLimit(),
    "round-robin": RoundRobin(),
    "longest-idle": LongestIdle(),
    "most-available": MostAvailable(),
    "sticky": Sticky(then=Even()),
    "manual": ManualPool(),
    "broadcast": Broadcast(),
}
_SKILL = "skill:"


def _without_overflow(config: RoutingConfig) -> RoutingConfig:
    groups = tuple(attrs.evolve(group, overflow=None, queue_cap=None) for group in config.groups)
    return attrs.evolve(config, groups=groups)


#: Names accepted by ``--compare`` that switch a feature of the scenario's config off,
#: with what the switched config is.
SWITCHES: dict[str, tuple[Callable[[RoutingConfig], RoutingConfig], str]] = {
    "no-overflow": (_without_overflow, "without overflows and queue caps"),
}


@attrs.frozen(kw_only=True)
class Variant:
    """One column of a comparison: a name and the config simulated under it."""

    name: str
    config: RoutingConfig
    description: str = "a config of its own"


def strategy_problem(name: str) -> str | None:
    """Why ``name`` is not a strategy name, or None when it is."""
    if name in STRATEGIES or name in SWITCHES or (name.startswith(_SKILL) and len(name) > len(_SKILL)):
        return None
    known = ", ".join([*STRATEGIES, "skill:NAME", *SWITCHES])
    return f"unknown strategy {name!r}{did_you_mean(name, [*STRATEGIES, *SWITCHES])}; known: {known}"


def variant(config: RoutingConfig, choice: str | Strategy | Variant) -> Variant:
    """The config under a named strategy, a strategy object, or a ready variant.

    Args:
        config: the scenario's config.
        choice: a name from :data:`STRATEGIES` (or ``skill:NAME`` for
            :class:`SkillBased`) or :data:`SWITCHES`, a :class:`Strategy`, or a
            :class:`Variant` (kept as is).

    Raises:
        InvalidValue: an unknown name, or something else entirely.
    """
    if isinstance(choice, Variant):
        return choice
    if isinstance(choice, str) and choice in SWITCHES:
        switch, description = SWITCHES[choice]
        return Variant(name=choice, config=switch(config), description=description)
    if isinstance(choice, str):
        problem = strategy_problem(choice)
        if problem is not None:
            raise InvalidValue("strategies", choice, problem.replace(f" {choice!r}", ""))
        name = choice
        strategy = (
            SkillBased(skill=choice[len(_SKILL) :]) if choice.startswith(_SKILL) else STRATEGIES[choice]
        )
    elif isinstance(choice, Strategy):
        strategy, name = choice, type(choice).__name__
    else:
        raise InvalidValue("strategies", choice, "give a strategy name, a Strategy or a Variant")
    if strategy is None:
        return Variant(name=name, config=config, description="as configured")
    groups = tuple(attrs.evolve(group, strategy=None) for group in config.groups)
    changed = attrs.evolve(config, strategy=strategy, groups=groups)
    return Variant(name=name, config=changed, description=strategy.describe())
