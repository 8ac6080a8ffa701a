"""Live queue statistics: Router.queue_stats and the offer log behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatroute import (
    Broadcast,
    Channel,
    Dialog,
    Group,
    InvalidValue,
    Operator,
    QueueStats,
    Router,
    RoutingConfig,
    Snapshot,
    Target,
    UnknownGroup,
    WaitingCount,
    serialize,
)

T0 = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
SALES = Target.group("sales")


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def desk(**config: object) -> Router:
    """Sales: ann and bob (room for one dialog each) and cy (away); site and email."""
    settings = {"groups": [Group(id="sales", operator_ids=["ann", "bob", "cy"])], "fallback": SALES, **config}
    return Router(
        RoutingConfig(
            channels=[Channel(name="site"), Channel(name="email", priority=2)],
            operators=[
                Operator(id="ann", status="online", limit=1),
                Operator(id="bob", status="online", limit=1),
                Operator(id="cy", status="away", limit=1),
            ],
            **settings,  # type: ignore[arg-type]
        )
    )


def test_an_idle_queue_has_nothing_waiting_and_everyone_available() -> None:
    """Nothing waits: no longest wait; the new dialog's wait is one handle time over the capacity."""
    stats = desk().queue_stats(SALES, T0)
    assert stats == QueueStats(
        target=SALES,
        at=T0,
        waiting=0,
        estimated_wait=timedelta(seconds=150),  # 1 x 300 s / capacity 2
        eligible=2,
        available=2,
    )


def test_waiting_dialogs_are_counted_per_channel_and_priority_with_the_longest_wait() -> None:
    """Two busy operators, three waiting dialogs: counts by channel and priority, the oldest's wait."""
    router = desk()
    router.route(Dialog(id="a"), T0)
    router.route(Dialog(id="b"), T0)
    router.route(Dialog(id="w1", channel="email"), at(10))
    router.route(Dialog(id="w2", priority=1), at(20))
    router.route(Dialog(id="w3", priority=1), at(30))
    stats = router.queue_stats(SALES, at(70))
    assert stats.waiting == 3
    assert stats.by_channel == (
        WaitingCount(channel="email", priority=0, count=1),
        WaitingCount(channel="site", priority=1, count=2),
    )
    assert stats.longest_wait == timedelta(seconds=60)
    assert stats.estimated_wait == timedelta(seconds=600)  # 4 x 300 s / 2
    assert (stats.eligible, stats.available) == (2, 0)


def test_nobody_routable_gives_no_estimate() -> None:
    """With everyone away the estimate is None, as for a waiting dialog's."""
    router = desk()
    for op_id in ("ann", "bob"):
        router.set_status(op_id, "away", T0)
    stats = router.queue_stats(SALES, T0)
    assert (stats.estimated_wait, stats.eligible, stats.available) == (None, 0, 0)


def test_offers_are_counted_by_how_they_ended_since_a_time() -> None:
    """An accept, a decline and a lapse are counted; ``since`` leaves out the earlier ones."""
    router = desk(accept_timeout=20, offer_memory="1h")
    first = router.route(Dialog(id="d1"), T0).offered_to[0]
    second = router.route(Dialog(id="d2"), T0).offered_to[0]
    router.accept("d1", first, at(5))
    router.decline("d2", second, at(6))  # nobody else is free: it waits
    router.release("d1", at(7))  # the first is offered d2
    router.tick(at(40))  # and lets it lapse
    stats = router.queue_stats(SALES, at(40))
    assert (stats.offers_accepted, stats.offers_declined, stats.offers_lapsed) == (1, 1, 1)
    later = router.queue_stats(SALES, at(40), since=at(6))
    assert (later.since, later.offers_accepted, later.offers_declined, later.offers_lapsed) == (
        at(6),
        0,
        1,
        1,
    )


def test_a_broadcast_that_lapses_is_one_offer_lapsed() -> None:
    """Offered to ann and bob at once and answered by neither: one lapse, not one per operator."""
    router = desk(
        accept_timeout=20,
        offer_memory="1h",
        groups=[Group(id="sales", operator_ids=["ann", "bob", "cy"], strategy=Broadcast())],
    )
    assert router.route(Dialog(id="d1"), T0).offered_to == ("ann", "bob")
    router.tick(at(30))
    stats = router.queue_stats(SALES, at(30))
    assert (stats.offers_accepted, stats.offers_declined, stats.offers_lapsed) == (0, 0, 1)


def test_without_offer_memory_offers_are_not_counted() -> None:
    """The offer log is kept only when the config asks for it."""
    router = desk(accept_timeout=20)
    router.route(Dialog(id="d1"), T0)
    router.accept("d1", "ann", at(5))
    assert router.queue_stats(SALES, at(5)).offers_accepted == 0
    assert router.snapshot().offer_log == ()


def test_offers_older_than_the_memory_are_forgotten() -> None:
    """An offer's end older than ``offer_memory`` no longer counts once a newer one is noted."""
    router = desk(accept_timeout=20, offer_memory="1m")
    router.route(Dialog(id="d1"), T0)
    router.accept("d1", "ann", at(1))
    second = router.route(Dialog(id="d2"), at(120)).offered_to[0]
    router.accept("d2", second, at(121))
    assert router.queue_stats(SALES, at(121)).offers_accepted == 1


def test_the_statistics_serialize_and_survive_a_snapshot() -> None:
    """The value round-trips through plain data; a restored router gives the same statistics."""
    router = desk(accept_timeout=20, offer_memory="1h")
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    router.accept("d1", "ann", at(5))
    router.route(Dialog(id="d3", channel="email"), at(6))
    stats = router.queue_stats(SALES, at(9), since=T0)
    assert serialize.from_dict(QueueStats, serialize.to_dict(stats)) == stats
    twin = Router.restore(router.config, serialize.from_dict(Snapshot, serialize.to_dict(router.snapshot())))
    assert twin.queue_stats(SALES, at(9), since=T0) == stats


def test_operator_and_everyone_targets_have_statistics_too() -> None:
    """An operator's own queue and everyone's; a preferred target has no queue and is refused."""
    router = desk()
    assert router.queue_stats(Target.operator("cy"), T0).eligible == 0
    assert router.queue_stats(Target.everyone(), T0).available == 2
    with pytest.raises(InvalidValue, match="target"):
        router.queue_stats(Target.preferred_operator(), T0)
    with pytest.raises(UnknownGroup):
        router.queue_stats(Target.group("nope"), T0)
