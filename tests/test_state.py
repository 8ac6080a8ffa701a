"""The router's indexes of available operators (``chatroute._state``), against plain lists.

``RankedIndex`` must answer like ``min`` (and ``leading`` like ``sorted``) over the
current keys (also when some operators do not fit), however many stale heap entries it
carries; ``IdIndex`` like a sorted list of the available members (k-th member, next
after a given id).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chatroute import Dialog, Operator, Router, RoutingConfig
from chatroute._state import IdIndex, RankedIndex

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

IDS = [f"op{i}" for i in range(12)]

# (operator, new key or None to drop them) steps; keys end with the id, as ranks do. Few
# operators and long runs, so stale entries pile up and the heap gets compacted.
_ranked_steps = st.lists(
    st.tuples(st.sampled_from(IDS[:5]), st.one_of(st.none(), st.integers(0, 40))),
    min_size=150,
    max_size=300,
)


def _unranked(op_id: str) -> tuple[int, str]:
    raise AssertionError("put() is given keys; the index never ranks by itself")


@given(steps=_ranked_steps, banned=st.frozensets(st.sampled_from(IDS)), n=st.integers(1, 7))
def test_ranked_index_head_is_the_minimum_of_current_keys(
    steps: list[tuple[str, int | None]], banned: frozenset[str], n: int
) -> None:
    """After any puts, first() is the smallest current key's operator (skipping those that do not
    fit), and leading(n) the first n by current key."""
    index = RankedIndex(_unranked)  # type: ignore[arg-type]
    current: dict[str, tuple[int, str]] = {}
    for op_id, load in steps:
        key = None if load is None else (load, op_id)
        index.put(op_id, key)
        if key is None:
            current.pop(op_id, None)
        else:
            current[op_id] = key
        expected = min(current.values(), default=None)
        assert index.first() == (expected[-1] if expected else None)
        fitting = [k for k in current.values() if k[-1] not in banned]
        assert index.first(lambda o: o not in banned) == (min(fitting)[-1] if fitting else None)
        assert len(index) == len(current)
        assert list(index) == [k[-1] for k in sorted(current.values())]
        assert index.leading(n) == [k[-1] for k in sorted(current.values())][:n]
    assert all((op_id in index) == (op_id in current) for op_id in IDS)


@given(
    members=st.lists(st.sampled_from(IDS), unique=True).map(sorted),
    steps=st.lists(st.tuples(st.sampled_from(IDS), st.booleans()), max_size=80),
    probe=st.one_of(st.none(), st.sampled_from(IDS)),
)
def test_id_index_matches_a_sorted_list_of_available_members(
    members: list[str], steps: list[tuple[str, bool]], probe: str | None
) -> None:
    """at(k), next_after and iteration agree with the available members in id order; others are ignored."""
    index = IdIndex(tuple(members))
    available: set[str] = set()
    for op_id, flag in steps:
        index.mark(op_id, flag)
        if op_id in members:
            (available.add if flag else available.discard)(op_id)
        ordered = sorted(available)
        assert len(index) == len(ordered)
        assert [index.at(k) for k in range(len(ordered))] == ordered
        assert list(index) == ordered
        after = [o for o in ordered if probe is None or o > probe]
        assert index.next_after(probe) == (after[0] if after else ordered[0] if ordered else None)
    assert all((op_id in index) == (op_id in available) for op_id in IDS)


DESK = RoutingConfig(operators=[Operator(id="ann", status="online", limit=1)], hold_counts=False)


def test_dialogs_without_the_rarer_features_have_no_extra_record() -> None:
    """A dialog routed, queued, drained and released without languages, relaxing, holds,
    declines that lapse or preferred waits has no extra record; holding one makes it, and a
    restored router thaws it to the same record."""
    router = Router(DESK)
    router.route(Dialog(id="d1"), T0)
    router.route(Dialog(id="d2"), T0)
    router.release("d1", T0 + timedelta(seconds=1))
    assert [rec.extra for rec in router._state.dialogs.values()] == [None] * len(router._state.dialogs)
    router.hold("d2", T0 + timedelta(seconds=2))
    extra = router._state.dialogs["d2"].extra
    assert extra is not None
    assert extra.held_since == T0 + timedelta(seconds=2)
    restored = Router.restore(DESK, router.snapshot())
    assert restored.dialog("d2") == router.dialog("d2")
    assert restored._state.dialogs["d2"].extra is not None
