"""An operator's answers: accepting or declining an offer, claiming a waiting dialog, the first reply.

:class:`Answers` checks each call (the dialog is offered to the operator, or waiting in
a queue they serve; they may take it now) and carries it out through the
:class:`~chatroute._applying.Effects` and the state's operations. The public
:class:`~chatroute.Router` checks the time and delegates to it.
"""

from __future__ import annotations

from datetime import datetime

from . import _state_offers as offers
from ._applying import Effects
from ._eligibility import ineligible
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from ._topology import Topology
from .decision import Reason
from .errors import AlreadyClaimed, AtLimit, InvalidTransition, NotEligible
from .events import Event, Via
from .model import DialogState

__all__ = ["Answers"]


class Answers:
    """Accept, decline, claim and reply, each checked before anything changes."""

    __slots__ = ("effects", "state", "topology")

    def __init__(self, topology: Topology, state: RouterState, effects: Effects) -> None:
        self.topology = topology
        self.state = state
        self.effects = effects

    def accept(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """The operator accepts a dialog offered to them; see :meth:`chatroute.Router.accept`."""
        rec, op = self._offered(dialog_id, operator_id)
        if rec.operator_id is None:  # a broadcast: nothing was reserved, so check room now
            self._check_can_take(op, rec)
            self.state.free_slot(rec)
            self.state.take_slot(rec, op, now)
        events: list[Event] = []
        offers.offer_ended(self.state, rec, "accepted", now)
        self.effects.accepted(rec, op, now, Via.ACCEPT, events)
        return tuple(events)

    def decline(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """The operator turns down an offer; see :meth:`chatroute.Router.decline`."""
        rec, op = self._offered(dialog_id, operator_id)
        events: list[Event] = []
        offers.reset_misses(op)
        self.effects.withdraw(rec, op, now, "declined", events, decline=True)
        return tuple(events)

    def claim(self, dialog_id: str, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """The operator takes a waiting dialog; see :meth:`chatroute.Router.claim`."""
        rec = self.state.open_dialog(dialog_id)
        op = self.state.operator(operator_id)
        if rec.state is not DialogState.QUEUED:
            raise AlreadyClaimed(rec.id, rec.state.value, rec.operator_id)
        if rec.target_key not in op.targets:
            raise NotEligible(op.id, rec.id, Reason.NOT_MEMBER.value, f"does not serve {rec.target}")
        self._check_can_take(op, rec)
        events: list[Event] = []
        self.state.dequeue(rec)
        self.effects.assign(rec, op, now, Via.CLAIM, events)
        return tuple(events)

    def replied(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """The assignee's first reply: the ``reply_timeout`` no longer applies."""
        rec = self.state.open_dialog(dialog_id)
        if rec.state is not DialogState.ASSIGNED:
            raise InvalidTransition(rec.id, rec.state.value, "only an assigned dialog can be replied to")
        self.state.note_reply(rec, now)
        return ()

    def _check_can_take(self, op: LiveOperator, rec: LiveDialog) -> None:
        """Raise AtLimit or NotEligible when the operator may not take the dialog now."""
        problem = ineligible(op, rec, self.topology.config)
        if problem is not None:
            reason, detail = problem
            error = AtLimit if reason in (Reason.AT_LIMIT, Reason.WRAP_UP) else NotEligible
            raise error(op.id, rec.id, reason.value, detail)

    def _offered(self, dialog_id: str, operator_id: str) -> tuple[LiveDialog, LiveOperator]:
        rec = self.state.open_dialog(dialog_id)
        op = self.state.operator(operator_id)
        if rec.state is DialogState.ASSIGNED:
            raise AlreadyClaimed(rec.id, rec.state.value, rec.operator_id)
        if rec.state is not DialogState.OFFERED or op.id not in rec.offered_to:
            raise NotEligible(
                op.id, rec.id, "not_offered", f"the dialog is {rec.state.value}, not offered to them"
            )
        return rec, op
