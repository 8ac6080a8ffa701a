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
from operator import itemgetter

from . import _state_offers as offers
from . import _state_operators as operator_state
from ._applying import Effects
from ._deadlines import Step
from ._draft import Draft
from ._placement import Decider
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from ._topology import Topology
from .decision import Outcome
from .events import (
    DialogEscalated,
    DialogRequeued,
    DialogStoppedWaiting,
    Event,
    SlaLevelChanged,
    StatusChanged,
    Via,
)
from .model import DialogState, SlaLevel, TargetKind

__all__ = ["Timeouts"]

#: Whether a step's heap has any entry (its ``entries``), for :func:`filter`.
_HAS_ENTRIES = itemgetter(0)

_LEVEL_RANK = {SlaLevel.OK: 0, SlaLevel.WARN: 1, SlaLevel.CRITICAL: 2}


class Timeouts:
    """Deadlines coming due, offers ending without an accept, and status changes."""

    __slots__ = ("_steps", "decider", "effects", "state", "topology")

    def __init__(
        self,
        topology: Topology,
        state: RouterState,
        decider: Decider,
        effects: Effects,
        later: tuple[Step, ...] = (),
    ) -> None:
        """``later``: the steps of other parts' deadlines, run after these (wrap-ups, resumes)."""
        self.topology = topology
        self.state = state
        self.decider = decider
        self.effects = effects
        deadlines = state.deadlines
        # each kind of deadline with what a tick does about those due, in the order it does it:
        # SLA levels first, as they happened at their thresholds, before anything this tick does
        self._steps: tuple[Step, ...] = (
            (deadlines.sla.entries, self._announce_sla_levels),
            (deadlines.offers.entries, self._expire_offers),
            (deadlines.requeues.entries, self._requeue_lapsed),
            (deadlines.replies.entries, self._lapse_replies),
            (deadlines.rings.entries, self._escalate_waiting),
            (deadlines.relaxes.entries, effects.relax_due),
            (deadlines.declines.entries, self._forget_lapsed_declines),
            (deadlines.preferred.entries, self._stop_waiting_for_preferred),
            (deadlines.caps.entries, self._lift_caps),
            *later,
        )

    def tick(self, now: datetime) -> tuple[Event, ...]:
        """Everything due by ``now``, in order; see :meth:`chatroute.Router.tick`.

        A kind with no deadline at all costs no Python step, one with none due yet a look at its
        earliest (most kinds, most ticks).
        """
        events: list[Event] = []
        for entries, step in filter(_HAS_ENTRIES, self._steps):  # the empty kinds skipped in C
            if entries[0][0] <= now:
                step(now, events)
        return tuple(events)

    def _announce_sla_levels(self, now: datetime, events: list[Event]) -> None:
        """One event per waiting dialog per SLA level it reached by ``now``, dated at the threshold."""
        for deadline, seq, _, dialog_id, epoch, level in self.state.deadlines.sla.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.epoch != epoch:
                continue
            if _LEVEL_RANK[level] > _LEVEL_RANK[rec.sla_notified]:
                events.append(SlaLevelChanged(at=deadline, dialog_id=rec.id, level=level))
                self.state.note_sla(rec, level, seq)

    def _expire_offers(self, now: datetime, events: list[Event]) -> None:
        """Withdraw offers whose time ran out; count misses and apply the missed-offers status."""
        limit = self.topology.config.missed_offers_limit
        for _, dialog_id, epoch in self.state.deadlines.offers.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.OFFERED or rec.epoch != epoch:
                continue
            holders = [self.state.ops[op_id] for op_id in sorted(rec.offered_to)]
            single = rec.operator_id is not None
            # A lapsed single offer moves on to the next operator; a lapsed broadcast rings again.
            for op in holders:
                self.effects.withdraw(rec, op, now, "expired", events, decline=single)
            if not single:
                continue
            op = holders[0]
            offers.count_miss(op)
            if limit is not None and op.missed >= limit and op.routable:
                comment = f"missed {op.missed} offers in a row"
                self.change_status(op, self.topology.config.missed_offers_status, now, comment, events)

    def withdraw_offers_of(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        """An operator who stops taking dialogs loses the offers they hold (no miss counted)."""
        offered = [d for d in op.dialogs if self.state.dialogs[d].state is DialogState.OFFERED]
        for dialog_id in sorted(offered) + sorted(op.offers or ()):
            rec = self.state.dialogs[dialog_id]
            if rec.state is DialogState.OFFERED and op.id in rec.offered_to:
                self.effects.withdraw(rec, op, now, "status", events, decline=False)

    def change_status(
        self, op: LiveOperator, status: str, now: datetime, comment: str | None, events: list[Event]
    ) -> None:
        """Set the status; update capacity, indexes and offers. The caller drains or re-queues."""
        events.append(StatusChanged(at=now, operator_id=op.id, old=op.status, new=status, comment=comment))
        operator_state.set_status(self.state, op, status, now, comment)
        if not op.routable:
            self.withdraw_offers_of(op, now, events)

    def _requeue_all(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        for rec in sorted((self.state.dialogs[d] for d in op.dialogs), key=lambda r: (r.routed_at, r.id)):
            events.append(DialogRequeued(at=now, dialog_id=rec.id, operator_id=op.id, reason="offline"))
            self.effects.reroute(rec, now, Via.REQUEUE, events)

    def requeue_later(self, op: LiveOperator, now: datetime, events: list[Event]) -> None:
        """Re-queue an offline operator's dialogs now, or after the grace period."""
        grace = self.topology.config.requeue_grace
        if not grace:
            self._requeue_all(op, now, events)
        elif op.dialogs:
            operator_state.requeue_after(self.state, op, now + grace, now)

    def _requeue_lapsed(self, now: datetime, events: list[Event]) -> None:
        """Re-queue the dialogs of operators still offline when their grace period ends."""
        for _, op_id, since in self.state.deadlines.requeues.due(now):
            op = self.state.ops[op_id]
            if op.status == "offline" and op.status_since == since:
                self._requeue_all(op, now, events)

    def _lapse_replies(self, now: datetime, events: list[Event]) -> None:
        """Dialogs whose operator did not reply in time go to someone else, never back."""
        timeout = self.topology.config.reply_timeout
        for _, dialog_id, assigned_at in self.state.deadlines.replies.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.ASSIGNED or rec.assigned_at != assigned_at:
                continue
            if rec.replied_at is not None or rec.operator_id is None or timeout is None:
                continue
            op = self.state.ops[rec.operator_id]
            reason = f"no reply within {timeout.total_seconds():g} s"
            events.append(DialogRequeued(at=now, dialog_id=rec.id, operator_id=op.id, reason=reason))
            offers.decline(self.state, rec, op, now)
            self.effects.reroute(rec, now, Via.REOFFER, events)
            self.effects.after_decline(rec, now, events)
            self.effects.drain(op, now, events)

    def _escalate_waiting(self, now: datetime, events: list[Event]) -> None:
        """Widen dialogs that waited past their rule's next ring; they keep their place in line."""
        for _, dialog_id, ring in self.state.deadlines.rings.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.ring != ring - 1 or rec.rule is None:
                continue
            to = self.topology.rules[rec.rule].escalate[ring - 1].to
            if to.kind is TargetKind.OPERATOR and to.id in rec.dialog.avoid:
                # a ring to an operator the dialog avoids is passed over: it waits on, for the next ring
                self.state.set_rule(rec, rec.rule, ring)
                self.state.schedule_ring(rec)
                continue
            # widened, not narrowed: it goes to whoever is free there, waiting for no busy favourite
            client = self.state.client_of(rec.dialog)
            decision = self.decider.decide(rec, client, now, trace=False, forced=to, patient=False)
            events.append(DialogEscalated(at=now, dialog_id=rec.id, rule=rec.rule, ring=ring, to=to))
            self._move_waiting(rec, decision, now, Via.ESCALATE, events, ring=ring)

    def _stop_waiting_for_preferred(self, now: datetime, events: list[Event]) -> None:
        """Dialogs whose wait for their busy preferred operator ran out go on to the target after it."""
        for due, dialog_id, epoch in self.state.deadlines.preferred.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.epoch != epoch:
                continue
            then, since = rec.preferred_then, rec.waiting_since
            if then is None or rec.preferred_until != due or rec.target is None or since is None:
                continue
            client = self.state.client_of(rec.dialog)
            decision = self.decider.decide(rec, client, now, trace=False, forced=then, patient=False)
            waited = now - since
            operator_id = str(rec.target.id)
            events.append(
                DialogStoppedWaiting(
                    at=now, dialog_id=rec.id, operator_id=operator_id, to=then, waited=waited
                )
            )
            self._move_waiting(rec, decision, now, Via.FALLBACK, events)

    def _move_waiting(
        self, rec: LiveDialog, decision: Draft, now: datetime, via: Via, events: list[Event], ring: int = 0
    ) -> None:
        """Move a waiting dialog where ``decision`` puts it; waiting again, it keeps its place in line
        and its SLA clock. ``ring``: the escalation ring it reached (0: none)."""
        assert rec.queue_key is not None
        assert rec.waiting_since is not None
        seq, since = rec.queue_key.seq, rec.waiting_since
        self.state.dequeue(rec)
        self.state.drop_fallback(rec)  # it goes on elsewhere, not to its favourite
        if ring:
            self.state.set_rule(rec, rec.rule, ring)
        if decision.outcome is Outcome.QUEUED and not decision.pool:
            assert decision.target is not None
            self.state.retarget(
                rec,
                decision.target,
                decision.target_key,
                decision.group_id,
                decision.pool,
                rec.rule,
                rec.ring,
            )
            self.state.push(rec, seq, since)  # same place in line, same SLA clock
            self.state.schedule_ring(rec)
        else:
            self.effects.apply(rec, decision, now, via, events)

    def _forget_lapsed_declines(self, now: datetime, events: list[Event]) -> None:
        """Declines older than the ``decline_memory`` no longer count: a waiting dialog may go to
        those operators again (``Via.REOFFER``)."""
        state = self.state
        for due, dialog_id, op_id in state.deadlines.declines.due(now):
            rec = state.dialogs.get(dialog_id)
            if rec is None or rec.state is DialogState.CLOSED or rec.declines_lapse.get(op_id) != due:
                continue
            offers.forget_declines(rec, frozenset((op_id,)))
            self.effects.retry_waiting(rec, now, Via.REOFFER, events)

    def _lift_caps(self, now: datetime, events: list[Event]) -> None:
        """Operators whose intake window moved on get new dialogs again (and the queue drains)."""
        for until, op_id in self.state.deadlines.caps.due(now):
            op = self.state.ops[op_id]
            if op.capped_until != until:
                continue
            self.state.lift_cap(op, now)
            self.effects.drain(op, now, events)
