"""The Router against an obviously-correct model, driven by random call sequences.

:class:`RouterMachine` routes, adopts, releases, claims and transfers dialogs, accepts and
declines offers (half the machines make operators accept; some have ``Broadcast`` groups, whose
dialogs are offered to every eligible member at once), changes operator statuses and
limits, holds and resumes, reports replies, and moves time forward. A small model
(:mod:`tests.stateful_model`) records who holds which dialog, who was offered which (holding a
slot), to whom which is broadcast (holding none) and who declined it until when, each
operator's load and intake, which dialogs wait in
which queue (or for which busy favourite operator, until when) and which are closed, and each
client's preferred and last operator. Each call's events are
checked one by one against the model (an assignment or offer only goes to an eligible
member of the dialog's target, a broadcast to exactly the eligible members, a dialog only
queues when nobody can take it, a drain takes the best dialog in service order, the first
accept of a broadcast ends the others' offers), and invariants compare the whole router with
the model after every step. Now and then the router is persisted
(snapshot -> dict -> JSON -> Router.restore) and the machine carries on with the
restored router, making every call on the original as well and requiring the same answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from chatroute import (
    AllDeclined,
    AlreadyClaimed,
    AtLimit,
    ChatrouteError,
    Client,
    Decision,
    DialogAdopted,
    DialogAssigned,
    DialogClosed,
    DialogDeclinedByAll,
    DialogHeld,
    DialogOffered,
    DialogReleased,
    DialogRequeued,
    DialogResumed,
    DialogState,
    DialogStoppedWaiting,
    DialogTransferred,
    DuplicateDialog,
    Event,
    InvalidTransition,
    InvalidValue,
    LimitChanged,
    NotEligible,
    OfferWithdrawn,
    OfflinePolicy,
    Outcome,
    Reason,
    RequirementRelaxed,
    Router,
    RoutingConfig,
    Snapshot,
    StatusChanged,
    Target,
    TargetKind,
    Via,
    WrapUpEnded,
    WrapUpStarted,
    serialize,
)
from chatroute.strategies import Broadcast, Even, RoundRobin, Sticky

from .stateful_model import EVERYONE, Model, ModelDialog, ModelOperator
from .strategies import START, STATUS_KEYS, ZONES, clients, configs, dialogs, seconds

T = TypeVar("T")


def round_trip(snapshot: Snapshot) -> Snapshot:
    """The snapshot as a host would persist it: to a dict, to JSON text, and back."""
    text = json.dumps(serialize.to_dict(snapshot), sort_keys=True)
    return serialize.from_dict(Snapshot, json.loads(text))


# -------------------------------------------------------------------------------- the machine


class RouterMachine(RuleBasedStateMachine):
    """Random calls on a Router, each checked against :class:`Model`."""

    dialog_ids = Bundle("dialog_ids")

    def __init__(self) -> None:
        super().__init__()
        self.router: Router
        self.twin: Router | None = None  # the router before the last restore, kept in lockstep
        self.model: Model
        self.now = START
        self.zone: tzinfo = START.tzinfo  # type: ignore[assignment]
        self.routed = 0
        self.restores = 0

    # -- helpers

    def advance(self, dt: int) -> datetime:
        self.now += timedelta(seconds=dt)
        return self.now.astimezone(self.zone)

    def call(self, fn: Callable[[Router], T]) -> T | ChatrouteError:
        """Make the call on the router (and its twin); an error must leave the state untouched."""
        before = self.router.snapshot()
        result = _outcome(fn, self.router)
        if self.twin is not None:
            other = _outcome(fn, self.twin)
            if isinstance(result, ChatrouteError):
                assert type(other) is type(result)
                assert str(other) == str(result)
            else:
                assert other == result, "the restored router answered differently"
        if isinstance(result, ChatrouteError):
            assert self.router.snapshot() == before, f"{result!r} changed the router"
        return result

    def expect_error(self, result: object, kind: type[ChatrouteError], dialog_id: str) -> None:
        assert type(result) is kind, f"expected {kind.__name__}, got {result!r}"
        assert repr(dialog_id) in str(result)

    # -- set-up

    @initialize(
        target=dialog_ids,
        config=configs(requirements=True, spills=True),
        seed=st.integers(min_value=0, max_value=3),
        zone=st.sampled_from(ZONES),
        data=st.data(),
    )
    def start(self, config: RoutingConfig, seed: int, zone: tzinfo, data: st.DataObject) -> Any:
        """A fresh router with a few dialogs already routed, so every run has something to work on."""
        # wrap-up on some channels, and held dialogs counting toward the limit or not
        wrap_ups = data.draw(
            st.lists(st.sampled_from([0, 20]), min_size=len(config.channels)), label="wrap_ups"
        )
        channels = [attrs.evolve(c, wrap_up=w) for c, w in zip(config.channels, wrap_ups, strict=False)]
        hold_counts = data.draw(st.booleans(), label="hold_counts")
        config = attrs.evolve(config, channels=channels, hold_counts=hold_counts)
        if data.draw(st.booleans(), label="patient"):  # some targets wait for the client's busy favourite
            config = data.draw(_patient(config), label="patient strategies")
        if data.draw(st.booleans(), label="broadcasts"):  # some targets offer to every eligible member
            config = data.draw(_broadcasting(config), label="broadcasting strategies")
        if config.offline_policy is OfflinePolicy.REQUEUE and data.draw(st.booleans(), label="grace"):
            # an operator gone offline keeps their dialogs for a while
            config = attrs.evolve(config, requeue_grace=data.draw(st.integers(5, 60), label="requeue_grace"))
        if data.draw(st.booleans(), label="reply timeout"):  # an assignee who does not reply loses it
            config = attrs.evolve(config, reply_timeout=data.draw(st.integers(20, 90), label="reply_timeout"))
        if data.draw(st.booleans(), label="intake cap"):  # a few new dialogs per operator in a window
            config = attrs.evolve(
                config,
                intake_cap=data.draw(st.integers(1, 3), label="intake_cap"),
                intake_window=data.draw(st.integers(30, 300), label="intake_window"),
            )
        if data.draw(st.booleans(), label="offers"):  # operators accept each dialog; declines may lapse
            config = attrs.evolve(
                config,
                accept_timeout=data.draw(st.integers(5, 60), label="accept_timeout"),
                decline_memory=data.draw(st.one_of(st.none(), st.integers(10, 120)), label="decline_memory"),
                all_declined=data.draw(st.sampled_from(AllDeclined), label="all_declined"),
                missed_offers_limit=data.draw(st.one_of(st.none(), st.integers(1, 3)), label="missed"),
            )
        self.router = Router(config, seed=seed)
        self.model = Model(config)
        self.zone = zone
        count = data.draw(st.integers(min_value=1, max_value=6), label="initial dialogs")
        routed = (self.route_one(data.draw(seconds(), label="dt"), data) for _ in range(count))
        return multiple(*(dialog_id for dialog_id in routed if dialog_id is not None))

    def pick_operator(self, data: st.DataObject, label: str = "operator_id") -> str:
        return data.draw(st.sampled_from(sorted(self.model.ops)), label=label)

    # -- calls

    @rule(target=dialog_ids, dt=seconds(), data=st.data())
    def route(self, dt: int, data: st.DataObject) -> Any:
        """A new dialog goes to an eligible member of its target, or waits when nobody can take it
        (in the group it overflows to, if any), or is rejected when that queue is at its cap."""
        dialog_id = self.route_one(dt, data)
        return multiple() if dialog_id is None else dialog_id

    @rule(target=dialog_ids, dt=seconds(), data=st.data())
    def route_returning_client(self, dt: int, data: st.DataObject) -> Any:
        """A returning client's dialog, their preferred or last operator routable (often busy): it goes
        to them, waits for them when a preferred target or ``Sticky(wait=...)`` says so, or goes on."""
        dialog_id = self.route_one(dt, data, returning=True)
        return multiple() if dialog_id is None else dialog_id

    def route_one(self, dt: int, data: st.DataObject, *, returning: bool = False) -> str | None:
        """Route one drawn dialog (with sometimes a client) and check the decision against the model.

        ``returning``: the dialog has a client (told to the router) whose preferred and last operators,
        when they have them, are routable.
        """
        now = self.advance(dt)
        dialog_id = f"d{self.routed}"
        self.routed += 1
        model = self.model
        dialog = data.draw(
            dialogs(model.config, dialog_id=dialog_id, chosen_group=True, requirements=True), label="dialog"
        )
        client = data.draw(clients(model.config, dialog), label="client")
        routable = sorted(o.id for o in model.ops.values() if model.routable[o.status])
        if returning and routable:
            client_id = dialog.client_id or "returning"
            chosen = data.draw(st.one_of(st.none(), st.sampled_from(sorted(model.groups))), label="chosen")
            dialog = attrs.evolve(dialog, client_id=client_id, chosen_group_id=chosen)
            favourite = data.draw(st.one_of(st.none(), st.sampled_from(routable)), label="preferred")
            last = data.draw(st.one_of(st.none(), st.sampled_from(routable)), label="last")
            client = Client(id=client_id, preferred_operator_id=favourite, last_operator_id=last)
        handle_time = self.router.snapshot().handle_time
        decision = self.call(lambda r: r.route(dialog, now, client=client))
        assert isinstance(decision, Decision), decision
        md = ModelDialog(dialog=dialog, weight=model.channels[dialog.channel].capacity_weight, routed_at=now)
        if client is not None:  # the host's preferred operator; the last one the router noted stays
            noted = model.client(dialog.client_id)[1]
            own = (client.preferred_operator_id, noted if noted is not None else client.last_operator_id)
        else:
            own = model.client(dialog.client_id)
        md.target = model.target_for(md, own[0])
        if md.target.kind is not TargetKind.OPERATOR:  # the target's strategy may wait for a favourite
            md.target = model.await_favourite(md, md.target, own, now)
        if model.spill(md, handle_time):
            assert decision.outcome is Outcome.REJECTED, decision
            assert decision.reason_code is Reason.QUEUE_FULL
            assert decision.events == ()
            return None
        model.dialogs[dialog_id] = md
        if dialog.client_id is not None:
            model.clients[dialog.client_id] = own
        assert decision.target == md.target
        assert len(decision.events) == 1
        self.model.apply(decision.events, now)
        if md.state is DialogState.OFFERED:
            offered_to = tuple(sorted(model.offerees(md)))
            assert decision.outcome is Outcome.OFFERED
            assert decision.offered_to == offered_to
            assert decision.events[0] == DialogOffered(
                at=now,
                dialog_id=dialog_id,
                operator_ids=offered_to,
                group_id=decision.group_id,
                expires_at=md.offer_expires,
                via=Via.ROUTE,
            )
        elif md.state is DialogState.ASSIGNED:
            assert decision.outcome is Outcome.ASSIGNED
            assert decision.operator_id == md.operator_id
            assert decision.events[0] == DialogAssigned(
                at=now,
                dialog_id=dialog_id,
                operator_id=md.operator_id,
                group_id=decision.group_id,
                via=Via.ROUTE,
            )
        else:
            assert decision.outcome is Outcome.QUEUED
            assert decision.operator_id is None
            assert decision.pool == md.pool
            assert decision.position == self.model.position(md)
        return dialog_id

    @rule(dialog_id=dialog_ids, dt=seconds())
    def release(self, dialog_id: str, dt: int) -> None:
        """Closing any known dialog frees its operator and drains the queue; closing twice is refused."""
        self._release(dialog_id, self.advance(dt))

    @precondition(lambda self: any(md.state is not DialogState.CLOSED for md in self.model.dialogs.values()))
    @rule(dt=seconds(), data=st.data())
    def release_open(self, dt: int, data: st.DataObject) -> None:
        """Closing an open dialog frees its operator, who takes the best dialog they can from the queue."""
        open_ids = sorted(d for d, md in self.model.dialogs.items() if md.state is not DialogState.CLOSED)
        self._release(data.draw(st.sampled_from(open_ids), label="dialog_id"), self.advance(dt))

    def _release(self, dialog_id: str, now: datetime) -> None:
        md = self.model.dialogs[dialog_id]
        events = self.call(lambda r: r.release(dialog_id, now))
        if md.state is DialogState.CLOSED:
            self.expect_error(events, DialogClosed, dialog_id)
            return
        assert isinstance(events, tuple), events
        holder = md.operator_id if md.state in (DialogState.ASSIGNED, DialogState.OFFERED) else None
        assert events[0] == DialogReleased(at=now, dialog_id=dialog_id, operator_id=holder)
        was_assigned = md.state is DialogState.ASSIGNED  # an offer ends with no after-chat work
        freed = self.model.detach(md)
        md.state = DialogState.CLOSED
        md.operator_id = holder
        wrap_up = self.model.wrap_up_of(freed, md) if freed is not None and was_assigned else timedelta(0)
        if freed is not None and wrap_up:  # the slot stays taken for after-chat work
            assert events[1] == WrapUpStarted(
                at=now, operator_id=freed, dialog_id=dialog_id, until=now + wrap_up
            )
            self.model.ops[freed].wrap_ups[dialog_id] = (now + wrap_up, md.weight)
            # the channel limit's place frees, though: a dialog it held back may drain in
            assert all(_drained(e) for e in events[2:])
            self.model.apply(events[2:], now, drainer=freed)
            return
        self.model.apply(events[1:], now, drainer=freed)
        if freed is None:
            assert events[1:] == ()

    @rule(status=st.sampled_from(STATUS_KEYS), dt=seconds(), data=st.data())
    def set_status(self, status: str, dt: int, data: st.DataObject) -> None:
        """A status change is announced; offline may requeue (by policy); routable drains the queue."""
        self._set_status(self.pick_operator(data), status, self.advance(dt))

    @precondition(
        lambda self: (
            self.model.config.offline_policy is OfflinePolicy.REQUEUE
            and any(op.dialogs for op in self.model.ops.values())
        )
    )
    @rule(dt=seconds(), data=st.data())
    def go_offline_with_dialogs(self, dt: int, data: st.DataObject) -> None:
        """An operator with dialogs goes offline: they lose them to the queue at once, or keep them
        through the ``requeue_grace`` and lose them at the first tick after it unless back by then."""
        holding = sorted(op_id for op_id, op in self.model.ops.items() if op.dialogs)
        operator_id = data.draw(st.sampled_from(holding), label="operator_id")
        self._set_status(operator_id, "offline", self.advance(dt))
        grace = self.model.config.requeue_grace
        if grace and data.draw(st.booleans(), label="back in time"):
            self._set_status(operator_id, "online", self.advance(data.draw(st.integers(0, 4), label="dt")))
        elif grace:
            self.now += grace
            self._tick(self.now.astimezone(self.zone))

    def _set_status(self, operator_id: str, status: str, now: datetime) -> None:
        op = self.model.ops[operator_id]
        events = self.call(lambda r: r.set_status(operator_id, status, now))
        assert isinstance(events, tuple), events
        assert events[0] == StatusChanged(at=now, operator_id=operator_id, old=op.status, new=status)
        op.status, op.status_since = status, now
        rest = list(events[1:])
        self._withdraw_offers(op, now, rest)
        if status == "offline" and self.model.config.offline_policy is OfflinePolicy.REQUEUE:
            grace = self.model.config.requeue_grace
            if not grace:
                self._requeue_all(op, now, rest)
            elif op.dialogs:  # they keep them unless still offline when the grace runs out
                self.model.requeues.append((now + grace, operator_id, now))
        assert all(_drained(e) for e in rest)
        self.model.apply(tuple(rest), now, drainer=operator_id)

    def _requeue_all(self, op: ModelOperator, now: datetime, rest: list[Event]) -> None:
        """An offline operator's dialogs (held ones too), oldest first, each re-queued and placed again
        inside its target.

        Takes their events from the front of ``rest``.
        """
        for dialog_id in sorted(op.dialogs, key=lambda d: (self.model.dialogs[d].routed_at, d)):
            requeued = DialogRequeued(at=now, dialog_id=dialog_id, operator_id=op.id, reason="offline")
            assert rest.pop(0) == requeued
            md = self.model.dialogs[dialog_id]
            self.model.detach(md)
            md.operator_id = None
            self.model.place_again(md, now)
            placed = rest.pop(0)
            assert placed.dialog_id == dialog_id  # type: ignore[attr-defined]
            if isinstance(placed, DialogAssigned | DialogOffered):
                assert placed.via is Via.REQUEUE
            self.model.apply((placed,), now)
        assert not op.dialogs

    def _lapse_replies(self, now: datetime, rest: list[Event]) -> None:
        """Assigned dialogs (held ones too) not replied to within the ``reply_timeout`` of their
        assignment, in deadline order: each declined by its operator, placed again inside its target
        (the ``all_declined`` action applies), then drained into the operator.

        Takes their events from the front of ``rest``.
        """
        model = self.model
        timeout = model.config.reply_timeout
        if timeout is None:
            return
        due = sorted(
            (md.assigned_at + timeout, md.dialog.id)
            for md in model.dialogs.values()
            if md.state is DialogState.ASSIGNED
            and md.replied_at is None
            and md.assigned_at is not None
            and md.assigned_at + timeout <= now
        )
        for _, dialog_id in due:
            md = model.dialogs[dialog_id]
            op_id = md.operator_id
            assert op_id is not None
            reason = f"no reply within {timeout.total_seconds():g} s"
            requeued = DialogRequeued(at=now, dialog_id=dialog_id, operator_id=op_id, reason=reason)
            assert rest.pop(0) == requeued
            self._offer_ended(md, op_id, now, rest, declined=True)

    def _requeue_lapsed(self, now: datetime, rest: list[Event]) -> None:
        """Operators still offline since they went offline, when their grace runs out, lose their
        dialogs to the queue, in deadline order (gone offline again meanwhile: a grace of its own).

        Takes their events from the front of ``rest``.
        """
        model = self.model
        due = sorted(entry for entry in model.requeues if entry[0] <= now)
        model.requeues = [entry for entry in model.requeues if entry[0] > now]
        for _, op_id, since in due:
            op = model.ops[op_id]
            if op.status == "offline" and op.status_since == since:
                self._requeue_all(op, now, rest)

    @rule(limit=st.integers(min_value=0, max_value=4), dt=seconds(), data=st.data())
    def set_limit(self, limit: int, dt: int, data: st.DataObject) -> None:
        """A new limit is announced and a raised one drains the queue; a cut takes nothing away."""
        self._set_limit(self.pick_operator(data), limit, self.advance(dt))

    def _set_limit(self, operator_id: str, limit: int, now: datetime) -> None:
        op = self.model.ops[operator_id]
        events = self.call(lambda r: r.set_limit(operator_id, limit, now))
        assert isinstance(events, tuple), events
        assert events[0] == LimitChanged(at=now, operator_id=operator_id, old=op.limit, new=limit)
        op.limit = limit
        load = self.model.load(operator_id)
        op.cut_load = load if load > limit else 0
        assert all(_drained(e) for e in events[1:])
        self.model.apply(events[1:], now, drainer=operator_id)

    @rule(dialog_id=dialog_ids, dt=seconds(), data=st.data())
    def transfer(self, dialog_id: str, dt: int, data: st.DataObject) -> None:
        """A transfer moves the dialog to the new target; its operator does not get it back from a group."""
        now = self.advance(dt)
        model = self.model
        to = data.draw(
            st.one_of(
                st.just(EVERYONE),
                st.sampled_from(sorted(model.groups)).map(Target.group),
                st.sampled_from(sorted(model.ops)).map(Target.operator),
            ),
            label="to",
        )
        by = data.draw(st.one_of(st.none(), st.sampled_from(sorted(model.ops))), label="by")
        self._transfer(dialog_id, to, by, now)

    def _transfer(self, dialog_id: str, to: Target, by: str | None, now: datetime) -> None:
        model = self.model
        md = model.dialogs[dialog_id]
        decision = self.call(lambda r: r.transfer(dialog_id, to, now, by=by))
        if md.state is DialogState.CLOSED:
            self.expect_error(decision, DialogClosed, dialog_id)
            return
        holder = md.operator_id if md.state in (DialogState.ASSIGNED, DialogState.OFFERED) else None
        if to.kind is TargetKind.OPERATOR and to.id == holder:
            self.expect_error(decision, InvalidTransition, dialog_id)
            return
        assert isinstance(decision, Decision), decision
        events = decision.events
        assert events[0] == DialogTransferred(
            at=now, dialog_id=dialog_id, from_operator_id=holder, to=to, by=by
        )
        freed = model.detach(md)
        # only the operator who just passed it on is kept from getting it back, until the next
        # transfer; a transfer to a named operator excludes nobody
        md.excluded = {holder} if holder is not None and to.kind is not TargetKind.OPERATOR else set()
        if to.kind is TargetKind.OPERATOR:  # naming an operator lifts their decline
            md.declined.pop(str(to.id), None)
        md.operator_id = None
        md.target, md.fallback = to, None
        model.place_again(md, now)  # a group whose strategy waits for a busy favourite waits for them
        assert decision.target == md.target
        placed = events[1]
        assert placed.dialog_id == dialog_id  # type: ignore[attr-defined]
        if isinstance(placed, DialogAssigned | DialogOffered):
            assert placed.via is Via.TRANSFER
        model.apply((placed,), now)
        assert decision.operator_id == (md.operator_id if md.state is DialogState.ASSIGNED else None)
        model.apply(events[2:], now, drainer=freed)
        if freed is None:
            assert events[2:] == ()

    @rule(dialog_id=dialog_ids, dt=seconds(), data=st.data())
    def claim(self, dialog_id: str, dt: int, data: st.DataObject) -> None:
        """A claim succeeds only on a waiting dialog the operator serves and can take, else says why."""
        self._claim(dialog_id, self.pick_operator(data), self.advance(dt))

    @precondition(lambda self: any(md.pool for md in self.model.queued()))
    @rule(dt=seconds(), data=st.data())
    def claim_from_pool(self, dt: int, data: st.DataObject) -> None:
        """A member claims a dialog waiting in a manual pool."""
        pooled = sorted(md.dialog.id for md in self.model.queued() if md.pool)
        dialog_id = data.draw(st.sampled_from(pooled), label="dialog_id")
        target = self.model.dialogs[dialog_id].target
        assert target is not None
        members = self.model.members(target) or sorted(self.model.ops)
        self._claim(dialog_id, data.draw(st.sampled_from(members), label="operator_id"), self.advance(dt))

    def _claim(self, dialog_id: str, operator_id: str, now: datetime) -> None:
        md = self.model.dialogs[dialog_id]
        events = self.call(lambda r: r.claim(dialog_id, operator_id, now))
        if md.state is DialogState.CLOSED:
            self.expect_error(events, DialogClosed, dialog_id)
            return
        if md.state in (DialogState.ASSIGNED, DialogState.OFFERED):
            self.expect_error(events, AlreadyClaimed, dialog_id)
            assert isinstance(events, AlreadyClaimed)
            assert events.operator_id == md.operator_id
            return
        assert md.target is not None
        if operator_id not in self.model.members(md.target):
            self.expect_error(events, NotEligible, dialog_id)
            return
        reason = self.model.ineligible(operator_id, md)
        if reason is not None:
            at_limit = reason in (Reason.AT_LIMIT, Reason.WRAP_UP)
            self.expect_error(events, AtLimit if at_limit else NotEligible, dialog_id)
            assert isinstance(events, NotEligible)
            assert events.reason == reason.value
            return
        assert isinstance(events, tuple), events
        group_id = md.target.id if md.target.kind is TargetKind.GROUP else None
        assert events == (
            DialogAssigned(
                at=now, dialog_id=dialog_id, operator_id=operator_id, group_id=group_id, via=Via.CLAIM
            ),
        )
        self.model.apply(events, now)

    @rule(target=dialog_ids, dt=seconds(), data=st.data())
    def adopt(self, dt: int, data: st.DataObject) -> Any:
        """Adopting open dialogs holds them all as assigned, or refuses the batch on the first bad pair."""
        now = self.advance(dt)
        model = self.model
        over_limit = data.draw(st.booleans(), label="over_limit")
        pairs = []
        for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="count")):
            known = [st.sampled_from(sorted(model.dialogs))] if model.dialogs else []
            dialog_id = data.draw(st.one_of(st.just(f"d{self.routed}"), *known), label="dialog_id")
            if dialog_id == f"d{self.routed}":
                self.routed += 1
            dialog = data.draw(dialogs(model.config, dialog_id=dialog_id, chosen_group=True), label="dialog")
            pairs.append((dialog, self.pick_operator(data)))
        events = self.call(lambda r: r.adopt_many(pairs, now, over_limit=over_limit))
        given: set[str] = set()
        for dialog, _ in pairs:
            if dialog.id in model.dialogs:
                self.expect_error(events, DuplicateDialog, dialog.id)
                return multiple()
            if dialog.id in given:
                self.expect_error(events, InvalidValue, dialog.id)
                return multiple()
            given.add(dialog.id)
        loads = {op_id: model.load(op_id) for op_id in model.ops}
        counts = {op_id: {} for op_id in model.ops}
        expected = []
        for dialog, op_id in pairs:
            weight = model.channels[dialog.channel].capacity_weight
            group = dialog.chosen_group_id
            if group is not None and op_id not in model.groups[group].operator_ids:
                self.expect_error(events, NotEligible, dialog.id)
                return multiple()
            count = counts[op_id].get(dialog.channel, model.channel_load(op_id, dialog.channel))
            cap = model.config_ops[op_id].channel_limits.get(dialog.channel)
            at_limit = loads[op_id] + weight > model.ops[op_id].limit
            at_cap = cap is not None and count >= cap
            if at_limit and not over_limit:
                self.expect_error(events, AtLimit, dialog.id)
                return multiple()
            if at_cap and not over_limit:
                self.expect_error(events, NotEligible, dialog.id)
                return multiple()
            loads[op_id] += weight
            counts[op_id][dialog.channel] = count + 1
            expected.append(
                DialogAdopted(
                    at=now,
                    dialog_id=dialog.id,
                    operator_id=op_id,
                    group_id=group,
                    over_limit=at_limit or at_cap,
                )
            )
        assert events == tuple(expected)
        for dialog, op_id in pairs:
            target = (
                Target.group(dialog.chosen_group_id) if dialog.chosen_group_id else Target.operator(op_id)
            )
            md = ModelDialog(
                dialog=dialog, weight=model.channels[dialog.channel].capacity_weight, routed_at=now
            )
            md.state, md.target, md.operator_id = DialogState.ASSIGNED, target, op_id
            model.dialogs[dialog.id] = md
            op = model.ops[op_id]
            op.dialogs.add(dialog.id)
            op.missed = 0
            model.handled(md, op_id, now)
            md.replied_at = now  # an adopted chat counts as replied to
            grace, since = model.config.requeue_grace, op.status_since
            requeues = model.config.offline_policy is OfflinePolicy.REQUEUE and grace
            if requeues and op.status == "offline" and since is not None:  # lost once the grace runs out
                model.requeues.append((since + grace, op_id, since))
            op.cut_load = max(op.cut_load, model.load(op_id) if model.load(op_id) > op.limit else 0)
            count = model.channel_load(op_id, dialog.channel)
            op.channel_cuts[dialog.channel] = max(op.channel_cuts.get(dialog.channel, 0), count)
        return multiple(*(dialog.id for dialog, _ in pairs))

    def offered(self) -> list[str]:
        return sorted(d for d, md in self.model.dialogs.items() if md.state is DialogState.OFFERED)

    @precondition(lambda self: bool(self.offered()))
    @rule(dt=seconds(), data=st.data())
    def accept(self, dt: int, data: st.DataObject) -> None:
        """An operator offered a dialog accepts it and has it, in the slot the offer held; a broadcast
        goes to the first who accepts with room for it then (the others' offers end), and stays
        open for the others when they have none. Nobody else can accept it, nor anyone twice."""
        dialog_id = data.draw(st.sampled_from(self.offered()), label="dialog_id")
        md = self.model.dialogs[dialog_id]
        now = self.advance(dt)
        offerees = self.model.offerees(md)
        operator_id = data.draw(st.sampled_from(sorted(offerees)), label="operator_id")
        assert md.target is not None
        other = self.pick_operator(data, label="other")
        if other not in offerees:
            self.expect_error(self.call(lambda r: r.accept(dialog_id, other, now)), NotEligible, dialog_id)
        reason = self.model.ineligible(operator_id, md) if md.offered_to else None
        events = self.call(lambda r: r.accept(dialog_id, operator_id, now))
        if reason is not None:  # a broadcast holds no slot: the accept needs room now
            at_limit = reason in (Reason.AT_LIMIT, Reason.WRAP_UP)
            self.expect_error(events, AtLimit if at_limit else NotEligible, dialog_id)
            assert isinstance(events, NotEligible)
            assert events.reason == reason.value
            return
        group_id = md.target.id if md.target.kind is TargetKind.GROUP else None
        assert events == (
            DialogAssigned(
                at=now, dialog_id=dialog_id, operator_id=operator_id, group_id=group_id, via=Via.ACCEPT
            ),
        )
        self.model.accept(md, operator_id, now)
        late = data.draw(st.sampled_from(sorted(offerees)), label="late")  # the accepter, or another
        self.expect_error(self.call(lambda r: r.accept(dialog_id, late, now)), AlreadyClaimed, dialog_id)

    @precondition(lambda self: bool(self.offered()))
    @rule(dt=seconds(), data=st.data())
    def decline(self, dt: int, data: st.DataObject) -> None:
        """A declined offer goes to another member who can take it, or waits; declined by everyone
        who could take it, the ``all_declined`` action applies; the freed slot drains the queue.
        A broadcast declined by one of several stays open for the others."""
        dialog_id = data.draw(st.sampled_from(self.offered()), label="dialog_id")
        md = self.model.dialogs[dialog_id]
        operator_id = data.draw(st.sampled_from(sorted(self.model.offerees(md))), label="operator_id")
        now = self.advance(dt)
        events = self.call(lambda r: r.decline(dialog_id, operator_id, now))
        assert isinstance(events, tuple), events
        rest = list(events)
        assert rest.pop(0) == OfferWithdrawn(
            at=now, dialog_id=dialog_id, operator_id=operator_id, reason="declined"
        )
        self.model.ops[operator_id].missed = 0  # a decline is an answer
        self._offer_ended(md, operator_id, now, rest, declined=True)
        assert rest == []
        if md.state is not DialogState.OFFERED or operator_id not in self.model.offerees(md):
            again = self.call(lambda r: r.decline(dialog_id, operator_id, now))
            self.expect_error(
                again, AlreadyClaimed if md.state is DialogState.ASSIGNED else NotEligible, dialog_id
            )

    @rule(dt=seconds(max_value=90))
    def tick(self, dt: int) -> None:
        """A tick announces each SLA level each waiting dialog has reached, once, in deadline order;
        then each relax step due, placing the dialogs someone can take now; then the wrap-ups
        that ran out."""
        self._tick(self.advance(dt))

    def _tick(self, now: datetime) -> None:
        expected = self.model.sla_events(now)
        events = self.call(lambda r: r.tick(now))
        assert isinstance(events, tuple), events
        assert events[: len(expected)] == tuple(expected)
        for event in expected:
            self.model.dialogs[event.dialog_id].notified = event.level
        rest = list(events[len(expected) :])
        # then the offers that ran out, each a decline: the dialog goes to someone else or waits
        lapsed = sorted(
            (md.offer_expires, md.dialog.id)
            for md in self.model.dialogs.values()
            if md.offer_expires is not None and md.offer_expires <= now
        )
        for expires, dialog_id in lapsed:
            md = self.model.dialogs[dialog_id]
            if md.offer_expires != expires:  # withdrawn meanwhile: its operator was set away
                continue
            if md.offered_to:  # a broadcast nobody accepted rings again: nobody declined or missed it
                for op_id in sorted(md.offered_to):
                    assert rest.pop(0) == OfferWithdrawn(
                        at=now, dialog_id=dialog_id, operator_id=op_id, reason="expired"
                    )
                    self._offer_ended(md, op_id, now, rest, declined=False)
                continue
            assert md.operator_id is not None
            op = self.model.ops[md.operator_id]
            assert rest.pop(0) == OfferWithdrawn(
                at=now, dialog_id=dialog_id, operator_id=op.id, reason="expired"
            )
            self._offer_ended(md, op.id, now, rest, declined=True)
            op.missed += 1
            limit = self.model.config.missed_offers_limit
            if limit is not None and op.missed >= limit and self.model.routable[op.status]:
                # missed too many in a row: set away, their other offers go to someone else
                status = self.model.config.missed_offers_status
                assert rest.pop(0) == StatusChanged(
                    at=now,
                    operator_id=op.id,
                    old=op.status,
                    new=status,
                    comment=f"missed {op.missed} offers in a row",
                )
                op.status, op.status_since = status, now
                self._withdraw_offers(op, now, rest)
        self._requeue_lapsed(now, rest)  # then the operators still offline after the grace
        self._lapse_replies(now, rest)  # then the assignees who did not reply in time
        relaxing = 0  # the relax steps and the placements they allow come before the wrap-ups
        while relaxing < len(rest) and (
            isinstance(rest[relaxing], RequirementRelaxed)
            or getattr(rest[relaxing], "via", None) is Via.RELAX
        ):
            relaxing += 1
        self.model.apply(tuple(rest[:relaxing]), now)
        del rest[:relaxing]
        for md in self.model.queued():
            assert not self.model.relax_steps_due(md, now), f"{md.dialog.id} has a relax step overdue"
        self._forget_declines(now, rest)  # then the declines older than the decline memory
        self._stop_waiting(now, rest)  # then the waits for a preferred operator that ran out
        self._lift_caps(now, rest)  # then the intake caps whose window moved on
        # then the wrap-ups that ran out, each freeing its slot for the queue
        due = sorted(
            (until, op_id, dialog_id)
            for op_id, op in self.model.ops.items()
            for dialog_id, (until, _) in op.wrap_ups.items()
            if until <= now
        )
        for _, op_id, dialog_id in due:
            ended = rest.pop(0)
            assert ended == WrapUpEnded(at=now, operator_id=op_id, dialog_id=dialog_id, reason="timer")
            del self.model.ops[op_id].wrap_ups[dialog_id]
            self._drain(op_id, now, rest)
        assert rest == []
        # the dialogs still waiting after all of it carry the levels announced
        for md in self.model.queued():
            assert self.router.sla_level(md.dialog.id, now) is md.notified

    @rule(dt=seconds(), data=st.data())
    def ready(self, dt: int, data: st.DataObject) -> None:
        """An operator ready after their after-chat work frees every slot it kept; the queue drains."""
        self._ready(self.pick_operator(data), self.advance(dt))

    @precondition(
        lambda self: (
            any(op.wrap_ups for op in self.model.ops.values())
            and any(md.state is DialogState.QUEUED for md in self.model.dialogs.values())
        )
    )
    @rule(dt=seconds(), data=st.data())
    def wait_out_a_wrap_up(self, dt: int, data: st.DataObject) -> None:
        """A dialog sent to an operator in wrap-up waits for them; ready or the timer hands it over."""
        wrapping = sorted(op_id for op_id, op in self.model.ops.items() if op.wrap_ups)
        operator_id = data.draw(st.sampled_from(wrapping), label="operator_id")
        waiting = sorted(d for d, md in self.model.dialogs.items() if md.state is DialogState.QUEUED)
        dialog_id = data.draw(st.sampled_from(waiting), label="dialog_id")
        now = self.advance(dt)
        self._transfer(dialog_id, Target.operator(operator_id), None, now)
        if data.draw(st.booleans(), label="ready"):
            self._ready(operator_id, now)
        else:
            last = max(until for until, _ in self.model.ops[operator_id].wrap_ups.values())
            self.now = max(self.now, last)
            self._tick(self.now.astimezone(self.zone))

    def _ready(self, operator_id: str, now: datetime) -> None:
        op = self.model.ops[operator_id]
        events = self.call(lambda r: r.ready(operator_id, now))
        assert isinstance(events, tuple), events
        ended = sorted(op.wrap_ups, key=lambda d: (op.wrap_ups[d][0], d))
        assert events[: len(ended)] == tuple(
            WrapUpEnded(at=now, operator_id=operator_id, dialog_id=d, reason="ready") for d in ended
        )
        op.wrap_ups.clear()
        self.model.apply(events[len(ended) :], now, drainer=operator_id)

    @precondition(lambda self: self.model.config.reply_timeout is not None)
    @rule(dialog_id=dialog_ids, dt=seconds())
    def replied(self, dialog_id: str, dt: int) -> None:
        """The assignee's first reply is noted (later ones change nothing), and the reply timeout no
        longer applies; only an assigned dialog can be replied to."""
        now = self.advance(dt)
        md = self.model.dialogs[dialog_id]
        events = self.call(lambda r: r.replied(dialog_id, now))
        if md.state is DialogState.CLOSED:
            self.expect_error(events, DialogClosed, dialog_id)
        elif md.state is not DialogState.ASSIGNED:
            self.expect_error(events, InvalidTransition, dialog_id)
        else:
            assert events == ()
            if md.replied_at is None:
                md.replied_at = now

    @precondition(
        lambda self: any(
            md.state is DialogState.ASSIGNED and not md.held for md in self.model.dialogs.values()
        )
    )
    @rule(dt=seconds(), data=st.data())
    def hold(self, dt: int, data: st.DataObject) -> None:
        """A held dialog stays assigned; unless held dialogs count, its slot drains the queue."""
        ids = sorted(
            d for d, md in self.model.dialogs.items() if md.state is DialogState.ASSIGNED and not md.held
        )
        dialog_id = data.draw(st.sampled_from(ids), label="dialog_id")
        md = self.model.dialogs[dialog_id]
        now = self.advance(dt)
        events = self.call(lambda r: r.hold(dialog_id, now))
        assert isinstance(events, tuple), events
        counts = self.model.config.hold_counts
        assert md.operator_id is not None
        assert events[0] == DialogHeld(at=now, dialog_id=dialog_id, operator_id=md.operator_id, counts=counts)
        md.held = True
        self.model.apply(events[1:], now, drainer=None if counts else md.operator_id)
        if counts:
            assert events[1:] == ()
        again = self.call(lambda r: r.hold(dialog_id, now))
        self.expect_error(again, InvalidTransition, dialog_id)

    @precondition(lambda self: any(md.held for md in self.model.dialogs.values()))
    @rule(dt=seconds(), data=st.data())
    def resume(self, dt: int, data: st.DataObject) -> None:
        """A resumed dialog goes back to its operator if they have room, else is routed again."""
        dialog_id = data.draw(
            st.sampled_from(sorted(d for d, md in self.model.dialogs.items() if md.held)), label="dialog_id"
        )
        self._resume(dialog_id, self.advance(dt))

    @precondition(
        lambda self: not self.model.config.hold_counts and any(md.held for md in self.model.dialogs.values())
    )
    @rule(dt=seconds(), data=st.data())
    def resume_at_a_full_operator(self, dt: int, data: st.DataObject) -> None:
        """An operator whose limit was cut to their load does not get a held dialog back over it."""
        dialog_id = data.draw(
            st.sampled_from(sorted(d for d, md in self.model.dialogs.items() if md.held)), label="dialog_id"
        )
        operator_id = self.model.dialogs[dialog_id].operator_id
        assert operator_id is not None
        now = self.advance(dt)
        self._set_limit(operator_id, self.model.load(operator_id), now)
        self._resume(dialog_id, now)
        assert self.model.dialogs[dialog_id].operator_id != operator_id

    def _resume(self, dialog_id: str, now: datetime) -> None:
        md = self.model.dialogs[dialog_id]
        op_id = md.operator_id
        assert op_id is not None
        events = self.call(lambda r: r.resume(dialog_id, now))
        assert isinstance(events, tuple), events
        model = self.model
        cap = model.config_ops[op_id].channel_limits.get(md.dialog.channel)
        room = model.load(op_id) + md.weight <= model.ops[op_id].limit and (
            cap is None or model.channel_load(op_id, md.dialog.channel) < cap
        )
        if model.config.hold_counts or room:
            assert events == (DialogResumed(at=now, dialog_id=dialog_id, operator_id=op_id),)
            md.held = False
            return
        requeued = events[0]
        assert isinstance(requeued, DialogRequeued)
        assert (requeued.dialog_id, requeued.operator_id) == (dialog_id, op_id)
        model.detach(md)
        md.operator_id = None
        model.place_again(md, now)
        model.apply(events[1:], now)
        assert md.state is not None

    def _withdraw_offers(self, op: ModelOperator, now: datetime, rest: list[Event]) -> None:
        """An operator in a status that takes no dialogs loses the offers they hold (no miss counted):
        those offered to them alone, then the broadcasts, each in dialog order.

        Takes their events from the front of ``rest``.
        """
        if self.model.routable[op.status]:
            return
        dialogs = self.model.dialogs
        alone = sorted(d for d in op.dialogs if dialogs[d].state is DialogState.OFFERED)
        broadcasts = sorted(d for d, md in dialogs.items() if op.id in md.offered_to)
        for dialog_id in alone + broadcasts:
            assert rest.pop(0) == OfferWithdrawn(
                at=now, dialog_id=dialog_id, operator_id=op.id, reason="status"
            )
            self._offer_ended(dialogs[dialog_id], op.id, now, rest, declined=False)

    def _offer_ended(
        self, md: ModelDialog, holder: str, now: datetime, rest: list[Event], *, declined: bool
    ) -> None:
        """An offer to ``holder`` ended without an accept (declined, lapsed, or the operator left), or
        an assignee did not reply in time. A broadcast that others still hold stays open for them.
        Otherwise the dialog goes to another member of its target (a broadcast: to every eligible
        one, those whose broadcast lapsed too) or waits there; declined by everyone who could take
        it, the ``all_declined`` action applies; then the queue drains into the operator whose slot
        it held (a broadcast held none).

        Takes its events from the front of ``rest``.
        """
        model = self.model
        if declined:
            model.decline(md, holder, now)
        if len(md.offered_to) > 1:
            md.offered_to.discard(holder)
            return
        broadcast = bool(md.offered_to)
        model.detach(md)
        md.operator_id = None
        model.place_again(md, now)
        placed = rest.pop(0)
        assert placed.dialog_id == md.dialog.id, placed  # type: ignore[attr-defined]
        if isinstance(placed, DialogOffered):
            assert placed.via is Via.REOFFER
        model.apply((placed,), now)
        policy = model.config.all_declined
        if declined and policy is not AllDeclined.WAIT and md.state is DialogState.QUEUED and not md.pool:
            everyone = model.declined_by_all(md)
            if everyone:
                retry = policy is AllDeclined.RETRY
                assert md.target is not None
                assert rest.pop(0) == DialogDeclinedByAll(
                    at=now, dialog_id=md.dialog.id, target=md.target, declined=everyone, retried=retry
                )
                if retry:  # forgotten, and offered again to whoever can take it now
                    md.declined.clear()
                    self._retry_waiting(md, now, rest)
        if not broadcast:
            self._drain(holder, now, rest)

    def _drain(self, op_id: str, now: datetime, rest: list[Event]) -> None:
        """A drain into the operator: the relax steps due and the dialogs they let go, then the best
        dialogs the operator can take, one by one, while not at the intake cap.

        Takes its events from the front of ``rest``.
        """
        while rest and _drained(rest[0], into=op_id):
            if getattr(rest[0], "via", None) is Via.DRAIN and self.model.ops[op_id].capped_until is not None:
                break  # capped: the rest is another operator's, or this one's once the cap lifts
            self.model.apply((rest.pop(0),), now, drainer=op_id)

    def _retry_waiting(self, md: ModelDialog, now: datetime, rest: list[Event]) -> None:
        """Something changed for a waiting dialog (not for the operators): it is placed (offered
        again) when someone can take it now, and otherwise keeps its place in line.

        Takes its event, if any, from the front of ``rest``.
        """
        if md.state is not DialogState.QUEUED or md.pool or not self.model.eligible_members(md):
            return
        placed = rest.pop(0)
        assert isinstance(placed, DialogAssigned | DialogOffered), placed
        assert placed.dialog_id == md.dialog.id, placed
        assert placed.via is Via.REOFFER
        self.model.detach(md)
        self.model.apply((placed,), now)

    def _forget_declines(self, now: datetime, rest: list[Event]) -> None:
        """Declines older than the ``decline_memory`` lapse, oldest first, each retrying its dialog.

        Takes their events from the front of ``rest``.
        """
        lapsed = sorted(
            (until, md.dialog.id, op_id)
            for md in self.model.dialogs.values()
            if md.state is not DialogState.CLOSED
            for op_id, until in md.declined.items()
            if until is not None and until <= now
        )
        for _, dialog_id, op_id in lapsed:
            md = self.model.dialogs[dialog_id]
            del md.declined[op_id]
            self._retry_waiting(md, now, rest)

    def _lift_caps(self, now: datetime, rest: list[Event]) -> None:
        """Operators at the intake cap whose window moved on take dialogs again, earliest first,
        each drained into.

        Takes their events from the front of ``rest``.
        """
        model = self.model
        due = sorted(
            (op.capped_until, op_id)
            for op_id, op in model.ops.items()
            if op.capped_until is not None and op.capped_until <= now
        )
        for _, op_id in due:
            model.recheck_cap(op_id, now)
            assert model.ops[op_id].capped_until is None
            self._drain(op_id, now, rest)

    def _stop_waiting(self, now: datetime, rest: list[Event]) -> None:
        """Dialogs whose wait for their busy preferred operator ran out go on to its alternative,
        in deadline order; waiting again, they keep their place in line and their SLA clock.

        Takes their events from the front of ``rest``.
        """
        model = self.model
        due = sorted(
            (md.wait_until, md.dialog.id)
            for md in model.queued()
            if md.wait_until is not None and md.wait_until <= now
        )
        for _, dialog_id in due:
            md = model.dialogs[dialog_id]
            assert md.target is not None
            assert md.then is not None
            assert md.waiting_since is not None
            assert rest.pop(0) == DialogStoppedWaiting(
                at=now,
                dialog_id=dialog_id,
                operator_id=str(md.target.id),
                to=md.then,
                waited=now - md.waiting_since,
            )
            then, seq, since = md.then, md.seq, md.waiting_since
            # placed now (a pool announces its wait), or kept waiting in line with no event; a later
            # event of the dialog is another step's (a drain once a cap lifts)
            placed = rest[0] if rest and getattr(rest[0], "dialog_id", None) == dialog_id else None
            if placed is not None and getattr(placed, "via", Via.FALLBACK) is not Via.FALLBACK:
                placed = None
            model.detach(md)
            md.fallback = None  # it goes on, not to the favourite
            client_id = md.dialog.client_id
            favourite = model.client(client_id)[0]
            while then.kind is TargetKind.PREFERRED_OPERATOR:  # no more waiting for them
                if favourite is not None and model.ineligible(favourite, md) is None:
                    then = Target.operator(favourite)
                    break
                then = then.otherwise or model.config.fallback
            md.target = then
            if placed is None:  # still waiting, in the same place
                md.state, md.seq, md.waiting_since, md.pool = DialogState.QUEUED, seq, since, False
                assert not model.eligible_members(md)
                continue
            rest.pop(0)
            if isinstance(placed, DialogAssigned | DialogOffered):
                assert placed.via is Via.FALLBACK
            model.apply((placed,), now)

    @precondition(lambda self: self.restores < 2)
    @rule()
    def persist_and_restore(self) -> None:
        """The snapshot survives dict and JSON exactly; the machine carries on with the restored router."""
        snapshot = self.router.snapshot()
        restored_snapshot = round_trip(snapshot)
        assert restored_snapshot == snapshot
        restored = Router.restore(self.model.config, restored_snapshot)
        assert restored.snapshot() == snapshot
        self.twin = self.router
        self.router = restored
        self.restores += 1

    # -- invariants

    @invariant()
    def loads_stay_within_limits(self) -> None:
        """No operator is over its limit, unless a limit cut left it there and it has only shrunk since."""
        for state in self.router.operators():
            op = self.model.ops[state.id]
            assert state.limit == op.limit
            assert state.load <= max(op.limit, op.cut_load), f"{state.id}: load {state.load} of {op.limit}"
            for channel_name, cap in self.model.config_ops[state.id].channel_limits.items():
                assert state.channel_loads.get(channel_name, 0) <= max(
                    cap, op.channel_cuts.get(channel_name, 0)
                )

    @invariant()
    def every_dialog_is_in_exactly_one_state(self) -> None:
        """Queued, offered, assigned and closed partition the dialogs, and each matches the model."""
        by_state = {s: {rec.id for rec in self.router.dialogs(s)} for s in DialogState}
        seen: set[str] = set()
        for ids in by_state.values():
            assert not ids & seen
            seen |= ids
        assert seen == set(self.model.dialogs)
        for rec in self.router.dialogs():
            md = self.model.dialogs[rec.id]
            assert rec.state is md.state, f"{rec.id}: {rec.state} != {md.state}"
            assert (rec.operator_id, rec.target, rec.pool) == (md.operator_id, md.target, md.pool), rec.id
            assert rec.excluded == md.excluded
            assert rec.declined == set(md.declined), rec.id
            if md.state is not DialogState.CLOSED:
                lapsing = {op_id: until for op_id, until in md.declined.items() if until is not None}
                assert dict(rec.declines_lapse) == lapsing, rec.id
            if md.state is DialogState.OFFERED:
                assert rec.offered_to == self.model.offerees(md), rec.id
                assert rec.offer_expires_at == md.offer_expires
            assert (rec.held_since is not None) == md.held, rec.id
            assert (rec.assigned_at, rec.replied_at) == (md.assigned_at, md.replied_at), rec.id
            assert rec.queue_seq == md.seq
            if md.state is DialogState.QUEUED:
                assert (rec.preferred_until, rec.preferred_then) == (md.wait_until, md.then), rec.id
                assert rec.waiting_since == md.waiting_since
                assert rec.sla_notified is md.notified
                assert self.router.position(rec.id) == self.model.position(md)
            elif md.state is not DialogState.CLOSED:  # handed to its favourite: where it would go back
                assert (rec.preferred_until, rec.preferred_then) == (None, md.fallback), rec.id

    @invariant()
    def loads_are_the_weights_of_assigned_dialogs(self) -> None:
        """An operator's load is the capacity weights of the dialogs assigned or offered to them (held
        ones only if they count) and of their wrap-ups."""
        weights = {op_id: self.model.wrap_up_weight(op_id) for op_id in self.model.ops}
        channel_counts: dict[str, dict[str, int]] = {op_id: {} for op_id in self.model.ops}
        held = [*self.router.dialogs(DialogState.ASSIGNED), *self.router.dialogs(DialogState.OFFERED)]
        for rec in held:  # an offer holds a slot until it ends; a broadcast holds none
            if rec.operator_id is None:
                assert rec.state is DialogState.OFFERED, rec.id
                continue
            if rec.held_since is not None and not self.model.config.hold_counts:
                continue
            weights[rec.operator_id] += self.model.channels[rec.dialog.channel].capacity_weight
            counts = channel_counts[rec.operator_id]
            counts[rec.dialog.channel] = counts.get(rec.dialog.channel, 0) + 1
        for state in self.router.operators():
            assert state.load == weights[state.id] == self.model.load(state.id), state.id
            assert dict(state.channel_loads) == channel_counts[state.id]
            assert state.status == self.model.ops[state.id].status
            assert state.missed_offers == self.model.ops[state.id].missed, state.id
            op = self.model.ops[state.id]
            assert (state.intake, state.capped_until) == (tuple(op.intake), op.capped_until), state.id
            wrap_ups = self.model.ops[state.id].wrap_ups
            assert {(w.dialog_id, w.until, w.weight) for w in state.wrap_ups} == {
                (d, until, weight) for d, (until, weight) in wrap_ups.items()
            }

    @invariant()
    def queue_drains_into_free_capacity(self) -> None:
        """No waiting (non-pool) dialog has an eligible operator with free capacity."""
        for md in self.model.queued():
            if not md.pool:
                assert not self.model.eligible_members(md), f"{md.dialog.id} waits while someone is free"

    @invariant()
    def queues_are_in_service_order(self) -> None:
        """Each queue lists (channel priority, dialog priority, arrival), pools after it."""
        targets = {md.target for md in self.model.queued()} | {EVERYONE}
        for target in targets:
            assert target is not None
            expected = self.model.queue(target, pool=False) + self.model.queue(target, pool=True)
            assert list(self.router.queue(target)) == expected, target

    @invariant()
    def clients_keep_their_own_operators(self) -> None:
        """The router knows each client's preferred operator as last told and their last operator."""
        known = {c.id: (c.preferred_operator_id, c.last_operator_id) for c in self.router.snapshot().clients}
        assert known == self.model.clients

    @invariant()
    def twin_agrees(self) -> None:
        """The router from before the last restore is in exactly the same state."""
        if self.twin is not None:
            assert self.twin.snapshot() == self.router.snapshot()


@st.composite
def _patient(draw: st.DrawFn, config: RoutingConfig) -> RoutingConfig:
    """The config with ``Sticky(wait=...)`` as the strategy of some groups and maybe everyone.

    Drawn here rather than among the shared strategies, whose draws the golden corpus pins.
    """
    patient = st.builds(
        Sticky,
        then=st.sampled_from([Even(), RoundRobin()]),
        wait=st.integers(5, 60).map(lambda n: timedelta(seconds=n)),
    )
    maybe = st.one_of(st.none(), patient)
    groups = [attrs.evolve(g, strategy=draw(maybe) or g.strategy) for g in config.groups]
    return attrs.evolve(config, groups=groups, strategy=draw(maybe) or config.strategy)


@st.composite
def _broadcasting(draw: st.DrawFn, config: RoutingConfig) -> RoutingConfig:
    """The config with ``Broadcast()`` as the strategy of one or more groups, and maybe everyone's.

    Drawn here rather than among the shared strategies, whose draws the golden corpus pins.
    """
    ids = sorted(g.id for g in config.groups)
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True), label="broadcast groups")
    groups = [attrs.evolve(g, strategy=Broadcast()) if g.id in chosen else g for g in config.groups]
    everyone = Broadcast() if draw(st.booleans(), label="everyone broadcasts") else config.strategy
    return attrs.evolve(config, groups=groups, strategy=everyone)


def _drained(event: Event, into: str | None = None) -> bool:
    """Whether the event is one a drain makes: a hand-over from the queue (to ``into``, when
    given), a relax step due by then, or a dialog placed once its requirements relaxed."""
    if isinstance(event, RequirementRelaxed):
        return True
    if not isinstance(event, DialogAssigned | DialogOffered):
        return False
    if event.via is Via.RELAX:
        return True
    taker = event.operator_id if isinstance(event, DialogAssigned) else event.operator_ids[0]
    return event.via is Via.DRAIN and (into is None or taker == into)


def _outcome(fn: Callable[[Router], T], router: Router) -> T | ChatrouteError:
    try:
        return fn(router)
    except ChatrouteError as error:
        return error


RouterMachine.TestCase.settings = settings(stateful_step_count=30)
TestRouterStateful = RouterMachine.TestCase
