"""Connections of a :class:`~chatroute.shared.postgres.PostgresJournal` that wait: LISTEN, the seat."""

from __future__ import annotations

import json
import select
import threading
from collections.abc import Container, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from ._pg_sql import JournalCore, seat_keys
from .journal import Reply

__all__ = [
    "OutboxListener",
    "ReplyListener",
    "Seat",
    "listener_channel",
    "read_reply_payload",
    "replies_by_channel",
    "reply_payloads",
]

#: The bytes a notification's payload may hold (PostgreSQL takes fewer than 8,000).
_PAYLOAD = 7900

#: How long one wait for the writer seat lasts before it is asked again (``lock_timeout``).
#: A statement waiting for a lock holds its snapshot, and with it every dead row that
#: VACUUM could remove: the processes waiting for the seat all the writer's life would
#: keep every table of the database from being vacuumed (the request queue's reads grew
#: a millisecond slower per 7,500 calls).
_SEAT_WAIT = "1s"


def listener_channel(replies_channel: str, listener: str) -> str:
    """The channel of one process's reply listener (``listener``: the first part of its tokens).

    A writer notifies each process of its own replies only, so a process that has no
    call in a batch is not woken. A token without a listener part (no ``.``) goes to
    ``replies_channel`` itself.
    """
    return f"{replies_channel[:54]}_{listener}" if listener else replies_channel


def replies_by_channel(
    replies_channel: str, rows: Sequence[tuple[Any, ...]]
) -> dict[str, list[tuple[Any, ...]]]:
    """A batch's reply rows (token first) by the channel of the listener waiting for them."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        listener, dot, _ = row[0].partition(".")
        found.setdefault(listener_channel(replies_channel, listener if dot else ""), []).append(row)
    return found


def reply_payloads(desk_id: str, rows: Sequence[tuple[Any, ...]]) -> list[str]:
    """The notifications announcing a batch's replies, carrying them when they fit.

    Each payload is the desk id (a JSON string) on its first line, then one line per
    reply: its request token, a tab, and ``[position, now, error, result]`` as JSON; or
    the token alone when the reply is too large for a notification (the listener takes
    it from the replies table). JSON escapes non-ASCII, so characters are bytes.

    Args:
        desk_id: the desk.
        rows: the replies (token, position, now, result as JSON text, error).
    """
    head = json.dumps(desk_id)
    payloads: list[str] = []
    lines: list[str] = []
    size = len(head)
    for token, position, now, result, error in rows:
        body = f'[{position},"{now.isoformat()}",{"true" if error else "false"},{result}]'
        line = f"{token}\t{body}" if len(head) + len(token) + len(body) + 2 <= _PAYLOAD else token
        if lines and size + len(line) + 1 > _PAYLOAD:
            payloads.append("\n".join([head, *lines]))
            lines, size = [], len(head)
        lines.append(line)
        size += len(line) + 1
    if lines:
        payloads.append("\n".join([head, *lines]))
    return payloads


def read_reply_payload(
    payload: str, wanted: Container[str] | None = None
) -> tuple[str, dict[str, Reply | None] | None]:
    """A reply notification's desk, and its replies by token (None: a wake-up without replies).

    Args:
        payload: the notification's payload.
        wanted: the tokens to decode (None: all).
    """
    head, *lines = payload.split("\n")
    replies: dict[str, Reply | None] = {}
    for line in lines:
        token, _, body = line.partition("\t")
        if wanted is not None and token not in wanted:
            continue
        if not body:
            replies[token] = None
            continue
        position, now, error, result = json.loads(body)
        replies[token] = Reply(
            token=token, position=position, now=datetime.fromisoformat(now), result=result, error=error
        )
    return json.loads(head), (replies if lines else None)


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

    def __init__(self, journal: JournalCore, desk_id: str) -> None:
        self._journal = journal
        self._desk_id = desk_id
        self._conn = journal._dedicated()
        self._releasing = threading.Lock()
        self._released = False
        self._closing = False

    def take(self) -> None:
        """Wait until this connection holds the desk's writer lock (cancelled by :meth:`close`).

        It listens only then: PostgreSQL signals every listening connection of the
        database on each notification, and the processes waiting for the seat need none.
        The writer reads the queue once it holds the seat, before it first waits. The
        lock is asked for again every second (``_SEAT_WAIT``), so the wait never keeps
        VACUUM from the database's dead rows for longer.
        """
        keys = seat_keys(self._journal.schema, self._desk_id)
        self._conn.execute(sql.SQL("SET lock_timeout = {t}").format(t=sql.Literal(_SEAT_WAIT)))
        while True:
            try:
                self._conn.execute(self._journal._queries["lead_lock"], keys)
                break
            except psycopg.errors.LockNotAvailable:
                if self._closing:
                    raise
        self._conn.execute("RESET lock_timeout")
        self._conn.execute(sql.SQL("LISTEN {c}").format(c=sql.Identifier(self._journal.requests_channel)))

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
        """Give the seat up: cancel a wait for the lock (the writer's thread then releases the seat).

        Once the seat is released its connection is back in the pool, maybe lent to
        another caller, so it is not cancelled any more.
        """
        with self._releasing:
            self._closing = True
            if not self._released:
                with suppress(psycopg.Error):
                    self._conn.cancel_safe(timeout=2)

    def release(self) -> None:
        """Return the connection to the pool, without the seat's lock."""
        with self._releasing:
            self._released = True
        _give_back(self._journal, self._conn)


class ReplyListener:
    """Waits for the batching writers' reply notifications (``LISTEN``) on a connection of its own.

    Args:
        journal: the journal.
        listener: the first part (before ``.``) of the tokens of the requests whose
            replies it hears.
    """

    def __init__(self, journal: JournalCore, listener: str) -> None:
        self._journal = journal
        self._conn = journal._dedicated()
        channel = sql.Identifier(listener_channel(journal.replies_channel, listener))
        self._conn.execute(sql.SQL("LISTEN {c}").format(c=channel))
        # any that came with the LISTEN's reply (psycopg keeps them); later ones are read from libpq
        self._early = [note.payload for note in self._conn.notifies(timeout=0)]

    def wait(
        self, timeout: float, wanted: Container[str] | None = None
    ) -> dict[str, dict[str, Reply | None] | None]:
        """Block until replies are announced or ``timeout`` seconds pass.

        The connection's socket is waited on and its notifications taken from libpq
        directly: psycopg's ``notifies()`` costs twice the CPU per notification, and
        nothing else runs on this connection meanwhile.

        Args:
            timeout: seconds.
            wanted: the request tokens whose replies to decode (None: all).

        Returns:
            By desk announced, the replies by request token (None: too large for the
            notification, in the replies table), or None for a desk woken without replies.
        """
        payloads, self._early = self._early, []
        payloads += self._received()
        if not payloads and select.select([self._conn.pgconn.socket], [], [], timeout)[0]:
            payloads = self._received()
        found: dict[str, dict[str, Reply | None] | None] = {}
        for payload in payloads:
            desk_id, replies = read_reply_payload(payload, wanted)
            known = found.get(desk_id)
            found[desk_id] = replies if known is None else known | (replies or {})
        return found

    def _received(self) -> list[str]:
        """The payloads of the notifications the server has sent so far (without waiting).

        Raises:
            psycopg.OperationalError: the connection is lost.
        """
        pgconn = self._conn.pgconn
        pgconn.consume_input()
        encoding = self._conn.info.encoding
        payloads = []
        while (note := pgconn.notifies()) is not None:
            payloads.append(note.extra.decode(encoding))
        return payloads

    def close(self) -> None:
        """Return the connection to the pool, no longer listening."""
        _give_back(self._journal, self._conn)


def _give_back(journal: JournalCore, conn: psycopg.Connection[Any]) -> None:
    """Return a dedicated connection to the pool as the pool lent it: no LISTEN, no session lock.

    A cancel of :meth:`Seat.close` that lands late fails one cleaning statement, which is
    made again (a cancel stops one statement). One that cannot be cleaned (broken) is
    closed first, and the pool drops it.
    """
    for attempt in range(2):
        try:
            conn.execute("UNLISTEN *")
            conn.execute("SELECT pg_advisory_unlock_all()")
            conn.execute("RESET lock_timeout")
        except psycopg.errors.QueryCanceled:
            if attempt == 0:
                continue
            conn.close()
        except psycopg.Error:
            conn.close()
        break
    journal._pool.putconn(conn)
