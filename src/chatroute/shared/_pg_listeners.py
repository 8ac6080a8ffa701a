"""Connections of a :class:`~chatroute.shared.postgres.PostgresJournal` that wait: LISTEN, the seat."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from ._pg_sql import seat_keys

if TYPE_CHECKING:
    from .postgres import PostgresJournal

__all__ = ["OutboxListener", "ReplyListener", "Seat"]


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
