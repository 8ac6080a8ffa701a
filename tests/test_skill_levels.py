"""Picks of dialogs that require a skill few operators have (``chatroute._skill_levels``).

The router reads a target's available members by skill level once a pick has walked
past many who lack a required skill; its choice must stay the one a brute-force
minimum over every operator gives, while operators take dialogs, release them and
change status.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Dialog,
    Even,
    LongestIdle,
    MostAvailable,
    Operator,
    OperatorState,
    RandomWithinLimit,
    Relax,
    RoundRobin,
    Router,
    RoutingConfig,
    SkillBased,
)
from chatroute._skill_levels import WALK, SkillLevels
from chatroute._state import RankedIndex
from chatroute.strategies import OperatorView, Ranked, Strategy, StrategyContext

from .strategies import START

SKILL = "printing"
DESK = 3 * WALK  # enough operators lacking the skill for a walk to give up

_strategies = st.sampled_from(
    [Even(), Even(by_ratio=True), LongestIdle(), MostAvailable(), SkillBased(SKILL), SkillBased("other")]
)
# mostly nobody has the skill; a few at some level
_levels = st.one_of(st.just(0), st.just(0), st.just(0), st.integers(1, 10))
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("route"), st.integers(0, 10), st.integers(0, 3)),
        st.tuples(st.just("release"), st.integers(0, 10**6), st.just(0)),
        st.tuples(st.just("status"), st.integers(0, DESK - 1), st.integers(0, 1)),
    ),
    min_size=10,
    max_size=60,
)


def _best(strategy: Ranked, states: tuple[OperatorState, ...], dialog: Dialog) -> str | None:
    """The brute-force pick: the strategy's choice among every operator who can take the dialog."""
    found = [
        s
        for s in states
        if s.status == "online"
        and s.load + 1 <= s.limit
        and all(s.skills.get(skill, 0) >= level for skill, level in dialog.required_skills.items())
    ]
    ctx = StrategyContext(now=START, rng=random.Random(0))
    return strategy.choose(sorted(found, key=lambda s: s.id), dialog, ctx) if found else None


def _desk(levels: list[int], others: list[int], limits: list[int]) -> list[Operator]:
    """Online operators with the given levels of the skill and of another, and limits."""
    return [
        Operator(
            id=f"op{i:03d}",
            status="online",
            limit=limit,
            skills={k: v for k, v in ((SKILL, level), ("other", other)) if v},
        )
        for i, (level, other, limit) in enumerate(zip(levels, others, limits, strict=True))
    ]


@given(
    strategy=_strategies,
    levels=st.lists(_levels, min_size=DESK, max_size=DESK),
    others=st.lists(st.integers(0, 3), min_size=DESK, max_size=DESK),
    limits=st.lists(st.integers(1, 3), min_size=DESK, max_size=DESK),
    steps=_steps,
)
def test_a_pick_by_skill_level_is_the_brute_force_best(
    strategy: Ranked,
    levels: list[int],
    others: list[int],
    limits: list[int],
    steps: list[tuple[str, int, int]],
) -> None:
    """Whatever the loads and statuses, a dialog that requires skill levels goes to the best-ranked of all
    operators who meet them, as a scan over every operator finds."""
    operators = _desk(levels, others, limits)
    router = Router(RoutingConfig(operators=operators, strategy=strategy, explain=False), seed=1)
    routed: list[str] = []  # open dialogs, assigned or waiting
    now = START
    for n, (kind, a, b) in enumerate(steps):
        now += timedelta(seconds=1)
        if kind == "route":
            needs = {k: v for k, v in ((SKILL, a), ("other", b)) if v}
            relax = [Relax(skill=SKILL, steps=[(30, 1)])] if a else []
            dialog = Dialog(id=f"d{n}", required_skills=needs, relax=relax)
            expected = _best(strategy, router.snapshot().operators, dialog)
            assert router.route(dialog, now).operator_id == expected
            routed.append(dialog.id)
        elif kind == "release" and routed:
            router.release(routed.pop(a % len(routed)), now)
        elif kind == "status":
            router.set_status(operators[a].id, ("online", "away")[b], now)


def _keyed(op_id: str) -> tuple[int, str]:
    return (int(op_id[2:]) % 7, op_id)


def test_levels_answer_the_best_at_the_level_or_above() -> None:
    """The best member at level 5 or more is the best-ranked of levels 5..10, past those who do not fit."""
    levels = SkillLevels()
    for op_id, level in [("op1", 3), ("op2", 5), ("op3", 9), ("op9", 6), ("op8", 10)]:
        levels.level(level, _keyed).put(op_id, _keyed(op_id))
    assert levels.count(5) == 4
    assert levels.first(5, lambda op_id: True) == "op8"
    assert levels.first(5, lambda op_id: op_id != "op8") == "op2"  # (2, 'op2') before (2, 'op9')
    assert levels.first(10, lambda op_id: op_id != "op8") is None


def test_a_walk_gives_up_after_its_skips() -> None:
    """A walk that passes more unfit operators than allowed says it gave up, and leaves the index whole."""
    index = RankedIndex(_keyed)
    for i in range(10):
        index.put(f"op{i}", (i, f"op{i}"))
    assert index.walk(lambda op_id: op_id == "op8", 3) == (None, False)
    assert index.walk(lambda op_id: op_id == "op8", 8) == ("op8", True)
    assert index.walk(lambda op_id: False, None) == (None, True)
    assert list(index) == [f"op{i}" for i in range(10)]


class _ScannedRoundRobin(RoundRobin):
    """RoundRobin's choice, made by a scan over every operator who can take the dialog."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return RoundRobin.choose(self, candidates, dialog, ctx)


class _ScannedRandom(RandomWithinLimit):
    """RandomWithinLimit's draw, made by a scan over every operator who can take the dialog."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return RandomWithinLimit.choose(self, candidates, dialog, ctx)


@given(
    pair=st.sampled_from(
        [(RoundRobin(), _ScannedRoundRobin()), (RandomWithinLimit(seed=7), _ScannedRandom(seed=7))]
    ),
    levels=st.lists(_levels, min_size=DESK, max_size=DESK),
    others=st.lists(st.integers(0, 3), min_size=DESK, max_size=DESK),
    limits=st.lists(st.integers(1, 3), min_size=DESK, max_size=DESK),
    steps=_steps,
)
def test_a_turn_or_draw_by_skill_level_is_the_scan_over_everyone(
    pair: tuple[Strategy, Strategy],
    levels: list[int],
    others: list[int],
    limits: list[int],
    steps: list[tuple[str, int, int]],
) -> None:
    """Whatever the loads and statuses, RoundRobin's next in turn and RandomWithinLimit's draw for a dialog
    that requires skill levels are the ones a scan over every operator makes, with the same random draws."""
    operators = _desk(levels, others, limits)
    indexed, scanned = (
        Router(RoutingConfig(operators=operators, strategy=strategy, explain=False), seed=1)
        for strategy in pair
    )
    routed: list[str] = []  # open dialogs, assigned or waiting
    now = START
    for n, (kind, a, b) in enumerate(steps):
        now += timedelta(seconds=1)
        if kind == "route":
            needs = {k: v for k, v in ((SKILL, a), ("other", b)) if v}
            relax = [Relax(skill=SKILL, steps=[(30, 1)])] if a else []
            dialog = Dialog(id=f"d{n}", required_skills=needs, relax=relax)
            assert indexed.route(dialog, now).operator_id == scanned.route(dialog, now).operator_id
            routed.append(dialog.id)
        elif kind == "release" and routed:
            dialog_id = routed.pop(a % len(routed))
            assert indexed.release(dialog_id, now) == scanned.release(dialog_id, now)
        elif kind == "status":
            status = ("online", "away")[b]
            assert indexed.set_status(operators[a].id, status, now) == scanned.set_status(
                operators[a].id, status, now
            )
        assert indexed.snapshot().operators == scanned.snapshot().operators
