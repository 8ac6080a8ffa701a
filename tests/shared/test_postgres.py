"""PostgresJournal: tables in the host's schema, the host's transaction, the outbox and its notifications."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
from psycopg import sql

from chatroute import ChatrouteError, Dialog, Outcome, Router
from chatroute.errors import InvalidValue, UnknownDialog
from chatroute.serialize import to_dict
from chatroute.shared import (
    LostRequest,
    MemoryJournal,
    OutboxItem,
    SharedDesk,
    _batching,
    _pg_transactions,
    _replica,
)
from chatroute.shared.journal import Entry, Reply, Request
from chatroute.shared.postgres import PostgresJournal, lock_keys
from chatroute.shared.testing import TemporaryCluster

from ..strategies import START
from .test_desk import NIGHTS
from .workers import desk_config


def tables(cluster: TemporaryCluster, schema: str) -> list[str]:
    with psycopg.connect(cluster.dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,)
        ).fetchall()
    return [row[0] for row in rows]


def counts(cluster: TemporaryCluster, schema: str) -> tuple[int, int]:
    with psycopg.connect(cluster.dsn) as conn:
        entries = conn.execute(f'SELECT count(*) FROM "{schema}".entries').fetchone()
        outbox = conn.execute(f'SELECT count(*) FROM "{schema}".outbox').fetchone()
    assert entries is not None
    assert outbox is not None
    return entries[0], outbox[0]


def test_install_creates_the_tables_in_the_named_schema_and_can_run_again(cluster: TemporaryCluster) -> None:
    """install() makes the journal's tables in the schema, and running it again changes nothing."""
    journal = PostgresJournal(cluster.dsn, schema="Host Schema")
    journal.install()
    journal.install()
    journal.close()
    assert tables(cluster, "Host Schema") == [
        "consumers",
        "entries",
        "outbox",
        "replies",
        "requests",
        "snapshots",
        "writers",
    ]


def test_lock_keys_are_stable_32_bit_integers() -> None:
    """A desk's advisory lock keys are the same in every process and fit PostgreSQL's int4."""
    assert lock_keys("chatroute", "main") == lock_keys("chatroute", "main")
    assert lock_keys("chatroute", "main") != lock_keys("chatroute", "other")
    assert all(-(2**31) <= key < 2**31 for key in lock_keys("x", "y"))


def test_a_failing_call_on_postgres_writes_nothing(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal
) -> None:
    """A call that raises leaves the entries and outbox tables as they were."""
    desk = SharedDesk(journal, "main", desk_config())
    desk.route(Dialog(id="d1"), now=START)
    before = counts(cluster, schema)
    with pytest.raises(UnknownDialog):
        desk.release("nope", now=START, request_id="bad")
    assert counts(cluster, schema) == before


def test_a_call_on_the_hosts_connection_commits_and_rolls_back_with_the_host(
    cluster: TemporaryCluster, journal: PostgresJournal
) -> None:
    """A call in the host's transaction is kept when the host commits, and undone everywhere on rollback."""
    desk = SharedDesk(journal, "main", desk_config())
    other = SharedDesk(journal, "main", desk_config())
    with psycopg.connect(cluster.dsn) as conn:
        desk.route(Dialog(id="kept"), now=START, connection=conn)
        conn.commit()
        desk.route(Dialog(id="undone"), now=START, connection=conn)
        assert "undone" in [d.id for d in desk.read(lambda r: r.dialogs())]
        conn.rollback()
    assert [d.id for d in other.read(lambda r: r.dialogs())] == ["kept"]
    assert desk.route(Dialog(id="next"), now=START).outcome is Outcome.ASSIGNED
    assert [d.id for d in desk.read(lambda r: r.dialogs())] == ["kept", "next"]
    assert desk.read(lambda r: r.snapshot()) == other.read(lambda r: r.snapshot())


def test_the_outbox_hands_each_entrys_events_to_a_consumer_once(journal: PostgresJournal) -> None:
    """consume() gives each entry's events once per consumer name; a failing handler gets them again."""
    desk = SharedDesk(journal, "main", desk_config())
    desk.route(Dialog(id="d1"), now=START)
    desk.tick(now=START)  # no events: no outbox row
    desk.route(Dialog(id="d2"), now=START)
    seen: list[Sequence[OutboxItem]] = []

    def fail(items: Sequence[OutboxItem]) -> None:
        raise RuntimeError("the screen push failed")

    with pytest.raises(RuntimeError):
        journal.consume("main", "screens", fail)
    assert journal.consume("main", "screens", seen.append) == 2
    assert journal.consume("main", "screens", seen.append) == 0
    assert [[e["dialog_id"] for e in item.events] for item in seen[0]] == [["d1"], ["d2"]]
    assert journal.consume("main", "audit", seen.append) == 2


def test_a_listener_hears_which_desk_has_new_events(
    cluster: TemporaryCluster, journal: PostgresJournal
) -> None:
    """After a call with events commits, a LISTEN connection is told the desk id."""
    listener = journal.listener(cluster.dsn)
    try:
        assert listener.wait(0.05) == set()
        SharedDesk(journal, "blue", desk_config()).route(Dialog(id="d1"), now=START)
        assert listener.wait(5) == {"blue"}
    finally:
        listener.close()


def test_a_batching_desk_answers_retries_and_errors_like_a_locking_one(
    cluster: TemporaryCluster, schema: str, journal: PostgresJournal
) -> None:
    """Queued calls return their results, a retried request id its stored one, and bad input its error."""
    batched = SharedDesk(journal, "main", desk_config(), batching=True)
    locking = SharedDesk(PostgresJournal(cluster.dsn, schema=schema), "main", desk_config())
    with pytest.raises(UnknownDialog):
        batched.release("nope", now=START)
    assert counts(cluster, schema) == (0, 0)  # a failing first call does not open the desk
    first = batched.route(Dialog(id="d1"), now=START, request_id="r1")
    assert locking.route(Dialog(id="d1"), now=START, request_id="r1") == first
    assert batched.route(Dialog(id="d1"), now=START, request_id="r1") == first
    locking.route(Dialog(id="d2"), now=START)
    with pytest.raises(UnknownDialog):
        batched.release("nope", now=START)
    assert batched.read(lambda r: r.snapshot()) == locking.read(lambda r: r.snapshot())
    assert counts(cluster, schema) == (3, 2)
    batched.close()


def test_a_batching_desk_answers_a_reopening_time_in_the_schedules_zone(journal: PostgresJournal) -> None:
    """A queued route to a closed group returns reopens_at in the group's zone, as a Router does."""
    expected = Router(NIGHTS).route(Dialog(id="d1"), START)
    with SharedDesk(journal, "main", NIGHTS, batching=True) as desk:
        got = desk.route(Dialog(id="d1"), now=START)
    assert expected.reopens_at is not None
    assert expected.reopens_at.isoformat() == "2026-03-02T22:00:00+01:00"
    assert to_dict(got) == to_dict(expected)


def test_batching_needs_a_journal_with_a_queue() -> None:
    """A MemoryJournal has no batching writer: asking for one is refused, naming the field."""
    with pytest.raises(InvalidValue, match="batching"):
        SharedDesk(MemoryJournal(), "main", desk_config(), batching=True)


def test_a_batching_desk_refuses_a_request_id_used_for_another_call(journal: PostgresJournal) -> None:
    """A queued release under the request id of an earlier route is refused, naming the request id."""
    with SharedDesk(journal, "main", desk_config(), batching=True) as desk:
        desk.route(Dialog(id="d1"), now=START, request_id="r1")
        with pytest.raises(InvalidValue, match="request_id"):
            desk.release("d1", now=START, request_id="r1")


def test_a_request_committed_after_the_writer_read_the_queue_stays_queued(
    cluster: TemporaryCluster, journal: PostgresJournal
) -> None:
    """A writer removes only the requests it read, not a lower id that committed while it wrote.

    Request ids come from a sequence when the row is inserted, so a request can take a
    lower id than one already committed and commit after a writer has read the queue.
    Removing every id up to the highest read dropped it unanswered: its caller waited forever.
    """
    journal.install()
    with psycopg.connect(cluster.dsn) as late:  # takes the lower id, commits later
        late.execute(
            f'INSERT INTO "{journal.schema}".requests (desk_id, token, call, args)'
            " VALUES ('main', 'late', 'tick', '{}')"
        )
        journal.submit("main", Request(token="early", call="tick", args={}))
        with journal.lead("main") as batch:
            batch.entries(0)
            assert batch.locked
            assert [r.token for r in batch.requests] == ["early"]
            late.commit()
            batch.reply(Reply(token="early", position=0, now=START, result=None))
    assert journal.queued("main", "late")
    assert not journal.queued("main", "early")
    assert journal.take_reply("main", "early") is not None


def test_a_commit_writes_its_rows_back_exactly_as_appended(journal: PostgresJournal) -> None:
    """Awkward JSON values (non-ASCII, quotes, nulls, microseconds, large integers) read back unchanged."""
    awkward = {"id": 'é\u2028"x\\', "none": None, "big": 2**62, "nested": [1.5, {"k": []}]}
    entries = [
        Entry(
            position=n,
            call="route",
            args=awkward,
            now=START.replace(microsecond=123456 + n),
            geo=({"ip": "198.51.100.7", "answer": None},),
            result=None if n == 1 else awkward,
            request_id=None if n == 1 else "rid-é",
            nonce=f"n{n}",
            chatroute_version="1.0",
            config_version=1,
        )
        for n in (1, 2)
    ]
    with journal.transaction("exact") as txn:
        txn.entries(0)
        for entry in entries:
            txn.append(entry, [awkward] if entry.position == 2 else [])
    assert list(journal.entries("exact", 0)) == entries
    assert list(journal.outbox("exact", 0)) == [OutboxItem(desk_id="exact", position=2, events=[awkward])]


def test_the_batching_writer_vacuums_its_request_queue_as_positions_pass(
    cluster: TemporaryCluster, journal: PostgresJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every TIDY_EVERY positions the writer vacuums the queue, whose dead rows would slow each read."""
    monkeypatch.setattr(_pg_transactions, "TIDY_EVERY", 3)
    with SharedDesk(journal, "tidy", desk_config(), batching=True) as desk:
        for n in range(8):
            desk.route(Dialog(id=f"d{n}"), now=START)
    with psycopg.connect(cluster.dsn) as conn:
        vacuums = conn.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE schemaname = %s AND relname = 'requests'",
            (journal.schema,),
        ).fetchone()
    assert vacuums is not None
    assert vacuums[0] >= 2


def test_a_vacuum_that_fails_after_the_commit_does_not_fail_the_batch(
    journal: PostgresJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue's vacuum runs after the batch committed: when it fails, the calls stand and
    the same process stays the writer."""
    monkeypatch.setattr(_pg_transactions, "TIDY_EVERY", 2)
    journal._queries["tidy"] = sql.SQL("SELECT 1 / 0")  # fails at every multiple of TIDY_EVERY
    with SharedDesk(journal, "untidy", desk_config(), batching=True) as desk:
        decisions = [desk.route(Dialog(id=f"d{n}"), now=START) for n in range(6)]
        assert desk.leading
    assert [d.dialog_id for d in decisions] == [f"d{n}" for n in range(6)]
    entries = list(journal.entries("untidy", 0))
    assert [entry.position for entry in entries] == list(range(1, 8))
    assert [entry.call for entry in entries] == ["open"] + ["route"] * 6


class _LosingJournal(PostgresJournal):
    """Loses the first request queued before any writer sees it (as a server crash empties the queue)."""

    lost = 0

    def submit(self, desk_id: str, request: Request) -> None:
        if self.lost:
            super().submit(desk_id, request)
        self.lost += 1


def test_a_batched_call_whose_request_was_lost_does_not_wait_forever(
    cluster: TemporaryCluster, schema: str
) -> None:
    """A lost request is queued again under its request id, and raises LostRequest without one."""
    journal = _LosingJournal(cluster.dsn, schema=schema)
    desk = SharedDesk(journal, "main", desk_config(), batching=True)
    try:
        first = desk.route(Dialog(id="d1"), now=START, request_id="r1")
        assert first.outcome is not None
        assert [e.request_id for e in journal.entries("main", 0)] == [None, "r1"]
        journal.lost = 0
        with pytest.raises(LostRequest):
            desk.route(Dialog(id="d2"), now=START)
        assert len(journal.entries("main", 0)) == 2
        desk.route(Dialog(id="d2"), now=START)  # the desk carries on
        assert len(journal.entries("main", 0)) == 3
    finally:
        desk.close()
        journal.close()


class _UnreachableJournal(_LosingJournal):
    """Loses the first request, then cannot be asked about it (as a restarted server drops connections)."""

    def queued(self, desk_id: str, token: str) -> bool:
        raise psycopg.OperationalError("server closed the connection unexpectedly")


def test_a_waiting_call_that_cannot_check_its_request_raises_lost_request_not_the_driver_error(
    cluster: TemporaryCluster, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A waiting call whose checks keep failing raises LostRequest, caused by the driver's error."""
    monkeypatch.setattr(_batching, "_CHECK_AFTER", 0.05)
    journal = _UnreachableJournal(cluster.dsn, schema=schema)
    desk = SharedDesk(journal, "main", desk_config(), batching=True)
    try:
        with pytest.raises(LostRequest) as raised:
            desk.route(Dialog(id="d1"), now=START)
        assert isinstance(raised.value.__cause__, psycopg.OperationalError)
        assert journal.entries("main", 0) == []
    finally:
        desk.close()
        journal.close()


def test_a_call_that_breaks_the_writer_raises_for_its_caller_and_the_desk_carries_on(
    journal: PostgresJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-chatroute exception in the writer rolls its batch back; that call then raises, alone."""
    real = _replica.run_call

    def breaking(router: Any, spec: Any, args: Any, now: Any) -> Any:
        if spec.name == "route" and args["dialog"].id == "boom":
            raise KeyError("a bug")
        return real(router, spec, args, now)

    monkeypatch.setattr(_replica, "run_call", breaking)
    with SharedDesk(journal, "main", desk_config(), batching=True) as desk:
        desk.route(Dialog(id="d1"), now=START)
        with pytest.raises(ChatrouteError, match="KeyError"):
            desk.route(Dialog(id="boom"), now=START)
        desk.route(Dialog(id="d2"), now=START)
        assert [d.id for d in desk.read(lambda r: r.dialogs())] == ["d1", "d2"]
    assert [e.call for e in journal.entries("main", 0)] == ["open", "route", "route"]


def test_an_idle_batching_writer_is_woken_by_the_next_call(
    journal: PostgresJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call made after the writer went idle is answered at once, not when the writer next looks."""
    monkeypatch.setattr(_batching, "_IDLE", 60.0)
    with SharedDesk(journal, "main", desk_config(), batching=True) as desk:
        desk.route(Dialog(id="d1"), now=START)
        for n in range(2, 5):
            time.sleep(0.3)  # the writer finds the queue empty and marks itself idle
            began = time.perf_counter()
            desk.route(Dialog(id=f"d{n}"), now=START)
            assert time.perf_counter() - began < 20
        assert len(journal.entries("main", 0)) == 5


def _snapshot_after(journal: PostgresJournal, position: int) -> int:
    """The newest snapshot's position once it reaches ``position`` (snapshots are written in a thread)."""
    for _ in range(200):
        stored = journal.latest_snapshot("main")
        if stored is not None and stored.position >= position:
            return stored.position
        time.sleep(0.05)
    raise AssertionError(f"no snapshot at {position} or later")


@pytest.mark.parametrize("processes", [1, 2])
def test_a_batching_desk_writes_snapshots_a_new_replica_starts_from(
    cluster: TemporaryCluster, schema: str, processes: int
) -> None:
    """Snapshots are written outside the writer's batches (by a follower, or late by the lone writer)."""
    journals = [PostgresJournal(cluster.dsn, schema=schema) for _ in range(processes)]
    desks = [SharedDesk(j, "main", desk_config(), batching=True, snapshot_every=3) for j in journals]
    try:
        for n in range(10):
            desks[n % processes].route(Dialog(id=f"d{n}"), now=START)
        _snapshot_after(journals[0], 3 if processes == 2 else 6)
        fresh = SharedDesk(journals[0], "main", desk_config())
        assert fresh.read(lambda r: r.snapshot()) == desks[0].read(lambda r: r.snapshot())
    finally:
        for desk, journal in zip(desks, journals, strict=True):
            desk.close()
            journal.close()
