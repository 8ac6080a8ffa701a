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

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, TypeVar, Unpack

from .._frozen import aware
from ..config import RoutingConfig
from ..decision import Decision
from ..errors import ChatrouteError, InvalidValue
from ..events import Event
from ..geo import GeoResolver
from ..model import Client, Dialog, Rating, Target
from ..router import Router
from ..serialize import to_dict
from ._batching import BatchingWriter
from ._calls import CALLS, decode_config, encode_args, encode_config, events_of
from ._geo import GeoRecorder
from ._records import LostRequest, stored_result
from ._replica import Replica, pause
from .journal import Entry, Journal

__all__ = ["LostRequest", "SharedDesk", "Timed", "Untimed"]

T = TypeVar("T")


class Untimed(TypedDict, total=False):
    """The keywords every desk call takes besides the Router's own (see :class:`SharedDesk`)."""

    request_id: str | None
    connection: Any


class Timed(Untimed, total=False):
    """The keywords of a desk call that takes a time: ``now`` too, optional."""

    now: datetime | None


#: Entries between two snapshots, unless the desk is told otherwise.
SNAPSHOT_EVERY = 1000


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
        batching: queue calls for the desk's batching writer instead of taking the lock
            for each (``PostgresJournal`` only). One process of the desk is the writer
            (it holds a session advisory lock until it dies, then another takes over)
            and writes every queued call in one transaction; the others wait for their
            replies and replay the journal only to answer :meth:`read`. Calls with
            ``connection=`` still take the lock themselves. Build the desk after the
            host forks; :meth:`close` stops its threads.
        image_key: a secret the host's workers share (bytes, at least 16). Snapshots
            then also keep the replica's router as an image signed with it (HMAC-SHA256),
            and a new replica of the same chatroute version starts from the image, several
            times faster than from the JSON snapshot. Images are pickles: one is read only
            when its signature holds. None: JSON snapshots only.
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
        image_key: bytes | None = None,
    ) -> None:
        if not isinstance(desk_id, str) or not desk_id:
            raise InvalidValue("desk_id", desk_id, "must be a non-empty string")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidValue("seed", seed, "must be an integer")
        if isinstance(snapshot_every, bool) or not isinstance(snapshot_every, int) or snapshot_every < 1:
            raise InvalidValue("snapshot_every", snapshot_every, "must be a positive integer")
        if image_key is not None and (not isinstance(image_key, bytes) or len(image_key) < 16):
            raise InvalidValue("image_key", image_key, "must be bytes, at least 16 of them")
        if batching and not all(
            hasattr(journal, m) for m in ("submit", "lead", "seat", "replies", "take_replies")
        ):
            raise InvalidValue("batching", batching, f"{type(journal).__name__} has no batching writer")
        self._journal = journal
        self._desk_id = desk_id
        self._lock = threading.Lock()
        genesis = {"config": encode_config(config), "seed": seed}
        clock = clock if clock is not None else _utc_now
        self._replica = Replica(
            journal,
            desk_id,
            genesis,
            GeoRecorder(geo),
            clock,
            snapshot_every,
            image_key=image_key,
            config=config,
        )
        self._writer = BatchingWriter(self._replica, self._lock) if batching else None

    def close(self) -> None:
        """Stop the batching writer's threads (a writer gives its seat up to another process)."""
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> SharedDesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- queries

    @property
    def desk_id(self) -> str:
        """The desk's id in the journal."""
        return self._desk_id

    @property
    def leading(self) -> bool:
        """Whether this process is the desk's batching writer now."""
        return self._writer is not None and self._writer.leading

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
            replica = self._replica
            if fresh or not replica.built:
                replica.refresh()
            router = replica.router
            if router is None:  # an empty journal: the desk as its first call would open it
                router = Router(decode_config(replica.genesis["config"]), seed=replica.genesis["seed"])
            return question(router)

    # ------------------------------------------------------ the router's calls
    # Each forwards its arguments (``locals()``: the names of its CALLS spec) through
    # the journal; tests/shared/test_desk.py checks them against the Router's methods.

    def route(self, dialog: Dialog, *, client: Client | None = None, **options: Unpack[Timed]) -> Decision:
        """:meth:`Router.route <chatroute.router.Router.route>` on the shared desk."""
        return self._decision("route", locals())

    def release(
        self, dialog_id: str, *, rating: Rating | None = None, **options: Unpack[Timed]
    ) -> tuple[Event, ...]:
        """:meth:`Router.release <chatroute.router.Router.release>` on the shared desk."""
        return self._events("release", locals())

    def accept(self, dialog_id: str, operator_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.accept <chatroute.router.Router.accept>` on the shared desk."""
        return self._events("accept", locals())

    def decline(self, dialog_id: str, operator_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.decline <chatroute.router.Router.decline>` on the shared desk."""
        return self._events("decline", locals())

    def claim(self, dialog_id: str, operator_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.claim <chatroute.router.Router.claim>` on the shared desk."""
        return self._events("claim", locals())

    def transfer(
        self, dialog_id: str, to: Target, *, by: str | None = None, **options: Unpack[Timed]
    ) -> Decision:
        """:meth:`Router.transfer <chatroute.router.Router.transfer>` on the shared desk."""
        return self._decision("transfer", locals())

    def handle(
        self, dialog_id: str, event: str, *, data: Mapping[str, Any] | None = None, **options: Unpack[Timed]
    ) -> Decision | None:
        """:meth:`Router.handle <chatroute.router.Router.handle>` on the shared desk.

        ``data`` goes through JSON: tuples arrive as lists, times as ISO text.
        """
        result: Decision | None = self._forward("handle", locals())
        return result

    def replied(self, dialog_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.replied <chatroute.router.Router.replied>` on the shared desk."""
        return self._events("replied", locals())

    def hold(self, dialog_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.hold <chatroute.router.Router.hold>` on the shared desk."""
        return self._events("hold", locals())

    def resume(self, dialog_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.resume <chatroute.router.Router.resume>` on the shared desk."""
        return self._events("resume", locals())

    def adopt(
        self, dialog: Dialog, operator_id: str, *, over_limit: bool = False, **options: Unpack[Timed]
    ) -> tuple[Event, ...]:
        """:meth:`Router.adopt <chatroute.router.Router.adopt>` on the shared desk."""
        return self._events("adopt", locals())

    def adopt_many(
        self, pairs: Iterable[tuple[Dialog, str]], *, over_limit: bool = False, **options: Unpack[Timed]
    ) -> tuple[Event, ...]:
        """:meth:`Router.adopt_many <chatroute.router.Router.adopt_many>` on the shared desk."""
        return self._events("adopt_many", locals())

    def forget(self, dialog_id: str, *, keep_client: bool = False, **options: Unpack[Untimed]) -> None:
        """:meth:`Router.forget <chatroute.router.Router.forget>` on the shared desk."""
        self._forward("forget", locals())

    def forget_client(self, client_id: str, **options: Unpack[Untimed]) -> None:
        """:meth:`Router.forget_client <chatroute.router.Router.forget_client>` on the shared desk."""
        self._forward("forget_client", locals())

    def set_status(
        self, operator_id: str, status: str, *, comment: str | None = None, **options: Unpack[Timed]
    ) -> tuple[Event, ...]:
        """:meth:`Router.set_status <chatroute.router.Router.set_status>` on the shared desk."""
        return self._events("set_status", locals())

    def set_limit(self, operator_id: str, limit: int, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.set_limit <chatroute.router.Router.set_limit>` on the shared desk."""
        return self._events("set_limit", locals())

    def ready(self, operator_id: str, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.ready <chatroute.router.Router.ready>` on the shared desk."""
        return self._events("ready", locals())

    def tick(self, **options: Unpack[Timed]) -> tuple[Event, ...]:
        """:meth:`Router.tick <chatroute.router.Router.tick>` on the shared desk."""
        return self._events("tick", locals())

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

    def _forward(self, name: str, given: Mapping[str, Any]) -> Any:
        """Make the call ``name`` with the arguments its method was given (its ``locals()``).

        An optional flag left False (``over_limit``, ``keep_client``) is left out of the
        entry, as the Router's default.
        """
        spec = CALLS[name]
        values = {arg: given[arg] for arg in spec.args if not (arg in spec.optional and given[arg] is False)}
        options: Timed = given["options"]
        unknown = set(options) - (Timed if spec.timed else Untimed).__optional_keys__
        if unknown:
            raise TypeError(f"{name}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        now = options.get("now")
        return self._call(name, values, now, options.get("request_id"), options.get("connection"))

    def _events(self, name: str, given: Mapping[str, Any]) -> tuple[Event, ...]:
        events: tuple[Event, ...] = self._forward(name, given)
        return events

    def _decision(self, name: str, given: Mapping[str, Any]) -> Decision:
        decision: Decision = self._forward(name, given)
        return decision

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
        if self._writer is not None and connection is None:
            return self._writer.call(name, spec, encoded, now, request_id)
        replica = self._replica
        taken = None
        with self._lock:
            if connection is None:
                # Most of what others appended is applied before the lock, so the lock is
                # held for the last few entries only (and never for a whole rebuild).
                replica.refresh()
            changed = False
            try:
                with self._journal.transaction(self._desk_id, connection, request_id=request_id) as txn:
                    if not replica.built:
                        replica.rebuild(txn.entries)
                    else:
                        replica.catch_up(txn.entries, strict=True)
                    pause("locked")
                    if request_id is not None:
                        found = txn.find(request_id)
                        if found is not None:
                            return stored_result(found, name, spec, request_id)
                    stamped = replica.stamp(now, spec)
                    appended: list[Entry] = []
                    if replica.router is None:
                        changed = True
                        appended.append(replica.open(txn, stamped))
                    result = replica.live(name, spec, encoded, stamped)
                    changed = True
                    pause("called")
                    entry = replica.entry(name, encoded, stamped, request_id, result)
                    replica.advance(entry)
                    appended.append(entry)
                    txn.append(entry, [to_dict(event) for event in events_of(result)])
                    pause("appended")
            except ChatrouteError:
                if changed:
                    replica.reset()
                raise
            except BaseException:
                replica.reset()  # the journal may or may not hold the call: rebuild from it
                raise
            pause("committed")
            if connection is not None:
                replica.tentative += [(e.position, e.nonce) for e in appended]
            else:  # only by the call whose own entry reaches the multiple: one process, not
                # every process that replays it under the lock (seconds of CPU each, for a large desk)
                taken = replica.due_snapshot(appended[0].position - 1)
        if taken is not None:  # encoded and written outside the lock: other calls go on meanwhile
            replica.store(taken)
        return result


def _utc_now() -> datetime:
    return datetime.now(UTC)
