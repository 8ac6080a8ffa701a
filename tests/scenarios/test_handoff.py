"""Chat2Desk: tags, groups of operators, and a dialog handed from department to department (seeds/004).

A print shop's order passes sales -> design -> accounting -> logistics, each department's
operator moving it on to the next; tags on clients and dialogs route them ("vip" to key
accounts); a client's managing operator gets their dialogs when online, else that
manager's group; inside a group the system picks by load or by qualification level.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatroute import (
    Channel,
    Client,
    Decision,
    Dialog,
    DialogAssigned,
    DialogState,
    DialogTransferred,
    Group,
    Operator,
    Outcome,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    SkillBased,
    Target,
    TransferRecord,
    Trigger,
    Via,
)
from chatroute.rules import attr, has_tag, topic

T0 = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
PIPELINE = ("sales", "design", "accounting", "logistics")
MEMBERS = {
    "sales": ("sam", "sara"),
    "design": ("dina", "dan"),
    "accounting": ("alla",),
    "logistics": ("leo", "lena"),
    "key-accounts": ("kate", "kirill"),
    "tech": ("tom", "tim", "tess"),
}
QUALIFICATION = {"tom": 3, "tim": 7, "tess": 9}


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def print_shop_config() -> RoutingConfig:
    """Six groups, limit 2 each; rules by tag and topic; new clients start in sales."""
    operators = [
        Operator(id=op_id, name=op_id.title(), limit=2, skills={"qualification": QUALIFICATION[op_id]})
        if op_id in QUALIFICATION
        else Operator(id=op_id, name=op_id.title(), limit=2)
        for members in MEMBERS.values()
        for op_id in members
    ]
    groups = [
        Group(id=group_id, name=group_id.replace("-", " ").title(), operator_ids=members)
        for group_id, members in MEMBERS.items()
        if group_id != "tech"
    ]
    groups.append(
        Group(
            id="tech",
            name="Prepress",
            operator_ids=MEMBERS["tech"],
            strategy=SkillBased(skill="qualification"),
        )
    )
    rules = [
        Rule(name="vip", when=has_tag("vip"), to=Target.group("key-accounts")),
        Rule(
            name="own manager",
            when=has_tag("managed"),
            to=Target.preferred_operator(otherwise=Target.group("key-accounts")),
        ),
        Rule(name="prepress", when=topic("file check"), to=Target.group("tech")),
        Rule(name="delivery", when=topic("delivery"), to=Target.group("logistics")),
    ]
    # The pipeline as event triggers: the host reports what happened, the router moves the dialog.
    triggers = [
        Trigger(name="order agreed", on="order.agreed", to=Target.group("design")),
        Trigger(name="layout approved", on="layout.approved", to=Target.group("accounting")),
        Trigger(
            name="large invoice paid",
            on="invoice.paid",
            when=attr("amount") >= 10_000,
            to=Target.group("key-accounts"),
        ),
        Trigger(name="invoice paid", on="invoice.paid", to=Target.group("logistics")),
    ]
    return RoutingConfig(
        channels=[Channel(name="whatsapp", carries_ip=False), Channel(name="telegram", carries_ip=False)],
        operators=operators,
        groups=groups,
        rules=rules,
        triggers=triggers,
        fallback=Target.group("sales"),
    )


def print_shop(*, offline: tuple[str, ...] = ()) -> Router:
    """The print shop's router with everyone online at T0 except ``offline``."""
    config = print_shop_config()
    router = Router(config)
    for op in config.operators:
        if op.id not in offline:
            router.set_status(op.id, "online", T0)
    return router


def order(dialog_id: str = "order-1", **fields: Any) -> Dialog:
    """A whatsapp dialog from the client "print-co"."""
    return Dialog(id=dialog_id, client_id="print-co", channel="whatsapp", **fields)


def loads(router: Router, *op_ids: str) -> dict[str, int]:
    """Operator id -> load, for the named operators."""
    return {op_id: router.operator(op_id).load for op_id in op_ids}


# -------------------------------------------------------------------------- hand-off


def test_an_order_travels_from_sales_through_design_and_accounting_to_logistics() -> None:
    """Each department's operator passes the dialog on to the next department, whose operator gets it."""
    router = print_shop()
    first = router.route(order(topic="business cards"), at(0))
    assert (first.group_id, first.operator_id) == ("sales", "sam")

    holder = "sam"
    for hop, group_id in enumerate(PIPELINE[1:], start=1):
        previous_group = PIPELINE[hop - 1]
        assert holder in MEMBERS[previous_group]
        decision = router.transfer("order-1", Target.group(group_id), at(600 * hop), by=holder)
        assert decision.outcome is Outcome.ASSIGNED
        assert decision.group_id == group_id
        assert decision.operator_id in MEMBERS[group_id]
        assert decision.events == (
            DialogTransferred(
                at=at(600 * hop),
                dialog_id="order-1",
                from_operator_id=holder,
                to=Target.group(group_id),
                by=holder,
            ),
            DialogAssigned(
                at=at(600 * hop),
                dialog_id="order-1",
                operator_id=decision.operator_id,
                group_id=group_id,
                via=Via.TRANSFER,
            ),
        )
        assert loads(router, holder, decision.operator_id) == {holder: 0, decision.operator_id: 1}
        holder = decision.operator_id

    record = router.dialog("order-1")
    assert (record.state, record.group_id, record.operator_id) == (DialogState.ASSIGNED, "logistics", "lena")
    assert record.history == (
        TransferRecord(
            at=at(600), from_operator_id="sam", from_group_id="sales", to=Target.group("design"), by="sam"
        ),
        TransferRecord(
            at=at(1200),
            from_operator_id="dan",
            from_group_id="design",
            to=Target.group("accounting"),
            by="dan",
        ),
        TransferRecord(
            at=at(1800),
            from_operator_id="alla",
            from_group_id="accounting",
            to=Target.group("logistics"),
            by="alla",
        ),
    )
    assert sum(state.load for state in router.operators()) == 1


def test_a_hand_off_to_a_busy_department_waits_and_drains_when_it_frees() -> None:
    """Logistics is full: the paid order waits in its queue, Alla is freed, and a release hands it to Lena."""
    router = print_shop()
    for i in range(4):
        router.route(order(f"ship-{i}", topic="delivery"), at(i))
    assert loads(router, "leo", "lena") == {"leo": 2, "lena": 2}
    router.route(order(), at(10))
    router.transfer("order-1", Target.group("accounting"), at(20), by="sam")
    assert router.dialog("order-1").operator_id == "alla"

    decision = router.transfer("order-1", Target.group("logistics"), at(30), by="alla")
    assert decision.outcome is Outcome.QUEUED
    assert (decision.group_id, decision.position) == ("logistics", 1)
    assert decision.reason == "nobody in group 'logistics' can take it now (at_limit 2)"
    assert router.queue(Target.group("logistics")) == ("order-1",)
    assert router.operator("alla").load == 0

    lena_shipment = next(d.id for d in router.dialogs(DialogState.ASSIGNED) if d.operator_id == "lena")
    events = router.release(lena_shipment, at(90))
    assert events[-1] == DialogAssigned(
        at=at(90), dialog_id="order-1", operator_id="lena", group_id="logistics", via=Via.DRAIN
    )
    assert router.queue(Target.group("logistics")) == ()
    assert router.dialog("order-1").history[-1].to == Target.group("logistics")


def test_events_move_the_order_along_the_pipeline() -> None:
    """Events "order agreed", "layout approved", "invoice paid" move the order from sales to logistics."""
    router = print_shop()
    router.route(order(), at(0))
    path = [router.dialog("order-1").group_id]
    for i, event in enumerate(("order.agreed", "layout.approved", "invoice.paid"), start=1):
        decision = router.handle("order-1", event, at(60 * i), data={"amount": 4_500})
        assert decision is not None
        assert decision.outcome is Outcome.ASSIGNED
        path.append(decision.group_id)
    assert path == list(PIPELINE)
    history = router.dialog("order-1").history
    assert [(h.by, h.trigger) for h in history] == [
        (None, "order agreed"),
        (None, "layout approved"),
        (None, "invoice paid"),
    ]
    assert router.dialog("order-1").dialog.attributes["amount"] == 4_500


def test_a_large_payment_goes_to_key_accounts_instead() -> None:
    """Triggers go in order: an invoice of 10,000 or more matches the key-accounts trigger first."""
    router = print_shop()
    router.route(order(), at(0))
    decision = router.handle("order-1", "invoice.paid", at(30), data={"amount": 12_000})
    assert decision is not None
    assert decision.group_id == "key-accounts"
    assert decision.events[0] == DialogTransferred(
        at=at(30),
        dialog_id="order-1",
        from_operator_id="sam",
        to=Target.group("key-accounts"),
        trigger="large invoice paid",
    )


def test_an_event_without_a_matching_trigger_changes_only_the_attributes() -> None:
    """An unknown event fires nothing; its data is still kept on the dialog for later rules."""
    router = print_shop()
    router.route(order(), at(0))
    assert router.handle("order-1", "client.typing", at(5), data={"mood": "happy"}) is None
    record = router.dialog("order-1")
    assert (record.group_id, record.operator_id, record.history) == ("sales", "sam", ())
    assert record.dialog.attributes["mood"] == "happy"


def test_a_trigger_to_where_the_dialog_already_is_does_not_fire() -> None:
    """A repeated "invoice paid" while the order is in logistics is a no-op, not a re-shuffle."""
    router = print_shop()
    router.route(order(), at(0))
    router.handle("order-1", "invoice.paid", at(10))
    operator = router.dialog("order-1").operator_id
    assert router.handle("order-1", "invoice.paid", at(20)) is None
    assert router.dialog("order-1").operator_id == operator
    assert len(router.dialog("order-1").history) == 1


def test_a_system_hand_off_after_payment_records_no_operator() -> None:
    """When the payment completes the host moves the dialog itself: the transfer has no ``by``."""
    router = print_shop()
    router.route(order(), at(0))
    router.transfer("order-1", Target.group("accounting"), at(10), by="sam")
    router.transfer("order-1", Target.group("logistics"), at(20))
    last = router.dialog("order-1").history[-1]
    assert (last.from_operator_id, last.from_group_id, last.by) == ("alla", "accounting", None)
    assert router.dialog("order-1").operator_id == "lena"


def test_an_operator_who_passed_a_dialog_on_does_not_get_it_back_from_the_group() -> None:
    """Sam moves a dialog from sales back to sales: it goes to Sara even though Sam is now less loaded."""
    router = print_shop()
    router.route(order("a"), at(0))
    router.route(order("b"), at(1))
    router.route(order("c"), at(2))
    assert loads(router, "sam", "sara") == {"sam": 2, "sara": 1}
    decision = router.transfer("a", Target.group("sales"), at(10), by="sam")
    assert decision.operator_id == "sara"
    assert decision.trace is not None
    assert (decision.trace.eligible, decision.trace.reasons()) == (1, {Reason.EXCLUDED: 1})


def test_a_dialog_sent_back_to_sales_by_design_can_reach_its_first_operator_again() -> None:
    """Design sends the order back to sales for a new quote: Sam, free and alone online there, takes it."""
    router = print_shop(offline=("sara",))
    router.route(order(), at(0))
    router.transfer("order-1", Target.group("design"), at(60), by="sam")
    decision = router.transfer("order-1", Target.group("sales"), at(120), by="dan")
    assert (decision.outcome, decision.operator_id) == (Outcome.ASSIGNED, "sam")


# ---------------------------------------------------------------------------- tags


def test_a_vip_tag_on_the_dialog_routes_it_to_key_accounts() -> None:
    """Rule "tag vip -> group key-accounts" matches a tagged dialog."""
    router = print_shop()
    decision = router.route(order(tags={"vip"}), at(0))
    assert (decision.group_id, decision.operator_id) == ("key-accounts", "kate")
    assert decision.trace is not None
    assert decision.trace.rules[0].detail == "has tag 'vip': yes (tags: 'vip')"


def test_a_vip_tag_on_the_client_routes_all_their_dialogs_to_key_accounts() -> None:
    """A client tagged vip reaches key accounts; the router remembers the tags for their next dialog."""
    router = print_shop()
    client = Client(id="print-co", tags={"vip", "retail"})
    first = router.route(order("o1"), at(0), client=client)
    assert first.group_id == "key-accounts"
    second = router.route(order("o2"), at(60))
    assert second.group_id == "key-accounts"
    assert second.trace is not None
    assert second.trace.rules[0].detail == "has tag 'vip': yes (tags: 'retail', 'vip')"


def test_an_untagged_dialog_starts_in_sales() -> None:
    """Without tags or a known topic no rule matches and the fallback, sales, takes the new client."""
    router = print_shop()
    decision = router.route(Dialog(id="n1", client_id="new-client", channel="telegram"), at(0))
    assert decision.trace is not None
    assert [check.matched for check in decision.trace.rules] == [False, False, False, False]
    assert (decision.group_id, decision.operator_id) == ("sales", "sam")


# -------------------------------------------------------------------- managing operator


MANAGED = Client(id="acme", tags={"managed"}, preferred_operator_id="kirill")


def managed_dialog(dialog_id: str) -> Dialog:
    """A dialog from Acme, whose manager is Kirill."""
    return Dialog(id=dialog_id, client_id="acme", channel="telegram")


def test_the_managing_operator_gets_the_dialog_when_online() -> None:
    """Kirill, Acme's manager, is online: Acme's dialog goes to him, not to the less busy Kate."""
    router = print_shop()
    decision = router.route(managed_dialog("m1"), at(0), client=MANAGED)
    assert decision.operator_id == "kirill"
    assert decision.target == Target.operator("kirill")
    assert decision.trace is not None
    assert "the client's preferred operator 'kirill' can take it" in decision.trace.notes


@pytest.mark.parametrize("absence", ["away", "offline"])
def test_without_the_managing_operator_the_dialog_goes_to_the_group(absence: str) -> None:
    """Kirill away or offline: Acme's dialog goes to the key-accounts group, where Kate takes it."""
    router = print_shop()
    router.set_status("kirill", absence, at(0))
    decision = router.route(managed_dialog("m1"), at(1), client=MANAGED)
    assert (decision.group_id, decision.operator_id) == ("key-accounts", "kate")
    assert decision.trace is not None
    assert (
        f"the client's preferred operator 'kirill' cannot take it: status {absence!r} is not routable"
        in decision.trace.notes
    )


def test_a_managing_operator_at_the_limit_passes_to_the_group() -> None:
    """Kirill at his limit: the next Acme dialog goes to Kate in key accounts instead of waiting."""
    router = print_shop()
    for i in range(2):
        assert router.route(managed_dialog(f"m{i}"), at(i), client=MANAGED).operator_id == "kirill"
    decision = router.route(managed_dialog("m2"), at(5), client=MANAGED)
    assert (decision.outcome, decision.operator_id) == (Outcome.ASSIGNED, "kate")


# ---------------------------------------------------------------------- qualification


def file_check(dialog_id: str, **fields: Any) -> Dialog:
    """A prepress question: routed to the tech group."""
    return Dialog(id=dialog_id, topic="file check", channel="telegram", **fields)


def test_the_most_qualified_member_gets_the_dialog_until_full() -> None:
    """SkillBased("qualification"): Tess (9) takes two, then Tim (7) two, then Tom (3)."""
    router = print_shop()
    picks = [router.route(file_check(f"f{i}"), at(i)).operator_id for i in range(6)]
    assert picks == ["tess", "tess", "tim", "tim", "tom", "tom"]
    seventh = router.explain(file_check("probe"), at(10))
    assert seventh.outcome is Outcome.QUEUED


def test_a_dialog_needing_high_qualification_waits_for_a_qualified_operator() -> None:
    """A dialog needing level 8 skips Tim and Tom, waits while Tess is full, then reaches her."""
    router = print_shop()
    for i in range(2):
        router.route(file_check(f"f{i}"), at(i))
    decision: Decision = router.route(file_check("hard", required_skills={"qualification": 8}), at(5))
    assert decision.outcome is Outcome.QUEUED
    assert decision.trace is not None
    assert decision.trace.reasons() == {Reason.AT_LIMIT: 1, Reason.MISSING_SKILL: 2}
    assert decision.trace.excluded() == {"tim": Reason.MISSING_SKILL, "tom": Reason.MISSING_SKILL}
    assert "operator 'tim' [missing_skill]: 'qualification' 7 < 8" in decision.explain()
    router.release("f0", at(60))
    assert router.dialog("hard").operator_id == "tess"
