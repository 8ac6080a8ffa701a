"""Who may take which dialog (``chatroute._eligibility``): the kinds of checks agree with each other.

The indexes hold the operators :func:`available` finds; a dialog that is not
:func:`constrained` is given to the head of an index without asking :func:`ineligible`.
That is only sound if, for such a dialog, the two say the same thing about every
operator: a check about the operator alone that is added to ``ineligible`` but not to
``available`` (or the other way round) fails here.

Then the checks about an operator and a dialog, end to end through a router: the
dialog's language, and the operators it avoids (``Dialog.avoid``) on every way a dialog
reaches an operator, the express lane included.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import (
    AllDeclined,
    Broadcast,
    Channel,
    Dialog,
    DialogAssigned,
    DialogDeclinedByAll,
    DialogEscalated,
    DialogState,
    Group,
    InvalidValue,
    NotEligible,
    Operator,
    Outcome,
    Reason,
    Ring,
    Router,
    RoutingConfig,
    Rule,
    Snapshot,
    Target,
    Trigger,
    serialize,
)
from chatroute._eligibility import available, constrained, ineligible, picky, qualified
from chatroute._state import LiveDialog, LiveOperator
from chatroute._topology import Topology
from chatroute.rules import Always
from chatroute.strategies import Strategy

from .strategies import EXPRESS_STRATEGIES, START, call_sequences, configs, dialogs
from .test_router_properties import play
from .test_tracing import _agree as agree

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@st.composite
def operators(draw: st.DrawFn) -> LiveOperator:
    """A live operator in any state: routable or not, any load and limit, capped or not."""
    op = LiveOperator(
        Operator(id="op", skills=draw(st.sampled_from([{}, {"tech": 2}]))),
        limit=draw(st.integers(0, 4)),
        routable=draw(st.booleans()),
        targets=("operator:op",),
    )
    op.load = draw(st.integers(0, 5))
    if draw(st.booleans()):
        op.capped_until = T0 + timedelta(minutes=5)
    return op


@given(operators(), st.sampled_from(["site", "telegram"]))
def test_for_a_plain_dialog_ineligible_and_available_agree(op: LiveOperator, channel_name: str) -> None:
    """A dialog that needs only a free slot can go to an operator exactly when they are available."""
    channel = Channel(name=channel_name)
    dialog = Dialog(id="d", channel=channel_name)
    rec = LiveDialog(dialog, channel.capacity_weight, T0, picky=picky(dialog, frozenset(), False))
    assert not constrained(rec)
    assert (ineligible(op, rec, RoutingConfig()) is None) == available(op)


@given(operators())
def test_an_unavailable_operator_takes_no_dialog_at_all(op: LiveOperator) -> None:
    """Whatever the dialog needs, an operator the indexes leave out is ineligible for it."""
    dialog = Dialog(id="d", required_skills={"tech": 1})
    channel = Channel(name="site", capacity_weight=2)
    rec = LiveDialog(dialog, channel.capacity_weight, T0, picky=picky(dialog, frozenset({"site"}), False))
    assert constrained(rec)
    if not available(op):
        assert ineligible(op, rec, RoutingConfig()) is not None


@given(
    operators(),
    st.sampled_from([{}, {"tech": 1}, {"tech": 3}]),
    st.sampled_from([None, "en", "de"]),
    st.sampled_from([(), ("en",), ("de", "en")]),
)
def test_qualified_is_what_ineligible_says_of_an_operator_with_room(
    op: LiveOperator, needs: dict[str, int], language: str | None, speaks: tuple[str, ...]
) -> None:
    """For an operator every other check passes, qualified says yes exactly when ineligible finds
    nothing, and its no is a missing skill or language."""
    op = LiveOperator(
        attrs.evolve(op.operator, languages=speaks), limit=5, routable=True, targets=("operator:op",)
    )
    dialog = Dialog(id="d", required_skills=needs, language=language)
    channel = Channel(name="site")
    rec = LiveDialog(dialog, channel.capacity_weight, T0, picky=picky(dialog, frozenset(), True))
    rec.need_extra().language = language
    problem = ineligible(op, rec, RoutingConfig())
    assert qualified(op, rec) == (problem is None)
    assert problem is None or problem[0] in (Reason.MISSING_SKILL, Reason.LANGUAGE)


# ------------------------------------------------------------------- language


def _language_router(match_language: bool) -> Router:
    """Two online operators, Ann (de, en) and Bob (en), in one config."""
    config = RoutingConfig(
        operators=[
            Operator(id="ann", status="online", languages=["de", "en"]),
            Operator(id="bob", status="online", languages=["en"]),
        ],
        match_language=match_language,
    )
    return Router(config)


def test_a_dialog_goes_only_to_operators_who_speak_its_language() -> None:
    """With ``match_language``, a German dialog skips Bob, and the trace says he lacks the language."""
    router = _language_router(True)
    router.route(Dialog(id="warm"), T0)  # Ann is busier now; plain Even would pick Bob
    decision = router.route(Dialog(id="d", language="de"), T0)
    assert decision.operator_id == "ann"
    assert decision.trace is not None
    (bob,) = [c for c in decision.trace.operators if c.operator_id == "bob"]
    assert bob.reason is Reason.LANGUAGE
    assert "does not speak 'de'" in decision.explain()


def test_a_dialog_nobody_speaks_waits() -> None:
    """A dialog in a language no operator lists waits in the queue, reason ``language``."""
    decision = _language_router(True).route(Dialog(id="d", language="fr"), T0)
    assert decision.outcome is Outcome.QUEUED
    assert decision.reason is not None
    assert "language 2" in decision.reason


def test_languages_are_ignored_unless_the_config_asks() -> None:
    """Without ``match_language`` the language decides nothing (today's behaviour)."""
    assert _language_router(False).route(Dialog(id="d", language="fr"), T0).operator_id == "ann"


def test_a_dialog_without_a_language_needs_none() -> None:
    """With ``match_language``, a dialog that names no language is plain: anyone may take it."""
    dialog = Dialog(id="d")
    assert not picky(dialog, frozenset(), True)
    assert picky(attrs.evolve(dialog, language="de"), frozenset(), True)


def test_picky_channels_are_the_weighted_and_the_limited_ones() -> None:
    """The topology's picky channels are those whose dialogs weigh over one slot or that some
    operator has a limit on; a plain dialog on any other channel is not picky."""
    config = RoutingConfig(
        channels=[Channel(name="site"), Channel(name="video", capacity_weight=2), Channel(name="telegram")],
        operators=[Operator(id="ann", channel_limits={"telegram": 1}), Operator(id="bob")],
    )
    channels = Topology(config, 0, None).picky_channels
    assert channels == {"video", "telegram"}
    assert [picky(Dialog(id="d", channel=c), channels, False) for c in ("site", "video")] == [False, True]


# ------------------------------------------------------------------- avoid


def _desk(**config: object) -> Router:
    """Ann and Bob, online with one slot each, in group ``desk`` (the fallback)."""
    return Router(
        RoutingConfig(
            operators=[Operator(id=name, status="online", limit=1) for name in ("ann", "bob")],
            groups=[Group(id="desk", operator_ids=["ann", "bob"])],
            **{"fallback": Target.group("desk"), **config},  # type: ignore[arg-type]
        )
    )


def test_an_avoided_operator_does_not_get_the_dialog() -> None:
    """Ann is free and first in turn, but the dialog avoids her: Bob gets it, and the trace says why."""
    decision = _desk().route(Dialog(id="d", avoid=["ann"]), T0)
    assert decision.operator_id == "bob"
    assert decision.trace is not None
    assert decision.trace.excluded() == {"ann": Reason.AVOIDED}
    assert "operator 'ann' [avoided]: the host asked to avoid them for this dialog" in decision.explain()


@pytest.mark.parametrize("strategy", EXPRESS_STRATEGIES, ids=repr)
def test_the_express_lane_honours_avoid_unedited(strategy: Strategy) -> None:
    """On a desk the express lane serves, whoever a plain dialog would get is passed over when avoided."""
    ops = [Operator(id=f"op{i}", status="online", limit=2) for i in range(4)]
    router = Router(RoutingConfig(operators=ops, strategy=strategy, explain=False), seed=1)
    assert None in router._express.lanes  # a dialog without a group goes the express lane
    for i in range(6):
        favourite = router.explain(Dialog(id=f"d{i}"), T0).operator_id
        assert favourite is not None
        decision = router.route(Dialog(id=f"d{i}", avoid=[favourite]), T0)
        assert decision.operator_id not in (None, favourite)


def test_a_dialog_that_avoids_everyone_free_waits_and_says_why() -> None:
    """Bob is busy and Ann avoided: the dialog waits, and explain() names both reasons."""
    router = _desk()
    router.route(Dialog(id="first"), T0)  # Ann, first in id order
    router.route(Dialog(id="second"), T0)  # Bob
    router.release("first", at(1))
    waiting = router.route(Dialog(id="d", avoid=["ann"]), at(2))
    assert (waiting.outcome, waiting.reason) == (
        Outcome.QUEUED,
        "nobody in group 'desk' can take it now (at_limit 1, avoided 1)",
    )
    probe = router.explain(Dialog(id="d", avoid=["ann"]), at(2))
    assert probe.trace is not None
    assert probe.trace.excluded() == {"ann": Reason.AVOIDED, "bob": Reason.AT_LIMIT}


def test_a_release_by_an_avoided_operator_does_not_drain_the_dialog_to_them() -> None:
    """Ann frees a slot and stays idle; the waiting dialog goes to Bob when he frees his."""
    router = _desk()
    router.route(Dialog(id="a"), T0)
    router.route(Dialog(id="b"), T0)
    assert router.route(Dialog(id="d", avoid=["ann"]), at(1)).outcome is Outcome.QUEUED
    assert not [e for e in router.release("a", at(2)) if isinstance(e, DialogAssigned)]
    assert router.dialog("d").state is DialogState.QUEUED
    assigned = [e for e in router.release("b", at(3)) if isinstance(e, DialogAssigned)]
    assert [(e.dialog_id, e.operator_id) for e in assigned] == [("d", "bob")]


def test_a_transfer_to_a_group_skips_the_avoided_operator() -> None:
    """Carl passes the dialog to the desk, where Ann is free and Bob busy: it waits for Bob."""
    router = Router(
        RoutingConfig(
            operators=[Operator(id=name, status="online", limit=1) for name in ("ann", "bob", "carl")],
            groups=[Group(id="desk", operator_ids=["ann", "bob"]), Group(id="front", operator_ids=["carl"])],
            fallback=Target.group("front"),
        )
    )
    router.route(Dialog(id="d", avoid=["ann"]), T0)
    router.route(Dialog(id="busy", chosen_group_id="desk"), T0)  # Ann takes it
    router.release("busy", at(1))
    router.route(Dialog(id="bobs", chosen_group_id="desk", avoid=["ann"]), at(1))  # Bob now busy
    moved = router.transfer("d", Target.group("desk"), at(2), by="carl")
    assert moved.outcome is Outcome.QUEUED
    assert moved.trace is not None
    assert moved.trace.count(Reason.AVOIDED) == 1
    router.release("bobs", at(3))
    assert router.dialog("d").operator_id == "bob"


def test_offers_pass_over_the_avoided_operator() -> None:
    """With offers, the avoided operator is never offered the dialog, one by one or broadcast."""
    ops = [Operator(id=name, status="online") for name in ("ann", "bob", "cid")]
    router = Router(RoutingConfig(operators=ops, accept_timeout=20))
    assert router.route(Dialog(id="d", avoid=["ann"]), T0).offered_to == ("bob",)
    router.decline("d", "bob", at(1))
    assert router.dialog("d").offered_to == {"cid"}
    group = Group(id="all", operator_ids=["ann", "bob", "cid"], strategy=Broadcast())
    broadcast = Router(RoutingConfig(operators=ops, groups=[group], fallback=Target.group("all")))
    assert broadcast.route(Dialog(id="d", avoid=["ann"]), T0).offered_to == ("bob", "cid")


def test_an_avoided_operator_who_claims_the_dialog_is_refused_with_the_reason() -> None:
    """Ann claims a waiting dialog that avoids her: NotEligible with reason ``avoided``, nothing changes."""
    router = _desk()
    router.route(Dialog(id="a"), T0)
    router.route(Dialog(id="b"), T0)
    router.route(Dialog(id="d", avoid=["ann"]), T0)
    router.release("a", at(1))  # Ann is free, and the dialog still waits
    before = router.snapshot()
    with pytest.raises(NotEligible) as refused:
        router.claim("d", "ann", at(2))
    assert refused.value.reason == Reason.AVOIDED.value
    assert "the host asked to avoid them for this dialog" in str(refused.value)
    assert router.snapshot() == before


def test_a_rule_to_an_avoided_operator_is_skipped_like_a_group_that_refuses() -> None:
    """The rule sends everything to Ann; a dialog that avoids her goes on to the fallback, saying why."""
    router = _desk(rules=[Rule(name="to ann", when=Always(), to=Target.operator("ann"))])
    assert router.route(Dialog(id="plain"), T0).operator_id == "ann"
    decision = router.route(Dialog(id="d", avoid=["ann"]), T0)
    assert (decision.target, decision.operator_id) == (Target.group("desk"), "bob")
    assert "operator 'ann' is avoided: the host asked to avoid them for this dialog" in decision.explain()
    fallback = _desk(fallback=Target.operator("ann")).route(Dialog(id="d", avoid=["ann"]), T0)
    assert fallback.outcome is Outcome.REJECTED
    assert fallback.reason == (
        "the fallback operator 'ann' cannot take it:"
        " operator 'ann': the host asked to avoid them for this dialog"
    )


def test_a_transfer_to_an_avoided_operator_is_refused_and_changes_nothing() -> None:
    """Bob passes the dialog to Ann by name, but it avoids her: NotEligible (avoided); it stays with Bob."""
    router = _desk()
    router.route(Dialog(id="d", avoid=["ann"]), T0)
    before = router.snapshot()
    with pytest.raises(NotEligible) as refused:
        router.transfer("d", Target.operator("ann"), at(1), by="bob")
    assert (refused.value.operator_id, refused.value.reason) == ("ann", Reason.AVOIDED.value)
    assert router.snapshot() == before
    assert router.dialog("d").operator_id == "bob"


def test_a_trigger_to_an_avoided_operator_does_not_fire_and_the_next_one_may() -> None:
    """Escalating to Ann is passed over for a dialog that avoids her; the next trigger for the event fires."""
    triggers = [
        Trigger(name="to ann", on="escalate", to=Target.operator("ann")),
        Trigger(name="to everyone", on="escalate", to=Target.everyone()),
    ]
    router = _desk(triggers=triggers)
    router.route(Dialog(id="d", avoid=["ann"]), T0)
    moved = router.handle("d", "escalate", at(1))
    assert moved is not None
    assert moved.target == Target.everyone()
    assert router.dialog("d").operator_id != "ann"
    only = _desk(triggers=triggers[:1])
    only.route(Dialog(id="d", avoid=["ann"]), T0)
    assert only.handle("d", "escalate", at(1)) is None


def test_an_escalation_ring_to_an_avoided_operator_is_passed_over_for_the_next_ring() -> None:
    """Waiting for busy Bob, the dialog's first ring (Ann) is skipped; the second (everyone) widens it."""
    rings = [Ring(after=60, to=Target.operator("ann")), Ring(after=120, to=Target.everyone())]
    router = Router(
        RoutingConfig(
            operators=[Operator(id=name, status="online", limit=1) for name in ("ann", "bob", "cy")],
            groups=[Group(id="desk", operator_ids=["bob"])],
            rules=[Rule(name="desk", when=Always(), to=Target.group("desk"), escalate=rings)],
        )
    )
    router.route(Dialog(id="busy"), T0)  # Bob
    assert router.route(Dialog(id="d", avoid=["ann"]), T0).outcome is Outcome.QUEUED
    assert not [e for e in router.tick(at(61)) if isinstance(e, DialogEscalated)]
    assert (router.dialog("d").state, router.dialog("d").target) == (DialogState.QUEUED, Target.group("desk"))
    events = router.tick(at(121))
    assert [(e.ring, e.to) for e in events if isinstance(e, DialogEscalated)] == [(2, Target.everyone())]
    assert router.dialog("d").operator_id == "cy"


def test_adopting_a_dialog_with_an_operator_it_avoids_is_refused_and_adopts_none() -> None:
    """The host says Ann holds a dialog that avoids her: NotEligible (avoided) for the whole batch."""
    router = _desk()
    before = router.snapshot()
    with pytest.raises(NotEligible) as refused:
        router.adopt_many([(Dialog(id="ok"), "bob"), (Dialog(id="d", avoid=["ann"]), "ann")], T0)
    assert (refused.value.operator_id, refused.value.dialog_id, refused.value.reason) == (
        "ann",
        "d",
        Reason.AVOIDED.value,
    )
    assert router.snapshot() == before


def test_everyone_declined_counts_only_operators_the_dialog_does_not_avoid() -> None:
    """Bob, the one operator the dialog may go to, declines it: that is everyone who could."""
    ops = [Operator(id=name, status="online") for name in ("ann", "bob")]
    router = Router(RoutingConfig(operators=ops, accept_timeout=20, all_declined=AllDeclined.NOTIFY))
    router.route(Dialog(id="d", avoid=["ann"]), T0)
    declined = [e for e in router.decline("d", "bob", at(1)) if isinstance(e, DialogDeclinedByAll)]
    assert [e.declined for e in declined] == [("bob",)]


def test_avoid_survives_a_snapshot_and_a_dialog_without_it_is_written_as_before() -> None:
    """The avoided ids round-trip through JSON and keep working after a restore; an empty avoid is omitted."""
    assert "avoid" not in serialize.to_dict(Dialog(id="d"))
    assert serialize.to_dict(Dialog(id="d", avoid=["bob", "ann"]))["avoid"] == ["ann", "bob"]
    router = _desk()
    router.route(Dialog(id="a"), T0)
    router.route(Dialog(id="b"), T0)
    router.route(Dialog(id="d", avoid=["ann"]), at(1))
    data = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    restored = Router.restore(router.config, serialize.from_dict(Snapshot, data))
    assert restored.snapshot() == router.snapshot()
    assert restored.dialog("d").dialog.avoid == {"ann"}
    restored.release("a", at(2))
    assert restored.dialog("d").state is DialogState.QUEUED


def test_avoid_takes_operator_ids_only() -> None:
    """Avoid takes one id or many; anything but strings is refused naming the field."""
    assert Dialog(id="d", avoid="ann").avoid == {"ann"}
    assert not picky(Dialog(id="d"), frozenset(), False)
    assert picky(Dialog(id="d", avoid=["ann"]), frozenset(), False)
    with pytest.raises(InvalidValue, match="avoid"):
        Dialog(id="d", avoid=[7])


@given(config=configs(max_operators=6), data=st.data())
def test_no_call_gives_a_dialog_to_an_operator_it_avoids(config: RoutingConfig, data: st.DataObject) -> None:
    """On random calls where dialogs avoid random operators, none is ever assigned or offered to one,
    and the trace of a new dialog that avoids some counts what explain() lists."""
    op_ids = [op.id for op in config.operators]
    avoid = st.lists(st.sampled_from(op_ids), max_size=2)
    calls = [
        attrs.evolve(call, dialog=attrs.evolve(call.dialog, avoid=data.draw(avoid)))
        if call.dialog is not None
        else call
        for call in data.draw(call_sequences(config))
    ]
    router = Router(config, seed=1)
    now = START
    for _call, moment, _result in play(router, calls):
        now = moment
        for record in router.dialogs():
            if record.state is DialogState.ASSIGNED:
                assert record.operator_id not in record.dialog.avoid
            assert not record.offered_to & record.dialog.avoid
    probe = attrs.evolve(data.draw(dialogs(config, dialog_id="probe")), avoid=data.draw(avoid))
    compact, full = router.explain(probe, now, full=False), router.explain(probe, now)
    assert (compact.outcome, compact.operator_id) == (full.outcome, full.operator_id)
    assert full.operator_id not in probe.avoid
    if compact.trace is not None and full.trace is not None and compact.target is not None:
        agree(compact.trace, full.trace)
