"""Carrying decisions out: assigning, offering, queueing, and draining queues into operators.

:class:`Effects` turns a :class:`~chatroute._placement.Draft` into changes of the
state (through :class:`~chatroute._router_state.RouterState`'s operations) and the
events that say so: a slot taken in an operator's load, an offer, a place in a queue;
the drain that hands waiting dialogs to whoever frees capacity; and an offer that ends
without an accept, which places the dialog again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from . import _state_after_chat as after_chat
from . import _state_offers as offers
from . import _state_requirements as requirements
from ._draft import Draft
from ._eligibility import constrained, declined_by_all, ineligible
from ._placement import Decider
from ._queries import estimate, position
from ._relaxing import steps_at
from ._router_state import RouterState
from ._state import NOBODY, LiveDialog, LiveOperator
from ._topology import Topology
from .config import AllDeclined
from .decision import Decision, Outcome
from .events import (
    DialogAssigned,
    DialogDeclinedByAll,
    DialogOffered,
    DialogQueued,
    DialogReleased,
    DialogTransferred,
    Event,
    OfferWithdrawn,
    RequirementRelaxed,
    Via,
    WrapUpStarted,
)
from .model import Client, DialogState, Rating, Target, TargetKind
from .queue import QueueKey
from .snapshot import TransferRecord

__all__ = ["Effects"]

#: The withdrawals the queue statistics count, by reason (a status change is not counted).
_OFFER_ENDS = {"declined": "declined", "expired": "lapsed"}


class Effects:
    """The state-changing steps of routing, each with the events it causes."""

    __slots__ = ("decider", "state", "topology")

    def __init__(self, topology: Topology, state: RouterState, decider: Decider) -> None:
        self.topology = topology
        self.state = state
        self.decider = decider

    def finish(self, decision: Draft, rec: LiveDialog, now: datetime, events: list[Event]) -> Decision:
        """The frozen decision once applied: its events, and its place in line when it waits."""
        place, wait = self.waiting(rec)
        return decision.build(tuple(events), place, wait)

    def waiting(self, rec: LiveDialog) -> tuple[int | None, timedelta | None]:
        """The dialog's place in line and wait estimate; (None, None) when it is not waiting."""
        if rec.state is not DialogState.QUEUED:
            return None, None
        place = position(self.state, rec)
        return place, estimate(self.state, rec, place)

    def apply(self, rec: LiveDialog, decision: Draft, now: datetime, via: Via, events: list[Event]) -> None:
        """Carry out a decision made by :meth:`Decider.decide`; see :meth:`place`."""
        assert decision.target is not None
        self.place(
            rec,
            decision.target,
            decision.target_key,
            decision.group_id,
            decision.pool,
            decision.rule,
            decision.operator_id,
            decision.offered_to,
            now,
            via,
            events,
        )
        waits_for = decision.waits_for
        if waits_for is not None and rec.state is DialogState.QUEUED:
            self.state.wait_for_preferred(rec, waits_for[1], waits_for[2])

    def place(
        self,
        rec: LiveDialog,
        target: Target,
        key: str,
        group_id: str | None,
        pool: bool,
        rule: str | None,
        operator_id: str | None,
        offered_to: tuple[str, ...],
        now: datetime,
        via: Via,
        events: list[Event],
    ) -> None:
        """Put the dialog where a decision (or the express lane) placed it.

        The dialog is pointed at the target; a route notes the rule whose rings may
        widen it, a transfer ends that rule's escalation. Then it is assigned to
        ``operator_id``, offered to ``offered_to``, or queued.
        """
        state = self.state
        if via is Via.ROUTE:
            state.retarget(rec, target, key, group_id, pool, rule, 0)
        else:  # a transfer ends the rule's escalation; anything else keeps it
            kept_rule = None if via is Via.TRANSFER else rec.rule
            state.retarget(rec, target, key, group_id, pool, kept_rule, rec.ring)
        if operator_id is not None:
            op = state.ops[operator_id]
            state.take_slot(rec, op, now)
            self.accepted(rec, op, now, via, events)
        elif offered_to:
            reserve = key not in self.topology.broadcast_keys
            self.offer(rec, offered_to, now, via, events, reserve=reserve)
        else:
            self.enqueue(rec, now, events)

    def hand(self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]) -> None:
        """Give the dialog to the operator: offered when operators must accept, else assigned.

        Operators must accept when the config has an ``accept_timeout``, and always for
        dialogs of a broadcast target.
        """
        topology = self.topology
        if topology.config.accept_timeout is not None or rec.target_key in topology.broadcast_keys:
            self.offer(rec, (op.id,), now, via, events, reserve=True)
        else:
            self.assign(rec, op, now, via, events)

    def offer(
        self,
        rec: LiveDialog,
        operator_ids: tuple[str, ...],
        now: datetime,
        via: Via,
        events: list[Event],
        *,
        reserve: bool,
    ) -> None:
        """Offer the dialog to one operator, holding a slot for them, or broadcast it to several."""
        offers.offer(self.state, rec, operator_ids, now, reserve=reserve)
        events.append(
            DialogOffered(
                at=now,
                dialog_id=rec.id,
                operator_ids=tuple(sorted(operator_ids)),
                group_id=rec.group_id,
                expires_at=rec.offer_expires,
                via=via,
            )
        )

    def assign(self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]) -> None:
        """Give the dialog to the operator, in their load."""
        self.state.take_slot(rec, op, now)
        self.accepted(rec, op, now, via, events)

    def accepted(
        self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]
    ) -> None:
        """The dialog, already in the operator's load, is now theirs."""
        self.state.assigned(rec, op, now)
        events.append(
            DialogAssigned(at=now, dialog_id=rec.id, operator_id=op.id, group_id=rec.group_id, via=via)
        )

    def enqueue(self, rec: LiveDialog, now: datetime, events: list[Event]) -> None:
        """Put the dialog at the back of its target's queue (or pool), its SLA clock restarted."""
        self.state.enqueue(rec, now)
        assert rec.target is not None
        events.append(DialogQueued(at=now, dialog_id=rec.id, target=rec.target, pool=rec.pool))

    def drain(self, op: LiveOperator, now: datetime, events: list[Event]) -> bool:
        """Give the operator the best waiting dialogs they can take, while they have room.

        Looks at the queues of every target the operator serves (their own, their
        groups', everyone's; manual pools excepted) and takes the dialog first in
        service order that they are eligible for. True when it gave them one (which
        refreshed their place in the indexes).
        """
        handed = False
        state = self.state
        # Requirements relaxed by now count in this drain. relax_due pops every step due,
        # so the first drain of a call applies them all and later ones only peek. It stays
        # here rather than once at the start of each call: a call that frees several
        # operators (a tick's lapsed offers, a transfer) relaxes after the first is free
        # and before the next, which decides who the relaxed dialogs go to.
        if state.relaxing and state.deadlines.relaxes.due_by(now):
            state.refresh(op)
            self.relax_due(now, events)
        queues, dialogs = state.queues, state.dialogs
        while op.routable and op.load < op.limit and op.capped_until is None:
            best_key: QueueKey | None = None
            best: LiveDialog | None = None
            for queue in map(queues.get, op.targets):  # the queue of each target they serve, if any
                if queue is None:
                    continue
                head = queue.peek()
                if head is None or (best_key is not None and head >= best_key):
                    continue
                rec = dialogs[head.dialog_id]
                if not constrained(rec):  # whoever has room can take it
                    best_key, best = head, rec
                    continue
                config = self.topology.config
                for entry in queue.entries():  # walk past those this operator cannot take
                    if best_key is not None and entry >= best_key:
                        break
                    rec = dialogs[entry.dialog_id]
                    if ineligible(op, rec, config) is None:
                        best_key, best = entry, rec
                        break
            if best is None:
                break
            state.dequeue(best)
            self.hand(best, op, now, Via.DRAIN, events)
            handed = True
        return handed

    def relax_due(self, now: datetime, events: list[Event]) -> None:
        """Apply the requirement steps due by ``now``, each announced; a waiting dialog that
        someone can take now is placed (``Via.RELAX``), the others keep their place in line.

        A step of a dialog no longer waiting is dropped: should it wait again, its queue
        entry schedules the steps from where it left off (:meth:`RouterState.enqueue`)."""
        state = self.state
        for due, dialog_id in state.deadlines.relaxes.due(now):
            rec = state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED:
                continue
            if rec.relaxed_at is not None and rec.relaxed_at >= due:
                continue  # applied already
            requirements.relax(state, rec, due)
            for relax, level in steps_at(rec.relax, due - rec.routed_at):
                events.append(RequirementRelaxed(at=due, dialog_id=rec.id, skill=relax.skill, level=level))
            self.retry_waiting(rec, now, Via.RELAX, events)

    def withdraw(
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
        shared = rec.operator_id is None and len(rec.offered_to) > 1  # a broadcast others still hold
        outcome = _OFFER_ENDS.get(reason)
        if outcome == "declined" or (outcome == "lapsed" and not shared):  # a broadcast lapses once
            offers.offer_ended(self.state, rec, outcome, now)
        if decline:
            offers.decline(self.state, rec, op, now)
        if shared:
            offers.withdraw_from(rec, op)
            return
        freed = self.reroute(rec, now, Via.REOFFER, events)
        if decline:
            self.after_decline(rec, now, events)
        if freed is not None:
            self.drain(freed, now, events)

    def after_decline(self, rec: LiveDialog, now: datetime, events: list[Event]) -> None:
        """A declined dialog that now waits because everyone who could take it declined it:
        the config's ``all_declined`` applies."""
        policy = self.topology.config.all_declined
        if rec.state is not DialogState.QUEUED or rec.pool or policy is AllDeclined.WAIT:
            return
        state = self.state
        declined = declined_by_all(rec, (state.ops[op_id] for op_id in self.topology.members[rec.target_key]))
        if not declined:
            return
        assert rec.target is not None
        retry = policy is AllDeclined.RETRY
        events.append(
            DialogDeclinedByAll(at=now, dialog_id=rec.id, target=rec.target, declined=declined, retried=retry)
        )
        if retry:
            offers.forget_declines(rec, rec.declined)
            self.retry_waiting(rec, now, Via.REOFFER, events)

    def retry_waiting(self, rec: LiveDialog, now: datetime, via: Via, events: list[Event]) -> None:
        """Place a waiting dialog if someone can take it now (something changed for it, not for
        the operators); otherwise it keeps its place in line. Already waiting, it does not start
        waiting for a busy favourite instead of going to whoever is free."""
        if rec.state is not DialogState.QUEUED or rec.pool:
            return
        assert rec.target is not None
        client = self.state.client_of(rec.dialog)
        decision = self.decider.decide(rec, client, now, trace=False, forced=rec.target, patient=False)
        if decision.outcome is Outcome.ASSIGNED or decision.outcome is Outcome.OFFERED:
            self.state.dequeue(rec)
            self.apply(rec, decision, now, via, events)

    def reroute(self, rec: LiveDialog, now: datetime, via: Via, events: list[Event]) -> LiveOperator | None:
        """Take the dialog from where it is and place it again inside its target; one that
        waited for its favourite operator and came back from them goes where it would have
        gone after that wait (its fallback), not back into their own queue.

        Decides before it changes anything, so a custom strategy that raises leaves the
        dialog where it was.

        Returns:
            The operator whose capacity it freed, if any (the caller drains them).
        """
        state = self.state
        target = rec.preferred_then or rec.target  # its fallback, if it came back from its favourite
        assert target is not None
        client = state.client_of(rec.dialog)
        decision = self.decider.decide(rec, client, now, trace=False, forced=target)
        state.drop_fallback(rec)
        freed = state.free_slot(rec)
        state.unassign(rec)
        self.apply(rec, decision, now, via, events)
        return freed

    def release(self, rec: LiveDialog, now: datetime, rating: Rating | None) -> tuple[Event, ...]:
        """Close the dialog; its operator's capacity frees and the queue drains into it."""
        state = self.state
        was_assigned = rec.state is DialogState.ASSIGNED
        if self.topology.wrap_ups and was_assigned:  # no operator has after-chat work: one look
            wrapped = self._wrap_up(rec, now, rating)
            if wrapped is not None:
                return wrapped
        freed = state.free_slot(rec, refresh=False)  # refreshed once, below
        state.close(rec, now, rating, handled=freed is not None and was_assigned)
        sentiment = rating.sentiment if rating is not None else None
        events: list[Event] = [
            DialogReleased(
                at=now, dialog_id=rec.id, operator_id=rec.operator_id, rating=rating, sentiment=sentiment
            )
        ]
        if freed is not None and not self.drain(freed, now, events):
            state.refresh(freed)
        return tuple(events)

    def _wrap_up(self, rec: LiveDialog, now: datetime, rating: Rating | None) -> tuple[Event, ...] | None:
        """Close the assigned dialog keeping its slot for the operator's after-chat work, if
        they have any on its channel (and it still holds a slot); None when not."""
        op = self.state.ops[str(rec.operator_id)]
        wrap_up = self.topology.wrap_ups.get((op.id, rec.dialog.channel))
        if wrap_up is None or (rec.held_since is not None and not self.topology.config.hold_counts):
            return None
        until = now + wrap_up
        after_chat.start_wrap_up(self.state, rec, op, until)
        self.state.close(rec, now, rating, handled=True)
        sentiment = rating.sentiment if rating is not None else None
        events: list[Event] = [
            DialogReleased(at=now, dialog_id=rec.id, operator_id=op.id, rating=rating, sentiment=sentiment),
            WrapUpStarted(at=now, operator_id=op.id, dialog_id=rec.id, until=until),
        ]
        # the load stays taken, the channel limit's place does not: a dialog held back by it may go now
        self.drain(op, now, events)
        return tuple(events)

    def transfer(
        self, rec: LiveDialog, to: Target, now: datetime, *, by: str | None, trigger: str | None
    ) -> Decision:
        """Move the open dialog to ``to``, keeping its history; its operator's capacity frees."""
        state = self.state
        client = state.client_of(rec.dialog)
        from_operator, from_group = rec.operator_id, rec.group_id
        # Only the operator who just passed the dialog on is kept from getting it back, and
        # only until its next transfer; naming an operator explicitly lifts that, and their
        # earlier decline of an offer.
        before = rec.excluded, rec.declined
        named = to.kind is TargetKind.OPERATOR
        excluded = frozenset({from_operator}) if from_operator is not None and not named else NOBODY
        offers.exclude(rec, excluded, rec.declined - {str(to.id)} if named else rec.declined)
        try:
            decision = self.decider.decide(rec, client, now, trace=self.topology.config.explain, forced=to)
        except BaseException:
            offers.exclude(rec, *before)
            raise
        if named and rec.declines_lapse:  # the decline lifted, its lapse goes with it
            offers.forget_declines(rec, frozenset((str(to.id),)))
        freed = state.free_slot(rec)
        state.drop_fallback(rec)  # transferred: it belongs to ``to`` now
        record = TransferRecord(
            at=now, from_operator_id=from_operator, from_group_id=from_group, to=to, by=by, trigger=trigger
        )
        state.note_transfer(rec, record)
        events: list[Event] = [
            DialogTransferred(
                at=now, dialog_id=rec.id, from_operator_id=from_operator, to=to, by=by, trigger=trigger
            )
        ]
        self.apply(rec, decision, now, Via.TRANSFER, events)
        if freed is not None:
            self.drain(freed, now, events)
        if trigger is not None and decision.trace is not None:
            note = f"trigger {trigger!r} moved the dialog to {to}"
            decision.trace = attrs.evolve(decision.trace, notes=(note, *decision.trace.notes))
        return self.finish(decision, rec, now, events)

    def route(self, rec: LiveDialog, client: Client | None, now: datetime) -> Decision:
        """Decide where a new dialog goes and put it there (unless it is rejected)."""
        decision = self.decider.decide(rec, client, now, trace=self.topology.config.explain)
        if decision.outcome is Outcome.REJECTED:
            return decision.build()
        self.state.keep(rec, client)
        events: list[Event] = []
        self.apply(rec, decision, now, Via.ROUTE, events)
        return self.finish(decision, rec, now, events)
