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

The desk's lock is ``pg_advisory_xact_lock(schema key, desk key)``, two 32-bit keys
derived from the schema and desk names: it is taken inside the call's transaction and
released when it commits or rolls back, so a worker that dies mid-call releases it with
its connection. Two desk ids whose keys collide only share a lock (they wait for each
other), never entries.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool

from .journal import Entry, OutboxItem, Reply, Request, StoredSnapshot, Transaction

__all__ = ["OutboxListener", "PostgresJournal", "ReplyListener", "Seat", "lock_keys", "seat_keys"]

_ENTRY_COLUMNS = (
    "position, call, args, now, geo, result, request_id, nonce, chatroute_version, config_version"
)

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.entries (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    call text NOT NULL,
    args json NOT NULL,
    now timestamptz NOT NULL,
    geo json NOT NULL,
    result json,
    request_id text,
    nonce text NOT NULL,
    chatroute_version text NOT NULL,
    config_version bigint NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (desk_id, position)
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_request_id ON {s}.entries (desk_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS {s}.snapshots (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    config json NOT NULL,
    config_version bigint NOT NULL,
    snapshot text NOT NULL,
    now timestamptz NOT NULL,
    chatroute_version text NOT NULL,
    PRIMARY KEY (desk_id, position)
);
ALTER TABLE {s}.snapshots ADD COLUMN IF NOT EXISTS image bytea;
CREATE TABLE IF NOT EXISTS {s}.outbox (
    desk_id text NOT NULL,
    position bigint NOT NULL,
    events json NOT NULL,
    PRIMARY KEY (desk_id, position)
);
CREATE TABLE IF NOT EXISTS {s}.consumers (
    desk_id text NOT NULL,
    name text NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (desk_id, name)
);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.requests (
    id bigserial PRIMARY KEY,
    desk_id text NOT NULL,
    token text NOT NULL,
    call text NOT NULL,
    args json NOT NULL,
    now timestamptz,
    request_id text
);
CREATE INDEX IF NOT EXISTS requests_desk ON {s}.requests (desk_id, id);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.replies (
    token text PRIMARY KEY,
    desk_id text NOT NULL,
    position bigint NOT NULL,
    now timestamptz NOT NULL,
    result json,
    error boolean NOT NULL
);
"""


def _key(name: str) -> int:
    """A stable signed 32-bit key for a name (CRC-32)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def lock_keys(schema: str, desk_id: str) -> tuple[int, int]:
    """The two keys of a desk's advisory lock: ``pg_advisory_xact_lock(*lock_keys(schema, desk))``."""
    return _key(schema), _key(desk_id)


def seat_keys(schema: str, desk_id: str) -> tuple[int, int]:
    """The two keys of the session lock its batching writer holds: ``pg_advisory_lock(*seat_keys(...))``."""
    return _key(f"{schema}:writer"), _key(desk_id)


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        position=row["position"],
        call=row["call"],
        args=row["args"],
        now=row["now"],
        geo=tuple(row["geo"]),
        result=row["result"],
        request_id=row["request_id"],
        nonce=row["nonce"],
        chatroute_version=row["chatroute_version"],
        config_version=row["config_version"],
    )


def _values(head: sql.Composed, rows: Sequence[tuple[Any, ...]]) -> sql.Composed:
    """``head`` followed by one ``(%s, ...)`` group per row: a multi-row INSERT."""
    group = sql.SQL("(" + ", ".join(["%s"] * len(rows[0])) + ")")
    return head + sql.SQL(", ").join([group] * len(rows))


class _HostTransaction:
    """A desk's journal inside a host's transaction (a savepoint of it), holding the desk's lock."""

    def __init__(self, journal: PostgresJournal, conn: psycopg.Connection[Any], desk_id: str) -> None:
        self._journal = journal
        self._conn = conn
        self._desk_id = desk_id

    def entries(self, after: int) -> Sequence[Entry]:
        return self._journal._read_entries(self._conn, self._desk_id, after, results=False)

    def find(self, request_id: str) -> Entry | None:
        query = sql.SQL(
            "SELECT " + _ENTRY_COLUMNS + " FROM {s}.entries WHERE desk_id = %s AND request_id = %s"
        ).format(s=self._journal.schema_sql)
        with self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query, (self._desk_id, request_id)).fetchone()
        return _entry(row) if row is not None else None

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        for statement, params in self._journal._appends(self._desk_id, entry, events):
            self._conn.execute(statement, params)


class _OwnTransaction:
    """A desk's journal on the journal's own connection, in two round trips.

    The first read sends ``BEGIN``, the lock and the read (with the entry of the call's
    request id, if any) as one message; the appends and ``COMMIT`` go as another. Each
    statement still takes its own snapshot, so the read after the lock sees every entry
    committed before the lock was granted.
    """

    def __init__(
        self,
        journal: PostgresJournal,
        conn: psycopg.Connection[Any],
        desk_id: str,
        request_id: str | None,
        *,
        lead: bool = False,
        wait: bool = False,
    ) -> None:
        self._journal = journal
        self._wait = wait
        self._cursor = psycopg.ClientCursor(conn)
        self._desk_id = desk_id
        self._request_id = request_id
        self._lead = lead
        self._begun = False
        self._found: Entry | None = None
        self._pending: list[tuple[sql.Composed, tuple[Any, ...]]] = []
        self.locked = not lead
        self.requests: list[Request] = []
        self._request_ids: list[int] = []
        self._rows: dict[str, list[tuple[Any, ...]]] = {
            "insert_head": [],
            "outbox_head": [],
            "reply_head": [],
        }

    def entries(self, after: int) -> Sequence[Entry]:
        if self._begun:
            return self._journal._read_entries(self._cursor.connection, self._desk_id, after, results=False)
        journal = self._journal
        keys = lock_keys(journal.schema, self._desk_id)
        params: tuple[Any, ...] = (*keys, self._request_id, self._desk_id, after, self._request_id)
        if self._lead:  # a batching writer: try the lock, and read the waiting requests too
            script = sql.SQL("BEGIN; {lock}; {read}; {requests}").format(
                lock=journal._queries["lock" if self._wait else "try_lock"],
                read=journal._queries["first"],
                requests=journal._queries["requests"],
            )
            params = (*params, self._desk_id)
        else:
            script = sql.SQL("BEGIN; {lock}; {read}").format(
                lock=journal._queries["lock"], read=journal._queries["first"]
            )
        self._cursor.execute(script, params)
        self._begun = True
        self._cursor.nextset()
        if self._lead:
            locked = self._cursor.fetchone()
            self.locked = self._wait or bool(locked and locked[0])
        self._cursor.nextset()
        names = [column.name for column in self._cursor.description or ()]
        rows = [_entry(dict(zip(names, row, strict=True))) for row in self._cursor.fetchall()]
        if self._request_id is not None:
            self._found = next((e for e in rows if e.request_id == self._request_id), None)
        if self._lead:
            self._cursor.nextset()
            waiting = self._cursor.fetchall() if self.locked else []
            self.requests = [
                Request(token=token, call=call, args=args, now=now, request_id=request_id)
                for _, token, call, args, now, request_id in waiting
            ]
            # Exactly the rows read, not every id up to the highest: ids come from a sequence
            # at insert time, so a lower id can commit after a higher one was read, and a
            # range delete would drop it unanswered.
            self._request_ids = [row[0] for row in waiting]
        return [e for e in rows if e.position > after]

    def reply(self, reply: Reply) -> None:
        """Answer a request, in the same commit as the entries."""
        row = (reply.token, self._desk_id, reply.position, reply.now, Json(reply.result), reply.error)
        self._rows["reply_head"].append(row)

    def find(self, request_id: str) -> Entry | None:
        if request_id == self._request_id and self._begun:
            return self._found
        return _HostTransaction(self._journal, self._cursor.connection, self._desk_id).find(request_id)

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        row, outbox = self._journal._rows(self._desk_id, entry, events)
        self._rows["insert_head"].append(row)
        if outbox is not None:
            self._rows["outbox_head"].append(outbox)

    def commit(self) -> None:
        """Append every row with one statement per table, answer the requests, and commit: one round trip."""
        if not self._begun:
            self.entries(0)
        journal = self._journal
        queries = journal._queries
        for head, rows in self._rows.items():
            if rows:
                self._pending.append((_values(queries[head], rows), tuple(v for row in rows for v in row)))
        if self._rows["outbox_head"] and journal._notify:
            self._pending.append((queries["notify"], (journal.channel, self._desk_id)))
        if self._request_ids:
            self._pending.append((queries["served"], (self._desk_id, self._request_ids)))
        if self._rows["reply_head"]:
            # the payload names the requests answered, when they fit (NOTIFY takes 8,000 bytes)
            tokens = " ".join(row[0] for row in self._rows["reply_head"])
            payload = (
                f"{self._desk_id} {tokens}" if len(self._desk_id) + len(tokens) < 7900 else self._desk_id
            )
            self._pending.append((queries["notify"], (journal.replies_channel, payload)))
        script = sql.SQL("; ").join([*(statement for statement, _ in self._pending), sql.SQL("COMMIT")])
        params = tuple(value for _, values in self._pending for value in values)
        self._cursor.execute(script, params)

    def rollback(self) -> None:
        if self._begun:
            self._cursor.execute("ROLLBACK")


class PostgresJournal:
    """Desks' journals in PostgreSQL, over a DSN or a psycopg connection pool.

    Args:
        source: a connection string (the journal opens a small pool of its own) or a
            :class:`psycopg_pool.ConnectionPool` the host owns.
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
        self._queries = self._prepare()

    def _prepare(self) -> dict[str, sql.Composed]:
        s = self.schema_sql
        return {
            "lock": sql.SQL("SELECT pg_advisory_xact_lock(%s, %s)").format(),
            "entries": sql.SQL(
                "SELECT " + _ENTRY_COLUMNS + " FROM {s}.entries WHERE desk_id = %s AND position > %s"
                " ORDER BY position"
            ).format(s=s),
            "first": sql.SQL(
                "SELECT "
                + _ENTRY_COLUMNS.replace("result", "CASE WHEN request_id = %s THEN result END AS result")
                + " FROM {s}.entries WHERE desk_id = %s AND (position > %s OR request_id = %s)"
                " ORDER BY position"
            ).format(s=s),
            "tail": sql.SQL(
                "SELECT " + _ENTRY_COLUMNS.replace("result", "NULL::json AS result") + " FROM {s}.entries"
                " WHERE desk_id = %s AND position > %s ORDER BY position"
            ).format(s=s),
            "insert": sql.SQL(
                "INSERT INTO {s}.entries (desk_id, " + _ENTRY_COLUMNS + ")"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(s=s),
            "insert_head": sql.SQL(
                "INSERT INTO {s}.entries (desk_id, " + _ENTRY_COLUMNS + ") VALUES "
            ).format(s=s),
            "outbox_head": sql.SQL("INSERT INTO {s}.outbox (desk_id, position, events) VALUES ").format(s=s),
            "reply_head": sql.SQL(
                "INSERT INTO {s}.replies (token, desk_id, position, now, result, error) VALUES "
            ).format(s=s),
            "outbox": sql.SQL(
                "INSERT INTO {s}.outbox (desk_id, position, events) VALUES (%s, %s, %s)"
            ).format(s=s),
            "notify": sql.SQL("SELECT pg_notify(%s, %s)").format(),
            "try_lock": sql.SQL("SELECT pg_try_advisory_xact_lock(%s, %s)").format(),
            "requests": sql.SQL(
                "SELECT id, token, call, args, now, request_id FROM {s}.requests WHERE desk_id = %s"
                " ORDER BY id LIMIT 1000"
            ).format(s=s),
            "submit": sql.SQL(
                "WITH queued AS (INSERT INTO {s}.requests (desk_id, token, call, args, now, request_id)"
                " VALUES (%s, %s, %s, %s, %s, %s)) SELECT pg_notify(%s, %s)"
            ).format(s=s),
            "take_many": sql.SQL(
                "DELETE FROM {s}.replies WHERE desk_id = %s AND token = ANY(%s)"
                " RETURNING token, position, now, result, error"
            ).format(s=s),
            "lead_lock": sql.SQL("SELECT pg_advisory_lock(%s, %s)").format(),
            "served": sql.SQL("DELETE FROM {s}.requests WHERE desk_id = %s AND id = ANY(%s)").format(s=s),
            "take": sql.SQL(
                "DELETE FROM {s}.replies WHERE token = %s AND desk_id = %s"
                " RETURNING position, now, result, error"
            ).format(s=s),
            "queued": sql.SQL(
                "SELECT EXISTS (SELECT 1 FROM {s}.requests WHERE desk_id = %s AND token = %s)"
            ).format(s=s),
        }

    # ------------------------------------------------------------- set-up

    def install(self) -> None:
        """Create the schema and tables if they are missing (safe to run again)."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(sql.SQL(_SCHEMA).format(s=self.schema_sql))

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
    ) -> Iterator[_OwnTransaction]:
        """A transaction on one of the journal's connections; committed if it holds the lock."""
        with self._pool.connection() as conn:
            txn = _OwnTransaction(self, conn, desk_id, request_id, lead=lead, wait=wait)
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
                yield _HostTransaction(self, connection, desk_id)
            return
        connection.execute("SAVEPOINT chatroute_desk")  # begins the host's transaction if need be
        try:
            connection.execute(*lock)
            yield _HostTransaction(self, connection, desk_id)
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
        """Queue a call for the desk's batching writer and wake the writer (one round trip)."""
        row = (desk_id, request.token, request.call, Json(request.args), request.now, request.request_id)
        with self._pool.connection() as conn:
            conn.execute(self._queries["submit"], (*row, self.requests_channel, desk_id))

    def lead(self, desk_id: str, *, wait: bool = False) -> AbstractContextManager[_OwnTransaction]:
        """A transaction of the desk's writer, with the desk's lock or not, reading the queue.

        The first ``entries()`` read takes the lock (``wait``) or tries it without waiting
        and, holding it, reads the waiting requests (``.requests``); ``.locked`` says
        whether it holds the lock.
        """
        return self._own(desk_id, None, lead=True, wait=wait)

    def seat(self, desk_id: str) -> Seat:
        """The desk's writer seat: wait to lead the desk (a session lock), then for its requests."""
        return Seat(self, desk_id)

    def replies(self) -> ReplyListener:
        """A listener for the batching writers' replies, on a connection of its own."""
        return ReplyListener(self)

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

    def wake(self, desk_id: str) -> None:
        """Wake the desk's writer and reply listeners in every process (they look whether to stop)."""
        notify = self._queries["notify"]
        with self._pool.connection() as conn:
            conn.execute(
                sql.SQL("{n}; {n}").format(n=notify),
                (self.requests_channel, desk_id, self.replies_channel, desk_id),
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
        return [_entry(row) for row in rows]

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
        row = (
            desk_id,
            entry.position,
            entry.call,
            Json(entry.args),
            entry.now,
            Json(list(entry.geo)),
            Json(entry.result),
            entry.request_id,
            entry.nonce,
            entry.chatroute_version,
            entry.config_version,
        )
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


class OutboxListener:
    """Waits for outbox notifications (LISTEN), on a dedicated connection.

    Args:
        conninfo: the connection string.
        channel: the journal's :attr:`PostgresJournal.channel`.
    """

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(sql.SQL("LISTEN {c}").format(c=sql.Identifier(channel)))

    def wait(self, timeout: float) -> set[str]:
        """Block until a notification arrives or ``timeout`` seconds pass; return the desks notified."""
        desks = {note.payload for note in self._conn.notifies(timeout=timeout, stop_after=1)}
        desks |= {note.payload for note in self._conn.notifies(timeout=0)}
        return desks

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class Seat:
    """The seat of a desk's batching writer: a session advisory lock on a connection of its own.

    :meth:`take` waits for the lock, which the writer then holds until its connection
    ends: when its process dies, PostgreSQL releases it and the next waiting process
    takes over. While it holds the seat, :meth:`wait` sleeps until a request is queued
    (``LISTEN``; :meth:`PostgresJournal.submit` notifies).
    """

    def __init__(self, journal: PostgresJournal, desk_id: str) -> None:
        self._journal = journal
        self._desk_id = desk_id
        self._conn = journal._dedicated()
        channel = sql.Identifier(journal.requests_channel)
        self._conn.execute(sql.SQL("LISTEN {c}").format(c=channel))

    def take(self) -> None:
        """Wait until this connection holds the desk's writer lock (cancelled by :meth:`close`)."""
        keys = seat_keys(self._journal.schema, self._desk_id)
        self._conn.execute(self._journal._queries["lead_lock"], keys)

    def wait(self, timeout: float) -> None:
        """Sleep until a request for the desk is queued, or ``timeout`` seconds pass.

        Notifications that came while the writer wrote are kept by the connection, so a
        request queued during a batch wakes the next wait at once.
        """
        for note in self._conn.notifies(timeout=timeout):
            if note.payload == self._desk_id:
                break
        for _ in self._conn.notifies(timeout=0):  # the others queued meanwhile: this batch reads them all
            pass

    def close(self) -> None:
        """Give the seat up: cancel a wait for the lock, and return the connection (ends the lock)."""
        with suppress(psycopg.Error):
            self._conn.cancel_safe(timeout=2)

    def release(self) -> None:
        """Return the connection to the pool, closed (its session lock ends with it)."""
        self._conn.close()
        self._journal._pool.putconn(self._conn)


class ReplyListener:
    """Waits for the batching writers' reply notifications (``LISTEN``) on a connection of its own."""

    def __init__(self, journal: PostgresJournal) -> None:
        self._journal = journal
        self._conn = journal._dedicated()
        channel = sql.Identifier(journal.replies_channel)
        self._conn.execute(sql.SQL("LISTEN {c}").format(c=channel))

    def wait(self, timeout: float) -> dict[str, set[str] | None]:
        """Block until replies are announced or ``timeout`` seconds pass.

        Returns:
            By desk announced, the request tokens answered, or None when the writer did
            not list them (too many for one notification).
        """
        notes = list(self._conn.notifies(timeout=timeout, stop_after=1))
        notes += self._conn.notifies(timeout=0)
        found: dict[str, set[str] | None] = {}
        for note in notes:
            desk_id, *tokens = note.payload.split(" ")
            known = found.get(desk_id, set())
            found[desk_id] = None if known is None or not tokens else known | set(tokens)
        return found

    def close(self) -> None:
        """Return the connection to the pool, closed."""
        self._conn.close()
        self._journal._pool.putconn(self._conn)
