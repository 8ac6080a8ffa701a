"""Who may take which dialog (``chatroute._eligibility``): the kinds of checks agree with each other.

The indexes hold the operators :func:`available` finds; a dialog that is not
:func:`constrained` is given to the head of an index without asking :func:`ineligible`.
That is only sound if, for such a dialog, the two say the same thing about every
operator: a check about the operator alone that is added to ``ineligible`` but not to
``available`` (or the other way round) fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chatroute import Channel, Dialog, Operator, RoutingConfig
from chatroute._eligibility import available, constrained, ineligible, picky
from chatroute._state import LiveDialog, LiveOperator

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
    rec = LiveDialog(dialog, channel.capacity_weight, T0, picky=picky(dialog, channel, frozenset()))
    assert not constrained(rec)
    assert (ineligible(op, rec, RoutingConfig()) is None) == available(op)


@given(operators())
def test_an_unavailable_operator_takes_no_dialog_at_all(op: LiveOperator) -> None:
    """Whatever the dialog needs, an operator the indexes leave out is ineligible for it."""
    dialog = Dialog(id="d", required_skills={"tech": 1})
    channel = Channel(name="site", capacity_weight=2)
    rec = LiveDialog(dialog, channel.capacity_weight, T0, picky=picky(dialog, channel, frozenset()))
    assert constrained(rec)
    if not available(op):
        assert ineligible(op, rec, RoutingConfig()) is not None
