"""The reply notifications of the batching writer: replies carried in payloads that fit NOTIFY."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
from hypothesis import given
from hypothesis import strategies as st

from chatroute.shared._pg_listeners import (
    listener_channel,
    read_reply_payload,
    replies_by_channel,
    reply_payloads,
)
from chatroute.shared.journal import Reply
from chatroute.shared.postgres import PostgresJournal

from ..strategies import START

results = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def row(token: str, position: int, result: Any, error: bool) -> tuple[Any, ...]:
    return (token, position, START + timedelta(seconds=position), json.dumps(result), error)


@given(
    desk_id=st.text(min_size=1, max_size=20),
    replies=st.lists(st.tuples(results, st.booleans(), st.integers(0, 400)), max_size=40),
)
def test_every_reply_comes_back_from_payloads_that_fit_a_notification(
    desk_id: str, replies: list[tuple[Any, bool, int]]
) -> None:
    """Each reply is read back whole, or by token alone when too large; no payload reaches 8,000 bytes."""
    rows = [
        row(f"t{n:04d}", n, ["x" * padding, result], error)
        for n, (result, error, padding) in enumerate(replies)
    ]
    got: dict[str, Reply | None] = {}
    for payload in reply_payloads(desk_id, rows):
        assert len(payload.encode()) < 8000
        desk, found = read_reply_payload(payload)
        assert desk == desk_id
        assert found
        got |= found
    assert list(got) == [r[0] for r in rows]
    for token, position, now, result, error in rows:
        expected = Reply(token=token, position=position, now=now, result=json.loads(result), error=error)
        assert got[token] == expected


def test_a_reply_too_large_for_a_notification_is_announced_by_its_token() -> None:
    """A reply of 10,000 characters goes by token (the listener takes it from the table), the next in full."""
    rows = [row("big", 1, "y" * 10_000, False), row("small", 2, [1], False)]
    (payload,) = reply_payloads("main", rows)
    _, found = read_reply_payload(payload)
    assert found is not None
    assert found["big"] is None
    assert found["small"] == Reply(token="small", position=2, now=rows[1][2], result=[1])


def test_a_payload_without_replies_is_a_wake_up() -> None:
    """The writer's wake-up (the desk id alone) names the desk and no replies."""
    assert read_reply_payload('"main"') == ("main", None)


def test_a_listener_decodes_only_the_replies_it_waits_for() -> None:
    """With wanted tokens, the others' replies are skipped; none of them wanted is still not a wake-up."""
    rows = [row("mine", 1, [1], False), row("theirs", 2, [2], True)]
    (payload,) = reply_payloads("main", rows)
    assert read_reply_payload(payload, {"mine"}) == (
        "main",
        {"mine": Reply(token="mine", position=1, now=rows[0][2], result=[1])},
    )
    assert read_reply_payload(payload, set()) == ("main", {})


def test_a_batch_announces_each_listeners_replies_on_its_own_channel() -> None:
    """Replies go to the channel their token names (before the dot), so a process with none sleeps on."""
    rows = [row("a1.x", 1, [1], False), row("b2.y", 2, [2], False), row("a1.z", 3, [3], False)]
    rows.append(row("plain", 4, [4], False))
    assert replies_by_channel("s_replies", rows) == {
        "s_replies_a1": [rows[0], rows[2]],
        "s_replies_b2": [rows[1]],
        "s_replies": [rows[3]],
    }
    assert len(listener_channel("s" * 80, "0123abcd")) == 63  # PostgreSQL's limit for a channel name


def test_a_listener_hears_its_own_replies_and_not_another_processes(journal: PostgresJournal) -> None:
    """A reply listener wakes for the replies to its own requests only."""
    mine, theirs = journal.replies("mine"), journal.replies("theirs")
    try:
        with journal._pool.connection() as conn:
            for channel, rows in replies_by_channel(
                journal.replies_channel, [row("mine.1", 1, [1], False)]
            ).items():
                for payload in reply_payloads("desk", rows):
                    conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
        heard = mine.wait(5)
        assert heard == {
            "desk": {
                "mine.1": Reply(token="mine.1", position=1, now=START + timedelta(seconds=1), result=[1])
            }
        }
        assert theirs.wait(0.2) == {}
    finally:
        mine.close()
        theirs.close()


def test_a_process_waiting_for_the_seat_asks_again_every_second(journal: PostgresJournal) -> None:
    """The wait for the writer seat is a new statement each second, so its snapshot never keeps
    VACUUM from the database's dead rows for long; it still takes the seat once it is free."""
    holder, waiter = journal.seat("d"), journal.seat("d")
    holder.take()
    waiting = threading.Thread(target=waiter.take)
    waiting.start()
    try:
        time.sleep(2.5)
        with journal._pool.connection() as conn:
            age = conn.execute(
                "SELECT extract(epoch FROM now() - query_start) FROM pg_stat_activity"
                " WHERE pid = %s AND wait_event = 'advisory'",
                (waiter._conn.info.backend_pid,),
            ).fetchone()
        assert age is not None
        assert age[0] < 1.5
    finally:
        holder.release()
        waiting.join(timeout=10)
    assert not waiting.is_alive()
    waiter.release()


def test_a_seat_met_by_a_late_cancel_goes_back_to_the_pool_open(journal: PostgresJournal) -> None:
    """A cancel that fails the seat's first cleaning statement is survived: the connection returns
    open and clean, and the pool counts no bad return (it would log "discarding closed connection")."""
    seat = journal.seat("d")
    conn = seat._conn
    conn.execute("LISTEN somewhere")
    execute = conn.execute
    cancelled: list[str] = []

    def late_cancel(query: Any, *args: Any, **kwargs: Any) -> Any:
        if not cancelled:
            cancelled.append(str(query))
            raise psycopg.errors.QueryCanceled("canceling statement due to user request")
        return execute(query, *args, **kwargs)

    conn.execute = late_cancel  # type: ignore[method-assign]
    seat.release()
    del conn.execute
    assert cancelled == ["UNLISTEN *"]
    assert not conn.closed
    assert journal._pool.get_stats().get("returns_bad", 0) == 0
    with journal._pool.connection() as again:
        channels = again.execute("SELECT count(*) FROM pg_listening_channels()").fetchone()
    assert channels == (0,)


def test_closing_a_released_seat_cancels_nothing(journal: PostgresJournal) -> None:
    """Once a seat is back in the pool, closing it no longer cancels its connection, which another
    caller may be using by then."""
    seat = journal.seat("d")
    seat.release()
    others = []
    while (lent := journal._pool.getconn(timeout=5)) is not seat._conn:  # the pool lends in turn
        others.append(lent)
    failed: list[BaseException] = []

    def sleep() -> None:
        try:
            lent.execute("SELECT pg_sleep(1)")
        except psycopg.Error as exc:
            failed.append(exc)

    other = threading.Thread(target=sleep)
    other.start()
    time.sleep(0.3)
    seat.close()
    other.join()
    for conn in [lent, *others]:
        journal._pool.putconn(conn)
    assert failed == []
