"""The intake cap: at most ``intake_cap`` new dialogs per operator in any ``intake_window``.

:class:`IntakeCap` is a part of :class:`~chatroute._router_state.RouterState` (which
calls it when it takes a slot for a new dialog, and when a cap lifts): it keeps each
operator's recent intake and ``capped_until``, and schedules when a cap lifts.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from ._deadlines import CapLifts, Deadlines
from ._state import LiveOperator
from .config import RoutingConfig

__all__ = ["IntakeCap"]


class IntakeCap:
    """Each operator's recent intake, and whether it caps them (owned by the state)."""

    __slots__ = ("_config", "_deadlines")

    def __init__(self, config: RoutingConfig, deadlines: Deadlines) -> None:
        self._config = config
        self._deadlines = deadlines

    def count(self, op: LiveOperator, now: datetime) -> None:
        """Note a new dialog for the intake cap; at the cap, the operator rests until the window moves."""
        if op.intake is None:
            op.intake = deque()
        op.intake.append(now)
        self.recheck(op, now)

    def recheck(self, op: LiveOperator, now: datetime) -> None:
        """Forget intake older than the window; cap the operator while the window is full."""
        config = self._config
        cap, window, intake = config.intake_cap, config.intake_window, op.intake
        while intake and intake[0] <= now - window:
            intake.popleft()
        if cap is not None and intake is not None and len(intake) >= cap:
            op.capped_until = intake[-cap] + window
            self._deadlines.caps.push(CapLifts(op.capped_until, op.id))
        else:
            op.capped_until = None
