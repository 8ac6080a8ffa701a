"""Jivo: chat routing, offers, operator statuses, ratings and departments (seeds/000 and seeds/001).

A per-operator limit of concurrent chats; routing by topic, channel and time of day; up
to three ordered checks, after which the chat is shown to every active operator; away
and offline operators get nothing, extra statuses may or may not take chats; the visitor
picks a department, an operator transfers to any department; a department has an
internal name and a title shown in the chat.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from chatroute import (
    AlreadyClaimed,
    Broadcast,
    Channel,
    Decision,
    Dialog,
    DialogAssigned,
    DialogReleased,
    DialogState,
    DialogTransferred,
    Even,
    Group,
    InvalidValue,
    ManualPool,
    NotEligible,
    Operator,
    Outcome,
    Rating,
    RatingScale,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    RuleCheck,
    Status,
    StatusChanged,
    Strategy,
    Target,
    TransferRecord,
    UnknownGroup,
    UnknownStatus,
    Via,
)
from chatroute.rules import channel, time_between, topic

# Tuesday 3 March 2026, 08:00 UTC = 11:00 in Moscow (UTC+3 all year).
T0 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)

LUNCH = Status(key="lunch", label="At lunch", emoji="🍔", routable=False, order=3)
MEETING = Status(key="meeting", label="In a meeting", emoji="📅", routable=False, order=4)
ON_DUTY = Status(key="on_duty", label="On duty", emoji="🛎", routable=True, order=5)

RULES = (
    Rule(name="orders", when=topic("order"), to=Target.group("sales")),
    Rule(name="returns", when=topic("return", "refund"), to=Target.group("support")),
    Rule(
        name="evening messengers",
        when=channel("telegram", "whatsapp") & time_between("18:00", "09:00", tz="Europe/Moscow"),
        to=Target.group("duty"),
    ),
)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def utc(hour: int, minute: int = 0) -> datetime:
    """A time on T0's day, in UTC."""
    return T0.replace(hour=hour, minute=minute)


def jivo_config(*, fallback_strategy: Strategy | None = None) -> RoutingConfig:
    """An online shop's Jivo account: four departments, three extra statuses, three routing checks."""
    operators = [
        Operator(id="olga", name="Olga", limit=2),
        Operator(id="pavel", name="Pavel", limit=3, channel_limits={"telegram": 1}),
        Operator(id="rita", name="Rita", limit=4),
        Operator(id="sergey", name="Sergey", limit=4),
        Operator(id="tanya", name="Tanya", limit=3),
        Operator(id="umar", name="Umar", limit=3),
    ]
    groups = [
        Group(
            id="sales", name="Sales, inbound B2C", title="Buy a subscription", operator_ids=["olga", "pavel"]
        ),
        Group(
            id="support", name="Support line 1", title="Help with an order", operator_ids=["rita", "sergey"]
        ),
        Group(id="duty", name="Evening duty", operator_ids=["tanya"]),
        Group(id="billing", name="Accounting", title="Invoices and payments", operator_ids=["umar"]),
        Group(id="wholesale", name="Wholesale", title="Wholesale", operator_ids=["pavel"], enabled=False),
    ]
    return RoutingConfig(
        channels=[
            Channel(name="site"),
            Channel(name="telegram", carries_ip=False),
            Channel(name="whatsapp", carries_ip=False),
        ],
        statuses=[LUNCH, MEETING, ON_DUTY],
        operators=operators,
        # With a fallback strategy of its own, departments keep Even for themselves.
        groups=[
            group if fallback_strategy is None else attrs.evolve(group, strategy=Even()) for group in groups
        ],
        rules=RULES,
        strategy=fallback_strategy or Even(),
    )


def jivo_router(*online: str, fallback_strategy: Strategy | None = None, since: datetime = T0) -> Router:
    """A router on :func:`jivo_config` with the named operators online ``since`` (T0)."""
    router = Router(jivo_config(fallback_strategy=fallback_strategy))
    for op_id in online:
        router.set_status(op_id, "online", since)
    return router


ALL = ("olga", "pavel", "rita", "sergey", "tanya", "umar")


def rule_marks(decision: Decision) -> list[tuple[str, bool]]:
    """(rule name, matched) for each rule the decision tried."""
    assert decision.trace is not None
    return [(check.rule, check.matched) for check in decision.trace.rules]


# ------------------------------------------------------------------------------ limits


def test_each_operator_takes_chats_up_to_their_own_limit() -> None:
    """Olga (limit 2) and Pavel (limit 3) take five order chats between them; the sixth waits."""
    router = jivo_router("olga", "pavel")
    picks = [router.route(Dialog(id=f"o{i}", topic="order"), at(i)).operator_id for i in range(5)]
    assert picks == ["olga", "pavel", "olga", "pavel", "pavel"]
    sixth = router.route(Dialog(id="o5", topic="order"), at(5))
    assert sixth.outcome is Outcome.QUEUED
    assert sixth.group_id == "sales"
    assert sixth.reason == "nobody in group 'sales' can take it now (at_limit 2)"
    assert sixth.trace is not None
    assert (sixth.trace.members, sixth.trace.reasons()) == (2, {Reason.AT_LIMIT: 2})


def test_raising_a_limit_hands_the_waiting_chat_over() -> None:
    """An administrator raises Olga's limit to 3: the waiting order chat goes to her at once."""
    router = jivo_router("olga", "pavel")
    for i in range(6):
        router.route(Dialog(id=f"o{i}", topic="order"), at(i))
    events = router.set_limit("olga", 3, at(10))
    assert events[-1] == DialogAssigned(
        at=at(10), dialog_id="o5", operator_id="olga", group_id="sales", via=Via.DRAIN
    )
    assert router.operator("olga").load == 3


def test_a_per_channel_limit_caps_one_channel_only() -> None:
    """Pavel takes at most one telegram chat at a time while still taking site chats."""
    router = jivo_router("pavel")
    first = router.route(Dialog(id="tg-1", channel="telegram", topic="order"), at(1))
    second = router.route(Dialog(id="tg-2", channel="telegram", topic="order"), at(2))
    site = router.route(Dialog(id="site-1", topic="order"), at(3))
    assert (first.operator_id, second.operator_id, site.operator_id) == ("pavel", None, "pavel")
    assert second.trace is not None
    assert second.trace.excluded()["pavel"] is Reason.CHANNEL_LIMIT
    router.release("tg-1", at(4))
    assert router.dialog("tg-2").operator_id == "pavel"


# ----------------------------------------------------------------------------- routing


def test_a_return_matches_the_second_check_and_goes_to_support() -> None:
    """A return question fails the first check, matches the second; the third is never tried."""
    router = jivo_router(*ALL)
    decision = router.route(Dialog(id="ret-1", topic="return"), at(1))
    assert rule_marks(decision) == [("orders", False), ("returns", True)]
    assert decision.trace is not None
    assert decision.trace.rules[1] == RuleCheck(
        rule="returns",
        matched=True,
        detail="topic is one of 'refund', 'return': yes (dialog topic: 'return')",
    )
    assert decision.group_id == "support"
    assert decision.operator_id in {"rita", "sergey"}
    assert "rule 'orders': no match: topic is 'order': no (dialog topic: 'return')" in decision.explain()


def test_an_order_goes_to_sales_after_one_check() -> None:
    """An order question matches the first check and goes to sales."""
    router = jivo_router(*ALL)
    decision = router.route(Dialog(id="ord-1", topic="order"), at(1))
    assert rule_marks(decision) == [("orders", True)]
    assert (decision.group_id, decision.operator_id) == ("sales", "olga")


def test_a_chat_matching_no_check_goes_to_any_active_operator() -> None:
    """After three failed checks the chat goes to the fallback: any active operator, never an away one."""
    router = jivo_router("rita", "tanya", "umar")
    router.set_status("umar", "away", at(1))
    router.route(Dialog(id="ret-0", topic="return"), at(2))  # Rita is now busier than Tanya
    decision = router.route(Dialog(id="del-1", topic="delivery"), at(3))
    assert rule_marks(decision) == [("orders", False), ("returns", False), ("evening messengers", False)]
    assert decision.target == Target.everyone()
    assert decision.group_id is None
    assert decision.operator_id == "tanya"
    assert decision.trace is not None
    assert "no rule applied: fallback to everyone" in decision.trace.notes
    assert (decision.trace.members, decision.trace.eligible) == (len(ALL), 2)
    assert decision.trace.reasons() == {Reason.STATUS: 4}


def test_with_a_shared_pool_every_active_operator_can_take_the_unmatched_chat() -> None:
    """Jivo's "shown to all active agents": the fallback pool is claimable by every online operator."""
    router = jivo_router("olga", "rita", "tanya", fallback_strategy=ManualPool())
    router.set_status("umar", "away", at(0))
    decision = router.route(Dialog(id="del-1", topic="delivery"), at(1))
    assert (decision.outcome, decision.pool, decision.target) == (Outcome.QUEUED, True, Target.everyone())
    assert [router.claimable(op_id) for op_id in ("olga", "rita", "tanya")] == [("del-1",)] * 3
    with pytest.raises(NotEligible) as caught:
        router.claim("del-1", "umar", at(2))
    assert caught.value.reason == Reason.STATUS.value
    router.claim("del-1", "tanya", at(3))
    assert router.dialog("del-1").operator_id == "tanya"
    assert [router.claimable(op_id) for op_id in ("olga", "rita", "tanya")] == [()] * 3
    routed = router.route(Dialog(id="ord-1", topic="order"), at(4))
    assert routed.operator_id == "olga"  # departments keep their own automatic strategy


@pytest.mark.parametrize(
    ("when", "chat_channel", "group"),
    [
        pytest.param(utc(16), "telegram", "duty", id="19:00 MSK telegram"),
        pytest.param(utc(20, 30), "whatsapp", "duty", id="23:30 MSK whatsapp"),
        pytest.param(utc(5, 30), "telegram", "duty", id="08:30 MSK telegram"),
        pytest.param(utc(6, 30), "telegram", None, id="09:30 MSK telegram (06:30 UTC)"),
        pytest.param(utc(14, 59), "telegram", None, id="17:59 MSK telegram"),
        pytest.param(utc(16), "site", None, id="19:00 MSK site"),
    ],
)
def test_evening_messenger_chats_go_to_the_duty_operator(
    when: datetime, chat_channel: str, group: str | None
) -> None:
    """The third check matches telegram and whatsapp chats between 18:00 and 09:00 Moscow time only."""
    router = jivo_router(*ALL, since=min(when, T0))
    decision = router.route(Dialog(id="c1", channel=chat_channel, topic="delivery"), when)
    assert decision.group_id == group
    assert rule_marks(decision)[-1] == ("evening messengers", group == "duty")
    if group == "duty":
        assert decision.operator_id == "tanya"


def test_the_time_check_explains_itself_in_local_time() -> None:
    """The trace shows the Moscow local time the check looked at, not the UTC one."""
    router = jivo_router(*ALL)
    decision = router.explain(Dialog(id="c1", channel="telegram"), utc(6, 30))
    assert decision.trace is not None
    detail = decision.trace.rules[2].detail
    assert detail.endswith("no, because time is 18:00-09:00 Europe/Moscow: no (local time 09:30 Tue)")


# ---------------------------------------------------------------------------- statuses


def test_away_and_offline_operators_get_nothing() -> None:
    """With Sergey away and Rita offline a return chat waits, and goes to Sergey when he is back."""
    router = jivo_router("rita", "sergey", "olga")
    router.set_status("sergey", "away", at(1))
    router.set_status("rita", "offline", at(2))
    decision = router.route(Dialog(id="ret-1", topic="return"), at(3))
    assert decision.outcome is Outcome.QUEUED
    assert decision.trace is not None
    assert decision.trace.reasons() == {Reason.STATUS: 2}
    full = router.explain(Dialog(id="ret-1", topic="return"), at(3))
    assert "operator 'sergey' [status]: status 'away' is not routable" in full.explain()
    events = router.set_status("sergey", "online", at(60))
    assert events == (
        StatusChanged(at=at(60), operator_id="sergey", old="away", new="online"),
        DialogAssigned(at=at(60), dialog_id="ret-1", operator_id="sergey", group_id="support", via=Via.DRAIN),
    )


def test_an_extra_status_with_a_comment_takes_no_chats() -> None:
    """Rita at "lunch" (not routable) with a comment colleagues see; Sergey gets the chat."""
    router = jivo_router("rita", "sergey")
    events = router.set_status("rita", "lunch", at(1), comment="back at 13:30")
    assert events == (
        StatusChanged(at=at(1), operator_id="rita", old="online", new="lunch", comment="back at 13:30"),
    )
    state = router.operator("rita")
    assert (state.status, state.comment, state.status_since) == ("lunch", "back at 13:30", at(1))
    decision = router.route(Dialog(id="ret-1", topic="return"), at(2))
    assert decision.operator_id == "sergey"
    assert "members 2: eligible 1; excluded: status 1" in decision.explain()
    full = router.explain(Dialog(id="ret-2", topic="return"), at(2))
    assert "operator 'rita' [status]: status 'lunch' is not routable" in full.explain()


def test_an_extra_routable_status_takes_chats() -> None:
    """Sergey "on duty" (a routable extra status) receives chats like an online operator."""
    router = jivo_router()
    router.set_status("sergey", "on_duty", at(1), comment="covering for Rita")
    decision = router.route(Dialog(id="ret-1", topic="return"), at(2))
    assert decision.operator_id == "sergey"


def test_extra_statuses_follow_the_built_in_ones_in_menu_order() -> None:
    """The status menu lists online, away, offline, then the account's extra statuses by their order."""
    config = jivo_config()
    menu = sorted(config.all_statuses(), key=lambda status: status.order)
    assert [(s.key, s.routable) for s in menu] == [
        ("online", True),
        ("away", False),
        ("offline", False),
        ("lunch", False),
        ("meeting", False),
        ("on_duty", True),
    ]


def test_an_unknown_status_is_refused_and_changes_nothing() -> None:
    """Setting a status the account does not define raises UnknownStatus and leaves the router as it was."""
    router = jivo_router("rita")
    before = router.snapshot()
    with pytest.raises(UnknownStatus) as caught:
        router.set_status("rita", "vacation", at(1))
    assert caught.value.id == "vacation"
    assert router.snapshot() == before


# ------------------------------------------------------------------------- departments


def test_the_department_the_visitor_picks_comes_before_the_checks() -> None:
    """A visitor who picked "Invoices and payments" reaches billing even though the chat is about an order."""
    router = jivo_router(*ALL)
    decision = router.route(Dialog(id="v1", topic="order", chosen_group_id="billing"), at(1))
    assert (decision.group_id, decision.operator_id) == ("billing", "umar")
    assert decision.trace is not None
    assert decision.trace.rules == ()
    assert "the visitor chose group 'billing'" in decision.trace.notes


def test_a_chosen_department_that_is_switched_off_falls_back_to_the_checks() -> None:
    """A visitor's pick of a disabled department is ignored: the checks route the chat."""
    router = jivo_router(*ALL)
    decision = router.route(Dialog(id="v1", topic="order", chosen_group_id="wholesale"), at(1))
    assert decision.group_id == "sales"
    assert decision.trace is not None
    assert [(g.group_id, g.reason) for g in decision.trace.groups] == [("wholesale", Reason.DISABLED)]


def test_an_unknown_chosen_department_is_refused_and_changes_nothing() -> None:
    """A chosen department the account lacks raises UnknownGroup naming the field; nothing changes."""
    router = jivo_router(*ALL)
    before = router.snapshot()
    with pytest.raises(UnknownGroup) as caught:
        router.route(Dialog(id="v1", chosen_group_id="marketing"), at(1))
    assert (caught.value.id, caught.value.field) == ("marketing", "dialog.chosen_group_id")
    assert router.snapshot() == before


def test_an_operator_transfers_a_chat_to_another_department() -> None:
    """Olga moves an order chat that is really about an invoice to billing; Umar gets it and Olga is freed."""
    router = jivo_router(*ALL)
    router.route(Dialog(id="c1", topic="order"), at(1))
    assert router.dialog("c1").operator_id == "olga"
    decision = router.transfer("c1", Target.group("billing"), at(30), by="olga")
    assert (decision.outcome, decision.group_id, decision.operator_id) == (
        Outcome.ASSIGNED,
        "billing",
        "umar",
    )
    assert decision.events[0] == DialogTransferred(
        at=at(30), dialog_id="c1", from_operator_id="olga", to=Target.group("billing"), by="olga"
    )
    record = router.dialog("c1")
    assert record.history == (
        TransferRecord(
            at=at(30), from_operator_id="olga", from_group_id="sales", to=Target.group("billing"), by="olga"
        ),
    )
    assert (router.operator("olga").load, router.operator("umar").load) == (0, 1)


def test_a_transfer_to_a_department_with_nobody_online_waits_there() -> None:
    """A chat moved to billing while Umar is at lunch waits for him, and reaches him when he is back."""
    router = jivo_router("olga", "umar")
    router.set_status("umar", "lunch", at(0))
    router.route(Dialog(id="c1", topic="order"), at(1))
    decision = router.transfer("c1", Target.group("billing"), at(30), by="olga")
    assert decision.outcome is Outcome.QUEUED
    assert router.dialog("c1").state is DialogState.QUEUED
    assert router.queue(Target.group("billing")) == ("c1",)
    router.set_status("umar", "online", at(90))
    assert router.dialog("c1").operator_id == "umar"


def test_a_department_has_an_internal_name_and_a_title_for_the_visitor() -> None:
    """Operators see the internal name; visitors see the title, or the name when no title is set."""
    groups = {group.id: group for group in jivo_config().groups}
    assert (groups["sales"].name, groups["sales"].display_title) == (
        "Sales, inbound B2C",
        "Buy a subscription",
    )
    assert groups["duty"].display_title == "Evening duty"
    assert Group(id="misc").display_title == "misc"


# ------------------------------------------------------------- offers (seeds/000)


def offering_router(*, broadcast: bool) -> Router:
    """The shop's account where operators must accept chats within 15 s (Jivo's "offer" mode).

    ``broadcast``: unmatched chats ring every active operator at once (Jivo: "to all
    operators"); otherwise they are offered to one operator at a time ("to one of a group").
    """
    config = attrs.evolve(
        jivo_config(fallback_strategy=Broadcast() if broadcast else None),
        accept_timeout=15,
        missed_offers_limit=2,
        missed_offers_status="lunch",
    )
    router = Router(config)
    for op_id in ("olga", "pavel"):
        router.set_status(op_id, "online", T0)
    return router


def test_an_order_is_offered_to_one_sales_operator_at_a_time() -> None:
    """Olga is offered the order; she lets it ring out, so Pavel is offered it, and accepts."""
    router = offering_router(broadcast=False)
    decision = router.route(Dialog(id="o1", topic="order"), at(0))
    assert (decision.outcome, decision.offered_to, decision.group_id) == (Outcome.OFFERED, ("olga",), "sales")
    router.tick(at(15))
    assert router.dialog("o1").offered_to == frozenset({"pavel"})
    router.accept("o1", "pavel", at(20))
    assert (router.dialog("o1").operator_id, router.dialog("o1").state) == ("pavel", DialogState.ASSIGNED)


def test_an_operator_who_keeps_missing_offers_is_put_on_lunch() -> None:
    """Two offers in a row rung out: Olga's status becomes "lunch" and she gets nothing more."""
    router = offering_router(broadcast=False)
    router.route(Dialog(id="o1", topic="order"), at(0))
    router.tick(at(15))  # olga missed 1; pavel is offered o1
    router.accept("o1", "pavel", at(16))
    router.route(Dialog(id="o2", topic="order"), at(17))  # olga (pavel holds one now)
    events = router.tick(at(32))
    assert (
        StatusChanged(
            at=at(32), operator_id="olga", old="online", new="lunch", comment="missed 2 offers in a row"
        )
        in events
    )
    assert router.operator("olga").status == "lunch"


def test_an_unmatched_chat_rings_every_active_operator_and_the_first_to_answer_wins() -> None:
    """After the three checks the chat rings everyone online; Pavel answers first, Olga is too late."""
    router = offering_router(broadcast=True)
    decision = router.route(Dialog(id="q1", topic="question"), at(0))
    assert (decision.outcome, decision.offered_to) == (Outcome.OFFERED, ("olga", "pavel"))
    router.accept("q1", "pavel", at(4))
    with pytest.raises(AlreadyClaimed, match="pavel"):
        router.accept("q1", "olga", at(5))


# ------------------------------------------------------------ ratings (seeds/001)


@pytest.mark.parametrize(
    ("scale", "value", "reply"),
    [
        (RatingScale.LIKE, 1, "positive"),
        (RatingScale.LIKE, 0, "negative"),
        (RatingScale.SMILEYS_3, 2, "neutral"),
        (RatingScale.SMILEYS_5, 5, "positive"),
    ],
)
def test_a_rating_after_the_chat_tells_the_host_which_auto_reply_to_send(
    scale: RatingScale, value: int, reply: str
) -> None:
    """Like/dislike, 3 and 5 smileys: the release event says positive, negative or neutral."""
    router = jivo_router("olga")
    router.route(Dialog(id="o1", topic="order"), at(0))
    (released,) = router.release("o1", at(60), rating=Rating(scale=scale, value=value))
    assert isinstance(released, DialogReleased)
    assert released.sentiment == reply


def test_a_rating_off_the_scale_is_refused() -> None:
    """Six smileys out of five is refused before anything changes."""
    with pytest.raises(InvalidValue, match=r"1\.\.5"):
        Rating(scale=RatingScale.SMILEYS_5, value=6)
