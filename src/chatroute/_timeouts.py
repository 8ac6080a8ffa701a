"""What :meth:`Router.tick` does when time runs out, and operators' status changes.

Each kind of deadline (SLA levels, offers, re-queue grace periods, reply timeouts,
escalation rings, intake caps) has its own heap of ``(due, ...)`` entries; an entry that
no longer applies is recognised when it comes due and skipped.

An offer either holds a slot in one operator's load (the config's ``accept_timeout``
makes every hand-over an offer) or is broadcast to several operators without holding
anything (:class:`~chatroute.strategies.Broadcast`). When it ends without an accept,
the dialog is routed again inside its target, never to an operator who declined it or
let it expire; a broadcast that some operators still hold stays open for them.
"""

from __future__ import annotations

from datetime import datetime

from ._applying import Applying
from ._deadlines import RequeueDue
from ._state import LiveDialog, LiveOperator
from .decision import Outcome
from .events import (
    DialogEscalated,
    DialogRequeued,
    Event,
    OfferWithdrawn,
    SlaLevelChanged,
    StatusChanged,
    Via,
)
from .model import DialogState, SlaLevel

__all__ = ["Timeouts"]

_LEVEL_RANK = {SlaLevel.OK: 0, SlaLevel.WARN: 1, SlaLevel.CRITICAL: 2}


class Timeouts(Applying):
    """Deadlines coming due, offers ending without an accept, and status changes."""

    def _withdraw(
        self,
        rec: LiveDialog,
        op: LiveOperator,
        now: datetime,
        reason: str,
        events: list[Event],
        *,
        decline: bool,
    ) -> None:
        """End the offer of ``rec`` to ``op`` and, if nobody else holds it, route it again.

        With ``decline``, the dialog is never offered to ``op`` again.
        """
        events.append(OfferWithdrawn(at=now, dialog_id=rec.id, operator_id=op.id, reason=reason))
        if decline:
            rec.declined |= {op.id}
        if rec.operator_id is None and len(rec.offered_to) > 1:  # a broadcast others still hold
            op.drop_offer(rec.id)
            rec.offered_to -= {op.id}
            return
        freed = self._reroute(rec, now, Via.REOFFER, events)
        if freed is not None:
            self._drain(freed, now, events)

    def _reroute(self, rec: LiveDialog, now: datetime, via: Via, events: list[Event]) -> LiveOperator | None:
        """Take the dialog from where it is and place it again inside its target.

        Decides before it changes anything, so a custom strategy that raises leaves the
        dialog where it was.

        Returns:
            The operator whose capacity it freed, if any (the caller drains them).
        """
        assert rec.target is not None
        decision = self._decide(rec, self._client_of(rec.dialog), now, trace=False, forced=rec.target)
        freed = self._detach(rec)
        rec.operator_id = None
        self._apply(rec, decision, now, via, events)
        return freed

    def _announce_sla_levels(self, now: datetime, events: list[Event]) -> None:
        """One event per waiting dialog per SLA level it reached by ``now``, dated at the threshold."""
        for deadline, seq, _, dialog_id, epoch, level in self._deadlines.sla.due(now):
            rec = self._dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.epoch != epoch:
                continue
            if _LEVEL_RANK[level] > _LEVEL_RANK[rec.sla_notified]:
                rec.sla_notified = level
                events.append(SlaLevelChanged(at=deadline, dialog_id=rec.id, level=level))
                assert rec.waiting_since is not None
                self._next_sla_deadline(rec, self._channels[rec.dialog.channel], seq, rec.waiting_since)

    def _expire_offers(self, now: datetime, events: list[Event]) -> None:
        """Withdraw offers whose time ran out; count misses and apply the missed-offers status."""
        limit = self._config.missed_offers_limit
        for _, dialog_id, epoch in self._deadlines.offers.due(now):
            rec = self._dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.OFFERED or rec.epoch != epoch:
                continue
            holders = [self._ops[op_id] for op_id in sorted(rec.offered_to)]
            single = rec.operator_id is not None
            # A lapsed single offer moves on to the next operator; a lapsed broadcast rings again.
            for op in holders:
                self._withdraw(rec, op, now, "expired", events, decline=single)
            if not single:
                continue
            op = holders[0]
            op.missed += 1
            if limit is not None and op.missed >= limit and op.routable:
                comment = f"missed {op.missed} offers in a row"
                self._change_status(op, self._config.missed_offers_status, now, comment, events)

    def _withdraw_offers_of(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        """An operator who stops taking dialogs loses the offers they hold (no miss counted)."""
        offered = [d for d in op.dialogs if self._dialogs[d].state is DialogState.OFFERED]
        for dialog_id in sorted(offered) + sorted(op.offers or ()):
            rec = self._dialogs[dialog_id]
            if rec.state is DialogState.OFFERED and op.id in rec.offered_to:
                self._withdraw(rec, op, now, "status", events, decline=False)

    def _change_status(
        self, op: LiveOperator, status: str, now: datetime, comment: str | None, events: list[Event]
    ) -> None:
        """Set the status; update capacity, indexes and offers. The caller drains or re-queues."""
        events.append(StatusChanged(at=now, operator_id=op.id, old=op.status, new=status, comment=comment))
        was_routable = op.routable
        op.status = status
        op.status_since = now
        op.comment = comment
        op.routable = self._statuses[status].routable
        if was_routable != op.routable:
            self._add_capacity(op, op.limit if op.routable else -op.limit)
        self._refresh(op)
        if not op.routable:
            self._withdraw_offers_of(op, now, events)

    def _requeue_all(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        for rec in sorted((self._dialogs[d] for d in op.dialogs), key=lambda r: (r.routed_at, r.id)):
            events.append(DialogRequeued(at=now, dialog_id=rec.id, operator_id=op.id, reason="offline"))
            self._reroute(rec, now, Via.REQUEUE, events)

    def _requeue_later(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        """Re-queue an offline operator's dialogs now, or after the grace period."""
        grace = self._config.requeue_grace
        if not grace:
            self._requeue_all(op, now, events)
        elif op.dialogs:
            self._deadlines.requeues.push(RequeueDue(now + grace, op.id, now))

    def _requeue_lapsed(self, now: datetime, events: list[Event]) -> None:
        """Re-queue the dialogs of operators still offline when their grace period ends."""
        for _, op_id, since in self._deadlines.requeues.due(now):
            op = self._ops[op_id]
            if op.status == "offline" and op.status_since == since:
                self._requeue_all(op, now, events)

    def _lapse_replies(self, now: datetime, events: list[Event]) -> None:
        """Dialogs whose operator did not reply in time go to someone else, never back."""
        timeout = self._config.reply_timeout
        for _, dialog_id, assigned_at in self._deadlines.replies.due(now):
            rec = self._dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.ASSIGNED or rec.assigned_at != assigned_at:
                continue
            if rec.replied_at is not None or rec.operator_id is None or timeout is None:
                continue
            op = self._ops[rec.operator_id]
            reason = f"no reply within {timeout.total_seconds():g} s"
            events.append(DialogRequeued(at=now, dialog_id=rec.id, operator_id=op.id, reason=reason))
            rec.declined |= {op.id}
            self._reroute(rec, now, Via.REOFFER, events)
            self._drain(op, now, events)

    def _escalate_waiting(self, now: datetime, events: list[Event]) -> None:
        """Widen dialogs that waited past their rule's next ring; they keep their place in line."""
        for _, dialog_id, ring in self._deadlines.rings.due(now):
            rec = self._dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.ring != ring - 1 or rec.rule is None:
                continue
            to = self._rules[rec.rule].escalate[ring - 1].to
            assert rec.queue_key is not None
            assert rec.waiting_since is not None
            seq, since = rec.queue_key.seq, rec.waiting_since
            decision = self._decide(rec, self._client_of(rec.dialog), now, trace=False, forced=to)
            self._dequeue(rec)
            rec.ring = ring
            events.append(DialogEscalated(at=now, dialog_id=rec.id, rule=rec.rule, ring=ring, to=to))
            if decision.outcome is Outcome.QUEUED and not decision.pool:
                self._retarget(rec, decision, Via.ESCALATE)
                self._push(rec, seq, since)  # same place in line, same SLA clock
                self._schedule_ring(rec)
            else:
                self._apply(rec, decision, now, Via.ESCALATE, events)

    def _lift_caps(self, now: datetime, events: list[Event]) -> None:
        """Operators whose intake window moved on get new dialogs again (and the queue drains)."""
        for until, op_id in self._deadlines.caps.due(now):
            op = self._ops[op_id]
            if op.capped_until != until:
                continue
            self._recheck_cap(op, now)
            self._refresh(op)
            self._drain(op, now, events)
