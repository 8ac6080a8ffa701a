"""The batching writer: calls queue in the journal, and one sticky writer process writes them in batches.

Every process of a batching desk runs two threads, started by its first call:

- a *seat* thread waits for the desk's writer lock (a session advisory lock). The
  process that holds it is the desk's writer until it dies (PostgreSQL then releases
  the lock, and the next waiting process takes over): it sleeps until requests are
  queued (``LISTEN``), then writes every queued call in one transaction, under the
  desk's transaction lock (which also orders it with calls that take the lock
  themselves), with one commit per batch.
- a *reply* thread hears the writer's reply notifications, on a channel of this
  desk object's own (its requests' tokens name it: a writer notifies each listener of
  its own replies, so a process with no call in a batch sleeps on), and takes the
  replies too large for a notification, for all its waiting calls in one query.

A call queues its request and waits for its reply: only the writer's replica makes the
calls; the others replay the journal only when they are read (or become the writer).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from datetime import datetime
from typing import Any

import attrs

from ..errors import ChatrouteError, InvalidValue
from ..serialize import to_dict
from ._calls import CALLS, CallSpec, decode_result, events_of
from ._records import LostRequest, error_from, error_record
from ._replica import Replica, pause
from .journal import Entry, Reply, Request

__all__ = ["BatchingWriter"]

#: Seconds a waiting call sleeps before it checks that its request is still queued.
_CHECK_AFTER = 1.0

#: Checks in a row that may fail (the journal unreachable: a server restarting) before a
#: waiting call counts its request lost.
_CHECK_FAILURES = 3

#: Seconds the writer sleeps, with nothing queued, before it looks at the queue anyway.
_IDLE = 1.0

#: Seconds a thread waits before it tries again after its connection failed.
_RETRY = 0.5


@attrs.define
class _Waiting:
    """A call of this process waiting for its reply."""

    done: threading.Event = attrs.field(factory=threading.Event)
    reply: Reply | None = None
    error: ChatrouteError | None = None  # raised as it is: this process wrote the call
    failure: Exception | None = None  # why the journal could not be asked about the request


class BatchingWriter:
    """Queues a desk's calls; while this process holds the desk's writer seat, writes them.

    Args:
        replica: the desk's replica (guarded by ``lock``).
        lock: the desk's thread lock.
    """

    def __init__(self, replica: Replica, lock: threading.Lock) -> None:
        self._replica = replica
        self._journal: Any = replica.journal
        self._desk_id = replica.desk_id
        self._lock = lock
        self._waiting: dict[str, _Waiting] = {}
        self._listener = secrets.token_hex(4)  # the first part of this object's request tokens
        self._guard = threading.Lock()  # the waiting calls, and their replies' arrival
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seat: Any = None
        self._replies: Any = None
        self._failed: dict[str, dict[str, Any]] = {}  # requests whose call raised a non-chatroute error
        # whether the journal says this writer is idle: callers then wake it (NOTIFY); while
        # it is busy they only queue, and it reads the queue again after each batch
        self._idle = False
        self._storing: threading.Thread | None = None  # writing a snapshot
        self._marked = 0  # the last multiple of snapshot_every this process looked at
        self._snapshots = threading.Lock()  # the two above
        self.leading = False

    # ----------------------------------------------------------------- calls

    def call(
        self, name: str, spec: CallSpec | None, encoded: Any, now: datetime | None, request_id: str | None
    ) -> Any:
        """Queue the call and wait for its reply; raise its error as the writer raised it.

        Raises:
            LostRequest: the request, without a request id, left the queue unanswered, or
                the journal could not say where it was (a server restarting).
        """
        self._start()
        while True:
            token = f"{self._listener}.{secrets.token_hex(8)}"
            waiting = _Waiting()
            with self._guard:
                self._waiting[token] = waiting
            try:
                request = Request(token=token, call=name, args=encoded, now=now, request_id=request_id)
                self._journal.submit(self._desk_id, request)
                answered = self._wait(token, waiting)
            finally:
                with self._guard:
                    self._waiting.pop(token, None)
            if answered:
                break
            if request_id is None:
                raise LostRequest(
                    f"the desk's queue lost this {name} call before a writer answered it;"
                    " it may or may not have been made (give calls a request_id to have them retried)"
                ) from waiting.failure
        reply = waiting.reply
        assert reply is not None
        if not reply.error:
            return decode_result(spec, reply.result) if spec is not None else None
        if waiting.error is not None:
            raise waiting.error
        if isinstance(reply.result, dict) and "request_id_used_for" in reply.result:
            used = reply.result["request_id_used_for"]
            raise InvalidValue("request_id", request_id, f"was used for a {used} call, not {name}")
        raise error_from(reply.result)

    def _wait(self, token: str, waiting: _Waiting) -> bool:
        """Wait for the reply; False when the request was lost (neither queued nor answered).

        A writer removes a request and writes its reply in one commit, so a request that
        is not queued (asked first) and has no reply (taken next) was lost: the journal's
        unlogged queue after a server crash, say. A request the journal cannot be asked
        about several times in a row counts as lost too (``waiting.failure`` says why).
        """
        journal = self._journal
        failures = 0
        while not waiting.done.wait(_CHECK_AFTER):
            with self._guard:  # no reply arrives between the two questions
                if waiting.done.is_set():
                    continue
                try:
                    if journal.queued(self._desk_id, token):
                        failures = 0
                        continue
                    reply = journal.take_reply(self._desk_id, token)
                except Exception as exc:  # the connection, not the call: asked again a few times
                    waiting.failure = exc
                    failures += 1
                    if failures < _CHECK_FAILURES:
                        continue
                    return False
                if reply is None:
                    return False
                waiting.reply = reply
                waiting.done.set()
        return True

    # ------------------------------------------------------------ the threads

    def _start(self) -> None:
        with self._guard:
            if self._threads:
                return
            self._threads = [
                threading.Thread(target=self._sit, name=f"chatroute-writer-{self._desk_id}", daemon=True),
                threading.Thread(target=self._listen, name=f"chatroute-replies-{self._desk_id}", daemon=True),
            ]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop the threads; a writer gives its seat up (another process takes it)."""
        self._stop.set()
        seat = self._seat
        if seat is not None:
            seat.close()
        if self._threads:
            with contextlib.suppress(Exception):
                self._journal.wake(self._desk_id, self._listener)
        for thread in [*self._threads, self._storing]:
            if thread is not None:
                thread.join(timeout=5)

    def _listen(self) -> None:
        """Take this process's replies whenever a writer announces some for the desk."""
        while not self._stop.is_set():
            try:
                self._replies = listener = self._journal.replies(self._listener)
            except Exception:
                time.sleep(_RETRY)
                continue
            try:
                while not self._stop.is_set():
                    desks = listener.wait(0.5, self._waiting)  # a token is in before its request
                    if self._desk_id in desks:
                        self._answer(desks[self._desk_id])
            except Exception:
                time.sleep(_RETRY)
            finally:
                with contextlib.suppress(Exception):
                    listener.close()

    def _answer(self, replies: dict[str, Reply | None] | None) -> None:
        """Hand this process's waiting calls their replies: from the notification, else from the table.

        Args:
            replies: the replies announced, by token (None: too large for the
                notification); None: a wake-up, whose callers' replies are looked up.
        """
        with self._guard:
            tokens = []
            for token, waiting in self._waiting.items():
                if waiting.done.is_set() or (replies is not None and token not in replies):
                    continue
                found = replies[token] if replies is not None else None
                if found is None:
                    tokens.append(token)
                else:
                    waiting.reply = found
                    waiting.done.set()
            if tokens:
                for reply in self._journal.take_replies(self._desk_id, tokens):
                    waiting = self._waiting[reply.token]
                    waiting.reply = reply
                    waiting.done.set()
        if replies:
            self._snapshot_due(max((r.position for r in replies.values() if r is not None), default=0))

    def _sit(self) -> None:
        """Wait for the writer seat; holding it, write queued calls until the process stops."""
        while not self._stop.is_set():
            seat = None
            try:
                self._seat = seat = self._journal.seat(self._desk_id)
                seat.take()
                self.leading = True
                while not self._stop.is_set():
                    if not self._write_batch():
                        seat.wait(_IDLE)
            except Exception:
                self._replica.reset()  # rebuilt from the journal when this process leads again
                if not self._stop.is_set():
                    time.sleep(_RETRY)
            finally:
                self.leading = False
                if seat is not None:
                    with contextlib.suppress(Exception):
                        seat.release()

    # ------------------------------------------------------------- the writer

    def _write_batch(self) -> bool:
        """Write the queued calls in one transaction; False when none were queued."""
        replica = self._replica
        with self._lock:
            if not replica.built:
                replica.rebuild(replica.committed)
            mine: dict[str, tuple[Reply, ChatrouteError | None]] = {}
            guard = contextlib.ExitStack()
            try:
                with self._journal.lead(self._desk_id, wait=True) as batch:
                    tail = batch.entries(replica.position)
                    if replica.tentative:
                        replica.catch_up(batch.entries, strict=True)
                    else:
                        for entry in tail:
                            replica.apply(entry)
                    if not batch.requests:
                        if self._idle:
                            return False
                        # marked idle with this commit, then the queue is read once more:
                        # a request committed after that read finds the mark and wakes the seat
                        batch.busy, self._idle = False, True
                        return True
                    if self._idle:
                        batch.busy, self._idle = True, False
                    served: dict[str, Entry] = {}
                    for request in batch.requests:
                        self._serve(batch, request, served, mine)
                    pause("batch")
                    # Held from the commit until this process's calls have their replies, so
                    # that a waiting call never sees its request gone and unanswered.
                    guard.enter_context(self._guard)
                pause("batched")  # committed, this process's callers not answered yet
                for token, (reply, error) in mine.items():
                    waiting = self._waiting.get(token)
                    if waiting is not None:
                        waiting.reply, waiting.error = reply, error
                        waiting.done.set()
            except BaseException:
                replica.reset()
                self._idle = False
                raise
            finally:
                guard.close()
            position = replica.position
        self._snapshot_due(position)
        return True

    # -------------------------------------------------------------- snapshots

    def _snapshot_due(self, position: int) -> None:
        """Write a snapshot in a thread when ``position`` crossed a multiple of ``snapshot_every``.

        Another process than the writer does it (the first to claim it in the journal),
        from its own replica: encoding a large desk takes seconds of CPU, which in the
        writer's process would slow every batch down (one interpreter lock). The writer
        claims a snapshot itself only when none was written for a whole interval (no
        other process is there).
        """
        mark = position // self._replica.snapshot_every - (1 if self.leading else 0)
        with self._snapshots:
            if mark <= self._marked or (self._storing is not None and self._storing.is_alive()):
                return
            self._marked = mark
            self._storing = threading.Thread(
                target=self._store, args=(mark,), name=f"chatroute-snapshot-{self._desk_id}", daemon=True
            )
            self._storing.start()

    def _store(self, mark: int) -> None:
        with contextlib.suppress(Exception):  # a snapshot is an optimisation: the next one will do
            if not self._journal.claim_snapshot(self._desk_id, mark):
                return
            replica = self._replica
            with self._lock:  # only while the replica catches up and the state is taken
                replica.refresh()
                taken = replica.take()
            if taken is not None:
                replica.store(taken)

    def _serve(
        self,
        batch: Any,
        request: Request,
        served: dict[str, Entry],
        mine: dict[str, tuple[Reply, ChatrouteError | None]],
    ) -> None:
        """Make one queued call on the replica, append it, and reply (in memory for this process's)."""
        replica = self._replica
        local = request.token in self._waiting

        def reply(answer: Reply, error: ChatrouteError | None = None) -> None:
            if local:
                mine[answer.token] = (answer, error)
            else:
                batch.reply(answer)

        spec = CALLS.get(request.call)
        rid = request.request_id
        found = (served.get(rid) or batch.find(rid)) if rid is not None else None
        if found is not None:
            if found.call == request.call:
                reply(Reply(token=request.token, position=found.position, now=found.now, result=found.result))
            else:  # the caller raises InvalidValue for the request id
                used = {"request_id_used_for": found.call}
                position, now = found.position, found.now
                reply(Reply(token=request.token, position=position, now=now, result=used, error=True))
            return
        stamped = replica.stamp(request.now, spec)
        failed = self._failed.pop(request.token, None)
        if failed is not None:  # it broke the last batch: answered with its error, never made again
            position = replica.position
            reply(Reply(token=request.token, position=position, now=stamped, result=failed, error=True))
            return
        genesis = None
        if replica.router is None:  # the desk's first call opens it, if it succeeds
            genesis = replica.entry("open", replica.genesis, stamped, None, None)
            replica.apply(genesis)
        try:
            result = replica.live(request.call, spec, request.args, stamped)
        except ChatrouteError as error:
            if genesis is not None:
                replica.clear()
            answer = Reply(
                token=request.token,
                position=replica.position,
                now=stamped,
                result=error_record(error),
                error=True,
            )
            reply(answer, error)
            return
        except Exception as exc:  # a bug: the batch rolls back; the next one answers this call with it
            problem = f"the desk's writer failed on this {request.call} call: {type(exc).__name__}: {exc}"
            self._failed[request.token] = {"type": "ChatrouteError", "args": [problem], "attributes": {}}
            raise
        if genesis is not None:
            batch.append(genesis, ())
        entry = replica.entry(request.call, request.args, stamped, rid, result, keep_result=True)
        replica.advance(entry)
        batch.append(entry, [to_dict(event) for event in events_of(result)])
        reply(Reply(token=request.token, position=entry.position, now=stamped, result=entry.result))
        if rid is not None:
            served[rid] = entry
