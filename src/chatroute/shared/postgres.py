"""A :class:`~chatroute.shared.journal.Journal` in PostgreSQL (``pip install chatroute[postgres]``).

Tables, in a schema the host names (``chatroute`` by default), made by :meth:`PostgresJournal.install`:

- ``entries``: one row per call, keyed by ``(desk_id, position)``; a unique index on
  ``(desk_id, request_id)`` makes request ids idempotency keys.
- ``snapshots``: the desk at some positions, so a new replica starts from the newest.
- ``outbox``: the events of each call that caused any, written in the call's
  transaction; ``pg_notify`` on the channel :attr:`PostgresJournal.channel` tells
  listeners which desk has new ones.
- ``consumers``: how far each named consumer has read each desk's outbox.
- ``requests`` and ``replies`` (unlogged: a crash loses only calls not yet answered,
  which their callers retry): the queue of the batching writer.
- the procedure ``submit``, which queues a call for the batching writer and wakes it
  when it is idle, in one prepared statement.
- the function ``write_batch``, which writes a transaction's entries, events and
  replies from arrays (one prepared statement, whatever the batch holds) and sends
  their notifications.

The desk's lock is ``pg_advisory_xact_lock(schema key, desk key)``, two 32-bit keys
derived from the schema and desk names: it is taken inside the call's transaction and
released when it commits or rolls back, so a worker that dies mid-call releases it with
its connection. Two desk ids whose keys collide only share a lock (they wait for each
other), never entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool

from ._pg_listeners import OutboxListener, ReplyListener, Seat, listener_channel
from ._pg_sql import SCHEMA, entry_columns, entry_of, lock_keys, queries, seat_keys
from ._pg_transactions import HostTransaction, OwnTransaction
from .journal import Entry, OutboxItem, Reply, Request, StoredSnapshot, Transaction

__all__ = ["OutboxListener", "PostgresJournal", "ReplyListener", "Seat", "lock_keys", "seat_keys"]


class PostgresJournal:
    """Desks' journals in PostgreSQL, over a DSN or a psycopg connection pool.

    Args:
        source: a connection string (the journal opens a small pool of its own) or a
            :class:`psycopg_pool.ConnectionPool` the host owns, whose connections are in
            autocommit mode (``kwargs={"autocommit": True}``): the journal begins and
            commits its own transactions.
        schema: the schema holding the tables.
        notify: send ``pg_notify`` when a call writes events (LISTEN on :attr:`channel`).
    """

    def __init__(
        self, source: str | ConnectionPool[Any], *, schema: str = "chatroute", notify: bool = True
    ) -> None:
        if not isinstance(schema, str) or not schema:
            raise ValueError("schema must be a non-empty string")
        self.schema = schema
        self.schema_sql = sql.Identifier(schema)
        self.channel = f"{schema}_outbox"[:63]
        self.replies_channel = f"{schema}_replies"[:63]
        self.requests_channel = f"{schema}_requests"[:63]
        self._notify = notify
        self._owned = isinstance(source, str)
        if isinstance(source, str):
            self._pool: ConnectionPool[Any] = ConnectionPool(
                source, min_size=1, max_size=6, kwargs={"autocommit": True}, open=True
            )
        else:
            self._pool = source
        self._queries = queries(schema)

    # ------------------------------------------------------------- set-up

    def install(self) -> None:
        """Create the schema and tables if they are missing (safe to run again)."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(sql.SQL(SCHEMA).format(s=self.schema_sql))

    def close(self) -> None:
        """Close the pool, if the journal opened it."""
        if self._owned:
            self._pool.close()

    # -------------------------------------------------------- the protocol

    @contextmanager
    def _transaction(
        self, desk_id: str, connection: psycopg.Connection[Any] | None, request_id: str | None
    ) -> Iterator[Transaction]:
        if connection is not None:
            yield from self._joined(desk_id, connection)
            return
        with self._own(desk_id, request_id, lead=False) as txn:
            yield txn

    @contextmanager
    def _own(
        self, desk_id: str, request_id: str | None, *, lead: bool, wait: bool = False
    ) -> Iterator[OwnTransaction]:
        """A transaction on one of the journal's connections; committed if it holds the lock."""
        with self._pool.connection() as conn:
            txn = OwnTransaction(self, conn, desk_id, request_id, lead=lead, wait=wait)
            try:
                yield txn
            except BaseException:
                if not conn.broken:
                    txn.rollback()
                raise
            if txn.locked:
                txn.commit()
            else:
                txn.rollback()

    def _joined(self, desk_id: str, connection: psycopg.Connection[Any]) -> Iterator[Transaction]:
        """The call inside the host's transaction: a savepoint of it, or its own on autocommit."""
        lock = (self._queries["lock"], lock_keys(self.schema, desk_id))
        if connection.autocommit:  # no transaction of the host's to join: one of its own
            with connection.transaction():
                connection.execute(*lock)
                yield HostTransaction(self, connection, desk_id)
            return
        connection.execute("SAVEPOINT chatroute_desk")  # begins the host's transaction if need be
        try:
            connection.execute(*lock)
            yield HostTransaction(self, connection, desk_id)
        except BaseException:
            if not connection.broken:
                connection.execute("ROLLBACK TO SAVEPOINT chatroute_desk")
            raise
        connection.execute("RELEASE SAVEPOINT chatroute_desk")

    def transaction(
        self, desk_id: str, connection: Any = None, *, request_id: str | None = None
    ) -> AbstractContextManager[Transaction]:
        """Take the desk's advisory lock in a transaction; commit on a clean exit.

        Args:
            desk_id: the desk.
            connection: a host's psycopg connection. Not in autocommit mode, the call
                joins its transaction (a savepoint inside it, begun if need be): the
                desk's lock is held, and the call is kept, only once the host commits.
                In autocommit mode, the call commits on its own.
            request_id: the call's request id, looked up with the first read.
        """
        return self._transaction(desk_id, connection, request_id)

    # ------------------------------------------------------ batching writer

    def submit(self, desk_id: str, request: Request) -> None:
        """Queue a call for the desk's batching writer, and wake the writer if it is idle.

        One statement, prepared on each connection: the ``submit`` procedure that
        :meth:`install` made commits the request, then notifies the writer unless the
        journal says it is busy.
        """
        row = (desk_id, request.token, request.call, Json(request.args), request.now, request.request_id)
        with self._pool.connection() as conn:
            conn.execute(self._queries["submit"], (*row, self.requests_channel))

    def lead(self, desk_id: str, *, wait: bool = False) -> AbstractContextManager[OwnTransaction]:
        """A transaction of the desk's writer, with the desk's lock or not, reading the queue.

        The first ``entries()`` read takes the lock (``wait``) or tries it without waiting
        and, holding it, reads the waiting requests (``.requests``); ``.locked`` says
        whether it holds the lock.
        """
        return self._own(desk_id, None, lead=True, wait=wait)

    def claim_snapshot(self, desk_id: str, mark: int) -> bool:
        """Whether this caller is the first to claim the desk's snapshot number ``mark`` (others skip it)."""
        with self._pool.connection() as conn:
            return conn.execute(self._queries["claim_snapshot"], (desk_id, mark)).fetchone() is not None

    def seat(self, desk_id: str) -> Seat:
        """The desk's writer seat: wait to lead the desk (a session lock), then for its requests."""
        return Seat(self, desk_id)

    def replies(self, listener: str) -> ReplyListener:
        """A listener, on a connection of its own, for the replies to the requests of ``listener``."""
        return ReplyListener(self, listener)

    def take_reply(self, desk_id: str, token: str) -> Reply | None:
        """The reply to a request, removed from the table, if the writer has answered it."""
        found = self.take_replies(desk_id, [token])
        return found[0] if found else None

    def take_replies(self, desk_id: str, tokens: Sequence[str]) -> list[Reply]:
        """The replies to any of these requests that the writer wrote, removed from the table."""
        with self._pool.connection() as conn:
            rows = conn.execute(self._queries["take_many"], (desk_id, list(tokens))).fetchall()
        return [
            Reply(token=token, position=position, now=now, result=result, error=error)
            for token, position, now, result, error in rows
        ]

    def queued(self, desk_id: str, token: str) -> bool:
        """Whether the request is still waiting for a writer.

        A writer removes a request and writes its reply in one commit, so a request that
        is not queued (asked first) and has no reply (taken next) was lost: the caller
        must not wait for it.
        """
        with self._pool.connection() as conn:
            row = conn.execute(self._queries["queued"], (desk_id, token)).fetchone()
        return bool(row and row[0])

    def wake(self, desk_id: str, listener: str) -> None:
        """Wake the desk's writer, and the reply listener ``listener`` (they look whether to stop)."""
        notify = self._queries["notify"]
        replies = listener_channel(self.replies_channel, listener)
        with self._pool.connection() as conn:
            conn.execute(
                sql.SQL("{n}; {n}").format(n=notify),
                (self.requests_channel, desk_id, replies, json.dumps(desk_id)),
            )

    def _dedicated(self) -> psycopg.Connection[Any]:
        """A connection of the pool kept for a long wait (a seat or a listener), in autocommit."""
        conn: psycopg.Connection[Any] = self._pool.getconn()
        conn.autocommit = True
        return conn

    def entries(self, desk_id: str, after: int, *, results: bool = True) -> Sequence[Entry]:
        """Committed entries after position ``after``, in order (``results=False``: without results)."""
        with self._pool.connection() as conn:
            return self._read_entries(conn, desk_id, after, results=results)

    def _read_entries(
        self, conn: psycopg.Connection[Any], desk_id: str, after: int, *, results: bool
    ) -> Sequence[Entry]:
        query = self._queries["entries" if results else "tail"]
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, (desk_id, after)).fetchall()
        return [entry_of(row) for row in rows]

    def _appends(
        self, desk_id: str, entry: Entry, events: Sequence[Any]
    ) -> list[tuple[sql.Composed, tuple[Any, ...]]]:
        """The statements that append an entry, its events and their notification."""
        queries = self._queries
        row, outbox = self._rows(desk_id, entry, events)
        statements: list[tuple[sql.Composed, tuple[Any, ...]]] = [(queries["insert"], row)]
        if outbox is not None:
            statements.append((queries["outbox"], outbox))
            if self._notify:
                statements.append((queries["notify"], (self.channel, desk_id)))
        return statements

    def _rows(
        self, desk_id: str, entry: Entry, events: Sequence[Any]
    ) -> tuple[tuple[Any, ...], tuple[Any, ...] | None]:
        """An entry's row, and its outbox row if it caused events."""
        row = (desk_id, *entry_columns(entry, Json))
        return row, ((desk_id, entry.position, Json(list(events))) if events else None)

    def latest_snapshot(self, desk_id: str) -> StoredSnapshot | None:
        """The snapshot at the highest position, if any."""
        query = sql.SQL(
            "SELECT position, config, config_version, snapshot, now, chatroute_version, image"
            " FROM {s}.snapshots"
            " WHERE desk_id = %s ORDER BY position DESC LIMIT 1"
        ).format(s=self.schema_sql)
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query, (desk_id,)).fetchone()
        if row is None:
            return None
        return StoredSnapshot(
            position=row["position"],
            config=row["config"],
            config_version=row["config_version"],
            snapshot=row["snapshot"],  # JSON text, parsed only if the replica does not use the image
            now=row["now"],
            chatroute_version=row["chatroute_version"],
            image=row["image"],
        )

    def store_snapshot(self, desk_id: str, stored: StoredSnapshot) -> None:
        """Keep a snapshot; one already stored at that position stays."""
        query = sql.SQL(
            "INSERT INTO {s}.snapshots (desk_id, position, config, config_version, snapshot, now,"
            " chatroute_version, image) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        ).format(s=self.schema_sql)
        row = (
            desk_id,
            stored.position,
            Json(stored.config),
            stored.config_version,
            json.dumps(stored.snapshot, separators=(",", ":")),
            stored.now,
            stored.chatroute_version,
            stored.image,
        )
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(query, row)

    # -------------------------------------------------------------- outbox

    def outbox(self, desk_id: str, after: int, limit: int = 1000) -> Sequence[OutboxItem]:
        """Committed events of entries after position ``after``, in order."""
        with self._pool.connection() as conn:
            return self._read_outbox(conn, desk_id, after, limit)

    def _read_outbox(
        self, conn: psycopg.Connection[Any], desk_id: str, after: int, limit: int
    ) -> Sequence[OutboxItem]:
        query = sql.SQL(
            "SELECT position, events FROM {s}.outbox WHERE desk_id = %s AND position > %s"
            " ORDER BY position LIMIT %s"
        ).format(s=self.schema_sql)
        rows = conn.execute(query, (desk_id, after, limit)).fetchall()
        return [OutboxItem(desk_id=desk_id, position=position, events=events) for position, events in rows]

    def consume(
        self,
        desk_id: str,
        consumer: str,
        handle: Callable[[Sequence[OutboxItem]], None],
        *,
        limit: int = 1000,
    ) -> int:
        """Hand the events the named consumer has not had yet to ``handle``, once.

        The consumer's cursor moves in the same transaction, after ``handle`` returns: if
        ``handle`` raises, or the process dies, the same events come again next time. Two
        processes consuming under the same name take turns (a row lock).

        Returns:
            How many entries' events were handed over.
        """
        s = self.schema_sql
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {s}.consumers (desk_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                ).format(s=s),
                (desk_id, consumer),
            )
            found = conn.execute(
                sql.SQL(
                    "SELECT position FROM {s}.consumers WHERE desk_id = %s AND name = %s FOR UPDATE"
                ).format(s=s),
                (desk_id, consumer),
            ).fetchone()
            assert found is not None
            items = self._read_outbox(conn, desk_id, found[0], limit)
            if not items:
                return 0
            handle(items)
            conn.execute(
                sql.SQL("UPDATE {s}.consumers SET position = %s WHERE desk_id = %s AND name = %s").format(
                    s=s
                ),
                (items[-1].position, desk_id, consumer),
            )
            return len(items)

    def listener(self, conninfo: str) -> OutboxListener:
        """A listener for this journal's outbox notifications, on a connection of its own."""
        return OutboxListener(conninfo, self.channel)
