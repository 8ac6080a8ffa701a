"""A decision while it is being made and carried out: :class:`Draft`.

:class:`~chatroute._placement.Decider` writes one; :mod:`chatroute._applying` carries it
out and fills in what that produced; :meth:`Draft.build` freezes it into the public
:class:`~chatroute.decision.Decision`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .decision import Decision, Outcome, Reason, Trace
from .events import Event
from .model import Target

__all__ = ["Draft"]


class Draft:
    """A decision while it is being made and carried out; :meth:`build` freezes it.

    The router fills in the events and the queue position once the decision is applied,
    so the frozen :class:`Decision` is built once, at the end.
    """

    __slots__ = (
        "dialog_id",
        "group_id",
        "offer_expires_at",
        "offered_to",
        "operator_id",
        "outcome",
        "pool",
        "reason",
        "reason_code",
        "reopens_at",
        "rule",
        "target",
        "target_key",
        "trace",
        "waits_for",
    )

    def __init__(
        self,
        *,
        dialog_id: str,
        outcome: Outcome,
        operator_id: str | None = None,
        group_id: str | None = None,
        target: Target | None = None,
        target_key: str = "",
        pool: bool = False,
        reason: str | None = None,
        reason_code: Reason | None = None,
        reopens_at: datetime | None = None,
        rule: str | None = None,
        offered_to: tuple[str, ...] = (),
        offer_expires_at: datetime | None = None,
        trace: Trace | None = None,
        waits_for: tuple[str, datetime, Target] | None = None,
    ) -> None:
        self.dialog_id = dialog_id
        self.waits_for = waits_for  # the busy preferred operator it waits for, until when, then where
        self.outcome = outcome
        self.operator_id = operator_id
        self.group_id = group_id
        self.target = target
        self.target_key = target_key
        self.pool = pool
        self.reason = reason
        self.reason_code = reason_code
        self.reopens_at = reopens_at
        self.rule = rule
        self.offered_to = offered_to
        self.offer_expires_at = offer_expires_at
        self.trace = trace

    def build(
        self,
        events: tuple[Event, ...] = (),
        position: int | None = None,
        estimated_wait: timedelta | None = None,
    ) -> Decision:
        """The frozen decision, with what carrying it out produced."""
        return Decision(
            dialog_id=self.dialog_id,
            outcome=self.outcome,
            operator_id=self.operator_id,
            group_id=self.group_id,
            target=self.target,
            position=position,
            estimated_wait=estimated_wait,
            pool=self.pool,
            reason=self.reason,
            reason_code=self.reason_code,
            reopens_at=self.reopens_at,
            rule=self.rule,
            offered_to=self.offered_to,
            offer_expires_at=self.offer_expires_at,
            events=events,
            trace=self.trace,
        )
