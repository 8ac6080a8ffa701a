"""Distribution strategies: what each built-in picks, and how that differs from Even.

Every scenario is driven through the real :class:`Router`. Loads are set up with one
"pin" rule per operator (``topic == "for-<id>"`` goes to ``Target.operator(id)``), so the
order of the pinned dialogs also fixes who was assigned least recently.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Client,
    Dialog,
    Group,
    InvalidValue,
    Operator,
    Outcome,
    Reason,
    Router,
    RoutingConfig,
    Rule,
    Target,
)
from chatroute.rules import topic
from chatroute.strategies import (
    Even,
    LongestIdle,
    ManualPool,
    MostAvailable,
    OperatorView,
    RandomWithinLimit,
    Ranked,
    RoundRobin,
    SkillBased,
    Sticky,
    Strategy,
    StrategyContext,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed time ``seconds`` after the start of the test morning."""
    return T0 + timedelta(seconds=seconds)


def online(op_id: str, *, limit: int | None = None, skills: dict[str, int] | None = None) -> Operator:
    """An operator who starts online."""
    return Operator(id=op_id, name=op_id.title(), status="online", limit=limit, skills=skills or {})


def pin(op_id: str) -> Rule:
    """A rule sending ``topic == "for-<id>"`` straight to that operator."""
    return Rule(name=f"pin {op_id}", when=topic(f"for-{op_id}"), to=Target.operator(op_id))


def work_router(
    strategy: Strategy,
    operators: Sequence[Operator],
    *,
    extra_groups: Sequence[Group] = (),
    extra_rules: Sequence[Rule] = (),
    seed: int = 0,
) -> Router:
    """A router whose group ``work`` holds every operator and uses ``strategy``.

    Dialogs with topic ``work`` go to the group; ``for-<id>`` topics are pinned.
    """
    ids = [op.id for op in operators]
    config = RoutingConfig(
        operators=operators,
        groups=[Group(id="work", name="Work", operator_ids=ids, strategy=strategy), *extra_groups],
        rules=[
            *(pin(op_id) for op_id in ids),
            Rule(name="work", when=topic("work"), to=Target.group("work")),
            *extra_rules,
        ],
    )
    return Router(config, seed=seed)


def load(router: Router, op_ids: Iterable[str], now: datetime = T0) -> list[str]:
    """Route one pinned dialog per id, in order; returns the dialog ids."""
    made = []
    for op_id in op_ids:
        dialog_id = f"pin-{op_id}-{router.operator(op_id).assigned_total}"
        decision = router.route(Dialog(id=dialog_id, topic=f"for-{op_id}"), now)
        assert decision.operator_id == op_id, decision.explain()
        made.append(dialog_id)
    return made


def pick(
    strategy: Strategy,
    operators: Sequence[Operator],
    pinned: Sequence[str] = (),
    *,
    dialog: Dialog | None = None,
    client: Client | None = None,
    seed: int = 0,
) -> str | None:
    """Who ``strategy`` picks in group ``work`` after the pinned dialogs (None: queued)."""
    router = work_router(strategy, operators, seed=seed)
    load(router, pinned)
    decision = router.route(dialog or Dialog(id="new", topic="work"), at(1), client=client)
    return decision.operator_id


THREE = [online("a"), online("b"), online("c")]


# ---------------------------------------------------------------------- Even


def test_even_picks_the_least_loaded_operator() -> None:
    """Even gives the dialog to whoever has the fewest open dialogs."""
    assert pick(Even(), THREE, pinned=["a", "a", "c"]) == "b"
    assert pick(Even(), THREE, pinned=["a", "b", "b", "c"]) == "a"


def test_even_breaks_load_ties_by_longest_idle_then_id() -> None:
    """Among equally loaded operators the least recently assigned wins, then the smallest id."""
    assert pick(Even(), THREE, pinned=["c", "a", "b"]) == "c"
    assert pick(Even(), THREE, pinned=["b", "a", "c"]) == "b"
    assert pick(Even(), THREE) == "a"


def test_even_livetex_example_gives_natalia_the_dialog() -> None:
    """LiveTex: limit 5, loads Natalia 1, Tatiana 3, Maxim 5: Natalia gets it."""
    ops = [online(name, limit=5) for name in ("natalia", "tatiana", "maxim")]
    assert pick(Even(), ops, pinned=["natalia"] + ["tatiana"] * 3 + ["maxim"] * 5) == "natalia"


# --------------------------------------------------------------- LongestIdle


def test_longest_idle_picks_least_recently_assigned_even_if_more_loaded() -> None:
    """LongestIdle ignores load: 'a' (two dialogs, assigned first) beats 'b' (one, assigned later)."""
    ops = [online("a"), online("b")]
    pinned = ["a", "a", "b"]
    assert pick(Even(), ops, pinned) == "b"
    assert pick(LongestIdle(), ops, pinned) == "a"


def test_longest_idle_prefers_someone_never_assigned() -> None:
    """An operator who has had no dialog yet is the longest idle of all."""
    assert pick(LongestIdle(), THREE, pinned=["a", "b"]) == "c"
    assert pick(LongestIdle(), THREE, pinned=["c", "b", "a"]) == "c"


# ------------------------------------------------------------- MostAvailable


def test_most_available_counts_free_capacity_not_load() -> None:
    """A limit-8 operator with load 3 (5 free) beats a limit-3 operator with load 1 (2 free)."""
    ops = [online("big", limit=8), online("small", limit=3)]
    pinned = ["big", "big", "big", "small"]
    assert pick(Even(), ops, pinned) == "small"
    assert pick(MostAvailable(), ops, pinned) == "big"


def test_most_available_ties_go_to_longest_idle() -> None:
    """Equal free capacity: the least recently assigned wins."""
    ops = [online("a", limit=4), online("b", limit=6)]
    pinned = ["b", "b", "b", "a"]
    assert pick(Even(), ops, pinned) == "a"
    assert pick(MostAvailable(), ops, pinned) == "b"


# ------------------------------------------------------------- by load ratio


def test_even_by_ratio_weighs_load_against_the_limit() -> None:
    """Load 2 of 8 (25 %) beats load 1 of 2 (50 %) by ratio, though plain Even picks the lower load."""
    ops = [online("big", limit=8), online("small", limit=2)]
    pinned = ["big", "big", "small"]
    assert pick(Even(), ops, pinned) == "small"
    assert pick(Even(by_ratio=True), ops, pinned) == "big"


def test_most_available_by_ratio_prefers_the_larger_free_share() -> None:
    """3 free of 4 (75 %) beats 5 free of 10 (50 %) by ratio, though 5 free is more seats."""
    ops = [online("big", limit=10), online("small", limit=4)]
    pinned = ["big"] * 5 + ["small"]
    assert pick(MostAvailable(), ops, pinned) == "big"
    assert pick(MostAvailable(by_ratio=True), ops, pinned) == "small"


def test_ratio_ties_go_to_longest_idle() -> None:
    """Equal ratios (1 of 2, 2 of 4): the operator assigned least recently wins."""
    ops = [online("a", limit=2), online("b", limit=4)]
    assert pick(Even(by_ratio=True), ops, ["b", "a", "b"]) == "a"
    assert pick(Even(by_ratio=True), ops, ["a", "b", "b"]) == "a"
    assert pick(Even(by_ratio=True), ops, ["b", "b", "a"]) == "b"


def test_set_limit_reranks_by_ratio() -> None:
    """Raising a limit at run time lowers that operator's ratio, and the next pick follows it."""
    ops = [online("a", limit=4), online("b", limit=4)]
    router = work_router(Even(by_ratio=True), ops)
    load(router, ["a", "a", "b"])  # a 2/4, b 1/4
    router.set_limit("a", 10, now=at(1))  # a 2/10 now
    assert router.route(Dialog(id="new", topic="work"), at(2)).operator_id == "a"
    router.set_limit("a", 4, now=at(3))  # a 3/4, b 1/4
    assert router.route(Dialog(id="new2", topic="work"), at(4)).operator_id == "b"


def test_by_ratio_must_be_a_flag() -> None:
    """``by_ratio`` refuses anything but a bool, naming the field."""
    with pytest.raises(InvalidValue, match="by_ratio"):
        Even(by_ratio="yes")  # type: ignore[arg-type]


def test_by_ratio_describes_itself() -> None:
    """The trace's strategy line says the ranking is by ratio."""
    assert "share of the limit" in Even(by_ratio=True).describe()
    assert "share of the limit" in MostAvailable(by_ratio=True).describe()


# ---------------------------------------------------------------- SkillBased


SKILLED = [
    online("a", skills={"en": 3, "billing": 8}),
    online("b", skills={"en": 9, "billing": 2}),
    online("c", skills={"en": 6, "billing": 5}),
    online("d"),
]


def test_skill_based_picks_the_highest_level_first() -> None:
    """SkillBased('en') sends the dialog to the best English speaker, even a busier one."""
    assert pick(Even(), SKILLED, pinned=["b", "b"]) == "a"
    assert pick(SkillBased(skill="en"), SKILLED, pinned=["b", "b"]) == "b"


def test_skill_based_respects_required_skill_minimums() -> None:
    """A dialog needing billing 5 skips 'b' (billing 2) and goes to the next best in English."""
    dialog = Dialog(id="new", topic="work", required_skills={"billing": 5})
    assert pick(SkillBased(skill="en"), SKILLED, dialog=dialog) == "c"
    assert pick(Even(), SKILLED, dialog=dialog) == "a"


def test_skill_based_ties_in_level_go_to_the_least_loaded() -> None:
    """Two operators at the same level: the one with fewer open dialogs wins."""
    ops = [online("a", skills={"en": 7}), online("b", skills={"en": 7}), online("c", skills={"en": 2})]
    assert pick(SkillBased(skill="en"), ops, pinned=["a"]) == "b"


def test_skill_based_queues_when_nobody_has_the_required_level() -> None:
    """Nobody reaching the required level: the dialog waits, every member excluded for skill."""
    router = work_router(SkillBased(skill="en"), SKILLED)
    decision = router.route(Dialog(id="new", topic="work", required_skills={"en": 10}), T0)
    assert decision.outcome is Outcome.QUEUED
    assert decision.trace is not None
    assert decision.trace.reasons() == {Reason.MISSING_SKILL: 4}
    assert decision.trace.excluded() == dict.fromkeys("abc", Reason.MISSING_SKILL)  # the first three listed


def test_skill_based_needs_a_skill_name() -> None:
    """An empty skill name is refused."""
    with pytest.raises(ValueError, match="skill"):
        SkillBased(skill="")


# ---------------------------------------------------------------- RoundRobin


def _alternating_picks(strategy: Strategy) -> list[str | None]:
    """Group 'work' gets two dialogs, group 'side' (only 'a') one, then 'work' two more."""
    side = Group(id="side", name="Side", operator_ids=["a"])
    router = work_router(
        strategy,
        THREE,
        extra_groups=[side],
        extra_rules=[Rule(name="side", when=topic("side"), to=Target.group("side"))],
    )
    topics = ["work", "work", "side", "work", "work"]
    return [router.route(Dialog(id=f"d{i}", topic=t), at(i)).operator_id for i, t in enumerate(topics)]


def test_round_robin_takes_turns_in_id_order_per_group() -> None:
    """RoundRobin cycles a, b, c, a inside a group; a dialog from another group does not move 'a' back."""
    assert _alternating_picks(RoundRobin()) == ["a", "b", "a", "c", "a"]


def test_longest_idle_differs_from_round_robin_across_groups() -> None:
    """LongestIdle counts the other group's dialog: after c, 'b' (idle longer than 'a') is next."""
    assert _alternating_picks(LongestIdle()) == ["a", "b", "a", "c", "b"]


def test_round_robin_turns_of_two_groups_are_independent() -> None:
    """Each group keeps its own turn: group 'side' starts at its first member whatever 'work' did."""
    side = Group(id="side", name="Side", operator_ids=["a", "b", "c"], strategy=RoundRobin())
    router = work_router(
        RoundRobin(),
        THREE,
        extra_groups=[side],
        extra_rules=[Rule(name="side", when=topic("side"), to=Target.group("side"))],
    )
    picks = [
        router.route(Dialog(id=f"d{i}", topic=t), at(i)).operator_id
        for i, t in enumerate(["work", "work", "side", "side", "work", "side"])
    ]
    assert picks == ["a", "b", "a", "b", "c", "c"]


def test_round_robin_skips_ineligible_members_and_wraps() -> None:
    """A member at the limit loses the turn; the turn wraps around past the last id."""
    ops = [online("a"), online("b", limit=1), online("c")]
    router = work_router(RoundRobin(), ops)
    load(router, ["b"])
    picks = [router.route(Dialog(id=f"d{i}", topic="work"), at(i)).operator_id for i in range(4)]
    assert picks == ["a", "c", "a", "c"]


# --------------------------------------------------------- RandomWithinLimit


LIVETEX = ["natalia", "tatiana", "maxim"]
LIVETEX_LOADS = ["natalia"] + ["tatiana"] * 3 + ["maxim"] * 5


def test_random_within_limit_livetex_never_gives_maxim_a_sixth_dialog() -> None:
    """1,000 seeded trials (seeds 0..999): only Natalia or Tatiana, each at least 300 times."""
    ops = [online(name, limit=5) for name in LIVETEX]
    counts = Counter(
        pick(RandomWithinLimit(seed=seed), ops, pinned=LIVETEX_LOADS, seed=seed) for seed in range(1000)
    )
    assert set(counts) == {"natalia", "tatiana"}
    assert counts["natalia"] >= 300
    assert counts["tatiana"] >= 300
    assert counts["natalia"] + counts["tatiana"] == 1000


def test_random_within_limit_only_picks_operators_under_their_limit() -> None:
    """With limit 1 each, three dialogs go to three different operators and the fourth waits."""
    ops = [online(op_id, limit=1) for op_id in ("a", "b", "c")]
    router = work_router(RandomWithinLimit(seed=7), ops)
    decisions = [router.route(Dialog(id=f"d{i}", topic="work"), at(i)) for i in range(4)]
    assert sorted(str(d.operator_id) for d in decisions[:3]) == ["a", "b", "c"]
    assert decisions[3].outcome is Outcome.QUEUED
    assert decisions[3].trace is not None
    assert decisions[3].trace.reasons() == {Reason.AT_LIMIT: 3}


def _random_sequence(strategy: RandomWithinLimit, router_seed: int, n: int = 30) -> list[str | None]:
    """``n`` picks in a row, each dialog released at once so loads stay at zero."""
    ops = [online(op_id) for op_id in ("a", "b", "c", "d")]
    router = work_router(strategy, ops, seed=router_seed)
    picks = []
    for i in range(n):
        decision = router.route(Dialog(id=f"d{i}", topic="work"), at(i))
        picks.append(decision.operator_id)
        router.release(f"d{i}", at(i))
    return picks


def test_random_within_limit_is_reproducible_for_a_seed() -> None:
    """The same strategy seed gives the same picks, whatever the router seed."""
    first = _random_sequence(RandomWithinLimit(seed=42), router_seed=0)
    assert first == _random_sequence(RandomWithinLimit(seed=42), router_seed=0)
    assert first == _random_sequence(RandomWithinLimit(seed=42), router_seed=99)
    assert set(first) == {"a", "b", "c", "d"}


def test_random_within_limit_different_seeds_differ() -> None:
    """Different strategy seeds (or router seeds, without a strategy seed) give different picks."""
    assert _random_sequence(RandomWithinLimit(seed=1), 0) != _random_sequence(RandomWithinLimit(seed=2), 0)
    unseeded = RandomWithinLimit()
    assert _random_sequence(unseeded, 1) == _random_sequence(unseeded, 1)
    assert _random_sequence(unseeded, 1) != _random_sequence(unseeded, 2)


def test_random_within_limit_respects_required_skills() -> None:
    """Random choice never lands on someone lacking a required skill."""
    ops = [online("a", skills={"de": 5}), online("b"), online("c"), online("d", skills={"de": 9})]
    for seed in range(40):
        dialog = Dialog(id="new", topic="work", required_skills={"de": 4})
        assert pick(RandomWithinLimit(seed=seed), ops, dialog=dialog) in {"a", "d"}


# -------------------------------------------------------------------- Sticky


def test_sticky_returns_a_client_to_their_last_operator() -> None:
    """The client's last operator gets the next dialog where Even would pick someone idle longer."""
    for strategy, expected in ((Sticky(), "a"), (Even(), "b")):
        router = work_router(strategy, THREE)
        assert router.route(Dialog(id="d1", client_id="k", topic="work"), at(0)).operator_id == "a"
        router.release("d1", at(10))
        assert router.route(Dialog(id="d2", client_id="k", topic="work"), at(20)).operator_id == expected


def test_sticky_prefers_the_preferred_operator_over_the_last_one() -> None:
    """A managing (preferred) operator comes before the last operator."""
    client = Client(id="k", preferred_operator_id="c", last_operator_id="b")
    dialog = Dialog(id="new", client_id="k", topic="work")
    assert pick(Sticky(), THREE, dialog=dialog, client=client) == "c"
    assert pick(Sticky(), THREE, pinned=["c", "c"], dialog=dialog, client=client) == "c"
    only_last = Client(id="k", last_operator_id="b")
    assert pick(Sticky(), THREE, dialog=dialog, client=only_last) == "b"


def test_sticky_skips_a_preferred_operator_who_cannot_take_it() -> None:
    """Preferred operator at the limit: the last operator is next in line."""
    ops = [online("a"), online("b"), online("c", limit=1)]
    client = Client(id="k", preferred_operator_id="c", last_operator_id="b")
    dialog = Dialog(id="new", client_id="k", topic="work")
    assert pick(Sticky(), ops, pinned=["c"], dialog=dialog, client=client) == "b"


def test_sticky_falls_back_to_then_when_the_favourite_is_at_limit() -> None:
    """Favourite at the limit: ``then`` (Even by default) picks instead."""
    ops = [online("a"), online("b", limit=1), online("c")]
    client = Client(id="k", last_operator_id="b")
    dialog = Dialog(id="new", client_id="k", topic="work")
    assert pick(Sticky(), ops, pinned=["b", "a"], dialog=dialog, client=client) == "c"
    assert pick(Sticky(then=LongestIdle()), ops, pinned=["b", "c", "a"], dialog=dialog, client=client) == "c"


def test_sticky_falls_back_when_the_favourite_is_offline() -> None:
    """Favourite offline: ``then`` picks among those online."""
    ops = [online("a"), Operator(id="b", status="offline"), online("c")]
    client = Client(id="k", preferred_operator_id="b")
    dialog = Dialog(id="new", client_id="k", topic="work")
    assert pick(Sticky(), ops, pinned=["a"], dialog=dialog, client=client) == "c"


def test_sticky_without_a_client_behaves_like_then() -> None:
    """No client known: Sticky is its ``then`` strategy."""
    assert pick(Sticky(), THREE, pinned=["a", "c"]) == "b"
    assert pick(Sticky(then=MostAvailable()), THREE, pinned=["a", "c"]) == "b"


@pytest.mark.parametrize("then", [ManualPool(), Sticky(), "Even"])
def test_sticky_refuses_manual_sticky_or_non_strategy_then(then: object) -> None:
    """``then`` must be an automatic, non-sticky strategy."""
    with pytest.raises(InvalidValue) as info:
        Sticky(then=then)  # type: ignore[arg-type]
    assert info.value.field == "then"


# ---------------------------------------------------------------- ManualPool


def test_manual_pool_assigns_nobody_even_with_free_operators() -> None:
    """ManualPool leaves every dialog in the pool for operators to claim."""
    router = work_router(ManualPool(), THREE)
    decision = router.route(Dialog(id="d1", topic="work"), T0)
    assert (decision.outcome, decision.operator_id, decision.pool) == (Outcome.QUEUED, None, True)
    assert decision.reason is None
    assert router.claimable("b") == ("d1",)
    assert [op.load for op in router.operators()] == [0, 0, 0]
    assert pick(Even(), THREE) == "a"


# ------------------------------------------------------------ custom strategies


@attrs.frozen(kw_only=True)
class LastById(Strategy):
    """A custom strategy with only ``choose``: the candidate with the largest id."""

    seen: list[tuple[list[str], StrategyContext]] = attrs.field(factory=list, eq=False)

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        self.seen.append(([c.id for c in candidates], ctx))
        return candidates[-1].id


def test_custom_choose_strategy_is_used_by_the_router() -> None:
    """A choose-only strategy picks among eligible candidates, sorted by id, with the context."""
    strategy = LastById()
    ops = [online("a"), online("b"), online("c", limit=1), Operator(id="d", status="away")]
    router = work_router(strategy, ops)
    load(router, ["c"])
    decision = router.route(Dialog(id="d1", client_id="k", topic="work"), at(5))
    assert decision.operator_id == "b"
    candidates, ctx = strategy.seen[-1]
    assert candidates == ["a", "b"]
    assert ctx.now == at(5)
    assert ctx.client == Client(id="k")
    assert ctx.last_pick is None
    router.route(Dialog(id="d2", topic="work"), at(6))
    assert strategy.seen[-1][1].last_pick == "b"


@attrs.frozen(kw_only=True)
class Nobody(Strategy):
    """A custom strategy that never picks."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return None


def test_custom_strategy_returning_none_queues_the_dialog() -> None:
    """A custom strategy may decline: the dialog waits in the target's queue."""
    router = work_router(Nobody(), THREE)
    decision = router.route(Dialog(id="d1", topic="work"), T0)
    assert decision.outcome is Outcome.QUEUED
    assert decision.position == 1
    assert router.queue(Target.group("work")) == ("d1",)


@attrs.frozen(kw_only=True)
class FewestToday(Ranked):
    """A custom ranked strategy with only ``key``: fewest dialogs taken so far."""

    def key(self, op: OperatorView) -> tuple[object, ...]:
        return (op.assigned_total, op.id)


def test_custom_ranked_key_is_used_by_the_router() -> None:
    """FewestToday picks 'b' (one dialog so far) where Even picks 'a' (three, all closed)."""
    ops = [online("a"), online("b")]
    for strategy, expected in ((FewestToday(), "b"), (Even(), "a")):
        router = work_router(strategy, ops)
        for dialog_id in load(router, ["a", "a", "a"]):
            router.release(dialog_id, at(1))
        load(router, ["b"], at(1))
        assert router.route(Dialog(id="new", topic="work"), at(2)).operator_id == expected


def test_custom_ranked_choose_is_the_reference_min_by_key() -> None:
    """``Ranked.choose`` is ``min(candidates, key=key)`` over the router's operator states."""
    router = work_router(FewestToday(), [online("a"), online("b"), online("c")])
    load(router, ["a", "a", "c"])
    ctx = StrategyContext(now=T0, rng=random.Random(0))
    assert FewestToday().choose(router.operators(), Dialog(id="x"), ctx) == "b"


@attrs.frozen(kw_only=True)
class Backwards(RoundRobin):
    """A RoundRobin subclass whose ``choose`` takes the candidate with the largest id."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return max(c.id for c in candidates)


@attrs.frozen(kw_only=True)
class LargestId(Even):
    """An Even subclass whose ``choose`` takes the candidate with the largest id, whatever the load."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return max(c.id for c in candidates)


@pytest.mark.parametrize("strategy", [Backwards(), LargestId(), Sticky(then=Backwards())])
def test_a_subclass_that_overrides_choose_is_picked_for_by_its_choose(strategy: Strategy) -> None:
    """The router picks through the subclass's own ``choose``, not the built-in's index: 'c' every time."""
    for explain in (True, False):
        router = work_router(strategy, THREE)
        router = Router(attrs.evolve(router.config, explain=explain))
        picks = [router.route(Dialog(id=f"d{i}", topic="work"), at(i)).operator_id for i in range(3)]
        assert picks == ["c", "c", "c"]


# ------------------------------------------------ indexed pick == reference choose


RANKED: list[Ranked] = [
    Even(),
    Even(by_ratio=True),
    LongestIdle(),
    MostAvailable(),
    MostAvailable(by_ratio=True),
    SkillBased(skill="en"),
    FewestToday(),
]


@given(
    limits=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=5),
    data=st.data(),
)
def test_ranked_index_pick_agrees_with_reference_choose(limits: list[int], data: st.DataObject) -> None:
    """For every ranked strategy, the router's indexed pick equals ``choose`` over eligible operators."""
    ids = [f"op{i}" for i in range(len(limits))]
    statuses = data.draw(st.lists(st.sampled_from(["online", "away"]), min_size=len(ids), max_size=len(ids)))
    skills = data.draw(st.lists(st.integers(1, 10), min_size=len(ids), max_size=len(ids)))
    order = data.draw(st.lists(st.sampled_from(ids), max_size=8))
    for strategy in RANKED:
        ops = [
            Operator(id=op_id, status="online", limit=limit, skills={"en": level})
            for op_id, limit, level in zip(ids, limits, skills, strict=True)
        ]
        router = work_router(strategy, ops)
        for op_id in order:
            if router.operator(op_id).load < router.operator(op_id).limit:
                load(router, [op_id])
        for op_id, status in zip(ids, statuses, strict=True):
            router.set_status(op_id, status, at(1))
        eligible = [op for op in router.operators() if op.status == "online" and op.load < op.limit]
        decision = router.route(Dialog(id="new", topic="work"), at(2))
        if not eligible:
            assert decision.outcome is Outcome.QUEUED
            continue
        ctx = StrategyContext(now=at(2), rng=random.Random(0))
        assert decision.operator_id == strategy.choose(eligible, Dialog(id="new"), ctx), strategy


@pytest.mark.parametrize(
    ("by_position", "by_keyword"),
    [
        (lambda: SkillBased("printing"), lambda: SkillBased(skill="printing")),
        (lambda: RandomWithinLimit(7), lambda: RandomWithinLimit(seed=7)),
        (lambda: Sticky(RoundRobin()), lambda: Sticky(then=RoundRobin())),
    ],
)
def test_a_strategy_with_one_option_takes_it_by_position(
    by_position: Callable[[], Strategy], by_keyword: Callable[[], Strategy]
) -> None:
    """SkillBased("printing") is SkillBased(skill="printing"); likewise the other one-option strategies."""
    assert by_position() == by_keyword()
