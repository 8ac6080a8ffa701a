"""The router's state: what it builds from the config, the indexes kept over it, and lookups.

:class:`RouterState` sets up the live operators, the dialogs, clients, queues and deadline
heaps, and for each target (a group, one operator, everyone) its strategy, its members and
the index that answers "who of this target can take a dialog now, best first?". It keeps
those indexes and the targets' capacities current as operators change, names each
target's queue and index, and looks up the dialogs, operators and targets a call names.
The live records and the index structures themselves are in :mod:`chatroute._state`;
deciding where a dialog goes is in :mod:`chatroute._placement`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from ._deadlines import Deadlines
from ._state import AvailableIndex, IdIndex, LiveDialog, LiveOperator, RankedIndex, RankKey
from .config import RoutingConfig
from .errors import DialogClosed, InvalidValue, UnknownDialog, UnknownGroup, UnknownOperator
from .geo import GeoResolver
from .model import Channel, Client, Dialog, DialogState, Group, Target, TargetKind
from .queue import ChannelPriorityQueue, wait_estimate
from .strategies import Strategy

__all__ = ["EVERYONE", "RouterState", "check_id", "pool_key"]

EVERYONE = "everyone"


def check_id(value: object, field: str) -> None:
    """Refuse an id that is not a string, naming the field."""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "an id must be a string")


def target_key(target: Target) -> str:
    """The internal name of a resolved target's queue and index."""
    if target.kind is TargetKind.GROUP:
        return f"group:{target.id}"
    if target.kind is TargetKind.OPERATOR:
        return f"operator:{target.id}"
    return EVERYONE


def pool_key(target_key: str) -> str:
    """The internal name of a target's manual pool."""
    return "pool:" + target_key


class RouterState:
    """The router's state, its indexes and keys, and lookups by id; see :class:`chatroute.Router`."""

    def __init__(self, config: RoutingConfig, *, seed: int = 0, geo: GeoResolver | None = None) -> None:
        if not isinstance(config, RoutingConfig):
            raise InvalidValue("config", config, "must be a RoutingConfig")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidValue("seed", seed, "must be an integer")
        if geo is not None and not isinstance(geo, GeoResolver):
            raise InvalidValue("geo", geo, "must be a GeoResolver (an object with resolve(ip))")
        config.validate()
        self._config = config
        self._seed = seed
        self._geo = geo
        self._statuses = {s.key: s for s in config.all_statuses()}
        self._channels: dict[str, Channel] = {c.name: c for c in config.channels}
        self._groups: dict[str, Group] = {g.id: g for g in config.groups}
        self._group_targets = {g.id: Target.group(g.id) for g in config.groups}
        self._group_keys = {g.id: target_key(self._group_targets[g.id]) for g in config.groups}
        self._strategies: dict[str, Strategy] = {EVERYONE: config.strategy}
        self._members: dict[str, tuple[str, ...]] = {EVERYONE: tuple(sorted(o.id for o in config.operators))}
        served: dict[str, list[str]] = {o.id: [f"operator:{o.id}"] for o in config.operators}
        group_limits: dict[str, list[int]] = {o.id: [] for o in config.operators}
        for group in config.groups:
            key = self._group_keys[group.id]
            self._strategies[key] = group.strategy or config.strategy
            self._members[key] = tuple(sorted(group.operator_ids))
            for op_id in group.operator_ids:
                served[op_id].append(key)
                if group.limit is not None:
                    group_limits[op_id].append(group.limit)
        # One rank function per strategy, shared by its indexes, so re-ranking an operator
        # computes their key once for all the indexes that rank alike.
        ranks: dict[int, Callable[[LiveOperator], RankKey] | None] = {}
        self._ranks = {
            key: ranks.setdefault(id(strategy), strategy.index_key())
            for key, strategy in self._strategies.items()
        }
        self._ops: dict[str, LiveOperator] = {}
        for op in config.operators:
            limits = group_limits[op.id]
            limit = op.limit if op.limit is not None else min(limits, default=config.default_limit)
            routable = self._statuses[op.status].routable
            self._ops[op.id] = LiveOperator(op, limit, routable, (*served[op.id], EVERYONE))
        self._limited_channels = frozenset(ch for op in config.operators for ch in op.channel_limits)
        self._dialogs: dict[str, LiveDialog] = {}
        self._clients: dict[str, Client] = {}
        self._queues: dict[str, ChannelPriorityQueue] = {}
        self._indexes: dict[str, AvailableIndex] = {}
        self._capacity: dict[str, int] = {}
        self._deadlines = Deadlines()
        self._rules = {rule.name: rule for rule in config.rules}
        self._rngs: dict[str, random.Random] = {}
        self._last_picks: dict[str, str] = {}
        self._assign_seq = 0
        self._queue_seq = 0
        self._handle_time = config.default_handle_time.total_seconds()
        self._rebuild()

    def _rebuild(self) -> None:
        """Recompute indexes and capacities from the operators' states.

        Everyone's index (every operator, the largest) is built on first use: when no
        rule, fallback or transfer sends dialogs to everyone, nobody pays to keep it.
        """
        self._indexes = {}
        for op in self._ops.values():
            op.ranked_in, op.flagged_in = (), ()
        for key in self._strategies:
            if key != EVERYONE:
                self._install(key)
        self._capacity = {}
        for op in self._ops.values():
            if op.routable:
                self._add_capacity(op, op.limit)
            self._refresh(op)

    def _index(self, key: str) -> AvailableIndex:
        """Who of the target can take a dialog now, best first (built on first use)."""
        index = self._indexes.get(key)
        if index is None:
            index = self._install(key)
            for op_id in self._members[key]:
                self._refresh(self._ops[op_id])  # the new index learns them; the others stay as they are
        return index

    def _install(self, key: str) -> AvailableIndex:
        """A new, empty index for the target, known to each of its members.

        Ranked by the strategy's key, or flags over the members in id order.
        """
        rank = self._ranks[key]
        index = self._indexes[key] = IdIndex(self._members[key]) if rank is None else RankedIndex(rank)
        for op_id in self._members[key]:
            op = self._ops[op_id]
            if isinstance(index, IdIndex):
                op.flagged_in = (*op.flagged_in, index)
            else:
                op.ranked_in = (*op.ranked_in, index)
        return index

    def _refresh(self, op: LiveOperator) -> None:
        """Re-rank the operator in every index they are in (their key computed once per rank)."""
        is_available = op.routable and op.load < op.limit and op.capped_until is None
        rank: Callable[[LiveOperator], RankKey] | None = None
        key: RankKey | None = None
        for index in op.ranked_in:
            if index.rank is not rank:
                rank = index.rank
                key = rank(op) if is_available else None
            index.put(op.id, key)
        for flags in op.flagged_in:
            flags.mark(op.id, is_available)

    def _add_capacity(self, op: LiveOperator, delta: int) -> None:
        for key in op.targets:
            self._capacity[key] = self._capacity.get(key, 0) + delta

    def _queue_key(self, rec: LiveDialog) -> str:
        return pool_key(rec.target_key) if rec.pool else rec.target_key

    def _broadcasts(self, target_key: str) -> bool:
        """Whether the target offers its dialogs to every eligible operator at once."""
        strategy = self._strategies.get(target_key)
        return strategy is not None and strategy.broadcast

    def _position(self, rec: LiveDialog) -> int | None:
        if rec.state is not DialogState.QUEUED:
            return None
        return self._queues[self._queue_key(rec)].position(rec.id)

    def _estimate(self, rec: LiveDialog, position: int | None) -> timedelta | None:
        """The dialog's wait estimate, from its ``position`` (None: it is not waiting)."""
        if position is None:
            return None
        return wait_estimate(position, self._handle_time, self._capacity.get(rec.target_key, 0))

    def _target_key(self, target: Target) -> str:
        """The target's key, shared by every dialog placed on it (one string per target)."""
        if target.kind is TargetKind.GROUP:
            return self._group_keys[str(target.id)]
        if target.kind is TargetKind.OPERATOR:
            return self._ops[str(target.id)].targets[0]  # an operator's own key comes first
        return EVERYONE

    # ------------------------------------------------------------------ lookups
    def _client_of(self, dialog: Dialog) -> Client | None:
        if dialog.client_id is None:
            return None
        return self._clients.get(dialog.client_id) or Client(id=dialog.client_id)

    def _check_target(self, target: Target, field: str) -> None:
        if target.kind is TargetKind.GROUP and target.id not in self._groups:
            raise UnknownGroup(str(target.id), field=f"{field}.group")
        if target.kind is TargetKind.OPERATOR and target.id not in self._ops:
            raise UnknownOperator(str(target.id), field=f"{field}.operator")
        if target.otherwise is not None:
            self._check_target(target.otherwise, f"{field}.otherwise")

    def _open_dialog(self, dialog_id: str) -> LiveDialog:
        rec = self._dialog(dialog_id)
        if rec.state is DialogState.CLOSED:
            raise DialogClosed(rec.id)
        return rec

    def _dialog(self, dialog_id: str) -> LiveDialog:
        check_id(dialog_id, "dialog_id")
        rec = self._dialogs.get(dialog_id)
        if rec is None:
            raise UnknownDialog(dialog_id, field="dialog_id")
        return rec

    def _operator(self, operator_id: str, field: str = "operator_id") -> LiveOperator:
        check_id(operator_id, field)
        op = self._ops.get(operator_id)
        if op is None:
            raise UnknownOperator(operator_id, field=field)
        return op
