"""The express route (``chatroute._express``) decides exactly what the general path decides.

Each test plays the same calls on a router and on one whose express route is switched
off (no lanes), and requires the same decisions, events and snapshots after every call: the same
operators, the same random draws, the same records, and (with explanations on) the same traces.
"""

from __future__ import annotations

import gc
import random
import weakref
from datetime import datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Client,
    Dialog,
    Even,
    Group,
    LongestIdle,
    Operator,
    Outcome,
    RandomWithinLimit,
    RoundRobin,
    Router,
    RoutingConfig,
)
from chatroute._express import Express
from chatroute.decision import Decision
from chatroute.strategies import Strategy

from .strategies import EXPRESS_STRATEGIES, START, Call, call_sequences, configs
from .test_router_properties import play


class CountingExpress(Express):
    """The express route, counting the dialogs it takes."""

    taken = 0

    def route(self, dialog: Dialog, now: datetime) -> Decision | None:
        decision = super().route(dialog, now)
        self.taken += decision is not None
        return decision


def _lockstep(config: RoutingConfig, calls: list[Call], seed: int) -> int:
    """Play the calls on both routers; returns how many routes the express router took express."""
    express, general = Router(config, seed=seed), Router(config, seed=seed)
    general._express.lanes = {}  # never the express route
    counting = CountingExpress(express._topology, express._state, express._decider, express._effects)
    express._express = counting
    for (call, _, fast), (_, _, slow) in zip(play(express, calls), play(general, calls), strict=True):
        assert fast == slow, f"{call}: the express route decided {fast!r}, the general path {slow!r}"
        assert express.snapshot() == general.snapshot(), f"{call}: the routers' states differ"
    return counting.taken


@given(
    config=configs(),
    data=st.data(),
    seed=st.integers(0, 3),
)
def test_express_and_general_paths_agree_on_random_calls(
    config: RoutingConfig, data: st.DataObject, seed: int
) -> None:
    """Random configs (filters, rules, every built-in strategy) and calls: same answers, traces and state."""
    calls = data.draw(call_sequences(config, chosen_group=True))
    _lockstep(config, calls, seed)


@given(
    strategy=st.sampled_from(EXPRESS_STRATEGIES),
    data=st.data(),
    seed=st.integers(0, 3),
)
def test_express_and_general_paths_agree_where_express_applies(
    strategy: Strategy, data: st.DataObject, seed: int
) -> None:
    """Plain groups and no rules, so most routes go express; they still match the general path, traces too."""
    config = data.draw(
        configs(
            strategy=st.just(strategy),
            rules=False,
            skills=False,
            channel_limits=False,
            weights=False,
            statuses=False,
        )
    )
    config = attrs.evolve(
        config,
        explain=data.draw(st.booleans()),
        groups=[attrs.evolve(g, channels=None) for g in config.groups],
    )
    calls = data.draw(call_sequences(config, chosen_group=True, skills=False))
    _lockstep(config, calls, seed)


def test_the_express_route_is_taken_for_plain_dialogs() -> None:
    """A plain dialog to a plain group goes express, explained or not; one needing a skill does not."""
    ops = [Operator(id=f"op{i}", status="online", skills={"fr": 1 + i % 3}) for i in range(6)]
    config = RoutingConfig(
        operators=ops, groups=[Group(id="g", operator_ids=[o.id for o in ops])], explain=False
    )
    calls = [
        Call(kind="route", dialog=Dialog(id="plain", chosen_group_id="g")),
        Call(kind="route", dialog=Dialog(id="fallback")),
        Call(kind="route", dialog=Dialog(id="skilled", chosen_group_id="g", required_skills={"fr": 2})),
    ]
    assert _lockstep(config, calls, seed=0) == 2
    assert _lockstep(attrs.evolve(config, explain=True), calls, seed=0) == 2


def test_express_agrees_with_explain_on_a_few_hundred_operators() -> None:
    """At a size where heaps compact and Fenwick descents go deep, explain() predicts every express route."""
    rng = random.Random(5)
    ops = [Operator(id=f"op{i:03d}", status="online", limit=2) for i in range(300)]
    groups = [Group(id=f"g{g}", operator_ids=[o.id for o in ops if rng.random() < 0.3]) for g in range(4)]
    for strategy in (Even(), LongestIdle(), RandomWithinLimit(seed=3), RoundRobin()):
        router = Router(RoutingConfig(operators=ops, groups=groups, strategy=strategy, explain=False), seed=1)
        open_ids: list[str] = []
        now = START
        for i in range(1500):
            now += timedelta(seconds=1)
            chosen = f"g{rng.randrange(4)}" if rng.random() < 0.9 else None  # else the fallback
            dialog = Dialog(id=f"d{i}", chosen_group_id=chosen)
            predicted = router.explain(dialog, now)
            decision = router.route(dialog, now)
            assert (decision.outcome, decision.operator_id) == (predicted.outcome, predicted.operator_id)
            assert decision.target == predicted.target
            if decision.outcome is Outcome.ASSIGNED:
                open_ids.append(dialog.id)
            if open_ids and rng.random() < 0.45:
                router.release(open_ids.pop(rng.randrange(len(open_ids))), now)


def test_the_express_lane_keeps_nothing_of_a_forgotten_dialog() -> None:
    """The lane's picker, kept from dialog to dialog, lets go of each dialog once picked for."""
    config = RoutingConfig(operators=(Operator(id="a", status="online", limit=2),), groups=())
    router = Router(config, seed=1)
    client = Client(id="c1", tags=frozenset({"vip"}))
    router.route(Dialog(id="d0", client_id="c1"), START, client=client)  # now the router knows them
    router.release("d0", START)
    router.forget("d0", keep_client=True)
    dialog = Dialog(id="d1", client_id="c1")
    decision = router.route(dialog, START)
    assert decision.outcome is Outcome.ASSIGNED
    assert router._express.lanes, "the dialog could go the express route"
    router.release("d1", START)
    router.forget("d1", keep_client=False)
    gone = weakref.ref(dialog), weakref.ref(client)
    del dialog, client, decision
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
