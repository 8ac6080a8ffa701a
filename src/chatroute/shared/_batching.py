"""The batching writer: calls queue in the journal, and whoever holds the desk's lock writes them all.

Whichever waiting process gets the lock first writes every queued call in one
transaction, and the others read their replies.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime
from typing import Any

from ..errors import ChatrouteError, InvalidValue
from ..serialize import to_dict
from ._calls import CALLS, CallSpec, decode_result, events_of
from ._geo import ReplayMismatch
from ._records import LostRequest, error_from, error_record
from ._replica import Replica
from .journal import Entry, Reply, Request

__all__ = ["BatchingWriter"]

#: Seconds a queued call waits for a reply notification before it tries the lock again.
_REPLY_WAIT = 0.05

#: Rounds of waiting between two checks that a queued call is still queued or answered.
_CHECK_EVERY = 20


class BatchingWriter:
    """Queues a desk's calls and writes queued calls in batches when it gets the desk's lock.

    Args:
        replica: the desk's replica (guarded by ``lock``).
        lock: the desk's thread lock.
    """

    def __init__(self, replica: Replica, lock: threading.Lock) -> None:
        self._replica = replica
        self._journal: Any = replica.journal
        self._lock = lock
        self._errors: dict[str, ChatrouteError] = {}  # by request token, for calls this process wrote
        self._waiting: str | None = None  # the token of the queued call this process waits for

    def call(
        self, name: str, spec: CallSpec | None, encoded: Any, now: datetime | None, request_id: str | None
    ) -> Any:
        """Queue the call; whoever gets the lock first writes every waiting call in one commit."""
        replica = self._replica
        with self._lock:
            # Catch up before queueing (the entries so far cannot hold this call's fate), so
            # that a writer's batch starts with only the few entries of the last round.
            replica.refresh()
            reply, token = self._queue_and_wait(name, encoded, now, request_id)
            if not reply.error:
                return decode_result(spec, reply.result) if spec is not None else None
            mine = self._errors.pop(token, None)
            if mine is not None:  # this process was the writer
                raise mine
            if isinstance(reply.result, dict) and "request_id_used_for" in reply.result:
                used = reply.result["request_id_used_for"]
                raise InvalidValue("request_id", request_id, f"was used for a {used} call, not {name}")
            # Another process's writer tried it after reply.position: raise the same error here,
            # by trying the call there, or (this replica has moved past it) from the record.
            if replica.position > reply.position:
                raise error_from(reply.result)
            replica.catch_up(replica.committed, strict=False, until=reply.position)
            opened = replica.router is None
            if opened:  # it was the desk's first call: try it on the desk it would have opened
                replica.apply(replica.entry("open", replica.genesis, reply.now, None, None))
            try:
                replica.live(name, spec, encoded, reply.now)
            except ChatrouteError:
                raise
            finally:
                if opened:
                    replica.clear()
            replica.reset()
            raise ReplayMismatch(f"a call that raised for the writer did not raise here ({name})")

    def _queue_and_wait(
        self, name: str, encoded: Any, now: datetime | None, request_id: str | None
    ) -> tuple[Reply, str]:
        """Queue the call and lead or wait until its reply comes; never wait for a lost request.

        A writer removes a request and writes its reply in one commit. Every few rounds the
        caller asks whether its request is still queued and then takes its reply: a request
        neither queued nor answered was lost (the journal's unlogged tables after a server
        crash, say). A call with a request id is queued again (the id makes it run at most
        once); one without raises :class:`LostRequest`, as its fate is unknown.
        """
        journal = self._journal
        check = hasattr(journal, "queued")
        desk_id = self._replica.desk_id
        while True:
            token = secrets.token_hex(8)
            self._waiting = token
            journal.submit(
                self._replica.desk_id,
                Request(token=token, call=name, args=encoded, now=now, request_id=request_id),
            )
            rounds = 0
            while True:
                self._lead_once()
                rounds += 1
                lost = (
                    check and rounds % _CHECK_EVERY == 0 and not journal.queued(self._replica.desk_id, token)
                )
                reply: Reply | None = journal.take_reply(desk_id, token)
                if reply is not None:
                    return reply, token
                if lost:
                    break
                journal.wait_replies(_REPLY_WAIT)
            self._errors.pop(token, None)
            if request_id is None:
                raise LostRequest(
                    f"the desk's queue lost this {name} call before a writer answered it;"
                    " it may or may not have been made (give calls a request_id to have them retried)"
                )

    def _lead_once(self) -> None:
        """Try the desk's lock; holding it, write every waiting request in one transaction."""
        replica = self._replica
        if not replica.built:
            replica.rebuild(replica.committed)
        before = replica.position
        try:
            with self._journal.lead(replica.desk_id) as batch:
                tail = batch.entries(replica.position)
                if not batch.locked:  # another process is writing; the replica stays where it is
                    return
                if replica.tentative:
                    replica.catch_up(batch.entries, strict=True)
                else:
                    for entry in tail:
                        replica.apply(entry)
                served: dict[str, Entry] = {}
                for request in batch.requests:
                    self._serve(batch, request, served)
        except BaseException:
            replica.reset()
            raise
        replica.maybe_snapshot(before)

    def _serve(self, batch: Any, request: Request, served: dict[str, Entry]) -> None:
        """Make one queued call on the replica, append it, and reply."""
        replica = self._replica
        spec = CALLS.get(request.call)
        rid = request.request_id
        found = (served.get(rid) or batch.find(rid)) if rid is not None else None
        if found is not None:
            if found.call == request.call:
                batch.reply(
                    Reply(token=request.token, position=found.position, now=found.now, result=found.result)
                )
            else:  # the caller raises InvalidValue for the request id
                used = {"request_id_used_for": found.call}
                batch.reply(
                    Reply(
                        token=request.token, position=found.position, now=found.now, result=used, error=True
                    )
                )
            return
        stamped = replica.stamp(request.now, spec)
        genesis = None
        if replica.router is None:  # the desk's first call opens it, if it succeeds
            genesis = replica.entry("open", replica.genesis, stamped, None, None)
            replica.apply(genesis)
        try:
            result = replica.live(request.call, spec, request.args, stamped)
        except ChatrouteError as error:
            if genesis is not None:
                replica.clear()
            if request.token == self._waiting:  # this process's own call: raise it as it is
                self._errors[request.token] = error
            position = replica.position
            record = error_record(error)
            batch.reply(Reply(token=request.token, position=position, now=stamped, result=record, error=True))
            return
        if genesis is not None:
            batch.append(genesis, ())
        entry = replica.entry(request.call, request.args, stamped, rid, result, keep_result=True)
        replica.advance(entry)
        batch.append(entry, [to_dict(event) for event in events_of(result)])
        batch.reply(Reply(token=request.token, position=entry.position, now=stamped, result=entry.result))
        if rid is not None:
            served[rid] = entry
