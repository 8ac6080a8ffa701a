"""Restoring a router from a :class:`~chatroute.snapshot.Snapshot`.

Snapshots hold the state as frozen records; loading rebuilds the live records, the
queues, the offer deadlines and the indexes from them, checking every id against the
config.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable

from ._deadlines import CapLifts, OfferExpiry, ReplyDue, RequeueDue
from ._timeouts import Timeouts
from .config import OfflinePolicy
from .errors import UnknownChannel, UnknownStatus
from .model import DialogState
from .snapshot import DialogRecord, Snapshot

__all__ = ["Persistence", "pack_rng", "unpack_rng"]


class Persistence(Timeouts):
    """Loading snapshots; see :meth:`chatroute.Router.restore`."""

    def _load(self, snapshot: Snapshot) -> None:
        for state in snapshot.operators:
            op = self._operator(state.id, field="snapshot.operators")
            if state.status not in self._statuses:
                raise UnknownStatus(state.status, field="snapshot.operators.status")
            op.status, op.status_since, op.comment = state.status, state.status_since, state.comment
            op.routable = self._statuses[state.status].routable
            op.limit, op.load = state.limit, state.load
            op.channel_loads = dict(state.channel_loads)
            op.assigned_total = state.assigned_total
            op.last_assigned_seq, op.last_assigned_at = state.last_assigned_seq, state.last_assigned_at
            op.missed = state.missed_offers
            op.intake = deque(state.intake) if state.intake else None
            op.capped_until = state.capped_until
            if op.capped_until is not None:
                self._deadlines.caps.push(CapLifts(op.capped_until, op.id))
        self._clients = {c.id: c for c in snapshot.clients}
        self._assign_seq, self._queue_seq = snapshot.assign_seq, snapshot.queue_seq
        self._rngs = {k: unpack_rng(v) for k, v in snapshot.random_states.items()}
        self._last_picks = dict(snapshot.last_picks)
        self._handle_time = snapshot.handle_time
        for record in snapshot.dialogs:
            self._load_dialog(record)
        self._rebuild()
        self._restart_grace_periods()

    def _restart_grace_periods(self) -> None:
        """Offline operators who still hold dialogs under REQUEUE are waiting out their grace."""
        grace = self._config.requeue_grace
        if self._config.offline_policy is not OfflinePolicy.REQUEUE or not grace:
            return
        for op in self._ops.values():
            if op.status == "offline" and op.dialogs and op.status_since is not None:
                self._deadlines.requeues.push(RequeueDue(op.status_since + grace, op.id, op.status_since))

    def _load_dialog(self, record: DialogRecord) -> None:
        channel = self._channels.get(record.dialog.channel)
        if channel is None:
            raise UnknownChannel(record.dialog.channel, field="snapshot.dialogs.channel")
        rec = self._live(record.dialog, channel, record.routed_at)
        for name in (
            "state",
            "target",
            "group_id",
            "operator_id",
            "waiting_since",
            "assigned_at",
            "closed_at",
            "pool",
            "excluded",
            "offered_to",
            "offered_at",
            "declined",
            "replied_at",
            "rule",
            "ring",
            "history",
            "rating",
            "sla_notified",
            "epoch",
        ):
            setattr(rec, name, getattr(record, name))
        if rec.target is not None:
            self._check_target(rec.target, "snapshot.dialogs.target")
            rec.target_key = self._target_key(rec.target)
        if rec.state is DialogState.OFFERED:
            rec.offer_expires = record.offer_expires_at
            for op_id in sorted(rec.offered_to):
                holder = self._operator(op_id, field="snapshot.dialogs.offered_to")
                if rec.operator_id is not None:
                    holder.dialogs.add(rec.id)
                else:
                    holder.add_offer(rec.id)
            if rec.offer_expires is not None:
                self._deadlines.offers.push(OfferExpiry(rec.offer_expires, rec.id, rec.epoch))
        if rec.state is DialogState.ASSIGNED:
            self._operator(str(rec.operator_id), field="snapshot.dialogs.operator_id").dialogs.add(rec.id)
            timeout = self._config.reply_timeout
            if timeout is not None and rec.replied_at is None and rec.assigned_at is not None:
                self._deadlines.replies.push(ReplyDue(rec.assigned_at + timeout, rec.id, rec.assigned_at))
        elif rec.state is DialogState.QUEUED:
            assert record.queue_seq is not None
            assert rec.waiting_since is not None
            self._push(rec, record.queue_seq, rec.waiting_since)
            self._schedule_ring(rec)
        self._dialogs[rec.id] = rec


def pack_rng(rng: random.Random) -> tuple[int, ...]:
    version, internal, _ = rng.getstate()
    return (version, *internal)


def unpack_rng(state: Iterable[int]) -> random.Random:
    values = tuple(state)
    rng = random.Random()
    rng.setstate((values[0], values[1:], None))
    return rng
