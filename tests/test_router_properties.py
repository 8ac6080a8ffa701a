"""Properties of the Router that hold for any config and any sequence of calls.

Each test draws a small config (:func:`tests.strategies.configs`) and a random sequence
of calls (:func:`tests.strategies.call_sequences`), plays it on a router with
:func:`play`, and checks one property: limits, states, service order, even spread,
persistence, determinism, error safety, and that the indexed fast path picks exactly
what the plain O(n) ``Strategy.choose`` reference picks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    AlreadyClaimed,
    Channel,
    ChatrouteError,
    Client,
    Decision,
    Dialog,
    DialogAssigned,
    DialogClosed,
    DialogState,
    DuplicateDialog,
    Event,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    Operator,
    OperatorState,
    Outcome,
    Router,
    RoutingConfig,
    Snapshot,
    Target,
    TargetKind,
    TimeWentBackwards,
    UnknownChannel,
    UnknownDialog,
    UnknownGroup,
    UnknownOperator,
    UnknownStatus,
    Via,
    Visitor,
    serialize,
)
from chatroute.strategies import Even, RandomWithinLimit, StrategyContext

from .strategies import (
    START,
    Call,
    aware_datetimes,
    call_sequences,
    configs,
    dialogs,
    indexed_strategies,
    routing_strategies,
    seconds,
)

Result = Decision | tuple[Event, ...] | tuple[str, str] | None

# ------------------------------------------------------------------------------ playing calls


def play_one(router: Router, call: Call, now: datetime, routed: list[str]) -> Result:
    """Make one call; an error comes back as ``(error class name, message)``.

    ``routed`` lists the ids routed and kept so far (it grows on ``route``); ``call.pick`` indexes it.
    A call about a dialog when none has been routed does nothing and returns None.
    """
    try:
        if call.kind == "route":
            assert call.dialog is not None
            decision = router.route(call.dialog, now, client=call.client)
            if decision.outcome is not Outcome.REJECTED:  # a rejected dialog is not kept
                routed.append(call.dialog.id)
            return decision
        if call.kind == "tick":
            return router.tick(now)
        if call.kind == "set_status":
            return router.set_status(str(call.operator_id), str(call.status), now)
        if call.kind == "set_limit":
            return router.set_limit(str(call.operator_id), int(call.limit or 0), now)
        if not routed:
            return None
        dialog_id = routed[call.pick % len(routed)]
        if call.kind == "release":
            return router.release(dialog_id, now)
        if call.kind == "transfer":
            assert call.to is not None
            return router.transfer(dialog_id, call.to, now)
        if call.kind == "claim":
            return router.claim(dialog_id, str(call.operator_id), now)
        if call.kind == "replied":
            return router.replied(dialog_id, now)
        if call.kind in ("accept", "decline"):
            # no operator drawn: the first one the dialog is offered to, if any
            offered = sorted(router.dialog(dialog_id).offered_to) if router.dialog(dialog_id) else []
            op_id = call.operator_id or (offered[0] if offered else "nobody")
            answer = router.accept if call.kind == "accept" else router.decline
            return answer(dialog_id, op_id, now)
    except ChatrouteError as error:
        return (type(error).__name__, str(error))
    raise AssertionError(f"unknown call kind {call.kind!r}")


def play(
    router: Router, calls: list[Call], start: datetime = START, routed: list[str] | None = None
) -> Iterator[tuple[Call, datetime, Result]]:
    """Play the calls one by one, moving the clock by each call's ``dt``; yields after each.

    A call that raises must leave ``router.snapshot()`` exactly as it was.
    """
    now = start
    routed = [] if routed is None else routed
    for call in calls:
        now += timedelta(seconds=call.dt)
        before = router.snapshot()
        result = play_one(router, call, now, routed)
        if isinstance(result, tuple) and result and isinstance(result[0], str):
            assert router.snapshot() == before, f"{call} failed with {result} and changed the router"
        yield call, now, result


def play_all(router: Router, calls: list[Call], start: datetime = START) -> list[Result]:
    return [result for _, _, result in play(router, calls, start)]


def end_time(calls: list[Call], start: datetime = START) -> datetime:
    return start + timedelta(seconds=sum(c.dt for c in calls))


def persisted(snapshot: Snapshot) -> Snapshot:
    """The snapshot after a trip through a dict and JSON text, as a host would store it."""
    return serialize.from_dict(Snapshot, json.loads(json.dumps(serialize.to_dict(snapshot))))


@st.composite
def scenarios(draw: st.DrawFn, **config_options: Any) -> tuple[RoutingConfig, list[Call]]:
    """A config (half with business hours and region and page filters, half with offers, half
    with languages and relaxing requirements) and calls."""
    config_options.setdefault("departments", draw(st.booleans()))
    config_options.setdefault("offers", draw(st.booleans()))
    config_options.setdefault("requirements", draw(st.booleans()))
    config = draw(configs(**config_options))
    return config, draw(call_sequences(config, chosen_group=True))


# ------------------------------------------------------------------------------- (a) limits


@given(scenarios())
def test_loads_never_grow_past_a_limit(scenario: tuple[RoutingConfig, list[Call]]) -> None:
    """After every call, a load only grew if it is within the limit, and channel limits always hold."""
    config, calls = scenario
    router = Router(config)
    caps = {op.id: op.channel_limits for op in config.operators}
    loads = {op.id: op.load for op in router.operators()}
    for call, _, _ in play(router, calls):
        for op in router.operators():
            if op.load > loads[op.id]:
                assert op.load <= op.limit, f"after {call}: {op.id} took load {op.load} over {op.limit}"
            for channel_name, cap in caps[op.id].items():
                assert op.channel_loads.get(channel_name, 0) <= cap
            loads[op.id] = op.load


def _no_limit_cuts(scenario: tuple[RoutingConfig, list[Call]]) -> tuple[RoutingConfig, list[Call]]:
    """Keep only the limit changes to 4, the highest limit a test config has: raises, never cuts."""
    config, calls = scenario
    return config, [c for c in calls if c.kind != "set_limit" or c.limit == 4]


@given(scenarios().map(_no_limit_cuts))
def test_loads_stay_within_limits_when_limits_only_rise(scenario: tuple[RoutingConfig, list[Call]]) -> None:
    """Without limit cuts no operator's load ever exceeds their limit."""
    config, calls = scenario
    router = Router(config)
    for call, _, _ in play(router, calls):
        over = [(op.id, op.load, op.limit) for op in router.operators() if op.load > op.limit]
        assert over == [], f"after {call}"


# ----------------------------------------------------------------------------- (b) one state


@given(scenarios())
def test_every_dialog_is_in_exactly_one_state(scenario: tuple[RoutingConfig, list[Call]]) -> None:
    """Queued, offered, assigned and closed partition the routed dialogs, as the queries show."""
    config, calls = scenario
    router = Router(config)
    routed: list[str] = []
    weights = {c.name: c.capacity_weight for c in config.channels}
    for call, _, _ in play(router, calls, routed=routed):
        partition = {state: {r.id for r in router.dialogs(state)} for state in DialogState}
        everything = [d for ids in partition.values() for d in ids]
        assert sorted(everything) == sorted(set(routed)), f"after {call}"
        load = {op.id: 0 for op in router.operators()}
        for rec in router.dialogs():
            if rec.state is DialogState.CLOSED:
                with pytest.raises(DialogClosed):
                    router.position(rec.id)
                continue
            position = router.position(rec.id)
            if rec.state is DialogState.QUEUED:
                assert rec.operator_id is None
                assert position is not None
                assert rec.target is not None
                assert router.queue(rec.target).count(rec.id) == 1
            elif rec.state is DialogState.OFFERED:
                assert position is None
                assert rec.offered_to
                if rec.operator_id is not None:  # offered to one operator, holding a slot
                    assert rec.offered_to == {rec.operator_id}
                    load[rec.operator_id] += weights[rec.dialog.channel]
            else:
                assert position is None
                assert rec.operator_id is not None
                load[rec.operator_id] += weights[rec.dialog.channel]
        assert {op.id: op.load for op in router.operators()} == load


# --------------------------------------------------------------------------- (c) service order


@given(st.data())
def test_waiting_dialogs_are_served_in_priority_order(data: st.DataObject) -> None:
    """With everyone busy, freed capacity takes dialogs by channel priority, dialog priority, arrival."""
    config = data.draw(
        configs(
            max_operators=4,
            strategy=routing_strategies(manual=False),
            weights=False,
            channel_limits=False,
            skills=False,
            rules=False,
            statuses=False,
            limits=st.integers(min_value=1, max_value=3),
        )
    )
    router = Router(config)
    priority = {c.name: c.priority for c in config.channels}
    now = START
    capacity = sum(op.limit for op in router.operators())
    busy: list[str] = []
    for i in range(capacity):
        decision = router.route(data.draw(dialogs(config, dialog_id=f"busy{i}", skills=False)), now)
        assert decision.outcome is Outcome.ASSIGNED
        busy.append(decision.dialog_id)
    waiting = data.draw(
        st.lists(dialogs(config, skills=False), min_size=1, max_size=8, unique_by=lambda d: d.id)
    )
    for dialog in waiting:
        now += timedelta(seconds=data.draw(seconds(), label="dt"))
        assert router.route(dialog, now).outcome is Outcome.QUEUED
    expected = [
        d.id
        for _, d in sorted(
            enumerate(waiting), key=lambda item: (priority[item[1].channel], item[1].priority, item[0])
        )
    ]
    served: list[str] = []
    while len(served) < len(waiting):
        now += timedelta(seconds=data.draw(seconds(), label="dt"))
        leaving = busy.pop(data.draw(st.integers(min_value=0, max_value=len(busy) - 1), label="leaving"))
        events = router.release(leaving, now)
        drained = [e for e in events if isinstance(e, DialogAssigned)]
        assert len(drained) == 1
        assert drained[0].via is Via.DRAIN
        served.append(drained[0].dialog_id)
        busy.append(drained[0].dialog_id)
    assert served == expected


# ------------------------------------------------------------------------------- (d) Even


@given(st.data())
def test_even_keeps_loads_within_one(data: st.DataObject) -> None:
    """With Even, equal limits and only arrivals, loads of all operators stay within one of each other."""
    limit = data.draw(st.integers(min_value=1, max_value=4), label="limit")
    config = data.draw(
        configs(
            strategy=st.just(Even()),
            weights=False,
            channel_limits=False,
            skills=False,
            rules=False,
            statuses=False,
            limits=st.just(limit),
        ),
        label="config",
    )
    router = Router(config)
    count = data.draw(st.integers(min_value=1, max_value=len(config.operators) * limit + 3), label="count")
    now = START
    for i in range(count):
        now += timedelta(seconds=data.draw(seconds(), label="dt"))
        before = {op.id: op.load for op in router.operators()}
        decision = router.route(data.draw(dialogs(config, dialog_id=f"d{i}", skills=False)), now)
        loads = [op.load for op in router.operators()]
        assert max(loads) - min(loads) <= 1, loads
        if min(before.values()) < limit:
            assert decision.outcome is Outcome.ASSIGNED
            assert before[str(decision.operator_id)] == min(before.values())
        else:
            assert decision.outcome is Outcome.QUEUED


# ------------------------------------------------------------------------ (e) persistence


@given(st.data())
def test_restored_router_carries_on_exactly(data: st.DataObject) -> None:
    """A snapshot survives dict and JSON exactly, and restored it answers every later call alike."""
    config, calls = data.draw(scenarios(), label="scenario")
    seed = data.draw(st.integers(min_value=0, max_value=2**32), label="seed")
    router = Router(config, seed=seed)
    play_all(router, calls)
    snapshot = router.snapshot()
    stored = persisted(snapshot)
    assert stored == snapshot
    assert serialize.to_dict(stored) == serialize.to_dict(snapshot)
    stored_config = serialize.from_dict(RoutingConfig, json.loads(json.dumps(serialize.to_dict(config))))
    restored = Router.restore(stored_config, stored)
    assert restored.snapshot() == snapshot
    later = data.draw(call_sequences(config, chosen_group=True, id_prefix="later"), label="later calls")
    start = end_time(calls)
    routed_a = [r.id for r in router.dialogs()]
    routed_b = list(routed_a)
    pairs = zip(play(router, later, start, routed_a), play(restored, later, start, routed_b), strict=True)
    for (call, _, original), (_, _, copy) in pairs:
        assert copy == original, f"{call}"
        assert restored.snapshot() == router.snapshot()


# ----------------------------------------------------------------------- (f) determinism


@given(scenarios(), st.integers(min_value=0, max_value=1000))
def test_same_inputs_give_the_same_decisions(scenario: tuple[RoutingConfig, list[Call]], seed: int) -> None:
    """Two routers with the same config, seed and calls agree on every decision, event and snapshot."""
    config, calls = scenario
    first, second = Router(config, seed=seed), Router(config, seed=seed)
    results = []
    for _, _, result in play(first, calls):
        results.append(result)
    random.seed(seed + 1)  # the global random source must play no part
    random.random()
    assert play_all(second, calls) == results
    assert second.snapshot() == first.snapshot()


@given(
    scenarios(strategy=st.sampled_from([RandomWithinLimit(), RandomWithinLimit(seed=3)])),
    st.integers(min_value=0, max_value=1000),
)
def test_random_within_limit_is_reproducible(scenario: tuple[RoutingConfig, list[Call]], seed: int) -> None:
    """RandomWithinLimit picks the same operators for the same seed, whatever the global random state."""
    config, calls = scenario
    random.seed(seed)
    first = play_all(Router(config, seed=seed), calls)
    random.seed(seed + 12345)
    second = play_all(Router(config, seed=seed), calls)
    assert first == second
    picks = [r.operator_id for r in first if isinstance(r, Decision)]
    assert all(p is None or p.startswith("op") for p in picks)


# ----------------------------------------------------------------------- (g) bad calls


BadCall = tuple[type[ChatrouteError], str, Callable[[Router], object]]


def bad_calls(router: Router, config: RoutingConfig, now: datetime) -> dict[str, BadCall]:
    """Calls that must fail on this router now: error class, text the message must name, the call."""
    naive = now.replace(tzinfo=None)
    op_id = config.operators[0].id
    channel_name = config.channels[0].name
    records = router.dialogs()
    by_state = {state: [r for r in records if r.state is state] for state in DialogState}
    found: dict[str, BadCall] = {
        "release unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.release("ghost", now)),
        "claim unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.claim("ghost", op_id, now)),
        "route naive now": (
            NaiveDatetime,
            "now",
            lambda r: r.route(Dialog(id="fresh", channel=channel_name), naive),
        ),
        "tick naive now": (NaiveDatetime, "now", lambda r: r.tick(naive)),
        "set_status naive now": (NaiveDatetime, "now", lambda r: r.set_status(op_id, "online", naive)),
        "route unknown channel": (
            UnknownChannel,
            "'fax'",
            lambda r: r.route(Dialog(id="fresh", channel="fax"), now),
        ),
        "route unknown chosen group": (
            UnknownGroup,
            "'nope'",
            lambda r: r.route(Dialog(id="fresh", channel=channel_name, chosen_group_id="nope"), now),
        ),
        "route with another client": (
            InvalidValue,
            "client.id",
            lambda r: r.route(
                Dialog(id="fresh", channel=channel_name, client_id="c0"), now, client=Client(id="c1")
            ),
        ),
        "set_status unknown operator": (
            UnknownOperator,
            "'ghost'",
            lambda r: r.set_status("ghost", "online", now),
        ),
        "set_status unknown status": (
            UnknownStatus,
            "'sleeping'",
            lambda r: r.set_status(op_id, "sleeping", now),
        ),
        "set_status bad comment": (
            InvalidValue,
            "comment",
            lambda r: r.set_status(op_id, "online", now, comment=5),
        ),  # type: ignore[arg-type]
        "set_limit negative": (InvalidValue, "limit", lambda r: r.set_limit(op_id, -1, now)),
        "set_limit bool": (InvalidValue, "limit", lambda r: r.set_limit(op_id, True, now)),
        "set_limit text": (InvalidValue, "limit", lambda r: r.set_limit(op_id, "3", now)),  # type: ignore[arg-type]
        "set_limit unknown operator": (UnknownOperator, "'ghost'", lambda r: r.set_limit("ghost", 2, now)),
        "accept unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.accept("ghost", op_id, now)),
        "decline unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.decline("ghost", op_id, now)),
        "replied unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.replied("ghost", now)),
        "handle unknown dialog": (UnknownDialog, "'ghost'", lambda r: r.handle("ghost", "paid", now)),
        "views unknown operator": (UnknownOperator, "'ghost'", lambda r: r.views("ghost")),
        "available_groups unknown channel": (
            UnknownChannel,
            "'fax'",
            lambda r: r.available_groups(Visitor(channel="fax"), now),
        ),
        "available_groups naive now": (NaiveDatetime, "now", lambda r: r.available_groups(Visitor(), naive)),
    }
    if records:
        known = records[0].id
        found["route known id"] = (
            DuplicateDialog,
            repr(known),
            lambda r: r.route(Dialog(id=known, channel=channel_name), now),
        )
    if by_state[DialogState.CLOSED]:
        closed = by_state[DialogState.CLOSED][0].id
        found["release closed"] = (DialogClosed, repr(closed), lambda r: r.release(closed, now))
        found["claim closed"] = (DialogClosed, repr(closed), lambda r: r.claim(closed, op_id, now))
        found["transfer closed"] = (
            DialogClosed,
            repr(closed),
            lambda r: r.transfer(closed, Target.everyone(), now),
        )
    open_records = by_state[DialogState.QUEUED] + by_state[DialogState.ASSIGNED]
    if open_records:
        open_id = open_records[0].id
        found["release naive now"] = (NaiveDatetime, "now", lambda r: r.release(open_id, naive))
        found["release bad rating"] = (
            InvalidValue,
            "rating",
            lambda r: r.release(open_id, now, rating=5),  # type: ignore[arg-type]
        )
        found["transfer to unknown group"] = (
            UnknownGroup,
            "'nope'",
            lambda r: r.transfer(open_id, Target.group("nope"), now),
        )
        found["transfer to unknown operator"] = (
            UnknownOperator,
            "'ghost'",
            lambda r: r.transfer(open_id, Target.operator("ghost"), now),
        )
        found["transfer by unknown operator"] = (
            UnknownOperator,
            "by: unknown operator 'ghost'",
            lambda r: r.transfer(open_id, Target.everyone(), now, by="ghost"),
        )
        found["claim by unknown operator"] = (
            UnknownOperator,
            "'ghost'",
            lambda r: r.claim(open_id, "ghost", now),
        )
        found["handle with a non-string event"] = (
            InvalidValue,
            "event",
            lambda r: r.handle(open_id, 5, now),  # type: ignore[arg-type]
        )
        found["handle with non-mapping data"] = (
            InvalidValue,
            "data",
            lambda r: r.handle(open_id, "paid", now, data=[1]),  # type: ignore[arg-type]
        )
        found["accept by unknown operator"] = (
            UnknownOperator,
            "'ghost'",
            lambda r: r.accept(open_id, "ghost", now),
        )
    if by_state[DialogState.ASSIGNED]:
        taken = by_state[DialogState.ASSIGNED][0]
        holder = str(taken.operator_id)
        found["claim assigned"] = (
            AlreadyClaimed,
            f"{taken.id!r} (assigned): already claimed by {holder!r}",
            lambda r: r.claim(taken.id, holder, now),
        )
        found["transfer to its operator"] = (
            InvalidTransition,
            repr(taken.id),
            lambda r: r.transfer(taken.id, Target.operator(holder), now),
        )
    return found


@given(st.data())
def test_bad_calls_raise_and_change_nothing(data: st.DataObject) -> None:
    """Each bad call raises a ChatrouteError naming the culprit; state and later decisions are untouched."""
    config, calls = data.draw(scenarios(), label="scenario")
    router, twin = Router(config), Router(config)
    play_all(router, calls)
    play_all(twin, calls)
    now = end_time(calls) + timedelta(seconds=1)
    options = bad_calls(router, config, now)
    order = data.draw(st.permutations(sorted(options)), label="bad calls")
    for name in order:
        error_class, named, call = options[name]
        before = router.snapshot()
        with pytest.raises(ChatrouteError) as raised:
            call(router)
        assert type(raised.value) is error_class, f"{name}: {raised.value!r}"
        assert named in str(raised.value), f"{name}: {raised.value}"
        assert router.snapshot() == before, f"{name} changed the router"
    later = data.draw(call_sequences(config, id_prefix="later"), label="later calls")
    routed = [r.id for r in router.dialogs()]
    pairs = zip(play(router, later, now, list(routed)), play(twin, later, now, list(routed)), strict=True)
    for (call_made, _, result), (_, _, expected) in pairs:
        assert result == expected, f"{call_made}"


@given(st.data())
def test_unknown_ids_are_kept_on_the_error(data: st.DataObject) -> None:
    """Unknown-id errors carry the id and the field it came from, besides naming it."""
    config = data.draw(configs(), label="config")
    router = Router(config)
    now = data.draw(aware_datetimes(), label="now")
    ghost = data.draw(st.text(alphabet="xyz-", min_size=1, max_size=6), label="ghost")
    with pytest.raises(UnknownOperator) as raised:
        router.set_limit(ghost, 1, now)
    assert (raised.value.id, raised.value.field) == (ghost, "operator_id")
    with pytest.raises(UnknownDialog) as missing:
        router.release(ghost, now)
    assert (missing.value.id, missing.value.field) == (ghost, "dialog_id")
    assert router.snapshot() == Router(config).snapshot()


# ------------------------------------------------------------ (h) fast path == reference


def _routable(config: RoutingConfig) -> dict[str, bool]:
    return {s.key: s.routable for s in config.all_statuses()}


def candidates(
    config: RoutingConfig, target: Target, dialog: Dialog, states: tuple[OperatorState, ...]
) -> list[OperatorState]:
    """The members of the target who can take the dialog now, by id: the reference eligibility."""
    routable = _routable(config)
    weight = {c.name: c.capacity_weight for c in config.channels}[dialog.channel]
    ops = {op.id: op for op in config.operators}
    if target.kind is TargetKind.GROUP:
        members = {g.id: set(g.operator_ids) for g in config.groups}[str(target.id)]
    else:
        members = set(ops)
    found = []
    for state in states:
        cap = ops[state.id].channel_limits.get(dialog.channel)
        if (
            state.id in members
            and routable[state.status]
            and state.load + weight <= state.limit
            and (cap is None or state.channel_loads.get(dialog.channel, 0) < cap)
            and all(state.skills.get(s, 0) >= level for s, level in dialog.required_skills.items())
        ):
            found.append(state)
    return sorted(found, key=lambda s: s.id)


def expected_target(config: RoutingConfig, dialog: Dialog) -> Target:
    """Without rules: the visitor's group when it takes the channel, else everyone."""
    for group in config.groups:
        fits = group.enabled and (group.channels is None or dialog.channel in group.channels)
        if group.id == dialog.chosen_group_id and fits:
            return Target.group(group.id)
    return Target.everyone()


@given(st.data())
def test_indexed_pick_matches_the_reference_choose(data: st.DataObject) -> None:
    """For Ranked strategies, RoundRobin and Sticky, the router picks what ``strategy.choose`` picks."""
    strategy = data.draw(indexed_strategies(), label="strategy")
    config = data.draw(configs(strategy=st.just(strategy), rules=False), label="config")
    router = Router(config, seed=1)
    calls = data.draw(call_sequences(config, chosen_group=True), label="calls")
    play_all(router, calls)
    now = end_time(calls) + timedelta(seconds=1)
    probes = data.draw(
        st.lists(dialogs(config, chosen_group=True), min_size=1, max_size=4, unique_by=lambda d: d.id),
        label="probes",
    )
    for probe in probes:
        probe = attrs.evolve(probe, id=f"probe-{probe.id}")
        target = expected_target(config, probe)
        snapshot = router.snapshot()
        found = candidates(config, target, probe, snapshot.operators)
        key = "everyone" if target.kind is TargetKind.EVERYONE else f"group:{target.id}"
        clients = {c.id: c for c in snapshot.clients}
        client = None if probe.client_id is None else clients.get(probe.client_id, Client(id=probe.client_id))
        ctx = StrategyContext(
            now=now, rng=random.Random(0), client=client, last_pick=snapshot.last_picks.get(key)
        )
        expected = strategy.choose(found, probe, ctx) if found else None
        explained = router.explain(probe, now)
        assert explained.target == target
        assert explained.operator_id == expected, explained.explain()
        assert router.snapshot() == snapshot, "explain changed the router"
        decision = router.route(probe, now)
        assert decision.operator_id == expected
        now += timedelta(seconds=data.draw(seconds(), label="dt"))


_RESTORE_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _weighted_config(weights: tuple[int, int], limits: tuple[int, int, int]) -> RoutingConfig:
    """Three operators over two channels with these capacity weights and limits."""
    return RoutingConfig(
        operators=[Operator(id=f"op{n}", status="online", limit=limit) for n, limit in enumerate(limits)],
        channels=[
            Channel(name="site", capacity_weight=weights[0]),
            Channel(name="email", capacity_weight=weights[1]),
        ],
    )


@given(
    old_weights=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    new_weights=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    old_limits=st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)),
    new_limits=st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)),
    override=st.none() | st.tuples(st.sampled_from(["op0", "op1", "op2"]), st.integers(0, 6)),
    steps=st.lists(st.tuples(st.booleans(), st.sampled_from(["site", "email"])), max_size=30),
    after=st.lists(st.sampled_from(["site", "email"]), max_size=12),
)
def test_restore_under_changed_weights_and_limits_keeps_every_limit(
    old_weights: tuple[int, int],
    new_weights: tuple[int, int],
    old_limits: tuple[int, int, int],
    new_limits: tuple[int, int, int],
    override: tuple[str, int] | None,
    steps: list[tuple[bool, str]],
    after: list[str],
) -> None:
    """Restored under other weights and limits: loads recounted, limits hold, releasing all frees all."""
    router = Router(_weighted_config(old_weights, old_limits))
    now = _RESTORE_T0
    made = 0
    if override is not None:
        router.set_limit(override[0], override[1], now)
    for release, channel in steps:
        now += timedelta(seconds=1)
        open_ids = [d.id for d in router.dialogs() if d.state is not DialogState.CLOSED]
        if release and open_ids:
            router.release(open_ids[0], now)
        else:
            router.route(Dialog(id=f"d{made}", channel=channel), now)
            made += 1
    config = _weighted_config(new_weights, new_limits)
    restored = Router.restore(config, router.snapshot())
    weight = dict(zip(("site", "email"), new_weights, strict=True))
    at_restore = {}
    for n, state in enumerate(restored.operators()):
        held = [d for d in restored.dialogs(DialogState.ASSIGNED) if d.operator_id == state.id]
        assert state.load == sum(weight[d.dialog.channel] for d in held)
        expected_limit = override[1] if override is not None and override[0] == state.id else new_limits[n]
        assert state.limit == expected_limit
        at_restore[state.id] = state.load
    for channel in after:
        now += timedelta(seconds=1)
        restored.route(Dialog(id=f"d{made}", channel=channel), now)
        made += 1
    for state in restored.operators():
        assert state.load <= max(state.limit, at_restore[state.id])
    for record in restored.dialogs():
        if record.state is not DialogState.CLOSED:
            now += timedelta(seconds=1)
            restored.release(record.id, now)
    assert {s.id: (s.load, dict(s.channel_loads)) for s in restored.operators()} == {
        f"op{n}": (0, {}) for n in range(3)
    }


@given(
    calls=st.lists(
        st.tuples(st.sampled_from(["route", "release", "tick", "away", "online"]), st.integers(-30, 30)),
        max_size=40,
    )
)
def test_time_never_runs_backwards_in_any_sequence(calls: list[tuple[str, int]]) -> None:
    """Calls at times that sometimes go back: each earlier one is refused unchanged; no record goes back."""
    router = Router(_weighted_config((1, 2), (2, 1, 0)))
    now = _RESTORE_T0
    made = 0

    def act(kind: str, at: datetime) -> None:
        open_ids = [d.id for d in router.dialogs() if d.state is not DialogState.CLOSED]
        if kind == "route":
            router.route(Dialog(id=f"d{made}"), at)
        elif kind == "release" and open_ids:
            router.release(open_ids[0], at)
        elif kind in ("away", "online"):
            router.set_status("op0", kind, at)
        else:
            router.tick(at)

    for kind, step in calls:
        now += timedelta(seconds=step)
        before = router.snapshot()
        if before.latest is not None and now < before.latest:
            with pytest.raises(TimeWentBackwards) as caught:
                act(kind, now)
            assert (caught.value.value, caught.value.latest) == (now, before.latest)
            assert router.snapshot() == before
        else:
            act(kind, now)
            made += 1
    for record in router.dialogs():
        times = [record.routed_at, record.waiting_since, record.assigned_at, record.closed_at]
        assert all(t is None or t >= record.routed_at for t in times)
        if record.closed_at is not None and record.assigned_at is not None:
            assert record.closed_at >= record.assigned_at
