"""Operators' status and limit changes: checked, applied, and the queue drained into them.

:class:`Presence` checks each call (a known operator and status, a limit in range) and
applies it: a status change through :meth:`~chatroute._timeouts.Timeouts.change_status`
(offers withdrawn from an operator who stops taking dialogs; under
:attr:`~chatroute.config.OfflinePolicy.REQUEUE` an offline operator's dialogs re-queued
at once or after the grace period), a limit through the state; then the queue drains
into the operator. The public :class:`~chatroute.Router` checks the time and delegates.
"""

from __future__ import annotations

from datetime import datetime

from . import _state_operators as operator_state
from ._applying import Effects
from ._frozen import MAX_SAFE_INT
from ._router_state import RouterState
from ._timeouts import Timeouts
from ._topology import Topology, check_id
from .config import OfflinePolicy
from .errors import InvalidValue, UnknownStatus
from .events import Event, LimitChanged

__all__ = ["Presence"]


class Presence:
    """An operator's status and limit, each change checked before anything changes."""

    __slots__ = ("effects", "state", "timeouts", "topology")

    def __init__(self, topology: Topology, state: RouterState, effects: Effects, timeouts: Timeouts) -> None:
        self.topology = topology
        self.state = state
        self.effects = effects
        self.timeouts = timeouts

    def set_status(
        self, operator_id: str, status: str, now: datetime, comment: str | None
    ) -> tuple[Event, ...]:
        """Change the operator's status; see :meth:`chatroute.Router.set_status`."""
        op = self.state.operator(operator_id)
        check_id(status, "status")
        if status not in self.topology.statuses:
            raise UnknownStatus(status, field="status")
        if comment is not None and not isinstance(comment, str):
            raise InvalidValue("comment", comment, "must be a string")
        events: list[Event] = []
        self.timeouts.change_status(op, status, now, comment, events)
        if status == "offline" and self.topology.config.offline_policy is OfflinePolicy.REQUEUE:
            self.timeouts.requeue_later(op, now, events)
        self.effects.drain(op, now, events)
        return tuple(events)

    def set_limit(self, operator_id: str, limit: int, now: datetime) -> tuple[Event, ...]:
        """Change the operator's limit; see :meth:`chatroute.Router.set_limit`."""
        op = self.state.operator(operator_id)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_SAFE_INT:
            raise InvalidValue("limit", limit, "must be an integer from 0 to 2**53 - 1")
        events: list[Event] = [LimitChanged(at=now, operator_id=op.id, old=op.limit, new=limit)]
        operator_state.set_limit(self.state, op, limit)
        self.effects.drain(op, now, events)
        return tuple(events)
