"""Statistics: rating summaries per operator and group, the BestRated strategy, and menu session counts."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Dialog,
    DialogRecord,
    DialogState,
    Event,
    Group,
    InvalidValue,
    Operator,
    Outcome,
    Rating,
    RatingScale,
    Router,
    RoutingConfig,
    Rule,
    Target,
)
from chatroute.menu import Answer, Choice, Handover, Menu, MenuState, Question, UnknownNode
from chatroute.rules import topic
from chatroute.serialize import from_dict, register, to_dict
from chatroute.stats import BestRated, MenuStats, RatingStats, RatingSummary
from chatroute.strategies import Even, LongestIdle, ManualPool, OperatorView, Strategy, StrategyContext

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed time ``seconds`` after the start of the test morning."""
    return T0 + timedelta(seconds=seconds)


def five(value: int) -> Rating:
    """A rating on the five-smiley scale."""
    return Rating(scale=RatingScale.SMILEYS_5, value=value)


def like(value: int) -> Rating:
    """A like (1) or dislike (0)."""
    return Rating(scale=RatingScale.LIKE, value=value)


def record(
    dialog_id: str,
    operator_id: str | None,
    group_id: str | None,
    rating: Rating | None,
    state: DialogState = DialogState.CLOSED,
) -> DialogRecord:
    """A dialog record as the router keeps it, closed by default."""
    return DialogRecord(
        dialog=Dialog(id=dialog_id),
        state=state,
        operator_id=operator_id,
        group_id=group_id,
        routed_at=T0,
        closed_at=T0 if state is DialogState.CLOSED else None,
        rating=rating,
    )


def desk_config(strategy: Strategy | None = None) -> RoutingConfig:
    """Two groups: sales (ann, bob) and support (bob, cat); 'for-<id>' topics pin dialogs to one operator."""
    operators = [Operator(id=op_id, status="online", limit=3) for op_id in ("ann", "bob", "cat")]
    return RoutingConfig(
        operators=operators,
        groups=[
            Group(id="sales", name="Sales", operator_ids=["ann", "bob"], strategy=strategy),
            Group(id="support", name="Support", operator_ids=["bob", "cat"]),
        ],
        rules=[
            *(
                Rule(name=f"pin {o.id}", when=topic(f"for-{o.id}"), to=Target.operator(o.id))
                for o in operators
            ),
            Rule(name="sales", when=topic("sales"), to=Target.group("sales")),
            Rule(name="support", when=topic("support"), to=Target.group("support")),
        ],
    )


def rated_day() -> tuple[Router, list[Event]]:
    """A morning of dialogs closed with ratings, one abandoned in the queue, one never rated; events kept."""
    router = Router(desk_config(), seed=3)
    events: list[Event] = []
    plan = [
        ("d1", "for-ann", five(5)),
        ("d2", "for-ann", like(0)),
        ("d3", "for-bob", five(3)),
        ("d4", "for-cat", Rating(scale=RatingScale.TEN, value=10)),
        ("d5", "for-cat", None),
    ]
    for i, (dialog_id, dialog_topic, rating) in enumerate(plan):
        decision = router.route(Dialog(id=dialog_id, topic=dialog_topic), at(2 * i))
        events += decision.events
        events += router.release(dialog_id, at(2 * i + 1), rating=rating)
    # sales and support dialogs, so group summaries have something to count
    for i, dialog_id in enumerate(("s1", "s2")):
        decision = router.route(Dialog(id=dialog_id, topic="sales"), at(100 + i))
        events += decision.events
        events += router.release(dialog_id, at(100 + i), rating=five(4))
    decision = router.route(Dialog(id="p1", topic="support"), at(300))
    events += decision.events
    events += router.release("p1", at(301), rating=like(1))
    # nobody can take it: every operator goes away, the client waits, rates and leaves
    for op_id in ("ann", "bob", "cat"):
        events += router.set_status(op_id, "away", at(400))
    decision = router.route(Dialog(id="q1", topic="sales"), at(401))
    assert decision.outcome is Outcome.QUEUED
    events += decision.events
    events += router.release("q1", at(460), rating=five(1))
    return router, events


# ----------------------------------------------------------------------- summaries


def test_a_summary_counts_positive_negative_and_neutral_ratings() -> None:
    """Scores above the middle are positive, below negative, the middle neutral; the mean is on 0..1."""
    summary = RatingSummary.of("ann", [five(5), five(3), five(1), like(1)])
    assert summary == RatingSummary(key="ann", count=4, positive=2, negative=1, mean_score=0.625)
    assert summary.neutral == 1
    assert summary.share_positive == 0.5


def test_ratings_are_aggregated_per_operator_and_group_from_closed_records() -> None:
    """The router's closed records give per-operator and per-group summaries, sorted by id."""
    router, _ = rated_day()
    stats = RatingStats.from_records(router.dialogs(DialogState.CLOSED))
    assert [s.key for s in stats.by_operator] == ["ann", "bob", "cat"]
    # ann: 5/5 smileys, a dislike, and sales dialog s1 at 4/5 smileys
    assert stats.operator("ann") == RatingSummary(
        key="ann", count=3, positive=2, negative=1, mean_score=1.75 / 3
    )
    assert stats.operator("bob") == RatingSummary(
        key="bob", count=2, positive=1, negative=0, mean_score=0.625
    )
    sales = stats.group("sales")
    assert sales == RatingSummary(key="sales", count=2, positive=2, negative=0, mean_score=0.75)
    assert stats.group("support") == RatingSummary(
        key="support", count=1, positive=1, negative=0, mean_score=1.0
    )
    assert stats.group("nowhere") is None
    assert stats.operator("dan") is None


def test_a_rated_dialog_nobody_answered_counts_apart_from_operators() -> None:
    """The dialog closed in the queue counts in 'unassigned' and the total, never for an operator or group."""
    router, _ = rated_day()
    stats = RatingStats.from_records(router.dialogs(DialogState.CLOSED))
    assert stats.unassigned == RatingSummary(key="", count=1, positive=0, negative=1, mean_score=0.0)
    assert stats.total is not None
    assert stats.total.count == 8
    assert sum(s.count for s in stats.by_operator) + stats.unassigned.count == stats.total.count
    assert stats.unrated == 1


def test_open_dialogs_are_skipped() -> None:
    """Only closed records count; an assigned one is ignored."""
    stats = RatingStats.from_records(
        [record("a", "ann", None, five(5)), record("b", "ann", None, None, DialogState.ASSIGNED)]
    )
    assert stats.operator("ann") == RatingSummary(key="ann", count=1, positive=1, negative=0, mean_score=1.0)
    assert stats.unrated == 0
    assert stats.by_group == ()


def test_events_give_the_same_statistics_as_records() -> None:
    """A host that persisted events gets exactly what the router's records give."""
    router, events = rated_day()
    assert RatingStats.from_events(events) == RatingStats.from_records(router.dialogs(DialogState.CLOSED))


def test_a_transferred_dialog_counts_for_the_group_it_closed_in() -> None:
    """After a transfer from sales to support, the rating belongs to support and the new operator."""
    router = Router(desk_config(), seed=1)
    events: list[Event] = list(router.route(Dialog(id="t", topic="sales"), at(0)).events)
    first = router.dialog("t").operator_id
    assert first in ("ann", "bob")
    transfer = router.transfer("t", Target.group("support"), at(10), by=first)
    events += transfer.events
    events += router.release("t", at(20), rating=like(1))
    last = router.dialog("t").operator_id
    assert last is not None
    for stats in (RatingStats.from_events(events), RatingStats.from_records(router.dialogs())):
        assert [s.key for s in stats.by_group] == ["support"]
        assert [s.key for s in stats.by_operator] == [last]


def test_no_ratings_give_empty_statistics() -> None:
    """Without rated dialogs there are no rows and no totals."""
    stats = RatingStats.from_records([record("a", "ann", "sales", None)])
    assert stats == RatingStats(unrated=1)
    assert stats.total is None
    assert stats.scores() == {}


def test_bad_inputs_are_refused() -> None:
    """Records and events of the wrong type, and a min_count below 1, raise InvalidValue."""
    with pytest.raises(InvalidValue):
        RatingStats.from_records([{"state": "closed"}])  # type: ignore[list-item]
    with pytest.raises(InvalidValue):
        RatingStats.from_events(["released"])  # type: ignore[list-item]
    with pytest.raises(InvalidValue) as caught:
        RatingStats().scores(min_count=0)
    assert caught.value.field == "min_count"


def test_scores_leave_out_operators_with_too_few_ratings() -> None:
    """scores(min_count=n) maps each operator with n or more ratings to their mean score."""
    router, _ = rated_day()
    stats = RatingStats.from_records(router.dialogs(DialogState.CLOSED))
    assert dict(stats.scores()) == {"ann": 1.75 / 3, "bob": 0.625, "cat": 1.0}
    assert dict(stats.scores(min_count=3)) == {"ann": 1.75 / 3}


def test_the_table_shows_every_row() -> None:
    """render() prints operators, groups, the unassigned row, the total and the unrated count."""
    stats = RatingStats.from_records(
        [
            record("a", "ann", "sales", five(5)),
            record("b", "ann", "sales", five(2)),
            record("c", None, None, like(0)),
            record("d", "bob", None, None),
        ]
    )
    assert stats.render() == "\n".join(
        [
            "ratings by operator",
            "                          rated  positive   mean",
            "  ann                         2       50%   0.62",
            "ratings by group",
            "                          rated  positive   mean",
            "  sales                       2       50%   0.62",
            "no operator (abandoned)       1        0%   0.00",
            "all rated dialogs             3       33%   0.42",
            "closed without a rating: 1",
        ]
    )


def test_the_statistics_are_frozen_values() -> None:
    """Results cannot be changed in place and compare by value."""
    stats = RatingStats.from_records([record("a", "ann", "sales", five(5))])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stats.unrated = 3  # type: ignore[misc]
    assert stats == RatingStats.from_records([record("a", "ann", "sales", five(5))])
    assert hash(stats.by_operator) == hash(
        RatingStats.from_records([record("z", "ann", "x", five(5))]).by_operator
    )


RATINGS = st.one_of(
    st.builds(Rating, scale=st.just(RatingScale.LIKE), value=st.integers(0, 1)),
    st.builds(Rating, scale=st.just(RatingScale.SMILEYS_3), value=st.integers(1, 3)),
    st.builds(Rating, scale=st.just(RatingScale.SMILEYS_5), value=st.integers(1, 5)),
    st.builds(Rating, scale=st.just(RatingScale.TEN), value=st.integers(1, 10)),
)
ROWS = st.lists(
    st.tuples(
        st.sampled_from([None, "ann", "bob", "cat"]),
        st.sampled_from([None, "sales", "support"]),
        st.none() | RATINGS,
    ),
    max_size=30,
)


@given(ROWS)
def test_counts_add_up_and_means_stay_on_the_unit_scale(
    rows: list[tuple[str | None, str | None, Rating | None]],
) -> None:
    """Every rated dialog is counted once per view, means and shares are in 0..1 and match a plain model."""
    records = [record(f"d{i}", op, group, rating) for i, (op, group, rating) in enumerate(rows)]
    stats = RatingStats.from_records(reversed(records))
    rated = [(op, group, r) for op, group, r in rows if r is not None]
    assert stats.unrated == len(rows) - len(rated)
    assert (stats.total.count if stats.total else 0) == len(rated)
    unassigned = stats.unassigned.count if stats.unassigned else 0
    assert sum(s.count for s in stats.by_operator) + unassigned == len(rated)
    assert sum(s.count for s in stats.by_group) == sum(1 for op, g, _ in rated if op is not None and g)
    assert [s.key for s in stats.by_operator] == sorted({op for op, _, _ in rated if op is not None})
    for summary in (*stats.by_operator, *stats.by_group, stats.unassigned, stats.total):
        if summary is None:
            continue
        assert 0.0 <= summary.mean_score <= 1.0
        assert 0.0 <= summary.share_positive <= 1.0
        assert summary.positive + summary.negative <= summary.count
    for summary in stats.by_operator:
        mine = [r.score for op, _, r in rated if op == summary.key]
        assert math.isclose(summary.mean_score, sum(mine) / len(mine))
        assert summary.positive == sum(1 for s in mine if s > 0.5)
    assert stats == RatingStats.from_records(records)


# ----------------------------------------------------------------------- BestRated


@attrs.frozen
class View:
    """A minimal operator view for calling choose() directly."""

    id: str
    status: str = "online"
    load: int = 0
    limit: int = 5
    skills: dict[str, int] = attrs.Factory(dict)
    assigned_total: int = 0
    last_assigned_seq: int = 0


def choose(strategy: Strategy, views: Sequence[OperatorView]) -> str | None:
    """What the strategy picks among these views."""
    return strategy.choose(views, Dialog(id="x"), StrategyContext(now=T0, rng=random.Random(0)))


def test_the_best_score_wins_whatever_the_load() -> None:
    """Among candidates the highest score wins even when that operator is the busiest."""
    strategy = BestRated(scores={"ann": 0.4, "bob": 0.9, "cat": 0.7})
    assert choose(strategy, [View("ann"), View("bob", load=4), View("cat")]) == "bob"


def test_ties_on_the_best_score_go_by_then() -> None:
    """Operators tied on the top score are split by the fallback strategy; the others never get it."""
    strategy = BestRated(scores={"ann": 0.9, "bob": 0.9, "cat": 0.1})
    assert choose(strategy, [View("ann", load=2), View("bob", load=1), View("cat")]) == "bob"
    idle = BestRated(scores={"ann": 0.9, "bob": 0.9}, then=LongestIdle())
    assert choose(idle, [View("ann", last_assigned_seq=1), View("bob", last_assigned_seq=5)]) == "ann"


def test_unrated_operators_come_after_rated_ones_unless_given_a_score() -> None:
    """By default an unrated operator only gets a dialog when no rated one can; unrated=x ranks them at x."""
    views = [View("ann"), View("new")]
    assert choose(BestRated(scores={"ann": 0.1}), views) == "ann"
    assert choose(BestRated(scores={"ann": 0.1}, unrated=0.5), views) == "new"
    assert choose(BestRated(scores={"ann": 0.1}), [View("new"), View("zed", load=1)]) == "new"


def test_best_rated_takes_rating_statistics_directly() -> None:
    """Given RatingStats, the strategy ranks by their per-operator mean scores."""
    stats = RatingStats.from_records([record("a", "ann", None, five(2)), record("b", "bob", None, five(5))])
    strategy = BestRated(scores=stats)
    assert dict(strategy.scores) == {"ann": 0.25, "bob": 1.0}
    assert strategy.score("cat") is None


def test_best_rated_checks_its_arguments() -> None:
    """Non-numeric or infinite scores, a manual fallback and a non-mapping are refused."""
    with pytest.raises(InvalidValue):
        BestRated(scores={"ann": "high"})  # type: ignore[dict-item]
    with pytest.raises(InvalidValue):
        BestRated(scores={"ann": math.inf})
    with pytest.raises(InvalidValue):
        BestRated(scores=[("ann", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        BestRated(then=ManualPool())
    with pytest.raises(InvalidValue):
        BestRated(unrated=True)


def test_a_router_prefers_the_better_rated_operator() -> None:
    """In a real Router the sales group sends dialogs to bob (better rated) until he is full, then to ann."""
    router = Router(desk_config(BestRated(scores={"ann": 0.3, "bob": 0.8})), seed=0)
    picks = [router.route(Dialog(id=f"s{i}", topic="sales"), at(i)).operator_id for i in range(5)]
    assert picks == ["bob", "bob", "bob", "ann", "ann"]
    assert router.dialog("s0").group_id == "sales"


def test_a_router_falls_back_to_then_when_no_one_is_rated() -> None:
    """Without scores BestRated behaves like Even: the load alternates between the members."""
    router = Router(desk_config(BestRated()), seed=0)
    picks = [router.route(Dialog(id=f"s{i}", topic="sales"), at(i)).operator_id for i in range(4)]
    assert picks == ["ann", "bob", "ann", "bob"]


def test_ratings_from_one_day_steer_the_next() -> None:
    """Scores from yesterday's closed dialogs send today's sales dialog to the better-rated member."""
    yesterday, _ = rated_day()
    stats = RatingStats.from_records(yesterday.dialogs(DialogState.CLOSED))
    assert stats.scores()["bob"] > stats.scores()["ann"]
    today = Router(desk_config(BestRated(scores=stats)), seed=0)
    decision = today.route(Dialog(id="n1", topic="sales"), at(0))
    assert decision.operator_id == "bob"
    assert "BestRated (highest rating first, then Even (least loaded first))" in decision.explain()


def test_best_rated_round_trips_once_registered() -> None:
    """Registered with chatroute.serialize, the strategy survives to_dict / from_dict inside a config."""
    register(BestRated, "best_rated")
    strategy = BestRated(scores={"ann": 0.25}, then=LongestIdle(), unrated=0.5)
    assert to_dict(strategy) == {
        "kind": "best_rated",
        "scores": {"ann": 0.25},
        "then": {"kind": "longest_idle"},
        "unrated": 0.5,
    }
    assert from_dict(Strategy, to_dict(strategy)) == strategy  # type: ignore[type-abstract]
    config = desk_config(strategy)
    assert RoutingConfig.from_dict(config.to_dict()) == config


def test_then_defaults_to_even() -> None:
    """BestRated() falls back to Even and has no scores."""
    assert BestRated() == BestRated(scores={}, then=Even(), unrated=None)


# -------------------------------------------------------------------------- menus


def tiny_menu() -> Menu:
    """Two answers and a handover under one question."""
    return Menu(
        root=Question(
            id="start",
            text="?",
            choices=[
                Choice(key="1", label="Hours", next=Answer(id="hours", text="9-21")),
                Choice(key="2", label="Price", next=Answer(id="price", text="See /prices")),
                Choice(key="3", label="Human", next=Handover(id="human", target=Target.group("sales"))),
            ],
        )
    )


def test_menu_stats_count_sessions_by_outcome_and_leaf() -> None:
    """Final states are counted as resolved, handed over or abandoned, and per leaf."""
    menu = tiny_menu()
    states = [menu.replay(p) for p in (["1"], ["1"], ["2"], ["3"], [])]
    stats = MenuStats.from_states(states)
    assert (stats.started, stats.resolved, stats.handed_over, stats.abandoned) == (5, 3, 1, 1)
    assert dict(stats.by_leaf) == {"hours": 2, "human": 1, "price": 1}
    assert dict(stats.abandoned_at) == {"start": 1}
    assert stats.share_resolved == 0.6
    assert stats.share_handed_over == 0.2


def test_menu_stats_with_the_menu_list_every_leaf() -> None:
    """Given the menu, unused leaves appear with zero and a foreign state is refused."""
    menu = tiny_menu()
    stats = MenuStats.from_states([menu.replay(["3"])], menu)
    assert dict(stats.by_leaf) == {"hours": 0, "human": 1, "price": 0}
    with pytest.raises(UnknownNode):
        MenuStats.from_states([MenuState(node_id="other")], menu)
    with pytest.raises(InvalidValue):
        MenuStats.from_states(["start"])  # type: ignore[list-item]


def test_menu_stats_without_sessions_have_no_shares() -> None:
    """No sessions: every count is zero and the shares are None, not a division by zero."""
    stats = MenuStats.from_states([])
    assert stats == MenuStats()
    assert stats.share_resolved is None
    assert "resolved by the menu: 0 (-)" in stats.render()


def test_menu_stats_render_a_summary() -> None:
    """render() prints the counts with shares, then the leaves and where clients stopped."""
    menu = tiny_menu()
    stats = MenuStats.from_states([menu.replay(["1"]), menu.replay(["3"]), menu.start(), menu.replay(["1"])])
    assert stats.render() == "\n".join(
        [
            "menu sessions:        4",
            "resolved by the menu: 2 (50%)",
            "handed to operators:  1 (25%)",
            "abandoned:            1 (25%)",
            "ended at",
            "  hours                    2",
            "  human                    1",
            "abandoned at",
            "  start                    1",
        ]
    )


def test_best_rated_takes_its_scores_by_position() -> None:
    """BestRated(scores) is BestRated(scores=scores); its other options stay keywords."""
    assert BestRated({"ann": 0.9}, then=LongestIdle()) == BestRated(scores={"ann": 0.9}, then=LongestIdle())
