"""Who may take which dialog (``chatroute._eligibility``): the kinds of checks agree with each other.

The indexes hold the operators :func:`available` finds; a dialog that is not
:func:`constrained` is given to the head of an index without asking :func:`ineligible`.
That is only sound if, for such a dialog, the two say the same thing about every
operator: a check about the operator alone that is added to ``ineligible`` but not to
``available`` (or the other way round) fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from chatroute import Channel, Dialog, Operator, Outcome, Reason, Router, RoutingConfig
from chatroute._eligibility import available, constrained, ineligible, picky, qualified
from chatroute._state import LiveDialog, LiveOperator
from chatroute._topology import Topology

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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
