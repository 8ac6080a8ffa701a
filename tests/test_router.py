"""The Router's public calls: routing, limits, queues, statuses, transfers, claims, SLA, queries.

The second half checks the error contract for every public call: bad input raises the
right :class:`ChatrouteError` subclass naming the id or field, and leaves
``router.snapshot()`` exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from chatroute import (
    SLA,
    AlreadyClaimed,
    AtLimit,
    Channel,
    ChatrouteError,
    Client,
    ConfigError,
    Dialog,
    DialogAssigned,
    DialogClosed,
    DialogQueued,
    DialogReleased,
    DialogRequeued,
    DialogState,
    DialogTransferred,
    DuplicateDialog,
    Group,
    InvalidTransition,
    InvalidValue,
    LimitChanged,
    NaiveDatetime,
    NotEligible,
    OfflinePolicy,
    Operator,
    Outcome,
    Rating,
    RatingScale,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    SlaLevel,
    SlaLevelChanged,
    Snapshot,
    Status,
    StatusChanged,
    Target,
    TargetKind,
    TimeWentBackwards,
    TransferRecord,
    UnknownChannel,
    UnknownClient,
    UnknownDialog,
    UnknownGroup,
    UnknownId,
    UnknownOperator,
    UnknownStatus,
    Via,
    serialize,
)
from chatroute.rules import always, has_tag, topic
from chatroute.strategies import (
    ManualPool,
    OperatorView,
    RandomWithinLimit,
    RoundRobin,
    Strategy,
    StrategyContext,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed time ``seconds`` after the start of the test morning."""
    return T0 + timedelta(seconds=seconds)


def online(op_id: str, *, limit: int | None = None, **kwargs: Any) -> Operator:
    """An operator who starts online."""
    return Operator(id=op_id, name=op_id.title(), status="online", limit=limit, **kwargs)


def router_of(
    operators: Sequence[Operator],
    *,
    groups: Sequence[Group] = (),
    rules: Sequence[Rule] = (),
    **config: Any,
) -> Router:
    """A router over the given operators, groups and rules, seed 0."""
    return Router(RoutingConfig(operators=operators, groups=groups, rules=rules, **config))


def to_group(group_id: str) -> Rule:
    """A rule sending ``topic == group_id`` to that group."""
    return Rule(name=group_id, when=topic(group_id), to=Target.group(group_id))


def to_operator(op_id: str) -> Rule:
    """A rule sending ``topic == "for-<id>"`` straight to that operator."""
    return Rule(name=f"pin {op_id}", when=topic(f"for-{op_id}"), to=Target.operator(op_id))


def loads(router: Router) -> dict[str, int]:
    """Operator id -> load."""
    return {op.id: op.load for op in router.operators()}


# =============================================================== route


def test_route_assigns_and_reports_the_assignment() -> None:
    """An online operator gets the dialog; the decision, events and records agree."""
    router = router_of([online("ana"), online("boris")], groups=[Group(id="sales", operator_ids=["boris"])])
    router.route(Dialog(id="d0"), T0)
    decision = router.route(Dialog(id="d1", topic="x"), at(1))
    assert decision.outcome is Outcome.ASSIGNED
    assert (decision.operator_id, decision.group_id, decision.target) == ("boris", None, Target.everyone())
    assert (decision.position, decision.estimated_wait, decision.reason) == (None, None, None)
    assert decision.events == (
        DialogAssigned(at=at(1), dialog_id="d1", operator_id="boris", group_id=None, via=Via.ROUTE),
    )
    record = router.dialog("d1")
    assert (record.state, record.operator_id, record.assigned_at, record.routed_at) == (
        DialogState.ASSIGNED,
        "boris",
        at(1),
        at(1),
    )
    assert loads(router) == {"ana": 1, "boris": 1}


def test_route_to_a_group_records_the_group() -> None:
    """A rule's group target shows in the decision, the event and the record."""
    router = router_of(
        [online("ana"), online("boris")],
        groups=[Group(id="sales", operator_ids=["boris"])],
        rules=[to_group("sales")],
    )
    decision = router.route(Dialog(id="d1", topic="sales"), T0)
    assert (decision.operator_id, decision.group_id, decision.target) == (
        "boris",
        "sales",
        Target.group("sales"),
    )
    assert decision.events[0] == DialogAssigned(
        at=T0, dialog_id="d1", operator_id="boris", group_id="sales", via=Via.ROUTE
    )
    assert router.dialog("d1").group_id == "sales"


def test_route_queues_with_position_and_estimated_wait() -> None:
    """Nobody free: the dialog waits; position counts from 1 and the wait grows with it."""
    router = router_of([online("ana", limit=1), online("boris", limit=1)])
    router.route(Dialog(id="d0"), T0)
    router.route(Dialog(id="d1"), T0)
    second = router.route(Dialog(id="d2"), at(1))
    third = router.route(Dialog(id="d3"), at(2))
    assert (second.outcome, second.operator_id, second.target) == (Outcome.QUEUED, None, Target.everyone())
    assert (second.position, second.estimated_wait) == (1, timedelta(seconds=150))
    assert (third.position, third.estimated_wait) == (2, timedelta(seconds=300))
    assert second.events == (DialogQueued(at=at(1), dialog_id="d2", target=Target.everyone(), pool=False),)
    assert second.reason == "nobody in everyone can take it now (at_limit 2)"
    assert (router.position("d3"), router.estimated_wait("d3", at(2))) == (2, timedelta(seconds=300))
    assert router.dialog("d2").waiting_since == at(1)


def test_estimated_wait_is_none_when_nobody_can_serve() -> None:
    """With every operator offline the dialog still has a position but no wait estimate."""
    router = router_of([Operator(id="ana", status="offline")])
    decision = router.route(Dialog(id="d1"), T0)
    assert (decision.outcome, decision.position, decision.estimated_wait) == (Outcome.QUEUED, 1, None)
    assert decision.reason == "nobody in everyone can take it now (status 1)"
    assert router.estimated_wait("d1", T0) is None


def test_estimated_wait_follows_the_observed_handle_time() -> None:
    """Closing a dialog after 100 s moves the mean handle time from 300 s to 280 s."""
    router = router_of([online("ana", limit=1)])
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    router.route(Dialog(id="d3"), T0)
    assert router.estimated_wait("d3", T0) == timedelta(seconds=600)
    router.release("d1", at(100))
    assert router.estimated_wait("d3", at(100)) == timedelta(seconds=280)


def test_route_rejected_when_the_fallback_group_is_filtered_out() -> None:
    """A telegram dialog with only a site-only fallback group is rejected and not kept."""
    router = router_of(
        [online("ana")],
        groups=[Group(id="site-team", operator_ids=["ana"], channels={"site"})],
        fallback=Target.group("site-team"),
        channels=[Channel(name="site"), Channel(name="telegram", carries_ip=False)],
    )
    before = router.snapshot()
    decision = router.route(Dialog(id="d1", channel="telegram"), T0)
    assert decision.outcome is Outcome.REJECTED
    assert (decision.operator_id, decision.target, decision.events) == (None, None, ())
    assert decision.reason == (
        "the fallback group 'site-team' cannot take it: group 'site-team': does not take channel 'telegram'"
    )
    assert router.snapshot() == before
    assert router.route(Dialog(id="d1", channel="site"), T0).operator_id == "ana"


def test_route_visitor_chosen_group_comes_before_rules() -> None:
    """A department the visitor picked wins over a matching rule."""
    router = router_of(
        [online("ana"), online("boris")],
        groups=[Group(id="sales", operator_ids=["ana"]), Group(id="service", operator_ids=["boris"])],
        rules=[to_group("sales")],
    )
    decision = router.route(Dialog(id="d1", topic="sales", chosen_group_id="service"), T0)
    assert (decision.group_id, decision.operator_id) == ("service", "boris")


def test_route_first_matching_rule_wins() -> None:
    """Rules are tried in order; the first that matches sends the dialog."""
    router = router_of(
        [online("ana"), online("boris")],
        groups=[Group(id="sales", operator_ids=["ana"]), Group(id="vip", operator_ids=["boris"])],
        rules=[
            Rule(name="vip", when=topic("sales") & has_tag("vip"), to=Target.group("vip")),
            to_group("sales"),
        ],
    )
    assert router.route(Dialog(id="d1", topic="sales", tags={"vip"}), T0).group_id == "vip"
    assert router.route(Dialog(id="d2", topic="sales"), T0).group_id == "sales"


# ============================================================== limits


def test_default_limit_applies_to_operators_without_one() -> None:
    """``default_limit=2``: two dialogs, then the third waits."""
    router = router_of([online("ana")], default_limit=2)
    outcomes = [router.route(Dialog(id=f"d{i}"), at(i)).outcome for i in range(3)]
    assert outcomes == [Outcome.ASSIGNED, Outcome.ASSIGNED, Outcome.QUEUED]
    assert router.operator("ana").limit == 2


def test_operator_limit_overrides_group_and_default_limits() -> None:
    """Own limit first, then the smallest limit of the operator's groups, then the default."""
    router = router_of(
        [online("own", limit=7), online("grouped"), online("twice"), online("loose")],
        groups=[
            Group(id="g3", operator_ids=["own", "grouped", "twice"], limit=3),
            Group(id="g2", operator_ids=["twice"], limit=2),
        ],
        default_limit=4,
    )
    assert {op.id: op.limit for op in router.operators()} == {"own": 7, "grouped": 3, "twice": 2, "loose": 4}


def test_per_operator_limit_is_enforced() -> None:
    """An operator with limit 1 takes one dialog; the next goes to a colleague."""
    router = router_of([online("ana", limit=1), online("boris", limit=3)])
    picks = [router.route(Dialog(id=f"d{i}"), at(i)).operator_id for i in range(5)]
    assert picks == ["ana", "boris", "boris", "boris", None]


def test_per_channel_limit_queues_that_channel_only() -> None:
    """Telegram limit 1: a second telegram dialog waits while a site dialog still fits."""
    router = router_of(
        [online("ana", channel_limits={"telegram": 1})],
        channels=[Channel(name="site"), Channel(name="telegram", carries_ip=False)],
    )
    assert router.route(Dialog(id="t1", channel="telegram"), T0).operator_id == "ana"
    second = router.route(Dialog(id="t2", channel="telegram"), at(1))
    assert second.outcome is Outcome.QUEUED
    assert second.reason == "nobody in everyone can take it now (channel_limit 1)"
    assert router.route(Dialog(id="s1"), at(2)).operator_id == "ana"
    assert router.operator("ana").channel_loads == {"site": 1, "telegram": 1}
    events = router.release("t1", at(3))
    assert events[-1] == DialogAssigned(
        at=at(3), dialog_id="t2", operator_id="ana", group_id=None, via=Via.DRAIN
    )


def test_capacity_weight_uses_several_units_of_the_limit() -> None:
    """An email (weight 2) takes two of three slots; a second email waits, a site dialog fits."""
    router = router_of(
        [online("ana", limit=3)],
        channels=[Channel(name="site"), Channel(name="email", capacity_weight=2)],
    )
    router.route(Dialog(id="e1", channel="email"), T0)
    assert router.operator("ana").load == 2
    assert router.route(Dialog(id="e2", channel="email"), at(1)).outcome is Outcome.QUEUED
    assert router.route(Dialog(id="s1"), at(2)).operator_id == "ana"
    assert router.operator("ana").load == 3
    router.release("e1", at(3))
    assert router.dialog("e2").operator_id == "ana"
    assert router.operator("ana").load == 3


# ========================================================== queue drain


def test_release_drains_the_queue_in_service_order() -> None:
    """Releasing a dialog hands the freed slot to the first waiting dialog."""
    router = router_of([online("ana", limit=1)])
    for i in range(3):
        router.route(Dialog(id=f"d{i}"), at(i))
    events = router.release("d0", at(10), rating=Rating(scale=RatingScale.LIKE, value=1))
    assert events == (
        DialogReleased(
            at=at(10),
            dialog_id="d0",
            operator_id="ana",
            rating=Rating(scale=RatingScale.LIKE, value=1),
            sentiment="positive",
        ),
        DialogAssigned(at=at(10), dialog_id="d1", operator_id="ana", group_id=None, via=Via.DRAIN),
    )
    assert router.position("d2") == 1
    closed = router.dialog("d0")
    assert (closed.state, closed.closed_at, closed.rating) == (
        DialogState.CLOSED,
        at(10),
        Rating(scale=RatingScale.LIKE, value=1),
    )


def test_drain_serves_channel_priority_first_then_dialog_priority() -> None:
    """A telegram dialog (priority 1) that came later is served before an email (priority 2)."""
    router = router_of(
        [online("ana", limit=1)],
        channels=[
            Channel(name="site"),
            Channel(name="telegram", priority=1, carries_ip=False),
            Channel(name="email", priority=2),
        ],
    )
    router.route(Dialog(id="busy"), T0)
    router.route(Dialog(id="mail", channel="email"), at(1))
    router.route(Dialog(id="tg-low", channel="telegram", priority=5), at(2))
    router.route(Dialog(id="tg-high", channel="telegram", priority=1), at(3))
    assert router.queue(Target.everyone()) == ("tg-high", "tg-low", "mail")
    assert [router.position(d) for d in ("tg-high", "tg-low", "mail")] == [1, 2, 3]
    router.release("busy", at(4))
    assert router.dialog("tg-high").operator_id == "ana"


def test_drain_takes_the_best_dialog_the_operator_is_eligible_for() -> None:
    """A waiting dialog needing a skill the operator lacks is skipped, not blocking the one behind."""
    router = router_of([online("ana", limit=1)])
    router.route(Dialog(id="busy"), T0)
    router.route(Dialog(id="needs-de", required_skills={"de": 3}), at(1))
    router.route(Dialog(id="plain"), at(2))
    router.release("busy", at(3))
    assert router.dialog("plain").operator_id == "ana"
    assert router.dialog("needs-de").state is DialogState.QUEUED


def test_status_back_to_online_drains_the_queue() -> None:
    """An away operator coming back online takes the waiting dialog at once."""
    router = router_of([Operator(id="ana", status="away")])
    router.route(Dialog(id="d1"), T0)
    events = router.set_status("ana", "online", at(5), comment="back")
    assert events == (
        StatusChanged(at=at(5), operator_id="ana", old="away", new="online", comment="back"),
        DialogAssigned(at=at(5), dialog_id="d1", operator_id="ana", group_id=None, via=Via.DRAIN),
    )
    state = router.operator("ana")
    assert (state.status, state.status_since, state.comment, state.load) == ("online", at(5), "back", 1)


def test_raising_a_limit_drains_the_queue() -> None:
    """Raising a limit from 1 to 3 hands the two waiting dialogs over, oldest first."""
    router = router_of([online("ana", limit=1)])
    for i in range(4):
        router.route(Dialog(id=f"d{i}"), at(i))
    events = router.set_limit("ana", 3, at(10))
    assert events == (
        LimitChanged(at=at(10), operator_id="ana", old=1, new=3),
        DialogAssigned(at=at(10), dialog_id="d1", operator_id="ana", group_id=None, via=Via.DRAIN),
        DialogAssigned(at=at(10), dialog_id="d2", operator_id="ana", group_id=None, via=Via.DRAIN),
    )
    assert router.queue(Target.everyone()) == ("d3",)


def test_lowering_a_limit_takes_nothing_away() -> None:
    """A limit cut below the load keeps the dialogs; new ones wait until the load falls under it."""
    router = router_of([online("ana", limit=3)])
    for i in range(4):
        router.route(Dialog(id=f"d{i}"), at(i))
    assert router.set_limit("ana", 1, at(10)) == (LimitChanged(at=at(10), operator_id="ana", old=3, new=1),)
    assert router.operator("ana").load == 3
    router.release("d0", at(11))
    assert router.dialog("d3").state is DialogState.QUEUED
    router.release("d1", at(12))
    router.release("d2", at(13))
    assert router.dialog("d3").operator_id == "ana"


# ============================================================= statuses


def test_custom_routable_status_receives_dialogs() -> None:
    """An extra status marked routable takes dialogs; a non-routable one does not."""
    router = router_of(
        [online("ana"), online("boris")],
        statuses=[
            Status(key="chat-only", label="Chats only", routable=True, order=3),
            Status(key="lunch", label="Lunch", emoji="🍲", routable=False, order=4),
        ],
    )
    router.set_status("ana", "chat-only", T0)
    router.set_status("boris", "lunch", T0, comment="back at 14:00")
    picks = [router.route(Dialog(id=f"d{i}"), at(i)).operator_id for i in range(3)]
    assert picks == ["ana", "ana", "ana"]
    assert router.operator("boris").comment == "back at 14:00"
    router.set_status("ana", "lunch", at(5))
    assert router.route(Dialog(id="d9"), at(6)).outcome is Outcome.QUEUED


def test_away_operator_gets_nothing_new_but_keeps_dialogs() -> None:
    """Going away keeps open dialogs; new ones go to colleagues or wait."""
    router = router_of([online("ana"), online("boris", limit=1)])
    router.route(Dialog(id="d1"), T0)
    router.set_status("ana", "away", at(1))
    assert router.route(Dialog(id="d2"), at(2)).operator_id == "boris"
    third = router.route(Dialog(id="d3"), at(3))
    assert third.outcome is Outcome.QUEUED
    assert third.trace is not None
    assert third.trace.reasons() == {Reason.AT_LIMIT: 1, Reason.STATUS: 1}
    full = router.explain(Dialog(id="d3"), at(3)).trace
    assert full is not None
    assert full.excluded() == {"ana": Reason.STATUS, "boris": Reason.AT_LIMIT}
    assert router.dialog("d1").operator_id == "ana"
    assert router.operator("ana").load == 1


def test_offline_policy_keep_leaves_dialogs_with_the_operator() -> None:
    """KEEP: going offline changes the status and nothing else."""
    router = router_of([online("ana"), online("boris")])
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    events = router.set_status("ana", "offline", at(1))
    assert events == (StatusChanged(at=at(1), operator_id="ana", old="online", new="offline"),)
    assert router.dialog("d1").operator_id == "ana"
    assert loads(router) == {"ana": 1, "boris": 1}


def test_offline_policy_requeue_routes_the_dialogs_again() -> None:
    """REQUEUE: the operator's dialogs go back to their target: one to a colleague, one waits."""
    router = router_of([online("ana"), online("boris", limit=1)], offline_policy=OfflinePolicy.REQUEUE)
    for i in range(3):
        router.route(Dialog(id=f"d{i}"), at(i))
    assert [router.dialog(f"d{i}").operator_id for i in range(3)] == ["ana", "boris", "ana"]
    router.release("d1", at(3))
    events = router.set_status("ana", "offline", at(10))
    assert events == (
        StatusChanged(at=at(10), operator_id="ana", old="online", new="offline"),
        DialogRequeued(at=at(10), dialog_id="d0", operator_id="ana", reason="offline"),
        DialogAssigned(at=at(10), dialog_id="d0", operator_id="boris", group_id=None, via=Via.REQUEUE),
        DialogRequeued(at=at(10), dialog_id="d2", operator_id="ana", reason="offline"),
        DialogQueued(at=at(10), dialog_id="d2", target=Target.everyone(), pool=False),
    )
    assert loads(router) == {"ana": 0, "boris": 1}
    assert router.dialog("d2").waiting_since == at(10)


def test_requeue_policy_only_applies_to_offline() -> None:
    """Under REQUEUE, going away still keeps the dialogs."""
    router = router_of([online("ana"), online("boris")], offline_policy=OfflinePolicy.REQUEUE)
    router.route(Dialog(id="d1"), T0)
    router.set_status("ana", "away", at(1))
    assert router.dialog("d1").operator_id == "ana"


# ============================================================ transfers


def _transfer_router() -> Router:
    """Sales (Ana, Boris), service (Vera, limit 1), night (Nina, offline); pins to Boris."""
    return router_of(
        [online("ana"), online("boris"), online("vera", limit=1), Operator(id="nina", status="offline")],
        groups=[
            Group(id="sales", operator_ids=["ana", "boris"]),
            Group(id="service", operator_ids=["vera"]),
            Group(id="night", operator_ids=["nina"]),
        ],
        rules=[to_group("sales"), to_group("service"), to_group("night"), to_operator("boris")],
    )


def test_transfer_to_an_operator_keeps_history() -> None:
    """Transfer to an operator: they get it, the old one frees a slot, history records it."""
    router = _transfer_router()
    router.route(Dialog(id="d1", topic="sales"), T0)
    decision = router.transfer("d1", Target.operator("vera"), at(5), by="ana")
    assert (decision.outcome, decision.operator_id, decision.group_id) == (Outcome.ASSIGNED, "vera", None)
    assert decision.events == (
        DialogTransferred(
            at=at(5), dialog_id="d1", from_operator_id="ana", to=Target.operator("vera"), by="ana"
        ),
        DialogAssigned(at=at(5), dialog_id="d1", operator_id="vera", group_id=None, via=Via.TRANSFER),
    )
    record = router.dialog("d1")
    assert record.history == (
        TransferRecord(
            at=at(5), from_operator_id="ana", from_group_id="sales", to=Target.operator("vera"), by="ana"
        ),
    )
    assert (record.operator_id, record.target, record.group_id) == ("vera", Target.operator("vera"), None)
    assert loads(router) == {"ana": 0, "boris": 0, "nina": 0, "vera": 1}


def test_transfer_to_a_group_keeps_history() -> None:
    """Transfer to a group: its strategy picks a member; two transfers give two history entries."""
    router = _transfer_router()
    router.route(Dialog(id="d1", topic="service"), T0)
    first = router.transfer("d1", Target.group("sales"), at(5), by="vera")
    assert (first.operator_id, first.group_id) == ("ana", "sales")
    second = router.transfer("d1", Target.group("sales"), at(9))
    assert second.operator_id == "boris"
    history = router.dialog("d1").history
    assert [(h.at, h.from_operator_id, h.from_group_id, h.to, h.by) for h in history] == [
        (at(5), "vera", "service", Target.group("sales"), "vera"),
        (at(9), "ana", "sales", Target.group("sales"), None),
    ]
    # only the latest sender is kept from getting it back (vera's exclusion ended with her transfer)
    assert router.dialog("d1").excluded == {"ana"}


def test_exclusion_applies_to_the_group_it_was_transferred_to() -> None:
    """Vera hands a dialog to sales; when sales sends it back to Vera's own group, she gets it."""
    router = _transfer_router()
    router.route(Dialog(id="d1", topic="service"), T0)
    router.transfer("d1", Target.group("sales"), at(5), by="vera")
    back = router.transfer("d1", Target.group("service"), at(9), by="ana")
    assert (back.outcome, back.operator_id) == (Outcome.ASSIGNED, "vera")


def test_transferring_operator_does_not_get_it_back_from_the_group() -> None:
    """Ana (least loaded) hands a dialog to her own group: busier Boris gets it, never Ana."""
    router = _transfer_router()
    router.route(Dialog(id="d1", topic="sales"), T0)
    router.route(Dialog(id="b1", topic="for-boris"), T0)
    router.route(Dialog(id="b2", topic="for-boris"), T0)
    decision = router.transfer("d1", Target.group("sales"), at(5), by="ana")
    assert decision.operator_id == "boris"
    assert router.dialog("d1").excluded == {"ana"}


def test_excluded_operator_is_not_drained_the_transferred_dialog() -> None:
    """With Boris full the dialog waits in the group; Ana freeing capacity does not take it."""
    router = _transfer_router()
    router.set_limit("boris", 1, T0)
    router.route(Dialog(id="b1", topic="for-boris"), T0)
    router.route(Dialog(id="d1", topic="sales"), T0)
    router.route(Dialog(id="a2", topic="sales"), T0)
    assert loads(router)["ana"] == 2
    decision = router.transfer("d1", Target.group("sales"), at(5), by="ana")
    assert (decision.outcome, decision.position) == (Outcome.QUEUED, 1)
    assert decision.trace is not None
    assert decision.trace.reasons() == {Reason.AT_LIMIT: 1, Reason.EXCLUDED: 1}
    router.release("a2", at(6))
    assert router.dialog("d1").state is DialogState.QUEUED
    router.release("b1", at(7))
    assert router.dialog("d1").operator_id == "boris"


def test_transfer_back_to_the_excluded_operator_directly_is_allowed() -> None:
    """A transfer straight to an operator lifts their exclusion."""
    router = _transfer_router()
    router.route(Dialog(id="d1", topic="sales"), T0)
    router.transfer("d1", Target.group("sales"), at(1), by="ana")
    decision = router.transfer("d1", Target.operator("ana"), at(2), by="boris")
    assert decision.operator_id == "ana"
    assert router.dialog("d1").excluded == frozenset()


def test_transfer_of_a_queued_dialog() -> None:
    """A dialog waiting in one group moves to another and is assigned there."""
    router = _transfer_router()
    waiting = router.route(Dialog(id="d1", topic="night"), T0)
    assert (waiting.outcome, waiting.group_id) == (Outcome.QUEUED, "night")
    decision = router.transfer("d1", Target.group("service"), at(5))
    assert (decision.outcome, decision.operator_id) == (Outcome.ASSIGNED, "vera")
    assert decision.events[0] == DialogTransferred(
        at=at(5), dialog_id="d1", from_operator_id=None, to=Target.group("service")
    )
    assert router.queue(Target.group("night")) == ()
    assert router.dialog("d1").history[0].from_group_id == "night"


def test_group_without_members_queues_the_dialog() -> None:
    """A group with no operators (yet) is a valid target: its dialogs wait, explained as such."""
    router = router_of(
        [online("ana")],
        groups=[Group(id="new-dept", name="New department", operator_ids=[])],
        rules=[to_group("new-dept")],
    )
    decision = router.route(Dialog(id="d1", topic="new-dept"), T0)
    assert (decision.outcome, decision.group_id, decision.position) == (Outcome.QUEUED, "new-dept", 1)
    assert decision.trace is not None
    assert (decision.trace.operators, decision.trace.members) == ((), 0)
    assert decision.reason == "nobody in group 'new-dept' can take it now"
    assert router.queue(Target.group("new-dept")) == ("d1",)


def test_transfer_to_a_busy_operator_waits_for_them() -> None:
    """Transfer to an operator at the limit: the dialog waits for that operator only."""
    router = _transfer_router()
    router.route(Dialog(id="v1", topic="service"), T0)
    router.route(Dialog(id="d1", topic="sales"), T0)
    decision = router.transfer("d1", Target.operator("vera"), at(1))
    assert (decision.outcome, decision.position, decision.target) == (
        Outcome.QUEUED,
        1,
        Target.operator("vera"),
    )
    assert router.queue(Target.operator("vera")) == ("d1",)
    events = router.release("v1", at(2))
    assert events[-1] == DialogAssigned(
        at=at(2), dialog_id="d1", operator_id="vera", group_id=None, via=Via.DRAIN
    )


def test_transfer_drains_the_freed_operator() -> None:
    """The operator who hands a dialog over takes the next waiting one."""
    router = router_of([online("ana", limit=1), online("boris")], rules=[to_operator("ana")])
    router.route(Dialog(id="d1", topic="for-ana"), T0)
    router.route(Dialog(id="d2", topic="for-ana"), at(1))
    decision = router.transfer("d1", Target.operator("boris"), at(2))
    assert decision.events[-1] == DialogAssigned(
        at=at(2), dialog_id="d2", operator_id="ana", group_id=None, via=Via.DRAIN
    )
    assert (decision.outcome, decision.operator_id) == (Outcome.ASSIGNED, "boris")


def test_started_dialogs_stick_to_their_operator() -> None:
    """A started dialog stays put when a less loaded colleague appears or its operator goes away."""
    router = router_of([online("ana"), Operator(id="boris", status="offline")])
    for i in range(3):
        router.route(Dialog(id=f"d{i}"), at(i))
    router.set_status("boris", "online", at(5))
    router.set_status("ana", "away", at(6))
    router.release("d0", at(7))
    assert [router.dialog(f"d{i}").operator_id for i in (1, 2)] == ["ana", "ana"]
    assert loads(router) == {"ana": 2, "boris": 0}


# ================================================================ claims


def _pool_router() -> Router:
    """A manual-pool desk of Ana and Boris (limit 1); Vera outside it."""
    return router_of(
        [online("ana"), online("boris", limit=1), online("vera")],
        groups=[Group(id="desk", operator_ids=["ana", "boris"], strategy=ManualPool())],
        rules=[to_group("desk"), to_operator("boris")],
    )


def test_claim_first_wins_second_gets_already_claimed() -> None:
    """The first claim assigns the dialog; a second claim raises AlreadyClaimed naming the holder."""
    router = _pool_router()
    decision = router.route(Dialog(id="d1", topic="desk"), T0)
    assert (decision.outcome, decision.pool, decision.group_id) == (Outcome.QUEUED, True, "desk")
    assert router.claimable("ana") == ("d1",)
    events = router.claim("d1", "ana", at(3))
    assert events == (
        DialogAssigned(at=at(3), dialog_id="d1", operator_id="ana", group_id="desk", via=Via.CLAIM),
    )
    assert router.claimable("ana") == ()
    before = router.snapshot()
    with pytest.raises(AlreadyClaimed) as info:
        router.claim("d1", "boris", at(4))
    assert info.value.operator_id == "ana"
    assert "'d1'" in str(info.value)
    assert router.snapshot() == before


def test_claim_by_a_non_member_is_not_eligible() -> None:
    """Someone outside the pool's group cannot claim."""
    router = _pool_router()
    router.route(Dialog(id="d1", topic="desk"), T0)
    before = router.snapshot()
    with pytest.raises(NotEligible) as info:
        router.claim("d1", "vera", at(1))
    assert type(info.value) is NotEligible
    assert (info.value.operator_id, info.value.dialog_id, info.value.reason) == ("vera", "d1", "not_member")
    assert router.snapshot() == before


def test_claim_at_limit_raises_at_limit() -> None:
    """A member with no free capacity gets AtLimit."""
    router = _pool_router()
    router.route(Dialog(id="b1", topic="for-boris"), T0)
    router.route(Dialog(id="d1", topic="desk"), T0)
    before = router.snapshot()
    with pytest.raises(AtLimit) as info:
        router.claim("d1", "boris", at(1))
    assert (info.value.operator_id, info.value.reason) == ("boris", "at_limit")
    assert "1 of 1 in use" in str(info.value)
    assert router.snapshot() == before


def test_claimable_lists_pools_of_my_groups_oldest_first() -> None:
    """claimable shows waiting pool dialogs of the operator's groups, oldest first."""
    router = _pool_router()
    router.route(Dialog(id="late", topic="desk"), at(2))
    router.route(Dialog(id="next", topic="desk"), at(3))
    assert router.claimable("boris") == ("late", "next")
    assert router.claimable("vera") == ()
    assert router.queue(Target.group("desk")) == ("late", "next")


def test_claim_from_an_ordinary_queue_checks_eligibility() -> None:
    """Claiming from an automatic group's queue needs a routable member; draining still works."""
    router = router_of(
        [online("ana", limit=1), Operator(id="boris", status="away")],
        groups=[Group(id="sales", operator_ids=["ana", "boris"])],
        rules=[to_group("sales")],
    )
    router.route(Dialog(id="d1", topic="sales"), T0)
    router.route(Dialog(id="d2", topic="sales"), T0)
    with pytest.raises(NotEligible) as info:
        router.claim("d2", "boris", at(1))
    assert info.value.reason == "status"
    router.release("d1", at(2))
    assert router.dialog("d2").operator_id == "ana"


# ================================================================== SLA


def _sla_router() -> Router:
    """Everyone offline, so dialogs wait; site 30 s / 60 s, email 600 s / 1800 s."""
    return router_of(
        [Operator(id="ana", status="offline"), Operator(id="bob", status="offline")],
        channels=[Channel(name="site"), Channel(name="email", sla=SLA(warn=600, critical=1800))],
        groups=[Group(id="a", operator_ids=["ana"]), Group(id="b", operator_ids=["bob"])],
        rules=[to_group("a"), to_group("b")],
    )


def test_tick_emits_warn_then_critical_exactly_once() -> None:
    """A waiting site dialog yields warn at 30 s and critical at 60 s, each once."""
    router = _sla_router()
    router.route(Dialog(id="d1"), T0)
    assert router.tick(at(29)) == ()
    assert router.tick(at(30)) == (SlaLevelChanged(at=at(30), dialog_id="d1", level=SlaLevel.WARN),)
    assert router.tick(at(45)) == ()
    assert router.tick(at(90)) == (SlaLevelChanged(at=at(60), dialog_id="d1", level=SlaLevel.CRITICAL),)
    assert router.tick(at(500)) == ()
    assert router.dialog("d1").sla_notified is SlaLevel.CRITICAL


def test_tick_past_both_thresholds_emits_both_in_order() -> None:
    """One late tick announces warn then critical, ordered by when each was crossed."""
    router = _sla_router()
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), at(10))
    assert router.tick(at(100)) == (
        SlaLevelChanged(at=at(30), dialog_id="d1", level=SlaLevel.WARN),
        SlaLevelChanged(at=at(40), dialog_id="d2", level=SlaLevel.WARN),
        SlaLevelChanged(at=at(60), dialog_id="d1", level=SlaLevel.CRITICAL),
        SlaLevelChanged(at=at(70), dialog_id="d2", level=SlaLevel.CRITICAL),
    )
    assert router.tick(at(100)) == ()


def test_tick_uses_per_channel_thresholds() -> None:
    """An email dialog (600 s / 1800 s) stays quiet while a site dialog goes critical."""
    router = _sla_router()
    router.route(Dialog(id="mail", channel="email"), T0)
    router.route(Dialog(id="site"), T0)
    assert [e.dialog_id for e in router.tick(at(599))] == ["site", "site"]
    assert router.tick(at(600)) == (SlaLevelChanged(at=at(600), dialog_id="mail", level=SlaLevel.WARN),)
    assert router.tick(at(1800)) == (SlaLevelChanged(at=at(1800), dialog_id="mail", level=SlaLevel.CRITICAL),)
    assert router.sla_level("mail", at(599)) is SlaLevel.OK
    assert router.sla_level("site", at(599)) is SlaLevel.CRITICAL


def test_tick_is_silent_for_dialogs_taken_or_closed_in_time() -> None:
    """A dialog assigned or closed before a threshold causes no SLA event."""
    router = _sla_router()
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    router.release("d2", at(20))
    router.set_status("ana", "online", at(25))
    assert router.dialog("d1").operator_id == "ana"
    assert router.tick(at(1000)) == ()


def test_requeued_dialog_starts_its_sla_over() -> None:
    """A dialog that waited past critical and is moved to another queue gets fresh warn/critical events."""
    router = _sla_router()
    router.route(Dialog(id="d1", topic="a"), T0)
    assert len(router.tick(at(100))) == 2
    router.transfer("d1", Target.group("b"), at(100))
    assert router.sla_level("d1", at(100)) is SlaLevel.OK
    assert router.dialog("d1").sla_notified is SlaLevel.OK
    assert router.tick(at(129)) == ()
    assert router.tick(at(130)) == (SlaLevelChanged(at=at(130), dialog_id="d1", level=SlaLevel.WARN),)
    assert router.tick(at(160)) == (SlaLevelChanged(at=at(160), dialog_id="d1", level=SlaLevel.CRITICAL),)


def test_dialog_requeued_after_offline_starts_its_sla_over() -> None:
    """Under REQUEUE a dialog sent back to the queue is timed from the moment it was requeued."""
    router = router_of([online("ana")], offline_policy=OfflinePolicy.REQUEUE)
    router.route(Dialog(id="d1"), T0)
    router.set_status("ana", "offline", at(100))
    assert router.tick(at(129)) == ()
    assert router.tick(at(200)) == (
        SlaLevelChanged(at=at(130), dialog_id="d1", level=SlaLevel.WARN),
        SlaLevelChanged(at=at(160), dialog_id="d1", level=SlaLevel.CRITICAL),
    )


# ============================================================== queries


def test_sla_level_and_overdue() -> None:
    """sla_level goes ok, warn, critical; overdue lists critical waits, oldest first."""
    router = _sla_router()
    router.route(Dialog(id="d0"), T0)
    router.route(Dialog(id="d1"), at(5))
    router.route(Dialog(id="d2"), at(50))
    assert [router.sla_level("d1", at(s)) for s in (5, 34, 35, 64, 65)] == [
        SlaLevel.OK,
        SlaLevel.OK,
        SlaLevel.WARN,
        SlaLevel.WARN,
        SlaLevel.CRITICAL,
    ]
    assert router.overdue(at(59)) == ()
    assert router.overdue(at(70)) == ("d0", "d1")
    assert router.overdue(at(200)) == ("d0", "d1", "d2")


def test_queries_on_an_assigned_dialog() -> None:
    """An assigned dialog has no position, no wait and SLA level ok."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1"), T0)
    assert router.position("d1") is None
    assert router.estimated_wait("d1", at(100)) is None
    assert router.sla_level("d1", at(500)) is SlaLevel.OK
    assert router.overdue(at(500)) == ()


def test_queue_lists_each_target_in_service_order() -> None:
    """queue(target) lists that target's waiting dialogs; other targets have their own."""
    router = _transfer_router()
    router.route(Dialog(id="e1", topic="night"), T0)
    router.route(Dialog(id="e2", topic="night", priority=-1), at(1))
    for op_id in ("ana", "boris", "vera"):
        router.set_status(op_id, "away", at(2))
    router.route(Dialog(id="x1"), at(3))
    assert router.queue(Target.group("night")) == ("e2", "e1")
    assert router.queue(Target.everyone()) == ("x1",)
    assert router.queue(Target.group("sales")) == ()
    assert router.queue(Target.operator("vera")) == ()


def test_forget_drops_a_closed_dialog() -> None:
    """forget removes a closed dialog's record; open dialogs cannot be forgotten."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1"), T0)
    with pytest.raises(InvalidTransition):
        router.forget("d1")
    router.release("d1", at(1))
    router.forget("d1")
    assert router.dialogs() == ()
    with pytest.raises(UnknownDialog):
        router.dialog("d1")


def test_operators_and_dialogs_are_sorted_and_filtered() -> None:
    """operators() and dialogs() list by id; dialogs(state) filters by state."""
    router = router_of([online("zoe", limit=1), online("abe", limit=1)])
    for dialog_id in ("c", "a", "b"):
        router.route(Dialog(id=dialog_id), T0)
    assert [op.id for op in router.operators()] == ["abe", "zoe"]
    assert [d.id for d in router.dialogs()] == ["a", "b", "c"]
    assert [d.id for d in router.dialogs(DialogState.QUEUED)] == ["b"]
    assert [d.id for d in router.dialogs(DialogState.ASSIGNED)] == ["a", "c"]
    assert router.dialogs(DialogState.CLOSED) == ()


# =============================================================== clients


def test_router_tracks_the_clients_last_operator() -> None:
    """Each assignment (route, drain, transfer) records the client's last operator."""
    router = router_of([online("ana", limit=1), online("boris")], rules=[to_operator("ana")])
    router.route(Dialog(id="d1", client_id="k", topic="for-ana"), T0)
    assert router.snapshot().clients == (Client(id="k", last_operator_id="ana"),)
    router.transfer("d1", Target.operator("boris"), at(1))
    assert router.snapshot().clients == (Client(id="k", last_operator_id="boris"),)
    router.route(Dialog(id="d2", topic="for-ana"), at(2))
    router.route(Dialog(id="d3", client_id="k", topic="for-ana"), at(3))
    assert router.snapshot().clients[0].last_operator_id == "boris"
    router.release("d2", at(4))
    assert router.snapshot().clients == (Client(id="k", last_operator_id="ana"),)


def test_host_client_details_are_kept_with_the_last_operator() -> None:
    """Tags and preferred operator the host passed survive the last-operator update."""
    router = router_of([online("ana")])
    client = Client(id="k", tags={"vip"}, preferred_operator_id="ana")
    router.route(Dialog(id="d1", client_id="k"), T0, client=client)
    assert router.snapshot().clients == (attrs.evolve(client, last_operator_id="ana"),)


# =============================================================== explain


@pytest.mark.parametrize(
    "strategy", [None, RandomWithinLimit(), RandomWithinLimit(seed=5), RoundRobin()], ids=repr
)
def test_explain_changes_nothing_and_predicts_route(strategy: Strategy | None) -> None:
    """explain() leaves the snapshot (random states included) equal and names whom route picks."""
    groups = [Group(id="g", operator_ids=["a", "b", "c", "d"], strategy=strategy)]
    router = router_of([online(x) for x in "abcd"], groups=groups, rules=[to_group("g")], explain=False)
    for i in range(6):
        dialog = Dialog(id=f"d{i}", topic="g")
        before = router.snapshot()
        dry = router.explain(dialog, at(i))
        assert router.explain(dialog, at(i)).operator_id == dry.operator_id
        assert router.snapshot() == before
        assert dry.trace is not None
        assert dry.events == ()
        assert router.route(dialog, at(i)).operator_id == dry.operator_id


def test_explain_accepts_a_known_dialog_id() -> None:
    """explain() of a dialog already routed is a dry run too, not a duplicate."""
    router = router_of([online("ana"), online("boris")])
    router.route(Dialog(id="d1"), T0)
    before = router.snapshot()
    decision = router.explain(Dialog(id="d1"), at(1))
    assert decision.operator_id == "boris"
    assert router.snapshot() == before


# ===================================================== the error contract


def _busy_router() -> Router:
    """Ana and Boris (limit 1 each) busy, Vera offline; a closed, a queued and a pooled dialog."""
    router = router_of(
        [online("ana", limit=1), online("boris", limit=1), Operator(id="vera", status="offline")],
        groups=[
            Group(id="sales", operator_ids=["ana", "boris"], strategy=RandomWithinLimit()),
            Group(id="desk", operator_ids=["ana", "vera"], strategy=ManualPool()),
        ],
        rules=[to_group("sales"), to_group("desk"), *(to_operator(x) for x in ("ana", "boris", "vera"))],
        statuses=[Status(key="lunch")],
        channels=[Channel(name="site"), Channel(name="telegram", carries_ip=False)],
    )
    router.route(Dialog(id="d-closed", topic="sales", client_id="k"), T0)
    router.release("d-closed", at(1))
    router.route(Dialog(id="d-boris", topic="for-boris"), at(2))
    router.route(Dialog(id="d-ana", topic="for-ana", client_id="k"), at(3))
    router.route(Dialog(id="d-wait"), at(4))
    router.route(Dialog(id="d-pool", topic="desk"), at(5))
    router.route(Dialog(id="d-vera", topic="for-vera"), at(6))
    assert {d.id: d.operator_id for d in router.dialogs(DialogState.ASSIGNED)} == {
        "d-ana": "ana",
        "d-boris": "boris",
    }
    return router


NAIVE = datetime(2026, 3, 2, 9, 0)
Call = Callable[[Router], object]


def _case(name: str, call: Call, error: type[Exception], *named: str) -> Any:
    """One bad call, the error type it must raise, and texts its message must contain."""
    return pytest.param(call, error, named, id=name)


ERROR_CASES = [
    # route
    _case("route duplicate open", lambda r: r.route(Dialog(id="d-ana"), at(9)), DuplicateDialog, "'d-ana'"),
    _case(
        "route duplicate closed", lambda r: r.route(Dialog(id="d-closed"), at(9)), DuplicateDialog, "d-closed"
    ),
    _case("route naive now", lambda r: r.route(Dialog(id="n"), NAIVE), NaiveDatetime, "now"),
    _case("route now not datetime", lambda r: r.route(Dialog(id="n"), "09:00"), InvalidValue, "now"),  # type: ignore[arg-type]
    _case("route dialog not Dialog", lambda r: r.route("n", at(9)), InvalidValue, "dialog"),  # type: ignore[arg-type]
    _case(
        "route unknown channel",
        lambda r: r.route(Dialog(id="n", channel="fax"), at(9)),
        UnknownChannel,
        "'fax'",
        "dialog.channel",
    ),
    _case(
        "route unknown chosen group",
        lambda r: r.route(Dialog(id="n", chosen_group_id="salez"), at(9)),
        UnknownGroup,
        "'salez'",
        "chosen_group_id",
    ),
    _case(
        "route client not Client",
        lambda r: r.route(Dialog(id="n", client_id="k"), at(9), client="k"),  # type: ignore[arg-type]
        InvalidValue,
        "client",
    ),
    _case(
        "route client id mismatch",
        lambda r: r.route(Dialog(id="n", client_id="k"), at(9), client=Client(id="j")),
        InvalidValue,
        "client.id",
        "'j'",
    ),
    # explain
    _case("explain naive now", lambda r: r.explain(Dialog(id="n"), NAIVE), NaiveDatetime, "now"),
    _case("explain dialog not Dialog", lambda r: r.explain({"id": "n"}, at(9)), InvalidValue, "dialog"),  # type: ignore[arg-type]
    _case(
        "explain unknown channel",
        lambda r: r.explain(Dialog(id="n", channel="fax"), at(9)),
        UnknownChannel,
        "'fax'",
    ),
    _case(
        "explain unknown chosen group",
        lambda r: r.explain(Dialog(id="n", chosen_group_id="x"), at(9)),
        UnknownGroup,
        "'x'",
    ),
    # release
    _case("release unknown", lambda r: r.release("nope", at(9)), UnknownDialog, "'nope'"),
    _case("release closed", lambda r: r.release("d-closed", at(9)), DialogClosed, "'d-closed'"),
    _case("release naive now", lambda r: r.release("d-ana", NAIVE), NaiveDatetime, "now"),
    _case("release rating not Rating", lambda r: r.release("d-ana", at(9), rating=5), InvalidValue, "rating"),  # type: ignore[arg-type]
    # claim
    _case("claim unknown dialog", lambda r: r.claim("nope", "ana", at(9)), UnknownDialog, "'nope'"),
    _case("claim unknown operator", lambda r: r.claim("d-pool", "olga", at(9)), UnknownOperator, "'olga'"),
    _case("claim closed", lambda r: r.claim("d-closed", "ana", at(9)), DialogClosed, "'d-closed'"),
    _case("claim assigned", lambda r: r.claim("d-ana", "boris", at(9)), AlreadyClaimed, "'d-ana'", "'ana'"),
    _case(
        "claim not member", lambda r: r.claim("d-pool", "boris", at(9)), NotEligible, "'boris'", "'d-pool'"
    ),
    _case("claim not routable", lambda r: r.claim("d-pool", "vera", at(9)), NotEligible, "'vera'", "offline"),
    _case("claim at limit", lambda r: r.claim("d-pool", "ana", at(9)), AtLimit, "'ana'", "1 of 1"),
    _case("claim naive now", lambda r: r.claim("d-pool", "ana", NAIVE), NaiveDatetime, "now"),
    # transfer
    _case(
        "transfer unknown", lambda r: r.transfer("nope", Target.everyone(), at(9)), UnknownDialog, "'nope'"
    ),
    _case(
        "transfer closed",
        lambda r: r.transfer("d-closed", Target.everyone(), at(9)),
        DialogClosed,
        "'d-closed'",
    ),
    _case(
        "transfer naive now", lambda r: r.transfer("d-ana", Target.everyone(), NAIVE), NaiveDatetime, "now"
    ),
    _case("transfer to not Target", lambda r: r.transfer("d-ana", "sales", at(9)), InvalidValue, "to"),  # type: ignore[arg-type]
    _case(
        "transfer unknown group",
        lambda r: r.transfer("d-ana", Target.group("salez"), at(9)),
        UnknownGroup,
        "'salez'",
        "to.group",
    ),
    _case(
        "transfer unknown operator",
        lambda r: r.transfer("d-ana", Target.operator("olga"), at(9)),
        UnknownOperator,
        "'olga'",
        "to.operator",
    ),
    _case(
        "transfer unknown otherwise",
        lambda r: r.transfer("d-ana", Target.preferred_operator(otherwise=Target.group("x")), at(9)),
        UnknownGroup,
        "'x'",
        "to.otherwise.group",
    ),
    _case(
        "transfer by unknown",
        lambda r: r.transfer("d-ana", Target.everyone(), at(9), by="olga"),
        UnknownOperator,
        "'olga'",
        "by",
    ),
    _case(
        "transfer to holder",
        lambda r: r.transfer("d-ana", Target.operator("ana"), at(9)),
        InvalidTransition,
        "'d-ana'",
        "'ana'",
    ),
    # forget
    _case("forget unknown", lambda r: r.forget("nope"), UnknownDialog, "'nope'"),
    _case("forget open", lambda r: r.forget("d-wait"), InvalidTransition, "'d-wait'"),
    # set_status
    _case(
        "set_status unknown operator",
        lambda r: r.set_status("olga", "online", at(9)),
        UnknownOperator,
        "'olga'",
    ),
    _case(
        "set_status unknown status",
        lambda r: r.set_status("ana", "onlien", at(9)),
        UnknownStatus,
        "'onlien'",
        "status",
    ),
    _case("set_status naive now", lambda r: r.set_status("vera", "online", NAIVE), NaiveDatetime, "now"),
    _case(
        "set_status comment not str",
        lambda r: r.set_status("vera", "online", at(9), comment=42),  # type: ignore[arg-type]
        InvalidValue,
        "comment",
    ),
    # set_limit
    _case("set_limit unknown operator", lambda r: r.set_limit("olga", 3, at(9)), UnknownOperator, "'olga'"),
    _case("set_limit negative", lambda r: r.set_limit("ana", -1, at(9)), InvalidValue, "limit", "-1"),
    _case("set_limit bool", lambda r: r.set_limit("ana", True, at(9)), InvalidValue, "limit"),
    _case("set_limit str", lambda r: r.set_limit("ana", "3", at(9)), InvalidValue, "limit", "'3'"),  # type: ignore[arg-type]
    _case("set_limit float", lambda r: r.set_limit("ana", 2.5, at(9)), InvalidValue, "limit"),  # type: ignore[arg-type]
    _case("set_limit naive now", lambda r: r.set_limit("ana", 3, NAIVE), NaiveDatetime, "now"),
    # tick
    _case("tick naive now", lambda r: r.tick(NAIVE), NaiveDatetime, "now"),
    _case("tick now not datetime", lambda r: r.tick(1_700_000_000), InvalidValue, "now"),  # type: ignore[arg-type]
    # queries
    _case("dialog unknown", lambda r: r.dialog("nope"), UnknownDialog, "'nope'"),
    _case("operator unknown", lambda r: r.operator("olga"), UnknownOperator, "'olga'"),
    _case("dialogs state not DialogState", lambda r: r.dialogs("queued"), InvalidValue, "state"),  # type: ignore[arg-type]
    _case("position unknown", lambda r: r.position("nope"), UnknownDialog, "'nope'"),
    _case("estimated_wait unknown", lambda r: r.estimated_wait("nope", at(9)), UnknownDialog, "'nope'"),
    _case("estimated_wait naive now", lambda r: r.estimated_wait("d-wait", NAIVE), NaiveDatetime, "now"),
    _case("sla_level unknown", lambda r: r.sla_level("nope", at(9)), UnknownDialog, "'nope'"),
    _case("sla_level naive now", lambda r: r.sla_level("d-wait", NAIVE), NaiveDatetime, "now"),
    _case("overdue naive now", lambda r: r.overdue(NAIVE), NaiveDatetime, "now"),
    _case("queue unknown group", lambda r: r.queue(Target.group("salez")), UnknownGroup, "'salez'", "target"),
    _case("queue unknown operator", lambda r: r.queue(Target.operator("olga")), UnknownOperator, "'olga'"),
    _case("queue target not Target", lambda r: r.queue("sales"), InvalidValue, "target"),  # type: ignore[arg-type]
    _case("claimable unknown", lambda r: r.claimable("olga"), UnknownOperator, "'olga'"),
]


@pytest.mark.parametrize(("call", "error", "named"), ERROR_CASES)
def test_bad_input_raises_and_leaves_the_router_unchanged(
    call: Call, error: type[Exception], named: tuple[str, ...]
) -> None:
    """Each bad call raises the precise ChatrouteError subclass, names the culprit, changes nothing."""
    router = _busy_router()
    before = router.snapshot()
    with pytest.raises(ChatrouteError) as info:
        call(router)
    assert type(info.value) is error, repr(info.value)
    for text in named:
        assert text in str(info.value)
    assert router.snapshot() == before
    assert router.route(Dialog(id="after"), at(20)).outcome is Outcome.QUEUED


def test_unknown_id_errors_carry_id_and_field() -> None:
    """Unknown ids are LookupErrors with ``.id`` and ``.field`` set."""
    router = _busy_router()
    with pytest.raises(LookupError) as info:
        router.release("nope", at(9))
    assert isinstance(info.value, UnknownDialog)
    assert (info.value.id, info.value.field) == ("nope", "dialog_id")
    with pytest.raises(UnknownOperator) as op_info:
        router.transfer("d-ana", Target.everyone(), at(9), by="olga")
    assert (op_info.value.id, op_info.value.field) == ("olga", "by")
    with pytest.raises(UnknownStatus) as status_info:
        router.set_status("ana", "onlien", at(9))
    assert (status_info.value.id, status_info.value.field) == ("onlien", "status")


def test_naive_datetime_error_is_an_invalid_value_naming_now() -> None:
    """NaiveDatetime is an InvalidValue (a ValueError) whose field is the argument name."""
    router = _busy_router()
    with pytest.raises(NaiveDatetime) as info:
        router.tick(NAIVE)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidValue)
    assert (info.value.field, info.value.value) == ("now", NAIVE)


UNHASHABLE_ID_CALLS = [
    pytest.param(lambda r: r.release(["d-ana"], at(9)), id="release"),
    pytest.param(lambda r: r.claim(["d-pool"], "ana", at(9)), id="claim dialog"),
    pytest.param(lambda r: r.claim("d-pool", ["ana"], at(9)), id="claim operator"),
    pytest.param(lambda r: r.transfer(["d-ana"], Target.everyone(), at(9)), id="transfer"),
    pytest.param(lambda r: r.forget(["d-closed"]), id="forget"),
    pytest.param(lambda r: r.set_status(["ana"], "online", at(9)), id="set_status operator"),
    pytest.param(lambda r: r.set_status("ana", ["online"], at(9)), id="set_status status"),
    pytest.param(lambda r: r.set_limit({"id": "ana"}, 3, at(9)), id="set_limit"),
    pytest.param(lambda r: r.dialog(["d-ana"]), id="dialog"),
    pytest.param(lambda r: r.operator(["ana"]), id="operator"),
    pytest.param(lambda r: r.position(["d-wait"]), id="position"),
    pytest.param(lambda r: r.sla_level(["d-wait"], at(9)), id="sla_level"),
    pytest.param(lambda r: r.claimable(["ana"]), id="claimable"),
]


@pytest.mark.parametrize("call", UNHASHABLE_ID_CALLS)
def test_ids_of_the_wrong_type_raise_chatroute_errors(call: Call) -> None:
    """An id that is not a string (here a list or dict) is refused with a ChatrouteError, state unchanged."""
    router = _busy_router()
    before = router.snapshot()
    with pytest.raises(ChatrouteError) as info:
        call(router)
    assert isinstance(info.value, UnknownId | InvalidValue)
    assert router.snapshot() == before


@attrs.frozen(kw_only=True)
class Phantom(Strategy):
    """A faulty custom strategy: draws a random number, then names an operator who is not a candidate."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        ctx.rng.random()
        return "ghost"


def _phantom_router() -> Router:
    """Group 'odd' uses the faulty Phantom strategy."""
    return router_of(
        [online("ana"), online("boris")],
        groups=[Group(id="odd", operator_ids=["ana", "boris"], strategy=Phantom())],
        rules=[to_group("odd")],
    )


def test_route_with_a_faulty_custom_strategy_changes_nothing() -> None:
    """A strategy picking a non-candidate makes route raise InvalidValue; random states stay as they were."""
    router = _phantom_router()
    router.route(Dialog(id="d0"), T0)
    before = router.snapshot()
    with pytest.raises(InvalidValue) as info:
        router.route(Dialog(id="d1", topic="odd"), at(1))
    assert info.value.field == "strategy"
    assert "'ghost'" in str(info.value)
    assert router.snapshot() == before


def test_transfer_with_a_faulty_custom_strategy_changes_nothing() -> None:
    """A transfer into a group whose strategy fails raises InvalidValue and leaves the dialog where it was."""
    router = _phantom_router()
    router.route(Dialog(id="d0"), T0)
    before = router.snapshot()
    with pytest.raises(InvalidValue):
        router.transfer("d0", Target.group("odd"), at(1), by="ana")
    assert router.snapshot() == before
    assert router.dialog("d0").operator_id == "ana"


def test_router_refuses_a_bad_config_or_seed() -> None:
    """The constructor names the bad argument, or lists config problems with their paths."""
    with pytest.raises(InvalidValue) as config_info:
        Router({"operators": []})  # type: ignore[arg-type]
    assert config_info.value.field == "config"
    with pytest.raises(InvalidValue) as seed_info:
        Router(RoutingConfig(), seed="1")  # type: ignore[arg-type]
    assert seed_info.value.field == "seed"
    bad = RoutingConfig(
        operators=[online("ana")],
        groups=[Group(id="sales", operator_ids=["ana", "anna"])],
        rules=[Rule(name="r", when=topic("x"), to=Target.group("salez"))],
    )
    with pytest.raises(ConfigError) as info:
        Router(bad)
    paths = [path for path, _ in info.value.problems]
    assert paths == ["groups[0].operator_ids[1]", "rules[0].to.group"]
    assert "did you mean 'sales'?" in str(info.value)


def test_restore_refuses_a_snapshot_that_does_not_fit_the_config() -> None:
    """A snapshot naming an operator the config lacks is refused with UnknownOperator."""
    router = _busy_router()
    snapshot = router.snapshot()
    smaller = RoutingConfig(operators=[online("ana", limit=1)])
    with pytest.raises(UnknownOperator) as info:
        Router.restore(smaller, snapshot)
    assert info.value.id in {"boris", "vera"}
    assert router.snapshot() == snapshot


def test_a_preferred_operator_alternative_group_keeps_its_filters() -> None:
    """When the client's manager cannot take it, the alternative group's channel filter still applies."""
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="email")],
        operators=[Operator(id="op0", status="online"), Operator(id="op1", status="online")],
        groups=[Group(id="sales", operator_ids=["op1"], channels=["site"])],
        rules=[
            Rule(
                name="own",
                when=always(),
                to=Target.preferred_operator(otherwise=Target.group("sales")),
            )
        ],
    )
    router = Router(config)
    decision = router.route(Dialog(id="d0", channel="email"), T0)
    assert decision.target == Target.everyone()
    assert decision.operator_id == "op0"
    assert decision.trace is not None
    assert decision.trace.rules[0].skipped == "group 'sales': does not take channel 'email'"
    assert router.route(Dialog(id="d1", channel="site"), T0).operator_id == "op1"


def test_a_rated_release_says_whether_the_rating_was_good_or_bad() -> None:
    """DialogReleased carries the rating's sentiment, so the host can auto-reply (Jivo, Chat2Desk)."""
    config = RoutingConfig(operators=[Operator(id="ann", status="online")])
    router = Router(config)
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i, (scale, value, sentiment) in enumerate(
        [
            (RatingScale.LIKE, 1, "positive"),
            (RatingScale.SMILEYS_3, 2, "neutral"),
            (RatingScale.TEN, 3, "negative"),
        ]
    ):
        router.route(Dialog(id=f"d{i}"), t)
        (released,) = router.release(f"d{i}", t, rating=Rating(scale=scale, value=value))
        assert isinstance(released, DialogReleased)
        assert released.sentiment == sentiment


# ========================================================= time never runs backwards


BACKWARDS_CALLS: dict[str, Callable[[Router, datetime], object]] = {
    "route": lambda r, now: r.route(Dialog(id="late"), now),
    "release": lambda r, now: r.release("d1", now),
    "replied": lambda r, now: r.replied("d1", now),
    "claim": lambda r, now: r.claim("d2", "ana", now),
    "transfer": lambda r, now: r.transfer("d1", Target.everyone(), now),
    "handle": lambda r, now: r.handle("d1", "invoice.paid", now, data={"amount": 1}),
    "set_status": lambda r, now: r.set_status("ana", "away", now),
    "set_limit": lambda r, now: r.set_limit("ana", 5, now),
    "tick": lambda r, now: r.tick(now),
}


@pytest.mark.parametrize("call", sorted(BACKWARDS_CALLS))
def test_a_call_at_an_earlier_time_is_refused_and_changes_nothing(call: str) -> None:
    """Every call that changes the router refuses a ``now`` before the latest one, naming both times."""
    router = router_of([online("ana", limit=1)])
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), at(60))
    before = router.snapshot()
    with pytest.raises(TimeWentBackwards) as caught:
        BACKWARDS_CALLS[call](router, at(59))
    assert isinstance(caught.value, ChatrouteError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "now"
    assert (caught.value.value, caught.value.latest) == (at(59), at(60))
    assert at(59).isoformat() in str(caught.value)
    assert at(60).isoformat() in str(caught.value)
    assert router.snapshot() == before
    if call != "claim":  # ana is at her limit: a claim would fail for that
        BACKWARDS_CALLS[call](router, at(60))  # the same time is not earlier


def test_accept_and_decline_refuse_an_earlier_time() -> None:
    """Answering an offer before it was made is refused: the offer stands."""
    router = router_of([online("ana")], accept_timeout=timedelta(seconds=30))
    router.route(Dialog(id="d1"), at(10))
    before = router.snapshot()
    for answer in (router.accept, router.decline):
        with pytest.raises(TimeWentBackwards):
            answer("d1", "ana", at(9))
    assert router.snapshot() == before


def test_a_refused_call_does_not_move_the_latest_time() -> None:
    """A call that fails for another reason leaves the latest time where it was."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1"), T0)
    with pytest.raises(UnknownDialog):
        router.release("nobody", at(100))
    router.release("d1", at(50))
    assert router.snapshot().latest == at(50)


def test_queries_answer_for_any_time() -> None:
    """Read-only calls take an earlier ``now``: they answer for the time given and change nothing."""
    router = _sla_router()
    router.route(Dialog(id="d1"), at(50))
    assert router.sla_level("d1", T0) is SlaLevel.OK
    assert router.overdue(T0) == ()
    assert router.estimated_wait("d1", T0) is None or router.estimated_wait("d1", T0) >= timedelta(0)
    assert router.explain(Dialog(id="d2"), T0).outcome is not None
    assert router.snapshot().latest == at(50)


def test_the_snapshot_carries_the_latest_time_through_json_and_restore() -> None:
    """A restored router refuses times before the original's latest; old snapshots without it load."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1"), at(30))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    snapshot = serialize.from_dict(Snapshot, stored)
    assert snapshot.latest == at(30)
    restored = Router.restore(router.config, snapshot)
    with pytest.raises(TimeWentBackwards):
        restored.release("d1", at(29))
    del stored["latest"]
    old = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    assert old.snapshot().latest is None
    old.release("d1", at(29))


def test_restore_refuses_what_is_not_a_snapshot() -> None:
    """Router.restore(config, None) raises InvalidValue naming the snapshot, not AttributeError."""
    config = RoutingConfig(operators=[online("ana")])
    for bad in (None, config, {"seed": 0}):
        with pytest.raises(InvalidValue) as caught:
            Router.restore(config, bad)  # type: ignore[arg-type]
        assert caught.value.field == "snapshot"


def test_set_limit_caps_limits_as_the_model_does() -> None:
    """A limit over 2**53 - 1 is refused like Operator(limit=...) refuses it; the largest one is taken."""
    router = router_of([online("ana")])
    before = router.snapshot()
    with pytest.raises(InvalidValue) as caught:
        router.set_limit("ana", 2**53, T0)
    assert caught.value.field == "limit"
    assert router.snapshot() == before
    router.set_limit("ana", 2**53 - 1, T0)
    assert router.operator("ana").limit == 2**53 - 1


def test_a_dialog_as_long_as_the_calendar_leaves_wait_estimates_finite() -> None:
    """A dialog open from the earliest to the latest time, then a long line: estimates stop at ten years."""
    from chatroute._frozen import EARLIEST, LATEST, MAX_DURATION

    router = router_of([online("ana", limit=1)])
    router.route(Dialog(id="long"), EARLIEST)
    router.release("long", LATEST)
    decision = router.route(Dialog(id="q0"), LATEST)
    for n in range(1, 700):
        decision = router.route(Dialog(id=f"q{n}"), LATEST)
    assert decision.estimated_wait is not None
    assert decision.estimated_wait <= MAX_DURATION
    assert router.estimated_wait("q699", LATEST) == decision.estimated_wait


# ================================================================ clients' lifetime


def test_forget_drops_the_client_with_their_last_dialog() -> None:
    """The client goes with the last dialog the router holds for them, not before."""
    router = router_of([online("ana", limit=2)])
    router.route(Dialog(id="d1", client_id="c1"), T0)
    router.route(Dialog(id="d2", client_id="c1"), T0)
    router.release("d1", at(1))
    router.release("d2", at(2))
    router.forget("d1")
    assert [c.id for c in router.snapshot().clients] == ["c1"]
    router.forget("d2")
    assert router.snapshot().clients == ()


def test_forget_keeps_the_client_when_asked() -> None:
    """keep_client=True keeps the client (and their last operator) after their last dialog."""
    router = router_of([online("ana"), online("bob")])
    router.route(Dialog(id="d1", client_id="c1"), T0)
    router.release("d1", at(1))
    router.forget("d1", keep_client=True)
    assert [(c.id, c.last_operator_id) for c in router.snapshot().clients] == [("c1", "ana")]


def test_forget_client_drops_a_client_without_open_dialogs() -> None:
    """forget_client drops a known client; open dialogs or an unknown id are refused, state unchanged."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1", client_id="c1"), T0)
    before = router.snapshot()
    with pytest.raises(InvalidValue, match="open dialogs: d1") as open_error:
        router.forget_client("c1")
    assert open_error.value.field == "client_id"
    with pytest.raises(UnknownClient) as unknown:
        router.forget_client("nobody")
    assert unknown.value.field == "client_id"
    with pytest.raises(InvalidValue):
        router.forget_client(42)  # type: ignore[arg-type]
    assert router.snapshot() == before
    router.release("d1", at(1))
    router.forget_client("c1")
    assert router.snapshot().clients == ()
    router.forget("d1")  # the closed dialog, whose client is gone, is forgotten as usual
    assert router.snapshot().dialogs == ()


def test_forget_refuses_a_keep_client_that_is_not_a_bool() -> None:
    """keep_client must be a bool; the dialog stays."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1", client_id="c1"), T0)
    router.release("d1", at(1))
    before = router.snapshot()
    with pytest.raises(InvalidValue) as caught:
        router.forget("d1", keep_client="yes")  # type: ignore[arg-type]
    assert caught.value.field == "keep_client"
    assert router.snapshot() == before


def test_clients_stay_flat_over_many_route_release_forget_cycles() -> None:
    """A new client per dialog, forgotten with it: the router holds no clients or dialogs afterwards."""
    router = router_of([online("ana")])
    now = T0
    for n in range(2_000):
        router.route(Dialog(id=f"d{n}", client_id=f"c{n}"), now)
        router.release(f"d{n}", now)
        router.forget(f"d{n}")
    snapshot = router.snapshot()
    assert (snapshot.clients, snapshot.dialogs) == ((), ())


def test_restored_router_drops_clients_with_their_last_dialog() -> None:
    """After a restore the router still knows which dialogs each client has."""
    router = router_of([online("ana")])
    router.route(Dialog(id="d1", client_id="c1"), T0)
    router.release("d1", at(1))
    restored = Router.restore(router.config, router.snapshot())
    restored.forget("d1")
    assert restored.snapshot().clients == ()


# ------------------------------------------------------------- targets narrowed by tags


def vip_desk() -> RoutingConfig:
    """Sales holds Ann (vip), Bob and Cy (vip, limit 1); dialogs tagged vip go to sales' vip operators."""
    return RoutingConfig(
        operators=[
            Operator(id="ann", status="online", tags=["vip"]),
            Operator(id="bob", status="online"),
            Operator(id="cy", status="online", tags=["vip", "senior"], limit=1),
        ],
        groups=[Group(id="sales", operator_ids=["ann", "bob", "cy"])],
        rules=[Rule(name="vip", when=has_tag("vip"), to=Target.group("sales", tags=["vip"]))],
        fallback=Target.group("sales"),
    )


def test_a_narrowed_target_reaches_only_the_tagged_members() -> None:
    """Vip dialogs go to Ann and Cy only; when both are full they wait, though Bob is free."""
    router = Router(attrs.evolve(vip_desk(), default_limit=1))
    assert router.route(Dialog(id="v1", tags=["vip"]), T0).operator_id == "ann"
    assert router.route(Dialog(id="v2", tags=["vip"]), T0).operator_id == "cy"
    waiting = router.route(Dialog(id="v3", tags=["vip"]), T0)
    assert waiting.outcome is Outcome.QUEUED
    assert waiting.reason == "nobody in group 'sales' tagged 'vip' can take it now (at_limit 2)"
    assert router.route(Dialog(id="plain"), T0).operator_id == "bob"
    assert router.queue(Target.group("sales", tags=["vip"])) == ("v3",)
    events = router.release("v1", T0 + timedelta(seconds=5))
    assert [(e.dialog_id, e.operator_id) for e in events if isinstance(e, DialogAssigned)] == [("v3", "ann")]


def test_a_narrowed_target_says_so_in_the_trace() -> None:
    """The trace names the narrowed target and lists only its members."""
    decision = Router(vip_desk()).route(Dialog(id="v1", tags=["vip"]), T0)
    assert decision.trace is not None
    assert decision.trace.target == Target.group("sales", tags=["vip"])
    assert {c.operator_id for c in decision.trace.operators} == {"ann", "cy"}
    assert "target: group 'sales' tagged 'vip'" in decision.explain()


def test_transfers_to_a_narrowed_target_must_be_in_the_config() -> None:
    """A transfer may name a narrowed target the config names; another is refused, naming the field."""
    router = Router(vip_desk())
    router.route(Dialog(id="d"), T0)
    moved = router.transfer("d", Target.group("sales", tags=["vip"]), T0)
    assert moved.operator_id in ("ann", "cy")
    before = router.snapshot()
    with pytest.raises(InvalidValue, match=r"to\.tags"):
        router.transfer("d", Target.group("sales", tags=["senior"]), T0)
    assert router.snapshot() == before


def test_unnarrowed_targets_keep_their_members_and_keys() -> None:
    """Narrowing one target changes nothing for the group itself: same members, same answers."""
    plain = RoutingConfig(
        operators=vip_desk().operators, groups=vip_desk().groups, fallback=Target.group("sales")
    )
    with_vip, without = Router(vip_desk()), Router(plain)
    for n in range(6):
        dialog = Dialog(id=f"d{n}")
        assert with_vip.route(dialog, T0).operator_id == without.route(dialog, T0).operator_id


def test_narrowed_targets_round_trip_through_files_and_snapshots() -> None:
    """``to = {group = "sales", tags = ["vip"]}`` loads, is written back alike, and survives snapshots."""
    config = RoutingConfig.from_toml(
        """
        [[operators]]
        id = "ann"
        status = "online"
        tags = ["vip"]
        [[groups]]
        id = "sales"
        operator_ids = ["ann"]
        [[rules]]
        name = "vip"
        when = {has_tag = "vip"}
        to = {group = "sales", tags = ["vip"]}
        [[rules]]
        name = "any vip"
        when = {topic = "x"}
        to = {tags = "vip"}
        """
    )
    assert config.rules[0].to == Target.group("sales", tags=["vip"])
    assert config.rules[1].to == Target.everyone(tags=["vip"])
    assert config.to_dict()["rules"][0]["to"] == {"group": "sales", "tags": ["vip"]}
    assert RoutingConfig.from_toml(config.to_toml()) == config
    router = Router(config)
    router.set_status("ann", "away", T0)
    router.route(Dialog(id="v", tags=["vip"]), T0)
    data = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    assert data["dialogs"][0]["target"] == {
        "kind": "group",
        "id": "sales",
        "otherwise": None,
        "tags": ["vip"],
    }
    restored = Router.restore(config, serialize.from_dict(Snapshot, data))
    assert restored.snapshot() == router.snapshot()


def test_only_groups_and_everyone_can_be_narrowed() -> None:
    """Tags on an operator or preferred-operator target are refused, naming the field."""
    with pytest.raises(InvalidValue, match="tags"):
        Target(kind=TargetKind.OPERATOR, id="ann", tags=["vip"])
    with pytest.raises(ConfigError, match="only a group"):
        RoutingConfig.from_toml('fallback = {operator = "ann", tags = ["vip"]}')
