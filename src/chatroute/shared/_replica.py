"""A process's copy of a shared desk: a router kept at a journal position by replaying entries.

Every replica that applies the same entries holds the same state (the router has no
hidden clock and no hidden randomness). A replica makes a call live (recording its
GeoIP answers) when its process writes it, and replays it from the entry otherwise.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from .. import __version__
from .._frozen import aware
from ..config import RoutingConfig
from ..errors import ChatrouteError
from ..geo import GeoLookup
from ..router import Router
from ..serialize import from_dict, to_dict
from ..snapshot import Snapshot
from ._calls import CALLS, CallSpec, decode_args, decode_config, encode_result, run_call
from ._geo import GeoRecorder, ReplayMismatch
from ._snapshots import decode_image, decode_snapshot, encode_image, encode_snapshot
from .journal import Entry, Journal, StoredSnapshot, Transaction

__all__ = ["Replica", "Taken", "pause"]

#: Test-only: the crash tests stop a worker at one point of a call (``locked``,
#: ``called``, ``appended``, ``committed``, or a leader's ``batch`` and ``batched``)
#: and kill it there.
_PAUSE_AT = os.environ.get("CHATROUTE_SHARED_PAUSE")


def pause(point: str) -> None:
    """Stop here for good when the crash tests asked for ``point`` (prints where first)."""
    if point == _PAUSE_AT:
        print(f"paused at {point}", flush=True)
        time.sleep(3600)


@attrs.define
class _State:
    """The desk as this process knows it: a router at a journal position."""

    router: Router | None = None
    position: int = 0
    config: RoutingConfig | None = None
    config_data: Any = None
    config_version: int = 0
    last_now: datetime | None = None


class Replica:
    """A router kept up to date from a desk's journal; its callers hold the desk's thread lock.

    Args:
        journal: the desk's journal.
        desk_id: the desk.
        genesis: the ``open`` entry's arguments (config and seed) when the desk's first
            call is made here.
        geo: the resolver recording live answers and playing recorded ones.
        clock: the time of a call given no ``now``.
        snapshot_every: a snapshot is stored after this many entries.
        image_key: the key signing the router images stored with snapshots (None: none
            written or read).
        config: the desk's config as the host gave it (``genesis`` holds it encoded):
            used as it is wherever the journal holds the same encoded config, instead of
            decoding it again (40 ms of CPU for 5,000 operators).
    """

    def __init__(
        self,
        journal: Journal,
        desk_id: str,
        genesis: dict[str, Any],
        geo: GeoRecorder,
        clock: Callable[[], datetime],
        snapshot_every: int,
        image_key: bytes | None = None,
        config: RoutingConfig | None = None,
    ) -> None:
        self.journal = journal
        self.config = config
        self.image_key = image_key
        self.desk_id = desk_id
        self.genesis = genesis
        self.geo = geo
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.state = _State()
        self.built = False
        self.tentative: list[tuple[int, str]] = []  # appended on a host's connection, not yet seen committed

    @property
    def router(self) -> Router | None:
        """The replica's router (None before the desk's first entry)."""
        return self.state.router

    @property
    def position(self) -> int:
        """The last journal position applied."""
        return self.state.position

    def committed(self, after: int) -> Sequence[Entry]:
        """Committed entries after ``after``, read without the lock and without their results."""
        return self.journal.entries(self.desk_id, after, results=False)

    def refresh(self) -> None:
        """Apply what others committed (outside the lock), or build the replica if it is not built."""
        if not self.built:
            self.rebuild(self.committed)
        else:
            self.catch_up(self.committed, strict=False)

    def clear(self) -> None:
        """Back to the desk before its first entry (a first call that raised opened nothing)."""
        self.state = _State()

    def reset(self) -> None:
        """Forget the state: the next use rebuilds it from the journal."""
        self.built = False

    # ------------------------------------------------------------ live calls

    def open(self, txn: Transaction, now: datetime) -> Entry:
        """Append the desk's first entry (its config and seed) and apply it."""
        genesis = self.entry("open", self.genesis, now, None, None)
        self.apply(genesis)
        txn.append(genesis, ())
        return genesis

    def live(self, name: str, spec: CallSpec | None, encoded: Mapping[str, Any], now: datetime) -> Any:
        """Make a call on the replica for the first time, recording its GeoIP answers."""
        if spec is None:  # reconfigure
            self.switch(encoded["config"], None)
            return None
        assert self.state.router is not None
        self.geo.record()
        return run_call(self.state.router, spec, decode_args(spec, encoded), now)

    def entry(
        self,
        name: str,
        encoded: Any,
        now: datetime,
        request_id: str | None,
        result: Any,
        *,
        keep_result: bool = False,
    ) -> Entry:
        """The entry for a call just made live at the next position (not applied yet)."""
        state = self.state
        geo = tuple({"ip": ip, "answer": to_dict(found)} for ip, found in self.geo.recorded)
        self.geo.recorded = []
        return Entry(
            position=state.position + 1,
            call=name,
            args=encoded,
            now=now,
            geo=geo,
            result=encode_result(result) if request_id is not None or keep_result else None,
            request_id=request_id,
            nonce=secrets.token_hex(8),
            chatroute_version=__version__,
            config_version=state.position + 1 if name in ("open", "reconfigure") else state.config_version,
        )

    def advance(self, entry: Entry) -> None:
        """Move the replica to ``entry``'s position once its call is made."""
        self.state.position = entry.position
        self.state.last_now = entry.now

    def stamp(self, now: datetime | None, spec: CallSpec | None) -> datetime:
        """The call's time: ``now`` or the clock, raised to the desk's last time.

        A call that takes no time (``forget``) keeps the desk's last time, so that it
        never moves the desk's time on by itself.
        """
        last = self.state.last_now
        if now is None and spec is not None and not spec.timed and last is not None:
            return last
        stamped = now if now is not None else aware(self.clock(), "clock()")
        return last if last is not None and stamped < last else stamped

    def switch(self, config_data: Any, position: int | None) -> None:
        """Carry the replica on under a new config (``position`` None: the entry being made)."""
        state = self.state
        assert state.router is not None
        config = self.config_of(config_data)
        state.router = Router.restore(config, state.router.snapshot(), geo=self.geo)
        state.config, state.config_data = config, config_data
        state.config_version = position if position is not None else state.position + 1

    def config_of(self, data: Any) -> RoutingConfig:
        """The config encoded as ``data``: the host's own object when it encodes the same."""
        if self.config is not None and data == self.genesis["config"]:
            return self.config
        return decode_config(data)

    # ---------------------------------------------------------------- replay

    def apply(self, entry: Entry) -> None:
        """Replay one committed entry on the replica."""
        state = self.state
        if entry.call == "open":
            config = self.config_of(entry.args["config"])
            state.router = Router(config, seed=entry.args["seed"], geo=self.geo)
            state.config, state.config_data = config, entry.args["config"]
            state.config_version = entry.position
        elif entry.call == "reconfigure":
            self.switch(entry.args["config"], entry.position)
        else:
            spec = CALLS[entry.call]
            if state.router is None:
                raise ReplayMismatch(f"entry {entry.position} ({entry.call}) comes before the desk opened")
            self.geo.play((g["ip"], from_dict(GeoLookup, g["answer"])) for g in entry.geo)
            try:
                run_call(state.router, spec, decode_args(spec, entry.args), entry.now)
            except ChatrouteError as exc:
                problem = f"entry {entry.position} ({entry.call}) failed on replay: {exc}"
                raise ReplayMismatch(problem) from exc
            finally:
                self.geo.record()
        self.advance(entry)

    def catch_up(
        self, entries: Callable[[int], Sequence[Entry]], *, strict: bool, until: int | None = None
    ) -> None:
        """Apply the entries committed since the replica's position; rebuild if it went wrong.

        Args:
            entries: reads committed entries after a position.
            strict: under the desk's lock (entries appended on a host's connection that
                are not in the journal now were rolled back).
            until: stop after this position.
        """
        start = self.tentative[0][0] - 1 if self.tentative else self.state.position
        tail = entries(start)
        if self.tentative:
            found = {e.position: e.nonce for e in tail}
            if any(found.get(position) not in (None, nonce) for position, nonce in self.tentative):
                self.rebuild(entries)  # someone else wrote there: the host rolled back
                return
            missing = any(found.get(position) is None for position, _ in self.tentative)
            if missing:
                if strict:  # under the lock, what is not there was rolled back
                    self.rebuild(entries)
                return  # the host's transaction may still be open: keep its calls
            self.tentative = []
        try:
            for entry in tail:
                if until is not None and entry.position > until:
                    break
                if entry.position > self.state.position:
                    self.apply(entry)
        except BaseException:
            self.built = False
            raise

    def rebuild(self, entries: Callable[[int], Sequence[Entry]]) -> None:
        """Build the replica again from the newest snapshot and the entries after it."""
        self.built = False
        self.tentative = []
        self.state = _State()
        stored = self.journal.latest_snapshot(self.desk_id)
        if stored is not None:
            config = self.config_of(stored.config)
            self.state = _State(
                router=self._load(stored, config),
                position=stored.position,
                config=config,
                config_data=stored.config,
                config_version=stored.config_version,
                last_now=stored.now,
            )
        for entry in entries(self.state.position):
            self.apply(entry)
        self.built = True

    def _load(self, stored: StoredSnapshot, config: RoutingConfig) -> Router:
        """The router of a stored snapshot: from its image when this process may read it."""
        key, image = self.image_key, stored.image
        if key is not None and image is not None and stored.chatroute_version == __version__:
            router = decode_image(image, self.geo, key)
            if router is not None:
                return router
        return Router.restore(config, decode_snapshot(stored.snapshot), geo=self.geo)

    def due_snapshot(self, before: int) -> Taken | None:
        """The desk's state to store when the last calls crossed a multiple of ``snapshot_every``.

        Only the router's :class:`~chatroute.snapshot.Snapshot` is taken here, under the
        desk's lock; :meth:`store` encodes and writes it without the lock (the state at
        a position is the same on every replica, whoever writes it and whenever).
        """
        every = self.snapshot_every
        if self.state.position // every == before // every:
            return None
        return self.take()

    def take(self) -> Taken | None:
        """The desk's state now, to store as a snapshot (None before the desk's first entry)."""
        state = self.state
        if state.router is None:
            return None
        assert state.last_now is not None
        assert state.config is not None
        return Taken(
            position=state.position,
            config=state.config,
            config_data=state.config_data,
            config_version=state.config_version,
            snapshot=state.router.snapshot(),
            now=state.last_now,
        )

    def store(self, taken: Taken) -> None:
        """Encode a snapshot :meth:`due_snapshot` took (and its image, with a key) and store it."""
        image = None
        if self.image_key is not None:  # a router of its own, rebuilt from the snapshot, is pickled
            geo = GeoRecorder(None)
            image = encode_image(Router.restore(taken.config, taken.snapshot, geo=geo), geo, self.image_key)
        self.journal.store_snapshot(
            self.desk_id,
            StoredSnapshot(
                position=taken.position,
                config=taken.config_data,
                config_version=taken.config_version,
                snapshot=encode_snapshot(taken.snapshot),
                now=taken.now,
                chatroute_version=__version__,
                image=image,
            ),
        )


@attrs.frozen(kw_only=True)
class Taken:
    """A replica's state at a position, to be stored as a snapshot."""

    position: int
    config: RoutingConfig
    config_data: Any
    config_version: int
    snapshot: Snapshot
    now: datetime
