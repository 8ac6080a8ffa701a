"""Waiting for the client's busy preferred operator (Target.preferred_operator(wait=...))."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    Client,
    ConfigError,
    Dialog,
    DialogAssigned,
    DialogStoppedWaiting,
    Group,
    InvalidValue,
    Operator,
    Outcome,
    Relax,
    Ring,
    RoundRobin,
    Router,
    RoutingConfig,
    Rule,
    Snapshot,
    Sticky,
    Target,
    TargetKind,
    Via,
    serialize,
)
from chatroute.config import OfflinePolicy
from chatroute.rules import Always

from .strategies import call_sequences
from .test_router_properties import _no_limit_cuts, end_time, persisted, play, scenarios

T0 = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
WAIT = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def desk(wait: timedelta | None = WAIT) -> Router:
    """Ann and bob (room for one dialog each); every dialog goes to the client's preferred
    operator, waited for up to ``wait``, else to the team."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=1) for op_id in ("ann", "bob")],
        groups=[Group(id="team", operator_ids=["ann", "bob"])],
        rules=[
            Rule(
                name="own",
                when=Always(),
                to=Target.preferred_operator(otherwise=Target.group("team"), wait=wait),
            )
        ],
    )
    return Router(config)


ANNS = Client(id="c1", preferred_operator_id="ann")


def busy_ann(router: Router) -> None:
    """Ann takes a dialog, so she is routable but has no room."""
    assert (
        router.route(
            Dialog(id="first", client_id="c0"), T0, client=Client(id="c0", preferred_operator_id="ann")
        ).operator_id
        == "ann"
    )


def test_a_dialog_waits_for_its_busy_preferred_operator_though_others_are_free() -> None:
    """Ann is busy and bob free: the dialog waits for ann, and the trace says until when."""
    router = desk()
    busy_ann(router)
    decision = router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    assert (decision.outcome, decision.target) == (Outcome.QUEUED, Target.operator("ann"))
    assert "waiting for 'ann' until 2026-09-07T09:00:30+00:00, then group 'team'" in decision.explain()
    assert router.dialog("d1").preferred_until == at(30)
    assert router.next_tick() == at(30)


def test_the_preferred_operator_who_frees_up_in_time_gets_the_dialog() -> None:
    """Ann releases within the wait: the dialog drains into her, and the wait ends."""
    router = desk()
    busy_ann(router)
    router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    events = router.release("first", at(10))
    assert events[-1] == DialogAssigned(
        at=at(10), dialog_id="d1", operator_id="ann", group_id=None, via=Via.DRAIN
    )
    assert router.dialog("d1").preferred_until is None
    assert not [e for e in router.tick(at(40)) if isinstance(e, DialogStoppedWaiting)]


def test_when_the_wait_runs_out_the_dialog_goes_to_the_fallback_target() -> None:
    """At 30 s a tick stops the wait for ann and places the dialog in the team: bob gets it."""
    router = desk()
    busy_ann(router)
    router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    assert not [e for e in router.tick(at(29)) if isinstance(e, DialogStoppedWaiting)]
    events = [e for e in router.tick(at(31)) if not e.__class__.__name__.startswith("Sla")]
    assert events == [
        DialogStoppedWaiting(
            at=at(31),
            dialog_id="d1",
            operator_id="ann",
            to=Target.group("team"),
            waited=timedelta(seconds=31),
        ),
        DialogAssigned(at=at(31), dialog_id="d1", operator_id="bob", group_id="team", via=Via.FALLBACK),
    ]


def test_waiting_on_in_the_fallback_keeps_the_place_in_line_and_the_sla_clock() -> None:
    """Nobody in the team is free either: the dialog waits there, still since T0."""
    router = desk()
    busy_ann(router)
    router.route(Dialog(id="other", client_id="c2"), T0)  # bob
    router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    router.tick(at(31))
    record = router.dialog("d1")
    assert (record.target, record.waiting_since, record.preferred_until) == (Target.group("team"), T0, None)
    assert router.queue(Target.group("team")) == ("d1",)


def test_without_a_wait_the_busy_preferred_operator_is_passed_over_at_once() -> None:
    """As before: no wait, the dialog goes to the team right away."""
    router = desk(wait=None)
    busy_ann(router)
    assert router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS).operator_id == "bob"


def test_a_preferred_operator_who_is_away_is_not_waited_for() -> None:
    """Only a routable operator is waited for: ann away, the dialog goes to bob at once."""
    router = desk()
    router.set_status("ann", "away", T0)
    assert router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS).operator_id == "bob"


def test_the_wait_survives_a_snapshot() -> None:
    """A restored router stops waiting at the same time, with the same events."""
    router = desk()
    busy_ann(router)
    router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    data = serialize.to_dict(router.snapshot())
    assert data["dialogs"][0]["preferred_until"] == "2026-09-07T09:00:30+00:00"
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, data))
    assert twin.tick(at(31)) == router.tick(at(31))
    assert twin.snapshot() == router.snapshot()


def test_the_wait_reads_from_the_short_form_and_writes_it_back() -> None:
    """``to = {preferred = {wait = "30s", otherwise = {group = "team"}}}`` round-trips."""
    config = RoutingConfig.from_toml(
        """
        [[groups]]
        id = "team"
        [[rules]]
        name = "own"
        when = "always"
        to = {preferred = {wait = "30s", otherwise = {group = "team"}}}
        """
    )
    assert config.rules[0].to == Target.preferred_operator(otherwise=Target.group("team"), wait=WAIT)
    assert config.to_dict()["rules"][0]["to"] == {
        "preferred": {"wait": "30s", "otherwise": {"group": "team"}}
    }
    assert RoutingConfig.from_toml(config.to_toml()) == config


def test_a_bad_wait_is_refused_with_its_path() -> None:
    """A wait that is not a duration names ``preferred.wait``; only a preferred target takes one."""
    with pytest.raises(ConfigError, match=r"preferred\.wait"):
        RoutingConfig.from_dict(
            {"rules": [{"name": "r", "when": "always", "to": {"preferred": {"wait": "soon"}}}]}
        )
    with pytest.raises(InvalidValue, match="only a preferred_operator target has one"):
        Target(kind=TargetKind.GROUP, id="team", wait=WAIT)
    with pytest.raises(InvalidValue, match="must be positive"):
        Target.preferred_operator(wait=timedelta(0))


# ------------------------------------------------------------------ Sticky(wait=...)


def sticky_desk(wait: timedelta | None = WAIT) -> Router:
    """Ann and bob (room for one dialog each) in the team, whose strategy sticks to the
    client's own operator, waited for up to ``wait``; dialogs choose the team."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=1) for op_id in ("ann", "bob")],
        groups=[Group(id="team", operator_ids=["ann", "bob"], strategy=Sticky(wait=wait))],
    )
    return Router(config)


ANN_LAST = Client(id="c1", last_operator_id="ann")


def team_dialog(dialog_id: str, client_id: str = "c1") -> Dialog:
    """A dialog whose visitor chose the team."""
    return Dialog(id=dialog_id, client_id=client_id, chosen_group_id="team")


def test_sticky_with_a_wait_waits_for_the_clients_busy_last_operator() -> None:
    """Ann, the client's last operator, is busy and bob free: the dialog waits for ann; the trace says so."""
    router = sticky_desk()
    busy_ann(router)
    decision = router.route(team_dialog("d1"), T0, client=ANN_LAST)
    assert (decision.outcome, decision.target) == (Outcome.QUEUED, Target.operator("ann"))
    assert (
        "the client's last operator 'ann' is busy (1 of 1 in use):"
        " waiting for 'ann' until 2026-09-07T09:00:30+00:00, then group 'team'"
    ) in decision.explain()
    assert router.next_tick() == at(30)


def test_sticky_gives_the_dialog_to_its_operator_who_frees_up_in_time() -> None:
    """Ann releases within the wait: the dialog drains into her."""
    router = sticky_desk()
    busy_ann(router)
    router.route(team_dialog("d1"), T0, client=ANN_LAST)
    events = router.release("first", at(10))
    assert events[-1] == DialogAssigned(
        at=at(10), dialog_id="d1", operator_id="ann", group_id=None, via=Via.DRAIN
    )


def test_sticky_hands_the_dialog_to_the_team_when_the_wait_runs_out() -> None:
    """At 30 s the wait for ann stops and the team's strategy places the dialog without waiting again: bob."""
    router = sticky_desk()
    busy_ann(router)
    router.route(team_dialog("d1"), T0, client=ANN_LAST)
    events = [e for e in router.tick(at(31)) if not e.__class__.__name__.startswith("Sla")]
    assert events == [
        DialogStoppedWaiting(
            at=at(31),
            dialog_id="d1",
            operator_id="ann",
            to=Target.group("team"),
            waited=timedelta(seconds=31),
        ),
        DialogAssigned(at=at(31), dialog_id="d1", operator_id="bob", group_id="team", via=Via.FALLBACK),
    ]


def test_sticky_without_a_wait_or_with_its_operator_away_passes_over_them_at_once() -> None:
    """No wait, or ann away (not routable): bob gets the dialog right away, as before."""
    router = sticky_desk(wait=None)
    busy_ann(router)
    assert router.route(team_dialog("d1"), T0, client=ANN_LAST).operator_id == "bob"
    router = sticky_desk()
    router.set_status("ann", "away", T0)
    assert router.route(team_dialog("d1"), T0, client=ANN_LAST).operator_id == "bob"


def test_sticky_with_a_wait_takes_a_free_favourite_at_once() -> None:
    """The client's preferred operator is busy but their last one is free: the last one gets it, no wait."""
    router = sticky_desk()
    busy_ann(router)
    client = Client(id="c1", preferred_operator_id="ann", last_operator_id="bob")
    assert router.route(team_dialog("d1"), T0, client=client).operator_id == "bob"


def test_a_waiting_dialog_whose_skill_relaxed_goes_to_the_free_member_not_to_its_busy_favourite() -> None:
    """The dialog waits in the team (nobody meets its skill); when the skill relaxes, bob can take it and
    takes it, though the client's favourite ann is busy by then: a dialog already waiting is placed on
    whoever can take it now, not set waiting again."""
    config = RoutingConfig(
        operators=[
            Operator(id="ann", status="away", limit=1),
            Operator(id="bob", status="online", limit=1, skills={"tech": 1}),
        ],
        groups=[Group(id="team", operator_ids=["ann", "bob"], strategy=Sticky(wait=WAIT))],
    )
    router = Router(config)
    dialog = Dialog(
        id="d1",
        client_id="c1",
        chosen_group_id="team",
        required_skills={"tech": 3},
        relax=[Relax(skill="tech", steps=[(10, 1)])],
    )
    assert router.route(dialog, T0, client=ANNS).outcome is Outcome.QUEUED
    router.set_status("ann", "online", at(1))
    router.adopt(Dialog(id="ann's", client_id="c0"), "ann", at(2))
    events = router.tick(at(10))
    assert events[-1] == DialogAssigned(
        at=at(10), dialog_id="d1", operator_id="bob", group_id="team", via=Via.RELAX
    )


def test_an_escalation_ring_to_a_sticky_team_does_not_narrow_to_the_busy_favourite() -> None:
    """Cy is away, so the dialog waits in his group; the rule's ring widens it to the team after 10 s,
    where bob is free and the client's favourite ann busy: bob takes it (a dialog already waiting is
    placed on whoever can take it now, not set waiting for one operator)."""
    config = RoutingConfig(
        operators=[
            Operator(id="ann", status="online", limit=1),
            Operator(id="bob", status="online", limit=1),
            Operator(id="cy", status="away", limit=1),
        ],
        groups=[
            Group(id="solo", operator_ids=["cy"]),
            Group(id="team", operator_ids=["ann", "bob"], strategy=Sticky(wait=WAIT)),
        ],
        rules=[
            Rule(
                name="solo first",
                when=Always(),
                to=Target.group("solo"),
                escalate=[Ring(after=10, to=Target.group("team"))],
            )
        ],
    )
    router = Router(config)
    router.adopt(Dialog(id="ann's", client_id="c0"), "ann", T0)
    assert router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS).outcome is Outcome.QUEUED
    events = router.tick(at(10))
    assert events[-1] == DialogAssigned(
        at=at(10), dialog_id="d1", operator_id="bob", group_id="team", via=Via.ESCALATE
    )


def test_stickys_wait_survives_a_snapshot() -> None:
    """A restored router stops waiting for ann at the same time, with the same events."""
    router = sticky_desk()
    busy_ann(router)
    router.route(team_dialog("d1"), T0, client=ANN_LAST)
    data = serialize.to_dict(router.snapshot())
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, data))
    assert twin.tick(at(31)) == router.tick(at(31))
    assert twin.snapshot() == router.snapshot()


def test_a_dialog_handed_to_its_favourite_goes_back_to_the_team_when_they_go_offline() -> None:
    """Ann takes the dialog she was waited for, then goes offline under ``requeue``: it goes to
    bob in the team (where it would have gone after the wait), not into ann's own queue."""
    config = attrs.evolve(sticky_desk().config, offline_policy=OfflinePolicy.REQUEUE)
    router = Router(config)
    busy_ann(router)
    router.route(team_dialog("d1"), T0, client=ANN_LAST)
    router.release("first", at(10))
    assert router.dialog("d1").operator_id == "ann"
    assert router.dialog("d1").preferred_then == Target.group("team")
    events = router.set_status("ann", "offline", at(20))
    assert events[-1] == DialogAssigned(
        at=at(20), dialog_id="d1", operator_id="bob", group_id="team", via=Via.REQUEUE
    )
    assert router.dialog("d1").preferred_then is None


def test_a_dialog_handed_to_its_preferred_operator_who_declines_goes_to_the_fallback() -> None:
    """With offers, ann is offered the dialog she was waited for and declines it: it goes on to
    ``otherwise`` (the team: bob), also in a router restored in between."""
    config = attrs.evolve(desk().config, accept_timeout=timedelta(seconds=20))
    router = Router(config)
    router.route(Dialog(id="first", client_id="c0"), T0, client=Client(id="c0", preferred_operator_id="ann"))
    router.accept("first", "ann", T0)
    router.route(Dialog(id="d1", client_id="c1"), T0, client=ANNS)
    router.release("first", at(10))
    assert router.dialog("d1").offered_to == frozenset({"ann"})
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, serialize.to_dict(router.snapshot())))
    for desk_ in (router, twin):
        events = desk_.decline("d1", "ann", at(12))
        assert events[-1].dialog_id == "d1"
        assert desk_.dialog("d1").offered_to == frozenset({"bob"})
        assert desk_.dialog("d1").target == Target.group("team")
    assert twin.snapshot() == router.snapshot()


def test_a_dialog_whose_wait_ran_out_or_was_transferred_has_no_fallback() -> None:
    """The fallback is only for a dialog its favourite took: one that went on after the wait,
    or was transferred while waiting, keeps none."""
    router = sticky_desk()
    busy_ann(router)
    router.route(team_dialog("d1"), T0, client=ANN_LAST)
    router.route(Dialog(id="d2", client_id="c1", chosen_group_id="team"), T0, client=ANN_LAST)
    router.tick(at(31))
    assert router.dialog("d1").preferred_then is None  # went on to bob
    assert router.dialog("d2").preferred_then is None  # waits in the team
    router.transfer("d2", Target.group("team"), at(32))  # waits for bob, d1 took him
    assert router.dialog("d2").preferred_then == Target.group("team")
    router.transfer("d2", Target.operator("ann"), at(33))
    assert router.dialog("d2").preferred_then is None


def test_stickys_wait_reads_from_both_forms_and_writes_the_short_one() -> None:
    """``strategy = {kind = "sticky", then = "round_robin", wait = "30s"}`` round-trips; without a wait
    the written form is as before."""
    config = RoutingConfig.from_toml('strategy = {kind = "sticky", then = "round_robin", wait = "30s"}')
    assert config.strategy == Sticky(RoundRobin(), wait=WAIT)
    assert config.to_dict()["strategy"] == {"kind": "sticky", "then": "round_robin", "wait": "30s"}
    assert RoutingConfig.from_toml(config.to_toml()) == config
    assert RoutingConfig.from_dict({"strategy": serialize.to_dict(config.strategy)}) == config
    assert serialize.to_dict(Sticky()) == {"kind": "sticky", "then": {"kind": "even"}}


def test_a_bad_sticky_wait_is_refused_with_its_path() -> None:
    """A wait that is not a positive duration names ``strategy.wait``."""
    with pytest.raises(ConfigError, match=r"strategy\.wait"):
        RoutingConfig.from_dict({"strategy": {"kind": "sticky", "wait": "soon"}})
    with pytest.raises(InvalidValue, match="must be positive"):
        Sticky(wait=0)


_patient = st.sampled_from([Sticky(wait=20), Sticky(RoundRobin(), wait=5)])


@given(st.data())
def test_stickys_wait_keeps_limits_and_a_restored_router_carries_on_alike(data: st.DataObject) -> None:
    """On random desks and calls with Sticky(wait=...), no load passes a limit that only rose, and a
    router restored from a snapshot answers every later call as the original does."""
    config, calls = data.draw(scenarios(strategy=_patient).map(_no_limit_cuts), label="scenario")
    router = Router(config, seed=1)
    for call, _, _ in play(router, calls):
        over = [(op.id, op.load, op.limit) for op in router.operators() if op.load > op.limit]
        assert over == [], f"after {call}"
    restored = Router.restore(config, persisted(router.snapshot()))
    later = data.draw(call_sequences(config, chosen_group=True, id_prefix="later"), label="later calls")
    routed_a = [r.id for r in router.dialogs()]
    routed_b = list(routed_a)
    start = end_time(calls)
    pairs = zip(play(router, later, start, routed_a), play(restored, later, start, routed_b), strict=True)
    for (call, _, original), (_, _, copy) in pairs:
        assert copy == original, f"{call}"
    assert restored.snapshot() == router.snapshot()


def _sticky_desk() -> Router:
    """Ann and bob, online with room for three; everyone is picked by Sticky (else Even)."""
    ops = [Operator(id=op_id, status="online", limit=3) for op_id in ("ann", "bob")]
    return Router(RoutingConfig(operators=ops, strategy=Sticky()))


def test_a_client_the_host_passes_keeps_the_last_operator_the_router_noted() -> None:
    """The host passes the client with new tags: the tags update, and the client's last operator
    (which the router keeps, and the host's client does not carry) still decides for Sticky."""
    router = _sticky_desk()
    assert router.route(Dialog(id="d1", client_id="c1"), T0).operator_id == "ann"
    assert router.explain(Dialog(id="probe"), at(1)).operator_id == "bob"  # the least loaded
    told = Client(id="c1", tags=["vip"])
    assert router.route(Dialog(id="d2", client_id="c1"), at(1), client=told).operator_id == "ann"
    assert router.snapshot().clients == (Client(id="c1", tags=["vip"], last_operator_id="ann"),)
    assert router.route(Dialog(id="d3", client_id="c1"), at(2)).operator_id == "ann"


def test_the_last_operator_the_router_noted_outlasts_a_stale_one_from_the_host() -> None:
    """A host's client carrying an older last operator does not overwrite the router's; it fills
    in only for a client the router has no last operator for."""
    router = _sticky_desk()
    router.route(Dialog(id="d1", client_id="c1"), T0)  # ann
    stale = Client(id="c1", preferred_operator_id=None, last_operator_id="bob")
    assert router.route(Dialog(id="d2", client_id="c1"), at(1), client=stale).operator_id == "ann"
    new = Client(id="c2", last_operator_id="bob")
    assert router.route(Dialog(id="d3", client_id="c2"), at(2), client=new).operator_id == "bob"
    assert {c.id: c.last_operator_id for c in router.snapshot().clients} == {"c1": "ann", "c2": "bob"}


def test_a_client_that_is_not_the_dialogs_changes_nothing() -> None:
    """A host's client with another id is refused, and the client the router knows stays as it was."""
    router = _sticky_desk()
    router.route(Dialog(id="d1", client_id="c1"), T0, client=Client(id="c1", tags=["new"]))
    before = router.snapshot()
    with pytest.raises(InvalidValue, match=r"client\.id"):
        router.route(Dialog(id="d2", client_id="c1"), at(1), client=Client(id="c9", tags=["vip"]))
    assert router.snapshot() == before
    assert persisted(before) == before
