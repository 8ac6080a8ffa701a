"""Escalation while waiting (rings of a rule) and queue aging, both applied through tick()."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    Channel,
    ConfigError,
    Dialog,
    DialogAssigned,
    DialogEscalated,
    DialogState,
    Event,
    Group,
    InvalidValue,
    ManualPool,
    Operator,
    Outcome,
    Ring,
    Router,
    RoutingConfig,
    Rule,
    SlaLevelChanged,
    Snapshot,
    Target,
    Via,
    serialize,
)
from chatroute.rules import topic

T0 = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def office() -> Router:
    """Billing (ann) and sales (bob) departments, an 'office' group of both, and cy outside both.

    Billing dialogs go to billing; after 60 s of waiting also to the office, after 180 s
    to everyone. Everyone has room for one dialog.
    """
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=1) for op_id in ("ann", "bob", "cy")],
        groups=[
            Group(id="billing", operator_ids=["ann"]),
            Group(id="sales", operator_ids=["bob"]),
            Group(id="office", operator_ids=["ann", "bob"]),
        ],
        rules=[
            Rule(
                name="billing",
                when=topic("billing"),
                to=Target.group("billing"),
                escalate=[Ring(after=60, to=Target.group("office")), Ring(after=180, to=Target.everyone())],
            ),
            Rule(name="sales", when=topic("sales"), to=Target.group("sales")),
        ],
        fallback=Target.group("sales"),
    )
    return Router(config)


def escalations(events: tuple[Event, ...]) -> tuple[Event, ...]:
    """The events of a tick, without the SLA level changes."""
    return tuple(e for e in events if not isinstance(e, SlaLevelChanged))


def test_a_waiting_dialog_widens_ring_by_ring() -> None:
    """Billing busy: after 60 s the office may take it (busy too), after 180 s everyone: cy takes it."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))  # ann
    router.route(Dialog(id="s0", topic="sales"), at(0))  # bob
    decision = router.route(Dialog(id="b1", topic="billing"), at(1))
    assert (decision.outcome, decision.rule) == (Outcome.QUEUED, "billing")
    assert escalations(router.tick(at(60))) == ()
    events = escalations(router.tick(at(61)))
    assert events == (
        DialogEscalated(at=at(61), dialog_id="b1", rule="billing", ring=1, to=Target.group("office")),
    )
    assert router.dialog("b1").target == Target.group("office")
    assert router.dialog("b1").ring == 1
    events = escalations(router.tick(at(181)))
    assert events == (
        DialogEscalated(at=at(181), dialog_id="b1", rule="billing", ring=2, to=Target.everyone()),
        DialogAssigned(at=at(181), dialog_id="b1", operator_id="cy", group_id=None, via=Via.ESCALATE),
    )
    assert router.dialog("b1").ring == 2


def test_a_widened_dialog_goes_to_whoever_frees_up_in_the_wider_ring() -> None:
    """After ring 1, Bob (sales, in the office) finishing his dialog takes the billing dialog."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="s0", topic="sales"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    router.tick(at(61))
    router.release("s0", at(70))
    assert (router.dialog("b1").operator_id, router.dialog("b1").state) == ("bob", DialogState.ASSIGNED)


def test_a_widened_dialog_keeps_its_place_in_line_and_its_sla_clock() -> None:
    """In the wider queue it goes ahead of dialogs that arrived after it; its wait counts from the start."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="s0", topic="sales"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    router.route(Dialog(id="s1", topic="sales"), at(2))
    router.transfer("s1", Target.group("office"), at(30))  # waits in the office queue since 30 s
    router.tick(at(61))
    assert router.queue(Target.group("office")) == ("b1", "s1")
    assert router.dialog("b1").waiting_since == at(1)


def test_answered_or_transferred_dialogs_do_not_escalate() -> None:
    """A dialog assigned before its ring, or moved by a transfer, stays where it is."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    router.transfer("b1", Target.group("sales"), at(5))
    assert escalations(router.tick(at(500))) == ()
    assert router.dialog("b1").rule is None


def test_rings_survive_a_snapshot_round_trip() -> None:
    """A router restored while a dialog waits widens it at the same moments."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="s0", topic="sales"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    for t in (61, 181):
        widened = router.tick(at(t))
        assert any(isinstance(e, DialogEscalated) for e in widened)
        assert twin.tick(at(t)) == widened
    assert twin.snapshot() == router.snapshot()


def test_rings_are_checked() -> None:
    """Rings must come later and later, be positive, and name known targets (with their path)."""
    with pytest.raises(InvalidValue, match="later"):
        Rule(
            name="r",
            when=topic("x"),
            to=Target.everyone(),
            escalate=[Ring(after=60, to=Target.everyone())] * 2,
        )
    with pytest.raises(InvalidValue, match="after"):
        Ring(after=0, to=Target.everyone())
    config = RoutingConfig(
        rules=[
            Rule(
                name="r",
                when=topic("x"),
                to=Target.everyone(),
                escalate=[Ring(after=9, to=Target.group("g"))],
            )
        ]
    )
    with pytest.raises(ConfigError, match=r"rules\[0\]\.escalate\[0\]\.to\.group: unknown group 'g'"):
        config.validate()


# ------------------------------------------------------------------------ aging


def busy_desk(aging: float | None) -> Router:
    """One operator (busy), telegram priority 1 and email priority 3, optional aging."""
    config = RoutingConfig(
        channels=[Channel(name="telegram", priority=1), Channel(name="email", priority=3)],
        operators=[Operator(id="ann", status="online", limit=1)],
        aging=aging,
    )
    router = Router(config)
    router.route(Dialog(id="busy", channel="telegram"), at(0))
    return router


def test_without_aging_priority_is_strict() -> None:
    """LiveTex: a telegram dialog that came 10 minutes after an email is still served first."""
    router = busy_desk(aging=None)
    router.route(Dialog(id="mail", channel="email"), at(1))
    router.route(Dialog(id="tg", channel="telegram"), at(601))
    router.release("busy", at(700))
    assert router.dialog("tg").operator_id == "ann"


@pytest.mark.parametrize(("tg_after", "first"), [(100, "tg"), (121, "mail"), (601, "mail")])
def test_with_aging_each_priority_step_is_worth_a_minute_of_waiting(tg_after: int, first: str) -> None:
    """aging=60: an email (priority 3) beats a telegram dialog that arrived more than 2 minutes later."""
    router = busy_desk(aging=60)
    router.route(Dialog(id="mail", channel="email"), at(1))
    router.route(Dialog(id="tg", channel="telegram"), at(tg_after))
    router.release("busy", at(700))
    assert router.dialog(first).operator_id == "ann"
    assert RoutingConfig.from_json(router.config.to_json()) == router.config


def test_with_aging_a_dialog_priority_step_is_a_head_start_too() -> None:
    """aging=60: an urgent dialog (priority -1) that came 30 s after a normal one is served first."""
    router = busy_desk(aging=60)
    router.route(Dialog(id="normal", channel="telegram"), at(1))
    router.route(Dialog(id="urgent", channel="telegram", priority=-1), at(31))
    assert router.queue(Target.everyone()) == ("urgent", "normal")


def test_one_tick_reports_in_time_order() -> None:
    """SLA level changes (at their thresholds) come before what the tick itself does (at its time)."""
    router = office()
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="s0", topic="sales"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    times = [e.at for e in router.tick(at(61))]
    assert times == sorted(times)
    assert len(times) == 3  # warn at 31 s, critical at 61 s, then the escalation


def test_next_tick_says_when_tick_has_work() -> None:
    """next_tick is the earliest pending deadline: the SLA warning of a waiting dialog, then none."""
    router = office()
    assert router.next_tick() is None
    router.route(Dialog(id="b0", topic="billing"), at(0))
    router.route(Dialog(id="s0", topic="sales"), at(0))
    router.route(Dialog(id="b1", topic="billing"), at(1))
    assert router.next_tick() == at(31)  # the 30 s SLA warning
    router.tick(at(31))
    assert router.next_tick() == at(61)  # the critical level and the first ring
    router.release("b0", at(40))  # ann takes b1
    router.tick(at(500))
    assert router.next_tick() is None


def test_a_pooled_dialog_widened_to_a_pushed_ring_is_handed_out_again() -> None:
    """A pooled dialog widened to everyone leaves the pool: the next operator who frees up gets it."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online", limit=1), Operator(id="cy", status="away", limit=1)],
        groups=[Group(id="pool", operator_ids=["ann"], strategy=ManualPool())],
        rules=[
            Rule(
                name="pooled",
                when=topic("x"),
                to=Target.group("pool"),
                escalate=[Ring(after=60, to=Target.everyone())],
            )
        ],
    )
    router = Router(config)
    router.route(Dialog(id="d0", topic="x"), at(0))
    router.claim("d0", "ann", at(0))
    router.route(Dialog(id="d1", topic="x"), at(1))
    router.tick(at(61))
    assert (router.dialog("d1").target, router.dialog("d1").pool) == (Target.everyone(), False)
    router.set_status("cy", "online", at(62))
    assert router.dialog("d1").operator_id == "cy"
