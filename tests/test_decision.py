"""Decisions that explain themselves: rule checks, filtered groups, excluded operators.

The set-up is the car dealer of the Callibri article: a sales floor for new cars, a
site-only car-loan desk, and a Moscow-only service department, with three ordered rules
and the sales floor as the fallback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from chatroute import (
    Channel,
    Client,
    Decision,
    Dialog,
    Group,
    GroupCheck,
    ManualPool,
    OperatorCheck,
    Outcome,
    Reason,
    ReasonCount,
    Router,
    RoutingConfig,
    Rule,
    RuleCheck,
    Target,
    Trace,
)
from chatroute.model import Operator
from chatroute.rules import has_tag, page, topic
from chatroute.strategies import Even, LongestIdle, RandomWithinLimit, RoundRobin, SkillBased, Strategy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed time ``seconds`` after the start of the test morning."""
    return T0 + timedelta(seconds=seconds)


def dealer_config(*, explain: bool = True, strategy: Strategy | None = None) -> RoutingConfig:
    """The car dealer: sales (five people in different states), credit (site only), service (Moscow)."""
    return RoutingConfig(
        channels=[
            Channel(name="site", priority=2),
            Channel(name="telegram", priority=1, carries_ip=False),
            Channel(name="email", priority=3),
        ],
        operators=[
            Operator(id="anna", name="Anna", status="away", skills={"cars": 7}),
            Operator(id="boris", name="Boris", status="online", limit=1, skills={"cars": 6}),
            Operator(
                id="dmitry",
                name="Dmitry",
                status="online",
                channel_limits={"telegram": 1},
                skills={"cars": 8},
            ),
            Operator(id="ekaterina", name="Ekaterina", status="online", skills={"cars": 3}),
            Operator(id="ivan", name="Ivan", status="online", skills={"cars": 9}),
            Operator(id="olga", name="Olga", status="online", skills={"credit": 8}),
            Operator(id="fedor", name="Fedor", status="online", skills={"repair": 8}),
        ],
        groups=[
            Group(
                id="sales",
                name="Sales",
                title="New cars",
                operator_ids=["anna", "boris", "dmitry", "ekaterina", "ivan"],
                strategy=strategy,
            ),
            Group(id="credit", name="Credit", title="Car loans", operator_ids=["olga"], channels={"site"}),
            Group(
                id="service",
                name="Service",
                title="Service and repair",
                operator_ids=["fedor"],
                regions_include={"RU-MOW"},
            ),
        ],
        rules=[
            Rule(name="car loans", when=has_tag("credit") | page("*/credit*"), to=Target.group("credit")),
            Rule(name="service", when=topic("service", "repair"), to=Target.group("service")),
            Rule(name="new cars", when=topic("new-car") & ~has_tag("spam"), to=Target.group("sales")),
        ],
        fallback=Target.group("sales"),
        explain=explain,
    )


def busy_dealer(*, explain: bool = True, strategy: Strategy | None = None) -> Router:
    """The dealer at 9:00: Boris full with an email, Dmitry at his telegram limit."""
    router = Router(dealer_config(explain=explain, strategy=strategy), seed=11)
    router.route(Dialog(id="mail-1", channel="email", topic="new-car"), T0)
    router.route(Dialog(id="tg-1", channel="telegram", topic="new-car"), T0)
    if router.dialog("mail-1").operator_id != "boris":
        router.transfer("mail-1", Target.operator("boris"), T0)
    if router.dialog("tg-1").operator_id != "dmitry":
        router.transfer("tg-1", Target.operator("dmitry"), T0)
    return router


LOAN_QUESTION = Dialog(
    id="tg-42",
    client_id="client-7",
    channel="telegram",
    topic="new-car",
    tags={"credit"},
    required_skills={"cars": 5},
)


def routed_loan_question() -> tuple[Router, Decision]:
    """A telegram question about a new car on credit, routed at 9:01."""
    router = busy_dealer()
    return router, router.route(LOAN_QUESTION, at(60))


def trace_of(decision: Decision) -> Trace:
    """The decision's trace, which must be there."""
    assert decision.trace is not None
    return decision.trace


def test_trace_lists_every_rule_tried_with_its_answer() -> None:
    """Rule 1 matches but its group refuses telegram, rule 2 does not match, rule 3 sends it to sales."""
    _, decision = routed_loan_question()
    assert trace_of(decision).rules == (
        RuleCheck(
            rule="car loans",
            matched=True,
            detail=(
                "has tag 'credit' or page matches '*/credit*': yes, "
                "because has tag 'credit': yes (tags: 'credit')"
            ),
            skipped="group 'credit': does not take channel 'telegram'",
        ),
        RuleCheck(
            rule="service",
            matched=False,
            detail="topic is one of 'repair', 'service': no (dialog topic: 'new-car')",
        ),
        RuleCheck(rule="new cars", matched=True, detail="topic is 'new-car' and not has tag 'spam': yes"),
    )


def test_trace_lists_the_group_filtered_by_channel() -> None:
    """The credit desk is filtered out because it does not take telegram."""
    _, decision = routed_loan_question()
    trace = trace_of(decision)
    assert trace.groups == (
        GroupCheck(
            group_id="credit", reason=Reason.CHANNEL_NOT_ALLOWED, detail="does not take channel 'telegram'"
        ),
    )
    assert (trace.target, trace.strategy, trace.notes) == (
        Target.group("sales"),
        "Even (least loaded first)",
        (),
    )


def test_trace_lists_the_chosen_and_the_runners_up_and_counts_the_rest() -> None:
    """Ivan chosen; the next two in Even's order say why they lost; all five members counted by reason."""
    _, decision = routed_loan_question()
    assert (decision.outcome, decision.operator_id, decision.group_id) == (Outcome.ASSIGNED, "ivan", "sales")
    trace = trace_of(decision)
    assert trace.operators == (
        OperatorCheck(
            operator_id="ivan", reason=None, detail="load 0 of 5: chosen by Even (least loaded first)"
        ),
        OperatorCheck(operator_id="ekaterina", reason=Reason.MISSING_SKILL, detail="'cars' 3 < 5"),
        OperatorCheck(
            operator_id="dmitry", reason=Reason.CHANNEL_LIMIT, detail="1 'telegram' dialogs already"
        ),
    )
    assert (trace.members, trace.eligible, trace.unchecked, trace.full) == (5, 1, 0, False)
    assert trace.counts == (
        ReasonCount(Reason.AT_LIMIT, 1),
        ReasonCount(Reason.CHANNEL_LIMIT, 1),
        ReasonCount(Reason.MISSING_SKILL, 1),
        ReasonCount(Reason.STATUS, 1),
    )


def test_full_trace_gives_each_excluded_operator_a_reason() -> None:
    """Away, at limit, at the telegram limit, below the skill level: only Ivan can take it."""
    router, _ = routed_loan_question()
    decision = router.explain(LOAN_QUESTION, at(60))
    trace = trace_of(decision)
    assert trace.full
    assert trace.excluded() == {
        "anna": Reason.STATUS,
        "boris": Reason.AT_LIMIT,
        "dmitry": Reason.CHANNEL_LIMIT,
        "ekaterina": Reason.MISSING_SKILL,
    }
    assert trace.operators == (
        OperatorCheck(
            operator_id="ivan", reason=None, detail="load 1 of 5: chosen by Even (least loaded first)"
        ),
        OperatorCheck(operator_id="anna", reason=Reason.STATUS, detail="status 'away' is not routable"),
        OperatorCheck(operator_id="boris", reason=Reason.AT_LIMIT, detail="1 of 1 in use"),
        OperatorCheck(
            operator_id="dmitry", reason=Reason.CHANNEL_LIMIT, detail="1 'telegram' dialogs already"
        ),
        OperatorCheck(operator_id="ekaterina", reason=Reason.MISSING_SKILL, detail="'cars' 3 < 5"),
    )


def test_transfer_trace_excludes_the_operator_who_transferred() -> None:
    """Ivan hands the dialog back to sales: nobody is left, with five different reasons."""
    router, _ = routed_loan_question()
    decision = router.transfer("tg-42", Target.group("sales"), at(120), by="ivan")
    assert (decision.outcome, decision.operator_id, decision.position) == (Outcome.QUEUED, None, 1)
    trace = trace_of(decision)
    assert trace.excluded() == {
        "dmitry": Reason.CHANNEL_LIMIT,
        "ekaterina": Reason.MISSING_SKILL,
        "ivan": Reason.EXCLUDED,
    }
    assert trace.count(Reason.EXCLUDED) == trace.count(Reason.STATUS) == 1
    assert trace.operators[-1] == OperatorCheck(
        operator_id="ivan", reason=Reason.EXCLUDED, detail="transferred this dialog away"
    )
    assert trace.rules == ()
    assert decision.reason == (
        "nobody in group 'sales' can take it now "
        "(at_limit 1, channel_limit 1, excluded 1, missing_skill 1, status 1)"
    )


def test_explain_renders_the_whole_story() -> None:
    """decision.explain() shows the outcome, each rule, the filtered group, the runners-up and the counts."""
    _, decision = routed_loan_question()
    assert decision.explain().splitlines() == [
        "dialog 'tg-42': assigned to operator 'ivan' in group 'sales'",
        "rule 'car loans': matched: has tag 'credit' or page matches '*/credit*': yes, "
        "because has tag 'credit': yes (tags: 'credit')",
        "  skipped: group 'credit': does not take channel 'telegram'",
        "rule 'service': no match: topic is one of 'repair', 'service': no (dialog topic: 'new-car')",
        "rule 'new cars': matched: topic is 'new-car' and not has tag 'spam': yes",
        "group 'credit' filtered out [channel_not_allowed]: does not take channel 'telegram'",
        "target: group 'sales', strategy Even (least loaded first)",
        "  operator 'ivan' [eligible]: load 0 of 5: chosen by Even (least loaded first)",
        "  operator 'ekaterina' [missing_skill]: 'cars' 3 < 5",
        "  operator 'dmitry' [channel_limit]: 1 'telegram' dialogs already",
        "  members 5: eligible 1; excluded: at_limit 1, channel_limit 1, missing_skill 1, status 1",
    ]


def test_explain_of_a_queued_decision_gives_position_wait_and_why() -> None:
    """A queued decision's text starts with its place in the queue and the reason summary."""
    router, _ = routed_loan_question()
    decision = router.transfer("tg-42", Target.group("sales"), at(120), by="ivan")
    lines = decision.explain().splitlines()
    assert lines[0] == "dialog 'tg-42': queued in group 'sales', position 1, about 19 s"
    assert lines[1] == (
        "why: nobody in group 'sales' can take it now "
        "(at_limit 1, channel_limit 1, excluded 1, missing_skill 1, status 1)"
    )
    assert "  operator 'ivan' [excluded]: transferred this dialog away" in lines
    assert lines[-1] == (
        "  members 5: eligible 0; excluded: "
        "at_limit 1, channel_limit 1, excluded 1, missing_skill 1, status 1"
    )


def test_region_filter_falls_through_to_the_fallback() -> None:
    """A repair question from St Petersburg skips Moscow-only service and lands on the fallback."""
    router = busy_dealer()
    dialog = Dialog(id="spb-1", topic="repair", region="RU-SPE", page_url="https://dealer.example/service")
    decision = router.route(dialog, at(30))
    trace = trace_of(decision)
    assert [(c.rule, c.matched, c.skipped) for c in trace.rules] == [
        ("car loans", False, None),
        ("service", True, "group 'service': serves only RU-MOW (visitor: RU-SPE)"),
        ("new cars", False, None),
    ]
    assert trace.rules[0].detail == (
        "has tag 'credit' or page matches '*/credit*': no "
        "(has tag 'credit': no (no tags); page matches '*/credit*': no (page: 'https://dealer.example/service'))"
    )
    assert trace.groups == (
        GroupCheck(group_id="service", reason=Reason.REGION, detail="serves only RU-MOW (visitor: RU-SPE)"),
    )
    assert trace.notes == ("no rule applied: fallback to group 'sales'",)
    assert (decision.group_id, decision.operator_id) == ("sales", "ekaterina")


def test_rejected_decision_explains_which_filter_refused_it() -> None:
    """A telegram dialog when the fallback is the site-only credit desk is rejected, with the reason."""
    router = Router(attrs.evolve(dealer_config(), rules=(), fallback=Target.group("credit")))
    decision = router.route(Dialog(id="tg-9", channel="telegram"), T0)
    assert decision.outcome is Outcome.REJECTED
    trace = trace_of(decision)
    assert trace.target is None
    assert trace.operators == ()
    assert trace.groups == (
        GroupCheck(
            group_id="credit", reason=Reason.CHANNEL_NOT_ALLOWED, detail="does not take channel 'telegram'"
        ),
    )
    assert decision.explain().splitlines()[:2] == [
        "dialog 'tg-9': rejected",
        "why: the fallback group 'credit' cannot take it: group 'credit': does not take channel 'telegram'",
    ]


def test_visitor_choice_and_preferred_operator_show_as_notes() -> None:
    """The visitor's department and a preferred operator who cannot take it appear as notes."""
    rules = (Rule(name="managed", when=has_tag("managed"), to=Target.preferred_operator()),)
    router = Router(attrs.evolve(dealer_config(), rules=rules))
    router.route(Dialog(id="b0", topic="new-car"), T0)
    chosen = router.route(Dialog(id="d1", chosen_group_id="service", region="RU-MOW"), at(1))
    assert trace_of(chosen).notes == ("the visitor chose group 'service'",)
    assert chosen.operator_id == "fedor"
    client = Client(id="c1", preferred_operator_id="boris")
    managed = router.route(Dialog(id="d2", client_id="c1", tags={"managed"}), at(2), client=client)
    assert trace_of(managed).notes == (
        "the client's preferred operator 'boris' cannot take it: 1 of 1 in use",
    )
    assert (managed.group_id, managed.operator_id) == ("sales", "dmitry")
    router.release("b0", at(3))
    again = router.route(Dialog(id="d3", client_id="c1", tags={"managed"}), at(4), client=client)
    assert trace_of(again).notes == ("the client's preferred operator 'boris' can take it",)
    assert (again.target, again.operator_id) == (Target.operator("boris"), "boris")


def test_a_decision_counts_a_long_member_list_and_explain_lists_it() -> None:
    """60 away operators: the decision lists none of them and counts 60; router.explain lists all 60."""
    ops = [Operator(id=f"op{i:02d}", status="away") for i in range(60)]
    router = Router(RoutingConfig(operators=ops))
    decision = router.route(Dialog(id="d1"), T0)
    trace = trace_of(decision)
    assert (trace.operators, trace.members, trace.reasons()) == ((), 60, {Reason.STATUS: 60})
    assert decision.explain().splitlines()[-1] == "  members 60: eligible 0; excluded: status 60"
    assert decision.reason == "nobody in everyone can take it now (status 60)"
    full = trace_of(router.explain(Dialog(id="d2"), T0))
    assert [check.operator_id for check in full.operators] == [op.id for op in ops]
    assert full.counts == trace.counts


def test_manual_pool_decision_says_it_waits_for_a_claim() -> None:
    """A pooled dialog's explanation says it waits for an operator to claim it."""
    router = Router(
        RoutingConfig(
            operators=[Operator(id="ana", status="online")],
            groups=[Group(id="desk", operator_ids=["ana"], strategy=ManualPool())],
            fallback=Target.group("desk"),
        )
    )
    decision = router.route(Dialog(id="d1"), T0)
    assert decision.explain().splitlines()[0] == (
        "dialog 'd1': queued in group 'desk', position 1, about 1 min "
        "(manual pool: waiting for an operator to claim it)"
    )
    assert trace_of(decision).strategy == "ManualPool (operators claim dialogs)"


def test_explain_off_router_keeps_no_trace() -> None:
    """With ``explain=False`` decisions carry no trace and say how to get one."""
    router = busy_dealer(explain=False)
    decision = router.route(LOAN_QUESTION, at(60))
    assert decision.trace is None
    assert decision.operator_id == "ivan"
    assert decision.explain().splitlines() == [
        "dialog 'tg-42': assigned to operator 'ivan' in group 'sales'",
        "(explanations are off: ask Router.explain(dialog, now) for the full trace)",
    ]


@pytest.mark.parametrize(
    "strategy",
    [Even(), LongestIdle(), SkillBased(skill="cars"), RoundRobin(), RandomWithinLimit()],
    ids=lambda s: type(s).__name__,
)
def test_router_explain_on_an_explain_off_router_predicts_route(strategy: Strategy) -> None:
    """router.explain() gives a full trace and the same operator route then picks, dialog after dialog."""
    router = busy_dealer(explain=False, strategy=strategy)
    for i in range(8):
        dialog = Dialog(id=f"site-{i}", topic="new-car", required_skills={"cars": 5})
        dry = router.explain(dialog, at(60 + i))
        assert dry.trace is not None
        assert dry.trace.rules[-1].rule == "new cars"
        real = router.route(dialog, at(60 + i))
        assert real.trace is None
        assert (real.outcome, real.operator_id) == (dry.outcome, dry.operator_id)
        assert set(dry.trace.excluded()) >= {"anna", "boris", "ekaterina"}
