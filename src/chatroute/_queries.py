"""The router's read-only calls: lookups, queues and SLA levels, views, departments, snapshots.

:class:`Queries` adds to :class:`~chatroute._express.Express` the public calls that
change nothing: a dialog's or operator's state, a dialog's place in line, its estimated
wait and SLA level, the overdue dialogs, a target's queue and the claimable pools, an
operator's views, the departments to show a visitor, when :meth:`Router.tick` is next
due, and the snapshot of the whole state. The calls that change the state are in
:mod:`chatroute.router`, whose :class:`~chatroute.Router` inherits these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._departments import group_problem, locate
from ._express import Express
from ._frozen import aware
from ._persist import pack_rng
from ._router_state import pool_key
from .config import RoutingConfig
from .decision import GroupCheck, GroupChoice, GroupChoices, Reason
from .errors import InvalidValue, UnknownChannel
from .model import DialogState, SlaLevel, Target, Visitor
from .queue import QueueKey
from .rules import RuleContext
from .snapshot import DialogRecord, OperatorState, Snapshot, ViewEntry, Views

__all__ = ["Queries"]


class Queries(Express):
    """The router's read-only calls; see :class:`chatroute.Router`."""

    @property
    def config(self) -> RoutingConfig:
        """The routing set-up this router was built with."""
        return self._config

    # ------------------------------------------------------------------ lookups

    def dialog(self, dialog_id: str) -> DialogRecord:
        """A dialog with its routing state."""
        return self._dialog(dialog_id).freeze()

    def operator(self, operator_id: str) -> OperatorState:
        """An operator's current status and load."""
        return self._operator(operator_id).freeze()

    def operators(self) -> tuple[OperatorState, ...]:
        """Every operator's state, by id."""
        return tuple(self._ops[op_id].freeze() for op_id in sorted(self._ops))

    def dialogs(self, state: DialogState | None = None) -> tuple[DialogRecord, ...]:
        """Every dialog held (in ``state``, if given), by id."""
        if state is not None and not isinstance(state, DialogState):
            raise InvalidValue("state", state, "must be a DialogState or None")
        return tuple(
            self._dialogs[d].freeze()
            for d in sorted(self._dialogs)
            if state is None or self._dialogs[d].state is state
        )

    def position(self, dialog_id: str) -> int | None:
        """1-based place in its queue, or None when the dialog is not waiting."""
        rec = self._open_dialog(dialog_id)
        return self._position(rec)

    def estimated_wait(self, dialog_id: str, now: datetime) -> timedelta | None:
        """A rough wait before someone takes the dialog (see :class:`ChannelPriorityQueue`).

        None when it is not waiting, or nobody who could take it is routable.
        """
        aware(now)
        rec = self._open_dialog(dialog_id)
        return self._estimate(rec, self._position(rec))

    def sla_level(self, dialog_id: str, now: datetime) -> SlaLevel:
        """ok / warn / critical for a waiting dialog; ok for any other."""
        now = aware(now)
        rec = self._dialog(dialog_id)
        if rec.state is not DialogState.QUEUED or rec.waiting_since is None:
            return SlaLevel.OK
        return self._channels[rec.dialog.channel].sla.level(now - rec.waiting_since)

    def overdue(self, now: datetime) -> tuple[str, ...]:
        """Waiting dialogs at the critical SLA level, oldest wait first."""
        now = aware(now)
        found = [
            (rec.waiting_since, rec.id)
            for rec in self._dialogs.values()
            if rec.state is DialogState.QUEUED
            and rec.waiting_since is not None
            and self._channels[rec.dialog.channel].sla.level(now - rec.waiting_since) is SlaLevel.CRITICAL
        ]
        return tuple(d for _, d in sorted(found))

    def queue(self, target: Target) -> tuple[str, ...]:
        """The dialogs waiting for a target (a pool, for a manual group), in service order."""
        if not isinstance(target, Target):
            raise InvalidValue("target", target, "must be a Target")
        self._check_target(target, "target")
        key = self._target_key(target)
        found = list(self._queues.get(key, ())) + list(self._queues.get(pool_key(key), ()))
        return tuple(found)

    def claimable(self, operator_id: str) -> tuple[str, ...]:
        """Dialogs waiting in the manual pools of the operator's groups, oldest first."""
        op = self._operator(operator_id)
        keys: list[QueueKey] = []
        for target_key in op.targets:
            pool = self._queues.get(pool_key(target_key))
            if pool is not None:
                keys.extend(pool.entries())
        return tuple(key.dialog_id for key in sorted(keys))

    def views(self, operator_id: str) -> Views:
        """The operator's "mine" and "others" dialog lists (Callibri).

        "Mine" holds the dialogs assigned to the operator, then the unassigned ones
        (waiting, or offered and not yet accepted) for a group, queue or pool the
        operator serves or offered to them (flagged ``unassigned``); "others" the rest
        of the open dialogs. A scan of the open dialogs, meant for
        screens, not for the routing path.

        Raises:
            UnknownOperator: no such operator.
        """
        op = self._operator(operator_id)
        buckets: tuple[list[ViewEntry], ...] = ([], [], [], [])
        for rec in self._dialogs.values():
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
        """The departments to show a visitor who is about to start a dialog (Callibri).

        A group is shown when it is enabled and open, takes the visitor's channel, serves
        their region (found from their IP once) and their page, and has at least one
        routable operator with free capacity; at most the config's ``groups_shown``, in
        config order. One group: route straight into it (``choices.direct``). None: the
        dialog goes through the rules and the fallback.

        Args:
            visitor: the visitor's IP, page, channel and language.
            now: the time of the question (schedules).

        Raises:
            UnknownChannel: the visitor's channel is not in the config.
            InvalidValue / NaiveDatetime: bad arguments.
        """
        now = aware(now)
        if not isinstance(visitor, Visitor):
            raise InvalidValue("visitor", visitor, "must be a Visitor")
        channel = self._channels.get(visitor.channel)
        if channel is None:
            raise UnknownChannel(visitor.channel, field="visitor.channel")
        probe, note = locate(visitor.dialog("visitor"), channel, self._geo)
        ctx = RuleContext(now=now, region=probe.region)
        qualified: list[GroupChoice] = []
        excluded: list[GroupCheck] = []
        for group in self._config.groups:
            problem = group_problem(group, probe, channel, ctx)
            if problem is None and not self._indexes[self._group_keys[group.id]]:
                problem = Reason.NO_OPERATOR, "nobody routable with free capacity"
            if problem is not None:
                excluded.append(GroupCheck(group_id=group.id, reason=problem[0], detail=problem[1]))
            else:
                qualified.append(GroupChoice(group_id=group.id, title=group.display_title))
        shown = self._config.groups_shown
        return GroupChoices(
            groups=tuple(qualified[:shown]),
            hidden=tuple(g.group_id for g in qualified[shown:]),
            excluded=tuple(excluded),
            notes=(note,) if note is not None else (),
        )

    # -------------------------------------------------------------------- time

    def next_tick(self) -> datetime | None:
        """The earliest time :meth:`Router.tick` may have something to do, or None for never.

        A host can set a timer for it instead of ticking on a fixed beat: ticking earlier
        changes nothing, ticking later delays the SLA events, lapses and re-queues due
        meanwhile. The answer may be early (a deadline that no longer applies), never late.
        """
        return self._deadlines.next_due()

    # ------------------------------------------------------------- persistence

    def snapshot(self) -> Snapshot:
        """The whole state as a frozen, serializable value."""
        return Snapshot(
            seed=self._seed,
            operators=self.operators(),
            dialogs=self.dialogs(),
            clients=tuple(self._clients[c] for c in sorted(self._clients)),
            assign_seq=self._assign_seq,
            queue_seq=self._queue_seq,
            random_states={k: pack_rng(r) for k, r in sorted(self._rngs.items())},
            last_picks=dict(sorted(self._last_picks.items())),
            handle_time=self._handle_time,
        )
