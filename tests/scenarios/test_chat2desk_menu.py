"""Chat2Desk: a self-service menu answers or routes before an operator joins (seeds/004, feature 5).

"Press 1 to check your order, 2 for delivery prices, 3 to talk to a manager": an online
furniture store's bot, configured as a TOML table, answers frequent questions itself and
hands the rest to the right department with what it learned, so the operator gets a
"warmed up" client. Handed-over dialogs go through a real Router; statistics say how many
sessions the menu resolved without an operator and how clients rated the departments.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    Channel,
    Dialog,
    DialogState,
    Group,
    Operator,
    Outcome,
    Rating,
    RatingScale,
    Router,
    RoutingConfig,
    Rule,
    Target,
)
from chatroute.menu import NODE_ATTRIBUTE, PATH_ATTRIBUTE, Menu, MenuState, UnknownChoice
from chatroute.rules import topic
from chatroute.stats import MenuStats, RatingStats

T0 = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)

MENU_TOML = """
kind = "question"
id = "start"
text = "Hello! This is the Mebel-Shop bot. What is your question about?"

[[choices]]
key = "1"
label = "My order"
topic = "order"
tags = ["customer"]

[choices.next]
kind = "question"
id = "order"
text = "What would you like to do?"

[[choices.next.choices]]
key = "1"
label = "Where is my order?"
next = { kind = "answer", id = "tracking", text = "Track it at mebel.example/track" }

[[choices.next.choices]]
key = "2"
label = "Change the delivery date"

[choices.next.choices.next]
kind = "handover"
id = "reschedule"
topic = "delivery"
tags = ["reschedule"]
target = { kind = "group", id = "logistics" }

[[choices]]
key = "2"
label = "Delivery prices"
next = { kind = "answer", id = "prices", text = "Delivery is free from 30 000 rub, otherwise 990 rub." }

[[choices]]
key = "3"
label = "Talk to a manager"

[choices.next]
kind = "handover"
id = "manager"
text = "A manager will answer in a minute."
topic = "purchase"
tags = ["lead"]
target = { kind = "group", id = "sales" }
attributes = { funnel = "menu" }

[[choices]]
key = "4"
label = "Complaint"

[choices.next]
kind = "handover"
id = "complaint"
topic = "complaint"
target = { kind = "operator", id = "olga" }
"""


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def bot() -> Menu:
    """The store's menu, loaded from its TOML table."""
    return Menu.from_dict(tomllib.loads(MENU_TOML))


def store_config(menu: Menu) -> RoutingConfig:
    """Sales, support and logistics; olga (head of service) is in no group; menu rules come first."""
    operators = [
        Operator(id=op_id, name=op_id.title(), status="online", limit=3)
        for op_id in ("sam", "sara", "tom", "tina", "leo", "olga")
    ]
    return RoutingConfig(
        channels=[Channel(name="whatsapp", carries_ip=False)],
        operators=operators,
        groups=[
            Group(id="sales", name="Sales", operator_ids=["sam", "sara"]),
            Group(id="support", name="Support", operator_ids=["tom", "tina"]),
            Group(id="logistics", name="Logistics", operator_ids=["leo"]),
        ],
        rules=[*menu.rules(), Rule(name="orders", when=topic("order"), to=Target.group("support"))],
        fallback=Target.group("support"),
    )


def whatsapp(dialog_id: str) -> Dialog:
    """A new WhatsApp dialog from a client of the same id."""
    return Dialog(id=dialog_id, client_id=f"client-{dialog_id}", channel="whatsapp", created_at=T0)


@pytest.fixture
def router() -> Router:
    """A router for the store, with every operator online."""
    return Router(store_config(bot()), seed=7)


def test_the_menu_loads_from_toml_and_writes_back_the_same() -> None:
    """The TOML table gives a menu of two questions and five leaves that round-trips through to_dict."""
    menu = bot()
    assert [n.id for n in menu.nodes()] == [
        "start",
        "order",
        "tracking",
        "reschedule",
        "prices",
        "manager",
        "complaint",
    ]
    assert Menu.from_dict(menu.to_dict()) == menu
    assert menu.reply(menu.start()) == (
        "Hello! This is the Mebel-Shop bot. What is your question about?\n"
        "1 - My order\n2 - Delivery prices\n3 - Talk to a manager\n4 - Complaint"
    )


def test_order_status_is_answered_by_the_bot_without_an_operator(router: Router) -> None:
    """1 then 1 answers with the tracking link; the session is resolved and nothing is routed."""
    menu = bot()
    state = menu.step(menu.start(), "1")
    assert (
        menu.reply(state)
        == "What would you like to do?\n1 - Where is my order?\n2 - Change the delivery date"
    )
    state = menu.step(state, "Where is my order?")
    assert state.resolved
    assert menu.reply(state) == "Track it at mebel.example/track"
    assert router.dialogs() == ()


def test_talk_to_a_manager_routes_to_a_sales_operator(router: Router) -> None:
    """The manager handover sets group sales and topic purchase; the router assigns a sales operator."""
    menu = bot()
    # support is idle and is the fallback: only the menu's choice can send this to sales
    state = menu.step(menu.start(), "3")
    assert state.handover
    assert menu.reply(state) == "A manager will answer in a minute."
    dialog = menu.apply(state, whatsapp("d1"))
    decision = router.route(dialog, at(5))
    assert decision.outcome is Outcome.ASSIGNED
    assert decision.group_id == "sales"
    assert decision.operator_id in ("sam", "sara")
    assert "the visitor chose group 'sales'" in decision.explain()
    routed = router.dialog("d1").dialog
    assert routed.topic == "purchase"
    assert routed.tags == frozenset({"lead"})
    assert dict(routed.attributes) == {"funnel": "menu", NODE_ATTRIBUTE: "manager", PATH_ATTRIBUTE: ("3",)}


def test_managers_share_the_menus_leads_by_load(router: Router) -> None:
    """Four clients asking for a manager are shared evenly between the two sales operators."""
    menu = bot()
    picks = [
        router.route(menu.apply(menu.replay(["3"]), whatsapp(f"d{i}")), at(i)).operator_id for i in range(4)
    ]
    assert sorted(str(p) for p in picks) == ["sam", "sam", "sara", "sara"]


def test_rescheduling_goes_to_logistics_with_the_topic_learned(router: Router) -> None:
    """1 then 2 hands over to logistics; the operator sees topic delivery and both learned tags."""
    menu = bot()
    state = menu.replay(["1", "2"])
    decision = router.route(menu.apply(state, whatsapp("d2")), at(1))
    assert (decision.group_id, decision.operator_id) == ("logistics", "leo")
    routed = router.dialog("d2").dialog
    assert routed.topic == "delivery"
    assert routed.tags == frozenset({"customer", "reschedule"})


def test_a_complaint_reaches_the_head_of_service_through_the_menu_rule(router: Router) -> None:
    """The complaint handover targets operator olga; the rule from menu.rules() sends it to her."""
    menu = bot()
    decision = router.route(menu.apply(menu.replay(["4"]), whatsapp("d3")), at(2))
    assert decision.operator_id == "olga"
    assert decision.group_id is None
    assert "rule 'menu complaint': matched" in decision.explain()


def test_without_the_menu_the_same_dialog_goes_to_support(router: Router) -> None:
    """A client who skipped the menu falls back to support: the handover is what made the difference."""
    decision = router.route(whatsapp("d4"), at(3))
    assert decision.group_id == "support"


def test_a_lead_waits_for_sales_when_no_manager_is_online(router: Router) -> None:
    """With both managers away the dialog queues for sales instead of going to idle support."""
    router.set_status("sam", "away", at(0))
    router.set_status("sara", "away", at(0))
    menu = bot()
    decision = router.route(menu.apply(menu.replay(["3"]), whatsapp("d5")), at(1))
    assert decision.outcome is Outcome.QUEUED
    assert decision.target == Target.group("sales")
    events = router.set_status("sara", "online", at(30))
    assert router.dialog("d5").operator_id == "sara"
    assert any(getattr(e, "dialog_id", None) == "d5" for e in events)


def test_a_wrong_key_gets_a_clear_error_and_the_session_goes_on() -> None:
    """The client types 5: the error names the valid keys and the state they are still in is unchanged."""
    menu = bot()
    state = menu.start()
    with pytest.raises(UnknownChoice, match="choose one of '1', '2', '3', '4'"):
        menu.step(state, "5")
    assert menu.step(state, "2").resolved


def test_a_day_of_menu_sessions_and_ratings() -> None:
    """Ten sessions: the menu resolves four, hands four to operators (rated afterwards) and loses two."""
    menu = bot()
    router = Router(store_config(menu), seed=1)
    paths = [["1", "1"], ["2"], ["3"], ["1"], ["3"], ["2"], ["1", "2"], ["4"], [], ["1", "1"]]
    finals: list[MenuState] = []
    for i, path in enumerate(paths):
        state = menu.replay(path)
        finals.append(state)
        if state.handover:
            dialog_id = f"day{i}"
            router.route(menu.apply(state, whatsapp(dialog_id)), at(10 * i))
            good = state.node_id != "complaint"
            rating = Rating(scale=RatingScale.TEN, value=9 if good else 3)
            router.release(dialog_id, at(10 * i + 5), rating=rating)
    stats = MenuStats.from_states(finals, menu)
    assert (stats.started, stats.resolved, stats.handed_over, stats.abandoned) == (10, 4, 4, 2)
    assert stats.share_resolved == 0.4
    assert dict(stats.by_leaf) == {
        "complaint": 1,
        "manager": 2,
        "prices": 2,
        "reschedule": 1,
        "tracking": 2,
    }
    assert dict(stats.abandoned_at) == {"order": 1, "start": 1}
    ratings = RatingStats.from_records(router.dialogs(DialogState.CLOSED))
    assert [g.key for g in ratings.by_group] == ["logistics", "sales"]
    sales = ratings.group("sales")
    assert sales is not None
    assert (sales.count, sales.positive) == (2, 2)
    olga = ratings.operator("olga")
    assert olga is not None
    assert (olga.count, olga.share_positive) == (1, 0.0)
    assert ratings.total is not None
    assert ratings.total.count == 4
