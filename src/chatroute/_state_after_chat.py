"""The state's operations around a dialog's quiet times: wrap-ups and holds.

These are :class:`~chatroute._router_state.RouterState`'s operations kept apart from
its core (slots and queues): each takes the state and changes the records, the
operator's place in the indexes and the deadlines together. What the router does
around them (events, draining the queue, re-routing a resumed dialog) is
:class:`~chatroute._after_chat.AfterChat`'s.
"""

from __future__ import annotations

from datetime import datetime

from ._deadlines import ResumeDue, WrapUpDue
from ._router_state import RouterState
from ._state import LiveDialog, LiveOperator
from .model import Target
from .snapshot import WrapUp

__all__ = ["await_operator", "end_wrap_up", "put_on_hold", "start_wrap_up", "take_off_hold"]


def start_wrap_up(state: RouterState, rec: LiveDialog, op: LiveOperator, until: datetime) -> None:
    """The assigned dialog, being released, leaves the operator; its slot stays taken until ``until``."""
    if rec.held_since is not None:
        state.end_hold(rec, op)
    op.channel_loads[rec.dialog.channel] -= 1
    op.dialogs.discard(rec.id)
    if op.wrap_ups is None:
        op.wrap_ups = []
    op.wrap_ups.append(WrapUp(dialog_id=rec.id, until=until, weight=rec.weight))
    state.deadlines.wrap_ups.push(WrapUpDue(until, op.id, rec.id))
    state.available.refresh(op)


def end_wrap_up(state: RouterState, op: LiveOperator, wrap_up: WrapUp) -> None:
    """The operator's after-chat work on a dialog is over: its slot frees."""
    assert op.wrap_ups is not None
    op.wrap_ups.remove(wrap_up)
    if not op.wrap_ups:
        op.wrap_ups = None
    op.load -= wrap_up.weight
    state.available.refresh(op)


def put_on_hold(state: RouterState, rec: LiveDialog, now: datetime) -> LiveOperator | None:
    """Hold the assigned dialog; the operator whose slot it frees (``hold_counts`` off), if so."""
    rec.need_extra().held_since = now
    op = state.ops[str(rec.operator_id)]
    op.held += 1
    if state.topology.config.hold_counts:
        return None
    op.load -= rec.weight
    op.channel_loads[rec.dialog.channel] -= 1
    state.available.refresh(op)
    return op


def take_off_hold(state: RouterState, rec: LiveDialog) -> None:
    """The held dialog is its operator's again, in their load (the caller checked the room)."""
    op = state.ops[str(rec.operator_id)]
    if not state.end_hold(rec, op):
        state.count_load(op, rec)
        state.available.refresh(op)


def await_operator(state: RouterState, rec: LiveDialog, then: Target, due: datetime) -> None:
    """The resumed dialog, queued for its own operator, goes to ``then`` if still waiting at ``due``."""
    rec.need_extra().resume_to = then
    state.deadlines.resumes.push(ResumeDue(due, rec.id, rec.epoch))
