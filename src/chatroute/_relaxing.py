"""The router's side of requirements that relax: which apply, which are in force, what comes next.

Pure functions over the dialog's :class:`~chatroute.requirements.Relax` values; the live
record keeps the result (``LiveDialog.needs`` and ``.language``), the state schedules
the next step in its ``relaxes`` heap, and :class:`~chatroute._applying.Effects` applies
the steps as they come due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from .requirements import Relax

__all__ = ["applicable", "in_force", "next_step", "relaxed_notes", "steps_at"]


def applicable(
    own: tuple[Relax, ...], configured: tuple[Relax, ...], skills: Mapping[str, int], language: str | None
) -> tuple[Relax, ...]:
    """The relaxations that apply to a dialog: its own, then the config's for the other
    requirements, each only for a requirement the dialog has (a skill it requires, a
    language it must be served in)."""
    mine = {r.skill for r in own}
    found = [*own, *(r for r in configured if r.skill not in mine)]
    return tuple(r for r in found if (language is not None if r.skill is None else r.skill in skills))


def in_force(
    relax: tuple[Relax, ...], waited: timedelta, skills: Mapping[str, int], language: str | None
) -> tuple[Mapping[str, int], str | None]:
    """The skill levels and the language required after waiting ``waited``.

    Args:
        relax: the relaxations that apply (see :func:`applicable`).
        waited: the time since the dialog was routed.
        skills: the dialog's own required skills.
        language: the language it must be served in, before any relaxing (None: any).
    """
    needs = dict(skills)
    for r in relax:
        step = r.step_at(waited)
        if step is None:
            continue
        if r.skill is None:
            language = None
        elif step.level is None:
            needs.pop(r.skill, None)
        else:
            needs[r.skill] = min(needs[r.skill], step.level)
    return needs, language


def next_step(relax: tuple[Relax, ...], waited: timedelta | None) -> timedelta | None:
    """The waiting time of the next step after ``waited`` (None: from the start); None: no step left."""
    later = (step.after for r in relax for step in r.steps if waited is None or step.after > waited)
    return min(later, default=None)


def steps_at(relax: tuple[Relax, ...], waited: timedelta) -> list[tuple[Relax, int | None]]:
    """The requirements whose step comes due at exactly ``waited``, with the level they fall to."""
    return [(r, step.level) for r in relax for step in r.steps if step.after == waited]


def relaxed_notes(relax: tuple[Relax, ...], routed_at: datetime, relaxed_at: datetime | None) -> list[str]:
    """Trace lines: each requirement relaxed by ``relaxed_at`` and when, or the steps still to come."""
    notes = []
    waited = None if relaxed_at is None else relaxed_at - routed_at
    for r in relax:
        step = r.step_at(waited) if waited is not None else None
        if step is None:
            notes.append(f"{r.requirement} relaxes while the dialog waits: " + r.describe().split(": ", 1)[1])
            continue
        what = "dropped" if step.level is None else f"relaxed to level {step.level}"
        due = routed_at + step.after
        notes.append(
            f"{r.requirement} {what} at {due.isoformat()} (after {step.after.total_seconds():g} s of waiting)"
        )
    return notes
