"""The transactions of a :class:`~chatroute.shared.postgres.PostgresJournal`: a host's, or its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ._pg_listeners import replies_by_channel, reply_payloads
from ._pg_sql import ENTRY_COLUMNS, JournalCore, entry_columns, entry_of, lock_keys
from .journal import Entry, Reply, Request

__all__ = ["REPLIES_KEPT", "TIDY_EVERY", "HostTransaction", "OwnTransaction"]

#: Positions a reply stays in the replies table after its notification carried it (a
#: caller that missed the notification finds it there).
REPLIES_KEPT = 10_000

#: The writer forgets older replies once per this many positions.
_FORGET_EVERY = 1000

#: The writer vacuums the request queue once per this many positions: each call inserts
#: and deletes a row, and the dead rows left until autovacuum's next round (a minute
#: apart by default) make every read of the queue slower, a millisecond per 7,500.
TIDY_EVERY = 500


_NOTHING = object()
_RESULT = ENTRY_COLUMNS.split(", ").index("result")  # where entry_columns puts the result


class HostTransaction:
    """A desk's journal inside a host's transaction (a savepoint of it), holding the desk's lock."""

    def __init__(self, journal: JournalCore, conn: psycopg.Connection[Any], desk_id: str) -> None:
        self._journal = journal
        self._conn = conn
        self._desk_id = desk_id

    def entries(self, after: int) -> Sequence[Entry]:
        return self._journal._read_entries(self._conn, self._desk_id, after, results=False)

    def find(self, request_id: str) -> Entry | None:
        query = sql.SQL(
            "SELECT " + ENTRY_COLUMNS + " FROM {s}.entries WHERE desk_id = %s AND request_id = %s"
        ).format(s=self._journal.schema_sql)
        with self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query, (self._desk_id, request_id)).fetchone()
        return entry_of(row) if row is not None else None

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        for statement, params in self._journal._appends(self._desk_id, entry, events):
            self._conn.execute(statement, params)


class OwnTransaction:
    """A desk's journal on the journal's own connection, in two round trips.

    The first read sends ``BEGIN``, the lock and the read (with the entry of the call's
    request id, if any) as one message; the appends and ``COMMIT`` go as another. Each
    statement still takes its own snapshot, so the read after the lock sees every entry
    committed before the lock was granted.
    """

    def __init__(
        self,
        journal: JournalCore,
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
        self.locked = not lead
        self.busy: bool | None = None  # set: the writer's state, written with the commit
        self.requests: list[Request] = []
        self._request_ids: list[int] = []
        self._entries: list[tuple[Any, ...]] = []  # the write function's entry columns, by row
        self._outbox: list[tuple[int, str]] = []
        self._replies: list[tuple[str, int, datetime, str, bool]] = []
        self._appended: tuple[Any, str] = (_NOTHING, "")  # the last entry's result, and its JSON

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
        rows = [entry_of(dict(zip(names, row, strict=True))) for row in self._cursor.fetchall()]
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
        result, text = self._appended
        if reply.result is not result:
            text = _json(reply.result)
        self._replies.append((reply.token, reply.position, reply.now, text, reply.error))

    def find(self, request_id: str) -> Entry | None:
        if request_id == self._request_id and self._begun:
            return self._found
        return HostTransaction(self._journal, self._cursor.connection, self._desk_id).find(request_id)

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        columns = entry_columns(entry, _json)
        self._appended = (entry.result, columns[_RESULT])  # a reply with that result reuses its JSON
        self._entries.append(columns)
        if events:
            self._outbox.append((entry.position, _json(list(events))))

    def commit(self) -> None:
        """Write the entries, their events and the replies with the ``write_batch`` function, and commit.

        One round trip (a pipeline), and a statement prepared once per connection whatever
        the batch holds: its rows go as arrays.
        """
        if not self._begun:
            self.entries(0)
        journal = self._journal
        entries, replies = self._entries, self._replies
        notes = [
            (channel, payload)
            for channel, rows in replies_by_channel(journal.replies_channel, replies).items()
            for payload in reply_payloads(self._desk_id, rows)
        ]
        forget = None
        if replies and entries and _crosses(entries, _FORGET_EVERY):
            # replies went out in the notifications; the rows are kept a while for callers that missed them
            forget = entries[-1][0] - REPLIES_KEPT
        params = (
            self._desk_id,
            *_columns(entries, 10),
            *_columns(self._outbox, 2),
            journal.channel if journal._notify else None,
            *_columns(replies, 5),
            *_columns(notes, 2),
            _array(self._request_ids),
            forget,
            self.busy,
        )
        conn = self._cursor.connection
        with conn.pipeline():
            conn.execute(journal._queries["write"], params, prepare=True)
            conn.execute("COMMIT")
        if self._request_ids and entries and _crosses(entries, TIDY_EVERY):
            # after the commit, and best effort: the batch is written, and a vacuum that
            # fails (cancelled, say) must not count as a failed batch; the next multiple
            # of TIDY_EVERY, or autovacuum, does it instead
            with suppress(psycopg.Error):
                self._cursor.execute(journal._queries["tidy"])

    def rollback(self) -> None:
        if self._begun:
            self._cursor.execute("ROLLBACK")


def _crosses(entries: Sequence[tuple[Any, ...]], every: int) -> bool:
    """Whether the positions of these entry rows (in order, position first) reach a multiple of ``every``."""
    return bool((entries[0][0] - 1) // every != entries[-1][0] // every)


#: Encodes JSON compactly (``json.dumps`` given separators makes a new encoder on every call).
_json = json.JSONEncoder(separators=(",", ":")).encode


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[str]:
    """Rows as columns, each an array literal (the write function's arrays); ``width`` empty ones if none."""
    return [_array(column) for column in zip(*rows, strict=True)] if rows else ["{}"] * width


def _array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal (text), cheaper to build here than psycopg's adaptation of a list."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else value
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
