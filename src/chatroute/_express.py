"""The express route: the common case decided without the general path's layers.

Most dialogs in a busy deployment are the plain case: the visitor picked a department
with no filters (or no rule applies and the fallback takes everyone), the dialog needs
nothing but a free slot, offers are off, and the department's strategy picks an
operator itself (not a manual pool or a broadcast).
For such a dialog :meth:`Express.route` lets the strategy pick, takes the slot
and builds the one :class:`Decision` (with its trace, from the same
:class:`~chatroute._tracing.Tracer`, when explaining), skipping the rule context and the
target checks that :meth:`Decider.decide` needs for everything else. It is a lane of the general
path, not a copy: the lanes are the groups :func:`~chatroute._departments.unfiltered`
finds (the same filter list the general path checks), the operator comes from the same
pick (the strategy's own :meth:`~chatroute.strategies.Strategy.pick`), and the dialog is
placed by the same step (:meth:`Effects.place`); only the :class:`Decision` is built
here directly, without the draft the general path fills in.

It must decide exactly what the general path decides: the same operator, the same
random draws, the same events and records. ``tests/test_express.py`` runs both on
random states and compares them; anything the express route does not cover returns
None and goes the general way.
"""

from __future__ import annotations

from datetime import datetime

from ._applying import Effects
from ._departments import unfiltered
from ._eligibility import picky
from ._picking import LanePicker
from ._placement import Decider
from ._router_state import RouterState
from ._state import LiveDialog
from ._topology import EVERYONE, Topology
from .decision import Decision, Outcome, Trace
from .events import Event, Via
from .model import Dialog, Target, TargetKind
from .strategies import Strategy

__all__ = ["Express"]


def _picks(strategy: Strategy) -> bool:
    """Whether the strategy picks an operator itself (not a manual pool, not a broadcast) and
    never waits for a busy favourite."""
    return not strategy.manual and not strategy.broadcast and strategy.patience() is None


class _Lane:
    """One target the express route can place dialogs on, with what it needs at hand."""

    __slots__ = ("busy", "group_id", "key", "notes", "picker", "strategy", "target")

    def __init__(
        self, state: RouterState, key: str, target: Target, strategy: Strategy, fallback: Target
    ) -> None:
        self.key = key
        self.picker = LanePicker(state, key, strategy)
        self.target = target
        self.group_id = target.id if target.kind is TargetKind.GROUP else None
        self.strategy = strategy
        self.busy = f"nobody in {target} can take it now"  # the reason when the dialog waits
        # the trace's note, as the general path writes it, when the visitor chose the
        # lane's group (True) or the fallback applied (False)
        self.notes = {
            True: (f"the visitor chose group {self.group_id!r}",),
            False: (f"no rule applied: fallback to {fallback}",),
        }


class Express:
    """The express route; see the module's description.

    Attributes:
        lanes: by the group a visitor chose (None: no choice, the fallback applies),
            the targets the express route takes dialogs to; empty when it is off.
    """

    __slots__ = (
        "_explain",
        "_match_language",
        "_picky_channels",
        "decider",
        "effects",
        "lanes",
        "state",
        "topology",
    )

    def __init__(self, topology: Topology, state: RouterState, decider: Decider, effects: Effects) -> None:
        self.topology = topology
        self.state = state
        self.decider = decider
        self.effects = effects
        self.lanes = self._express_lanes()
        # read on every route: kept at hand
        self._picky_channels = topology.picky_channels
        self._match_language = topology.config.match_language
        self._explain = topology.config.explain

    def _express_lanes(self) -> dict[str | None, _Lane]:
        """Lanes by the group a visitor chose (None: no choice, the fallback applies)."""
        topology = self.topology
        config = topology.config
        if config.accept_timeout is not None:
            return {}
        lanes: dict[str | None, _Lane] = {}
        for group in config.groups:
            key = topology.group_keys[group.id]
            strategy = topology.strategies[key]
            if _picks(strategy) and unfiltered(group) and key not in topology.spills:
                lanes[group.id] = _Lane(
                    self.state, key, topology.group_targets[group.id], strategy, config.fallback
                )
        fallback = config.fallback
        if not config.rules and config.messenger_group is None and not fallback.tags:
            if fallback.kind is TargetKind.GROUP and fallback.id in lanes:
                lanes[None] = lanes[str(fallback.id)]
            elif fallback.kind is TargetKind.EVERYONE and _picks(config.strategy):
                lanes[None] = _Lane(self.state, EVERYONE, fallback, config.strategy, fallback)
        return lanes

    def route(self, dialog: Dialog, now: datetime) -> Decision | None:
        """Route a plain dialog (see the module) and return the decision; None if it is not plain."""
        lane = self.lanes.get(dialog.chosen_group_id)
        channel = self.topology.channels.get(dialog.channel)
        state = self.state
        if (
            lane is None
            or channel is None
            or dialog.id in state.dialogs
            or (dialog.ip is not None and dialog.region is None)  # the general path locates it
            or picky(dialog, self._picky_channels, self._match_language)
        ):
            return None
        rec = LiveDialog(dialog, channel.capacity_weight, now, picky=False)
        client = state.client_of(dialog) if dialog.client_id is not None else None
        chosen = lane.picker.pick(rec, client, now)
        trace = self._trace(rec, lane, chosen) if self._explain else None
        state.keep(rec, client)
        events: list[Event] = []
        self.effects.place(
            rec, lane.target, lane.key, lane.group_id, False, None, chosen, (), now, Via.ROUTE, events
        )
        if chosen is not None:
            return Decision(
                dialog_id=rec.id,
                outcome=Outcome.ASSIGNED,
                operator_id=chosen,
                group_id=lane.group_id,
                target=lane.target,
                events=tuple(events),
                trace=trace,
            )
        position, wait = self.effects.waiting(rec)
        return Decision(
            dialog_id=rec.id,
            outcome=Outcome.QUEUED,
            group_id=lane.group_id,
            target=lane.target,
            position=position,
            estimated_wait=wait,
            reason=lane.busy if trace is None else self.decider.tracer.busy(lane.target, trace),
            events=tuple(events),
            trace=trace,
        )

    def _trace(self, rec: LiveDialog, lane: _Lane, chosen: str | None) -> Trace:
        """The trace the general path writes for this dialog: no rules tried, the one note."""
        notes = lane.notes[rec.dialog.chosen_group_id is not None]
        return self.decider.tracer.trace(rec, lane.target, lane.strategy, chosen, notes=notes, key=lane.key)
