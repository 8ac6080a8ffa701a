"""Router.adopt and adopt_many: dialogs already open when a host switches to chatroute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatroute import (
    AtLimit,
    Channel,
    ChatrouteError,
    Dialog,
    DialogAdopted,
    DialogAssigned,
    DialogState,
    DuplicateDialog,
    Event,
    Group,
    InvalidValue,
    NotEligible,
    Operator,
    Router,
    RoutingConfig,
    Snapshot,
    Target,
    TimeWentBackwards,
    UnknownChannel,
    UnknownGroup,
    UnknownOperator,
    Via,
    serialize,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _router(**config: Any) -> Router:
    return Router(
        RoutingConfig(
            channels=[Channel(name="site"), Channel(name="phone", capacity_weight=2)],
            operators=[
                Operator(id="ann", status="online", limit=2, channel_limits={"site": 1}),
                Operator(id="bob", status="online", limit=3),
            ],
            groups=[Group(id="sales", operator_ids=["ann", "bob"]), Group(id="vip", operator_ids=["bob"])],
            **config,
        )
    )


def test_adopted_dialogs_are_assigned_in_their_group_or_on_their_operator() -> None:
    """A dialog with a chosen group is adopted in it; one without, on its operator's own target."""
    router = _router()
    events = router.adopt_many(
        [(Dialog(id="a1", chosen_group_id="vip"), "bob"), (Dialog(id="a2", channel="phone"), "bob")], T0
    )
    assert events == (
        DialogAdopted(at=T0, dialog_id="a1", operator_id="bob", group_id="vip"),
        DialogAdopted(at=T0, dialog_id="a2", operator_id="bob", group_id=None),
    )
    assert all(isinstance(e, DialogAssigned) and e.via is Via.ADOPT for e in events)
    first, second = router.dialog("a1"), router.dialog("a2")
    assert (first.state, first.target, first.group_id) == (DialogState.ASSIGNED, Target.group("vip"), "vip")
    assert (second.operator_id, second.target) == ("bob", Target.operator("bob"))
    assert router.operator("bob").load == 3  # 1 + the phone dialog's weight 2


def test_the_snapshot_shows_adopted_dialogs_and_a_restore_keeps_them() -> None:
    """Adopted dialogs are in the snapshot as assigned; a restored router frees them like any other."""
    router = _router()
    router.adopt(Dialog(id="a1"), "ann", T0)
    snapshot = serialize.from_dict(Snapshot, serialize.to_dict(router.snapshot()))
    (record,) = snapshot.dialogs
    assert (record.state, record.operator_id, record.assigned_at) == (DialogState.ASSIGNED, "ann", T0)
    restored = Router.restore(router.config, snapshot)
    restored.release("a1", T0 + timedelta(minutes=5))
    assert restored.operator("ann").load == 0


def test_an_adopted_operator_at_their_limit_gets_nothing_new() -> None:
    """Adopted dialogs fill the operator's capacity: a new dialog goes to someone else."""
    router = _router()
    router.adopt_many([(Dialog(id="a1"), "ann"), (Dialog(id="a2", channel="phone", topic="x"), "bob")], T0)
    assert router.route(Dialog(id="n1"), T0).operator_id == "bob"


def test_adopted_dialogs_count_neither_as_a_pick_nor_in_the_intake_cap() -> None:
    """An adopted dialog is no new intake: a cap of one still lets the operator take a new dialog."""
    router = _router(intake_cap=1)
    router.adopt(Dialog(id="a1", channel="phone"), "ann", T0)
    assert router.route(Dialog(id="n1"), T0).operator_id == "bob"  # ann is fuller (Even)
    assert router.operator("ann").capped_until is None


def test_no_reply_timeout_applies_to_an_adopted_dialog() -> None:
    """An adopted dialog counts as replied to: the reply timeout does not move it."""
    router = _router(reply_timeout=timedelta(seconds=30))
    router.adopt(Dialog(id="a1"), "ann", T0)
    assert router.tick(T0 + timedelta(minutes=5)) == ()
    assert router.dialog("a1").operator_id == "ann"


@pytest.mark.parametrize(
    ("pairs", "error", "reason"),
    [
        ([(Dialog(id="a1"), "ann"), (Dialog(id="a2", channel="phone"), "ann")], AtLimit, "at_limit"),
        ([(Dialog(id="a1"), "ann"), (Dialog(id="a2"), "ann")], NotEligible, "channel_limit"),
    ],
)
def test_a_batch_past_a_limit_is_refused_whole(
    pairs: list[tuple[Dialog, str]], error: type[NotEligible], reason: str
) -> None:
    """The weight and the channel limit count the dialogs earlier in the batch; nothing is adopted."""
    router = _router()
    before = router.snapshot()
    with pytest.raises(error, match="'a2'") as caught:
        router.adopt_many(pairs, T0)
    assert caught.value.reason == reason
    assert router.snapshot() == before


def test_over_limit_adopts_anyway_and_says_so() -> None:
    """With over_limit=True the batch goes in; the events flag the dialogs past a limit."""
    router = _router()
    events = router.adopt_many(
        [(Dialog(id="a1"), "ann"), (Dialog(id="a2"), "ann"), (Dialog(id="a3", channel="phone"), "ann")],
        T0,
        over_limit=True,
    )
    assert [e.over_limit for e in events if isinstance(e, DialogAdopted)] == [False, True, True]
    state = router.operator("ann")
    assert (state.load, state.limit, state.channel_loads["site"]) == (4, 2, 2)
    assert router.route(Dialog(id="n1"), T0).operator_id == "bob"


def _refuses(
    router: Router, call: Callable[[Router], object], error: type[ChatrouteError], match: str
) -> None:
    before = router.snapshot()
    with pytest.raises(error, match=match):
        call(router)
    assert router.snapshot() == before


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: r.adopt(Dialog(id="a1"), "zed", T0), UnknownOperator, "zed"),
        (lambda r: r.adopt(Dialog(id="a1", channel="fax"), "ann", T0), UnknownChannel, "fax"),
        (lambda r: r.adopt(Dialog(id="a1", chosen_group_id="nope"), "ann", T0), UnknownGroup, "nope"),
        (lambda r: r.adopt(Dialog(id="a1", chosen_group_id="vip"), "ann", T0), NotEligible, "not a member"),
        (lambda r: r.adopt(Dialog(id="d0"), "bob", T0), DuplicateDialog, "d0"),
        (lambda r: r.adopt_many([(Dialog(id="a1"), "bob")] * 2, T0), InvalidValue, r"pairs\[1\]"),
        (lambda r: r.adopt_many([(Dialog(id="a1"), "bob"), ("a2",)], T0), InvalidValue, r"pairs\[1\]"),
        (lambda r: r.adopt_many("ab", T0), InvalidValue, "pairs"),
        (lambda r: r.adopt(Dialog(id="a1"), "bob", T0, over_limit="yes"), InvalidValue, "over_limit"),
        (lambda r: r.adopt("a1", "bob", T0), InvalidValue, "dialog"),
        (lambda r: r.adopt(Dialog(id="a1"), "bob", T0 - timedelta(seconds=1)), TimeWentBackwards, "earlier"),
        (
            lambda r: r.adopt_many([(Dialog(id="a1"), "bob"), (Dialog(id="a2"), "zed")], T0),
            UnknownOperator,
            "zed",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    call: Callable[[Router], object], error: type[ChatrouteError], match: str
) -> None:
    """Unknown ids, known or repeated dialogs, bad arguments and earlier times leave the router as it was."""
    router = _router()
    router.route(Dialog(id="d0"), T0)
    _refuses(router, call, error, match)


def test_an_empty_batch_adopts_nothing() -> None:
    """adopt_many([]) is no change and no event."""
    router = _router()
    assert router.adopt_many([], T0) == ()
    assert router.dialogs() == ()


def test_the_events_round_trip_as_dialog_adopted() -> None:
    """serialize writes the event with the kind 'dialog_adopted' and reads it back."""
    (event,) = _router().adopt(Dialog(id="a1"), "ann", T0)
    data = serialize.to_dict(event)
    assert (data["kind"], data["via"], data["over_limit"]) == ("dialog_adopted", "adopt", False)
    assert serialize.from_dict(Event, data) == event
