"""ChannelPriorityQueue: service order, positions, wait estimates and SLA levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute import SLA, ChannelPriorityQueue, SlaLevel, UnknownDialog
from chatroute.queue import QueueKey

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seconds(n: float) -> datetime:
    """T0 plus ``n`` seconds."""
    return T0 + timedelta(seconds=n)


def queue_of(*entries: tuple[str, int, int]) -> ChannelPriorityQueue:
    """A queue with (dialog id, channel priority, dialog priority) pushed in order, one second apart."""
    q = ChannelPriorityQueue()
    for i, (dialog_id, channel_priority, priority) in enumerate(entries):
        q.push(dialog_id, channel_priority=channel_priority, priority=priority, since=seconds(i))
    return q


# ----------------------------------------------------------------------- order


def test_channel_priority_comes_first() -> None:
    """A priority-1 channel is served before priority 3, whatever the arrival order."""
    q = queue_of(("mail-1", 3, 0), ("site-1", 2, 0), ("tg-1", 1, 0))
    assert list(q) == ["tg-1", "site-1", "mail-1"]


def test_dialog_priority_orders_within_a_channel_priority() -> None:
    """Within one channel priority, a lower dialog priority is served sooner."""
    q = queue_of(("a", 1, 2), ("b", 1, 0), ("c", 1, -1), ("d", 1, 1))
    assert list(q) == ["c", "b", "d", "a"]


def test_channel_priority_beats_dialog_priority() -> None:
    """A high dialog priority does not jump a better channel priority."""
    q = queue_of(("mail-urgent", 2, -100), ("tg-normal", 1, 5))
    assert list(q) == ["tg-normal", "mail-urgent"]


def test_arrival_breaks_ties_first_come_first_served() -> None:
    """Equal priorities are served in the order they were pushed, regardless of id."""
    q = queue_of(("z", 1, 0), ("a", 1, 0), ("m", 1, 0))
    assert list(q) == ["z", "a", "m"]


def test_explicit_sequence_numbers_order_arrivals() -> None:
    """A caller-given seq orders arrivals instead of the queue's own counter."""
    q = ChannelPriorityQueue()
    q.push("late", channel_priority=1, since=T0, seq=20)
    q.push("early", channel_priority=1, since=T0, seq=5)
    assert list(q) == ["early", "late"]
    assert q.key("early") == (1, 0, 5, "early")
    assert list(q.entries()) == [(1, 0, 5, "early"), (1, 0, 20, "late")]


def test_pushing_a_queued_dialog_again_is_refused() -> None:
    """A dialog can be in the queue only once."""
    q = queue_of(("a", 1, 0))
    with pytest.raises(ValueError, match="already queued"):
        q.push("a", channel_priority=2, since=T0)
    assert list(q) == ["a"]


# --------------------------------------------------------- position and removal


def test_position_is_one_based_in_service_order() -> None:
    """The next dialog served is at position 1."""
    q = queue_of(("mail-1", 3, 0), ("tg-1", 1, 0), ("tg-2", 1, 0))
    assert [q.position(d) for d in ("tg-1", "tg-2", "mail-1")] == [1, 2, 3]


def test_remove_takes_a_dialog_out_and_shifts_positions() -> None:
    """Removing a dialog moves everyone behind it one place forward."""
    q = queue_of(("a", 1, 0), ("b", 1, 0), ("c", 1, 0))
    q.remove("a")
    assert list(q) == ["b", "c"]
    assert (q.position("b"), q.position("c")) == (1, 2)
    assert "a" not in q
    assert len(q) == 2


def test_pop_returns_the_next_dialog_and_removes_it() -> None:
    """pop() serves dialogs in order until the queue is empty."""
    q = queue_of(("mail", 2, 0), ("tg", 1, 0))
    assert q.pop() == "tg"
    assert q.pop() == "mail"
    assert len(q) == 0
    assert not q
    assert "tg" not in q


def test_unknown_dialogs_raise_unknown_dialog() -> None:
    """position, remove, key and sla_level of a dialog not in the queue raise UnknownDialog."""
    q = queue_of(("a", 1, 0))
    for call in (q.position, q.remove, q.key):
        with pytest.raises(UnknownDialog) as info:
            call("zzz")
        assert info.value.id == "zzz"
        assert info.value.field == "queue"
    with pytest.raises(UnknownDialog):
        q.sla_level("zzz", T0)
    assert list(q) == ["a"]


def test_len_bool_and_contains() -> None:
    """len, truthiness and membership reflect the waiting dialogs."""
    q = ChannelPriorityQueue()
    assert (len(q), bool(q), "a" in q) == (0, False, False)
    q.push("a", channel_priority=1, since=T0)
    assert (len(q), bool(q), "a" in q) == (1, True, True)


# ------------------------------------------------------------- estimated wait


@pytest.mark.parametrize(
    ("position", "handle", "capacity", "expected"),
    [
        (1, 300, 1, 300),
        (3, 100, 2, 150),
        (2, 300, 4, 150),
        (1, 10, 3, 4),  # 3.33 s rounds up to whole seconds
        (3, 1, 2, 2),  # 1.5 s rounds up
    ],
)
def test_estimated_wait_is_position_times_handle_time_over_capacity(
    position: int, handle: int, capacity: int, expected: int
) -> None:
    """estimated_wait = position x handle time / capacity, rounded up to a whole second."""
    q = queue_of(*((f"d{i}", 1, 0) for i in range(1, position + 1)))
    assert q.position(f"d{position}") == position
    wait = q.estimated_wait(f"d{position}", handle_time=timedelta(seconds=handle), capacity=capacity)
    assert wait == timedelta(seconds=expected)


@pytest.mark.parametrize("capacity", [0, -1])
def test_estimated_wait_is_none_without_capacity(capacity: int) -> None:
    """Nobody can serve at capacity 0: no estimate."""
    q = queue_of(("a", 1, 0))
    assert q.estimated_wait("a", handle_time=timedelta(minutes=5), capacity=capacity) is None


def test_estimated_wait_grows_with_position() -> None:
    """Later dialogs get longer estimates in proportion to their position."""
    q = queue_of(("a", 1, 0), ("b", 1, 0), ("c", 2, 0))
    waits = [q.estimated_wait(d, handle_time=timedelta(seconds=60), capacity=2) for d in ("a", "b", "c")]
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=90)]


# ----------------------------------------------------------------- SLA levels


@pytest.mark.parametrize(
    ("waited", "level"),
    [
        (0, SlaLevel.OK),
        (29.999, SlaLevel.OK),
        (30, SlaLevel.WARN),
        (59, SlaLevel.WARN),
        (60, SlaLevel.CRITICAL),
        (600, SlaLevel.CRITICAL),
    ],
)
def test_sla_level_uses_the_default_30_60_thresholds(waited: float, level: SlaLevel) -> None:
    """Without an SLA the LiveTex defaults apply: warn at 30 s, critical at 60 s."""
    q = ChannelPriorityQueue()
    q.push("a", channel_priority=1, since=T0)
    assert q.sla_level("a", seconds(waited)) is level


def test_sla_level_uses_each_dialogs_own_thresholds() -> None:
    """Each dialog is judged against the SLA it was pushed with."""
    q = ChannelPriorityQueue()
    q.push("tg", channel_priority=1, since=T0, sla=SLA(warn=10, critical=20))
    q.push("mail", channel_priority=2, since=T0, sla=SLA(warn=600, critical=3600))
    now = seconds(25)
    assert q.sla_level("tg", now) is SlaLevel.CRITICAL
    assert q.sla_level("mail", now) is SlaLevel.OK


def test_waited_is_never_negative() -> None:
    """waited() counts from since and is zero before it."""
    q = ChannelPriorityQueue()
    q.push("a", channel_priority=1, since=seconds(10))
    assert q.waited("a", seconds(55)) == timedelta(seconds=45)
    assert q.waited("a", seconds(0)) == timedelta(0)
    assert q.sla_level("a", seconds(0)) is SlaLevel.OK


def test_overdue_lists_critical_dialogs_in_service_order() -> None:
    """overdue(now) lists exactly the critical dialogs, in service order."""
    q = ChannelPriorityQueue()
    q.push("mail-old", channel_priority=2, since=seconds(0))
    q.push("tg-old", channel_priority=1, since=seconds(5))
    q.push("tg-new", channel_priority=1, since=seconds(50))
    q.push("fast-sla", channel_priority=3, since=seconds(50), sla=SLA(warn=5, critical=10))
    assert q.overdue(seconds(66)) == ["tg-old", "mail-old", "fast-sla"]
    assert q.overdue(seconds(30)) == []
    assert q.overdue(seconds(110)) == ["tg-old", "tg-new", "mail-old", "fast-sla"]


# ------------------------------------------------------- model-based property

push_op = st.tuples(st.just("push"), st.integers(1, 3), st.integers(-2, 2))
remove_op = st.tuples(st.just("remove"), st.integers(0, 1000), st.just(0))
pop_op = st.tuples(st.just("pop"), st.just(0), st.just(0))


@given(st.lists(st.one_of(push_op, push_op, remove_op, pop_op), max_size=40))
def test_queue_agrees_with_a_sorted_list_model(ops: list[tuple[str, int, int]]) -> None:
    """After any pushes, removes and pops, order, positions and waits match a sorted list."""
    q = ChannelPriorityQueue()
    model: list[QueueKey] = []
    expected: list[str] = []
    for step, (name, a, b) in enumerate(ops):
        if name == "push":
            dialog_id = f"d{step}"
            q.push(dialog_id, channel_priority=a, priority=b, since=seconds(step))
            model.append((a, b, step, dialog_id))
        elif name == "remove" and model:
            victim = sorted(model)[a % len(model)]
            q.remove(victim[3])
            model.remove(victim)
        elif name == "pop" and model:
            head = min(model)
            assert q.pop() == head[3]
            model.remove(head)
        expected = [key[3] for key in sorted(model)]
        assert list(q) == expected
        assert len(q) == len(expected)
    for place, dialog_id in enumerate(expected, start=1):
        assert q.position(dialog_id) == place
        wait = q.estimated_wait(dialog_id, handle_time=timedelta(seconds=60), capacity=2)
        assert wait == timedelta(seconds=30 * place)


def test_a_wait_estimate_never_overflows() -> None:
    """A huge handle time times a long line gives at most ten years, not an OverflowError."""
    from chatroute._frozen import MAX_DURATION
    from chatroute.queue import wait_estimate

    assert wait_estimate(700, 3e11, 1) == MAX_DURATION
    assert wait_estimate(2, 30.0, 1) == timedelta(seconds=60)
