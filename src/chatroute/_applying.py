"""Carrying decisions out: assigning, offering, queueing, and draining queues into operators.

:class:`Applying` adds to :class:`~chatroute._placement.Placement` (the router's state
and its decisions) the steps that change the state: a slot taken in an operator's load,
an offer, a place in a queue with its SLA deadlines, and the drain that hands waiting
dialogs to whoever frees capacity.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

import attrs

from ._deadlines import CapLifts, OfferExpiry, ReplyDue, RingDue, SlaDue
from ._placement import Draft, Placement
from ._state import NOBODY, LiveDialog, LiveOperator
from .decision import Decision
from .events import DialogAssigned, DialogOffered, DialogQueued, Event, Via
from .model import Channel, Client, DialogState, SlaLevel
from .queue import ChannelPriorityQueue, QueueKey

__all__ = ["Applying"]


class Applying(Placement):
    """The state-changing steps of routing; see :class:`chatroute.Router`."""

    def _finish(self, decision: Draft, rec: LiveDialog, now: datetime, events: list[Event]) -> Decision:
        """The frozen decision once applied: its events, and its place in line when it waits."""
        if rec.state is not DialogState.QUEUED:
            return decision.build(tuple(events))
        position = self._position(rec)
        return decision.build(tuple(events), position, self._estimate(rec, position))

    def _apply(self, rec: LiveDialog, decision: Draft, now: datetime, via: Via, events: list[Event]) -> None:
        """Carry out a decision made by ``_decide``."""
        self._retarget(rec, decision, via)
        if decision.operator_id is not None:
            self._assign(rec, self._ops[decision.operator_id], now, via, events)
        elif decision.offered_to:
            reserve = not self._broadcasts(rec.target_key)
            self._offer(rec, decision.offered_to, now, via, events, reserve=reserve)
        else:
            self._enqueue(rec, now, events)

    def _retarget(self, rec: LiveDialog, decision: Draft, via: Via) -> None:
        """Point the dialog at the decision's target (and pool, and the rule whose rings apply)."""
        assert decision.target is not None
        rec.target = decision.target
        rec.target_key = self._target_key(decision.target)
        rec.group_id = decision.group_id
        rec.pool = decision.pool
        if via is Via.ROUTE:
            rec.rule, rec.ring = decision.rule, 0
        elif via is Via.TRANSFER:
            rec.rule = None  # a transfer ends the rule's escalation

    def _hand(self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]) -> None:
        """Give the dialog to the operator: offered when operators must accept, else assigned.

        Operators must accept when the config has an ``accept_timeout``, and always for
        dialogs of a broadcast target.
        """
        if self._config.accept_timeout is not None or self._broadcasts(rec.target_key):
            self._offer(rec, (op.id,), now, via, events, reserve=True)
        else:
            self._assign(rec, op, now, via, events)

    def _take_slot(self, rec: LiveDialog, op: LiveOperator, now: datetime) -> None:
        """Count the dialog in the operator's load (assigned, or offered to them alone)."""
        channel = rec.dialog.channel
        op.load += rec.weight
        op.channel_loads[channel] = op.channel_loads.get(channel, 0) + 1
        self._assign_seq += 1
        op.last_assigned_seq = self._assign_seq
        op.last_assigned_at = now
        op.dialogs.add(rec.id)
        if self._config.intake_cap is not None:
            self._count_intake(op, now)
        self._refresh(op)
        rec.operator_id = op.id
        rec.pool = False
        if rec.target_key in self._strategies:
            self._last_picks[rec.target_key] = op.id

    def _count_intake(self, op: LiveOperator, now: datetime) -> None:
        """Note a new dialog for the intake cap; at the cap, the operator rests until the window moves."""
        if op.intake is None:
            op.intake = deque()
        op.intake.append(now)
        self._recheck_cap(op, now)

    def _recheck_cap(self, op: LiveOperator, now: datetime) -> None:
        """Forget intake older than the window; cap the operator while the window is full."""
        cap, window, intake = self._config.intake_cap, self._config.intake_window, op.intake
        while intake and intake[0] <= now - window:
            intake.popleft()
        if cap is not None and intake is not None and len(intake) >= cap:
            op.capped_until = intake[-cap] + window
            self._deadlines.caps.push(CapLifts(op.capped_until, op.id))
        else:
            op.capped_until = None

    def _offer(
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
        if reserve:
            self._take_slot(rec, self._ops[operator_ids[0]], now)
        else:
            rec.operator_id = None
            for op_id in operator_ids:
                self._ops[op_id].add_offer(rec.id)
        rec.state = DialogState.OFFERED
        rec.offered_at = now
        rec.offered_to = frozenset(operator_ids)
        rec.offer_expires = self._offer_expiry(now)
        rec.epoch += 1
        if rec.offer_expires is not None:
            self._deadlines.offers.push(OfferExpiry(rec.offer_expires, rec.id, rec.epoch))
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

    def _assign(
        self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]
    ) -> None:
        self._take_slot(rec, op, now)
        self._accepted(rec, op, now, via, events)

    def _accepted(
        self, rec: LiveDialog, op: LiveOperator, now: datetime, via: Via, events: list[Event]
    ) -> None:
        """The dialog, already in the operator's load, is now theirs."""
        op.assigned_total += 1
        op.missed = 0
        rec.state = DialogState.ASSIGNED
        rec.assigned_at = now
        rec.replied_at = None
        rec.offered_to = NOBODY
        rec.offer_expires = None
        if self._config.reply_timeout is not None:
            self._deadlines.replies.push(ReplyDue(now + self._config.reply_timeout, rec.id, now))
        client_id = rec.dialog.client_id
        if client_id is not None:
            client = self._clients.get(client_id)
            if client is None:
                self._clients[client_id] = Client(id=client_id, last_operator_id=op.id)
            elif client.last_operator_id != op.id:
                self._clients[client_id] = attrs.evolve(client, last_operator_id=op.id)
        events.append(
            DialogAssigned(at=now, dialog_id=rec.id, operator_id=op.id, group_id=rec.group_id, via=via)
        )

    def _detach(self, rec: LiveDialog, *, refresh: bool = True) -> LiveOperator | None:
        """Take the dialog off its operator or out of its queue; the operator, if it had one.

        With ``refresh=False`` the operator's indexes are left for the caller to refresh
        (a release refreshes once, after the drain).
        """
        if rec.state is DialogState.QUEUED:
            self._dequeue(rec)
            return None
        if rec.state is DialogState.OFFERED:
            for op_id in rec.offered_to:
                self._ops[op_id].drop_offer(rec.id)
            rec.offered_to, rec.offer_expires = NOBODY, None
        if rec.state is DialogState.CLOSED or rec.operator_id is None:
            return None
        op = self._ops[rec.operator_id]
        channel = rec.dialog.channel
        op.load -= rec.weight
        op.channel_loads[channel] -= 1
        op.dialogs.discard(rec.id)
        if refresh:
            self._refresh(op)
        return op

    def _enqueue(self, rec: LiveDialog, now: datetime, events: list[Event]) -> None:
        """Put the dialog at the back of its target's queue (or pool), its SLA clock restarted."""
        self._queue_seq += 1
        rec.state = DialogState.QUEUED
        rec.operator_id = None
        rec.waiting_since = now
        rec.sla_notified = SlaLevel.OK
        rec.epoch += 1
        self._push(rec, self._queue_seq, now)
        self._schedule_ring(rec)
        assert rec.target is not None
        events.append(DialogQueued(at=now, dialog_id=rec.id, target=rec.target, pool=rec.pool))

    def _schedule_ring(self, rec: LiveDialog) -> None:
        """If the dialog's rule has a wider ring left, note when the dialog reaches it."""
        rule = self._rules.get(rec.rule) if rec.rule is not None else None
        if rule is not None and rec.ring < len(rule.escalate):
            due = rec.routed_at + rule.escalate[rec.ring].after
            self._deadlines.rings.push(RingDue(due, rec.id, rec.ring + 1))

    def _push(self, rec: LiveDialog, seq: int, since: datetime) -> None:
        """Put the dialog in its queue (or pool) and schedule its SLA deadlines."""
        channel = self._channels[rec.dialog.channel]
        key = self._queue_key(rec)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = ChannelPriorityQueue(aging=self._config.aging)
        queue.push(
            rec.id,
            channel_priority=channel.priority,
            priority=rec.dialog.priority,
            seq=seq,
            since=since,
            sla=channel.sla,
        )
        rec.queue_key = queue.key(rec.id)
        self._next_sla_deadline(rec, channel, seq, since)

    def _next_sla_deadline(self, rec: LiveDialog, channel: Channel, seq: int, since: datetime) -> None:
        """Schedule the next SLA threshold the waiting dialog has not reached (one at a time)."""
        if rec.sla_notified is SlaLevel.OK:
            self._deadlines.sla.push(
                SlaDue(since + channel.sla.warn, seq, 1, rec.id, rec.epoch, SlaLevel.WARN)
            )
        elif rec.sla_notified is SlaLevel.WARN:
            due = since + channel.sla.critical
            self._deadlines.sla.push(SlaDue(due, seq, 2, rec.id, rec.epoch, SlaLevel.CRITICAL))

    def _dequeue(self, rec: LiveDialog) -> None:
        key = self._queue_key(rec)
        queue = self._queues[key]
        queue.remove(rec.id)
        if not queue:
            del self._queues[key]
        rec.queue_key = None

    def _drain(self, op: LiveOperator, now: datetime, events: list[Event]) -> bool:
        """Give the operator the best waiting dialogs they can take, while they have room.

        Looks at the queues of every target the operator serves (their own, their
        groups', everyone's; manual pools excepted) and takes the dialog first in
        service order that they are eligible for. True when it gave them one (which
        refreshed their place in the indexes).
        """
        handed = False
        queues, dialogs = self._queues, self._dialogs
        while op.routable and op.load < op.limit and op.capped_until is None:
            best_key: QueueKey | None = None
            best: LiveDialog | None = None
            for key in op.targets:
                queue = queues.get(key)
                if queue is None:
                    continue
                head = queue.peek()
                if head is None or (best_key is not None and head >= best_key):
                    continue
                rec = dialogs[head.dialog_id]
                if not self._constrained(rec):  # whoever has room can take it
                    best_key, best = head, rec
                    continue
                for entry in queue.entries():  # walk past those this operator cannot take
                    if best_key is not None and entry >= best_key:
                        break
                    rec = dialogs[entry.dialog_id]
                    if self._ineligible(op, rec) is None:
                        best_key, best = entry, rec
                        break
            if best is None:
                break
            self._dequeue(best)
            self._hand(best, op, now, Via.DRAIN, events)
            handed = True
        return handed
