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
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from ..decision import Decision, Outcome
from ..errors import InvalidTransition, NotEligible
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
from .metrics import DialogOutcome, OperatorMetrics
from .scenario import Scenario
from .traffic import Arrival, StatusChange
from .variants import Variant

__all__ = ["Engine", "RunData"]

# event kinds, in the order they are handled when they fall on the same instant
_STATUS, _COMPLETE, _TRANSFER, _ABANDON, _CLAIM_DIALOG, _CLAIM_OPERATOR, _ACCEPT, _REDIAL = range(8)
_HOLD, _RESUME, _READY, _WAKE = range(8, 12)  # _WAKE: only lets the router's timers run
_NEW, _WAITING, _ASSIGNED, _CLOSED, _ABANDONED, _REJECTED = range(6)
_PROGRESS_EVERY = 2000  # arrivals between progress reports


class _Record:
    """The simulator's view of one dialog."""

    __slots__ = (
        "arrival",
        "critical",
        "due",
        "first_at",
        "group",
        "held_by",
        "operator",
        "pending",
        "pool",
        "queue_keys",
        "rest",
        "state",
        "token",
        "transfers",
        "waited",
        "warned",
        "weight",
    )

    def __init__(self, arrival: Arrival, weight: int) -> None:
        self.arrival = arrival
        self.weight = weight
        self.state = _NEW
        self.group: str | None = None
        self.operator: str | None = None
        self.first_at: float | None = None
        self.due = 0.0
        self.pending = 0.0
        self.token = 0
        self.queue_keys: tuple[str, ...] = ()
        self.pool = False
        self.waited = self.warned = self.critical = False
        self.transfers = 0
        self.held_by: str | None = None  # on hold with its slot given back: whose dialog it is
        self.rest = 0.0  # a held dialog's handling left after it resumes


class _Operator:
    """Load and logged-in time of one operator, integrated over the measured span."""

    __slots__ = (
        "area",
        "assigned",
        "claiming",
        "id",
        "last",
        "limit",
        "load",
        "logged",
        "logged_time",
        "manual",
        "open",
    )

    def __init__(self, op_id: str, limit: int, logged: bool, manual: bool) -> None:
        self.id = op_id
        self.limit = limit
        self.logged = logged
        self.manual = manual
        self.load = 0
        self.open = 0  # dialogs assigned, whatever their weight
        self.area = 0.0
        self.logged_time = 0.0
        self.last = 0.0
        self.assigned = 0
        self.claiming = False


@attrs.frozen(kw_only=True)
class RunData:
    """Raw results of one run, before they are folded into metrics.

    Attributes:
        outcomes: measured dialogs (arrived after the warm-up), in arrival order.
        operators: every operator's figures.
        max_queues: the longest queue, overall (key ``""``), per channel
            (``"channel:site"``) and per group (``"group:sales"``).
        simulated: dialogs simulated, warm-up included.
    """

    outcomes: tuple[DialogOutcome, ...]
    operators: tuple[OperatorMetrics, ...]
    max_queues: dict[str, int]
    simulated: int


class Engine:
    """One simulated run of one variant.

    Args:
        scenario: span, warm-up, drain and traffic settings.
        variant: the config to route with.
        arrivals: the traffic, shared by every variant of a comparison.
        changes: shift and break status changes.
        seed: seeds the router and the manual-pool pick-up delays.
    """

    def __init__(
        self,
        scenario: Scenario,
        variant: Variant,
        arrivals: Sequence[Arrival],
        changes: Sequence[StatusChange],
        *,
        seed: int,
    ) -> None:
        config = attrs.evolve(variant.config, explain=False)
        self.router = Router(config, seed=seed)
        self.scenario = scenario
        self.arrivals = arrivals
        self.start = scenario.start
        self.warmup = scenario.warmup.total_seconds()
        self.span = scenario.hours * 3600.0
        self.horizon = self.span + scenario.drain.total_seconds()
        self.now = 0.0
        self.when = self.start
        self.next_arrival = 0
        self.heap: list[tuple[float, int, int, int, Any, int]] = []
        self.seq = 0
        self.records: list[_Record] = []
        self.by_id: dict[str, _Record] = {}
        self.queues: dict[str, int] = {}
        self.offers: dict[str, tuple[_Record, tuple[str, ...]]] = {}  # standing offers by dialog id
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
        self.pickup = random.Random(f"{seed}/pickup")
        self.redials = random.Random(f"{seed}/redial")
        self.slowdown = scenario.traffic.concurrency
        self.weights = {c.name: c.capacity_weight for c in config.channels}
        self.slas = {c.name: c.sla.warn.total_seconds() for c in config.channels}
        manual = {g.id for g in config.groups if (g.strategy or config.strategy).manual}
        self.members = {g.id: g.operator_ids for g in config.groups}
        in_manual = {op for g in config.groups if g.id in manual for op in g.operator_ids}
        if config.strategy.manual:
            in_manual = {o.id for o in config.operators}
        self.ops: dict[str, _Operator] = {}
        for state in self.router.operators():
            self.ops[state.id] = _Operator(
                state.id, state.limit, state.status != "offline", state.id in in_manual
            )
        for change in changes:
            self._push(change.at, _STATUS, change, 0)

    # ------------------------------------------------------------------ the loop

    def run(self, *, until: float | None = None, progress: Callable[[float], None] | None = None) -> None:
        """Process events in time order up to ``until`` seconds (default: the end of the drain)."""
        stop = self.horizon if until is None else min(until, self.horizon)
        heap, arrivals = self.heap, self.arrivals
        count = len(arrivals)
        while True:
            at_next = arrivals[self.next_arrival].at if self.next_arrival < count else math.inf
            if heap and heap[0][0] <= at_next:
                if heap[0][0] > stop:
                    break
                at, _, _, kind, item, token = heapq.heappop(heap)
                self._advance(at)
                self._handle(kind, item, token)
            elif at_next <= stop:
                self._advance(at_next)
                self._arrive(arrivals[self.next_arrival])
                self.next_arrival += 1
                if progress is not None and self.next_arrival % _PROGRESS_EVERY == 0:
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
        if kind == _COMPLETE:
            self._complete(item, token)
        elif kind == _STATUS:
            self._status(item)
        elif kind == _ABANDON:
            self._abandon(item)
        elif kind == _TRANSFER:
            self._transfer(item, token)
        elif kind == _CLAIM_DIALOG:
            self._claim_dialog(item)
        elif kind == _ACCEPT:
            self._accept(item, token)
        elif kind == _REDIAL:
            self._arrive(item)
        elif kind == _HOLD:
            self._hold(item, token)
        elif kind == _RESUME:
            self._resume(item, token)
        elif kind == _READY:
            self._absorb(self.router.ready(item, self.when))
        elif kind == _WAKE:
            pass
        else:
            self._claim_for(item)

    # ---------------------------------------------------------------- handlers

    def _arrive(self, arrival: Arrival) -> None:
        dialog = arrival.dialog
        rec = _Record(arrival, self.weights[dialog.channel])
        self.records.append(rec)
        self.by_id[dialog.id] = rec
        decision: Decision = self.router.route(dialog, self.when)
        rec.group = decision.group_id
        if decision.outcome is Outcome.REJECTED:
            rec.state = _REJECTED
            return
        rec.waited = decision.outcome is not Outcome.ASSIGNED  # queued, or offered until accepted
        self._absorb(decision.events)
        if rec.state == _WAITING and arrival.patience != math.inf:
            self._push(arrival.at + arrival.patience, _ABANDON, rec, 0)

    def _complete(self, rec: _Record, token: int) -> None:
        if token != rec.token or rec.state != _ASSIGNED:
            return
        rec.state = _CLOSED
        self._absorb(self.router.release(rec.arrival.dialog.id, self.when))
        self._forget(rec)

    def _abandon(self, rec: _Record) -> None:
        if rec.state != _WAITING or rec.first_at is not None:
            return
        rec.state = _ABANDONED
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
        self._push(at, _REDIAL, again, 0)

    def _transfer(self, rec: _Record, token: int) -> None:
        if token != rec.token or rec.state != _ASSIGNED:
            return
        target = Target.group(str(rec.arrival.transfer_to))
        rec.pending = rec.arrival.second_handle
        decision = self.router.transfer(rec.arrival.dialog.id, target, self.when, by=rec.operator)
        self._absorb(decision.events)

    def _status(self, change: StatusChange) -> None:
        op = self.ops[change.operator_id]
        self._touch(op)
        op.logged = change.status != "offline"
        self._absorb(self.router.set_status(change.operator_id, change.status, self.when))
        if op.manual and op.logged:
            self._want_claim(op)
        if self.offers and op.logged:
            self._ring(op)

    def _forget(self, rec: _Record) -> None:
        self.offers.pop(rec.arrival.dialog.id, None)
        # a client who writes again keeps their last operator, as before clients had a lifetime
        self.router.forget(rec.arrival.dialog.id, keep_client=True)
        del self.by_id[rec.arrival.dialog.id]

    # ------------------------------------------------------------ manual pools

    def _want_claim(self, op: _Operator) -> None:
        if not op.claiming and op.load < op.limit:
            op.claiming = True
            self._push(self.now + self.scenario.traffic.pickup.draw(self.pickup), _CLAIM_OPERATOR, op, 0)

    def _claim_dialog(self, rec: _Record) -> None:
        """Someone in the pool's group notices the dialog: the least loaded who can take it claims it."""
        if rec.state != _WAITING or not rec.pool:
            return
        members = self.members.get(rec.group or "", tuple(self.ops))
        candidates = sorted(
            (self.ops[m] for m in members if self.ops[m].logged), key=lambda o: (o.load, o.id)
        )
        for op in candidates:
            if self._try_claim(rec.arrival.dialog.id, op):
                return

    def _claim_for(self, op: _Operator) -> None:
        """An operator with room looks at the pools and claims the oldest dialogs they can take."""
        op.claiming = False
        for dialog_id in self.router.claimable(op.id):
            if not op.logged or op.load >= op.limit:
                return
            self._try_claim(dialog_id, op)

    def _offered(self, rec: _Record, event: DialogOffered) -> None:
        """The dialog rings for some operators: after a reaction time, one of them accepts."""
        if rec.queue_keys:
            self._unqueue(rec)
        rec.state = _WAITING
        rec.token += 1
        self.offers[rec.arrival.dialog.id] = (rec, event.operator_ids)
        delay = self.scenario.traffic.pickup.draw(self.pickup)
        self._push(self.now + delay, _ACCEPT, (rec, event.operator_ids), rec.token)

    def _ring(self, op: _Operator) -> None:
        """An operator with room again notices the oldest offer still ringing for them."""
        ringing = [offer for offer in self.offers.values() if op.id in offer[1]]
        if ringing:
            rec, operator_ids = min(ringing, key=lambda offer: offer[0].arrival.at)
            delay = self.scenario.traffic.pickup.draw(self.pickup)
            self._push(self.now + delay, _ACCEPT, (rec, operator_ids), rec.token)

    def _accept(self, item: tuple[_Record, tuple[str, ...]], token: int) -> None:
        """The least loaded operator the dialog rings for accepts it, if the offer still stands."""
        rec, operator_ids = item
        if token != rec.token or rec.state != _WAITING:
            return
        ringing = sorted(
            (self.ops[o] for o in operator_ids if self.ops[o].logged), key=lambda o: (o.load, o.id)
        )
        for op in ringing:
            try:
                events = self.router.accept(rec.arrival.dialog.id, op.id, self.when)
            except (NotEligible, InvalidTransition):
                continue
            self._absorb(events)
            return

    def _try_claim(self, dialog_id: str, op: _Operator) -> bool:
        try:
            events = self.router.claim(dialog_id, op.id, self.when)
        except (NotEligible, InvalidTransition):
            return False
        self._absorb(events)
        return True

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
        self._offered(self.by_id[event.dialog_id], event)

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

    def _hold(self, rec: _Record, token: int) -> None:
        """The client goes quiet: the chat is put on hold, and resumed after the drawn length."""
        hold = self.scenario.traffic.hold
        if token != rec.token or rec.state != _ASSIGNED or hold is None:
            return
        self._absorb(self.router.hold(rec.arrival.dialog.id, self.when))
        self._push(self.now + hold.length.draw(self.holds), _RESUME, rec, rec.token)

    def _resume(self, rec: _Record, token: int) -> None:
        if token != rec.token or rec.state != _ASSIGNED:
            return
        rec.due = self.now + rec.rest
        try:
            events = self.router.resume(rec.arrival.dialog.id, self.when)
        except InvalidTransition:  # no longer held (its operator went offline meanwhile)
            return
        self._absorb(events)
        wait = self.router.config.resume_wait
        if rec.state == _WAITING and wait:  # waiting for its operator: routed on when the wait ends
            self._push(self.now + wait.total_seconds(), _WAKE, None, 0)

    def _on_held(self, event: DialogHeld) -> None:
        if not event.counts:  # the slot is free while the chat is held
            rec = self.by_id[event.dialog_id]
            self._unload(rec)
            rec.held_by = event.operator_id

    def _on_resumed(self, event: DialogResumed) -> None:
        rec = self.by_id[event.dialog_id]
        if rec.held_by is not None:
            op = self.ops[rec.held_by]
            self._touch(op)
            op.load += rec.weight
            op.open += 1
            rec.operator, rec.held_by = op.id, None
        self._push(rec.due, _COMPLETE, rec, rec.token)

    def _on_wrap_up(self, event: WrapUpStarted) -> None:
        """The released dialog's slot stays taken; the operator is ready after their after-chat work."""
        op = self.ops[event.operator_id]
        weight = self.by_id[event.dialog_id].weight
        self._touch(op)
        op.load += weight
        self.wrapping[op.id, event.dialog_id] = weight
        self._push((event.until - self.start).total_seconds(), _WAKE, None, 0)  # the timer ends it then
        wrap_up = self.scenario.traffic.wrap_up
        if wrap_up is not None:
            ready = self.now + wrap_up.draw(self.wrap_ups)
            if self.moment(ready) < event.until:
                self._push(ready, _READY, op.id, 0)

    def _on_wrap_up_ended(self, event: WrapUpEnded) -> None:
        op = self.ops[event.operator_id]
        self._touch(op)
        op.load -= self.wrapping.pop((op.id, event.dialog_id))
        self._room(op)

    def _assigned(self, rec: _Record, op: _Operator) -> None:
        if rec.queue_keys:
            self._unqueue(rec)
        self.offers.pop(rec.arrival.dialog.id, None)
        self._touch(op)
        op.load += rec.weight
        op.open += 1
        if rec.arrival.at >= self.warmup:
            op.assigned += 1
        rec.operator = op.id
        rec.state = _ASSIGNED
        rec.token += 1
        arrival = rec.arrival
        # each other open dialog makes this one slower by the concurrency factor
        slow = 1.0 if self.slowdown == 1.0 else self.slowdown ** (op.open - 1)
        if rec.first_at is None:
            rec.first_at = self.now
            if arrival.transfer_to is not None and arrival.transfer_after < arrival.handle:
                self._push(self.now + arrival.transfer_after * slow, _TRANSFER, rec, rec.token)
                return
            rec.due = self.now + arrival.handle * slow
            hold = self.scenario.traffic.hold
            if hold is not None and self.holds.random() < hold.share:
                after = hold.after.draw(self.holds)
                if after < arrival.handle:
                    rec.rest = (arrival.handle - after) * slow
                    self._push(self.now + after * slow, _HOLD, rec, rec.token)
                    return
        else:
            rec.due = self.now + rec.pending * slow
        self._push(rec.due, _COMPLETE, rec, rec.token)

    def _queued(self, rec: _Record, event: DialogQueued) -> None:
        rec.state = _WAITING
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
            self._push(self.now + self.scenario.traffic.pickup.draw(self.pickup), _CLAIM_DIALOG, rec, 0)

    def _unqueue(self, rec: _Record) -> None:
        for key in rec.queue_keys:
            self.queues[key] -= 1
        rec.queue_keys = ()

    def _moved(self, rec: _Record) -> None:
        """The dialog left its operator (transfer or requeue); its next handling is ``pending``."""
        rec.token += 1
        rec.state = _WAITING
        self._unload(rec)
        rec.held_by = None

    def _unload(self, rec: _Record) -> None:
        """The dialog stops taking room at the operator handling it, if any."""
        if rec.operator is None:
            return
        op = self.ops[rec.operator]
        rec.operator = None
        self._touch(op)
        op.load -= rec.weight
        op.open -= 1
        self._room(op)

    def _room(self, op: _Operator) -> None:
        """The operator may have room again: they look at the pools and the offers ringing."""
        if op.manual and op.logged:
            self._want_claim(op)
        if self.offers and op.logged:
            self._ring(op)

    def _flagged(self, event: SlaLevelChanged) -> None:
        rec = self.by_id.get(event.dialog_id)
        if rec is None:
            return
        if event.level is SlaLevel.WARN:
            rec.warned = True
        elif event.level is SlaLevel.CRITICAL:
            rec.warned = rec.critical = True

    def _touch(self, op: _Operator) -> None:
        """Add the operator's load and logged time since their last change (within the measured span)."""
        low, high = self.warmup, self.span
        begin = min(max(op.last, low), high)
        end = min(max(self.now, low), high)
        if end > begin and op.logged:
            op.area += op.load * (end - begin)
            op.logged_time += end - begin
        op.last = self.now

    # ----------------------------------------------------------------- results

    def explain(self, dialog: Dialog, at: float) -> Decision:
        """Run up to ``at`` seconds, then ask the router where ``dialog`` would go, with its trace."""
        self.run(until=at)
        return self.router.explain(dialog, self.moment(at))

    def result(self) -> RunData:
        """The measured outcomes and operator figures (call after :meth:`run`)."""
        self.now = max(self.now, self.span)  # operators' time counts to the end of the span
        for op in self.ops.values():
            self._touch(op)
        outcomes = tuple(self._outcome(rec) for rec in self.records if rec.arrival.at >= self.warmup)
        operators = tuple(
            OperatorMetrics(
                id=op.id,
                assigned=op.assigned,
                logged_hours=op.logged_time / 3600.0,
                occupancy=op.area / (op.limit * op.logged_time) if op.logged_time > 0 and op.limit else None,
            )
            for op in sorted(self.ops.values(), key=lambda o: o.id)
        )
        return RunData(
            outcomes=outcomes,
            operators=operators,
            max_queues=dict(self.max_queues),
            simulated=len(self.records),
        )

    def _outcome(self, rec: _Record) -> DialogOutcome:
        channel = rec.arrival.dialog.channel
        answered = rec.first_at is not None
        return DialogOutcome(
            at=rec.arrival.at,
            channel=channel,
            group=rec.group,
            answered=answered,
            abandoned=rec.state == _ABANDONED,
            rejected=rec.state == _REJECTED,
            waited=rec.waited,
            wait=(rec.first_at - rec.arrival.at) if rec.first_at is not None else 0.0,
            sla=self.slas[channel],
            warned=rec.warned,
            critical=rec.critical,
            transfers=rec.transfers,
            redial=rec.arrival.redial > 0,
        )
