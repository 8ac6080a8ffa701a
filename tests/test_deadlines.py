"""The router's deadlines (``chatroute._deadlines``): named heaps pop what is due, earliest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chatroute._deadlines import CapLifts, DeadlineHeap, Deadlines, OfferExpiry

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@given(st.lists(st.integers(0, 100), max_size=30), st.integers(0, 100))
def test_due_pops_exactly_the_entries_due_by_now_in_order(offsets: list[int], cut: int) -> None:
    """``due(now)`` yields every entry due by ``now``, earliest first, and keeps the rest."""
    heap: DeadlineHeap[CapLifts] = DeadlineHeap()
    entries = [CapLifts(T0 + timedelta(seconds=s), f"op{i}") for i, s in enumerate(offsets)]
    for entry in entries:
        heap.push(entry)
    now = T0 + timedelta(seconds=cut)
    assert list(heap.due(now)) == sorted(e for e in entries if e.due <= now)
    later = sorted(e for e in entries if e.due > now)
    assert heap.next_due() == (later[0].due if later else None)


def test_an_entry_pushed_while_popping_comes_too_when_it_is_due() -> None:
    """A deadline added during ``due`` (an offer made again) is popped in the same pass if it is due."""
    heap: DeadlineHeap[OfferExpiry] = DeadlineHeap()
    heap.push(OfferExpiry(T0, "d1", 1))
    seen = []
    for entry in heap.due(T0 + timedelta(seconds=10)):
        seen.append(entry)
        if entry.epoch == 1:
            heap.push(OfferExpiry(T0 + timedelta(seconds=5), "d1", 2))
    assert [e.epoch for e in seen] == [1, 2]


def test_next_due_is_the_earliest_over_every_kind() -> None:
    """``Deadlines.next_due`` is the earliest entry of any heap, None when all are empty."""
    deadlines = Deadlines()
    assert deadlines.next_due() is None
    deadlines.caps.push(CapLifts(T0 + timedelta(seconds=30), "op"))
    deadlines.offers.push(OfferExpiry(T0 + timedelta(seconds=10), "d", 1))
    assert deadlines.next_due() == T0 + timedelta(seconds=10)


@given(st.lists(st.integers(0, 100), max_size=30), st.integers(0, 100))
def test_entries_is_the_live_heap_and_tells_what_due_by_tells(offsets: list[int], cut: int) -> None:
    """``entries`` kept before any push still shows the earliest entry, and says "something is due"
    exactly when ``due_by`` does."""
    heap: DeadlineHeap[CapLifts] = DeadlineHeap()
    entries = heap.entries
    now = T0 + timedelta(seconds=cut)
    for i, s in enumerate(offsets):
        heap.push(CapLifts(T0 + timedelta(seconds=s), f"op{i}"))
        assert entries[0].due == min(T0 + timedelta(seconds=o) for o in offsets[: i + 1])
    assert (bool(entries) and entries[0].due <= now) is heap.due_by(now)
    assert heap.due_by(now) is any(o <= cut for o in offsets)
