"""The router's read-only calls: lookups, queues and SLA levels, views, departments.

:class:`Queries` answers, from the topology and the state and without changing
either, the router's read-only calls: a dialog's or operator's state, a dialog's place
in line, its estimated wait and SLA level, the overdue dialogs, a target's queue and
the claimable pools, an operator's views and the departments to show a visitor. The
public :class:`~chatroute.Router` delegates to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._departments import group_problem, locate
from ._frozen import aware
from ._router_state import RouterState
from ._state import LiveDialog
from ._topology import Topology, pool_key
from .decision import GroupCheck, GroupChoice, GroupChoices, Reason
from .errors import InvalidValue, UnknownChannel
from .model import DialogState, SlaLevel, Target, Visitor
from .queue import QueueKey, wait_estimate
from .rules import RuleContext
from .snapshot import DialogRecord, OperatorState, ViewEntry, Views

__all__ = ["Queries", "estimate", "position"]


def position(state: RouterState, rec: LiveDialog) -> int | None:
    """The dialog's 1-based place in line, or None when it is not waiting."""
    if rec.state is not DialogState.QUEUED:
        return None
    return state.queues[state.queue_key(rec)].position(rec.id)


def estimate(state: RouterState, rec: LiveDialog, place: int | None) -> timedelta | None:
    """The dialog's wait estimate, from its ``place`` in line (None: it is not waiting)."""
    if place is None:
        return None
    return wait_estimate(place, state.handle_time, state.available.capacity.get(rec.target_key, 0))


class Queries:
    """The router's read-only calls over its topology and state; see :class:`chatroute.Router`."""

    __slots__ = ("state", "topology")

    def __init__(self, topology: Topology, state: RouterState) -> None:
        self.topology = topology
        self.state = state

    # ------------------------------------------------------------------ lookups

    def dialog(self, dialog_id: str) -> DialogRecord:
        """A dialog with its routing state."""
        return self.state.dialog(dialog_id).freeze()

    def operator(self, operator_id: str) -> OperatorState:
        """An operator's current status and load."""
        return self.state.operator(operator_id).freeze()

    def operators(self) -> tuple[OperatorState, ...]:
        """Every operator's state, by id."""
        return tuple(self.state.ops[op_id].freeze() for op_id in sorted(self.state.ops))

    def dialogs(self, state: DialogState | None = None) -> tuple[DialogRecord, ...]:
        """Every dialog held (in ``state``, if given), by id."""
        if state is not None and not isinstance(state, DialogState):
            raise InvalidValue("state", state, "must be a DialogState or None")
        return tuple(
            self.state.dialogs[d].freeze()
            for d in sorted(self.state.dialogs)
            if state is None or self.state.dialogs[d].state is state
        )

    def position(self, dialog_id: str) -> int | None:
        """1-based place in its queue, or None when the dialog is not waiting."""
        rec = self.state.open_dialog(dialog_id)
        return position(self.state, rec)

    def estimated_wait(self, dialog_id: str, now: datetime) -> timedelta | None:
        """A rough wait before someone takes the dialog; see :meth:`Router.estimated_wait`."""
        aware(now)
        rec = self.state.open_dialog(dialog_id)
        return estimate(self.state, rec, position(self.state, rec))

    def sla_level(self, dialog_id: str, now: datetime) -> SlaLevel:
        """ok / warn / critical for a waiting dialog; ok for any other."""
        now = aware(now)
        rec = self.state.dialog(dialog_id)
        if rec.state is not DialogState.QUEUED or rec.waiting_since is None:
            return SlaLevel.OK
        return self.topology.channels[rec.dialog.channel].sla.level(now - rec.waiting_since)

    def overdue(self, now: datetime) -> tuple[str, ...]:
        """Waiting dialogs at the critical SLA level, oldest wait first."""
        now = aware(now)
        found = [
            (rec.waiting_since, rec.id)
            for rec in self.state.dialogs.values()
            if rec.state is DialogState.QUEUED
            and rec.waiting_since is not None
            and self.topology.channels[rec.dialog.channel].sla.level(now - rec.waiting_since)
            is SlaLevel.CRITICAL
        ]
        return tuple(d for _, d in sorted(found))

    def queue(self, target: Target) -> tuple[str, ...]:
        """The dialogs waiting for a target (a pool, for a manual group), in service order."""
        if not isinstance(target, Target):
            raise InvalidValue("target", target, "must be a Target")
        self.topology.check_target(target, "target")
        key = self.topology.target_key(target)
        found = list(self.state.queues.get(key, ())) + list(self.state.queues.get(pool_key(key), ()))
        return tuple(found)

    def claimable(self, operator_id: str) -> tuple[str, ...]:
        """Dialogs waiting in the manual pools of the operator's groups, oldest first."""
        op = self.state.operator(operator_id)
        keys: list[QueueKey] = []
        for target_key in op.targets:
            pool = self.state.queues.get(pool_key(target_key))
            if pool is not None:
                keys.extend(pool.entries())
        return tuple(key.dialog_id for key in sorted(keys))

    def views(self, operator_id: str) -> Views:
        """The operator's "mine" and "others" lists; see :meth:`Router.views`."""
        op = self.state.operator(operator_id)
        buckets: tuple[list[ViewEntry], ...] = ([], [], [], [])
        for rec in self.state.dialogs.values():
            if rec.state is DialogState.CLOSED:
                continue
            unassigned = rec.state is not DialogState.ASSIGNED
            if not unassigned:
                mine, since = rec.operator_id == op.id, rec.assigned_at
            elif rec.state is DialogState.OFFERED:
                mine, since = op.id in rec.offered_to or rec.target_key in op.targets, rec.offered_at
            else:
                mine, since = rec.target_key in op.targets, rec.waiting_since
            entry = ViewEntry(
                dialog_id=rec.id,
                state=rec.state,
                operator_id=rec.operator_id,
                group_id=rec.group_id,
                unassigned=unassigned,
                since=since,
            )
            buckets[(0 if mine else 2) + unassigned].append(entry)
        for bucket in buckets:
            bucket.sort(key=lambda e: (e.since or datetime.min.replace(tzinfo=UTC), e.dialog_id))
        assigned, waiting, others_assigned, others_waiting = buckets
        return Views(operator_id=op.id, mine=assigned + waiting, others=others_assigned + others_waiting)

    def available_groups(self, visitor: Visitor, now: datetime) -> GroupChoices:
        """The departments to show a visitor; see :meth:`Router.available_groups`."""
        now = aware(now)
        if not isinstance(visitor, Visitor):
            raise InvalidValue("visitor", visitor, "must be a Visitor")
        channel = self.topology.channels.get(visitor.channel)
        if channel is None:
            raise UnknownChannel(visitor.channel, field="visitor.channel")
        probe, note = locate(visitor.dialog("visitor"), channel, self.topology.geo)
        ctx = RuleContext(now=now, region=probe.region)
        qualified: list[GroupChoice] = []
        excluded: list[GroupCheck] = []
        for group in self.topology.config.groups:
            problem = group_problem(group, probe, channel, ctx)
            if problem is None and not self.state.available.indexes[self.topology.group_keys[group.id]]:
                problem = Reason.NO_OPERATOR, "nobody routable with free capacity"
            if problem is not None:
                excluded.append(GroupCheck(group_id=group.id, reason=problem[0], detail=problem[1]))
            else:
                qualified.append(GroupChoice(id=group.id, title=group.display_title))
        shown = self.topology.config.groups_shown
        return GroupChoices(
            groups=tuple(qualified[:shown]),
            hidden=tuple(g.id for g in qualified[shown:]),
            excluded=tuple(excluded),
            notes=(note,) if note is not None else (),
        )
