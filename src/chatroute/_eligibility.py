"""Who may take which dialog: every reason an operator cannot take a dialog, in one place.

The checks come in two kinds, and a new check goes in the one it belongs to:

* about the operator alone (their status, their room under the limit, the intake
  cap): :func:`available` folds them into the indexes of available operators, so a
  pick that needs nothing else reads the head of an index without asking again;
* about the operator and the dialog together (a dialog's weight, the channel limit, the
  skills, who passed it on or declined it, whom the host asked to avoid): :func:`picky`
  and :func:`constrained` say which dialogs need them, so only those are checked
  operator by operator.

:func:`ineligible` makes every check, in the order that names the reason in traces and
errors; its last ones, about the dialog's requirements alone, are :func:`unqualified`,
which :func:`qualified` reads too. The decision path (:mod:`chatroute._placement`), the
drain and the indexes all read these functions and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from ._state import LiveDialog, LiveOperator
from .config import RoutingConfig
from .decision import Reason
from .model import Dialog

__all__ = [
    "AVOIDED",
    "available",
    "constrained",
    "declined_by_all",
    "ineligible",
    "no_room",
    "picky",
    "qualified",
    "unqualified",
]


def available(op: LiveOperator) -> bool:
    """Whether the operator can take some dialog now: the checks about them alone."""
    return op.routable and op.load < op.limit and op.capped_until is None


def picky(dialog: Dialog, picky_channels: Set[str], match_language: bool) -> bool:
    """Whether the dialog needs more than a free slot: skills, operators to avoid, a channel
    whose dialogs weigh more than one slot or that some operator has a limit on
    (``picky_channels``, from the topology), a language (when the config matches languages)."""
    return (
        dialog.channel in picky_channels
        or bool(dialog.required_skills)
        or bool(dialog.avoid)
        or (match_language and dialog.language is not None)
    )


#: Why an operator in the dialog's ``avoid`` may not take it (a rule, transfer, trigger or
#: adoption that names them is refused with this too).
AVOIDED = (Reason.AVOIDED, "the host asked to avoid them for this dialog")


def constrained(rec: LiveDialog) -> bool:
    """Whether some available operators may still be unable to take this dialog."""
    return rec.picky or bool(rec.excluded) or bool(rec.declined)


def ineligible(op: LiveOperator, rec: LiveDialog, config: RoutingConfig) -> tuple[Reason, str] | None:
    """Why this operator cannot take this dialog now, or None when they can."""
    if not op.routable:
        return Reason.STATUS, f"status {op.status!r} is not routable"
    if op.id in rec.excluded:
        return Reason.EXCLUDED, "transferred this dialog away"
    if op.id in rec.declined:
        return Reason.DECLINED, "declined an offer of this dialog"
    if op.capped_until is not None:
        return Reason.CAPPED, f"{len(op.intake or ())} new dialogs within {config.intake_window}"
    problem = no_room(op, rec, config)
    if problem is None and op.id in rec.dialog.avoid:  # after room: the tallies count that first
        return AVOIDED
    return problem or unqualified(op, rec)


def no_room(op: LiveOperator, rec: LiveDialog, config: RoutingConfig) -> tuple[Reason, str] | None:
    """Why the operator has no room for the dialog (their limit, a wrap-up, the channel's
    limit), or None when they have (the middle checks of :func:`ineligible`; resuming a held
    dialog that left its slot asks only these)."""
    if op.load + rec.weight > op.limit:
        wrap_ups = op.wrap_ups
        if wrap_ups and op.load - sum(w.weight for w in wrap_ups) + rec.weight <= op.limit:
            until = min(w.until for w in wrap_ups).isoformat(timespec="seconds")
            return Reason.WRAP_UP, f"in wrap-up until {until} ({op.load} of {op.limit} in use)"
        held = f", {op.held} on hold" if op.held and config.hold_counts else ""
        return Reason.AT_LIMIT, f"{op.load} of {op.limit} in use{held}"
    dialog = rec.dialog
    cap = op.operator.channel_limits.get(dialog.channel)
    if cap is not None and op.channel_loads.get(dialog.channel, 0) >= cap:
        return Reason.CHANNEL_LIMIT, f"{cap} {dialog.channel!r} dialogs already"
    return None


def unqualified(op: LiveOperator, rec: LiveDialog) -> tuple[Reason, str] | None:
    """Why the operator does not meet the dialog's requirements in force (skills, language),
    whatever their status and load, or None when they do (the last checks of :func:`ineligible`)."""
    for skill, level in rec.needs.items():
        if op.skills.get(skill, 0) < level:
            return Reason.MISSING_SKILL, f"{skill!r} {op.skills.get(skill, 0)} < {level}"
    extra = rec.extra  # the language in force, if any, is there (read without the descriptor)
    if extra is not None and extra.language is not None and extra.language not in op.operator.languages:
        return Reason.LANGUAGE, f"does not speak {extra.language!r}"
    return None


def qualified(op: LiveOperator, rec: LiveDialog) -> bool:
    """Whether the operator meets the dialog's requirements in force (skills, language), whatever
    their status and load."""
    return unqualified(op, rec) is None


def declined_by_all(rec: LiveDialog, members: Iterable[LiveOperator]) -> tuple[str, ...]:
    """The operators who declined the dialog, when they are every member of its target who could
    take it (qualified, neither excluded nor avoided); empty otherwise."""
    if not rec.declined:
        return ()
    held_back = rec.excluded | rec.dialog.avoid
    could = [op.id for op in members if op.id not in held_back and qualified(op, rec)]
    return tuple(could) if could and rec.declined.issuperset(could) else ()
