"""Where a shared desk keeps its calls: the :class:`Journal` protocol and :class:`MemoryJournal`.

A journal holds, per desk, the calls made on it in order (:class:`Entry`), snapshots
of the desk at some positions (:class:`StoredSnapshot`), and an outbox of the events each
call caused (:class:`OutboxItem`). Entries are appended only inside a
:class:`Transaction`, which holds the desk's lock until it commits or rolls back, so
positions are 1, 2, 3... with no gaps and one writer at a time.

:class:`MemoryJournal` keeps all this in the process, for tests and single-process
hosts; :class:`chatroute.shared.postgres.PostgresJournal` keeps it in PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, Protocol

import attrs

__all__ = [
    "Entry",
    "Journal",
    "MemoryJournal",
    "OutboxItem",
    "Reply",
    "Request",
    "StoredSnapshot",
    "Transaction",
]


@attrs.frozen(kw_only=True)
class Entry:
    """One call made on a desk, as the journal keeps it.

    Attributes:
        position: 1 for the desk's first entry, then 2, 3... with no gaps.
        call: the Router call (``route``, ``release``...), or ``open`` (the desk's
            first entry: its config and seed) or ``reconfigure``.
        args: the call's arguments as JSON-able data (see :mod:`chatroute.serialize`).
        now: the time the desk stamped on the call.
        geo: the GeoIP answers resolved during the call, in order: ``{"ip": ...,
            "answer": ...}``.
        result: what the call returned, as JSON-able data, kept for calls with a
            request id (a retry returns it); None for the others.
        request_id: the caller's idempotency key, if any.
        nonce: a random token telling this entry from any other written at its position.
        chatroute_version: the chatroute version that made the call.
        config_version: the position of the entry whose config was in force.
    """

    position: int
    call: str
    args: Any
    now: datetime
    geo: tuple[Any, ...] = ()
    result: Any = None
    request_id: str | None = None
    nonce: str
    chatroute_version: str
    config_version: int


@attrs.frozen(kw_only=True)
class StoredSnapshot:
    """The desk as it was after the entry at ``position``.

    Attributes:
        position: the last entry the snapshot includes.
        config: the config in force then, as JSON-able data.
        config_version: the position of the entry that set that config.
        snapshot: the router's :class:`~chatroute.snapshot.Snapshot` as JSON-able data,
            or as its JSON text (read back lazily).
        now: the time of the entry at ``position``.
        chatroute_version: the chatroute version that took it.
        image: the replica's router as a signed image, for a fast start by the same
            chatroute version (see ``SharedDesk(image_key=...)``), or None.
    """

    position: int
    config: Any
    config_version: int
    snapshot: Any
    now: datetime
    chatroute_version: str
    image: bytes | None = None


@attrs.frozen(kw_only=True)
class OutboxItem:
    """The events one entry caused, as JSON-able data (``chatroute.serialize.to_dict``)."""

    desk_id: str
    position: int
    events: tuple[Any, ...] = attrs.field(converter=tuple)


@attrs.frozen(kw_only=True)
class Request:
    """A call waiting for the desk's batching writer (see ``SharedDesk(batching=True)``).

    Attributes:
        token: a random token naming the request and its reply.
        call: the call, as in :class:`Entry`.
        args: its arguments, as in :class:`Entry`.
        now: the caller's time, if it gave one.
        request_id: the caller's idempotency key, if any.
    """

    token: str
    call: str
    args: Any
    now: datetime | None = None
    request_id: str | None = None


@attrs.frozen(kw_only=True)
class Reply:
    """What the batching writer made of a :class:`Request`.

    Attributes:
        token: the request's token.
        position: the entry's position; for a call that raised, the position it was
            tried after.
        now: the time the call was stamped with.
        result: the call's result as JSON-able data.
        error: whether the call raised a ChatrouteError (the caller raises it again
            from its replica at ``position``).
    """

    token: str
    position: int
    now: datetime
    result: Any = None
    error: bool = False


class Transaction(Protocol):
    """A desk's journal while its lock is held; nothing it appends is seen until it commits."""

    def entries(self, after: int) -> Sequence[Entry]:
        """Committed entries after ``after``, in order."""

    def find(self, request_id: str) -> Entry | None:
        """The committed entry with this request id, if any."""

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        """Add an entry (at the position after the last one) and its events to the outbox."""


class Journal(Protocol):
    """Ordered calls, snapshots and an outbox, for any number of desks."""

    def transaction(
        self, desk_id: str, connection: Any = None, *, request_id: str | None = None
    ) -> AbstractContextManager[Transaction]:
        """Take the desk's lock; commit on a clean exit, roll back on an exception.

        Args:
            desk_id: the desk.
            connection: a host connection whose transaction the appends join (the
                host commits); None: the journal's own, committed here.
            request_id: the call's request id, which the journal may look up together
                with the first read (a hint: :meth:`Transaction.find` is still called).
        """

    def entries(self, desk_id: str, after: int, *, results: bool = True) -> Sequence[Entry]:
        """Committed entries after position ``after``, in order, without the lock.

        ``results=False`` may leave each entry's ``result`` out (None), for replay.
        """

    def latest_snapshot(self, desk_id: str) -> StoredSnapshot | None:
        """The snapshot at the highest position, if any."""

    def store_snapshot(self, desk_id: str, stored: StoredSnapshot) -> None:
        """Keep a snapshot; one already stored at that position stays."""

    def outbox(self, desk_id: str, after: int, limit: int = 1000) -> Sequence[OutboxItem]:
        """Committed events of entries after position ``after``, in order."""


class _MemoryDesk:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.entries: list[Entry] = []
        self.snapshots: dict[int, StoredSnapshot] = {}
        self.outbox: list[OutboxItem] = []
        self.requests: dict[str, Entry] = {}


class _MemoryTransaction:
    def __init__(self, desk_id: str, desk: _MemoryDesk) -> None:
        self._desk_id = desk_id
        self._desk = desk
        self.pending: list[tuple[Entry, tuple[Any, ...]]] = []

    def entries(self, after: int) -> Sequence[Entry]:
        return self._desk.entries[max(after, 0) :]

    def find(self, request_id: str) -> Entry | None:
        return self._desk.requests.get(request_id)

    def append(self, entry: Entry, events: Sequence[Any]) -> None:
        last = self.pending[-1][0].position if self.pending else len(self._desk.entries)
        if entry.position != last + 1:
            raise ValueError(f"entry at position {entry.position}, expected {last + 1}")
        known = entry.request_id is not None and (
            entry.request_id in self._desk.requests
            or any(e.request_id == entry.request_id for e, _ in self.pending)
        )
        if known:
            raise ValueError(f"request id {entry.request_id!r} is in the journal already")
        self.pending.append((entry, tuple(events)))

    def commit(self) -> None:
        for entry, events in self.pending:
            self._desk.entries.append(entry)
            if entry.request_id is not None:
                self._desk.requests[entry.request_id] = entry
            if events:
                item = OutboxItem(desk_id=self._desk_id, position=entry.position, events=events)
                self._desk.outbox.append(item)


class MemoryJournal:
    """A :class:`Journal` in this process's memory: for tests, and for hosts with one process.

    Desks built on one ``MemoryJournal`` (in any threads of the process) share it as
    processes share a :class:`~chatroute.shared.postgres.PostgresJournal`.
    """

    def __init__(self) -> None:
        self._desks: dict[str, _MemoryDesk] = {}
        self._guard = threading.Lock()

    def _desk(self, desk_id: str) -> _MemoryDesk:
        with self._guard:
            return self._desks.setdefault(desk_id, _MemoryDesk())

    @contextmanager
    def _transaction(self, desk_id: str) -> Iterator[Transaction]:
        desk = self._desk(desk_id)
        with desk.lock:
            txn = _MemoryTransaction(desk_id, desk)
            yield txn
            txn.commit()

    def transaction(
        self, desk_id: str, connection: Any = None, *, request_id: str | None = None
    ) -> AbstractContextManager[Transaction]:
        """Hold the desk's lock (a re-entrant thread lock); ``connection`` must be None."""
        if connection is not None:
            raise TypeError("a MemoryJournal has no connections to join")
        return self._transaction(desk_id)

    def entries(self, desk_id: str, after: int, *, results: bool = True) -> Sequence[Entry]:
        """Committed entries after ``after`` (always with their results)."""
        desk = self._desk(desk_id)
        with desk.lock:
            return tuple(desk.entries[max(after, 0) :])

    def latest_snapshot(self, desk_id: str) -> StoredSnapshot | None:
        """The snapshot at the highest position, if any."""
        desk = self._desk(desk_id)
        with desk.lock:
            return desk.snapshots[max(desk.snapshots)] if desk.snapshots else None

    def store_snapshot(self, desk_id: str, stored: StoredSnapshot) -> None:
        """Keep a snapshot; one already stored at that position stays."""
        desk = self._desk(desk_id)
        with desk.lock:
            desk.snapshots.setdefault(stored.position, stored)

    def outbox(self, desk_id: str, after: int, limit: int = 1000) -> Sequence[OutboxItem]:
        """Committed events of entries after ``after``, at most ``limit`` entries' worth."""
        desk = self._desk(desk_id)
        with desk.lock:
            return tuple(item for item in desk.outbox if item.position > after)[:limit]
