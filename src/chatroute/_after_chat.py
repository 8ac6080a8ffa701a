"""Wrap-up and hold: what happens to an operator's slot around a dialog's quiet times.

Wrap-up (after-chat work): a released dialog's slot stays in its operator's load for
the ``wrap_up`` of their channel (or their own), until :meth:`AfterChat.ready` or the
timer ends it; then the slot frees and the queue drains into it. The release itself
starts it (:meth:`chatroute._applying.Effects.release`).

Hold: an assigned dialog put on hold stays assigned (``held_since`` set). With the
config's ``hold_counts`` (the default) it keeps its slot and resuming changes nothing
else; without it the slot frees at once, and a resumed dialog goes back to its operator
only if they have room: otherwise it waits for them in their own queue for
``resume_wait``, then is routed again within the target it was placed on. So a resume
never puts an operator over their limit.
"""

from __future__ import annotations

from datetime import datetime

from . import _state_after_chat as after_chat
from ._applying import Effects
from ._deadlines import Step
from ._eligibility import no_room
from ._placement import Decider
from ._router_state import RouterState
from ._topology import Topology
from .errors import InvalidTransition
from .events import DialogHeld, DialogRequeued, DialogResumed, Event, Via, WrapUpEnded
from .model import DialogState, Target

__all__ = ["AfterChat"]


class AfterChat:
    """Ending wrap-ups, and putting dialogs on hold and back."""

    __slots__ = ("decider", "effects", "state", "steps", "topology")

    def __init__(self, topology: Topology, state: RouterState, decider: Decider, effects: Effects) -> None:
        self.topology = topology
        self.state = state
        self.decider = decider
        self.effects = effects
        deadlines = state.deadlines
        # what a tick does about wrap-ups whose time ran out, and resumed dialogs that waited
        # their ``resume_wait`` out (:class:`~chatroute._timeouts.Timeouts` runs these last)
        self.steps: tuple[Step, ...] = (
            (deadlines.wrap_ups.entries, self._end_wrap_ups),
            (deadlines.resumes.entries, self._route_resumed),
        )

    # ------------------------------------------------------------------ wrap-up

    def ready(self, operator_id: str, now: datetime) -> tuple[Event, ...]:
        """The operator finished their after-chat work: every slot it kept frees, and the queue drains."""
        op = self.state.operator(operator_id)
        events: list[Event] = []
        if op.wrap_ups:
            for wrap_up in sorted(op.wrap_ups, key=lambda w: (w.until, w.dialog_id)):
                after_chat.end_wrap_up(self.state, op, wrap_up)
                events.append(
                    WrapUpEnded(at=now, operator_id=op.id, dialog_id=wrap_up.dialog_id, reason="ready")
                )
            self.effects.drain(op, now, events)
        return tuple(events)

    def _end_wrap_ups(self, now: datetime, events: list[Event]) -> None:
        """Wrap-ups whose time ran out: their slots free, and the queue drains into them."""
        for _, op_id, dialog_id in self.state.deadlines.wrap_ups.due(now):
            op = self.state.ops[op_id]
            found = [w for w in op.wrap_ups or () if w.dialog_id == dialog_id]
            if not found:  # ended by ready
                continue
            after_chat.end_wrap_up(self.state, op, found[0])
            events.append(WrapUpEnded(at=now, operator_id=op.id, dialog_id=dialog_id, reason="timer"))
            self.effects.drain(op, now, events)

    def _route_resumed(self, now: datetime, events: list[Event]) -> None:
        """Resumed dialogs that waited their ``resume_wait`` out for their operator: routed again."""
        for _, dialog_id, epoch in self.state.deadlines.resumes.due(now):
            rec = self.state.dialogs.get(dialog_id)
            if rec is None or rec.state is not DialogState.QUEUED or rec.epoch != epoch:
                continue
            then = rec.resume_to
            if then is None:
                continue
            waited = self.topology.config.resume_wait.total_seconds()
            operator_id = str(rec.target.id if rec.target is not None else "")
            reason = f"waited {waited:g} s for its operator"
            events.append(DialogRequeued(at=now, dialog_id=rec.id, operator_id=operator_id, reason=reason))
            client = self.state.client_of(rec.dialog)
            decision = self.decider.decide(rec, client, now, trace=False, forced=then)
            self.state.dequeue(rec)
            self.state.drop_fallback(rec)  # it goes on to ``then``, not to its operator
            self.effects.apply(rec, decision, now, Via.REQUEUE, events)

    # --------------------------------------------------------------------- hold

    def hold(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """Put the assigned dialog on hold; without ``hold_counts`` its slot frees and the queue drains."""
        rec = self.state.open_dialog(dialog_id)
        if rec.state is not DialogState.ASSIGNED:
            raise InvalidTransition(rec.id, rec.state.value, "only an assigned dialog can be put on hold")
        if rec.held_since is not None:
            raise InvalidTransition(rec.id, "held", "the dialog is on hold already")
        operator_id = str(rec.operator_id)
        counts = self.topology.config.hold_counts
        events: list[Event] = [DialogHeld(at=now, dialog_id=rec.id, operator_id=operator_id, counts=counts)]
        freed = after_chat.put_on_hold(self.state, rec, now)
        if freed is not None:
            self.effects.drain(freed, now, events)
        return tuple(events)

    def resume(self, dialog_id: str, now: datetime) -> tuple[Event, ...]:
        """Take the dialog off hold: back to its operator if they have room, else it waits or moves."""
        rec = self.state.open_dialog(dialog_id)
        if rec.held_since is None:
            raise InvalidTransition(rec.id, rec.state.value, "the dialog is not on hold")
        op = self.state.ops[str(rec.operator_id)]
        config = self.topology.config
        problem = None if config.hold_counts else no_room(op, rec, config)
        if problem is None:
            after_chat.take_off_hold(self.state, rec)
            return (DialogResumed(at=now, dialog_id=rec.id, operator_id=op.id),)
        reason = f"resumed, but its operator has no room ({problem[1]})"
        events: list[Event] = [DialogRequeued(at=now, dialog_id=rec.id, operator_id=op.id, reason=reason)]
        wait = config.resume_wait
        if not wait:
            self.effects.reroute(rec, now, Via.REQUEUE, events)
            return tuple(events)
        then = rec.target
        assert then is not None
        own = Target.operator(op.id)
        self.state.free_slot(rec)
        self.state.unassign(rec)
        self.state.set_rule(rec, None, None)  # no escalation ring takes it from its operator meanwhile
        key = self.topology.target_key(own)
        self.effects.place(rec, own, key, None, False, None, None, (), now, Via.REQUEUE, events)
        after_chat.await_operator(self.state, rec, then, now + wait)
        return tuple(events)
