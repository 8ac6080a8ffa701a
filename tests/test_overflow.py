"""Overflow to the next target and queue caps (Group.overflow, Group.queue_cap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    ConfigError,
    Dialog,
    Group,
    InvalidValue,
    ManualPool,
    Operator,
    Outcome,
    Overflow,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    Snapshot,
    Target,
    serialize,
)
from chatroute.rules import topic

T0 = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


def desk(overflow: Overflow | None = None, queue_cap: int | None = None, **sales: object) -> Router:
    """Sales (ann) may overflow to support (bob); everyone has room for one dialog."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=1) for op_id in ("ann", "bob")],
        groups=[
            Group(id="sales", operator_ids=["ann"], overflow=overflow, queue_cap=queue_cap, **sales),  # type: ignore[arg-type]
            Group(id="support", operator_ids=["bob"]),
        ],
        rules=[Rule(name="sales", when=topic("order"), to=Target.group("sales"))],
    )
    return Router(config)


def order(dialog_id: str) -> Dialog:
    return Dialog(id=dialog_id, topic="order")


def test_a_dialog_that_would_wait_past_the_queue_threshold_goes_to_the_overflow_target() -> None:
    """With one dialog waiting in sales (overflow at 1), the next goes to support instead."""
    router = desk(Overflow(to=Target.group("support"), queue=1))
    assert router.route(order("d1"), T0).operator_id == "ann"
    assert router.route(order("d2"), T0).outcome is Outcome.QUEUED
    third = router.route(order("d3"), T0)
    assert (third.operator_id, third.group_id) == ("bob", "support")
    assert "group 'sales' overflows to group 'support': 1 dialog waits (overflow at 1)" in third.explain()


def test_a_dialog_someone_can_take_now_does_not_overflow() -> None:
    """Overflow applies only to a dialog that would wait: a free member still gets it."""
    router = desk(Overflow(to=Target.group("support"), queue=0))
    assert router.route(order("d1"), T0).group_id == "sales"


def test_a_group_with_nobody_routable_overflows_when_asked_to() -> None:
    """``nobody``: with ann offline, sales has no capacity and its dialogs go to support."""
    router = desk(Overflow(to=Target.group("support"), nobody=True))
    router.set_status("ann", "offline", T0)
    decision = router.route(order("d1"), T0)
    assert decision.operator_id == "bob"
    assert "nobody in it is routable" in decision.explain()


def test_a_long_estimated_wait_overflows() -> None:
    """``wait``: one waiting dialog at a 5-minute handle time makes the next wait 10 minutes."""
    router = desk(Overflow(to=Target.group("support"), wait=timedelta(minutes=6)))
    router.route(order("d1"), T0)
    assert router.route(order("d2"), T0).group_id == "sales"  # about 5 minutes: it stays
    decision = router.route(order("d3"), T0)
    assert decision.group_id == "support"
    assert "the estimated wait 600 s exceeds 360 s" in decision.explain()


def test_overflow_follows_a_chain_and_queues_in_the_last_target() -> None:
    """Sales overflows to support, which overflows back: the cycle stops, the dialog stays in support."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="offline"), Operator(id="bob", status="offline")],
        groups=[
            Group(
                id="sales", operator_ids=["ann"], overflow=Overflow(to=Target.group("support"), nobody=True)
            ),
            Group(
                id="support", operator_ids=["bob"], overflow=Overflow(to=Target.group("sales"), nobody=True)
            ),
        ],
        fallback=Target.group("sales"),
    )
    decision = Router(config).route(Dialog(id="d1"), T0)
    assert (decision.outcome, decision.group_id) == (Outcome.QUEUED, "support")
    assert "group 'support' would overflow (nobody in it is routable), but group 'sales' was tried" in (
        decision.explain()
    )


def test_a_full_queue_rejects_the_dialog_with_queue_full() -> None:
    """Past the cap the decision is rejected with the reason code queue_full, and nothing changes."""
    router = desk(queue_cap=1)
    router.route(order("d1"), T0)
    router.route(order("d2"), T0)
    before = router.snapshot()
    decision = router.route(order("d3"), T0)
    assert decision.outcome is Outcome.REJECTED
    assert decision.reason_code is Reason.QUEUE_FULL
    assert decision.reason == "queue_full: group 'sales': 1 dialog waits, its queue_cap is 1"
    assert decision.events == ()
    assert router.snapshot() == before
    assert "group 'sales' filtered out [queue_full]" in decision.explain()


def test_a_queue_cap_of_zero_never_lets_a_dialog_wait() -> None:
    """A cap of 0: a dialog nobody can take now is rejected at once, so the host can offer a form."""
    router = desk(queue_cap=0)
    router.route(order("d1"), T0)
    assert router.route(order("d2"), T0).reason_code is Reason.QUEUE_FULL


def test_the_cap_applies_to_a_manual_pool_too() -> None:
    """A manual pool's waiting dialogs count against the cap."""
    router = desk(queue_cap=1, strategy=ManualPool())
    assert router.route(order("d1"), T0).pool
    assert router.route(order("d2"), T0).outcome is Outcome.REJECTED


def test_a_transfer_lands_where_it_is_sent_whatever_the_queue() -> None:
    """Overflow and caps apply to new dialogs; an explicit transfer is not refused."""
    router = desk(Overflow(to=Target.group("support"), queue=0), queue_cap=0)
    router.route(order("d1"), T0)
    router.route(Dialog(id="d2"), T0)  # everyone: bob
    decision = router.transfer("d2", Target.group("sales"), T0)
    assert (decision.outcome, decision.group_id) == (Outcome.QUEUED, "sales")


def test_an_overflow_target_whose_filters_refuse_the_dialog_keeps_it_in_place() -> None:
    """Support is disabled: the dialog cannot overflow there and waits in sales."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="offline"), Operator(id="bob", status="online")],
        groups=[
            Group(
                id="sales", operator_ids=["ann"], overflow=Overflow(to=Target.group("support"), nobody=True)
            ),
            Group(id="support", operator_ids=["bob"], enabled=False),
        ],
        fallback=Target.group("sales"),
    )
    decision = Router(config).route(Dialog(id="d1"), T0)
    assert decision.group_id == "sales"
    assert "but group 'support': the group is disabled: it stays" in decision.explain()


def test_overflow_and_caps_survive_snapshots_and_replay_alike() -> None:
    """A restored router overflows and rejects exactly as the original does."""
    router = desk(Overflow(to=Target.group("support"), queue=1), queue_cap=1)
    for i in range(3):
        router.route(order(f"d{i}"), T0)
    snapshot = serialize.from_dict(Snapshot, serialize.to_dict(router.snapshot()))
    twin = Router.restore(router.config, snapshot)
    for i in range(3, 6):
        assert twin.route(order(f"d{i}"), T0) == router.route(order(f"d{i}"), T0)


def test_overflow_reads_from_the_short_form_and_writes_it_back() -> None:
    """``overflow = {to = ..., queue = 10, wait = "2m", nobody = true}`` and ``queue_cap`` round-trip."""
    config = RoutingConfig.from_toml(
        """
        [[groups]]
        id = "sales"
        overflow = {to = {group = "support"}, queue = 10, wait = "2m", nobody = true}
        queue_cap = 30
        [[groups]]
        id = "support"
        """
    )
    sales = config.groups[0]
    assert sales.overflow == Overflow(
        to=Target.group("support"), queue=10, wait=timedelta(minutes=2), nobody=True
    )
    assert sales.queue_cap == 30
    assert config.to_dict()["groups"][0]["overflow"] == {
        "to": {"group": "support"},
        "queue": 10,
        "wait": "2m",
        "nobody": True,
    }
    assert RoutingConfig.from_toml(config.to_toml()) == config
    assert RoutingConfig.from_json(config.to_json()) == config


def test_an_overflow_to_an_unknown_group_or_to_itself_is_a_config_problem() -> None:
    """The check names the path of the overflow's target."""
    with pytest.raises(ConfigError) as caught:
        RoutingConfig.from_dict(
            {
                "groups": [
                    {"id": "sales", "overflow": {"to": {"group": "suport"}, "queue": 3}},
                    {"id": "support", "overflow": {"to": {"group": "support"}, "nobody": True}},
                ]
            }
        )
    text = str(caught.value)
    assert "groups[0].overflow.to.group: unknown group 'suport'" in text
    assert "groups[1].overflow.to: a group cannot overflow to itself" in text


def test_an_overflow_needs_a_condition() -> None:
    """Without queue, wait or nobody an overflow would never apply: it is refused."""
    with pytest.raises(InvalidValue, match="give at least one of queue, wait or nobody"):
        Overflow(to=Target.group("support"))


def test_the_overflow_describes_itself() -> None:
    """describe() says where and when."""
    spill = Overflow(to=Target.everyone(), wait=timedelta(seconds=90))
    assert spill.describe() == "to everyone when the estimated wait exceeds 90 s"
