"""What is compared: the scenario's own config, the same config under another strategy,
or the same config with a feature switched off.

A compared strategy replaces the config's default strategy and every group's override,
so "random" means "route everything with RandomWithinLimit". More names switch a
feature of the scenario's config instead (:data:`SWITCHES`): ``no-wrap-up`` frees
released slots at once (no channel or operator keeps a wrap-up), ``hold-frees-slot``
lets dialogs on hold stop counting toward the limit (``hold_counts = false``),
``no-overflow`` is the config without its groups' overflows and queue caps,
``no-queue-cap`` without the caps only (overflows kept), and ``no-relax`` without the
config's requirement steps (``relax``: required skills and languages hold for as long
as dialogs wait), so a team can see what each costs or gains (dialogs rejected, waits)
before switching it on or off.

    >>> sorted(STRATEGIES)[:4]
    ['broadcast', 'config', 'even', 'even-ratio']
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
    "even-ratio": Even(by_ratio=True),
    "sticky": Sticky(Even()),
    "manual": ManualPool(),
    "broadcast": Broadcast(),
}
_SKILL = "skill:"


def _no_wrap_up(config: RoutingConfig) -> RoutingConfig:
    return attrs.evolve(
        config,
        channels=[attrs.evolve(c, wrap_up=0) for c in config.channels],
        operators=[attrs.evolve(o, wrap_up=None) for o in config.operators],
    )


def _hold_frees_slot(config: RoutingConfig) -> RoutingConfig:
    return attrs.evolve(config, hold_counts=False)


def _without_overflow(config: RoutingConfig) -> RoutingConfig:
    groups = tuple(attrs.evolve(group, overflow=None, queue_cap=None) for group in config.groups)
    return attrs.evolve(config, groups=groups)


def _without_queue_caps(config: RoutingConfig) -> RoutingConfig:
    return attrs.evolve(config, groups=tuple(attrs.evolve(group, queue_cap=None) for group in config.groups))


def _without_relax(config: RoutingConfig) -> RoutingConfig:
    return attrs.evolve(config, relax=())


#: Names accepted by ``--compare`` that switch a feature of the scenario's config, with what they do.
SWITCHES: dict[str, tuple[Callable[[RoutingConfig], RoutingConfig], str]] = {
    "no-wrap-up": (_no_wrap_up, "as configured, without wrap-up"),
    "hold-frees-slot": (_hold_frees_slot, "as configured, held dialogs not counting toward limits"),
    "no-overflow": (_without_overflow, "as configured, without overflows and queue caps"),
    "no-queue-cap": (_without_queue_caps, "as configured, without queue caps (overflows kept)"),
    "no-relax": (_without_relax, "as configured, requirements never relaxing"),
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
        if choice in SWITCHES:
            switch, description = SWITCHES[choice]
            return Variant(name=choice, config=switch(config), description=description)
        name = choice
        strategy = SkillBased(choice[len(_SKILL) :]) if choice.startswith(_SKILL) else STRATEGIES[choice]
    elif isinstance(choice, Strategy):
        strategy, name = choice, type(choice).__name__
    else:
        raise InvalidValue("strategies", choice, "give a strategy name, a Strategy or a Variant")
    if strategy is None:
        return Variant(name=name, config=config, description="as configured")
    groups = tuple(attrs.evolve(group, strategy=None) for group in config.groups)
    changed = attrs.evolve(config, strategy=strategy, groups=groups)
    return Variant(name=name, config=changed, description=strategy.describe())
