"""Menu bot: a Chat2Desk-style self-service menu answers what it can and routes the rest.

Three clients talk to the bot; the one who asks for a manager is handed to the sales
group with what the menu learned, and the router picks a sales operator. Then the menu's
statistics and the clients' ratings are printed.
"""

from datetime import UTC, datetime, timedelta

from chatroute import (
    Dialog,
    DialogState,
    Group,
    Operator,
    Rating,
    RatingScale,
    Router,
    RoutingConfig,
    Target,
)
from chatroute.menu import Menu, UnknownChoice
from chatroute.stats import MenuStats, RatingStats

MENU = {
    "kind": "question",
    "id": "start",
    "text": "Hello! What is your question about?",
    "choices": [
        {
            "key": "1",
            "label": "Order status",
            "next": {"kind": "answer", "id": "status", "text": "Track it at /track"},
        },
        {
            "key": "2",
            "label": "Delivery prices",
            "next": {"kind": "answer", "id": "prices", "text": "Free from 50 EUR"},
        },
        {
            "key": "3",
            "label": "Talk to a manager",
            "next": {
                "kind": "handover",
                "id": "manager",
                "text": "A manager will answer in a minute.",
                "topic": "purchase",
                "tags": ["lead"],
                "target": {"group": "sales"},
            },
        },
    ],
}

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
menu = Menu.from_dict(MENU)
router = Router(
    RoutingConfig(
        operators=[
            Operator(id="natalia", status="online"),
            Operator(id="maxim", status="online"),
            Operator(id="tatiana", status="online"),
        ],
        groups=[
            Group(id="sales", name="Sales", operator_ids=["natalia", "maxim"]),
            Group(id="support", name="Support", operator_ids=["tatiana"]),
        ],
        fallback=Target.group("support"),
    ),
    seed=1,
)

conversations = {"anna": ["1"], "boris": ["7", "talk to a manager"], "clara": []}
finals = []
for minute, (client, typed) in enumerate(conversations.items()):
    print(f"--- {client}")
    state = menu.start()
    print(f"bot: {menu.reply(state)}")
    for text in typed:
        print(f"{client}: {text}")
        try:
            state = menu.step(state, text)
        except UnknownChoice as error:
            print(f"bot: sorry, please send one of {', '.join(error.valid)}")
            continue
        reply = menu.reply(state)
        if reply:
            print(f"bot: {reply}")
    finals.append(state)
    if state.handover:
        dialog = menu.apply(state, Dialog(id=f"d-{client}", client_id=client))
        now = T0 + timedelta(minutes=minute)
        decision = router.route(dialog, now)
        print(f"routed: {decision.operator_id} in group {decision.group_id} (topic {dialog.topic})")
        rating = Rating(scale=RatingScale.SMILEYS_5, value=5)
        router.release(dialog.id, now + timedelta(minutes=5), rating=rating)
    elif not state.finished:
        print(f"({client} stopped answering)")

print()
print(MenuStats.from_states(finals, menu).render())
print()
print(RatingStats.from_records(router.dialogs(DialogState.CLOSED)).render())
