"""The state as a snapshot and back: :func:`snapshot` and :func:`restore`.

A snapshot keeps every live record, the counters, the learned handle time and each
target's random source (as plain integers: :func:`pack_rng`), so that a restored router
draws exactly what the original would have. Restoring rebuilds what a snapshot does not
keep (loads, indexes, queues, deadlines) from the records, checking every id against
the config. These are :class:`~chatroute._router_state.RouterState`'s operations kept
apart from its core; nothing else writes the state they fill.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from . import _state_operators as operator_state
from ._deadlines import (
    CapLifts,
    DeclineLapses,
    OfferExpiry,
    PreferredWaitEnds,
    ReplyDue,
    WrapUpDue,
)
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from ._state_after_chat import await_operator
from ._state_requirements import apply_relaxed
from .errors import UnknownChannel, UnknownStatus
from .model import DialogState
from .snapshot import DialogRecord, Snapshot

__all__ = ["pack_rng", "restore", "snapshot", "unpack_rng"]


def pack_rng(rng: random.Random) -> tuple[int, ...]:
    """A random source's state as plain integers."""
    version, internal, _ = rng.getstate()
    return (version, *internal)


def unpack_rng(state: Iterable[int]) -> random.Random:
    """The random source :func:`pack_rng` packed."""
    values = tuple(state)
    rng = random.Random()
    rng.setstate((values[0], values[1:], None))
    return rng


def snapshot(state: RouterState) -> Snapshot:
    """The whole state as a frozen, serializable value."""
    return Snapshot(
        seed=state.topology.seed,
        operators=tuple(state.ops[op_id].freeze() for op_id in sorted(state.ops)),
        dialogs=tuple(state.dialogs[d].freeze() for d in sorted(state.dialogs)),
        clients=tuple(state.clients[c] for c in sorted(state.clients)),
        assign_seq=state.assign_seq,
        queue_seq=state.queue_seq,
        random_states={k: pack_rng(r) for k, r in sorted(state.rngs.items())},
        last_picks=dict(sorted(state.last_picks.items())),
        handle_time=state.handle_time,
        latest=state.latest,
        offer_log=state.offer_log.freeze(),
    )


def restore(state: RouterState, snapshot: Snapshot) -> None:
    """Take the state a snapshot kept (into a new state), checking every id against the config."""
    statuses = state.topology.statuses
    for kept in snapshot.operators:
        op = state.operator(kept.id, field="snapshot.operators")
        if kept.status not in statuses:
            raise UnknownStatus(kept.status, field="snapshot.operators.status")
        op.thaw(kept, statuses[kept.status].routable)
        if op.capped_until is not None:
            state.deadlines.caps.push(CapLifts(op.capped_until, op.id))
        for wrap_up in op.wrap_ups or ():
            op.load += wrap_up.weight
            state.deadlines.wrap_ups.push(WrapUpDue(wrap_up.until, op.id, wrap_up.dialog_id))
    state.clients = {c.id: c for c in snapshot.clients}
    state.client_dialogs = {}
    state.assign_seq, state.queue_seq = snapshot.assign_seq, snapshot.queue_seq
    state.rngs = {k: unpack_rng(v) for k, v in snapshot.random_states.items()}
    state.last_picks = dict(snapshot.last_picks)
    state.handle_time = snapshot.handle_time
    state.latest = snapshot.latest
    state.offer_log.thaw(snapshot.offer_log)
    for record in snapshot.dialogs:
        _restore_dialog(state, record)
    state.available.rebuild(state.ops.values())
    _restart_grace_periods(state)


def _restart_grace_periods(state: RouterState) -> None:
    """Offline operators who still hold dialogs under REQUEUE are waiting out their grace."""
    for op in state.ops.values():
        operator_state.resume_grace(state, op)


def _restore_assigned(state: RouterState, op: LiveOperator, rec: LiveDialog) -> None:
    """Count a restored assigned dialog in its operator's load (a held one as ``hold_counts`` says)."""
    if rec.held_since is None:
        state.count_load(op, rec)
        return
    op.held += 1
    if state.topology.config.hold_counts:
        state.count_load(op, rec)
    else:
        op.dialogs.add(rec.id)


def _restore_dialog(state: RouterState, record: DialogRecord) -> None:
    topology = state.topology
    channel = topology.channels.get(record.dialog.channel)
    if channel is None:
        raise UnknownChannel(record.dialog.channel, field="snapshot.dialogs.channel")
    rec = state.live(record.dialog, channel, record.routed_at)
    rec.thaw(record)
    apply_relaxed(state, rec)
    if rec.state is DialogState.QUEUED:
        state.schedule_relax(rec)
    if rec.state is not DialogState.CLOSED:
        for op_id, due in sorted(rec.declines_lapse.items()):
            state.deadlines.declines.push(DeclineLapses(due, rec.id, op_id))
    if rec.target is not None:
        topology.check_target(rec.target, "snapshot.dialogs.target")
        rec.target_key = topology.target_key(rec.target)
    if rec.state is DialogState.OFFERED:
        for op_id in sorted(rec.offered_to):
            holder = state.operator(op_id, field="snapshot.dialogs.offered_to")
            if rec.operator_id is not None:
                state.count_load(holder, rec)
            else:
                holder.add_offer(rec.id)
        if rec.offer_expires is not None:
            state.deadlines.offers.push(OfferExpiry(rec.offer_expires, rec.id, rec.epoch))
    if rec.state is DialogState.ASSIGNED:
        holder = state.operator(str(rec.operator_id), field="snapshot.dialogs.operator_id")
        _restore_assigned(state, holder, rec)
        timeout = topology.config.reply_timeout
        if timeout is not None and rec.replied_at is None and rec.assigned_at is not None:
            state.deadlines.replies.push(ReplyDue(rec.assigned_at + timeout, rec.id, rec.assigned_at))
    elif rec.state is DialogState.QUEUED:
        assert record.queue_seq is not None
        assert rec.waiting_since is not None
        state.push(rec, record.queue_seq, rec.waiting_since)
        state.schedule_ring(rec)
        if rec.resume_to is not None:
            await_operator(state, rec, rec.resume_to, rec.waiting_since + topology.config.resume_wait)
        if rec.preferred_until is not None:
            state.deadlines.preferred.push(PreferredWaitEnds(rec.preferred_until, rec.id, rec.epoch))
    state.dialogs[rec.id] = rec
    state.note_client(rec)
