"""A decision's trace (``chatroute._tracing``): the chosen, the runners-up, and members counted by reason.

The property tests compare the counts a trace takes from the router's tallies with a
count over every member (the full trace, which checks each one), on random configs
after random calls, for every open dialog and for new ones.
"""

from __future__ import annotations

import json
from datetime import timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Decision,
    Dialog,
    Even,
    Operator,
    Reason,
    ReasonCount,
    RoundRobin,
    Router,
    RoutingConfig,
    Rule,
    Target,
    serialize,
)
from chatroute._tracing import RUNNERS_UP, SCAN
from chatroute.decision import Trace
from chatroute.model import DialogState
from chatroute.rules import topic

from .strategies import START, call_sequences, configs, dialogs
from .test_router_properties import play


def _agree(compact: Trace, full: Trace) -> None:
    """The compact trace's counts match the full trace's, or are lower bounds when some were unchecked."""
    assert (compact.members, compact.target, compact.full, full.full) == (
        full.members,
        full.target,
        False,
        True,
    )
    assert len(full.operators) == full.members
    exact = dict(full.reasons())
    if compact.unchecked == 0:
        assert (compact.reasons(), compact.eligible) == (full.reasons(), full.eligible)
    else:
        assert compact.eligible <= full.eligible
        assert all(n <= exact.get(reason, 0) for reason, n in compact.reasons().items())
    assert compact.eligible + sum(compact.reasons().values()) + compact.unchecked == compact.members
    listed = {check.operator_id: check.reason for check in full.operators}
    assert len(compact.operators) <= RUNNERS_UP + 1
    for check in compact.operators:
        assert listed[check.operator_id] is check.reason, check


@given(config=configs(max_operators=10), data=st.data())
def test_trace_counts_match_a_count_over_every_member(config: RoutingConfig, data: st.DataObject) -> None:
    """After every call, each open dialog's trace on its target counts what a check of every member finds."""
    router = Router(config, seed=1)
    tracer = router._decider.tracer
    calls = data.draw(call_sequences(config))
    for _call, _now, _result in play(router, calls):
        for rec in router._state.dialogs.values():
            if rec.state is DialogState.CLOSED or rec.target is None:
                continue
            strategy = router._topology.strategies.get(rec.target_key)
            compact = tracer.trace(rec, rec.target, strategy, None)
            _agree(compact, tracer.trace(rec, rec.target, strategy, None, full=True))


@given(config=configs(max_operators=10), data=st.data())
def test_a_new_dialogs_trace_agrees_with_the_full_one(config: RoutingConfig, data: st.DataObject) -> None:
    """For a new dialog at any moment, explain(full=False) counts what explain() lists, same outcome."""
    router = Router(config, seed=1)
    calls = data.draw(call_sequences(config, max_size=12))
    now = START
    for _call, moment, _result in play(router, calls):
        now = moment
    probe = data.draw(dialogs(config, dialog_id="probe"))
    compact, full = router.explain(probe, now, full=False), router.explain(probe, now)
    assert (compact.outcome, compact.operator_id, compact.reason) == (
        full.outcome,
        full.operator_id,
        full.reason,
    )
    if compact.trace is not None and full.trace is not None and compact.target is not None:
        _agree(compact.trace, full.trace)


@given(config=configs(max_operators=10), data=st.data())
def test_tallies_counted_on_first_use_match_tallies_kept_from_the_start(
    config: RoutingConfig, data: st.DataObject
) -> None:
    """A router that explains nothing counts no tallies; counted later, they match one that kept them."""
    calls = data.draw(call_sequences(config))
    kept = Router(attrs.evolve(config, explain=True), seed=1)
    kept._state.available.counted()
    late = Router(attrs.evolve(config, explain=False), seed=1)
    for _ in play(kept, calls):
        pass
    for _ in play(late, calls):
        pass
    assert late._state.available.tallies is None  # no call asked for a trace
    counted = late._state.available.counted()
    assert counted == kept._state.available.counted()
    assert late._state.available.counted() is counted  # counted once, then kept up to date
    assert {op_id: op.standing for op_id, op in late._state.ops.items()} == {
        op_id: op.standing for op_id, op in kept._state.ops.items()
    }


def _desk(n: int, strategy: Even | RoundRobin, *, skilled_every: int = 1) -> Router:
    operators = [
        Operator(id=f"op{i:03d}", status="online", skills={"fr": 2 if i % skilled_every == 0 else 1})
        for i in range(n)
    ]
    return Router(RoutingConfig(operators=operators, strategy=strategy), seed=1)


def test_runners_up_follow_the_ranking_and_say_who_beat_them() -> None:
    """Even: after op000 takes a dialog, op001 gets the next and the runners-up are the next in rank."""
    router = _desk(10, Even())
    router.route(Dialog(id="d0"), START)
    decision = router.route(Dialog(id="d1"), START)
    assert decision.trace is not None
    assert [(c.operator_id, c.detail) for c in decision.trace.operators] == [
        ("op001", "load 0 of 5: chosen by Even (least loaded first)"),
        ("op002", "load 0 of 5: ranked after 'op001'"),
        ("op003", "load 0 of 5: ranked after 'op001'"),
        ("op004", "load 0 of 5: ranked after 'op001'"),
    ]
    assert (decision.trace.members, decision.trace.eligible, decision.trace.reasons()) == (10, 10, {})


def test_runners_up_of_a_turn_taking_strategy_come_next_in_turn() -> None:
    """RoundRobin: the runners-up are the operators whose turn comes after the chosen one, wrapping round."""
    router = _desk(4, RoundRobin())
    for i in range(2):
        router.route(Dialog(id=f"d{i}"), START)
    decision = router.route(Dialog(id="d2"), START)
    assert decision.trace is not None
    assert [c.operator_id for c in decision.trace.operators] == ["op002", "op003", "op000", "op001"]
    assert decision.trace.operators[1].detail == "load 0 of 5: in id order after 'op002'"


def test_a_picky_dialog_on_a_large_target_says_how_many_were_not_checked() -> None:
    """A skill every other operator has, more available than the scan visits: counts are lower bounds."""
    router = _desk(3 * SCAN, Even(), skilled_every=2)
    decision = router.route(Dialog(id="d1", required_skills={"fr": 2}), START)
    trace = decision.trace
    assert trace is not None
    assert decision.operator_id == "op000"
    assert trace.unchecked == 3 * SCAN - SCAN
    assert trace.eligible + trace.count(Reason.MISSING_SKILL) == SCAN
    assert trace.render()[-1].endswith(f"; {2 * SCAN} available not checked for this dialog's needs")


def test_a_waiting_dialogs_reason_counts_from_the_tallies() -> None:
    """Two operators away and one at the limit: the reason says so without listing them."""
    operators = [Operator(id=i, status="online", limit=1) for i in ("a", "b", "c")]
    router = Router(RoutingConfig(operators=operators), seed=1)
    router.route(Dialog(id="d0"), START)
    for op_id in ("b", "c"):
        router.set_status(op_id, "away", START + timedelta(seconds=1))
    decision = router.route(Dialog(id="d1"), START + timedelta(seconds=2))
    assert decision.reason == "nobody in everyone can take it now (at_limit 1, status 2)"
    assert decision.trace is not None
    assert decision.trace.operators == ()


def test_an_operator_target_lists_its_one_member() -> None:
    """A rule sends the dialog to Ana, who is away: the trace lists her with her reason and counts her."""
    config = RoutingConfig(
        operators=[Operator(id="ana", status="away"), Operator(id="bo", status="online")],
        rules=[Rule(name="ana's", when=topic("ana"), to=Target.operator("ana"))],
    )
    decision = Router(config, seed=1).route(Dialog(id="d1", topic="ana"), START)
    trace = decision.trace
    assert trace is not None
    assert [(c.operator_id, c.reason) for c in trace.operators] == [("ana", Reason.STATUS)]
    assert (trace.members, trace.eligible, trace.reasons()) == (1, 0, {Reason.STATUS: 1})


def test_a_traced_decision_round_trips_through_json() -> None:
    """A traced decision comes back equal from serialize's JSON, as a shared desk sends it."""
    operators = [Operator(id=f"op{i}", status="online" if i % 3 else "away", limit=1) for i in range(6)]
    router = Router(RoutingConfig(operators=operators), seed=1)
    for i in range(5):
        decision = router.route(Dialog(id=f"d{i}"), START)
        assert decision.trace is not None
        assert serialize.from_dict(Decision, json.loads(json.dumps(serialize.to_dict(decision)))) == decision
    assert decision.trace.counts == (ReasonCount(Reason.AT_LIMIT, 4), ReasonCount(Reason.STATUS, 2))
