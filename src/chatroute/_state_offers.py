"""The state's offer operations: offering a dialog, ending an offer, and who declined it.

These are :class:`~chatroute._router_state.RouterState`'s operations kept apart from
its core (slots and queues): each takes the state and changes the dialog's and the
operators' records, their indexes and deadlines together, as the state's own
operations do. Nothing else writes what they write.
"""

from __future__ import annotations

from datetime import datetime

from ._deadlines import DeclineLapses, OfferExpiry
from ._frozen import to_map
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from .model import DialogState

__all__ = [
    "count_miss",
    "decline",
    "exclude",
    "forget_declines",
    "offer",
    "offer_ended",
    "reset_misses",
    "withdraw_from",
]


def offer(
    state: RouterState, rec: LiveDialog, operator_ids: tuple[str, ...], now: datetime, *, reserve: bool
) -> None:
    """Offer the dialog to one operator, holding a slot for them, or broadcast it to several."""
    if reserve:
        state.take_slot(rec, state.ops[operator_ids[0]], now)
    else:
        rec.operator_id = None
        for op_id in operator_ids:
            state.ops[op_id].add_offer(rec.id)
    rec.state = DialogState.OFFERED
    rec.offered_at = now
    rec.offered_to = frozenset(operator_ids)
    rec.offer_expires = state.topology.offer_expiry(now)
    rec.epoch += 1
    if rec.offer_expires is not None:
        state.deadlines.offers.push(OfferExpiry(rec.offer_expires, rec.id, rec.epoch))


def offer_ended(state: RouterState, rec: LiveDialog, outcome: str, now: datetime) -> None:
    """An offer of the dialog was accepted, declined or let lapse (for queue statistics)."""
    state.offer_log.note(rec.target_key, outcome, now)


def withdraw_from(rec: LiveDialog, op: LiveOperator) -> None:
    """Take one operator out of a broadcast that others still hold."""
    op.drop_offer(rec.id)
    rec.offered_to -= {op.id}


def count_miss(op: LiveOperator) -> None:
    """The operator let an offer lapse."""
    op.missed += 1


def reset_misses(op: LiveOperator) -> None:
    """The operator answered an offer."""
    op.missed = 0


# ------------------------------------------------------------------ declines


def exclude(rec: LiveDialog, excluded: frozenset[str], declined: frozenset[str]) -> None:
    """Set who may not get the dialog: who passed it on, who declined it."""
    rec.excluded, rec.declined = excluded, declined


def decline(state: RouterState, rec: LiveDialog, op: LiveOperator, now: datetime) -> None:
    """Offer or give the dialog to this operator no more: for good, or for the ``decline_memory``."""
    rec.declined |= {op.id}
    memory = state.topology.config.decline_memory
    if memory is not None:
        due = now + memory
        rec.need_extra().declines_lapse = to_map({**rec.declines_lapse, op.id: due})
        state.deadlines.declines.push(DeclineLapses(due, rec.id, op.id))


def forget_declines(rec: LiveDialog, operator_ids: frozenset[str]) -> None:
    """These operators' declines of the dialog no longer count."""
    rec.declined -= operator_ids
    extra = rec.extra
    if extra is not None and extra.declines_lapse:
        kept = {k: v for k, v in extra.declines_lapse.items() if k not in operator_ids}
        extra.declines_lapse = to_map(kept)
