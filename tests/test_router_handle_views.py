"""Router.handle (event triggers) and Router.views (operators' dialog lists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    ConfigError,
    Dialog,
    DialogClosed,
    DialogState,
    Group,
    InvalidValue,
    ManualPool,
    Operator,
    Router,
    RoutingConfig,
    Rule,
    Target,
    Trigger,
    UnknownDialog,
    UnknownOperator,
    ViewEntry,
    serialize,
)
from chatroute.rules import attr, topic

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def shop() -> Router:
    """Sales (ann, bob; limit 1) and support (cy; manual pool); everyone online."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=1) for op_id in ("ann", "bob", "cy")],
        groups=[
            Group(id="sales", operator_ids=["ann", "bob"]),
            Group(id="support", operator_ids=["cy"], strategy=ManualPool()),
        ],
        rules=[Rule(name="help", when=topic("help"), to=Target.group("support"))],
        triggers=[
            Trigger(name="refund", on="refund.asked", when=attr("amount") > 100, to=Target.group("support")),
            Trigger(name="to cy", on="escalate", to=Target.operator("cy")),
        ],
        fallback=Target.group("sales"),
    )
    return Router(config)


# ----------------------------------------------------------------------- handle


def test_a_trigger_fires_only_when_its_condition_holds_on_the_event_data() -> None:
    """A refund over 100 moves the dialog to support; a small one stays put."""
    router = shop()
    router.route(Dialog(id="d1"), at(0))
    assert router.handle("d1", "refund.asked", at(1), data={"amount": 50}) is None
    decision = router.handle("d1", "refund.asked", at(2), data={"amount": 500})
    assert decision is not None
    assert (decision.group_id, decision.pool) == ("support", True)
    assert router.operator("ann").load == 0  # ann's capacity freed


def test_a_trigger_may_name_an_operator() -> None:
    """An operator target takes the dialog straight to that operator."""
    router = shop()
    router.route(Dialog(id="d1"), at(0))
    decision = router.handle("d1", "escalate", at(1))
    assert decision is not None
    assert decision.operator_id == "cy"
    assert router.dialog("d1").history[0].trigger == "to cy"


def test_handle_checks_its_input_and_changes_nothing_on_error() -> None:
    """Unknown or closed dialogs, a non-string event and non-mapping data raise; state is unchanged."""
    router = shop()
    router.route(Dialog(id="d1"), at(0))
    router.route(Dialog(id="d2"), at(0))
    router.release("d2", at(1))
    before = router.snapshot()
    with pytest.raises(UnknownDialog, match="nope"):
        router.handle("nope", "escalate", at(2))
    with pytest.raises(DialogClosed, match="d2"):
        router.handle("d2", "escalate", at(2))
    with pytest.raises(InvalidValue, match="event"):
        router.handle("d1", 42, at(2))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="data"):
        router.handle("d1", "escalate", at(2), data=[("amount", 1)])  # type: ignore[arg-type]
    assert router.snapshot() == before


def test_trigger_targets_are_checked_with_their_paths() -> None:
    """A trigger to an unknown group is a config problem at triggers[i].to.group; names must be unique."""
    config = RoutingConfig(
        groups=[Group(id="sales")],
        triggers=[
            Trigger(name="t", on="x", to=Target.group("salez")),
            Trigger(name="t", on="y", to=Target.group("sales")),
        ],
    )
    with pytest.raises(ConfigError) as raised:
        config.validate()
    assert [path for path, _ in raised.value.problems] == ["triggers[1]", "triggers[0].to.group"]
    assert "did you mean 'sales'?" in str(raised.value)


def test_triggers_round_trip_through_plain_data() -> None:
    """A config with triggers survives to_dict, JSON and back unchanged."""
    config = shop().config
    assert RoutingConfig.from_json(config.to_json()) == config
    assert serialize.to_dict(config.triggers[0]) == {
        "name": "refund",
        "on": "refund.asked",
        "when": {"kind": "attr", "name": "amount", "op": ">", "value": 100},
        "to": {"kind": "group", "id": "support", "otherwise": None},
    }


# ------------------------------------------------------------------------ views


def test_views_split_mine_and_others_with_unassigned_flagged() -> None:
    """Ann sees her dialog, then sales' waiting one; support's pool dialog is under others."""
    router = shop()
    router.route(Dialog(id="a1"), at(0))  # ann
    router.route(Dialog(id="b1"), at(1))  # bob
    router.route(Dialog(id="q1"), at(2))  # sales queue: both at limit
    router.route(Dialog(id="p1", topic="help"), at(3))  # support pool
    router.route(Dialog(id="c1"), at(4))
    router.release("c1", at(5))  # closed: the host's archive, in neither list
    views = router.views("ann")
    assert [e.dialog_id for e in views.mine] == ["a1", "q1"]
    assert [e.dialog_id for e in views.others] == ["b1", "p1"]
    assert views.mine[1] == ViewEntry(
        dialog_id="q1",
        state=DialogState.QUEUED,
        operator_id=None,
        group_id="sales",
        unassigned=True,
        since=at(2),
    )
    cy = router.views("cy")
    assert [e.dialog_id for e in cy.mine] == ["p1"]
    assert [(e.dialog_id, e.unassigned) for e in cy.others] == [("a1", False), ("b1", False), ("q1", True)]


def test_views_follow_claims_and_transfers() -> None:
    """Once cy claims the pool dialog it is assigned and still his; a transfer moves it to ann's list."""
    router = shop()
    router.route(Dialog(id="p1", topic="help"), at(0))
    router.claim("p1", "cy", at(1))
    assert [(e.dialog_id, e.unassigned, e.since) for e in router.views("cy").mine] == [("p1", False, at(1))]
    router.transfer("p1", Target.operator("ann"), at(2), by="cy")
    assert [e.dialog_id for e in router.views("ann").mine] == ["p1"]
    assert router.views("cy").mine == ()


def test_views_of_an_unknown_operator_raise() -> None:
    """An unknown operator id raises UnknownOperator naming it."""
    with pytest.raises(UnknownOperator, match="zed"):
        shop().views("zed")


def test_handle_refuses_data_that_is_not_plain_json() -> None:
    """Data that is not plain JSON raises InvalidValue naming ``data[...]``; the dialog is unchanged."""
    from decimal import Decimal

    router = Router(RoutingConfig(operators=[Operator(id="ann", status="online")]))
    router.route(Dialog(id="d1", attributes={"amount": 1}), T0)
    before = router.snapshot()
    for bad in ({"amount": Decimal("12.5")}, {"blob": b"x"}, {"when": T0}, {"nested": {1: "x"}}):
        with pytest.raises(InvalidValue) as caught:
            router.handle("d1", "invoice.paid", at(1), data=bad)
        assert caught.value.field.startswith("data[")
        assert router.snapshot() == before
