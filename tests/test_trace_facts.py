"""A trace recorded as facts and written out when read (``chatroute._trace_facts``).

The property test routes each dialog twice on the same router: first as a dry run
(``Router.explain(full=False)``) whose trace is read at once, then for real, whose trace
is read only after every later call has changed the router. The two must read the same:
the recorded facts do not follow the state.
"""

from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timedelta
from itertools import count

import attrs
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Decision,
    Dialog,
    Even,
    Group,
    Operator,
    Reason,
    ReasonCount,
    Router,
    RoutingConfig,
    Rule,
    RuleCheck,
    Target,
    serialize,
)
from chatroute._trace_facts import replayable
from chatroute.decision import Trace
from chatroute.errors import ChatrouteError
from chatroute.rules import Predicate, RuleContext, attr, has_tag, topic
from chatroute.schedule import Schedule

from .strategies import START, call_sequences, configs
from .test_router_properties import play_one


def _recorded(trace: Trace | None) -> bool:
    """Whether the trace still holds its facts (no field read yet)."""
    return trace is not None and "_facts" in trace.__dict__


@given(config=configs(max_operators=10), data=st.data())
def test_a_trace_read_later_reads_as_the_same_decision_read_at_once(
    config: RoutingConfig, data: st.DataObject
) -> None:
    """Each routed dialog's trace, read after all later calls, renders as its dry run's trace read at once."""
    config = attrs.evolve(config, explain=True)
    router = Router(config, seed=1)
    calls = data.draw(call_sequences(config))
    now, routed = START, []
    kept: list[tuple[list[str], Decision]] = []
    for call in calls:
        now += timedelta(seconds=call.dt)
        if call.kind == "route" and call.dialog is not None:
            try:
                dry = router.explain(call.dialog, now, client=call.client, full=False)
            except ChatrouteError:
                dry = None
            text = dry.trace.render() if dry is not None and dry.trace is not None else None
        result = play_one(router, call, now, routed)
        if call.kind == "route" and isinstance(result, Decision) and text is not None:
            assert _recorded(result.trace)
            kept.append((text, result))
    for text, decision in kept:
        assert decision.trace is not None
        assert decision.trace.render() == text


def _desk() -> RoutingConfig:
    operators = [Operator(id=f"op{i}", status="online", limit=2) for i in range(8)]
    groups = [Group(id=f"g{g}", operator_ids=[f"op{i}" for i in range(g, 8, 2)]) for g in range(2)]
    rules = [Rule(name=f"r{g}", when=topic(f"t{g}"), to=Target.group(f"g{g}")) for g in range(2)]
    return RoutingConfig(operators=operators, groups=groups, rules=rules, strategy=Even())


def test_a_fallback_decision_records_the_chosen_the_runners_up_and_the_tallies() -> None:
    """No rule matches: both rules, the fallback note, op0 chosen, three runners-up, no counts."""
    decision = Router(_desk(), seed=1).route(Dialog(id="d1", topic="other"), START)
    trace = decision.trace
    assert _recorded(trace)
    assert trace is not None
    assert trace.rules == (
        RuleCheck(rule="r0", matched=False, detail="topic is 't0': no (dialog topic: 'other')"),
        RuleCheck(rule="r1", matched=False, detail="topic is 't1': no (dialog topic: 'other')"),
    )
    assert trace.notes == ("no rule applied: fallback to everyone",)
    assert [(c.operator_id, c.detail) for c in trace.operators] == [
        ("op0", "load 0 of 2: chosen by Even (least loaded first)"),
        ("op1", "load 0 of 2: ranked after 'op0'"),
        ("op2", "load 0 of 2: ranked after 'op0'"),
        ("op3", "load 0 of 2: ranked after 'op0'"),
    ]
    assert (trace.members, trace.eligible, trace.counts, trace.unchecked) == (8, 8, (), 0)


def test_a_rule_decision_records_the_rules_up_to_the_one_used() -> None:
    """The second rule matches: both are listed, the first as no match, the second as matched."""
    router = Router(_desk(), seed=1)
    router.set_status("op1", "away", START)
    decision = router.route(Dialog(id="d1", topic="t1"), START)
    trace = decision.trace
    assert trace is not None
    assert [(c.rule, c.matched, c.skipped) for c in trace.rules] == [("r0", False, None), ("r1", True, None)]
    assert trace.rules[1].detail == "topic is 't1': yes (dialog topic: 't1')"
    assert (decision.operator_id, trace.members, trace.eligible) == ("op3", 4, 3)
    assert trace.counts == (ReasonCount(Reason.STATUS, 1),)


def test_a_rejected_decision_records_the_rules_and_the_group_that_refused() -> None:
    """A closed group's rule matches but is skipped, the closed fallback refuses: the trace says both."""
    closed = Schedule.weekdays("20:00", "21:00")  # START is a Monday at 09:00
    config = RoutingConfig(
        operators=[Operator(id="ann", status="online")],
        groups=[Group(id="night", operator_ids=["ann"], schedule=closed)],
        rules=[Rule(name="vip", when=has_tag("vip"), to=Target.group("night"))],
        fallback=Target.group("night"),
    )
    decision = Router(config, seed=1).route(Dialog(id="d1", tags=["vip"]), START)
    trace = decision.trace
    assert trace is not None
    assert decision.target is None
    assert [(c.rule, c.matched) for c in trace.rules] == [("vip", True)]
    assert trace.rules[0].skipped is not None
    assert [g.reason for g in trace.groups] == [Reason.CLOSED, Reason.CLOSED]
    assert (trace.operators, trace.members) == ((), 0)


@attrs.frozen(kw_only=True)
class _Counting(Predicate):
    """A host's predicate that never matches and says how often it was explained."""

    calls: count = attrs.field(factory=count, eq=False)  # type: ignore[type-arg]

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return False

    def describe(self) -> str:
        return f"explained {next(self.calls)} times before"


def test_a_host_predicate_is_explained_while_deciding() -> None:
    """A rule with a host's own predicate is explained once, while deciding; a built-in one when read."""
    config = attrs.evolve(_desk(), rules=[Rule(name="host", when=_Counting(), to=Target.group("g0"))])
    assert not replayable(config.rules[0].when)
    assert replayable(topic("a") & ~(has_tag("b") | (attr("c") == 1)))
    decision = Router(config, seed=1).route(Dialog(id="d1"), START)
    assert decision.trace is not None
    assert decision.trace.rules[0].detail == "explained 0 times before: no"
    assert decision.trace.rules[0].detail == "explained 0 times before: no"


def test_a_recorded_trace_equals_and_hashes_as_its_written_out_copy() -> None:
    """A recorded trace equals a trace built from its fields, with the same hash, and is worked out once."""
    decision = Router(_desk(), seed=1).route(Dialog(id="d1", topic="t0"), START)
    trace = decision.trace
    assert trace is not None
    assert _recorded(trace)
    fields = {f.name: getattr(trace, f.name) for f in attrs.fields(Trace)}
    assert not _recorded(trace)
    written = Trace(**fields)
    assert (written, hash(written)) == (trace, hash(trace))
    again = Router(_desk(), seed=1).route(Dialog(id="d1", topic="t0"), START)
    assert again == decision  # compared field by field, each worked out from its facts


def test_a_recorded_trace_reads_only_its_fields() -> None:
    """Asking a recorded trace for a name that is not a field raises AttributeError, and works nothing out."""
    trace = Router(_desk(), seed=1).route(Dialog(id="d1"), START).trace
    assert trace is not None
    assert not hasattr(trace, "no_such_field")
    assert _recorded(trace)
    assert trace.summary() == ""  # the counts, without the rules
    assert "rules" not in trace.__dict__


def test_a_recorded_decision_round_trips_through_json_pickle_and_copy() -> None:
    """A decision with an unread trace serializes, pickles and deep-copies to an equal one, written out."""
    for make in (
        lambda d: serialize.from_dict(Decision, json.loads(json.dumps(serialize.to_dict(d)))),
        lambda d: pickle.loads(pickle.dumps(d)),
        copy.deepcopy,
    ):
        decision = Router(_desk(), seed=1).route(Dialog(id="d1", topic="t1"), START)
        assert _recorded(decision.trace)
        made = make(decision)
        assert not _recorded(made.trace)
        assert made == decision
        assert made.explain() == decision.explain()


def test_a_trace_read_after_the_router_moved_on_shows_the_loads_it_saw() -> None:
    """Ten more dialogs later, the first decision's trace still shows every load at 0."""
    router = Router(_desk(), seed=1)
    first = router.route(Dialog(id="d0"), START)
    for i in range(1, 11):
        router.route(Dialog(id=f"d{i}"), START + timedelta(seconds=i))
    assert first.trace is not None
    assert [c.detail.split(":")[0] for c in first.trace.operators] == ["load 0 of 2"] * 4


def test_a_recorded_trace_keeps_no_live_state() -> None:
    """The facts hold frozen values and numbers, nothing of the router's own records."""
    trace = Router(_desk(), seed=1).route(Dialog(id="d1", topic="t0"), START).trace
    assert trace is not None
    facts = trace.__dict__["_facts"]
    held = [getattr(facts, name) for name in type(facts).__slots__]
    held += [getattr(facts.rules, name) for name in type(facts.rules).__slots__]
    assert all(type(value).__module__ != "chatroute._state" for value in held)
    assert isinstance(facts.rules.ctx.now, datetime)
