"""Wrap-up after a released dialog, and dialogs on hold (chatroute._after_chat and the Router calls)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatroute import (
    AtLimit,
    Channel,
    ChatrouteError,
    Dialog,
    DialogAssigned,
    DialogClosed,
    DialogHeld,
    DialogQueued,
    DialogReleased,
    DialogRequeued,
    DialogResumed,
    DialogState,
    Group,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    Operator,
    Outcome,
    Reason,
    Ring,
    Router,
    RoutingConfig,
    Rule,
    Snapshot,
    Target,
    TimeWentBackwards,
    UnknownDialog,
    UnknownOperator,
    Via,
    WrapUp,
    WrapUpEnded,
    WrapUpStarted,
    serialize,
)
from chatroute.rules import Always
from chatroute.shared import _calls as calls

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def wrapping(*operators: Operator, wrap_up: object = "30s", **options: object) -> Router:
    """A router whose site channel has ``wrap_up``."""
    config = RoutingConfig(channels=[Channel(name="site", wrap_up=wrap_up)], operators=operators, **options)  # type: ignore[arg-type]
    return Router(config)


def restored(router: Router) -> Router:
    """The router persisted through JSON and restored."""
    data = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    return Router.restore(router.config, serialize.from_dict(Snapshot, data))


ANN = Operator(id="ann", status="online", limit=1)
BOB = Operator(id="bob", status="online", limit=1)

# --------------------------------------------------------------------------- wrap-up


def test_a_released_slot_stays_taken_for_the_wrap_up() -> None:
    """Releasing starts the wrap-up: the load stays, the operator state lists it, an event says until when."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    events = router.release("d1", at(10))
    assert events == (
        DialogReleased(at=at(10), dialog_id="d1", operator_id="ann"),
        WrapUpStarted(at=at(10), operator_id="ann", dialog_id="d1", until=at(40)),
    )
    state = router.operator("ann")
    assert state.load == 1
    assert state.wrap_ups == (WrapUp(dialog_id="d1", until=at(40), weight=1),)
    assert dict(state.channel_loads) == {}
    assert router.dialog("d1").state is DialogState.CLOSED
    assert router.next_tick() == at(40)


def test_a_dialog_waits_while_the_only_slot_is_in_wrap_up_and_the_trace_says_so() -> None:
    """A new dialog queues; its trace counts the wrap-up, and the full listing says when it ends."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", at(10))
    decision = router.route(Dialog(id="d2"), at(11))
    assert decision.outcome.value == "queued"
    assert decision.trace is not None
    assert decision.trace.count(Reason.WRAP_UP) == 1
    assert "wrap_up 1" in decision.explain()
    full = router.explain(Dialog(id="d2"), at(11))
    assert full.trace is not None
    (check,) = full.trace.operators
    assert check.reason is Reason.WRAP_UP
    assert "in wrap-up until 2026-03-02T09:00:40+00:00" in full.explain()


def test_the_timer_frees_the_slot_and_the_queue_drains_into_it() -> None:
    """At the wrap-up's end a tick frees the slot, says so, and hands over the waiting dialog."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", at(10))
    router.route(Dialog(id="d2"), at(11))
    assert router.tick(at(39)) == ()
    events = router.tick(at(40))
    assert events[-2:] == (
        WrapUpEnded(at=at(40), operator_id="ann", dialog_id="d1", reason="timer"),
        DialogAssigned(at=at(40), dialog_id="d2", operator_id="ann", group_id=None, via=Via.DRAIN),
    )
    assert router.operator("ann").wrap_ups == ()


def test_ready_ends_the_wrap_up_early_and_drains() -> None:
    """Router.ready frees the slots at once; the timer then finds nothing to do."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", at(10))
    router.route(Dialog(id="d2"), at(11))
    events = router.ready("ann", at(12))
    assert events == (
        WrapUpEnded(at=at(12), operator_id="ann", dialog_id="d1", reason="ready"),
        DialogAssigned(at=at(12), dialog_id="d2", operator_id="ann", group_id=None, via=Via.DRAIN),
    )
    assert router.tick(at(60)) == ()
    assert router.operator("ann").load == 1


def test_a_wrap_up_frees_the_channel_slot_and_the_queue_drains_into_it() -> None:
    """The wrap-up keeps the load, not the channel limit's place: a dialog waiting only because
    of that limit goes to the operator as soon as the release starts the wrap-up."""
    router = wrapping(Operator(id="ann", status="online", limit=3, channel_limits={"site": 1}))
    router.route(Dialog(id="d1"), T0)
    assert router.route(Dialog(id="d2"), at(1)).outcome is Outcome.QUEUED  # the channel limit
    events = router.release("d1", at(10))
    assert events[1:] == (
        WrapUpStarted(at=at(10), operator_id="ann", dialog_id="d1", until=at(40)),
        DialogAssigned(at=at(10), dialog_id="d2", operator_id="ann", group_id=None, via=Via.DRAIN),
    )
    assert router.operator("ann").load == 2


def test_ready_without_a_wrap_up_changes_nothing() -> None:
    """An operator not in wrap-up may be called ready: no events, the same state but the latest time."""
    router = wrapping(ANN)
    before = router.snapshot()
    assert router.ready("ann", at(1)) == ()
    assert router.snapshot() == attrs.evolve(before, latest=at(1))


def test_the_operators_own_wrap_up_overrides_the_channels() -> None:
    """An operator's wrap_up wins over the channel's; zero switches it off for them."""
    router = wrapping(
        Operator(id="ann", status="online", wrap_up=timedelta(seconds=5)),
        Operator(id="bob", status="online", wrap_up=0),
    )
    router.route(Dialog(id="d1"), T0)  # ann (id order on a tie)
    router.route(Dialog(id="d2"), T0)  # bob
    assert router.release("d1", T0)[-1] == WrapUpStarted(
        at=T0, operator_id="ann", dialog_id="d1", until=at(5)
    )
    assert router.release("d2", T0) == (DialogReleased(at=T0, dialog_id="d2", operator_id="bob"),)


def test_no_wrap_up_anywhere_keeps_releases_as_they_were() -> None:
    """Without a wrap_up, a release frees the slot at once and the snapshot has no wrap-up keys."""
    router = Router(RoutingConfig(operators=[ANN]))
    router.route(Dialog(id="d1"), T0)
    assert router.release("d1", T0) == (DialogReleased(at=T0, dialog_id="d1", operator_id="ann"),)
    assert "wrap_ups" not in serialize.to_dict(router.snapshot())["operators"][0]


def test_a_claim_during_wrap_up_is_at_limit() -> None:
    """Claiming while the only slot is in wrap-up raises AtLimit with the reason wrap_up."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", T0)
    router.route(Dialog(id="d2"), T0)
    with pytest.raises(AtLimit) as info:
        router.claim("d2", "ann", T0)
    assert info.value.reason == "wrap_up"


def test_wrap_ups_survive_a_snapshot_and_end_on_time_after_restore() -> None:
    """A restored router keeps the wrap-up in the load and ends it at the same time."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", T0)
    router.route(Dialog(id="d2"), T0)
    copy = restored(router)
    assert copy.snapshot() == router.snapshot()
    assert copy.next_tick() == router.next_tick()
    assert copy.tick(at(30)) == router.tick(at(30))


def test_going_offline_keeps_the_wrap_up_running() -> None:
    """A status change does not cancel wrap-up: the slot stays taken until the timer or ready."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", T0)
    router.set_status("ann", "offline", at(1))
    assert router.operator("ann").load == 1
    router.set_status("ann", "online", at(2))
    assert router.operator("ann").load == 1
    assert [type(e) for e in router.tick(at(30))] == [WrapUpEnded]
    assert router.operator("ann").load == 0


def test_a_raised_limit_drains_despite_the_wrap_up() -> None:
    """The limit counts wrap-ups like dialogs: raising it gives room at once."""
    router = wrapping(ANN)
    router.route(Dialog(id="d1"), T0)
    router.release("d1", T0)
    router.route(Dialog(id="d2"), T0)
    events = router.set_limit("ann", 2, at(1))
    assert events[-1] == DialogAssigned(
        at=at(1), dialog_id="d2", operator_id="ann", group_id=None, via=Via.DRAIN
    )


def test_wrap_up_durations_read_like_the_rest_of_the_config() -> None:
    """Channel and operator wrap_up take seconds or "30s" texts, and round-trip through files."""
    config = RoutingConfig.from_toml(
        """
        [[channels]]
        name = "site"
        wrap_up = "45s"
        [[operators]]
        id = "ann"
        wrap_up = 90
        """
    )
    assert config.channels[0].wrap_up == timedelta(seconds=45)
    assert config.operators[0].wrap_up == timedelta(seconds=90)
    assert config.to_dict()["operators"][0]["wrap_up"] == "1m30s"
    assert RoutingConfig.from_dict(config.to_dict()) == config
    assert RoutingConfig.from_toml(config.to_toml()) == config


@pytest.mark.parametrize("value", [-1, "-5s", "soon", True, [1]])
def test_bad_wrap_up_values_are_refused_naming_the_field(value: object) -> None:
    """A negative, unreadable or non-duration wrap_up raises InvalidValue on 'wrap_up'."""
    with pytest.raises(InvalidValue) as info:
        Channel(name="site", wrap_up=value)  # type: ignore[arg-type]
    assert info.value.field == "wrap_up"
    with pytest.raises(InvalidValue):
        Operator(id="ann", wrap_up=value)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ hold


def holding(hold_counts: bool, resume_wait: float = 0, **ops: int) -> Router:
    operators = [Operator(id=op_id, status="online", limit=limit) for op_id, limit in ops.items()]
    return Router(RoutingConfig(operators=operators, hold_counts=hold_counts, resume_wait=resume_wait))


def test_a_held_dialog_keeps_its_slot_by_default() -> None:
    """With hold_counts (the default) a held dialog stays assigned, in the load, and resumes at once."""
    router = holding(True, ann=1)
    router.route(Dialog(id="d1"), T0)
    assert router.hold("d1", at(1)) == (DialogHeld(at=at(1), dialog_id="d1", operator_id="ann", counts=True),)
    record = router.dialog("d1")
    assert (record.state, record.held_since) == (DialogState.ASSIGNED, at(1))
    assert router.route(Dialog(id="d2"), at(2)).outcome.value == "queued"
    assert router.resume("d1", at(3)) == (DialogResumed(at=at(3), dialog_id="d1", operator_id="ann"),)
    assert router.dialog("d1").held_since is None
    assert router.operator("ann").load == 1


def test_the_trace_counts_held_dialogs_in_the_limit() -> None:
    """An operator at the limit with dialogs on hold is explained with how many are held."""
    router = holding(True, ann=1)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    assert "1 of 1 in use, 1 on hold" in router.explain(Dialog(id="d2"), T0).explain()


def test_holding_frees_the_slot_when_held_dialogs_do_not_count() -> None:
    """Without hold_counts, holding frees the slot and the queue drains into it."""
    router = holding(False, ann=1)
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    events = router.hold("d1", at(1))
    assert events == (
        DialogHeld(at=at(1), dialog_id="d1", operator_id="ann", counts=False),
        DialogAssigned(at=at(1), dialog_id="d2", operator_id="ann", group_id=None, via=Via.DRAIN),
    )
    assert router.operator("ann").load == 1
    assert router.dialog("d1").state is DialogState.ASSIGNED


def test_a_resumed_dialog_goes_back_to_its_operator_when_they_have_room() -> None:
    """Resuming with room puts the dialog back in its operator's load."""
    router = holding(False, ann=2)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    assert router.operator("ann").load == 0
    assert router.resume("d1", at(1)) == (DialogResumed(at=at(1), dialog_id="d1", operator_id="ann"),)
    assert router.operator("ann").load == 1


def test_a_resumed_dialog_without_room_is_routed_again_at_once() -> None:
    """With no resume_wait, a resumed dialog whose operator is full goes to someone else in its target."""
    router = holding(False, ann=1, bob=1)
    router.set_status("bob", "away", T0)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    router.route(Dialog(id="d2"), T0)  # ann again: bob is away
    router.set_status("bob", "online", T0)
    events = router.resume("d1", at(1))
    assert isinstance(events[0], DialogRequeued)
    assert events[0].operator_id == "ann"
    assert "no room" in events[0].reason
    assert events[1] == DialogAssigned(
        at=at(1), dialog_id="d1", operator_id="bob", group_id=None, via=Via.REQUEUE
    )
    assert router.operator("ann").load == 1


def test_a_resumed_dialog_whose_operator_is_in_wrap_up_says_so() -> None:
    """The reason a resumed dialog is re-queued names its operator's wrap-up, as traces do."""
    router = wrapping(ANN, Operator(id="bob", status="away", limit=1), hold_counts=False)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    router.route(Dialog(id="d2"), T0)
    router.release("d2", at(1))  # ann's slot is now in wrap-up until 00:31
    events = router.resume("d1", at(2))
    assert isinstance(events[0], DialogRequeued)
    assert events[0].reason == (
        "resumed, but its operator has no room (in wrap-up until 2026-03-02T09:00:31+00:00 (1 of 1 in use))"
    )


def test_a_resumed_dialog_waits_for_its_operator_first() -> None:
    """With a resume_wait, it queues for its own operator and gets them as soon as they have room."""
    router = holding(False, 60, ann=1, bob=0)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    router.route(Dialog(id="d2"), T0)
    events = router.resume("d1", at(1))
    assert events[1] == DialogQueued(at=at(1), dialog_id="d1", target=Target.operator("ann"))
    record = router.dialog("d1")
    assert (record.target, record.resume_to) == (Target.operator("ann"), Target.everyone())
    copy = restored(router)
    assert copy.snapshot() == router.snapshot()
    released = router.release("d2", at(5))
    assert released[-1] == DialogAssigned(
        at=at(5), dialog_id="d1", operator_id="ann", group_id=None, via=Via.DRAIN
    )
    assert router.dialog("d1").resume_to is None
    assert router.tick(at(61)) == ()


def test_after_the_wait_a_resumed_dialog_follows_the_policy() -> None:
    """When resume_wait runs out, the dialog is routed again within the target it was placed on."""
    router = holding(False, 60, ann=1, bob=0)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    router.route(Dialog(id="d2"), T0)
    router.resume("d1", at(1))
    router.set_limit("bob", 1, at(2))  # bob has room, but d1 waits for ann
    assert router.dialog("d1").state is DialogState.QUEUED
    for copy in (router, restored(router)):
        events = copy.tick(at(61))
        assert (
            DialogRequeued(
                at=at(61), dialog_id="d1", operator_id="ann", reason="waited 60 s for its operator"
            )
            in events
        )
        assert events[-1] == DialogAssigned(
            at=at(61), dialog_id="d1", operator_id="bob", group_id=None, via=Via.REQUEUE
        )


def test_an_escalation_ring_does_not_take_a_resumed_dialog_from_its_operator() -> None:
    """While a resumed dialog waits for its operator, its rule's rings no longer apply to it."""
    rule = Rule(
        name="all", when=Always(), to=Target.group("g"), escalate=[Ring(after=5, to=Target.everyone())]
    )
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online", limit=1), Operator(id="bob", status="away", limit=1)],
        groups=[Group(id="g", operator_ids=["ann"])],
        rules=[rule],
        hold_counts=False,
        resume_wait=60,
    )
    router = Router(config)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    router.route(Dialog(id="d2"), T0)
    router.resume("d1", at(1))
    router.set_status("bob", "online", at(2))
    router.tick(at(30))
    assert (router.dialog("d1").state, router.dialog("d1").target) == (
        DialogState.QUEUED,
        Target.operator("ann"),
    )
    assert router.tick(at(61))[-1] == DialogQueued(at=at(61), dialog_id="d1", target=Target.group("g"))


def test_release_transfer_and_forget_of_a_held_dialog() -> None:
    """A held dialog can be released (and forgotten) or transferred; loads stay right either way."""
    for counts in (True, False):
        router = holding(counts, ann=1, bob=1)
        router.route(Dialog(id="d1"), T0)
        router.route(Dialog(id="d2"), T0)
        router.hold("d1", T0)
        router.hold("d2", T0)
        router.release("d1", at(1))
        router.forget("d1")
        assert router.operator("ann").load == 0
        router.transfer("d2", Target.operator("ann"), at(2))
        record = router.dialog("d2")
        assert (record.operator_id, record.held_since) == ("ann", None)
        assert (router.operator("ann").load, router.operator("bob").load) == (1, 0)


def test_releasing_a_held_dialog_that_does_not_count_starts_no_wrap_up() -> None:
    """Its slot was given back when it was held, so nothing is kept for after-chat work."""
    router = wrapping(ANN, hold_counts=False)
    router.route(Dialog(id="d1"), T0)
    router.hold("d1", T0)
    assert router.release("d1", at(1)) == (DialogReleased(at=at(1), dialog_id="d1", operator_id="ann"),)
    assert router.operator("ann").load == 0


def test_hold_and_resume_settings_round_trip_through_config_files() -> None:
    """hold_counts and resume_wait load from the short form and write back to it."""
    config = RoutingConfig.from_toml('hold_counts = false\nresume_wait = "2m"\n')
    assert (config.hold_counts, config.resume_wait) == (False, timedelta(minutes=2))
    assert config.to_dict() == {"hold_counts": False, "resume_wait": "2m"}
    assert RoutingConfig.from_dict(config.to_dict()) == config


def test_bad_hold_settings_are_config_errors() -> None:
    """A negative resume_wait or a non-bool hold_counts is named in the config's problems."""
    paths = [path for path, _ in RoutingConfig(resume_wait=-1, hold_counts="no").problems()]  # type: ignore[arg-type]
    assert paths == ["hold_counts", "resume_wait"]


# ------------------------------------------------------------------------ bad input


def _bad_calls() -> list[tuple[str, object, type[ChatrouteError]]]:
    later = at(10)
    return [
        ("hold", lambda r: r.hold("nope", later), UnknownDialog),
        ("hold", lambda r: r.hold("queued", later), InvalidTransition),
        ("hold", lambda r: r.hold("held", later), InvalidTransition),
        ("hold", lambda r: r.hold("closed", later), DialogClosed),
        ("hold", lambda r: r.hold(7, later), InvalidValue),
        ("hold", lambda r: r.hold("assigned", T0), TimeWentBackwards),
        ("hold", lambda r: r.hold("assigned", datetime(2026, 3, 2, 10)), NaiveDatetime),
        ("resume", lambda r: r.resume("assigned", later), InvalidTransition),
        ("resume", lambda r: r.resume("queued", later), InvalidTransition),
        ("resume", lambda r: r.resume("nope", later), UnknownDialog),
        ("resume", lambda r: r.resume("held", T0), TimeWentBackwards),
        ("ready", lambda r: r.ready("nobody", later), UnknownOperator),
        ("ready", lambda r: r.ready(None, later), InvalidValue),
        ("ready", lambda r: r.ready("ann", T0), TimeWentBackwards),
    ]


@pytest.mark.parametrize(
    ("name", "call", "error"), _bad_calls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_bad_input_raises_and_leaves_the_state_unchanged(name: str, call: object, error: type) -> None:
    """Unknown ids, wrong states, earlier or naive times and hostile values raise; nothing changes."""
    router = wrapping(Operator(id="ann", status="online", limit=3), hold_counts=False)
    for dialog_id in ("closed", "held", "assigned", "queued_filler", "queued"):
        router.route(Dialog(id=dialog_id), at(5))
    router.release("closed", at(5))
    router.hold("held", at(5))
    before = router.snapshot()
    with pytest.raises(error):
        call(router)  # type: ignore[operator]
    assert router.snapshot() == before


# ------------------------------------------------------------------------ properties

_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["route", "release", "hold", "resume", "ready", "tick", "limit"]),
        st.integers(min_value=0, max_value=40),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    steps=_STEPS,
    wait=st.sampled_from([0, 20]),
    counts=st.booleans(),
    wrap_up=st.sampled_from([0, 15]),
)
def test_holds_and_wrap_ups_never_put_an_operator_over_the_limit(
    steps: list[tuple[str, int, int]], wait: int, counts: bool, wrap_up: int
) -> None:
    """Whatever the calls, loads are what counted dialogs and wrap-ups take, never over the limit."""
    ops = [Operator(id=name, status="online", limit=2) for name in ("ann", "bob")]
    config = RoutingConfig(
        channels=[Channel(name="site", wrap_up=wrap_up)], operators=ops, hold_counts=counts, resume_wait=wait
    )
    router = Router(config)
    now, routed = T0, 0
    limits = {"ann": 2, "bob": 2}
    for action, dt, pick in steps:
        now += timedelta(seconds=dt)
        ids = [d.id for d in router.dialogs() if d.state is not DialogState.CLOSED]
        dialog_id = ids[pick % len(ids)] if ids else "none"
        op_id = ("ann", "bob")[pick % 2]
        loads = {state.id: state.load for state in router.operators()}
        try:
            if action == "route":
                router.route(Dialog(id=f"d{routed}"), now)
                routed += 1
            elif action == "release":
                router.release(dialog_id, now)
            elif action == "hold":
                router.hold(dialog_id, now)
            elif action == "resume":
                router.resume(dialog_id, now)
            elif action == "ready":
                router.ready(op_id, now)
            elif action == "tick":
                router.tick(now)
            else:
                router.set_limit(op_id, pick % 3, now)
                limits[op_id] = pick % 3
        except ChatrouteError:
            pass
        snapshot = router.snapshot()
        for state in snapshot.operators:
            taken = sum(
                1
                for d in snapshot.dialogs
                if d.state is DialogState.ASSIGNED
                and d.operator_id == state.id
                and (d.held_since is None or counts)
            ) + sum(w.weight for w in state.wrap_ups)
            assert state.load == taken, state.id
            if state.load > loads[state.id]:  # whoever just got a dialog (from any call) had room for it
                assert state.load <= limits[state.id], (action, state.id, state.load)
    assert restored(router).snapshot() == router.snapshot()


# ------------------------------------------------------------------- the shared desk's journal


def test_the_journal_replays_hold_resume_and_ready_exactly() -> None:
    """hold, resume and ready are journal calls: arguments and events survive JSON and replay the same."""
    live = wrapping(ANN, hold_counts=False)
    replica = wrapping(ANN, hold_counts=False)
    live.route(Dialog(id="d1"), T0)
    replica.route(Dialog(id="d1"), T0)
    for name, values, now in (
        ("hold", {"dialog_id": "d1"}, at(1)),
        ("resume", {"dialog_id": "d1"}, at(2)),
        ("release", {"dialog_id": "d1"}, at(3)),
        ("ready", {"operator_id": "ann"}, at(4)),
    ):
        spec = calls.CALLS[name]
        encoded = json.loads(json.dumps(calls.encode_args(spec, values)))
        result = calls.run_call(live, spec, calls.decode_args(spec, encoded), now)
        stored = json.loads(json.dumps(calls.encode_result(result)))
        assert calls.decode_result(spec, stored) == result
        assert calls.run_call(replica, spec, calls.decode_args(spec, encoded), now) == result
        assert result
    assert replica.snapshot() == live.snapshot()
