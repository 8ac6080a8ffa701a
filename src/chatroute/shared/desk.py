"""One desk shared by many processes: each call goes through the journal, under the desk's lock.

Every process (web worker) builds a :class:`SharedDesk` over the same journal and desk
id. Each holds a *replica*: an in-memory :class:`~chatroute.router.Router` built from
the journal. A state-changing call

1. takes the desk's lock (in PostgreSQL, an advisory lock inside a transaction),
2. brings the replica up to date with the entries other processes appended,
3. stamps ``now``,
4. makes the call on the replica,
5. appends the entry (the call, its arguments, ``now``, the GeoIP answers, the request
   id, the chatroute and config versions, the result) and the call's events to the
   outbox,
6. commits, which releases the lock.

The router has no hidden clock and no hidden randomness, so every replica that applies
the same entries holds the same state, and makes the same decisions.

**Time never runs backwards within a desk**: a ``now`` earlier than the desk's last
one (another host's clock runs ahead, or the caller passed an old time) is raised to
the last one, and the entry records the time used. Refusing would fail calls at
random whenever two hosts' clocks disagree by a few milliseconds.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from .. import __version__, errors
from .._frozen import aware
from ..config import RoutingConfig
from ..decision import Decision
from ..errors import ChatrouteError, InvalidValue
from ..events import Event
from ..geo import GeoLookup, GeoResolver
from ..model import Client, Dialog, Rating, Target
from ..router import Router
from ..serialize import from_dict, to_dict
from ..snapshot import Snapshot
from ._calls import (
    CALLS,
    CallSpec,
    decode_args,
    decode_config,
    decode_result,
    encode_args,
    encode_config,
    encode_result,
    events_of,
    run_call,
)
from ._geo import GeoRecorder, ReplayMismatch
from .journal import Entry, Journal, Reply, Request, StoredSnapshot, Transaction

__all__ = ["LostRequest", "SharedDesk"]

T = TypeVar("T")

#: Entries between two snapshots, unless the desk is told otherwise.
SNAPSHOT_EVERY = 1000

#: Seconds a queued call waits for a reply notification before it tries the lock again.
_REPLY_WAIT = 0.05

#: Rounds of waiting between two checks that a queued call is still queued or answered.
_CHECK_EVERY = 20

#: Test-only: the crash tests stop a worker at one point of a call (``locked``,
#: ``called``, ``appended`` or ``committed``) and kill it there.
_PAUSE_AT = os.environ.get("CHATROUTE_SHARED_PAUSE")


def _pause(point: str) -> None:
    if point == _PAUSE_AT:
        print(f"paused at {point}", flush=True)
        time.sleep(3600)


class LostRequest(RuntimeError):
    """A batched call without a request id left the queue unanswered: it may or may not have been made."""


@attrs.define
class _Replica:
    """The desk as this process knows it: a router at a journal position."""

    router: Router | None = None
    position: int = 0
    config: RoutingConfig | None = None
    config_data: Any = None
    config_version: int = 0
    last_now: datetime | None = None


class SharedDesk:
    """A routing desk that many processes share through a :class:`Journal`.

    It offers the Router's state-changing calls, each with the same arguments and result
    as on a :class:`~chatroute.router.Router`, except that ``now`` is optional (the
    desk reads its clock under the lock when it is left out) and three keywords more:

    - ``request_id``: an idempotency key; a retry with an id the journal holds returns
      the stored result and changes nothing.
    - ``connection``: the host's database connection, so the call joins the host's
      transaction (the host commits; a rollback undoes the call everywhere).
    - ``now``: the caller's time; raised to the desk's last ``now`` when earlier.

    Args:
        journal: where the desk's calls are kept.
        desk_id: which desk of the journal this is.
        config: the desk's config when its journal is empty; later, the journal's
            config (the first one, or the newest :meth:`reconfigure`) is used.
        seed: the router's seed, likewise kept in the journal by the first call.
        geo: this process's GeoIP resolver; replay uses the answers the journal recorded.
        clock: returns the current time; ``datetime.now(UTC)`` by default.
        snapshot_every: a snapshot is stored after this many entries.
        batching: queue calls for a batching writer instead of taking the lock for each
            (``PostgresJournal`` only): whichever waiting process gets the lock writes
            every queued call in one transaction, and the others read their replies.
            Calls with ``connection=`` still take the lock themselves.
    """

    def __init__(
        self,
        journal: Journal,
        desk_id: str,
        config: RoutingConfig,
        *,
        seed: int = 0,
        geo: GeoResolver | None = None,
        clock: Callable[[], datetime] | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        batching: bool = False,
    ) -> None:
        if not isinstance(desk_id, str) or not desk_id:
            raise InvalidValue("desk_id", desk_id, "must be a non-empty string")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidValue("seed", seed, "must be an integer")
        if isinstance(snapshot_every, bool) or not isinstance(snapshot_every, int) or snapshot_every < 1:
            raise InvalidValue("snapshot_every", snapshot_every, "must be a positive integer")
        if batching and not all(
            hasattr(journal, m) for m in ("submit", "lead", "take_reply", "wait_replies")
        ):
            raise InvalidValue("batching", batching, f"{type(journal).__name__} has no batching writer")
        self._journal = journal
        self._batching = batching
        self._desk_id = desk_id
        self._genesis_config = encode_config(config)
        self._genesis_seed = seed
        self._geo = GeoRecorder(geo)
        self._clock = clock if clock is not None else _utc_now
        self._snapshot_every = snapshot_every
        self._lock = threading.Lock()
        self._replica = _Replica()
        self._built = False
        self._tentative: list[tuple[int, str]] = []  # appended on a host's connection, not yet seen committed
        self._errors: dict[str, ChatrouteError] = {}  # by request token, for calls this process wrote
        self._waiting: str | None = None  # the token of the queued call this process waits for

    # ----------------------------------------------------------------- queries

    @property
    def desk_id(self) -> str:
        """The desk's id in the journal."""
        return self._desk_id

    @property
    def position(self) -> int:
        """The last journal position the replica has applied (0: none)."""
        return self._replica.position

    def read(self, question: Callable[[Router], T], *, fresh: bool = True) -> T:
        """Answer ``question`` from the local replica, e.g. ``desk.read(lambda r: r.views("anna"))``.

        ``question`` must only read: the replica is the desk's state, and a change made
        outside the journal would be seen by this process alone.

        Args:
            question: a function of the router.
            fresh: first apply the entries other processes committed (one journal read);
                False answers from the replica as it is.
        """
        with self._lock:
            if not self._built:
                self._rebuild(self._committed)
            elif fresh:
                self._catch_up(self._committed, strict=False)
            router = self._replica.router
            if router is None:  # an empty journal: the desk as its first call would open it
                router = Router(decode_config(self._genesis_config), seed=self._genesis_seed)
            return question(router)

    # ---------------------------------------------------------------- dialogs

    def route(
        self,
        dialog: Dialog,
        *,
        client: Client | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> Decision:
        """:meth:`Router.route <chatroute.router.Router.route>` on the shared desk."""
        result: Decision = self._call(
            "route", {"dialog": dialog, "client": client}, now, request_id, connection
        )
        return result

    def release(
        self,
        dialog_id: str,
        *,
        rating: Rating | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.release <chatroute.router.Router.release>` on the shared desk."""
        args = {"dialog_id": dialog_id, "rating": rating}
        return self._events("release", args, now, request_id, connection)

    def accept(
        self,
        dialog_id: str,
        operator_id: str,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.accept <chatroute.router.Router.accept>` on the shared desk."""
        args = {"dialog_id": dialog_id, "operator_id": operator_id}
        return self._events("accept", args, now, request_id, connection)

    def decline(
        self,
        dialog_id: str,
        operator_id: str,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.decline <chatroute.router.Router.decline>` on the shared desk."""
        args = {"dialog_id": dialog_id, "operator_id": operator_id}
        return self._events("decline", args, now, request_id, connection)

    def claim(
        self,
        dialog_id: str,
        operator_id: str,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.claim <chatroute.router.Router.claim>` on the shared desk."""
        args = {"dialog_id": dialog_id, "operator_id": operator_id}
        return self._events("claim", args, now, request_id, connection)

    def transfer(
        self,
        dialog_id: str,
        to: Target,
        *,
        by: str | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> Decision:
        """:meth:`Router.transfer <chatroute.router.Router.transfer>` on the shared desk."""
        result: Decision = self._call(
            "transfer", {"dialog_id": dialog_id, "to": to, "by": by}, now, request_id, connection
        )
        return result

    def handle(
        self,
        dialog_id: str,
        event: str,
        *,
        data: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> Decision | None:
        """:meth:`Router.handle <chatroute.router.Router.handle>` on the shared desk.

        ``data`` goes through JSON: tuples arrive as lists, times as ISO text.
        """
        result: Decision | None = self._call(
            "handle", {"dialog_id": dialog_id, "event": event, "data": data}, now, request_id, connection
        )
        return result

    def replied(
        self,
        dialog_id: str,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.replied <chatroute.router.Router.replied>` on the shared desk."""
        return self._events("replied", {"dialog_id": dialog_id}, now, request_id, connection)

    def forget(
        self,
        dialog_id: str,
        *,
        keep_client: bool = False,
        request_id: str | None = None,
        connection: Any = None,
    ) -> None:
        """:meth:`Router.forget <chatroute.router.Router.forget>` on the shared desk."""
        values = {"dialog_id": dialog_id, "keep_client": None if keep_client is False else keep_client}
        self._call("forget", values, None, request_id, connection)

    def forget_client(self, client_id: str, *, request_id: str | None = None, connection: Any = None) -> None:
        """:meth:`Router.forget_client <chatroute.router.Router.forget_client>` on the shared desk."""
        self._call("forget_client", {"client_id": client_id}, None, request_id, connection)

    # -------------------------------------------------------------- operators

    def set_status(
        self,
        operator_id: str,
        status: str,
        *,
        comment: str | None = None,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.set_status <chatroute.router.Router.set_status>` on the shared desk."""
        args = {"operator_id": operator_id, "status": status, "comment": comment}
        return self._events("set_status", args, now, request_id, connection)

    def set_limit(
        self,
        operator_id: str,
        limit: int,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> tuple[Event, ...]:
        """:meth:`Router.set_limit <chatroute.router.Router.set_limit>` on the shared desk."""
        args = {"operator_id": operator_id, "limit": limit}
        return self._events("set_limit", args, now, request_id, connection)

    def tick(
        self, *, now: datetime | None = None, request_id: str | None = None, connection: Any = None
    ) -> tuple[Event, ...]:
        """:meth:`Router.tick <chatroute.router.Router.tick>` on the shared desk."""
        return self._events("tick", {}, now, request_id, connection)

    def reconfigure(
        self,
        config: RoutingConfig,
        *,
        now: datetime | None = None,
        request_id: str | None = None,
        connection: Any = None,
    ) -> None:
        """Switch the desk to ``config``; every replica switches at this entry's position.

        The desk carries on from its state (``Router.restore(config, snapshot)``).

        Raises:
            ConfigError: the config is invalid.
            UnknownOperator / UnknownStatus / UnknownChannel: the desk's state does not
                fit the config (an operator with open dialogs was removed, say).
        """
        self._call("reconfigure", {"config": config}, now, request_id, connection)

    # -------------------------------------------------------------- internals

    def _committed(self, after: int) -> Sequence[Entry]:
        """Committed entries after ``after``, read without the lock and without their results."""
        return self._journal.entries(self._desk_id, after, results=False)

    def _events(
        self,
        name: str,
        values: Mapping[str, Any],
        now: datetime | None,
        request_id: str | None,
        connection: Any,
    ) -> tuple[Event, ...]:
        events: tuple[Event, ...] = self._call(name, values, now, request_id, connection)
        return events

    def _call(
        self,
        name: str,
        values: Mapping[str, Any],
        now: datetime | None,
        request_id: str | None,
        connection: Any,
    ) -> Any:
        """Check and encode the call, then run it under the desk's lock and append it."""
        if name == "reconfigure":
            spec = None
            encoded: dict[str, Any] = {"config": encode_config(values["config"])}
        else:
            spec = CALLS[name]
            encoded = encode_args(spec, values)
        if request_id is not None and not isinstance(request_id, str):
            raise InvalidValue("request_id", request_id, "must be a string")
        if now is not None:
            now = aware(now)
        if self._batching and connection is None:
            return self._batched(name, spec, encoded, now, request_id)
        with self._lock:
            if connection is None:
                # Most of what others appended is applied before the lock, so the lock is
                # held for the last few entries only (and never for a whole rebuild).
                if not self._built:
                    self._rebuild(self._committed)
                else:
                    self._catch_up(self._committed, strict=False)
            before = self._replica.position
            changed = False
            try:
                with self._journal.transaction(self._desk_id, connection, request_id=request_id) as txn:
                    if not self._built:
                        self._rebuild(txn.entries)
                    else:
                        self._catch_up(txn.entries, strict=True)
                    _pause("locked")
                    if request_id is not None:
                        found = txn.find(request_id)
                        if found is not None:
                            return _stored_result(found, name, spec, request_id)
                    stamped = self._stamp(now, spec)
                    appended: list[Entry] = []
                    if self._replica.router is None:
                        changed = True
                        appended.append(self._open(txn, stamped))
                    result = self._live(name, spec, encoded, stamped)
                    changed = True
                    _pause("called")
                    entry = self._entry(name, encoded, stamped, request_id, result)
                    self._advance(entry)
                    appended.append(entry)
                    txn.append(entry, [to_dict(event) for event in events_of(result)])
                    _pause("appended")
            except ChatrouteError:
                if changed:
                    self._built = False
                raise
            except BaseException:
                self._built = False  # the journal may or may not hold the call: rebuild from it
                raise
            _pause("committed")
            if connection is not None:
                self._tentative += [(e.position, e.nonce) for e in appended]
            else:
                self._maybe_snapshot(before)
            return result

    def _open(self, txn: Transaction, now: datetime) -> Entry:
        """Append the desk's first entry (its config and seed) and apply it."""
        genesis = self._entry("open", self._genesis_args(), now, None, None)
        self._apply(genesis)
        txn.append(genesis, ())
        return genesis

    # ------------------------------------------------------- batching writer

    def _batched(
        self, name: str, spec: CallSpec | None, encoded: Any, now: datetime | None, request_id: str | None
    ) -> Any:
        """Queue the call; whoever gets the lock first writes every waiting call in one commit."""
        with self._lock:
            # Catch up before queueing (the entries so far cannot hold this call's fate), so
            # that a writer's batch starts with only the few entries of the last round.
            if not self._built:
                self._rebuild(self._committed)
            else:
                self._catch_up(self._committed, strict=False)
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
            if self._replica.position > reply.position:
                raise _error_from(reply.result)
            self._catch_up(self._committed, strict=False, until=reply.position)
            opened = self._replica.router is None
            if opened:  # it was the desk's first call: try it on the desk it would have opened
                self._apply(self._entry("open", self._genesis_args(), reply.now, None, None))
            try:
                self._live(name, spec, encoded, reply.now)
            except ChatrouteError:
                raise
            finally:
                if opened:
                    self._replica = _Replica()
            self._built = False
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
        journal: Any = self._journal
        check = hasattr(journal, "queued")
        while True:
            token = secrets.token_hex(8)
            self._waiting = token
            journal.submit(
                self._desk_id, Request(token=token, call=name, args=encoded, now=now, request_id=request_id)
            )
            rounds = 0
            while True:
                self._lead_once()
                rounds += 1
                lost = check and rounds % _CHECK_EVERY == 0 and not journal.queued(self._desk_id, token)
                reply: Reply | None = journal.take_reply(self._desk_id, token)
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

    def _genesis_args(self) -> dict[str, Any]:
        return {"config": self._genesis_config, "seed": self._genesis_seed}

    def _lead_once(self) -> None:
        """Try the desk's lock; holding it, write every waiting request in one transaction."""
        journal: Any = self._journal
        if not self._built:
            self._rebuild(self._committed)
        before = self._replica.position
        try:
            with journal.lead(self._desk_id) as batch:
                tail = batch.entries(self._replica.position)
                if not batch.locked:  # another process is writing; the replica stays where it is
                    return
                if self._tentative:
                    self._catch_up(batch.entries, strict=True)
                else:
                    for entry in tail:
                        self._apply(entry)
                served: dict[str, Entry] = {}
                for request in batch.requests:
                    self._serve(batch, request, served)
        except BaseException:
            self._built = False
            raise
        self._maybe_snapshot(before)

    def _serve(self, batch: Any, request: Request, served: dict[str, Entry]) -> None:
        """Make one queued call on the replica, append it, and reply."""
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
        stamped = self._stamp(request.now, spec)
        genesis = None
        if self._replica.router is None:  # the desk's first call opens it, if it succeeds
            genesis = self._entry("open", self._genesis_args(), stamped, None, None)
            self._apply(genesis)
        try:
            result = self._live(request.call, spec, request.args, stamped)
        except ChatrouteError as error:
            if genesis is not None:
                self._replica = _Replica()
            if request.token == self._waiting:  # this process's own call: raise it as it is
                self._errors[request.token] = error
            position = self._replica.position
            record = _error_record(error)
            batch.reply(Reply(token=request.token, position=position, now=stamped, result=record, error=True))
            return
        if genesis is not None:
            batch.append(genesis, ())
        entry = self._entry(request.call, request.args, stamped, rid, result, keep_result=True)
        self._advance(entry)
        batch.append(entry, [to_dict(event) for event in events_of(result)])
        batch.reply(Reply(token=request.token, position=entry.position, now=stamped, result=entry.result))
        if rid is not None:
            served[rid] = entry

    def _live(self, name: str, spec: CallSpec | None, encoded: Mapping[str, Any], now: datetime) -> Any:
        """Make a call on the replica for the first time, recording its GeoIP answers."""
        replica = self._replica
        if spec is None:  # reconfigure
            self._switch(encoded["config"], None)
            return None
        assert replica.router is not None
        self._geo.record()
        return run_call(replica.router, spec, decode_args(spec, encoded), now)

    def _switch(self, config_data: Any, position: int | None) -> None:
        """Carry the replica on under a new config (``position`` None: the entry being made)."""
        replica = self._replica
        assert replica.router is not None
        config = decode_config(config_data)
        replica.router = Router.restore(config, replica.router.snapshot(), geo=self._geo)
        replica.config, replica.config_data = config, config_data
        replica.config_version = position if position is not None else replica.position + 1

    def _entry(
        self,
        name: str,
        encoded: Any,
        now: datetime,
        request_id: str | None,
        result: Any,
        *,
        keep_result: bool = False,
    ) -> Entry:
        replica = self._replica
        geo = tuple({"ip": ip, "answer": to_dict(found)} for ip, found in self._geo.recorded)
        self._geo.recorded = []
        return Entry(
            position=replica.position + 1,
            call=name,
            args=encoded,
            now=now,
            geo=geo,
            result=encode_result(result) if request_id is not None or keep_result else None,
            request_id=request_id,
            nonce=secrets.token_hex(8),
            chatroute_version=__version__,
            config_version=replica.position + 1
            if name in ("open", "reconfigure")
            else replica.config_version,
        )

    def _advance(self, entry: Entry) -> None:
        self._replica.position = entry.position
        self._replica.last_now = entry.now

    def _stamp(self, now: datetime | None, spec: CallSpec | None) -> datetime:
        """The call's time: ``now`` or the clock, raised to the desk's last time.

        A call that takes no time (``forget``) keeps the desk's last time, so that it
        never moves the desk's time on by itself.
        """
        last = self._replica.last_now
        if now is None and spec is not None and not spec.timed and last is not None:
            return last
        stamped = now if now is not None else aware(self._clock(), "clock()")
        return last if last is not None and stamped < last else stamped

    def _apply(self, entry: Entry) -> None:
        """Replay one committed entry on the replica."""
        replica = self._replica
        if entry.call == "open":
            config = decode_config(entry.args["config"])
            replica.router = Router(config, seed=entry.args["seed"], geo=self._geo)
            replica.config, replica.config_data = config, entry.args["config"]
            replica.config_version = entry.position
        elif entry.call == "reconfigure":
            self._switch(entry.args["config"], entry.position)
        else:
            spec = CALLS[entry.call]
            if replica.router is None:
                raise ReplayMismatch(f"entry {entry.position} ({entry.call}) comes before the desk opened")
            self._geo.play((g["ip"], from_dict(GeoLookup, g["answer"])) for g in entry.geo)
            try:
                run_call(replica.router, spec, decode_args(spec, entry.args), entry.now)
            except ChatrouteError as exc:
                problem = f"entry {entry.position} ({entry.call}) failed on replay: {exc}"
                raise ReplayMismatch(problem) from exc
            finally:
                self._geo.record()
        self._advance(entry)

    def _catch_up(
        self, entries: Callable[[int], Sequence[Entry]], *, strict: bool, until: int | None = None
    ) -> None:
        """Apply the entries committed since the replica's position; rebuild if it went wrong.

        Args:
            entries: reads committed entries after a position.
            strict: under the desk's lock (entries appended on a host's connection that
                are not in the journal now were rolled back).
        """
        start = self._tentative[0][0] - 1 if self._tentative else self._replica.position
        tail = entries(start)
        if self._tentative:
            found = {e.position: e.nonce for e in tail}
            if any(found.get(position) not in (None, nonce) for position, nonce in self._tentative):
                self._rebuild(entries)  # someone else wrote there: the host rolled back
                return
            missing = any(found.get(position) is None for position, _ in self._tentative)
            if missing:
                if strict:  # under the lock, what is not there was rolled back
                    self._rebuild(entries)
                return  # the host's transaction may still be open: keep its calls
            self._tentative = []
        try:
            for entry in tail:
                if until is not None and entry.position > until:
                    break
                if entry.position > self._replica.position:
                    self._apply(entry)
        except BaseException:
            self._built = False
            raise

    def _rebuild(self, entries: Callable[[int], Sequence[Entry]], *, until: int | None = None) -> None:
        """Build the replica again from the newest snapshot and the entries after it."""
        self._built = False
        self._tentative = []
        self._replica = _Replica()
        stored = self._journal.latest_snapshot(self._desk_id)
        if stored is not None and until is not None and stored.position > until:
            stored = None  # a replica as of an earlier position: from the start
        if stored is not None:
            config = decode_config(stored.config)
            snapshot = from_dict(Snapshot, stored.snapshot)
            self._replica = _Replica(
                router=Router.restore(config, snapshot, geo=self._geo),
                position=stored.position,
                config=config,
                config_data=stored.config,
                config_version=stored.config_version,
                last_now=stored.now,
            )
        for entry in entries(self._replica.position):
            if until is not None and entry.position > until:
                break
            self._apply(entry)
        self._built = True

    def _maybe_snapshot(self, before: int) -> None:
        """Store a snapshot when the last call crossed a multiple of ``snapshot_every``."""
        replica = self._replica
        every = self._snapshot_every
        if replica.router is None or replica.position // every == before // every:
            return
        assert replica.last_now is not None
        self._journal.store_snapshot(
            self._desk_id,
            StoredSnapshot(
                position=replica.position,
                config=replica.config_data,
                config_version=replica.config_version,
                snapshot=to_dict(replica.router.snapshot()),
                now=replica.last_now,
                chatroute_version=__version__,
            ),
        )


def _error_record(error: ChatrouteError) -> dict[str, Any]:
    """A ChatrouteError as JSON-able data: its class, arguments and attributes."""

    def as_json(value: Any) -> Any:
        return json.loads(json.dumps(value, default=repr))

    return {
        "type": type(error).__name__,
        "args": as_json(list(error.args)),
        "attributes": as_json(vars(error)),
    }


def _error_from(record: Any) -> ChatrouteError:
    """The error :func:`_error_record` wrote (values JSON cannot hold come back as their repr)."""
    kind = (
        getattr(errors, str(record.get("type")), ChatrouteError)
        if isinstance(record, dict)
        else ChatrouteError
    )
    if not (isinstance(kind, type) and issubclass(kind, ChatrouteError)):
        kind = ChatrouteError
    error = kind.__new__(kind)
    Exception.__init__(error, *(record or {}).get("args", []))
    error.__dict__.update((record or {}).get("attributes", {}))
    return error


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stored_result(found: Entry, name: str, spec: CallSpec | None, request_id: str) -> Any:
    """The result a retried call gets: the one stored with its entry."""
    if found.call != name:
        raise InvalidValue("request_id", request_id, f"was used for a {found.call} call, not {name}")
    return decode_result(spec, found.result) if spec is not None else None
