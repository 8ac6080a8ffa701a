"""Requirements that relax while a dialog waits: skill levels that fall, a language dropped.

A dialog's ``required_skills`` (and its language, when the config matches languages)
hold from the moment it is routed. A :class:`Relax` lowers one of them in steps while
the dialog waits, so that a customer who needs a level-8 billing expert gets one if one
frees up soon, and a level-5 colleague rather than nobody after half a minute (Azure's
worker selectors with expiry, Genesys bullseye, Salesforce dropping skills in order):

    >>> r = Relax(skill="billing", steps=[(30, 5), (90, None)])
    >>> r.describe()
    "skill 'billing': level 5 after 30 s, dropped after 90 s"
    >>> Relax.language(after=60).describe()
    'language: dropped after 60 s'

Give them on the dialog (``Dialog(relax=[...])``) or for every dialog in the config
(``RoutingConfig(relax=[...])``, ``relax = [...]`` in a file); a dialog's own steps for a
requirement replace the config's. :meth:`chatroute.Router.tick` applies each step when
it comes due (``next_tick`` reports it), announces it with a
:class:`~chatroute.events.RequirementRelaxed` event and places the dialog if someone can
now take it; a drain applies the steps due by then before it looks at the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from itertools import pairwise
from typing import Any

import attrs

from ._durations import parse_duration
from ._frozen import non_empty_str, to_timedelta
from .errors import InvalidValue

__all__ = ["Relax", "Step", "to_relaxes"]


def _to_after(value: Any) -> timedelta:
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise InvalidValue("after", value, str(exc).split(" (got")[0]) from None
    return to_timedelta(value, "after")


def _level(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise InvalidValue(attribute.name, value, "must be a skill level 1..10, or None to drop it")


@attrs.frozen(kw_only=True)
class Step:
    """From ``after`` of waiting on, the requirement asks for ``level`` (None: no longer any).

    Attributes:
        after: waiting time since the dialog was routed; positive.
        level: the skill level required from then on (1..10), or None: dropped.
    """

    after: timedelta = attrs.field(converter=_to_after)
    level: int | None = attrs.field(default=None, validator=_level)

    def __attrs_post_init__(self) -> None:
        if self.after <= timedelta(0):
            raise InvalidValue("after", self.after, "must be positive")

    def describe(self) -> str:
        """The step in words: ``level 5 after 30 s``."""
        what = "dropped" if self.level is None else f"level {self.level}"
        return f"{what} after {self.after.total_seconds():g} s"


def _to_step(value: Any) -> Step:
    if isinstance(value, Step):
        return value
    if isinstance(value, Mapping):
        return Step(**value)
    if isinstance(value, list | tuple) and len(value) in (1, 2):
        return Step(after=value[0], level=value[1] if len(value) == 2 else None)
    raise InvalidValue("steps", value, "a step is a Step, (after, level) or {after, level}")


def _to_steps(value: Any) -> tuple[Step, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidValue("steps", value, "must be a list of steps")
    return tuple(_to_step(item) for item in value)


def _check_steps(instance: Relax, attribute: attrs.Attribute[Any], value: tuple[Step, ...]) -> None:
    if not value:
        raise InvalidValue("steps", value, "give at least one step")
    if any(a.after >= b.after for a, b in pairwise(value)):
        raise InvalidValue("steps", [s.after for s in value], "steps must come later and later")
    if any(s.level is None for s in value[:-1]):
        raise InvalidValue("steps", value, "only the last step may drop the requirement")
    levels = [s.level for s in value if s.level is not None]
    if any(a <= b for a, b in pairwise(levels)):
        raise InvalidValue("steps", levels, "each step must ask for a lower level than the one before")
    if instance.skill is None and (len(value) != 1 or value[0].level is not None):
        raise InvalidValue("steps", value, "the language requirement has one step, which drops it")


@attrs.frozen(kw_only=True)
class Relax:
    """How one requirement of a waiting dialog relaxes, step by step.

    Attributes:
        skill: the required skill it lowers; None: the language requirement (which can
            only be dropped: use :meth:`language`).
        steps: when, and to which level; later steps ask for less, and only the last
            may drop the requirement (level None). ``(after, level)`` pairs and
            ``{after, level}`` tables are accepted.
    """

    skill: str | None = attrs.field(default=None, validator=attrs.validators.optional(non_empty_str))
    steps: tuple[Step, ...] = attrs.field(converter=_to_steps, validator=_check_steps)

    @classmethod
    def language(cls, after: Any) -> Relax:
        """Drop the language requirement after ``after`` of waiting."""
        return cls(skill=None, steps=(Step(after=after),))

    @property
    def requirement(self) -> str:
        """What it relaxes, in words: ``skill 'billing'`` or ``language``."""
        return "language" if self.skill is None else f"skill {self.skill!r}"

    def describe(self) -> str:
        """The relaxation in words."""
        return f"{self.requirement}: " + ", ".join(step.describe() for step in self.steps)

    def step_at(self, waited: timedelta) -> Step | None:
        """The step in force after waiting ``waited`` (None: none yet)."""
        found = None
        for step in self.steps:
            if step.after > waited:
                break
            found = step
        return found


#: No relaxations: the default of every ``relax`` field.
NO_RELAX: tuple[Relax, ...] = ()


def to_relaxes(value: Any) -> tuple[Relax, ...]:
    """Relaxations as a tuple, at most one per requirement (tables become :class:`Relax`)."""
    if value is NO_RELAX:  # the default, so most dialogs: no steps, one identity check
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidValue("relax", value, "must be a list of Relax values")
    items = tuple(Relax(**item) if isinstance(item, Mapping) else item for item in value)
    seen: set[str | None] = set()
    for i, item in enumerate(items):
        if not isinstance(item, Relax):
            raise InvalidValue(f"relax[{i}]", item, "must be a Relax")
        if item.skill in seen:
            raise InvalidValue(f"relax[{i}]", item.requirement, "relaxes a requirement twice")
        seen.add(item.skill)
    return items
