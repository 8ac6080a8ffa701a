"""Presence (Jivo): grace before re-queueing an offline operator's chats, reply timeouts, status limits.

A flapping mobile connection must not reshuffle chats: under ``OfflinePolicy.REQUEUE``
with a ``requeue_grace``, an operator's dialogs go back to the queue only if they are
still offline when the grace period ends. With a ``reply_timeout``, a dialog whose
operator has not replied in time (the host reports replies) goes to someone else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    Client,
    ConfigError,
    Dialog,
    DialogRequeued,
    DialogState,
    Group,
    InvalidTransition,
    ManualPool,
    OfflinePolicy,
    Operator,
    Router,
    RoutingConfig,
    Snapshot,
    Status,
    Sticky,
    Target,
    UnknownDialog,
    serialize,
)

T0 = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def desk(**config: object) -> Router:
    """Ann and Bob online (limit 2), requeue on offline after a 60 s grace, unless overridden."""
    options: dict[str, object] = {
        "operators": [Operator(id=op_id, status="online", limit=2) for op_id in ("ann", "bob")],
        "offline_policy": OfflinePolicy.REQUEUE,
        "requeue_grace": 60,
    }
    return Router(RoutingConfig(**(options | config)))  # type: ignore[arg-type]


# ------------------------------------------------------------------- grace period


def test_a_short_disconnect_keeps_the_chats() -> None:
    """Offline for 30 s, back online: nothing is re-queued, even after the grace would have ended."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.set_status("ann", "offline", at(10))
    router.set_status("ann", "online", at(40))
    assert router.tick(at(100)) == ()
    assert router.dialog("d1").operator_id == "ann"


def test_a_long_disconnect_requeues_the_chats_when_the_grace_ends() -> None:
    """Still offline after 60 s: tick re-routes Ann's dialog to Bob."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.set_status("ann", "offline", at(10))
    assert router.tick(at(69)) == ()
    events = router.tick(at(70))
    assert events[0] == DialogRequeued(at=at(70), dialog_id="d1", operator_id="ann", reason="offline")
    assert router.dialog("d1").operator_id == "bob"
    assert router.operator("ann").load == 0


def test_a_second_disconnect_starts_a_new_grace_period() -> None:
    """Offline, online, offline again: only the last disconnect's grace counts."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.set_status("ann", "offline", at(10))
    router.set_status("ann", "online", at(20))
    router.set_status("ann", "offline", at(50))
    assert router.tick(at(70)) == ()  # the first grace would have ended here
    assert router.tick(at(110))[0] == DialogRequeued(
        at=at(110), dialog_id="d1", operator_id="ann", reason="offline"
    )


def test_without_grace_the_chats_are_requeued_at_once() -> None:
    """requeue_grace 0 keeps the old behaviour: going offline re-routes the dialogs in the same call."""
    router = desk(requeue_grace=0)
    router.route(Dialog(id="d1"), at(0))
    events = router.set_status("ann", "offline", at(10))
    assert any(isinstance(e, DialogRequeued) for e in events)
    assert router.dialog("d1").operator_id == "bob"


def test_a_grace_period_survives_a_restore() -> None:
    """A router restored mid-grace re-queues at the same moment as the original."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.set_status("ann", "offline", at(10))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    assert twin.tick(at(69)) == router.tick(at(69)) == ()
    requeued = router.tick(at(70))
    assert any(isinstance(e, DialogRequeued) for e in requeued)
    assert twin.tick(at(70)) == requeued
    assert twin.snapshot() == router.snapshot()


def test_a_chat_adopted_by_an_operator_offline_past_the_grace_is_requeued_alike_after_a_restore() -> None:
    """Ann has been offline past her grace when a chat is adopted onto her: the next tick re-queues
    it, in the original router and in one restored from a snapshot alike."""
    router = desk()
    router.route(Dialog(id="d1"), at(0))
    router.set_status("ann", "offline", at(10))
    router.tick(at(70))  # the grace ran out: d1 went to bob
    router.adopt(Dialog(id="d2"), "ann", at(80))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    requeued = router.tick(at(81))
    assert requeued[0] == DialogRequeued(at=at(81), dialog_id="d2", operator_id="ann", reason="offline")
    assert twin.tick(at(81)) == requeued
    assert twin.snapshot() == router.snapshot()


def test_pooled_dialogs_are_never_lost_on_status_changes() -> None:
    """Manual pool: a claimed dialog whose operator drops goes back to the pool, claimable again."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online") for op_id in ("ann", "bob")],
        groups=[Group(id="pool", operator_ids=["ann", "bob"], strategy=ManualPool())],
        fallback=Target.group("pool"),
        offline_policy=OfflinePolicy.REQUEUE,
    )
    router = Router(config)
    router.route(Dialog(id="d1"), at(0))
    router.claim("d1", "ann", at(1))
    router.set_status("ann", "offline", at(2))
    assert router.dialog("d1").state is DialogState.QUEUED
    assert router.claimable("bob") == ("d1",)
    router.claim("d1", "bob", at(3))
    assert router.dialog("d1").operator_id == "bob"


def test_a_returning_client_is_not_parked_with_an_offline_operator() -> None:
    """Sticky prefers the client's last operator only while they can take it."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online") for op_id in ("ann", "bob")],
        strategy=Sticky(),
    )
    router = Router(config)
    router.route(Dialog(id="d1", client_id="c1"), at(0))
    assert router.dialog("d1").operator_id == "ann"
    router.release("d1", at(5))
    router.set_status("ann", "offline", at(6))
    decision = router.route(
        Dialog(id="d2", client_id="c1"), at(7), client=Client(id="c1", last_operator_id="ann")
    )
    assert decision.operator_id == "bob"


# ------------------------------------------------------------------ reply timeout


def test_an_unanswered_dialog_goes_to_another_operator() -> None:
    """No reply within 45 s: tick moves the dialog to Bob and never back to Ann."""
    router = desk(reply_timeout=45)
    router.route(Dialog(id="d1"), at(0))
    assert router.tick(at(44)) == ()
    events = router.tick(at(45))
    assert events[0] == DialogRequeued(
        at=at(45), dialog_id="d1", operator_id="ann", reason="no reply within 45 s"
    )
    assert router.dialog("d1").operator_id == "bob"
    assert "ann" in router.dialog("d1").declined


def test_a_reported_reply_stops_the_timeout() -> None:
    """The host reports Ann's first reply at 30 s: the dialog stays with her."""
    router = desk(reply_timeout=45)
    router.route(Dialog(id="d1"), at(0))
    assert router.replied("d1", at(30)) == ()
    router.replied("d1", at(35))  # a later reply changes nothing
    assert router.dialog("d1").replied_at == at(30)
    assert router.tick(at(100)) == ()
    assert router.dialog("d1").operator_id == "ann"


def test_replied_needs_an_assigned_dialog() -> None:
    """replied on a queued, closed or unknown dialog raises, changing nothing."""
    router = desk(reply_timeout=45, operators=[Operator(id="ann", status="online", limit=1)])
    router.route(Dialog(id="d1"), at(0))
    router.route(Dialog(id="d2"), at(1))
    before = router.snapshot()
    with pytest.raises(InvalidTransition, match="d2"):
        router.replied("d2", at(2))
    with pytest.raises(UnknownDialog):
        router.replied("d9", at(2))
    assert router.snapshot() == before


# ------------------------------------------------------------------ extra statuses


def test_an_account_has_at_most_three_extra_statuses_by_default() -> None:
    """A fourth extra status is a config problem; the bound is configurable."""
    extra = [Status(key=key, label=key.title()) for key in ("lunch", "meeting", "training", "call")]
    with pytest.raises(ConfigError, match=r"statuses: at most 3 extra statuses \(got 4\)"):
        RoutingConfig(statuses=extra).validate()
    RoutingConfig(statuses=extra, max_extra_statuses=4).validate()


def test_status_comment_and_since_are_kept() -> None:
    """set_status records the comment and the time (Jivo: colleagues see them when transferring)."""
    router = desk(statuses=[Status(key="lunch", label="Lunch", emoji="🍲", order=3)])
    router.set_status("ann", "lunch", at(5), comment="back at 14:00")
    state = router.operator("ann")
    assert (state.status, state.comment, state.status_since) == ("lunch", "back at 14:00", at(5))
