"""The express route: the common case decided without the general path's layers.

Most dialogs in a busy deployment are the plain case: the visitor picked a department
with no filters (or no rule applies and the fallback takes everyone), the dialog needs
nothing but a free slot, explanations are off, and the department's strategy keeps an
index (``Even`` and the other ranked ones, ``RandomWithinLimit``, ``RoundRobin``).
For such a dialog :meth:`Express._route_express` reads the index head, takes the slot
and builds the one :class:`Decision`, skipping the rule context, the target checks and
the draft that :meth:`Placement._decide` needs for everything else.

It must decide exactly what the general path decides: the same operator, the same
random draws, the same events and records. ``tests/test_express.py`` runs both on
random states and compares them; anything the express route does not cover returns
None and goes the general way.
"""

from __future__ import annotations

import enum
from datetime import datetime

from ._persist import Persistence
from ._router_state import EVERYONE
from ._state import IdIndex, LiveDialog, LiveOperator, RankedIndex
from .config import RoutingConfig
from .decision import Decision, Outcome
from .events import Event, Via
from .geo import GeoResolver
from .model import Client, Dialog, Group, Target, TargetKind
from .strategies import RandomWithinLimit, Ranked, RoundRobin, Strategy

__all__ = ["Express"]


class _Pick(enum.Enum):
    """How a target's strategy picks from its index when any available operator will do."""

    FIRST = "first"  # a ranked strategy: the head of the index
    RANDOM = "random"  # RandomWithinLimit: a uniform draw over the available, in id order
    TURN = "turn"  # RoundRobin: the next available after the last pick


def _pick_of(strategy: Strategy) -> _Pick | None:
    """How the express route picks for this strategy; None when it leaves it to the general path."""
    if isinstance(strategy, Ranked):
        return _Pick.FIRST
    if isinstance(strategy, RandomWithinLimit):
        return _Pick.RANDOM
    if isinstance(strategy, RoundRobin):
        return _Pick.TURN
    return None  # Sticky (needs the client), manual pools, broadcasts, custom strategies


def _unfiltered(group: Group) -> bool:
    """Whether the group takes every dialog at every time (no filter can refuse one)."""
    return (
        group.enabled
        and group.schedule is None
        and group.channels is None
        and not group.regions_include
        and not group.regions_exclude
        and not group.pages_include
        and not group.pages_exclude
    )


class _Lane:
    """One target the express route can place dialogs on, with what it needs at hand."""

    __slots__ = ("busy", "group_id", "key", "pick", "strategy", "target")

    def __init__(self, key: str, target: Target, strategy: Strategy, pick: _Pick) -> None:
        self.key = key
        self.target = target
        self.group_id = target.id if target.kind is TargetKind.GROUP else None
        self.strategy = strategy
        self.pick = pick
        self.busy = f"nobody in {target} can take it now"  # the reason when the dialog waits


class Express(Persistence):
    """The express route; see the module's description."""

    def __init__(self, config: RoutingConfig, *, seed: int = 0, geo: GeoResolver | None = None) -> None:
        super().__init__(config, seed=seed, geo=geo)
        self._lanes = self._express_lanes()

    def _express_lanes(self) -> dict[str | None, _Lane]:
        """Lanes by the group a visitor chose (None: no choice, the fallback applies)."""
        config = self._config
        if config.explain or config.accept_timeout is not None:
            return {}
        lanes: dict[str | None, _Lane] = {}
        for group in config.groups:
            key = self._group_keys[group.id]
            pick = _pick_of(self._strategies[key])
            if pick is not None and _unfiltered(group):
                lanes[group.id] = _Lane(key, self._group_targets[group.id], self._strategies[key], pick)
        fallback = config.fallback
        if not config.rules and config.messenger_group is None:
            if fallback.kind is TargetKind.GROUP and fallback.id in lanes:
                lanes[None] = lanes[str(fallback.id)]
            elif fallback.kind is TargetKind.EVERYONE and (pick := _pick_of(config.strategy)) is not None:
                lanes[None] = _Lane(EVERYONE, fallback, config.strategy, pick)
        return lanes

    def _route_express(self, dialog: Dialog, now: datetime) -> Decision | None:
        """Route a plain dialog (see the module) and return the decision; None if it is not plain."""
        lane = self._lanes.get(dialog.chosen_group_id)
        channel = self._channels.get(dialog.channel)
        if (
            lane is None
            or channel is None
            or dialog.id in self._dialogs
            or (dialog.ip is not None and dialog.region is None)  # the general path locates it
            or self._picky(dialog, channel)
        ):
            return None
        rec = LiveDialog(dialog, channel.capacity_weight, now, picky=False)
        key = lane.key
        index = self._index(key)
        chosen: str | None = None
        if index:
            if lane.pick is _Pick.FIRST:
                assert isinstance(index, RankedIndex)
                chosen = index.first()
            elif lane.pick is _Pick.RANDOM:
                assert isinstance(index, IdIndex)
                chosen = index.at(self._rng(key, lane.strategy, dry=False).randrange(len(index)))
            else:
                assert isinstance(index, IdIndex)
                chosen = index.next_after(self._last_picks.get(key))
        rec.target, rec.target_key, rec.group_id = lane.target, key, lane.group_id
        self._dialogs[rec.id] = rec
        events: list[Event] = []
        if chosen is None:
            self._note_client(dialog)
            self._enqueue(rec, now, events)
            position = self._position(rec)
            return Decision(
                dialog_id=rec.id,
                outcome=Outcome.QUEUED,
                group_id=lane.group_id,
                target=lane.target,
                reason=lane.busy,
                events=tuple(events),
                position=position,
                estimated_wait=self._estimate(rec, position),
            )
        op: LiveOperator = self._ops[chosen]
        self._take_slot(rec, op, now)
        self._accepted(rec, op, now, Via.ROUTE, events)
        return Decision(
            dialog_id=rec.id,
            outcome=Outcome.ASSIGNED,
            operator_id=chosen,
            group_id=lane.group_id,
            target=lane.target,
            events=tuple(events),
        )

    def _note_client(self, dialog: Dialog) -> None:
        """Remember a dialog's client the router has not seen before."""
        client_id = dialog.client_id
        if client_id is not None and client_id not in self._clients:
            self._clients[client_id] = Client(id=client_id)
