"""The state's operations on an operator's presence: status, limit, the re-queue after going offline.

These are :class:`~chatroute._router_state.RouterState`'s operations kept apart from
its core: each takes the state and changes the operator's record, the indexes'
capacities and the deadlines together. When a status change re-queues or withdraws
dialogs is :mod:`chatroute._timeouts`'s to say.
"""

from __future__ import annotations

from datetime import datetime

from ._deadlines import RequeueDue
from ._router_state import RouterState
from ._state import LiveOperator
from .config import OfflinePolicy

__all__ = ["requeue_after", "resume_grace", "set_limit", "set_status"]


def set_status(state: RouterState, op: LiveOperator, status: str, now: datetime, comment: str | None) -> None:
    """Set the operator's status; their capacity and place in the indexes follow."""
    was_routable = op.routable
    op.status = status
    op.status_since = now
    op.comment = comment
    op.routable = state.topology.statuses[status].routable
    if was_routable != op.routable:
        state.available.add_capacity(op, op.limit if op.routable else -op.limit)
    state.available.refresh(op)


def set_limit(state: RouterState, op: LiveOperator, limit: int) -> None:
    """Set the operator's limit; their capacity and place in the indexes follow."""
    if op.routable:
        state.available.add_capacity(op, limit - op.limit)
    op.limit = limit
    op.limit_override = limit
    state.available.refresh(op)


def requeue_after(state: RouterState, op: LiveOperator, due: datetime, since: datetime) -> None:
    """Re-queue the operator's dialogs at ``due`` if they are still offline since ``since``."""
    state.deadlines.requeues.push(RequeueDue(due, op.id, since))


def resume_grace(state: RouterState, op: LiveOperator) -> None:
    """An operator offline under the re-queue policy, holding dialogs (restored, or given one
    by ``adopt``), waits out their grace from when they went offline."""
    config = state.topology.config
    grace, since = config.requeue_grace, op.status_since
    if config.offline_policy is not OfflinePolicy.REQUEUE or not grace or since is None:
        return
    if op.status == "offline" and op.dialogs:
        requeue_after(state, op, since + grace, since)
