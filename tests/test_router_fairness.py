"""Fair counting: loads count open dialogs only, and an optional intake cap per time window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    ConfigError,
    Dialog,
    Operator,
    Reason,
    Router,
    RoutingConfig,
    Snapshot,
    Target,
    serialize,
)

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def desk(cap: int | None = 2) -> Router:
    """Ann and Bob online, limit 5, at most ``cap`` new dialogs each per 10 minutes."""
    config = RoutingConfig(
        operators=[Operator(id=op_id, status="online", limit=5) for op_id in ("ann", "bob")],
        intake_cap=cap,
        intake_window=timedelta(minutes=10),
    )
    return Router(config)


def test_closed_dialogs_never_count_in_the_load() -> None:
    """Ann closed ten dialogs today, Bob has one open: Even gives the next one to Ann (open load 0 < 1)."""
    router = desk(cap=None)
    router.set_status("bob", "offline", at(0))
    for i in range(10):
        router.route(Dialog(id=f"old{i}"), at(i))
        router.release(f"old{i}", at(i + 0.5))
    router.set_status("bob", "online", at(20))
    assert router.route(Dialog(id="b0"), at(21)).operator_id == "bob"
    assert router.route(Dialog(id="next"), at(22)).operator_id == "ann"
    assert (router.operator("ann").assigned_total, router.operator("bob").assigned_total) == (11, 1)


def test_the_intake_cap_sends_the_third_dialog_elsewhere() -> None:
    """Cap 2 per 10 minutes: after two new dialogs each, nobody can take a fifth until the window moves."""
    router = desk()
    got = [router.route(Dialog(id=f"d{i}"), at(i * 0.1)).operator_id for i in range(5)]
    assert sorted(got[:4]) == ["ann", "ann", "bob", "bob"]
    assert got[4] is None
    decision = router.explain(Dialog(id="probe"), at(1))
    assert decision.trace is not None
    assert set(decision.trace.excluded().values()) == {Reason.CAPPED}


def test_the_cap_lifts_when_the_window_moves_and_the_queue_drains() -> None:
    """Ten minutes after her first dialog, tick lets Ann take the waiting dialog."""
    router = desk()
    for i in range(5):
        router.route(Dialog(id=f"d{i}"), at(i * 0.1))
    router.tick(at(9.9))
    assert router.dialog("d4").operator_id is None
    router.tick(at(10))
    assert router.dialog("d4").operator_id == "ann"


def test_an_operator_back_from_a_break_is_not_flooded() -> None:
    """Ann returns to an empty desk and a queue of six: she takes two, the rest wait for the window."""
    config = RoutingConfig(
        operators=[Operator(id="ann", status="away", limit=5)],
        intake_cap=2,
        intake_window=timedelta(minutes=10),
    )
    router = Router(config)
    for i in range(6):
        router.route(Dialog(id=f"d{i}"), at(i * 0.1))
    router.set_status("ann", "online", at(1))
    assert router.operator("ann").load == 2
    assert router.queue(Target.everyone()) == ("d2", "d3", "d4", "d5")


def test_a_cap_survives_a_snapshot_round_trip() -> None:
    """A router restored while an operator is capped lifts the cap at the same moment."""
    router = desk()
    for i in range(5):
        router.route(Dialog(id=f"d{i}"), at(i * 0.1))
    stored = json.loads(json.dumps(serialize.to_dict(router.snapshot())))
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, stored))
    assert twin.snapshot() == router.snapshot()
    lifted = router.tick(at(10))
    assert lifted  # the cap lifted and the waiting dialog was handed out
    assert twin.tick(at(10)) == lifted
    assert twin.snapshot() == router.snapshot()


def test_cap_settings_are_checked() -> None:
    """A cap below 1 or a non-positive window is a config problem with its path."""
    with pytest.raises(ConfigError, match=r"intake_cap: must be a whole number of at least 1 \(got 0\)"):
        RoutingConfig(intake_cap=0).validate()
    with pytest.raises(ConfigError, match="intake_window: must be positive"):
        RoutingConfig(intake_cap=1, intake_window=0).validate()
