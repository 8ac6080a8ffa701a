"""Offers (Jivo): operators accept dialogs; declines and timeouts move them on; Broadcast.

With ``accept_timeout`` set, every hand-over is an offer that holds a slot in the chosen
operator's load until they accept, decline or let it lapse (seen by ``tick``). A
declined or lapsed offer goes to the next eligible operator, never back. ``Broadcast()``
offers a dialog to every eligible operator at once; the first accept wins.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    AllDeclined,
    AlreadyClaimed,
    AtLimit,
    Broadcast,
    Dialog,
    DialogAssigned,
    DialogClosed,
    DialogDeclinedByAll,
    DialogOffered,
    DialogState,
    Group,
    NotEligible,
    OfferWithdrawn,
    Operator,
    Outcome,
    Reason,
    Router,
    RoutingConfig,
    Snapshot,
    StatusChanged,
    Target,
    UnknownDialog,
    UnknownOperator,
    Via,
    serialize,
)

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=20)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def desk(*, broadcast: bool = False, missed: int | None = None, limit: int = 2, **options: object) -> Router:
    """Ann, Bob and Cy online in group "desk" (Even, or Broadcast), offers lapsing after 20 s."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=limit) for op_id in ("ann", "bob", "cy")],
        groups=[
            Group(id="desk", operator_ids=["ann", "bob", "cy"], strategy=Broadcast() if broadcast else None)
        ],
        fallback=Target.group("desk"),
        accept_timeout=TIMEOUT,
        missed_offers_limit=missed,
        **options,  # type: ignore[arg-type]
    )
    return Router(config)


# -------------------------------------------------------------------- single offers


def test_routing_offers_the_dialog_and_holds_a_slot() -> None:
    """The decision is offered to the strategy's pick, with an expiry; the slot counts in the load."""
    router = desk()
    decision = router.route(Dialog(id="d1"), at(0))
    assert (decision.outcome, decision.offered_to, decision.operator_id) == (Outcome.OFFERED, ("ann",), None)
    assert decision.offer_expires_at == at(20)
    assert decision.events == (
        DialogOffered(
            at=at(0), dialog_id="d1", operator_ids=("ann",), group_id="desk", expires_at=at(20), via=Via.ROUTE
        ),
    )
    assert router.operator("ann").load == 1
    assert router.dialog("d1").state is DialogState.OFFERED
    assert router.route(Dialog(id="d2"), at(1)).offered_to == ("bob",)  # Even sees ann's held slot


def test_accepting_makes_the_dialog_assigned() -> None:
    """accept turns the offer into an assignment, via accept."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    events = router.accept("d1", "ann", at(5))
    assert events == (
        DialogAssigned(at=at(5), dialog_id="d1", operator_id="ann", group_id="desk", via=Via.ACCEPT),
    )
    record = router.dialog("d1")
    assert (record.state, record.operator_id, record.assigned_at) == (DialogState.ASSIGNED, "ann", at(5))
    assert router.operator("ann").load == 1
    assert router.operator("ann").assigned_total == 1


def test_a_declined_offer_goes_to_the_next_operator_and_never_back() -> None:
    """Ann, then Bob, then Cy decline: each time the next one is offered it; then it waits."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    events = router.decline("d1", "ann", at(1))
    assert events[0] == OfferWithdrawn(at=at(1), dialog_id="d1", operator_id="ann", reason="declined")
    assert isinstance(events[1], DialogOffered)
    assert events[1].operator_ids == ("bob",)
    assert events[1].via is Via.REOFFER
    assert router.operator("ann").load == 0
    router.decline("d1", "bob", at(2))
    router.decline("d1", "cy", at(3))
    record = router.dialog("d1")
    assert record.state is DialogState.QUEUED
    assert record.declined == frozenset({"ann", "bob", "cy"})
    explained = router.explain(Dialog(id="d1"), at(4))
    assert explained.trace is not None
    assert explained.trace.excluded() == {}  # a fresh dialog with the same id is not held back
    router.release("d1", at(5))


def test_a_lapsed_offer_moves_on_at_tick() -> None:
    """An offer not accepted in 20 s is withdrawn by tick and offered to the next operator."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    assert router.tick(at(19)) == ()
    events = router.tick(at(20))
    assert events[0] == OfferWithdrawn(at=at(20), dialog_id="d1", operator_id="ann", reason="expired")
    assert router.dialog("d1").offered_to == frozenset({"bob"})
    assert router.dialog("d1").offer_expires_at == at(40)
    assert router.tick(at(20)) == ()  # each lapse is seen once


def test_missing_offers_in_a_row_sets_the_operator_away() -> None:
    """With missed_offers_limit=2, Ann alone on the desk lets two offers lapse and is set away."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online")],
        accept_timeout=TIMEOUT,
        missed_offers_limit=2,
    )
    router = Router(config)
    router.route(Dialog(id="d1"), at(0))
    router.tick(at(20))  # the first miss; d1 waits, never offered to Ann again
    assert (router.operator("ann").missed_offers, router.dialog("d1").state) == (1, DialogState.QUEUED)
    router.route(Dialog(id="d2"), at(21))
    events = router.tick(at(41))
    assert [e for e in events if isinstance(e, StatusChanged)] == [
        StatusChanged(
            at=at(41), operator_id="ann", old="online", new="away", comment="missed 2 offers in a row"
        )
    ]
    assert router.operator("ann").status == "away"


def test_an_accept_resets_the_miss_count() -> None:
    """A miss, then an accept: the count starts again, so the next miss is the first."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online")],
        accept_timeout=TIMEOUT,
        missed_offers_limit=2,
    )
    router = Router(config)
    router.route(Dialog(id="d1"), at(0))
    router.tick(at(20))
    router.route(Dialog(id="d2"), at(21))
    router.accept("d2", "ann", at(22))
    assert router.operator("ann").missed_offers == 0


def test_an_operator_who_goes_away_loses_their_offers_without_a_miss() -> None:
    """A status change withdraws the offer (reason status) and it goes on; no miss is counted."""
    router = desk(missed=1)
    router.route(Dialog(id="d1"), at(0))
    events = router.set_status("ann", "away", at(5))
    assert OfferWithdrawn(at=at(5), dialog_id="d1", operator_id="ann", reason="status") in events
    assert router.dialog("d1").offered_to == frozenset({"bob"})
    assert "ann" not in router.dialog("d1").declined
    assert router.operator("ann").missed_offers == 0


def test_releasing_an_offered_dialog_frees_the_slot() -> None:
    """The client leaves before anyone accepts: the slot is freed and the dialog closed."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.release("d1", at(3))
    assert router.operator("ann").load == 0
    assert router.dialog("d1").state is DialogState.CLOSED
    assert router.tick(at(30)) == ()


def test_accept_and_decline_check_their_input_and_change_nothing_on_error() -> None:
    """Wrong operator, unknown ids, closed or queued dialogs raise clear errors; the state is unchanged."""
    router = desk(limit=1)
    router.route(Dialog(id="d1"), at(0))
    for i in range(2, 5):
        router.route(Dialog(id=f"d{i}"), at(i))
    router.accept("d2", "bob", at(5))
    router.route(Dialog(id="x"), at(6))
    router.release("x", at(7))
    before = router.snapshot()
    with pytest.raises(NotEligible, match="bob"):
        router.accept("d1", "bob", at(8))
    with pytest.raises(AlreadyClaimed, match="d2"):
        router.accept("d2", "cy", at(8))
    with pytest.raises(NotEligible, match="queued"):
        router.decline("d4", "cy", at(8))
    with pytest.raises(DialogClosed, match="x"):
        router.accept("x", "ann", at(8))
    with pytest.raises(UnknownDialog, match="nope"):
        router.decline("nope", "ann", at(8))
    with pytest.raises(UnknownOperator, match="zed"):
        router.accept("d1", "zed", at(8))
    assert router.snapshot() == before


def test_offers_survive_a_snapshot_round_trip() -> None:
    """A restored router keeps pending offers, expiries, declines and misses, and lapses them alike."""
    router = desk(missed=3)
    router.route(Dialog(id="d1"), at(0))
    router.route(Dialog(id="d2"), at(1))
    router.decline("d2", "bob", at(2))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    assert twin.snapshot() == router.snapshot()
    lapsed = router.tick(at(25))
    assert lapsed  # the pending offer lapsed: there is something to compare
    assert twin.tick(at(25)) == lapsed
    assert twin.snapshot() == router.snapshot()


# ------------------------------------------------------------------------ broadcast


def test_a_broadcast_is_offered_to_every_eligible_operator() -> None:
    """Broadcast: all three are offered the dialog and nobody's load changes until one accepts."""
    router = desk(broadcast=True)
    decision = router.route(Dialog(id="d1"), at(0))
    assert (decision.outcome, decision.offered_to) == (Outcome.OFFERED, ("ann", "bob", "cy"))
    assert [op.load for op in router.operators()] == [0, 0, 0]
    assert "offered to 'ann', 'bob', 'cy'" in decision.explain()


def test_the_first_accept_of_a_broadcast_wins_and_later_ones_raise() -> None:
    """Bob accepts first and gets it; Ann's accept afterwards raises AlreadyClaimed naming Bob."""
    router = desk(broadcast=True)
    router.route(Dialog(id="d1"), at(0))
    router.accept("d1", "bob", at(2))
    assert (router.dialog("d1").operator_id, router.operator("bob").load) == ("bob", 1)
    with pytest.raises(AlreadyClaimed, match="bob"):
        router.accept("d1", "ann", at(3))


def test_a_broadcast_accept_needs_room_at_that_moment() -> None:
    """Ann, full by the time she answers, gets AtLimit; the offer stays open for the others."""
    router = desk(broadcast=True, limit=1)
    router.route(Dialog(id="d1"), at(0))
    router.route(Dialog(id="d2"), at(1))
    router.accept("d1", "ann", at(2))
    with pytest.raises(AtLimit, match="ann"):
        router.accept("d2", "ann", at(3))
    assert router.dialog("d2").offered_to == frozenset({"ann", "bob", "cy"})
    router.accept("d2", "cy", at(4))
    assert router.dialog("d2").operator_id == "cy"


def test_declining_a_broadcast_leaves_it_with_the_others() -> None:
    """A decline removes only that operator; when all decline, the dialog waits for someone else."""
    router = desk(broadcast=True)
    router.route(Dialog(id="d1"), at(0))
    router.decline("d1", "ann", at(1))
    assert router.dialog("d1").offered_to == frozenset({"bob", "cy"})
    router.decline("d1", "bob", at(2))
    router.decline("d1", "cy", at(3))
    assert router.dialog("d1").state is DialogState.QUEUED
    decision = router.transfer("d1", Target.operator("ann"), at(4))
    assert decision.offered_to == ("ann",)  # naming an operator explicitly still reaches her


def test_an_unanswered_broadcast_rings_again() -> None:
    """Nobody answers in 20 s: the broadcast lapses and is offered again to everyone eligible."""
    router = desk(broadcast=True)
    router.route(Dialog(id="d1"), at(0))
    events = router.tick(at(20))
    withdrawn = [e.operator_id for e in events if isinstance(e, OfferWithdrawn)]
    assert withdrawn == ["ann", "bob", "cy"]
    offered = [e for e in events if isinstance(e, DialogOffered)]
    assert [(e.operator_ids, e.expires_at) for e in offered] == [(("ann", "bob", "cy"), at(40))]


def test_a_broadcast_with_nobody_eligible_waits_and_is_offered_to_whoever_frees_up() -> None:
    """All at their limit: the dialog queues; a release offers it to the operator who freed up."""
    router = desk(broadcast=True, limit=1)
    for i, op_id in enumerate(("ann", "bob", "cy")):
        router.route(Dialog(id=f"busy{i}"), at(i))
        router.accept(f"busy{i}", op_id, at(i))
    assert router.route(Dialog(id="d1"), at(5)).outcome is Outcome.QUEUED
    events = router.release("busy1", at(6))
    offered = [e for e in events if isinstance(e, DialogOffered)]
    assert [(e.dialog_id, e.operator_ids, e.via) for e in offered] == [("d1", ("bob",), Via.DRAIN)]


def test_a_trace_lists_operators_who_declined() -> None:
    """The explanation shows declined operators with their reason code."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    decision = router.decline("d1", "ann", at(1))
    assert any(isinstance(e, DialogOffered) for e in decision)
    transfer = router.transfer("d1", Target.group("desk"), at(2))
    assert transfer.trace is not None
    assert transfer.trace.count(Reason.DECLINED) == 1
    assert transfer.trace.excluded().get("ann") is Reason.DECLINED  # a runner-up, and why she lost


def test_a_broadcast_dialog_that_waited_is_offered_even_without_a_timeout() -> None:
    """Broadcast and no accept_timeout: a dialog drained into a freed operator is offered, not assigned."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online", limit=1)],
        strategy=Broadcast(),
    )
    router = Router(config)
    router.route(Dialog(id="d1"), at(0))
    router.accept("d1", "ann", at(1))
    router.route(Dialog(id="d2"), at(2))
    events = router.release("d1", at(3))
    offered = [e for e in events if isinstance(e, DialogOffered)]
    assert [(e.dialog_id, e.operator_ids, e.expires_at) for e in offered] == [("d2", ("ann",), None)]


def test_offered_dialogs_show_as_unassigned_in_views() -> None:
    """An offer nobody accepted yet is 'unassigned' in the offeree's mine list, since the offer."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    entry = router.views("ann").mine[0]
    assert (entry.dialog_id, entry.state, entry.unassigned, entry.since) == (
        "d1",
        DialogState.OFFERED,
        True,
        at(0),
    )
    router.accept("d1", "ann", at(4))
    entry = router.views("ann").mine[0]
    assert (entry.unassigned, entry.since) == (False, at(4))


def test_an_offer_trace_says_whom_the_strategy_chose() -> None:
    """The explanation of an offered decision marks the operator the strategy picked."""
    decision = desk().route(Dialog(id="d1"), at(0))
    assert "operator 'ann' [eligible]: load 0 of 2: chosen by Even" in decision.explain()


# ------------------------------------------------------------ declines that expire


def decline_all(router: Router, dialog_id: str = "d1") -> tuple[tuple[object, ...], ...]:
    """Route the dialog and let Ann, Bob and Cy decline it in turn (at 1, 2, 3 s); each call's events."""
    router.route(Dialog(id=dialog_id), at(0))
    return tuple(router.decline(dialog_id, op_id, at(n)) for n, op_id in enumerate(("ann", "bob", "cy"), 1))


def test_without_a_decline_memory_declines_last() -> None:
    """By default a decline is for good: a dialog everyone declined still waits an hour later."""
    router = desk()
    decline_all(router)
    router.tick(at(3600))
    assert router.dialog("d1").state is DialogState.QUEUED
    assert router.next_tick() is None or router.next_tick() > at(3600)


def test_a_decline_lapses_after_the_decline_memory() -> None:
    """With ``decline_memory`` 60 s, Ann (first to decline) is offered the waiting dialog again at 61 s."""
    router = desk(decline_memory="1m")
    decline_all(router)
    assert router.dialog("d1").declines_lapse == {"ann": at(61), "bob": at(62), "cy": at(63)}
    assert router.next_tick() is not None
    assert router.next_tick() <= at(61)
    events = router.tick(at(61))
    offers = [e for e in events if isinstance(e, DialogOffered)]
    assert [(e.operator_ids, e.via) for e in offers] == [(("ann",), Via.REOFFER)]
    assert router.dialog("d1").declined == frozenset({"bob", "cy"})


def test_a_lapsed_decline_of_an_assigned_dialog_changes_nothing_else() -> None:
    """A decline that lapses after the dialog found an operator just leaves the record."""
    router = desk(decline_memory=30)
    router.route(Dialog(id="d1"), at(0))
    router.decline("d1", "ann", at(1))
    router.accept("d1", "bob", at(2))
    assert [e for e in router.tick(at(40)) if not isinstance(e, StatusChanged)] == []
    record = router.dialog("d1")
    assert (record.operator_id, record.declined, dict(record.declines_lapse)) == ("bob", frozenset(), {})


def test_everyone_declining_is_said_in_the_trace() -> None:
    """With declines that expire, a transfer of a dialog everyone declined explains why it waits."""
    router = desk(decline_memory=600)
    decline_all(router)
    decision = router.transfer("d1", Target.group("desk"), at(4))
    assert decision.outcome is Outcome.QUEUED
    assert (
        "every operator of group 'desk' who could take it declined it ('ann', 'bob', 'cy');"
        " all_declined is 'wait'" in decision.explain()
    )


def test_notify_tells_the_host_when_everyone_declined() -> None:
    """With ``all_declined = notify``, the last decline announces it; the dialog waits."""
    router = desk(all_declined=AllDeclined.NOTIFY)
    *_, last = decline_all(router)
    assert last[-1] == DialogDeclinedByAll(
        at=at(3), dialog_id="d1", target=Target.group("desk"), declined=("ann", "bob", "cy")
    )
    assert router.dialog("d1").state is DialogState.QUEUED


def test_retry_forgets_the_declines_and_offers_it_again() -> None:
    """With ``all_declined = retry``, the last decline announces it and the round starts again with Ann."""
    router = desk(all_declined=AllDeclined.RETRY)
    *_, last = decline_all(router)
    announced = [e for e in last if isinstance(e, DialogDeclinedByAll)]
    assert [e.retried for e in announced] == [True]
    offers = [e for e in last if isinstance(e, DialogOffered)]
    assert [e.operator_ids for e in offers] == [("ann",)]
    assert router.dialog("d1").declined == frozenset()


def test_a_broadcast_everyone_declined_is_announced_too() -> None:
    """A broadcast declined by all three holders waits, and ``notify`` says so once."""
    router = desk(broadcast=True, all_declined=AllDeclined.NOTIFY)
    router.route(Dialog(id="d1"), at(0))
    events = [e for n, op in enumerate(("ann", "bob", "cy"), 1) for e in router.decline("d1", op, at(n))]
    assert [type(e) for e in events if isinstance(e, DialogDeclinedByAll)] == [DialogDeclinedByAll]


def test_decline_lapses_survive_a_snapshot() -> None:
    """A restored router keeps when each decline lapses, and re-offers on time."""
    router = desk(decline_memory=60)
    decline_all(router)
    data = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    assert data["dialogs"][0]["declines_lapse"]["ann"] == at(61).isoformat()
    restored = Router.restore(router.config, serialize.from_dict(Snapshot, data))
    assert restored.snapshot() == router.snapshot()
    assert restored.tick(at(61)) == router.tick(at(61))


def test_the_decline_settings_round_trip_through_config_files() -> None:
    """``decline_memory`` and ``all_declined`` load from a file and are written back in the short form."""
    config = RoutingConfig.from_toml('decline_memory = "10m"\nall_declined = "retry"')
    assert (config.decline_memory, config.all_declined) == (timedelta(minutes=10), AllDeclined.RETRY)
    assert config.to_dict() == {"decline_memory": "10m", "all_declined": "retry"}
    assert RoutingConfig.from_toml(config.to_toml()) == config


def test_a_transfer_to_an_operator_who_declined_forgets_when_their_decline_lapses() -> None:
    """Naming an operator who declined lifts their decline, and its lapse with it: the record keeps
    no lapse for a decline it no longer holds, and none comes due later."""
    router = desk(decline_memory=60)
    router.route(Dialog(id="d1"), at(0))
    router.decline("d1", "ann", at(1))
    router.transfer("d1", Target.operator("ann"), at(2))
    record = router.dialog("d1")
    assert (record.declined, dict(record.declines_lapse)) == (frozenset(), {})
    router.decline("d1", "ann", at(3))  # her new decline lapses on its own clock
    assert dict(router.dialog("d1").declines_lapse) == {"ann": at(63)}
