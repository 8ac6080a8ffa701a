"""The discrete-event loop: drives a real :class:`~chatroute.Router` through simulated traffic.

Every dialog is routed when it arrives and released when its handling ends (releasing
a dialog that is still waiting means the client gave up). Shifts and breaks are status
changes. What the router does in return (assignments from the queue when capacity
frees, SLA highlights from :meth:`Router.tick`) comes back as events, and the engine
learns from them alone. The simulated clock is a float of seconds after the
scenario's start, turned into aware datetimes for the router; nothing reads the
wall clock.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ..decision import Decision, Outcome
from ..errors import InvalidTransition
from ..events import (
    DialogAssigned,
    DialogHeld,
    DialogOffered,
    DialogQueued,
    DialogReleased,
    DialogRequeued,
    DialogResumed,
    DialogTransferred,
    Event,
    SlaLevelChanged,
    WrapUpEnded,
    WrapUpStarted,
)
from ..model import Dialog, SlaLevel, Target, TargetKind
from ..router import Router
from ._calendar import (
    ABANDON,
    ACCEPT,
    CLAIM_DIALOG,
    COMPLETE,
    HOLD,
    READY,
    REDIAL,
    RESUME,
    STATUS,
    TRANSFER,
    WAKE,
)
from ._pickups import Pickups
from ._records import (
    ABANDONED,
    ASSIGNED,
    CLOSED,
    REJECTED,
    WAITING,
    DialogRecord,
    OperatorRecord,
    operator_records,
)
from ._results import Fate, RunData, fate, operator_figures, outcome
from .scenario import Scenario
from .traffic import Arrival, StatusChange
from .variants import Variant

__all__ = ["Engine", "RunData"]

_PROGRESS_EVERY = 2000  # arrivals between progress reports


class Engine:
    """One simulated run of one variant.

    Args:
        scenario: span, warm-up, drain and traffic settings.
        variant: the config to route with.
        arrivals: the traffic, shared by every variant of a comparison: a sequence, or
            an iterator (:func:`~chatroute.simulate.traffic.draw_arrivals`), which the
            engine consumes as the run goes, so arrivals it is done with can be freed.
        changes: shift and break status changes.
        seed: seeds the router and the manual-pool pick-up delays.
    """

    def __init__(
        self,
        scenario: Scenario,
        variant: Variant,
        arrivals: Iterable[Arrival],
        changes: Sequence[StatusChange],
        *,
        seed: int,
    ) -> None:
        config = attrs.evolve(variant.config, explain=False)
        self.router = Router(config, seed=seed)
        self.scenario = scenario
        self.arrivals = iter(arrivals)
        self.upcoming = next(self.arrivals, None)  # the next arrival, None when there are no more
        self.start = scenario.start
        self.warmup = scenario.warmup.total_seconds()
        self.span = scenario.hours * 3600.0
        self.horizon = self.span + scenario.drain.total_seconds()
        self.now = 0.0
        self.when = self.start
        self.arrived = 0
        self.heap: list[tuple[float, int, int, int, Any, int]] = []
        self.seq = 0
        # each dialog in arrival order: its record while it goes on, its fate once it is done
        self.records: list[DialogRecord | Fate] = []
        self.by_id: dict[str, DialogRecord] = {}
        self.queues: dict[str, int] = {}
        self.max_queues: dict[str, int] = {}
        self.handlers: dict[type[Event], Callable[[Any], None]] = {
            DialogAssigned: self._on_assigned,
            DialogQueued: self._on_queued,
            DialogOffered: self._on_offered,
            DialogReleased: self._on_released,
            DialogTransferred: self._on_transferred,
            DialogRequeued: self._on_requeued,
            SlaLevelChanged: self._flagged,
            DialogHeld: self._on_held,
            DialogResumed: self._on_resumed,
            WrapUpStarted: self._on_wrap_up,
            WrapUpEnded: self._on_wrap_up_ended,
        }
        self.holds = random.Random(f"{seed}/hold")
        self.wrap_ups = random.Random(f"{seed}/wrap-up")
        self.wrapping: dict[tuple[str, str], int] = {}  # (operator, dialog): weight of a wrap-up slot
        self.redials = random.Random(f"{seed}/redial")
        self.slowdown = scenario.traffic.concurrency
        self.weights = {c.name: c.capacity_weight for c in config.channels}
        self.slas = {c.name: c.sla.warn.total_seconds() for c in config.channels}
        self.ops = operator_records(self.router)
        self.pickups = Pickups(
            self.router, self.ops, scenario.traffic.pickup, seed=seed, push=self._push, absorb=self._absorb
        )
        for change in changes:
            self._push(change.at, STATUS, change, 0)

    # ------------------------------------------------------------------ the loop

    def run(self, *, until: float | None = None, progress: Callable[[float], None] | None = None) -> None:
        """Process events in time order up to ``until`` seconds (default: the end of the drain)."""
        stop = self.horizon if until is None else min(until, self.horizon)
        heap, arrivals = self.heap, self.arrivals
        while True:
            upcoming = self.upcoming
            at_next = upcoming.at if upcoming is not None else math.inf
            if heap and heap[0][0] <= at_next:
                if heap[0][0] > stop:
                    break
                at, _, _, kind, item, token = heapq.heappop(heap)
                self._advance(at)
                self._handle(kind, item, token)
            elif upcoming is not None and at_next <= stop:
                self._advance(at_next)
                self.upcoming = next(arrivals, None)
                self._arrive(upcoming)
                self.arrived += 1
                if progress is not None and self.arrived % _PROGRESS_EVERY == 0:
                    progress(self.now / self.horizon)
            else:
                break
        if progress is not None:
            progress(1.0)

    def moment(self, seconds: float) -> datetime:
        """The aware datetime ``seconds`` after the scenario's start."""
        return self.start + timedelta(seconds=seconds)

    def _advance(self, at: float) -> None:
        self.now = at
        self.when = self.start + timedelta(seconds=at)
        due = self.router.next_tick()
        if due is not None and due <= self.when:
            events = self.router.tick(self.when)
            if events:
                self._absorb(events)

    def _push(self, at: float, kind: int, item: Any, token: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, kind, self.seq, kind, item, token))

    def _handle(self, kind: int, item: Any, token: int) -> None:
        if kind == COMPLETE:
            self._complete(item, token)
        elif kind == STATUS:
            self._status(item)
        elif kind == ABANDON:
            self._abandon(item)
        elif kind == TRANSFER:
            self._transfer(item, token)
        elif kind == CLAIM_DIALOG:
            self.pickups.claim_dialog(item, self.when)
        elif kind == ACCEPT:
            self.pickups.accept(item, token, self.when)
        elif kind == REDIAL:
            self._arrive(item)
        elif kind == HOLD:
            self._hold(item, token)
        elif kind == RESUME:
            self._resume(item, token)
        elif kind == READY:
            self._absorb(self.router.ready(item, self.when))
        elif kind == WAKE:
            pass
        else:
            self.pickups.claim_for(item, self.when)

    # ---------------------------------------------------------------- handlers

    def _arrive(self, arrival: Arrival) -> None:
        dialog = arrival.dialog
        rec = DialogRecord(arrival, self.weights[dialog.channel], len(self.records))
        self.records.append(rec)
        self.by_id[dialog.id] = rec
        decision: Decision = self.router.route(dialog, self.when)
        rec.group = decision.group_id
        if decision.outcome is Outcome.REJECTED:
            rec.state = REJECTED
            return
        rec.waited = decision.outcome is not Outcome.ASSIGNED  # queued, or offered until accepted
        self._absorb(decision.events)
        if rec.state == WAITING and arrival.patience != math.inf:
            self._push(arrival.at + arrival.patience, ABANDON, rec, 0)

    def _complete(self, rec: DialogRecord, token: int) -> None:
        if token != rec.token or rec.state != ASSIGNED:
            return
        rec.state = CLOSED
        self._absorb(self.router.release(rec.arrival.dialog.id, self.when))
        self._forget(rec)

    def _abandon(self, rec: DialogRecord) -> None:
        if rec.state != WAITING or rec.first_at is not None:
            return
        rec.state = ABANDONED
        self._unqueue(rec)
        self._absorb(self.router.release(rec.arrival.dialog.id, self.when))
        self._forget(rec)
        redial = self.scenario.traffic.redial
        if redial is not None and self.redials.random() < redial.share:
            self._redial(rec.arrival, self.now + redial.after.draw(self.redials))

    def _redial(self, first: Arrival, at: float) -> None:
        """The client who gave up writes again at ``at`` (if dialogs still arrive then), as a new dialog."""
        if at >= self.span:
            return
        traffic = self.scenario.traffic
        dialog = first.dialog
        root = dialog.id.rsplit("-r", 1)[0] if first.redial else dialog.id
        again = Arrival(
            at=at,
            dialog=attrs.evolve(dialog, id=f"{root}-r{first.redial + 1}", created_at=self.moment(at)),
            handle=traffic.handle_for(dialog.topic).draw(self.redials),
            patience=traffic.patience.draw(self.redials) if traffic.patience is not None else first.patience,
            redial=first.redial + 1,
        )
        self._push(at, REDIAL, again, 0)

    def _transfer(self, rec: DialogRecord, token: int) -> None:
        if token != rec.token or rec.state != ASSIGNED:
            return
        target = Target.group(str(rec.arrival.transfer_to))
        rec.pending = rec.arrival.second_handle
        decision = self.router.transfer(rec.arrival.dialog.id, target, self.when, by=rec.operator)
        self._absorb(decision.events)

    def _status(self, change: StatusChange) -> None:
        op = self.ops[change.operator_id]
        op.touch(self.now, self.warmup, self.span)
        op.logged = change.status != "offline"
        self._absorb(self.router.set_status(change.operator_id, change.status, self.when))
        self.pickups.room(op, self.now)

    def _forget(self, rec: DialogRecord) -> None:
        if self.pickups.offers:
            self.pickups.withdraw(rec.arrival.dialog.id)
        # a client who writes again keeps their last operator, as before clients had a lifetime
        self.router.forget(rec.arrival.dialog.id, keep_client=True)
        del self.by_id[rec.arrival.dialog.id]
        # nothing changes a forgotten dialog's figures: keep them in a form the garbage
        # collector need not traverse, and let the record, arrival and dialog go
        self.records[rec.index] = fate(rec)

    # ------------------------------------------------------------------ events

    def _absorb(self, events: Sequence[Event]) -> None:
        """Learn from the router's events: each kind the engine cares about has its handler."""
        handlers = self.handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

    def _on_assigned(self, event: DialogAssigned) -> None:
        self._assigned(self.by_id[event.dialog_id], self.ops[event.operator_id])

    def _on_queued(self, event: DialogQueued) -> None:
        self._queued(self.by_id[event.dialog_id], event)

    def _on_offered(self, event: DialogOffered) -> None:
        """The dialog rings for some operators: after a reaction time, one of them accepts."""
        rec = self.by_id[event.dialog_id]
        if rec.queue_keys:
            self._unqueue(rec)
        rec.state = WAITING
        rec.token += 1
        self.pickups.offer(rec, event.operator_ids, self.now)

    def _on_released(self, event: DialogReleased) -> None:
        self._unload(self.by_id[event.dialog_id])

    def _on_transferred(self, event: DialogTransferred) -> None:
        rec = self.by_id[event.dialog_id]
        self._moved(rec)
        rec.transfers += 1

    def _on_requeued(self, event: DialogRequeued) -> None:
        rec = self.by_id[event.dialog_id]
        if rec.queue_keys:  # a resumed dialog that waited for its operator
            self._unqueue(rec)
        else:
            rec.pending = max(rec.due - self.now, 0.0)
        self._moved(rec)

    # ------------------------------------------------------- holds and wrap-up

    def _hold(self, rec: DialogRecord, token: int) -> None:
        """The client goes quiet: the chat is put on hold, and resumed after the drawn length."""
        hold = self.scenario.traffic.hold
        if token != rec.token or rec.state != ASSIGNED or hold is None:
            return
        self._absorb(self.router.hold(rec.arrival.dialog.id, self.when))
        self._push(self.now + hold.length.draw(self.holds), RESUME, rec, rec.token)

    def _resume(self, rec: DialogRecord, token: int) -> None:
        if token != rec.token or rec.state != ASSIGNED:
            return
        rec.due = self.now + rec.rest
        try:
            events = self.router.resume(rec.arrival.dialog.id, self.when)
        except InvalidTransition:  # no longer held (its operator went offline meanwhile)
            return
        self._absorb(events)
        wait = self.router.config.resume_wait
        if rec.state == WAITING and wait:  # waiting for its operator: routed on when the wait ends
            self._push(self.now + wait.total_seconds(), WAKE, None, 0)

    def _on_held(self, event: DialogHeld) -> None:
        if not event.counts:  # the slot is free while the chat is held
            rec = self.by_id[event.dialog_id]
            self._unload(rec)
            rec.held_by = event.operator_id

    def _on_resumed(self, event: DialogResumed) -> None:
        rec = self.by_id[event.dialog_id]
        if rec.held_by is not None:
            op = self.ops[rec.held_by]
            op.touch(self.now, self.warmup, self.span)
            op.load += rec.weight
            op.open += 1
            rec.operator, rec.held_by = op.id, None
        self._push(rec.due, COMPLETE, rec, rec.token)

    def _on_wrap_up(self, event: WrapUpStarted) -> None:
        """The released dialog's slot stays taken; the operator is ready after their after-chat work."""
        op = self.ops[event.operator_id]
        weight = self.by_id[event.dialog_id].weight
        op.touch(self.now, self.warmup, self.span)
        op.load += weight
        self.wrapping[op.id, event.dialog_id] = weight
        self._push((event.until - self.start).total_seconds(), WAKE, None, 0)  # the timer ends it then
        wrap_up = self.scenario.traffic.wrap_up
        if wrap_up is not None:
            ready = self.now + wrap_up.draw(self.wrap_ups)
            if self.moment(ready) < event.until:
                self._push(ready, READY, op.id, 0)

    def _on_wrap_up_ended(self, event: WrapUpEnded) -> None:
        op = self.ops[event.operator_id]
        op.touch(self.now, self.warmup, self.span)
        op.load -= self.wrapping.pop((op.id, event.dialog_id))
        self.pickups.room(op, self.now)

    def _assigned(self, rec: DialogRecord, op: OperatorRecord) -> None:
        if rec.queue_keys:
            self._unqueue(rec)
        if self.pickups.offers:
            self.pickups.withdraw(rec.arrival.dialog.id)
        op.touch(self.now, self.warmup, self.span)
        op.load += rec.weight
        op.open += 1
        if rec.arrival.at >= self.warmup:
            op.assigned += 1
        rec.operator = op.id
        rec.state = ASSIGNED
        rec.token += 1
        arrival = rec.arrival
        # each other open dialog makes this one slower by the concurrency factor
        slow = 1.0 if self.slowdown == 1.0 else self.slowdown ** (op.open - 1)
        if rec.first_at is None:
            rec.first_at = self.now
            if arrival.transfer_to is not None and arrival.transfer_after < arrival.handle:
                self._push(self.now + arrival.transfer_after * slow, TRANSFER, rec, rec.token)
                return
            rec.due = self.now + arrival.handle * slow
            hold = self.scenario.traffic.hold
            if hold is not None and self.holds.random() < hold.share:
                after = hold.after.draw(self.holds)
                if after < arrival.handle:
                    rec.rest = (arrival.handle - after) * slow
                    self._push(self.now + after * slow, HOLD, rec, rec.token)
                    return
        else:
            rec.due = self.now + rec.pending * slow
        self._push(rec.due, COMPLETE, rec, rec.token)

    def _queued(self, rec: DialogRecord, event: DialogQueued) -> None:
        rec.state = WAITING
        rec.pool = event.pool
        target = event.target
        group = target.id if target.kind is TargetKind.GROUP else "-"
        rec.queue_keys = ("", "channel:" + rec.arrival.dialog.channel, f"group:{group}")
        measured = self.now >= self.warmup
        for key in rec.queue_keys:
            length = self.queues.get(key, 0) + 1
            self.queues[key] = length
            if measured and length > self.max_queues.get(key, 0):
                self.max_queues[key] = length
        if event.pool:
            self.pickups.pooled(rec, self.now)

    def _unqueue(self, rec: DialogRecord) -> None:
        for key in rec.queue_keys:
            self.queues[key] -= 1
        rec.queue_keys = ()

    def _moved(self, rec: DialogRecord) -> None:
        """The dialog left its operator (transfer or requeue); its next handling is ``pending``."""
        rec.token += 1
        rec.state = WAITING
        self._unload(rec)
        rec.held_by = None

    def _unload(self, rec: DialogRecord) -> None:
        """The dialog stops taking room at the operator handling it, if any."""
        if rec.operator is None:
            return
        op = self.ops[rec.operator]
        rec.operator = None
        op.touch(self.now, self.warmup, self.span)
        op.load -= rec.weight
        op.open -= 1
        self.pickups.room(op, self.now)

    def _flagged(self, event: SlaLevelChanged) -> None:
        rec = self.by_id.get(event.dialog_id)
        if rec is None:
            return
        if event.level is SlaLevel.WARN:
            rec.warned = True
        elif event.level is SlaLevel.CRITICAL:
            rec.warned = rec.critical = True

    # ----------------------------------------------------------------- results

    def explain(self, dialog: Dialog, at: float) -> Decision:
        """Run up to ``at`` seconds, then ask the router where ``dialog`` would go, with its trace."""
        self.run(until=at)
        return self.router.explain(dialog, self.moment(at))

    def result(self) -> RunData:
        """The measured outcomes and operator figures (call after :meth:`run`)."""
        self.now = max(self.now, self.span)  # operators' time counts to the end of the span
        for op in self.ops.values():
            op.touch(self.now, self.warmup, self.span)
        slas = self.slas
        return RunData(
            outcomes=tuple(
                outcome(done, slas[done[1]])
                for done in (rec if isinstance(rec, tuple) else fate(rec) for rec in self.records)
                if done[0] >= self.warmup
            ),
            operators=tuple(operator_figures(op) for op in sorted(self.ops.values(), key=lambda o: o.id)),
            max_queues=dict(self.max_queues),
            simulated=len(self.records),
        )
