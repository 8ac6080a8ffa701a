"""Events: what each state-changing call did, for hosts that persist events.

Every event is a frozen value with the time it happened (``at``, UTC). Calls return
them in the order they happened.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from ._frozen import to_tuple
from .model import Rating, SlaLevel, Target

__all__ = [
    "DialogAdopted",
    "DialogAssigned",
    "DialogDeclinedByAll",
    "DialogEscalated",
    "DialogHeld",
    "DialogOffered",
    "DialogQueued",
    "DialogReleased",
    "DialogRequeued",
    "DialogResumed",
    "DialogStoppedWaiting",
    "DialogTransferred",
    "Event",
    "LimitChanged",
    "OfferWithdrawn",
    "RequirementRelaxed",
    "SlaLevelChanged",
    "StatusChanged",
    "Via",
    "WrapUpEnded",
    "WrapUpStarted",
]


class Via(enum.Enum):
    """How a dialog reached its operator."""

    ROUTE = "route"  # chosen when the dialog was routed
    DRAIN = "drain"  # taken from the queue when the operator freed capacity
    CLAIM = "claim"  # claimed by the operator from a pool or queue
    TRANSFER = "transfer"  # placed by a transfer
    REQUEUE = "requeue"  # re-routed after its operator went offline
    ACCEPT = "accept"  # accepted by the operator it was offered to
    REOFFER = "reoffer"  # routed again after an offer was declined, lapsed or withdrawn
    ESCALATE = "escalate"  # reached through a wider ring of its rule after waiting
    ADOPT = "adopt"  # already open with the operator when the host switched to chatroute
    RELAX = "relax"  # placed once its requirements relaxed while it waited
    FALLBACK = "fallback"  # placed on the fallback after waiting for the preferred operator ran out


@attrs.frozen(kw_only=True)
class Event:
    """Base of all events."""

    at: datetime


@attrs.frozen(kw_only=True)
class DialogQueued(Event):
    """The dialog waits for ``target``; in a manual pool when ``pool`` is set."""

    dialog_id: str
    target: Target
    pool: bool = False


@attrs.frozen(kw_only=True)
class DialogAssigned(Event):
    """The dialog now belongs to ``operator_id``."""

    dialog_id: str
    operator_id: str
    group_id: str | None
    via: Via


@attrs.frozen(kw_only=True)
class DialogAdopted(DialogAssigned):
    """A dialog already open with ``operator_id`` was brought in by ``Router.adopt``.

    An assignment (``via`` is ``adopt``) that chose nobody; ``over_limit`` says it was
    adopted past the operator's limit, as the host explicitly allowed.
    """

    via: Via = Via.ADOPT
    over_limit: bool = False


@attrs.frozen(kw_only=True)
class DialogOffered(Event):
    """The dialog was offered to ``operator_ids`` (one, or all eligible for a broadcast).

    It is theirs once one of them accepts; ``expires_at`` is when an unanswered offer
    counts as missed (None: it never expires).
    """

    dialog_id: str
    operator_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    group_id: str | None
    expires_at: datetime | None = None
    via: Via


@attrs.frozen(kw_only=True)
class DialogEscalated(Event):
    """A waiting dialog widened to ring ``ring`` of its rule: now ``to`` may take it."""

    dialog_id: str
    rule: str
    ring: int
    to: Target


@attrs.frozen(kw_only=True)
class RequirementRelaxed(Event):
    """A waiting dialog's requirement relaxed: ``skill`` (None: the language) now asks for
    ``level`` (None: nothing)."""

    dialog_id: str
    skill: str | None
    level: int | None


@attrs.frozen(kw_only=True)
class DialogDeclinedByAll(Event):
    """Every operator of the dialog's target who could take it declined it (``declined``);
    ``retried``: the declines were forgotten and it is offered again (``all_declined``)."""

    dialog_id: str
    target: Target
    declined: tuple[str, ...] = attrs.field(converter=to_tuple)
    retried: bool = False


@attrs.frozen(kw_only=True)
class OfferWithdrawn(Event):
    """An offer to ``operator_id`` ended without an accept.

    ``reason`` is ``"declined"``, ``"expired"`` (not answered in time) or ``"status"``
    (the operator stopped taking dialogs).
    """

    dialog_id: str
    operator_id: str
    reason: str


@attrs.frozen(kw_only=True)
class DialogTransferred(Event):
    """The dialog was moved to ``to``: by an operator (``by``), or by a ``trigger``."""

    dialog_id: str
    from_operator_id: str | None
    to: Target
    by: str | None = None
    trigger: str | None = None


@attrs.frozen(kw_only=True)
class DialogRequeued(Event):
    """The dialog was taken back from ``operator_id`` to be routed again."""

    dialog_id: str
    operator_id: str
    reason: str


@attrs.frozen(kw_only=True)
class DialogReleased(Event):
    """The dialog was closed; ``operator_id`` is None if it closed while waiting.

    With a rating, ``sentiment`` says whether it was positive, negative or neutral, so
    the host can send its automatic reply to good and bad ratings.
    """

    dialog_id: str
    operator_id: str | None
    rating: Rating | None = None
    sentiment: str | None = None


@attrs.frozen(kw_only=True)
class StatusChanged(Event):
    """An operator's status changed."""

    operator_id: str
    old: str
    new: str
    comment: str | None = None


@attrs.frozen(kw_only=True)
class LimitChanged(Event):
    """An operator's concurrent-dialog limit changed."""

    operator_id: str
    old: int
    new: int


@attrs.frozen(kw_only=True)
class SlaLevelChanged(Event):
    """A waiting dialog crossed an SLA threshold (LiveTex yellow / red highlight)."""

    dialog_id: str
    level: SlaLevel


@attrs.frozen(kw_only=True)
class WrapUpStarted(Event):
    """A released dialog's slot stays taken by ``operator_id``'s after-chat work until ``until``."""

    operator_id: str
    dialog_id: str
    until: datetime


@attrs.frozen(kw_only=True)
class WrapUpEnded(Event):
    """An operator's after-chat work on a dialog ended and its slot freed.

    ``reason`` is ``"ready"`` (the host called ``Router.ready``) or ``"timer"`` (its
    ``wrap_up`` time ran out).
    """

    operator_id: str
    dialog_id: str
    reason: str


@attrs.frozen(kw_only=True)
class DialogHeld(Event):
    """An assigned dialog was put on hold; ``counts``: it still counts toward the limit."""

    dialog_id: str
    operator_id: str
    counts: bool


@attrs.frozen(kw_only=True)
class DialogResumed(Event):
    """A dialog on hold was resumed and is with ``operator_id`` again."""

    dialog_id: str
    operator_id: str


@attrs.frozen(kw_only=True)
class DialogStoppedWaiting(Event):
    """A dialog stopped waiting for its client's preferred operator and goes on to ``to``.

    The preferred operator stayed busy for the whole ``wait`` of the preferred target.
    """

    dialog_id: str
    operator_id: str
    to: Target
    waited: timedelta
